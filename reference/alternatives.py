"""Correct implementations, written the ways students write them.

Instructor-only. Each alternative redefines one or more of the graded
functions; appended to the reference, its later ``def``s rebind the names, so
the assembled file is a complete submission. The grader must give every one
of them full marks: tests/test_alternatives.py checks that under two seeds.

Every alternative must be right for all inputs of the assignment: float64,
V from 1 to a few thousand, K from 1 to 20, repeated negative samples, and an
outside word that is never among the negatives. The negative-sampling ones
call the module's ``sigmoid`` by name, as students do; the grader swaps in a
trusted sigmoid while it tests them.
"""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Alternative:
    """One correct way to write some of the graded functions.

    name -- short identifier, used as the pytest id.
    description -- the style, in the assignment's terms.
    source -- Python code with replacement ``def``s, appended to the reference.
    file -- the reference file it is appended to.
    """

    name: str
    description: str
    source: str
    file: str = "word2vec.py"


def assemble(reference_source: str, alternative: Alternative) -> str:
    """Return the complete submission: the reference, then the redefinitions."""
    return reference_source + "\n\n" + alternative.source


def assemble_files(reference_files: dict[str, str], alternative: Alternative) -> dict[str, str]:
    """The reference's files (name -> source), with the alternative appended to its own file."""
    return {**reference_files, alternative.file: assemble(reference_files[alternative.file], alternative)}


def _sgd(step: str) -> str:
    """reference/sgd.py's sgd as provided, with ``step`` (lines at the loop's indentation) as the student's part."""
    source = (Path(__file__).resolve().parent / "sgd.py").read_text(encoding="utf-8")
    provided = source[source.index("def sgd(") : source.index("def sanity_check(")]
    start, end = provided.index("        ### YOUR CODE HERE"), provided.index("        ### END YOUR CODE\n")
    return "\n" + provided[:start] + step + "\n" + provided[end + len("        ### END YOUR CODE\n") :]


_SGD = (
    Alternative(
        "sgd_in_place",
        "sgd stepping in place: x -= step * grad (which also changes an array x0).",
        _sgd("        loss, grad = f(x)\n        x -= step * grad"),
        "sgd.py",
    ),
    Alternative(
        "sgd_tuple_indexing",
        "sgd keeping f's result as a tuple and indexing it.",
        _sgd("        result = f(x)\n        loss = result[0]\n        x = x - step * result[1]"),
        "sgd.py",
    ),
    Alternative(
        "sgd_numpy_calls",
        "sgd rebinding x through numpy calls: np.subtract(x, np.multiply(step, grad)).",
        _sgd("        loss, grad = f(x)\n        x = np.subtract(x, np.multiply(step, grad))"),
        "sgd.py",
    ),
)


