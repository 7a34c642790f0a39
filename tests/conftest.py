"""Shared fixtures: the reference solution, and grading variants of it."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE_PATH = REPO / "reference" / "word2vec.py"
REFERENCE_SGD_PATH = REPO / "reference" / "sgd.py"

# reference/ is instructor-only and not installed: import its catalogues
# (reference.mutants, reference.alternatives) from the work tree.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def build_student_zip(out):
    """``python -m grader build --out OUT`` as an instructor runs it; the path of the handout zip."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--out", out], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return Path(out) / "student.zip"


def _write_submission(tmp_path, source):
    """Write source as tmp_path/word2vec.py, the name students submit, with the reference sgd.py beside it.

    Tests of word2vec.py's functions grade it as students submit it, with
    their sgd.py; a test about sgd.py writes its own (``write_files``).
    """
    path = Path(tmp_path) / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    sgd = Path(tmp_path) / "sgd.py"
    if not sgd.exists():
        sgd.write_text(REFERENCE_SGD_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _write_files(tmp_path, files):
    """Write each name -> source of ``files`` into tmp_path; the path of its word2vec.py."""
    for name, source in files.items():
        (Path(tmp_path) / name).write_text(source, encoding="utf-8")
    return Path(tmp_path) / "word2vec.py"


def _describe_tests(tests):
    """One line per grader test plus the start of its output, for failure messages."""
    lines = []
    for t in tests:
        lines.append(
            f"  test {t.number} {t.name!r} tags={list(t.tags)} score={t.score}/{t.max_score} passed={t.passed}"
        )
        output = (t.output or "").strip()
        if output:
            lines.extend("      " + line for line in output.splitlines()[:6])
    return "\n".join(lines) or "  (none)"


@pytest.fixture(scope="session")
def reference_source():
    return REFERENCE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reference_files():
    """The reference's graded files, name -> source: what a full-marks submission holds."""
    return {
        "word2vec.py": REFERENCE_PATH.read_text(encoding="utf-8"),
        "sgd.py": REFERENCE_SGD_PATH.read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="session")
def write_files():
    """write_files(tmp_path, {name: source}) -> path of the written word2vec.py."""
    return _write_files


@pytest.fixture(scope="session")
def write_submission():
    """write_submission(tmp_path, source) -> path of the written word2vec.py."""
    return _write_submission


@pytest.fixture(scope="session")
def describe_tests():
    return _describe_tests


def _temporary_folder(prefix: str, mode: int):
    """A folder under /tmp with ``mode`` (tmp_path's parents are root's alone), removed afterwards."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    folder.chmod(mode)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared_folder():
    """A folder the sandbox user may write into."""
    yield from _temporary_folder("grader-test-shared-", 0o777)


@pytest.fixture
def readable_folder():
    """A folder every user can read but only root can write (a venv the sandbox user runs from)."""
    yield from _temporary_folder("grader-test-readable-", 0o755)


def assert_switched(stderr):
    """As root, a grading command's stderr must not say it graded without the user switch."""
    import os

    if os.geteuid() == 0 and not NO_SWITCH:
        assert "without the user switch" not in stderr, stderr


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The built zip installed as on Gradescope (setup.sh over /usr/bin/python3), once per session."""
    from test_hostile import install_autograder

    yield from install_autograder(tmp_path_factory)


@pytest.fixture(scope="session")
def grade():
    # Imported here, not at module level, so the catalogue checks run even
    # when the grader cannot be imported.
    from grader import grade

    return grade


# As root, every grading test runs under the user switch, as on Gradescope:
# with an interpreter the sandbox user cannot read (pyenv under /root), the
# suite runs itself again in a venv of the system python3 (readable_python).
# Only where no such interpreter can be had do the tests grade without the
# switch, and the tests of the switch itself skip, saying why.
NO_SWITCH = None


def pytest_configure(config):
    global NO_SWITCH
    import os

    from readable_python import rerun_under_readable_python

    NO_SWITCH = rerun_under_readable_python(config)
    if NO_SWITCH:
        os.environ["GRADER_SANDBOX"] = "off"


def pytest_report_header(config):
    import os

    if os.geteuid() != 0:
        return "not root: workers run as this user (no user switch)"
    if NO_SWITCH:
        return f"root, but grading WITHOUT the user switch: {NO_SWITCH}"
    return f"root: workers run as the sandbox user ({sys.executable})"


CHROMIUM = "/usr/bin/chromium"
# Headless, and quiet: this machine's network is closed, and a browser that
# tries to reach it stalls or fills the log.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """The markers registered in pyproject.toml, applied: skip, saying why, where a test cannot run."""
    import os

    if item.get_closest_marker("root"):
        needs_switch()
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}; apt-get install chromium)")


def needs_switch():
    """Skip (saying why) a test of the user switch where the suite cannot use it."""
    import os

    if os.geteuid() != 0:
        pytest.skip("the user switch needs root")
    if NO_SWITCH:
        pytest.skip(f"no interpreter the sandbox user can run: {NO_SWITCH}")


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
    """os.environ as Gradescope's would be: no development switch-off, and no PYTHONPATH leading
    the installed zip to a checkout's grader instead of its own."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_SANDBOX", "PYTHONPATH")}
    env.update(extra)
    return env


# The suite must leave the checkout exactly as it found it: every tracked
# file's bytes and mode, and the modes of the folders that hold them. A
# grader that chmods an instructor's checkout has broken trust.
_CHECKOUT_BEFORE = None


def _checkout_state():
    import hashlib
    import os
    import stat
    import subprocess

    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout: nothing to compare against
    state = {}
    for name in filter(None, listed.decode().split("\0")):
        path = REPO / name
        for folder in [p for p in path.parents if REPO in p.parents or p == REPO]:
            state[str(folder)] = stat.S_IMODE(os.stat(folder).st_mode)
        try:
            state[name] = (stat.S_IMODE(os.lstat(path).st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError as error:
            state[name] = str(error)
    return state


def pytest_sessionstart(session):
    global _CHECKOUT_BEFORE
    _CHECKOUT_BEFORE = _checkout_state()


def pytest_sessionfinish(session, exitstatus):
    after = _checkout_state()
    if _CHECKOUT_BEFORE is None or after is None or after == _CHECKOUT_BEFORE:
        return
    changed = sorted(k for k in set(after) | set(_CHECKOUT_BEFORE) if after.get(k) != _CHECKOUT_BEFORE.get(k))
    print(f"\nFAILED: the suite changed the checkout (bytes or modes): {', '.join(changed[:10])}", file=sys.stderr)
    session.exitstatus = 1
