"""What a submission can reach beyond its own worker, in every way the grader runs it.

Each attack class in tests/hostile/isolation/ is appended to the reference
solution with this test's ports, paths and secrets filled in ({{NAME}}), and
graded three ways: by ``python -m grader local`` as root, by the installed
run_autograder as Gradescope runs it, and by ``python -m grader batch``. Each
test says what must hold afterwards: nothing reached the network, no other
submission was read, no file and no process of a sandbox uid outlived its
run, and the reference's own functions still earned every point. The
attacks print what they managed (never a secret), and each test also checks
that its attack really ran, so that a pass is not an attack that did nothing.

Other root gradings may run on this machine at the same time: each holds a
sandbox uid of its own (grader.boundary.uids). So "no file or process of a
pool uid is left" is checked for the uids no run holds, while this test
holds them all, and by the attack's own names, whatever their uid.

Further down, layers are turned off (GRADER_WITHOUT, GRADER_FORK_SERVER=off)
to show that the others still hold, and that ``-v`` says which layer is
missing rather than pretending.
"""

import contextlib
import ctypes
import dataclasses
import html
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import test_hostile as hostile
from conftest import REFERENCE_PATH, REFERENCE_SGD_PATH, REPO, subprocess_environment
from grader.boundary import uids

ISOLATION = Path(__file__).resolve().parent / "hostile" / "isolation"
CONFIG = REPO / "grader.yml"
ATTACK, OTHER, HONEST = "attack", "other", "honest"  # submission folders: the attack, its target, a bystander
RUN_TIMEOUT = 300  # seconds: a safety limit on one grading command, far above what any takes
LISTEN_TIMEOUT = 0.5  # seconds: reading what already reached the listeners once the run is over
TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")  # where any user may leave files
SEARCH_DEPTH = 4  # world-writable folders inside those are searched this deep
LAYER_LABELS = ("user switch", "rlimits", "filesystem view", "network", "cleanup")
CHAIN_SHOWN = "the moving chain made 200+ generations; the setsid daemon is up"
WHOLE_RUBRIC = 110  # points of every test, public and hidden, as grader.yml sets them

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Landlock, seccomp and namespaces are Linux's"),
]

# Gradescope mode needs the zip built and installed once per session (conftest's `installed`): slow.
MODES = ["local", pytest.param("gradescope", marks=pytest.mark.slow), "batch"]


# -- the attacks ----------------------------------------------------------------------


def attack_source(name, **values):
    """The reference solution, then tests/hostile/isolation/NAME with each {{KEY}} replaced by its value."""
    text = (ISOLATION / name).read_text(encoding="utf-8")
    for key, value in values.items():
        assert "{{" + key + "}}" in text, f"{name} has no {{{{{key}}}}} to fill in"
        text = text.replace("{{" + key + "}}", str(value))
    unfilled = re.findall(r"\{\{[A-Z_]+\}\}", text)
    assert not unfilled, f"{name}: nothing given for {unfilled}"
    return reference_text() + "\n\n" + text


def reference_text():
    return REFERENCE_PATH.read_text(encoding="utf-8")


