"""Grading speed, measured: python benchmarks/run.py [--repeats N] [--quick].

Prints, from one run on this machine, medians over repeated runs of
  (a) Gradescope-mode grading of the reference, as a ratio to the floor of
      two bare `python -c "import numpy"` start-ups (as root with a system
      python3, through the zip installed the way setup.sh does, user switch
      and lock-down included);
  (b) `python -m grader local` in the student handout, as a ratio to the floor;
  (c) batch throughput for 100 submissions with --jobs 1 and --jobs 2;
  (d) the number of student-function calls each test makes;
  (e) the layers' cost: (a) and (b) with every layer on and with
      GRADER_WITHOUT=landlock,netns,seccomp, runs of the two interleaved; and
      per worker, the median difference between pairs of gradings of the
      reference run back to back in one process with one fork server, over
      the workers a grading starts (counted as they start); the sweeps of
      the sandbox uid, which stay on in both, are timed on their own;
  (f) one Gradescope-mode grading (run_autograder of the installed zip, as
      Gradescope runs it) in a cgroup of 768 MB and half a CPU, Gradescope's
      default container: wall time, peak memory of the whole process tree and
      whether the reference still scores full marks (root and cgroup v1
      memory and cpu controllers, or cgroup v2 with both; skipped otherwise).
Nothing here asserts a figure; tests/test_benchmarks.py only checks that it runs.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference" / "word2vec.py"
REFERENCE_SGD = REFERENCE.with_name("sgd.py")  # submitted beside word2vec.py, as students do
LAYERS = "landlock,netns,seccomp"  # every layer GRADER_WITHOUT can turn off
CGROUP_MEMORY, CGROUP_QUOTA = 768 * 2**20, (50000, 100000)  # Gradescope's default: 768 MB, half a CPU


def seconds(command, repeats, warm_up=True, **options):
    """Median wall time of a command over ``repeats`` runs (after one warm-up)."""
    if warm_up:
        subprocess.run(command, capture_output=True, **options)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, **options)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"benchmark command failed ({done.returncode}): {command}\n{done.stderr.decode()[-2000:]}")
    return statistics.median(times)


def floor(python, repeats):
    one = seconds([python, "-c", "import numpy"], repeats)
    return 2 * one


def build(out):
    subprocess.run([sys.executable, "-m", "grader", "build", "--out", out], cwd=REPO, check=True, capture_output=True)


def place_reference(folder):
    """The reference's word2vec.py and sgd.py in ``folder``: a submission that scores full marks."""
    for path in (REFERENCE, REFERENCE_SGD):
        shutil.copy(path, folder / path.name)


def gradescope_install(dist, scratch):
    """ROOT with source/, venv/ and run_autograder, installed as setup.sh does; or None."""
    system = shutil.which("python3", path="/usr/bin:/bin")
    if os.geteuid() != 0 or not system:
        return None
    root = Path(tempfile.mkdtemp(prefix="bench-autograder-", dir="/tmp"))
    os.chmod(root, 0o755)
    with zipfile.ZipFile(dist / "autograder.zip") as archive:
        archive.extractall(root / "source")
    env = {k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=system)
    done = subprocess.run(["bash", root / "source" / "setup.sh"], env=env, capture_output=True)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        return None
    (root / "submission").mkdir()
    place_reference(root / "submission")
    scratch.append(root)
    return root


