import os
import sys

from grader.cli import main

status = main()
# Every worker is dead and every result written by now; skip the interpreter's
# teardown of numpy and jinja2, which only adds time to each run.
sys.stdout.flush()
sys.stderr.flush()
os._exit(status if isinstance(status, int) else 1)
