"""Sandbox uids held one run at a time, and a worker killed from outside that is not the student's fault."""

import os
import signal
import threading
import time

import pytest

from grader.boundary import uids
from grader.boundary.privileges import SandboxUser, launcher


@pytest.mark.root
def test_two_runs_in_one_machine_hold_different_uids_and_a_released_one_is_free_again():
    first, second = launcher(quiet=True), launcher(quiet=True)
    assert isinstance(first, SandboxUser) and isinstance(second, SandboxUser)
    assert first.uid != second.uid, "two live launchers share a uid: one's cleanup would kill the other's workers"
    lock = os.path.join(uids.LOCK_FOLDER, f"uid-{first.uid}.lock")
    assert uids._try_lock(lock) is None, "a held uid could be locked again"
    first.lease.release()
    again = uids._try_lock(lock)
    assert again is not None, "a released uid stays locked"
    again.close()


@pytest.mark.root
def test_pool_uids_have_no_account_and_a_lock_folder_others_could_write_is_refused(tmp_path, monkeypatch):
    import pwd

    for name, uid, _gid in uids.candidates():
        if name.startswith("uid "):
            with pytest.raises(KeyError):
                pwd.getpwuid(uid)
    open_folder = tmp_path / "locks"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    monkeypatch.setattr(uids, "LOCK_FOLDER", str(open_folder))
    with pytest.raises(uids.NoSandboxUid, match="no one else can write"):
        uids.lease()


def _alive_of(uid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as handle:
                status = handle.read().decode(errors="replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if str(uid) in fields.get("Uid", "").split() and fields.get("State", "").split()[:1] not in (["Z"], ["X"]):
            found.append(int(entry))
    return found


@pytest.mark.root
def test_a_worker_killed_from_outside_while_importing_is_retried_and_the_student_keeps_full_marks(
    tmp_path, grade, reference_source, write_submission
):
    """Someone else's SIGKILL (an administrator, the OOM killer) is not the submission's import failure."""
    folder = tmp_path / "killed"
    folder.mkdir()
    path = write_submission(folder, reference_source + "\nimport time as _time\n_time.sleep(1.5)\n")
    user = launcher(quiet=True)
    assert isinstance(user, SandboxUser)
    killed = []

    def kill_the_first_worker():
        first_seen = {}
        deadline = time.monotonic() + 20
        while not killed and time.monotonic() < deadline:
            now = time.monotonic()
            for pid in _alive_of(user.uid):
                # The worker sleeps at import; a sweeper of the same uid lives a few ms.
                if now - first_seen.setdefault(pid, now) > 0.4:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    try:
        run = grade(path, launcher=user)
    finally:
        killer.join()
    assert killed, "the test never found the worker to kill"
    assert run.imported, run.summary
    assert run.score == run.max_score, [t.message for t in run.tests if not t.passed][:3]
    assert any("killed while importing" in line for line in run.layers), run.layers


@pytest.mark.root
def test_a_scratch_folder_swapped_for_a_link_is_not_followed_when_removed(
    tmp_path, grade, reference_source, monkeypatch, readable_folder, write_submission
):
    """Without Landlock the worker may rename its scratch folder and leave a link in its place; root's
    clean-up must unlink the link, not empty the folder it points to."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important").write_text("keep\n")
    victim.chmod(0o700)
    attack = f"""
import os as _os
_here = _os.getcwd()
_os.chdir("/")
_os.rename(_here, _here + ".moved")
_os.symlink({str(victim)!r}, _here)
"""
    path = write_submission(readable_folder, reference_source + attack)
    monkeypatch.setenv("GRADER_WITHOUT", "landlock")
    run = grade(path, launcher=launcher(quiet=True))
    assert run.score == run.max_score, run.summary
    assert (victim / "important").read_text() == "keep\n", "root followed the link the worker left"


def test_landlock_grants_cut_the_grader_package_out_of_a_shared_site_packages(tmp_path):
    from grader.worker.confine import _without

    site = tmp_path / "site-packages"
    for folder in ("numpy/core", "grader/_bundled/reference", "jinja2"):
        (site / folder).mkdir(parents=True)
    kept = sorted(_without(str(site), str(site / "grader")))
    assert kept == [str(site / "jinja2"), str(site / "numpy")]
    assert _without(str(site / "numpy"), str(site / "grader")) == [str(site / "numpy")]
    assert _without(str(site / "grader"), str(site / "grader")) == []
    assert _without(str(site / "grader" / "_bundled"), str(site / "grader")) == []


@pytest.mark.root
def test_the_checkouts_reference_is_out_of_reach_even_for_a_worker_running_as_root(
    tmp_path, grade, reference_source, monkeypatch
):
    """Landlock, not file modes: with GRADER_SANDBOX=off the worker is root, and the checkout's
    reference is world-readable; only the filesystem view keeps it out."""
    from conftest import REFERENCE_PATH
    from grader.boundary.privileges import SameUser

    probe = f"""
try:
    open({str(REFERENCE_PATH)!r}).read(1)
    print("PROBE read the reference")
except OSError as _error:
    print("PROBE refused:", type(_error).__name__)
"""
    path = tmp_path / "word2vec.py"
    path.write_text(reference_source + probe, encoding="utf-8")
    run = grade(path, launcher=SameUser("GRADER_SANDBOX=off"))
    if "Landlock ABI" not in " ".join(run.layers):
        pytest.skip(f"no Landlock here: {run.layers}")
    assert "PROBE refused: PermissionError" in run.printed, run.printed


@pytest.mark.root
def test_a_unix_socket_file_is_out_of_reach(grade, reference_source, readable_folder, write_submission):
    """Landlock does not guard connect() to a socket file (a session bus, a proxy): seccomp refuses the socket."""
    import socket

    address = str(readable_folder / "service.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    os.chmod(address, 0o777)
    listener.listen(1)
    listener.settimeout(0.5)
    attack = f"""
import socket as _socket
try:
    _client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    _client.connect({address!r})
    _client.sendall(b"reached")
    print("PROBE connected")
except OSError as _error:
    print("PROBE refused:", _error)
"""
    path = write_submission(readable_folder, reference_source + attack)
    try:
        run = grade(path, launcher=launcher(quiet=True))
        try:
            connection, _ = listener.accept()
            reached = connection.recv(100)
        except OSError:
            reached = b""
    finally:
        listener.close()
    assert run.score == run.max_score, run.summary
    assert reached == b"" and "PROBE refused" in run.printed, run.printed


@pytest.mark.root
def test_a_worker_left_running_as_root_has_no_capability(tmp_path, grade, reference_source, write_submission):
    """Without the user switch (GRADER_SANDBOX=off, or an interpreter the sandbox user cannot read), the
    worker is root: it drops every capability, so it cannot change its ids or load a kernel module."""
    from grader.boundary.privileges import SameUser

    probe = """
import ctypes as _ctypes, os as _os
try:
    _os.setuid(12345)
    print("PROBE setuid worked")
except OSError as _error:
    print("PROBE setuid refused:", type(_error).__name__)
print("PROBE CAP_SYS_MODULE in the bounding set:", _ctypes.CDLL(None).prctl(23, 16, 0, 0, 0))
"""
    path = write_submission(tmp_path, reference_source + probe)
    run = grade(path, launcher=SameUser("GRADER_SANDBOX=off"))
    assert run.score == run.max_score, run.summary
    assert "PROBE setuid refused: PermissionError" in run.printed, run.printed
    assert "PROBE CAP_SYS_MODULE in the bounding set: 0" in run.printed, run.printed
    assert any("every capability dropped" in line for line in run.layers), run.layers
