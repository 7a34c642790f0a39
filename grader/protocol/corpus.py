"""A synthetic corpus, and the objective the training check hands to a student's ``sgd``.

Worker-side, like the other stand-ins: the worker imports this before its
confinement. The corpus is a few clusters of words that only co-occur within
their cluster; its own seeded generator draws every window and negative
sample, so nothing the submission does to ``random`` or ``np.random``
changes what it trains on. The objective is the course's
``word2vec_sgd_wrapper``: skip-gram with negative sampling over a batch of
windows, with the student's ``skipgram`` and ``negSamplingLossAndGradient``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# Words of each cluster; a corpus uses the first ``clusters`` of them, ``words`` each.
THEMES = (
    ("apple", "pear", "plum", "fig", "lime", "kiwi"),
    ("cat", "dog", "cow", "pig", "hen", "goat"),
    ("red", "blue", "green", "pink", "gray", "teal"),
    ("oak", "elm", "pine", "ash", "yew", "fir"),
)


# The most losses the objective records: a run calling f far too often keeps its first ones.
LOSSES_KEPT = 2000


@dataclass(frozen=True)
class CorpusSpec:
    """What both sides need to build the same corpus and start."""

    seed: int
    clusters: int
    words: int  # per cluster
    dim: int
    window: int  # C: each batch window has a random size from 1 to C
    batch: int  # windows per evaluation of f

    @property
    def tokens(self) -> list[str]:
        return [word for theme in THEMES[: self.clusters] for word in theme[: self.words]]

    @property
    def cluster_of(self) -> list[int]:
        return [c for c in range(self.clusters) for _ in range(self.words)]

    def start(self) -> np.ndarray:
        """The initial word vectors, as the course's run.py makes them: center rows random, outside rows zero."""
        rng = np.random.default_rng([self.seed, 1])
        V = self.clusters * self.words
        return np.concatenate([(rng.random((V, self.dim)) - 0.5) / self.dim, np.zeros((V, self.dim))], axis=0)

    def to_wire(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_wire(cls, spec: dict[str, Any]) -> CorpusSpec:
        return cls(**{name: int(spec[name]) for name in cls.__dataclass_fields__})


class ClusteredCorpus:
    """The dataset: ``getRandomContext(C)`` and ``sampleTokenIdx()``, as in the course's code."""

    def __init__(self, spec: CorpusSpec) -> None:
        self.spec = spec
        self.tokens = spec.tokens
        self.members = [[i for i, c in enumerate(spec.cluster_of) if c == k] for k in range(spec.clusters)]
        self._random = random.Random(f"{spec.seed}:corpus")  # its own: not the module-level generator

    def getRandomContext(self, C: int) -> tuple[str, list[str]]:
        """A center word and 2C outside words, each another word of its cluster."""
        center = self._random.randrange(len(self.tokens))
        others = [i for i in self.members[self.spec.cluster_of[center]] if i != center]
        return self.tokens[center], [self.tokens[self._random.choice(others)] for _ in range(2 * C)]

    def sampleTokenIdx(self) -> int:
        return self._random.randrange(len(self.tokens))

    def window_size(self) -> int:
        return self._random.randint(1, self.spec.window)


def _as_loss(value: Any) -> float:
    """What f returned as loss, for the record; not a number -> nan (sgd's own use of it is untouched)."""
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")


class TrainingObjective:
    """Stands in for sgd's ``f`` in the training check: the course's word2vec_sgd_wrapper.

    Records the loss of every evaluation; that, and the vectors sgd returns,
    is all the worker reports.
    """

    def __init__(self, spec: CorpusSpec, skipgram: Callable[..., Any], loss_and_gradient: Callable[..., Any]) -> None:
        self.spec = spec
        self.corpus = ClusteredCorpus(spec)
        self.word2Ind = {word: i for i, word in enumerate(self.corpus.tokens)}
        self.skipgram = skipgram
        self.loss_and_gradient = loss_and_gradient
        self.losses: list[float] = []

    def __call__(self, wordVectors: Any) -> tuple[float, np.ndarray]:
        wordVectors = np.asarray(wordVectors, dtype=np.float64)
        N = wordVectors.shape[0] // 2
        batch = self.spec.batch
        loss = 0.0
        grad = np.zeros(wordVectors.shape)
        for _ in range(batch):
            size = self.corpus.window_size()
            center, context = self.corpus.getRandomContext(size)
            c, gin, gout = self.skipgram(
                center,
                size,
                context,
                self.word2Ind,
                wordVectors[:N, :],
                wordVectors[N:, :],
                self.corpus,
                self.loss_and_gradient,  # with its default K = 10, as run.py trains
            )
            loss += c / batch
            grad[:N, :] += gin / batch
            grad[N:, :] += gout / batch
        if len(self.losses) < LOSSES_KEPT:
            self.losses.append(_as_loss(loss))
        return loss, grad
