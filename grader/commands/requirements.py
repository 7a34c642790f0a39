"""``python -m grader requirements``: what setup.sh installs for the worker, from grader.yml."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader import config
from grader.commands.usage import fail

if TYPE_CHECKING:
    import argparse


def add_to(verbs: argparse._SubParsersAction[argparse.ArgumentParser], handout: bool) -> None:
    requirements = verbs.add_parser(
        "requirements", help="print the numpy (and other packages) Gradescope's worker gets, as setup.sh installs them"
    )
    requirements.add_argument("--config", help="grader.yml to use")
    requirements.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    try:
        worker = config.load(args.config).worker
    except config.ConfigError as error:
        return fail(str(error))
    print("\n".join([worker.numpy, *worker.packages]))
    return 0
