"""``python -m grader local``: grade a word2vec.py on this machine and print a report.

Exit status: 0 when every test passed, 1 when any failed, 2 for a usage
error, an unreadable submission or the grader's own trouble.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from grader import config
from grader.commands.usage import fail

if TYPE_CHECKING:
    import argparse


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    local = verbs.add_parser("local", help="grade a word2vec.py on this machine and print a report")
    local.add_argument(
        "path", nargs="?", default="word2vec.py", help="the submission, or a folder holding it (default: ./word2vec.py)"
    )
    seed_default = (
        "the handout's answers are for grader.yml's seed only"
        if handout
        else f"default: grader.yml's, else {config.DEFAULT_SEED}"
    )
    local.add_argument("--seed", type=int, default=None, help=f"seed of the random cases ({seed_default})")
    local.add_argument("--config", help="grader.yml to use (default: ./grader.yml, then the grader's own)")
    local.add_argument("--all", action="store_true", help="add the hidden suite (needs the reference)")
    local.add_argument(
        "--format",
        choices=("text", "json", "html", "junit"),
        default="text",
        help="text report, Gradescope's results.json object, a self-contained HTML page, or JUnit XML"
        " (for CodeGrade, GitLab or Jenkins)",
    )
    local.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    local.add_argument(
        "-v", "--verbose", action="store_true", help="also say which protections around your code are in force"
    )
    local.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (default auto: on a terminal, unless NO_COLOR is set)",
    )
    local.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    """Grade one file here and print (or write) its report; the exit status says how it went."""
    from grader.submission import SubmissionNotFound, find_submission, not_python

    path = Path(args.path)
    try:
        if path.is_dir():
            path = find_submission(path)
        with open(path, "rb") as handle:
            handle.read(1)
        why = not_python(path)
        if why:
            raise SubmissionNotFound(why)
    except SubmissionNotFound as missing:
        return fail(str(missing))
    except OSError as exc:
        return fail(f"cannot read the submission {args.path}: {exc.strerror or exc}")
    from grader.boundary.privileges import launcher
    from grader.boundary.sandbox import Sandbox
    from grader.boundary.spawners import WorkerStartFailed

    try:
        settings = config.read(args.config, seed=args.seed, hidden=args.all)
    except config.ConfigError as error:
        return fail(str(error))
    cannot_start = "the grader could not start the process that runs your file: {}"
    try:
        # Start the worker first: it boots while this process loads numpy,
        # the catalogue, the templates and the reference.
        sandbox = Sandbox(path, settings.limits, launcher(required=False)).start()
    except WorkerStartFailed as error:
        return fail(cannot_start.format(error))
    try:
        config.check_rubric(settings)
    except config.ConfigError as error:
        sandbox.close()
        return fail(str(error))
    _warn_if_numpy_differs(settings.worker.numpy)
    _warn_of_imports_gradescope_lacks(path, settings.worker.packages)
    from grader.answers.oracle import ReferenceMissing
    from grader.grading import grade
    from grader.reporting import report

    try:
        run = grade(path, settings=settings, sandbox=sandbox)
    except (ReferenceMissing, config.ConfigError) as error:
        return fail(str(error))
    except WorkerStartFailed as error:
        return fail(cannot_start.format(error))
    if args.verbose:
        print(
            "Protections in force around your code:", *(f"  {line}" for line in run.layers), sep="\n", file=sys.stderr
        )
    elif sandbox.layers is not None and sandbox.layers.missing():
        print(
            "note: your code runs here with fewer protections than on Gradescope "
            f"({', '.join(sandbox.layers.missing())}); scores are not affected "
            "(python -m grader local -v says why)",
            file=sys.stderr,
        )
    if args.format == "json":
        rendered = report.as_json_text(run) + "\n"
    elif args.format == "html":
        rendered = report.html(run)
    elif args.format == "junit":
        from grader.reporting import junit

        rendered = junit.text(run)
    else:
        rendered = report.text(run, color=report.color_wanted(args.color, None if args.output else sys.stdout))
    if not args.output:
        sys.stdout.write(rendered)
    else:
        try:
            Path(args.output).write_text(rendered, encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write the report to {args.output}: {exc.strerror or exc}")
        print(f"Total: {run.score:g}/{run.max_score:g}; report written to {args.output}")
    return 0 if run.all_passed else 1


def _warn_if_numpy_differs(wanted: str) -> None:
    """One line, not an error: a numpy other than the Gradescope worker's may grade differently."""
    import numpy

    warning = numpy_warning(wanted, numpy.__version__, (sys.version_info[0], sys.version_info[1]))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def numpy_warning(wanted: str, have: str, python: tuple[int, int]) -> str | None:
    """What to tell a student testing with numpy ``have`` on ``python``, when Gradescope's is ``wanted``."""
    import shlex

    from grader.numpy_requirement import allows, dotted, instead_on, newest_python, pythons_with_it
    from grader.python_version import MINIMUM

    if allows(wanted, have):
        return None
    if instead_on(wanted, python) is None:
        return (
            f"this Python has numpy {have}, but Gradescope grades with {wanted}, "
            f"so results may differ there; to match it: pip install {shlex.quote(wanted)}"
        )
    # No numpy that fits has wheels for this Python: the handout installed the nearest that has.
    pythons = pythons_with_it(wanted, MINIMUM)
    where = ""
    if pythons:
        low, high = dotted(pythons[0]), dotted(pythons[-1])
        newer = " or newer" if pythons[-1] == newest_python() else (f" to {high}" if high != low else "")
        where = f"; to test with it, use Python {low}{newer}"
    return (
        f"Gradescope grades with {wanted}; Python {dotted(python)} has no such numpy, "
        f"so you are testing with numpy {have}, and results may differ there{where}"
    )


def _warn_of_imports_gradescope_lacks(path: Path, provided: tuple[str, ...]) -> None:
    """Installed here, such an import grades; on Gradescope the same file scores 0."""
    from grader import saved_source

    for line, name in saved_source.installed_here_only(saved_source.read(path), provided):
        print(
            f"warning: {path.name} line {line} imports {name}, which this Python has but the grader provides "
            f"{saved_source.only_provided(provided)}: on Gradescope the file will not import; remove the "
            'import, or move it under if __name__ == "__main__":',
            file=sys.stderr,
        )
