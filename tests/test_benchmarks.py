"""The benchmark script runs (a smoke run: its figures are reported, never asserted)."""

import subprocess
import sys

import pytest

from conftest import REPO


@pytest.mark.slow
def test_benchmark_script_runs_and_reports_every_measure():
    done = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for measure in (
        "(a) Gradescope grading",
        "(b) `python -m grader local`",
        "(c) batch of 10",
        "(d) student-function calls per test",
        "(e) the layers' cost",
        "(f) Gradescope's default container",
        "| 3.6 ",
    ):
        assert measure in done.stdout, measure
