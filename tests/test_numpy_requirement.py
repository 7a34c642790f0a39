"""grader.yml's worker numpy: read without packaging, packed into the handout, and checked by local."""

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from conftest import REPO
from grader import config
from grader.numpy_requirement import WHEELS, UnsupportedForm, allows, dotted, instead_on, parse, per_python
from grader.python_version import MINIMUM

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


def built_readme(tmp_path):
    """The handout README of the last built_requirements(tmp_path)."""
    with zipfile.ZipFile(tmp_path / "dist" / "student.zip") as archive:
        return archive.read("README.md").decode()


def numpy_lines(requirements):
    return [line for line in requirements if line.lower().startswith("numpy")]


def test_handout_requirements_use_the_worker_numpy_of_the_packed_config(tmp_path):
    numpy = config.load(REPO / "grader.yml").worker.numpy
    assert numpy_lines(built_requirements(tmp_path)) == per_python(numpy, MINIMUM)
    if numpy == "numpy<2":  # the README lists what each Python gets, and which is not Gradescope's
        readme = built_readme(tmp_path)
        assert "- Python 3.7 to 3.12: `numpy<2`\n" in readme
        assert "- Python 3.13: `numpy==2.1.3`, the nearest numpy there is for it\n" in readme
    custom = write(tmp_path, "worker:\n  numpy: 'numpy>=1.24,<2.1'\n  packages: [scipy]\n")
    requirements = built_requirements(tmp_path, custom)
    assert numpy_lines(requirements) == [
        'numpy==1.21.6; python_version <= "3.7"',
        'numpy>=1.24,<2.1; python_version >= "3.8" and python_version <= "3.12"',
        'numpy==2.1.3; python_version == "3.13"',
        'numpy==2.3.5; python_version >= "3.14"',
    ]
    assert "scipy" in requirements
    everywhere = write(tmp_path, "worker:\n  numpy: 'numpy>=1.21'\n")
    assert numpy_lines(built_requirements(tmp_path, everywhere)) == ["numpy>=1.21"]
    assert "picks one per Python" not in built_readme(tmp_path)


# -- the handout's numpy on each Python ------------------------------------------

PER_PYTHON = {
    # Gradescope's default: no numpy below 2 has wheels for 3.13.
    "numpy<2": [
        'numpy<2; python_version <= "3.12"',
        'numpy==2.1.3; python_version == "3.13"',
        'numpy==2.3.5; python_version >= "3.14"',
    ],
    # No numpy from 1.22 up has wheels for 3.7.
    "numpy>=1.24,<3": [
        'numpy==1.21.6; python_version <= "3.7"',
        'numpy>=1.24,<3; python_version >= "3.8"',
    ],
    # Wheels for 3.9 to 3.12 only: the nearest series on each side elsewhere.
    "numpy==1.26.*": [
        'numpy==1.21.6; python_version <= "3.7"',
        'numpy==1.24.4; python_version == "3.8"',
        'numpy==1.26.*; python_version >= "3.9" and python_version <= "3.12"',
        'numpy==2.1.3; python_version == "3.13"',
        'numpy==2.3.5; python_version >= "3.14"',
    ],
    # Every Python has a numpy that fits: the requirement as it is.
    "numpy": ["numpy"],
    "numpy>=1.21": ["numpy>=1.21"],
    # A series the table does not know: left to pip.
    "numpy==1.20.*": ["numpy==1.20.*"],
}


@pytest.mark.parametrize("requirement", PER_PYTHON)
def test_the_handout_numpy_has_a_line_per_run_of_pythons(requirement):
    assert per_python(requirement, MINIMUM) == PER_PYTHON[requirement]


PYTHONS = [(3, minor) for minor in range(MINIMUM[1], 16)]