def write_reference_sgd(folder):
    """The reference sgd.py in ``folder``, readable by every user, as students submit it beside word2vec.py."""
    path = folder / "sgd.py"
    path.write_text(REFERENCE_SGD_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    path.chmod(0o644)


def new_secret():
    return f"SECRET-{uuid.uuid4().hex}"


def new_token():
    """A name for an attack's files and processes: unique, and short enough for a process name (15 bytes)."""
    return f"w2v{uuid.uuid4().hex[:10]}"


def write_submissions(folder, sources):
    """folder/ID/word2vec.py for each ID, the reference sgd.py beside it, readable by every user: only the
    grader's walls keep a worker out."""
    for name, source in sources.items():
        (folder / name).mkdir()
        (folder / name).chmod(0o755)
        path = folder / name / "word2vec.py"
        path.write_text(source, encoding="utf-8")
        path.chmod(0o644)
        write_reference_sgd(folder / name)


@pytest.fixture
def submissions(readable_folder):
    """An empty folder for write_submissions, under /tmp, that every user can read (and only root write)."""
    return readable_folder


# -- grading, three ways ----------------------------------------------------------------


@dataclass
class Run:
    """One grading command's outcome."""

    mode: str
    results: dict  # submission id -> its results.json object
    outputs: dict  # every text the run wrote (reports, logs, stdout, stderr), by name
    layers: dict = field(default_factory=dict)  # layer label -> what the run said of it (a batch may say several)

    def text(self):
        return "\n".join(self.outputs.values())

    def tail(self):
        return "\n".join(f"--- {name} ends:\n{text[-1500:]}" for name, text in self.outputs.items())


def environment(**extra):
    """The grading commands' environment: Gradescope's (no GRADER_* switch of the caller's), plus ``extra``."""
    env = {k: v for k, v in subprocess_environment().items() if not k.startswith("GRADER_")}
    env.update(extra)
    return env


def layers_shown(text):
    """Layer label -> [what it said] from each 'Protections in force around ...:' block in ``text``."""
    shown = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.lower().startswith("protections in force around"):
            for entry in lines[number + 1 :]:
                if not entry.startswith("  ") or ": " not in entry:
                    break
                label, _, value = entry.strip().partition(": ")
                shown.setdefault(label, []).append(value)
    return shown


def grade_local(submission, cwd, env):
    """python -m grader local FILE -v, as root with the suite's interpreter; the JSON report on stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", str(submission), "--config", str(CONFIG), "-v", "--format", "json"],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    try:
        results = json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"local printed no JSON report (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return Run("local", {ATTACK: results}, {"stdout": done.stdout, "stderr": done.stderr}, layers_shown(done.stderr))


def grade_gradescope(installed, submission, env):
    """ROOT/run_autograder on a copy of ``submission``, as Gradescope runs it; the staff log is its stdout."""
    with_env = dataclasses.replace(installed, env=dict(installed.env, **env))
    completed, _seconds = hostile.run_autograder(with_env, submission.read_text(encoding="utf-8"))
    raw = (installed.root / "results" / "results.json").read_text(encoding="utf-8")
    stdout = completed.stdout.decode("utf-8", "replace")
    outputs = {"results.json": raw, "stdout": stdout, "stderr": completed.stderr.decode("utf-8", "replace")}
    return Run("gradescope", {ATTACK: json.loads(raw)}, outputs, layers_shown(stdout))


def grade_batch(folder, out, env):
    """python -m grader batch FOLDER (every submission in it), two at a time; everything it wrote."""
    done = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out), "--config", str(CONFIG)]
        + ["--jobs", "2"],
        cwd=out.parent,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, f"batch exited with {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    outputs = {"stdout": done.stdout, "stderr": done.stderr}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        outputs[str(path.relative_to(out))] = path.read_text(encoding="utf-8", errors="replace")
    results = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (out / "reports").glob("*.json")}
    return Run("batch", results, outputs, layers_shown(done.stderr))


@pytest.fixture
def grade_in(request, tmp_path):
    """grade_in(mode, folder, **env) -> Run: grade folder/attack/word2vec.py; in batch, every submission in folder."""

    def grade(mode, folder, **env):
        if mode == "local":
            return grade_local(folder / ATTACK / "word2vec.py", tmp_path, env)
        if mode == "gradescope":
            return grade_gradescope(request.getfixturevalue("installed"), folder / ATTACK / "word2vec.py", env)
        if mode == "batch":
            return grade_batch(folder, tmp_path / "batch-out", env)
        raise ValueError(mode)

    return grade


def lost_points(results):
    """Why a results.json object is not full marks: its tests that fell short (empty for full marks)."""
    tests = results.get("tests") or []
    if not tests:
        return [f"no test ran: {str(results.get('output', ''))[:500]}"]
    return [
        f"{t.get('name')}: {t.get('score')}/{t.get('max_score')}: {str(t.get('output', '')).strip()[:300]}"
        for t in tests
        if t.get("score") != t.get("max_score")
    ]


def assert_full_marks(run, *ids):
    """Every test of the named submissions (default: each one graded) earned every point."""
    for name in ids or run.results:
        problems = lost_points(run.results[name])
        assert not problems, f"{run.mode}: {name} lost points:\n  " + "\n  ".join(problems[:10])


def assert_attack_ran(run, *evidence):
    """The attack printed each of ``evidence``, and its report carries it: the attack ran and said what it did."""
    text = run.text()
    missing = [e for e in evidence if e not in text]
    assert not missing, f"{run.mode}: the attack did not report {missing}; the run wrote:\n{run.tail()}"


# -- the machine ------------------------------------------------------------------------

# What a layer's -v line says when this machine (not the grader) lacks it: a skip, not a failure.
UNAVAILABLE = ("Landlock unavailable", "unshare refused", "seccomp unavailable", "no seccomp filter written")


@dataclass
class Machine:
    """What `local -v` says is in force around the reference on this machine, by default."""

    layers: dict

    def line(self, label):
        return (self.layers.get(label) or ["(not shown)"])[0]

    def require(self, *labels):
        """Skip, quoting -v, where this machine lacks a layer the test needs."""
        for label in labels:
            line = self.line(label)
            if line.startswith("missing:") and any(reason in line for reason in UNAVAILABLE):
                pytest.skip(f"this machine lacks the layer: {label}: {line}")

    def require_namespace(self):
        """Skip where this machine gives no network namespace: -v shows a fallback, and unshare fails here too."""
        network = self.line("network")
        if not network.startswith("network namespace") and not can_unshare_network():
            pytest.skip(f"this machine makes no network namespace (unshare fails as root); network: {network}")

    def require_every_layer(self):
        """Skip unless this machine offers the network namespace and Landlock with network rules (ABI 4+)."""
        self.require(*LAYER_LABELS)
        self.require_namespace()
        filesystem = self.line("filesystem view")
        abi = re.match(r"Landlock ABI (\d+)", filesystem)
        if not abi or int(abi.group(1)) < 4:
            pytest.skip(f"Landlock has no network rules here (ABI 4 needed): filesystem view: {filesystem}")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def can_unshare_network():
    """Whether a child of this (root) process can move to new network and IPC namespaces, as the fork server does."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc().unshare(0x40000000 | 0x08000000) == 0 else 1)  # CLONE_NEWNET | CLONE_NEWIPC
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """The reference, graded once by `local -v`: which layers this machine can give."""
    folder = tmp_path_factory.mktemp("machine")
    path = folder / "word2vec.py"
    path.write_text(reference_text(), encoding="utf-8")
    write_reference_sgd(folder)
    run = grade_local(path, folder, {})
    assert_full_marks(run)
    return Machine(run.layers)


# -- what is left of a sandbox uid --------------------------------------------------------


@contextlib.contextmanager
def free_pool_uids():
    """Hold every sandbox uid that no grading run holds, and yield them: nothing can start under them meanwhile."""
    held = []
    try:
        while True:
            try:
                held.append(uids.lease(wait_seconds=0))
            except uids.NoSandboxUid:
                break
        yield {lease.uid for lease in held}
    finally:
        for lease in held:
            lease.release()


@dataclass(frozen=True)
class Process:
    pid: int
    name: str
    uids: frozenset


def live_processes():
    """Every process /proc shows that is not a zombie, with its name and every uid of its Uid: line."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8", errors="replace") as handle:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
        except OSError:
            continue
        if fields.get("State", "?")[:1] in ("Z", "X"):
            continue  # dead, waiting only to be reaped: runs nothing
        owners = frozenset(int(u) for u in fields.get("Uid", "").split())
        found.append(Process(int(entry), fields.get("Name", ""), owners))
    return found


def owned_entries(owners):
    """Paths in the shared temporary folders owned by one of ``owners``.

    Below the top only world-writable folders are searched: elsewhere a
    sandbox uid could not have written. Links are never followed.
    """
    found = []

    def search(folder, depth):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid in owners:
                found.append(f"{entry.path} (owner uid {info.st_uid})")
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH and depth > 0:
                search(entry.path, depth - 1)

    for top in TEMP_FOLDERS:
        search(top, SEARCH_DEPTH)
    return found


def queue_exists(name):
    """Whether the POSIX message queue ``name`` exists (in this, the machine's, IPC namespace)."""
    libc = _libc()
    descriptor = libc.mq_open(name.encode(), os.O_RDONLY)
    if descriptor < 0:
        return False
    libc.mq_close(descriptor)
    return True


def litter_named(token):
    """Whatever of the litter attack's (named after ``token``) is still there."""
    found = []
    for top in TEMP_FOLDERS:
        try:
            found += [os.path.join(top, name) for name in os.listdir(top) if token in name]
        except OSError:
            pass
    found += [f"message queue /{token}-{when}-mq" for when in ("import", "call") if queue_exists(f"/{token}-{when}-mq")]
    return found


def remove_litter_named(token):
    """The suite's own clean-up of the litter attack's names, whatever the grader did."""
    import shutil

    for top in TEMP_FOLDERS:
        with contextlib.suppress(OSError):
            for name in os.listdir(top):
                if token in name:
                    path = os.path.join(top, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        with contextlib.suppress(OSError):
                            os.unlink(path)
    for when in ("import", "call"):
        _libc().mq_unlink(f"/{token}-{when}-mq".encode())


def kill_processes_named(token):
    """The suite's own clean-up, whatever the grader did: no process named ``token`` may stay.

    SIGKILL by name, round after round; a chain that outruns that is ended
    by kill(-1) as its uid, only for uids this test holds, so that no other
    run's worker is touched.
    """
    for _ in range(200):
        found = [p for p in live_processes() if p.name == token]
        if not found:
            return
        for process in found:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.005)
    with free_pool_uids() as free:
        for uid in {u for p in live_processes() if p.name == token for u in p.uids} & free:
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgroups([])
                    os.setresgid(uid, uid, uid)
                    os.setresuid(uid, uid, uid)
                    for _ in range(200):
                        os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)


# -- 1. the network -----------------------------------------------------------------------


class Listeners:
    """A TCP listener and a UDP socket on 127.0.0.1, on ports the kernel picks; they keep whatever arrives."""

    def __enter__(self):
        self.tcp = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        return self

    def __exit__(self, *exc):
        self.tcp.close()
        self.udp.close()

    @property
    def ports(self):
        return {"TCP_PORT": self.tcp.getsockname()[1], "UDP_PORT": self.udp.getsockname()[1]}

    def arrived(self):
        """(protocol, what arrived) for every connection and datagram so far; the timeout only ends the reading."""
        got = []
        self.tcp.settimeout(LISTEN_TIMEOUT)
        while True:
            try:
                connection, _peer = self.tcp.accept()
            except TimeoutError:
                break
            with connection:
                connection.settimeout(LISTEN_TIMEOUT)
                data = b""
                with contextlib.suppress(OSError):
                    while chunk := connection.recv(4096):
                        data += chunk
            got.append(("TCP", data))
        self.udp.settimeout(LISTEN_TIMEOUT)
        while True:
            try:
                data, _peer = self.udp.recvfrom(65536)
            except TimeoutError:
                break
            got.append(("UDP", data))
        return got


def network_attack(folder, listeners, secret):
    write_submissions(
        folder,
        {ATTACK: attack_source("network.py", SECRET=secret, **listeners.ports), HONEST: reference_text()},
    )


NETWORK_EVIDENCE = ("network attack at import:", "network attack inside sigmoid:")


@pytest.mark.parametrize("mode", MODES)
def test_no_connection_or_datagram_leaves_the_worker(mode, machine, grade_in, submissions):
    """TCP and UDP to the test's listeners on 127.0.0.1, at import and inside sigmoid, reach nothing,
    and the reference's functions (wrapped by the attack) still earn every point."""
    machine.require("network")
    secret = new_secret()
    with Listeners() as listeners:
        network_attack(submissions, listeners, secret)
        run = grade_in(mode, submissions)
        arrived = listeners.arrived()
    assert not arrived, f"{mode}: reached the test's listeners: {arrived}"
    assert_attack_ran(run, *NETWORK_EVIDENCE)
    assert_full_marks(run)


# -- 2. other submissions ---------------------------------------------------------------


def peek_attack(folder, secret):
    """The attack beside another student's submission (holding ``secret``), which every user can read."""
    other = folder / OTHER / "word2vec.py"
    write_submissions(
        folder,
        {
            OTHER: f'MY_SECRET = "{secret}"\n\n' + reference_text(),
            ATTACK: attack_source("peek_at_other_submissions.py", OTHER_SUBMISSION=other),
        },
    )
    for path in [other, *other.parents]:  # so only the grader's walls can keep it out
        assert os.stat(path).st_mode & (stat.S_IROTH if path == other else stat.S_IXOTH), f"{path} is not open"


PEEK_EVIDENCE = ("peek at import:", "peek inside sigmoid:")


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_cannot_read_another(mode, machine, grade_in, submissions):
    """A submission that opens another's file by its absolute path, and walks up from its own folder for
    every word2vec.py, prints what it read and raises it from sigmoid: the other's secret is in none of the
    run's outputs (in batch: every report, log, summary.html and scores.csv), though its own words are."""
    machine.require("filesystem view")
    secret = new_secret()
    peek_attack(submissions, secret)
    run = grade_in(mode, submissions)
    leaked = [name for name, text in run.outputs.items() if secret in text]
    assert not leaked, f"{mode}: the other submission's secret is in {leaked}"
    assert_attack_ran(run, *PEEK_EVIDENCE)
    if mode == "batch":
        assert_full_marks(run, OTHER)


# -- 3. litter ----------------------------------------------------------------------------


def litter_attack(folder, token):
    write_submissions(folder, {ATTACK: attack_source("litter.py", TOKEN=token), HONEST: reference_text()})


class LeftBehind:
    """What a grading run leaves of the sandbox uids: files and processes named after ``token`` (the attack's),
    whatever their owner, and any new file or process of a pool uid that no run holds once it is over."""

    def __init__(self, token):
        self.token = token
        self.files_before = set(owned_entries(uids.pool_uids()))
        self.pids_before = {p.pid for p in live_processes()}

    def look(self):
        """(files, processes) left now; the free pool uids are held meanwhile, so no run starts under them."""
        with free_pool_uids() as free:
            files = litter_named(self.token) + [f for f in owned_entries(free) if f not in self.files_before]
            processes = [
                f"pid {p.pid} {p.name!r} uids {sorted(p.uids)}"
                for p in live_processes()
                if p.name == self.token or (p.uids & free and p.pid not in self.pids_before)
            ]
        return files, processes

    def clean_up(self):
        """The suite's own clean-up of the attack, whatever the grader did."""
        kill_processes_named(self.token)
        remove_litter_named(self.token)


def graded_and_left(grade, token, *args, **env):
    """grade(*args, **env), then what it left behind (the attack cleaned up after, whatever happened)."""
    left = LeftBehind(token)
    try:
        run = grade(*args, **env)
        return run, *left.look()
    finally:
        left.clean_up()


def assert_nothing_left(run, files, processes, said):
    """No file and no process left; on failure, with what the attack said (its lines starting with ``said``)."""
    printed = [str(r.get("output", "")) for r in run.results.values()]
    lines = sorted({line.strip() for text in printed for line in text.splitlines() if said in line})
    context = "\nthe attack said:\n  " + "\n  ".join(line[:600] for line in lines)
    assert not files, f"{run.mode}: files left behind: {files}{context}"
    assert not processes, f"{run.mode}: processes left behind: {processes}{context}"


def litter_evidence(token, made):
    """What the litter attack prints at import and in its call when it could make its litter, or nothing."""
    return tuple(f"litter {when}: made [{f'/tmp/{token}' if made else ']'}" for when in ("import", "call"))


@pytest.mark.parametrize("mode", MODES)
def test_no_litter_outlives_the_run(mode, grade_in, submissions):
    """Files, folders, a POSIX semaphore and a message queue the attack names, made at import and in a call
    in /tmp, /var/tmp and /dev/shm: none is left after the run, nor anything else of a pool uid no run holds."""
    token = new_token()
    litter_attack(submissions, token)
    run, files, processes = graded_and_left(grade_in, token, mode, submissions)
    assert_nothing_left(run, files, processes, said="litter ")
    assert_attack_ran(run, "litter import: made", "litter call: made")
    assert_full_marks(run)


# -- 4. processes ------------------------------------------------------------------------


def chain_attack(folder, token):
    write_submissions(folder, {ATTACK: attack_source("moving_fork_chains.py", TOKEN=token), HONEST: reference_text()})


@pytest.mark.parametrize("mode", MODES)
def test_no_process_outlives_the_run(mode, grade_in, submissions):
    """At import, a chain that forks and exits as fast as it can and a setsid double-fork: after the run no
    process of theirs is alive, nor any other of a pool uid no run holds, and the reference earns full marks."""
    token = new_token()
    chain_attack(submissions, token)
    run, files, processes = graded_and_left(grade_in, token, mode, submissions)
    assert_nothing_left(run, files, processes, said="fork chains")
    assert_attack_ran(run, CHAIN_SHOWN)
    assert_full_marks(run)


# -- 5. runs at the same moment -----------------------------------------------------------


def start_local(folder, name, source, *options):
    """A `local` run of ``source`` (written to folder/name/word2vec.py, the reference sgd.py beside it) started
    now, without waiting for it."""
    (folder / name).mkdir()
    path = folder / name / "word2vec.py"
    path.write_text(source, encoding="utf-8")
    write_reference_sgd(folder / name)
    command = [sys.executable, "-m", "grader", "local", str(path), "--config", str(CONFIG), "-v", "--format", "json"]
    command += options
    return subprocess.Popen(
        command, cwd=folder, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish_local(process):
    """(results.json object, layers) of a started `local` run, or pytest.fail with what it said."""
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"a local run did not finish within {RUN_TIMEOUT} s (safety limit): {stderr[-2000:]}")
    try:
        return json.loads(stdout), layers_shown(stderr)
    except ValueError:
        pytest.fail(f"local printed no JSON report (exit {process.returncode}):\n{stdout[-2000:]}\n{stderr[-3000:]}")


@pytest.mark.slow
def test_twelve_pairs_of_simultaneous_local_runs_all_earn_full_marks(tmp_path):
    """Two `local` runs of the reference started at the same moment, twelve times: each holds a uid of its
    own, so neither's cleanup (kill(-1) as its uid) touches the other's worker, and all earn 110 (--all: the
    public and hidden suites)."""
    problems, pairs = [], []
    for pair in range(12):
        started = [start_local(tmp_path, f"pair{pair}-{side}", reference_text(), "--all") for side in "ab"]
        users = []
        for side, process in zip("ab", started):
            results, layers = finish_local(process)
            problems += [f"pair {pair}{side}: {p}" for p in lost_points(results)]
            if results.get("score") != WHOLE_RUBRIC:
                problems.append(f"pair {pair}{side}: score {results.get('score')}, not {WHOLE_RUBRIC}")
            users += [re.match(r"runs as (uid \d+|[^ ,(]+)", line)[1] for line in layers.get("user switch", [])]
        pairs.append(users)
    assert not problems, "\n".join(problems[:20])
    assert all(len(users) == 2 for users in pairs), pairs
    # The premise, not a timing: were the two runs never at work together, this test would show nothing.
    assert any(a != b for a, b in pairs), f"no pair ever overlapped (both always ran as {pairs[0][0]})"


def test_a_batch_beside_a_local_run_all_earn_full_marks(tmp_path):
    """A batch of reference copies (two at a time) and a `local` run started at the same moment, as when an
    instructor runs check during a batch: every submission of both earns full marks."""
    folder = tmp_path / "class"
    folder.mkdir()
    for number in range(4):  # a folder of folders: each its word2vec.py and sgd.py
        (folder / f"reference-{number}").mkdir()
        (folder / f"reference-{number}" / "word2vec.py").write_text(reference_text(), encoding="utf-8")
        write_reference_sgd(folder / f"reference-{number}")
    out = tmp_path / "out"
    batch = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out), "--config", str(CONFIG)]
        + ["--jobs", "2"],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    local = start_local(tmp_path, "local", reference_text())
    results, _layers = finish_local(local)
    try:
        _stdout, stderr = batch.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        batch.kill()
        pytest.fail(f"the batch did not finish within {RUN_TIMEOUT} s (safety limit)")
    assert batch.returncode == 0, stderr[-3000:]
    assert not lost_points(results), lost_points(results)
    reports = sorted((out / "reports").glob("*.json"))
    assert [p.stem for p in reports] == [f"reference-{n}" for n in range(4)]
    for report in reports:
        assert not lost_points(json.loads(report.read_text(encoding="utf-8"))), report.name