def gradescope_command(root, scratch):
    """(command, options, how it runs, the installed interpreter or None) for one Gradescope-mode grading."""
    if root is None:
        # Not root, or no system python3: grade under a temporary root with this interpreter.
        root = Path(tempfile.mkdtemp(prefix="bench-root-"))
        scratch.append(root)
        (root / "submission").mkdir()
        place_reference(root / "submission")
        python, how = sys.executable, "this interpreter, no user switch"
        env = layers_on(os.environ)
    else:
        python, how = str(root / "venv" / "bin" / "python"), "installed zip, user switch"
        env = layers_on({k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"})
    config = ["--config", str(root / "source" / "grader.yml")] if (root / "source").exists() else []
    command = [python, "-m", "grader", "gradescope", "--root", str(root), *config]
    return command, dict(cwd=root, env=env), how, (python if "switch" in how else None)


def measure_gradescope(command, options, repeats):
    """(seconds, floor)."""
    return seconds(command, repeats, **options), floor(command[0], repeats)


def local_command(dist, scratch):
    """(command, options) for `python -m grader local` in an unpacked handout holding the reference."""
    folder = Path(tempfile.mkdtemp(prefix="bench-handout-"))
    scratch.append(folder)
    with zipfile.ZipFile(dist / "student.zip") as archive:
        archive.extractall(folder)
    place_reference(folder)  # over the handout's starter files
    return [sys.executable, "-m", "grader", "local"], dict(cwd=folder, env=layers_on(os.environ))


def measure_local(command, options, repeats):
    return seconds(command, repeats, **options), floor(sys.executable, repeats)


def layers_on(env):
    """``env`` with no layer turned off, whatever the caller's environment says."""
    return {k: v for k, v in env.items() if k != "GRADER_WITHOUT"}


def layers_off(env):
    return dict(layers_on(env), GRADER_WITHOUT=LAYERS)


def interleaved(runs, repeats):
    """{label: median seconds} for ``runs`` ({label: (command, options)}), taken in turn, after a warm-up each."""
    times = {label: [] for label in runs}
    for command, options in runs.values():
        subprocess.run(command, capture_output=True, **options)  # the warm-up
    for _ in range(repeats):
        for label, (command, options) in runs.items():
            times[label].append(seconds(command, 1, warm_up=False, **options))
    return {label: statistics.median(taken) for label, taken in times.items()}


def protections(command, options, marker):
    """The "layer: how" lines a grading prints after ``marker``: proof that GRADER_WITHOUT reached it or not."""
    done = subprocess.run(command, capture_output=True, text=True, **options)
    lines = (done.stdout + done.stderr).splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith(marker)), len(lines))
    return [line.strip() for line in lines[start:] if line.startswith("  ")][:5]


def check_reached(runs, marker):
    """Run ``runs`` ({"on": ..., "off": ...}) once each; stop unless only "off" turned layers off."""
    for label, (command, options) in runs.items():
        said = protections(command, options, marker)
        off = [line for line in said if "forced off (GRADER_WITHOUT)" in line]
        if not said or bool(off) != (label == "off"):
            raise SystemExit(f"GRADER_WITHOUT did not reach the grader as meant ({label}): {said}")


def measure_layers(gradescope, local, repeats):
    """{mode: {"on": seconds, "off": seconds}} for Gradescope mode and local mode, runs interleaved."""
    figures = {}
    for mode, (command, options), marker in (
        ("gradescope", gradescope, "Protections in force around the submission:"),
        ("local", local, "Protections in force around your code:"),
    ):
        runs = {
            "on": (command, dict(options, env=layers_on(options["env"]))),
            "off": (command, dict(options, env=layers_off(options["env"]))),
        }
        verbose = {k: ([*c, "--verbose"] if mode == "local" else c, o) for k, (c, o) in runs.items()}
        check_reached(verbose, marker)
        figures[mode] = interleaved(runs, repeats)
    return figures


