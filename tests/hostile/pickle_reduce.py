"""sigmoid returns an object whose unpickling runs code (a __reduce__ that writes a BREACH marker)."""

_PAYLOAD = ("import os; open('/tmp/w2v-hostile-markers/BREACH-unpickled', 'a')"
            ".write('unpickled by uid %d, pid %d\\n' % (os.getuid(), os.getpid()))")


class _Payload:
    def __reduce__(self):
        _mark("tried-pickled", "the worker pickled the payload (harmless unless someone unpickles it)")
        return (exec, (_PAYLOAD,))


def sigmoid(x):
    return _Payload()
