"""Command line: ``python -m grader {local,gradescope,batch,build,check,requirements}``.

Exit codes of ``local``: 0 when every test passed, 1 when any failed,
2 for a usage error or an unreadable submission.
"""

import argparse
import sys
from pathlib import Path

from grader import config

USAGE_ERROR = 2


# Verbs that need the reference solution or a checkout of the grader. The
# student handout has neither: there they are refused in one line and left
# out of the help.
INSTRUCTOR_VERBS = ("gradescope", "batch", "check", "build")


def _parser(handout=False):
    parser = argparse.ArgumentParser(prog="python -m grader", description="The word2vec assignment's autograder.")
    verbs = parser.add_subparsers(dest="verb", required=True)

    local = verbs.add_parser("local", help="grade a word2vec.py on this machine and print a report")
    local.add_argument("path", nargs="?", default="word2vec.py",
                       help="the submission, or a folder holding it (default: ./word2vec.py)")
    seed_default = ("the handout's answers are for grader.yml's seed only" if handout
                    else f"default: grader.yml's, else {config.DEFAULT_SEED}")
    local.add_argument("--seed", type=int, default=None, help=f"seed of the random cases ({seed_default})")
    local.add_argument("--config", help="grader.yml to use (default: ./grader.yml, then the grader's own)")
    local.add_argument("--all", action="store_true", help="add the hidden suite (needs the reference)")
    local.add_argument("--format", choices=("text", "json", "html"), default="text",
                       help="text report, Gradescope's results.json object, or a self-contained HTML page")
    local.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    local.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text report (default auto: on a terminal, unless NO_COLOR is set)")

    requirements = verbs.add_parser("requirements", help="print the numpy (and other packages) Gradescope's "
                                                         "worker gets, as setup.sh installs them")
    requirements.add_argument("--config", help="grader.yml to use")
    if handout:
        return parser

    gradescope = verbs.add_parser("gradescope", help="grade ROOT/submission into ROOT/results/results.json")
    gradescope.add_argument("--root", default="/autograder", help="the autograder folder (default /autograder)")
    gradescope.add_argument("--seed", type=int, default=None)
    gradescope.add_argument("--config", help="grader.yml to use")

    batch = verbs.add_parser("batch", help="grade many submissions (or a Gradescope export) into a folder")
    batch.add_argument("paths", nargs="+", metavar="PATH",
                       help="a folder of .py files, a folder of submission folders, or a Gradescope "
                            "'Export Submissions' folder")
    batch.add_argument("--jobs", type=_positive, default=None,
                       help="submissions graded at once, each by its own process (default: one per CPU)")
    batch.add_argument("--out", default="batch-results",
                       help="where scores.csv, summary.html and reports/ go (default ./batch-results)")
    batch.add_argument("--seed", type=int, default=None)
    batch.add_argument("--config", help="grader.yml to use")

    check = verbs.add_parser("check", help="self-check: reference full marks, template 0, every mutant caught")
    check.add_argument("--seeds", type=int, default=3, help="how many seeds the reference is graded under")
    check.add_argument("--config", help="grader.yml to use")

    build = verbs.add_parser("build", help="write dist/autograder.zip (Gradescope) and dist/student.zip (handout)")
    build.add_argument("--out", default="dist", help="output folder (default dist/)")
    build.add_argument("--config", help="grader.yml to pack (default: the checkout's)")
    return parser


def _positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


def _fail(message):
    print(f"python -m grader: {message}", file=sys.stderr)
    return USAGE_ERROR


