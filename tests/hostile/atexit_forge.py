"""An atexit hook forges results.json when the worker exits, and leaves a child to forge again 2 s later."""
import atexit as _atexit
import time as _time


def _forge_at_exit():
    _forge("atexit")
    try:
        if _os.fork() == 0:
            _os.setsid()
            _time.sleep(2)
            _mark("BREACH-atexit-child-outlived-the-worker", "2 s after the worker exited")
            _forge("atexit-late")
            _os._exit(0)
    except OSError as exc:
        _mark("tried-atexit-fork", str(exc))


_atexit.register(_forge_at_exit)
