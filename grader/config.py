"""Every number the grader depends on, with its default, in one place.

An instructor changes them in ``grader.yml`` (see ``load``); points and
visibility default to the decorators in ``catalogue.py`` and may be
overridden there too.
"""

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 224
CONFIG_NAME = "grader.yml"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")


@dataclass(frozen=True)
class Tolerances:
    """Value checks pass when |got - expected| <= atol + rtol * |expected|, elementwise.

    rtol matches the course's own gradcheck threshold; atol lets values that
    underflow (sigmoid(-700) is 1e-304) compare equal to 0. Gradient checks
    use central differences with step fd_step along unit directions and fail
    when |numerical - analytical| > fd_tol * max(1, |numerical|, |analytical|).
    """

    rtol: float = 1e-5
    atol: float = 1e-8
    fd_step: float = 1e-4
    fd_tol: float = 1e-5
    # A loss whose every directional change is below this is constant: it
    # agrees with a zero gradient but earns nothing.
    fd_constant_loss: float = 1e-10
    fd_joint_directions: int = 2
    # Efficiency: slower than this many times the reference on a large
    # vocabulary fails the (by default 0-point) efficiency tests.
    efficiency_ratio: float = 10.0
    efficiency_repeats: int = 5


@dataclass(frozen=True)
class Limits:
    """What the sandboxed worker may use."""

    import_seconds: float = 10.0     # wall time to import the submission
    call_seconds: float = 5.0        # wall time for one request (a batch of calls)
    total_seconds: float = 50.0      # whole grading run; later calls fail at once
    cpu_seconds: int = 60            # RLIMIT_CPU for one worker
    memory_mb: int = 512             # RLIMIT_AS for one worker
    processes: int = 16              # RLIMIT_NPROC (per sandbox user)
    file_mb: int = 1                 # RLIMIT_FSIZE: largest file the worker may write
    open_files: int = 64             # RLIMIT_NOFILE
    output_bytes: int = 8 * 1024     # stdout/stderr kept from the worker, each
    reply_mb: int = 64               # largest reply accepted from the worker


@dataclass(frozen=True)
class Cases:
    """Shapes and counts of the random cases."""

    # (V, d) for the public naive-softmax cases: V < d, V = d and V > d.
    public_shapes: tuple = ((3, 5), (6, 6), (12, 4))
    hidden_shapes: tuple = ((1, 4), (2, 7), (9, 9), (40, 8), (3000, 20))
    stable_score: float = 800.0       # naive softmax: every score near this
    stable_spread: float = 2.0
    neg_score_scale: float = 15.0     # hidden neg sampling: scores up to +- this
    hidden_neg_sampling: int = 5      # random negative-sampling cases
    other_K: tuple = (1, 3, 17)
    fd_shape: tuple = (7, 4)          # (V, d) for gradient checks
    skipgram_vocab: tuple = (5, 8)    # public vocabulary sizes
    skipgram_hidden_vocab: tuple = (12, 20)
    skipgram_dim: int = 4
    efficiency_shape: tuple = (2000, 50)    # (V, d) of the timing case


@dataclass(frozen=True)
class Worker:
    """What setup.sh installs for the worker, besides the grader."""

    numpy: str = "numpy<2"            # the course environment's numpy
    packages: tuple = ()              # extra packages submissions may import


@dataclass(frozen=True)
class Settings:
    seed: int = DEFAULT_SEED
    hidden: bool = False
    tolerances: Tolerances = field(default_factory=Tolerances)
    limits: Limits = field(default_factory=Limits)
    cases: Cases = field(default_factory=Cases)
    worker: Worker = field(default_factory=Worker)
    points: tuple = ()                # (test number or function tag, points) overrides
    visibility: tuple = ()            # (test number, function tag or suite, visibility) overrides
    efficiency_points: float = 0.0
    source: str = "defaults"          # the file these came from


class ConfigError(Exception):
    """An instructor's grader.yml that cannot be used; the message names key and file."""


# The smallest limits.memory_mb grader.yml accepts. Measured as RLIMIT_AS
# on Python 3.11 with one BLAS thread: importing numpy and the worker took
# 79 MiB (numpy 1.26) to 98 MiB (2.4); the reference passed the hidden
# suite from 120 MiB forked and 145 MiB exec'd. 256 leaves room for other
# numpy builds and Pythons.
MEMORY_MB_MINIMUM = 256

