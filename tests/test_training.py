"""The training check (5.5): correct code trains, sgd that steps wrongly does not, and reports draw it.

The calibration runs the course's training loop in this process, with the
reference's and the alternatives' functions, so it needs no worker; the
grading tests then check the same through the sandbox.
"""

import contextlib
import io
import random
import subprocess
import types
from dataclasses import replace

import numpy as np
import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, REPO
from grader import config
from grader.instructor.check import _lost
from grader.protocol.corpus import ClusteredCorpus, TrainingObjective
from grader.reporting import figures as drawing
from grader.reporting import report
from grader.reporting.results import GATED, GradingRun
from grader.reporting.results import TestResult as Result  # not Test*: pytest would try to collect it
from grader.rubric import training
from reference.alternatives import ALTERNATIVES, assemble_files
from reference.mutants import MUTANTS, mutate_files

CALIBRATION_SEEDS = range(30)
# Margins the reference keeps over the thresholds on every calibration seed.
LOSS_MARGIN = 1.2  # its loss falls at least 1.2 times further than required
SEPARATION_MARGIN = 0.15
WRONG_STEPS = ("sgd_step_along_gradient", "sgd_no_step_size", "sgd_steps_by_loss", "sgd_step_not_assigned")


def _modules(files):
    """The submission's files as modules, each executed as a student's would be."""
    import sys

    sys.path.insert(0, str(REPO / "student_template"))  # the course's utils
    try:
        found = {}
        for name, source in files.items():
            module = types.ModuleType(name[:-3])
            module.__file__ = name
            exec(compile(source, name, "exec"), module.__dict__)
            found[name] = module
        return found
    finally:
        sys.path.remove(str(REPO / "student_template"))


def _train(files, seed):
    """(figures, failure) of the training check, run here on ``files``."""
    modules = _modules(files)
    w2v, sgd = modules["word2vec.py"], modules["sgd.py"]
    spec = training.corpus_spec(seed)
    f = TrainingObjective(spec, w2v.skipgram, w2v.negSamplingLossAndGradient)
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        x = sgd.sgd(f, spec.start(), training.STEP, training.ITERATIONS, None, False, PRINT_EVERY=10**9)
    return training.judge(spec, np.asarray(x, dtype=np.float64), np.asarray(f.losses))


def test_reference_trains_with_margin_on_every_seed(reference_files):
    for seed in CALIBRATION_SEEDS:
        drawn, failure = _train(reference_files, seed)
        assert failure is None, f"seed {seed}: {failure}"
        assert drawn.fell_by >= training.LOSS_FACTOR * LOSS_MARGIN, (seed, drawn)
        assert drawn.within - drawn.across >= training.SEPARATION + SEPARATION_MARGIN, (seed, drawn)
        assert len(drawn.losses) == training.ITERATIONS


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_alternatives_train(reference_files, alternative):
    for seed in (224, 1234, 987654):
        _, failure = _train(assemble_files(reference_files, alternative), seed)
        assert failure is None, f"{alternative.name}, seed {seed}: {failure}"


@pytest.mark.parametrize("name", WRONG_STEPS)
def test_sgd_that_steps_wrongly_does_not_train(reference_files, name):
    (mutant,) = [m for m in MUTANTS if m.name == name]
    for seed in (224, 1234, 987654):
        _, failure = _train(mutate_files(reference_files, mutant), seed)
        assert failure is not None, f"{name} passed the training check under seed {seed}"


def test_a_step_along_the_gradient_reads_as_a_loss_that_rose(reference_files):
    (mutant,) = [m for m in MUTANTS if m.name == "sgd_step_along_gradient"]
    _, failure = _train(mutate_files(reference_files, mutant), 224)
    assert "did not lower the loss" in failure.message
    assert "sgd steps the wrong way or a gradient sign is flipped" in failure.hint
    (mutant,) = [m for m in MUTANTS if m.name == "sgd_step_not_assigned"]
    _, failure = _train(mutate_files(reference_files, mutant), 224)
    assert "never changed" in failure.message


