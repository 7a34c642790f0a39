"""The wire codec, fuzzed: what one side encodes the other decodes exactly, and garbage is refused cleanly."""

import base64
import json

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.boundary.returned import Call, Problem, as_array, as_outputs, clean_error, inputs_after
from grader.protocol import frames, limits, wire
from grader.protocol.limits import MAX_ARRAY_ELEMENTS

FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True)

shapes = hnp.array_shapes(min_dims=0, max_dims=limits.MAX_DIMENSIONS, min_side=0, max_side=4)
float_arrays = hnp.arrays(np.float64, shapes, elements=st.floats(allow_nan=True, allow_infinity=True))
integer_arrays = hnp.arrays(
    st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32]), shapes
)


def across(message):
    """``message`` as the other side reads it: one frame, header stripped."""
    frame = frames.pack(message)
    (length,) = frames.HEADER.unpack(frame[: frames.HEADER.size])
    assert length == len(frame) - frames.HEADER.size
    return frames.unpack(frame[frames.HEADER.size :])


def same_bits(got, expected):
    return got.dtype == expected.dtype and got.shape == expected.shape and got.tobytes() == expected.tobytes()


@FUZZ
@given(float_arrays)
def test_a_float64_array_crosses_bit_for_bit(array):
    assert same_bits(wire.decode_array(across(wire.encode_array(array))), array)  # NaN payloads, -0.0
    assert same_bits(wire.decode_input(across(wire.encode_input(array))), array)


@FUZZ
@given(integer_arrays)
def test_an_integer_array_arrives_as_the_same_integers(array):
    got = wire.decode_input(across(wire.encode_input(array)))
    assert got.dtype == np.int64 and got.shape == array.shape and np.array_equal(got, array)


def plain(value):
    """What an input should decode to: tuples become lists, everything else keeps its kind."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def equal(got, expected):
    if isinstance(expected, np.ndarray):
        return (
            isinstance(got, np.ndarray)
            and got.shape == expected.shape
            and np.array_equal(got, expected, equal_nan=True)
        )
    if type(got) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(got) == len(expected) and all(equal(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict):
        return list(got) == list(expected) and all(equal(got[k], expected[k]) for k in expected)
    if isinstance(expected, (float, np.floating)) and np.isnan(expected):
        return bool(np.isnan(got))
    return got == expected


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.floats().map(np.float64))
inputs = st.recursive(
    scalars | float_arrays | integer_arrays.map(lambda a: a.astype(np.int64)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4),
    ),
    max_leaves=12,
)


@FUZZ
@given(inputs)
def test_a_nested_input_arrives_with_its_values_and_kinds(value):
    assert equal(wire.decode_input(across(wire.encode_input(value))), plain(value))


returned = st.one_of(
    float_arrays, integer_arrays, st.floats(), st.integers(-(2**53), 2**53), st.floats().map(np.float64)
)


@FUZZ
@given(st.tuples(returned, returned, returned))
def test_what_a_student_returns_is_read_back_exactly_on_the_trusted_side(triple):
    call = Call.from_reply(across({"value": wire.describe(triple)}))
    got = as_outputs("f", call, ("loss", "gradCenterVec", "gradOutsideVecs"))
    for item, value in zip(got, triple):
        assert same_bits(item, np.asarray(np.asarray(value, dtype=np.float64)))


# -- malformed replies: a Problem or a clean WireError, never another exception ----------

base64_text = st.one_of(st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=20))
shape_lists = st.lists(
    st.one_of(
        st.integers(-2, 6),
        st.sampled_from([0, 0, 2**31, 2**62, 10**20]),
        st.booleans(),
        st.floats(0, 3),
        st.text(max_size=2),
    ),
    max_size=10,
)
encoded = st.fixed_dictionaries(
    {"ndarray": base64_text, "shape": shape_lists | st.none() | st.integers()},
    optional={
        "kind": st.sampled_from(["number", "sequence", "none", "other", 3]),
        "type": st.text(max_size=5) | st.integers(),
        "dtype": st.text(max_size=4),
        "length": st.integers(-1, 70) | st.text(max_size=2),
    },
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), encoded),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                [
                    "value",
                    "error",
                    "kind",
                    "items",
                    "length",
                    "draws",
                    "inputs_after",
                    "calls",
                    "warnings",
                    "type",
                    "message",
                    "frames",
                    "line",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=25,
)


# A shape with no elements but a huge side: nothing to read, and still no array numpy can build.
EMPTY_BUT_HUGE = {"kind": "number", "type": "float", "ndarray": "", "shape": [0, 10**20]}


@FUZZ
@given(encoded | json_values)
@example(EMPTY_BUT_HUGE)
@example(dict(EMPTY_BUT_HUGE, shape=[0, 2**62, 2**62]))
def test_a_malformed_array_is_a_wire_error(obj):
    try:
        array = wire.decode_array(obj, MAX_ARRAY_ELEMENTS)
    except wire.WireError:
        return
    assert array.dtype == np.float64 and array.size <= MAX_ARRAY_ELEMENTS


@FUZZ
@given(json_values)
@example({"value": {"kind": "sequence", "type": "tuple", "length": 3, "items": [EMPTY_BUT_HUGE] * 3}})
@example({"inputs_after": [EMPTY_BUT_HUGE]})
def test_a_malformed_reply_fails_its_call_and_never_the_grader(reply):
    call = Call.from_reply(json.loads(json.dumps(reply)))
    for read in (lambda: as_array(call.value, "loss"), lambda: as_outputs("f", call, ("a", "b", "c"))):
        try:
            read()
        except Problem:
            pass
    for index in range(3):
        got = inputs_after(call, index)
        assert got is None or got.dtype == np.float64
    clean_error(reply)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_a_malformed_frame_body_is_a_frame_error(body):
    try:
        frames.unpack(body)
    except frames.FrameError:
        pass
