"""Broken submissions score what they earn, with a message and never a traceback."""

import textwrap

from conftest import REFERENCE_PATH
from grader import grade

ZEROS = """
import numpy as np

def sigmoid(x):
    return np.zeros_like(np.asarray(x, dtype=float))

def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)

def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)

def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
             outsideVectors, dataset, word2vecLossAndGradient=None):
    return 0.0, np.zeros(centerWordVectors.shape), np.zeros(outsideVectors.shape)
"""


def replace_function(source, name, body):
    """The reference with one top-level function replaced by ``body``."""
    start = source.index(f"\ndef {name}(")
    end = source.index("\ndef ", start + 1)
    return source[:start] + "\n" + textwrap.dedent(body) + "\n" + source[end:]


def lost_functions(run):
    """The functions whose tests lost points. The training check (5.5, sgd's, worth 0 by default) is not
    run when a function it trains with fails: that costs nothing, so it is no loss of sgd's."""
    return {t.function for t in run.tests if t.score < t.max_score}


def test_constant_outputs_score_zero(tmp_path, write_submission):
    """Every function of word2vec.py returns zeros: none of its tests earns a point (sgd.py is the reference's)."""
    run = grade(write_submission(tmp_path, ZEROS), hidden=True)
    assert [f"{t.number}: {t.score}" for t in run.tests if t.score and t.function != "sgd"] == []
    assert "credited only once test 2.1 passes" in {t.number: t.output for t in run.tests}["2.4"]


def test_syntax_error_scores_zero_and_names_the_line(tmp_path, write_submission, reference_source):
    lines = reference_source.splitlines()
    lines[40] = "def broken(:"
    run = grade(write_submission(tmp_path, "\n".join(lines)), hidden=True)
    assert run.score == 0
    assert "SyntaxError at line 41" in run.summary


def test_failing_import_scores_zero_with_the_reason(tmp_path, write_submission, reference_source):
    run = grade(write_submission(tmp_path, "import torch\n" + reference_source), hidden=True)
    assert run.score == 0
    assert "ModuleNotFoundError" in run.summary and "torch" in run.summary


def test_writing_outside_the_working_folder_at_import_says_where_files_may_go(
    tmp_path, write_submission, reference_source
):
    # Refused by Landlock where the kernel has it; by file modes under the user switch.
    source = reference_source + "\nopen('/usr/local/w2v-saved-at-import.txt', 'w')\n"
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert run.score == 0
    assert "PermissionError" in run.summary and "write only in its working folder" in run.summary, run.summary
    saved = reference_source + "\nopen('saved-at-import.txt', 'w').write('fine')\n"
    run = grade(write_submission(tmp_path, saved), hidden=True)
    assert run.score == run.max_score, run.summary


def test_missing_function_costs_only_its_tests(tmp_path, write_submission, reference_source):
    source = replace_function(reference_source, "skipgram", "")
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert lost_functions(run) == {"skipgram"}
    assert "skipgram" in run.summary


