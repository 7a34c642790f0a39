"""Hostile submissions against the installed autograder, run as Gradescope runs it.

The zip is built and installed once (setup.sh over /usr/bin/python3, as
root, like Gradescope's image); then each attack in tests/hostile/ becomes
ROOT/submission/word2vec.py and ROOT/run_autograder grades it as root. Every
attack must leave a genuine results.json whose score is what its code earns
honestly, within the time budget, with nothing of the sandbox user still
running and the installation unchanged. Each attack also runs through
PrairieLearn's entry point, ``python -m grader prairielearn`` over the same
installation, which grades the public suite only (see run_prairielearn).

A submission is the reference solution, then tests/hostile/_prelude.py (the
attacks' shared helpers), then optionally _wrong_answers.py (constant wrong
outputs: the honest baseline of the cheating attacks), then the attack. Later
definitions replace earlier ones, so an attack overrides only the functions it
names. Attacks leave evidence in MARKERS: BREACH-* when a step that must be
impossible worked (the test fails and shows it), tried-* when it was refused.
"""

import hashlib
import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REFERENCE_PATH, REPO
from grader import registry
from grader.boundary import uids

HOSTILE = Path(__file__).resolve().parent / "hostile"
# The attacks name ATTACK_MARKERS; each session's runs write to a folder of its
# own, so that two suites on one machine never read each other's evidence.
ATTACK_MARKERS = "/tmp/w2v-hostile-markers"
MARKERS = Path(f"{ATTACK_MARKERS}-{os.getpid()}")
FORGERY = "HOSTILE" + "-" + "FORGERY"
SYSTEM_PYTHON = "/usr/bin/python3"  # Gradescope's image grades with its system python3
SANDBOX_USERS = ("grader-sandbox",)  # setup.sh makes it; runs hold it or a pool uid (grader.boundary.uids)
FUNCTIONS = registry.tags()
RUN_TIMEOUT = 120  # seconds: the subprocess limit, far above the budget
RUN_BUDGET = 60  # seconds: what the grader's own limits must keep a hostile run under
SETTLE = 1.0  # seconds: nothing may change in results/ or the markers after the run
MAX_RESULTS_BYTES = 1_000_000
MAX_STDOUT_BYTES = 2_000_000

# It installs the autograder as Gradescope does: setup.sh, the grader-sandbox
# user and grading as root.
pytestmark = [pytest.mark.root, pytest.mark.slow]

FULL, ZERO = "full marks", "zero"


def expect(default=FULL, **functions):
    """Per-function outcome: FULL (every test of that function passes) or ZERO (no point)."""
    return {name: functions.get(name, default) for name in FUNCTIONS}


@dataclass(frozen=True)
class Attack:
    file: str  # in tests/hostile/; None: no attack, only the base
    expected: dict  # function tag -> FULL or ZERO: what the code earns honestly
    on_wrong: bool = False  # built on _wrong_answers.py (cheating attempts) instead of correct code
    why: str = ""

    @property
    def name(self):
        return (self.file or "control_wrong_answers.py").removesuffix(".py")


