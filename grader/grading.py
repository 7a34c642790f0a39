"""Grade one submission: run the catalogue against it, in its sandbox."""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import bundle, config, registry, saved_source
from grader.answers.oracle import Oracle, ReferenceMissing, load_reference
from grader.boundary import staging
from grader.boundary.returned import Problem, printable
from grader.boundary.sandbox import Sandbox
from grader.reporting.repeats import fold_repeated_errors
from grader.reporting.results import GATED, IMPORT_FAILED, MISSING_FUNCTION, SHOWN_AT_ONCE, GradingRun, TestResult
from grader.rubric import suite
from grader.rubric.checks import Failed, NothingToJudge, failed_by
from grader.rubric.feedback import say
from grader.session import Session

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from grader.answers.golden import GoldenOracle
    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.boundary.sandbox import ImportStatus, WorkerLost
    from grader.boundary.spawners import Spawner
    from grader.config import Limits, Settings
    from grader.session import AnyOracle

# Tests run grouped by visibility, in the order students get to see them,
# each group in a fresh worker. So nothing a test shown later does (hang,
# crash, spend the time budget, change the module's state, print) can reach
# the results or the printed output of a group shown earlier.
RELEASE_ORDER = config.VISIBILITIES  # SHOWN_AT_ONCE first, "hidden" last
NOT_IMPORTED = "Not run: the submission could not be imported (see the summary)."


def selected_tests(hidden: bool, graded: Sequence[str] | None = None) -> list[Any]:
    """The tests a run grades: the public suite, or both; of the functions ``graded`` (default every one)."""
    chosen = [
        t
        for t in suite.all_tests()
        if (hidden or t.__visibility__ == suite.PUBLIC) and (graded is None or t.__tags__[0] in graded)
    ]
    # A test that needs another function's tests (the training check) goes when that function is not graded.
    numbers = {t.__number__ for t in chosen}
    return [t for t in chosen if all(n in numbers for n in getattr(t, "__requires__", ()))]


def import_failure_text(
    status: ImportStatus | _ImportError, path: str | os.PathLike[str], provided: Sequence[str] = (), source: bytes = b""
) -> str:
    """Why the import failed and what to do; ``provided``: grader.yml's extra packages, ``source``: the file."""
    name = Path(path).name
    if status.lost is not None:
        text = f"{name} could not be imported: {status.lost.detail}."
        if status.lost.kind == "timeout":
            text += (
                '\nIs a long computation running at the top level of the file? Put it under if __name__ == "__main__":'
            )
        return text
    error = status.error or {}
    if error.get("type") in ("SyntaxError", "IndentationError", "TabError"):
        where = f" at line {error['line']}" if error.get("line") is not None else ""
        article = "an" if error["type"][0] in "AEIOU" else "a"
        text = printable(f"{name} has {article} {error['type']}{where}: {error.get('message')}")
        if error.get("text"):
            text += printable(f"\n    {error['text'].strip()}")
        indentation = error["type"] == "IndentationError" and saved_source.indents_with_tabs(source)
        if error["type"] == "TabError" or indentation:
            text += "\n  The file mixes tabs and spaces in its indentation: indent with spaces only."
        return text
    text = printable(
        f"{name} raised {error.get('type', 'an exception')} while being imported: {error.get('message', '')}"
    )
    frames = error.get("frames") or []
    if frames:
        text += f"\n  at line {frames[-1].get('line')}: {str(frames[-1].get('code', '')).strip()}"
    if error.get("type") == "ModuleNotFoundError":
        text += "\n  " + _only_provided(error, provided)
    if error.get("type") == "SystemExit":
        text += "\n  The file calls exit() at import time; remove it."
    if error.get("type") == "PermissionError":
        text += (
            "\n  While graded, your file may read only Python, numpy, utils and its own folder, and write only"
            " in its working folder: save files under a relative path, or not at import."
        )
    return text


def _only_provided(error: dict[str, Any], provided: Sequence[str]) -> str:
    import re

    missing = re.search(r"No module named '([^'.]+)", str(error.get("message", "")))
    module = missing.group(1) if missing else "the module"
    return (
        f"The grader provides {saved_source.only_provided(provided)}: remove the import of {module}"
        " (a module of your own must be submitted beside your file)."
    )


