"""The values that cross between the trusted grader and the sandboxed worker, inside frames.

Arrays travel as raw little-endian float64 bytes in base64; nothing is ever
pickled, and the trusted side rebuilds every array itself with ``np.frombuffer``.

numpy is imported inside the functions that need it, so the trusted side
can start a worker before it pays for numpy itself.
"""

from __future__ import annotations

import base64
import functools
import operator
from typing import TYPE_CHECKING, Any

from grader.protocol import limits

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike


class WireError(Exception):
    """A value that does not follow this protocol."""


# -- values the trusted side sends (inputs) ----------------------------------


def encode_array(array: ArrayLike, dtype: str = "<f8") -> dict[str, Any]:
    import numpy as np

    array = np.asarray(array, dtype=dtype)  # keeps 0-d arrays 0-d
    out = {"ndarray": base64.b64encode(array.tobytes(order="C")).decode("ascii"), "shape": list(array.shape)}
    if dtype != "<f8":
        out["dtype"] = dtype
    return out


def decode_array(obj: object, max_elements: int | None = None) -> np.ndarray:
    """Rebuild a float64 array from ``encode_array``'s output, checking sizes."""
    import numpy as np

    if not isinstance(obj, dict) or not isinstance(obj.get("ndarray"), str):
        raise WireError("expected an encoded array")
    shape = obj.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) > limits.MAX_DIMENSIONS
        or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)
    ):
        raise WireError(f"bad array shape {str(shape)[:80]}")
    count = functools.reduce(operator.mul, shape, 1)  # Python ints: no overflow to wrap the checks (math.prod is 3.8+)
    if max_elements is not None and count > max_elements:
        raise WireError(f"array of {count} elements exceeds the limit of {max_elements}")
    try:
        raw = base64.b64decode(obj["ndarray"], validate=True)
    except ValueError:
        raise WireError("array data is not base64") from None
    if len(raw) != 8 * count:
        raise WireError(f"array data has {len(raw)} bytes, shape {shape} needs {8 * count}")
    try:
        return np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(shape)
    except ValueError:  # no elements, but a side numpy cannot index: [0, 10**20]
        raise WireError(f"bad array shape {str(shape)[:80]}") from None


def encode_input(value: object) -> dict[str, Any]:
    """Inputs keep their Python kind, so a float arrives as a float."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return encode_array(value, "<i8" if value.dtype.kind in "iu" else "<f8")
    if isinstance(value, np.floating):
        return {"npfloat": float(value)}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return {"py": value}
    if isinstance(value, (list, tuple)):
        return {"list": [encode_input(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode_input(k), encode_input(v)] for k, v in value.items()]}
    raise TypeError(f"cannot send {type(value).__name__} to the worker")


def decode_input(obj: dict[str, Any]) -> Any:
    import numpy as np

    if "ndarray" in obj and obj.get("dtype") == "<i8":  # integer inputs stay integers
        raw = base64.b64decode(obj["ndarray"], validate=True)
        return np.frombuffer(raw, dtype="<i8").astype(np.int64).reshape(obj["shape"])
    if "ndarray" in obj:
        return decode_array(obj).copy()
    if "npfloat" in obj:
        return np.float64(obj["npfloat"])
    if "py" in obj:
        return obj["py"]
    if "list" in obj:
        return [decode_input(v) for v in obj["list"]]
    if "dict" in obj:
        return {decode_input(k): decode_input(v) for k, v in obj["dict"]}
    raise WireError(f"unknown input encoding {sorted(obj)}")


# -- values the worker reports (whatever the student returned) ---------------


def describe(value: object, depth: int = 0) -> dict[str, Any]:
    """A JSON description of an arbitrary returned object.

    Runs in the worker. It converts only what numpy can turn into real
    numbers; everything else is reported by type name so the trusted side can
    say what came back.
    """
    import numpy as np

    type_name = type(value).__module__ + "." + type(value).__qualname__
    type_name = type_name.replace("builtins.", "")
    if value is None:
        return {"kind": "none", "type": "None"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "type": type_name}
    if isinstance(value, (int, float, np.integer, np.floating)) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
    ):
        # float()/np.array() on a subclass run its code here, in the worker;
        # the trusted side only ever sees the plain bytes.
        if isinstance(value, np.ndarray):
            original_dtype = str(value.dtype)
            array = np.array(value, dtype=np.float64, copy=True, subok=False)
        else:
            original_dtype = "float64" if isinstance(value, float) else str(np.asarray(value).dtype)
            array = np.array(float(value), dtype=np.float64)
        out = {"kind": "number", "type": type_name, "dtype": original_dtype}
        out.update(encode_array(np.asarray(array).view(np.ndarray)))
        return out
    if isinstance(value, (list, tuple)) and depth < 2:
        items = [describe(v, depth + 1) for v in list(value)[: limits.MAX_ITEMS]]
        return {"kind": "sequence", "type": type_name, "length": len(value), "items": items}
    try:
        text = repr(value)[: limits.MAX_REPR]
    except BaseException:  # a hostile __repr__ must not take the worker down
        text = "<repr failed>"
    if isinstance(value, np.ndarray):
        return {"kind": "other", "type": f"numpy array of dtype {value.dtype}", "repr": text}
    return {"kind": "other", "type": type_name, "repr": text}
