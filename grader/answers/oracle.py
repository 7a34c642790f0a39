"""Expected values, computed by the reference solution in the trusted process.

The reference is imported here and nowhere else; the worker never sees it.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import bundle, registry
from grader.protocol.standins import RecordingLoss, ScriptedDataset

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from types import ModuleType

    from grader.rubric.cases import LossCase, SkipgramCase
    from grader.rubric.descent_cases import SgdCase


# The loss functions a skipgram may call in place of the one it is given.
REAL_LOSSES = (registry.NAIVE_SOFTMAX.name, registry.NEG_SAMPLING.name)


class ReferenceMissing(Exception):
    """The hidden suite needs the reference, and this install has none."""


def load_reference(path: str | os.PathLike[str] | None = None, name: str = "word2vec.py") -> ModuleType:
    """The reference's ``name`` as a module; ``path`` is that file elsewhere (the reference's word2vec.py)."""
    path = path or bundle.reference_file(name)
    if path is None:
        raise ReferenceMissing(
            "the reference solution is not part of this install (the student handout ships "
            "without it), so the hidden suite cannot run; run without --all"
        )
    # The reference imports the course's utils package, like a student file.
    template = str(bundle.template_folder())
    sys.path.insert(0, template)
    try:
        spec = importlib.util.spec_from_file_location(f"grader_reference_{name[:-3]}", path)
        assert spec is not None and spec.loader is not None  # a .py file always has a loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(template)
    return module


class Oracle:
    """The reference's answers for the grader's cases."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self._companions: dict[str, ModuleType] = {}

    def companion(self, source: str) -> ModuleType:
        """The reference's other files (sgd.py), loaded when first asked for, beside its word2vec.py."""
        if source not in self._companions:
            from pathlib import Path

            here = getattr(self.module, "__file__", None)
            beside = Path(here).parent / source if here else None
            path = beside if beside is not None and beside.is_file() else None
            self._companions[source] = load_reference(path, source)
        return self._companions[source]

    def answers(self, name: str, function: str, cases: Sequence[Any]) -> list[Any]:
        kind = registry.by_name(function).call
        if kind == "sgd":
            return [self.sgd(c) for c in cases]
        if kind == "plain":
            return [self.plain(function, c) for c in cases]
        if kind == "skipgram":
            return [self.skipgram(c) for c in cases]
        return [self.loss(function, c) for c in cases]

    def plain(self, function: str, case: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        """The returned value as a float64 array, or a tuple of them for a function that returns several."""
        value = getattr(self.module, function)(*case.args)
        if isinstance(value, tuple):
            return tuple(np.asarray(v, dtype=np.float64) for v in value)
        return np.asarray(value, dtype=np.float64)

    def loss(self, function: str, case: LossCase) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(loss, gradCenterVec, gradOutsideVecs, draws) for a LossCase."""
        dataset = ScriptedDataset(case.stream)
        kwargs = {} if case.K is None else {"K": case.K}
        loss, grad_center, grad_outside = getattr(self.module, function)(
            case.centerWordVec.copy(), case.outsideWordIdx, case.outsideVectors.copy(), dataset, **kwargs
        )
        return (
            np.asarray(loss, dtype=np.float64),
            np.asarray(grad_center, dtype=np.float64),
            np.asarray(grad_outside, dtype=np.float64),
            dataset.draws,
        )

    def seconds_per_call(self, function: str, case: LossCase, repeat: int) -> float:
        """The reference's time per call on the same inputs, in this process."""
        import time

        dataset_calls = [ScriptedDataset(case.stream) for _ in range(repeat)]
        kwargs = {} if case.K is None else {"K": case.K}
        center, outside = case.centerWordVec.copy(), case.outsideVectors.copy()
        fn = getattr(self.module, function)
        started = time.perf_counter()
        for dataset in dataset_calls:
            fn(center, case.outsideWordIdx, outside, dataset, **kwargs)
        return (time.perf_counter() - started) / repeat

    def sgd(self, case: SgdCase) -> tuple[np.ndarray, np.ndarray, None]:
        """(returned x, how often f was called, None) with the recording objective; what it prints is dropped."""
        import contextlib
        import io

        from grader.protocol.objectives import Postprocessing, RecordingObjective

        f = RecordingObjective(case.objective, case.seed, case.shape)
        post = Postprocessing(case.postprocessing) if case.postprocessing else None
        x0 = case.x0.copy() if isinstance(case.x0, np.ndarray) else case.x0
        with contextlib.redirect_stdout(io.StringIO()):
            x = self.companion("sgd.py").sgd(
                f, x0, case.step, case.iterations, post, False, PRINT_EVERY=case.print_every
            )
        return np.asarray(x, dtype=np.float64), np.asarray(f.count, dtype=np.float64), None

    def skipgram(self, case: SkipgramCase) -> tuple[Any, ...]:
        """(loss, gradCenterVecs, gradOutsideVectors, calls, real_losses) with the recording stand-in.

        real_losses: loss function name -> the three outputs of skipgram
        with that real loss and the case's dataset, for a skipgram that
        calls a loss of its own instead of the one it is given.
        """
        dataset = ScriptedDataset(())
        V, d = case.outsideVectors.shape
        recorder = RecordingLoss(case.standin_seed, V, d, dataset)
        return (
            *self._skipgram(case, dataset, recorder),
            recorder.calls,
            {name: self.skipgram_with(name, case) for name in REAL_LOSSES},
        )

    def skipgram_with(self, function: str, case: SkipgramCase) -> tuple[np.ndarray, ...]:
        """skipgram's outputs with the real loss ``function``, drawing from the case's stream as the worker does."""
        return self._skipgram(case, ScriptedDataset(case.stream()), getattr(self.module, function))

    def _skipgram(self, case: SkipgramCase, dataset: ScriptedDataset, loss: Any) -> tuple[np.ndarray, ...]:
        outputs = self.module.skipgram(
            case.currentCenterWord,
            case.windowSize,
            list(case.outsideWords),
            dict(case.word2Ind),
            case.centerWordVectors.copy(),
            case.outsideVectors.copy(),
            dataset,
            loss,
        )
        return tuple(np.asarray(value, dtype=np.float64) for value in outputs)
