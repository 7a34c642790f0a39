"""Small numerical helpers used by word2vec.py."""

import numpy as np


def softmax(x):
    """Return the softmax of x without changing x.

    A 1-D array is treated as a single vector; a 2-D array is treated as a
    batch of rows, and every row is normalised on its own.

    The largest entry of each row is subtracted before exponentiating. This
    does not change the result (softmax(x) == softmax(x - c)) but keeps exp()
    from overflowing for large scores.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(float)
    if x.ndim == 0:
        return np.ones_like(x)

    # Subtracting creates a new array, so the caller's x is left untouched.
    shifted = x - np.max(x, axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=-1, keepdims=True)


def normalizeRows(x):
    """Return a copy of x whose rows have been scaled to unit L2 length."""
    x = np.asarray(x, dtype=float)
    lengths = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / lengths
