"""naiveSoftmaxLossAndGradient reads address 0 (a segmentation fault); the other three functions are correct."""
import ctypes as _ctypes


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return _ctypes.string_at(0)
