"""``python -m grader build --target prairielearn``: a folder to drop into a PrairieLearn course.

    prairielearn/
      README.md                          where each part goes, and what it costs
      serverFilesCourse/word2vec_grader/ the grader, as the Gradescope zip carries it, and
        entrypoint.sh                    what the container runs: install offline, then grade
        wheels/                          the grader and its dependencies, for the image's Python
      questions/word2vec/                info.json (external grading) and question.html

The grading container has no network (``enableNetworking`` false), so the
grader and everything it needs travel as wheels, downloaded here for the
image's Python and platform.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from grader.instructor.build import FOLDERS, BuildError, _files, repository_root
from grader.instructor.prairielearn import BUNDLE

if TYPE_CHECKING:
    import os

    from grader.config import Settings

# prairielearn/grader-python, PrairieLearn's own Python grading image: Python
# 3.13 (uv-managed, in /venv, with uv on PATH) on Amazon Linux 2023 (glibc
# 2.34), x86_64, as its Dockerfile in PrairieLearn's repository (graders/python)
# builds it in January 2026.
IMAGE = "prairielearn/grader-python"
IMAGE_PYTHON = (3, 13)
# Wheels pip may take for that image; pip matches each tag exactly, so every
# manylinux level a dependency may be tagged with is named.
PLATFORMS = ("manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64")
QUESTION = "word2vec"
# A question's uuid must be unique within its course; this one is the bundle's own.
QUESTION_UUID = "da75b0ce-c19b-41de-af78-5f164da7590c"
# What the bundle carries of the repository, as the Gradescope zip does (no setup.sh, no run_autograder).
ROOT_FILES = ("pyproject.toml", "README.md")
ENTRYPOINT = Path("prairielearn") / "entrypoint.sh"
# PrairieLearn kills a job after its timeout (at most 600 s). The install at
# start-up takes seconds (README); this leaves a minute for it and for starting.
START_UP_SECONDS = 60
SMALLEST_TIMEOUT, LARGEST_TIMEOUT = 120, 600


def build(
    out_dir: str | os.PathLike[str],
    config_file: str | os.PathLike[str] | None = None,
    python: tuple[int, int] = IMAGE_PYTHON,
) -> Path:
    """Write OUT/prairielearn/ (replacing it) for a grading image with Python ``python``; its path."""
    from grader import config
    from grader.numpy_requirement import dotted
    from grader.python_version import INSTRUCTOR_MINIMUM

    if python < INSTRUCTOR_MINIMUM:
        raise BuildError(f"the grader needs Python {dotted(INSTRUCTOR_MINIMUM)} or newer, not {dotted(python)}")
    root = repository_root()
    config_file = Path(config_file or root / config.CONFIG_NAME)
    settings = config.load(config_file)
    out = Path(out_dir) / "prairielearn"
    if out.exists():
        if not (out / "serverFilesCourse" / BUNDLE).is_dir():  # never replace a folder this did not write
            raise BuildError(f"{out} exists and is not a bundle that build wrote: remove it, or give another --out")
        shutil.rmtree(out)
    grader = out / "serverFilesCourse" / BUNDLE
    for name in ROOT_FILES:
        _copy(root / name, grader / name)
    _copy(config_file, grader / config.CONFIG_NAME)
    for folder in FOLDERS:
        for path in _files(root / folder):
            _copy(path, grader / path.relative_to(root))
    _copy(root / ENTRYPOINT, grader / ENTRYPOINT.name, 0o755)
    numpy = _wheels(grader, settings, python)
    question = out / "questions" / QUESTION
    question.mkdir(parents=True)
    (question / "info.json").write_text(json.dumps(info_json(settings), indent=2) + "\n", encoding="utf-8")
    (question / "question.html").write_text(_render("prairielearn_question.html.j2", settings), encoding="utf-8")
    (out / "README.md").write_text(_render("prairielearn_readme.md.j2", settings, python, numpy), encoding="utf-8")
    return out


def info_json(settings: Settings) -> dict[str, object]:
    """The question's info.json: externally graded by the entrypoint, in PrairieLearn's Python image."""
    limits = settings.limits
    timeout = math.ceil(limits.import_seconds + limits.total_seconds) + START_UP_SECONDS
    return {
        "uuid": QUESTION_UUID,
        "title": "word2vec: skip-gram with naive softmax and negative sampling",
        "topic": "word2vec",
        "tags": ["word2vec", "autograded"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": IMAGE,
            "entrypoint": f"/grade/serverFilesCourse/{BUNDLE}/{ENTRYPOINT.name}",
            "serverFilesCourse": [f"{BUNDLE}/"],
            "timeout": min(LARGEST_TIMEOUT, max(SMALLEST_TIMEOUT, timeout)),
            "enableNetworking": False,
        },
    }


def _wheels(grader: Path, settings: Settings, python: tuple[int, int]) -> str:
    """grader/wheels/: the grader's own wheel and its dependencies for ``python``; the numpy it pins.

    The worker gets grader.yml's numpy where some numpy it allows has wheels
    for that Python, else the nearest release that has (numpy<2 has none for
    Python 3.13: it gets numpy 2.1.3), as the handout's requirements do.
    """
    from grader import __version__
    from grader.numpy_requirement import dotted, instead_on

    wheels = grader / "wheels"
    wheels.mkdir()
    with tempfile.TemporaryDirectory(prefix="grader-prairielearn-") as scratch:
        # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
        source = Path(scratch) / "source"
        shutil.copytree(grader, source, ignore=shutil.ignore_patterns("wheels"))
        _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), str(source))
    built = sorted(wheels.glob("word2vec_grader-*.whl"))
    if len(built) != 1:
        raise BuildError(f"pip wheel left {[p.name for p in built]} in {wheels}, not one wheel of the grader")
    instead = instead_on(settings.worker.numpy, python)
    numpy = settings.worker.numpy if instead is None else f"numpy=={instead}"
    wanted = [f"word2vec-grader=={__version__}", numpy, *settings.worker.packages]
    platforms = [option for platform in PLATFORMS for option in ("--platform", platform)]
    version = dotted(python)
    _pip(
        "download",
        "--dest",
        str(wheels),
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        version,
        "--implementation",
        "cp",
        "--abi",
        f"cp{version.replace('.', '')}",
        str(built[0]),
        *wanted[1:],
    )
    (wheels / "requirements.txt").write_text("\n".join(wanted) + "\n", encoding="utf-8")
    if instead is not None:
        print(
            f"note: Python {version} has no numpy that grader.yml's {settings.worker.numpy} allows; "
            f"the PrairieLearn worker gets numpy {instead}"
        )
    return numpy


def _pip(*arguments: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *arguments, "--quiet", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BuildError(f"pip {arguments[0]} failed:\n{(done.stdout + done.stderr).strip()[-3000:]}")


def _render(template: str, settings: Settings, python: tuple[int, int] = IMAGE_PYTHON, numpy: str = "") -> str:
    from grader import registry
    from grader.grading import rubric, selected_tests
    from grader.numpy_requirement import dotted
    from grader.reporting.report import render
    from grader.rubric.suite import PUBLIC

    tests = selected_tests(True, settings.functions)
    points, _ = rubric(tests, settings)
    public = sum(points[t.__number__] for t in tests if t.__visibility__ == PUBLIC)
    return render(
        template,
        functions=[f.name for f in registry.functions() if f.source == registry.SIGMOID.source],
        sgd="sgd" in settings.functions,
        public_points=f"{public:g}",
        hidden_points=f"{sum(points.values()) - public:g}",
        hidden=settings.prairielearn.hidden,
        bundle=BUNDLE,
        question=QUESTION,
        image=IMAGE,
        info=info_json(settings)["externalGradingOptions"],
        python=dotted(python),
        numpy=numpy,
        wanted_numpy=settings.worker.numpy,
    )


def _copy(source: Path, target: Path, mode: int = 0o644) -> None:
    if not source.is_file():
        raise BuildError(f"{source} is missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)
