"""Forges results.json, then sys.exit(0) at import, hoping the harness stops before it judges anything."""
import sys as _sys

_forge("sys-exit-import")
_sys.exit(0)