def rubric(tests: Sequence[Any], settings: Settings) -> tuple[dict[str, float], dict[str, str]]:
    """(points, visibility) per test: the catalogue's, with grader.yml's overrides applied.

    Points given for a function scale its tests in proportion; points given
    for a test number set that test. Visibility may name a test, a function
    or a suite ("public", "hidden").
    """
    numbers = {t.__number__ for t in suite.all_tests()}
    points = {t.__number__: float(t.__weight__) for t in tests}
    for key, value in settings.points:
        if key in registry.tags():
            members = [t.__number__ for t in suite.all_tests() if t.__tags__[0] == key]
            total = sum(float(t.__weight__) for t in suite.all_tests() if t.__tags__[0] == key)
            for number in members:
                if number in points:
                    points[number] = round(points[number] * value / total, 2)
        elif key not in numbers:
            raise config.ConfigError(
                f"{settings.source}: 'points.{key}' names no test or function; tests are "
                f"{', '.join(sorted(numbers))}, functions {', '.join(registry.tags())}"
            )
    tags = {t.__number__: t.__tags__ for t in tests}
    for number in points:
        if "efficiency" in tags[number]:
            points[number] = round(settings.efficiency_points / 2, 2)
        if "training" in tags[number]:
            points[number] = settings.training_points
    for key, value in settings.points:
        if key in points:
            points[key] = value
    visibility = {t.__number__: t.__visibility__ for t in tests}
    suites = {"public": suite.PUBLIC, "hidden": suite.HIDDEN}
    for scope in ("suite", "function", "test"):
        for key, value in settings.visibility:
            if key not in numbers and key not in registry.tags() and key not in suites:
                raise config.ConfigError(
                    f"{settings.source}: 'visibility.{key}' names no test, function or suite (public, hidden)"
                )
            for t in tests:
                hit = {
                    "suite": suites.get(key) == t.__visibility__,
                    "function": key == t.__tags__[0],
                    "test": key == t.__number__,
                }[scope]
                if hit:
                    visibility[t.__number__] = value
    _follow_requirements(tests, visibility, {key for key, _ in settings.visibility})
    _refuse_revealing_gates(tests, visibility, settings)
    return points, visibility


def _follow_requirements(tests: Sequence[Any], visibility: dict[str, str], named: set[str]) -> None:
    """The training check, unless grader.yml names it, is shown no earlier than the last test it needs.

    It needs tests of four functions; hiding any of them must not make a
    visible training check give their results away.
    """
    order = {v: i for i, v in enumerate(config.VISIBILITIES)}
    for t in tests:
        if "training" in t.__tags__ and t.__number__ not in named:
            shown = [visibility[n] for n in getattr(t, "__requires__", ()) if n in visibility]
            visibility[t.__number__] = max([visibility[t.__number__], *shown], key=order.__getitem__)


def _shown_whenever(dependent: str, required: str) -> bool:
    """Whether a test of visibility ``required`` is shown to students whenever one of ``dependent`` is."""
    return required == SHOWN_AT_ONCE or dependent == "hidden" or required == dependent


def _refuse_revealing_gates(tests: Sequence[Any], visibility: dict[str, str], settings: Settings) -> None:
    """A test credited only once another passes shows that one's result: it may not be shown earlier."""
    for t in tests:
        for number in getattr(t, "__requires__", ()):
            if number in visibility and not _shown_whenever(visibility[t.__number__], visibility[number]):
                raise config.ConfigError(
                    f"{settings.source}: test {t.__number__} ({visibility[t.__number__]}) is credited only once "
                    f"test {number} ({visibility[number]}) passes, so its score would reveal test {number}'s "
                    f"result before that is shown; give test {t.__number__} the visibility "
                    f"{visibility[number]} too, or make test {number} {visibility[t.__number__]}"
                )


def choose_oracle(settings: Settings, reference: str | os.PathLike[str] | None = None) -> Oracle | GoldenOracle:
    """The reference where it is installed, else the handout's shipped public answers."""
    if reference is not None or bundle.reference_file() is not None:
        return Oracle(load_reference(reference))
    golden = bundle.golden_file()
    if golden is None:
        raise ReferenceMissing(
            "this install has neither the reference nor the public answers "
            "(grader/golden.npz); reinstall the grader or the handout"
        )
    if settings.hidden:
        raise ReferenceMissing(
            "the hidden suite needs the reference solution, which the student "
            "handout does not include; run without --all"
        )
    from grader.answers.golden import GoldenOracle

    oracle = GoldenOracle(golden)
    oracle.verify(Session(None, oracle, settings))
    return oracle


