"""The training check: the submission's sgd, skipgram and negative sampling train word vectors.

The worker runs the student's sgd on the grader's word2vec_sgd_wrapper over
a synthetic corpus (grader.protocol.corpus) and reports numbers only: the
loss of every evaluation of f and the vectors sgd returned. Every figure of
the verdict is computed here from those numbers: a full-softmax evaluation
loss over every (center, outside) pair the corpus can produce, and the
cosine similarity of words within and across clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from grader.boundary.returned import Problem, as_array
from grader.protocol import wire
from grader.protocol.corpus import LOSSES_KEPT, CorpusSpec
from grader.rubric import cases
from grader.rubric.checks import Failed
from grader.rubric.feedback import number, say
from grader.session import NEG, SGD, SIGMOID, SKIPGRAM

if TYPE_CHECKING:
    from grader.boundary.returned import Call
    from grader.session import Session

# The corpus and the run: 4 clusters of 5 words, 8 dimensions, windows up to
# 2, 5 windows per evaluation of f, 200 iterations of step 0.3. The
# reference trains in about 0.25 s (0.35 s at most over 30 seeds), far
# inside limits.call_seconds; tests/test_training.py holds the calibration.
CLUSTERS = 4
WORDS = 5
DIM = 8
WINDOW = 2
BATCH = 5
ITERATIONS = 200
STEP = 0.3
# The verdict. Over 30 seeds the reference's evaluation loss fell at least
# 1.59 times and its clusters' mean cosines differed by at least 0.55.
LOSS_FACTOR = 1.25  # the evaluation loss must fall to at most initial / LOSS_FACTOR
SEPARATION = 0.3  # within-cluster cosine must exceed the across-cluster one by this much


@dataclass(frozen=True)
class TrainingFigures:
    """What the training check measured, every figure computed on the trusted side; reports draw it.

    Never part of results.json: Gradescope's schema has no place for it.
    """

    losses: tuple[float, ...]  # what the submission's f returned, one per iteration (a batch of windows each)
    initial_loss: float  # the grader's evaluation loss at the starting vectors
    final_loss: float  # and at the vectors sgd returned
    factor: float  # how much it had to fall: final <= initial / factor
    within: float  # mean cosine similarity of two words of one cluster
    across: float  # of two words of different clusters
    words: tuple[str, ...]
    clusters: tuple[int, ...]  # each word's cluster
    points: tuple[tuple[float, float], ...]  # each word's 2-D projection; () when the vectors are not finite

    @property
    def fell_by(self) -> float:
        """initial / final: how many times smaller the loss became (nan when it cannot be said)."""
        return self.initial_loss / self.final_loss if self.final_loss > 0 else float("nan")

    @property
    def summary(self) -> str:
        """The figures in one line, as the text report shows them."""
        return say(
            "training_summary",
            initial=number(round(self.initial_loss, 3)),
            final=number(round(self.final_loss, 3)),
            fell_by=number(round(self.fell_by, 2)),
            within=number(round(self.within, 2)),
            across=number(round(self.across, 2)),
        )


def corpus_spec(seed: int) -> CorpusSpec:
    rng = cases.rng_for(seed, "training")
    return CorpusSpec(int(rng.integers(2**31)), CLUSTERS, WORDS, DIM, WINDOW, BATCH)


def _split(spec: CorpusSpec, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(center vectors, outside vectors): the halves of the stacked word vectors, as run.py stacks them."""
    V = len(spec.tokens)
    return x[:V], x[V:]


def _pairs(spec: CorpusSpec) -> np.ndarray:
    """(V, V) mask of the (center, outside) pairs the corpus produces: two words of one cluster."""
    cluster = np.asarray(spec.cluster_of)
    return (cluster[:, None] == cluster[None, :]) & ~np.eye(len(cluster), dtype=bool)


def evaluation_loss(spec: CorpusSpec, x: np.ndarray) -> float:
    """Mean full-softmax cross-entropy -log P(o | c) over every pair the corpus produces."""
    centers, outside = _split(spec, x)
    with np.errstate(all="ignore"):
        scores = centers @ outside.T
        scores = scores - scores.max(axis=1, keepdims=True)
        log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    pairs = _pairs(spec)
    return float(-log_p[pairs].mean())


def cluster_cosines(spec: CorpusSpec, x: np.ndarray) -> tuple[float, float]:
    """Mean cosine similarity of words' center and outside vectors, concatenated: (within clusters, across)."""
    words = np.concatenate(_split(spec, x), axis=1)
    with np.errstate(all="ignore"):
        unit = words / np.linalg.norm(words, axis=1, keepdims=True)
        cosines = unit @ unit.T
    cluster = np.asarray(spec.cluster_of)
    return float(cosines[_pairs(spec)].mean()), float(cosines[cluster[:, None] != cluster[None, :]].mean())


