"""Realistic student bugs that the grader must catch.

Instructor-only. Each mutant is one mistake students really make, written as
a text substitution on one file of the reference (word2vec.py, or sgd.py),
so it stays readable next to the reference and breaks loudly if the
reference changes under it.

A mutant must be wrong in exactly one of the graded functions:
tests/test_mutants.py checks that the grader takes points off under that
function's tag and under no other.
"""

from dataclasses import dataclass

from grader import registry

FUNCTIONS = registry.tags()


@dataclass(frozen=True)
class Mutant:
    """One student bug.

    name -- short identifier, used as the pytest id.
    function -- the grader tag of the only function it breaks (see FUNCTIONS).
    description -- the mistake, in the assignment's terms.
    old -- text that occurs exactly once in the reference's ``file``.
    new -- what replaces ``old``; may span several lines.
    file -- the reference file it changes.
    """

    name: str
    function: str
    description: str
    old: str
    new: str
    file: str = "word2vec.py"


class MutantDoesNotApply(ValueError):
    """A mutant's ``old`` text is missing from, or repeated in, the reference."""


def mutate(reference_source: str, mutant: Mutant) -> str:
    """Return reference_source with the mutant's one substitution applied."""
    count = reference_source.count(mutant.old)
    if count != 1:
        raise MutantDoesNotApply(
            f"mutant {mutant.name!r}: its 'old' text occurs {count} times in the "
            f"reference, expected exactly once:\n{mutant.old}"
        )
    return reference_source.replace(mutant.old, mutant.new)


def mutate_files(reference_files: dict[str, str], mutant: Mutant) -> dict[str, str]:
    """The reference's files (name -> source), with the mutant applied to its own file."""
    return {**reference_files, mutant.file: mutate(reference_files[mutant.file], mutant)}


# Lines of the reference that several mutants rewrite.
_SIGMOID_BODY = """\
    s = np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))
    if np.ndim(s) == 0:
        s = s[()]
"""
_NS_LOSS = "    loss = logNormaliser - scores[outsideWordIdx]            # -log y_hat_o\n"
_NS_SUBTRACT_Y = "    delta[outsideWordIdx] -= 1.0                             # y_hat - y\n"
_NS_Y_HAT = "    delta = np.exp(scores - logNormaliser)                   # y_hat\n"
_NS_GRAD_CENTER = "    gradCenterVec = outsideVectors.T @ delta                 # U (y_hat - y)\n"
_NS_GRAD_OUTSIDE = "    gradOutsideVecs = np.outer(delta, centerWordVec)         # (y_hat - y) v_c^T\n"
_NEG_LOSS = "    loss = -_log_sigmoid(outsideScore) - np.sum(_log_sigmoid(-negativeScores))\n"
_NEG_ADD_AT = "    np.add.at(gradOutsideVecs, negatives, np.outer(negativeCoefs, centerWordVec))\n"
_NEG_GRAD_CENTER = "    gradCenterVec = outsideCoef * outsideVec + negativeCoefs @ negativeVecs\n"
_SG_CALL = """\
        wordLoss, gradCenter, gradOutside = word2vecLossAndGradient(
            centerWordVec, word2Ind[outsideWord], outsideVectors, dataset)
"""

_SG_BODY = (
    "    centerIdx = word2Ind[currentCenterWord]\n"
    "    centerWordVec = centerWordVectors[centerIdx]\n"
    "    for outsideWord in outsideWords:\n" + _SG_CALL + "        loss += wordLoss\n"
)


def _sg_call(arguments):
    return f"        wordLoss, gradCenter, gradOutside = word2vecLossAndGradient(\n            {arguments})\n"


def _float_of_one_element_raises():
    import numpy as np

    try:
        float(np.zeros(1))
    except TypeError:
        return True
    return False


