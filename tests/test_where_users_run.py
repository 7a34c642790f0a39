"""Grading where users run it: root with the user switch, submissions anywhere, the caller's files untouched."""

import hashlib
import json
import os
import shutil
import stat

import pytest

from conftest import REFERENCE_SGD_PATH, REPO
from grader import cli
from grader.boundary import staging
from grader.boundary.privileges import SandboxUser, launcher
from grader.boundary.sandbox import Sandbox
from grader.boundary.spawners import ExecSpawner, ForkServer, WorkerStartFailed
from grader.config import Limits
from grader.instructor.gradescope import run as run_gradescope

EXAMPLE = REPO / "examples" / "word2vec.py"
# Printed at import, so the report shows who ran the submission and from where.
WHO = (
    "\nimport os as _os, sys as _sys\nprint('worker uid', _os.getuid(), 'grader at', _sys.modules['grader'].__file__)\n"
)


def _private_submission(tmp_path, source):
    """tmp_path/private/word2vec.py, the reference sgd.py beside it, readable by root alone."""
    folder = tmp_path / "private"
    folder.mkdir()
    path = folder / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    path.chmod(0o600)
    sgd = folder / "sgd.py"
    sgd.write_text(REFERENCE_SGD_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    sgd.chmod(0o600)
    folder.chmod(0o700)
    tmp_path.chmod(0o700)
    return path


def _tree_state(top):
    """Mode and content hash of every file and folder under ``top``."""
    state = {}
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".git", ".pytest_cache") and not d.endswith(".egg-info")]
        state[folder] = stat.S_IMODE(os.stat(folder).st_mode)
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                state[path] = (stat.S_IMODE(os.lstat(path).st_mode), hashlib.sha256(handle.read()).hexdigest())
    return state


@pytest.mark.parametrize("spawner", [ForkServer, ExecSpawner])
@pytest.mark.root
def test_a_submission_in_a_private_folder_grades_as_the_sandbox_user(tmp_path, grade, reference_source, spawner):

    path = _private_submission(tmp_path, reference_source + WHO)
    before = _tree_state(tmp_path)
    user = launcher()
    assert isinstance(user, SandboxUser), "as root the worker must switch users"
    server = spawner().start()
    try:
        run = grade(path, launcher=user, spawner=server)
    finally:
        server.close()
    assert run.score == run.max_score, run.summary
    assert f"worker uid {user.uid} " in run.printed
    assert _tree_state(tmp_path) == before, "grading changed the caller's folder"


@pytest.mark.root
def test_the_grader_code_is_staged_when_the_sandbox_user_cannot_read_it(tmp_path, grade, reference_source, monkeypatch):
    """An exec'd worker imports the grader's worker modules; a checkout in a private home must not matter."""

    import grader.boundary.privileges

    real = grader.boundary.privileges.reachable
    package = str(REPO / "grader")
    monkeypatch.setattr(grader.boundary.privileges, "reachable", lambda p: not str(p).startswith(package) and real(p))
    server = ExecSpawner().start()
    run = grade(_private_submission(tmp_path, reference_source + WHO), launcher=launcher(), spawner=server)
    assert run.score == run.max_score, run.summary
    assert "grader-staged-" in run.printed, run.printed


@pytest.mark.root
def test_staged_copies_are_removed_when_the_worker_ends(tmp_path, reference_source):

    user = launcher()
    with Sandbox(_private_submission(tmp_path, reference_source), Limits(), user) as sandbox:
        assert sandbox.check_import().ok
        staged, scratch = user.staging.top, user.scratch
        assert staged.is_dir() and os.path.isdir(scratch)
        assert stat.S_IMODE(staged.stat().st_mode) == 0o750 and staged.stat().st_uid == 0
    assert not staged.exists() and not os.path.exists(scratch)


