"""Every number the grader depends on, with its default and bounds, in one place.

An instructor changes them in ``grader.yml`` (see ``load``); points and
visibility default to the decorators in ``catalogue.py`` and may be
overridden there too. Each setting is declared once, with
``settings_schema.setting(default, rule, description)``: that declaration
checks grader.yml, and writes the commented grader.yml and the README's
table (``python -m grader.config`` rewrites both).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import registry
from grader.settings_schema import (
    Choice,
    Invalid,
    ListOf,
    Mapping,
    Numbers,
    Real,
    Text,
    Whole,
    check_section,
    commented_yaml,
    markdown_table,
    section,
    setting,
)

DEFAULT_SEED = 224
CONFIG_NAME = "grader.yml"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")

# The smallest limits.memory_mb grader.yml accepts. Measured as RLIMIT_AS
# on Python 3.11 with one BLAS thread: importing numpy and the worker took
# 79 MiB (numpy 1.26) to 98 MiB (2.4); the reference passed the hidden
# suite from 120 MiB forked and 145 MiB exec'd. 256 leaves room for other
# numpy builds and Pythons.
MEMORY_MB_MINIMUM = 256

# The most numbers a (V, d) case set may hold in one array argument: V * d,
# summed over its cases. Each crosses to the worker and back as base64 in
# JSON (about 21 bytes per number with the returned gradient), far inside
# the smallest reply_mb; see the README for the measurements.
CASE_NUMBERS = 250_000
# Word vectors have tens to hundreds of dimensions; d also sizes the
# gradient with respect to the center vector.
DIMENSIONS = 1000


@dataclass(frozen=True)
class Tolerances:
    """Value checks pass when |got - expected| <= atol + rtol * |expected|, elementwise.

    rtol matches the course's own gradcheck threshold; atol lets values that
    underflow (sigmoid(-700) is 1e-304) compare equal to 0. Gradient checks
    use central differences with step fd_step along unit directions and fail
    when |numerical - analytical| > fd_tol * max(1, |numerical|, |analytical|).
    """

    rtol: float = setting(
        1e-5, Real(1e-9, 0.01), "Relative tolerance of value checks: |got - expected| <= atol + rtol * |expected|."
    )
    atol: float = setting(1e-8, Real(1e-10, 0.01), "Absolute tolerance of value checks.")
    fd_step: float = setting(1e-4, Real(1e-6, 1e-4), "Step h of the central differences of the gradient checks.")
    fd_tol: float = setting(
        1e-5,
        Real(1e-7, 0.01),
        "A gradient check fails when |numerical - analytical| > fd_tol * max(1, |numerical|, |analytical|).",
    )
    fd_constant_loss: float = setting(
        1e-10,
        Real(0, 1e-6, above=True),
        "A loss whose every directional change is below this is constant: it agrees "
        "with a zero gradient but earns nothing.",
    )
    fd_joint_directions: int = setting(2, Whole(1, 10), "Random directions in all inputs at once, per gradient check.")
    efficiency_ratio: float = setting(
        10.0, Real(1, 1000), "The efficiency tests fail when slower than this many times the reference."
    )
    efficiency_repeats: int = setting(5, Whole(1, 20), "Calls timed per efficiency measurement.")


@dataclass(frozen=True)
class Limits:
    """What the sandboxed worker may use."""

    import_seconds: float = setting(10.0, Real(5, 300, "seconds"), "Wall time to import the submission.")
    call_seconds: float = setting(
        5.0, Real(1, 300, "seconds"), "Wall time for one request: a batch of calls to one function."
    )
    total_seconds: float = setting(
        50.0,
        Real(10, 600, "seconds"),
        "The whole grading run; later calls fail at once. Gradescope's own default limit is 10 minutes.",
    )
    cpu_seconds: int = setting(60, Whole(10, 3600, "seconds"), "RLIMIT_CPU of one worker.")
    memory_mb: int = setting(
        512,
        Whole(
            MEMORY_MB_MINIMUM,
            16384,
            "MiB",
            why=(
                f"the worker needs at least {MEMORY_MB_MINIMUM} MiB of address space to import numpy and run every "
                "test; with less, every submission fails while being imported"
            ),
        ),
        "RLIMIT_AS of one worker; Gradescope's default container has 768 MB.",
    )
    processes: int = setting(16, Whole(4, 1024), "RLIMIT_NPROC, per sandbox user.")
    file_mb: int = setting(1, Whole(1, 1024, "MiB"), "RLIMIT_FSIZE: the largest file the worker may write.")
    open_files: int = setting(64, Whole(32, 4096), "RLIMIT_NOFILE of one worker.")
    output_bytes: int = setting(
        8 * 1024, Whole(256, 2**20, "bytes"), "Of the worker's stdout and of its stderr, how much is kept, each."
    )
    reply_mb: int = setting(64, Whole(32, 1024, "MiB"), "The largest reply accepted from the worker.")


def _shapes(what: str) -> ListOf:
    shape = Numbers(("V", "d"), (1, 1), (CASE_NUMBERS, DIMENSIONS))
    return ListOf(
        shape,
        1,
        10,
        f"[V, d] pairs ({what})",
        total=lambda shapes: sum(v * d for v, d in shapes),
        most=CASE_NUMBERS,
        total_text="V * d",
    )


@dataclass(frozen=True)
class Cases:
    """Shapes and counts of the random cases."""

    public_shapes: tuple = setting(
        ((3, 5), (6, 6), (12, 4)),
        _shapes("public"),
        "(V, d) of the public naive-softmax cases: V < d, V = d and V > d.",
    )
    hidden_shapes: tuple = setting(
        ((1, 4), (2, 7), (9, 9), (40, 8), (3000, 20)), _shapes("hidden"), "(V, d) of the hidden naive-softmax cases."
    )
    stable_score: float = setting(
        800.0, Real(0, 2000, above=True), "Naive softmax stability cases: every score u_w . v_c near +- this."
    )
    stable_spread: float = setting(2.0, Real(0, 100, above=True), "How far those scores spread.")
    neg_score_scale: float = setting(
        15.0, Real(0, 100, above=True), "Hidden negative sampling: scores u_w . v_c up to +- this."
    )
    hidden_neg_sampling: int = setting(5, Whole(1, 50), "Random negative-sampling cases in the hidden suite.")
    # Each K is drawn without repeats from the other words of a vocabulary of 20, 8 and 25 words.
    other_K: tuple = setting(
        (1, 3, 17),
        Numbers(("K1", "K2", "K3"), (1, 1, 1), (19, 7, 24)),
        "The K of test 3.5's cases, whose vocabularies have 20, 8 and 25 words.",
    )
    # Negative sampling with repeats needs a word besides the outside word.
    fd_shape: tuple = setting((7, 4), Numbers(("V", "d"), (2, 1), (50, 50)), "(V, d) of the gradient checks.")
    # Words come from a list of 30; window 3 with repeats draws from 3 distinct words.
    skipgram_vocab: tuple = setting(
        (5, 8), Numbers(("V1", "V2"), (3, 2), (30, 30)), "Vocabulary sizes of the two public skip-gram cases."
    )
    skipgram_hidden_vocab: tuple = setting(
        (12, 20),
        Numbers(("low", "high"), (3, 3), (30, 30), ascending=True),
        "Range of the hidden skip-gram cases' vocabulary sizes.",
    )
    skipgram_dim: int = setting(4, Whole(1, 100), "d of the skip-gram cases (the hidden ones use d + 2).")
    # Negative sampling draws K = 10 distinct negatives here: V > 10.
    efficiency_shape: tuple = setting(
        (2000, 50),
        Numbers(("V", "d"), (11, 1), (CASE_NUMBERS, DIMENSIONS), most=CASE_NUMBERS),
        "(V, d) of the efficiency tests' timing case.",
    )


def _numpy_requirement(value: str) -> str | None:
    from grader import numpy_requirement

    try:
        numpy_requirement.parse(value)
    except numpy_requirement.UnsupportedForm as error:
        return f"in {value!r}, {error}"
    return None


# A name, optional extras and optional version clauses: no URLs, markers or pip options.
PACKAGE = (
    r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?(?:\[[A-Za-z0-9._,-]+\])?"
    r"(?:\s*(?:~=|==|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!-]{0,40})?"
    r"(?:\s*,\s*(?:~=|==|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!-]{0,40}){0,5}"
)


def _package(value: str) -> str | None:
    return None if re.fullmatch(PACKAGE, value) else f"not {value!r}"


@dataclass(frozen=True)
class Worker:
    """What setup.sh installs for the worker, besides the grader."""

    numpy: str = setting(
        "numpy<2",
        Text(
            _numpy_requirement,
            (
                "a numpy requirement like 'numpy<2', 'numpy>=1.24,<2' or 'numpy==1.26.*', which the grader can check "
                "the installed numpy against"
            ),
        ),
        "The course environment's numpy; some valid submissions break under 2.x.",
    )
    packages: tuple = setting(
        (),
        ListOf(
            Text(_package, "a package name with optional version clauses, such as 'scipy>=1.10'"), 0, 20, "packages"
        ),
        "Extra packages a submission may import.",
    )


# Whether a platform that shows every result at once, with no "after the due
# date" (Autolab, PrairieLearn), grades the hidden suite too.
HIDDEN_SUITE = ("exclude", "include")


@dataclass(frozen=True)
class Autolab:
    """The Autolab job: Autolab shows a job's whole output to the student as soon as it ends."""

    hidden: str = setting(
        "exclude",
        Choice(HIDDEN_SUITE),
        "Whether Autolab grades the hidden suite too. Autolab shows students the whole output at once: include "
        "shows them every hidden test (inputs and expected values) and packs the reference; exclude grades the "
        "public suite from its packed answers.",
    )


