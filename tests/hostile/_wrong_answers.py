"""Wrong answers for all four functions (constants of the right shapes): what the cheating attacks earn honestly."""


def sigmoid(x):
    return np.zeros(np.shape(x))[()]


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return 0.0, np.zeros(np.shape(centerWordVec)), np.zeros(np.shape(outsideVectors))


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    return 0.0, np.zeros(np.shape(centerWordVec)), np.zeros(np.shape(outsideVectors))


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset, word2vecLossAndGradient=None):
    return 0.0, np.zeros(np.shape(centerWordVectors)), np.zeros(np.shape(outsideVectors))