def measure_workers(python, submission, config, rounds):
    """What ``time_workers``, run by ``python`` (the grader's interpreter), measured: a dict."""
    env = layers_on({k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"})
    if python == sys.executable:
        env["PYTHONPATH"] = str(REPO)
    request = json.dumps({"rounds": rounds, "submission": str(submission), "config": config and str(config)})
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), "--time-workers", request],
        cwd=Path(submission).parent,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"timing workers failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def time_workers(request):
    """Run by the grader's own interpreter: ``rounds`` pairs of gradings, layers on and off, in one process.

    One fork server and one launcher serve every grading, as in a batch, so
    the difference between the two ways is what the layers cost. Workers are
    counted as they start (one per visibility group, plus any restart); the
    sweeps of the sandbox uid, before and after each worker, are timed too.
    """
    import grader.boundary.privileges as privileges
    from grader import grading
    from grader.boundary import sandbox, spawners

    request = json.loads(request)
    submission, config = request["submission"], request["config"]
    counts = {"workers": 0, "sweeps": 0, "kill_uid": 0.0, "remove_litter": 0.0}  # seconds in each part of a sweep
    start_worker = sandbox.Worker.__init__

    def counted(self, *args, **kwargs):
        counts["workers"] += 1
        return start_worker(self, *args, **kwargs)

    def timed(function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                counts[function.__name__] += time.perf_counter() - started
                counts["sweeps"] += function.__name__ == "kill_uid"

        return run

    sandbox.Worker.__init__ = counted
    privileges.kill_uid, privileges.remove_litter = timed(privileges.kill_uid), timed(privileges.remove_litter)
    launcher, spawner = privileges.launcher(required=False, quiet=True), spawners.default_spawner()
    times, workers, layers = {"on": [], "off": []}, 0, {}
    try:
        for round_ in range(request["rounds"] + 1):  # round 0 starts the fork server: not counted
            for label in ("on", "off") if round_ % 2 else ("off", "on"):
                os.environ["GRADER_WITHOUT"] = "" if label == "on" else LAYERS
                before = dict(counts)
                started = time.perf_counter()
                run = grading.grade(submission, hidden=True, config_path=config, launcher=launcher, spawner=spawner)
                took = time.perf_counter() - started
                if run.score != sum(t.max_score for t in run.tests):
                    raise SystemExit(f"the reference scored {run.score} with the layers {label}")
                layers[label] = run.layers
                if round_:
                    times[label].append(took)
                    workers += counts["workers"] - before["workers"]
    finally:
        spawner.close()
    said = {label: any("forced off (GRADER_WITHOUT)" in line for line in lines) for label, lines in layers.items()}
    if said != {"on": False, "off": True}:
        raise SystemExit(f"GRADER_WITHOUT did not reach the workers as meant: {layers}")
    per_grading = workers / (2 * request["rounds"])
    # Each round's two gradings ran back to back: their difference is spared the machine's slower drifts.
    differences = [1000 * (on - off) / per_grading for on, off in zip(times["on"], times["off"])]
    quartiles = statistics.quantiles(differences, n=4)
    result = {label: statistics.median(taken) for label, taken in times.items()}
    result.update(
        workers=per_grading,
        cost_ms=statistics.median(differences),
        quartiles_ms=(quartiles[0], quartiles[2]),
        kill_ms=1000 * counts["kill_uid"] / max(counts["workers"], 1),
        litter_ms=1000 * counts["remove_litter"] / max(counts["workers"], 1),
        sweeps=counts["sweeps"] / max(counts["workers"], 1),
        layers=layers["on"],
    )
    print(json.dumps(result))


def measure_batch(count, repeats, scratch, python=None):
    """Batch throughput; ``python`` is the installed grader's interpreter where the user switch works."""
    sys.path.insert(0, str(REPO))
    from reference.mutants import MUTANTS, mutate_files

    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    outputs = Path(tempfile.mkdtemp(prefix="bench-batch-out-"))
    scratch.extend([folder, outputs])
    os.chmod(folder, 0o755)
    reference = {path.name: path.read_text() for path in (REFERENCE, REFERENCE_SGD)}
    for i in range(count):  # a folder of submission folders, each with its word2vec.py and sgd.py
        files = reference if i % 3 == 0 else mutate_files(reference, MUTANTS[i % len(MUTANTS)])
        (folder / f"s{i:03d}").mkdir()
        for name, text in files.items():
            (folder / f"s{i:03d}" / name).write_text(text)
    per_jobs = {}
    for jobs in (1, 2):
        env = {k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"} if python else None
        took = seconds(
            [
                python or sys.executable,
                "-m",
                "grader",
                "batch",
                str(folder),
                "--jobs",
                str(jobs),
                "--out",
                str(outputs / f"jobs{jobs}"),
            ],
            repeats,
            cwd=outputs if python else REPO,
            env=env,
        )
        per_jobs[jobs] = took
    return per_jobs


def count_calls():
    """Student-function calls per test, counted at the sandbox boundary in one grading run."""
    from grader import grading
    from grader.boundary import sandbox
    from grader.rubric import suite

    counts, current = {}, [None]
    original = sandbox.Sandbox.request

    def counting(self, function, calls, **options):
        counts[current[0]] = counts.get(current[0], 0) + len(calls) * int(options.get("repeat", 1))
        return original(self, function, calls, **options)

    def wrap(test):
        def run(session):
            current[0] = test.__number__
            return test(session)

        for name in ("__number__", "__weight__", "__visibility__", "__tags__", "__doc__"):
            setattr(run, name, getattr(test, name))
        if hasattr(test, "__requires__"):
            run.__requires__ = test.__requires__
        return run

    sandbox.Sandbox.request = counting
    saved = suite.all_tests
    wrapped = tuple(wrap(t) for t in saved())
    suite.all_tests = lambda: wrapped
    try:
        from grader.boundary.privileges import launcher

        run = grading.grade(REFERENCE, hidden=True, launcher=launcher(required=False))
    finally:
        sandbox.Sandbox.request, suite.all_tests = original, saved
    return [(t.number, t.name, counts.get(t.number, 0)) for t in run.tests]


class Cgroup:
    """A cgroup of CGROUP_MEMORY and CGROUP_QUOTA for one process tree: v1 controllers, else cgroup v2.

    ``enter`` is the shell text that moves the shell running it in; ``peak``
    the most memory the tree was charged (page cache it brought in included).
    """

    MOUNTS = Path("/sys/fs/cgroup")  # v1: one folder per controller; v2 (where it is the only hierarchy): itself

    def __init__(self, name):
        self.made = []
        memory, cpu = self.MOUNTS / "memory", self.MOUNTS / "cpu"
        if (memory / "memory.limit_in_bytes").exists() and (cpu / "cpu.cfs_quota_us").exists():
            self.version = 1
            self.memory, self.cpu = self._make(memory / name), self._make(cpu / name)
            self._write(self.memory / "memory.limit_in_bytes", CGROUP_MEMORY)
            self._write(self.cpu / "cpu.cfs_period_us", CGROUP_QUOTA[1])
            self._write(self.cpu / "cpu.cfs_quota_us", CGROUP_QUOTA[0])
        else:
            controllers = (self.MOUNTS / "cgroup.controllers").read_text().split()  # OSError: no cgroup v2 here
            enabled = (self.MOUNTS / "cgroup.subtree_control").read_text().split()
            if not {"memory", "cpu"} <= set(controllers) or not {"memory", "cpu"} <= set(enabled):
                raise OSError(f"cgroup v2 here gives its children {enabled or 'no controllers'}, not memory and cpu")
            self.version = 2
            self.memory = self.cpu = self._make(self.MOUNTS / name)
            self._write(self.memory / "memory.max", CGROUP_MEMORY)
            self._write(self.cpu / "cpu.max", f"{CGROUP_QUOTA[0]} {CGROUP_QUOTA[1]}")
        groups = dict.fromkeys([self.memory, self.cpu])  # one group in v2
        self.enter = " ".join(f"echo $$ > {group / 'cgroup.procs'};" for group in groups)

    def _make(self, path):
        path.mkdir()
        self.made.append(path)
        return path

    @staticmethod
    def _write(path, value):
        path.write_text(f"{value}\n")

    def peak(self):
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.memory / name).read_text())
        except (OSError, ValueError):
            return None  # memory.peak is Linux 5.19 and later

    def limit_hit(self):
        """How often the memory limit was reached, and how many processes the OOM killer ended."""
        if self.version == 1:
            failures = int((self.memory / "memory.failcnt").read_text())
            stats = (self.memory / "memory.oom_control").read_text()
        else:
            events = (self.memory / "memory.events").read_text()
            failures, stats = int(dict(line.split() for line in events.splitlines()).get("max", 0)), events
        kills = dict(line.split() for line in stats.splitlines()).get("oom_kill", "0")
        return failures, int(kills)

    def remove(self):
        """rmdir each group, once the last process of the tree has left it."""
        for path in reversed(self.made):
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)  # the tree's last processes are still being reaped
            else:
                print(f"note: could not remove {path}", file=sys.stderr)