@dataclass(frozen=True)
class PrairieLearn:
    """How ``python -m grader prairielearn`` grades."""

    hidden: str = setting(
        "exclude",
        Choice(HIDDEN_SUITE),
        "exclude: grade the public suite only. include: grade the hidden suite too, showing its tests by name "
        "and points only; students then see at once the hidden tests' results and the total they make.",
    )


POINTS = Real(0, 1000)
SEED = Whole(0, 2**32 - 1)


@dataclass(frozen=True)
class Settings:
    seed: int = setting(DEFAULT_SEED, SEED, "Seed of every random case; students see it in their report.")
    hidden: bool = False
    functions: tuple = setting(
        registry.tags(),
        ListOf(Choice(registry.tags()), 1, len(registry.tags()), "graded functions"),
        "The graded functions. sgd is graded from the sgd.py submitted beside word2vec.py; leave it out to "
        "grade word2vec.py alone.",
    )
    points: tuple = setting(
        (),
        Mapping(POINTS, "a function or a test number", example=(("neg_sampling", 40), ('"3.4"', 8))),
        "Points per function (its tests scale in proportion) or per test. Defaults: "
        + ", ".join(f"{f.tag} {f.points:g}" for f in registry.functions())
        + ".",
    )
    visibility: tuple = setting(
        (),
        Mapping(
            Choice(VISIBILITIES),
            "a suite (public, hidden), a function or a test number",
            example=(("skipgram", "hidden"), ('"2.8"', "after_published")),
        ),
        "What students see of each test, and when. A test credited only once another "
        "passes (1.3 needs 1.1) may not be shown before that one.",
    )
    efficiency_points: float = setting(
        0.0,
        POINTS,
        "Points for the efficiency tests (timing against the reference), shared by the two; 0 = report only.",
    )
    training_points: float = setting(
        0.0,
        POINTS,
        "Points for the training check (5.5: sgd trains word vectors with the submission's skipgram and "
        "negative sampling); 0 = report only.",
    )
    limits: Limits = section(Limits, "What the sandboxed worker may use.")
    tolerances: Tolerances = section(Tolerances, "When a value or a gradient counts as right.")
    cases: Cases = section(Cases, "Shapes and counts of the random cases.")
    worker: Worker = section(Worker, "What setup.sh installs for the worker besides the grader.")
    autolab: Autolab = section(Autolab, "The Autolab job (python -m grader autolab, build --target autolab).")
    prairielearn: PrairieLearn = section(PrairieLearn, "PrairieLearn's external grader.")
    source: str = "defaults"  # the file these came from


