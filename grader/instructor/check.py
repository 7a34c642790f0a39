"""``python -m grader check``: the self-check an instructor runs before uploading.

The reference must earn full marks under several seeds, the template
nothing, and every bundled mutant (reference/mutants.py) must lose points
under its own function and no other.
"""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader import bundle, config
from grader.commands.usage import fail

if TYPE_CHECKING:
    import argparse
    from types import ModuleType

    from grader.config import Settings
    from grader.reporting.results import GradingRun


@dataclass
class Row:
    subject: str
    expected: str
    got: str
    ok: bool


def load_mutants(reference: Path) -> ModuleType:
    path = reference.parent / "mutants.py"
    spec = importlib.util.spec_from_file_location("grader_reference_mutants", path)
    assert spec is not None and spec.loader is not None  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lost(run: GradingRun) -> list[str]:
    """The functions under which the run lost points; a test worth none (report only) loses nothing."""
    return sorted({t.function for t in run.tests if not t.passed and t.max_score > 0})


def run_check(settings: Settings, seeds: int = 3) -> int:
    # Imported here: building the command line must stay light (see grader.cli).
    from grader.answers.oracle import ReferenceMissing
    from grader.boundary.privileges import launcher
    from grader.grading import grade as grade_file
    from grader.reporting.report import render

    settings = replace(settings, hidden=True)
    reference = bundle.reference_file()
    if reference is None:
        raise ReferenceMissing(
            "check grades the reference solution and its mutants, and this install has no "
            "reference; run it from a checkout of the grader"
        )
    # Only the grader's own files run here, so the user switch is best-effort.
    sandbox_user = launcher(required=False)

    def grade(path: Path, settings: Settings) -> GradingRun:
        return grade_file(path, settings=settings, launcher=sandbox_user)

    rows = []
    for seed in range(settings.seed, settings.seed + seeds):
        run = grade(reference, settings=replace(settings, seed=seed))
        rows.append(
            Row(
                f"reference, seed {seed}",
                f"{run.max_score:g}/{run.max_score:g}",
                f"{run.score:g}/{run.max_score:g}",
                run.score == run.max_score,
            )
        )
    template = grade(bundle.template_folder() / "word2vec.py", settings=settings)
    rows.append(
        Row("template", f"0/{template.max_score:g}", f"{template.score:g}/{template.max_score:g}", template.score == 0)
    )
    mutants = load_mutants(reference)
    # The reference's graded files, each beside the other as students submit them.
    files = {name: (reference.parent / name).read_text(encoding="utf-8") for name in _graded_files()}
    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        path = Path(folder) / "word2vec.py"
        for mutant in mutants.MUTANTS:
            for name, text in mutants.mutate_files(files, mutant).items():
                (Path(folder) / name).write_text(text, encoding="utf-8")
            lost = _lost(grade(path, settings=settings))
            rows.append(
                Row(
                    f"mutant {mutant.name}",
                    f"loses under {mutant.function} only",
                    "loses under " + (", ".join(lost) or "nothing"),
                    lost == [mutant.function],
                )
            )
    print(render("check.txt.j2", rows=rows, misses=sum(not r.ok for r in rows)), end="")
    print("Protections in force around the graded files:", *(f"  {line}" for line in template.layers), sep="\n")
    return 0 if all(r.ok for r in rows) else 1


def _graded_files() -> list[str]:
    from grader import registry

    return sorted({f.source for f in registry.functions()})


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    check = verbs.add_parser("check", help="self-check: reference full marks, template 0, every mutant caught")
    check.add_argument("--seeds", type=int, default=3, help="how many seeds the reference is graded under")
    check.add_argument("--config", help="grader.yml to use")
    check.set_defaults(command=command)


def command(args: argparse.Namespace) -> int:
    try:
        settings = config.load(args.config)
    except config.ConfigError as error:
        return fail(str(error))
    from grader.answers.oracle import ReferenceMissing

    try:
        return run_check(settings, seeds=args.seeds)
    except ReferenceMissing as missing:
        return fail(str(missing))
