"""How grader.yml's settings are declared, checked and written out.

Each setting is a dataclass field made by ``setting(default, rule, doc)``:
one declaration gives its default, its bounds and its description. The
rule checks a value as YAML reads it and says what it expected; the same
declarations write the commented grader.yml and the README's table.
Imports nothing else of the grader.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Protocol

    class Rule(Protocol):
        """What every rule below does: check a value as YAML reads it, and say what it allows."""

        def check(self, value: Any, path: str) -> Any: ...

        def allowed(self) -> str: ...


class Invalid(Exception):
    """A value refused at ``path`` (such as ``cases.hidden_shapes[0]``); the message says what was expected."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"'{path}' {message}")
        self.path = path


def setting(default: Any, rule: Rule, doc: str) -> Any:
    return field(default=default, metadata={"rule": rule, "doc": doc})


def section(kind: type, doc: str) -> Any:
    return field(default_factory=kind, metadata={"section": kind, "doc": doc})


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(key: object) -> str:
    """A key as a message shows it: itself when it is short plain text, else its repr, cut."""
    if isinstance(key, str) and key.isprintable() and len(key) <= 40:
        return key
    return _shown(key)[:40]


def _number(value: float) -> str:
    if not isinstance(value, float):
        return str(value)
    mantissa, _, exponent = f"{value:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


# -- rules ----------------------------------------------------------------------
# Plain classes: dataclasses would cost milliseconds at every start, before the worker.