_SIGMOID = (
    Mutant(
        "sigmoid_sign_flipped",
        "sigmoid",
        "sigmoid written as 1 / (1 + exp(x)), which is sigmoid(-x).",
        _SIGMOID_BODY,
        "    s = 1 / (1 + np.exp(x))\n",
    ),
    Mutant(
        "sigmoid_exp_over_one_plus_exp",
        "sigmoid",
        "sigmoid written as exp(x) / (1 + exp(x)): right algebra, but "
        "inf / inf gives nan for large positive x (x = 800).",
        _SIGMOID_BODY,
        "    s = np.exp(x) / (1 + np.exp(x))\n",
    ),
    Mutant(
        "sigmoid_modifies_input",
        "sigmoid",
        "Negates x in place to save a copy: np.asarray returns the caller's "
        "float array itself, so the caller's x is overwritten with -x.",
        _SIGMOID_BODY,
        "    x = np.asarray(x, dtype=float)\n    x *= -1\n    s = 1 / (1 + np.exp(x))\n",
    ),
    Mutant(
        "sigmoid_precedence",
        "sigmoid",
        "Missing parentheses: 1 / 1 + np.exp(-x) is 1 + exp(-x), not the sigmoid.",
        _SIGMOID_BODY,
        "    s = 1 / 1 + np.exp(-x)\n",
    ),
    Mutant(
        "sigmoid_math_exp",
        "sigmoid",
        "Uses math.exp, which accepts only scalars: fails on arrays of "
        "several elements and raises OverflowError at x = -800.",
        _SIGMOID_BODY,
        "    import math\n    s = 1 / (1 + math.exp(-x))\n",
    ),
    Mutant(
        "sigmoid_math_e_power",
        "sigmoid",
        "math.e ** (-x): elementwise for arrays and right for small x, but a "
        "Python float power raises OverflowError at x = -800.",
        _SIGMOID_BODY,
        "    import math\n    s = 1 / (1 + math.e ** (-x))\n",
    ),
    Mutant(
        "sigmoid_iterates_over_x",
        "sigmoid",
        "Builds s with a loop over x: right for arrays, TypeError for a scalar "
        "(a float or 0-d array cannot be iterated).",
        _SIGMOID_BODY,
        "    s = np.array([1 / (1 + np.exp(-row)) for row in x])\n",
    ),
    Mutant(
        "sigmoid_unfilled",
        "sigmoid",
        "The code block left empty and s = None deleted: the return names an undefined s.",
        _SIGMOID_BODY,
        "",
    ),
    Mutant(
        "sigmoid_bare_exp",
        "sigmoid",
        "exp written without np., as if numpy's names were imported bare: NameError.",
        _SIGMOID_BODY,
        "    s = 1 / (1 + exp(-np.asarray(x, dtype=float)))\n",
    ),
    Mutant(
        "sigmoid_np_float_alias",
        "sigmoid",
        "dtype=np.float, an alias numpy 1.24 removed: AttributeError under newer numpy.",
        "np.asarray(x, dtype=float)))\n",
        "np.asarray(x, dtype=np.float)))\n",
    ),
)

