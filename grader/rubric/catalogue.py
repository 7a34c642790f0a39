"""The test catalogue: what is checked, in which suite, for how many points.

Read top to bottom, this is the rubric. Each test is a function of the
grading session that returns (optionally with a note) when the submission
passes and raises ``Failed`` with feedback when it does not. ``visible``
tests form the public suite; ``after_due_date`` tests are the hidden suite.
Every test carries exactly one function tag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from grader.registry import NAIVE_SOFTMAX, NEG_SAMPLING, SGD, SIGMOID, SKIPGRAM
from grader.rubric import descent_judges, judges, training

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from grader.session import Session

    TestFunction = TypeVar("TestFunction", bound=Callable[..., object])

PUBLIC = "visible"
HIDDEN = "after_due_date"


class requires:
    """Credit only once the named tests pass (shape and in-place checks need right values first)."""

    def __init__(self, *numbers: str) -> None:
        self.numbers = numbers

    def __call__(self, func: TestFunction) -> TestFunction:
        func.__requires__ = self.numbers  # type: ignore[attr-defined]  # functions take attributes; Callable cannot say so
        return func


class where_right(requires):
    """Judge only the cases and outputs the named tests found right; no credit where there are none.

    So one mistake costs its value test alone: the shape, input, stability and
    hidden tests do not charge again for values already found wrong. The judge
    picks what qualifies, from the same values the named tests compare.
    """

    def __call__(self, func: TestFunction) -> TestFunction:
        func.__where_right__ = True  # type: ignore[attr-defined]  # functions take attributes; Callable cannot say so
        return super().__call__(func)


# -- 1. sigmoid (10 points) ------------------------------------------------------


@weight(4)
@number("1.1")
@visibility(PUBLIC)
@tags(SIGMOID.tag)
def sigmoid_values(session: Session) -> str | None:
    """sigmoid: values for Python floats, numpy scalars, 1-D and 2-D arrays"""
    return judges.sigmoid_values(session, "sigmoid.values")


@weight(2)
@number("1.2")
@visibility(PUBLIC)
@tags(SIGMOID.tag, "stability")
def sigmoid_extremes(session: Session) -> str | None:
    """sigmoid: inputs up to +-800 give finite values"""
    return judges.sigmoid_values(session, "sigmoid.extremes")


@weight(1)
@number("1.3")
@visibility(PUBLIC)
@tags(SIGMOID.tag, "shape")
@where_right("1.1")
def sigmoid_shapes(session: Session) -> None:
    """sigmoid: output has the input's shape"""
    judges.sigmoid_shapes(session, "sigmoid.values", values_test="1.1")  # on the cases 1.1 finds right


@weight(1)
@number("1.4")
@visibility(PUBLIC)
@tags(SIGMOID.tag, "inputs")
@where_right("1.1")
def sigmoid_inputs(session: Session) -> None:
    """sigmoid: input array left unchanged"""
    judges.sigmoid_inputs_unchanged(session, "sigmoid.values", values_test="1.1")  # on the cases 1.1 finds right


@weight(2)
@number("1.5")
@visibility(HIDDEN)
@tags(SIGMOID.tag)
def sigmoid_hidden(session: Session) -> str | None:
    """sigmoid: random arrays of other shapes"""
    return judges.sigmoid_values(session, "sigmoid.hidden")


# -- 2. naive softmax (30 points) ------------------------------------------------


