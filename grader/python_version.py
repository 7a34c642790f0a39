"""The oldest Python the grader supports, checked before anything else runs.

``python -m grader`` imports this module first, under whatever Python a
student has, so it (like ``grader/__init__.py`` and ``grader/__main__.py``)
keeps to syntax that Python 2.7 and every 3.x parse: no f-strings, no
annotations. The handout's pyproject.toml and README take the floor from
MINIMUM too.
"""

import sys

MINIMUM = (3, 7)


def minimum_text():
    return "%d.%d" % MINIMUM


def refuse_unsupported():
    """Exit 2 with one line, before the grader fails on this Python in some unrelated way."""
    if tuple(sys.version_info[:2]) >= MINIMUM:
        return
    have = "%d.%d.%d" % tuple(sys.version_info[:3])
    sys.stderr.write(
        "python -m grader: this grader needs Python %s or newer; you have %s (%s). "
        "Install a newer Python and run the grader with it.\n" % (minimum_text(), have, sys.executable)
    )
    sys.exit(2)
