"""grader.yml's worker numpy: read without packaging, packed into the handout, and checked by local."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import REPO
from grader import config
from grader.numpy_requirement import UnsupportedForm, allows, parse

EXAMPLE = REPO / "examples" / "word2vec.py"

REQUIREMENTS = [
    "numpy",
    "numpy<2",
    "numpy>=1.24,<2",
    "numpy==1.26.*",
    "numpy!=1.26.*",
    "numpy==1.26",
    "numpy == 2.0.0",
    "numpy!=2.0",
    "numpy<=1.26",
    "numpy>1.26",
    "numpy>2",
    "numpy~=1.26",
    "numpy~=1.26.0",
    "NumPy >= 1.24 , < 2.1",
]
VERSIONS = [
    "1.24.0",
    "1.26.0",
    "1.26",
    "1.26.4",
    "1.26.4+mkl",
    "1.26.4.post1",
    "2.0.0rc1",
    "2.0.0.dev0",
    "2.0.0",
    "2.0.0.post1",
    "2.0.1",
    "2.1.0",
    "2.4.6",
    "10.0",
]


@pytest.mark.parametrize("requirement", REQUIREMENTS)
def test_agrees_with_packaging_on_every_form_it_reads(requirement):
    specifiers = pytest.importorskip("packaging.specifiers")
    wanted = specifiers.SpecifierSet(requirement.lower().replace("numpy", "", 1))
    for version in VERSIONS:
        assert allows(requirement, version) == wanted.contains(version, prereleases=True), version


def test_reads_the_forms_grader_yml_allows_without_packaging():
    assert allows("numpy<2", "1.26.4") and not allows("numpy<2", "2.0.0") and not allows("numpy<2", "2.0.0rc1")
    assert allows("numpy>=1.24,<2", "1.24.0") and not allows("numpy>=1.24,<2", "1.23.5")
    assert allows("numpy==1.26.*", "1.26.4") and not allows("numpy==1.26.*", "1.27.0")
    assert allows("numpy", "2.4.6")


@pytest.mark.parametrize(
    "requirement",
    [
        "scipy<2",
        "numpy[extra]<2",
        "numpy<2; python_version>'3.8'",
        "numpy @ https://example.org/numpy.whl",
        "numpy===1.26",
        "numpy<2.*",
        "numpy~=2",
        "numpy<2.0rc1",
        "numpy<2,",
        "numpy<two",
    ],
)
def test_refuses_forms_it_cannot_evaluate(requirement):
    with pytest.raises(UnsupportedForm):
        parse(requirement)


def write(tmp_path, text):
    path = tmp_path / "grader.yml"
    path.write_text(text)
    return path


def test_config_refuses_a_numpy_requirement_it_cannot_check(tmp_path):
    path = write(tmp_path, "worker:\n  numpy: \"numpy<2; python_version>'3.8'\"\n")
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert "'worker.numpy' must be a numpy requirement like 'numpy<2'" in str(error.value)
    assert str(path) in str(error.value)


def built_requirements(tmp_path, config_file=None):
    options = ["--config", config_file] if config_file else []
    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--out", tmp_path / "dist", *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "dist" / "student.zip") as archive:
        return archive.read("requirements.txt").decode().splitlines()


def numpy_lines(requirements):
    return [line for line in requirements if line.lower().startswith("numpy")]


def test_handout_requirements_use_the_worker_numpy_of_the_packed_config(tmp_path):
    assert numpy_lines(built_requirements(tmp_path)) == [config.load(REPO / "grader.yml").worker.numpy]
    custom = write(tmp_path, "worker:\n  numpy: 'numpy>=1.24,<2.1'\n  packages: [scipy]\n")
    requirements = built_requirements(tmp_path, custom)
    assert numpy_lines(requirements) == ["numpy>=1.24,<2.1"] and "scipy" in requirements


def local(config_file):
    return subprocess.run(
        [sys.executable, "-m", "grader", "local", EXAMPLE, "--config", config_file],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


def test_local_warns_in_one_line_when_numpy_is_not_the_workers(tmp_path):
    other = write(tmp_path, "worker:\n  numpy: 'numpy<1'\n")
    done = local(other)
    assert done.returncode == 1 and "Total:" in done.stdout, done.stderr
    warning = [line for line in done.stderr.splitlines() if "numpy" in line]
    assert len(warning) == 1, done.stderr
    assert f"numpy {np.__version__}" in warning[0] and "Gradescope grades with numpy<1" in warning[0]
    assert "pip install 'numpy<1'" in warning[0] and "Traceback" not in done.stderr


def test_local_is_silent_about_numpy_when_it_fits(tmp_path):
    done = local(write(tmp_path, f"worker:\n  numpy: 'numpy=={np.__version__.split('+')[0]}'\n"))
    assert done.returncode == 1 and "numpy" not in done.stderr, done.stderr
