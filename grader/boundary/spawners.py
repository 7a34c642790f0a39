"""How a worker process comes to exist: forked by a fork server, or exec'd on its own.

A fresh ``python -I`` that imports numpy costs about 70 ms of CPU; a batch
pays that for every submission. The fork server (``grader.worker.zygote``)
pays it once and then forks a worker per request, in a few milliseconds.
It is exec'd with a clean environment, never forked from this process, so
it holds nothing this process loads: not the reference, not the hidden
cases. Its children drop to the sandbox user before any student code runs.

On other platforms than Linux (fork after numpy is unsafe with macOS's
Accelerate) or with ``GRADER_FORK_SERVER=off``, each worker is exec'd on
its own, as the fork server's children would be: same descriptors, same
user, same limits.

Both hand back a handle with ``pid`` and ``wait(timeout)``; neither ever
reads anything the worker sends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

from grader.bundle import PACKAGE
from grader.worker import zygote

if TYPE_CHECKING:
    from grader.boundary.portable import PortableSpawner

GRADER_PARENT = str(PACKAGE.parent)
# What a worker imports of the grader, relative to the package: all an exec'd
# worker needs when the grader itself lies where the sandbox user cannot read.
WORKER_MODULES = (
    "__init__.py",
    *sorted(
        p.relative_to(PACKAGE).as_posix() for folder in ("protocol", "worker") for p in (PACKAGE / folder).glob("*.py")
    ),
)
# -I keeps the environment and the current folder out of the path, so each
# boot is told where this grader lives (installed or not).
WORKER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from grader.worker.serve import main; sys.exit(main(sys.argv[2:]))"
)
ZYGOTE_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from grader.worker.zygote import main; sys.exit(main(sys.argv[2:]))"
)
# How long the fork server may take to answer: its first answer waits for its
# own start-up and numpy import, which a cold disk can slow down.
ANSWER_SECONDS = 60.0


def worker_environment() -> dict[str, str]:
    """All the environment a worker (and the fork server) gets; nothing of this process's."""
    # -I ignores the PYTHON* variables in the worker itself; they are here
    # for the programs a submission might start.
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "HOME": "/tmp",
        "PYTHONUNBUFFERED": "1",
    }
    # One BLAS thread: the memory limit holds and timings stay comparable.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


class WorkerStartFailed(Exception):
    """No worker could be started: the grader's or the machine's failure, never the submission's."""


# Layers a test or a developer may turn off, one at a time, to see the others hold.
LAYERS_TO_FORCE_OFF = ("landlock", "netns", "seccomp")


def forced_off() -> list[str]:
    """The layers GRADER_WITHOUT (comma-separated) turns off; an unknown name is refused."""
    named = [n.strip() for n in os.environ.get("GRADER_WITHOUT", "").split(",") if n.strip()]
    unknown = [n for n in named if n not in LAYERS_TO_FORCE_OFF]
    if unknown:
        raise WorkerStartFailed(
            f"GRADER_WITHOUT names layers to turn off among {', '.join(LAYERS_TO_FORCE_OFF)}; "
            f"{', '.join(unknown)} is not one"
        )
    return named


class Spared:
    """Our own children that are not leftovers of a worker: fork servers and live exec'd workers.

    Without root, the cleanup after a worker kills every child of this
    process it does not know, and every child of a fork server, since the
    worker it forked is dead by then (see ``grader.boundary.privileges.SameUser``).
    """

    pids: set[int | None] = set()
    servers: set[int] = set()


class ExecProcess:
    """A worker exec'd by this process."""

    def __init__(self, popen: subprocess.Popen[bytes], memory_bytes: int | None = None) -> None:
        self.popen = popen
        self.pid = popen.pid
        self.failed: str | None = None
        Spared.pids.add(self.pid)
        self.watch = None
        if memory_bytes:
            from grader.boundary.portable import MemoryWatch

            self.watch = MemoryWatch(popen, memory_bytes, self._kill)

    @property
    def over_memory(self) -> int | None:
        return self.watch.over if self.watch else None

    def _kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)  # the worker leads its own session
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self, timeout: float | None) -> int:
        code = self.popen.wait(timeout=timeout)
        Spared.pids.discard(self.pid)
        if self.watch:
            self.watch.stop()
        return code


