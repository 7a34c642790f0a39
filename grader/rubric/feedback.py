"""Renders the student-facing messages kept in ``templates/feedback.j2``."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jinja2
import numpy as np

from grader.templating import bytecode_cache

if TYPE_CHECKING:
    from typing import Any

    from jinja2.environment import TemplateModule
    from numpy.typing import ArrayLike


@functools.lru_cache(maxsize=None)
def _macros() -> TemplateModule:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.rubric", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        bytecode_cache=bytecode_cache(),
    )
    return env.get_template("feedback.j2").make_module()


def warm_cache() -> None:
    """Compile the messages once into the bytecode cache (setup.sh runs this, through the reports)."""
    _macros()


class Feedback(str):
    """A message, with the likely cause kept apart (``hint``): reports render it, never parse for it."""

    hint: str | None = None


def say(kind: str, **fields: Any) -> Feedback:
    """One message, e.g. ``say("wrong_shape", name=..., hint=...)``; ``hint`` goes with it, not into it."""
    hint = fields.pop("hint", None)
    message = Feedback(str(getattr(_macros(), kind)(**fields)).strip())
    message.hint = hint or None
    return message


def number(x: float | np.floating[Any] | np.ndarray) -> str:
    if not (np.isfinite(x) and 1e-4 <= abs(x) < 1e6):
        return f"{float(x):.6g}"
    text = np.format_float_positional(float(x), precision=6, unique=True, trim="-", fractional=False)
    # numpy before 1.22 keeps the point when rounding leaves no decimals (1.9999999 gives "2."):
    # the same number must read the same under every numpy the handout installs.
    return text[:-1] if text.endswith(".") else text


def array(a: ArrayLike, limit: int = 6) -> str:
    """A short rendering of an array for a message."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a)
    flat = [number(x) for x in a.reshape(-1)[:limit]]
    more = f", ... ({a.size} values)" if a.size > limit else ""
    return f"[{', '.join(flat)}{more}]" + ("" if a.ndim == 1 else f" shape {a.shape}")