def grade(
    submission: str | os.PathLike[str],
    seed: int | None = None,
    hidden: bool = False,
    settings: Settings | None = None,
    launcher: SandboxUser | SameUser | None = None,
    reference: str | os.PathLike[str] | None = None,
    config_path: str | os.PathLike[str] | None = None,
    oracle: AnyOracle | None = None,
    sandbox: Sandbox | None = None,
    spawner: Spawner | None = None,
) -> GradingRun:
    """Grade ``submission`` (a path to word2vec.py) and return a GradingRun.

    ``sandbox``: one already started for this submission (see Sandbox.start),
    so the worker boots while this process loads the reference; it is
    closed here. ``spawner``: a fork server that outlives this call, for
    grading many submissions (see grader.boundary.spawners).
    """
    settings = settings or config.load(config_path, seed=seed, hidden=hidden)
    started = time.monotonic()
    run = GradingRun(submission=str(submission), seed=settings.seed, hidden=settings.hidden)
    tests = selected_tests(settings.hidden, settings.functions)
    points, visibility = rubric(tests, settings)
    run.tests = [
        TestResult(
            t.__number__,
            t.__doc__.strip().splitlines()[0],
            tuple(t.__tags__),
            points[t.__number__],
            visibility[t.__number__],
        )
        for t in tests
    ]
    # The worker (or its fork server) starts before the reference is loaded, never after.
    sandbox = sandbox or Sandbox(submission, settings.limits, launcher, spawner).start()
    try:
        session_oracle = oracle or choose_oracle(settings, reference)
    except BaseException:
        sandbox.close()
        raise
    with sandbox:
        status = sandbox.check_import()
        run.layers = (sandbox.layers.lines() if sandbox.layers else []) + [f"note: {r}" for r in sandbox.retries]
        source = saved_source.read(submission)
        resave = saved_source.not_utf8(source, Path(submission).name)
        if not status.ok:
            run.imported = False
            if resave and saved_source.broke_the_import(status.error):
                run.summary = resave
            else:
                run.summary = import_failure_text(status, submission, settings.worker.packages, source)
            for result in run.tests:
                result.message, result.not_run = NOT_IMPORTED, IMPORT_FAILED
            _keep_printed(run, SHOWN_AT_ONCE, sandbox.take_output(), settings.limits)
        else:
            missing, summary = _missing(status, submission, settings, {t.__tags__[0] for t in tests}, sandbox)
            run.summary = "\n".join(summary)
            _run_in_release_order(run, tests, Session(sandbox, session_oracle, settings), missing, started)
            fold_repeated_errors(run)
        if resave and run.summary != resave:  # imported as the notebook does, but not runnable as a script
            warning = f"Warning: {resave}; import accepts it, but `python {Path(submission).name}` refuses to run it."
            run.summary = f"{run.summary}\n{warning}" if run.summary else warning
        run.execution_time = time.monotonic() - started
    if run.shown_seconds is None:
        run.shown_seconds = run.execution_time
    return run


def _run_in_release_order(
    run: GradingRun, tests: Sequence[Any], session: Session, missing: dict[str, str], started: float
) -> None:
    """Run the tests a group of one visibility at a time (see RELEASE_ORDER)."""
    passed: dict[str, bool] = {}
    for visibility in RELEASE_ORDER:
        group = [(t, r) for t, r in zip(tests, run.tests) if r.visibility == visibility]
        if group or visibility == SHOWN_AT_ONCE:  # that group also holds the import's output
            for test, result in group:
                _run_test(run, test, result, session, missing, passed)
            assert session.sandbox is not None  # grade() made the session with its sandbox
            _keep_printed(run, visibility, session.sandbox.take_output(), session.settings.limits)
        if visibility == SHOWN_AT_ONCE:
            run.shown_seconds = time.monotonic() - started


def _keep_printed(run: GradingRun, visibility: str, text: str, limits: Limits) -> None:
    """Keep an excerpt of what a group printed: as much as one worker's stdout and stderr.

    Each restarted worker adds an excerpt of its own, so a submission that
    crashes on every test could otherwise fill the report.
    """
    # Line ends and tabs kept readable; terminal escapes not kept at all.
    text = printable(text.replace("\r\n", "\n").expandtabs()).strip("\n")
    keep = 2 * limits.output_bytes
    if len(text) > keep:
        text = text[:keep] + f"\n... ({len(text) - keep} more characters not shown)"
    if text.strip():
        run.printed_during[visibility] = text


