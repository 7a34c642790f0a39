"""Who the worker runs as, what it may touch, and clearing up after it.

As root (Gradescope, CI, an instructor's machine) the worker runs as a
sandbox uid that this run holds alone (grader.boundary.uids), and when a
worker ends every process of that uid is killed and its files in the shared
temporary folders removed (grader.boundary.sweep). As an ordinary user (a
student's laptop) it runs as that user; this process becomes a child
subreaper so that processes which escape with setsid are still ours to kill.
"""

from __future__ import annotations

import os
import site
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import bundle
from grader.boundary.spawners import GRADER_PARENT, WORKER_MODULES, ForkServer, Spared, Spawner, WorkerStartFailed
from grader.boundary.staging import STAGED_PREFIX, Staging, reachable, remove_tree, shared_temp_folder, stale
from grader.boundary.sweep import kill_uid, kill_until_gone, processes, remove_litter

if TYPE_CHECKING:
    from grader.boundary.portable import PortableProcess
    from grader.boundary.spawners import ExecProcess, ForkedProcess
    from grader.boundary.staging import Snapshot
    from grader.boundary.uids import Lease

PR_SET_CHILD_SUBREAPER = 36
SCRATCH_PREFIX = "grader-worker-"


class SandboxUnavailable(WorkerStartFailed):
    """Running as root, but no unprivileged user can run the worker."""


class SandboxUser:
    """Runs the worker as ``uid``, in a private scratch folder, on staged copies of what it reads."""

    stages_submission = True  # the worker gets copies it can read (grader.boundary.staging)

    def __init__(self, held: Lease) -> None:
        self.lease = held  # kept while this object lives: the uid is this run's alone
        self.name, self.uid, self.gid = held.name, held.uid, held.gid
        self.scratch: str | None = None
        self.staging: Staging | None = None
        self._swept = False
        # Whether a process of this uid may exist: at first (a run killed mid-run
        # may have left some), and from each worker's start to the sweep after it.
        self._in_use = True
        self._reachable: bool | None = None

    def user_switch(self) -> str:
        busy = f" ({', '.join(self.lease.passed_over)} busy with another run)" if self.lease.passed_over else ""
        return f"runs as {self.name}{busy}, no groups, held by this run alone"

    def cleanup(self, spawner: Spawner | None = None) -> str:
        """How what a worker leaves is cleared, with this spawner (grader.boundary.sweep)."""
        by = "the fork server" if isinstance(spawner, ForkServer) else "a helper interpreter"
        return (
            f"kill(-1) as the sandbox uid, from {by}; then its files in /tmp, /var/tmp and /dev/shm "
            "and its System V IPC removed"
        )

    def prepare(
        self, spec: dict[str, Any], snapshot: Snapshot | None = None, spawner: Spawner | None = None
    ) -> dict[str, Any]:
        """The worker's spec (see grader.boundary.spawners) with this user, no groups, a scratch folder and
        the submission staged where this user can read it, whatever the caller's folders are."""
        if not self._swept:
            # What a run killed mid-run may have left: processes, and copies this
            # uid could still read. Not through the fork server, which may still
            # be starting: this worker's start would wait for it.
            self.kill_leftovers()
            self._sweep_stale()
            self._swept = True
        else:
            self.kill_leftovers(spawner)  # a no-op unless a worker ran since the last sweep
        self._in_use = True
        try:
            self.scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=shared_temp_folder())
            os.chown(self.scratch, self.uid, self.gid)
            os.chmod(self.scratch, 0o700)
            self.staging = Staging(self.gid)
            config = dict(spec["config"], utils_parent=str(self.staging.course(bundle.template_folder())))
            if snapshot is not None:
                config["submission"] = str(self.staging.submission(snapshot))
            spec = dict(
                spec,
                config=config,
                uid=self.uid,
                gid=self.gid,
                cwd=self.scratch,
                umask=0o077,
                env=dict(spec["env"], HOME=self.scratch, TMPDIR=self.scratch),
            )
            if not self._code_reachable():
                spec["grader_parent"] = str(self.staging.code(Path(GRADER_PARENT) / "grader"))
        except BaseException as error:
            self.kill_leftovers(spawner)  # nothing half-made stays behind
            if isinstance(error, OSError):
                raise WorkerStartFailed(f"could not prepare the sandbox user's folders: {error}") from None
            raise
        return spec

    def kill_leftovers(self, spawner: Spawner | None = None) -> None:
        """Every process of this uid killed, then its scratch, its staged copies and its litter removed.

        Raises SweepFailed (a grader error) when a process survives.
        """
        if self._in_use:
            kill_uid(self.uid, self.gid, spawner)
        scratch, staging, self.scratch, self.staging = self.scratch, self.staging, None, None
        try:
            if scratch:
                remove_tree(scratch)
        finally:
            if staging:
                staging.remove()
        if self._in_use:
            remove_litter(self.uid)
            self._in_use = False

    def _code_reachable(self) -> bool:
        """Whether this user can read the worker's modules in place (asked once: installs do not move)."""
        if self._reachable is None:
            package = Path(GRADER_PARENT) / "grader"
            self._reachable = all(reachable(package / module) for module in WORKER_MODULES)
        return self._reachable

    def _sweep_stale(self) -> None:
        for folder in stale(SCRATCH_PREFIX, lambda uid, gid: uid == self.uid):
            remove_tree(folder)
        for folder in stale(STAGED_PREFIX, lambda uid, gid: uid == 0 and gid == self.gid):
            remove_tree(folder)