_NAIVE_SOFTMAX = (
    Mutant(
        "ns_loss_sign_flipped",
        "naive_softmax",
        "Loss returned as log y_hat_o instead of -log y_hat_o; the gradients are right.",
        _NS_LOSS,
        "    loss = scores[outsideWordIdx] - logNormaliser\n",
    ),
    Mutant(
        "ns_y_not_subtracted",
        "naive_softmax",
        "Gradients use y_hat instead of y_hat - y: the one-hot y is forgotten, "
        "so the terms for the true outside word o are wrong.",
        _NS_SUBTRACT_Y,
        "",
    ),
    Mutant(
        "ns_grad_center_wrong_orientation",
        "naive_softmax",
        "gradCenterVec computed as outsideVectors @ (y_hat - y) instead of "
        "U (y_hat - y) = outsideVectors.T @ (y_hat - y): only runs when V == d, "
        "and is wrong even then.",
        _NS_GRAD_CENTER,
        "    gradCenterVec = outsideVectors @ delta\n",
    ),
    Mutant(
        "ns_grad_outside_transposed",
        "naive_softmax",
        "gradOutsideVecs computed as v_c (y_hat - y)^T, following the write-up's "
        "dJ/dU, which is the transpose of the code's (V, d) layout: shape (d, V).",
        _NS_GRAD_OUTSIDE,
        "    gradOutsideVecs = np.outer(centerWordVec, delta)\n",
    ),
    Mutant(
        "ns_no_max_shift",
        "naive_softmax",
        "Softmax computed as exp(scores) / sum(exp(scores)) without subtracting "
        "the largest score: exp overflows when every score is near 800 and the "
        "loss and gradients become nan.",
        "    shift = scores.max()                                     # keeps exp() finite\n"
        "    logNormaliser = shift + np.log(np.sum(np.exp(scores - shift)))\n"
        + _NS_LOSS
        + "    delta = np.exp(scores - logNormaliser)                   # y_hat\n",
        "    expScores = np.exp(scores)\n"
        "    y_hat = expScores / np.sum(expScores)\n"
        "    loss = -np.log(y_hat[outsideWordIdx])\n"
        "    delta = y_hat.copy()\n",
    ),
    Mutant(
        "ns_mean_instead_of_sum",
        "naive_softmax",
        "np.mean instead of np.sum in the softmax denominator: the loss is off "
        "by log V and y_hat, hence both gradients, is V times too large.",
        "np.log(np.sum(np.exp(scores - shift)))",
        "np.log(np.mean(np.exp(scores - shift)))",
    ),
    Mutant(
        "ns_gradients_divided_by_V",
        "naive_softmax",
        "Both gradients averaged over the vocabulary (divided by V), as if the loss were a mean over words.",
        _NS_GRAD_CENTER + _NS_GRAD_OUTSIDE,
        "    gradCenterVec = outsideVectors.T @ delta / len(outsideVectors)\n"
        "    gradOutsideVecs = np.outer(delta, centerWordVec) / len(outsideVectors)\n",
    ),
    Mutant(
        "ns_modifies_outside_vectors",
        "naive_softmax",
        "Reuses outsideVectors as the buffer for gradOutsideVecs, so the "
        "caller's outside vectors are overwritten by the gradient; the "
        "returned values are right.",
        _NS_GRAD_OUTSIDE,
        "    gradOutsideVecs = outsideVectors\n    gradOutsideVecs[:] = np.outer(delta, centerWordVec)\n",
    ),
    Mutant(
        "ns_loss_shape_1",
        "naive_softmax",
        "Picks the outside score with a list index, scores[[o]], so the loss "
        "is an array of shape (1,) instead of a scalar; the value is right.",
        _NS_LOSS,
        "    loss = logNormaliser - scores[[outsideWordIdx]]\n",
    ),
    Mutant(
        "ns_grad_center_column",
        "naive_softmax",
        "Treats y_hat - y as a column vector, so gradCenterVec has shape (d, 1) instead of (d,); the values are right.",
        _NS_GRAD_CENTER,
        "    gradCenterVec = outsideVectors.T @ delta.reshape(-1, 1)\n",
    ),
    Mutant(
        "ns_grad_outside_only_true_word",
        "naive_softmax",
        "Only the w = o case of dJ/du_w is implemented: every other row of "
        "gradOutsideVecs is left zero instead of y_hat_w v_c.",
        _NS_GRAD_OUTSIDE,
        "    gradOutsideVecs = np.zeros_like(outsideVectors)\n"
        "    gradOutsideVecs[outsideWordIdx] = delta[outsideWordIdx] * centerWordVec\n",
    ),
    Mutant(
        "ns_loss_over_vocabulary",
        "naive_softmax",
        "Loss summed over the whole vocabulary, -sum_w log y_hat_w, instead of -log y_hat_o; the gradients are right.",
        _NS_LOSS,
        "    loss = np.sum(logNormaliser - scores)\n",
    ),
    Mutant(
        "ns_loss_without_log",
        "naive_softmax",
        "Loss returned as -y_hat_o, the log forgotten; the gradients are right.",
        _NS_LOSS,
        "    loss = -np.exp(scores[outsideWordIdx] - logNormaliser)\n",
    ),
    Mutant(
        "ns_y_hat_sign_flipped",
        "naive_softmax",
        "Gradients built from -y_hat - y instead of y_hat - y.",
        _NS_Y_HAT,
        "    delta = -np.exp(scores - logNormaliser)\n",
    ),
    Mutant(
        "ns_unnormalised_weights",
        "naive_softmax",
        "Gradients weight each u_w by exp(u_w . v_c) without dividing by the sum: y_hat not normalised.",
        _NS_Y_HAT,
        "    delta = np.exp(scores)\n",
    ),
    Mutant(
        "ns_outside_vectors_as_columns",
        "naive_softmax",
        "Scores computed as centerWordVec @ outsideVectors, as if outsideVectors "
        "were d x V with one word per column: ValueError whenever V != d.",
        "    scores = outsideVectors @ centerWordVec                  # u_w^T v_c, shape (V,)\n",
        "    scores = centerWordVec @ outsideVectors\n",
    ),
) + (
    # float() of a one-element array raises only under a numpy that refuses
    # it (2.x); under older numpy this is a correct submission.
    (
        Mutant(
            "ns_float_of_one_element_array",
            "naive_softmax",
            "loss = float(...) of the one-element array scores[[o]]: TypeError under newer numpy.",
            _NS_LOSS,
            "    loss = float(logNormaliser - scores[[outsideWordIdx]])\n",
        ),
    )
    if _float_of_one_element_raises()
    else ()
)