@weight(5)
@number("2.1")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag)
def naive_loss(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: loss (V < d, V = d, V > d)"""
    return judges.loss_values(session, "naive.public", outputs=(0,))


@weight(5)
@number("2.2")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag)
def naive_grad_center(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: gradCenterVec"""
    return judges.loss_values(session, "naive.public", outputs=(1,))


@weight(5)
@number("2.3")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag)
def naive_grad_outside(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: gradOutsideVecs"""
    return judges.loss_values(session, "naive.public", outputs=(2,))


@weight(4)
@number("2.4")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag, "gradient_check")
@requires("2.1")
def naive_gradient_check(session: Session) -> None:
    """naiveSoftmaxLossAndGradient: gradients agree with finite differences of your loss"""
    judges.gradient_check(session, "naive.fd")


@weight(2)
@number("2.5")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag, "shape")
@where_right("2.1", "2.2", "2.3")
def naive_shapes(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: exact shapes (), (d,), (V, d)"""
    return judges.loss_shapes(session, "naive.public")


@weight(1)
@number("2.6")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag, "inputs")
@where_right("2.1", "2.2", "2.3")
def naive_inputs(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: centerWordVec and outsideVectors left unchanged"""
    return judges.loss_inputs_unchanged(session, "naive.public")


@weight(5)
@number("2.7")
@visibility(HIDDEN)
@tags(NAIVE_SOFTMAX.tag)
@where_right("2.1", "2.2", "2.3")
def naive_hidden(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: random sizes up to V = 3000"""
    return judges.loss_values(session, "naive.hidden", where_right=("naive.public",))


@weight(3)
@number("2.8")
@visibility(PUBLIC)
@tags(NAIVE_SOFTMAX.tag, "stability")
@where_right("2.1", "2.2", "2.3")
def naive_stable(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: every score near +800, every score near -800 (numerical stability)"""
    return judges.loss_values(session, "naive.stable", where_right=("naive.public",))


@weight(0)
@number("2.9")
@visibility(HIDDEN)
@tags(NAIVE_SOFTMAX.tag, "efficiency")
def naive_efficiency(session: Session) -> str | None:
    """naiveSoftmaxLossAndGradient: time on a large vocabulary, against the reference"""
    return judges.efficiency(session, "naive.efficiency")


# -- 3. negative sampling (35 points) --------------------------------------------


@weight(4)
@number("3.1")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag)
def neg_loss(session: Session) -> str | None:
    """negSamplingLossAndGradient: loss, distinct negative samples"""
    return judges.loss_values(session, "neg.distinct", outputs=(0,))


@weight(4)
@number("3.2")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag)
def neg_grad_center(session: Session) -> str | None:
    """negSamplingLossAndGradient: gradCenterVec, distinct negative samples"""
    return judges.loss_values(session, "neg.distinct", outputs=(1,))


@weight(4)
@number("3.3")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag)
def neg_grad_outside(session: Session) -> str | None:
    """negSamplingLossAndGradient: gradOutsideVecs, distinct negative samples"""
    return judges.loss_values(session, "neg.distinct", outputs=(2,))


@weight(5)
@number("3.4")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag, "repeated_negatives")
@where_right("3.1", "3.2", "3.3")
def neg_repeated(session: Session) -> str | None:
    """negSamplingLossAndGradient: repeated negative samples count every time"""
    return judges.loss_values(session, "neg.repeated", where_right=("neg.distinct",))


@weight(2)
@number("3.5")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag)
@where_right("3.1", "3.2", "3.3")
def neg_other_K(session: Session) -> str | None:
    """negSamplingLossAndGradient: K other than 10"""
    return judges.loss_values(session, "neg.other_K", where_right=("neg.distinct",))


@weight(3)
@number("3.6")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag, "gradient_check")
@requires("3.1")
def neg_gradient_check(session: Session) -> None:
    """negSamplingLossAndGradient: gradients agree with finite differences of your loss"""
    judges.gradient_check(session, "neg.fd")


@weight(2)
@number("3.7")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag, "shape")
@where_right("3.1", "3.2", "3.3")
def neg_shapes(session: Session) -> str | None:
    """negSamplingLossAndGradient: exact shapes (), (d,), (V, d)"""
    return judges.loss_shapes(session, "neg.distinct")


@weight(1)
@number("3.8")
@visibility(PUBLIC)
@tags(NEG_SAMPLING.tag, "inputs")
@where_right("3.1", "3.2", "3.3")
def neg_inputs(session: Session) -> str | None:
    """negSamplingLossAndGradient: centerWordVec and outsideVectors left unchanged"""
    return judges.loss_inputs_unchanged(session, "neg.distinct")


@weight(10)
@number("3.9")
@visibility(HIDDEN)
@tags(NEG_SAMPLING.tag)
@where_right("3.1", "3.2", "3.3", "3.4", "3.5")
def neg_hidden(session: Session) -> str | None:
    """negSamplingLossAndGradient: random sizes, K and samples, and larger scores"""
    return judges.loss_values(session, "neg.hidden", where_right=("neg.distinct", "neg.repeated", "neg.other_K"))


@weight(0)
@number("3.10")
@visibility(HIDDEN)
@tags(NEG_SAMPLING.tag, "efficiency")
def neg_efficiency(session: Session) -> str | None:
    """negSamplingLossAndGradient: time on a large vocabulary, against the reference"""
    return judges.efficiency(session, "neg.efficiency")


# -- 4. skip-gram (25 points) ----------------------------------------------------


@weight(5)
@number("4.1")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag)
def skipgram_calls(session: Session) -> None:
    """skipgram: calls word2vecLossAndGradient once per outside word, with v_c and outsideVectors"""
    judges.skipgram_calls(session, "skipgram.public")


@weight(4)
@number("4.2")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag)
def skipgram_loss(session: Session) -> str | None:
    """skipgram: loss is the sum over outside words"""
    return judges.skipgram_values(session, "skipgram.public", outputs=(0,))


@weight(4)
@number("4.3")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag)
def skipgram_grad_center(session: Session) -> str | None:
    """skipgram: gradCenterVecs is the sum, in the center word's row only"""
    return judges.skipgram_values(session, "skipgram.public", outputs=(1,))


@weight(4)
@number("4.4")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag)
def skipgram_grad_outside(session: Session) -> str | None:
    """skipgram: gradOutsideVectors is the sum over outside words"""
    return judges.skipgram_values(session, "skipgram.public", outputs=(2,))


@weight(3)
@number("4.5")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag, "repeated_outside_words")
def skipgram_repeats(session: Session) -> str | None:
    """skipgram: repeated outside words count every time"""
    judges.skipgram_calls(session, "skipgram.repeats", own_loss_judged_elsewhere=True)
    return judges.skipgram_values(session, "skipgram.repeats")


