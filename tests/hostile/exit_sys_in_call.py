"""sys.exit(0) in the middle of negSamplingLossAndGradient only; the other three functions are correct."""
import sys as _sys


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    _forge("sys-exit-call")
    _sys.exit(0)