class ConfigError(Exception):
    """An instructor's grader.yml that cannot be used; the message names key and file."""


HEADER = """\
The grader's settings for this term. Everything here is optional: a key
left out keeps its default. Written from the declarations in
grader/config.py (python -m grader.config); quote test numbers ("3.4"),
or YAML reads 1.10 as 1.1."""


def find(explicit: str | os.PathLike[str] | None = None) -> Path | None:
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


def load(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Settings from a grader.yml (or the defaults), then keyword overrides such as seed.

    Everything is checked here, the rubric's keys included, so a config
    that loads can be graded with.
    """
    settings = read(path, **overrides)
    check_rubric(settings)
    return settings


def read(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """``load`` but for the rubric's keys, whose check imports the catalogue (and numpy).

    For commands that start the worker first: they call ``check_rubric``
    while it boots, before anything is graded.
    """
    found = find(path)
    settings = Settings() if found is None else _parse(found)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "seed" in overrides:
        try:
            SEED.check(overrides["seed"], "--seed")
        except Invalid as invalid:
            raise ConfigError(str(invalid)) from None
    return dataclasses.replace(settings, **overrides)


def _parse(path: Path) -> Settings:
    import yaml

    try:
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_loader())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:  # also int() of 5000 digits, deep nesting
        raise ConfigError(f"{path}: is not valid YAML: {_yaml_problem(exc)}") from None
    return from_mapping(raw, str(path), rubric=False)


def _loader() -> type:
    """YAML's safe loader (libyaml's when there is one), refusing a key given twice, which YAML would
    resolve silently by keeping the last."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = self.construct_object(key_node)
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"found the key {key!r} twice", key_node.start_mark
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep)

    return Loader


