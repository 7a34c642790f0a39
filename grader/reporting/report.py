"""Reports of a grading run, rendered from the jinja2 templates.

Four forms of one GradingRun: the terminal text (in colour on a terminal),
Gradescope's results.json with markdown outputs, a self-contained HTML page,
and the summary Gradescope shows above the tests. Templates named ``*.html.j2``
are autoescaped: test outputs carry text the submission chose (exception
messages), so nothing of it may reach the page as markup.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from grader.reporting import figures
from grader.reporting.results import HINT_LABEL, SHOWN_AT_ONCE
from grader.templating import bytecode_cache

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jinja2.runtime import Context

    from grader.reporting.results import GradingRun, TestResult

ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}


# When Gradescope shows students a test of each visibility.
SHOWN_WHEN = {
    "visible": "at once",
    "after_due_date": "after the due date",
    "after_published": "once grades are published",
    "hidden": "only to course staff",
}


@jinja2.pass_context
def _paint(context: Context, text: str, *styles: str) -> str:
    """ANSI-styled text when the template was rendered with color=True, else the text itself."""
    if not context.get("color"):
        return text
    return f"\033[{';'.join(ANSI[s] for s in styles)}m{text}\033[0m"


@jinja2.pass_context
def _paint_detail(context: Context, message: str) -> str:
    """A failure message: its first line as is, the details dim (the hint is painted on its own)."""
    if not context.get("color"):
        return message
    first, *details = message.split("\n")
    return "\n".join([first] + [_paint(context, line, "dim") if line.strip() else line for line in details])


def _markdown_text(text: object) -> str:
    """Text safe to put in a markdown paragraph: punctuation that could mark up is escaped."""
    return re.sub(r"([\\`*_{}\[\]<>|~!#&])", r"\\\1", str(text))


def _code_span(text: object) -> str:
    """An inline code span that no run of backticks inside the text can close early."""
    text = str(text)
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (max(len(run) for run in re.findall(r"`+", text)) + 1)
    return f"{fence} {text} {fence}"  # CommonMark drops one space each side


def shell_word(text: str | os.PathLike[str]) -> str:
    """``text`` as one word a POSIX shell reads back unchanged; never mistaken for an option."""
    text = str(text)
    return shlex.quote("./" + text if text.startswith("-") else text)


def reproduce_command(path: str | os.PathLike[str], seed: int, hidden: bool = False) -> str:
    """The command that grades ``path`` again with ``seed``, ready to paste into a shell."""
    words = ["python -m grader local", shell_word(path), "--seed", str(seed)]
    return " ".join(words + ["--all"] if hidden else words)


def _fenced(text: str) -> str:
    """A fenced code block that no run of backticks inside the text can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


@functools.lru_cache(maxsize=None)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.reporting", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=False,
        keep_trailing_newline=True,
        bytecode_cache=bytecode_cache(),
    )
    env.globals["points"] = lambda x: f"{x:g}"
    env.globals["hint_label"] = HINT_LABEL
    env.globals["reproduce_command"] = reproduce_command
    env.globals["loss_curve"] = figures.loss_curve
    env.globals["word_vectors"] = figures.word_vectors
    env.filters.update(paint=_paint, paint_detail=_paint_detail, md=_markdown_text, fenced=_fenced, code=_code_span)
    return env


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


@dataclass
class FunctionPart:
    """One graded function's share of a run: its tests and their points."""

    tag: str
    title: str
    code_name: str
    tests: list[TestResult]
    score: float
    max_score: float

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)


def functions(run: GradingRun, tests: Sequence[TestResult] | None = None) -> list[FunctionPart]:
    """The run's tests (or these of them) grouped by function, in the catalogue's order."""
    from grader import registry

    parts: dict[str, list[TestResult]] = {}
    for t in run.tests if tests is None else tests:
        parts.setdefault(t.function, []).append(t)
    known = {f.tag: f for f in registry.functions()}
    return [
        FunctionPart(
            tag,
            known[tag].title if tag in known else tag,
            known[tag].name if tag in known else tag,
            tests,
            round(sum(t.score for t in tests), 6),
            round(sum(t.max_score for t in tests), 6),
        )
        for tag, tests in parts.items()
    ]


