"""grader.yml's validator, fuzzed: whatever YAML holds, a clean refusal or a config the grader can use."""

import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import config, grading, registry
from grader import settings_schema as schema
from grader.rubric import cases, finite_differences
from grader.rubric.suite import all_tests
from grader.session import case_sets
from grader.settings_schema import settings_of

TESTS = all_tests()

FUZZ = settings(
    max_examples=300, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# Numbers near every bound the declarations use, and some far from any.
EDGES = [
    -1,
    0,
    1,
    2,
    3,
    4,
    7,
    10,
    11,
    19,
    20,
    24,
    25,
    30,
    31,
    50,
    51,
    100,
    101,
    256,
    1000,
    1001,
    250_000,
    250_001,
    2**32,
    10**30,
]
numbers = st.one_of(st.sampled_from(EDGES), st.integers(-10, 600), st.floats(), st.floats(1e-12, 1.0), st.booleans())
shapes = st.lists(st.lists(numbers, max_size=3), max_size=12)
leaf = st.one_of(
    numbers,
    st.lists(numbers, max_size=4),
    shapes,
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        ["numpy<2", "numpy>=1.24,<2", "scipy>=1.10", "visible", "hidden", "public", "-e .", "numpy @ http://x"]
    ),
)
anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def mostly(usual, rare):
    """``usual`` nine times in ten (one_of alone would draw each branch equally often)."""
    return st.integers(0, 9).flatmap(lambda i: rare if i == 0 else usual)


rubric_keys = mostly(
    st.sampled_from([t.__number__ for t in TESTS] + list(registry.tags())),
    st.one_of(
        st.sampled_from(["public", "hidden", "9.9", "1.10"]), st.text(max_size=4), st.floats(0, 5), st.integers(0, 5)
    ),
)


def near(rule):
    """Values on, inside and just outside a declared rule's bounds, or junk now and then."""
    if isinstance(rule, schema.Whole):
        inside = st.integers(rule.low - 1, min(rule.high + 1, rule.low + 100)) | st.sampled_from(
            [rule.low, rule.high, rule.high + 1]
        )
    elif isinstance(rule, schema.Real):
        inside = st.floats(rule.low / 2, rule.high * 2) | st.sampled_from([rule.low, rule.high])
    elif isinstance(rule, schema.Numbers):
        position = [
            st.integers(low - 1, min(high + 1, low + 60)) | st.sampled_from([high, high + 1])
            for low, high in zip(rule.lows, rule.highs)
        ]
        inside = st.tuples(*position).map(list) | st.lists(st.integers(-1, 60), max_size=3)
    elif isinstance(rule, schema.ListOf):
        inside = st.lists(near(rule.item), min_size=max(rule.low - 1, 0), max_size=min(rule.high + 1, 12))
    elif isinstance(rule, schema.Choice):
        inside = st.sampled_from(rule.values * 3 + ("secret",))
    elif isinstance(rule, schema.Mapping):
        inside = st.dictionaries(rubric_keys, near(rule.value), max_size=4)
    else:
        inside = st.sampled_from(
            [
                "numpy<2",
                "numpy>=1.24,<2",
                "numpy==1.26.*",
                "numpy~=1.26",
                "-e .",
                "numpy @ http://x",
                "numpy<2; python_version>'3'",
            ]
        )
    return mostly(inside, leaf)