def test_a_hostile_run_beside_an_honest_one_costs_the_honest_one_nothing(tmp_path):
    """The moving fork chain and an honest `local` run, started at the same moment, three times: the sweep
    after the hostile worker kills every process of its own uid only, so the honest run earns full marks."""
    problems = []
    for pair in range(3):
        token = new_token()
        try:
            hostile_run = start_local(tmp_path, f"hostile{pair}", attack_source("moving_fork_chains.py", TOKEN=token))
            honest_run = start_local(tmp_path, f"honest{pair}", reference_text())
            for name, process in (("honest", honest_run), ("hostile", hostile_run)):
                results, _layers = finish_local(process)
                problems += [f"pair {pair} {name}: {p}" for p in lost_points(results)]
            if CHAIN_SHOWN not in results.get("output", ""):  # the hostile run's: its chain really ran
                problems.append(f"pair {pair}: the attack did not report its chain: {results.get('output', '')[-500:]}")
        finally:
            kill_processes_named(token)
    assert not problems, "\n".join(problems[:20])


# -- 6. layers turned off ------------------------------------------------------------------


@dataclass(frozen=True)
class Degraded:
    """A configuration with layers turned off, and what must still hold in it."""

    name: str
    env: dict
    shown: dict  # layer label -> text its -v line must contain; the other layers must not say "missing"
    tcp_held: bool = True
    udp_held: bool = True
    files_held: bool = True  # another submission's world-readable file stays out of reach


