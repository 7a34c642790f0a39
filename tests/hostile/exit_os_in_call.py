"""os._exit(0) in the middle of naiveSoftmaxLossAndGradient only; the other three functions are correct."""


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    _forge("os-exit-call")
    _os._exit(0)