def _yaml_problem(exc: BaseException) -> str:
    """PyYAML's complaint on one line, with where it is."""
    mark = getattr(exc, "problem_mark", None)
    text = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return " ".join(text.split())[:200] + where


def from_mapping(raw: object, source: str, rubric: bool = True) -> Settings:
    """Settings from grader.yml's contents as YAML reads them; raises ConfigError naming ``source`` and the key."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level, not {type(raw).__name__}")
    try:
        settings = dataclasses.replace(check_section(Settings, raw), source=source)
    except Invalid as invalid:
        raise ConfigError(f"{source}: {invalid}") from None
    if rubric:
        check_rubric(settings)
    return settings


def check_rubric(settings: Settings) -> None:
    """Refuse points and visibility that name no test, or that would show a gated test early."""
    from grader import grading

    grading.rubric(grading.selected_tests(True), settings)  # every test: a superset of the public run


def commented_defaults() -> str:
    """grader.yml with every setting at its default."""
    return commented_yaml(Settings, HEADER)


def settings_table() -> str:
    """The README's table of grader.yml's settings."""
    return markdown_table(Settings)


TABLE_START = "<!-- settings table: written by python -m grader.config -->"
TABLE_END = "<!-- end of settings table -->"


def readme_with_table(text: str) -> str:
    """The README's text with its settings table rewritten from the declarations."""
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    return text[:start] + "\n" + settings_table() + text[end:]


if __name__ == "__main__":
    # Rewrite the checkout's grader.yml and the README's table from the declarations.
    root = Path(__file__).resolve().parent.parent
    (root / CONFIG_NAME).write_text(commented_defaults(), encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