LANDLOCK_OFF = "missing: Landlock forced off (GRADER_WITHOUT)"
NETNS = "network namespace: no interface but a loopback that is down"
SECCOMP = "seccomp: no socket of any family can be made"
LANDLOCK_TCP = "Landlock: TCP connect and bind refused (UDP stays open)"
LANDLOCK_FS = "Landlock ABI"
PROC_SWEEP = "kill(-1) as the sandbox uid, from a helper interpreter"

DEGRADED = [
    # The network namespace still holds the network; only staging and the uid's permissions guard the files.
    Degraded(
        "landlock",
        {"GRADER_WITHOUT": "landlock"},
        {"filesystem view": LANDLOCK_OFF, "network": NETNS},
        files_held=False,
    ),
    # No namespaces: seccomp takes over the network.
    Degraded(
        "netns",
        {"GRADER_WITHOUT": "netns"},
        {"filesystem view": LANDLOCK_FS, "network": SECCOMP},
    ),
    # Without seccomp the namespace alone holds the network: nothing shows missing.
    Degraded("seccomp", {"GRADER_WITHOUT": "seccomp"}, {"filesystem view": LANDLOCK_FS, "network": NETNS}),
    # Landlock's TCP rules are the last network layer, and they leave UDP open: -v must say so.
    Degraded(
        "netns,seccomp",
        {"GRADER_WITHOUT": "netns,seccomp"},
        {"filesystem view": LANDLOCK_FS, "network": LANDLOCK_TCP},
        udp_held=False,
    ),
    # Exec'd workers: no namespace (seccomp alone), and the sweep's kill(-1) comes from a helper interpreter.
    Degraded(
        "fork server off",
        {"GRADER_FORK_SERVER": "off"},
        {"filesystem view": LANDLOCK_FS, "network": SECCOMP, "cleanup": PROC_SWEEP},
    ),
    Degraded(
        "landlock,netns",
        {"GRADER_WITHOUT": "landlock,netns"},
        {"filesystem view": LANDLOCK_OFF, "network": SECCOMP},
        files_held=False,
    ),
    # Nothing holds the network or the files: the control that shows these tests do catch a leak.
    Degraded(
        "landlock,netns,seccomp",
        {"GRADER_WITHOUT": "landlock,netns,seccomp"},
        {"filesystem view": LANDLOCK_OFF, "network": "missing: network namespace forced off"},
        tcp_held=False,
        udp_held=False,
        files_held=False,
    ),
]