class Whole:
    """A whole number from ``low`` to ``high``; ``why`` is said when a value is refused."""

    def __init__(self, low: int, high: int, unit: str = "", why: str = "") -> None:
        self.low, self.high, self.unit, self.why = low, high, unit, why

    def check(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            why = f": {self.why}" if self.why else ""
            raise Invalid(path, f"must be a whole number from {self.allowed()}, not {_shown(value)}{why}")
        return value

    def allowed(self) -> str:
        return f"{self.low} to {self.high}{' ' + self.unit if self.unit else ''}"


class Real:
    """A finite number from ``low`` (excluded when ``above``) to ``high``; YAML's ints are accepted."""

    def __init__(self, low: float, high: float, unit: str = "", above: bool = False) -> None:
        self.low, self.high, self.unit, self.above = low, high, unit, above

    def check(self, value: Any, path: str) -> float:
        fits = (
            not isinstance(value, bool)
            and isinstance(value, (int, float))
            and (self.low < value if self.above else self.low <= value)
            and value <= self.high
        )
        if not fits:  # NaN fails every comparison
            raise Invalid(path, f"must be a number {self.allowed()}, not {_shown(value)}")
        return float(value)

    def allowed(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.above:
            return f"above {_number(self.low)} and at most {_number(self.high)}{unit}"
        return f"from {_number(self.low)} to {_number(self.high)}{unit}"


class Choice:
    def __init__(self, values: Sequence[str]) -> None:
        self.values = values

    def check(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise Invalid(path, f"must be one of {', '.join(self.values)}, not {_shown(value)}")
        return value

    def allowed(self) -> str:
        return ", ".join(self.values)


class Text:
    """Text that ``refuse(text)`` accepts: it returns why not, or None."""

    def __init__(self, refuse: Callable[[str], str | None], expected: str) -> None:
        self.refuse, self.expected = refuse, expected

    def check(self, value: Any, path: str) -> str:
        why = self.refuse(value) if isinstance(value, str) else f"it is {_shown(value)}, not text"
        if why:
            raise Invalid(path, f"must be {self.expected}; {why}")
        return value

    def allowed(self) -> str:
        return self.expected


class Numbers:
    """A fixed-length list of whole numbers, such as a shape (V, d).

    ``lows``/``highs`` bound each position; ``most`` bounds their product;
    ``ascending`` asks for a range whose start is not above its end.
    """

    def __init__(
        self,
        names: Sequence[str],
        lows: Sequence[int],
        highs: Sequence[int],
        most: int | None = None,
        ascending: bool = False,
    ) -> None:
        self.names, self.lows, self.highs, self.most, self.ascending = names, lows, highs, most, ascending

    def check(self, value: Any, path: str) -> tuple[int, ...]:
        if not isinstance(value, list) or len(value) != len(self.names):
            raise Invalid(
                path,
                f"must be a list [{', '.join(self.names)}] of {len(self.names)} whole numbers, not {_shown(value)}",
            )
        for i, (n, name, low, high) in enumerate(zip(value, self.names, self.lows, self.highs)):
            Whole(low, high, f"({name})").check(n, f"{path}[{i}]")
        if self.most is not None and functools.reduce(operator.mul, value, 1) > self.most:
            raise Invalid(
                path,
                f"has {' * '.join(self.names)} = {functools.reduce(operator.mul, value, 1)}; at most {self.most} "
                "(the numbers the grader sends and checks per case)",
            )
        if self.ascending and value[0] > value[1]:
            raise Invalid(path, f"must not start above its end, not {_shown(value)}")
        return tuple(value)

    def allowed(self) -> str:
        parts = [f"{name} {low} to {high}" for name, low, high in zip(self.names, self.lows, self.highs)]
        if self.most is not None:
            parts.append(f"{' * '.join(self.names)} at most {self.most}")
        if self.ascending:
            parts.append(f"{self.names[0]} <= {self.names[1]}")
        return ", ".join(parts)


class ListOf:
    """A list of ``low`` to ``high`` items (``what``); ``total(items)``, named ``total_text``, at most ``most``."""

    def __init__(
        self,
        item: Rule,
        low: int,
        high: int,
        what: str,
        total: Callable[[tuple[Any, ...]], int] | None = None,
        most: int | None = None,
        total_text: str = "",
    ) -> None:
        self.item, self.low, self.high, self.what = item, low, high, what
        self.total, self.most, self.total_text = total, most, total_text

    def check(self, value: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or not self.low <= len(value) <= self.high:
            raise Invalid(path, f"must be a list of {self.low} to {self.high} {self.what}, not {_shown(value)}")
        items = tuple(self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value))
        if self.total is not None and self.most is not None and self.total(items) > self.most:
            for i, item in enumerate(items):  # name the one item that is too large by itself
                if self.total((item,)) > self.most:
                    raise Invalid(f"{path}[{i}]", f"has {self.total_text} = {self.total((item,))}; at most {self.most}")
            raise Invalid(path, f"has {self.total_text} = {self.total(items)} in all; at most {self.most}")
        return items

    def allowed(self) -> str:
        text = f"{self.low} to {self.high} of: {self.item.allowed()}"
        return text + (f"; {self.total_text} at most {self.most} in all" if self.total else "")


class Mapping:
    """Keys (read as text) to values of ``value``; which keys exist is the rubric's to say.

    ``example``: (key, value) lines shown commented out in grader.yml.
    """

    def __init__(self, value: Rule, keys: str, high: int = 100, example: tuple[tuple[str, Any], ...] = ()) -> None:
        self.value, self.keys, self.high, self.example = value, keys, high, example

    def check(self, value: Any, path: str) -> tuple[tuple[str, Any], ...]:
        if not isinstance(value, dict) or len(value) > self.high:
            raise Invalid(
                path,
                f"must be a mapping of at most {self.high} entries from {self.keys} to a value "
                f"({self.value.allowed()}), not {_shown(value)}",
            )
        for key in value:
            if not isinstance(key, str):  # YAML reads 3.10 as the number 3.1
                raise Invalid(
                    f"{path}.{_key(key)}",
                    f'must be written as text, in quotes ("{_key(key)}"), '
                    f"not as the {type(key).__name__} {_shown(key)}",
                )
            if _key(key) != key:
                raise Invalid(f"{path}.{_key(key)}", f"must be {self.keys}")
        return tuple((k, self.value.check(v, f"{path}.{k}")) for k, v in value.items())

    def allowed(self) -> str:
        return f"{self.keys}: {self.value.allowed()}"


# -- checking ---------------------------------------------------------------------


def settings_of(kind: type) -> list[tuple[str, Field[Any]]]:
    """The declared settings of a dataclass, in order: (name, field)."""
    return [(f.name, f) for f in fields(kind) if f.metadata]


def check_section(kind: type, raw: object, path: str = "") -> Any:
    """An instance of ``kind`` from the mapping ``raw``, every value checked; raises Invalid."""
    if not isinstance(raw, dict):
        raise Invalid(path, f"must be a mapping of settings, not {_shown(raw)}")
    known = dict(settings_of(kind))
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{path}.{_key(key)}" if path else _key(key)
        if key not in known:
            raise Invalid(name, f"is not a setting; known settings: {', '.join(known)}")
        declared = known[key].metadata
        values[key] = (
            check_section(declared["section"], value, name)
            if "section" in declared
            else declared["rule"].check(value, name)
        )
    return kind(**values)


# -- writing out ------------------------------------------------------------------


def yaml_value(value: object) -> str:
    """A default as grader.yml writes it; PyYAML reads floats only with a '.' and a signed exponent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        mantissa, _, exponent = repr(value).partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{int(exponent):+d}" if exponent else mantissa
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    return str(value)


def _default(f: Field[Any]) -> Any:
    return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]


def _comment(text: str, indent: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, 100, initial_indent=indent + "# ", subsequent_indent=indent + "# ")


def commented_yaml(kind: type, header: str) -> str:
    """A grader.yml with every setting of ``kind`` at its default, each with its description and bounds."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]

    def write(kind: type, indent: str) -> None:
        for name, f in settings_of(kind):
            declared = f.metadata
            if "section" in declared:
                lines.extend(["", *_comment(declared["doc"], indent), f"{indent}{name}:"])
                write(declared["section"], indent + "  ")
                continue
            rule = declared["rule"]
            if not indent:
                lines.append("")
            lines.extend(_comment(f"{declared['doc']} ({rule.allowed()})", indent))
            if isinstance(rule, Mapping):
                lines.append(f"{indent}{name}: {{}}")
                lines.extend(f"{indent}#  {key}: {value}" for key, value in rule.example)
            else:
                lines.append(f"{indent}{name}: {yaml_value(_default(f))}")

    write(kind, "")
    return "\n".join(lines) + "\n"


def markdown_table(kind: type) -> str:
    """Every setting of ``kind``: key, default, what is allowed and what it does."""
    rows = ["| key | default | allowed | what it sets |", "| --- | --- | --- | --- |"]

    def write(kind: type, prefix: str) -> None:
        for name, f in settings_of(kind):
            declared = f.metadata
            if "section" in declared:
                write(declared["section"], f"{prefix}{name}.")
                continue
            rule = declared["rule"]
            default = "{}" if isinstance(rule, Mapping) else yaml_value(_default(f))
            cells = (f"`{prefix}{name}`", f"`{default}`", rule.allowed(), declared["doc"])
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")

    write(kind, "")
    return "\n".join(rows) + "\n"
