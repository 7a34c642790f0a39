"""An error a function raises in test after test is shown in full once.

The first test of a function that failed on an error keeps the full
account; later tests failing on the same error point back to it. A test
points back only to one shown whenever it is, and the first lists only
tests shown together with it, so no message reveals a result early.
Forms that show each test on a page of its own (JUnit) keep ``unfolded``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.rubric.feedback import say

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grader.reporting.results import GradingRun, TestResult


def _shown_whenever(later: str, first: str) -> bool:
    from grader.reporting.results import SHOWN_AT_ONCE

    return first == later or first == SHOWN_AT_ONCE or later == "hidden"


def spans(numbers: Sequence[str], order: Sequence[str]) -> str:
    """'2.2–2.4, 2.6': runs of tests adjacent in ``order`` written as ranges."""
    runs: list[list[str]] = []
    for number in numbers:
        if runs and order.index(number) == order.index(runs[-1][-1]) + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}\u2013{r[-1]}" for r in runs)


def fold_repeated_errors(run: GradingRun) -> None:
    """Replace each repeat of an error within a function by a pointer to its first test."""
    firsts: dict[tuple[str, str], TestResult] = {}
    repeats: dict[str, list[str]] = {}
    for t in run.tests:
        if t.passed or not t.error:
            continue
        first = firsts.get((t.function, t.error))
        if first is None or not _shown_whenever(t.visibility, first.visibility):
            firsts.setdefault((t.function, t.error), t)
            continue
        t.unfolded = t.output
        t.message, t.hint = say("same_error", test=first.number), ""
        if t.visibility == first.visibility:
            repeats.setdefault(first.number, []).append(t.number)
    order = [t.number for t in run.tests]
    for first in firsts.values():
        if first.number in repeats:
            first.message += "\n" + say("error_repeats", tests=spans(repeats[first.number], order))
