"""``python -m grader autolab [HANDIN]``: grade an Autolab job's handin; the last line of output is its score.

Autolab runs the assessment's autograde-Makefile (written by ``build
--target autolab``, see package.py) in a job folder holding autograde.tar
and the student's handin. The Makefile unpacks the tar and runs this
command there. Its output is the feedback (the text report and the
protections around the submission), then Autolab's semantic line, then
the score line (output.py). Autolab shows all of it to the student at
once, so by default only the public suite is graded (grader.yml's
``autolab.hidden``).

The last line is written here, by the trusted process, whatever happened
before it: a handin that is missing, an archive or a notebook, a broken
grader.yml, a worker that cannot start or a bug in the grader all end in a
score line of zeros, with the reason in the feedback above it. Never a
traceback: students read this output.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from grader.instructor.autolab import output
from grader.submission import SubmissionNotFound

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.config import Settings
    from grader.reporting.results import GradingRun

# What students are told when nothing could be graded for a reason of the course's making.
CONTACT_STAFF = "Please contact course staff."


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A private folder for the submission's copy, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="grader-autolab-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(
    handin: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    launcher: SandboxUser | SameUser | None = None,
    out: TextIO | None = None,
) -> int:
    """Grade the handin in the current folder; print the feedback, then Autolab's lines. Always returns 0."""
    out = out or sys.stdout
    # What the grader says on stderr is kept apart: its notes join the feedback, a traceback never does.
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        try:
            text = _job_output(handin, config_path, launcher)
        except Exception as error:  # a grader bug: still a score line, and no traceback for students
            text = f"{output.bounded(_internal_error(error))}\n{output.scores_line()}\n"
    notes = notes_for_students(said.getvalue())
    out.write(output.bounded(notes) + "\n" + text if notes else text)
    out.flush()
    return 0


def notes_for_students(said: str) -> str:
    """The grader's own notes and warnings; of a grader error in a test, its first line only."""
    kept = []
    for line in said.splitlines():
        if line.startswith(("note:", "warning:")):
            kept.append(line)
        elif line.startswith("grader error in test"):
            kept.append(f"{line.rstrip(':')} (the grader's failure: {CONTACT_STAFF.lower()})")
    return "\n".join(kept)


def _job_output(
    handin: str | None, config_path: str | os.PathLike[str] | None, launcher: SandboxUser | SameUser | None
) -> str:
    """The whole output: the feedback, the semantic line when something was graded, the score line."""
    with _scratch() as scratch:
        graded, feedback = _grade(handin, config_path, launcher, scratch)
    lines = [output.bounded(feedback)]
    if graded is not None and not graded.internal_error:
        lines.append(output.semantic_line(graded))
    lines.append(output.scores_line(output.run_points(graded) if graded is not None else None))
    return "\n".join(lines) + "\n"


def _grade(
    handin: str | None,
    config_path: str | os.PathLike[str] | None,
    launcher: SandboxUser | SameUser | None,
    scratch: Path,
) -> tuple[GradingRun | None, str]:
    """(the run, or None when nothing was graded; the feedback)."""
    from grader import config
    from grader.answers.oracle import ReferenceMissing
    from grader.boundary.sandbox import Sandbox
    from grader.boundary.spawners import WorkerStartFailed
    from grader.instructor.autolab.handin import locate, unpack

    try:
        settings = config.read(config_path)
        settings = _with_suite(settings)
    except config.ConfigError as error:
        return None, _broken_config(str(error))
    try:
        path = locate(handin, Path.cwd(), _grader_folder())
        submission, shown_as = unpack(path, scratch)
    except SubmissionNotFound as missing:
        return None, f"This handin was not graded: {missing}.\nNo points were given; fix it and submit again."
    except OSError as error:
        return None, f"The handin could not be read ({error.strerror or error}). {CONTACT_STAFF}"
    refused = None if launcher is not None else unisolated()
    if refused:
        return None, (
            "The grader cannot keep this handin apart from itself in this image, so it was not graded and no "
            f"points were given. {CONTACT_STAFF}\nFor course staff: {refused}"
        )
    try:
        # The worker boots while the catalogue, the templates and the answers load.
        sandbox = Sandbox(submission, settings.limits, launcher or sandbox_launcher()).start()
    except WorkerStartFailed as error:
        return None, f"The grader could not start the process that runs the submission: {error}. {CONTACT_STAFF}"
    try:
        config.check_rubric(settings)
    except config.ConfigError as error:
        sandbox.close()
        return None, _broken_config(str(error))
    from grader.grading import grade
    from grader.reporting import report

    try:
        graded = grade(submission, settings=settings, sandbox=sandbox)
    except ReferenceMissing as error:
        return None, _broken_config(str(error))
    except WorkerStartFailed as error:
        return None, f"The grader could not start the process that runs the submission: {error}. {CONTACT_STAFF}"
    graded.submission = shown_as  # the report names the student's file, not the scratch copy
    lines = [report.text(graded), "Protections in force around the submission:"]
    lines += [f"  {layer}" for layer in graded.layers]
    lines += [f"note: {note}" for note in _environment_notes(settings)]
    return graded, "\n".join(lines)