def degraded():
    """DEGRADED as test parameters."""
    return [pytest.param(config, id=config.name) for config in DEGRADED]


def assert_layers(run, config):
    """-v names what was turned off (or the fallback that took over); every other layer is in force."""
    for label in LAYER_LABELS:
        lines = run.layers.get(label, [])
        assert len(lines) == 1, f"{config.name}: -v shows {label!r} as {lines}:\n{run.outputs['stderr']}"
        if label in config.shown:
            assert config.shown[label] in lines[0], f"{config.name}: {label}: {lines[0]!r}"
        else:
            assert not lines[0].startswith("missing"), f"{config.name}: {label}: {lines[0]!r}"


@pytest.mark.parametrize("config", degraded())
def test_network_with_layers_turned_off(config, machine, grade_in, submissions):
    """With layers turned off, -v says so and the network attack is held wherever a network layer remains;
    where one is not held (UDP under Landlock alone, or nothing at all) it arrives, and -v said it would."""
    machine.require_every_layer()
    secret = new_secret()
    with Listeners() as listeners:
        network_attack(submissions, listeners, secret)
        run = grade_in("local", submissions, **config.env)
        arrived = {protocol for protocol, data in listeners.arrived() if secret.encode() in data}
    assert_layers(run, config)
    assert_attack_ran(run, *NETWORK_EVIDENCE)
    assert_full_marks(run)
    expected = {p for p, held in (("TCP", config.tcp_held), ("UDP", config.udp_held)) if not held}
    assert arrived == expected, f"{config.name}: arrived over {sorted(arrived)}, expected {sorted(expected)}"


