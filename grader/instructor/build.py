"""``python -m grader build``: what each platform takes, from this checkout.

``--target gradescope`` (the default) writes the Gradescope upload,
dist/autograder.zip, and the student handout, dist/student.zip;
``--target prairielearn`` a folder for a PrairieLearn course
(grader.instructor.prairielearn_bundle); ``--target autolab`` dist/autolab/
(grader.instructor.autolab.package). TARGETS maps each to its builder.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    import os
    from collections.abc import Callable, Iterator

    from grader.config import Settings, Worker

# What the zip carries, relative to the repository root. Gradescope unpacks
# it into /autograder/source, and setup.sh pip-installs that folder.
ROOT_FILES = ("setup.sh", "run_autograder", "pyproject.toml", "README.md", "grader.yml")
FOLDERS = ("grader", "reference", "student_template")
EXECUTABLE = {"setup.sh", "run_autograder"}


class BuildError(Exception):
    pass


def repository_root() -> Path:
    from grader.bundle import PACKAGE

    root = PACKAGE.parent
    if not (root / "pyproject.toml").is_file() or not (root / "reference").is_dir():
        raise BuildError(
            f"build needs a source checkout of the grader (with pyproject.toml and reference/); {root} is not one"
        )
    return root


def _members(root: Path, config_file: str | os.PathLike[str] | None = None) -> Iterator[tuple[Path, str]]:
    for name in ROOT_FILES:
        path = Path(config_file) if name == "grader.yml" and config_file else root / name
        if not path.is_file():
            raise BuildError(f"{name} is missing from {root}")
        yield path, name
    for folder in FOLDERS:
        for path in _files(root / folder):
            yield path, path.relative_to(root).as_posix()


def build_autograder_zip(out_dir: str | os.PathLike[str], config_file: str | os.PathLike[str] | None = None) -> Path:
    root = repository_root()
    out = Path(out_dir) / "autograder.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in _members(root, config_file):
            _add(archive, name, path.read_bytes(), 0o755 if name in EXECUTABLE else 0o644)
    return out


# -- the student handout ---------------------------------------------------------

# What the public grader needs besides numpy. numpy (and any extra package)
# is what grader.yml gives Gradescope's worker, so students test with the
# numpy their file is graded with: on each Python where a numpy it allows
# has wheels, else the nearest that has (numpy_requirement.per_python).
HANDOUT_REQUIREMENTS = ("jinja2>=3.0", "pyyaml>=5.4", "gradescope-utils>=0.5")
# The handout is the package without this subpackage: the instructor's
# commands need the reference, which it does not have.
INSTRUCTOR_PACKAGE = "instructor"


def handout_requirements(worker: Worker) -> list[str]:
    from grader.numpy_requirement import per_python
    from grader.python_version import MINIMUM

    return [*per_python(worker.numpy, MINIMUM), *HANDOUT_REQUIREMENTS, *worker.packages]


def build_student_zip(out_dir: str | os.PathLike[str], config_file: str | os.PathLike[str] | None = None) -> Path:
    """dist/student.zip: template, utils, the public grader and its shipped answers; no reference.

    The grader inside is an installable package (the handout's pyproject.toml,
    installed by its requirements.txt), carrying the packed grader.yml and
    the answers, so ``python -m grader local`` runs from any folder.
    """
    import tempfile

    from grader import config
    from grader.answers import golden

    root = repository_root()
    config_file = Path(config_file or root / "grader.yml")
    settings = config.load(config_file)
    template = root / "student_template"
    out = Path(out_dir) / "student.zip"
    with tempfile.TemporaryDirectory(prefix="grader-handout-") as scratch:
        answers = Path(scratch) / golden.FILE_NAME
        golden.build(answers, settings, root / "reference" / "word2vec.py")
        members = [
            (template / "word2vec.py", "word2vec.py"),
            (template / "sgd.py", "sgd.py"),
            (answers, f"grader/{golden.FILE_NAME}"),
            (config_file, f"grader/{config.CONFIG_NAME}"),
        ]
        members += [(p, p.relative_to(template).as_posix()) for p in _files(template / "utils")]
        members += [
            (p, "grader/_bundled/student_template/" + p.relative_to(template).as_posix()) for p in _files(template)
        ]
        members += [
            (p, p.relative_to(root).as_posix())
            for p in _files(root / "grader")
            if p.relative_to(root / "grader").parts[0] != INSTRUCTOR_PACKAGE and p.name != golden.FILE_NAME
        ]
        texts = _handout_texts(
            settings,
            sorted({_package_of(name) for _, name in members if name.startswith("grader/") and name.endswith(".py")}),
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, name in members:
                _add(archive, name, path.read_bytes())
            for name, text in texts.items():
                _add(archive, name, text.encode("utf-8"))
    return out


def _handout_texts(settings: Settings, packages: list[str]) -> dict[str, str]:
    """README.md, requirements.txt and pyproject.toml of the handout, from their templates."""
    from grader import __version__
    from grader.python_version import minimum_text
    from grader.reporting.report import render
    from grader.rubric.suite import PUBLIC, all_tests

    requirements = handout_requirements(settings.worker)
    tests = [t for t in all_tests() if t.__tags__[0] in settings.functions]
    public = sum(t.__weight__ for t in tests if t.__visibility__ == PUBLIC)
    values = dict(
        requirements=requirements,
        numpy=settings.worker.numpy,
        numpy_by_python=_numpy_by_python(settings.worker.numpy),
        rtol=_short(settings.tolerances.rtol),
        atol=_short(settings.tolerances.atol),
        fd_tol=_short(settings.tolerances.fd_tol),
        python_minimum=minimum_text(),
        dependencies=[json.dumps(r) for r in requirements],  # TOML reads JSON's strings
        packages=packages,
        version=__version__,
        seed=settings.seed,
        sgd="sgd" in settings.functions,
        public_points=f"{public:g}",
        total_points=f"{sum(t.__weight__ for t in tests):g}",
    )
    return {
        name: render(template, **values)
        for name, template in (
            ("README.md", "student_readme.md.j2"),
            ("requirements.txt", "handout_requirements.txt.j2"),
            ("pyproject.toml", "handout_pyproject.toml.j2"),
        )
    }


def _numpy_by_python(numpy: str) -> list[dict[str, str | bool]]:
    """For the README: which Pythons get which numpy, where they do not all get ``numpy``."""
    from grader.numpy_requirement import dotted, runs
    from grader.python_version import MINIMUM

    found = runs(numpy, MINIMUM)
    if len(found) <= 1:
        return []
    lines: list[dict[str, str | bool]] = []
    for n, (wanted, pythons) in enumerate(found):
        low, high = dotted(pythons[0]), dotted(pythons[-1])
        named = f"{low} and newer" if n == len(found) - 1 else (low if low == high else f"{low} to {high}")
        lines.append({"pythons": named, "requirement": wanted, "gradescopes": wanted == numpy})
    return lines


def _short(x: float) -> str:
    """1e-05 as 1e-5."""
    return f"{x:g}".replace("e-0", "e-").replace("e+0", "e+")


def _package_of(name: str) -> str:
    return Path(name).parent.as_posix().replace("/", ".")


def _files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and "_bundled" not in p.parts
        and p.suffix not in (".pyc", ".pyo")
    ]


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode << 16
    archive.writestr(info, data)


@dataclass(frozen=True)
class Build:
    """What a builder is asked for: where to write, which grader.yml to pack, and for which Python."""

    out: Path
    config: Path | None = None
    python: tuple[int, int] | None = None  # the grading image's, where wheels travel with the grader


def _gradescope(build: Build) -> list[Path]:
    if build.python:
        raise BuildError("--python is for --target prairielearn: setup.sh installs on the Gradescope image's Python")
    return [build_autograder_zip(build.out, build.config), build_student_zip(build.out, build.config)]


def _autolab(build: Build) -> list[Path]:
    if build.python:
        raise BuildError("--python is for --target prairielearn: the Autolab job runs the image's own python3")
    from grader.instructor.autolab.package import build as autolab_build

    return autolab_build(build.out, build.config)


def _prairielearn(build: Build) -> list[Path]:
    from grader.instructor import prairielearn_bundle

    return [prairielearn_bundle.build(build.out, build.config, build.python or prairielearn_bundle.IMAGE_PYTHON)]


# --target -> what it writes; the first is the default.
TARGETS: dict[str, Callable[[Build], list[Path]]] = {
    "gradescope": _gradescope,
    "prairielearn": _prairielearn,
    "autolab": _autolab,
}


def _python(text: str) -> tuple[int, int]:
    """--python 3.13 as (3, 13)."""
    import argparse

    major, dot, minor = text.partition(".")
    if not (dot and major.isdigit() and minor.isdigit()):
        raise argparse.ArgumentTypeError(f"expected a Python version such as 3.13, not {text!r}")
    return int(major), int(minor)


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    build = verbs.add_parser(
        "build",
        help="write dist/autograder.zip (Gradescope) and dist/student.zip (handout), or another platform's bundle",
    )
    build.add_argument("--out", default="dist", help="output folder (default dist/)")
    build.add_argument("--config", help="grader.yml to pack (default: the checkout's)")
    build.add_argument(
        "--target",
        choices=tuple(TARGETS),
        default=next(iter(TARGETS)),
        help="gradescope: the two zips (default); prairielearn: dist/prairielearn/, a folder for a course; "
        "autolab: dist/autolab/",
    )
    build.add_argument(
        "--python",
        type=_python,
        help="the grading image's Python, for the wheels a bundle carries (prairielearn: default 3.13, "
        "prairielearn/grader-python's)",
    )
    build.set_defaults(command=command)


def command(args: argparse.Namespace) -> int:
    from grader import config
    from grader.commands.usage import fail

    try:
        # The config the target will carry, refused before anything is packed.
        config.load(args.config or repository_root() / config.CONFIG_NAME)
        written = TARGETS[args.target](Build(Path(args.out), Path(args.config) if args.config else None, args.python))
    except (BuildError, config.ConfigError) as exc:
        return fail(str(exc))
    for path in written:
        print(f"wrote {path}")
    return 0
