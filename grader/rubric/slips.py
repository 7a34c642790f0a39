"""Known wrong formulas of the two loss functions, from a case's inputs and right answers.

A hint names a mistake only when the student's numbers equal what that
mistake gives on the same inputs (and differ from the right answer), never
from what the source looks like. Each slip is the right answer corrected by
what the one mistake changes, so the handout, which ships this module, holds
no solution: s_w = u_w . v_c are the scores, sigma the logistic function.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from grader.protocol.standins import trusted_sigmoid

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from grader.rubric.cases import LossCase

    Outputs = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Slip:
    hint: str  # the feedback macro that names it
    outputs: tuple[int, ...]  # the outputs it changes: 0 loss, 1 gradCenterVec, 2 gradOutsideVecs
    compute: Callable[[LossCase, Outputs], Outputs]  # (case, right answers) -> what the slip returns


def _sigma(x: float | np.ndarray) -> np.ndarray:
    return np.asarray(trusted_sigmoid(x), dtype=float)


def _right(expected: Sequence[np.ndarray]) -> tuple[float, np.ndarray, np.ndarray]:
    return float(np.asarray(expected[0])), np.array(expected[1], dtype=float), np.array(expected[2], dtype=float)


# -- naive softmax ---------------------------------------------------------------


def _loss_over_vocabulary(case: LossCase, expected: Outputs) -> Outputs:
    # log y_hat_w = log y_hat_o + s_w - s_o, and log y_hat_o = -J.
    loss, grad_center, grad_outside = _right(expected)
    s = case.outsideVectors @ case.centerWordVec
    return np.asarray(len(s) * loss - np.sum(s - s[case.outsideWordIdx])), grad_center, grad_outside


def _loss_without_log(minus: float) -> Callable[[LossCase, Outputs], Outputs]:
    def compute(case: LossCase, expected: Outputs) -> Outputs:
        loss, grad_center, grad_outside = _right(expected)
        return np.asarray(minus - np.exp(-loss)), grad_center, grad_outside  # y_hat_o = exp(-J)

    return compute


def _y_hat_sign(case: LossCase, expected: Outputs) -> Outputs:
    # -y_hat - y = -(y_hat - y) - 2 y
    loss, grad_center, grad_outside = _right(expected)
    o, v = case.outsideWordIdx, case.centerWordVec
    grad_outside = -grad_outside
    grad_outside[o] -= 2 * v
    return np.asarray(loss), -grad_center - 2 * case.outsideVectors[o], grad_outside


def _unnormalised(case: LossCase, expected: Outputs) -> Outputs:
    # exp(s) = Z y_hat with Z = sum_w exp(s_w): exp(s) - y = Z (y_hat - y) + (Z - 1) y
    loss, grad_center, grad_outside = _right(expected)
    o, v = case.outsideWordIdx, case.centerWordVec
    Z = np.sum(np.exp(case.outsideVectors @ v))
    grad_outside = Z * grad_outside
    grad_outside[o] += (Z - 1) * v
    return np.asarray(loss), Z * grad_center + (Z - 1) * case.outsideVectors[o], grad_outside


NAIVE_SLIPS = (
    Slip("hint_loss_over_vocabulary", (0,), _loss_over_vocabulary),
    Slip("hint_loss_without_log", (0,), _loss_without_log(0.0)),
    Slip("hint_loss_without_log", (0,), _loss_without_log(1.0)),
    Slip("hint_y_hat_sign", (1, 2), _y_hat_sign),
    Slip("hint_unnormalised", (1, 2), _unnormalised),
)


# -- negative sampling -----------------------------------------------------------


def _scores(case: LossCase) -> tuple[float, np.ndarray, list[int]]:
    negatives = case.negatives()
    U, v = case.outsideVectors, case.centerWordVec
    return float(U[case.outsideWordIdx] @ v), U[negatives] @ v, negatives


def _repeats_once(case: LossCase, expected: Outputs) -> Outputs:
    # Each word w drawn m > 1 times loses m - 1 of its terms.
    loss, grad_center, grad_outside = _right(expected)
    U, v = case.outsideVectors, case.centerWordVec
    for w, m in Counter(case.negatives()).items():
        if m > 1:
            s = float(U[w] @ v)
            loss += (m - 1) * np.log(_sigma(-s))
            grad_center -= (m - 1) * _sigma(s) * U[w]
            grad_outside[w] -= (m - 1) * _sigma(s) * v
    return np.asarray(loss), grad_center, grad_outside


def _loss_sigma_of_plus(case: LossCase, expected: Outputs) -> Outputs:
    # log sigma(-s) - log sigma(s) = -s
    loss, grad_center, grad_outside = _right(expected)
    return np.asarray(loss - np.sum(_scores(case)[1])), grad_center, grad_outside


def _gradient_sigma_of_minus(case: LossCase, expected: Outputs) -> Outputs:
    loss, grad_center, grad_outside = _right(expected)
    _, s, negatives = _scores(case)
    change = _sigma(-s) - _sigma(s)
    np.add.at(grad_outside, negatives, np.outer(change, case.centerWordVec))
    return np.asarray(loss), grad_center + change @ case.outsideVectors[negatives], grad_outside


def _negative_loss_sign(case: LossCase, expected: Outputs) -> Outputs:
    loss, grad_center, grad_outside = _right(expected)
    return np.asarray(loss + 2 * np.sum(np.log(_sigma(-_scores(case)[1])))), grad_center, grad_outside


def _outside_sign(case: LossCase, expected: Outputs) -> Outputs:
    # The outside word's coefficient sigma(s_o) - 1 with its sign flipped.
    loss, grad_center, grad_outside = _right(expected)
    o, v = case.outsideWordIdx, case.centerWordVec
    coefficient = _sigma(np.asarray(_scores(case)[0])) - 1.0
    grad_outside[o] -= 2 * coefficient * v
    return np.asarray(loss), grad_center - 2 * coefficient * case.outsideVectors[o], grad_outside


def _u_o_sign(case: LossCase, expected: Outputs) -> Outputs:
    # s_o replaced by -s_o: log sigma(s_o) - log sigma(-s_o) = s_o; the coefficient becomes sigma(-s_o) - 1.
    loss, grad_center, grad_outside = _right(expected)
    o, v = case.outsideWordIdx, case.centerWordVec
    s_o = _scores(case)[0]
    change = 1.0 - 2.0 * _sigma(np.asarray(s_o))
    grad_outside[o] += change * v
    return np.asarray(loss + s_o), grad_center + change * case.outsideVectors[o], grad_outside


def _summed_to_scalar(case: LossCase, expected: Outputs) -> Outputs:
    loss, grad_center, grad_outside = _right(expected)
    _, s, negatives = _scores(case)
    term = _sigma(s) @ case.outsideVectors[negatives]
    return np.asarray(loss), grad_center - term + np.sum(term), grad_outside


def _negative_rows_unwritten(case: LossCase, expected: Outputs) -> Outputs:
    loss, grad_center, grad_outside = _right(expected)
    rows = [w for w in set(case.negatives()) if w != case.outsideWordIdx]
    grad_outside[rows] = 0.0
    return np.asarray(loss), grad_center, grad_outside


def _outside_among_negatives(case: LossCase, expected: Outputs) -> Outputs:
    # u_o also scored as a negative sample: its terms -log sigma(-s_o) and sigma(s_o) added.
    loss, grad_center, grad_outside = _right(expected)
    o, v = case.outsideWordIdx, case.centerWordVec
    s_o = _scores(case)[0]
    grad_outside[o] += _sigma(s_o) * v
    return np.asarray(loss - np.log(_sigma(-s_o))), grad_center + _sigma(s_o) * case.outsideVectors[o], grad_outside


NEG_SLIPS = (
    Slip("hint_repeats_once", (0, 1, 2), _repeats_once),
    Slip("hint_sigma_of_minus", (0,), _loss_sigma_of_plus),
    Slip("hint_sigma_of_minus", (1, 2), _gradient_sigma_of_minus),
    Slip("hint_negative_loss_sign", (0,), _negative_loss_sign),
    Slip("hint_outside_sign", (1, 2), _outside_sign),
    Slip("hint_u_o_sign", (0, 1, 2), _u_o_sign),
    Slip("hint_summed_to_scalar", (1,), _summed_to_scalar),
    Slip("hint_negative_rows_unwritten", (2,), _negative_rows_unwritten),
    Slip("hint_outside_among_negatives", (0, 1, 2), _outside_among_negatives),
)
