"""Random but reproducible inputs for every test, from one seed.

Each case set draws from its own stream, derived from the run's seed and
the set's name, so adding or skipping a test never changes another test's
cases.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from grader.config import Settings

WORDS = (
    "the",
    "cat",
    "sat",
    "on",
    "mat",
    "a",
    "dog",
    "ran",
    "to",
    "park",
    "it",
    "was",
    "sunny",
    "and",
    "warm",
    "birds",
    "sang",
    "in",
    "trees",
    "we",
    "ate",
    "lunch",
    "near",
    "river",
    "then",
    "walked",
    "home",
    "slowly",
    "under",
    "stars",
)


# Draws in a skip-gram case's dataset: 8 outside words with K = 10 each take
# about 100 when V = 5 (a draw equal to the outside word is drawn again).
STREAM_DRAWS = 600


def rng_for(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


@dataclass(frozen=True)
class SigmoidCase:
    label: str
    x: object  # a Python float, np.float64 or ndarray

    @property
    def args(self) -> tuple[object]:
        return (self.x,)

    def describe(self) -> str:
        """The label, with x itself when the label does not show it."""
        from grader.rubric.feedback import array

        shown = array(np.asarray(self.x)).split(" shape ")[0]  # the label names the shape
        return self.label if shown in self.label else f"{self.label}, x = {shown}"


@dataclass(frozen=True)
class LossCase:
    """One call of naiveSoftmaxLossAndGradient or negSamplingLossAndGradient."""

    label: str
    centerWordVec: np.ndarray  # (d,)
    outsideWordIdx: int
    outsideVectors: np.ndarray  # (V, d)
    stream: tuple = ()  # what dataset.sampleTokenIdx() returns, in order
    K: int | None = None  # None: use the function's default (10)
    reseed: int = 0
    scores: str = ""  # what is extreme about the scores u_w . v_c, if anything

    @property
    def shape(self) -> tuple[int, ...]:
        return self.outsideVectors.shape

    def negatives(self) -> list[int]:
        """The K samples getNegativeSamples draws from ``stream``."""
        return [i for i in self.stream if i != self.outsideWordIdx][: self.K or 10]

    def describe(self) -> str:
        V, d = self.shape
        text = f"V={V}, d={d}, outsideWordIdx={self.outsideWordIdx}"
        if self.scores:
            text = f"{self.scores} ({text})"
        if self.stream:
            negatives = self.negatives()
            text += f", K={len(negatives)}, negative samples {negatives}"
            repeats = sorted({i for i in negatives if negatives.count(i) > 1})
            if repeats:
                text += f" (repeated: {repeats})"
        return text


@dataclass(frozen=True)
class SkipgramCase:
    label: str
    currentCenterWord: str
    windowSize: int
    outsideWords: tuple
    word2Ind: dict
    centerWordVectors: np.ndarray
    outsideVectors: np.ndarray
    standin_seed: int

    def stream(self) -> tuple[int, ...]:
        """What dataset.sampleTokenIdx() returns, in order: enough for any window with K = 10.

        Only a skipgram that calls a loss function of its own draws from it;
        drawn from the stand-in's seed, so the other cases stay as they were.
        """
        V = self.outsideVectors.shape[0]
        draws = np.random.default_rng([self.standin_seed, V]).integers(V, size=STREAM_DRAWS)
        return tuple(int(i) for i in draws)

    def describe(self) -> str:
        V, d = self.outsideVectors.shape
        return (
            f"center word {self.currentCenterWord!r} (index {self.word2Ind[self.currentCenterWord]}), "
            f"windowSize={self.windowSize}, outsideWords={list(self.outsideWords)}, V={V}, d={d}"
        )


# -- sigmoid ------------------------------------------------------------------


def sigmoid_values(rng: np.random.Generator) -> list[SigmoidCase]:
    return [
        SigmoidCase("the Python float 0.0", 0.0),
        SigmoidCase("a Python float", float(np.round(rng.normal(0, 2), 3))),
        SigmoidCase("a numpy float64 scalar", np.float64(np.round(rng.normal(0, 2), 3))),
        SigmoidCase("an integer array [1, 2, 3]", np.array([1, 2, 3])),
        SigmoidCase("a 1-D array of length 7", rng.normal(0, 3, 7)),
        SigmoidCase("a 2-D array of shape (4, 5)", rng.uniform(-10, 10, (4, 5))),
    ]


def sigmoid_extremes(rng: np.random.Generator) -> list[SigmoidCase]:
    return [
        SigmoidCase("the Python float 800.0", 800.0),
        SigmoidCase("the Python float -800.0", -800.0),
        SigmoidCase("a 1-D array from -800 to 800", np.linspace(-800, 800, 9)),
        SigmoidCase("a 2-D array with entries up to +-800", rng.uniform(-800, 800, (3, 4))),
    ]


def sigmoid_hidden(rng: np.random.Generator) -> list[SigmoidCase]:
    cases = []
    for i in range(4):
        shape = (int(rng.integers(1, 60)),) if i % 2 == 0 else tuple(int(n) for n in rng.integers(1, 12, 2))
        cases.append(SigmoidCase(f"an array of shape {shape}", rng.normal(0, 20, shape)))
    return cases


# -- loss functions ------------------------------------------------------------


def _vectors(rng: np.random.Generator, V: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0, 1, d), rng.normal(0, 1, (V, d)) / np.sqrt(d)


def _vectors_with_scores(rng: np.random.Generator, scores: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """v_c and U with U @ v_c == scores: U's rows are scores along v_c plus noise across it."""
    v = rng.normal(0, 1, d)
    noise = rng.normal(0, 1, (len(scores), d))
    noise -= np.outer(noise @ v, v) / (v @ v)
    return v, np.outer(scores, v) / (v @ v) + noise


