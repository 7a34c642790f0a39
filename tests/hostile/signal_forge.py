"""SIGTERM/SIGINT/SIGHUP/SIGUSR1 handlers forge results.json and refuse to die."""
import signal as _signal


def _forge_on_signal(number, frame):
    _forge(f"signal-{number}")


for _name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGPIPE"):
    try:
        _signal.signal(getattr(_signal, _name), _forge_on_signal)
    except (OSError, ValueError) as _exc:
        _mark("tried-signal-handler", f"{_name}: {_exc}")
