"""Files as students save them: each gets its score, or one message that names the fix."""

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO
from grader.submission import SubmissionNotFound, find_submission

TEMPLATE = REPO / "student_template"


def local(path, cwd):
    return subprocess.run(
        [sys.executable, "-m", "grader", "local", str(path)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def a2_folder(top, reference_source, name="word2vec.py"):
    """The course's a2/ folder as a student has it: utils/, run.py, sgd.py and a notebook checkpoint."""
    folder = top / "a2"
    (folder / "utils").mkdir(parents=True)
    for helper in (TEMPLATE / "utils").glob("*.py"):
        (folder / "utils" / helper.name).write_text(helper.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "word2vec-checkpoint.py").write_text("def sigmoid(x):\n    pass\n")
    (folder / "run.py").write_text("print('training')\n")
    (folder / "sgd.py").write_text("def sgd(f, x0, step, iterations):\n    return x0\n")
    (folder / name).write_text(reference_source, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", ["word2vec.py", "word2vec (1).py", "Word2Vec.py"])
def test_the_submission_is_found_in_a_whole_a2_folder(tmp_path, reference_source, name):
    folder = a2_folder(tmp_path, reference_source, name)
    assert find_submission(folder) == folder / name


def test_two_files_named_like_the_submission_are_named_back(tmp_path, reference_source):
    for name in ("word2vec (1).py", "word2vec (2).py"):
        (tmp_path / name).write_text(reference_source, encoding="utf-8")
    with pytest.raises(SubmissionNotFound, match=r"word2vec \(1\)\.py, word2vec \(2\)\.py"):
        find_submission(tmp_path)


def test_windows_line_endings_and_a_byte_order_mark_get_full_marks(tmp_path, grade, reference_source):
    path = tmp_path / "word2vec.py"
    path.write_bytes(b"\xef\xbb\xbf" + reference_source.replace("\n", "\r\n").encode("utf-8"))
    assert grade(path, hidden=True).score == 100


def test_a_latin1_byte_in_a_comment_still_grades(tmp_path, grade, reference_source):
    # The worker compiles the file's bytes, and compile() lets non-UTF-8 bytes in a comment pass
    # (running the file itself would not): an editor's Latin-1 there costs nothing.
    path = tmp_path / "word2vec.py"
    path.write_bytes(b"# r\xe9sum\xe9 of my notes\n" + reference_source.encode("utf-8"))
    run = grade(path, hidden=True)
    assert run.score == 100, run.summary


def test_tabs_mixed_with_spaces_name_the_line(tmp_path, grade, reference_source):
    lines = reference_source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("def sigmoid"))
    lines[at + 1] = "\t" + lines[at + 1].lstrip() + "\n        pass"
    source = "\n".join(lines)
    with pytest.raises(SyntaxError) as python_says:  # IndentationError or TabError, with Python's line
        compile(source, "word2vec.py", "exec")
    path = tmp_path / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    run = grade(path, hidden=True)
    assert run.score == 0
    assert f"{type(python_says.value).__name__} at line {python_says.value.lineno}" in run.summary, run.summary


def test_an_import_the_grader_does_not_provide_is_named(tmp_path, grade, reference_source):
    path = tmp_path / "word2vec.py"
    path.write_text("import matplotlib.pyplot as plt\n" + reference_source, encoding="utf-8")
    run = grade(path, hidden=True)
    assert run.score == 0
    assert "matplotlib" in run.summary and "Only numpy" in run.summary, run.summary


def test_a_zip_of_the_folder_is_told_to_be_unzipped(tmp_path, reference_source):
    folder = a2_folder(tmp_path, reference_source)
    archive = tmp_path / "upload" / "a2.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as out:
        for path in folder.rglob("*"):
            out.write(path, path.relative_to(tmp_path))
    for target in (archive, archive.parent):
        done = local(target, tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "zip archive" in done.stderr and "unzip it" in done.stderr and "Traceback" not in done.stderr
