"""The two ways a worker starts (forked by the fork server, or exec'd) grade alike and recover alike."""

import os
import platform
import signal
import sys
import textwrap
import time

import pytest

from conftest import REPO
from grader import grade
from grader.boundary.privileges import launcher
from grader.boundary.sandbox import Sandbox
from grader.boundary.spawners import ExecSpawner, ForkServer, WorkerStartFailed, default_spawner
from grader.config import Limits
from grader.worker import zygote

EXAMPLE = REPO / "examples" / "word2vec.py"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server runs on Linux only")

# Printed by the submission at import: what its process holds and is (without
# /proc, which Landlock keeps out of the worker's reach).
PROBE = """
import ctypes as _ctypes, os as _os, stat as _stat
_kinds = []
for _fd in range(256):
    try:
        _mode = _os.fstat(_fd).st_mode
    except OSError:
        continue
    _kinds.append(f"{_fd}:{'socket' if _stat.S_ISSOCK(_mode) else 'pipe' if _stat.S_ISFIFO(_mode) else 'other'}")
print("PROBE descriptors", " ".join(_kinds))
print("PROBE session-leader", _os.getsid(0) == _os.getpid())
print("PROBE no-new-privileges", _ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))  # PR_GET_NO_NEW_PRIVS
"""


def graded(path, spawner, hidden=False):
    try:
        return grade(path, hidden=hidden, launcher=launcher(required=False), spawner=spawner)
    finally:
        spawner.close()


@linux_only
def test_default_is_the_fork_server_unless_turned_off(monkeypatch):
    assert isinstance(default_spawner(), ForkServer)
    monkeypatch.setenv("GRADER_FORK_SERVER", "off")
    assert isinstance(default_spawner(), ExecSpawner)


@linux_only
def test_forked_and_execd_workers_give_the_same_report():
    forked, execd = (graded(EXAMPLE, spawner.start()) for spawner in (ForkServer(), ExecSpawner()))
    assert forked.score == execd.score < forked.max_score
    assert [(t.number, t.score, t.output) for t in forked.tests] == [(t.number, t.score, t.output) for t in execd.tests]


@linux_only
@pytest.mark.parametrize("spawner", [ForkServer, ExecSpawner])
def test_the_worker_holds_only_its_pipes_leads_its_session_and_cannot_gain_privileges(
    tmp_path, write_submission, reference_source, spawner
):
    run = graded(write_submission(tmp_path, reference_source + PROBE), spawner().start())
    assert run.score == run.max_score
    lines = {
        line.split(" ", 2)[1]: line.split(" ", 2)[2] for line in run.printed.splitlines() if line.startswith("PROBE ")
    }
    assert (
        lines["descriptors"] == "0:other 1:pipe 2:pipe 3:pipe 4:pipe"
        if spawner is ForkServer
        else "socket" not in lines["descriptors"]
    )
    assert lines["session-leader"] == "True"
    assert lines["no-new-privileges"] == "1"


@linux_only
def test_a_fork_server_that_died_is_started_again(tmp_path, write_submission, reference_source):
    server = ForkServer().start()
    first = server.process.pid
    os.kill(first, signal.SIGKILL)
    server.process.wait()
    run = graded(write_submission(tmp_path, reference_source), server)
    assert run.score == run.max_score
    assert not os.path.exists(f"/proc/{first}")


@linux_only
def test_a_worker_that_kills_the_fork_server_costs_only_its_function(tmp_path, write_submission, reference_source):
    # Without the user switch the worker may signal its parent, the fork server;
    # the next worker then needs a new server.
    source = reference_source.replace(
        "def sigmoid(x):",
        "def sigmoid(x):\n    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(3)",
        1,
    )
    run = graded(write_submission(tmp_path, source), ForkServer().start())
    lost = {t.function for t in run.tests if t.score < t.max_score}  # the 0-point training check is gated off
    assert lost == {"sigmoid"}, [(t.number, t.output[:120]) for t in run.tests if not t.passed]


@linux_only
def test_closing_the_fork_server_ends_it(tmp_path, write_submission, reference_source):
    server = ForkServer().start()
    pid = server.process.pid
    graded(write_submission(tmp_path, reference_source), server)
    assert server.process is None and not os.path.exists(f"/proc/{pid}")


class UnreachableFolder:
    """A launcher whose worker must start in a folder that does not exist: the grader's failure."""

    def prepare(self, spec, snapshot=None, spawner=None):
        return dict(spec, cwd="/nonexistent/grader-test-folder")

    def kill_leftovers(self, spawner=None):
        pass


@linux_only
@pytest.mark.parametrize("spawner", [ForkServer, ExecSpawner])
def test_a_worker_that_cannot_be_set_up_is_a_grader_error_not_the_students(
    tmp_path, write_submission, reference_source, spawner
):
    path = write_submission(tmp_path, reference_source)
    server = spawner().start()
    try:
        with pytest.raises(WorkerStartFailed, match="grader-test-folder"):
            grade(path, launcher=UnreachableFolder(), spawner=server)
    finally:
        server.close()


@linux_only
def test_a_worker_stopped_under_ptrace_is_not_taken_for_ended_and_the_server_survives(
    tmp_path, write_submission, reference_source
):
    # PTRACE_TRACEME makes the fork server the tracer: waitpid then reports
    # the worker's stop, which is not an exit.
    stop = (
        "\nimport ctypes, os, signal\nctypes.CDLL(None).ptrace(0, 0, None, None)"
        "\nos.kill(os.getpid(), signal.SIGSTOP)\n"
    )
    server = ForkServer().start()
    sandbox = Sandbox(
        write_submission(tmp_path, reference_source + stop), Limits(import_seconds=2), launcher(required=False), server
    ).start()
    try:
        pid = sandbox._booting.process.pid
        for _ in range(500):
            if _state(pid) == "t":
                break
            time.sleep(0.01)
        assert _state(pid) == "t", f"the worker never stopped (state {_state(pid)})"
        assert server.wait(pid, 0.1) is None
        assert server.process.poll() is None, "the fork server died"
        assert not sandbox.check_import().ok
    finally:
        sandbox.close()
        server.close()


@linux_only
def test_the_fork_server_answers_only_for_its_own_children():
    server = ForkServer().start()
    try:
        server.socket.sendall(zygote.frame({"op": "wait", "pid": os.getpid(), "seconds": 30}))
        assert server._answer() == {"unknown": True}
    finally:
        server.close()


@linux_only
@pytest.mark.skipif(platform.machine() != "x86_64", reason="calls clone by its x86-64 syscall number")
def test_a_process_cloned_as_the_fork_servers_child_is_killed(tmp_path, write_submission, reference_source):
    # clone(CLONE_PARENT) makes the escapee the server's child, not the worker's
    # or the grader's, and setsid takes it out of the worker's session.
    # It says its pid on stdout: the worker may write no file outside its scratch folder.
    escape = textwrap.dedent("""
        import ctypes as _ctypes, os as _os, time as _time
        if _ctypes.CDLL(None, use_errno=True).syscall(56, 0x8000 | 17, 0, 0, 0, 0) == 0:
            _os.setsid()
            print("ESCAPED", _os.getpid(), flush=True)
            _time.sleep(120)
            _os._exit(0)
        """)
    run = graded(write_submission(tmp_path, reference_source + escape), ForkServer().start())
    assert run.score == run.max_score
    pid = int(next(line.split()[1] for line in run.printed.splitlines() if line.startswith("ESCAPED")))
    assert _state(pid) is None, f"the escaped process {pid} is still running"


def _state(pid):
    """The process's state letter from /proc, or None once it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
    return None if state in ("Z", "X") else state
