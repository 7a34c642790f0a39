"""Likely causes of a student's exception, read from its type, message and reported line.

Only the exception's own report is read: the offending line serves to tell
a ``return`` of undefined names (the unfilled template) from other lines.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from grader.rubric.feedback import say

if TYPE_CHECKING:
    from grader.rubric.feedback import Feedback

# Aliases numpy 1.24 removed (the course's numpy 1.21 still has them), and what replaces each.
REMOVED_ALIASES = {
    "int": "int or np.int64",
    "float": "float or np.float64",
    "bool": "bool or np.bool_",
    "object": "object",
    "complex": "complex or np.complex128",
    "str": "str",
}
# numpy's names a formula uses bare, as if imported with "from numpy import *".
NUMPY_NAMES = frozenset(
    "exp log log1p expm1 logaddexp sqrt tanh dot outer matmul zeros zeros_like ones ones_like "
    "maximum minimum power multiply transpose e".split()
)
LAYOUT = re.compile(
    r"not aligned|matmul|could not be broadcast|the broadcast shape|mismatch in its core dimension"
    r"|size \d+ is different"
)
ONE_ELEMENT = re.compile(r"only (length-1|size-1|0-dimensional) arrays can be converted")
NUMBER_TYPE = r"'(float|int|numpy\.(float|int)\d*)'"
SINGLE_NUMBER = re.compile(
    rf"{NUMBER_TYPE} object is not iterable|object of type {NUMBER_TYPE} has no len|iteration over a 0-d array"
)
INDICES = re.compile(r"only integers, slices|arrays used as indices must be of integer")


def _line(error: dict[str, Any]) -> str:
    frames = [f for f in error.get("frames") or [] if isinstance(f, dict)]
    return str(frames[-1].get("code", "")).strip() if frames else ""


def exception_hint(error: dict[str, Any] | None) -> Feedback | None:
    """The likely cause of a reported exception, or None when its report names none."""
    if not error:
        return None
    kind, message = error.get("type"), str(error.get("message", ""))
    if kind == "NameError":
        found = re.search(r"name '(\w+)' is not defined", message)
        name = found.group(1) if found else ""
        if name in NUMPY_NAMES:
            return say("hint_exc_numpy_name", name=name)
        if re.match(r"return\b", _line(error)):
            return say("hint_exc_template", name=name or "a name")
        return None
    if kind == "AttributeError":
        found = re.search(r"module 'numpy' has no attribute '(\w+)'", message)
        if found and found.group(1) in REMOVED_ALIASES:
            alias = found.group(1)
            return say("hint_exc_numpy_alias", alias=alias, fix=REMOVED_ALIASES[alias])
        return None
    if kind == "TypeError" and ONE_ELEMENT.search(message):
        return say("hint_exc_one_element")
    if kind == "TypeError" and SINGLE_NUMBER.search(message):
        return say("hint_exc_single_number")
    if kind == "IndexError" and INDICES.search(message):
        return say("hint_exc_indices")
    if kind == "ValueError" and LAYOUT.search(message):
        return say("hint_exc_layout")
    if kind == "AssertionError" and "word2vecLossAndGradient" in _line(error):
        return say("hint_asserted_given_loss")
    if kind == "OverflowError":
        return say("hint_exc_overflow")
    return None
