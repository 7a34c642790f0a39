"""The command line a student runs: exit codes, report, and results.json on stdout."""

import json
import subprocess
import sys

import pytest

from conftest import REPO, assert_switched

EXAMPLE = REPO / "examples" / "word2vec.py"
REFERENCE = REPO / "reference" / "word2vec.py"


def grader(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_reference_passes_with_exit_zero():
    from grader import registry

    done = grader("local", REFERENCE, "--all")  # with reference/sgd.py beside it
    assert done.returncode == 0, done.stderr
    full = sum(f.points for f in registry.functions())
    assert f"Total: {full:g}/{full:g}" in done.stdout
    assert_switched(done.stderr)


def test_failures_exit_one_and_say_how_to_reproduce():
    done = grader("local", EXAMPLE, "--seed", "5")
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "Likely cause" in done.stdout
    assert f"python -m grader local {EXAMPLE} --seed 5" in done.stdout


def test_default_path_is_word2vec_py_in_the_current_folder(tmp_path, reference_files, write_files):
    write_files(tmp_path, reference_files)
    done = grader("local", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "word2vec autograder: word2vec.py\n" in done.stdout


def test_unreadable_or_missing_file_exits_two_without_traceback(tmp_path):
    done = grader("local", tmp_path / "nothing.py")
    assert done.returncode == 2
    assert "cannot read the submission" in done.stderr and "Traceback" not in done.stderr
    assert grader("local", "--seed", "x").returncode == 2


def test_an_unknown_layer_to_turn_off_is_refused_by_name_without_traceback():
    import os

    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", str(REFERENCE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, GRADER_WITHOUT="landlock,firewall"),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "firewall is not one" in done.stderr and "landlock, netns, seccomp" in done.stderr
    assert "Traceback" not in done.stderr


def test_verbose_lists_every_protection_layer():
    done = grader("local", REFERENCE, "-v")
    assert done.returncode == 0, done.stderr
    shown = [line.strip().split(":", 1)[0] for line in done.stderr.splitlines() if line.startswith("  ")]
    assert shown == ["user switch", "rlimits", "filesystem view", "network", "cleanup"], done.stderr


def test_json_is_gradescope_results_schema():
    done = grader("local", EXAMPLE, "--all", "--format", "json")
    results = json.loads(done.stdout)
    assert isinstance(results["score"], float) and isinstance(results["execution_time"], float)
    assert results["score"] == sum(t["score"] for t in results["tests"])
    for test in results["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
        assert test["status"] in ("passed", "failed")


def test_json_is_reproducible_from_the_seed():
    first, second = (
        json.loads(grader("local", EXAMPLE, "--all", "--format", "json", "--seed", "9").stdout) for _ in range(2)
    )
    for results in (first, second):
        results.pop("execution_time")
        for test in results["tests"]:
            if "efficiency" in test["tags"]:  # measured times differ from run to run
                test.pop("output")
    assert first == second


def pythons_on_this_machine():
    """{(major, minor): path} of the interpreters here: pyenv's, and /usr's and /usr/local's python3.x."""
    import re
    from pathlib import Path

    found = {}
    candidates = [
        *sorted(Path.home().glob(".pyenv/versions/*/bin/python")),
        *sorted(Path("/usr/bin").glob("python[23].*")),
        *sorted(Path("/usr/local/bin").glob("python[23].*")),
    ]
    for path in candidates:
        version = re.fullmatch(
            r"(?:python)?(\d+)\.(\d+)(?:\.\d+)?", path.parent.parent.name if path.name == "python" else path.name
        )
        if version:
            found.setdefault((int(version[1]), int(version[2])), path)
    return found


def older_pythons(floor=None):
    """One interpreter per major version older than ``floor`` (default: the grader's minimum)."""
    from grader.python_version import MINIMUM

    found = {}
    for version, path in sorted(pythons_on_this_machine().items()):
        if version < (floor or MINIMUM):
            found[version[0]] = path
    return [found[v] for v in sorted(found)]


def test_an_unsupported_python_is_told_the_minimum_before_anything_else(tmp_path):
    from grader.python_version import minimum_text

    pythons = older_pythons()
    if not pythons:
        pytest.skip("no Python older than the grader's minimum on this machine")
    (tmp_path / "word2vec.py").write_text(REFERENCE.read_text())
    for python in pythons:
        done = subprocess.run(
            [str(python), "-m", "grader", "local", tmp_path / "word2vec.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, (python, done.stdout, done.stderr)
        assert done.stdout == "" and len(done.stderr.splitlines()) == 1, (python, done.stderr)
        assert f"this grader needs Python {minimum_text()} or newer; you have " in done.stderr, python


def test_a_python_below_the_instructor_floor_refuses_instructor_commands_in_one_line():
    from grader.python_version import INSTRUCTOR_MINIMUM, MINIMUM, instructor_minimum_text

    between = [p for v, p in sorted(pythons_on_this_machine().items()) if MINIMUM <= v < INSTRUCTOR_MINIMUM]
    if not between:
        pytest.skip("no Python between the public grader's minimum and the instructor side's on this machine")
    python = between[0]  # the oldest: the checkout's command line must import there, numpy or not

    def grader_under(*args):
        return subprocess.run(
            [str(python), "-m", "grader", *args], cwd=REPO, capture_output=True, text=True, timeout=120
        )

    for verb in (["build"], ["check"], ["batch", "."], ["gradescope", "--root", "."], ["autolab"]):
        done = grader_under(*verb)
        assert done.returncode == 2 and done.stdout == "", (python, verb, done.stdout, done.stderr)
        assert len(done.stderr.splitlines()) == 1, (python, verb, done.stderr)
        assert f"{verb[0]} is an instructor command and needs Python {instructor_minimum_text()} or newer" in (
            done.stderr
        )
        assert "python -m grader local" in done.stderr
    shown = grader_under("--help")
    assert shown.returncode == 0 and "{local,requirements}" in shown.stdout, (python, shown.stdout, shown.stderr)


def test_pyproject_states_the_instructor_sides_minimum_python():
    import re

    from grader.python_version import instructor_minimum_text

    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = ">=(.*)"$', pyproject, re.M)[1] == instructor_minimum_text()


@pytest.mark.slow
def test_pip_refuses_the_full_package_below_the_instructor_floor(tmp_path):
    from grader.python_version import INSTRUCTOR_MINIMUM, MINIMUM, instructor_minimum_text
    from test_handout import built_wheel, refused_for_python

    between = [p for v, p in sorted(pythons_on_this_machine().items()) if MINIMUM <= v < INSTRUCTOR_MINIMUM]
    between = [p for p in between if subprocess.run([p, "-m", "pip", "--version"], capture_output=True).returncode == 0]
    if not between:
        pytest.skip("no Python with pip between the public grader's minimum and the instructor side's here")
    wheel = built_wheel(REPO, tmp_path)
    done = subprocess.run(
        [between[-1], "-m", "pip", "install", "--no-deps", "--target", tmp_path / "target", wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and refused_for_python(done.stderr, instructor_minimum_text()), done.stderr[-2000:]


def test_the_public_floor_is_not_above_the_instructor_floor():
    from grader.python_version import INSTRUCTOR_MINIMUM, MINIMUM

    assert (3, 0) <= MINIMUM <= INSTRUCTOR_MINIMUM