def measure_container(root):
    """One run_autograder in Gradescope's default container, or the reason it was skipped.

    (seconds, peak bytes or None, (times the limit was reached, OOM kills), score, out of, cgroup version).
    """
    if root is None or os.geteuid() != 0:
        return "needs root and the zip installed with a system python3 (as in (a))"
    try:
        group = Cgroup(f"word2vec-grader-bench-{os.getpid()}")
    except OSError as error:
        return f"no cgroup with memory and cpu controllers to make one in: {error}"
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    env = layers_on({k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"})
    env["AUTOGRADER_ROOT"] = str(root)
    try:
        started = time.perf_counter()
        done = subprocess.run(
            ["sh", "-c", f'{group.enter} exec bash "$0"', root / "source" / "run_autograder"],
            env=env,
            cwd="/",
            capture_output=True,
        )
        took = time.perf_counter() - started
        peak, hit = group.peak(), group.limit_hit()
    finally:
        group.remove()
    if done.returncode != 0 or not results.exists():
        return f"run_autograder failed ({done.returncode}): {done.stderr.decode()[-500:]}"
    graded = json.loads(results.read_text())
    out_of = sum(test.get("max_score", 0) for test in graded.get("tests", []))
    return took, peak, hit, graded.get("score"), out_of, group.version


def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report_layers(figures, root, installed, rounds):
    print(f"\n(e) the layers' cost: every layer on, and GRADER_WITHOUT={LAYERS}")
    print("| grading | layers on, s | off, s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for mode, label in (("gradescope", "(a) Gradescope mode"), ("local", "(b) `python -m grader local`")):
        on, off = figures[mode]["on"], figures[mode]["off"]
        print(f"| {label} | {on:.3f} | {off:.3f} | {on / off:.2f} |")
    python, submission = (installed, root / "submission" / "word2vec.py") if installed else (sys.executable, REFERENCE)
    config = root / "source" / "grader.yml" if installed else None
    per = measure_workers(python, submission, config, rounds)
    low, high = per["quartiles_ms"]
    print(
        f"per worker, {rounds} pairs of gradings in one process ({per['workers']:.0f} workers a grading; "
        f"{per['on']:.3f} s on, {per['off']:.3f} s off a grading): the layers cost {per['cost_ms']:.1f} ms "
        f"per worker, the median of the pairs' differences (quartiles {low:.1f} and {high:.1f} ms; "
        f"target: about 5 ms at most); the sweeps of the sandbox uid, on in both: "
        f"{per['kill_ms'] + per['litter_ms']:.1f} ms per worker ({per['sweeps']:.0f} sweeps a worker; "
        f"{per['kill_ms']:.1f} ms killing processes, {per['litter_ms']:.1f} ms removing files)"
    )
    print("layers in force:", "; ".join(per["layers"]))


def report_container(measured):
    cpus = CGROUP_QUOTA[0] / CGROUP_QUOTA[1]
    print(f"\n(f) Gradescope's default container: {CGROUP_MEMORY // 2**20} MB of memory, {cpus:g} CPU")
    if isinstance(measured, str):
        print(f"skipped: {measured}")
        return
    took, peak, (hit, killed), score, out_of, version = measured
    peak = f"{peak / 2**20:.0f} MB" if peak is not None else "unknown (no memory.peak)"
    print(
        f"one run_autograder of the reference in a cgroup v{version}: {took:.2f} s wall, "
        f"peak memory of the process tree {peak} (page cache included); limit reached {hit} time(s), "
        f"{killed} process(es) killed for memory; score {score} of {out_of}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per median (default 7)")
    parser.add_argument("--submissions", type=int, default=100, help="batch size (default 100)")
    parser.add_argument("--quick", action="store_true", help="one run each, 10 submissions: a smoke run")
    parser.add_argument("--time-workers", metavar="REQUEST", help=argparse.SUPPRESS)  # run by measure_workers
    args = parser.parse_args(argv)
    if args.time_workers:
        return time_workers(args.time_workers)
    repeats, count = (1, 10) if args.quick else (args.repeats, args.submissions)
    rounds = max(3, 5 * repeats)  # pairs of gradings, layers on and off, for the cost per worker
    scratch = []
    try:
        dist = Path(tempfile.mkdtemp(prefix="bench-dist-"))
        scratch.append(dist)
        build(dist)
        print(f"machine: {machine()}; medians of {repeats} run(s)\n")
        command, options, how, installed = gradescope_command(gradescope_install(dist, scratch), scratch)
        local = local_command(dist, scratch)
        took, base = measure_gradescope(command, options, repeats)
        print("| measure | seconds | floor (2 numpy start-ups) | ratio |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| (a) Gradescope grading of the reference ({how}) | {took:.3f} | {base:.3f} | {took / base:.2f} |")
        took, base = measure_local(*local, repeats)
        print(f"| (b) `python -m grader local` in the handout | {took:.3f} | {base:.3f} | {took / base:.2f} |")
        per_jobs = measure_batch(count, repeats, scratch, installed)
        print(
            f"\n(c) batch of {count} submissions: --jobs 1 {per_jobs[1]:.2f} s "
            f"({count / per_jobs[1]:.1f}/s), --jobs 2 {per_jobs[2]:.2f} s ({count / per_jobs[2]:.1f}/s): "
            f"{per_jobs[1] / per_jobs[2]:.2f} times faster with two jobs"
        )
        print("\n(d) student-function calls per test (a case set's calls are counted at the first test that uses it)")
        print("| test | calls |")
        print("| --- | ---: |")
        for number, name, calls in count_calls():
            print(f"| {number} {name} | {calls} |")
        root = options["cwd"]  # ROOT of the Gradescope-mode gradings
        report_layers(measure_layers((command, options), local, repeats), root, installed, rounds)
        report_container(measure_container(root if installed else None))
    finally:
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
