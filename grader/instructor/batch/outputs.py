"""What a batch leaves in --out: scores.csv, reports/<id>.{txt,html,json,xml,log}, junit.xml and summary.html.

scores.csv depends only on the submissions, the seed and the settings: no
timestamps, rows sorted by id, so two runs can be compared byte for byte.
"""

from __future__ import annotations

import csv
import functools
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from grader import registry
from grader.instructor.batch.submissions import natural_key

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    from grader.config import Settings
    from grader.instructor.batch.runner import Outcome
    from grader.instructor.batch.submissions import Submission


def columns() -> tuple[str, ...]:
    return ("id", "name", "email", "total", "max_total", *registry.tags(), "status")


HISTOGRAM_BINS = 10
TOP_HINTS = 10
REPORT_SUFFIXES = (".txt", ".html", ".json", ".xml", ".log")
SCORES, SUMMARY, JUNIT = "scores.csv", "summary.html", "junit.xml"


def points(value: float) -> str:
    """Points as the CSV and the page show them: 69, 33.3333, 0."""
    return f"{round(float(value), 4) + 0.0:g}"


def status(submission: Submission, outcome: Outcome) -> str:
    """The outcome's status, plus whatever of the export's metadata could not be read."""
    if submission.notes:
        return f"{outcome.status} [metadata: {'; '.join(submission.notes)}]"
    return outcome.status


def clear_previous(out: str | os.PathLike[str]) -> Path:
    """Remove what a previous batch left in ``out`` (and nothing else), so no stale row survives."""
    reports = Path(out) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    stale = [Path(out) / SCORES, Path(out) / SUMMARY, Path(out) / JUNIT]
    stale += [entry for entry in reports.iterdir() if entry.suffix in REPORT_SUFFIXES]
    for entry in stale:
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
    return reports


def write_report(folder: Path, submission: Submission, outcome: Outcome) -> None:
    """reports/<id>.txt, .json and .xml (JUnit) for every submission; .html when it was graded; .log when the
    grader wrote on stderr."""
    (folder / f"{submission.id}.txt").write_text(outcome.report, encoding="utf-8")
    if outcome.html:
        (folder / f"{submission.id}.html").write_text(outcome.html, encoding="utf-8")
    (folder / f"{submission.id}.json").write_text(json.dumps(outcome.results, indent=2) + "\n", encoding="utf-8")
    (folder / f"{submission.id}.xml").write_text(outcome.junit, encoding="utf-8")
    if outcome.log.strip():
        (folder / f"{submission.id}.log").write_text(outcome.log, encoding="utf-8")


def write_scores(path: str | os.PathLike[str], rows: Iterable[tuple[Submission, Outcome]], max_total: float) -> None:
    """scores.csv: one row per (submission, outcome), in id order."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns())
        for submission, outcome in sorted(rows, key=lambda row: natural_key(row[0].id)):
            writer.writerow(
                [
                    submission.id,
                    "; ".join(submission.names),
                    "; ".join(submission.emails),
                    points(outcome.total),
                    points(max_total),
                    *(points(outcome.functions.get(tag, 0.0)) for tag in registry.tags()),
                    status(submission, outcome),
                ]
            )


def write_junit(path: str | os.PathLike[str], rows: Iterable[tuple[Submission, Outcome]]) -> None:
    """junit.xml: every submission's test cases in one file, in id order, for a CI's test report."""
    from grader.reporting import junit

    documents = [(s.id, o.junit) for s, o in sorted(rows, key=lambda row: natural_key(row[0].id))]
    Path(path).write_text(junit.serialize(junit.combine(documents)), encoding="utf-8")


def histogram(totals: Iterable[float], maximum: float, bins: int = HISTOGRAM_BINS) -> list[tuple[float, float, int]]:
    """[(low, high, count)] over 0..maximum; the last bin includes the maximum itself."""
    counts = [0] * bins
    for total in totals:
        share = total / maximum if maximum > 0 else 0.0
        counts[min(max(int(share * bins + 1e-9), 0), bins - 1)] += 1
    width = maximum / bins
    return [(i * width, (i + 1) * width, count) for i, count in enumerate(counts)]


def pass_rates(outcomes: Iterable[Outcome]) -> list[tuple[str, str, str, int, int]]:
    """[(number, name, function, passed, ran)] per test, over the submissions the tests ran on."""
    tests: dict[str, tuple[str, str, int, int]] = {}
    for outcome in outcomes:
        for test in outcome.tests:
            name, function, passed, ran = tests.get(test.number, (test.name, test.function, 0, 0))
            tests[test.number] = (name, function, passed + test.passed, ran + 1)
    return [(number, *tests[number]) for number in sorted(tests, key=natural_key)]


def common_hints(outcomes: Iterable[Outcome], top: int = TOP_HINTS) -> list[tuple[str, int, int]]:
    """[(hint, submissions, variants)]: the likely causes of failed tests, most widely given first.

    Hints that differ only in their numbers (the row of the center word, a
    factor) are one mistake: they count together, shown by their most
    frequent wording; ``variants`` says how many wordings were merged.
    """
    submissions: Counter[str] = Counter()
    wordings: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        given = {hint for test in outcome.tests for hint in test.hints}
        for hint in given:
            wordings.setdefault(_numbers_blanked(hint), Counter())[hint] += 1
        submissions.update({_numbers_blanked(hint) for hint in given})
    ranked = sorted(submissions, key=lambda key: (-submissions[key], key))[:top]
    wording = {key: min(wordings[key], key=lambda hint: (-wordings[key][hint], hint)) for key in ranked}
    return [(wording[key], submissions[key], len(wordings[key])) for key in ranked]


def _numbers_blanked(hint: str) -> str:
    return re.sub(r"\d+(?:\.\d+)?", "#", hint)


@functools.lru_cache(maxsize=None)
def _html_environment() -> jinja2.Environment:
    # Names, statuses and hints come from students: escape everything.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["points"] = points
    return env


def write_summary(
    path: str | os.PathLike[str],
    rows: Iterable[tuple[Submission, Outcome]],
    settings: Settings,
    max_total: float,
    function_maxima: dict[str, float],
    warnings: list[str],
    layers: Iterable[str] = (),
) -> None:
    """summary.html: one self-contained page (inline CSS and SVG, no scripts)."""
    rows = sorted(rows, key=lambda row: natural_key(row[0].id))
    outcomes = [outcome for _, outcome in rows]
    totals = [outcome.total for outcome in outcomes]
    ran = [outcome for outcome in outcomes if outcome.ran]
    bins = histogram(totals, max_total)
    functions = [
        (tag, statistics.mean(o.functions.get(tag, 0.0) for o in outcomes), function_maxima.get(tag, 0.0))
        for tag in registry.tags()
    ]
    page = (
        _html_environment()
        .get_template("summary.html.j2")
        .render(
            settings=settings,
            rows=[(s, o, status(s, o)) for s, o in rows],
            warnings=warnings,
            layers=layers,
            kinds=sorted(Counter(o.kind for o in outcomes).items()),
            max_total=max_total,
            mean=statistics.mean(totals),
            median=statistics.median(totals),
            bins=bins,
            tallest=max(1, *(count for _, _, count in bins)),
            functions=functions,
            function_tags=registry.tags(),
            ran=len(ran),
            tests=pass_rates(ran),
            hints=common_hints(ran),
        )
    )
    Path(path).write_text(page, encoding="utf-8")
