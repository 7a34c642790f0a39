"""The handout on the oldest and the newest Python 3 here: installed as its README says, it grades as in-process.

Each end gets a fresh virtual environment where the handout README's pip
command ran (with one pip cache for both, under this run's tmp), so each
installs the numpy requirements.txt picks for it: numpy 1.21 on Python 3.7,
2.1 on 3.13 under grader.yml's numpy<2. There the template scores 0, the
reference and a copy of it saved with CRLF line endings and a UTF-8 BOM
score the whole public suite, and the bundled example gets the score, the
failed tests, the messages and the JUnit report it gets in this process.

As root, a venv of pyenv's Python (under /root) is out of the sandbox
user's reach: local grades without the user switch there and says so.
"""

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REFERENCE_PATH, REFERENCE_SGD_PATH, REPO, build_student_zip
from grader import config
from grader.python_version import MINIMUM
from test_cli import pythons_on_this_machine

EXAMPLE = REPO / "examples" / "word2vec.py"

# Each way local may start the worker, as environment overrides of one
# grading run: every grading below runs once per entry, in each venv. The
# portable worker is Windows' path, forced here so that it runs on the
# oldest and newest Python too.
WORKER_PATHS = {"default": {}, "portable": {"GRADER_WORKER": "portable"}}


def usable(python):
    """Whether ``python`` can make a virtual environment with pip in it."""
    done = subprocess.run([str(python), "-c", "import venv, ensurepip"], capture_output=True, timeout=60)
    return done.returncode == 0


@functools.lru_cache(maxsize=None)
def ends():
    """{"oldest": (version, path), "newest": ...} of the Python 3s here from the public floor up, where found."""
    found = sorted((v, p) for v, p in pythons_on_this_machine().items() if v[0] == 3 and v >= MINIMUM)
    found = [(v, p) for v, p in found if usable(p)]
    return {"oldest": found[0], "newest": found[-1]} if found else {}


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    built = build_student_zip(tmp_path_factory.mktemp("dist"))
    # Where every user can read it, as a student's folder is theirs.
    folder = Path(tempfile.mkdtemp(prefix="grader-test-pythons-", dir="/tmp"))
    folder.chmod(0o755)
    with zipfile.ZipFile(built) as archive:
        archive.extractall(folder / "handout")
    yield folder / "handout"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pip_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pip-cache")


