"""What a submission's bytes say about how it was saved, in terms of the fix.

Python's own words for these ("(unicode error) 'utf-8' codec can't decode",
"source code string cannot contain null bytes") name no fix, and a local
run may import packages that Gradescope's worker does not have.
"""

from __future__ import annotations

import ast
import codecs
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

# Read no more of a submission than this in the trusted process.
READ_LIMIT = 4 * 2**20
NUL = bytes(1)
RESAVE = "re-save the file as UTF-8 in your editor"
# Installed beside the worker on Gradescope too, as the grader's own dependencies.
GRADER_OWN = {"yaml", "jinja2", "markupsafe", "gradescope_utils"}
# PEP 263's declaration, on line 1 or 2.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def read(path: str | os.PathLike[str]) -> bytes:
    """The submission's first READ_LIMIT bytes, whole lines only; b"" when it cannot be read (the worker
    then says why)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(READ_LIMIT)
    except OSError:
        return b""
    # Cut at a line's end: never in the middle of a character.
    return data[: data.rfind(b"\n") + 1] if len(data) == READ_LIMIT else data


def _declared(data: bytes) -> str:
    for number, line in enumerate(data.splitlines()[:2]):
        found = _COOKIE.match(line)
        if found:
            return found.group(1).decode("ascii")
        if number == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            break  # line 2 may declare only below a comment or a blank line
    return "utf-8"


def not_utf8(data: bytes, name: str) -> str | None:
    """Why Python cannot read ``data`` as text, naming the line and the fix; None when it can."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return f"{name} is saved as UTF-16, which Python does not read: {RESAVE}"
    if NUL in data:
        return f"{name} line {_line(data, data.index(NUL))} has a null byte: {RESAVE}"
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    encoding = _declared(body)
    try:
        body.decode(encoding)
    except LookupError:
        return None  # an unknown declared encoding: Python's SyntaxError names it
    except UnicodeDecodeError as bad:
        line = _line(body, bad.start)
        label = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
        return f"{name} line {line} is not {label} (byte 0x{body[bad.start]:02x}): {RESAVE}"
    return None


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def broke_the_import(error: dict[str, Any] | None) -> bool:
    """Whether the worker's import failed on the file's encoding rather than its code."""
    message = str((error or {}).get("message", ""))
    return message.startswith("(unicode error)") or "null bytes" in message or "Non-UTF-8" in message


def indents_with_tabs(data: bytes) -> bool:
    return re.search(rb"^[ ]*\t", data, re.MULTILINE) is not None


def imports(data: bytes) -> list[tuple[int, str]]:
    """(line, top-level package) of each absolute import run when the file is imported."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return []  # the worker reports it
    found: list[tuple[int, str]] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Try)) or _main_block(node):
            continue  # runs only when called or run as a script; a try may catch the ImportError
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        pending.extend(ast.iter_child_nodes(node))
    return sorted(set(found))


def _main_block(node: ast.AST) -> bool:
    """if __name__ == "__main__": ..."""
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(getattr(c, "value", getattr(c, "s", None)) == "__main__" for c in test.comparators)  # 3.7: ast.Str
    )


def installed_here_only(data: bytes, provided: Iterable[str]) -> list[tuple[int, str]]:
    """Imports that this Python finds among its installed packages but the grader's worker lacks."""
    import importlib.util
    from pathlib import Path

    allowed = {"numpy", "utils", *GRADER_OWN, *(_import_name(p) for p in provided)}
    missing = []
    for line, name in imports(data):
        if name in allowed:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        origin = (spec and (spec.origin or next(iter(spec.submodule_search_locations or []), None))) or ""
        if {"site-packages", "dist-packages"} & set(Path(origin).parts):
            missing.append((line, name))
    return missing


def only_provided(provided: Iterable[str]) -> str:
    """The packages a submission may import: numpy, grader.yml's worker packages and utils."""
    return f"only {', '.join(['numpy', *map(_name, provided)])} and the course's utils package"


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]


def _import_name(requirement: str) -> str:
    """A distribution named with dashes imports with underscores."""
    return _name(requirement).replace("-", "_").lower()
