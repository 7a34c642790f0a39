"""The whole rubric: every registered function's tests, in the registry's order."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from grader import registry
from grader.rubric.catalogue import HIDDEN, PUBLIC

if TYPE_CHECKING:
    from typing import Protocol

    from grader.session import Session

    class Test(Protocol):
        """A test of the catalogue, as its decorators leave it (``__requires__`` only when gated)."""

        __weight__: float
        __number__: str
        __visibility__: str
        __tags__: tuple[str, ...]

        def __call__(self, session: Session) -> str | None: ...


__all__ = ["HIDDEN", "PUBLIC", "all_tests"]


def all_tests() -> tuple[Test, ...]:
    """Each graded function's tests (those of its tests module tagged with it), as they are declared."""
    found = []
    for function in registry.functions():
        module = importlib.import_module(function.tests)
        found += [
            test
            for test in vars(module).values()
            if callable(test) and hasattr(test, "__number__") and test.__tags__[0] == function.tag
        ]
    return tuple(found)
