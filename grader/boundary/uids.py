"""Sandbox uids, each held by one grading run at a time.

The cleanup after a worker kills every process of its uid, so two runs on
one machine (two ``local`` runs, ``check`` during a ``batch``, the slots of
a batch) must never share one. Each run takes an exclusive flock on a
root-only lock file per uid and keeps it while it grades: the first free
uid of the named sandbox user (``grader-sandbox``) and then a pool of uids
with no account, no files and no groups, which is all a worker needs. The
kernel drops the lock when the run ends, however it ends.
"""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

SANDBOX_USER = "grader-sandbox"
POOL_BASE = 64000  # pool uids are POOL_BASE + 1 .. POOL_BASE + POOL_SIZE
POOL_SIZE = 64
# /run on Linux; macOS has only /var/run. Both are root's and emptied at boot.
LOCK_FOLDER = "/run/word2vec-grader" if os.path.isdir("/run") else "/var/run/word2vec-grader"
WAIT_SECONDS = 600.0


class NoSandboxUid(Exception):
    """No sandbox uid could be held: a grader error, never the submission's."""


@dataclass
class Lease:
    """A uid this run holds; the lock goes with ``handle``."""

    name: str
    uid: int
    gid: int
    handle: IO[bytes] | None = field(default=None, repr=False)
    passed_over: list[str] = field(default_factory=list)  # busy uids this run did not take

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def candidates() -> list[tuple[str, int, int]]:
    """(name, uid, gid) in the order runs try them: the named user, then the pool."""
    found = []
    name = os.environ.get("GRADER_SANDBOX_USER", SANDBOX_USER)
    try:
        entry = pwd.getpwnam(name)
        found.append((entry.pw_name, entry.pw_uid, entry.pw_gid))
    except KeyError:
        pass
    accounts = {entry.pw_uid for entry in pwd.getpwall()}  # one read, not one lookup per uid
    groups = {entry.gr_gid for entry in grp.getgrall()}
    for uid in range(POOL_BASE + 1, POOL_BASE + POOL_SIZE + 1):
        # Kill by uid must never reach a real account (lease() asks again), and the
        # worker's gid (the uid) must open no group's files.
        if uid not in accounts and uid not in groups:
            found.append((f"uid {uid}", uid, uid))
    return found


def lease(say: Callable[[str], None] | None = None, wait_seconds: float = WAIT_SECONDS) -> Lease:
    """The first free uid, held until released or this process ends; waits while all are busy."""
    folder = lock_folder()
    options = candidates()
    if not options:
        raise NoSandboxUid(f"no sandbox uid: every uid from {POOL_BASE + 1} to {POOL_BASE + POOL_SIZE} has an account")
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        passed_over: list[str] = []
        for name, uid, gid in options:
            if name.startswith("uid ") and _has_account(uid):  # an account getpwall() did not list
                continue
            handle = _try_lock(os.path.join(folder, f"uid-{uid}.lock"))
            if handle is not None:
                return Lease(name, uid, gid, handle, passed_over)
            passed_over.append(name)
        if time.monotonic() > deadline:
            raise NoSandboxUid(f"all {len(options)} sandbox uids stayed in use by other grading runs")
        if not told and say is not None:
            say(f"all {len(options)} sandbox uids are in use by other grading runs; waiting for one")
            told = True
        time.sleep(0.2)


def lock_folder() -> str:
    """The root-only folder of lock files, made if need be; refused if anyone else could write it."""
    try:
        os.mkdir(LOCK_FOLDER, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise NoSandboxUid(f"cannot make the lock folder {LOCK_FOLDER}: {error.strerror or error}") from None
    info = os.lstat(LOCK_FOLDER)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise NoSandboxUid(
            f"{LOCK_FOLDER} must be a folder owned by root that no one else can write; "
            f"it has owner uid {info.st_uid} and mode {stat.filemode(info.st_mode)}"
        )
    return LOCK_FOLDER


def _try_lock(path: str) -> IO[bytes] | None:
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as error:
        raise NoSandboxUid(f"cannot open the lock file {path}: {error.strerror or error}") from None
    handle = os.fdopen(fd, "r+b")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    except OSError as error:
        handle.close()
        raise NoSandboxUid(f"cannot lock {path}: {error.strerror or error}") from None
    return handle


def _has_account(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def pool_uids() -> set[int]:
    """Every uid a run of this grader may switch to (for tests and sweeps)."""
    return {uid for _name, uid, _gid in candidates()}
