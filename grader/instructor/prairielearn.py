"""Grading in PrairieLearn's external-grader container (or a copy of its layout under --root).

PrairieLearn runs the question's entrypoint as root with the job under
/grade: the upload in student/, the course's files in serverFilesCourse/,
and the grader creates results/ and writes results/results.json (at most
1 MB). As on Gradescope, only this trusted process writes it, once, after
every worker is dead, and a grader failure is a zero with a word to
students, never a traceback. PrairieLearn shows every result at once and
has no "after the due date", so by default only the public suite is graded
(grader.yml's ``prairielearn.hidden``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.reporting.results import SHOWN_AT_ONCE, write_results
from grader.submission import SubmissionNotFound, find_submission, not_python

if TYPE_CHECKING:
    import argparse

    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.config import Settings
    from grader.reporting.results import GradingRun, TestResult

ROOT = "/grade"
# serverFilesCourse/<BUNDLE>/: what `python -m grader build --target prairielearn` writes for the course.
BUNDLE = "word2vec_grader"
MAX_BYTES = 1_000_000  # PrairieLearn's limit on results.json
SHORTEST_CUT = 200  # characters a text cut to fit MAX_BYTES keeps, unless every text is as short

BROKEN_CONFIG = "The autograder's configuration (grader.yml) is broken, so this submission was not graded."
INTERNAL_ERROR = "The autograder hit an internal error and could not grade this submission"
NOT_YOURS = "This is the grader's failure, not yours: please contact course staff."
# A test's description: its suite, or how little of it is shown (any test not ``visible`` in grader.yml).
DESCRIPTIONS = {
    "public": "Public test: python -m grader local runs it on your machine, with the same feedback.",
    "hidden": "Hidden test: it runs only here.",
    "brief": "Shown by name and points only: its inputs and expected values stay hidden.",
}


# -- results.json ---------------------------------------------------------------------


def results_json(run: GradingRun, settings: Settings) -> dict[str, Any]:
    """PrairieLearn's results.json for a graded run.

    Tests students see at once on Gradescope (``visible``) carry their whole
    feedback; any other test only its name, points and whether it passed,
    and what the submission printed while they ran is never shown. A grader
    error on any test makes the submission not gradable: no attempt is charged.
    """
    from grader.reporting import report
    from grader.rubric import suite

    if run.internal_error:  # the grader failed on a test: no score, and no attempt charged
        return grader_failure_json(f"{INTERNAL_ERROR}.")
    public = {t.__number__ for t in suite.all_tests() if t.__visibility__ == suite.PUBLIC}
    tests = [_test_json(t, t.number in public) for t in run.tests]
    got = run.score
    brief = [t for t in run.tests if t.visibility != SHOWN_AT_ONCE]
    name = Path(run.submission).name
    message = report.render(
        "prairielearn_message.txt.j2",
        run=run,
        tests=run.tests,
        score=got,
        max_score=run.max_score,
        passed=sum(t.passed for t in run.tests),
        functions=report.functions(run),
        brief=(len(brief), round(sum(t.max_score for t in brief), 6)) if brief else None,
        submission_name=name,
    ).strip()
    return {
        "gradable": True,
        "score": min(1.0, max(0.0, round(got / run.max_score, 6))) if run.max_score else 0.0,
        "message": message,
        "output": _printed(run.printed_during.get(SHOWN_AT_ONCE, ""), name),
        "images": plots(run),
        "tests": tests,
    }


def _printed(text: str, name: str) -> str:
    """What the submission printed, said to be its own; only while imported and during the tests shown in full."""
    if not text:
        return ""
    return f"What {name} printed while being imported and during the tests shown in full (its own output):\n{text}"


def _test_json(t: TestResult, public: bool) -> dict[str, Any]:
    shown = t.visibility == SHOWN_AT_ONCE
    if shown or t.grader_error:
        message = t.output
    else:
        message = "Passed." if t.passed else "Failed."
    return {
        "name": f"{t.number} {t.name}",
        "description": DESCRIPTIONS["brief" if not shown else "public" if public else "hidden"],
        "points": t.score,
        "max_points": t.max_score,
        "message": message,
        "output": "",
    }


def plots(run: GradingRun) -> list[dict[str, str]]:
    """results.json's ``images``: [{label, url: "data:image/png;base64,..."}]. None yet.

    The hook for the training check's plot, once the SGD step is graded.
    """
    return []


def not_gradable_json(why: str) -> dict[str, Any]:
    """Nothing to grade (no .py file, a zip, a notebook): PrairieLearn charges no attempt and shows ``why``."""
    return {"gradable": False, "format_errors": [why[:1].upper() + why[1:]]}


def grader_failure_json(what: str) -> dict[str, Any]:
    """The grader, not the submission, failed: not gradable, so PrairieLearn charges no attempt for it."""
    return {"gradable": False, "format_errors": [f"{what} {NOT_YOURS}"]}


def fit(results: dict[str, Any], limit: int = MAX_BYTES) -> dict[str, Any]:
    """``results``, its longest texts cut (each saying how much) until it is at most ``limit`` bytes as written."""
    texts = [(results, key) for key in ("message", "output")]
    texts += [(test, key) for test in results.get("tests", []) for key in ("message", "output")]
    texts = [(holder, key) for holder, key in texts if isinstance(holder.get(key), str)]
    whole = {(id(holder), key): holder[key] for holder, key in texts}
    kept = {(id(holder), key): len(holder[key]) for holder, key in texts}
    while _size(results) > limit:
        holder, key = max(texts, key=lambda text: kept[id(text[0]), text[1]])
        size = kept[id(holder), key]
        if size == 0:
            break  # nothing left to cut: cannot happen with this grader's few tests
        # Halve the longest; once every text is this short, empty them one by one.
        size = max(size // 2, SHORTEST_CUT) if size > SHORTEST_CUT else 0
        kept[id(holder), key] = size
        text = whole[id(holder), key]
        holder[key] = text[:size] + (
            f"\n... ({len(text) - size} more characters not shown: PrairieLearn takes at most 1 MB of results)"
            if size
            else ""
        )
    return results


def _size(results: dict[str, Any]) -> int:
    """Bytes of ``results`` as write_results writes them."""
    return len(json.dumps(results, indent=2, allow_nan=False).encode("utf-8"))


# -- the command ----------------------------------------------------------------------


def default_config(root: str | os.PathLike[str]) -> Path | None:
    """The grader.yml the build put beside the grader in ROOT/serverFilesCourse, if it is there."""
    path = Path(root) / "serverFilesCourse" / BUNDLE / "grader.yml"
    return path if path.is_file() else None


def run(
    root: str | os.PathLike[str] = ROOT,
    seed: int | None = None,
    launcher: SandboxUser | SameUser | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> int:
    """Grade ROOT/student into ROOT/results/results.json; 0 unless even that could not be written."""
    from grader import config
    from grader.boundary.privileges import lock_down
    from grader.instructor.gradescope import clear_results

    root = Path(root)
    results_path = root / "results" / "results.json"
    try:
        if os.geteuid() == 0:
            for note in lock_down(root):
                print(f"note: {note}")  # stdout: the job's log, which only course staff see
        results = _grade(root, seed, launcher, config_path or default_config(root))
    except config.ConfigError as error:  # before anything was graded
        print(f"python -m grader: {error}")
        results = grader_failure_json(BROKEN_CONFIG)
    except Exception as exc:  # a grader bug, a worker that cannot start, a sweep that cannot finish
        traceback.print_exc(file=sys.stdout)
        results = grader_failure_json(f"{INTERNAL_ERROR} ({type(exc).__name__}).")
    try:
        clear_results(results_path.parent)
        write_results(results_path, fit(results))
    except OSError as error:
        print(f"python -m grader: cannot write {results_path}: {error}", file=sys.stderr)
        return 1
    return 0


def _grade(
    root: Path,
    seed: int | None,
    launcher: SandboxUser | SameUser | None,
    config_path: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    from grader import config
    from grader.instructor.gradescope import grade_for_staff

    why = _not_gradable(root / "student")
    if why:
        print(f"not gradable: {why}")
        return not_gradable_json(why)
    submission = find_submission(root / "student")
    settings = config.read(config_path, seed=seed)
    settings = dataclasses.replace(settings, hidden=settings.prairielearn.hidden == "include")
    _say_numpy(settings.worker.numpy)
    return results_json(grade_for_staff(submission, settings, launcher), settings)


def _not_gradable(folder: Path) -> str | None:
    """Why the upload in ``folder`` cannot be graded, naming the fix; None when it can."""
    try:
        submission = find_submission(folder)
    except SubmissionNotFound as missing:
        return str(missing)
    try:
        with open(submission, "rb") as handle:
            handle.read(1)
    except OSError as error:
        return f"{submission.name} could not be read ({error.strerror or error}): upload it again"
    return not_python(submission, then="submit")


def _say_numpy(wanted: str) -> None:
    """For the staff log: the image's Python may have no numpy that grader.yml allows (numpy<2 on 3.13)."""
    from importlib.metadata import PackageNotFoundError, version

    from grader.numpy_requirement import allows

    try:
        have = version("numpy")
    except PackageNotFoundError:
        return
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    fits = "within it" if allows(wanted, have) else "outside it: scores may differ from Gradescope's"
    print(f"note: the worker has numpy {have} on Python {python}; grader.yml's worker.numpy is {wanted}, {fits}")


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    prairielearn = verbs.add_parser(
        "prairielearn", help="grade ROOT/student into ROOT/results/results.json (PrairieLearn's external grader)"
    )
    prairielearn.add_argument("--root", default=ROOT, help=f"the grading job's folder (default {ROOT})")
    prairielearn.add_argument("--seed", type=int, default=None)
    prairielearn.add_argument(
        "--config", help=f"grader.yml to use (default ROOT/serverFilesCourse/{BUNDLE}/grader.yml, if there)"
    )
    prairielearn.set_defaults(command=lambda args: run(args.root, seed=args.seed, config_path=args.config))
