"""Skip-gram's accumulation mistakes each get a likely cause read from the numbers."""

import pytest

from grader.reporting import report
from grader.rubric.feedback import say
from reference.mutants import MUTANTS, mutate

SEED = 1234
BY_NAME = {m.name: m for m in MUTANTS}

# Mutant -> (test it fails, the start of the hint that test must give).
HINTS = {
    "sg_constant_instead_of_loss": ("4.2", str(say("hint_constant_loss", constant="1")).split(":")[0]),
    "sg_loss_accumulator_shadowed": ("4.2", str(say("hint_twice_last"))),
    "sg_hard_coded_outside_index": ("4.1", str(say("hint_fixed_index", row=0)).split(",")[0]),
    "sg_grad_center_every_row": ("4.3", str(say("hint_center_every_row", row=0)).split(":")[0]),
}


@pytest.mark.parametrize("name", sorted(HINTS))
def test_skipgram_mistake_gets_its_hint(reference_source, write_submission, tmp_path, grade, name):
    run = grade(str(write_submission(tmp_path, mutate(reference_source, BY_NAME[name]))), seed=SEED)
    number, hint = HINTS[name]
    test = next(t for t in run.tests if t.number == number)
    assert not test.passed and test.hint.startswith(hint), report.text(run)


def test_the_reference_gets_no_skipgram_hint(reference_source, write_submission, tmp_path, grade):
    run = grade(str(write_submission(tmp_path, reference_source)), seed=SEED)
    assert run.all_passed and not any(t.hint for t in run.tests)


@pytest.mark.parametrize("name", ["sg_ignores_loss_function_argument", "sg_calls_own_neg_sampling"])
def test_a_skipgram_calling_its_own_loss_loses_the_call_test_only(
    reference_source, write_submission, tmp_path, grade, name
):
    run = grade(str(write_submission(tmp_path, mutate(reference_source, BY_NAME[name]))), seed=SEED, hidden=True)
    lost = [t for t in run.tests if t.score < t.max_score]
    assert [t.number for t in lost] == ["4.1"], report.text(run)
    assert lost[0].hint == str(say("hint_call_given_loss"))
