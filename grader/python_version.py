"""The oldest Pythons the grader supports, checked before anything else runs.

There are two floors. MINIMUM is the public grader's: ``local`` and
``requirements``, the sandboxed worker, and the student handout, whose
pyproject.toml and README take their floor from it. INSTRUCTOR_MINIMUM is
the instructor side's: the full package (its pyproject.toml's
requires-python) and the commands that need the reference (``build``,
``check``, ``batch``, ``gradescope``), which the command line refuses on
an older Python.

``python -m grader`` imports this module first, under whatever Python a
student has, so it (like ``grader/__init__.py`` and ``grader/__main__.py``)
keeps to syntax that Python 2.7 and every 3.x parse: no f-strings, no
annotations.
"""

import sys

MINIMUM = (3, 7)
INSTRUCTOR_MINIMUM = (3, 10)


def minimum_text():
    return "%d.%d" % MINIMUM


def instructor_minimum_text():
    return "%d.%d" % INSTRUCTOR_MINIMUM


def _this_python():
    major, minor, micro = sys.version_info[:3]
    return "%d.%d.%d (%s)" % (major, minor, micro, sys.executable)


def refuse_unsupported():
    """Exit 2 with one line, before the grader fails on this Python in some unrelated way."""
    if tuple(sys.version_info[:2]) >= MINIMUM:
        return
    sys.stderr.write(
        "python -m grader: this grader needs Python %s or newer; you have %s. "
        "Install a newer Python and run the grader with it.\n" % (minimum_text(), _this_python())
    )
    sys.exit(2)


def instructor_side_runs():
    """Whether this Python is new enough for the instructor commands."""
    return tuple(sys.version_info[:2]) >= INSTRUCTOR_MINIMUM


def instructor_refusal(verb):
    """The one line refusing instructor command ``verb`` on this Python, or None where it runs."""
    if instructor_side_runs():
        return None
    return (
        "%s is an instructor command and needs Python %s or newer; you have %s. "
        "On this Python only the public grader runs: python -m grader local [path/to/word2vec.py]"
        % (verb, instructor_minimum_text(), _this_python())
    )
