"""An endless loop in naiveSoftmaxLossAndGradient only; the other three functions are correct."""


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    while True:
        pass
