"""The portable worker (Windows' path, and anywhere without fork or rlimits), forced on Linux.

Every test here grades through ``GRADER_WORKER=portable``: the same
submissions must earn the same scores as on the Linux path, the limits it
keeps from outside must hold, and the grader must choose it by itself on a
system that lacks what the other paths need. That system is imitated by a
prelude that takes fork, killpg, setsid, resource, fcntl, pwd and grp away
from the trusted process and from the worker before anything is imported.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import REFERENCE_PATH, REFERENCE_SGD_PATH, REPO
from reference.alternatives import ALTERNATIVES, assemble_files
from reference.mutants import MUTANTS, mutate_files

SEED = 1234
TEMPLATE = REPO / "student_template" / "word2vec.py"
EXAMPLE = REPO / "examples" / "word2vec.py"

# A system without the POSIX calls the fork server, the rlimits and the user
# switch need, as Windows is: run first in the grader and in its worker.
WITHOUT_POSIX = """
import os, sys
for name in ("fork", "forkpty", "killpg", "setsid", "geteuid"):
    if hasattr(os, name):
        delattr(os, name)
class NotHere:
    def find_spec(self, name, path=None, target=None):
        if name in ("resource", "fcntl", "pwd", "grp", "termios"):
            raise ModuleNotFoundError("No module named %r (imitating a system without it)" % name, name=name)
sys.meta_path.insert(0, NotHere())
for name in ("resource", "fcntl", "pwd", "grp", "termios"):
    sys.modules.pop(name, None)