def test_exception_is_reported_with_type_and_line(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "sigmoid",
        """
        def sigmoid(x):
            raise ValueError("not done yet")
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert lost_functions(run) == {"sigmoid"}
    output = {t.number: t.output for t in run.tests}["1.1"]
    assert "ValueError: not done yet" in output and "at line" in output


def test_hang_costs_only_that_function(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "naiveSoftmaxLossAndGradient",
        """
        def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
            while True:
                pass
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert lost_functions(run) == {"naive_softmax"}
    assert "did not return within" in {t.number: t.output for t in run.tests}["2.1"]


def test_exit_inside_a_call_costs_only_that_function(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "sigmoid",
        """
        def sigmoid(x):
            import os
            os._exit(0)
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert lost_functions(run) == {"sigmoid"}
    assert run.score == run.max_score - run.by_function()["sigmoid"][1]


def test_loss_of_shape_one_costs_only_the_shape_points(tmp_path, write_submission, reference_source):
    source = reference_source.replace(
        "    loss = logNormaliser - scores[outsideWordIdx]            # -log y_hat_o",
        "    loss = np.array([logNormaliser - scores[outsideWordIdx]])",
    )
    assert source != reference_source
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert [t.number for t in run.tests if not t.passed] == ["2.5"]
    assert "got (1,), expected ()" in {t.number: t.output for t in run.tests}["2.5"]


def test_returned_list_is_named_in_the_message(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "sigmoid",
        """
        def sigmoid(x):
            return [0.5]
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert "is a list of length 1" in {t.number: t.output for t in run.tests}["1.1"]


def test_reference_file_is_unchanged_by_grading():
    before = REFERENCE_PATH.read_bytes()
    grade(REFERENCE_PATH, hidden=True)
    assert REFERENCE_PATH.read_bytes() == before


def test_source_is_graded_not_a_planted_or_stale_pyc(tmp_path, write_submission, reference_source):
    """A .pyc beside the file (planted, or left by an earlier grading) must never be run."""
    import py_compile
    import sys

    wrong = reference_source.replace("        loss += wordLoss", "        loss = wordLoss")
    path = write_submission(tmp_path, wrong)
    cache = tmp_path / "__pycache__" / f"word2vec.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(path), cfile=str(cache), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    stat = path.stat()
    path.write_text(reference_source)
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run = grade(path, hidden=True)
    assert run.score == run.max_score, run.summary
    assert not any(p.name != cache.name for p in (tmp_path / "__pycache__").iterdir())


def test_terminal_escapes_in_messages_are_neutralised(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "sigmoid",
        """
        def sigmoid(x):
            raise ValueError("\\x1b[2J\\x1b[31mall tests passed")
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    output = {t.number: t.output for t in run.tests}["1.1"]
    assert "\x1b" not in output and "?[2J" in output


# A submission runs inside the worker and can rewrite what the worker sends
# back. Whatever it sends, the trusted side must fail those calls, never
# crash into an internal error.
TAMPERING = {
    "deep nesting": "return original(self, {'id': message.get('id'), 'results': eval('[' * 5000 + ']' * 5000)})",
    "error as text": "return original(self, {'id': message.get('id'), 'results': "
    "[{'error': 'boom'} for _ in message.get('results') or []]})",
    "failed as text": "return original(self, {'id': message.get('id'), 'failed': 'boom'})",
    "frames as a number": "return original(self, {'id': message.get('id'), 'results': "
    "[{'error': {'type': 'X', 'frames': 5}} for _ in message.get('results') or []]})",
    "items shorter than length": "return original(self, {'id': message.get('id'), 'results': "
    "[{'value': {'kind': 'sequence', 'length': 3, 'items': [{'kind': 'none'}]}} "
    "for _ in message.get('results') or []]})",
    "huge shape": "return original(self, {'id': message.get('id'), 'results': [{'value': {'kind': 'number', "
    "'ndarray': '', 'shape': [2**62, 4]}} for _ in message.get('results') or []]})",
    "unhashable index": "return original(self, {'id': message.get('id'), 'results': [dict(r, calls=[{"
    "'outsideWordIdx': [1]}]) for r in message.get('results') or []]})",
}


def test_tampered_replies_fail_calls_not_the_grader(tmp_path, write_submission, reference_source):
    for label, body in TAMPERING.items():
        patch = (
            "\nimport grader.worker.serve as _serve\n_original_send = _serve.Channel.send\n"
            "def _send(self, message, original=_original_send):\n"
            "    if 'results' in message or 'failed' in message:\n"
            f"        {body}\n"
            "    return original(self, message)\n"
            "_serve.Channel.send = _send\n"
        )
        folder = tmp_path / label.replace(" ", "_")
        folder.mkdir()
        run = grade(write_submission(folder, reference_source + patch), hidden=True)
        assert not run.internal_error, label
        if label == "unhashable index":  # only the recorded calls are forged
            assert not {t.number: t.passed for t in run.tests}["4.1"], label
        else:
            assert run.score == 0, label


def test_integer_inputs_reach_sigmoid_as_integers(tmp_path, write_submission, reference_source):
    source = replace_function(
        reference_source,
        "sigmoid",
        """
        def sigmoid(x):
            s = np.zeros_like(x)            # an int array for int input: a real student bug
            s[...] = 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
            return s[()] if np.ndim(s) == 0 else s
        """,
    )
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert "integer array" in {t.number: t.output for t in run.tests}["1.1"]


def test_made_up_loss_with_matching_gradients_earns_no_gradient_check(tmp_path, write_submission, reference_source):
    fake = """
        def {name}(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
            loss = 0.5 * float(centerWordVec @ centerWordVec)
            return loss, centerWordVec.copy(), np.zeros_like(outsideVectors)
        """
    source = replace_function(
        reference_source, "naiveSoftmaxLossAndGradient", fake.format(name="naiveSoftmaxLossAndGradient")
    )
    source = replace_function(source, "negSamplingLossAndGradient", fake.format(name="negSamplingLossAndGradient"))
    run = grade(write_submission(tmp_path, source), hidden=True)
    scores = run.by_function()
    assert scores["naive_softmax"][0] == 0 and scores["neg_sampling"][0] == 0


def test_outside_word_not_rejected_gets_the_rejection_hint(tmp_path, write_submission, reference_source):
    source = reference_source.replace(
        "        while newidx == outsideWordIdx:\n            newidx = dataset.sampleTokenIdx()\n", ""
    )
    assert source != reference_source
    run = grade(write_submission(tmp_path, source), hidden=True)
    assert lost_functions(run) == {"neg_sampling"}
    assert "not rejected" in {t.number: t.output for t in run.tests}["3.1"]
