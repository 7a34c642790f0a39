"""Which file in a submission folder is the submission."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os


class SubmissionNotFound(Exception):
    pass


# Copies the course's tools leave beside the real file: never the submission.
SKIPPED_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


def find_submission(folder: str | os.PathLike[str]) -> Path:
    """word2vec.py, else the one file named like it (Word2Vec.py, word2vec (1).py), else the only .py
    file, looking in subfolders too, never in notebook checkpoints or macOS's zip metadata."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionNotFound(f"the submission folder {folder} does not exist")
    python = sorted(
        p
        for p in folder.rglob("*.py")
        if p.is_file() and not p.is_symlink() and not SKIPPED_FOLDERS & set(p.relative_to(folder).parts)
    )
    named = [p for p in python if p.name == "word2vec.py"]
    if named:
        return min(named, key=lambda p: len(p.parts))
    alike = [p for p in python if p.stem.lower().replace(" ", "").startswith("word2vec")]
    if len(alike) == 1:
        return alike[0]
    if len(python) == 1:
        return python[0]
    archives = sorted(p.name for p in folder.rglob("*.zip") if p.is_file())
    if not python and archives:
        raise SubmissionNotFound(
            f"the submission is a zip archive ({archives[0]}), not a .py file: unzip it and submit the word2vec.py "
            "inside"
        )
    found = ", ".join(str(p.relative_to(folder)) for p in python[:5]) or "no .py files"
    raise SubmissionNotFound(f"no word2vec.py in the submission (found: {found}); submit your completed word2vec.py")


def not_python(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` (a file) cannot be a Python submission, in terms of the fix; None if it may be one."""
    import zipfile

    path = Path(path)
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return f"{path.name} is a zip archive, not a .py file: unzip it, then grade the word2vec.py inside"
    if path.suffix.lower() == ".ipynb":
        return f"{path.name} is a notebook: copy your functions into word2vec.py and grade that"
    return None