@weight(2)
@number("4.6")
@visibility(PUBLIC)
@tags(SKIPGRAM.tag, "shape")
@requires("4.2", "4.3", "4.4")
def skipgram_shapes(session: Session) -> None:
    """skipgram: exact shapes (), (V, d), (V, d)"""
    judges.skipgram_shapes(session, "skipgram.public")


@weight(3)
@number("4.7")
@visibility(HIDDEN)
@tags(SKIPGRAM.tag)
def skipgram_hidden(session: Session) -> str | None:
    """skipgram: random vocabularies, center words and windows"""
    judges.skipgram_calls(session, "skipgram.hidden", own_loss_judged_elsewhere=True)
    return judges.skipgram_values(session, "skipgram.hidden")


# -- 5. sgd (10 points) ---------------------------------------------------------


@weight(2)
@number("5.1")
@visibility(PUBLIC)
@tags(SGD.tag)
def sgd_calls(session: Session) -> None:
    """sgd: calls f once per iteration, first at x0"""
    descent_judges.calls(session, "sgd.calls")


@weight(4)
@number("5.2")
@visibility(PUBLIC)
@tags(SGD.tag)
def sgd_steps(session: Session) -> None:
    """sgd: each step x - step * grad, then postprocessing, annealed; returns the last x"""
    descent_judges.steps(session, "sgd.steps")
    descent_judges.steps(session, "sgd.anneal")


@weight(2)
@number("5.3")
@visibility(PUBLIC)
@tags(SGD.tag)
@where_right("5.1")
def sgd_progress(session: Session) -> None:
    """sgd: sets loss, for the progress print every PRINT_EVERY iterations"""
    descent_judges.printing(session, "sgd.printing")


@weight(2)
@number("5.4")
@visibility(HIDDEN)
@tags(SGD.tag)
@where_right("5.1", "5.2")
def sgd_hidden(session: Session) -> str | None:
    """sgd: random objectives, shapes, steps and postprocessing"""
    return descent_judges.hidden(session, "sgd.hidden", "sgd.calls", "sgd.steps")


@weight(0)
@number("5.5")
@visibility(PUBLIC)
@tags(SGD.tag, "training")
@requires("1.1", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "4.4", "5.1", "5.2")
def sgd_training(session: Session) -> str:
    """sgd: training word vectors lowers the loss and separates the clusters"""
    return training.check(session)


# This module's tests, in order; grader.rubric.suite gathers every graded function's.
TESTS = tuple(f for f in list(globals().values()) if callable(f) and hasattr(f, "__number__"))