# The expected outcome of each attack, as data. FULL/ZERO is what the code
# earns honestly: the reference's functions score full marks, a function the
# attack breaks (exits, hangs, crashes, returns junk) scores zero, and wrong
# answers score zero whatever they patch or forge. The attacks are in
# word2vec.py; sgd.py beside it is the reference's, so sgd scores full marks
# unless the attack keeps the submission from importing or breaks the worker
# sgd runs in (numpy patched).
ATTACKS = [
    Attack(
        None,
        expect(ZERO, sgd=FULL),
        on_wrong=True,
        why="the honest baseline of every on_wrong attack: constant wrong outputs earn nothing",
    ),
    Attack(
        "forge_results_at_import.py",
        expect(FULL),
        why="results/ is not writable by the sandbox user, and the grader writes results.json last",
    ),
    Attack("exit_sys_at_import.py", expect(ZERO), why="the import fails: every test scores 0"),
    Attack("exit_os_at_import.py", expect(ZERO), why="the import fails: every test scores 0"),
    Attack("exit_sys_in_call.py", expect(neg_sampling=ZERO), why="only negSampling exits"),
    Attack("exit_os_in_call.py", expect(naive_softmax=ZERO), why="only naiveSoftmax exits"),
    Attack("atexit_forge.py", expect(FULL), why="correct code; the atexit hook and its child are powerless"),
    Attack("signal_forge.py", expect(FULL), why="correct code; the worker is ended by SIGKILL"),
    Attack(
        "monkeypatch_numpy.py",
        expect(ZERO),
        on_wrong=True,
        why="patches live in the worker; the verdict is computed in the trusted process (sgd.py fails on them)",
    ),
    Attack(
        "monkeypatch_unittest.py",
        expect(ZERO, sgd=FULL),
        on_wrong=True,
        why="patches live in the worker; the verdict is computed in the trusted process",
    ),
    Attack(
        "subclass_always_equal.py",
        expect(ZERO, sgd=FULL),
        why="only plain float64 bytes cross the boundary, so the zeros are judged as zeros",
    ),
    Attack("pickle_reduce.py", expect(sigmoid=ZERO), why="sigmoid returns an object; nothing is unpickled"),
    Attack(
        "reference_search.py",
        expect(ZERO, sgd=FULL),
        on_wrong=True,
        why="the reference is unreadable to the sandbox user, so the wrong answers stay",
    ),
    Attack(
        "kill_parent_and_everyone.py",
        expect(FULL),
        why="correct code; the grader runs as root, out of the sandbox user's reach",
    ),
    Attack("infinite_loop.py", expect(naive_softmax=ZERO), why="naiveSoftmax hangs once, then is skipped"),
    Attack(
        "infinite_loop_sigterm_ignored.py",
        expect(neg_sampling=ZERO),
        why="negSampling hangs once; SIGKILL cannot be ignored",
    ),
    Attack("sleep_at_import.py", expect(ZERO), why="the import limit (10 s) fails the import"),
    Attack("memory_hog.py", expect(sigmoid=ZERO), why="RLIMIT_AS makes the 4 GiB allocation fail"),
    Attack("spawn_daemon.py", expect(FULL), why="correct code; every process of the sandbox user is killed"),
    Attack("flood_output.py", expect(FULL), why="correct code; output is drained and only an excerpt kept"),
    Attack("close_fds_in_call.py", expect(skipgram=ZERO), why="skipgram cuts its own reply pipe"),
    Attack("segfault.py", expect(naive_softmax=ZERO), why="only naiveSoftmax crashes"),
    Attack("results_writer_thread.py", expect(FULL), why="correct code; results/ is not writable"),
    Attack(
        "symlink_results.py",
        expect(FULL),
        why="correct code; the link cannot be planted, and results.json is replaced, never followed",
    ),
    Attack("write_grader_tree.py", expect(FULL), why="correct code; the installation is read-only to it"),
    Attack("partly_hostile_skipgram.py", expect(skipgram=ZERO), why="only skipgram is hostile"),
    Attack(
        "fork_server_probe.py",
        expect(FULL),
        why="correct code; the forked worker holds no socket, no group and no way back to root",
    ),
]


def test_every_attack_file_is_in_the_table():
    files = {p.name for p in HOSTILE.glob("*.py") if not p.name.startswith("_")}
    listed = {a.file for a in ATTACKS if a.file}
    assert files == listed, f"not in ATTACKS: {sorted(files - listed)}; missing files: {sorted(listed - files)}"
    for path in HOSTILE.glob("*.py"):
        first = path.read_text().splitlines()[0]
        assert first.startswith('"""') and first.endswith('"""'), f"{path.name}: start with a one-line docstring"


def submission_source(attack):
    parts = [REFERENCE_PATH, HOSTILE / "_prelude.py"]
    if attack.on_wrong:
        parts.append(HOSTILE / "_wrong_answers.py")
    if attack.file:
        parts.append(HOSTILE / attack.file)
    return "\n\n".join(p.read_text(encoding="utf-8") for p in parts).replace(ATTACK_MARKERS, str(MARKERS))


# -- processes ---------------------------------------------------------------------


def _processes():
    """pid -> (uid, command line) for every live process /proc shows.

    Zombies are dead (killed, waiting only for init to reap them): they run
    no code and hold no memory, so they are not leftovers.
    """
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            found[int(entry)] = (uid, command or f"(no command line; state {state.decode()})")
    return found


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


def run_uid(staff_log):
    """The sandbox uid a run held, from the protections its staff log lists; None if it names none."""
    for line in staff_log.decode(errors="replace").splitlines():
        if line.strip().startswith("user switch: runs as "):
            name = line.split("runs as ", 1)[1].split(",")[0].split(" (")[0]
            if name.startswith("uid "):
                return int(name[4:])
            try:
                return pwd.getpwnam(name).pw_uid
            except KeyError:
                return None
    return None