@dataclass
class Shown:
    """The tests of a run that students see at once, and what they add up to.

    withheld: the grader failed on one of them, so their points are not given.
    later: (when they are shown, how many tests, their points) for the other
    tests; it depends on the settings alone, never on the results.
    """

    tests: list[TestResult]
    functions: list[FunctionPart]
    withheld: bool
    later: list[tuple[str, int, float]]

    @property
    def score(self) -> float:
        return 0.0 if self.withheld else round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)


def shown_at_once(run: GradingRun) -> Shown:
    """What of ``run`` Gradescope's top-level output may describe: only the tests shown at once."""
    from grader.grading import RELEASE_ORDER

    tests = [t for t in run.tests if t.visibility == SHOWN_AT_ONCE]
    withheld = run.internal_error if run.everything_shown_at_once else any(t.grader_error for t in tests)
    later = []
    for visibility in RELEASE_ORDER[1:]:
        group = [t for t in run.tests if t.visibility == visibility]
        if group:
            later.append((SHOWN_WHEN[visibility], len(group), round(sum(t.max_score for t in group), 6)))
    return Shown(tests, functions(run, tests), withheld, later)


def printed(run: GradingRun) -> list[tuple[str, str]]:
    """[(during what, text)]: what the submission printed, a block per group of tests that printed.

    The first group's block also holds what it printed while being imported.
    """
    if list(run.printed_during) == [SHOWN_AT_ONCE] and run.everything_shown_at_once:
        return [("while being graded", run.printed_during[SHOWN_AT_ONCE])]
    return [
        (
            "while being imported and during the tests shown at once"
            if visibility == SHOWN_AT_ONCE
            else f"during the tests shown {SHOWN_WHEN[visibility]}",
            text,
        )
        for visibility, text in run.printed_during.items()
    ]


def _printed_later(run: GradingRun) -> dict[str, tuple[str, str]]:
    """Test number -> (when its group is shown, what was printed during that group).

    What the submission printed while tests shown later ran goes with the
    first of them: it is shown when they are, and not before.
    """
    firsts: dict[str, str] = {}
    for t in run.tests:
        firsts.setdefault(t.visibility, t.number)
    return {
        firsts[visibility]: (SHOWN_WHEN[visibility], text)
        for visibility, text in run.printed_during.items()
        if visibility != SHOWN_AT_ONCE and visibility in firsts
    }


def color_wanted(choice: str, stream: object) -> bool:
    """--color auto honours NO_COLOR (any non-empty value), TERM=dumb and whether stream is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def text(run: GradingRun, color: bool = False) -> str:
    return render(
        "report.txt.j2", run=run, color=color, printed=printed(run), submission_name=Path(run.submission).name
    )


def html(run: GradingRun) -> str:
    return render(
        "report.html.j2",
        run=run,
        functions=functions(run),
        passed=sum(t.passed for t in run.tests),
        printed=printed(run),
        submission_name=Path(run.submission).name,
    )


def summary(run: GradingRun) -> str:
    """The top-level output Gradescope shows above the tests, in markdown: students see it at once."""
    return render(
        "summary.md.j2",
        run=run,
        shown=shown_at_once(run),
        printed=run.printed_during.get(SHOWN_AT_ONCE, ""),
        submission_name=Path(run.submission).name,
    ).strip()


def markdown_output(
    result: TestResult, printed: tuple[str, str] | None = None, submission_name: str = "word2vec.py"
) -> str:
    """One test's output for Gradescope, in markdown; ``printed``: (when shown, what the submission printed)."""
    return render(
        "test.md.j2", t=result, body=result.message, hint=result.hint, printed=printed, submission_name=submission_name
    ).strip()


def results_json(run: GradingRun) -> dict[str, Any]:
    """Gradescope's results.json object; the one entry for gradescope.py and --format json."""
    later = _printed_later(run)
    name = Path(run.submission).name
    return run.results_json(
        output=summary(run), output_format="md", test_output=lambda t: markdown_output(t, later.get(t.number), name)
    )


def as_json_text(run: GradingRun) -> str:
    return json.dumps(results_json(run), indent=2)


def warm_cache() -> None:
    """Compile every template once into the bytecode cache (setup.sh runs this)."""
    from grader.rubric import feedback

    for name in _environment().list_templates(extensions=["j2"]):
        _environment().get_template(name)
    feedback.warm_cache()