"""


@pytest.fixture
def portable(monkeypatch):
    monkeypatch.setenv("GRADER_WORKER", "portable")


def scores(run):
    return [(t.number, t.score) for t in run.tests]


CASES = (
    [pytest.param(lambda files, m=m: mutate_files(files, m), id=f"mutant-{m.name}") for m in MUTANTS]
    + [pytest.param(lambda files, a=a: assemble_files(files, a), id=f"alternative-{a.name}") for a in ALTERNATIVES]
    + [pytest.param(lambda files: files, id="reference")]
)


@pytest.mark.parametrize("make", CASES)
def test_the_portable_worker_scores_every_catalogued_submission_as_the_linux_path_does(
    reference_files, write_files, tmp_path, grade, describe_tests, monkeypatch, make
):
    path = write_files(tmp_path, make(reference_files))
    linux = grade(str(path), seed=SEED, hidden=True)
    monkeypatch.setenv("GRADER_WORKER", "portable")
    portable = grade(str(path), seed=SEED, hidden=True)
    assert any("rlimits: missing: portable worker" in line for line in portable.layers), portable.layers
    differing = [t for t, (a, b) in zip(portable.tests, zip(scores(linux), scores(portable))) if a != b]
    assert scores(portable) == scores(linux), describe_tests(differing)


# The mutant catalogue is built from the reference at import, so each case
# above needs its own closure over the mutant: make sure they differ.
def test_the_cases_are_distinct_submissions(reference_files):
    made = [tuple(sorted(case.values[0](reference_files).items())) for case in CASES]
    assert len(set(made)) == len(made)


def test_a_memory_hog_is_ended_from_outside_and_costs_only_its_function(
    portable, reference_source, write_submission, tmp_path, grade
):
    hog = "\n_honest = sigmoid\ndef sigmoid(x):\n    hog = np.ones(2**29)\n    return _honest(x)\n"
    run = grade(str(write_submission(tmp_path, reference_source + hog)), seed=SEED)
    lost = {t.number for t in run.tests if t.score < t.max_score}
    assert lost and all(t.startswith("1.") for t in lost), lost
    first = next(t for t in run.tests if t.number == "1.1")
    assert "memory" in first.message and "MiB limit" in first.message, first.message


def test_an_endless_loop_is_ended_by_the_grader_s_clock(portable, reference_source, write_submission, tmp_path, grade):
    loop = "\ndef sigmoid(x):\n    while True:\n        pass\n"
    run = grade(str(write_submission(tmp_path, reference_source + loop)), seed=SEED)
    first = next(t for t in run.tests if t.number == "1.1")
    assert first.score == 0 and "did not return within" in first.message, first.message
    assert all(t.score == t.max_score for t in run.tests if not t.number.startswith("1."))


def test_what_the_submission_prints_is_kept_apart_from_the_protocol(
    portable, reference_source, write_submission, tmp_path, grade
):
    noisy = '\nimport sys\nprint("LOOK" * 10)\nsys.stdout.write("\\x00\\x00\\x00\\x10{}")\nsys.stdout.flush()\n'
    run = grade(str(write_submission(tmp_path, reference_source + noisy)), seed=SEED)
    assert run.score == run.max_score


def grade_without_posix(path, *arguments):
    """``python -m grader local PATH`` on a Linux that looks like Windows to the grader and its worker."""
    prelude = WITHOUT_POSIX + (
        "import grader.boundary.portable as portable\n"
        f"portable.WORKER_BOOT = {WITHOUT_POSIX!r} + portable.WORKER_BOOT\n"
        "import runpy\n"
        "sys.argv = ['grader', 'local', *sys.argv[1:]]\n"
        "runpy.run_module('grader', run_name='__main__')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    return subprocess.run(
        [sys.executable, "-c", prelude, str(path), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [(REFERENCE_PATH, "full"), (TEMPLATE, 0), (EXAMPLE, "partial")],
    ids=["reference", "template", "example"],
)
def test_without_fork_or_rlimits_the_grader_chooses_the_portable_worker_by_itself(path, expected):
    done = grade_without_posix(path, "--format", "json", "-v")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    score, total = report["score"], sum(t["max_score"] for t in report["tests"])
    assert {"full": score == total, 0: score == 0, "partial": 0 < score < total}[expected], (score, total)
    assert "portable worker (Linux has no fork, killpg, setsid, resource, fcntl)" in done.stderr, done.stderr
    assert "user switch: missing: Linux has no user switch" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def local_reference(cwd, worker):
    """``python -m grader local`` of the reference with GRADER_WORKER=``worker``."""
    return subprocess.run(
        [sys.executable, "-m", "grader", "local", str(REFERENCE_PATH)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, GRADER_WORKER=worker),
    )


def test_an_unknown_worker_name_is_a_clear_error(tmp_path):
    done = local_reference(tmp_path, "windows")
    assert done.returncode == 2, done.stderr
    assert "GRADER_WORKER is 'portable' or 'auto'; 'windows' is neither" in done.stderr
    assert "Traceback" not in done.stderr


HOG = "import time\nheld = b'x' * (300 * 2**20)\ntime.sleep(60)\n"  # 300 MiB, every page written


@pytest.mark.parametrize("kind", ["portable", "exec"])
def test_the_memory_watch_ends_a_process_over_its_limit(kind):
    from grader.boundary.portable import PortableProcess
    from grader.boundary.spawners import ExecProcess

    popen = subprocess.Popen([sys.executable, "-c", HOG], start_new_session=True)
    process = (PortableProcess if kind == "portable" else ExecProcess)(popen, 100 * 2**20)
    try:
        code = process.wait(timeout=30)
    finally:
        popen.kill()
        popen.wait()
    assert code == -9 and process.over_memory is not None and process.over_memory > 100 * 2**20


def test_a_process_under_its_limit_is_left_alone():
    from grader.boundary.portable import PortableProcess

    popen = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"], start_new_session=True)
    process = PortableProcess(popen, 100 * 2**20)
    assert process.wait(timeout=30) == 0 and process.over_memory is None


def test_an_execd_worker_is_watched_only_where_the_kernel_ignores_its_memory_limit(monkeypatch):
    from grader.boundary import spawners

    config = {"limits": {"memory_bytes": 2**29}}
    assert spawners.watched_memory(config) is None  # Linux enforces RLIMIT_AS
    monkeypatch.setattr(spawners, "RLIMIT_AS_ENFORCED", False)
    assert spawners.watched_memory(config) == 2**29


def test_local_says_plainly_which_protections_are_missing(tmp_path):
    done = local_reference(tmp_path, "portable")
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "fewer protections than on Gradescope" in line]
    assert len(said) == 1, done.stderr
    assert "no resource limits, no file isolation, no network isolation" in said[0], said
    assert "python -m grader local -v says why" in said[0]


def test_the_memory_watch_follows_only_a_plausible_pid_the_worker_gave_at_boot():
    from grader.boundary.portable import MemoryWatch

    popen = subprocess.Popen([sys.executable, "-c", "pass"])
    watch = MemoryWatch(popen, 2**30, lambda: None)
    for junk in (True, -1, 0, "123", None, 2.5):
        watch.follow(junk)
        assert watch.pid == popen.pid, junk
    watch.follow(popen.pid + 1)
    assert watch.pid == popen.pid + 1
    watch.stop()
    popen.wait()


def test_a_report_with_characters_the_output_encoding_lacks_is_escaped_not_a_traceback(tmp_path):
    source = REFERENCE_PATH.read_text(encoding="utf-8") + '\nprint("\\u2192 \\u03c3(x) \\u2713")\n'
    (tmp_path / "word2vec.py").write_text(source, encoding="utf-8")
    (tmp_path / "sgd.py").write_text(REFERENCE_SGD_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", "word2vec.py"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        env=dict(os.environ, PYTHONIOENCODING="cp1252", GRADER_WORKER="portable"),
    )
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert b"Traceback" not in done.stderr


# At import, the worker's own request loop is patched: after one answer it
# never reads again, so a request bigger than a pipe holds stalls its writer.
STOPS_READING = """
import sys as _sys, time as _time
_serve = _sys.modules["grader.worker.serve"]
_receive = _serve.Channel.receive
_answered = []
def _receive_once(self):
    if _answered:
        _time.sleep(3600)
    _answered.append(1)
    return _receive(self)