def leftovers(installed, uid):
    """Processes the attack may have left: its run's sandbox uid's, or anything naming the installation.

    Another grading run may take the same uid once this one has ended, so a
    process of the uid that runs some other installation's grader is not ours;
    nor is another suite's attack, run from its own installation.
    """
    mine = _ancestors()

    def ours(owner, command):
        foreign = "/autograder-hostile-" in command.replace(str(installed.root), "")
        return (
            str(installed.root) in command
            or ("w2v-hostile" in command and not foreign)
            or (owner == uid and "grader" not in command)
        )

    return {
        pid: (owner, command)
        for pid, (owner, command) in _processes().items()
        if pid not in mine and pid not in installed.preexisting and ours(owner, command)
    }


def kill_leftovers(installed, uid=None):
    """The suite's own clean-up, whatever the grader did: never leave an attack running."""
    for _ in range(50):
        found = leftovers(installed, uid)
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


# -- the installation ----------------------------------------------------------------


def snapshot(root):
    """relative path -> (kind, content digest or link target, owner) for the installed tree."""
    entries = {}
    tops = [root / "source", root / "venv", root / "run_autograder"]
    for top in tops:
        paths = [top] if not top.is_dir() else []
        for folder, dirs, files in os.walk(top):
            paths.extend(Path(folder) / name for name in dirs + files)
        for path in paths:
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(info.st_mode):
                value = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                value = ("dir", "")
            elif stat.S_ISREG(info.st_mode):
                value = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                value = ("other", "")
            entries[str(path.relative_to(root))] = (value, info.st_uid)
    return entries


def installation_changes(before, after):
    """What changed, except bytecode root itself compiled (new files under __pycache__ owned by root)."""
    changes = []
    for path, (value, _) in before.items():
        if path not in after:
            changes.append(f"removed {path}")
        elif after[path][0] != value:
            changes.append(f"changed {path}")
    for path, (_value, uid) in after.items():
        if path not in before and not ("__pycache__" in Path(path).parts and uid == 0):
            changes.append(f"added {path} (owner uid {uid})")
    return changes


