"""The fork server: imports numpy once, then forks one worker per request.

Started by the trusted side only (``grader.boundary.spawners``), and exec'd fresh,
so it holds nothing of the trusted process: no reference, no hidden cases,
no results. It never imports a submission itself. Each child it forks
first closes the server's socket and every descriptor but its own pipes,
leaves the server's session, drops to the sandbox user with no groups, and
only then runs ``grader.worker.serve``, which sets its limits before it
imports the submission.

Requests and replies are length-prefixed JSON frames on a Unix socket; a
spawn request carries the child's four pipe ends as SCM_RIGHTS.
"""

from __future__ import annotations

import json
import os
import select
import socket
import sys
import time
import traceback
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from grader.protocol import frames, limits
from grader.worker import reaper

# The child's descriptors: stdin, stdout, stderr, then its request and reply pipes.
REQUEST_FD, REPLY_FD = 3, 4
# Exit status of a child that failed before running any student code.
SETUP_FAILED = 70
KEPT_STATUSES = 1000
# How long a sweeper may take before it is killed and the sweep counts as failed.
SWEEP_SECONDS = 10.0
CLONE_NEWNET, CLONE_NEWIPC = 0x40000000, 0x08000000
PR_SET_CHILD_SUBREAPER = 36


class Frames:
    """Frames read from a stream socket (grader.protocol.frames), with the descriptors sent along."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = frames.FrameBuffer(limits.FORK_SERVER_FRAME_BYTES)
        self.fds: list[int] = []

    def next(self, deadline: float | None = None) -> tuple[Any, list[int]]:
        """(message, descriptors) of the next frame; (None, []) at end of stream.

        Raises TimeoutError past ``deadline`` (a time.monotonic() value) and
        ValueError (FrameError) for a frame that is too large or not JSON.
        """
        while True:
            found, message = self.buffer.next()
            if found:
                fds, self.fds = self.fds, []
                return message, fds
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no answer in time")
                self.sock.settimeout(remaining)
            chunk, fds, _, _ = socket.recv_fds(self.sock, 65536, 8)
            self.fds += fds
            if not chunk:
                for fd in self.fds:
                    os.close(fd)
                self.fds = []
                return None, []
            self.buffer.feed(chunk)


def frame(message: Any) -> bytes:
    return frames.pack(message)


class Children:
    """The workers this server forked: those still running, and the exit codes of those that ended.

    Only its own forks are answered for: a process a worker made this
    server's child (clone with CLONE_PARENT) is reaped but never reported,
    and a pid the server did not fork gets no answer but "unknown".
    """

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.ended: dict[int, int] = {}

    def add(self, pid: int) -> None:
        self.ended.pop(pid, None)  # a reused pid: the old status is not this child's
        self.running.add(pid)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if not (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
                continue  # stopped or continued under ptrace: not an end
            if pid in self.running:
                self.running.discard(pid)
                # Spelled out: os.waitstatus_to_exitcode is 3.9+, and the handout runs on 3.7.
                self.ended[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                while len(self.ended) > KEPT_STATUSES:
                    self.ended.pop(next(iter(self.ended)))

    def wait(self, pid: int, seconds: float) -> dict[str, Any]:
        """{"status": exit code (negative: the signal)}, with None while it still runs after
        ``seconds``; {"unknown": True} for a pid this server did not fork."""
        self.reap()
        if pid not in self.running and pid not in self.ended:
            return {"unknown": True}
        deadline = time.monotonic() + max(0.0, min(float(seconds), 30.0))
        exited = _exit_notice(pid)
        try:
            while True:
                self.reap()
                if pid in self.ended:
                    return {"status": self.ended.pop(pid)}
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {"status": None}
                if exited is None:
                    time.sleep(min(remaining, 0.002))
                else:
                    select.select([exited], [], [], remaining)
        finally:
            if exited is not None:
                os.close(exited)


def _exit_notice(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None: then poll."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _only_descriptors(keep: set[int]) -> None:
    """Close every descriptor not in ``keep``."""
    open_fds: Iterable[int]
    try:
        open_fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = range(os.sysconf("SC_OPEN_MAX"))
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def become(spec: dict[str, Any], fds: list[int], ready: int) -> None:
    """Turn this freshly forked child into a sandboxed worker; raise rather than half-succeed."""
    # Above any target number first, so no dup2 below overwrites a pipe still needed.
    import fcntl  # here: the trusted side imports this module on systems without it

    request, reply, out, err = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in fds)
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (out, 1), (err, 2), (request, REQUEST_FD), (reply, REPLY_FD)):
        os.dup2(source, target)
    _only_descriptors({0, 1, 2, REQUEST_FD, REPLY_FD, ready})
    os.setsid()
    os.chdir(spec["cwd"])
    os.umask(int(spec.get("umask", 0o077)))
    uid: int | None = spec.get("uid")
    gid: Any = spec.get("gid")  # an int whenever uid is one
    if uid is not None:
        spec["config"]["network_namespace"] = _leave_network(spec["config"])
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
            raise OSError(f"the switch to uid {uid} did not take")
    os.environ.clear()
    os.environ.update(spec["env"])


def _leave_network(config: dict[str, Any]) -> bool | str:
    """Move to new network and IPC namespaces (root only, before the switch): True, or why not.

    The new namespace has only a loopback that is down; its System V IPC
    objects end with it, so a worker cannot leave shared memory behind.
    """
    if "netns" in config.get("without", []):
        return "network namespace forced off (GRADER_WITHOUT)"
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0:
        return True
    return f"no network namespace: unshare refused ({os.strerror(ctypes.get_errno())})"


def sweep(uid: int, gid: int, children: Children) -> dict[str, Any]:
    """Kill every process of ``uid`` from a child running as it (grader.worker.reaper):
    {"swept": whether none is left}.

    This server is a child subreaper, so it reaps what the workers abandoned
    while the child works; zombies would otherwise hold the count up. A
    child that does not finish in SWEEP_SECONDS (stopped by a leftover, say)
    is killed and the sweep reported failed.
    """
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _only_descriptors({0, 1, 2})  # not this server's socket, whatever follows
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            code = 0 if reaper.kill_all_of_mine() else 1
        finally:
            os._exit(code)
    children.add(pid)
    deadline = time.monotonic() + SWEEP_SECONDS
    while True:
        children.reap()
        if pid in children.ended:
            return {"swept": children.ended.pop(pid) == 0}
        if time.monotonic() > deadline:
            os.kill(pid, 9)
        time.sleep(0.0005)


def fork_worker(
    sock: socket.socket, spec: dict[str, Any], fds: list[int], worker: ModuleType
) -> tuple[int, str | None]:
    """(pid, None) once the child is set up, or (pid, why not): it then exits without running anything.

    The child says which over a pipe of its own before any student code
    runs, so a failure of ours is never mistaken for the submission's.
    """
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(sock, spec, fds, worker, ready_read, ready_write)
    os.close(ready_write)
    with open(ready_read, "rb") as ready:
        said = ready.read(4096)
    if said == b"ok":
        return pid, None
    return pid, said.decode("utf-8", "replace") or "it ended while being set up"


def _child(
    sock: socket.socket, spec: dict[str, Any], fds: list[int], worker: ModuleType, ready_read: int, ready_write: int
) -> None:
    code = SETUP_FAILED
    try:
        sock.close()
        os.close(ready_read)
        try:
            become(spec, fds, ready_write)
        except BaseException as exc:
            os.write(ready_write, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")[: limits.SETUP_ERROR_BYTES])
            raise
        os.write(ready_write, b"ok")
        os.close(ready_write)
        config = dict(spec["config"], request_fd=REQUEST_FD, reply_fd=REPLY_FD)
        code = worker.main([json.dumps(config)])
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code if isinstance(code, int) else 1)


def serve(sock: socket.socket) -> int:
    """Answer spawn and wait requests until the trusted side closes the socket."""
    try:
        import numpy  # noqa: F401  (the point of this process: children start with it loaded)
        import numpy.random  # noqa: F401  (lazy in numpy 2.x; every call reseeds it)
    except BaseException:
        pass  # each worker imports it again and reports the failure as it always did
    import ctypes  # (as every worker does in apply_limits)

    try:  # orphans of the workers become this server's to reap, and to sweep
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass

    from grader.protocol import corpus, objectives, standins, wire  # noqa: F401  (what every worker imports next)
    from grader.worker import confine  # noqa: F401
    from grader.worker import serve as worker

    children, frames = Children(), Frames(sock)
    while True:
        message, fds = frames.next()
        if message is None:
            return 0
        try:
            sock.sendall(frame(answer(message, fds, sock, children, worker)))
        finally:
            for fd in fds:  # a child has its copies; the server keeps none
                os.close(fd)


def answer(
    message: dict[str, Any], fds: list[int], sock: socket.socket, children: Children, worker: ModuleType
) -> dict[str, Any]:
    """One answer per request, whatever happens, so the conversation stays in step."""
    try:
        children.reap()
        if message.get("op") == "spawn" and len(fds) == 4:
            pid, problem = fork_worker(sock, message, fds, worker)
            children.add(pid)
            return {"error": f"the worker could not be set up: {problem}"} if problem else {"pid": pid}
        if message.get("op") == "wait":
            return children.wait(int(message["pid"]), message.get("seconds", 0))
        if message.get("op") == "sweep" and int(message["uid"]) > 0:
            return sweep(int(message["uid"]), int(message["gid"]), children)
        return {"error": "unknown request"}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[0]))
    code = 1
    try:
        code = serve(sock)
    finally:
        os._exit(code)  # the trusted side waits for this exit: skip numpy's teardown