def local(args):
    from grader.gradescope import SubmissionNotFound, find_submission

    path = Path(args.path)
    try:
        if path.is_dir():
            path = find_submission(path)
        with open(path, "rb") as handle:
            handle.read(1)
    except SubmissionNotFound as missing:
        return _fail(str(missing))
    except OSError as exc:
        return _fail(f"cannot read the submission {args.path}: {exc.strerror or exc}")
    from grader.privileges import launcher
    from grader.sandbox import Sandbox
    from grader.spawners import WorkerStartFailed
    try:
        settings = config.read(args.config, seed=args.seed, hidden=args.all)
    except config.ConfigError as error:
        return _fail(str(error))
    cannot_start = "the grader could not start the process that runs your file: {}"
    try:
        # Start the worker first: it boots while this process loads numpy,
        # the catalogue, the templates and the reference.
        sandbox = Sandbox(path, settings.limits, launcher(required=False)).start()
    except WorkerStartFailed as error:
        return _fail(cannot_start.format(error))
    try:
        config.check_rubric(settings)
    except config.ConfigError as error:
        sandbox.close()
        return _fail(str(error))
    _warn_if_numpy_differs(settings.worker.numpy)
    from grader import report
    from grader.grading import grade
    from grader.oracle import ReferenceMissing
    try:
        run = grade(path, settings=settings, sandbox=sandbox)
    except (ReferenceMissing, config.ConfigError) as error:
        return _fail(str(error))
    except WorkerStartFailed as error:
        return _fail(cannot_start.format(error))
    if args.format == "json":
        rendered = report.as_json_text(run) + "\n"
    elif args.format == "html":
        rendered = report.html(run)
    else:
        rendered = report.text(run, color=report.color_wanted(args.color, None if args.output else sys.stdout))
    if not args.output:
        sys.stdout.write(rendered)
    else:
        try:
            Path(args.output).write_text(rendered, encoding="utf-8")
        except OSError as exc:
            return _fail(f"cannot write the report to {args.output}: {exc.strerror or exc}")
        print(f"Total: {run.score:g}/{run.max_score:g}; report written to {args.output}")
    return 0 if run.all_passed else 1


def _warn_if_numpy_differs(wanted):
    """One line, not an error: a numpy other than the Gradescope worker's may grade differently."""
    import shlex

    import numpy

    from grader.numpy_requirement import allows
    if not allows(wanted, numpy.__version__):
        print(f"warning: this Python has numpy {numpy.__version__}, but Gradescope grades with {wanted}, "
              f"so results may differ there; to match it: pip install {shlex.quote(wanted)}", file=sys.stderr)


def main(argv=None):
    from grader.bundle import is_handout
    from grader.privileges import SandboxUnavailable
    argv = sys.argv[1:] if argv is None else list(argv)
    handout = is_handout()
    if handout and argv and argv[0] in INSTRUCTOR_VERBS:
        return _fail(f"{argv[0]} is for instructors: it needs the reference solution, which this student "
                     "handout does not include; grade your file with: python -m grader local [path/to/word2vec.py]")
    args = _parser(handout).parse_args(argv)
    try:
        return _dispatch(args)
    except SandboxUnavailable as error:
        return _fail(str(error))


def _dispatch(args):
    if args.verb == "local":
        return local(args)
    if args.verb == "gradescope":
        from grader import gradescope
        return gradescope.run(args.root, seed=args.seed, config_path=args.config)
    if args.verb == "batch":
        from grader.batch import BatchUsageError, GradingProcessesFailed, run_batch
        from grader.oracle import ReferenceMissing
        try:
            return run_batch(args.paths, jobs=args.jobs, out=args.out, seed=args.seed, config_path=args.config)
        except (BatchUsageError, GradingProcessesFailed, ReferenceMissing, config.ConfigError) as error:
            return _fail(str(error))
    if args.verb == "check":
        from grader.selfcheck import run_check
        try:
            return run_check(config.load(args.config), seeds=args.seeds)
        except config.ConfigError as error:
            return _fail(str(error))
    if args.verb == "requirements":
        try:
            worker = config.load(args.config).worker
        except config.ConfigError as error:
            return _fail(str(error))
        print("\n".join([worker.numpy, *worker.packages]))
        return 0
    if args.verb == "build":
        from grader.build import BuildError, build_autograder_zip, build_student_zip, repository_root
        try:
            # The config the zips will carry, refused before anything is packed.
            config.load(args.config or repository_root() / config.CONFIG_NAME)
            print(f"wrote {build_autograder_zip(args.out, args.config)}")
            print(f"wrote {build_student_zip(args.out, args.config)}")
        except (BuildError, config.ConfigError) as exc:
            return _fail(str(exc))
        return 0
    return _fail(f"unknown command {args.verb}")