def _environment(**extra):
    """This environment without anything that would steer the grader or Python (GRADER_*, PYTHON*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHON", "VIRTUAL_ENV", "PYTEST"))}
    env.update(extra)
    return env


@dataclass
class Installed:
    root: Path
    env: dict
    sandbox_uids: set
    preexisting: set
    baseline_tests: list  # (number, name, max_score, tags) of the reference's results
    before: dict  # snapshot of the installation


def _system_python_makes_venvs():
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    probe = tempfile.mkdtemp(prefix="venv-probe-")
    try:
        return (
            subprocess.run([SYSTEM_PYTHON, "-m", "venv", probe + "/v"], capture_output=True, timeout=120).returncode
            == 0
        )
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _reset_markers():
    shutil.rmtree(MARKERS, ignore_errors=True)
    MARKERS.mkdir()
    os.chmod(MARKERS, 0o1777)


def run_autograder(installed, source, without=""):
    """Fresh submission/ and results/, then ROOT/run_autograder as root from ROOT; (completed, seconds).

    ``without``: GRADER_WITHOUT for the run, the layers to turn off; or
    "portable", the portable worker (GRADER_WORKER), which has none of them
    but the user switch and the cleanup.
    """
    root = installed.root
    env = (
        dict(installed.env, GRADER_WORKER="portable")
        if without == "portable"
        else dict(installed.env, GRADER_WITHOUT=without)
    )
    return _run_as_root(installed, "submission", source, [str(root / "run_autograder")], root, env)


def run_prairielearn(installed, source):
    """Fresh student/ and results/, then ``python -m grader prairielearn --root ROOT`` as root from /.

    The installation stands in for PrairieLearn's /grade: the entrypoint
    installs the grader into /grade/venv as setup.sh does into ROOT/venv, so
    the lock-down covers both alike.
    """
    root = installed.root
    command = [str(root / "venv" / "bin" / "python"), "-m", "grader", "prairielearn", "--root", str(root)]
    command += ["--config", str(root / "source" / "grader.yml")]
    return _run_as_root(installed, "student", source, command, "/", installed.env)


def _run_as_root(installed, folder, source, command, cwd, env):
    """ROOT/folder/word2vec.py (the reference sgd.py beside it) and an empty ROOT/results, then ``command``;
    (completed, seconds)."""
    root = installed.root
    for name in (folder, "results"):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / name).mkdir()
    (root / folder / "word2vec.py").write_text(source, encoding="utf-8")
    shutil.copy(REFERENCE_PATH.parent / "sgd.py", root / folder / "sgd.py")
    _reset_markers()
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        kill_leftovers(installed)
        pytest.fail(
            f"{Path(command[0]).name} did not finish within {RUN_TIMEOUT} s (subprocess limit); "
            f"stdout ends: {stdout[-2000:]!r}"
        )
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), time.monotonic() - started


def install_autograder(tmp_path_factory):
    """Build the zip and install it as Gradescope does; yields an Installed, then removes it.

    The session fixture ``installed`` (conftest.py) runs this once for every
    test module that grades with the installed autograder.
    """
    if not _system_python_makes_venvs():
        pytest.skip(f"{SYSTEM_PYTHON} cannot create a virtual environment here (setup.sh needs it)")
    dist = tmp_path_factory.mktemp("hostile-dist")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--out", str(dist)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every user must be able to traverse to the installation, as to /autograder:
    # pytest's tmp_path sits under a 0700 folder.
    root = Path(tempfile.mkdtemp(prefix="autograder-hostile-", dir="/tmp"))
    os.chmod(root, 0o755)
    try:
        with zipfile.ZipFile(dist / "autograder.zip") as archive:
            archive.extractall(root / "source")
        for name in ("setup.sh", "run_autograder"):
            os.chmod(root / "source" / name, 0o755)  # zipfile does not restore modes
        setup = subprocess.run(
            ["bash", str(root / "source" / "setup.sh")],
            capture_output=True,
            text=True,
            env=_environment(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=SYSTEM_PYTHON),
            timeout=900,
        )
        assert setup.returncode == 0, f"setup.sh failed:\n{setup.stdout}\n{setup.stderr}"
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        os.chmod(root / "run_autograder", 0o755)

        uids = set()
        for name in SANDBOX_USERS:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        assert uids, f"none of the sandbox users {SANDBOX_USERS} exists after setup.sh"
        preexisting = {pid for pid, (uid, _) in _processes().items() if uid in uids}
        installed = Installed(
            root,
            {
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root",
                "LANG": "C.UTF-8",
                "AUTOGRADER_ROOT": str(root),
            },
            uids,
            preexisting,
            [],
            {},
        )

        # The reference, graded once: the tests every hostile run must list, and
        # root's own bytecode compiled before the installation is fingerprinted.
        graded, seconds = run_autograder(installed, REFERENCE_PATH.read_text(encoding="utf-8"))
        results = json.loads((root / "results" / "results.json").read_text())
        assert results.get("score") == 110 and results.get("tests"), (
            f"the installed grader does not give the reference 110 (got {results.get('score')}):\n"
            f"{graded.stdout.decode(errors='replace')[-3000:]}\n{graded.stderr.decode(errors='replace')[-3000:]}"
        )
        installed.baseline_tests = [_identity(t) for t in results["tests"]]
        installed.before = snapshot(root)
        yield installed
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(MARKERS, ignore_errors=True)


def _identity(test):
    return (test.get("number"), test.get("name"), test.get("max_score"), tuple(test.get("tags") or ()))


def _scores_by_function(tests):
    totals = {}
    for t in tests:
        tag = (t.get("tags") or ["?"])[0]
        got, out_of = totals.get(tag, (0.0, 0.0))
        totals[tag] = (got + float(t.get("score", 0)), out_of + float(t.get("max_score", 0)))
    return totals


def _markers():
    """name -> content of every marker the attack left."""
    found = {}
    for path in sorted(MARKERS.iterdir()) if MARKERS.is_dir() else []:
        try:
            found[path.name] = path.read_text(errors="replace")[:20000] if path.is_file() else "(not a file)"
        except OSError as exc:
            found[path.name] = f"(unreadable: {exc})"
    return found


def _sizes(prefix):
    return {p.name: p.stat().st_size for p in MARKERS.glob(prefix + "*")} if MARKERS.is_dir() else {}


def _read_results(path, problems):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        problems.append("results/results.json does not exist")
        return None, b""
    if stat.S_ISLNK(info.st_mode):
        problems.append(f"results/results.json is a symlink to {os.readlink(path)}")
        return None, b""
    if not stat.S_ISREG(info.st_mode):
        problems.append("results/results.json is not a regular file")
        return None, b""
    raw = path.read_bytes()
    if len(raw) > MAX_RESULTS_BYTES:
        problems.append(f"results.json has {len(raw)} bytes (over {MAX_RESULTS_BYTES})")
    try:
        return json.loads(raw), raw
    except ValueError as exc:
        problems.append(f"results.json is not JSON: {exc}: {raw[:300]!r}")
        return None, raw


# With every layer, and without Landlock: Landlock alone would refuse most of
# these attacks (and their evidence markers), so the run without it shows that
# the user switch, the file modes and the rest hold on their own. The portable
# worker (Windows' path) keeps only the user switch, the cleanup and the limits
# the trusted side enforces from outside: they must hold these attacks too.
@pytest.mark.parametrize(
    "without", ["", "landlock", "portable"], ids=["all-layers", "without-landlock", "portable-worker"]
)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_hostile_submission(installed, attack, without):
    graded = run_autograder(installed, submission_source(attack), without)
    check_attack(installed, attack, graded, gradescope_problems)


@pytest.fixture(scope="module")
def prairielearn_baseline(installed):
    """(name, max_points) of each test PrairieLearn lists for the reference, which scores 1."""
    graded, _seconds = run_prairielearn(installed, REFERENCE_PATH.read_text(encoding="utf-8"))
    results = json.loads((installed.root / "results" / "results.json").read_text())
    assert results.get("score") == 1.0 and results.get("tests"), graded.stdout.decode(errors="replace")[-3000:]
    return [(t["name"], t["max_points"]) for t in results["tests"]]


# The same attacks through PrairieLearn's entry point, which grades the public
# suite only: each function's expected outcome holds for its public tests.
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_hostile_submission_on_prairielearn(installed, prairielearn_baseline, attack):
    graded = run_prairielearn(installed, submission_source(attack))

    def problems(results, raw, attack, installed):
        return prairielearn_problems(results, raw, attack, installed, prairielearn_baseline)

    check_attack(installed, attack, graded, problems)


def _honest_by_function(got, attack, problems):
    """Each function's (score, out of) against what the attack's code earns; the honest total."""
    honest = 0.0
    for function, outcome in attack.expected.items():
        score, out_of = got.get(function, (0.0, 0.0))
        wanted = out_of if outcome == FULL else 0.0
        honest += wanted
        if abs(score - wanted) > 1e-9:
            problems.append(f"{function}: {score:g}/{out_of:g}, expected {outcome} ({wanted:g})")
    return honest


def gradescope_problems(results, raw, attack, installed):
    """What is wrong with Gradescope's results.json for ``attack``: forged, or not what its code earns."""
    problems = []
    tests = results.get("tests") or []
    if not tests:
        problems.append(f"results.json has no tests: {raw[:300]!r}")
    if [_identity(t) for t in tests] != installed.baseline_tests and tests:
        problems.append("the tests differ from the reference's run (forged or missing tests)")
    total_expected = _honest_by_function(_scores_by_function(tests), attack, problems)
    if not isinstance(results.get("score"), (int, float)) or abs(results["score"] - total_expected) > 1e-6:
        problems.append(f"score {results.get('score')!r}, expected the honest {total_expected:g}")
    elif tests and abs(results["score"] - sum(float(t.get("score", 0)) for t in tests)) > 1e-6:
        problems.append("the top-level score is not the sum of the tests")
    return problems


