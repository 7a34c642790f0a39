"""Grading many submissions at once: one grading process per sandbox slot.

Each grading process is a fork of this trusted process on Linux (a fresh
interpreter elsewhere), numbered by a slot k = 0..jobs-1, and holds a
sandbox uid of its own for its whole life (``launcher()``; see
grader.boundary.uids): the cleanup after a worker kills every process of
that uid, so no two processes, of this batch or of any other run, share
one. The processes are our own rather than a ProcessPoolExecutor's so that
a process that dies is pinned to the submission it was grading, and its
replacement gets the same slot.

Nothing here decides a score: ``grader.grading.grade`` does, exactly as on
Gradescope. This module only turns whatever happens into an ``Outcome``.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.context import ForkContext, SpawnContext

    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.boundary.spawners import Spawner
    from grader.config import Limits, Settings
    from grader.instructor.batch.submissions import Submission
    from grader.reporting.results import TestResult

GRADED = "graded"
IMPORT_FAILED = "import failed"
NO_SUBMISSION = "no submission"
GRADER_ERROR = "grader error"

# A file this large is left out of the staged copy of a submission folder.
STAGED_FILE_LIMIT = 20 * 2**20
# A grading process that fails this many times in a row before it is ready
# means the machine, not a submission, is at fault.
STARTUP_ATTEMPTS = 3
# This process's ends of its grading processes' pipes. A forked grading
# process closes its copies at once: holding one, it would never see EOF
# when this process dies, and would wait forever.
_PARENT_ENDS: list[multiprocessing.connection.Connection] = []


class GradingProcessesFailed(Exception):
    """The grading processes themselves cannot run; the message says why."""


@dataclass
class Outcome:
    """What the batch keeps of one submission.

    kind -- GRADED, IMPORT_FAILED, NO_SUBMISSION or GRADER_ERROR.
    detail -- what went wrong, in a line, for every kind but GRADED.
    total -- points, 0 unless graded or import failed (which scores 0 anyway).
    functions -- points per function tag.
    tests -- one TestSummary per test of the catalogue; empty when none ran.
    report -- the text report (for a grader error: what went wrong, for course staff).
    results -- what Gradescope's results.json would have held.
    log -- what the grader itself wrote on stderr while grading (tracebacks of its bugs).
    layers -- the protections in force around the worker ("layer: how" or "layer: missing: why").
    junit -- the JUnit XML ``local --format junit`` would have written.
    html -- the HTML report ``local --format html`` would have written, figures included; "" when none ran.
    """

    kind: str
    detail: str = ""
    total: float = 0.0
    functions: dict[str, float] = field(default_factory=dict)
    tests: list[TestSummary] = field(default_factory=list)
    report: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    layers: list[str] = field(default_factory=list)
    junit: str = ""
    html: str = ""

    @property
    def status(self) -> str:
        """The kind, and what went wrong, in one line: scores.csv's status column."""
        return f"{self.kind}: {self.detail}" if self.detail else self.kind

    @property
    def ran(self) -> bool:
        """Whether the catalogue ran on the submission."""
        return bool(self.tests)


@dataclass(frozen=True)
class TestSummary:
    """One test's verdict for the summary page: hints are its "Likely cause" lines, if it failed."""

    number: str
    name: str
    function: str
    passed: bool
    hints: tuple[str, ...] = ()


def summarise(test: TestResult) -> TestSummary:
    hints = (test.hint,) if test.hint and not test.passed else ()
    return TestSummary(test.number, test.name, test.function, test.passed, hints)


def missing_outcome(submission: Submission) -> Outcome:
    from grader.instructor.gradescope import not_found_json
    from grader.reporting import junit

    return Outcome(
        NO_SUBMISSION,
        submission.missing,
        report=submission.missing + "\n",
        results=not_found_json(submission.missing),
        junit=junit.serialize(junit.not_graded(submission.missing)),
    )


def failed_outcome(kind: str, detail: str, log: str = "") -> Outcome:
    from grader.reporting import junit
    from grader.reporting.results import grader_failure_json

    report = f"The grader failed on this submission: {kind}\n\n{detail}"
    return Outcome(
        GRADER_ERROR,
        kind,
        report=report,
        results=grader_failure_json(kind),
        log=log,
        junit=junit.serialize(junit.not_graded(f"The grader failed on this submission: {kind}", report, True)),
    )


