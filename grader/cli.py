"""Command line: ``python -m grader {local,requirements,gradescope,prairielearn,autolab,batch,build,check}``.

Each verb is a module of its own with ``add_to(verbs, handout)``, which
adds its arguments, and a ``run(args)`` that returns the exit status.
The instructor's verbs live in ``grader.instructor``, which the student
handout does not have: there they are refused in one line and left out
of the help. On a Python older than the instructor side's floor
(python_version.INSTRUCTOR_MINIMUM) they are refused, and left out, too.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING

from grader.commands.usage import fail
from grader.python_version import instructor_refusal, instructor_side_runs

if TYPE_CHECKING:
    from collections.abc import Sequence

PUBLIC = ("grader.commands.local", "grader.commands.requirements")
INSTRUCTOR = (
    "grader.instructor.gradescope",
    "grader.instructor.autolab",
    "grader.instructor.prairielearn",
    "grader.instructor.batch",
    "grader.instructor.build",
    "grader.instructor.check",
)
INSTRUCTOR_VERBS = tuple(name.rsplit(".", 1)[1] for name in INSTRUCTOR)


def is_handout() -> bool:
    """The student handout: the package without its instructor commands."""
    return importlib.util.find_spec("grader.instructor") is None


def _parser(handout: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description="The word2vec assignment's autograder.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    for name in PUBLIC + (INSTRUCTOR if not handout and instructor_side_runs() else ()):
        importlib.import_module(name).add_to(verbs, handout)
    return parser


def _never_fail_to_print() -> None:
    """A report piped to a file on Windows is written in its code page (cp1252): a character it
    lacks, from a student's own output, is escaped instead of ending the run with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    from grader.boundary.privileges import SandboxUnavailable

    argv = sys.argv[1:] if argv is None else list(argv)
    _never_fail_to_print()
    handout = is_handout()
    if handout and argv and argv[0] in INSTRUCTOR_VERBS:
        return fail(
            f"{argv[0]} is for instructors: it needs the reference solution, which this student "
            "handout does not include; grade your file with: python -m grader local [path/to/word2vec.py]"
        )
    too_old = instructor_refusal(argv[0]) if argv and argv[0] in INSTRUCTOR_VERBS else None
    if too_old:
        return fail(too_old)
    args = _parser(handout).parse_args(argv)
    try:
        return args.command(args)
    except SandboxUnavailable as error:
        return fail(str(error))
