"""Which file in a submission folder is the submission."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable


class SubmissionNotFound(Exception):
    pass


# Copies the course's tools leave beside the real file: never the submission.
SKIPPED_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
# The course's own files in a2/: never the submission, even when the only .py file left.
COURSE_FILES = {"run.py", "sgd.py"}
COURSE_FOLDERS = {"utils"}
# What a student may have submitted instead of the .py file, and what to do.
NOT_PYTHON = (
    ("*.zip", "a zip archive", "unzip it and submit the word2vec.py inside"),
    ("*.ipynb", "a notebook", "copy your functions into word2vec.py and submit that"),
)


def find_submission(folder: str | os.PathLike[str]) -> Path:
    """The submission among the .py files under ``folder`` (see ``choose``); a zip or nothing is named back."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionNotFound(f"the submission folder {folder} does not exist")
    python = [p.relative_to(folder) for p in folder.rglob("*.py") if p.is_file() and not p.is_symlink()]
    try:
        return folder / choose(python)
    except SubmissionNotFound:
        if _students(python):
            raise
        for pattern, kind, instead in NOT_PYTHON:
            found = sorted(p.name for p in folder.rglob(pattern) if p.is_file() and counted(p.relative_to(folder)))
            if found:
                raise SubmissionNotFound(f"the submission is {kind} ({found[0]}), not a .py file: {instead}") from None
        raise


def counted(relative: PurePath) -> bool:
    """Not a copy left by notebooks or macOS (.ipynb_checkpoints, __MACOSX, ._word2vec.py)."""
    return not SKIPPED_FOLDERS & set(relative.parts) and not relative.name.startswith("._")


def _students(python: Iterable[PurePath]) -> list[PurePath]:
    """The files that are not the course's own (run.py, sgd.py, utils/) nor copies left by tools."""
    return [p for p in python if counted(p) and p.name not in COURSE_FILES and not COURSE_FOLDERS & set(p.parts[:-1])]


def choose(python: Iterable[PurePath]) -> PurePath:
    """word2vec.py, else the one file named like it (Word2Vec.py, word2vec (1).py), else the only .py
    file that is not the course's own, from paths relative to the submission."""
    python = sorted(filter(counted, python))
    named = [p for p in python if p.name == "word2vec.py"]
    if named:
        return min(named, key=lambda p: len(p.parts))
    alike = [p for p in python if p.stem.lower().replace(" ", "").startswith("word2vec")]
    if len(alike) == 1:
        return alike[0]
    own = _students(python)
    if len(own) == 1:
        return own[0]
    found = ", ".join(map(str, python[:5])) or "no .py files"
    raise SubmissionNotFound(f"no word2vec.py in the submission (found: {found}); submit your completed word2vec.py")


def not_python(path: str | os.PathLike[str], then: str = "grade") -> str | None:
    """Why ``path`` (a file) cannot be a Python submission, in terms of the fix; None if it may be one.

    ``then``: what the student does with the .py file once they have it ("grade", "submit").
    A zip or a notebook saved under a .py name is named too.
    """
    import zipfile

    path = Path(path)
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return f"{path.name} is a zip archive, not a .py file: unzip it, then {then} the word2vec.py inside"
    if path.suffix.lower() == ".ipynb" or _is_notebook(path):
        return f"{path.name} is a notebook: copy your functions into word2vec.py and {then} that"
    return None


# A notebook is JSON; a larger file is no notebook anyone submits for this assignment.
NOTEBOOK_BYTES = 20 * 1024 * 1024


def _is_notebook(path: Path) -> bool:
    """A Jupyter notebook's JSON (an object with "cells"), whatever the file is called."""
    import codecs
    import json

    try:
        with open(path, "rb") as handle:
            data = handle.read(NOTEBOOK_BYTES + 1)
    except OSError:
        return False
    start = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    if len(data) > NOTEBOOK_BYTES or not start.lstrip().startswith(b"{"):
        return False
    try:
        notebook = json.loads(start.decode("utf-8"))
    except ValueError:  # also bytes that are not UTF-8
        return False
    return isinstance(notebook, dict) and "cells" in notebook
