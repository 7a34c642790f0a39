"""Files as students save them: each gets its score, or one message that names the fix.

What a file holds is graded by one code path (grading.grade) in every mode;
where a mode finds the file (local, Gradescope, batch) is tested per mode.
"""

import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from conftest import REFERENCE_SGD_PATH, REPO
from grader import saved_source
from grader.instructor.gradescope import run as run_gradescope
from grader.submission import SubmissionNotFound, find_submission
from test_batch import batch, read_scores

TEMPLATE = REPO / "student_template"
RESAVE = "re-save the file as UTF-8 in your editor"
REFERENCE_SGD = REFERENCE_SGD_PATH.read_text(encoding="utf-8")


def local(path, cwd, *options):
    return subprocess.run(
        [sys.executable, "-m", "grader", "local", *options, str(path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def a2_folder(top, reference_source, name="word2vec.py"):
    """The course's a2/ folder as a student has it: utils/, run.py, a completed sgd.py and a notebook checkpoint."""
    folder = top / "a2"
    (folder / "utils").mkdir(parents=True)
    for helper in (TEMPLATE / "utils").glob("*.py"):
        (folder / "utils" / helper.name).write_text(helper.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "word2vec-checkpoint.py").write_text("def sigmoid(x):\n    pass\n")
    (folder / "run.py").write_text("print('training')\n")
    (folder / "sgd.py").write_text(REFERENCE_SGD, encoding="utf-8")
    (folder / name).write_text(reference_source, encoding="utf-8")
    return folder


def zip_of(folder, archive):
    """``archive`` holding ``folder`` itself, so its files are one level down (a2/word2vec.py)."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            out.write(path, path.relative_to(folder.parent))
    return archive


def latin1_comment(reference_source):
    return b"# My notes\n#\n# r\xe9sum\xe9 of the derivation\n" + reference_source.encode("utf-8")


def latin1_string(reference_source):
    return b'# My notes\nAUTHOR = "Ren\xe9"\n' + reference_source.encode("utf-8")


def windows_saved(source):
    """``source`` as a Windows editor may save it: a byte order mark and CRLF line ends."""
    return b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode("utf-8")


# --- what the file holds: one code path in every mode ---


@pytest.mark.parametrize("name", ["word2vec.py", "word2vec (1).py", "Word2Vec.py"])
def test_the_submission_is_found_in_a_whole_a2_folder(tmp_path, reference_source, name):
    folder = a2_folder(tmp_path, reference_source, name)
    assert find_submission(folder) == folder / name


def test_two_files_named_like_the_submission_are_named_back(tmp_path, reference_source):
    for name in ("word2vec (1).py", "word2vec (2).py"):
        (tmp_path / name).write_text(reference_source, encoding="utf-8")
    with pytest.raises(SubmissionNotFound, match=r"word2vec \(1\)\.py, word2vec \(2\)\.py"):
        find_submission(tmp_path)


def test_the_course_files_are_never_the_submission(tmp_path, reference_source):
    folder = a2_folder(tmp_path, reference_source, "my_solution.py")
    (folder / "._my_solution.py").write_bytes(b"\0\x05\x16\x07 macOS resource fork")
    assert find_submission(folder) == folder / "my_solution.py"
    (folder / "my_solution.py").unlink()
    with pytest.raises(SubmissionNotFound, match=r"no word2vec\.py in the submission \(found: run\.py, sgd\.py"):
        find_submission(folder)


def test_windows_line_endings_and_a_byte_order_mark_get_full_marks(tmp_path, grade, reference_source):
    path = tmp_path / "word2vec.py"
    path.write_bytes(windows_saved(reference_source))
    (tmp_path / "sgd.py").write_bytes(windows_saved(REFERENCE_SGD))
    run = grade(path, hidden=True)
    assert run.score == run.max_score == 110, run.summary


def test_a_latin1_byte_in_a_comment_grades_with_a_warning_naming_the_line(tmp_path, grade, reference_source):
    # Python 3.7 to 3.13 all import such a file (as the notebook does) but refuse to run it as a script.
    path = tmp_path / "word2vec.py"
    path.write_bytes(latin1_comment(reference_source))
    (tmp_path / "sgd.py").write_text(REFERENCE_SGD, encoding="utf-8")
    run = grade(path, hidden=True)
    assert run.score == run.max_score == 110, run.summary
    assert run.summary == (
        f"Warning: word2vec.py line 3 is not UTF-8 (byte 0xe9): {RESAVE}; import accepts it, but "
        "`python word2vec.py` refuses to run it."
    )


@pytest.mark.parametrize(
    "saved, message",
    [
        (latin1_string, f"word2vec.py line 2 is not UTF-8 (byte 0xe9): {RESAVE}"),
        (
            lambda source: source.encode("utf-16"),
            f"word2vec.py is saved as UTF-16, which Python does not read: {RESAVE}",
        ),
    ],
    ids=["latin1-string", "utf16"],
)
def test_bytes_python_cannot_import_give_one_message_with_the_fix(tmp_path, grade, reference_source, saved, message):
    path = tmp_path / "word2vec.py"
    path.write_bytes(saved(reference_source))
    run = grade(path, hidden=True)
    assert run.score == 0 and run.summary == message


def test_a_declared_latin1_file_is_read_as_latin1():
    assert saved_source.not_utf8(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n", "word2vec.py") is None
    assert (
        saved_source.not_utf8(b"x = 1\n# coding: latin-1\ny = '\xe9'\n", "w.py")
        == f"w.py line 3 is not UTF-8 (byte 0xe9): {RESAVE}"
    )


def test_a_long_file_is_checked_up_to_a_line_end_never_mid_character(tmp_path, monkeypatch):
    path = tmp_path / "word2vec.py"
    path.write_text("# é\n# ééé\n", encoding="utf-8")
    monkeypatch.setattr(saved_source, "READ_LIMIT", 8)  # ends inside the second é
    assert (
        saved_source.read(path) == "# é\n".encode() and saved_source.not_utf8(saved_source.read(path), "w.py") is None
    )


@pytest.mark.parametrize(
    "body",
    [["        x = x", "\tx = x"], ["\tx = x", "    x = x"]],
    ids=["tab-error", "indentation-error"],
)
def test_tabs_mixed_with_spaces_name_the_line_and_the_fix(tmp_path, grade, reference_source, body):
    lines = reference_source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("def sigmoid"))
    lines[at + 1 : at + 1] = body
    source = "\n".join(lines)
    with pytest.raises(SyntaxError) as python_says:  # IndentationError or TabError, with Python's line
        compile(source, "word2vec.py", "exec")
    path = tmp_path / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    run = grade(path, hidden=True)
    assert run.score == 0
    said = python_says.value
    assert f"{type(said).__name__} at line {said.lineno}: {said.msg}" in run.summary, run.summary
    assert "indent with spaces only" in run.summary


def test_an_import_the_grader_does_not_provide_is_named_with_the_fix(tmp_path, grade, reference_source):
    path = tmp_path / "word2vec.py"
    path.write_text("import matplotlib.pyplot as plt\n" + reference_source, encoding="utf-8")
    run = grade(path, hidden=True)
    assert run.score == 0
    assert "No module named 'matplotlib'\n  at line 1: import matplotlib.pyplot as plt" in run.summary, run.summary
    assert "provides only numpy and the course's utils package: remove the import of matplotlib" in run.summary


def test_only_imports_run_at_import_time_are_checked_against_what_the_grader_provides():
    source = (
        b"import numpy as np\nimport iniconfig\nfrom utils.utils import softmax\nimport scipy.special\n"
        b"def plot():\n    import pytest\n"
        b"try:\n    import pytest\nexcept ImportError:\n    pass\n"
        b'if __name__ == "__main__":\n    import pytest\n'
    )
    found = saved_source.installed_here_only(source, ["scipy>=1.10"])
    assert found == [(2, "iniconfig")]  # pytest's own dependency: installed wherever the tests run


# --- local: python -m grader local PATH ---


@pytest.mark.parametrize("target", ["a2", "a2/word2vec (1).py", "."], ids=["a2-folder", "the-file", "above-a2"])
def test_local_grades_the_file_in_a_folder_or_given_by_name(tmp_path, reference_source, target):
    a2_folder(tmp_path, reference_source, "word2vec (1).py")
    done = local(tmp_path / target, tmp_path, "--all", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 110


def test_local_warns_of_an_import_installed_here_that_the_grader_lacks(tmp_path, reference_source):
    (tmp_path / "word2vec.py").write_text("import iniconfig\n" + reference_source, encoding="utf-8")
    done = local(tmp_path / "word2vec.py", tmp_path)
    assert (
        "warning: word2vec.py line 1 imports iniconfig, which this Python has but the grader provides only numpy "
        "and the course's utils package: on Gradescope the file will not import" in done.stderr
    ), done.stderr
    assert "Traceback" not in done.stderr


def test_local_tells_a_zip_of_the_folder_to_be_unzipped(tmp_path, reference_source):
    archive = zip_of(a2_folder(tmp_path, reference_source), tmp_path / "upload" / "a2.zip")
    for target in (archive, archive.parent):
        done = local(target, tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "zip archive" in done.stderr and "unzip it" in done.stderr and "Traceback" not in done.stderr


# --- Gradescope: ROOT/submission as Gradescope leaves an upload ---


def gradescope(root):
    run_gradescope(root)
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope_grades_an_unzipped_folder_one_level_down(tmp_path, reference_source):
    # A zip of a2/ uploaded: Gradescope unzips it, so the files are under submission/a2/.
    a2_folder(tmp_path / "submission", reference_source, "Word2Vec.py")
    results = gradescope(tmp_path)
    assert results["score"] == 110, results["output"]


@pytest.mark.parametrize("beside", [[], ["run.py"]], ids=["alone", "beside-run.py"])
def test_gradescope_names_the_fix_for_a_zip_inside_the_upload(tmp_path, reference_source, beside):
    archive = zip_of(a2_folder(tmp_path, reference_source), tmp_path / "submission" / "upload" / "a2.zip")
    for name in beside:
        (archive.parent / name).write_text("print('training')\n")
    results = gradescope(tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"] == (
        "the submission is a zip archive (a2.zip), not a .py file: unzip it and submit the word2vec.py inside"
    )


def test_gradescope_names_the_fix_for_a_notebook_uploaded_alone(tmp_path):
    (tmp_path / "submission" / ".ipynb_checkpoints").mkdir(parents=True)
    for name in ("a2.ipynb", ".ipynb_checkpoints/a2-checkpoint.ipynb"):
        (tmp_path / "submission" / name).write_text('{"cells": []}')
    results = gradescope(tmp_path)
    assert results["score"] == 0 and results["output"] == (
        "the submission is a notebook (a2.ipynb), not a .py file: copy your functions into word2vec.py and submit that"
    )


@pytest.mark.parametrize(
    "saved, score, said",
    [
        (latin1_comment, 110, f"word2vec.py line 3 is not UTF-8 (byte 0xe9): {RESAVE}"),
        (latin1_string, 0, f"word2vec.py line 2 is not UTF-8 (byte 0xe9): {RESAVE}"),
    ],
    ids=["comment", "string"],
)
def test_gradescope_shows_the_student_how_to_resave_a_latin1_file(tmp_path, reference_source, saved, score, said):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "word2vec.py").write_bytes(saved(reference_source))
    (tmp_path / "submission" / "sgd.py").write_text(REFERENCE_SGD, encoding="utf-8")
    results = gradescope(tmp_path)
    assert results["score"] == score and said in results["output"], results["output"]


# --- batch: a folder of uploads, a folder of folders ---


def member(archive, name, data, mode=0o100644):
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    archive.writestr(info, data)


@pytest.fixture(scope="module")
def class_of_uploads(tmp_path_factory):
    """Every kind of saved file as an upload of its own, graded in one batch: (scores rows, out, stderr)."""
    reference_source = (REPO / "reference" / "word2vec.py").read_text(encoding="utf-8")
    top = tmp_path_factory.mktemp("uploads")
    files, folders = top / "files", top / "folders"
    files.mkdir()
    zip_of(a2_folder(top / "alice", reference_source, "Word2Vec.py"), files / "alice.zip")
    with zipfile.ZipFile(files / "bob.zip", "w") as archive:
        member(archive, "word2vec.py", reference_source)
        member(archive, "../../escaped.py", "print('outside')\n")
    with zipfile.ZipFile(files / "carol.zip", "w") as archive:
        member(archive, "word2vec.py", "../../../etc/passwd", mode=stat.S_IFLNK | 0o777)
        member(archive, "a2/word2vec.py", reference_source)
        member(archive, "a2/sgd.py", REFERENCE_SGD)
    (files / "dave.zip").write_bytes(b"PK\x03\x04 but not a zip archive at all")
    with zipfile.ZipFile(files / "erin.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        member(archive, "word2vec.py", "#" * (21 * 2**20))
    (files / "frank.ipynb").write_text('{"cells": []}')
    with zipfile.ZipFile(files / "grace.zip", "w") as archive:  # saved on Windows; sgd.py with it
        member(archive, "word2vec.py", windows_saved(reference_source))
        member(archive, "sgd.py", windows_saved(REFERENCE_SGD))
    (files / "heidi.py").write_bytes(latin1_string(reference_source))
    (files / "ivan.py").write_text("import torch\n" + reference_source, encoding="utf-8")
    with zipfile.ZipFile(files / "nina.zip", "w") as archive:
        member(archive, "a2.zip", (files / "alice.zip").read_bytes())
    zip_of(a2_folder(top / "kim", reference_source), folders / "kim" / "a2.zip")
    a2_folder(folders / "leo", reference_source, "word2vec (1).py")
    done = batch(files, folders, "--out", top / "out", "--jobs", 2, cwd=top)
    assert done.returncode == 0, done.stderr
    assert not (top / "escaped.py").exists() and not (files / "escaped.py").exists()
    return {row["id"]: row for row in read_scores(top / "out")}, top / "out", done.stderr


@pytest.mark.parametrize("student", ["alice", "carol", "grace", "leo"])
def test_batch_grades_uploads_saved_in_any_of_the_usual_ways(class_of_uploads, student):
    rows, _, _ = class_of_uploads
    assert (rows[student]["status"], rows[student]["total"]) == ("graded", "110"), rows[student]


@pytest.mark.parametrize(
    "student, status",
    [
        ("bob", "no submission: bob.zip was not graded: it names a file outside itself ('../../escaped.py')"),
        ("dave", "no submission: dave.zip was not graded: it cannot be read as a zip archive"),
        ("erin", "no submission: erin.zip was not graded: its .py files hold more than 20 MiB"),
        ("frank", "no submission: frank.ipynb is a notebook: copy your functions into word2vec.py"),
        ("kim", "no submission: the submission is a zip archive (a2.zip), not a .py file: unzip it"),
        ("nina", "no submission: nina.zip holds another zip archive (a2.zip), not a .py file: unzip it"),
        ("heidi", f"import failed: heidi.py line 2 is not UTF-8 (byte 0xe9): {RESAVE}"),
        ("ivan", "import failed: ivan.py raised ModuleNotFoundError while being imported: No module named 'torch'"),
    ],
)
def test_batch_gives_each_upload_it_cannot_grade_its_reason(class_of_uploads, student, status):
    rows, out, stderr = class_of_uploads
    assert rows[student]["status"].startswith(status) and rows[student]["total"] == "0", rows[student]
    assert "Traceback" not in stderr
    if student == "ivan":
        assert "remove the import of torch" in (out / "reports" / "ivan.txt").read_text()


def test_batch_reads_only_the_python_files_of_a_zip(tmp_path):
    from grader.instructor.batch import archives

    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as out:
        member(out, "a2/word2vec.py", "x = 1\n")
        member(out, "a2/data/big.bin", b"\0" * 1024)
        member(out, "link.py", "/etc/passwd", mode=stat.S_IFLNK | 0o777)
        member(out, "__MACOSX/a2/._word2vec.py", b"\0\x05\x16\x07")
    archives.extract_python(archive, tmp_path / "out")
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["a2/word2vec.py"]
    assert not any(p.is_symlink() for p in (tmp_path / "out").rglob("*"))
    assert str(archives.submission_in(archive)) == "a2/word2vec.py"
    assert sorted(os.listdir(tmp_path)) == ["out", "upload.zip"]
