"""``python -m grader batch``: grade a whole class, as Gradescope would, on this machine.

submissions.py finds the submissions and reads an export's metadata,
runner.py grades them in parallel (one sandbox slot per process) and
outputs.py writes scores.csv, the per-submission reports, junit.xml and summary.html.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from grader.config import Settings
    from grader.instructor.batch.runner import Outcome
    from grader.instructor.batch.submissions import Submission

__all__ = ["run_batch"]

INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


def run_batch(
    paths: Iterable[str | os.PathLike[str]],
    jobs: int | None = None,
    out: str | os.PathLike[str] = "batch-results",
    seed: int | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> int:
    """Grade every submission under ``paths`` into ``out``; 0 once the batch is complete.

    Raises BatchUsageError, config.ConfigError or oracle.ReferenceMissing
    before anything is graded when the command cannot work as given.
    """
    from grader import config, grading
    from grader.answers.oracle import load_reference
    from grader.instructor.batch import outputs, runner
    from grader.instructor.batch.progress import Progress
    from grader.instructor.batch.runner import GRADER_ERROR
    from grader.instructor.batch.submissions import BatchUsageError, collect

    settings = config.load(config_path, seed=seed, hidden=True)
    points, _ = grading.rubric(
        grading.selected_tests(settings.hidden, settings.functions), settings
    )  # refuses a bad config
    max_total = sum(points.values())
    function_maxima = _function_maxima(settings, points)
    load_reference()  # the hidden suite needs it
    submissions, warnings = collect(paths)
    if not submissions:
        raise BatchUsageError(f"no submissions found in {', '.join(map(str, paths))}")
    jobs = jobs or os.cpu_count() or 1
    out = Path(out)
    try:
        reports = outputs.clear_previous(out)
    except OSError as exc:
        raise BatchUsageError(f"cannot write the results to {out}: {exc.strerror or exc}") from None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)

    outcomes: dict[str, Outcome] = {}
    progress = Progress(len(submissions))

    def done(submission: Submission, outcome: Outcome) -> None:
        outcomes[submission.id] = outcome
        outputs.write_report(reports, submission, outcome)
        progress.advance()

    to_grade = [s for s in submissions if s.file is not None]
    processes = max(min(jobs, len(to_grade)), 1)
    print(
        f"grading {len(to_grade)} of {len(submissions)} submissions with {processes} "
        f"process{'es' if processes > 1 else ''}, seed {settings.seed}",
        file=sys.stderr,
    )
    progress.start()
    for submission in submissions:
        if submission.file is None:
            done(submission, runner.missing_outcome(submission))
    try:
        runner.grade_all(to_grade, settings, jobs, done)
    except KeyboardInterrupt:
        progress.finish()
        print(
            f"python -m grader: interrupted after {len(outcomes)} of {len(submissions)} submissions; "
            f"their reports are in {reports}/, scores.csv was not written",
            file=sys.stderr,
        )
        return INTERRUPTED
    progress.finish()

    rows = [(submission, outcomes[submission.id]) for submission in submissions]
    for submission, outcome in rows:
        if outcome.kind == GRADER_ERROR:
            details = f"reports/{submission.id}.{'log' if outcome.log.strip() else 'txt'}"
            print(f"warning: {submission.id}: {outcome.status} (details in {details})", file=sys.stderr)
    layers = protections(outcome for _, outcome in rows)
    print("protections in force around the submissions:", *(f"  {line}" for line in layers), sep="\n", file=sys.stderr)
    outputs.write_scores(out / outputs.SCORES, rows, max_total)
    outputs.write_junit(out / outputs.JUNIT, rows)
    outputs.write_summary(out / outputs.SUMMARY, rows, settings, max_total, function_maxima, warnings, layers)
    graded = sum(outcome.ran for outcome in outcomes.values())
    print(
        f"{graded} of {len(rows)} submissions graded; wrote {out / outputs.SCORES}, "
        f"{out / outputs.JUNIT}, {out / outputs.SUMMARY} and {reports}/"
    )
    return 0


def protections(outcomes: Iterable[Outcome]) -> list[str]:
    """Each layer as the workers reported it; a layer that differed between workers is listed once per way."""
    seen: dict[str, None] = {}
    for outcome in outcomes:
        for line in outcome.layers:
            seen.setdefault(line, None)
    return list(seen) or ["none reported: no submission was graded"]


def _function_maxima(settings: Settings, points: dict[str, float]) -> dict[str, float]:
    """The most each function's tests can earn, with grader.yml's points applied."""
    from grader import grading

    maxima: dict[str, float] = {}
    for test in grading.selected_tests(settings.hidden, settings.functions):
        tag = test.__tags__[0]
        maxima[tag] = maxima.get(tag, 0.0) + points[test.__number__]
    return maxima


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    batch = verbs.add_parser("batch", help="grade many submissions (or a Gradescope export) into a folder")
    batch.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a folder of .py or .zip files, a folder of submission folders, or a Gradescope 'Export Submissions'"
        " folder",
    )
    batch.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        help="submissions graded at once, each by its own process (default: one per CPU)",
    )
    batch.add_argument(
        "--out",
        default="batch-results",
        help="where scores.csv, junit.xml, summary.html and reports/ go (default ./batch-results)",
    )
    batch.add_argument("--seed", type=int, default=None)
    batch.add_argument("--config", help="grader.yml to use")
    batch.set_defaults(command=command)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def command(args: argparse.Namespace) -> int:
    from grader import config
    from grader.answers.oracle import ReferenceMissing
    from grader.commands.usage import fail
    from grader.instructor.batch.runner import GradingProcessesFailed
    from grader.instructor.batch.submissions import BatchUsageError

    try:
        return run_batch(args.paths, jobs=args.jobs, out=args.out, seed=args.seed, config_path=args.config)
    except (BatchUsageError, GradingProcessesFailed, ReferenceMissing, config.ConfigError) as error:
        return fail(str(error))
