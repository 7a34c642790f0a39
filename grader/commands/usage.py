"""How every command reports a usage error: one line on stderr, exit status 2."""

from __future__ import annotations

import sys

USAGE_ERROR = 2


def fail(message: str) -> int:
    print(f"python -m grader: {message}", file=sys.stderr)
    return USAGE_ERROR
