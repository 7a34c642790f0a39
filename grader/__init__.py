"""An autograder for the word2vec skip-gram assignment.

``grade(path, seed=..., hidden=...)`` grades one ``word2vec.py``; the
command line is ``python -m grader``. Student code only ever runs in the
sandboxed worker (``grader.worker``), never in this process.
"""

__version__ = "0.1.0"
__all__ = ["grade"]


def __getattr__(name):
    # Lazy, so the sandboxed worker importing grader.worker stays light.
    if name == "grade":
        from grader.grading import grade

        return grade
    # No f-string: an old Python parses this file before the version check runs.
    raise AttributeError("module 'grader' has no attribute %r" % (name,))
