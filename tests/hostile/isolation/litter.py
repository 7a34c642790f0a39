"""Leaves uniquely named files, folders, a POSIX semaphore and a message queue behind, at import and in a call."""
import ctypes as _ctypes
import os as _os

_TOKEN = "{{TOKEN}}"
_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")
_reference_sigmoid = sigmoid
_littered_in_call = []


def _litter(when):
    """Make each kind of litter; print what was made and what was refused, and never raise."""
    made, refused = [], []

    def attempt(what, action):
        try:
            action()
            made.append(what)
        except Exception as exc:
            refused.append(f"{what} ({type(exc).__name__}: {exc})")

    def write(path):
        with open(path, "w") as handle:
            handle.write("litter\n")
        _os.chmod(path, 0o666)

    def folder(path):
        _os.mkdir(path)
        write(_os.path.join(path, "inside"))

    def posix_ipc(kind, name):
        libc = _ctypes.CDLL(None, use_errno=True)
        libc.sem_open.restype = _ctypes.c_void_p
        if kind == "semaphore":
            handle = libc.sem_open(name.encode(), _os.O_CREAT, 0o666, 1)
            failed = handle in (None, _ctypes.c_void_p(-1).value, 0)
        else:
            failed = libc.mq_open(name.encode(), _os.O_CREAT | _os.O_RDWR, 0o666, None) < 0
        if failed:
            raise OSError(_ctypes.get_errno(), _os.strerror(_ctypes.get_errno()))

    for top in _FOLDERS:
        attempt(f"{top}/{_TOKEN}-{when}-file", lambda: write(f"{top}/{_TOKEN}-{when}-file"))
        attempt(f"{top}/{_TOKEN}-{when}-dir", lambda: folder(f"{top}/{_TOKEN}-{when}-dir"))
    attempt(f"semaphore /{_TOKEN}-{when}-sem", lambda: posix_ipc("semaphore", f"/{_TOKEN}-{when}-sem"))
    attempt(f"message queue /{_TOKEN}-{when}-mq", lambda: posix_ipc("queue", f"/{_TOKEN}-{when}-mq"))
    print(f"litter {when}: made [{', '.join(made)}]; refused [{'; '.join(refused)}]")


def sigmoid(x):
    if not _littered_in_call:
        _littered_in_call.append(True)
        _litter("call")
    return _reference_sigmoid(x)


_litter("import")
