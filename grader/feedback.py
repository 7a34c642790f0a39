"""Renders the student-facing messages kept in ``templates/feedback.j2``."""

import functools
import os
import sys
from pathlib import Path

import jinja2
import numpy as np


def bytecode_cache():
    """An on-disk cache of compiled templates, where only this user can write it; else None.

    The cache holds code this process will run, so a folder anyone else could
    write (the sandbox user above all) is never used. In a virtual
    environment it sits inside it (setup.sh fills it when the image is
    built); otherwise under ~/.cache.
    """
    folders = [Path.home() / ".cache" / "word2vec-grader"]
    if sys.prefix != sys.base_prefix:
        folders.insert(0, Path(sys.prefix) / ".grader-template-cache")
    for folder in folders:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.stat()
        except OSError:
            continue
        if info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return jinja2.FileSystemBytecodeCache(str(folder))
    return None


@functools.lru_cache(maxsize=None)
def _macros():
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=False, bytecode_cache=bytecode_cache())
    return env.get_template("feedback.j2").make_module()


def say(kind, **fields):
    """One message, e.g. ``say("wrong_shape", name=..., ...)``."""
    return str(getattr(_macros(), kind)(**fields)).strip()


def number(x):
    return np.format_float_positional(float(x), precision=6, unique=True, trim="-", fractional=False) \
        if np.isfinite(x) and 1e-4 <= abs(x) < 1e6 else f"{float(x):.6g}"


def array(a, limit=6):
    """A short rendering of an array for a message."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a)
    flat = [number(x) for x in a.reshape(-1)[:limit]]
    more = f", ... ({a.size} values)" if a.size > limit else ""
    return f"[{', '.join(flat)}{more}]" + ("" if a.ndim == 1 else f" shape {a.shape}")
