"""Which file in a submission folder is the submission."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os


class SubmissionNotFound(Exception):
    pass


def find_submission(folder: str | os.PathLike[str]) -> Path:
    """word2vec.py, else the only .py file, looking in subfolders too."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionNotFound(f"the submission folder {folder} does not exist")
    named = sorted(p for p in folder.rglob("word2vec.py") if p.is_file() and not p.is_symlink())
    if named:
        return min(named, key=lambda p: len(p.parts))
    python = sorted(p for p in folder.rglob("*.py") if p.is_file() and not p.is_symlink() and "__MACOSX" not in p.parts)
    if len(python) == 1:
        return python[0]
    found = ", ".join(str(p.relative_to(folder)) for p in python[:5]) or "no .py files"
    raise SubmissionNotFound(f"no word2vec.py in the submission (found: {found}); submit your completed word2vec.py")
