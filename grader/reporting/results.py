"""Test results and the Gradescope results.json they become.

Only the trusted process builds these, and ``write_results`` is the one
place results.json is written: once, atomically, never through a link.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from grader.rubric.training import TrainingFigures

# Gradescope's visibility for tests students see as soon as they submit.
SHOWN_AT_ONCE = "visible"


# Why a test did not run (TestResult.not_run).
IMPORT_FAILED = "import_failed"  # the submission could not be imported
MISSING_FUNCTION = "missing_function"  # the function it tests is not defined
GATED = "gated"  # it pays only once other tests pass, and they did not
HINT_LABEL = "Likely cause:"  # how reports introduce a hint; never searched for in text


@dataclass
class TestResult:
    """One test's outcome: its verdict as fields, its feedback as ``message`` and, apart, ``hint``."""

    number: str
    name: str
    tags: tuple
    max_score: float
    visibility: str
    score: float = 0.0
    passed: bool = False
    message: str = ""  # the student-facing feedback, without the likely cause
    hint: str = ""  # the likely cause, in the assignment's terms; "" when none applies
    not_run: str = ""  # IMPORT_FAILED, MISSING_FUNCTION or GATED; "" when it ran
    grader_error: bool = False  # the grader, not the submission, failed on this test
    seconds: float = 0.0  # wall time the test took, its calls to the worker included; 0 when not run
    error: str = ""  # what the submission raised (or how its worker was lost), when that was the verdict
    # The full feedback of a test whose error a report shows at an earlier test
    # (see grader.reporting.repeats), for forms that show each test alone (JUnit).
    unfolded: str = ""
    figures: TrainingFigures | None = None  # what the HTML and text reports draw for it; not in results.json

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def timed_only(self) -> bool:
        """A timing test worth no points: it reports a time, and is never a failure."""
        return "efficiency" in self.tags and self.max_score == 0

    @property
    def verdict(self) -> str:
        """How reports label the outcome: "passed", "FAILED", "timed" for a slow timed_only test, or
        "not run" for a test worth no points that its gate kept from running (the training check)."""
        if self.passed:
            return "passed"
        if self.timed_only:
            return "timed"
        return "not run" if self.max_score == 0 and self.not_run else "FAILED"

    @property
    def output(self) -> str:
        """The feedback as one text: the message, then the likely cause on its own line."""
        return f"{self.message}\n  {HINT_LABEL} {self.hint}" if self.hint else self.message

    @property
    def function(self) -> str:
        return self.tags[0]

    def to_json(self, output: str | None = None, output_format: str = "text") -> dict[str, Any]:
        """Gradescope's entry for this test; ``output`` replaces the plain feedback (e.g. markdown)."""
        return {
            "number": self.number,
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "output": self.output if output is None else output,
            "output_format": output_format,
            "tags": list(self.tags),
            "visibility": self.visibility,
        }


@dataclass
class GradingRun:
    submission: str
    seed: int
    hidden: bool
    tests: list[TestResult] = field(default_factory=list)
    summary: str = ""  # submission-wide messages (import failure, missing functions)
    execution_time: float = 0.0
    internal_error: bool = False
    imported: bool = True
    # Seconds until the tests shown at once were done; they run first.
    shown_seconds: float | None = None
    # Visibility -> an excerpt of what the submission printed while that
    # group of tests ran (the first group's includes the import).
    printed_during: dict[str, str] = field(default_factory=dict)
    # The protections around the worker, one "layer: how" (or "layer: missing: why") each.
    layers: list[str] = field(default_factory=list)

    @property
    def printed(self) -> str:
        """Everything the submission printed (excerpts), in the order it ran."""
        return "\n".join(self.printed_during.values())

    @property
    def score(self) -> float:
        return 0.0 if self.internal_error else round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def all_passed(self) -> bool:
        return not self.internal_error and all(t.passed for t in self.tests)

    def by_function(self) -> dict[str, tuple[float, float]]:
        totals: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            got, out_of = totals.get(t.function, (0.0, 0.0))
            totals[t.function] = (got + t.score, out_of + t.max_score)
        return totals

    @property
    def everything_shown_at_once(self) -> bool:
        return all(t.visibility == SHOWN_AT_ONCE for t in self.tests)

    def results_json(
        self, output: str = "", output_format: str = "text", test_output: Callable[[TestResult], str] | None = None
    ) -> dict[str, Any]:
        """results.json; ``test_output(test)`` renders each test's output in ``output_format``.

        Students see ``output`` and ``execution_time`` at once, so while some
        test is shown later ``output`` must describe only the tests shown at
        once, and the time is theirs alone (they run first). Gradescope itself
        hides ``score`` until every test is shown. stdout, which holds the
        full report, is for course staff only.
        """
        seconds = self.execution_time
        if not self.everything_shown_at_once and self.shown_seconds is not None:
            seconds = self.shown_seconds
        return {
            "score": self.score,
            "execution_time": round(float(seconds), 3),
            "output": output,
            "output_format": output_format,
            "test_output_format": output_format,
            "visibility": SHOWN_AT_ONCE,
            "stdout_visibility": "hidden",
            "tests": [t.to_json(test_output(t) if test_output else None, output_format) for t in self.tests],
        }


def grader_failure_json(message: str) -> dict[str, Any]:
    """What Gradescope gets when the grader itself broke: a zero and a clear word."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output_format": "text",
        "stdout_visibility": "hidden",
        "output": "The autograder hit an internal error and could not grade this submission. "
        f"Please contact course staff. ({message})",
        "tests": [],
    }


def write_results(path: str | os.PathLike[str], results: dict[str, Any]) -> None:
    """Write results.json atomically; replace whatever (file or link) was there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, allow_nan=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)  # rename replaces a symlink itself, never its target
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