def _missing(
    status: ImportStatus, submission: str | os.PathLike[str], settings: Settings, graded: set[str], sandbox: Sandbox
) -> tuple[dict[str, str], list[str]]:
    """(tag -> why its tests cannot run, the summary's lines) for the graded functions that are not there.

    A file besides the submission (sgd.py) is imported on its own, after the
    submission: a missing, broken or hanging one costs only its functions' tests.
    """
    missing: dict[str, str] = {}
    summary: list[str] = []
    submission = Path(submission)
    for function in registry.functions():
        if function.tag not in graded:
            continue
        state = status.functions.get(function.name, "missing")
        if function.source != registry.SIGMOID.source:
            beside = submission.parent / function.source
            if beside.is_file() and not staging.regular(beside):
                missing[function.tag] = f"{function.source} is not a file the grader can take"
                summary.append(
                    f"{function.source} is a link or larger than {staging.MODULE_MIB} MiB, so the grader does not "
                    f"take it and {function.name} is not graded: submit {function.source} itself."
                )
                continue
            if not beside.is_file():
                missing[function.tag] = f"{function.source} is not in the submission"
                summary.append(
                    f"{function.source} is not in the submission, so {function.name} is not graded: "
                    f"its tests score 0, and the others are graded as usual. Submit {function.source} "
                    f"beside {submission.name}."
                )
                continue
            probed = _probe(sandbox, function)
            if "functions" not in probed:
                missing[function.tag] = f"{function.source} could not be imported"
                failure = _ImportError(probed.get("error"), probed.get("lost"))
                path = submission.parent / function.source
                text = import_failure_text(failure, path, settings.worker.packages, saved_source.read(path))
                summary.append(f"{text}\n  The {function.tag} tests score 0; the others are graded as usual.")
                continue
            state = probed["functions"].get(function.name, "missing")
        if state != "ok":
            missing[function.tag] = f"{function.name} is not defined as a function in {function.source}"
            summary.append(f"{function.name} is {state} in {function.source}; its tests score 0.")
    return missing, summary


def _probe(sandbox: Sandbox, function: registry.GradedFunction) -> dict[str, Any]:
    """Have the worker import ``function``'s file: {"functions": {name: status}}, {"error": ...} or {"lost": ...}."""
    from grader.boundary.returned import clean_error
    from grader.boundary.sandbox import WorkerLost

    try:
        reply = sandbox.request(function.name, [], op="import", source=function.source, names=[function.name])
    except WorkerLost as lost:
        if lost.kind == "timeout":
            lost = WorkerLost("timeout", f"importing it took longer than {sandbox.limits.call_seconds:g} s")
        return {"lost": lost}
    listed = reply.get("functions")
    if reply.get("imported") is True and isinstance(listed, dict):
        return {"functions": {str(k): v for k, v in listed.items() if isinstance(v, str)}}
    return {"error": clean_error(reply.get("error")) or {"type": "ProtocolError", "message": "malformed reply"}}


@dataclass
class _ImportError:
    """A companion file's import error, shaped as import_failure_text reads it."""

    error: dict[str, Any] | None
    lost: WorkerLost | None = None


def _run_test(
    run: GradingRun, test: Any, result: TestResult, session: Session, missing: dict[str, str], passed: dict[str, bool]
) -> None:
    """Run one test into ``result``; ``passed`` maps the numbers run so far to whether they passed."""
    if result.function in missing:
        result.message = f"Not run: {missing[result.function]}."
        result.not_run = MISSING_FUNCTION
    elif not getattr(test, "__where_right__", False) and not all(
        passed.get(n) for n in getattr(test, "__requires__", ())
    ):
        failed = [n for n in test.__requires__ if not passed.get(n)]
        functions = {r.number: r.tags[0] for r in run.tests}
        result.message = say(
            "gated",
            test=f"test {result.number}",
            needs=test.__requires__,
            failed=[(n, registry.by_tag(functions[n]).name) for n in failed],
            scored=result.max_score > 0,
        )
        result.not_run = GATED
    else:
        begun = time.monotonic()
        try:
            note = test(session)
            result.passed, result.score = True, result.max_score
            result.message = f"Passed. {note}" if note else "Passed."
        except NothingToJudge as nothing:
            result.message = say(
                "gated_where", test=f"test {result.number}", needs=test.__requires__, why=nothing.message
            )
            result.not_run = GATED
        except (Failed, Problem) as failure:
            verdict = failure if isinstance(failure, Failed) else failed_by(failure)
            result.message, result.hint, result.error = verdict.message, verdict.hint or "", verdict.error
        except Exception:
            print(f"grader error in test {result.number}:\n{traceback.format_exc()}", file=sys.stderr)
            result.message = (
                "The grader hit an internal error on this test; course staff "
                "have the details. It is not counted against you yet."
            )
            result.grader_error = True
            run.internal_error = True
        result.figures = session.take_figures()
        result.seconds = time.monotonic() - begun
    passed[result.number] = result.passed
