"""Command line: ``python -m grader {local,gradescope,build}``.

Exit codes of ``local``: 0 when every test passed, 1 when any failed,
2 for a usage error or an unreadable submission.
"""

import argparse
import sys
from pathlib import Path

from grader import config

USAGE_ERROR = 2


def _parser():
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)

    local = verbs.add_parser("local", help="grade a word2vec.py on this machine and print a report")
    local.add_argument("path", nargs="?", default="word2vec.py",
                       help="the submission, or a folder holding it (default: ./word2vec.py)")
    local.add_argument("--seed", type=int, default=config.DEFAULT_SEED,
                       help=f"seed of the random cases (default {config.DEFAULT_SEED})")
    local.add_argument("--all", action="store_true", help="add the hidden suite (needs the reference)")
    local.add_argument("--format", choices=("text", "json"), default="text",
                       help="text report, or Gradescope's results.json object on stdout")

    gradescope = verbs.add_parser("gradescope", help="grade ROOT/submission into ROOT/results/results.json")
    gradescope.add_argument("--root", default="/autograder", help="the autograder folder (default /autograder)")
    gradescope.add_argument("--seed", type=int, default=None)

    build = verbs.add_parser("build", help="write dist/autograder.zip for Gradescope")
    build.add_argument("--out", default="dist", help="output folder (default dist/)")
    return parser


def _fail(message):
    print(f"python -m grader: {message}", file=sys.stderr)
    return USAGE_ERROR


def local(args):
    from grader import report
    from grader.gradescope import SubmissionNotFound, find_submission
    from grader.grading import grade
    from grader.oracle import ReferenceMissing

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
    try:
        run = grade(path, seed=args.seed, hidden=args.all, launcher=launcher(required=False))
    except ReferenceMissing as missing:
        return _fail(str(missing))
    if args.format == "json":
        print(report.as_json_text(run))
    else:
        print(report.text(run), end="")
    return 0 if run.all_passed else 1


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.verb == "local":
        return local(args)
    if args.verb == "gradescope":
        from grader import gradescope
        return gradescope.run(args.root, seed=args.seed)
    if args.verb == "build":
        from grader.build import BuildError, build_autograder_zip
        try:
            print(f"wrote {build_autograder_zip(args.out)}")
        except BuildError as exc:
            return _fail(str(exc))
        return 0
    return _fail(f"unknown command {args.verb}")
