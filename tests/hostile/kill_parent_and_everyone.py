"""Kills its parent (the grader) with SIGKILL, then every process /proc shows, then forges results.json."""
import signal as _signal

if _os.geteuid() == 0:
    # Never kill everything as root: that would take the machine down. Running as root is the breach.
    _mark("BREACH-worker-runs-as-root", "the kill attack refused to run")
else:
    try:
        _os.kill(_os.getppid(), _signal.SIGKILL)
        _mark("tried-kill-parent", f"SIGKILL sent to parent {_os.getppid()} (a process of this user)")
    except OSError as _exc:
        _mark("tried-kill-parent", f"parent {_os.getppid()}: {_exc}")
    _killed = []
    try:
        _entries = _os.listdir("/proc")
    except OSError as _exc:
        _entries = []
        _mark("tried-list-processes", str(_exc))
    for _entry in _entries:
        if _entry.isdigit() and int(_entry) != _os.getpid():
            try:
                _os.kill(int(_entry), _signal.SIGKILL)
                _killed.append(_entry)
            except OSError:
                pass
    _mark("tried-kill-everyone", f"killed {len(_killed)} processes: {' '.join(_killed[:20])}")
    _forge("after-killing")
