"""Every catalogued student bug loses points, and only under its own function."""

import ast

import pytest

from reference.mutants import FUNCTIONS, MUTANTS, Mutant, mutate, mutate_files

SEED = 1234
MINIMUM_MUTANTS = 28


def test_catalogue_covers_every_function():
    names = [m.name for m in MUTANTS]
    assert len(MUTANTS) >= MINIMUM_MUTANTS
    assert len(set(names)) == len(names), "mutant names must be unique"
    assert {m.function for m in MUTANTS} == set(FUNCTIONS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_applies_once_and_parses(reference_files, mutant):
    assert mutant.function in FUNCTIONS
    reference_source = reference_files[mutant.file]
    assert reference_source.count(mutant.old) == 1
    mutated = mutate(reference_source, mutant)
    assert mutated != reference_source
    ast.parse(mutated, filename=f"<mutant {mutant.name}>")


@pytest.mark.parametrize("old", ["this text is not in the reference", "np."])
def test_mutate_rejects_text_not_found_exactly_once(reference_source, old):
    bad = Mutant("bad_mutant", "sigmoid", "not a real mutant", old, "")
    with pytest.raises(ValueError, match="bad_mutant"):
        mutate(reference_source, bad)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_grader_catches_mutant(reference_files, write_files, tmp_path, grade, describe_tests, mutant):
    path = write_files(tmp_path, mutate_files(reference_files, mutant))
    run = grade(str(path), seed=SEED, hidden=True)

    lost = [t for t in run.tests if t.score < t.max_score]
    report = (
        f"mutant {mutant.name} ({mutant.function}): {mutant.description}\n"
        f"score {run.score}/{run.max_score}; tests that lost points:\n" + describe_tests(lost)
    )

    assert run.score < run.max_score, report
    assert any(mutant.function in t.tags and not t.passed for t in run.tests), report
    collateral = [t for t in lost if mutant.function not in t.tags]
    assert not collateral, report + "\ncollateral losses under other functions:\n" + describe_tests(collateral)
