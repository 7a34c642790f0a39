"""The trust boundary, checked on the source: who may import whom.

The worker runs student code, so it imports the shared protocol and nothing
trusted; the protocol imports nothing else of the grader; the rubric decides
verdicts without knowing how they are shown or which command asked.
"""

import ast
import sys

import pytest

from conftest import REPO

PACKAGE = REPO / "grader"
THIRD_PARTY_IN_WORKER = {"numpy"}


def imports(path):
    """Every module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module.split(".")[0] == "grader":  # from grader.x import y: y may be a module
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(folder):
    return sorted((PACKAGE / folder).rglob("*.py"))


def _outside(name, allowed_grader):
    top = name.split(".")[0]
    if top == "grader":
        return name != "grader" and not name.startswith(allowed_grader)
    return top not in sys.stdlib_module_names and top not in THIRD_PARTY_IN_WORKER


@pytest.mark.parametrize("path", modules("worker"), ids=lambda p: p.name)
def test_the_worker_imports_only_the_protocol(path):
    wrong = sorted(n for n in imports(path) if _outside(n, ("grader.protocol", "grader.worker")))
    assert not wrong, f"{path.relative_to(REPO)} imports {wrong}: the worker may import only grader.protocol"


@pytest.mark.parametrize("path", modules("protocol"), ids=lambda p: p.name)
def test_the_protocol_imports_nothing_else_of_the_grader(path):
    wrong = sorted(n for n in imports(path) if _outside(n, ("grader.protocol",)))
    assert not wrong, f"{path.relative_to(REPO)} imports {wrong}: the protocol is stdlib and numpy only"


@pytest.mark.parametrize("path", modules("rubric") + modules("answers"), ids=lambda p: p.name)
def test_the_rubric_imports_no_command_and_no_report(path):
    wrong = sorted(
        n
        for n in imports(path)
        if n.startswith(("grader.commands", "grader.instructor", "grader.reporting", "grader.cli"))
    )
    assert not wrong, f"{path.relative_to(REPO)} imports {wrong}: verdicts must not depend on how they are shown"


def test_the_checks_see_every_import_form(tmp_path):
    """The rule above could not fail if the parser missed an import: it must see each form."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import grader.boundary.sandbox\nfrom grader import oracle\n"
        "def f():\n    from grader.reporting.report import text\n"
    )
    assert {"grader.boundary.sandbox", "grader.oracle", "grader.reporting.report"} <= imports(probe)
    assert _outside("grader.boundary.sandbox", ("grader.protocol",))
    assert not _outside("grader.protocol.wire", ("grader.protocol",)) and not _outside("json", ())
