"""What a student's function gave back, validated on the trusted side.

The worker only reports; this module turns its reports into plain float64
arrays, or into a ``Problem`` that says in the student's terms what came
back and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.boundary.sandbox import WorkerLost
from grader.protocol import limits, wire


@dataclass
class Problem(Exception):
    """The submission did something other than return usable numbers."""

    message: str
    kind: str = "problem"  # "exception" | "timeout" | "crashed" | "type" | "problem"
    error: dict[str, Any] | None = None  # the exception's report, when the submission raised one

    def __str__(self) -> str:
        return self.message


@dataclass
class Call:
    """One call of a student function: its report, still unvalidated."""

    value: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    draws: int | None = None
    inputs_after: list[dict[str, Any] | None] | None = None
    calls: list[dict[str, Any]] | None = None
    evaluations: int | None = None  # how often sgd called its f
    losses: dict[str, Any] | None = None  # the training check: every loss its f returned, as an encoded array
    lost: WorkerLost | None = None  # the worker died or hung in this call: the grader's account, not the worker's

    @classmethod
    def from_reply(cls, item: object) -> Call:
        """A call report with every field checked for type; anything else is a protocol error.

        Downstream code may then rely on the types: a worker whose replies were
        tampered with fails its call, never the grader.
        """
        malformed = cls(error={"type": "ProtocolError", "message": "the grading process sent a malformed reply"})
        if not isinstance(item, dict):
            return malformed
        value, error = item.get("value"), item.get("error")
        draws, inputs, calls = item.get("draws"), item.get("inputs_after"), item.get("calls")
        evaluations, losses = item.get("evaluations"), item.get("losses")
        if error is not None:
            error = clean_error(error)
            if error is None:
                return malformed
        if value is not None and not well_formed_value(value):
            return malformed
        if (
            (draws is not None and (not isinstance(draws, int) or isinstance(draws, bool)))
            or (evaluations is not None and (not isinstance(evaluations, int) or isinstance(evaluations, bool)))
            or (
                inputs is not None
                and not (isinstance(inputs, list) and all(i is None or isinstance(i, dict) for i in inputs))
            )
            or (calls is not None and not (isinstance(calls, list) and all(isinstance(c, dict) for c in calls)))
            or (losses is not None and not isinstance(losses, dict))
        ):
            return malformed
        reported = item.get("warnings")
        warnings = reported if isinstance(reported, list) else []
        return cls(
            value=value,
            error=error,
            draws=draws,
            inputs_after=inputs,
            calls=calls,
            evaluations=evaluations,
            losses=losses,
            warnings=[printable(w[: limits.MAX_REPR]) for w in warnings if isinstance(w, str)][: limits.WARNINGS_KEPT],
        )

    @classmethod
    def of_lost_worker(cls, lost: WorkerLost) -> Call:
        return cls(lost=lost)

    @property
    def failed(self) -> bool:
        return self.error is not None or self.lost is not None


def clean_error(error: object) -> dict[str, Any] | None:
    """An exception report with only strings and ints in it, or None if it is not one."""
    if not isinstance(error, dict):
        return None
    out: dict[str, Any] = {
        k: printable(str(error.get(k, ""))[: limits.MESSAGE_CHARS])
        for k in ("type", "message", "kind", "text")
        if k in error
    }
    if isinstance(error.get("line"), int) and not isinstance(error.get("line"), bool):
        out["line"] = error["line"]
    frames = error.get("frames")
    out["frames"] = [
        {
            "line": f.get("line") if isinstance(f.get("line"), int) else None,
            "function": printable(str(f.get("function", ""))[:80]),
            "code": printable(str(f.get("code", ""))[: limits.CODE_CHARS]),
        }
        for f in (frames if isinstance(frames, list) else [])
        if isinstance(f, dict)
    ][: limits.FRAMES_KEPT]
    return out


def well_formed_value(value: object, depth: int = 0) -> bool:
    """The shape of describe()'s output: kinds, and items matching their declared length."""
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str) or depth > 3:
        return False
    if value["kind"] == "sequence":
        items, length = value.get("items"), value.get("length")
        return (
            isinstance(items, list)
            and isinstance(length, int)
            and not isinstance(length, bool)
            and len(items) == min(length, limits.MAX_ITEMS)
            and all(well_formed_value(v, depth + 1) for v in items)
        )
    return all(isinstance(value.get(k, ""), str) for k in ("type", "repr", "dtype"))


