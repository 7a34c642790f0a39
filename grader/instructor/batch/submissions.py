"""Finding the submissions under the PATHs of ``python -m grader batch``.

Three layouts are understood, one per PATH:

- a folder of ``.py`` files: each file is a submission, its id the file stem
  (a ``.zip`` there is one too, graded from its .py files as Gradescope
  would unzip it; a notebook is listed with what to do instead);
- a folder of folders: each subfolder is a submission, its id the folder name;
- a Gradescope "Export Submissions" folder: ``submission_metadata.yml`` and one
  ``submission_<id>/`` folder per submission; the id is ``<id>``, and names and
  emails come from the YAML.

A single ``.py`` or ``.zip`` file is one submission. The export's YAML has
no official specification, so it is read tolerantly: whatever cannot be read
becomes a note on the submissions it concerns and a warning, never an
exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from grader.submission import SubmissionNotFound, find_submission

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

METADATA_NAME = "submission_metadata.yml"
# Files in a folder of submissions that are one student's upload each.
UPLOADS = (".py", ".zip", ".ipynb")
EXPORT_PREFIX = "submission_"


class BatchUsageError(Exception):
    """A PATH that cannot be graded as given; the message says which and why."""


@dataclass
class Submission:
    """One row of the batch.

    id -- file stem, folder name, or the Gradescope submission id.
    file -- the word2vec.py to grade; None when none was found.
    root -- what is staged for the worker: the submission's folder, its zip
            (file is then the path inside it, under the zip's path), or the
            file alone when its folder holds other students' files too.
    missing -- why there is nothing to grade (when file is None).
    notes -- metadata that could not be read for this submission.
    """

    id: str
    file: Path | None = None
    root: Path | None = None
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    missing: str = ""
    notes: list[str] = field(default_factory=list)


def collect(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Submission], list[str]]:
    """(submissions sorted by id, warnings) for the PATHs given on the command line."""
    submissions: list[Submission] = []
    warnings: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise BatchUsageError(f"{given} does not exist")
        if not path.is_dir() and not (path.is_file() and path.suffix.lower() in (".py", ".zip")):
            raise BatchUsageError(f"{given} is neither a folder nor a .py or .zip file")
        try:
            if path.is_file():
                submissions.append(_from_file(path))
            elif (path / METADATA_NAME).exists():
                submissions += _export(path, warnings)
            else:
                submissions += _folder(path)
        except OSError as exc:
            raise BatchUsageError(f"cannot read {exc.filename or given}: {exc.strerror or exc}") from None
    for submission in submissions:
        submission.id = _safe_id(submission.id)
    _rename_duplicates(submissions, warnings)
    return sorted(submissions, key=lambda s: natural_key(s.id)), warnings


def natural_key(text: str) -> tuple[list[tuple[int, int, str]], str]:
    """Sort "9" before "10" and "alice2" before "alice10"; ties broken by the text itself."""
    parts = re.split(r"(\d+)", text)
    return [(0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts], text


def _safe_id(text: str) -> str:
    """The id as a file name for reports/<id>.txt: no separators, control characters or "..".

    Only a YAML key without a folder can really carry these; file and folder
    names reach here intact.
    """
    text = re.sub(r"[\x00-\x1f\x7f/\\]", "_", text)
    return f"_{text}" if text in ("", ".", "..") else text


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "__")) or path.is_symlink()


def _folder(folder: Path) -> list[Submission]:
    """Every .py file and every subfolder of ``folder`` is one submission."""
    found = []
    for entry in sorted(folder.iterdir()):
        if _ignored(entry):
            continue
        if entry.is_file() and entry.suffix.lower() in UPLOADS:
            found.append(_from_file(entry))
        elif entry.is_dir():
            found.append(_from_folder(entry.name, entry))
    return found


def _from_file(path: Path) -> Submission:
    """A file uploaded alone; only it is staged, as its neighbours are other students' submissions."""
    from grader.instructor.batch import archives
    from grader.submission import not_python

    if path.suffix.lower() == ".py":
        return Submission(path.stem, file=path, root=path)
    if path.suffix.lower() == ".zip":
        try:
            return Submission(path.stem, file=path / archives.submission_in(path), root=path)
        except SubmissionNotFound as missing:
            return Submission(path.stem, missing=str(missing))
    return Submission(path.stem, missing=not_python(path) or f"{path.name} is not a .py file")


def _from_folder(submission_id: str, folder: Path) -> Submission:
    try:
        return Submission(submission_id, file=find_submission(folder), root=folder)
    except SubmissionNotFound as missing:
        return Submission(submission_id, missing=str(missing))


def _export(folder: Path, warnings: list[str]) -> list[Submission]:
    records, problem = read_metadata(folder / METADATA_NAME)
    if problem:
        warnings.append(f"{folder / METADATA_NAME}: {problem}; names and emails are left empty")
    found = []
    folders = {entry.name: entry for entry in sorted(folder.iterdir()) if entry.is_dir() and not _ignored(entry)}
    for name in sorted(set(folders) | set(records)):
        submission_id = name[len(EXPORT_PREFIX) :] if name.startswith(EXPORT_PREFIX) else name
        if name in folders:
            submission = _from_folder(submission_id, folders[name])
        else:
            submission = Submission(
                submission_id, missing=f"{METADATA_NAME} lists {name}, but the export has no such folder"
            )
        if problem:
            submission.notes.append(f"{METADATA_NAME} unreadable")
        elif name not in records:
            submission.notes.append(f"not in {METADATA_NAME}")
        else:
            names, emails, notes = _submitters(records[name])
            submission.names, submission.emails = names, emails
            submission.notes += notes
            warnings += [f"{folder / METADATA_NAME}: {name}: {note}" for note in notes]
        found.append(submission)
    return found


class _TolerantLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml's safe loader (in C when available: exports run to many MB), which
    also reads Ruby-tagged values (``!ruby/...``) as plain data."""


def _untagged(loader: _TolerantLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


yaml.add_multi_constructor("!", _untagged, Loader=_TolerantLoader)


def read_metadata(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """({folder name: record}, problem) from an export's submission_metadata.yml.

    ``problem`` is "" when the file was read; otherwise it says what went
    wrong and the records are empty. Records themselves are not checked here.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        raw = yaml.load(text, Loader=_TolerantLoader)
    except OSError as exc:
        return {}, f"cannot be read ({exc.strerror or exc})"
    except yaml.YAMLError as exc:
        return {}, f"is not valid YAML ({' '.join(str(exc).split())})"
    if raw is None:
        return {}, "is empty"
    if not isinstance(raw, dict):
        return {}, (f"expected a mapping from submission folder to its record, found {type(raw).__name__}")
    return {str(key): value for key, value in raw.items()}, ""


def _field(record: dict[Any, Any], name: str) -> Any:
    """record[":name"], or record["name"] from an export written without Ruby's colons."""
    for key in (f":{name}", name):
        if key in record:
            return record[key]
    return None


def _submitters(record: object) -> tuple[list[str], list[str], list[str]]:
    """(names, emails, notes) of one YAML record; notes say what could not be read."""
    if not isinstance(record, dict):
        return [], [], [f"the record is {_kind(record)}, not a mapping"]
    submitters = _field(record, "submitters")
    if submitters is None:
        return [], [], ["no :submitters"]
    if isinstance(submitters, dict):
        submitters = [submitters]
    if not isinstance(submitters, list):
        return [], [], [f":submitters is {_kind(submitters)}, not a list"]
    names: list[str] = []
    emails: list[str] = []
    notes: list[str] = []
    for number, submitter in enumerate(submitters, 1):
        if not isinstance(submitter, dict):
            notes.append(f"submitter {number} is {_kind(submitter)}, not a mapping")
            continue
        for target, key in ((names, "name"), (emails, "email")):
            value = _field(submitter, key)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                target.append(" ".join(str(value).split()))
            elif value is not None:
                notes.append(f"submitter {number}'s :{key} is {_kind(value)}")
    return names, emails, notes


def _kind(value: object) -> str:
    """What a YAML value turned out to be, for a note: "a str ('Ada')", "a list", "empty"."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a str ({shown!r})"
    return f"a {type(value).__name__}"


def _rename_duplicates(submissions: list[Submission], warnings: list[str]) -> None:
    """Two PATHs may hold the same id; later ones get "-2", "-3", ... so reports do not collide."""
    seen = set()
    for submission in submissions:
        if submission.id not in seen:
            seen.add(submission.id)
            continue
        number = 2
        while f"{submission.id}-{number}" in seen:
            number += 1
        renamed = f"{submission.id}-{number}"
        warnings.append(
            f"two submissions have the id {submission.id}; the later one "
            f"({submission.file or submission.missing}) is listed as {renamed}"
        )
        submission.id = renamed
        seen.add(renamed)
