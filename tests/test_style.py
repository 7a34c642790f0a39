"""The habits CI keeps: lint, formatting and types, configured in pyproject.toml.

Run from the repository root with this interpreter, so the README's test
command (``pip install -e ".[test]" && python -m pytest``) fails on a
regression. Exclusions (the assignment's own code, the hostile submissions)
live in pyproject.toml, not here.
"""

import subprocess
import sys

import pytest

from conftest import REPO

CHECKS = {
    "ruff check": ["-m", "ruff", "check", "--no-fix", "--output-format", "full"],
    "ruff format --check": ["-m", "ruff", "format", "--check", "--diff"],
    "mypy": ["-m", "mypy"],
}
HOW_TO_INSTALL = 'pip install -e ".[test]"'


@pytest.mark.parametrize("name", CHECKS)
def test_the_tree_is_clean(name):
    done = subprocess.run([sys.executable, *CHECKS[name]], cwd=REPO, capture_output=True, text=True, timeout=600)
    output = (done.stdout + done.stderr).strip()
    if "No module named" in output:
        pytest.fail(f"{name}: not installed for {sys.executable}; {HOW_TO_INSTALL}\n{output}")
    assert done.returncode == 0, f"{name} failed (run `python {' '.join(CHECKS[name])}` to see it):\n{output}"
