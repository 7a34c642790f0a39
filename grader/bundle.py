"""Where the files the grader ships with are: the reference and the template.

From a source checkout (or an editable install) they are the repository's
top-level ``reference/`` and ``student_template/``; an installed wheel
carries them under ``grader/_bundled/``.
"""

from __future__ import annotations

from pathlib import Path

# The grader package's folder: grader/ in a checkout or in site-packages.
PACKAGE = Path(__file__).resolve().parent


def _folder(name: str) -> Path | None:
    for candidate in (PACKAGE / "_bundled" / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    return None


def reference_file(name: str = "word2vec.py") -> Path | None:
    """A file of the reference solution (word2vec.py, sgd.py), or None where it is not shipped (the handout)."""
    folder = _folder("reference")
    path = folder / name if folder else None
    return path if path and path.is_file() else None


def golden_file() -> Path | None:
    """Shipped answers for the public suite (the handout has them instead of the reference)."""
    path = PACKAGE / "golden.npz"
    return path if path.is_file() else None


def template_folder() -> Path:
    """The starter ``word2vec.py`` and the course's ``utils/`` package."""
    folder = _folder("student_template")
    if folder is None:
        raise FileNotFoundError("the grader's student_template/ folder is missing from this install")
    return folder
