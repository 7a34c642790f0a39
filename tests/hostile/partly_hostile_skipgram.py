"""Only skipgram is hostile (it forges results.json, then os._exit(0)); the other three functions are correct."""


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset, word2vecLossAndGradient=None):
    _forge("skipgram")
    _os._exit(0)
