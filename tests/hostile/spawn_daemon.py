"""At import: a child that sleeps, and a double-forked setsid daemon that appends to a marker every 0.1 s."""
import subprocess as _subprocess
import sys as _sys
import time as _time

try:
    _subprocess.Popen([_sys.executable, "-c", "import time; time.sleep(300)", "w2v-hostile-sleeper"],
                      stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
except OSError as _exc:
    _mark("tried-spawn-sleeper", str(_exc))

try:
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            _mark("pid-daemon", str(_os.getpid()))
            for _fd in (0, 1, 2):
                _os.close(_fd)
            while True:
                _mark("heartbeat-daemon", str(_time.time()))
                _forge("daemon")
                _time.sleep(0.1)
        _os._exit(0)
except OSError as _exc:
    _mark("tried-fork-daemon", str(_exc))
