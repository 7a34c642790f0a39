"""Correct submissions written in students' styles get full marks."""

import ast

import pytest

from grader import registry
from reference.alternatives import ALTERNATIVES, assemble, assemble_files

SEEDS = (1234, 987654)
MINIMUM_ALTERNATIVES = 10
GRADED_FUNCTIONS = {f.name for f in registry.functions()}


def test_catalogue_is_large_enough():
    names = [a.name for a in ALTERNATIVES]
    assert len(ALTERNATIVES) >= MINIMUM_ALTERNATIVES
    assert len(set(names)) == len(names), "alternative names must be unique"


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_alternative_redefines_a_graded_function(reference_files, alternative):
    tree = ast.parse(alternative.source, filename=f"<alternative {alternative.name}>")
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert defined & GRADED_FUNCTIONS
    ast.parse(assemble(reference_files[alternative.file], alternative))


def _assert_full_marks(run, label, describe_tests):
    # Full marks: every test worth points passes. The 0-point efficiency
    # report may fairly call a correct Python loop slow.
    lost = [t for t in run.tests if t.score < t.max_score or (t.max_score > 0 and not t.passed)]
    report = f"{label}: score {run.score}/{run.max_score}; tests that lost points:\n" + describe_tests(lost)
    assert run.tests and run.max_score > 0, report
    assert not lost, report
    assert run.score == pytest.approx(run.max_score), report
    # The training check is worth nothing by default, but correct code must pass it too.
    untrained = [t for t in run.tests if "training" in t.tags and not t.passed]
    assert not untrained, f"{label}: the training check failed:\n" + describe_tests(untrained)


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_gets_full_marks(reference_source, write_submission, tmp_path, grade, describe_tests, seed):
    path = write_submission(tmp_path, reference_source)
    run = grade(str(path), seed=seed, hidden=True)
    _assert_full_marks(run, f"reference, seed {seed}", describe_tests)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_alternative_gets_full_marks(reference_files, write_files, tmp_path, grade, describe_tests, alternative, seed):
    path = write_files(tmp_path, assemble_files(reference_files, alternative))
    run = grade(str(path), seed=seed, hidden=True)
    _assert_full_marks(run, f"alternative {alternative.name}, seed {seed}: {alternative.description}", describe_tests)
