"""What the worker reads, copied where the sandbox user can read it.

The caller's folders are none of the grader's business: a submission in a
0700 temporary folder, an instructor's home or an export only root can read
must grade exactly like one in /tmp. So the trusted side reads the
submission once, as itself, and each worker that runs as the sandbox user
gets a copy in a folder of its own: owned by root, readable by the sandbox
user's group only, and removed when the worker ends. A file the grader
cannot read or copy is the grader's trouble, never the student's.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.boundary.spawners import WORKER_MODULES, WorkerStartFailed

STAGED_PREFIX = "grader-staged-"
MODULE_MIB = 1
# Modules and packages beside the submission that it may import (a student's
# helpers), within bounds: a student's folder may hold a whole course.
MODULE_LIMIT = 256
MODULE_BYTES = MODULE_MIB << 20
TOTAL_BYTES = 8 << 20
PACKAGE_DEPTH = 6
# Packages the worker brings itself: the course's utils and the grader.
PROVIDED = ("utils", "grader")


class SubmissionUnreadable(WorkerStartFailed):
    """The grader could not read or copy the submission: a grader error, never the student's."""


@dataclass(frozen=True)
class Snapshot:
    """The submission and the files the worker imports with it, read once by the trusted side."""

    name: str  # the submission's own file name
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes, the submission included

    @classmethod
    def read(cls, submission: str | os.PathLike[str]) -> Snapshot:
        submission = Path(submission)
        try:
            files = {submission.name: submission.read_bytes()}
        except OSError as error:
            raise SubmissionUnreadable(
                f"the grader could not read the submission {submission}: {error.strerror or error}"
            ) from None
        total = len(files[submission.name])
        for relative, path in _helpers(submission):
            if len(files) > MODULE_LIMIT:
                break
            try:
                data = path.read_bytes()
            except OSError:
                continue  # a helper the grader cannot read is left out, as the student's own
            if total + len(data) <= TOTAL_BYTES:
                files[relative] = data
                total += len(data)
        return cls(submission.name, files)


