"""Run the suite as root the way instructors and Gradescope run the grader: with the user switch.

As root the worker runs as the sandbox user, who must be able to read the
interpreter, its standard library and numpy. A Python under root's home
(pyenv's, mode 0700) is out of its reach, and grading there would silently
skip the switch. The suite then builds a virtual environment of the system
python3 in a folder every user can read, installs this checkout into it as
the README's test command does, and runs itself again there.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Set in the suite's second run, so it never builds and re-runs again.
MARKER = "WORD2VEC_GRADER_TESTS_UNDER"
# Root's own, never a world-writable place such as /var/tmp: the suite runs
# this venv's python as root, and student code runs on this machine.
CACHE = Path("/var/cache/word2vec-grader-tests")


def sandbox_can_run():
    """Whether the sandbox user can read what a worker of this interpreter needs."""
    if os.geteuid() != 0:
        return True
    from grader.boundary.privileges import worker_needs
    from grader.boundary.staging import reachable

    return all(reachable(p) for p in worker_needs())


def system_python():
    """A python3 outside any home folder, with venv: the system's, as in Gradescope's image."""
    python = shutil.which("python3", path="/usr/bin:/bin:/usr/local/bin")
    if python and subprocess.run([python, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0:
        return python
    return None


def _fingerprint(python):
    """Rebuild when the interpreter, the project's dependencies or the checkout change."""
    digest = hashlib.sha256()
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True)
    for part in (python, version.stdout, str(REPO), (REPO / "pyproject.toml").read_text(encoding="utf-8")):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _only_root_can_change(path):
    """Whether ``path`` and every folder above it is root's, writable by no one else, and no link."""
    for part in [*reversed(Path(path).parents), Path(path)]:
        try:
            info = os.lstat(part)
        except OSError:
            return False
        if stat.S_ISLNK(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
            return False
    return True


def readable_venv():
    """(path of a venv's python the sandbox user can run, None) or (None, why there is none)."""
    python = system_python()
    if python is None:
        return None, "no system python3 with venv and ensurepip in /usr/bin, /bin or /usr/local/bin"
    venv = CACHE / f"venv-{_fingerprint(python)}"
    ready = venv / "installed"
    old_umask = os.umask(0o022)  # the sandbox user reads it; nobody else writes it
    try:
        CACHE.mkdir(mode=0o755, parents=True, exist_ok=True)
    finally:
        os.umask(old_umask)
    if not _only_root_can_change(CACHE):
        return None, f"{CACHE} is not root's alone (a link, or writable by others): not running a venv from it"
    if not ready.exists():
        old_umask = os.umask(0o022)
        try:
            shutil.rmtree(venv, ignore_errors=True)
            print(
                f"\nbuilding {venv} from {python}, so the grading tests run under the user switch",
                file=sys.stderr,
                flush=True,
            )
            steps = [
                [python, "-m", "venv", str(venv)],
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-e",
                    f"{REPO}[test]",
                ],
            ]
            for step in steps:
                done = subprocess.run(step, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                if done.returncode != 0:
                    return None, f"{' '.join(step[:4])} failed:\n{done.stdout[-2000:]}"
            ready.write_text("ok\n")
        finally:
            os.umask(old_umask)
    if not _only_root_can_change(venv / "bin"):
        return None, f"{venv} is not root's alone: not running it"
    return venv / "bin" / "python", None


def rerun_under_readable_python(config):
    """As root with an interpreter the sandbox user cannot run, run the suite again in one it can.

    Returns the reason the suite stays here (and grades without the switch),
    or None when there was nothing to do. Never returns after a re-run.
    """
    if os.geteuid() != 0 or os.environ.get(MARKER) or sandbox_can_run():
        return None
    python, why_not = readable_venv()
    if python is None:
        return why_not
    args = [str(python), "-m", "pytest", *config.invocation_params.args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(config.invocation_params.dir)
    os.execve(str(python), args, dict(os.environ, **{MARKER: str(python)}))
