"""Finite-difference checks of a student's gradients against their own loss.

Central differences along unit directions: one per block (the center
vector, then each row of the outside vectors) so a failure names the rows
at fault, plus a few random joint directions. Float64 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from grader.rubric.feedback import number

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grader.config import Tolerances


@dataclass
class Direction:
    label: str  # e.g. "row 3 of outsideVectors"
    gradient: str  # which returned gradient it tests
    center: np.ndarray  # (d,)
    outside: np.ndarray  # (V, d)


def directions(rng: np.random.Generator, V: int, d: int, tol: Tolerances) -> list[Direction]:
    def unit(n: int) -> np.ndarray:
        u = rng.normal(size=n)
        return u / np.linalg.norm(u)

    out = [Direction("centerWordVec", "gradCenterVec", unit(d), np.zeros((V, d)))]
    for row in range(V):
        outside = np.zeros((V, d))
        outside[row] = unit(d)
        out.append(Direction(f"row {row} of outsideVectors", "gradOutsideVecs", np.zeros(d), outside))
    for i in range(tol.fd_joint_directions):
        joint = unit(d + V * d)
        out.append(
            Direction(
                f"a random direction in all inputs ({i + 1})", "both gradients", joint[:d], joint[d:].reshape(V, d)
            )
        )
    return out


def points(
    center: np.ndarray, outside: np.ndarray, direction: Direction, tol: Tolerances
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two inputs a central difference needs: x + h u and x - h u."""
    h = tol.fd_step
    return [
        (center + h * direction.center, outside + h * direction.outside),
        (center - h * direction.center, outside - h * direction.outside),
    ]


@dataclass
class Disagreement:
    gradient: str
    direction: str
    numerical: str
    analytical: str


def judge(
    dirs: Sequence[Direction],
    losses: Sequence[float],
    grad_center: np.ndarray,
    grad_outside: np.ndarray,
    tol: Tolerances,
) -> tuple[list[Disagreement], bool]:
    """Compare slopes. Returns (disagreements, loss_is_constant)."""
    h = tol.fd_step
    found = []
    slopes = []
    for i, direction in enumerate(dirs):
        numerical = (losses[2 * i] - losses[2 * i + 1]) / (2 * h)
        analytical = float(grad_center @ direction.center + np.sum(grad_outside * direction.outside))
        slopes.append(abs(numerical))
        scale = max(1.0, abs(numerical), abs(analytical))
        if not abs(numerical - analytical) <= tol.fd_tol * scale:
            found.append(Disagreement(direction.gradient, direction.label, number(numerical), number(analytical)))
    return found, max(slopes, default=0.0) < tol.fd_constant_loss