@pytest.mark.parametrize("config", degraded())
def test_other_submissions_with_layers_turned_off(config, machine, grade_in, submissions):
    """Another submission's world-readable file stays out of reach while Landlock is on; with it off the
    peek succeeds (the control of test_a_submission_cannot_read_another) and -v says the filesystem view
    is missing."""
    machine.require_every_layer()
    secret = new_secret()
    peek_attack(submissions, secret)
    run = grade_in("local", submissions, **config.env)
    assert_layers(run, config)
    assert_attack_ran(run, *PEEK_EVIDENCE)
    leaked = [name for name, text in run.outputs.items() if secret in text]
    if config.files_held:
        assert not leaked, f"{config.name}: the other submission's secret is in {leaked}"
    else:
        assert leaked, f"{config.name}: without Landlock the peek should have read the other file:\n{run.tail()}"


@pytest.mark.parametrize("config", degraded())
def test_litter_with_layers_turned_off(config, machine, grade_in, submissions):
    """Without Landlock the attack's litter is made (it says so) and still swept; with it, it is never made."""
    machine.require_every_layer()
    token = new_token()
    litter_attack(submissions, token)
    run, files, processes = graded_and_left(grade_in, token, "local", submissions, **config.env)
    assert_layers(run, config)
    assert_nothing_left(run, files, processes, said="litter ")
    landlock_on = "filesystem view" not in config.shown or LANDLOCK_FS in config.shown["filesystem view"]
    assert_attack_ran(run, *litter_evidence(token, made=not landlock_on))
    assert_full_marks(run)


