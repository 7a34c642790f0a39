"""``build --target autolab``: dist/autolab/ with autograde.tar, autograde-Makefile and README.txt.

autograde.tar unpacks into one folder (TOP) beside the handin: the grader
package, student_template/ (the course's utils, which the worker imports),
pyproject.toml, grader.yml and autograde.sh, which the Makefile runs. The
image's Python runs the grader from that folder, with no install: a job
need not reach a package index, and Autolab's jobs often cannot.

What decides the suite is grader.yml's ``autolab.hidden``. With ``exclude``
the tar carries the public suite's answers (grader/golden.npz, as the
student handout does) and no reference, so nothing in the job's container
is secret; with ``include`` it carries the reference, root-only, which a
job run as root keeps from the submission, and one run as Autolab's
``autograde`` user keeps from it only where Landlock holds.
"""

from __future__ import annotations

import io
import math
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

    from grader.config import Settings

# The folder autograde.tar unpacks into, in the job folder.
TOP = "word2vec-autograder"
BOOTSTRAP = "autograde.sh"
MAKEFILE = "autograde-Makefile"
README = "README.txt"
# What the grader imports besides the standard library: the image must have them,
# as (what pip installs, what Python imports).
IMPORTS = (("jinja2>=3.0", "jinja2"), ("pyyaml>=5.4", "yaml"), ("gradescope-utils>=0.5", "gradescope_utils"))
# The scoreboard Autolab's site declares for the score line's one column.
SCOREBOARD = '{"scoreboard": [{"hdr": "Total"}]}'
# A fixed date, so the same checkout and config give the same bytes.
MTIME = 1577836800  # 2020-01-01


def build(out_dir: str | os.PathLike[str], config_file: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write dist/autolab/ (under ``out_dir``): autograde.tar, autograde-Makefile, README.txt."""
    from grader import config
    from grader.answers import golden
    from grader.instructor.build import BuildError, _files, repository_root

    root = repository_root()
    config_file = Path(config_file or root / config.CONFIG_NAME)
    settings = config.load(config_file)
    include_hidden = settings.autolab.hidden == "include"
    out = Path(out_dir) / "autolab"
    out.mkdir(parents=True, exist_ok=True)
    members: list[tuple[str, bytes, int]] = []
    if not (root / "pyproject.toml").is_file():
        raise BuildError(f"pyproject.toml is missing from {root}")
    members.append(("pyproject.toml", (root / "pyproject.toml").read_bytes(), 0o644))
    members.append((config.CONFIG_NAME, config_file.read_bytes(), 0o644))
    members.append((BOOTSTRAP, _render("autograde.sh.j2", settings).encode(), 0o755))
    for folder in ("grader", "student_template"):
        for path in _files(root / folder):
            if path.name != golden.FILE_NAME:
                members.append((path.relative_to(root).as_posix(), path.read_bytes(), 0o644))
    if include_hidden:
        for path in _files(root / "reference"):
            members.append((path.relative_to(root).as_posix(), path.read_bytes(), 0o600))
    else:
        with tempfile.TemporaryDirectory(prefix="grader-autolab-") as scratch:
            answers = Path(scratch) / golden.FILE_NAME
            golden.build(answers, settings, root / "reference" / "word2vec.py")
            members.append((f"grader/{golden.FILE_NAME}", answers.read_bytes(), 0o644))
    tar = out / "autograde.tar"
    _write_tar(tar, members)
    makefile = out / MAKEFILE
    makefile.write_text(_render("autograde-Makefile.j2", settings), encoding="utf-8")
    readme = out / README
    readme.write_text(_render("README.txt.j2", settings), encoding="utf-8")
    return [tar, makefile, readme]


def _write_tar(path: Path, members: list[tuple[str, bytes, int]]) -> None:
    """A plain ustar archive (GNU tar and BusyBox read it) under TOP, owned by root, in a fixed order.

    Unpacked as root, the owner and modes hold: reference/ stays root's alone.
    """
    public: dict[str, bool] = {TOP: True}  # a folder of root-only files only is root's alone too
    for name, _data, mode in members:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join([TOP, *parts[:depth]])
            public[folder] = public.get(folder, False) or bool(mode & 0o004)
    folders = {folder: 0o755 if shown else 0o700 for folder, shown in public.items()}
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        for folder in sorted(folders):
            info = _info(folder, folders[folder])
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, data, mode in sorted(members):
            info = _info(f"{TOP}/{name}", mode)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _info(name: str, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime = mode, MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def problems_and_points(settings: Settings) -> list[tuple[str, str]]:
    """(problem name, its maximum score) for the site, in the rubric's order, for the suites graded."""
    import dataclasses

    from grader import grading, registry
    from grader.instructor.autolab.output import points

    settings = dataclasses.replace(settings, hidden=settings.autolab.hidden == "include")
    tests = grading.selected_tests(settings.hidden, settings.functions)
    weights, _visibility = grading.rubric(tests, settings)
    totals = {tag: 0.0 for tag in registry.tags()}
    for test in tests:
        totals[test.__tags__[0]] += weights[test.__number__]
    return [(tag, f"{points(total):g}") for tag, total in totals.items()]


def _render(template: str, settings: Settings) -> str:
    import jinja2

    from grader.instructor.autolab.output import scores_line
    from grader.python_version import INSTRUCTOR_MINIMUM, instructor_minimum_text

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("grader.instructor.autolab", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    limits = settings.limits
    values: dict[str, Any] = dict(
        top=TOP,
        bootstrap=BOOTSTRAP,
        makefile=MAKEFILE,
        zero_line=scores_line(),
        python_minimum=instructor_minimum_text(),
        python_minimum_tuple=repr(INSTRUCTOR_MINIMUM),
        imports=["numpy", *(module for _, module in IMPORTS)],
        requirements=[settings.worker.numpy, *(requirement for requirement, _ in IMPORTS), *settings.worker.packages],
        problems=problems_and_points(settings),
        scoreboard=SCOREBOARD,
        hidden=settings.autolab.hidden,
        sgd="sgd" in settings.functions,
        seed=settings.seed,
        # A run ends within its budget, one last import and call, and the interpreters' start.
        timeout=10 * math.ceil((limits.total_seconds + limits.import_seconds + limits.call_seconds + 30) / 10),
    )
    return environment.get_template(template).render(**values)
