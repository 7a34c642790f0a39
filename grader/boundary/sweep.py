"""Nothing of a sandbox uid outlives its worker: no process, no file in a shared temporary folder.

Processes are killed by a process of that uid signalling every process it
may signal, kill(-1, SIGKILL): one pass of the kernel over its task list,
which no fork chain can outrun (grader.worker.reaper). That killer is a
child the fork server switches to the uid, or, with no fork server (the
first sweep of a run, exec'd workers), an interpreter started as the uid.
Only if neither can run is each process of the uid found in /proc killed,
round after round. Files the uid made in the world-writable temporary
folders are removed afterwards, when nothing can change them any more. A
sweep that cannot finish is the grader's error.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.boundary.spawners import ForkServer, Spawner, WorkerStartFailed
from grader.boundary.staging import open_folder_at, remove_at
from grader.worker import reaper

# Where any user may create files: what a submission leaves there is its litter.
TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run/lock", "/var/crash")
LITTER_DEPTH = 4  # world-writable folders inside those are searched this deep


class SweepFailed(WorkerStartFailed):
    """Processes of a sandbox uid survived the sweep: the grader cannot promise a clean next worker."""


def kill_uid(uid: int, gid: int, spawner: Spawner | None = None) -> None:
    """Kill every process of ``uid``: kill(-1) from that uid (grader.worker.reaper), through the fork server
    or a helper interpreter. Raises SweepFailed if any survives."""
    if isinstance(spawner, ForkServer) and spawner.sweep(uid, gid):
        return
    if _reap_with_interpreter(uid, gid):
        return
    # The helper could not run (or gave up): signal each process found in /proc, then look again.
    kill_until_gone(lambda pid, ppid, session, uids: uid in uids)
    survivors = [pid for pid, _ppid, _session, uids in processes() if uid in uids]
    if survivors:
        raise SweepFailed(
            f"the sweep after the worker could not end {len(survivors)} process(es) of uid {uid} "
            f"(pids {', '.join(map(str, survivors[:5]))}); grading stopped rather than share them with the next worker"
        )


def _reap_with_interpreter(uid: int, gid: int) -> bool:
    """grader.worker.reaper's source run by ``python -I -S -c`` as ``uid``: no file of the grader need be
    readable to it. Whether it says none is left."""
    try:
        source = Path(reaper.__file__).read_text(encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", source],
            user=uid,
            group=gid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def processes(zombies: bool = False) -> Iterator[tuple[int, int, int, set[int]]]:
    """(pid, ppid, session, uids) of every process, zombies only if asked, from /proc.

    The uids come from the Uid: line of /proc/PID/status (real, effective,
    saved, filesystem): the owner of /proc/PID reads as root for a process
    that is not dumpable, which a submission can arrange.
    """
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/status", "rb") as handle:
                uid_line = next(line for line in handle if line.startswith(b"Uid:"))
            uids = {int(u) for u in uid_line.split()[1:]}
        except (OSError, IndexError, StopIteration, ValueError):
            continue
        if zombies or fields[0] not in (b"Z", b"X"):
            yield int(entry), int(fields[1]), int(fields[3]), uids


def kill_until_gone(select: Callable[[int, int, int, set[int]], bool], rounds: int = 50) -> None:
    """SIGKILL every process ``select`` picks, again until none is left."""
    for _ in range(rounds):
        targets = [
            pid for pid, ppid, session, uids in processes() if pid != os.getpid() and select(pid, ppid, session, uids)
        ]
        if not targets:
            return
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


def remove_litter(uid: int, folders: tuple[str, ...] = TEMP_FOLDERS) -> int:
    """Remove what ``uid`` owns in the shared temporary folders and System V IPC; how many went.

    Only folders anyone may write are searched below the top: elsewhere
    the uid could not have made anything. Each folder is held open while
    it is searched (grader.boundary.staging.remove_at), so no link is ever
    followed, whoever changes the folders meanwhile.
    """
    removed = 0
    for top in folders:
        try:
            fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            removed += _remove_owned(fd, uid, LITTER_DEPTH)
        finally:
            os.close(fd)
    return removed + _remove_ipc(uid)


def _remove_owned(folder_fd: int, uid: int, depth: int) -> int:
    try:
        names = [entry.name for entry in os.scandir(folder_fd)]
    except OSError:
        return 0
    removed = 0
    for name in names:
        try:
            info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            remove_at(folder_fd, name)
            removed += 1
        elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH and depth > 0:
            inner = open_folder_at(folder_fd, name, info)
            if inner is not None:
                try:
                    removed += _remove_owned(inner, uid, depth - 1)
                finally:
                    os.close(inner)
    return removed


# /proc/sysvipc/<kind>: the columns of the id, the owner's uid and the creator's uid, and how to remove
# one. The owner may be handed to anyone with IPC_SET; the creator stays.
IPC_KINDS = {"shm": (1, 7, 9, "shmctl"), "sem": (1, 4, 6, "semctl"), "msg": (1, 7, 9, "msgctl")}
IPC_RMID = 0


def _remove_ipc(uid: int) -> int:
    """System V shared memory, semaphores and queues ``uid`` made or owns: like /dev/shm, held by no process.

    A worker of the fork server has an IPC namespace of its own, which ends
    with it; an exec'd worker shares this one.
    """
    if not os.path.isdir("/proc/sysvipc"):
        return 0
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for kind, (id_column, uid_column, creator_column, remove) in IPC_KINDS.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                rows = [line.split() for line in table.readlines()[1:]]
        except OSError:
            continue
        for row in rows:
            try:
                if uid not in (int(row[uid_column]), int(row[creator_column])):
                    continue
                ident = int(row[id_column])
            except (IndexError, ValueError):
                continue
            args = (ident, 0, IPC_RMID) if kind == "sem" else (ident, IPC_RMID, None)
            if getattr(libc, remove)(*args) == 0:
                removed += 1
    return removed