@pytest.mark.parametrize("config", degraded())
def test_processes_with_layers_turned_off(config, machine, grade_in, submissions):
    """The moving fork chain and the setsid daemon are killed whatever is turned off, by kill(-1) from the
    fork server, or with exec'd workers from a helper interpreter running as the uid."""
    machine.require_every_layer()
    token = new_token()
    chain_attack(submissions, token)
    run, files, processes = graded_and_left(grade_in, token, "local", submissions, **config.env)
    assert_layers(run, config)
    assert_nothing_left(run, files, processes, said="fork chains")
    assert_attack_ran(run, CHAIN_SHOWN)
    assert_full_marks(run)


# -- 7. every layer, by default -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_layer_is_in_force_by_default(mode, machine, grade_in, submissions):
    """Graded as shipped, -v (local), the staff log (gradescope) and stderr and summary.html (batch) show
    all five layers, none missing: the user switch, rlimits, Landlock, the network namespace and kill(-1)."""
    machine.require(*LAYER_LABELS)
    machine.require_namespace()
    write_submissions(submissions, {ATTACK: reference_text()})
    run = grade_in(mode, submissions)
    assert_full_marks(run)
    expected = {
        "user switch": "runs as ",
        "rlimits": "memory, CPU, processes, file size, open files, message queues",
        "filesystem view": LANDLOCK_FS,
        "network": NETNS,
        "cleanup": "kill(-1) as the sandbox uid",
    }
    for label, text in expected.items():
        lines = run.layers.get(label, [])
        assert lines and all(text in line and "missing" not in line for line in lines), (
            f"{mode}: {label}: {lines}\n{run.tail()}"
        )
    if mode == "batch":
        page = run.outputs["summary.html"]
        for label, lines in run.layers.items():
            assert all(f"<li>{html.escape(f'{label}: {line}')}</li>" in page for line in lines), label
