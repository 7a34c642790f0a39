"""An exception gets its likely cause, and a report shows a function's repeated error once."""

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from grader.reporting import junit, report
from grader.rubric.feedback import say
from reference.mutants import MUTANTS, mutate

SEED = 1234

# Mutant that raises -> the hint its public-suite report must give.
CAUSES = {
    "sigmoid_unfilled": say("hint_exc_template", name="s"),
    "sigmoid_bare_exp": say("hint_exc_numpy_name", name="exp"),
    "sigmoid_np_float_alias": say("hint_exc_numpy_alias", alias="float", fix="float or np.float64"),
    "sigmoid_math_e_power": say("hint_exc_overflow"),
    "sigmoid_math_exp": say("hint_exc_one_element"),
    "ns_outside_vectors_as_columns": say("hint_exc_layout"),
    "ns_float_of_one_element_array": say("hint_exc_one_element"),
    "sg_center_vector_as_index": say("hint_exc_indices"),
    "sg_asserts_given_loss": say("hint_asserted_given_loss"),
}
BY_NAME = {m.name: m for m in MUTANTS}


@pytest.mark.parametrize("name", sorted(CAUSES))
def test_public_report_names_the_likely_cause(reference_source, write_submission, tmp_path, grade, name):
    if name not in BY_NAME:
        pytest.skip(f"{name} is not a mistake under this numpy")
    mutant = BY_NAME[name]
    run = grade(str(write_submission(tmp_path, mutate(reference_source, mutant))), seed=SEED)
    assert str(CAUSES[name]) in report.text(run), report.text(run)
    failing = [t for t in run.tests if t.error]
    assert failing and all(t.function == mutant.function for t in failing)


def _error_lines(run):
    """Each failing test's exception line ("... raised X: message"), per function."""
    return Counter(
        (t.function, line) for t in run.tests for line in t.message.splitlines() if re.search(r" raised \w+", line)
    )


@pytest.mark.parametrize(
    "name, snippet",
    [("sigmoid_bare_exp", "is not defined"), ("sg_center_vector_as_index", "arrays used as indices must be")],
)
def test_an_error_repeated_across_tests_is_shown_once(
    reference_source, write_submission, tmp_path, grade, name, snippet
):
    path = write_submission(tmp_path, mutate(reference_source, BY_NAME[name]))
    run = grade(str(path), seed=SEED, hidden=True)
    counts = _error_lines(run)
    assert counts and max(counts.values()) == 1, counts
    assert any(t.message.startswith("Failed on the same error as test") for t in run.tests), report.text(run)
    for rendered in (report.text(run), report.html(run), report.as_json_text(run)):
        assert rendered.count(snippet) == 1, rendered
    # JUnit shows each test on a page of its own: there every failure keeps the full account.
    failures = [f for f in ET.fromstring(junit.text(run)).iter("failure") if f.get("type") == junit.FAILED]
    assert all(snippet in f.text for f in failures if "raised" in f.get("message", ""))


def test_spans_write_adjacent_tests_as_ranges():
    from grader.reporting.repeats import spans

    order = ["2.1", "2.2", "2.3", "2.4", "2.6", "2.7"]
    assert spans(["2.2", "2.3", "2.4", "2.7"], order) == "2.2\u20132.4, 2.7"
    assert spans(["2.6"], order) == "2.6"


def test_a_slow_timing_test_worth_nothing_is_not_listed_as_failed():
    from grader.reporting.results import GradingRun
    from grader.reporting.results import TestResult as Result

    timing = Result("2.9", "naiveSoftmaxLossAndGradient: time", ("naive_softmax", "efficiency"), 0.0, "hidden")
    timing.message = "naiveSoftmaxLossAndGradient took 50 ms per call"
    run = GradingRun("word2vec.py", 1, True, [timing])
    assert timing.verdict == "timed"
    assert "FAILED" not in report.text(run) and "FAILED" not in report.html(run)
