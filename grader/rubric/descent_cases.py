"""Cases for sgd: an objective, a start and a schedule, drawn from the seed.

Each case names a trusted objective (grader.protocol.objectives) rather
than carrying one, so the worker and the reference build identical ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from grader.config import Settings

# sgd halves its step every ANNEAL_EVERY iterations (the provided code's constant).
ANNEAL_EVERY = 20000
# Larger than every case's iterations: the progress print, which needs loss, stays silent.
SILENT = 10**9


@dataclass(frozen=True)
class SgdCase:
    label: str
    objective: str  # a kind of grader.protocol.objectives
    seed: int
    x0: object  # a Python float or an ndarray
    step: float
    iterations: int
    postprocessing: str | None = None
    print_every: int = SILENT

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.asarray(self.x0).shape)

    def step_at(self, iteration: int) -> float:
        """The step sgd takes at ``iteration`` (from 1), after the provided annealing."""
        return self.step * 0.5 ** ((iteration - 1) // ANNEAL_EVERY)

    def describe(self) -> str:
        start = f"the Python float x0={self.x0!r}" if isinstance(self.x0, float) else f"x0 of shape {self.shape}"
        text = f"{self.label}: {start}, step={self.step:g}, iterations={self.iterations}"
        if self.postprocessing:
            text += ", postprocessing that scales x back into the unit ball"
        if self.print_every != SILENT:
            text += f", PRINT_EVERY={self.print_every}"
        return text


def _case(
    rng: np.random.Generator,
    label: str,
    objective: str,
    shape: tuple[int, ...],
    step: float,
    iterations: int,
    postprocessing: str | None = None,
    print_every: int = SILENT,
) -> SgdCase:
    x0: object = float(np.round(rng.normal(0, 1.5), 3)) if shape == () else rng.normal(0, 1, shape)
    seed = int(rng.integers(2**31))
    return SgdCase(label, objective, seed, x0, step, iterations, postprocessing, print_every)


def sgd_calls(rng: np.random.Generator) -> list[SgdCase]:
    # Values fixed per call: what f returns says which call it was.
    return [
        _case(rng, "an f whose values change with every call", "scripted", (7,), 0.05, 30),
        _case(rng, "an f whose values change with every call", "scripted", (3, 4), 0.02, 25, "unit_ball"),
    ]


def sgd_steps(rng: np.random.Generator) -> list[SgdCase]:
    # Values that depend on x alone, so only the steps decide these results.
    return [
        _case(rng, "a quadratic f", "quadratic", (), 0.01, 50),
        _case(rng, "a quadratic f", "quadratic", (6, 3), 0.1, 40, "unit_ball"),
    ]


def sgd_anneal(rng: np.random.Generator) -> list[SgdCase]:
    # A request of its own: 20,400 iterations take most of one call's time limit on a slow machine.
    return [_case(rng, "a linear f, past the first annealing", "linear", (4,), 0.01, ANNEAL_EVERY + 400)]


def sgd_printing(rng: np.random.Generator) -> list[SgdCase]:
    return [
        _case(rng, "a quadratic f, printing progress", "quadratic", (), 0.01, 30, print_every=10),
        _case(rng, "a quadratic f, printing progress", "quadratic", (5,), 0.05, 20, print_every=7),
    ]


def sgd_hidden(rng: np.random.Generator) -> list[SgdCase]:
    cases = []
    for i, objective in enumerate(("quadratic", "scripted", "quadratic", "linear")):
        shape = () if i == 0 else tuple(int(n) for n in rng.integers(1, 9, 1 + i % 2))
        cases.append(
            _case(
                rng,
                f"a random {objective} f",
                objective,
                shape,
                float(np.round(rng.uniform(0.005, 0.2), 4)),
                int(rng.integers(5, 80)),
                "unit_ball" if i % 2 else None,
            )
        )
    return cases


def sgd_sets(settings: Settings) -> dict[str, Callable[[np.random.Generator], list[SgdCase]]]:
    return {
        "sgd.calls": sgd_calls,
        "sgd.steps": sgd_steps,
        "sgd.anneal": sgd_anneal,
        "sgd.printing": sgd_printing,
        "sgd.hidden": sgd_hidden,
    }
