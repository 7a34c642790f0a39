"""Hidden means hidden: until a test is shown, nothing a student sees depends on its result.

``student_view`` models what Gradescope shows a student of a results.json,
from GRADESCOPE.md's rules. Two runs that differ only in tests not yet shown
must look the same through it, at every moment and under every visibility
the settings allow.
"""

import json

import pytest

from conftest import REPO
from grader import config, grading
from grader.reporting import report
from grader.reporting.results import GradingRun
from grader.reporting.results import TestResult as Result  # not Test*: pytest would try to collect it

# (the due date has passed, grades are published) at each moment a student looks.
MOMENTS = {"before the due date": (False, False), "after the due date": (True, False), "after publishing": (True, True)}


def shown(visibility, moment):
    """Whether Gradescope shows students something of this visibility at ``moment``."""
    due_date_passed, published = MOMENTS[moment]
    return {"visible": True, "after_due_date": due_date_passed, "after_published": published, "hidden": False}[
        visibility
    ]


def student_view(results, stdout, moment):
    """What a student sees of ``results`` (and of the run's stdout) at ``moment``.

    A test's visibility overrides the top level's; the total is hidden while
    any test is; the top-level output follows the top-level visibility;
    stdout follows stdout_visibility, course staff only by default. Any
    other field counts as seen.
    """
    top = results.get("visibility", "visible")
    tests = [t for t in results.get("tests", []) if shown(t.get("visibility", top), moment)]
    view = {"tests": tests}
    for key, value in results.items():
        if key == "score":
            if len(tests) == len(results.get("tests", [])):
                view[key] = value
        elif key == "output":
            if shown(top, moment):
                view[key] = value
        elif key != "tests":
            view[key] = value
    if shown(results.get("stdout_visibility", "hidden"), moment):
        view["stdout"] = stdout
    return view


def settings_with(suite, override=None):
    """The hidden suite shown as ``suite``; ``override``: a (function or test, visibility) on top."""
    visibility = (("public", "visible"), ("hidden", suite)) + ((override,) if override else ())
    return config.Settings(hidden=True, visibility=visibility)


def graded(settings, failing=(), tripped=()):
    """A GradingRun as grading.grade leaves it: the tests in ``failing`` fail, each in its own way.

    The grader trips on the tests in ``tripped``. A failing test also prints
    something of its own in its group, and takes five seconds longer.
    """
    tests = grading.selected_tests(True)
    points, visibility = grading.rubric(tests, settings)
    run = GradingRun("/autograder/submission/word2vec.py", settings.seed, hidden=True)
    run.shown_seconds, run.execution_time = 1.25, 2.5
    run.printed_during = {"visible": "loaded my word vectors"}
    for t in tests:
        number = t.__number__
        result = Result(
            number, t.__doc__.strip().splitlines()[0], tuple(t.__tags__), points[number], visibility[number]
        )
        if number in failing:
            result.message = f"gradOutsideVecs is wrong in test {number}\n  expected: [1.0]\n  got:      [2.0]"
            result.hint = f"a mistake only test {number} finds."
            run.printed_during[result.visibility] = f"debugging test {number}"
            run.execution_time += 5
        else:
            result.passed, result.score, result.message = True, result.max_score, "Passed."
        if number in tripped:
            result.grader_error = run.internal_error = True
        run.tests.append(result)
    return run


def view_of(run, moment):
    return student_view(report.results_json(run), report.text(run), moment)


def not_shown(run, moment):
    return {t.number for t in run.tests if not shown(t.visibility, moment)}


OVERRIDES = [None] + [(key, visibility) for key in ("skipgram", "2.8") for visibility in config.VISIBILITIES]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: "no override" if o is None else f"{o[0]}={o[1]}")
@pytest.mark.parametrize("suite", config.VISIBILITIES)
def test_nothing_a_student_sees_depends_on_a_test_not_shown_yet(suite, override, moment):
    settings = settings_with(suite, override)
    passing = graded(settings)
    unseen = not_shown(passing, moment)
    failing = graded(settings, failing=unseen, tripped=set(sorted(unseen)[:1]))
    if unseen:  # the runs do differ, only where the student cannot look
        assert report.results_json(failing) != report.results_json(passing)
    assert view_of(failing, moment) == view_of(passing, moment)


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_student_sees_the_failures_of_the_tests_shown(moment):
    settings = settings_with("after_due_date", ("2.8", "after_published"))
    passing = graded(settings)
    seen = {t.number for t in passing.tests} - not_shown(passing, moment)
    assert view_of(graded(settings, failing=seen), moment) != view_of(passing, moment)