@pytest.mark.root
def test_a_submission_the_grader_cannot_read_is_a_grader_error(tmp_path, monkeypatch, capsys):
    """Never "your file could not be imported" for the grader's own trouble (root reads it for the worker)."""

    def unreadable(cls, path):
        raise staging.SubmissionUnreadable(f"the grader could not read the submission {path}: Permission denied")

    monkeypatch.setattr(staging.Snapshot, "read", classmethod(unreadable))
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "submission" / "word2vec.py")
    run_gradescope(tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []
    assert "internal error" in results["output"] and "imported" not in results["output"]

    assert cli.main(["local", str(tmp_path / "submission" / "word2vec.py")]) == 2
    err = capsys.readouterr().err
    assert "could not read the submission" in err and "imported" not in err and "Traceback" not in err


def test_snapshot_reads_the_submission_and_its_helper_modules(tmp_path):
    (tmp_path / "word2vec (1).py").write_text("import helpers\n")
    (tmp_path / "helpers.py").write_text("x = 1\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "__init__.py").write_text("")
    (tmp_path / "mine" / "maths.py").write_text("y = 2\n")
    (tmp_path / "utils").mkdir()  # the course's: the worker brings its own
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "data").mkdir()  # not a package
    (tmp_path / "data" / "big.py").write_text("z = 3\n")
    (tmp_path / "notes.txt").write_text("not python\n")
    (tmp_path / "link.py").symlink_to("/etc/passwd")
    snapshot = staging.Snapshot.read(tmp_path / "word2vec (1).py")
    assert snapshot.name == "word2vec (1).py"
    assert set(snapshot.files) == {"word2vec (1).py", "helpers.py", "mine/__init__.py", "mine/maths.py"}
    with pytest.raises(WorkerStartFailed, match="could not read the submission"):
        staging.Snapshot.read(tmp_path / "missing.py")


@pytest.mark.root
def test_a_helper_package_beside_the_submission_is_importable_under_the_switch(tmp_path, grade, reference_source):

    path = _private_submission(tmp_path, "from mine.maths import *\n")
    (path.parent / "mine").mkdir()
    (path.parent / "mine" / "__init__.py").write_text("")
    (path.parent / "mine" / "maths.py").write_text(reference_source)
    run = grade(path, launcher=launcher())
    assert run.score == run.max_score, run.summary


@pytest.mark.root
def test_gradescope_mode_never_changes_a_checkout(tmp_path, capsys):
    """lock_down() closes the installation only where setup.sh put it; the checkout is the instructor's."""
    watched = [REPO / "reference", REPO / "grader", REPO / "student_template"]
    before = {str(top): _tree_state(top) for top in watched}
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "submission" / "word2vec.py")
    tmp_path.chmod(0o750)
    run_gradescope(tmp_path)
    assert {str(top): _tree_state(top) for top in watched} == before
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750, "a caller's --root was opened up"
    assert json.loads((tmp_path / "results" / "results.json").read_text())["tests"]
    assert "nothing of it is locked down" in capsys.readouterr().out  # reported, not hidden


@pytest.mark.root
def test_earlier_results_in_the_metadata_are_closed_to_the_submission(readable_folder):
    """submission_metadata.json holds earlier results.json, hidden tests included."""

    tmp_path = readable_folder  # as /autograder is: every user may pass through it
    (tmp_path / "submission").mkdir()
    secret = "HIDDEN-RESULT-OF-AN-EARLIER-RUN"
    (tmp_path / "submission_metadata.json").write_text(
        json.dumps({"previous_submissions": [{"results": {"tests": [{"output": secret}]}}]})
    )
    (tmp_path / "submission_metadata.json").chmod(0o644)
    reader = f"\nprint(open({str(tmp_path / 'submission_metadata.json')!r}).read())\n"
    (tmp_path / "submission" / "word2vec.py").write_text(EXAMPLE.read_text() + reader)
    run_gradescope(tmp_path)
    results = (tmp_path / "results" / "results.json").read_text()
    assert secret not in results
    assert stat.S_IMODE((tmp_path / "submission_metadata.json").stat().st_mode) == 0o600


DEEP = """
import os as _os
_top = _os.getcwd()
for _ in range(1900):
    _os.mkdir("a")
    _os.chdir("a")
_os.chdir(_top)
"""


@pytest.mark.root
def test_a_scratch_folder_thousands_of_levels_deep_is_cleaned_and_costs_nothing(tmp_path, grade, reference_source):
    """A submission shapes its scratch folder; cleaning it must neither fail the run nor leave copies behind."""

    user = launcher()
    run = grade(_private_submission(tmp_path, reference_source + DEEP), hidden=True, launcher=user)
    assert run.score == run.max_score and not run.internal_error, run.summary
    assert not staging.stale("grader-worker-", lambda uid, gid: uid == user.uid)
    assert not staging.stale(staging.STAGED_PREFIX, lambda uid, gid: uid == 0 and gid == user.gid)


@pytest.mark.root
def test_copies_left_by_a_killed_grader_are_swept_before_the_next_worker(tmp_path, grade, reference_source):

    user = launcher()
    shared = staging.shared_temp_folder()
    left = os.path.join(shared, f"{staging.STAGED_PREFIX}left-by-a-killed-run-{os.getpid()}")  # one per suite
    os.makedirs(os.path.join(left, "submission"))
    os.chown(left, 0, user.gid)
    grade(_private_submission(tmp_path, reference_source), launcher=user)
    assert not os.path.exists(left)


def test_a_worker_that_cannot_read_the_graders_code_is_a_grader_error(tmp_path, monkeypatch, reference_source):
    """A broken install is the grader's trouble: WorkerStartFailed, never an import failure of the submission."""
    import grader.boundary.privileges
    import grader.boundary.spawners

    copy = tmp_path / "install"
    shutil.copytree(REPO / "grader", copy / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "grader" / "protocol" / "standins.py").write_text("raise ImportError('a broken install')\n")
    monkeypatch.setattr(grader.boundary.spawners, "GRADER_PARENT", str(copy))
    monkeypatch.setattr(grader.boundary.privileges, "GRADER_PARENT", str(copy))
    path = _private_submission(tmp_path, reference_source)
    with pytest.raises(WorkerStartFailed, match="failed before it imported the submission"):
        with Sandbox(path, Limits(), launcher(required=False), ExecSpawner()) as sandbox:
            sandbox.check_import()