# Where the kernel enforces no RLIMIT_AS (macOS accepts it and ignores it),
# the trusted side watches an exec'd worker's memory itself.
RLIMIT_AS_ENFORCED = sys.platform.startswith(("linux", "freebsd"))


def watched_memory(config: dict[str, Any]) -> int | None:
    """The memory limit the trusted side must watch for this worker, or None where rlimits hold it."""
    return None if RLIMIT_AS_ENFORCED else config["limits"].get("memory_bytes")


def switch_options(spec: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Popen's user=, group= and umask= for an exec'd worker, from the launcher's ``spec``.

    Popen has none of them before 3.9: then the worker is told (``config``)
    to make the switch itself, first thing, before it reads any student file.
    Windows has neither users to switch to nor a umask.
    """
    if sys.platform == "win32":
        return {}
    if sys.version_info < (3, 9):
        config.update(switch={k: spec.get(k) for k in ("uid", "gid", "umask")})
        return {}
    options: dict[str, Any] = {}
    if spec.get("uid") is not None:
        options.update(user=spec["uid"], group=spec["gid"], extra_groups=[])
    if spec.get("umask") is not None:
        options.update(umask=spec["umask"])
    return options


class ExecSpawner:
    """One fresh interpreter per worker."""

    def start(self) -> ExecSpawner:
        return self

    def spawn(self, spec: dict[str, Any], fds: Sequence[int]) -> ExecProcess:
        request_read, reply_write, out_write, err_write = fds
        config = dict(spec["config"], request_fd=request_read, reply_fd=reply_write)
        options: dict[str, Any] = dict(
            stdin=subprocess.DEVNULL,
            stdout=out_write,
            stderr=err_write,
            pass_fds=(request_read, reply_write),
            start_new_session=True,
            env=spec["env"],
            cwd=spec["cwd"],
        )
        options.update(switch_options(spec, config))
        # As the sandbox user, from a readable copy of the grader's worker code if it was staged.
        parent = spec.get("grader_parent", GRADER_PARENT)
        command = [sys.executable, "-I", "-c", WORKER_BOOT, parent, json.dumps(config)]
        try:
            return ExecProcess(subprocess.Popen(command, **options), watched_memory(config))
        except (OSError, subprocess.SubprocessError) as error:
            raise WorkerStartFailed(f"could not start {sys.executable} for the worker: {error}") from None

    def shutdown(self) -> None:
        pass

    def close(self) -> None:
        pass


class ForkedProcess:
    """A worker forked by the fork server: its pid arrives with the server's answer."""

    def __init__(self, server: ForkServer) -> None:
        self.server = server
        self._pid: int | None = None
        self.failed: str | None = None  # why there is no process, if there is none
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        self.server.settle(self)
        return self._pid

    def wait(self, timeout: float) -> int | None:
        if self.returncode is None:
            pid = self.pid
            if pid is not None:
                self.returncode = self.server.wait(pid, timeout)
        if self.returncode is None and self._pid is not None:
            raise subprocess.TimeoutExpired("worker", timeout)
        return self.returncode


class ForkServer:
    """A running ``grader.worker.zygote`` and the conversation with it.

    Requests are answered in order, one answer each. A spawn is sent at once
    and its answer (the pid) read only when someone needs it, so the server
    can finish starting while this process works.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.socket: socket.socket | None = None
        self.frames: zygote.Frames | None = None
        self.pending: deque[ForkedProcess] = deque()  # spawned handles whose pid has not been read yet

    def start(self) -> ForkServer:
        if self.process is not None:
            if self.process.poll() is None:
                return self
            self._lost("the fork server exited")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", ZYGOTE_BOOT, GRADER_PARENT, str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
                env=worker_environment(),
                cwd="/",
            )
        except BaseException as error:
            ours.close()
            if isinstance(error, (OSError, subprocess.SubprocessError)):
                raise WorkerStartFailed(f"could not start {sys.executable} for the fork server: {error}") from None
            raise
        finally:
            theirs.close()
        Spared.pids.add(self.process.pid)
        Spared.servers.add(self.process.pid)
        self.socket, self.frames = ours, zygote.Frames(ours)
        return self

    def spawn(self, spec: dict[str, Any], fds: Sequence[int]) -> ForkedProcess:
        """Ask for a worker; restarts the server once if it has died."""
        for attempt in (1, 2):
            self.start()
            handle = ForkedProcess(self)
            try:
                data = zygote.frame(dict(spec, op="spawn"))
                assert self.socket is not None  # start() connected it
                sent = socket.send_fds(self.socket, [data], list(fds))
                self.socket.sendall(data[sent:])  # the descriptors went with the first byte
            except OSError as error:
                self._lost(f"the fork server is gone ({error})")
                if attempt == 2:
                    handle.failed = f"the fork server could not be reached ({error})"
                    return handle
                continue
            self.pending.append(handle)
            return handle
        raise AssertionError("not reached: the second attempt returns")

    def settle(self, handle: ForkedProcess) -> None:
        """Read answers until ``handle`` has its pid (or is known to have none)."""
        while handle in self.pending:
            answer = self._answer()
            if answer is None:
                return  # _lost() has told every pending handle
            first = self.pending.popleft()
            if isinstance(answer.get("pid"), int) and answer["pid"] > 1:
                first._pid = answer["pid"]
            else:
                first.failed = str(answer.get("error", "the fork server gave no pid"))

    def wait(self, pid: int, seconds: float) -> int | None:
        """The exit code of the server's child ``pid``, or None if it is still running."""
        answer = self._ask({"op": "wait", "pid": pid, "seconds": seconds}, seconds + ANSWER_SECONDS)
        status = answer.get("status") if answer else None  # also None for a pid it did not fork
        return status if isinstance(status, int) else None

    def sweep(self, uid: int, gid: int) -> bool | None:
        """Have the server kill every process of ``uid``: True when none is left, None if it cannot ask."""
        if self.process is None or self.process.poll() is not None:
            return None
        answer = self._ask({"op": "sweep", "uid": uid, "gid": gid})
        swept = answer.get("swept") if answer else None
        return swept if isinstance(swept, bool) else None

    def _ask(self, request: dict[str, Any], seconds: float = ANSWER_SECONDS) -> Any:
        """The answer to ``request``, once every spawn before it is answered; None if the server is gone."""
        while self.pending:
            self.settle(self.pending[0])
        if self.socket is None:
            return None
        try:
            self.socket.sendall(zygote.frame(request))
        except OSError as error:
            self._lost(f"the fork server is gone ({error})")
            return None
        return self._answer(seconds)

    def _answer(self, seconds: float = ANSWER_SECONDS) -> Any:
        """The next answer, or None if the server died, fell silent or broke the protocol."""
        if self.frames is None:
            return None
        try:
            answer, fds = self.frames.next(time.monotonic() + seconds)
        except (OSError, ValueError):  # TimeoutError is an OSError
            answer, fds = None, []
        for fd in fds:
            os.close(fd)
        if not isinstance(answer, dict):
            self._lost("the fork server stopped answering")
            return None
        return answer

    def _lost(self, reason: str) -> None:
        for handle in self.pending:
            handle.failed = reason
        self.pending.clear()
        self.close()

    def shutdown(self) -> None:
        """Tell the server to exit (it does when its socket closes), without waiting for it."""
        if self.socket is not None:
            self.socket.close()
            self.socket = self.frames = None

    def close(self) -> None:
        """End the server and reap it; its children are the caller's to kill."""
        self.shutdown()
        if self.process is not None:
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            Spared.pids.discard(self.process.pid)
            Spared.servers.discard(self.process.pid)
            self.process = None


# Every kind of spawner: what the sandboxes, launchers and sweeps are given.
Spawner = Union[ExecSpawner, ForkServer, "PortableSpawner"]


def default_spawner() -> Spawner:
    """A fork server on Linux, one interpreter per worker elsewhere, the portable worker without POSIX; not started."""
    from grader.boundary.portable import PortableSpawner, why_portable

    why = why_portable()
    if why is not None:
        return PortableSpawner(why)
    if (
        sys.platform.startswith("linux")
        and os.environ.get("GRADER_FORK_SERVER") != "off"
        and hasattr(socket, "send_fds")
    ):
        return ForkServer()
    return ExecSpawner()