def test_the_top_level_output_counts_only_the_tests_shown_at_once():
    failing = {"1.2", "1.5", "2.7"}  # 1.2 public, the others hidden
    run = graded(settings_with("after_due_date"), failing=failing)
    summary = report.results_json(run)["output"]
    shown = [t for t in run.tests if t.visibility == "visible"]
    later = [t for t in run.tests if t.visibility != "visible"]
    assert shown and later and {t.visibility for t in later} == {"after_due_date"}
    most = sum(t.max_score for t in shown)
    worth = {t.number: t.max_score for t in run.tests}
    assert (
        f"**{most - worth['1.2']:g}/{most:g} points**: {len(shown) - 1} of {len(shown)} tests passed "
        "(the tests shown now)."
    ) in summary
    assert "| Sigmoid | 6/8 | 3/4 |" in summary and "| Naive softmax | 25/25 | 7/7 |" in summary
    hidden_points = sum(t.max_score for t in later)
    assert f"Not counted above: {len(later)} tests ({hidden_points:g} points) shown after the due date." in summary
    everything = graded(settings_with("visible"), failing=failing)
    summary = report.results_json(everything)["output"]
    most = sum(t.max_score for t in everything.tests)
    lost = sum(worth[n] for n in failing)
    assert most == sum(t.max_score for t in shown) + hidden_points
    tests = len(everything.tests)
    assert f"**{most - lost:g}/{most:g} points**: {tests - 3} of {tests} tests passed." in summary
    assert "| Sigmoid | 6/10 | 3/5 |" in summary
    assert "Not counted" not in summary


def test_stdout_with_the_full_report_is_for_course_staff_only():
    results = report.results_json(graded(settings_with("after_due_date")))
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"


def test_execution_time_covers_only_the_tests_shown_at_once_while_others_are_not_shown():
    run = graded(settings_with("after_due_date"), failing={"2.7"})
    assert report.results_json(run)["execution_time"] == 1.25
    run = graded(settings_with("visible"), failing={"2.7"})
    assert report.results_json(run)["execution_time"] == 7.5


@pytest.mark.parametrize(
    "dependent, required",
    [
        ("visible", "after_due_date"),
        ("visible", "hidden"),
        ("after_due_date", "after_published"),
        ("after_published", "after_due_date"),
    ],
)
def test_a_test_credited_only_once_a_later_shown_test_passes_is_refused(dependent, required):
    # 4.6 is credited only once 4.4 passes: its score would give 4.4's result away.
    settings = config.Settings(hidden=True, visibility=(("4.6", dependent), ("4.4", required)))
    with pytest.raises(config.ConfigError, match=r"test 4\.6 .* credited only once test 4\.4 .* passes"):
        grading.rubric(grading.selected_tests(True), settings)


@pytest.mark.parametrize(
    "dependent, required",
    [("after_due_date", "after_due_date"), ("hidden", "after_published"), ("after_published", "visible")],
)
def test_a_gate_on_a_test_shown_no_later_is_allowed(dependent, required):
    # 4.6 and the training check 5.5 are each credited only once 4.4 (among others) passes.
    settings = config.Settings(hidden=True, visibility=(("4.4", required), ("4.6", dependent), ("5.5", dependent)))
    _, visibility = grading.rubric(grading.selected_tests(True), settings)
    assert (visibility["4.4"], visibility["4.6"], visibility["5.5"]) == (required, dependent, dependent)


# --- a real grading ----------------------------------------------------------

HIDDEN_ONLY_HANG = """\
    if outsideVectors.shape[0] >= 40:     # only hidden cases are this large
        print("a large vocabulary: hanging")
        while True:
            pass
"""


def test_a_submission_failing_only_hidden_tests_looks_the_same_before_the_due_date(
    tmp_path, grade, reference_source, write_submission, describe_tests
):
    """It hangs on hidden cases: that may neither fail a visible test nor show in anything visible."""
    header = (
        "def naiveSoftmaxLossAndGradient(\n    centerWordVec,\n    outsideWordIdx,\n    outsideVectors,\n"
        "    dataset\n):\n"
    )
    assert header in reference_source
    # grader.yml's own call limit: the reference's sgd tests need more than a second per request.
    settings = config.load(REPO / "grader.yml", hidden=True)
    runs, views, seconds = [], [], []
    for name, source in (
        ("passes", reference_source),
        ("hangs", reference_source.replace(header, header + HIDDEN_ONLY_HANG)),
    ):
        folder = tmp_path / name
        folder.mkdir()
        run = grade(write_submission(folder, source), settings=settings)
        results = json.loads(json.dumps(report.results_json(run)))  # as Gradescope reads it
        seconds.append(results.pop("execution_time"))  # timings differ run to run
        runs.append(run)
        views.append(student_view(results, report.text(run), "before the due date"))
    passes, hangs = runs
    assert passes.score == passes.max_score > 0, describe_tests(passes.tests)
    assert hangs.score < hangs.max_score == passes.max_score
    assert {t.number for t in hangs.tests if not t.passed} <= {"2.7", "2.9"}
    assert views[0] == views[1]
    assert seconds == [round(run.shown_seconds, 3) for run in runs]
