"""The reference earns everything and the template nothing, whatever the seed.

The reference and the template are folders, as students submit them:
word2vec.py with sgd.py beside it."""

import pytest

from conftest import REPO
from grader import grade

SEEDS = (224, 1, 2, 3, 2026)


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_gets_full_marks(seed, describe_tests):
    run = grade(REPO / "reference" / "word2vec.py", seed=seed, hidden=True)
    assert run.max_score == 110
    assert run.score == 110, describe_tests([t for t in run.tests if not t.passed])


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_template_gets_zero(seed):
    run = grade(REPO / "student_template" / "word2vec.py", seed=seed, hidden=True)
    assert run.score == 0
    assert all(not t.passed for t in run.tests)


def test_public_suite_is_eighty_eight_points_of_visible_tests():
    run = grade(REPO / "reference" / "word2vec.py", hidden=False)
    assert run.max_score == 88
    assert {t.visibility for t in run.tests} == {"visible"}


def test_every_test_has_one_function_tag_and_a_number():
    run = grade(REPO / "reference" / "word2vec.py", hidden=True)
    functions = {"sigmoid", "naive_softmax", "neg_sampling", "skipgram", "sgd"}
    numbers = [t.number for t in run.tests]
    assert len(set(numbers)) == len(numbers)
    for t in run.tests:
        assert len(functions.intersection(t.tags)) == 1, t.number
        assert t.visibility in ("visible", "after_due_date")


def test_bundled_example_loses_points_only_where_its_mistakes_are():
    run = grade(REPO / "examples" / "word2vec.py", hidden=True)
    lost = {t.function for t in run.tests if t.score < t.max_score}
    assert lost == {"sigmoid", "neg_sampling", "skipgram"}
    outputs = {t.number: t.output for t in run.tests}
    assert "np.add.at" in outputs["3.4"]
    assert "added (+=), not assigned" in outputs["4.4"]
    assert "exp(x) overflows" in outputs["1.2"]


def test_same_seed_same_cases_other_seed_other_cases():
    example = REPO / "examples" / "word2vec.py"
    first, again, other = (grade(example, seed=s, hidden=True) for s in (7, 7, 8))

    def outputs(run):  # measured times are the one thing a seed cannot fix
        return [t.output for t in run.tests if "efficiency" not in t.tags]

    assert outputs(first) == outputs(again)
    assert outputs(first) != outputs(other)
