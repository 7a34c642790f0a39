"""sgd.py graded beside word2vec.py: present, missing, broken or left out by grader.yml."""

import dataclasses
import json
import shutil

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
    assert [t.number for t in sgd] == ["5.1", "5.2", "5.3", "5.4", "5.5"]
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
    outputs = {t.number: t.output for t in sgd}
    assert "f is never called" in outputs["5.1"] and "progress print never ran" in outputs["5.3"]


def test_gradescope_grades_the_sgd_py_in_the_submission_folder(tmp_path):
    from grader.instructor.gradescope import run as run_gradescope

    for kind, expected in (("reference", 110), ("student_template", 0)):
        root = tmp_path / kind
        (root / "submission" / "a2").mkdir(parents=True)
        for name in ("word2vec.py", "sgd.py"):
            shutil.copy(REPO / kind / name, root / "submission" / "a2" / name)
        run_gradescope(root)
        results = json.loads((root / "results" / "results.json").read_text())
        sgd = [t for t in results["tests"] if t["tags"][0] == "sgd"]
        assert results["score"] == expected, results.get("output")
        assert sum(t["score"] for t in sgd) == (10 if expected else 0) and sgd


def test_batch_grades_each_folder_with_its_own_sgd_py(tmp_path):
    from test_batch import batch, read_scores

    folders = tmp_path / "class"
    for student, files in {
        "ada": {"word2vec.py": REFERENCE / "word2vec.py", "sgd.py": REFERENCE / "sgd.py"},
        "bo": {"word2vec.py": REFERENCE / "word2vec.py"},
        "cy": {"word2vec.py": REFERENCE / "word2vec.py", "sgd.py": REPO / "student_template" / "sgd.py"},
    }.items():
        (folders / student).mkdir(parents=True)
        for name, path in files.items():
            shutil.copy(path, folders / student / name)
    done = batch(folders, "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in read_scores(tmp_path / "out")}
    assert (rows["ada"]["total"], rows["ada"]["sgd"], rows["ada"]["max_total"]) == ("110", "10", "110")
    assert (rows["bo"]["total"], rows["bo"]["sgd"]) == ("100", "0")
    assert (rows["cy"]["total"], rows["cy"]["sgd"], rows["cy"]["skipgram"]) == ("100", "0", "25")
    assert "sgd.py is not in the submission" in (tmp_path / "out" / "reports" / "bo.txt").read_text()


@pytest.mark.parametrize("name", ["Word2Vec.py", "word2vec (1).py", "my_solution.py"])
def test_a_renamed_word2vec_py_is_graded_whole_with_the_sgd_py_beside_it(tmp_path, name):
    shutil.copy(REFERENCE / "word2vec.py", tmp_path / name)
    shutil.copy(REFERENCE / "sgd.py", tmp_path / "sgd.py")
    run = grade(tmp_path / name, hidden=True)
    assert run.score == run.max_score == 110, run.summary


def test_an_sgd_py_that_is_a_link_is_named_not_imported(folder, tmp_path):
    target = tmp_path.parent / f"{tmp_path.name}-elsewhere.py"
    shutil.copy(REFERENCE / "sgd.py", target)
    (folder / "sgd.py").symlink_to(target)
    run = grade(folder / "word2vec.py")
    assert lost_under(run) == {"sgd"}
    assert "sgd.py is a link or larger than 1 MiB" in run.summary


def test_each_sgd_mutant_is_charged_once_hidden_suite_included(reference_files, write_files, tmp_path):
    from reference.mutants import MUTANTS, mutate_files

    charged = {}
    for mutant in (m for m in MUTANTS if m.function == "sgd"):
        folder = tmp_path / mutant.name
        folder.mkdir()
        run = grade(write_files(folder, mutate_files(reference_files, mutant)), hidden=True)
        charged[mutant.name] = [t.number for t in run.tests if t.score < t.max_score]
    assert all(len(numbers) == 1 for numbers in charged.values()), charged


def test_an_sgd_that_never_reaches_the_progress_print_earns_nothing_for_it(folder):
    source = (REFERENCE / "sgd.py").read_text(encoding="utf-8")
    (folder / "sgd.py").write_text(
        source.replace("        loss, gradient = f(x)\n        x = x - step * gradient\n", "        return x0\n")
    )
    run = grade(folder / "word2vec.py")
    assert {t.number: t.score for t in run.tests if t.function == "sgd"} == {"5.1": 0, "5.2": 0, "5.3": 0, "5.5": 0}


def test_forged_call_numbers_fail_the_case_not_the_grader():
    from grader.boundary.returned import Call
    from grader.protocol import wire
    from grader.rubric import descent_judges
    from grader.rubric.cases import rng_for
    from grader.rubric.descent_cases import sgd_hidden

    case = next(c for c in sgd_hidden(rng_for(224, "sgd.hidden")) if c.objective == "scripted")
    x = wire.encode_array(case.x0)
    forged = Call.from_reply(
        {
            "value": wire.describe(case.x0),
            "calls": [{"call": k, "x": x} for k in (-1, 0, 10**9)],
            "evaluations": case.iterations,
        }
    )
    assert descent_judges._iterates(forged) == {}
