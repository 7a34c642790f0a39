"""Reads another student's submission by its absolute path, and every word2vec.py it finds above its own folder."""
import os as _os

_OTHER = "{{OTHER_SUBMISSION}}"
_reference_sigmoid = sigmoid
_peeked_in_call = []


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return f"{path}: read {handle.read(300)!r}"  # the start of each is enough to tell
    except Exception as exc:
        return f"{path}: {type(exc).__name__}: {exc}"


def _word2vec_files_above():
    """Every word2vec.py but this one in the folders above this file's, three levels down from each."""
    own = _os.path.abspath(__file__)
    found, folder, seen = [], _os.path.dirname(own), 0
    while True:
        for top, subfolders, names in _os.walk(folder, onerror=lambda exc: found.append(f"walk: {exc}")):
            seen += 1
            if top.count(_os.sep) - folder.count(_os.sep) >= 3 or seen > 5000:
                subfolders[:] = []
            if "word2vec.py" in names and _os.path.join(top, "word2vec.py") != own:
                found.append(_os.path.join(top, "word2vec.py"))
        parent = _os.path.dirname(folder)
        if parent == folder or seen > 5000:
            return found
        folder = parent


def _peek(when):
    """What could be read of other submissions, as text; never raises."""
    try:
        found = [_read(_OTHER)]
        found += [_read(p) if p.endswith(".py") else p for p in _word2vec_files_above()]
    except Exception as exc:
        found = [f"{type(exc).__name__}: {exc}"]
    return f"peek {when}: " + " || ".join(found)


def sigmoid(x):
    if not _peeked_in_call:
        _peeked_in_call.append(True)
        raise RuntimeError(_peek("inside sigmoid"))
    return _reference_sigmoid(x)


print(_peek("at import"))
