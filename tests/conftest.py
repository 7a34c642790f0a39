"""Shared fixtures: the reference solution, and grading variants of it."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE_PATH = REPO / "reference" / "word2vec.py"

# reference/ is instructor-only and not installed: import its catalogues
# (reference.mutants, reference.alternatives) from the work tree.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _write_submission(tmp_path, source):
    """Write source as tmp_path/word2vec.py, the name students submit."""
    path = Path(tmp_path) / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    return path


def _describe_tests(tests):
    """One line per grader test plus the start of its output, for failure messages."""
    lines = []
    for t in tests:
        lines.append(f"  test {t.number} {t.name!r} tags={list(t.tags)} "
                     f"score={t.score}/{t.max_score} passed={t.passed}")
        output = (t.output or "").strip()
        if output:
            lines.extend("      " + line for line in output.splitlines()[:6])
    return "\n".join(lines) or "  (none)"


@pytest.fixture(scope="session")
def reference_source():
    return REFERENCE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def write_submission():
    """write_submission(tmp_path, source) -> path of the written word2vec.py."""
    return _write_submission


@pytest.fixture(scope="session")
def describe_tests():
    return _describe_tests


@pytest.fixture(scope="session")
def grade():
    # Imported here, not at module level, so the catalogue checks run even
    # when the grader cannot be imported.
    from grader import grade
    return grade


# In-process tests grade with this interpreter. As root on a machine whose
# Python lives where an unprivileged user cannot reach it (pyenv under
# /root), the sandbox user cannot run it, so these tests grade without the
# switch; test_gradescope.py and test_hostile.py install the zip over the
# system python3 and exercise the real switch end to end.
def _sandbox_user_can_run_this_python():
    import os
    if os.geteuid() != 0:
        return True
    from grader.privileges import _reachable, worker_needs
    return all(_reachable(p) for p in worker_needs())


if not _sandbox_user_can_run_this_python():
    import os
    os.environ["GRADER_SANDBOX"] = "off"


def gradescope_python():
    """The interpreter setup.sh should use: the system python3 as root, like Gradescope's image."""
    import os
    import shutil
    import subprocess
    if os.geteuid() == 0:
        system = shutil.which("python3", path="/usr/bin:/bin")
        if system and subprocess.run([system, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0:
            return system
        pytest.skip("as root the privilege switch needs a system python3 with venv (Gradescope's image has one)")
    return sys.executable


def subprocess_environment(**extra):
    """os.environ without the development switch-off, so the zip runs as on Gradescope."""
    import os
    env = {k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"}
    env.update(extra)
    return env
