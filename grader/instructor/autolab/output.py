"""What an Autolab job prints: the feedback, then the semantic line, then the score line.

Autolab reads the last line of the output as JSON,
``{"scores": {"<problem>": points, ...}, "scoreboard": [total]}``, and the
line before it, when it is ``{"_presentation": "semantic", ...}``, as
per-test feedback. The problem names are the registry's function tags,
and must be the problems defined on the Autolab site. Students see the
whole output at once, so every part of it is bounded here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from grader import registry

if TYPE_CHECKING:
    from collections.abc import Mapping

    from grader.reporting.results import GradingRun, TestResult

# Autolab keeps 10,000 lines of output, and Tango cuts the output at a size
# set on its server (MAX_OUTPUT_FILE_SIZE): a cut output loses its last
# line. The feedback stays far inside both; a report is about 200 lines.
FEEDBACK_LINES = 2000
FEEDBACK_CHARS = 200_000
# One test's feedback in the semantic line: its message and likely cause.
HINT_CHARS = 1500
SEMANTIC = "semantic"


def problems() -> tuple[str, ...]:
    """The Autolab problem names, one per graded function, in the rubric's order."""
    return registry.tags()


def points(x: float) -> int | float:
    """A score as Autolab's JSON shows it: 10, not 10.0; at most 4 decimals."""
    rounded = round(float(x), 4)
    return int(rounded) if rounded.is_integer() else rounded


def scores_line(per_problem: Mapping[str, float] | None = None) -> str:
    """The last line: points per problem (0 for any not given, and for all when None), their total on the
    scoreboard."""
    given = per_problem or {}
    scores = {name: points(given.get(name, 0.0)) for name in problems()}
    return json.dumps({"scores": scores, "scoreboard": [points(sum(scores.values()))]})


def run_points(run: GradingRun) -> dict[str, float]:
    """Points per problem of a run; none at all when the grader failed on some test."""
    if run.internal_error:
        return {}
    return {tag: got for tag, (got, _out_of) in run.by_function().items()}


def semantic_line(run: GradingRun) -> str:
    """One stage per graded function, named by its title, with each test's verdict and, when failed, why."""
    from grader.reporting.report import functions

    parts = functions(run)
    presentation: dict[str, Any] = {"_presentation": SEMANTIC, "stages": [part.title for part in parts]}
    for part in parts:
        presentation[part.title] = {
            _test_name(part.code_name, t): {"passed": t.passed, "hint": "" if t.passed else _cut(t.output, HINT_CHARS)}
            for t in part.tests
        }
    return json.dumps(presentation, ensure_ascii=True)


def _test_name(code_name: str, test: TestResult) -> str:
    """ "1.2 inputs up to +-800 give finite values": the number, and the name without the function's."""
    name = test.name.removeprefix(f"{code_name}: ")
    return f"{test.number} {name}"


def _cut(text: str, limit: int) -> str:
    return (
        text if len(text) <= limit else text[: limit - 40].rstrip() + f" ... ({len(text) - limit + 40} more characters)"
    )


def bounded(feedback: str) -> str:
    """The feedback within FEEDBACK_LINES and FEEDBACK_CHARS, saying what was cut."""
    lines = feedback.rstrip("\n").split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        line = _cut(line, 1000)
        if len(kept) == FEEDBACK_LINES or size + len(line) > FEEDBACK_CHARS:
            kept.append(f"... ({len(lines) - len(kept)} more lines of feedback not shown)")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)