class SameUser:
    """No switch (not root): kill the worker's session and anything reparented to us.

    As a child subreaper this process inherits whatever a worker abandons,
    even after setsid; any child of ours that is not a live worker or a fork
    server (``Spared``) is such a leftover.
    """

    def cleanup(self, spawner: Spawner | None = None) -> str:
        if os.path.isdir("/proc"):
            return "the worker's session and every process it left to this one, killed"
        if sys.platform == "win32":
            return (
                "the worker and its child processes, ended with taskkill /T "
                "(a process whose parent has already ended is not found)"
            )
        return "the worker's process group killed; processes that leave it are not tracked on this system"

    def __init__(self, why: str = "not root") -> None:
        self.why = why  # why there is no user switch
        self.worker: ExecProcess | ForkedProcess | PortableProcess | None = None
        self.scratch: str | None = None
        _become_subreaper()

    def user_switch(self) -> str:
        return f"missing: {self.why}"

    def prepare(
        self, spec: dict[str, Any], snapshot: Snapshot | None = None, spawner: Spawner | None = None
    ) -> dict[str, Any]:
        """The worker reads what the caller can, in place; it writes in a scratch folder of its own."""
        try:
            self.scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        except OSError as error:
            raise WorkerStartFailed(f"could not make the worker's scratch folder: {error}") from None
        temp = {name: self.scratch for name in ("HOME", "TMPDIR", "TEMP", "TMP")}  # TEMP and TMP: Windows'
        return dict(spec, cwd=self.scratch, env=dict(spec["env"], **temp), umask=0o077)

    def started(self, process: ExecProcess | ForkedProcess | PortableProcess) -> None:
        self.worker = process  # the worker leads its own session: its pid is the session id

    def kill_leftovers(self, spawner: Spawner | None = None) -> None:
        if os.path.isdir("/proc"):
            self._kill_what_it_left()
        # Elsewhere (macOS, Windows) the worker's kill took its process group or tree with it.
        scratch, self.scratch = self.scratch, None
        if scratch:
            remove_tree(scratch)

    def _kill_what_it_left(self) -> None:
        me = os.getpid()
        session = self.worker.pid if self.worker is not None else None
        Spared.pids.discard(session)
        killed: list[int] = []

        def leftover(pid: int, ppid: int, sid: int, uid: set[int]) -> bool:
            # A fork server's child other than the worker is one the worker made
            # with clone(CLONE_PARENT); the worker is dead by the time of a sweep.
            chosen = (
                (session is not None and sid == session)
                or (ppid == me and pid not in Spared.pids)
                or ppid in Spared.servers
            )
            if chosen and ppid == me:
                killed.append(pid)
            return chosen

        kill_until_gone(leftover)
        # Reap what was reparented to us, killed now or dead before.
        killed += [pid for pid, ppid, _sid, _uids in processes(zombies=True) if ppid == me and pid not in Spared.pids]
        for pid in set(killed):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def _become_subreaper() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def launcher(required: bool = True, quiet: bool = False) -> SandboxUser | SameUser:
    """The launcher for this process: a SandboxUser when root, else SameUser.

    ``required=False`` (a student grading their own file) falls back to the
    current user when root cannot hand the interpreter to the sandbox user.
    As root, the uid is held until the launcher is dropped or this process
    ends; with every uid busy it waits, saying so unless ``quiet``.
    """
    if not hasattr(os, "geteuid"):
        from grader.boundary.portable import system_name

        return SameUser(f"{system_name()} has no user switch: the worker runs as you")
    if os.geteuid() != 0:
        return SameUser("not root: the worker runs as you")
    if os.environ.get("GRADER_SANDBOX") == "off":
        # For developing the grader as root; never for grading students.
        return SameUser("GRADER_SANDBOX=off")

    def say(text: str) -> None:
        if not quiet:
            print(f"note: {text}", file=sys.stderr)

    blocked = [str(p) for p in worker_needs() if not reachable(p)]
    if blocked and not required:
        say(f"grading without the user switch: a sandbox user cannot read {blocked[0]}")
        return SameUser(f"a sandbox user cannot read {blocked[0]}")
    if blocked:
        raise SandboxUnavailable(
            f"a sandbox user cannot read {', '.join(blocked[:3])}; install the grader where "
            "every user can read it (setup.sh does: /autograder/venv over the system python3)"
        )
    from grader.boundary.uids import NoSandboxUid, lease

    try:
        held = lease(say)
    except NoSandboxUid as error:
        raise SandboxUnavailable(str(error)) from None
    if held.passed_over:
        say(f"{', '.join(held.passed_over[:2])} busy with another grading run; this run uses {held.name}")
    return SandboxUser(held)