def grade_submission(
    submission: Submission,
    settings: Settings,
    launcher: SandboxUser | SameUser | None,
    spawner: Spawner | None = None,
) -> Outcome:
    """Grade one submission; any exception becomes a grader-error Outcome."""
    from grader.grading import grade
    from grader.reporting import junit, report

    log = io.StringIO()
    try:
        with contextlib.redirect_stderr(log), staged(submission) as path:
            run = grade(path, settings=settings, launcher=launcher, spawner=spawner)
        run.submission = str(submission.file)  # reports name the original, not the staged copy
        functions = {tag: got for tag, (got, _) in run.by_function().items()}
        if run.internal_error:  # the score is withheld: 0, like on Gradescope
            kind, detail, functions = GRADER_ERROR, "internal error in a test", {}
        elif not run.imported:
            kind, detail = IMPORT_FAILED, (run.summary.strip() or "no reason given").splitlines()[0]
        else:
            kind, detail = GRADED, ""
        return Outcome(
            kind,
            detail,
            run.score,
            functions,
            [summarise(t) for t in run.tests],
            report.text(run),
            report.results_json(run),
            log.getvalue(),
            run.layers,
            junit.text(run),
            report.html(run),
        )
    except Exception as exc:
        return failed_outcome(type(exc).__name__, traceback.format_exc(), log.getvalue())


@contextlib.contextmanager
def staged(submission: Submission) -> Iterator[Path]:
    """A private copy of the submission's own folder.

    A folder of .py files would put every other student's file beside the
    submission, where the worker looks for helper modules; a copy per
    submission avoids that. The sandbox then stages what it needs of the
    copy where the sandbox user can read it (grader.boundary.staging).
    """
    # Only submissions with a file are graded, and collect() gives each of those a root.
    assert submission.file is not None and submission.root is not None
    top = Path(tempfile.mkdtemp(prefix="grader-batch-"))
    try:
        folder = top / "submission"
        if submission.root.is_dir():
            _copy_regular_files(submission.root, folder)
            path = folder / submission.file.relative_to(submission.root)
        elif submission.file != submission.root:  # a zip: only its .py files, written here
            from grader.instructor.batch.archives import extract_python

            extract_python(submission.root, folder)
            yield folder / submission.file.relative_to(submission.root)
            return
        else:
            path = folder / submission.file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(submission.file, path)
        yield path
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _copy_regular_files(source: Path, target: Path) -> None:
    for folder, subfolders, names in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        subfolders[:] = [d for d in subfolders if not os.path.islink(os.path.join(folder, d))]
        for name in names:
            original = os.path.join(folder, name)
            if (
                os.path.isfile(original)
                and not os.path.islink(original)
                and os.path.getsize(original) <= STAGED_FILE_LIMIT
            ):
                shutil.copyfile(original, here / name)


def task_seconds(limits: Limits) -> float:
    """How long one submission may take before its grading process is presumed stuck.

    grade() ends a run after limits.total_seconds, but one last import and
    call may still be under way; twice that and a minute is a grader bug.
    """
    return 2 * (limits.total_seconds + limits.import_seconds + limits.call_seconds) + 60


def _serve(slot: int, connection: multiprocessing.connection.Connection, settings: Settings) -> None:
    """A grading process: take submissions from ``connection`` until told to stop."""
    from grader.boundary.privileges import SandboxUnavailable, launcher
    from grader.boundary.spawners import default_spawner

    for end in _PARENT_ENDS:
        end.close()  # forked: the parent's ends of every pipe, so its death reads as EOF here
    spawner = None
    try:
        try:
            sandbox_user = launcher(required=True, quiet=True)
        except SandboxUnavailable as unavailable:
            connection.send(("unavailable", str(unavailable)))
            return
        # One fork server for every submission this process grades, started
        # before grading loads the reference (it is exec'd, so holds none of it anyway).
        spawner = default_spawner().start()
        connection.send(("ready", slot))
        while True:
            try:
                submission = connection.recv()
            except EOFError:
                return
            if submission is None:
                return
            connection.send(("graded", submission.id, grade_submission(submission, settings, sandbox_user, spawner)))
    except KeyboardInterrupt:
        return
    finally:
        if spawner is not None:
            spawner.close()


