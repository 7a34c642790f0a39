"""Verdicts: comparisons of what the student returned with what was expected.

Every check either returns quietly or raises ``Failed`` with a message
that names the quantity, the case, expected against got, and a likely
cause when the error has a recognisable pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.boundary.returned import Problem
from grader.config import Tolerances
from grader.rubric.causes import exception_hint
from grader.rubric.feedback import array, number, say

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from grader.rubric.feedback import Feedback

    # A pattern that names a likely cause: (got, expected) -> a hint, or None.
    Hint = Callable[[np.ndarray, np.ndarray], Feedback | None]


class Failed(Exception):
    """A test's verdict: not passed, with the feedback to show and, apart, the likely cause.

    ``error`` is the account of what the submission raised, hung or crashed
    on, when that is the verdict: a report shows an error repeated across a
    function's tests only once.
    """

    def __init__(self, message: str, hint: str | None = None, error: str = "") -> None:
        super().__init__(message)
        self.message = str(message)
        self.hint = hint or getattr(message, "hint", None)
        self.error = error


def failed_by(problem: Problem, message: str | None = None) -> Failed:
    """The verdict on a call that gave no usable value, with the exception's likely cause."""
    error = str(problem) if problem.kind in RAISED else ""
    return Failed(message or str(problem), exception_hint(problem.error), error)


class NothingToJudge(Failed):
    """Not credited: a test that judges only what other tests found right found nothing right."""


DEFAULT = Tolerances()
# Problem kinds that are an error of the submission's run, not a value of the wrong kind.
RAISED = frozenset({"exception", "timeout", "crashed", "protocol"})


def close(got: np.ndarray, expected: np.ndarray, tol: Tolerances = DEFAULT) -> np.ndarray:
    return np.abs(got - expected) <= tol.atol + tol.rtol * np.abs(expected)


def matches(got: np.ndarray, expected: np.ndarray, tol: Tolerances = DEFAULT) -> bool:
    return got.shape == expected.shape and bool(np.all(close(got, expected, tol)))


def named_factor(c: float, factors: Mapping[str, float]) -> str | None:
    """'K + 1' if c is 1/(K+1) or K+1, for the factors the case offers."""
    for meaning, value in factors.items():
        if value and value != 1 and (np.isclose(c, 1.0 / value, rtol=1e-6) or np.isclose(c, value, rtol=1e-6)):
            return meaning
    return None


def generic_hint(got: np.ndarray, expected: np.ndarray, factors: Mapping[str, float]) -> Feedback | None:
    if not np.any(expected):
        return None
    if not np.any(got):
        return say("hint_zeros")
    if matches(got, -expected):
        return say("hint_sign")
    scale = float(np.vdot(got, expected) / np.vdot(expected, expected))
    meaning = named_factor(scale, factors)
    # One number is always some multiple of another: only a named factor says anything.
    informative = meaning is not None or np.count_nonzero(expected) > 1
    if abs(scale - 1) > 1e-3 and abs(scale) > 1e-12 and informative and matches(got, scale * expected):
        return say("hint_factor", factor=number(scale), meaning=meaning)
    return None


def compare(
    name: str,
    got: np.ndarray,
    expected: np.ndarray,
    case: str,
    note: str | None = None,
    hints: Sequence[Hint] = (),
    factors: Mapping[str, float] | None = None,
    tol: Tolerances = DEFAULT,
) -> None:
    """Fail unless ``got`` equals ``expected`` within the configured tolerances.

    ``hints`` are callables (got, expected) -> text or None, tried before the
    generic patterns; ``factors`` names quantities a constant factor might be.
    """
    if got.shape != expected.shape:
        hint = None
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            hint = say("hint_transpose", got=got.shape, expected=expected.shape)
        raise Failed(say("wrong_shape", name=name, case=case, got=got.shape, expected=expected.shape, hint=hint))
    finite = np.isfinite(got)
    if not finite.all() and np.isfinite(expected).all():
        where = "NaN" if np.isnan(got).any() else "inf"
        raise Failed(
            say(
                "not_finite",
                name=name,
                case=case,
                where=where,
                hint=next((h(got, expected) for h in hints if h(got, expected)), None) or say("hint_overflow"),
            )
        )
    ok = close(got, expected, tol)
    if ok.all():
        return
    error = np.abs(got - expected)
    rel = error / np.maximum(np.abs(expected), tol.atol)
    rows = None
    shown_expected, shown_got = expected, got
    if got.ndim == 2:
        bad_rows = np.flatnonzero(~ok.all(axis=1))
        rows = f"{', '.join(str(r) for r in bad_rows[:10])}{' ...' if len(bad_rows) > 10 else ''} (of {got.shape[0]})"
        first = bad_rows[0]
        shown_expected, shown_got = expected[first], got[first]
        rows += f"; row {first} shown"
    hint = None
    for h in hints:
        hint = h(got, expected)
        if hint:
            break
    hint = hint or generic_hint(got, expected, factors or {})
    raise Failed(
        say(
            "wrong_values",
            name=name,
            case=case,
            expected=array(shown_expected),
            got=array(shown_got),
            abs_err=number(error.max()),
            rel_err=number(rel.max()),
            rows=rows,
            note=note,
            hint=hint,
        )
    )


def exact_shape(name: str, got: np.ndarray, expected_shape: Sequence[int], case: str) -> None:
    if got.shape != tuple(expected_shape):
        raise Failed(say("wrong_shape", name=name, case=case, got=got.shape, expected=tuple(expected_shape), hint=None))


def unchanged(function: str, argument: str, before: np.ndarray, after: np.ndarray | None, case: str) -> None:
    if after is None:
        raise Failed(
            f"{function}: the grading process did not report {argument} after the call for {case}; "
            "nothing can be credited without it."
        )
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        raise Failed(say("modified_input", function=function, argument=argument, case=case))
