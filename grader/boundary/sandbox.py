"""Trusted side of the process boundary: start, talk to and kill the worker.

The worker runs ``grader.worker.serve`` in a process of its own, forked by
the fork server or exec'd (``grader.boundary.spawners``), never forked from this
process, which may hold the reference. This module sends it requests,
waits with a deadline, and hands back the raw replies; it never imports
the submission and never unpickles anything.
"""

from __future__ import annotations

import functools
import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from grader import registry
from grader.boundary import portable
from grader.boundary.portable import PortableProcess, PortableSpawner, ThreadedReplies
from grader.boundary.spawners import (
    RLIMIT_AS_ENFORCED,
    ExecSpawner,
    WorkerStartFailed,
    default_spawner,
    forced_off,
    worker_environment,
)
from grader.boundary.staging import Snapshot
from grader.bundle import template_folder
from grader.config import Limits
from grader.protocol import frames

if TYPE_CHECKING:
    from collections.abc import Callable

    from grader.boundary.privileges import SameUser, SandboxUser
    from grader.boundary.spawners import ExecProcess, ForkedProcess, Spawner


# Windows has no SIGKILL; a worker there never ends with -9.
SIGKILL = getattr(signal, "SIGKILL", 9)


class WorkerLost(Exception):
    """The worker died, hung or broke the protocol; ``kind`` says which."""

    def __init__(self, kind: str, detail: str, killed: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind  # "timeout" | "crashed" | "protocol"
        self.detail = detail
        self.killed = killed  # ended by SIGKILL: a limit, or someone outside the worker


@dataclass(frozen=True)
class Layers:
    """Each protection around the worker: how it holds, or "missing: why"."""

    user_switch: str
    rlimits: str
    filesystem: str
    network: str
    cleanup: str

    # (field, label in the listing, what its absence means in plain words)
    LABELS = (
        ("user_switch", "user switch", "no separate user"),
        ("rlimits", "rlimits", "no resource limits"),
        ("filesystem", "filesystem view", "no file isolation"),
        ("network", "network", "no network isolation"),
        ("cleanup", "cleanup", "no cleanup of the processes it starts"),
    )

    def lines(self) -> list[str]:
        return [f"{label}: {getattr(self, name)}" for name, label, _ in self.LABELS]

    def missing(self) -> list[str]:
        """What the layers not in force leave out, in plain words."""
        return [plain for name, _, plain in self.LABELS if getattr(self, name).startswith("missing")]


@dataclass
class ImportStatus:
    ok: bool
    functions: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # the worker's description of the exception
    lost: WorkerLost | None = None  # the worker died or hung while importing


class OutputDrain(threading.Thread):
    """Reads a worker pipe to the end, keeping a bounded excerpt."""

    def __init__(self, stream: IO[bytes], keep: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.keep = keep
        self.kept = bytearray()
        self.total = 0

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.keep - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
        except (OSError, ValueError):
            pass

    def excerpt(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        if self.total > len(self.kept):
            text += f"\n... ({self.total - len(self.kept)} more bytes not shown)"
        return text


class SelectedReplies:
    """The worker's replies on a pipe descriptor, waited for with select (POSIX)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self, seconds: float) -> bytes | None:
        """The next chunk; b"" once the worker's end is closed; None if nothing came in ``seconds``."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        return os.read(self.fd, 1 << 20) if ready else None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class Worker:
    """One live sandboxed process and its two pipes."""

    def __init__(
        self,
        snapshot: Snapshot | None,
        submission: str | os.PathLike[str],
        limits: Limits,
        launcher: SandboxUser | SameUser | None,
        spawner: Spawner,
    ) -> None:
        self.limits = limits
        self.launcher = launcher
        spec: dict[str, Any] = {
            "config": {
                "submission": str(submission),
                "utils_parent": str(template_folder()),
                "functions": [f.name for f in registry.functions() if f.source == registry.SIGMOID.source],
                "limits": {
                    "memory_bytes": limits.memory_mb * 2**20,
                    "cpu_seconds": limits.cpu_seconds,
                    "processes": limits.processes,
                    "file_bytes": limits.file_mb * 2**20,
                    "open_files": limits.open_files,
                },
            },
            "env": worker_environment(),
            "cwd": str(Path(submission).parent),
        }
        spec["config"]["without"] = forced_off()
        self.spawner = spawner
        if launcher is not None:
            spec = launcher.prepare(spec, snapshot, spawner)
        self.process: ExecProcess | ForkedProcess | PortableProcess
        self._writer: threading.Thread | None = None  # the portable worker's request writer, if one ran
        self._replies: SelectedReplies | ThreadedReplies
        if isinstance(spawner, PortableSpawner):
            self.process = spawner.spawn(spec)
            popen = self.process.popen
            assert popen.stdin is not None and popen.stdout is not None and popen.stderr is not None
            self._request_write = popen.stdin.fileno()
            # Closed through its file object: closing the bare descriptor would leave
            # the object to close that number again later, when a new worker may own it.
            self._close_requests: Callable[[], None] = popen.stdin.close
            self._replies = ThreadedReplies(popen.stdout)
            out, err = portable.nothing(), popen.stderr
        else:
            request_read, self._request_write = os.pipe()
            reply_read, reply_write = os.pipe()
            out_read, out_write = os.pipe()
            err_read, err_write = os.pipe()
            try:
                self.process = spawner.spawn(spec, (request_read, reply_write, out_write, err_write))
            except BaseException:
                for fd in (self._request_write, reply_read, out_read, err_read):
                    os.close(fd)
                raise
            finally:
                for fd in (request_read, reply_write, out_write, err_write):
                    os.close(fd)
            self._replies = SelectedReplies(reply_read)
            self._close_requests = functools.partial(os.close, self._request_write)
            out, err = open(out_read, "rb"), open(err_read, "rb")
        if hasattr(launcher, "started"):
            launcher.started(self.process)  # type: ignore[union-attr]
        self.stdout = OutputDrain(out, limits.output_bytes)
        self.stderr = OutputDrain(err, limits.output_bytes)
        self.stdout.start()
        self.stderr.start()
        self._frames = frames.FrameBuffer(limits.reply_mb * 2**20)

    def send(self, message: Any, seconds: float) -> None:
        """Write one request within ``seconds``: a worker that stops reading cannot hold this process."""
        data = frames.pack(message)
        try:
            if isinstance(self.process, PortableProcess):
                sent = self._write_from_thread(data, seconds)
            else:
                sent = self._write_when_ready(data, seconds)
        except OSError:  # BrokenPipeError above all: the worker has ended
            raise self._crashed() from None
        if not sent:
            raise WorkerLost("timeout", f"the worker took no request within {seconds:g} s")

    def _write_when_ready(self, data: bytes, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        os.set_blocking(self._request_write, False)
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            _, ready, _ = select.select([], [self._request_write], [], remaining)
            if ready:
                try:
                    view = view[os.write(self._request_write, view) :]
                except BlockingIOError:
                    pass
        return True

    def _write_from_thread(self, data: bytes, seconds: float) -> bool:
        # Windows cannot wait on a pipe: a thread writes, and this one waits for it.
        failed: list[OSError] = []

        def write() -> None:
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(self._request_write, view) :]
            except OSError as error:
                failed.append(error)

        self._writer = threading.Thread(target=write, daemon=True)
        self._writer.start()
        self._writer.join(seconds)
        if failed:
            raise failed[0]
        return not self._writer.is_alive()

    def receive(self, seconds: float) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            try:
                found, message = self._frames.next()
            except frames.FrameTooLarge as large:
                raise WorkerLost(
                    "protocol",
                    f"the worker sent a reply of {large.length} bytes, over the {self.limits.reply_mb} MiB limit",
                ) from None
            except frames.FrameError as exc:
                raise WorkerLost("protocol", str(exc)) from None
            if found:
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerLost("timeout", f"no answer within {seconds:g} s")
            chunk = self._replies.read(remaining)
            if chunk is None:
                continue
            if not chunk:
                raise self._crashed()
            self._frames.feed(chunk)

    def _crashed(self) -> WorkerLost:
        """WorkerLost for a worker that ended; WorkerStartFailed, raised, for one that never began."""
        if self.process.pid is None:
            raise WorkerStartFailed(self.process.failed or "the worker process was never started")
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return WorkerLost("crashed", "the grading process stopped answering")
        assert code is not None  # a process that never began raised above
        over = getattr(self.process, "over_memory", None)
        if over is not None:
            return WorkerLost(
                "crashed",
                f"the grading process was ended for using {over / 2**20:.0f} MiB of memory, "
                f"over the {self.limits.memory_mb} MiB limit",
            )
        return WorkerLost("crashed", _exit_description(code), killed=code == -SIGKILL)

    def kill(self) -> None:
        """End the worker and everything it started."""
        if isinstance(self.process, PortableProcess):
            # Killed first: taskkill /T finds the worker's children only while it lives, and a
            # writer thread still blocked on the request pipe ends once the worker is gone.
            self.process.kill_tree()
            if self._writer is not None:
                self._writer.join(5)
        if self._writer is None or not self._writer.is_alive():  # never close a descriptor still in use
            try:
                self._close_requests()
            except OSError:
                pass
        self._replies.close()
        if not isinstance(self.process, PortableProcess) and self.process.pid is not None:  # None: never started
            try:
                os.killpg(self.process.pid, SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            if self.launcher is not None:
                self.launcher.kill_leftovers(self.spawner)  # SweepFailed goes on up, once this worker is done
        finally:
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            self.stdout.join(timeout=1)
            self.stderr.join(timeout=1)


def _exit_description(code: int) -> str:
    """A worker's exit status in words, with the likely cause."""
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        reason = {
            "SIGKILL": " (killed: memory or CPU limit?)",
            "SIGSEGV": " (segmentation fault)",
            "SIGXCPU": " (CPU time limit)",
            "SIGXFSZ": " (file size limit)",
        }.get(name, "")
        return f"the grading process was ended by {name}{reason}"
    if code >= 0xC0000000:  # a Windows exception status (NTSTATUS): a crash, not an exit()
        reason = WINDOWS_CRASHES.get(code, "")
        return f"the grading process crashed (Windows status {code:#010x}{': ' + reason if reason else ''})"
    return f"the grading process exited with status {code} (exit() or os._exit() in the submission?)"


WINDOWS_CRASHES = {
    0xC0000005: "access violation",
    0xC0000017: "out of memory",
    0xC00000FD: "stack overflow (recursion too deep?)",
    0xC0000409: "stack buffer overrun",
    0xC000013A: "interrupted",
}


class Sandbox:
    """The student's module behind a process boundary, with a fresh worker on demand.

    A timeout, crash or protocol breach costs only the request it happened
    in: the worker is killed and the next request starts a new one. A
    function that hung once is not called again, so a hang costs its time
    limit once, not once per test.
    """

    def __init__(
        self,
        submission: str | os.PathLike[str],
        limits: Limits,
        launcher: SandboxUser | SameUser | None = None,
        spawner: Spawner | None = None,
    ) -> None:
        """``spawner``: a fork server shared by many sandboxes (a batch); by default one of its own."""
        self.submission = Path(submission).resolve()
        self._snapshot: Snapshot | None = None
        self.limits = limits
        if launcher is None:
            from grader.boundary.privileges import launcher as default_launcher

            launcher = default_launcher()
        self.launcher = launcher
        self._own_spawner = spawner is None
        self.spawner = spawner or default_spawner()
        self._worker: Worker | None = None
        self._booting: Worker | None = None  # spawned by start(), not yet greeted
        self._next_id = 0
        self.import_status: ImportStatus | None = None
        self.hung: dict[str, WorkerLost] = {}  # function name -> WorkerLost
        self.started_at = time.monotonic()
        self.output: list[str] = []  # excerpts of what the submission printed
        self.layers: Layers | None = None  # what the last booted worker had in force
        self.retries: list[str] = []  # workers started again, and why: for the staff log

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> Sandbox:
        """Spawn the first worker now and return at once, so it boots while the caller works."""
        if self._worker is None and self._booting is None:
            self._booting = self._new_worker()
        return self

    def _start(self, retried: bool = False) -> Worker | None:
        worker, self._booting = self._booting or self._new_worker(), None
        self._boot(worker)
        try:
            hello = worker.receive(self.limits.import_seconds)
        except WorkerStartFailed:
            self._retire(worker)
            raise
        except WorkerLost as lost:
            self._retire(worker)
            if lost.killed and not retried:
                # SIGKILL while importing is a limit, or someone outside (an
                # administrator, the OOM killer): one more try tells them apart.
                self.retries.append(f"the worker was killed while importing the submission ({lost.detail}); retried")
                return self._start(retried=True)
            if lost.kind == "timeout":
                lost = WorkerLost(
                    "timeout", f"importing the submission took longer than {self.limits.import_seconds:g} s"
                )
            self.import_status = ImportStatus(ok=False, lost=lost)
            return None
        if not isinstance(hello, dict) or not hello.get("ready"):
            from grader.boundary.returned import clean_error

            error = clean_error(hello.get("error")) if isinstance(hello, dict) else None
            self._retire(worker)
            self.import_status = ImportStatus(
                ok=False, error=error or {"type": "ProtocolError", "message": "bad greeting"}
            )
            return None
        listed = hello.get("functions")
        functions = listed if isinstance(listed, dict) else {}
        functions = {str(k): v for k, v in functions.items() if isinstance(v, str)}
        self.import_status = ImportStatus(ok=True, functions=functions)
        return worker

    def _boot(self, worker: Worker) -> None:
        """Wait for the worker to say it is ready to import the submission: until then, all is the grader's.

        A worker that dies or hangs before that (an unreadable grader file, a
        memory limit too small for numpy) is a WorkerStartFailed, and what it
        printed goes with that message, never into the submission's output.
        """
        try:
            said = worker.receive(self.limits.import_seconds)
            if isinstance(said, dict) and said.get("booted") is True:
                self._note_layers(said.get("layers"))
                watch = getattr(worker.process, "watch", None)
                if watch is not None:
                    watch.follow(said.get("pid"))
                if isinstance(worker.process, PortableProcess):
                    worker.send({"op": "go"}, self.limits.import_seconds)
                return
            problem = "it answered out of turn"
        except WorkerStartFailed:
            worker.kill()
            raise
        except WorkerLost as lost:
            problem = lost.detail
        worker.kill()
        printed = "\n".join(d.excerpt().strip() for d in (worker.stdout, worker.stderr) if d.excerpt().strip())
        raise WorkerStartFailed(
            f"the worker failed before it imported the submission: {problem}"
            + (f"\n{printed[-2000:]}" if printed else "")
        )

    def _note_layers(self, told: object) -> None:
        """What is in force, from the launcher (user switch, cleanup) and the booted worker (the rest).

        Told before any student code ran, so it is the grader's own word.
        """
        layers = {k: v for k, v in told.items() if isinstance(v, str)} if isinstance(told, dict) else {}
        if isinstance(self.spawner, ExecSpawner) and not RLIMIT_AS_ENFORCED and "rlimits" in layers:
            layers["rlimits"] += "; memory watched by the grader too (this kernel does not enforce RLIMIT_AS)"
        if isinstance(self.spawner, PortableSpawner):
            portable = f"missing: portable worker ({self.spawner.why})"
            layers.update(
                rlimits=f"{portable}; each call timed by the grader, {self.spawner.memory_watch()}",
                filesystem=f"{portable}: it reads and writes what you can, from a scratch folder of its own",
                network=portable,
            )
        launcher = self.launcher
        user_switch = launcher.user_switch() if launcher is not None else "missing: no launcher"
        if "capabilities" in layers:
            user_switch += f"; {layers['capabilities']}"
        self.layers = Layers(
            user_switch=user_switch,
            rlimits=layers.get("rlimits", "missing: the worker did not say"),
            filesystem=layers.get("filesystem", "missing: the worker did not say"),
            network=layers.get("network", "missing: the worker did not say"),
            cleanup=launcher.cleanup(self.spawner) if launcher is not None else "missing: no launcher",
        )

    def _new_worker(self) -> Worker:
        # A launcher that switches users gets copies of the submission, read once,
        # whatever the caller's folders; one that does not reads it in place.
        if self._snapshot is None and getattr(self.launcher, "stages_submission", False):
            self._snapshot = Snapshot.read(self.submission)
        return Worker(self._snapshot, self.submission, self.limits, self.launcher, self.spawner.start())

    def _retire(self, worker: Worker) -> None:
        worker.kill()
        for drain in (worker.stdout, worker.stderr):
            text = drain.excerpt()
            if text.strip():
                self.output.append(text)

    def check_import(self) -> ImportStatus:
        if self.import_status is None:
            self._worker = self._start()
        assert self.import_status is not None  # _start() always sets it
        return self.import_status

    def request(
        self, function: str, calls: list[dict[str, Any]], retried: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Send one batch of calls; return the worker's reply dict or raise WorkerLost.

        A worker killed by SIGKILL mid-request was, short of a limit no call
        reaches in its time, killed from outside: the request is sent once
        more to a fresh worker before it counts against the submission.
        """
        if function in self.hung:
            raise self.hung[function]
        if time.monotonic() - self.started_at > self.limits.total_seconds:
            raise WorkerLost("timeout", "the grading run used up its total time budget")
        if self._worker is None:
            if self.import_status is not None and not self.import_status.ok:
                raise WorkerLost("crashed", "the submission could not be imported")
            self._worker = self._start()
            if self._worker is None:
                raise WorkerLost("crashed", "the submission could not be imported")
        self._next_id += 1
        message = {"op": "call", **options, "id": self._next_id, "function": function, "calls": calls}
        try:
            deadline = time.monotonic() + self.limits.call_seconds
            self._worker.send(message, self.limits.call_seconds)
            reply = self._worker.receive(deadline - time.monotonic())
            if not isinstance(reply, dict) or reply.get("id") != self._next_id:
                raise WorkerLost("protocol", "the worker answered out of turn")
            return reply
        except WorkerLost as lost:
            self._retire(self._worker)
            self._worker = None
            if lost.killed and not retried:
                self.retries.append(f"the worker was killed during a call to {function} ({lost.detail}); retried")
                return self.request(function, calls, retried=True, **options)
            if lost.kind == "timeout":
                lost = WorkerLost(
                    "timeout", f"{function} did not return within {self.limits.call_seconds:g} s (an endless loop?)"
                )
                self.hung[function] = lost
            raise lost

    def take_output(self) -> str:
        """What the submission printed since the last call, and end its worker.

        Ending the worker is what makes the cut exact: nothing the submission
        prints from now on, whatever it does, can join what is returned. The
        next request starts a fresh worker, which imports the submission again.
        """
        for worker in (self._worker, self._booting):
            if worker is not None:
                self._retire(worker)
        self._worker = self._booting = None
        taken, self.output = self.output, []
        return "\n".join(taken)

    def close(self) -> None:
        """Kill the worker (its output is unbuffered, so nothing it printed is lost) and sweep.

        A sweep that fails (SweepFailed) is raised once everything else is
        closed: the other worker retired, the fork server ended.
        """
        workers = [w for w in (self._worker, self._booting) if w is not None]
        self._worker = self._booting = None
        retired: list[Worker] = []
        try:
            for worker in workers:
                retired.append(worker)
                self._retire(worker)  # kill() ends with a sweep of leftovers
            if self.launcher is not None:
                self.launcher.kill_leftovers(self.spawner)  # a last sweep before anyone writes results
        finally:
            for worker in workers:
                if worker not in retired:  # cut short by a failed sweep: still end it
                    try:
                        worker.kill()
                    except WorkerStartFailed:
                        pass  # the first failure is the one raised
            if self._own_spawner:
                self.spawner.shutdown()
                self.spawner.close()
