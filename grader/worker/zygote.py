"""The fork server: imports numpy once, then forks one worker per request.

Started by the trusted side only (``grader.forkserver``), and exec'd fresh,
so it holds nothing of the trusted process: no reference, no hidden cases,
no results. It never imports a submission itself. Each child it forks
first closes the server's socket and every descriptor but its own pipes,
leaves the server's session, drops to the sandbox user with no groups, and
only then runs ``grader.worker.serve``, which sets its limits before it
imports the submission.

Requests and replies are length-prefixed JSON frames on a Unix socket; a
spawn request carries the child's four pipe ends as SCM_RIGHTS.
"""

import fcntl
import json
import os
import select
import socket
import struct
import sys
import time
import traceback

HEADER = struct.Struct("!I")
MAX_FRAME = 1 << 20
# The child's descriptors: stdin, stdout, stderr, then its request and reply pipes.
REQUEST_FD, REPLY_FD = 3, 4
# Exit status of a child that failed before running any student code.
SETUP_FAILED = 70
KEPT_STATUSES = 1000


class Frames:
    """Length-prefixed JSON frames read from a stream socket, with the descriptors sent along."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()
        self.fds = []

    def next(self, deadline=None):
        """(message, descriptors) of the next frame; (None, []) at end of stream.

        Raises TimeoutError past ``deadline`` (a time.monotonic() value) and
        ValueError for a frame that is too large or not JSON.
        """
        while True:
            if len(self.buffer) >= HEADER.size:
                (length,) = HEADER.unpack_from(self.buffer)
                if length > MAX_FRAME:
                    raise ValueError(f"a frame of {length} bytes")
                end = HEADER.size + length
                if len(self.buffer) >= end:
                    body = bytes(self.buffer[HEADER.size:end])
                    del self.buffer[:end]
                    fds, self.fds = self.fds, []
                    return json.loads(body), fds
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
            self.buffer += chunk


def frame(message):
    body = json.dumps(message).encode()
    return HEADER.pack(len(body)) + body


def reap(statuses):
    """Collect every child that has ended, keeping its status for a later ``wait``."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)
        while len(statuses) > KEPT_STATUSES:
            statuses.pop(next(iter(statuses)))


def wait(pid, seconds, statuses):
    """The child's exit code (negative: the signal), or None if it is still running after ``seconds``."""
    deadline = time.monotonic() + max(0.0, min(float(seconds), 30.0))
    exited = _exit_notice(pid)
    try:
        while True:
            reap(statuses)
            if pid in statuses:
                return statuses.pop(pid)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if exited is None:
                time.sleep(min(remaining, 0.002))
            else:
                select.select([exited], [], [], remaining)
    finally:
        if exited is not None:
            os.close(exited)


def _exit_notice(pid):
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None: then poll."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _only_descriptors(keep):
    """Close every descriptor not in ``keep``."""
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


def become(spec, fds):
    """Turn this freshly forked child into a sandboxed worker; raise rather than half-succeed."""
    # Above any target number first, so no dup2 below overwrites a pipe still needed.
    request, reply, out, err = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in fds)
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (out, 1), (err, 2), (request, REQUEST_FD), (reply, REPLY_FD)):
        os.dup2(source, target)
    _only_descriptors({0, 1, 2, REQUEST_FD, REPLY_FD})
    os.setsid()
    os.chdir(spec["cwd"])
    os.umask(int(spec.get("umask", 0o077)))
    uid, gid = spec.get("uid"), spec.get("gid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
            raise OSError(f"the switch to uid {uid} did not take")
    os.environ.clear()
    os.environ.update(spec["env"])


def fork_worker(sock, spec, fds, worker):
    pid = os.fork()
    if pid:
        return pid
    code = SETUP_FAILED
    try:
        sock.close()
        become(spec, fds)
        config = dict(spec["config"], request_fd=REQUEST_FD, reply_fd=REPLY_FD)
        code = worker.main([json.dumps(config)])
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code if isinstance(code, int) else 1)


def serve(sock):
    """Answer spawn and wait requests until the trusted side closes the socket."""
    try:
        import numpy  # noqa: F401  (the point of this process: children start with it loaded)
    except BaseException:
        pass          # each worker imports it again and reports the failure as it always did
    import ctypes  # noqa: F401  (as every worker does in apply_limits)
    from grader import standins, wire  # noqa: F401  (what every worker imports next)
    from grader.worker import serve as worker
    statuses, frames = {}, Frames(sock)
    while True:
        message, fds = frames.next()
        if message is None:
            return 0
        reap(statuses)
        if message.get("op") == "spawn" and len(fds) == 4:
            try:
                sock.sendall(frame({"pid": fork_worker(sock, message, fds, worker)}))
            except OSError as error:
                sock.sendall(frame({"error": f"fork failed: {error}"}))
        elif message.get("op") == "wait":
            sock.sendall(frame({"status": wait(int(message["pid"]), message.get("seconds", 0), statuses)}))
        else:
            sock.sendall(frame({"error": "unknown request"}))
        for fd in fds:           # the child has its copies; the server keeps none
            os.close(fd)


def main(argv):
    sock = socket.socket(fileno=int(argv[0]))
    code = 1
    try:
        code = serve(sock)
    finally:
        os._exit(code)     # the trusted side waits for this exit: skip numpy's teardown