class _GradingProcess:
    """One spawned grading process, the slot it owns and the submission it is on."""

    def __init__(self, context: ForkContext | SpawnContext, slot: int, settings: Settings) -> None:
        self.slot = slot
        self.connection, theirs = context.Pipe()
        _PARENT_ENDS.append(self.connection)
        self.process = context.Process(
            target=_serve, args=(slot, theirs, settings), name=f"grader-batch-{slot}", daemon=True
        )
        self.process.start()
        theirs.close()
        self.ready = False
        self.submission: Submission | None = None
        self.started = 0.0

    def give(self, submission: Submission) -> bool:
        """Hand over a submission; False when the process is already gone (it then gets none)."""
        try:
            self.connection.send(submission)
        except OSError:
            return False
        self.submission, self.started = submission, time.monotonic()
        return True

    def receive(self) -> tuple[Any, ...] | None:
        """The next message, or None when the process has died."""
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            return None

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.connection.send(None)

    def end(self, seconds: float = 5.0) -> None:
        self.process.join(seconds)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()
        if self.connection in _PARENT_ENDS:
            _PARENT_ENDS.remove(self.connection)

    def death(self) -> str:
        self.process.join(1.0)  # the pipe closes a moment before the exit is reaped
        code = self.process.exitcode
        if code is not None and code < 0 and -code in signal.Signals._value2member_map_:
            return f"grading process died ({signal.Signals(-code).name})"
        return f"grading process died (exit status {code})"


def grade_all(
    submissions: Iterable[Submission],
    settings: Settings,
    jobs: int,
    done: Callable[[Submission, Outcome], None],
) -> None:
    """Grade ``submissions`` with ``jobs`` processes; call done(submission, outcome) as each ends.

    Every submission gets exactly one Outcome. A process that dies or hangs
    costs only the submission it was grading, and is replaced on its slot.
    """
    pending = deque(submissions)
    if not pending:
        return
    # Forked, the grading processes start with numpy, the catalogue and the
    # reference already loaded instead of importing them again, as each one
    # of the fork server's children does. Everything forked here is trusted;
    # student code only ever runs in the workers, which are never forked
    # from this process. macOS's system libraries are not fork-safe.
    context = cast(
        "ForkContext | SpawnContext",
        multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn"),
    )
    limit = task_seconds(settings.limits)
    processes = [_GradingProcess(context, slot, settings) for slot in range(min(jobs, len(pending)))]
    failed_starts = {p.slot: 0 for p in processes}
    unfinished = len(pending)
    try:
        while unfinished:
            waiting_on = [p.connection for p in processes] + [p.process.sentinel for p in processes]
            signalled = set(multiprocessing.connection.wait(waiting_on, timeout=1.0))
            for index, grading in enumerate(processes):
                message = None
                if grading.connection in signalled or grading.process.sentinel in signalled:
                    message = grading.receive()
                    if message is None:
                        processes[index] = _replace(context, grading, settings, failed_starts, done, grading.death())
                        unfinished -= grading.submission is not None
                        continue
                elif grading.submission is not None and time.monotonic() - grading.started > limit:
                    grading.process.kill()
                    processes[index] = _replace(
                        context, grading, settings, failed_starts, done, f"grading took longer than {limit:g} s"
                    )
                    unfinished -= 1
                    continue
                if message is not None:
                    kind = message[0]
                    if kind == "unavailable":
                        from grader.boundary.privileges import SandboxUnavailable

                        raise SandboxUnavailable(message[1])
                    if kind == "ready":
                        grading.ready = True
                        failed_starts[grading.slot] = 0
                    elif kind == "graded":
                        submission, grading.submission = grading.submission, None
                        assert submission is not None  # "graded" answers a submission given to it
                        done(submission, message[2])
                        unfinished -= 1
                if grading.ready and grading.submission is None and pending:
                    if not grading.give(pending[0]):
                        continue  # its death is noticed on the next round
                    pending.popleft()
    finally:
        for grading in processes:
            grading.stop()
        for grading in processes:
            grading.end()


def _replace(
    context: ForkContext | SpawnContext,
    grading: _GradingProcess,
    settings: Settings,
    failed_starts: dict[int, int],
    done: Callable[[Submission, Outcome], None],
    reason: str,
) -> _GradingProcess:
    """Record the dead process's submission as a grader error and start its slot again."""
    grading.end(seconds=0.5)
    if grading.submission is not None:
        done(grading.submission, failed_outcome(reason, f"{reason} while grading {grading.submission.file}.\n"))
    elif not grading.ready:
        failed_starts[grading.slot] += 1
        if failed_starts[grading.slot] >= STARTUP_ATTEMPTS:
            raise GradingProcessesFailed(f"grading process {grading.slot} could not start: {reason}")
    return _GradingProcess(context, grading.slot, settings)