def wheels_on(python):
    """The releases with wheels for python, as the table has them: every release of a series it lists.

    A Python newer than the table gets the newest's.
    """
    newest = max(last for _, _, last in WHEELS)
    python = min(python, newest)
    found = []
    for release, first, last in WHEELS:
        if first <= python <= last:
            major, minor, patch = release.split(".")
            found += [f"{major}.{minor}.{n}" for n in range(int(patch) + 1)]
    return found


@pytest.mark.parametrize(
    "requirement",
    [r for r in [*PER_PYTHON, *REQUIREMENTS[1:], "numpy<1.25", "numpy>=2.2", "numpy<2.1"] if r != "numpy==1.20.*"],
)
def test_each_python_gets_exactly_one_line_and_a_numpy_with_wheels(requirement):
    """Read by packaging, as pip reads them: one line applies on each Python, and a release with wheels fits it."""
    requirements = pytest.importorskip("packaging.requirements")
    lines = [requirements.Requirement(line) for line in per_python(requirement, MINIMUM)]
    for python in PYTHONS:
        environment = {"python_version": dotted(python), "python_full_version": f"{dotted(python)}.0"}
        applying = [line for line in lines if line.marker is None or line.marker.evaluate(environment)]
        assert len(applying) == 1, (python, [str(line) for line in lines])
        fitting = [r for r in wheels_on(python) if applying[0].specifier.contains(r, prereleases=True)]
        assert fitting, (python, str(applying[0]))
        if any(allows(requirement, r) for r in wheels_on(python)):  # the requirement itself, where it can be had
            assert applying[0].specifier == requirements.Requirement(requirement).specifier, python


def test_the_nearest_release_is_on_the_side_the_requirement_allows():
    assert instead_on("numpy<2", (3, 13)) == "2.1.3" and instead_on("numpy<2", (3, 12)) is None
    assert instead_on("numpy>=1.24", (3, 7)) == "1.21.6" and instead_on("numpy>=1.24", (3, 8)) is None
    assert instead_on("numpy<2", (3, 20)) == instead_on("numpy<2", (3, 14))  # newer Pythons: the newest's wheels


def test_the_wheel_table_is_one_release_per_series_in_order():
    releases = [tuple(int(n) for n in release.split(".")) for release, _, _ in WHEELS]
    assert releases == sorted(releases) and len({r[:2] for r in releases}) == len(releases)
    for release, first, last in WHEELS:
        assert (3, 7) <= first <= last, release
    # Each Python's wheels come from consecutive series, the premise of "the nearest".
    for python in PYTHONS:
        rows = [i for i, (_, first, last) in enumerate(WHEELS) if first <= min(python, (3, 14)) <= last]
        assert rows == list(range(rows[0], rows[-1] + 1)), python
    # The public floor's Python has wheels, or the handout could not install there.
    assert wheels_on(MINIMUM)


@pytest.mark.parametrize(
    ("wanted", "have", "python", "said"),
    [
        ("numpy<2", "1.26.4", (3, 11), None),
        (
            "numpy<2",
            "2.4.6",
            (3, 11),
            "this Python has numpy 2.4.6, but Gradescope grades with numpy<2, so results may differ there; "
            "to match it: pip install 'numpy<2'",
        ),
        (
            "numpy<2",
            "2.1.3",
            (3, 13),
            "Gradescope grades with numpy<2; Python 3.13 has no such numpy, so you are testing with numpy 2.1.3, "
            "and results may differ there; to test with it, use Python 3.7 to 3.12",
        ),
        (
            "numpy>=1.24,<3",
            "1.21.6",
            (3, 7),
            "Gradescope grades with numpy>=1.24,<3; Python 3.7 has no such numpy, so you are testing with numpy "
            "1.21.6, and results may differ there; to test with it, use Python 3.8 or newer",
        ),
    ],
)
def test_local_says_why_numpy_differs_and_what_would_match(wanted, have, python, said):
    from grader.commands.local import numpy_warning

    assert numpy_warning(wanted, have, python) == said


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
