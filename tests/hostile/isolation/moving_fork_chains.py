"""At import: a chain of processes that each fork and exit (it keeps moving), and a setsid double-fork that stays.

The chain's first process makes itself the subreaper of the chain and reaps
each link as it exits, so no zombie counts against the process limit and
the chain moves as fast as fork allows.
"""
import ctypes as _ctypes
import os as _os
import select as _select
import time as _time

_NAME = "{{TOKEN}}".encode()  # every process of the attack renames itself to this (15 bytes at most)
_GENERATIONS_SHOWN = 200  # the import waits until the chain has moved this often, to show it ran
PR_SET_NAME, PR_SET_CHILD_SUBREAPER = 15, 36


def _rename():
    _ctypes.CDLL(None).prctl(PR_SET_NAME, _ctypes.c_char_p(_NAME), 0, 0, 0)


def _only(fd):
    """Close every descriptor but ``fd`` (the pipe back to the importing worker)."""
    for other in range(0, 1024):
        if other != fd:
            try:
                _os.close(other)
            except OSError:
                pass


def _tell(fd, byte):
    try:
        _os.write(fd, byte)
    except OSError:
        pass  # the worker stopped listening: keep going regardless


def _keep_moving(fd):
    """Each link forks the next and exits at once, so no pid stays alive for long."""
    while True:
        try:
            if _os.fork():
                _os._exit(0)
        except OSError:
            _time.sleep(0.001)  # the process limit: try again
            continue
        _tell(fd, b"m")


def _reap_forever():
    while True:
        try:
            _os.waitpid(-1, 0)
        except ChildProcessError:
            _time.sleep(0.01)


def _start():
    read, write = _os.pipe()
    if _os.fork() == 0:  # the moving chain
        try:
            _rename()
            _only(write)
            _ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            if _os.fork() == 0:
                _keep_moving(write)
            _os.close(write)
            _reap_forever()
        finally:
            _os._exit(0)
    if _os.fork() == 0:  # the daemon: setsid, fork again, and the middle process exits
        try:
            _rename()
            _only(write)
            _os.setsid()
            if _os.fork() == 0:
                _tell(write, b"d")
                while True:
                    _time.sleep(0.05)
        finally:
            _os._exit(0)
    _os.close(write)
    moves, daemon, deadline = 0, False, _time.monotonic() + 5
    while (moves < _GENERATIONS_SHOWN or not daemon) and _time.monotonic() < deadline:
        if _select.select([read], [], [], 0.1)[0]:
            chunk = _os.read(read, 4096)
            moves += chunk.count(b"m")
            daemon = daemon or b"d" in chunk
    _os.close(read)
    shown = min(moves, _GENERATIONS_SHOWN)
    print(f"fork chains: the moving chain made {shown}{'+' if moves >= _GENERATIONS_SHOWN else ''} generations; "
          f"the setsid daemon {'is up' if daemon else 'did not start'}")


try:
    _start()
except Exception as _exc:
    print(f"fork chains: could not start ({type(_exc).__name__}: {_exc})")