_NEG_SAMPLING = (
    Mutant(
        "neg_repeated_negatives_fancy_index",
        "neg_sampling",
        "Accumulates with gradOutsideVecs[negatives] += ...: numpy applies a "
        "repeated index once, so a word drawn twice counts once.",
        _NEG_ADD_AT,
        "    gradOutsideVecs[negatives] += np.outer(negativeCoefs, centerWordVec)\n",
    ),
    Mutant(
        "neg_negatives_deduplicated",
        "neg_sampling",
        "np.unique on the negative samples to dodge the repeated-index problem: "
        "a word drawn twice now counts once in the loss and the gradients.",
        "    negatives = np.asarray(negSampleWordIndices, dtype=int)\n",
        "    negatives = np.unique(negSampleWordIndices)\n",
    ),
    Mutant(
        "neg_loss_negative_term_sign",
        "neg_sampling",
        "Loss uses log sigma(u_k . v_c) instead of log sigma(-u_k . v_c) for the "
        "negative samples; the gradients are right.",
        _NEG_LOSS,
        "    loss = -_log_sigmoid(outsideScore) - np.sum(_log_sigmoid(negativeScores))\n",
    ),
    Mutant(
        "neg_grad_center_negative_term_sign",
        "neg_sampling",
        "gradCenterVec subtracts the negative-sample terms sigma(u_k . v_c) u_k "
        "instead of adding them (the minus sign of U_o = [u_o, -u_w1, ...] "
        "applied twice).",
        _NEG_GRAD_CENTER,
        "    gradCenterVec = outsideCoef * outsideVec - negativeCoefs @ negativeVecs\n",
    ),
    Mutant(
        "neg_K_ignored",
        "neg_sampling",
        "Draws a hard-coded 10 negative samples instead of K: right only when K = 10.",
        "= getNegativeSamples(outsideWordIdx, dataset, K)\n",
        "= getNegativeSamples(outsideWordIdx, dataset, 10)\n",
    ),
    Mutant(
        "neg_loss_divided_by_K_plus_1",
        "neg_sampling",
        "Loss averaged over the K + 1 terms instead of summed; the gradients are right.",
        _NEG_LOSS,
        "    loss = (-_log_sigmoid(outsideScore)\n            - np.sum(_log_sigmoid(-negativeScores))) / (K + 1)\n",
    ),
    Mutant(
        "neg_grad_center_missing_outside_term",
        "neg_sampling",
        "gradCenterVec keeps only the negative-sample sum and forgets (sigma(u_o . v_c) - 1) u_o.",
        _NEG_GRAD_CENTER,
        "    gradCenterVec = negativeCoefs @ negativeVecs\n",
    ),
    Mutant(
        "neg_grad_outside_word_sign",
        "neg_sampling",
        "Gradient for u_o written as (1 - sigma(u_o . v_c)) v_c instead of (sigma(u_o . v_c) - 1) v_c.",
        "    gradOutsideVecs[outsideWordIdx] += outsideCoef * centerWordVec\n",
        "    gradOutsideVecs[outsideWordIdx] += (1.0 - sigmoid(outsideScore)) * centerWordVec\n",
    ),
    Mutant(
        "neg_sigmoid_of_minus_score_in_gradient",
        "neg_sampling",
        "Negative-sample gradients use sigma(-u_k . v_c) (copied from the loss) where sigma(u_k . v_c) belongs.",
        "    negativeCoefs = sigmoid(negativeScores)                  # dJ / d(u_k^T v_c)\n",
        "    negativeCoefs = sigmoid(-negativeScores)\n",
    ),
    Mutant(
        "neg_outside_word_among_negatives",
        "neg_sampling",
        "Uses the provided `indices` (outside word first, then the K negatives) "
        "as the negative samples, so u_o is also treated as a negative.",
        "    negatives = np.asarray(negSampleWordIndices, dtype=int)\n",
        "    negatives = np.asarray(indices, dtype=int)\n",
    ),
    Mutant(
        "neg_repeats_found_by_float_equality",
        "neg_sampling",
        "Finds a repeated negative sample by an exactly equal sigma(-u_k . v_c) and keeps only the "
        "first: wrong, and hidden by luck wherever BLAS rounds two copies of one row differently.",
        "    negativeScores = negativeVecs @ centerWordVec            # u_{w_k}^T v_c, (K,)\n",
        "    negativeScores = negativeVecs @ centerWordVec\n"
        "    _, first = np.unique(sigmoid(-negativeScores), return_index=True)\n"
        "    keep = np.sort(first)\n"
        "    negatives, negativeVecs, negativeScores = negatives[keep], negativeVecs[keep], negativeScores[keep]\n",
    ),
    Mutant(
        "neg_loss_negative_terms_added",
        "neg_sampling",
        "Loss adds the negative samples' log sigma(-u_k . v_c) instead of subtracting it; the gradients are right.",
        _NEG_LOSS,
        "    loss = -_log_sigmoid(outsideScore) + np.sum(_log_sigmoid(-negativeScores))\n",
    ),
    Mutant(
        "neg_grad_center_summed_to_scalar",
        "neg_sampling",
        "gradCenterVec's negative-sample term sum_k sigma(u_k . v_c) u_k summed to one number with np.sum, "
        "which broadcasts into every entry.",
        _NEG_GRAD_CENTER,
        "    gradCenterVec = outsideCoef * outsideVec + np.sum(negativeCoefs @ negativeVecs)\n",
    ),
    Mutant(
        "neg_negative_rows_unwritten",
        "neg_sampling",
        "gradOutsideVecs gets the outside word's row only: the negative samples' rows stay zero.",
        _NEG_ADD_AT,
        "",
    ),
    Mutant(
        "neg_outside_score_sign",
        "neg_sampling",
        "The outside word scored as -u_o . v_c, the sign meant for the negative samples.",
        "    outsideScore = outsideVec @ centerWordVec                # u_o^T v_c\n",
        "    outsideScore = -(outsideVec @ centerWordVec)\n",
    ),
)