def printable(text: object) -> str:
    """Student-chosen text without control characters (no terminal escapes), newlines kept."""
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in str(text))


def exception_text(function: str, error: dict[str, Any]) -> str:
    """A one-paragraph account of an exception, a hang or a crash."""
    text = printable(f"{function} raised {error.get('type', 'an exception')}: {error.get('message', '')}")
    text = text.rstrip(": ")
    frames = [f for f in error.get("frames") or [] if isinstance(f, dict)]
    if frames:
        last = frames[-1]
        text += printable(
            f"\n  at line {last.get('line')} in {last.get('function')}: {str(last.get('code', '')).strip()}"
        )
    if error.get("type") == "SystemExit":
        text += "\n  (the submission called exit() or sys.exit(); remove it from the graded functions)"
    return text


def raise_for_error(function: str, call: Call) -> None:
    if call.lost is not None:
        raise Problem(f"{function}: {call.lost.detail}", call.lost.kind)
    if call.error is not None:
        raise Problem(exception_text(function, call.error), "exception", call.error)


def describe_kind(value: dict[str, Any]) -> str:
    """How to name an unusable returned value in a message."""
    kind = value.get("kind")
    if kind == "none":
        return "None (is the function still the unfilled template?)"
    if kind == "sequence":
        return printable(f"a {value.get('type')} of length {value.get('length')}")
    if kind == "number":
        shape = tuple(value.get("shape") or ()) if isinstance(value.get("shape"), list) else ()
        return f"an array of shape {shape}" if shape else f"a {value.get('type')}"
    return printable(f"a {value.get('type', 'value of unknown type')}")


def as_array(value: object, name: str) -> np.ndarray:
    """A returned number or array as float64, or a Problem naming ``name``."""
    if not isinstance(value, dict):
        raise Problem(f"{name}: the grading process sent an unreadable value", "type")
    if value.get("kind") != "number":
        raise Problem(f"{name} is {describe_kind(value)}; expected numbers (a float or a numpy array)", "type")
    try:
        return wire.decode_array(value, limits.MAX_ARRAY_ELEMENTS)
    except wire.WireError as exc:
        raise Problem(f"{name}: {exc}", "type") from None


COUNTS = {2: "two", 3: "three", 4: "four"}


def as_outputs(function: str, call: Call, names: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Unpack a call's returned tuple into one float64 array per name, e.g. (loss, gradCenter, gradOutside)."""
    raise_for_error(function, call)
    value = call.value
    if not isinstance(value, dict) or value.get("kind") != "sequence" or value.get("length") != len(names):
        got = describe_kind(value) if isinstance(value, dict) else "nothing readable"
        count = COUNTS.get(len(names), str(len(names)))
        raise Problem(f"{function} returned {got}; expected a tuple of {count}: ({', '.join(names)})", "type")
    return tuple(as_array(item, name) for item, name in zip(value["items"], names))


def inputs_after(call: Call, index: int) -> np.ndarray | None:
    """An input array as the student's call left it, or None if not reported."""
    if call.inputs_after is None or index >= len(call.inputs_after) or call.inputs_after[index] is None:
        return None
    try:
        return wire.decode_array(call.inputs_after[index], limits.MAX_ARRAY_ELEMENTS)
    except wire.WireError:
        return None


def fit_shape(got: np.ndarray, expected_shape: Sequence[int]) -> tuple[np.ndarray, str | None]:
    """Drop singleton axes so a (d, 1) gradient can still be compared by value.

    Returns (array, note): note says what was reshaped, or is None.
    """
    if got.shape == tuple(expected_shape):
        return got, None
    squeezed = np.squeeze(got)
    target = np.squeeze(np.zeros(expected_shape)).shape
    if squeezed.shape == target and squeezed.size == int(np.prod(expected_shape)):
        return squeezed.reshape(expected_shape), (
            f"shape {got.shape} compared as {tuple(expected_shape)} (singleton axes dropped; "
            "the shape test checks the exact shape)"
        )
    return got, None
