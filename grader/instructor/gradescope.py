"""Grading inside Gradescope's container layout (or a copy of it under --root)."""

from __future__ import annotations

import os
import shutil
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.reporting.results import grader_failure_json, write_results
from grader.submission import SubmissionNotFound, find_submission

if TYPE_CHECKING:
    import argparse

    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.config import Settings
    from grader.reporting.results import GradingRun


def broken_config_json() -> dict[str, Any]:
    """What Gradescope gets when grader.yml cannot be used: nothing was graded, and staff have the why."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output_format": "text",
        "stdout_visibility": "hidden",
        "output": "The autograder's configuration (grader.yml) is broken, so this submission was not "
        "graded. Please contact course staff.",
        "tests": [],
    }


def not_found_json(message: str) -> dict[str, Any]:
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output_format": "text",
        "output": message,
        "stdout_visibility": "hidden",
        "tests": [],
    }


def clear_results(folder: Path) -> None:
    """Discard anything already in results/: only the trusted process writes there."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink()


def grade_for_staff(submission: Path, settings: Settings, launcher: SandboxUser | SameUser | None = None) -> GradingRun:
    """Grade ``submission`` under the sandbox user (required as root); the full report goes to stdout.

    On a platform, stdout is the staff's log: the report there shows every
    test, hidden ones included. Call it after lock_down: the worker starts
    first and boots while the reference loads here. Raises ConfigError for
    points or visibility in grader.yml that name no test.
    """
    from grader import config
    from grader.boundary.privileges import launcher as default_launcher
    from grader.boundary.sandbox import Sandbox

    sandbox = Sandbox(submission, settings.limits, launcher or default_launcher()).start()
    try:
        config.check_rubric(settings)  # the catalogue loads while the worker boots
    except config.ConfigError:
        sandbox.close()
        raise
    from grader.grading import grade
    from grader.reporting import report

    graded = grade(submission, settings=settings, sandbox=sandbox)
    print(report.text(graded))
    print("Protections in force around the submission:", *(f"  {line}" for line in graded.layers), sep="\n")
    return graded


def run(
    root: str | os.PathLike[str],
    seed: int | None = None,
    launcher: SandboxUser | SameUser | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> int:
    """Grade ROOT/submission and write ROOT/results/results.json. Always writes it."""
    from grader import config
    from grader.boundary.privileges import lock_down

    root = Path(root)
    results_path = root / "results" / "results.json"
    try:
        if os.geteuid() == 0:
            for note in lock_down(root):
                print(f"note: {note}")  # stdout: the instructor's log, not the student's
        try:
            submission = find_submission(root / "submission")
        except SubmissionNotFound as missing:
            write_results(results_path, not_found_json(str(missing)))
            print(missing)
            return 0
        settings = config.read(config_path, seed=seed, hidden=True)
        graded = grade_for_staff(submission, settings, launcher)
        from grader.reporting import report  # after the worker started: it imports jinja2

        results = report.results_json(graded)
    except config.ConfigError as error:  # before anything was graded
        print(f"python -m grader: {error}")
        results = broken_config_json()
    except Exception as exc:  # a grader bug: still leave Gradescope a valid result
        traceback.print_exc(file=sys.stdout)
        results = grader_failure_json(type(exc).__name__)
    clear_results(results_path.parent)
    write_results(results_path, results)
    return 0


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    gradescope = verbs.add_parser("gradescope", help="grade ROOT/submission into ROOT/results/results.json")
    gradescope.add_argument("--root", default="/autograder", help="the autograder folder (default /autograder)")
    gradescope.add_argument("--seed", type=int, default=None)
    gradescope.add_argument("--config", help="grader.yml to use")
    gradescope.set_defaults(command=lambda args: run(args.root, seed=args.seed, config_path=args.config))