def within(rule, budget=None):
    """Values a declared rule accepts (the rubric may still refuse a visibility that reveals a gated test)."""
    if isinstance(rule, schema.Whole):
        return st.integers(rule.low, rule.high)
    if isinstance(rule, schema.Real):
        return st.floats(rule.low, rule.high, exclude_min=rule.above)
    if isinstance(rule, schema.Numbers):
        most = min(budget or rule.most or math.inf, rule.most or math.inf)
        if rule.names == ("V", "d"):  # a shape: V * d within what is left
            return st.integers(rule.lows[1], min(rule.highs[1], most)).flatmap(
                lambda d: st.tuples(
                    st.integers(rule.lows[0], min(rule.highs[0], max(rule.lows[0], most // d))), st.just(d)
                ).map(list)
            )
        numbers = st.tuples(*[st.integers(low, high) for low, high in zip(rule.lows, rule.highs)]).map(list)
        return numbers.map(sorted) if rule.ascending else numbers
    if isinstance(rule, schema.ListOf):
        share = rule.most // rule.high if rule.total else None
        spread = st.lists(within(rule.item, share), min_size=rule.low, max_size=rule.high)
        return (
            spread | st.lists(within(rule.item, rule.most), min_size=max(rule.low, 1), max_size=1)
            if rule.total
            else spread
        )
    if isinstance(rule, schema.Choice):
        return st.sampled_from(rule.values)
    if isinstance(rule, schema.Mapping):
        keys = st.sampled_from([t.__number__ for t in TESTS] + list(registry.tags()))
        return st.dictionaries(keys, within(rule.value), max_size=6)
    if "numpy" in rule.expected:
        return st.sampled_from(["numpy", "numpy<2", "numpy>=1.24,<2", "numpy==1.26.*", "numpy~=1.26"])
    return st.sampled_from(["scipy", "scipy>=1.10", "tqdm[notebook]==4.66.1", "numba>=0.58,<1"])


def mapping_of(kind, value):
    """Some of ``kind``'s settings, each drawn by ``value(rule)``."""
    parts = {}
    for name, f in settings_of(kind):
        parts[name] = mapping_of(f.metadata["section"], value) if "section" in f.metadata else value(f.metadata["rule"])
    chosen = st.lists(st.sampled_from(sorted(parts)), max_size=len(parts), unique=True)
    return chosen.flatmap(lambda names: st.fixed_dictionaries({n: parts[n] for n in names}))


typos = st.dictionaries(st.sampled_from(["colour", "hidden_shape", "memory"]), leaf, min_size=1, max_size=1)
near_bounds = mostly(mapping_of(config.Settings, near), typos)
in_bounds = mapping_of(config.Settings, within)


def usable(settings):
    """What grading needs of a config: every case set generates, the rubric computes, limits are finite."""
    for name, (_function, generate) in case_sets(settings).items():
        generated = generate(cases.rng_for(settings.seed, name))
        assert generated, name
        for case in generated:
            for array in (getattr(case, "outsideVectors", None), getattr(case, "centerWordVec", None)):
                assert array is None or (np.isfinite(array).all() and array.size <= config.CASE_NUMBERS)
            if isinstance(case, cases.LossCase) and case.stream:
                assert len(case.negatives()) == (case.K or 10)  # K negatives besides the outside word
    V, d = settings.cases.fd_shape
    finite_differences.directions(np.random.default_rng(0), V, d, settings.tolerances)
    points, visibility = grading.rubric(grading.selected_tests(True), settings)
    assert all(math.isfinite(p) and p >= 0 for p in points.values())
    assert set(visibility.values()) <= set(config.VISIBILITIES)
    for group in (settings.limits, settings.tolerances):
        for name, _ in settings_of(type(group)):
            value = getattr(group, name)
            assert math.isfinite(value) and value > 0, name


def refused_cleanly(error, source):
    message = str(error)
    assert message.startswith(f"{source}: ") and "\n" not in message


@FUZZ
@given(in_bounds)
def test_every_config_within_the_declared_bounds_is_usable(raw):
    try:
        settings = config.from_mapping(raw, "fuzz.yml")
    except config.ConfigError as error:  # only the rubric's gates refuse these
        assert "is credited only once test" in str(error), error
        return
    usable(settings)


def refused_cleanly_or_usable(raw):
    try:
        settings = config.from_mapping(raw, "fuzz.yml")
    except config.ConfigError as error:
        refused_cleanly(error, "fuzz.yml")
        return
    usable(settings)


@FUZZ
@given(near_bounds)
def test_structures_near_the_bounds_are_refused_cleanly_or_usable(raw):
    refused_cleanly_or_usable(raw)


@FUZZ
@given(anything)
def test_any_structure_at_the_top_is_refused_cleanly_or_usable(raw):
    refused_cleanly_or_usable(raw)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_file_is_refused_cleanly_or_usable(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grader.yml"
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        try:
            settings = config.load(path)
        except config.ConfigError as error:
            refused_cleanly(error, str(path))
            return
    usable(settings)


def test_the_fuzzing_reaches_the_largest_cases_that_load():
    """Worth running only if the in-bounds configs come near CASE_NUMBERS and still load."""
    from hypothesis import find

    def large(raw):
        shapes = raw.get("cases", {}).get("hidden_shapes", [])
        if sum(V * d for V, d in shapes) < 0.9 * config.CASE_NUMBERS:
            return False
        try:
            config.from_mapping(raw, "fuzz.yml")
        except config.ConfigError:
            return False
        return True

    assert large(
        find(in_bounds, large, settings=settings(max_examples=6000, deadline=None, database=None, derandomize=True))
    )
