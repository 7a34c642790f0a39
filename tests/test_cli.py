"""The command line a student runs: exit codes, report, and results.json on stdout."""

import json
import subprocess
import sys

from conftest import REPO, assert_switched

EXAMPLE = REPO / "examples" / "word2vec.py"
REFERENCE = REPO / "reference" / "word2vec.py"


def grader(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_reference_passes_with_exit_zero():
    done = grader("local", REFERENCE, "--all")
    assert done.returncode == 0, done.stderr
    assert "Total: 100/100" in done.stdout
    assert_switched(done.stderr)


def test_failures_exit_one_and_say_how_to_reproduce():
    done = grader("local", EXAMPLE, "--seed", "5")
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "Likely cause" in done.stdout
    assert f"python -m grader local {EXAMPLE} --seed 5" in done.stdout


def test_default_path_is_word2vec_py_in_the_current_folder(tmp_path):
    (tmp_path / "word2vec.py").write_text(REFERENCE.read_text())
    done = grader("local", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


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


def older_pythons():
    """Interpreters on this machine older than the grader supports: pyenv's, or /usr's python3.x."""
    import re
    from pathlib import Path

    from grader.python_version import MINIMUM

    found = {}
    candidates = [
        *Path.home().glob(".pyenv/versions/*/bin/python"),
        *Path("/usr/bin").glob("python[23].*"),
        *Path("/usr/local/bin").glob("python[23].*"),
    ]
    for path in candidates:
        version = re.fullmatch(
            r"(?:python)?(\d+)\.(\d+)(?:\.\d+)?", path.parent.parent.name if path.name == "python" else path.name
        )
        if version and (int(version[1]), int(version[2])) < MINIMUM:
            found.setdefault(version[0], path)
    return [found[v] for v in sorted(found)]


def test_an_unsupported_python_is_told_the_minimum_before_anything_else(tmp_path):
    import pytest

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


def test_pyproject_states_the_same_minimum_python():
    import re

    from grader.python_version import minimum_text

    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = ">=(.*)"$', pyproject, re.M)[1] == minimum_text()
