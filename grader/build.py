"""``python -m grader build``: the Gradescope upload, dist/autograder.zip."""

import zipfile
from pathlib import Path

# What the zip carries, relative to the repository root. Gradescope unpacks
# it into /autograder/source, and setup.sh pip-installs that folder.
ROOT_FILES = ("setup.sh", "run_autograder", "pyproject.toml", "README.md", "grader.yml")
FOLDERS = ("grader", "reference", "student_template")
EXECUTABLE = {"setup.sh", "run_autograder"}


class BuildError(Exception):
    pass


def repository_root():
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "reference").is_dir():
        raise BuildError("build needs a source checkout of the grader (with pyproject.toml and reference/); "
                         f"{root} is not one")
    return root


def _members(root, config_file=None):
    for name in ROOT_FILES:
        path = Path(config_file) if name == "grader.yml" and config_file else root / name
        if not path.is_file():
            raise BuildError(f"{name} is missing from {root}")
        yield path, name
    for folder in FOLDERS:
        for path in _files(root / folder):
            yield path, path.relative_to(root).as_posix()


def build_autograder_zip(out_dir, config_file=None):
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
# numpy their file is graded with.
HANDOUT_REQUIREMENTS = ("jinja2>=3.0", "pyyaml>=5.4", "gradescope-utils>=0.5")


def handout_requirements(worker):
    return [worker.numpy, *HANDOUT_REQUIREMENTS, *worker.packages]


def build_student_zip(out_dir, config_file=None):
    """dist/student.zip: template, utils, the public grader and its shipped answers; no reference."""
    import tempfile

    from grader import config, golden
    from grader.catalogue import PUBLIC, TESTS
    from grader.report import render

    root = repository_root()
    settings = config.load(config_file or root / "grader.yml")
    template = root / "student_template"
    out = Path(out_dir) / "student.zip"
    with tempfile.TemporaryDirectory(prefix="grader-handout-") as scratch:
        answers = Path(scratch) / golden.FILE_NAME
        golden.build(answers, settings, root / "reference" / "word2vec.py")
        public = sum(t.__weight__ for t in TESTS if t.__visibility__ == PUBLIC)
        readme = render("student_readme.md.j2", public_points=f"{public:g}",
                        total_points=f"{sum(t.__weight__ for t in TESTS):g}", seed=settings.seed)
        members = [(template / "word2vec.py", "word2vec.py"), (answers, f"grader/{golden.FILE_NAME}")]
        members += [(p, p.relative_to(template).as_posix()) for p in _files(template / "utils")]
        members += [(p, "grader/_bundled/student_template/" + p.relative_to(template).as_posix())
                    for p in _files(template)]
        members += [(p, p.relative_to(root).as_posix()) for p in _files(root / "grader")
                    if p.name not in ("selfcheck.py", golden.FILE_NAME)]
        texts = {"README.md": readme, "requirements.txt": "\n".join(handout_requirements(settings.worker)) + "\n",
                 "grader.yml": Path(config_file or root / "grader.yml").read_text(encoding="utf-8")}
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, name in members:
                _add(archive, name, path.read_bytes())
            for name, text in texts.items():
                _add(archive, name, text.encode("utf-8"))
    return out


def _files(folder):
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            and "_bundled" not in p.parts and p.suffix not in (".pyc", ".pyo")]


def _add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode << 16
    archive.writestr(info, data)