_SKIPGRAM = (
    Mutant(
        "sg_grad_outside_overwritten",
        "skipgram",
        "gradOutsideVectors = gradOutside instead of +=: only the last outside word's gradient survives.",
        "        gradOutsideVectors += gradOutside\n",
        "        gradOutsideVectors = gradOutside\n",
    ),
    Mutant(
        "sg_loss_overwritten",
        "skipgram",
        "loss = wordLoss instead of +=: only the last outside word's loss survives.",
        "        loss += wordLoss\n",
        "        loss = wordLoss\n",
    ),
    Mutant(
        "sg_grad_center_overwritten",
        "skipgram",
        "gradCenterVecs[c] = gradCenter instead of +=: only the last outside word's center gradient survives.",
        "        gradCenterVecs[centerIdx] += gradCenter\n",
        "        gradCenterVecs[centerIdx] = gradCenter\n",
    ),
    Mutant(
        "sg_grad_center_outside_row",
        "skipgram",
        "Center-vector gradient added to the outside word's row of gradCenterVecs instead of the center word's row.",
        "        gradCenterVecs[centerIdx] += gradCenter\n",
        "        gradCenterVecs[word2Ind[outsideWord]] += gradCenter\n",
    ),
    Mutant(
        "sg_grad_center_row_zero",
        "skipgram",
        "Center-vector gradient always added to row 0 of gradCenterVecs.",
        "        gradCenterVecs[centerIdx] += gradCenter\n",
        "        gradCenterVecs[0] += gradCenter\n",
    ),
    Mutant(
        "sg_grad_center_every_row",
        "skipgram",
        "gradCenterVecs += gradCenter broadcasts the center gradient into every row, not just the center word's.",
        "        gradCenterVecs[centerIdx] += gradCenter\n",
        "        gradCenterVecs += gradCenter\n",
    ),
    Mutant(
        "sg_outside_words_deduplicated",
        "skipgram",
        "Loops over set(outsideWords): an outside word that appears twice in the window counts once.",
        "    for outsideWord in outsideWords:\n",
        "    for outsideWord in set(outsideWords):\n",
    ),
    Mutant(
        "sg_center_index_as_outside",
        "skipgram",
        "Passes the center word's index as outsideWordIdx.",
        _SG_CALL,
        _sg_call("centerWordVec, centerIdx, outsideVectors, dataset"),
    ),
    Mutant(
        "sg_outside_vector_as_center",
        "skipgram",
        "Takes v_c from outsideVectors instead of centerWordVectors.",
        "    centerWordVec = centerWordVectors[centerIdx]\n",
        "    centerWordVec = outsideVectors[centerIdx]\n",
    ),
    Mutant(
        "sg_center_vectors_as_outside",
        "skipgram",
        "Passes centerWordVectors where the loss function expects outsideVectors.",
        _SG_CALL,
        _sg_call("centerWordVec, word2Ind[outsideWord], centerWordVectors, dataset"),
    ),
    Mutant(
        "sg_divided_by_window",
        "skipgram",
        "Averages the loss and both gradients over the outside words instead of summing them.",
        "        gradOutsideVectors += gradOutside\n",
        "        gradOutsideVectors += gradOutside\n"
        "    loss /= len(outsideWords)\n"
        "    gradCenterVecs /= len(outsideWords)\n"
        "    gradOutsideVectors /= len(outsideWords)\n",
    ),
    Mutant(
        "sg_ignores_loss_function_argument",
        "skipgram",
        "Calls naiveSoftmaxLossAndGradient directly instead of the "
        "word2vecLossAndGradient it was given, so negative sampling is never used.",
        _SG_CALL,
        "        wordLoss, gradCenter, gradOutside = naiveSoftmaxLossAndGradient(\n"
        "            centerWordVec, word2Ind[outsideWord], outsideVectors, dataset)\n",
    ),
    Mutant(
        "sg_calls_own_neg_sampling",
        "skipgram",
        "Calls negSamplingLossAndGradient by name instead of the word2vecLossAndGradient it was given.",
        _SG_CALL,
        "        wordLoss, gradCenter, gradOutside = negSamplingLossAndGradient(\n"
        "            centerWordVec, word2Ind[outsideWord], outsideVectors, dataset)\n",
    ),
    Mutant(
        "sg_asserts_given_loss",
        "skipgram",
        "Asserts that the function it was given is its own naive softmax, which "
        "hides a second mistake behind a bare AssertionError: the loss is "
        "overwritten, not added.",
        _SG_BODY,
        "    assert word2vecLossAndGradient is naiveSoftmaxLossAndGradient\n"
        + _SG_BODY.replace("loss += wordLoss", "loss = wordLoss"),
    ),
    Mutant(
        "sg_center_vector_as_index",
        "skipgram",
        "Indexes gradCenterVecs with the center word's vector instead of its index: IndexError.",
        "        gradCenterVecs[centerIdx] += gradCenter\n",
        "        gradCenterVecs[centerWordVec] += gradCenter\n",
    ),
    Mutant(
        "sg_constant_instead_of_loss",
        "skipgram",
        "Adds 1 per outside word to the loss instead of the word's loss.",
        "        loss += wordLoss\n",
        "        loss += 1\n",
    ),
    Mutant(
        "sg_loss_accumulator_shadowed",
        "skipgram",
        "Unpacks each word's loss into the accumulator itself, then adds it to "
        "itself: the loss is twice the last outside word's.",
        _SG_CALL + "        loss += wordLoss\n",
        _SG_CALL.replace("wordLoss,", "loss,") + "        loss += loss\n",
    ),
    Mutant(
        "sg_hard_coded_outside_index",
        "skipgram",
        "Passes word2Ind[outsideWords[0]] on every call: the first outside word each time.",
        _SG_CALL,
        _sg_call("centerWordVec, word2Ind[outsideWords[0]], outsideVectors, dataset"),
    ),
)

