"""Looks for a way back to the root fork server that forked it: a socket, its parent's files, privileges."""
import signal as _signal
import stat as _stat


def _probe_fork_server():
    # A socket among this process's descriptors could ask the root server for a root child.
    try:
        _names = _os.listdir("/proc/self/fd")
    except OSError as _exc:
        _names = [str(_fd) for _fd in range(64)]
        _mark("tried-list-descriptors", str(_exc))
    for _name in _names:
        try:
            _target = _os.readlink(f"/proc/self/fd/{_name}")
            _mode = _os.fstat(int(_name)).st_mode
        except OSError:
            continue
        if _stat.S_ISSOCK(_mode):
            _mark("BREACH-inherited-socket", f"fd {_name} -> {_target}")
        else:
            _mark("tried-descriptors", f"fd {_name} -> {_target}")
    _parent = _os.getppid()
    for _what in ("environ", "mem", "maps"):
        try:
            with open(f"/proc/{_parent}/{_what}", "rb") as _handle:
                _handle.read(64)
            _mark(f"BREACH-read-parent-{_what}", f"/proc/{_parent}/{_what}")
        except OSError as _exc:
            _mark(f"tried-read-parent-{_what}", str(_exc))
    try:
        _os.listdir(f"/proc/{_parent}/fd")
        _mark("BREACH-list-parent-fds", f"/proc/{_parent}/fd")
    except OSError as _exc:
        _mark("tried-list-parent-fds", str(_exc))
    try:
        _os.kill(_parent, _signal.SIGSTOP)
        _mark("BREACH-stopped-parent", f"SIGSTOP to {_parent}")
        _os.kill(_parent, _signal.SIGCONT)
    except OSError as _exc:
        _mark("tried-stop-parent", str(_exc))
    for _change in (lambda: _os.setuid(0), lambda: _os.setgid(0), lambda: _os.setgroups([0])):
        try:
            _change()
            _mark("BREACH-regained-root", f"uid {_os.getuid()} gid {_os.getgid()} groups {_os.getgroups()}")
        except OSError as _exc:
            _mark("tried-regain-root", str(_exc))
    if _os.getgroups():
        _mark("BREACH-supplementary-groups", str(_os.getgroups()))
    import ctypes as _ctypes
    _no_new_privs = _ctypes.CDLL(None).prctl(39, 0, 0, 0, 0)  # PR_GET_NO_NEW_PRIVS: /proc may be out of reach
    if _no_new_privs != 1:
        _mark("BREACH-may-gain-privileges", f"PR_GET_NO_NEW_PRIVS: {_no_new_privs}")
    if _os.getsid(0) != _os.getpid():
        _mark("BREACH-shares-a-session", f"session {_os.getsid(0)}, pid {_os.getpid()}")


_probe_fork_server()
