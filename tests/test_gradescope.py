"""The Gradescope path, end to end: build the zip, run setup.sh, grade under a fake /autograder."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, gradescope_python, subprocess_environment
from grader import grade
from grader.instructor.gradescope import run as run_gradescope
from grader.submission import SubmissionNotFound, find_submission

EXAMPLE = REPO / "examples" / "word2vec.py"


def test_submission_found_by_name_in_a_subfolder(tmp_path):
    (tmp_path / "hw2").mkdir()
    (tmp_path / "hw2" / "word2vec.py").write_text("x = 1\n")
    (tmp_path / "notes.py").write_text("y = 2\n")
    assert find_submission(tmp_path) == tmp_path / "hw2" / "word2vec.py"


def test_the_only_python_file_is_the_submission(tmp_path):
    (tmp_path / "my_word2vec_final.py").write_text("x = 1\n")
    assert find_submission(tmp_path).name == "my_word2vec_final.py"


def test_no_python_file_gives_a_result_that_says_so(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "README.txt").write_text("oops")
    run_gradescope(tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "no word2vec.py" in results["output"]
    with pytest.raises(SubmissionNotFound):
        find_submission(tmp_path / "missing")


def test_results_json_replaces_a_planted_symlink(tmp_path):
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "submission" / "word2vec.py")
    (tmp_path / "results").mkdir()
    target = tmp_path / "elsewhere.json"
    target.write_text("untouched")
    os.symlink(target, tmp_path / "results" / "results.json")
    run_gradescope(tmp_path)
    assert target.read_text() == "untouched"
    assert not (tmp_path / "results" / "results.json").is_symlink()
    assert json.loads((tmp_path / "results" / "results.json").read_text())["tests"]


@pytest.mark.slow
def test_zip_installs_and_grades_end_to_end(tmp_path, request):
    """setup.sh into a temporary virtual environment, then run_autograder as Gradescope would."""
    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--out", tmp_path / "dist"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Every user must be able to traverse to the installation (pytest's
    # tmp_path sits under a 0700 folder), as on Gradescope.
    root = tempfile.mkdtemp(prefix="autograder-", dir="/tmp")
    os.chmod(root, 0o755)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    root = Path(root)
    with zipfile.ZipFile(tmp_path / "dist" / "autograder.zip") as archive:
        names = archive.namelist()
        assert "setup.sh" in names and "run_autograder" in names
        assert not any("__pycache__" in n for n in names)
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / name, 0o755)  # zipfile does not restore modes
    env = subprocess_environment(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=gradescope_python())
    setup = subprocess.run(["bash", root / "source" / "setup.sh"], env=env, capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission" / "hw").mkdir(parents=True)
    shutil.copy(EXAMPLE, root / "submission" / "hw" / "word2vec.py")
    shutil.copy(EXAMPLE.parent / "sgd.py", root / "submission" / "hw" / "sgd.py")
    graded = subprocess.run([root / "run_autograder"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert 0 < results["score"] < 100
    assert isinstance(results["execution_time"], float)
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_due_date"}
    assert "Total:" in graded.stdout  # instructors see the text report
    assert results["score"] == grade(EXAMPLE, hidden=True).score
    if os.geteuid() == 0:  # the worker ran as the sandbox user
        assert (root / "results").stat().st_mode & 0o777 == 0o700
        assert (root / "source" / "reference").stat().st_mode & 0o777 == 0o700