_serve.Channel.receive = _receive_once
"""


@pytest.mark.parametrize("worker", ["auto", "portable"])
def test_a_worker_that_stops_reading_cannot_hold_the_grader(
    reference_source, write_submission, tmp_path, monkeypatch, worker
):
    import threading
    from dataclasses import replace

    from grader import config
    from grader.boundary.sandbox import Sandbox, WorkerLost
    from grader.protocol import wire

    monkeypatch.setenv("GRADER_WORKER", worker)
    path = write_submission(tmp_path, reference_source + STOPS_READING)
    limits = replace(config.load().limits, call_seconds=2)
    small = [{"args": [wire.encode_input(0.5)]}]
    large = [{"args": [wire.encode_input(__import__("numpy").linspace(-1, 1, 2**18))]}]  # 2 MiB as text
    outcome = {}

    def grade():
        with Sandbox(path, limits) as sandbox:
            outcome["first"] = sandbox.request("sigmoid", small)
            try:
                sandbox.request("sigmoid", large)
            except WorkerLost as lost:
                outcome["lost"] = lost

    grading = threading.Thread(target=grade, daemon=True)
    grading.start()
    grading.join(120)  # a guard against a hang, not a timing
    assert not grading.is_alive(), "the grader is still writing to a worker that stopped reading"
    assert "results" in outcome["first"]
    assert outcome["lost"].kind == "timeout" and "sigmoid did not return within 2 s" in outcome["lost"].detail


def test_memory_held_by_a_child_process_counts_against_the_worker(
    portable, reference_source, write_submission, tmp_path, grade
):
    child = (
        "\nimport subprocess as _subprocess, sys as _sys, time as _time\n"
        "_honest = sigmoid\n"
        "def sigmoid(x):\n"
        "    _subprocess.Popen([_sys.executable, '-c', \"held = b'x' * (800 * 2**20); import time; time.sleep(60)\"])\n"
        "    _time.sleep(5)\n"
        "    return _honest(x)\n"
    )
    run = grade(str(write_submission(tmp_path, reference_source + child)), seed=SEED)
    first = next(t for t in run.tests if t.number == "1.1")
    assert first.score == 0 and "MiB limit" in first.message, first.message
    assert all(t.score == t.max_score for t in run.tests if not t.number.startswith("1."))
