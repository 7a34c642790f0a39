#!/usr/bin/env bash
# PrairieLearn runs this as root in the grading container, once per submission
# (the question's info.json names it: externalGradingOptions.entrypoint). It
# installs the grader into $ROOT/venv from the wheels beside it, offline (the
# container has no network), unless a venv there has it already; then it
# grades $ROOT/student into $ROOT/results/results.json. The grader writes that
# file itself whatever the submission does; the lines below only cover the
# grader failing to install or to start.
set -uo pipefail
umask 022
ROOT="${GRADE_ROOT:-/grade}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${GRADER_PYTHON:-python3}"
VENV="$ROOT/venv"
# prairielearn/grader-python points PYTHONPATH at serverFilesCourse; the grader
# needs none of it. uv and pip read no configuration, from files or from the
# environment: the wheels here are all they get.
unset PYTHONPATH
for variable in $(compgen -e | grep -E '^(PIP|UV)_'); do unset "$variable"; done
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 UV_NO_CONFIG=1 UV_NO_CACHE=1

grader_failure() {
    local message="$1 This is the grader's failure, not yours: please contact course staff."
    echo "$message"
    mkdir -p "$ROOT/results"
    rm -f "$ROOT/results/results.json"
    # Not gradable: PrairieLearn then charges the student no attempt for the grader's failure.
    printf '{"gradable": false, "format_errors": ["%s"]}\n' "$message" \
        > "$ROOT/results/results.json"
    exit 0
}

# From /, so no folder a submission could write is on the grader's import path.
cd /
if ! "$VENV/bin/python" -I -c "import grader" 2>/dev/null; then
    started=$SECONDS
    rm -rf "$VENV"
    interpreter="$(command -v "$PYTHON")" || grader_failure "The grading image has no $PYTHON."
    if command -v uv >/dev/null; then  # prairielearn/grader-python has uv: seconds faster than pip
        uv venv --quiet --offline --python "$interpreter" "$VENV" \
            && uv pip install --quiet --offline --no-index --compile-bytecode --python "$VENV/bin/python" \
                --find-links "$HERE/wheels" -r "$HERE/wheels/requirements.txt"
    else
        "$interpreter" -m venv "$VENV" \
            && "$VENV/bin/python" -m pip install --quiet --no-index \
                --find-links "$HERE/wheels" -r "$HERE/wheels/requirements.txt"
    fi || grader_failure "The autograder could not be installed in the grading container."
    # Nothing in the venv is writable by the sandbox user.
    chmod -R go-w "$VENV"
    echo "installed the grader into $VENV in $((SECONDS - started)) s"
fi
"$VENV/bin/python" -m grader prairielearn --root "$ROOT" --config "$HERE/grader.yml"
status=$?
if [ "$status" -ne 0 ]; then
    grader_failure "The autograder failed to start (exit status $status)."
fi
exit 0