_SGD_STEP = "        x = x - step * gradient\n"

_SGD = (
    Mutant(
        "sgd_step_along_gradient",
        "sgd",
        "x = x + step * grad: the step goes up the gradient.",
        _SGD_STEP,
        "        x = x + step * gradient\n",
        "sgd.py",
    ),
    Mutant(
        "sgd_no_step_size",
        "sgd",
        "x = x - grad: the step size is left out.",
        _SGD_STEP,
        "        x = x - gradient\n",
        "sgd.py",
    ),
    Mutant(
        "sgd_steps_by_loss",
        "sgd",
        "x = x - step * loss: the step uses the loss instead of the gradient.",
        _SGD_STEP,
        "        x = x - step * loss\n",
        "sgd.py",
    ),
    Mutant(
        "sgd_loss_unset",
        "sgd",
        "_, grad = f(x): loss stays None, and the provided progress print fails.",
        "        loss, gradient = f(x)\n",
        "        _, gradient = f(x)\n",
        "sgd.py",
    ),
    Mutant(
        "sgd_f_called_twice",
        "sgd",
        "loss = f(x)[0]; grad = f(x)[1]: f is evaluated twice per iteration.",
        "        loss, gradient = f(x)\n",
        "        loss = f(x)[0]\n        gradient = f(x)[1]\n",
        "sgd.py",
    ),
    Mutant(
        "sgd_step_not_assigned",
        "sgd",
        "new_x = x - step * grad, never assigned back: x never moves.",
        _SGD_STEP,
        "        new_x = x - step * gradient\n",
        "sgd.py",
    ),
)

MUTANTS = _SIGMOID + _NAIVE_SOFTMAX + _NEG_SAMPLING + _SKIPGRAM + _SGD
