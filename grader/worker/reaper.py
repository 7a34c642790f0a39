"""Kill every other process of this process's uid: run as the sandbox uid, never as root.

Self-contained (the standard library only, nothing of the grader), since it
runs two ways: in a child the fork server switches to the uid
(grader.worker.zygote.sweep), and as the source of ``python -I -S -c``
started as the uid by the trusted side when there is no fork server
(grader.boundary.sweep), which then needs no file of the grader readable.

kill(-1) signals every process the caller may signal in one pass of the
kernel over its task list, which no fork chain outruns. Its return value
cannot say whether any was signalled (it counts processes it had no right
to signal as well), so the kernel's count of the uid's processes answers
instead: under RLIMIT_NPROC 2, a fork succeeds only while this process is
the uid's one. Zombies count until reaped; after a few rounds a look in
/proc tells zombies that nobody reaps yet from the living.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

KILL_ROUNDS = 200  # each waits up to 10 ms
ZOMBIE_ROUNDS = 10


def kill_all_of_mine() -> bool:
    """Whether no other process of this uid is left alive."""
    uid = os.getuid()
    if uid == 0:
        raise PermissionError("kill(-1) as root would end the machine")
    import resource  # here, not above: the trusted side imports this module on systems without it

    resource.setrlimit(resource.RLIMIT_NPROC, (2, 2))
    for round_ in range(KILL_ROUNDS):
        os.kill(-1, signal.SIGKILL)
        if _alone() or (round_ >= ZOMBIE_ROUNDS and not any(_alive_as(uid))):
            return True
        time.sleep(0.001 * min(round_ + 1, 10))
    return False


def _alone() -> bool:
    """Whether this process is its uid's only one, under an RLIMIT_NPROC of 2."""
    try:
        pid = os.fork()
    except BlockingIOError:  # EAGAIN: the uid has another process, alive or zombie
        return False
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return True


def _alive_as(uid: int) -> Iterator[int]:
    """Pids of the processes not yet dead that have ``uid`` as any of their uids, this one excepted."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or entry == me:
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as handle:
                status = handle.read()
        except OSError:
            continue
        fields = dict(line.split(b":", 1) for line in status.splitlines() if b":" in line)
        uids = fields.get(b"Uid", b"").split()
        state = fields.get(b"State", b"?").split()[:1]
        if str(uid).encode() in uids and state not in ([b"Z"], [b"X"]):
            yield int(entry)


if __name__ == "__main__":
    raise SystemExit(0 if kill_all_of_mine() else 1)
