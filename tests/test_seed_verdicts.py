"""No seed luck: every catalogued submission loses points under the same functions at every seed.

A bug the public cases catch at one seed and miss at another (say, repeated
negative samples found by comparing floats for equality, which BLAS rounding
defeats at some seeds only) would be graded by luck. So every mutant and
every alternative is graded at many seeds, and which functions lose points
must not change with the seed.
"""

import time
from pathlib import Path

import pytest

from conftest import REFERENCE_PATH, REPO

SEEDS = (224, *range(1, 20))  # the production seed and 19 others


def _catalogue(reference_files):
    """(label, the submission's files) of every mutant and alternative."""
    from reference.alternatives import ALTERNATIVES, assemble_files
    from reference.mutants import MUTANTS, mutate_files

    for mutant in MUTANTS:
        yield f"mutant {mutant.name}", mutate_files(reference_files, mutant)
    for alternative in ALTERNATIVES:
        yield f"alternative {alternative.name}", assemble_files(reference_files, alternative)


@pytest.mark.slow
def test_which_functions_lose_points_does_not_depend_on_the_seed(reference_files, write_files, tmp_path):
    from dataclasses import replace

    from grader import config, grade
    from grader.answers.oracle import Oracle, load_reference
    from grader.boundary.privileges import launcher
    from grader.boundary.spawners import default_spawner

    # The public suite: the fixed cases students see are where seed luck would pay.
    base = replace(config.load(REPO / "grader.yml"), hidden=False)
    oracle = Oracle(load_reference(REFERENCE_PATH))
    user = launcher(required=False)
    spawner = default_spawner().start()
    started = time.monotonic()
    differ = []
    try:
        for label, files in _catalogue(reference_files):
            folder = Path(tmp_path) / label.replace(" ", "_")
            folder.mkdir()
            path = write_files(folder, files)
            verdicts = {}
            for seed in SEEDS:
                run = grade(path, settings=replace(base, seed=seed), launcher=user, spawner=spawner, oracle=oracle)
                assert not run.internal_error, f"{label}, seed {seed}: the grader hit an internal error"
                verdicts[seed] = frozenset(t.function for t in run.tests if t.score < t.max_score)
            if len(set(verdicts.values())) > 1:
                by_verdict = {}
                for seed, lost in verdicts.items():
                    by_verdict.setdefault(lost, []).append(seed)
                differ.append(
                    f"{label}: "
                    + "; ".join(f"loses under {sorted(lost) or 'none'} at seeds {s}" for lost, s in by_verdict.items())
                )
    finally:
        spawner.close()
    print(f"graded the catalogue at {len(SEEDS)} seeds in {time.monotonic() - started:.0f} s")
    assert not differ, "verdicts that depend on the seed:\n" + "\n".join(differ)


@pytest.mark.parametrize("seed", SEEDS)
def test_public_repeated_negatives_defeat_float_equality_at_every_seed(seed):
    """One word six times or more in every repeated case: BLAS rounds copies of a row by their position
    among a few kinds (the full blocks of rows, the rows left over), so at least two copies always round
    alike, and code that merges samples whose sigma values are equal merges them at every seed."""
    from collections import Counter

    from grader import config
    from grader.session import Session

    session = Session(None, None, config.load(REPO / "grader.yml", seed=seed))
    repeated = session.cases("neg.repeated")
    assert all(max(Counter(case.negatives()).values()) >= 6 for case in repeated)
    assert any(case.shape[1] >= 8 for case in repeated), "no case where copies of a row may round differently"