def naive_cases(rng: np.random.Generator, shapes: Iterable[tuple[int, int]], label: str) -> list[LossCase]:
    cases = []
    for V, d in shapes:
        v, U = _vectors(rng, V, d)
        cases.append(LossCase(f"{label} V={V}, d={d}", v, int(rng.integers(V)), U))
    return cases


def naive_stable(rng: np.random.Generator, score: float, spread: float) -> list[LossCase]:
    """Extreme scores of both signs: exp() overflows near +score and every y_hat underflows near -score."""
    cases = []
    for sign, V, d in ((1, 6, 5), (-1, 30, 8)):
        v, U = _vectors_with_scores(rng, sign * score + rng.uniform(-spread, spread, V), d)
        near = f"every score near {sign * score:+g}"
        cases.append(LossCase(near, v, int(rng.integers(V)), U, scores=near))
    return cases


def neg_stream(rng: np.random.Generator, V: int, o: int, K: int, repeats: bool, most: int = 0) -> tuple[int, ...]:
    """Draws for getNegativeSamples: K negatives, with o drawn (and rejected) along the way.

    most: one word is drawn at least this often (with repeats).
    """
    others = [i for i in range(V) if i != o]
    if repeats:
        pool = rng.choice(others, size=min(len(others), max(1, K // 2)), replace=False)
        negatives = list(rng.choice(pool, size=K, replace=True))
        if len(set(negatives)) == K:  # make sure a word really repeats
            negatives[-1] = negatives[0]
        if most > negatives.count(negatives[0]):
            for k in rng.choice(K, size=min(most, K), replace=False):
                negatives[k] = negatives[0]
    else:
        negatives = list(rng.choice(others, size=K, replace=False))
    stream = [int(i) for i in negatives]
    for _ in range(int(rng.integers(1, 3))):
        stream.insert(int(rng.integers(0, len(stream) + 1)), o)
    return tuple(stream)


def neg_cases(
    rng: np.random.Generator, specs: Iterable[tuple[int, int, int | None, bool]], label: str, most: int = 0
) -> list[LossCase]:
    """specs: (V, d, K, repeats) per case; K=None means the default 10. most: as for neg_stream."""
    cases = []
    for V, d, K, repeats in specs:
        v, U = _vectors(rng, V, d)
        o = int(rng.integers(V))
        stream = neg_stream(rng, V, o, K or 10, repeats, most)
        kind = "repeated" if repeats else "distinct"
        cases.append(
            LossCase(
                f"{label} V={V}, d={d}, K={K or 10}, {kind} negatives", v, o, U, stream, K, int(rng.integers(2**31))
            )
        )
    return cases


def neg_hidden(rng: np.random.Generator, count: int, score_scale: float) -> list[LossCase]:
    specs = []
    for _ in range(count):
        V = int(rng.integers(3, 60))
        K = int(rng.integers(1, 21))
        specs.append((V, int(rng.integers(2, 25)), K, bool(rng.integers(2)) or V - 1 < K))
    cases = neg_cases(rng, specs + [(500, 20, 15, False)], "random")
    # Larger scores, where a sign slip in sigma(-s) versus sigma(s) is unmistakable.
    V, d, K = 16, 6, 10
    o = int(rng.integers(V))
    v, U = _vectors_with_scores(rng, rng.uniform(-score_scale, score_scale, V), d)
    cases.append(
        LossCase(
            f"scores u_w . v_c up to +-{score_scale:g}",
            v,
            o,
            U,
            neg_stream(rng, V, o, K, True),
            None,
            int(rng.integers(2**31)),
            scores=f"scores u_w . v_c up to +-{score_scale:g}",
        )
    )
    return cases


# -- skip-gram -----------------------------------------------------------------


def skipgram_case(rng: np.random.Generator, V: int, d: int, windowSize: int, repeats: bool, label: str) -> SkipgramCase:
    words = [str(w) for w in rng.choice(WORDS, size=V, replace=False)]
    indices = [int(i) for i in rng.permutation(V)]  # index order != word order
    word2Ind = dict(zip(words, indices))
    center = words[int(rng.integers(V))]
    count = 2 * windowSize
    if repeats:
        pool = [str(w) for w in rng.choice(words, size=max(1, count // 2), replace=False)]
        outside = [str(w) for w in rng.choice(pool, size=count, replace=True)]
        if len(set(outside)) == len(outside):
            outside[-1] = outside[0]
    else:
        outside = [str(w) for w in rng.choice(words, size=min(count, V), replace=False)]
    return SkipgramCase(
        label,
        center,
        windowSize,
        tuple(outside),
        word2Ind,
        rng.normal(0, 1, (V, d)),
        rng.normal(0, 1, (V, d)),
        int(rng.integers(2**31)),
    )


def skipgram_public(rng: np.random.Generator, vocab: Sequence[int], d: int) -> list[SkipgramCase]:
    return [
        skipgram_case(rng, vocab[0], d, 1, False, "window 1"),
        skipgram_case(rng, vocab[1], d, 2, False, "window 2"),
    ]


def skipgram_repeats(rng: np.random.Generator, vocab: Sequence[int], d: int) -> list[SkipgramCase]:
    return [
        skipgram_case(rng, vocab[0], d, 3, True, "repeated outside words"),
        skipgram_case(rng, vocab[1], d, 2, True, "repeated outside words"),
    ]


def skipgram_hidden(rng: np.random.Generator, vocab: Sequence[int], d: int) -> list[SkipgramCase]:
    return [
        skipgram_case(rng, int(rng.integers(vocab[0], vocab[1] + 1)), d + 2, w, bool(w % 2), "random")
        for w in (1, 2, 3, 4)
    ]


# -- the case sets of each graded function (see grader.registry) ----------------

K = 10


def sigmoid_sets(settings: Settings) -> dict[str, Callable[[np.random.Generator], list[SigmoidCase]]]:
    return {
        "sigmoid.values": sigmoid_values,
        "sigmoid.extremes": sigmoid_extremes,
        "sigmoid.hidden": sigmoid_hidden,
    }


def naive_sets(settings: Settings) -> dict[str, Callable[[np.random.Generator], list[LossCase]]]:
    s = settings.cases
    return {
        "naive.public": lambda rng: naive_cases(rng, s.public_shapes, "public"),
        # Ordinary scores: extreme ones are the stability test's alone, so a missing shift costs once.
        "naive.hidden": lambda rng: naive_cases(rng, s.hidden_shapes, "random"),
        "naive.stable": lambda rng: naive_stable(rng, s.stable_score, s.stable_spread),
        "naive.fd": lambda rng: naive_cases(rng, [s.fd_shape], "gradient check"),
        "naive.efficiency": lambda rng: naive_cases(rng, [s.efficiency_shape], "large"),
    }


def neg_sets(settings: Settings) -> dict[str, Callable[[np.random.Generator], list[LossCase]]]:
    s = settings.cases
    return {
        "neg.distinct": lambda rng: neg_cases(
            rng, [(11, 16, None, False), (14, 14, None, False), (25, 6, K, False)], "public"
        ),
        # One word drawn six times or more, with d >= 8: BLAS may round copies of one row
        # differently, but never six of them all differently, so code that finds repeats
        # by comparing floats for equality fails here at every seed, not only at some.
        "neg.repeated": lambda rng: neg_cases(
            rng, [(6, 5, None, True), (12, 4, K, True), (4, 8, None, True), (9, 12, K, True)], "public", most=6
        ),
        "neg.other_K": lambda rng: neg_cases(
            rng, [(20, 5, s.other_K[0], False), (8, 8, s.other_K[1], False), (25, 10, s.other_K[2], False)], "public"
        ),
        "neg.fd": lambda rng: neg_cases(rng, [s.fd_shape + (None, True)], "gradient check"),
        "neg.efficiency": lambda rng: neg_cases(rng, [s.efficiency_shape + (None, False)], "large"),
        "neg.hidden": lambda rng: neg_hidden(rng, s.hidden_neg_sampling, s.neg_score_scale),
    }


def skipgram_sets(settings: Settings) -> dict[str, Callable[[np.random.Generator], list[SkipgramCase]]]:
    s = settings.cases
    return {
        "skipgram.public": lambda rng: skipgram_public(rng, s.skipgram_vocab, s.skipgram_dim),
        "skipgram.repeats": lambda rng: skipgram_repeats(rng, s.skipgram_vocab, s.skipgram_dim),
        "skipgram.hidden": lambda rng: skipgram_hidden(rng, s.skipgram_hidden_vocab, s.skipgram_dim),
    }
