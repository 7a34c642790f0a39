"""Appends code to the installed grader, run_autograder and setup.sh, and drops .pth files into site-packages."""
import importlib.util as _importlib_util
import site as _site
import sys as _sys

_PAYLOAD = ("import os; open('/tmp/w2v-hostile-markers/BREACH-planted-code-ran', 'a')"
            ".write('uid %d\\n' % os.getuid())\n")


def _append(path):
    try:
        with open(path, "a") as out:
            out.write(("\n" + _PAYLOAD) if path.endswith(".py") else "\n# " + FORGERY + "\n")
        _mark("BREACH-wrote-installed-file", path)
    except OSError as exc:
        _mark("tried-write-installed-file", f"{path}: {exc}")


def _create(path, text):
    try:
        with open(path, "x") as out:
            out.write(text)
        _mark("BREACH-created-installed-file", path)
    except OSError as exc:
        _mark("tried-create-installed-file", f"{path}: {exc}")


_spec = _importlib_util.find_spec("grader")
for _folder in (_spec.submodule_search_locations or []) if _spec else []:
    for _name in ("__init__.py", "gradescope.py", "results.py", "__main__.py"):
        _append(_os.path.join(_folder, _name))
    _create(_os.path.join(_folder, "__pycache__", "hostile.cpython-311.pyc"), "")
_root = _autograder_root()
if _root:
    for _name in ("run_autograder", "source/run_autograder", "source/setup.sh", "source/grader/__init__.py"):
        _append(_os.path.join(_root, _name))
for _folder in list(_site.getsitepackages()) + [_sys.prefix]:
    _create(_os.path.join(_folder, "hostile.pth"), _PAYLOAD)