def projection(spec: CorpusSpec, x: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Each word's first two principal coordinates (run.py's SVD picture); () for vectors that are not finite."""
    words = np.concatenate(_split(spec, x), axis=1)
    if not np.all(np.isfinite(words)):
        return ()
    centered = words - words.mean(axis=0)
    u, s, _ = np.linalg.svd(centered, full_matrices=False)
    coordinates = u[:, :2] * s[:2]
    if coordinates.shape[1] < 2:
        return ()
    return tuple((float(a), float(b)) for a, b in coordinates)


def figures(spec: CorpusSpec, x: np.ndarray, losses: np.ndarray) -> TrainingFigures:
    start = spec.start()
    within, across = cluster_cosines(spec, x)
    return TrainingFigures(
        losses=tuple(float(v) for v in losses.reshape(-1)),
        initial_loss=evaluation_loss(spec, start),
        final_loss=evaluation_loss(spec, x),
        factor=LOSS_FACTOR,
        within=within,
        across=across,
        words=tuple(spec.tokens),
        clusters=tuple(spec.cluster_of),
        points=projection(spec, x),
    )


# The graded functions the training run calls, and how a failure inside each reads.
STAGES = (SGD, SKIPGRAM, NEG, SIGMOID, "getNegativeSamples")


def _stopped(call: Call) -> Failed:
    """Why the run did not finish: the innermost graded function in the exception's frames names the stage."""
    if call.lost is not None:
        return Failed(say("training_lost", detail=call.lost.detail, iterations=ITERATIONS), say("hint_training_slow"))
    error = call.error or {}
    frames = [f for f in error.get("frames") or [] if isinstance(f, dict)]
    named = [f for f in frames if f.get("function") in STAGES]
    where = named[-1] if named else (frames[-1] if frames else None)
    return Failed(
        say(
            "training_stopped",
            type=error.get("type", "an exception"),
            message=error.get("message", ""),
            function=where.get("function") if where else None,
            line=where.get("line") if where else None,
            code=str(where.get("code", "")).strip() if where else "",
        )
    )


def judge(spec: CorpusSpec, x: np.ndarray, losses: np.ndarray) -> tuple[TrainingFigures, Failed | None]:
    """The figures of a finished run, and its failure, if any: the loss falls LOSS_FACTOR times, clusters separate."""
    drawn = figures(spec, x, losses)
    fields = {
        "initial": number(round(drawn.initial_loss, 3)),
        "final": number(round(drawn.final_loss, 3)) if np.isfinite(drawn.final_loss) else "not a number",
        "factor": number(LOSS_FACTOR),
        "iterations": ITERATIONS,
    }
    if not np.isfinite(drawn.final_loss) or drawn.final_loss >= drawn.initial_loss:
        unmoved = bool(np.allclose(x, spec.start()))
        return drawn, Failed(
            say("training_loss_rose", unmoved=unmoved, **fields),
            say("hint_training_not_moved" if unmoved else "hint_training_rose"),
        )
    if drawn.final_loss > drawn.initial_loss / LOSS_FACTOR:
        return drawn, Failed(say("training_loss_slow", fell_by=number(round(drawn.fell_by, 2)), **fields))
    if not drawn.within - drawn.across >= SEPARATION:
        return drawn, Failed(
            say(
                "training_clusters",
                within=number(round(drawn.within, 2)),
                across=number(round(drawn.across, 2)),
                separation=number(SEPARATION),
            )
        )
    return drawn, None


def check(session: Session) -> str:
    """Train in the worker, then judge here from the numbers it reported."""
    spec = corpus_spec(session.settings.seed)
    call = session.train(spec, STEP, ITERATIONS)
    if call.failed:
        raise _stopped(call)
    try:
        x = as_array(call.value, "the word vectors sgd returned")
    except Problem as problem:
        raise Failed(str(problem), say("hint_sgd_return")) from None
    expected = spec.start().shape
    if x.shape != expected:
        raise Failed(say("training_shape", got=x.shape, expected=expected))
    try:
        losses = wire.decode_array(call.losses, LOSSES_KEPT) if call.losses is not None else np.zeros(0)
    except wire.WireError:
        losses = np.zeros(0)
    drawn, failure = judge(spec, x, losses)
    session.figures = drawn
    if failure is not None:
        raise failure
    return drawn.summary