def clean_environment(**overrides):
    """The environment of a student's shell: nothing leading to this checkout's grader or config."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_CONFIG", "VIRTUAL_ENV")}
    return dict(env, **overrides)


@pytest.fixture(scope="module", params=["oldest", "newest"])
def venv(request, handout, pip_cache):
    """(version, python of a fresh venv with the handout installed by its README's pip command)."""
    found = ends()
    if not found:
        pytest.skip(f"no Python 3.{MINIMUM[1]} or newer with venv and ensurepip on this machine")
    version, base = found[request.param]
    if request.param == "newest" and version == found["oldest"][0]:
        pytest.skip(f"only Python {version[0]}.{version[1]} here, from the public floor up: the oldest run covers it")
    folder = Path(tempfile.mkdtemp(prefix=f"grader-test-pythons-{request.param}-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        python = folder / "venv" / "bin" / "python"
        subprocess.run([str(base), "-m", "venv", folder / "venv"], check=True, capture_output=True, timeout=300)
        blocks = re.findall(r"```bash\n(.*?)```", (handout / "README.md").read_text(), re.S)
        installs = [line.split() for block in blocks for line in block.splitlines() if line.startswith("pip ")]
        assert installs == [["pip", "install", "-r", "requirements.txt"]]
        env = clean_environment(PIP_CACHE_DIR=str(pip_cache), PIP_DISABLE_PIP_VERSION_CHECK="1")
        done = subprocess.run(
            [python, "-m", *installs[0], "-q"], cwd=handout, capture_output=True, text=True, timeout=900, env=env
        )
        assert done.returncode == 0, f"{base} ({version}):\n{done.stderr[-3000:]}"
        yield version, python
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def local(python, path, cwd, worker_path):
    """``python -m grader local path --format json`` as a student runs it: (exit status, results, stderr)."""
    done = subprocess.run(
        [str(python), "-m", "grader", "local", str(path), "--format", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environment(**WORKER_PATHS[worker_path]),
    )
    assert "Traceback" not in done.stderr, done.stderr
    try:
        return done.returncode, json.loads(done.stdout), done.stderr
    except json.JSONDecodeError:
        pytest.fail(f"{path} under {python}: exit {done.returncode}, no JSON:\n{done.stdout[-2000:]}{done.stderr}")


def failed(results):
    return sorted(t["number"] for t in results["tests"] if t["status"] == "failed")


def messages(results):
    """Each test's status and message; efficiency tests measure times, which differ from run to run."""
    tests = [t for t in results["tests"] if "efficiency" not in t["tags"]]
    return {t["number"]: (t["status"], t["score"], t.get("output")) for t in tests}


@pytest.fixture(scope="module")
def public_points():
    from grader.rubric.suite import PUBLIC, all_tests

    return sum(t.__weight__ for t in all_tests() if t.__visibility__ == PUBLIC)


@pytest.fixture(scope="module")
def example_run(handout):
    """The bundled example graded here, against the handout's answers."""
    from grader import grade
    from grader.answers.golden import GoldenOracle

    settings = replace(config.load(REPO / "grader.yml"), hidden=False)
    return grade(EXAMPLE, settings=settings, oracle=GoldenOracle(handout / "grader" / "golden.npz"))


@pytest.fixture(scope="module")
def example_in_process(example_run):
    """The example's run here, as Gradescope's results.json."""
    from grader.reporting import report

    return report.results_json(example_run)


@pytest.mark.slow
def test_the_handout_installs_a_numpy_with_wheels_that_the_requirements_pick(venv, handout):
    from grader.numpy_requirement import allows, instead_on

    version, python = venv
    wanted = config.load(REPO / "grader.yml").worker.numpy
    installed = subprocess.run(
        [str(python), "-c", "import numpy; print(numpy.__version__)"], capture_output=True, text=True, timeout=120
    ).stdout.strip()
    instead = instead_on(wanted, version)
    assert installed == instead if instead else allows(wanted, installed), (version, wanted, installed)
    _, _, said = local(python, handout / "word2vec.py", handout, "default")
    warnings = [line for line in said.splitlines() if "numpy" in line]
    if instead:
        assert len(warnings) == 1 and f"Python {version[0]}.{version[1]} has no such numpy" in warnings[0], said
    else:
        assert not warnings, said


@pytest.mark.slow
@pytest.mark.parametrize("worker_path", WORKER_PATHS)
def test_the_template_scores_nothing(venv, handout, worker_path):
    status, results, said = local(venv[1], handout / "word2vec.py", handout, worker_path)
    assert status == 1 and results["score"] == 0 and results["tests"], said
    assert all(t["status"] == "failed" for t in results["tests"] if t["max_score"]), said


@pytest.mark.slow
@pytest.mark.parametrize("worker_path", WORKER_PATHS)
@pytest.mark.parametrize("saved", ["as is", "CRLF and BOM"])
def test_the_reference_scores_the_whole_public_suite(venv, handout, worker_path, saved, public_points, tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="grader-test-pythons-submission-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        for reference in (REFERENCE_PATH, REFERENCE_SGD_PATH):  # sgd.py beside word2vec.py, saved alike
            text = reference.read_text(encoding="utf-8")
            data = text.encode() if saved == "as is" else b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
            (folder / reference.name).write_bytes(data)
        status, results, said = local(venv[1], folder / "word2vec.py", folder, worker_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert status == 0 and results["score"] == public_points, (failed(results), said)


@pytest.mark.slow
@pytest.mark.parametrize("worker_path", WORKER_PATHS)
def test_the_example_gets_what_it_gets_in_process(venv, handout, worker_path, example_in_process, public_points):
    status, results, said = local(venv[1], EXAMPLE, handout, worker_path)
    assert status == 1 and 0 < results["score"] < public_points, said
    assert (results["score"], failed(results)) == (example_in_process["score"], failed(example_in_process))
    assert messages(results) == messages(example_in_process)


def junit_content(text):
    """Every element's tag, attributes and text, less the times measured, which differ from run to run."""
    import xml.etree.ElementTree as ET

    return [
        (e.tag, sorted((k, v) for k, v in e.attrib.items() if k != "time"), (e.text or "").strip())
        for e in ET.fromstring(text).iter()
    ]


@pytest.mark.slow
def test_the_junit_report_is_valid_and_says_what_it_says_here(venv, handout, example_run):
    """Python 3.7's ElementTree has no indent() and sorts attributes; the report must not differ but in order."""
    import xmlschema

    from grader.reporting import junit

    done = subprocess.run(
        [str(venv[1]), "-m", "grader", "local", str(EXAMPLE), "--format", "junit"],
        cwd=handout,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environment(),
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    xmlschema.XMLSchema(str(REPO / "tests" / "junit.xsd")).validate(done.stdout)
    assert junit_content(done.stdout) == junit_content(junit.text(example_run))


@pytest.mark.slow
def test_numbers_read_the_same_under_the_installed_numpy(venv):
    """numpy before 1.22 formats 1.9999999 to six digits as "2."; messages must not show it."""
    code = "from grader.rubric.feedback import number; print(number(1.9999999), number(2.0000001), number(0.5))"
    done = subprocess.run([str(venv[1]), "-c", code], capture_output=True, text=True, timeout=120, cwd="/")
    assert done.stdout.split() == ["2", "2", "0.5"], done.stdout + done.stderr
