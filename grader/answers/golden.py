"""Expected answers for the public suite, computed at build time and shipped.

The student handout carries no reference solution, so ``build`` asks the
reference for the public cases' answers and stores them in an ``.npz``
(loaded with allow_pickle=False). A fingerprint of every case's inputs
guards against answers that no longer fit the cases (another seed, other
case settings, a numpy whose random streams differ).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import registry
from grader.answers.oracle import REAL_LOSSES, ReferenceMissing
from grader.session import SKIPGRAM, encode_call

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from grader.answers.oracle import Oracle
    from grader.config import Settings
    from grader.session import Session

FILE_NAME = "golden.npz"
# Arrays kept per answer, by how the function is called; only the loss functions' answers count draws.
PARTS = {"plain": 1, "loss": 3, "skipgram": 3, "sgd": 2}


def fingerprint(function: str, cases: Sequence[Any]) -> str:
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps(encode_call(function, case), sort_keys=True).encode())
    return digest.hexdigest()


class Recorder:
    """Wraps the reference oracle and notes which case sets a run asks about."""

    def __init__(self, oracle: Oracle) -> None:
        self.oracle = oracle
        self.names: set[str] = set()

    def answers(self, name: str, function: str, cases: Sequence[Any]) -> list[Any]:
        self.names.add(name)
        return self.oracle.answers(name, function, cases)


def build(path: str | os.PathLike[str], settings: Settings, reference_submission: str | os.PathLike[str]) -> list[str]:
    """Grade the reference with the public suite, recording its answers into ``path``."""
    from dataclasses import replace

    from grader.answers.oracle import Oracle, load_reference
    from grader.boundary.privileges import launcher
    from grader.grading import grade
    from grader.session import Session

    settings = replace(settings, hidden=False)
    recorder = Recorder(Oracle(load_reference()))
    # Only our own reference runs here, so the user switch is best-effort.
    run = grade(reference_submission, settings=settings, oracle=recorder, launcher=launcher(required=False))
    if not run.all_passed:
        raise RuntimeError("the reference does not pass the public suite; not writing golden data")
    write(path, Session(None, recorder.oracle, settings), sorted(recorder.names))
    return sorted(recorder.names)


def write(path: str | os.PathLike[str], session: Session, names: Sequence[str]) -> None:
    """Store the answers of ``session``'s oracle for the case sets ``names``."""
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    arrays, meta = {}, {"seed": session.settings.seed, "sets": {}}
    for name in names:
        function = session.function_of(name)
        kind = registry.by_name(function).call
        cases = session.cases(name)
        answers = session.expected(name)
        meta["sets"][name] = {
            "fingerprint": fingerprint(function, cases),
            "count": len(cases),
            "draws": [a[3] for a in answers] if kind == "loss" else None,
        }
        for i, answer in enumerate(answers):
            parts = (answer,) if kind == "plain" else answer[: PARTS[kind]]
            for k, part in enumerate(parts):
                arrays[f"{name}/{i}/{k}"] = np.asarray(part, dtype=np.float64)
            if function == SKIPGRAM:
                for loss, outputs in answer[4].items():
                    for k, part in enumerate(outputs):
                        arrays[f"{name}/{i}/{loss}/{k}"] = np.asarray(part, dtype=np.float64)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


class GoldenOracle:
    """Answers the public case sets from a golden file; anything else needs the reference."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        with np.load(path, allow_pickle=False) as data:
            self.arrays = {key: data[key] for key in data.files}
        self.meta = json.loads(self.arrays.pop("meta").tobytes().decode())

    def verify(self, session: Session) -> None:
        """Fail now, not halfway through a run, if any shipped set does not fit."""
        for name in sorted(self.meta["sets"]):
            self.answers(name, session.function_of(name), session.cases(name))

    def answers(self, name: str, function: str, cases: Sequence[Any]) -> list[Any]:
        entry = self.meta["sets"].get(name)
        if entry is None:
            raise ReferenceMissing(f"the case set {name} is not part of the public suite shipped here")
        if entry["fingerprint"] != fingerprint(function, cases):
            raise ReferenceMissing(
                f"the shipped answers were computed for seed {self.meta['seed']} and this grader's "
                "case settings; other seeds or settings need the reference (or rebuild the handout)"
            )
        kind = registry.by_name(function).call
        out: list[Any] = []
        for i in range(entry["count"]):
            if kind == "plain":
                out.append(self.arrays[f"{name}/{i}/0"])
                continue
            parts = tuple(self.arrays[f"{name}/{i}/{k}"] for k in range(PARTS[kind]))
            if function == SKIPGRAM:
                real = {loss: tuple(self.arrays[f"{name}/{i}/{loss}/{k}"] for k in range(3)) for loss in REAL_LOSSES}
                out.append(parts + (None, real))
                continue
            draws = entry["draws"][i] if entry["draws"] else None
            out.append(parts + (draws,))
        return out
