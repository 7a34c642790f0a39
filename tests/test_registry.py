"""The registry of graded functions: every part reads it, and a new function needs nothing else.

The toy below is registered end to end, as a sixth function would be: an
entry, its tests and case sets (one module here), its reference (appended
to the reference solution) and a submission, graded through the real
sandbox and reported under its own name. Registered after the settings
were read, it is graded once they list it in ``functions``, as grader.yml
written from the declarations (python -m grader.config) would.
"""

import dataclasses

import pytest

from grader import config, registry
from grader.reporting import report
from grader.rubric import suite

TOY_MODULE = '''
from dataclasses import dataclass

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from grader.rubric import judges
from grader.rubric.catalogue import PUBLIC


@dataclass(frozen=True)
class ScaleCase:
    label: str
    args: tuple


def toy_sets(settings):
    def values(rng):
        return [ScaleCase(f"x of shape {shape}, a={a}", (rng.standard_normal(shape), a))
                for shape, a in (((3,), 2.0), ((2, 4), -0.5))]
    return {"toy.values": values}


@weight(4)
@number("6.1")
@visibility(PUBLIC)
@tags("toy")
def toy_values(session):
    """scaled: a times x, elementwise"""
    return judges.plain_values(session, "toy.values")
'''

TOY = registry.GradedFunction(
    "toy",
    "scaled",
    "Scaled vector",
    ("x", "a"),
    ("y",),
    ("x.shape",),
    4,
    "6",
    "plain",
    "grader_toy_function:toy_sets",
    tests="grader_toy_function",
)
RIGHT = "\ndef scaled(x, a):\n    return a * np.asarray(x)\n"
WRONG = "\ndef scaled(x, a):\n    return 2 * a * np.asarray(x)\n"


@pytest.fixture
def toy(tmp_path, monkeypatch, grade, reference_files):
    """toy(submission): its GradingRun with the toy registered and graded, against a reference that defines it."""
    (tmp_path / "grader_toy_function.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    reference = tmp_path / "reference" / "word2vec.py"
    reference.parent.mkdir()
    reference.write_text(reference_files["word2vec.py"] + RIGHT)
    (reference.parent / "sgd.py").write_text(reference_files["sgd.py"])
    settings = config.load()
    registry.register(TOY)
    try:
        settings = dataclasses.replace(settings, functions=(*settings.functions, TOY.tag))
        config.check_rubric(settings)
        yield lambda submission: grade(submission, settings=settings, reference=reference)
    finally:
        registry.unregister("toy")


def test_a_registered_function_is_graded_end_to_end(toy, tmp_path, write_submission, reference_source):
    folder = tmp_path / "right"
    folder.mkdir()
    run = toy(write_submission(folder, reference_source + RIGHT))
    toy_tests = [t for t in run.tests if t.function == "toy"]
    assert [t.number for t in toy_tests] == ["6.1"] and toy_tests[0].passed, toy_tests
    assert run.score == run.max_score == 88 + 4, run.summary  # the public suite and the toy's test
    assert "Scaled vector" in report.html(run)


def test_a_wrong_registered_function_loses_points_under_its_tag_only(toy, tmp_path, write_submission, reference_source):
    run = toy(write_submission(tmp_path, reference_source + WRONG))
    lost = {t.function for t in run.tests if not t.passed}
    assert lost == {"toy"}, [t.output for t in run.tests if not t.passed]
    assert "y of scaled" in next(t.output for t in run.tests if t.function == "toy")


def test_a_missing_registered_function_costs_only_its_tests(toy, tmp_path, write_submission, reference_source):
    run = toy(write_submission(tmp_path, reference_source))
    assert {t.function for t in run.tests if not t.passed} == {"toy"}
    assert "scaled is missing" in run.summary


def test_every_function_s_tests_add_up_to_its_points_and_carry_its_prefix():
    for function in registry.functions():
        tests = [t for t in suite.all_tests() if t.__tags__[0] == function.tag]
        assert tests, function.tag
        assert sum(t.__weight__ for t in tests) == function.points, function.tag
        assert all(t.__number__.split(".")[0] == function.prefix for t in tests), function.tag


def test_registering_a_clash_is_refused():
    with pytest.raises(ValueError, match="tag 'sigmoid'"):
        registry.register(registry.GradedFunction("sigmoid", "other", "Other", (), (), (), 1, "9", "plain", "x:y"))
    with pytest.raises(KeyError, match="no graded function is tagged"):
        registry.by_tag("nothing")
