"""grader.yml's ``worker.numpy``: the numpy Gradescope's worker gets, and whether this one fits it.

The handout installs without ``packaging``, so this reads the simple forms
a term needs, and config validation refuses the rest: ``numpy``,
``numpy<2``, ``numpy>=1.24,<2``, ``numpy==1.26.*``, ``numpy~=1.26`` (any of
<, <=, >, >=, ==, !=, ~= with plain release numbers, comma-separated).
Comparisons follow PEP 440 for release numbers; pre-releases of a version
sort before it and are not below it (``2.0.0rc1`` does not fit ``<2``).

The handout installs it on every Python from the public floor up, and
pip builds numpy from source (and fails, without a compiler) on a Python
that the numpy it picks has no wheels for: no numpy below 2.1 has wheels
for Python 3.13, none from 1.22 up for 3.7. ``per_python`` turns the
requirement into requirements.txt lines with environment markers, from
WHEELS: each Python gets the requirement where some numpy it allows has
wheels there, else the nearest release that has.
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


# The last release of each numpy minor series, oldest first, and the
# CPython minors (first, last) it has wheels for, as PyPI lists them.
# Extend it as numpy releases; the other releases of a series are taken to
# have its last one's wheels.
WHEELS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("1.21.6", (3, 7), (3, 10)),
    ("1.22.4", (3, 8), (3, 10)),
    ("1.23.5", (3, 8), (3, 11)),
    ("1.24.4", (3, 8), (3, 11)),
    ("1.25.2", (3, 9), (3, 11)),
    ("1.26.4", (3, 9), (3, 12)),
    ("2.0.2", (3, 9), (3, 12)),
    ("2.1.3", (3, 10), (3, 13)),
    ("2.2.6", (3, 10), (3, 13)),
    ("2.3.5", (3, 11), (3, 14)),
    ("2.4.6", (3, 11), (3, 14)),
)


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


# -- one requirement per Python: wheels everywhere -----------------------------


def _series_allowed(text: str) -> list[bool]:
    """Per row of WHEELS: whether ``text`` allows some release of that series (x.y.0 to its last)."""
    allowed = []
    for last, _, _ in WHEELS:
        major, minor, patch = (int(n) for n in last.split("."))
        allowed.append(any(allows(text, f"{major}.{minor}.{p}") for p in range(patch + 1)))
    return allowed


def newest_python() -> tuple[int, int]:
    """The newest Python that WHEELS knows; newer ones are taken to get its wheels."""
    return max(last for _, _, last in WHEELS)


def _known(python: tuple[int, int]) -> tuple[int, int]:
    """``python`` clamped to the Pythons WHEELS knows."""
    return max(min(first for _, first, _ in WHEELS), min(newest_python(), python))


def instead_on(text: str, python: tuple[int, int]) -> str | None:
    """The numpy release to install on ``python`` instead of requirement ``text``, or None to keep ``text``.

    None where some numpy the requirement allows has wheels for that Python,
    and where WHEELS knows no series the requirement allows (pip decides).
    Otherwise the release with wheels there nearest to what it allows:
    numpy 2.1.3 for ``numpy<2`` on Python 3.13, 1.21.6 for ``numpy>=1.24`` on 3.7.
    """
    allowed = _series_allowed(text)
    if not any(allowed):
        return None
    python = _known(python)
    wheels = [i for i, (_, first, last) in enumerate(WHEELS) if first <= python <= last]
    if any(allowed[i] for i in wheels):
        return None
    wanted = [i for i, ok in enumerate(allowed) if ok]
    # The nearest series; between two as near, the newer.
    best = min(wheels, key=lambda i: (min(abs(i - j) for j in wanted), -i))
    return WHEELS[best][0]


def pythons_with_it(text: str, floor: tuple[int, int]) -> list[tuple[int, int]]:
    """The Pythons from ``floor`` to the newest WHEELS knows that get a numpy requirement ``text`` allows."""
    return [p for p in _pythons(floor) if instead_on(text, p) is None]


def _pythons(floor: tuple[int, int]) -> list[tuple[int, int]]:
    return [(3, minor) for minor in range(floor[1], newest_python()[1] + 1)] if floor[0] == 3 else []


def runs(text: str, floor: tuple[int, int]) -> list[tuple[str, list[tuple[int, int]]]]:
    """(the requirement to install, the consecutive Pythons that get it), from ``floor`` to the newest known.

    The last run stands for every newer Python too.
    """
    found: list[tuple[str, list[tuple[int, int]]]] = []
    for python in _pythons(floor):
        instead = instead_on(text, python)
        wanted = text if instead is None else f"numpy=={instead}"
        if found and found[-1][0] == wanted:
            found[-1][1].append(python)
        else:
            found.append((wanted, [python]))
    return found


def per_python(text: str, floor: tuple[int, int]) -> list[str]:
    """``text`` as requirements.txt lines with environment markers, one per run of Pythons from ``floor`` up.

    A single line, the requirement as it is, where every Python gets it.
    """
    found = runs(text, floor)
    if len(found) <= 1:
        return [text]
    lines = []
    for n, (wanted, pythons) in enumerate(found):
        low, high = dotted(pythons[0]), dotted(pythons[-1])
        if n == 0:
            marker = f'python_version <= "{high}"'
        elif n == len(found) - 1:
            marker = f'python_version >= "{low}"'
        elif low == high:
            marker = f'python_version == "{low}"'
        else:
            marker = f'python_version >= "{low}" and python_version <= "{high}"'
        lines.append(f"{wanted}; {marker}")
    return lines


def dotted(python: tuple[int, int]) -> str:
    """(3, 13) as "3.13"."""
    return ".".join(str(n) for n in python)