def test_the_corpus_draws_from_its_own_generator():
    spec = training.corpus_spec(224)
    first, second = ClusteredCorpus(spec), ClusteredCorpus(spec)
    drawn = []
    for corpus in (first, second):
        random.seed(corpus is first)  # what a submission may do to the module-level generator
        np.random.seed(7)
        drawn.append([corpus.getRandomContext(2) for _ in range(20)] + [corpus.sampleTokenIdx() for _ in range(50)])
    assert drawn[0] == drawn[1]
    for center, context in drawn[0][:20]:
        cluster = spec.cluster_of[spec.tokens.index(center)]
        assert all(spec.cluster_of[spec.tokens.index(w)] == cluster and w != center for w in context)


def test_the_evaluation_loss_starts_at_log_V():
    spec = training.corpus_spec(224)
    assert training.evaluation_loss(spec, spec.start()) == pytest.approx(np.log(len(spec.tokens)))


# --- through the sandbox -----------------------------------------------------


@pytest.fixture(scope="module")
def reference_run(reference_files, write_files, tmp_path_factory, grade):
    path = write_files(tmp_path_factory.mktemp("reference"), reference_files)
    return grade(str(path), seed=224)


def test_the_reference_passes_with_figures_outside_results_json(reference_run):
    (result,) = [t for t in reference_run.tests if t.number == "5.5"]
    assert result.passed and result.max_score == 0 and result.tags == ("sgd", "training")
    assert result.figures is not None and len(result.figures.losses) == training.ITERATIONS
    assert "training: loss" in result.message and "within-cluster cosine" in result.message
    entry = [e for e in report.results_json(reference_run)["tests"] if e["number"] == "5.5"][0]
    assert set(entry) == {"number", "name", "score", "max_score", "status", "output", "output_format", "tags"} | {
        "visibility"
    }
    text = report.text(reference_run)
    assert "      training: loss 2.996 → " in text


def test_the_html_report_draws_both_figures(reference_run):
    page = report.html(reference_run)
    assert page.count('<svg class="figure"') == 2
    assert "<polyline" in page and page.count('<g class="word">') == training.CLUSTERS * training.WORDS


def test_training_points_and_the_graded_functions_decide_whether_it_counts(reference_files, tmp_path, grade):
    from grader import grading

    defaults = config.load(REPO / "grader.yml")
    points, _ = grading.rubric(grading.selected_tests(False), replace(defaults, training_points=3.0))
    assert points["5.5"] == 3.0
    for left_out in ("sgd", "neg_sampling", "skipgram", "sigmoid"):
        graded = [t for t in defaults.functions if t != left_out]
        numbers = {t.__number__ for t in grading.selected_tests(True, graded)}
        assert "5.5" not in numbers, left_out
    assert "5.5" in {t.__number__ for t in grading.selected_tests(True, ["naive_softmax", *defaults.functions])}


def test_a_failure_inside_a_function_names_it(reference_files, write_files, tmp_path, grade):
    # Right on every unit test's inputs; raises on the training corpus' vocabulary alone.
    broken = reference_files["word2vec.py"].replace(
        "    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)\n",
        "    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)\n"
        "    if outsideVectors.shape == (20, 8): raise ValueError('no vocabulary of 20')\n",
    )
    path = write_files(tmp_path, {**reference_files, "word2vec.py": broken})
    run = grade(str(path), seed=224)
    (result,) = [t for t in run.tests if t.number == "5.5"]
    assert not result.passed and all(t.passed for t in run.tests if t.number != "5.5")
    assert "negSamplingLossAndGradient raised ValueError: no vocabulary of 20" in result.message
    assert "raise ValueError('no vocabulary of 20')" in result.message
    assert _lost(run) == []  # worth nothing: the self-check counts no loss


