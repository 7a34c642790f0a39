"""sigmoid allocates and touches 4 GiB before answering; the other three functions are correct."""
_honest_sigmoid = sigmoid


def sigmoid(x):
    hog = np.ones(2**29)                       # 4 GiB of float64, every page written
    _mark("BREACH-allocated-4GiB", f"{hog.nbytes} bytes")
    return _honest_sigmoid(x)
