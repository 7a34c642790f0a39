#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
# The grader goes into its own virtual environment: Gradescope's harness
# needs the system python3 and its packages left as they are.
set -euo pipefail
umask 022
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
# From /: `python -c` and `python -m` import from the current folder first, and
# a grader there (source/ itself) is not the copy the venv runs.
cd /

if ! "$PYTHON" -m venv "$ROOT/venv" 2>/dev/null; then
    # Ubuntu images ship python3 without ensurepip.
    if command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv
    fi
    "$PYTHON" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$SOURCE"
# grader.yml decides the worker's numpy (default numpy<2) and extra packages.
"$ROOT/venv/bin/python" -m grader requirements --config "$SOURCE/grader.yml" > "$ROOT/worker-requirements.txt"
"$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/worker-requirements.txt"
# pip builds in-tree; its copies of the reference must not outlive the install.
rm -rf "$SOURCE/build" "$SOURCE"/*.egg-info
# Compiled templates, cached in the venv (root-only) so each run skips compiling them.
"$ROOT/venv/bin/python" -c "from grader.reporting import report; report.warm_cache()"
# Once, at image build: nothing in the venv is writable by the sandbox user.
# (run_autograder re-checks source/ and the grader itself on every run.)
chmod -R go-w "$ROOT/venv"

# Student code runs as this unprivileged user (see README, Security).
if [ "$(id -u)" = 0 ] && ! id grader-sandbox >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin grader-sandbox \
        || adduser --system --no-create-home grader-sandbox \
        || echo "setup.sh: could not create grader-sandbox; the grader will use 'nobody'"
fi
