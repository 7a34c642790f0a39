"""sgd.py graded beside word2vec.py: present, missing, broken or left out by grader.yml."""

import dataclasses

import pytest

from conftest import REPO
from grader import config, grade

REFERENCE = REPO / "reference"


def lost_under(run):
    return {t.function for t in run.tests if t.score < t.max_score}


@pytest.fixture
def folder(tmp_path):
    """A submission folder holding the reference word2vec.py, and no sgd.py yet."""
    (tmp_path / "word2vec.py").write_text((REFERENCE / "word2vec.py").read_text(encoding="utf-8"))
    return tmp_path


def test_the_reference_folder_is_graded_with_its_sgd(describe_tests):
    run = grade(REFERENCE / "word2vec.py", hidden=True)
    sgd = [t for t in run.tests if t.function == "sgd"]
    assert [t.number for t in sgd] == ["5.1", "5.2", "5.3", "5.4"]
    assert all(t.passed for t in sgd), describe_tests(sgd)
    assert sum(t.max_score for t in sgd) == 10


def test_a_missing_sgd_py_costs_only_the_sgd_tests_and_says_so(folder):
    run = grade(folder / "word2vec.py", hidden=True)
    assert lost_under(run) == {"sgd"}
    assert run.score == run.max_score - 10
    assert "sgd.py is not in the submission" in run.summary and "Submit sgd.py beside word2vec.py" in run.summary
    assert all(t.message == "Not run: sgd.py is not in the submission." for t in run.tests if t.function == "sgd")


@pytest.mark.parametrize(
    "source, says",
    [
        ("import numpy as np\nraise RuntimeError('half written')\n", "sgd.py raised RuntimeError while being imported"),
        ("while True:\n    pass\n", "importing it took longer than"),
        ("import numpy as np\n\ndef sgd_step(x):\n    return x\n", "sgd is missing in sgd.py"),
        ("sgd = 3\n", "sgd is not callable in sgd.py"),
    ],
    ids=["raises", "hangs", "no-sgd", "not-callable"],
)
def test_a_broken_sgd_py_costs_only_the_sgd_tests(folder, source, says):
    (folder / "sgd.py").write_text(source)
    run = grade(folder / "word2vec.py", hidden=True)
    assert lost_under(run) == {"sgd"}, run.summary
    assert says in run.summary
    assert run.score == run.max_score - 10


def test_grader_yml_can_leave_sgd_out(folder):
    (folder / "sgd.py").write_text("while True:\n    pass\n")  # never imported, so never waited for
    settings = dataclasses.replace(
        config.load(), hidden=True, functions=("sigmoid", "naive_softmax", "neg_sampling", "skipgram")
    )
    run = grade(folder / "word2vec.py", settings=settings)
    assert run.score == run.max_score == 100
    assert not [t for t in run.tests if t.function == "sgd"]
    assert "sgd" not in run.summary


def test_grader_yml_refuses_an_unknown_function(tmp_path):
    path = tmp_path / "grader.yml"
    path.write_text("functions: [sigmoid, adam]\n")
    with pytest.raises(config.ConfigError, match=r"functions\[1\].*must be one of .*sgd"):
        config.load(path)


@pytest.mark.parametrize("seed", (224, 5, 31337))
def test_the_template_folder_scores_zero_under_sgd_too(seed):
    run = grade(REPO / "student_template" / "word2vec.py", seed=seed, hidden=True)
    sgd = [t for t in run.tests if t.function == "sgd"]
    assert sgd and all(t.score == 0 for t in sgd)
    assert "loss is still None" in next(t.output for t in sgd if t.number == "5.3")
