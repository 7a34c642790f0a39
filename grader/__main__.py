import os
import sys

from grader.python_version import refuse_unsupported

refuse_unsupported()  # first: on an old Python everything below fails for unrelated reasons

# One BLAS thread, set before numpy loads. The grader's arrays are small, and
# OpenBLAS's idle threads spin in sched_yield: on a 2-core machine they took
# CPU from the worker and, in a batch, from the other grading process.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from grader.cli import main  # noqa: E402  (after the BLAS settings)

status = main()
# Every worker is dead and every result written by now; skip the interpreter's
# teardown of numpy and jinja2, which only adds time to each run.
sys.stdout.flush()
sys.stderr.flush()
os._exit(status if isinstance(status, int) else 1)
