"""Trusted stand-ins handed to student code, identical on both sides.

The worker passes them to the student's functions; the trusted process
passes the same ones to the reference, so both see identical negative
samples and identical loss values.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


class DatasetExhausted(RuntimeError):
    pass


class ScriptedDataset:
    """A dataset whose ``sampleTokenIdx`` replays a stream the grader chose."""

    def __init__(self, stream: Iterable[int]) -> None:
        self._stream = [int(i) for i in stream]
        self.draws = 0

    def rewind(self) -> None:
        self.draws = 0

    def sampleTokenIdx(self) -> int:
        if self.draws >= len(self._stream):
            raise DatasetExhausted(
                f"dataset.sampleTokenIdx() was called {self.draws + 1} times, more than drawing K "
                f"negative samples with getNegativeSamples(outsideWordIdx, dataset, K) ever needs here "
                f"({len(self._stream)}). Is K ignored (a hard-coded 10?), or are samples drawn twice?"
            )
        token = self._stream[self.draws]
        self.draws += 1
        return token


def trusted_sigmoid(x: ArrayLike) -> np.ndarray | float:
    """A correct sigmoid that replaces the student's during loss tests."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # never overflows
    s = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s[()] if s.ndim == 0 else s


def standin_values(seed: int, outsideWordIdx: int, vocab_size: int, dim: int) -> tuple[float, np.ndarray, np.ndarray]:
    """The (loss, gradCenterVec, gradOutsideVecs) the stand-in returns.

    Keyed by the outside index, so repeats of a word return the same values,
    like a real loss function, and every word's values differ.
    """
    rng = np.random.default_rng([seed, outsideWordIdx])
    loss = float(rng.uniform(0.5, 3.0))
    return loss, rng.standard_normal(dim), rng.standard_normal((vocab_size, dim))


class RecordingLoss:
    """Stands in for ``word2vecLossAndGradient`` when skipgram is graded.

    It accepts the real loss functions' parameters by position or keyword,
    records what it was given, and returns pseudo-random values.
    """

    def __init__(self, seed: int, vocab_size: int, dim: int, dataset: object) -> None:
        self.seed = seed
        self.vocab_size = vocab_size
        self.dim = dim
        self.dataset = dataset
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        centerWordVec: ArrayLike,
        outsideWordIdx: Any,
        outsideVectors: ArrayLike,
        dataset: object = None,
        K: object = None,
    ) -> tuple[float, np.ndarray, np.ndarray]:
        record = {
            "outsideWordIdx": _index_or_repr(outsideWordIdx),
            "centerWordVec": np.array(centerWordVec, dtype=np.float64, copy=True),
            "outsideVectors": np.array(outsideVectors, dtype=np.float64, copy=True),
            "same_dataset": dataset is self.dataset,
        }
        self.calls.append(record)
        index = record["outsideWordIdx"]
        if not isinstance(index, int) or not 0 <= index < self.vocab_size:
            raise TypeError(
                f"word2vecLossAndGradient was given outsideWordIdx={index!r}; "
                f"expected an integer index from 0 to {self.vocab_size - 1} (word2Ind[word])"
            )
        return standin_values(self.seed, index, self.vocab_size, self.dim)


def _index_or_repr(value: Any) -> int | str:
    try:
        return operator.index(value)
    except TypeError:
        return repr(value)[:80]