def prairielearn_problems(results, raw, attack, installed, baseline):
    """The same for PrairieLearn's results.json: per function over the public tests, the score a fraction."""
    problems = []
    tests = results.get("tests") or []
    if results.get("gradable") is not True:
        problems.append(f"gradable is {results.get('gradable')!r}, not true")
    if not tests:
        problems.append(f"results.json has no tests: {raw[:300]!r}")
    if [(t.get("name"), t.get("max_points")) for t in tests] != baseline and tests:
        problems.append("the tests differ from the reference's run (forged or missing tests)")
    function_of = {number: tags[0] for number, _name, _max, tags in installed.baseline_tests}
    got = {}
    for t in tests:
        function = function_of.get(str(t.get("name", "")).split(" ", 1)[0], "?")
        score, out_of = got.get(function, (0.0, 0.0))
        got[function] = (score + float(t.get("points", 0)), out_of + float(t.get("max_points", 0)))
    earned = _honest_by_function(got, attack, problems)
    out_of = sum(max_points for _name, max_points in baseline)
    fraction = round(earned / out_of, 6)
    if not isinstance(results.get("score"), float) or abs(results["score"] - fraction) > 1e-6:
        problems.append(f"score {results.get('score')!r}, expected the honest {fraction:g} ({earned:g}/{out_of:g})")
    return problems


