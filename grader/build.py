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
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and "_bundled" not in path.parts \
                    and path.suffix not in (".pyc", ".pyo"):
                yield path, path.relative_to(root).as_posix()


def build_autograder_zip(out_dir, config_file=None):
    root = repository_root()
    out = Path(out_dir) / "autograder.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in _members(root, config_file):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))   # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in EXECUTABLE else 0o644) << 16
            archive.writestr(info, path.read_bytes())
    return out
