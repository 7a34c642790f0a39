"""What the worker may read, wherever the grader and its venv were put."""

import os
import sys
import types

from grader.worker import confine


def _granted(paths, target):
    target = os.path.realpath(target)
    return any(target == p or target.startswith(p.rstrip(os.sep) + os.sep) for p in paths)


def test_a_venv_made_inside_a_checkout_keeps_numpy_readable_and_the_reference_not(tmp_path, monkeypatch):
    """`python -m venv .venv` in the checkout, `pip install .`, then the grader run from the checkout."""
    checkout = tmp_path / "checkout"
    (checkout / "grader" / "worker").mkdir(parents=True)
    (checkout / "grader" / "__init__.py").write_text("")
    (checkout / "reference").mkdir()
    (checkout / "reference" / "word2vec.py").write_text("the solution")
    site = checkout / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "numpy" / "random").mkdir(parents=True)
    (site / "numpy" / "__init__.py").write_text("")
    (site / "numpy" / "random" / "__init__.py").write_text("")
    (site / "grader" / "_bundled" / "reference").mkdir(parents=True)  # the installed copy, reference bundled
    (site / "grader" / "__init__.py").write_text("")
    (site / "grader" / "_bundled" / "reference" / "word2vec.py").write_text("the solution")
    submission = tmp_path / "submission" / "word2vec.py"
    submission.parent.mkdir()
    monkeypatch.setattr(confine, "__file__", str(checkout / "grader" / "worker" / "confine.py"))
    monkeypatch.setattr(sys, "path", [str(checkout), str(site)])
    monkeypatch.setitem(sys.modules, "numpy", types.SimpleNamespace(__file__=str(site / "numpy" / "__init__.py")))

    paths = confine.readable_paths({"utils_parent": str(tmp_path / "submission"), "submission": str(submission)})

    assert _granted(paths, site / "numpy" / "random" / "__init__.py"), paths
    for secret in (
        checkout / "reference" / "word2vec.py",
        checkout / "grader" / "__init__.py",
        site / "grader" / "_bundled" / "reference" / "word2vec.py",
    ):
        assert not _granted(paths, secret), (secret, paths)
