"""Writes 100 MB to stdout and 100 MB to stderr at import (correct code otherwise)."""
import sys as _sys

_chunk = b"flood " * (2**20 // 6)
for _ in range(100):
    _sys.stdout.buffer.write(_chunk)
    _sys.stderr.buffer.write(_chunk)
_sys.stdout.flush()
_sys.stderr.flush()