SECTIONS = {"tolerances": Tolerances, "limits": Limits, "cases": Cases, "worker": Worker}
TOP_LEVEL = {"seed", "points", "visibility", "efficiency_points"} | set(SECTIONS)


def find(explicit=None):
    """The config file to use: --config, $GRADER_CONFIG, ./grader.yml, the checkout's, the package's.

    The student handout's grader carries its grader.yml inside the package,
    so an installed copy grades with the settings its answers were built for.
    """
    if explicit:
        return Path(explicit)
    if os.environ.get("GRADER_CONFIG"):
        return Path(os.environ["GRADER_CONFIG"])
    package = Path(__file__).resolve().parent
    for candidate in (Path.cwd() / CONFIG_NAME, package.parent / CONFIG_NAME, package / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def load(path=None, **overrides):
    """Settings from a grader.yml (or the defaults), then keyword overrides such as seed."""
    path = find(path)
    settings = Settings() if path is None else _parse(path)
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def _parse(path):
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML ({exc})") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")

    def fail(key, message):
        raise ConfigError(f"{path}: '{key}' {message}")

    for key in raw:
        if key not in TOP_LEVEL:
            fail(key, f"is not a setting; known settings: {', '.join(sorted(TOP_LEVEL))}")
    values = {"source": str(path)}
    if "seed" in raw:
        if not isinstance(raw["seed"], int) or isinstance(raw["seed"], bool) or raw["seed"] < 0:
            fail("seed", "must be a whole number >= 0")
        values["seed"] = raw["seed"]
    if "efficiency_points" in raw:
        values["efficiency_points"] = _number(raw["efficiency_points"], "efficiency_points", fail)
    for section, kind in SECTIONS.items():
        if section in raw:
            values[section] = _section(raw[section], section, kind, fail)
    if "points" in raw:
        values["points"] = tuple(_mapping(raw["points"], "points", fail, _points_value))
    if "visibility" in raw:
        values["visibility"] = tuple(_mapping(raw["visibility"], "visibility", fail, _visibility_value))
    return Settings(**values)


def _number(value, key, fail, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        fail(key, f"must be a number >= {minimum}, not {value!r}")
    return value


def _section(raw, section, kind, fail):
    if not isinstance(raw, dict):
        fail(section, "must be a mapping")
    defaults = kind()
    values = {}
    for key, value in raw.items():
        if key not in {f.name for f in dataclasses.fields(kind)}:
            fail(f"{section}.{key}", f"is not a setting; known: {', '.join(f.name for f in dataclasses.fields(kind))}")
        default = getattr(defaults, key)
        name = f"{section}.{key}"
        if isinstance(default, tuple):
            if not isinstance(value, list):
                fail(name, f"must be a list like {list(default)!r}")
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif isinstance(default, str):
            if not isinstance(value, str):
                fail(name, "must be text")
        elif isinstance(default, int) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                fail(name, f"must be a whole number > 0, not {value!r}")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                fail(name, f"must be a number > 0, not {value!r}")
            value = float(value)
        if name in FIELD_CHECKS:
            FIELD_CHECKS[name](name, value, fail)
        values[key] = value
    return dataclasses.replace(defaults, **values)


def _memory_floor(name, value, fail):
    if value < MEMORY_MB_MINIMUM:
        fail(name, f"must be at least {MEMORY_MB_MINIMUM} (MiB), not {value}: the worker needs that much "
                   "address space to import numpy and run every test; with less, every submission fails "
                   "while being imported")


def _numpy_requirement(name, value, fail):
    from grader import numpy_requirement
    try:
        numpy_requirement.parse(value)
    except numpy_requirement.UnsupportedForm as error:
        fail(name, f"must be a numpy requirement like {numpy_requirement.FORMS}, which the grader can "
                   f"check the installed numpy against; in {value!r}, {error}")


# Checks beyond a value's type, by dotted key.
FIELD_CHECKS = {"limits.memory_mb": _memory_floor, "worker.numpy": _numpy_requirement}


def _mapping(raw, section, fail, check):
    if not isinstance(raw, dict):
        fail(section, "must be a mapping from a test number (\"3.4\") or function tag to a value")
    for key, value in raw.items():
        key = str(key)
        yield key, check(f"{section}.{key}", value, fail)


def _points_value(name, value, fail):
    return float(_number(value, name, fail))


def _visibility_value(name, value, fail):
    if value not in VISIBILITIES:
        fail(name, f"must be one of {', '.join(VISIBILITIES)}, not {value!r}")
    return value
