"""The graded functions: one entry each, and every other part of the grader reads them here.

An entry names the function as students write it and as the rubric tags
it, says how it is called and what it returns, its default points and test
numbers, and where its case sets and tests live. Adding a graded function
means an entry here (``register``), its tests, its case sets, its reference
and its template; nothing else changes.

Entries name their case sets and tests by dotted path, resolved only when
grading, so this module stays as light as the configuration that reads it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from grader.config import Settings

# How a call is sent to the worker and answered by the reference:
#   "plain"    positional numeric arguments, ``case.args``; any returned value
#   "loss"     (centerWordVec, outsideWordIdx, outsideVectors, dataset[, K]) with a scripted dataset
#   "skipgram" skipgram's eight arguments, with a recording loss function as the last
#   "sgd"      (f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY=) with a recording f
CALL_KINDS = ("plain", "loss", "skipgram", "sgd")


@dataclass(frozen=True)
class GradedFunction:
    tag: str  # the rubric's name: test tags, grader.yml keys, report rows
    name: str  # the name students define
    title: str  # what a person calls it
    arguments: tuple[str, ...]
    outputs: tuple[str, ...]  # names of the returned values, in order
    shapes: tuple[str, ...]  # their exact shapes, as the shape tests state them
    points: float  # default points (its tests' weights add up to this)
    prefix: str  # test numbers: "2" for 2.1, 2.2, ...
    call: str  # one of CALL_KINDS
    case_sets: str  # "module:function" giving {set name: generator(rng)} for settings
    tests: str = "grader.rubric.catalogue"  # module whose tests tagged ``tag`` are this function's
    source: str = "word2vec.py"  # the file of the submission that defines it
    # Calls the student's sigmoid, which is swapped for a trusted one while it
    # is tested, so a broken sigmoid costs points under sigmoid only.
    trusted_sigmoid: bool = False

    def sets(self, settings: Settings) -> dict[str, Callable[..., Any]]:
        module, function = self.case_sets.split(":")
        return getattr(importlib.import_module(module), function)(settings)


SIGMOID = GradedFunction(
    "sigmoid", "sigmoid", "Sigmoid", ("x",), ("s",), ("x.shape",), 10, "1", "plain", "grader.rubric.cases:sigmoid_sets"
)
NAIVE_SOFTMAX = GradedFunction(
    "naive_softmax",
    "naiveSoftmaxLossAndGradient",
    "Naive softmax",
    ("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset"),
    ("loss", "gradCenterVec", "gradOutsideVecs"),
    ("()", "(d,)", "(V, d)"),
    30,
    "2",
    "loss",
    "grader.rubric.cases:naive_sets",
)
NEG_SAMPLING = GradedFunction(
    "neg_sampling",
    "negSamplingLossAndGradient",
    "Negative sampling",
    ("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset", "K"),
    ("loss", "gradCenterVec", "gradOutsideVecs"),
    ("()", "(d,)", "(V, d)"),
    35,
    "3",
    "loss",
    "grader.rubric.cases:neg_sets",
    trusted_sigmoid=True,
)
SKIPGRAM = GradedFunction(
    "skipgram",
    "skipgram",
    "Skip-gram",
    (
        "currentCenterWord",
        "windowSize",
        "outsideWords",
        "word2Ind",
        "centerWordVectors",
        "outsideVectors",
        "dataset",
        "word2vecLossAndGradient",
    ),
    ("loss", "gradCenterVecs", "gradOutsideVectors"),
    ("()", "(V, d)", "(V, d)"),
    25,
    "4",
    "skipgram",
    "grader.rubric.cases:skipgram_sets",
)

SGD = GradedFunction(
    "sgd",
    "sgd",
    "SGD",
    ("f", "x0", "step", "iterations", "postprocessing", "useSaved", "PRINT_EVERY"),
    ("x",),
    ("x0.shape",),
    10,
    "5",
    "sgd",
    "grader.rubric.descent_cases:sgd_sets",
    source="sgd.py",
)

_FUNCTIONS: list[GradedFunction] = [SIGMOID, NAIVE_SOFTMAX, NEG_SAMPLING, SKIPGRAM, SGD]


def functions() -> tuple[GradedFunction, ...]:
    """Every graded function, in the rubric's order."""
    return tuple(_FUNCTIONS)


def tags() -> tuple[str, ...]:
    return tuple(f.tag for f in _FUNCTIONS)


def by_tag(tag: str) -> GradedFunction:
    for function in _FUNCTIONS:
        if function.tag == tag:
            return function
    raise KeyError(f"no graded function is tagged {tag!r}; tags are {', '.join(tags())}")


def sources() -> dict[str, tuple[str, ...]]:
    """The submission's files besides word2vec.py -> the names of the graded functions each defines."""
    found: dict[str, tuple[str, ...]] = {}
    for function in _FUNCTIONS:
        if function.source != SIGMOID.source:
            found[function.source] = found.get(function.source, ()) + (function.name,)
    return found


def by_name(name: str) -> GradedFunction:
    for function in _FUNCTIONS:
        if function.name == name:
            return function
    raise KeyError(f"no graded function is called {name!r}")


def register(function: GradedFunction) -> None:
    """Add a graded function after the others (its tag, name and prefix must be new)."""
    for other in _FUNCTIONS:
        for field in ("tag", "name", "prefix"):
            if getattr(other, field) == getattr(function, field):
                raise ValueError(f"a graded function with {field} {getattr(function, field)!r} exists already")
    if function.call not in CALL_KINDS:
        raise ValueError(f"call must be one of {', '.join(CALL_KINDS)}, not {function.call!r}")
    _FUNCTIONS.append(function)


def unregister(tag: str) -> None:
    _FUNCTIONS.remove(by_tag(tag))
