"""One mistake, one deduction: a bug in one output of a loss function costs the tests of that output only.

Tests that follow the value tests (shapes, inputs unchanged, stability, the
hidden cases) judge only what the value tests found right, so they do not
charge again for a value already found wrong.
"""

import pytest

from reference.mutants import MUTANTS, mutate

SEED = 1234

# Mutant -> the tests that may take points off it (hidden suite included), and no others.
CHARGED = {
    "ns_no_max_shift": {"2.8"},  # stability alone: ordinary scores elsewhere
    "ns_grad_outside_transposed": {"2.3", "2.4"},  # its value test and the gradient check, not 2.5-2.8
    "ns_loss_shape_1": {"2.5"},
    "ns_modifies_outside_vectors": {"2.6"},
    "ns_loss_without_log": {"2.1", "2.4"},  # the gradient check is gated on the loss
    "neg_negatives_deduplicated": {"3.4"},  # not the hidden cases' repeats again
    "neg_K_ignored": {"3.5"},  # not the hidden cases' other K again
    "neg_negative_rows_unwritten": {"3.3", "3.6"},
    "neg_loss_negative_terms_added": {"3.1", "3.6"},
}


@pytest.mark.parametrize("name", sorted(CHARGED))
def test_a_mistake_costs_only_its_own_tests(reference_source, write_submission, tmp_path, grade, describe_tests, name):
    mutant = next(m for m in MUTANTS if m.name == name)
    run = grade(str(write_submission(tmp_path, mutate(reference_source, mutant))), seed=SEED, hidden=True)
    lost = [t for t in run.tests if t.score < t.max_score]
    assert {t.number for t in lost} == CHARGED[name], f"{name}: tests that lost points:\n" + describe_tests(lost)


def test_a_test_with_nothing_right_to_judge_is_not_credited(tmp_path, write_submission, grade):
    """The unfilled template earns none of the tests that judge only right values."""
    from conftest import REPO

    template = (REPO / "student_template" / "word2vec.py").read_text(encoding="utf-8")
    run = grade(str(write_submission(tmp_path, template)), seed=SEED, hidden=True)
    follow = {"2.5", "2.6", "2.7", "2.8", "3.4", "3.5", "3.7", "3.8", "3.9"}
    tests = {t.number: t for t in run.tests if t.number in follow}
    assert set(tests) == follow
    for t in tests.values():
        assert t.score == 0 and "nothing left to judge" in t.output, f"test {t.number}: {t.output}"


def test_the_repeats_hint_shows_beside_another_mistake(reference_source, write_submission, tmp_path, grade):
    """Repeats counted once and a wrong gradCenterVec: the repeated-negatives test still names the repeats."""
    by_name = {m.name: m for m in MUTANTS}
    source = reference_source
    for name in ("neg_negatives_deduplicated", "neg_grad_center_missing_outside_term"):
        source = mutate(source, by_name[name])
    run = grade(str(write_submission(tmp_path, source)), seed=SEED, hidden=False)
    tests = {t.number: t for t in run.tests}
    assert not tests["3.2"].passed and not tests["3.4"].passed
    assert "gradCenterVec" not in tests["3.4"].output.split("\n")[0], "3.4 charged gradCenterVec again"
    assert "counting each distinct negative sample once" in tests["3.4"].output, tests["3.4"].output


def test_a_test_judged_where_others_are_right_may_not_be_shown_before_them(tmp_path):
    """Test 2.5 pays for the outputs 2.3 found right: shown before 2.3, its score would give 2.3 away."""
    from grader import config

    path = tmp_path / "grader.yml"
    path.write_text("visibility:\n  '2.3': hidden\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"test 2\.5 \(visible\) is credited only once test 2\.3"):
        config.load(path)