def test_a_gated_training_check_names_what_it_needs(reference_files, write_files, tmp_path, grade):
    (mutant,) = [m for m in MUTANTS if m.name == "sgd_step_along_gradient"]
    path = write_files(tmp_path, mutate_files(reference_files, mutant))
    run = grade(str(path), seed=224)
    (result,) = [t for t in run.tests if t.number == "5.5"]
    assert result.not_run == GATED
    assert result.message == "Not run: test 5.5 needs sgd's test 5.2, which did not pass."
    assert _lost(run) == ["sgd"]


def test_a_scored_gate_still_says_what_it_pays_for():
    from grader.rubric.feedback import say

    text = say(
        "gated", test="test 2.5", needs=("2.1", "2.2"), failed=[("2.2", "naiveSoftmaxLossAndGradient")], scored=True
    )
    assert text.startswith("Not awarded: test 2.5 is credited only once tests 2.1 and 2.2 pass")
    assert "It needs naiveSoftmaxLossAndGradient's test 2.2, which did not pass." in text


def test_labels_are_escaped():
    drawn = training.TrainingFigures(
        losses=(3.0, float("nan"), 2.0),
        initial_loss=3.0,
        final_loss=2.0,
        factor=1.25,
        within=0.9,
        across=0.1,
        words=("<script>alert(1)</script>", "a&b"),
        clusters=(0, 1),
        points=((0.0, 1.0), (1.0, 0.0)),
    )
    svg = str(drawing.word_vectors(drawn)) + str(drawing.loss_curve(drawn))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    not_finite = replace(drawn, points=(), losses=(float("inf"),))
    assert "nothing to draw" in str(drawing.word_vectors(not_finite))
    assert "no finite losses" in str(drawing.loss_curve(not_finite))


def test_a_test_worth_nothing_is_no_loss():
    run = GradingRun("word2vec.py", 224, False)
    run.tests = [
        Result("5.2", "sgd: steps", ("sgd",), 4, "visible", passed=True, score=4),
        Result("5.5", "sgd: training", ("sgd", "training"), 0, "visible"),
    ]
    assert _lost(run) == []


@pytest.mark.browser
def test_a_browser_shows_the_training_figures(reference_run, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(report.html(reference_run), encoding="utf-8")
    browser = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") >= 2 and "<polyline" in dom.stdout
    for word in training.corpus_spec(224).tokens:
        assert f">{word}</text>" in dom.stdout
    screenshot = tmp_path / "training.png"
    shot = subprocess.run(
        [*browser, f"--screenshot={screenshot}", "--window-size=1100,3200", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert screenshot.exists(), shot.stderr[-2000:]
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 30_000


def test_it_is_shown_no_earlier_than_the_tests_it_needs():
    from grader import grading

    defaults = config.load(REPO / "grader.yml")
    tests = grading.selected_tests(True)
    _, visibility = grading.rubric(tests, replace(defaults, visibility=(("skipgram", "hidden"),)))
    assert visibility["5.5"] == "hidden" and visibility["5.1"] == "visible"
    _, visibility = grading.rubric(tests, replace(defaults, visibility=(("sgd", "after_due_date"),)))
    assert visibility["5.5"] == "after_due_date"
    with pytest.raises(config.ConfigError, match=r"test 5\.5 \(visible\) is credited only once test 4\.1"):
        grading.rubric(tests, replace(defaults, visibility=(("skipgram", "hidden"), ("5.5", "visible"))))


def test_batch_keeps_each_html_report(tmp_path):
    from grader.instructor.batch import outputs, runner
    from grader.instructor.batch.submissions import Submission

    submission = Submission("alice", tmp_path / "alice.py", tmp_path)
    outputs.write_report(tmp_path, submission, runner.Outcome("graded", report="text", html="<svg></svg>"))
    assert (tmp_path / "alice.html").read_text() == "<svg></svg>"
    outputs.write_report(tmp_path, replace(submission, id="bob"), runner.Outcome("graded", report="text"))
    assert not (tmp_path / "bob.html").exists()
