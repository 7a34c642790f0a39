"""Trusted objectives and postprocessing handed to a student's ``sgd``.

The worker passes a ``RecordingObjective`` as ``f`` and the trusted process
passes the same one to the reference, so both descend the same function.
Each records where it was evaluated: the trusted side then follows the
student's iterates step by step, from numbers alone.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

# The kinds of f. quadratic: 0.5 sum(a x^2) + b . x, whose gradient a x + b
# depends on x; linear: b . x, a constant gradient, so a halved step shows
# after many iterations; scripted: a loss and gradient fixed per call, so
# each call's values say which call it was.
KINDS = ("quadratic", "linear", "scripted")
POSTPROCESSING = ("unit_ball",)
# Iterates recorded from the start and from the end of a run.
FIRST_KEPT = 60
LAST_KEPT = 60


@functools.lru_cache(maxsize=16)
def _coefficients(seed: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """a and b, drawn once per f: sgd calls f thousands of times in a case, and a generator per call
    would cost most of its time limit. Read-only, as every call shares them."""
    rng = np.random.default_rng([seed, 0])
    a, b = rng.uniform(0.5, 2.0, shape), rng.normal(0.0, 1.0, shape)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def _scalar_if_0d(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def objective_values(kind: str, seed: int, call: int, x: np.ndarray) -> tuple[float, Any]:
    """(loss, gradient) of f at x on its ``call``-th evaluation (from 1)."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "scripted":
        rng = np.random.default_rng([seed, call])
        return float(rng.uniform(0.5, 3.0)), _scalar_if_0d(rng.normal(0.0, 1.0, x.shape))
    a, b = _coefficients(seed, x.shape)
    if kind == "linear":
        return float(np.sum(b * x)), _scalar_if_0d(b.copy())
    return float(0.5 * np.sum(a * x * x) + np.sum(b * x)), _scalar_if_0d(a * x + b)


def postprocess(kind: str, x: Any) -> Any:
    """The postprocessing the grader passes: x scaled back into the unit ball."""
    if kind != "unit_ball":
        raise ValueError(f"no postprocessing is called {kind!r}; there is {', '.join(POSTPROCESSING)}")
    x = np.asarray(x, dtype=np.float64)
    return _scalar_if_0d(x / max(1.0, float(np.linalg.norm(x))))


class Postprocessing:
    """Stands in for sgd's ``postprocessing``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.count = 0

    def __call__(self, x: Any) -> Any:
        self.count += 1
        return postprocess(self.kind, x)


class RecordingObjective:
    """Stands in for sgd's ``f``: returns (loss, gradient) and records where it was called."""

    def __init__(self, kind: str, seed: int, shape: tuple[int, ...]) -> None:
        if kind not in KINDS:
            raise ValueError(f"no objective is called {kind!r}; there are {', '.join(KINDS)}")
        self.kind = kind
        self.seed = seed
        self.shape = tuple(shape)
        self.count = 0
        self.first: list[tuple[int, np.ndarray]] = []
        self.last: list[tuple[int, np.ndarray]] = []

    def __call__(self, x: Any) -> tuple[float, Any]:
        here = np.array(x, dtype=np.float64, copy=True)  # sgd may change x in place later
        self.count += 1
        if len(self.first) < FIRST_KEPT:
            self.first.append((self.count, here))
        else:
            self.last.append((self.count, here))
            if len(self.last) > LAST_KEPT:
                self.last.pop(0)
        if here.shape != self.shape:
            raise ValueError(f"f was called with an array of shape {here.shape}; x0 has shape {self.shape}")
        return objective_values(self.kind, self.seed, self.count, here)

    def records(self) -> list[tuple[int, np.ndarray]]:
        """(call number, x) of the first and last calls, in order."""
        return self.first + self.last
