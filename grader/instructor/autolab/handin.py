"""The handin of an Autolab job, made into a word2vec.py in a scratch folder of the grader's own.

Autolab renames every upload to the handin file name set on the site, so a
name says little: a .zip or a .tar of the student's folder, or a notebook,
may arrive as word2vec.py. What a handin is comes from its bytes. Whatever
it is, the submission is graded from a copy in a fresh folder, so the
worker's folder holds the submission and nothing of the job's (the unpacked
autograde.tar lies beside the handin).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath

from grader.submission import SubmissionNotFound

# The default handin file name; the site's may differ (see ``locate``).
DEFAULT_NAME = "word2vec.py"
# A .py file larger than this is not a word2vec.py: refused before it is copied.
HANDIN_BYTES_LIMIT = 20 * 2**20
# What the job folder holds besides the handin (Autolab copies the
# autograde-Makefile in as Makefile).
JOB_FILES = {"autograde.tar", "autograde-Makefile", "Makefile"}


def locate(given: str | None, job_folder: Path, unpacked: Path | None) -> Path:
    """The handin: ``given``, else word2vec.py, else the one file of the job folder that is not the job's own.

    ``unpacked``: the folder autograde.tar was unpacked into, never the handin.
    """
    if given:
        path = job_folder / given
        if not path.exists():
            raise SubmissionNotFound(
                f"no handin named {given} in the job folder; the autograde-Makefile's HANDIN must be the "
                "handin file name set on the Autolab site"
            )
        return path
    if (job_folder / DEFAULT_NAME).exists():
        return job_folder / DEFAULT_NAME
    others = sorted(
        entry.name
        for entry in job_folder.iterdir()
        if entry.name not in JOB_FILES and not entry.name.startswith(".") and entry != unpacked
    )
    if len(others) == 1:
        return job_folder / others[0]
    found = ", ".join(others[:5]) or "nothing else"
    raise SubmissionNotFound(
        f"no handin: the job folder has no {DEFAULT_NAME} (it holds {found}); submit your completed {DEFAULT_NAME}"
    )


def unpack(handin: Path, scratch: Path) -> tuple[Path, str]:
    """(the submission to grade, under ``scratch``; the name its report goes by).

    Raises SubmissionNotFound, whose message tells the student what to submit instead.
    """
    from grader.instructor.batch import archives

    if handin.is_symlink() or not handin.is_file():
        raise SubmissionNotFound(f"the handin {handin.name} is not a file; submit your completed {DEFAULT_NAME}")
    if archives.is_archive(handin):
        inside = archives.submission_in(handin)
        folder = scratch / "submission"
        archives.extract_python(handin, folder)
        return folder.joinpath(*inside.parts), str(inside)
    if handin.stat().st_size > HANDIN_BYTES_LIMIT:
        raise SubmissionNotFound(
            f"the handin {handin.name} holds more than {HANDIN_BYTES_LIMIT >> 20} MiB, which no word2vec.py does; "
            f"submit your completed {DEFAULT_NAME}"
        )
    if _is_notebook(handin):
        raise SubmissionNotFound(
            f"the handin {handin.name} is a Jupyter notebook, not a .py file: copy your functions into "
            f"{DEFAULT_NAME} and submit that"
        )
    name = handin.name if handin.suffix == ".py" else DEFAULT_NAME
    target = scratch / "submission" / name
    target.parent.mkdir(parents=True)
    shutil.copyfile(handin, target)
    return target, str(PurePosixPath(name))


def _is_notebook(path: Path) -> bool:
    """A notebook by its contents: JSON with cells, whatever the file is called."""
    if path.suffix.lower() == ".ipynb":
        return True
    with open(path, "rb") as opened:
        start = opened.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"{"):
        return False
    try:
        parsed = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and ("cells" in parsed or "nbformat" in parsed)