def _helpers(submission: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of the .py files beside the submission and in packages beside it.

    The submission's other graded files (sgd.py) come first, so no limit leaves them out.
    """
    from grader import registry

    top = submission.parent
    found = []
    graded = set(registry.sources())
    entries = _entries(top)
    for entry in sorted(entries, key=lambda e: e.name not in graded):
        if entry.name == submission.name:
            continue
        if regular(entry) and entry.suffix == ".py":
            found.append((entry.name, entry))
        elif entry.name not in PROVIDED and _is_package(entry):
            found += _package_modules(entry, top, depth=1)
    return found


def _package_modules(folder: Path, top: Path, depth: int) -> list[tuple[str, Path]]:
    modules = []
    for entry in _entries(folder):
        if regular(entry) and entry.suffix == ".py":
            modules.append((entry.relative_to(top).as_posix(), entry))
        elif depth < PACKAGE_DEPTH and _is_package(entry):
            modules += _package_modules(entry, top, depth + 1)
    return modules


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def regular(path: Path) -> bool:
    """A file the worker is given a copy of: a regular file (no link) of at most MODULE_BYTES."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= MODULE_BYTES


def _is_package(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode) and regular(path / "__init__.py")
    except OSError:
        return False


def shared_temp_folder() -> str:
    """A temporary folder every user can reach: $TMPDIR may be a private one (pytest's, root's)."""
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(candidate) and reachable(candidate):
            return candidate
    raise WorkerStartFailed(
        "no temporary folder the sandbox user can reach (tried $TMPDIR, /tmp, /var/tmp and /dev/shm)"
    )


def reachable(path: str | os.PathLike[str]) -> bool:
    """Whether 'others' can traverse to ``path`` and read it (search it, for a folder)."""
    path = Path(path)
    for folder in list(path.parents)[::-1] + [path]:
        try:
            mode = os.stat(folder).st_mode
        except OSError:
            return False
        needed = stat.S_IXOTH if stat.S_ISDIR(mode) else stat.S_IROTH
        if folder != path and not mode & stat.S_IXOTH:
            return False
        if folder == path and not mode & needed:
            return False
    return True


class Staging:
    """One worker's read-only copies: the submission, the course's utils and, if need be, the worker's code.

    Laid out as ``submission/`` (the submission and its helpers), ``course/utils/``
    and ``code/grader/``; folders 0750 and files 0640, owned by root and the
    sandbox user's group, so the worker may read them and change nothing.
    """

    def __init__(self, gid: int) -> None:
        self.gid = gid
        self.top = Path(tempfile.mkdtemp(prefix=STAGED_PREFIX, dir=shared_temp_folder()))
        self._own(self.top, folder=True)

    def submission(self, snapshot: Snapshot) -> Path:
        """The staged submission's path."""
        folder = self._folder("submission")
        for name, data in snapshot.files.items():
            self._make_parents(folder / name)
            self._write(folder / name, data)
        return folder / snapshot.name

    def course(self, template_folder: str | os.PathLike[str]) -> Path:
        """A folder holding a copy of the course's ``utils/`` package (the worker's utils_parent)."""
        return self._copy_tree(Path(template_folder) / "utils", self._folder("course") / "utils").parent

    def code(self, grader_package: Path) -> Path:
        """A folder holding the modules the worker imports of the grader (for an exec'd worker)."""
        target = self._folder("code") / "grader"
        for module in WORKER_MODULES:
            source = Path(grader_package) / module
            self._make_parents(target / module)
            self._write(target / module, self._read(source))
        return target.parent

    def remove(self) -> None:
        remove_tree(self.top)

    def _copy_tree(self, source: Path, target: Path) -> Path:
        self._make_parents(target / "__init__.py")
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" not in path.parts:
                self._make_parents(target / path.relative_to(source))
                self._write(target / path.relative_to(source), self._read(path))
        return target

    def _folder(self, name: str) -> Path:
        folder = self.top / name
        folder.mkdir(exist_ok=True)
        self._own(folder, folder=True)
        return folder

    def _make_parents(self, path: Path) -> None:
        current = self.top
        for part in path.parent.relative_to(self.top).parts:
            current = current / part
            if not current.is_dir():
                current.mkdir()
                self._own(current, folder=True)

    def _read(self, path: Path) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise WorkerStartFailed(
                f"the grader could not read its own file {path}: {error.strerror or error}"
            ) from None

    def _write(self, path: Path, data: bytes) -> None:
        try:
            with open(path, "xb") as out:  # x: never through a planted link
                out.write(data)
        except OSError as error:
            raise SubmissionUnreadable(
                f"the grader could not copy {path.name} for the worker: {error.strerror or error}"
            ) from None
        self._own(path, folder=False)

    def _own(self, path: Path, folder: bool) -> None:
        os.chown(path, 0, self.gid)
        os.chmod(path, 0o750 if folder else 0o640)


# Deeper than this, removal is left to GNU rm, which walks without recursion.
REMOVE_DEPTH = 200


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete ``path`` and everything under it, never following links; never raises.

    Root removes what a sandbox uid could shape (its scratch folder, its
    litter), maybe while another user is changing the folders around it.
    So every step holds the folder it works in open and names entries
    relative to it (openat, unlinkat): a folder swapped for a link on the
    way is a link, unlinked, not followed; a folder replaced by another is
    left alone. Past REMOVE_DEPTH levels GNU rm, which is as careful and
    walks without recursion, takes over.
    """
    if not hasattr(os, "O_DIRECTORY"):  # Windows: no openat; only the student's own scratch is removed there
        shutil.rmtree(path, ignore_errors=True)
        return
    parent, name = os.path.split(os.path.abspath(path))
    try:
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        remove_at(parent_fd, name)
    finally:
        os.close(parent_fd)
    rm = shutil.which("rm", path="/usr/bin:/bin")
    if os.path.lexists(path) and rm and sys.platform.startswith("linux"):
        try:
            subprocess.run(
                [rm, "-rf", "--one-file-system", "--", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            pass


def remove_at(folder_fd: int, name: str, depth: int = 0) -> None:
    """Delete the entry ``name`` of the open folder ``folder_fd``, and all under it; never raises."""
    try:
        info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except OSError:
        return
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(name, dir_fd=folder_fd)
        except OSError:
            pass
        return
    if depth > REMOVE_DEPTH:
        return
    inner = open_folder_at(folder_fd, name, info)
    if inner is None:
        return
    try:
        for entry in list(os.scandir(inner)):
            remove_at(inner, entry.name, depth + 1)
    except OSError:
        pass
    finally:
        os.close(inner)
    try:
        os.rmdir(name, dir_fd=folder_fd)
    except OSError:
        pass


def open_folder_at(folder_fd: int, name: str, seen: os.stat_result) -> int | None:
    """The folder ``name`` of ``folder_fd`` opened without following a link, if it is still the one ``seen``."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder_fd)
    except OSError:
        return None
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
        os.close(fd)
        return None
    return fd


def stale(prefix: str, owner: Callable[[int, int], bool]) -> list[str]:
    """Folders ``prefix``* in the shared temporary folder whose (uid, gid) ``owner`` picks: a run's leftovers."""
    try:
        top = shared_temp_folder()
        entries = list(os.scandir(top))
    except (OSError, WorkerStartFailed):
        return []
    found = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if entry.name.startswith(prefix) and stat.S_ISDIR(info.st_mode) and owner(info.st_uid, info.st_gid):
            found.append(entry.path)
    return found
