"""An endless loop in negSamplingLossAndGradient with SIGTERM, SIGINT and SIGHUP ignored; the rest is correct."""
import signal as _signal

for _name in ("SIGTERM", "SIGINT", "SIGHUP"):
    _signal.signal(getattr(_signal, _name), _signal.SIG_IGN)


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    while True:
        pass