def _with_suite(settings: Settings) -> Settings:
    """The suites grader.yml's ``autolab.hidden`` asks for; every test is shown at once either way."""
    import dataclasses

    return dataclasses.replace(settings, hidden=settings.autolab.hidden == "include")


def sandbox_launcher() -> SandboxUser | SameUser:
    """As root, the sandbox user or no grading (``required``); else the job's own user, saying which."""
    from grader.boundary.privileges import SameUser, launcher

    if hasattr(os, "geteuid") and os.geteuid() != 0:
        user = _user_name(os.geteuid())
        return SameUser(f"not root: Autolab runs this job as {user}, so the submission runs as {user} too")
    return launcher(required=True)


def unisolated() -> str | None:
    """Why this job cannot grade safely, or None.

    Without root the submission runs as the job's own user, who owns the
    unpacked grader: only Landlock keeps it from rewriting the grader's
    files (a template the trusted process renders after the submission ran
    would forge the score) or reading a packed reference. Without either,
    nothing is graded.
    """
    from grader.boundary.spawners import forced_off
    from grader.worker.confine import landlock_abi

    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return None
    abi, why = landlock_abi()
    if "landlock" in forced_off():
        abi, why = 0, "Landlock turned off (GRADER_WITHOUT)"
    if abi > 0:
        return None
    return (
        f"the job runs as {_user_name(os.geteuid())}, not root, and {why}: the submission could change the "
        "grader's own files. Run the job as root (the grader then switches to a sandbox user), or on a Linux "
        "kernel with Landlock (5.13 or later, not refused by the container)."
    )


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _grader_folder() -> Path:
    """The folder that holds the grader package: in a job, where autograde.tar unpacked; never the handin."""
    from grader import bundle

    return bundle.PACKAGE.parent


def _environment_notes(settings: Settings) -> list[str]:
    """What about this image may grade differently from the course environment."""
    import numpy

    from grader.numpy_requirement import allows

    if allows(settings.worker.numpy, numpy.__version__):
        return []
    return [
        f"this image has numpy {numpy.__version__}, and grader.yml's worker.numpy asks for {settings.worker.numpy}; "
        "results may differ from the course environment's"
    ]


def _broken_config(details: str) -> str:
    return (
        "The autograder's configuration is broken, so this handin was not graded and no points were given. "
        f"{CONTACT_STAFF}\nFor course staff: {details}"
    )


def _internal_error(error: BaseException) -> str:
    """One line for staff to start from (where the grader failed), in place of a traceback."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name} line {frames[-1].lineno}" if frames else ""
    message = " ".join(str(error).split())[:300]
    return (
        f"The autograder hit an internal error and could not grade this handin; no points were given. "
        f"{CONTACT_STAFF}\nFor course staff: {type(error).__name__}{where}: {message}"
    )


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    autolab = verbs.add_parser(
        "autolab", help="grade an Autolab job's handin; the last line of output is Autolab's score JSON"
    )
    autolab.add_argument(
        "handin",
        nargs="?",
        help="the handin file in the job folder: a .py, or a .zip or .tar of the student's folder "
        "(default: word2vec.py, else the only file besides the job's own)",
    )
    autolab.add_argument("--config", help="grader.yml to use (the autograde-Makefile passes the packed one)")
    autolab.set_defaults(command=lambda args: run(args.handin, config_path=args.config))
