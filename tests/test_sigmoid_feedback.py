"""sigmoid's feedback: x shown, overflow named only when the numbers allow it, gates per case."""

import pytest

from grader.reporting import report
from grader.reporting.results import GATED
from grader.rubric.feedback import say
from reference.mutants import MUTANTS, mutate

SEED = 1234
BY_NAME = {m.name: m for m in MUTANTS}


def _run(grade, write_submission, tmp_path, source):
    run = grade(str(write_submission(tmp_path, source)), seed=SEED)
    return run, {t.number: t for t in run.tests}


@pytest.mark.parametrize(
    "name, number, hint",
    [
        ("sigmoid_precedence", "1.2", "hint_sigmoid_formula"),
        ("sigmoid_exp_over_one_plus_exp", "1.2", "hint_sigmoid_overflow"),
        ("sigmoid_modifies_input", "1.4", "hint_sigmoid_negated_x"),
        ("sigmoid_math_e_power", "1.2", "hint_exc_overflow"),
        ("sigmoid_iterates_over_x", "1.1", "hint_exc_single_number"),
    ],
)
def test_sigmoid_mistake_gets_the_hint_its_numbers_allow(
    reference_source, write_submission, tmp_path, grade, name, number, hint
):
    run, tests = _run(grade, write_submission, tmp_path, mutate(reference_source, BY_NAME[name]))
    assert not tests[number].passed and tests[number].hint == str(say(hint)), report.text(run)


def test_in_place_result_is_named(reference_source, write_submission, tmp_path, grade):
    source = reference_source.replace(
        "    s = np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))\n",
        "    s = np.asarray(x, dtype=float)\n    s[...] = np.exp(-np.logaddexp(0.0, -s))\n",
    )
    run, tests = _run(grade, write_submission, tmp_path, source)
    assert [t.number for t in run.tests if not t.passed] == ["1.4"], report.text(run)
    assert tests["1.4"].hint == str(say("hint_sigmoid_result_in_x"))


def test_messages_show_x_and_do_not_repeat_the_label(reference_source, write_submission, tmp_path, grade):
    run, tests = _run(grade, write_submission, tmp_path, mutate(reference_source, BY_NAME["sigmoid_sign_flipped"]))
    first = tests["1.1"].message.splitlines()[0]
    assert first.startswith("sigmoid is wrong for a Python float, x = "), first


def test_shape_and_inputs_pay_for_the_cases_whose_values_are_right(reference_source, write_submission, tmp_path, grade):
    run, tests = _run(grade, write_submission, tmp_path, mutate(reference_source, BY_NAME["sigmoid_iterates_over_x"]))
    assert tests["1.3"].passed and tests["1.4"].passed, report.text(run)
    run, tests = _run(grade, write_submission, tmp_path, mutate(reference_source, BY_NAME["sigmoid_precedence"]))
    assert not tests["1.3"].passed and tests["1.3"].not_run == GATED
    assert tests["1.3"].message.startswith("Not awarded: test 1.3 judges only where test 1.1 found things right")