_WORD2VEC = (
    Alternative(
        "ns_python_loops",
        "Naive softmax with explicit Python loops over the vocabulary, "
        "subtracting the largest score before exponentiating.",
        """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    V = outsideVectors.shape[0]
    scores = []
    for w in range(V):
        scores.append(float(np.dot(outsideVectors[w], centerWordVec)))
    biggest = max(scores)
    exps = [np.exp(s - biggest) for s in scores]
    total = sum(exps)
    y_hat = [e / total for e in exps]

    loss = -(scores[outsideWordIdx] - biggest - np.log(total))
    gradCenterVec = np.zeros(centerWordVec.shape[0])
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    for w in range(V):
        coef = y_hat[w] - (1.0 if w == outsideWordIdx else 0.0)
        gradCenterVec += coef * outsideVectors[w]
        gradOutsideVecs[w] = coef * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "ns_einsum",
        "Naive softmax written with np.einsum and a one-hot y.",
        """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = np.einsum("wd,d->w", outsideVectors, centerWordVec)
    scores = scores - np.max(scores)
    y_hat = np.exp(scores) / np.einsum("w->", np.exp(scores))
    y = np.zeros_like(y_hat)
    y[outsideWordIdx] = 1.0
    loss = -np.log(y_hat[outsideWordIdx])
    gradCenterVec = np.einsum("wd,w->d", outsideVectors, y_hat - y)
    gradOutsideVecs = np.einsum("w,d->wd", y_hat - y, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "ns_utils_softmax",
        "Naive softmax the most common way: the provided softmax from utils, -np.log(y_hat[o]), and a one-hot y.",
        """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    y_hat = softmax(outsideVectors @ centerWordVec)
    loss = -np.log(y_hat[outsideWordIdx])
    y = np.zeros(y_hat.shape)
    y[outsideWordIdx] = 1
    gradCenterVec = outsideVectors.T.dot(y_hat - y)
    gradOutsideVecs = (y_hat - y)[:, np.newaxis] * centerWordVec[np.newaxis, :]
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "neg_loop_over_samples",
        "Negative sampling with an explicit loop over the K samples, adding "
        "each sample's row gradient with +=, so repeats count every time.",
        """
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    gradCenterVec = np.zeros(centerWordVec.shape)
    gradOutsideVecs = np.zeros(outsideVectors.shape)

    u_o = outsideVectors[outsideWordIdx]
    sig_o = sigmoid(np.dot(u_o, centerWordVec))
    loss = -np.log(sig_o)
    gradCenterVec += (sig_o - 1) * u_o
    gradOutsideVecs[outsideWordIdx] += (sig_o - 1) * centerWordVec

    for k in range(K):
        w = negSampleWordIndices[k]
        u_k = outsideVectors[w]
        sig_k = sigmoid(-np.dot(u_k, centerWordVec))
        loss -= np.log(sig_k)
        gradCenterVec += (1 - sig_k) * u_k
        gradOutsideVecs[w] += (1 - sig_k) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "neg_counter",
        "Negative sampling over the distinct negative words, weighting each by "
        "how often it was drawn (collections.Counter).",
        """
import collections


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    counts = collections.Counter(negSampleWordIndices)
    words = list(counts.keys())
    times = np.array([counts[w] for w in words], dtype=float)

    u_o = outsideVectors[outsideWordIdx]
    U_neg = outsideVectors[words]
    sig_o = sigmoid(u_o @ centerWordVec)
    sig_neg = sigmoid(U_neg @ centerWordVec)          # sigma(u_k . v_c)

    loss = -np.log(sig_o) - np.sum(times * np.log(sigmoid(-(U_neg @ centerWordVec))))
    gradCenterVec = (sig_o - 1) * u_o + (times * sig_neg) @ U_neg
    gradOutsideVecs = np.zeros_like(outsideVectors)
    gradOutsideVecs[outsideWordIdx] = (sig_o - 1) * centerWordVec
    gradOutsideVecs[words] = np.outer(times * sig_neg, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "neg_bincount",
        "Negative sampling accumulating the per-word coefficients with np.bincount(..., weights=..., minlength=V).",
        """
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    V = outsideVectors.shape[0]
    u_o = outsideVectors[outsideWordIdx]
    U_neg = outsideVectors[negSampleWordIndices]
    s_o = sigmoid(u_o.dot(centerWordVec))
    s_neg = sigmoid(-U_neg.dot(centerWordVec))        # sigma(-u_k . v_c)

    loss = -np.log(s_o) - np.sum(np.log(s_neg))
    gradCenterVec = -(1 - s_o) * u_o + U_neg.T.dot(1 - s_neg)
    coefs = np.bincount(negSampleWordIndices, weights=1 - s_neg, minlength=V)
    coefs[outsideWordIdx] += s_o - 1
    gradOutsideVecs = coefs[:, None] * centerWordVec[None, :]
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "neg_index_matrix",
        "Negative sampling with a (K, V) one-hot index matrix: its transpose sums the sample rows, repeats included.",
        """
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    V = outsideVectors.shape[0]
    picks = np.zeros((K, V))
    picks[np.arange(K), negSampleWordIndices] = 1.0
    U_neg = picks @ outsideVectors                    # (K, d)
    u_o = outsideVectors[outsideWordIdx]

    s_o = sigmoid(u_o @ centerWordVec)
    s_neg = sigmoid(U_neg @ centerWordVec)
    loss = -np.log(s_o) - np.sum(np.log(sigmoid(-(U_neg @ centerWordVec))))
    gradCenterVec = (s_o - 1) * u_o + U_neg.T @ s_neg
    gradOutsideVecs = picks.T @ np.outer(s_neg, centerWordVec)
    gradOutsideVecs[outsideWordIdx] += (s_o - 1) * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "neg_textbook_stacked",
        "Negative sampling written as in the handout: "
        "-log sigma(u_o . v) - sum log sigma(-U_neg v), using the stacked "
        "matrix [u_o, -u_w1, ..., -u_wK] for the gradients and np.add.at.",
        """
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices

    u_o = outsideVectors[outsideWordIdx]
    U_neg = outsideVectors[negSampleWordIndices]
    loss = -np.log(sigmoid(u_o @ centerWordVec)) - np.sum(np.log(sigmoid(-U_neg @ centerWordVec)))

    signs = np.array([1.0] + [-1.0] * K)
    U_stacked = signs[:, None] * outsideVectors[indices]   # [u_o, -u_w1, ..., -u_wK]
    s = sigmoid(U_stacked @ centerWordVec)
    gradCenterVec = (s - 1) @ U_stacked
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    np.add.at(gradOutsideVecs, indices, np.outer((s - 1) * signs, centerWordVec))
    return loss, gradCenterVec, gradOutsideVecs
""",
    ),
    Alternative(
        "sigmoid_where_two_branch",
        "Stable sigmoid with np.where: exp(-|x|) in both branches, so nothing "
        "overflows; returns a 0-d array for a scalar.",
        """
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return s
""",
    ),
    Alternative(
        "sigmoid_tanh",
        "Sigmoid via the identity sigma(x) = (1 + tanh(x / 2)) / 2.",
        """
def sigmoid(x):
    s = 0.5 * (1 + np.tanh(x / 2))
    return s
""",
    ),
    Alternative(
        "sigmoid_plain",
        "The plain 1 / (1 + np.exp(-x)): exp overflows with a warning at x = -800, but the value 0 is right.",
        """
def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s
""",
    ),
    Alternative(
        "sg_keyword_arguments",
        "Skip-gram calling the loss function with keyword arguments and enumerating the window.",
        """
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)

    c = word2Ind[currentCenterWord]
    for j, word in enumerate(outsideWords):
        l, g_center, g_outside = word2vecLossAndGradient(
            centerWordVec=centerWordVectors[c],
            outsideWordIdx=word2Ind[word],
            outsideVectors=outsideVectors,
            dataset=dataset)
        loss += l
        gradCenterVecs[c, :] += g_center
        gradOutsideVectors += g_outside
    return loss, gradCenterVecs, gradOutsideVectors
""",
    ),
    Alternative(
        "sg_local_sums",
        "Skip-gram summing into local variables and assigning the center row once, after the loop.",
        """
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    centerIdx = word2Ind[currentCenterWord]
    v_c = centerWordVectors[centerIdx]
    totalLoss = 0.0
    totalCenterGrad = np.zeros(v_c.shape)
    totalOutsideGrad = np.zeros(outsideVectors.shape)
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(v_c, word2Ind[word], outsideVectors, dataset)
        totalLoss = totalLoss + l
        totalCenterGrad = totalCenterGrad + gc
        totalOutsideGrad = totalOutsideGrad + go
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradCenterVecs[centerIdx] = totalCenterGrad
    return totalLoss, gradCenterVecs, totalOutsideGrad
""",
    ),
    Alternative(
        "python_float_losses",
        "Every loss returned as a Python float (float(...)) rather than a numpy scalar; skip-gram sums Python floats.",
        """
_reference_naive = naiveSoftmaxLossAndGradient
_reference_neg = negSamplingLossAndGradient
_reference_skipgram = skipgram


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    loss, gradCenterVec, gradOutsideVecs = _reference_naive(
        centerWordVec, outsideWordIdx, outsideVectors, dataset)
    return float(loss), gradCenterVec, gradOutsideVecs


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    loss, gradCenterVec, gradOutsideVecs = _reference_neg(
        centerWordVec, outsideWordIdx, outsideVectors, dataset, K)
    return float(loss), gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss, gradCenterVecs, gradOutsideVectors = _reference_skipgram(
        currentCenterWord, windowSize, outsideWords, word2Ind,
        centerWordVectors, outsideVectors, dataset, word2vecLossAndGradient)
    return float(loss), gradCenterVecs, gradOutsideVectors
""",
    ),
    Alternative(
        "numpy_scalar_losses",
        "Every loss returned as a numpy float64 built by np.sum over the terms, including skip-gram's.",
        """
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors.dot(centerWordVec)
    m = np.max(scores)
    logZ = m + np.log(np.sum(np.exp(scores - m)))
    loss = np.sum(logZ - scores[outsideWordIdx])
    y_hat = np.exp(scores - logZ)
    y_hat[outsideWordIdx] -= 1
    return loss, y_hat.dot(outsideVectors), np.outer(y_hat, centerWordVec)


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    c = word2Ind[currentCenterWord]
    losses = []
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(centerWordVectors[c], word2Ind[word],
                                            outsideVectors, dataset)
        losses.append(l)
        gradCenterVecs[c] += gc
        gradOutsideVectors += go
    loss = np.sum(np.array(losses, dtype=np.float64))
    return loss, gradCenterVecs, gradOutsideVectors
""",
    ),
)

ALTERNATIVES = _WORD2VEC + _SGD