def check_attack(installed, attack, graded, platform_problems):
    """Everything a hostile run must leave true, whatever the entry point; ``graded``: (completed, seconds).

    ``platform_problems(results, raw, attack, installed)`` checks the
    platform's results.json against what the attack's code earns honestly.
    """
    root = installed.root
    problems = []
    uid = held = None
    graded, seconds = graded
    try:
        uid = run_uid(graded.stdout)
        if uid is None:
            problems.append("the staff log does not say which sandbox uid the run held")
        else:
            # Hold the uid the run let go, so that no other grading run on the machine
            # takes it while this one looks for leftovers; if one already has, its
            # processes are not this run's, and only names tell this run's apart.
            held = uids._try_lock(os.path.join(uids.lock_folder(), f"uid-{uid}.lock"))
            uid = uid if held is not None else None
        left = leftovers(installed, uid)  # right away: the run is over
        heartbeats = _sizes("heartbeat")
        results, raw = _read_results(root / "results" / "results.json", problems)
        time.sleep(SETTLE)
        left_later = leftovers(installed, uid)
        heartbeats_later = _sizes("heartbeat")
        raw_later = (
            (root / "results" / "results.json").read_bytes() if (root / "results" / "results.json").is_file() else b""
        )
        markers = _markers()
    finally:
        kill_leftovers(installed, uid)
        if held is not None:
            held.close()

    if seconds > RUN_BUDGET:
        problems.append(
            f"the run took {seconds:.1f} s, over the {RUN_BUDGET} s budget the grader's own "
            "limits (import 10 s, call 5 s, run total) should keep it under"
        )
    if graded.returncode != 0:
        problems.append(f"the grader exited with status {graded.returncode}")
    if len(graded.stdout) > MAX_STDOUT_BYTES:
        problems.append(
            f"the grader printed {len(graded.stdout)} bytes: the submission's output reached "
            "the platform's log unbounded"
        )
    for name, pids in (("right after the run", left), (f"{SETTLE:g} s later", left_later)):
        if pids:
            problems.append(
                f"processes left {name}: "
                + "; ".join(f"pid {p} uid {u}: {c[:120]}" for p, (u, c) in sorted(pids.items()))
            )
    if heartbeats != heartbeats_later:
        problems.append(f"marker files still growing after the run: {heartbeats} -> {heartbeats_later}")
    if raw and raw_later != raw:
        problems.append("results.json changed after the grader had finished")
    breaches = {name: text for name, text in markers.items() if name.startswith("BREACH")}
    for name, text in breaches.items():
        problems.append(f"attack step succeeded: {name}: " + " | ".join(text.splitlines()[:5])[:600])
    target = MARKERS / "symlink-target"
    if target.is_file() and target.read_text(errors="replace") != "untouched\n":
        problems.append(f"the file behind the planted symlink was written: {target.read_text()[:200]!r}")
    changes = installation_changes(installed.before, snapshot(root))
    if changes:
        problems.append(f"the installation changed: {changes[:10]}")

    if results is not None:
        if FORGERY.encode() in raw:
            problems.append("results.json carries the attack's forged text")
        problems += platform_problems(results, raw, attack, installed)

    evidence = [f"attack {attack.name} ({attack.why}); run took {seconds:.1f} s"]
    evidence += [f"  - {p}" for p in problems]
    evidence.append("  markers:" + ("" if markers else " (none)"))
    for name, text in markers.items():
        lines = text.splitlines() or [""]
        evidence.append(f"    {name} ({len(lines)} line{'s' * (len(lines) != 1)}): {lines[0][:200]}")
    print("\n".join(evidence))  # what the attack tried, also on a pass (pytest -rP)
    if problems:
        if results is not None:
            evidence.append(f"  summary: {str(results.get('output', '')) or str(results.get('message', ''))}"[:800])
            for t in results.get("tests") or []:
                score, out_of = t.get("score", t.get("points")), t.get("max_score", t.get("max_points"))
                if score != out_of:
                    name = t.get("number", t.get("name"))
                    text = str(t.get("output", "")) or str(t.get("message", ""))
                    evidence.append(f"    {name} {score}/{out_of}: {text.strip()[:200]}")
        evidence.append(f"  stdout ends: {graded.stdout[-1500:].decode(errors='replace')}")
        evidence.append(f"  stderr ends: {graded.stderr[-1500:].decode(errors='replace')}")
        pytest.fail("\n".join(evidence), pytrace=False)
