"""grader.yml's ``worker.numpy``: the numpy Gradescope's worker gets, and whether this one fits it.

The handout installs without ``packaging``, so this reads the simple forms
a term needs, and config validation refuses the rest: ``numpy``,
``numpy<2``, ``numpy>=1.24,<2``, ``numpy==1.26.*``, ``numpy~=1.26`` (any of
<, <=, >, >=, ==, !=, ~= with plain release numbers, comma-separated).
Comparisons follow PEP 440 for release numbers; pre-releases of a version
sort before it and are not below it (``2.0.0rc1`` does not fit ``<2``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")
FORMS = "'numpy<2', 'numpy>=1.24,<2' or 'numpy==1.26.*'"
_NAME = re.compile(r"\s*numpy\s*", re.IGNORECASE)
_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?\s*")
_INSTALLED = re.compile(r"(\d+(?:\.\d+)*)(.*)")
_PRE = re.compile(r"[-_.]?(a|b|c|rc|alpha|beta|pre|preview|dev)", re.IGNORECASE)

if TYPE_CHECKING:
    from typing import Tuple

    # (operator, release numbers, whether the release ends in .*), as parse() gives them.
    Clause = Tuple[str, Tuple[int, ...], bool]


class UnsupportedForm(ValueError):
    """A requirement this module cannot evaluate; the message says which part."""


def parse(text: str) -> tuple[Clause, ...]:
    """The clauses of a numpy requirement, as (operator, release tuple, wildcard) triples."""
    name = _NAME.match(text)
    if not name:
        raise UnsupportedForm("it does not start with numpy")
    rest = text[name.end() :]
    if not rest:
        return ()
    clauses: list[Clause] = []
    for part in rest.split(","):
        clause = _CLAUSE.fullmatch(part)
        if not clause:
            raise UnsupportedForm(
                f"{part.strip()!r} is not one of {' '.join(OPERATORS)} followed by a release number such as 1.24"
            )
        operator, version, wildcard = clause.groups()
        release = tuple(int(n) for n in version.split("."))
        if wildcard and operator not in ("==", "!="):
            raise UnsupportedForm(f"'.*' may only follow == or != (in {part.strip()!r})")
        if operator == "~=" and len(release) < 2:
            raise UnsupportedForm(f"~= needs a version of two or more numbers (in {part.strip()!r})")
        clauses.append((operator, release, bool(wildcard)))
    return tuple(clauses)


def allows(text: str, installed: str) -> bool:
    """Whether numpy version ``installed`` (such as numpy.__version__) fits requirement ``text``."""
    match = _INSTALLED.match(installed.strip())
    if not match:
        return False
    release = tuple(int(n) for n in match[1].split("."))
    # -1 a pre-release of ``release``, 1 a post-release, 0 the release itself.
    tail = match[2].split("+")[0]
    rank = -1 if _PRE.match(tail) else (1 if tail else 0)
    return all(_fits(operator, wanted, wildcard, release, rank) for operator, wanted, wildcard in parse(text))


def _fits(operator: str, wanted: tuple[int, ...], wildcard: bool, release: tuple[int, ...], rank: int) -> bool:
    if operator == "~=":
        return _fits(">=", wanted, False, release, rank) and _fits("==", wanted[:-1], True, release, rank)
    if wildcard:
        same = _padded(release, len(wanted))[: len(wanted)] == wanted
        return same if operator == "==" else not same
    width = max(len(release), len(wanted))
    have, want = (_padded(release, width), rank), (_padded(wanted, width), 0)
    if operator == "==":
        return have == want
    if operator == "!=":
        return have != want
    if operator == "<":
        return have < want and have[0] != want[0]  # not a pre-release of the bound
    if operator == "<=":
        return have <= want
    if operator == ">":
        return have > want and have[0] != want[0]  # not a post-release of the bound
    return have >= want


def _padded(release: tuple[int, ...], width: int) -> tuple[int, ...]:
    return release + (0,) * (width - len(release))
