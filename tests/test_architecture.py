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


def _package_of(path):
    """The dotted package a module file belongs to: grader/worker/serve.py -> grader.worker."""
    return ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])


def imports(path, package=None):
    """Every module ``path`` imports, at the top or inside a function, relative imports resolved.

    Importing by a computed name (importlib.import_module, __import__) cannot
    be checked here; it is reported as the module "<dynamic import>", which
    no rule allows.
    """
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # from ..boundary import sandbox, inside grader.worker
                base = (package or _package_of(path)).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.add(module)
            if module.split(".")[0] == "grader":  # from grader.x import y: y may be a module
                found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            called = node.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name in ("import_module", "__import__"):
                found.add("<dynamic import>")
    return found


def modules(folder):
    return sorted((PACKAGE / folder).rglob("*.py"))


def _outside(name, allowed_grader):
    if name == "<dynamic import>":
        return True
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
        "from ..answers import golden\nfrom . import serve\n"
        "import importlib\nimportlib.import_module('grader.config')\n__import__('grader.cli')\n"
    )
    found = imports(probe, package="grader.worker")  # read as if it were a worker module
    assert {
        "grader.boundary.sandbox",
        "grader.oracle",
        "grader.reporting.report",
        "grader.answers.golden",
        "grader.worker.serve",
        "<dynamic import>",
    } <= found
    assert _outside("grader.boundary.sandbox", ("grader.protocol",))
    assert not _outside("grader.protocol.wire", ("grader.protocol",)) and not _outside("json", ())


def test_a_booted_worker_has_loaded_nothing_trusted():
    """At run time too: the fork server and a worker, as they boot, load only the protocol and the worker."""
    import subprocess

    from grader.boundary.spawners import GRADER_PARENT

    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import grader.worker.serve, grader.worker.zygote, grader.protocol.frames, grader.protocol.wire, "
        "grader.protocol.standins, grader.protocol.limits; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'grader')))"
    )
    done = subprocess.run([sys.executable, "-I", "-c", probe, GRADER_PARENT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    assert loaded and all(m == "grader" or m.startswith(("grader.protocol", "grader.worker")) for m in loaded), loaded
