"""Grading speed, measured: python benchmarks/run.py [--repeats N] [--quick].

Prints, from one run on this machine, medians over repeated runs of
  (a) Gradescope-mode grading of the reference, as a ratio to the floor of
      two bare `python -c "import numpy"` start-ups (as root with a system
      python3, through the zip installed the way setup.sh does, user switch
      and lock-down included);
  (b) `python -m grader local` in the student handout, as a ratio to the floor;
  (c) batch throughput for 100 submissions with --jobs 1 and --jobs 2;
  (d) the number of student-function calls each test makes.
Nothing here asserts a figure; tests/test_benchmarks.py only checks that it runs.
"""

import argparse
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


def seconds(command, repeats, **options):
    """Median wall time of a command over ``repeats`` runs (after one warm-up)."""
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
    shutil.copy(REFERENCE, root / "submission" / "word2vec.py")
    scratch.append(root)
    return root


def measure_gradescope(root, repeats, scratch):
    """(seconds, floor, how it ran, the installed interpreter or None)."""
    if root is None:
        # Not root, or no system python3: grade under a temporary root with this interpreter.
        root = Path(tempfile.mkdtemp(prefix="bench-root-"))
        scratch.append(root)
        (root / "submission").mkdir()
        shutil.copy(REFERENCE, root / "submission" / "word2vec.py")
        python, how = sys.executable, "this interpreter, no user switch"
        env = dict(os.environ)
    else:
        python, how = str(root / "venv" / "bin" / "python"), "installed zip, user switch"
        env = {k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"}
    config = ["--config", str(root / "source" / "grader.yml")] if (root / "source").exists() else []
    took = seconds([python, "-m", "grader", "gradescope", "--root", str(root), *config], repeats, cwd=root, env=env)
    return took, floor(python, repeats), how, (python if "switch" in how else None)


def measure_local(dist, repeats, scratch):
    folder = Path(tempfile.mkdtemp(prefix="bench-handout-"))
    scratch.append(folder)
    with zipfile.ZipFile(dist / "student.zip") as archive:
        archive.extractall(folder)
    shutil.copy(REFERENCE, folder / "word2vec.py")
    took = seconds([sys.executable, "-m", "grader", "local"], repeats, cwd=folder)
    return took, floor(sys.executable, repeats)


def measure_batch(count, repeats, scratch, python=None):
    """Batch throughput; ``python`` is the installed grader's interpreter where the user switch works."""
    sys.path.insert(0, str(REPO))
    from reference.mutants import MUTANTS, mutate

    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    outputs = Path(tempfile.mkdtemp(prefix="bench-batch-out-"))
    scratch.extend([folder, outputs])
    os.chmod(folder, 0o755)
    source = REFERENCE.read_text()
    for i in range(count):
        text = source if i % 3 == 0 else mutate(source, MUTANTS[i % len(MUTANTS)])
        (folder / f"s{i:03d}.py").write_text(text)
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


def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per median (default 7)")
    parser.add_argument("--submissions", type=int, default=100, help="batch size (default 100)")
    parser.add_argument("--quick", action="store_true", help="one run each, 10 submissions: a smoke run")
    args = parser.parse_args(argv)
    repeats, count = (1, 10) if args.quick else (args.repeats, args.submissions)
    scratch = []
    try:
        dist = Path(tempfile.mkdtemp(prefix="bench-dist-"))
        scratch.append(dist)
        build(dist)
        print(f"machine: {machine()}; medians of {repeats} run(s)\n")
        took, base, how, installed = measure_gradescope(gradescope_install(dist, scratch), repeats, scratch)
        print("| measure | seconds | floor (2 numpy start-ups) | ratio |")
        print("| --- | ---: | ---: | ---: |")
        print(f"| (a) Gradescope grading of the reference ({how}) | {took:.3f} | {base:.3f} | {took / base:.2f} |")
        took, base = measure_local(dist, repeats, scratch)
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
    finally:
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
