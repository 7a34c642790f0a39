"""Gradient checking and sanity tests used by word2vec.py."""

import random

import numpy as np

# Step for the central differences and the largest relative error accepted.
# Changing these makes your results disagree with the autograder's.
STEP = 1e-4
TOLERANCE = 1e-5
# Absolute tolerance of the skip-gram sanity tests below.
SANITY_ATOL = 1e-5


def gradcheck_naive(f, x, gradientText):
    """Compare the gradient returned by f with a numerical estimate.

    Arguments:
    f -- a function that takes a numpy array and returns (cost, gradient)
    x -- the point (a numpy array of floats) at which to check the gradient;
         it is perturbed in place, one coordinate at a time, and every
         coordinate is put back to its exact original value afterwards
    gradientText -- names the gradient in the printed messages
    """
    # f may draw random numbers (negative sampling does). Every call of f must
    # see the same draws, otherwise the finite differences measure the change
    # of the samples rather than the change of x.
    randomState = random.getstate()

    random.setstate(randomState)
    cost, grad = f(x)
    if cost is None or grad is None:
        print("Gradient check failed for %s." % gradientText)
        print("The checked function returned None as its %s; is it implemented yet?"
              % ("cost" if cost is None else "gradient"))
        return
    grad = np.array(grad)  # a copy: later calls of f must not change it
    if grad.shape != np.shape(x):
        print("Gradient check failed for %s." % gradientText)
        print("The gradient has shape %s, but the checked variable has shape %s."
              % (grad.shape, np.shape(x)))
        return

    # np.ndindex walks the coordinates in C order whatever x's memory layout.
    for ix in np.ndindex(np.shape(x)):
        original = x[ix]

        x[ix] = original + STEP
        random.setstate(randomState)
        costPlus, _ = f(x)

        x[ix] = original - STEP
        random.setstate(randomState)
        costMinus, _ = f(x)

        x[ix] = original

        numerical = (costPlus - costMinus) / (2 * STEP)
        analytical = grad[ix]
        relativeError = abs(numerical - analytical) / max(
            1.0, abs(numerical), abs(analytical))
        # "not <=" also catches nan, which would slip through "> TOLERANCE".
        if not relativeError <= TOLERANCE:
            print("Gradient check failed for %s." % gradientText)
            print("First mismatch at index %s of the gradient: your gradient is "
                  "%.10g, the numerical estimate is %.10g."
                  % (ix, analytical, numerical))
            return

    print("Gradient check passed! (%s: every coordinate agrees with the "
          "numerical estimate.)" % gradientText)


def _compare(name, actual, expected):
    """Print whether `actual` matches `expected`; return True when it does."""
    expected = np.asarray(expected, dtype=float)
    if actual is None:
        print("  FAILED: %s is None; is it implemented yet?" % name)
        return False
    try:
        actual = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        print("  FAILED: %s is not a number or numeric array: %r" % (name, actual))
        return False
    if actual.shape != expected.shape:
        print("  FAILED: %s has the wrong shape: got %s, expected %s."
              % (name, actual.shape, expected.shape))
        return False
    if not np.allclose(actual, expected, rtol=0.0, atol=SANITY_ATOL):
        print("  FAILED: %s does not match the expected value." % name)
        print("  Yours:\n%s" % np.array2string(actual, precision=8))
        print("  Expected:\n%s" % np.array2string(expected, precision=8))
        return False
    print("  passed: %s matches the expected value." % name)
    return True


def _run_sanity_test(title, outputs, expected):
    print("==== %s ====" % title)
    loss, gradCenterVecs, gradOutsideVectors = outputs
    results = [
        _compare("loss", loss, expected["loss"]),
        _compare("gradCenterVecs", gradCenterVecs, expected["gradCenterVecs"]),
        _compare("gradOutsideVectors", gradOutsideVectors,
                 expected["gradOutsideVectors"]),
    ]
    if all(results):
        print("All sanity checks passed for %s." % title)
    else:
        print("Some sanity checks FAILED for %s; see above." % title)
    return all(results)


# Expected outputs of the sanity tests below, computed with the course's
# reference solution on exactly the calls made in the tests.
EXPECTED_SOFTMAX = {
    "loss": 11.16610900153398,
    "gradCenterVecs": [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [-1.2694733941206726, -1.368731894660754, 2.451589567541487],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ],
    "gradOutsideVectors": [
        [-0.41045956438668024, 0.18834850557854585, 1.432722636512726],
        [0.3820283118271188, -0.17530219262608443, -1.3334824124790625],
        [0.07009355333943343, -0.03216398682754339, -0.24466385792002587],
        [0.09472153793261495, -0.04346508563484826, -0.330628649777323],
        [-0.13638383871248677, 0.06258275950993017, 0.47605228366368485],
    ],
}

EXPECTED_NEGSAMP = {
    "loss": 49.524593678079725,
    "gradCenterVecs": [
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [-14.293881554806424, -6.544694891254464, 3.3011849361998884],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ],
    "gradOutsideVectors": [
        [-2.6209185306289458, 1.2026667942911733, 9.148402505612601],
        [-0.3542496172222295, 0.1625553204132963, 1.2365199634917476],
        [-1.2064377740509369, 0.5536008209615865, 4.211110809440048],
        [-1.412236127339454, 0.6480359752509905, 4.929456743841838],
        [-1.822891243152275, 0.8364742139532667, 6.362861959052061],
    ],
}


def grad_tests_softmax(skipgram, dummy_tokens, dummy_vectors, dataset):
    """Sanity test of skipgram with naiveSoftmaxLossAndGradient.

    Returns True when the loss and both gradients match the expected values.
    """
    outputs = skipgram("c", 3, ["a", "b", "e", "d", "b", "c"],
                       dummy_tokens, dummy_vectors[:5, :], dummy_vectors[5:, :],
                       dataset)
    return _run_sanity_test("Skip-gram with naiveSoftmaxLossAndGradient",
                            outputs, EXPECTED_SOFTMAX)


def grad_tests_negsamp(skipgram, dummy_tokens, dummy_vectors, dataset,
                       negSamplingLossAndGradient):
    """Sanity test of skipgram with negSamplingLossAndGradient.

    Returns True when the loss and both gradients match the expected values.
    """
    # Fixed seeds, so that the negative samples drawn are the ones the
    # expected values were computed with.
    random.seed(31415)
    np.random.seed(9265)
    outputs = skipgram("c", 3, ["a", "b", "e", "d", "b", "c"],
                       dummy_tokens, dummy_vectors[:5, :], dummy_vectors[5:, :],
                       dataset, negSamplingLossAndGradient)
    return _run_sanity_test("Skip-gram with negSamplingLossAndGradient",
                            outputs, EXPECTED_NEGSAMP)