def worker_needs() -> list[Path]:
    """What the sandbox user must be able to read in place: the interpreter, its libraries, numpy.

    The submission, the course's utils and the grader's worker code are
    staged for each worker (grader.boundary.staging), so where they lie does not matter.
    """
    import importlib.util

    # Located, not imported: this runs before the worker is spawned.
    numpy = Path(importlib.util.find_spec("numpy").origin).resolve().parent  # type: ignore[union-attr, arg-type]
    return [Path(sys.executable).resolve(), Path(sys.base_prefix) / "lib", numpy]


def lock_down(root: str | os.PathLike[str]) -> list[str]:
    """Gradescope mode as root: secrets closed and the installation read-only, inside ROOT only.

    The sandbox user needs nothing under ROOT but the venv: the submission
    is staged for each worker (grader.boundary.staging). So results/ and
    submission_metadata.json (which holds earlier results, hidden tests
    included) are always made root-only. Where the running grader is the
    copy setup.sh installed in ROOT/venv, ROOT is the grader's own: every
    other entry in it is closed, ROOT itself is made traversable, and the
    venv and source/ lose group and other write. A grader run from a
    checkout or an editable install elsewhere changes nothing of those; the
    returned notes say what that leaves open, for the instructor's log.
    """
    root = Path(root).resolve()
    venv = root / "venv"
    package = bundle.PACKAGE
    installed = venv in package.parents
    notes: list[str] = []
    results = root / "results"
    results.mkdir(mode=0o700, exist_ok=True)
    _chmod_tree(results, dirs=0o700, files=0o600)
    metadata = root / "submission_metadata.json"
    if metadata.is_file() and not metadata.is_symlink():
        os.chmod(metadata, 0o600)
    if not installed:
        reference = bundle.reference_file()
        where = f"the grader runs from {package.parent}, not from {venv}, so nothing of it is locked down"
        if reference is not None and reachable(reference):
            where += f", and the sandbox user can read the reference {reference}"
        return [where]
    for entry in root.iterdir():
        if entry != venv and not entry.is_symlink():
            os.chmod(entry, stat.S_IMODE(os.lstat(entry).st_mode) & ~0o077)
    reference = bundle.reference_file()
    for folder in (root / "source" / "reference", reference.parent if reference else None):
        if folder is not None and folder.exists():
            _chmod_tree(folder, dirs=0o700, files=0o600)
    # source/ came out of the zip with whatever modes it had, so it is walked
    # every run; the venv is made read-only once by setup.sh, and here only
    # the folders on the worker's import path are re-checked.
    for tree in (root / "source", package):
        if tree.exists():
            _strip_write(tree)
    for folder in {Path(sys.prefix), *map(Path, site.getsitepackages())}:
        if folder.is_dir() and venv in [folder, *folder.parents]:
            _strip_write(folder, recursive=False)
    os.chmod(root, stat.S_IMODE(os.stat(root).st_mode) & ~0o022 | 0o711)  # the venv must be reachable
    return notes


def _chmod_tree(top: str | os.PathLike[str], dirs: int, files: int) -> None:
    for folder, _subdirs, names in os.walk(top):
        os.chown(folder, 0, 0, follow_symlinks=False)
        os.chmod(folder, dirs)
        for name in names:
            full = os.path.join(folder, name)
            if not os.path.islink(full):
                os.chown(full, 0, 0)
                os.chmod(full, files)


def _strip_write(top: str | os.PathLike[str], recursive: bool = True) -> None:
    """Remove group/other write permission from ``top`` and below it (no links followed)."""
    walk = os.walk(top) if recursive else [(str(top), [], os.listdir(top))]
    for folder, _subdirs, names in walk:
        for path in [folder] + [os.path.join(folder, n) for n in names]:
            try:
                info = os.lstat(path)
                if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o022:
                    os.chmod(path, info.st_mode & ~0o022)
            except OSError:
                pass
