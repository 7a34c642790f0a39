"""How each kind of test judges a case set. The catalogue decides what to
judge and for how many points; these routines decide pass or fail."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import registry
from grader.answers.oracle import Oracle
from grader.boundary.returned import (
    Problem,
    as_array,
    as_outputs,
    describe_kind,
    fit_shape,
    inputs_after,
    raise_for_error,
)
from grader.protocol import wire
from grader.protocol.standins import standin_values
from grader.rubric import finite_differences, slips
from grader.rubric.checks import Failed, NothingToJudge, compare, exact_shape, failed_by, matches, unchanged
from grader.rubric.feedback import number, say
from grader.session import NEG, SKIPGRAM, as_scalar

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from grader.boundary.returned import Call
    from grader.rubric.cases import LossCase, SigmoidCase, SkipgramCase
    from grader.rubric.checks import Hint
    from grader.rubric.feedback import Feedback
    from grader.session import Session

LOSS_OUTPUTS = ("loss", "gradCenterVec", "gradOutsideVecs")
SKIPGRAM_OUTPUTS = ("loss", "gradCenterVecs", "gradOutsideVectors")


def _triple(session: Session, name: str, index: int, function: str, outputs: Sequence[str]) -> tuple[np.ndarray, ...]:
    try:
        return as_outputs(function, session.student(name)[index], outputs)
    except Problem as problem:
        raise failed_by(problem, f"{problem} (case: {_case_text(session, name, index)})") from None


def _case_text(session: Session, name: str, index: int) -> str:
    case = session.cases(name)[index]
    return case.describe() if hasattr(case, "describe") else case.label


def _problem(function: str, call: Call) -> None:
    try:
        raise_for_error(function, call)
    except Problem as problem:
        raise failed_by(problem) from None


# -- any function called with plain arguments ------------------------------------


def plain_values(session: Session, name: str) -> str | None:
    """Each returned value against the reference's, named as the registry names the outputs."""
    function = registry.by_name(session.function_of(name))
    notes = []
    for case, call, expected in zip(session.cases(name), session.student(name), session.expected(name)):
        expected = expected if isinstance(expected, tuple) else (expected,)
        try:
            if len(function.outputs) == 1:
                raise_for_error(function.name, call)
                got: tuple[np.ndarray, ...] = (as_array(call.value, f"{function.name}({case.label})"),)
            else:
                got = as_outputs(function.name, call, function.outputs)
        except Problem as problem:
            raise failed_by(problem) from None
        for output, value, wanted in zip(function.outputs, got, expected):
            value, note = fit_shape(value, wanted.shape)
            compare(
                f"{output} of {function.name}", value, wanted, case.label, note=note, tol=session.settings.tolerances
            )
            if note:
                notes.append(note)
    return notes[0] if notes else None


# -- sigmoid -------------------------------------------------------------------


def _sigmoid_value(call: Call, case: SigmoidCase) -> np.ndarray:
    try:
        raise_for_error("sigmoid", call)
        return as_array(call.value, f"sigmoid of {case.describe()}")
    except Problem as problem:
        raise failed_by(problem) from None


def _right_sigmoid_cases(session: Session, name: str) -> list[int]:
    """The cases of the set on which sigmoid's values are right (singleton axes aside)."""
    right = []
    for index, (call, expected) in enumerate(zip(session.student(name), session.expected(name))):
        try:
            got = _sigmoid_value(call, session.cases(name)[index])
        except Failed:
            continue
        if matches(fit_shape(got, expected.shape)[0], expected, session.settings.tolerances):
            right.append(index)
    return right


def _paid_cases(session: Session, name: str, values_test: str, arrays_only: bool = False) -> list[int]:
    """The cases a shape or inputs test pays for: those whose values are right; at least one.

    A gate per case, not per test: a sigmoid wrong only for scalars still
    earns the shape and inputs checks on the arrays it gets right.
    """
    right = _right_sigmoid_cases(session, name)
    if arrays_only:  # only an array can be changed in place
        right = [i for i in right if isinstance(session.cases(name)[i].x, np.ndarray)]
    if not right:
        raise NothingToJudge(say("nothing_right_here", values_test=values_test))
    return right


def sigmoid_values(session: Session, name: str) -> str | None:
    notes = []
    values_right = name == "sigmoid.values" or len(_right_sigmoid_cases(session, "sigmoid.values")) == len(
        session.cases("sigmoid.values")
    )
    for case, call, expected in zip(session.cases(name), session.student(name), session.expected(name)):
        got, note = fit_shape(_sigmoid_value(call, case), expected.shape)

        def not_finite(g: np.ndarray, e: np.ndarray) -> Feedback | None:
            if np.isfinite(g).all():
                return None
            finite = np.isfinite(g) & np.isfinite(e)
            # Overflow only where nothing else is wrong: right finite values, right formula.
            if values_right and matches(g[finite], e[finite], session.settings.tolerances):
                return say("hint_sigmoid_overflow")
            return say("hint_sigmoid_formula")

        compare(
            "sigmoid",
            got,
            expected,
            case.describe(),
            note=note,
            hints=[
                not_finite,
                lambda g, e: say("hint_sigmoid_flipped") if matches(g, 1 - e) else None,
            ],
            tol=session.settings.tolerances,
        )
        if note:
            notes.append(note)
    return notes[0] if notes else None


def sigmoid_shapes(session: Session, name: str, values_test: str) -> None:
    cases, calls, expected = session.cases(name), session.student(name), session.expected(name)
    for i in _paid_cases(session, name, values_test):
        exact_shape("sigmoid", _sigmoid_value(calls[i], cases[i]), expected[i].shape, cases[i].describe())


def sigmoid_inputs_unchanged(session: Session, name: str, values_test: str) -> None:
    cases, calls = session.cases(name), session.student(name)
    for i in _paid_cases(session, name, values_test, arrays_only=True):
        before, after = np.asarray(cases[i].x, dtype=float), inputs_after(calls[i], 0)
        try:
            unchanged("sigmoid", "x", before, after, cases[i].describe())
        except Failed as failure:
            raise Failed(failure.message, _in_place_hint(before, after, _sigmoid_value(calls[i], cases[i]))) from None


def _in_place_hint(before: np.ndarray, after: np.ndarray | None, returned: np.ndarray) -> Feedback | None:
    """What an in-place sigmoid left in x: its result, or -x."""
    if after is None or after.shape != before.shape:
        return None
    if returned.shape == after.shape and matches(after, returned):
        return say("hint_sigmoid_result_in_x")
    if matches(after, -before):
        return say("hint_sigmoid_negated_x")
    return None


# -- the two loss functions ----------------------------------------------------


def _right_outputs(session: Session, name: str) -> np.ndarray:
    """right[i, k]: output k of case i has the reference's values (singleton axes aside)."""

    def compute() -> np.ndarray:
        function = session.function_of(name)
        expected = session.expected(name)
        right = np.zeros((len(expected), len(LOSS_OUTPUTS)), dtype=bool)
        for i, (call, wanted) in enumerate(zip(session.student(name), expected)):
            try:
                got = as_outputs(function, call, LOSS_OUTPUTS)
            except Problem:
                continue
            if function == NEG and call.draws is not None and call.draws != wanted[3]:
                continue
            for k, (g, e) in enumerate(zip(got, wanted[:3])):
                right[i, k] = matches(fit_shape(g, e.shape)[0], e, session.settings.tolerances)
        return right

    return session.memo(("right", name), compute)


def _outputs_right_on(session: Session, sets: Sequence[str], outputs: Sequence[int]) -> list[int]:
    """The outputs right on every case of ``sets``: what a later test may still charge."""
    return [k for k in outputs if all(_right_outputs(session, s)[:, k].all() for s in sets)]


# The public negative-sampling sets whose samples never repeat.
DISTINCT_SETS = ("neg.distinct", "neg.other_K")


def _slip_hints(
    session: Session, case: LossCase, right: Sequence[np.ndarray], output: int, function: str
) -> list[Hint]:
    """Hints for outputs equal to what a known wrong formula gives on this case's inputs."""
    tol = session.settings.tolerances
    hints: list[Hint] = []
    for slip in slips.NEG_SLIPS if function == NEG else slips.NAIVE_SLIPS:
        if output not in slip.outputs:
            continue

        def matches_slip(got: np.ndarray, expected: np.ndarray, slip: slips.Slip = slip) -> Feedback | None:
            with np.errstate(all="ignore"):
                wrong = np.asarray(slip.compute(case, (right[0], right[1], right[2]))[output])
            if matches(wrong, expected, tol) or not matches(got, wrong, tol):
                return None  # the slip changes nothing here, or is not what the student did
            return say(slip.hint, output=LOSS_OUTPUTS[output])

        hints.append(matches_slip)
    return hints


def _loss_hints(
    session: Session, case: LossCase, right: Sequence[np.ndarray], output: int, function: str
) -> list[Hint]:
    """Pattern hints for a wrong loss-function output on one case, most specific first.

    right: the reference's outputs on the case, from which the slips are derived.
    """
    hints = _slip_hints(session, case, right, output, function)
    negatives = case.negatives() if function == NEG else []
    if len(set(negatives)) < len(negatives):
        # Right on every case whose samples are distinct, wrong where a word repeats.
        def right_when_distinct(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
            return say("hint_repeats_only") if _outputs_right_on(session, DISTINCT_SETS, [output]) else None

        hints.insert(1, right_when_distinct)
    if output == 2:
        o = case.outsideWordIdx

        def outside_row_only(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
            bad = np.flatnonzero(~np.all(np.isclose(got, expected, rtol=1e-5, atol=1e-8), axis=1))
            if list(bad) != [o]:
                return None
            # Off by exactly v_c: the one-hot y (or the -1 of sigma - 1) left out.
            y_left_out = np.allclose(got[o] - expected[o], case.centerWordVec, rtol=1e-5, atol=1e-8)
            return say("hint_outside_row" if y_left_out else "hint_outside_row_only", row=o)

        hints.append(outside_row_only)
        if function == NEG:
            repeated = {i for i, n in Counter(negatives).items() if n > 1}

            def repeats_once(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
                bad = set(np.flatnonzero(~np.all(np.isclose(got, expected, rtol=1e-5, atol=1e-8), axis=1)))
                return (
                    say("hint_repeats", rows=", ".join(str(int(r)) for r in sorted(bad)))
                    if repeated and bad and bad <= repeated
                    else None
                )

            hints.insert(1, repeats_once)
    return hints


def _factors(case: LossCase, function: str) -> dict[str, int]:
    V = case.shape[0]
    if function == NEG:
        K = len(case.negatives())
        return {"K": K, "K + 1": K + 1}
    return {"the vocabulary size V": V}


def loss_values(
    session: Session, name: str, outputs: Sequence[int] = (0, 1, 2), where_right: Sequence[str] = ()
) -> str | None:
    """Compare the chosen outputs with the reference on every case of the set.

    where_right: the ordinary case set, then any others, whose tests charge a
    wrong output. Only the outputs right on all of them are judged here. None
    right on the ordinary cases: NothingToJudge, so an unfilled template earns
    nothing; right there but wrong on another set: that set's test charged it.
    """
    function = session.function_of(name)
    notes: list[str] = []
    if where_right:
        judged = _outputs_right_on(session, where_right, outputs)
        left = [LOSS_OUTPUTS[k] for k in outputs if k not in judged]
        if not _outputs_right_on(session, where_right[:1], outputs):
            raise NothingToJudge(say("nothing_right", outputs=left))
        if not judged:
            return say("charged_elsewhere", outputs=left)
        if left:
            notes.append(say("judged_outputs", judged=[LOSS_OUTPUTS[k] for k in judged], left=left))
        outputs = judged
    try:
        _compare_outputs(session, name, function, outputs, notes)
    except Failed as failed:
        if notes and where_right:  # say which outputs this test left to the others
            raise Failed(f"{failed.message}\n  note: {notes[0]}.", failed.hint) from None
        raise
    return "; ".join(dict.fromkeys(notes)) or None


def _compare_outputs(session: Session, name: str, function: str, outputs: Sequence[int], notes: list[str]) -> None:
    """Fail on the first case and output that differs from the reference; collect reshaping notes."""
    for index, (case, call, expected) in enumerate(
        zip(session.cases(name), session.student(name), session.expected(name))
    ):
        got = _triple(session, name, index, function, LOSS_OUTPUTS)
        if function == NEG and call.draws is not None and call.draws != expected[3]:
            too_few = call.draws < expected[3]
            raise Failed(
                say(
                    "too_few_draws" if too_few else "wrong_draws",
                    case=case.describe(),
                    got=call.draws,
                    expected=expected[3],
                    K=len(case.negatives()),
                    hint=say("hint_draws_rejected" if too_few else "hint_draws_K"),
                )
            )
        for k in outputs:
            value, note = fit_shape(got[k], expected[k].shape)
            compare(
                LOSS_OUTPUTS[k],
                value,
                expected[k],
                case.describe(),
                note=note,
                hints=_loss_hints(session, case, expected, k, function),
                factors=_factors(case, function),
                tol=session.settings.tolerances,
            )
            if note:
                notes.append(f"{LOSS_OUTPUTS[k]}: {note}")


def loss_shapes(session: Session, name: str) -> str | None:
    """Exact shapes, of the outputs whose values are right on each case: a wrong value is charged once."""
    function = session.function_of(name)
    right = _right_outputs(session, name)
    if not right.any():
        raise NothingToJudge(say("nothing_right", outputs=list(LOSS_OUTPUTS)))
    for index, (case, expected) in enumerate(zip(session.cases(name), session.expected(name))):
        got = _triple(session, name, index, function, LOSS_OUTPUTS)
        for k in np.flatnonzero(right[index]):
            exact_shape(LOSS_OUTPUTS[k], got[k], expected[k].shape, case.describe())
    return None if right.all() else say("judged_shapes", judged=int(right.sum()), total=right.size)


def loss_inputs_unchanged(session: Session, name: str) -> str | None:
    """Inputs left as they were, on the cases where some output is right (an unfilled template earns nothing)."""
    function = session.function_of(name)
    right = [bool(row.any()) for row in _right_outputs(session, name)]
    if not any(right):
        raise NothingToJudge(say("nothing_right", outputs=list(LOSS_OUTPUTS)))
    for case, call, judged in zip(session.cases(name), session.student(name), right):
        if judged:
            unchanged(function, "centerWordVec", case.centerWordVec, inputs_after(call, 0), case.describe())
            unchanged(function, "outsideVectors", case.outsideVectors, inputs_after(call, 2), case.describe())
    return None if all(right) else say("judged_cases", judged=sum(right), total=len(right))


def gradient_check(session: Session, name: str) -> None:
    """The student's gradients against central differences of the student's own loss."""
    function = session.function_of(name)
    for index, case in enumerate(session.cases(name)):
        loss, grad_center, grad_outside = _triple(session, name, index, function, LOSS_OUTPUTS)
        V, d = case.shape
        grad_center, _ = fit_shape(grad_center, (d,))
        grad_outside, _ = fit_shape(grad_outside, (V, d))
        for got, want, label in ((grad_center, (d,), "gradCenterVec"), (grad_outside, (V, d), "gradOutsideVecs")):
            if got.shape != want:
                raise Failed(
                    say("wrong_shape", name=label, case=case.describe(), got=got.shape, expected=want, hint=None)
                    + "\n  The gradient check needs the right shape."
                )
        tol = session.settings.tolerances
        dirs = finite_differences.directions(session.fd_rng(name, index), V, d, tol)
        losses = []
        for call in session.losses_at(name, index, dirs):
            _problem(function, call)
            try:
                value = as_scalar(as_array(call.value, "loss"))
            except Problem as problem:
                raise failed_by(problem) from None
            if value is None:
                raise Failed(f"{function}'s loss is not a single number; the gradient check needs one.")
            losses.append(value)
        found, constant = finite_differences.judge(dirs, losses, grad_center, grad_outside, tol)
        if constant:
            raise Failed(say("constant_loss", function=function, case=case.describe()))
        if found:
            raise Failed(
                say(
                    "gradient_disagrees",
                    function=function,
                    case=case.describe(),
                    mismatches=found[:6],
                    step=tol.fd_step,
                    hint=say("hint_gradient"),
                )
            )


def efficiency(session: Session, name: str) -> str:
    """The student's time per call against the reference's, on a large vocabulary."""
    function = session.function_of(name)
    tol = session.settings.tolerances
    case = session.cases(name)[0]
    call, student = session.seconds_per_call(name, tol.efficiency_repeats)
    _problem(function, call)
    if call.value is None or call.value.get("kind") != "number":  # only_loss: the loss alone
        raise Failed(
            f"Not timed: {function} did not return a loss on the timing case "
            f"(it returned {describe_kind(call.value or {})})."
        )
    assert student is not None  # None only with an error, which _problem raised
    oracle = session.oracle
    if not isinstance(oracle, Oracle):  # the hidden suite, the only one timed, needs the reference
        raise TypeError(f"timing needs the reference solution, not {type(oracle).__name__}")
    reference = min(oracle.seconds_per_call(function, case, tol.efficiency_repeats) for _ in range(2))
    ratio = student / max(reference, 1e-9)
    V, d = case.shape
    text = say(
        "efficiency",
        function=function,
        V=V,
        d=d,
        student=f"{student * 1e3:.3g}",
        reference=f"{reference * 1e3:.3g}",
        ratio=f"{ratio:.3g}",
        limit=f"{tol.efficiency_ratio:g}",
    )
    if ratio > tol.efficiency_ratio:
        raise Failed(text, hint=say("hint_slow"))
    return text


# -- skip-gram -----------------------------------------------------------------


def _per_word_constant(session: Session, name: str) -> float | None:
    """The loss per outside word, if it is the same on every case of the set while the right one is not."""
    per_word, expected = [], []
    for index, (case, wanted) in enumerate(zip(session.cases(name), session.expected(name))):
        try:
            loss = as_scalar(as_outputs(SKIPGRAM, session.student(name)[index], SKIPGRAM_OUTPUTS)[0])
        except Problem:
            return None
        if loss is None:
            return None
        per_word.append(loss / len(case.outsideWords))
        expected.append(float(wanted[0]) / len(case.outsideWords))
    # Zero is the unfilled template's loss, which hint_zeros names.
    if (
        len(per_word) > 1
        and per_word[0] != 0
        and np.allclose(per_word, per_word[0])
        and not np.allclose(expected, expected[0])
    ):
        return per_word[0]
    return None


def _skipgram_hints(case: SkipgramCase, output: int) -> list[Hint]:
    V, d = case.outsideVectors.shape
    center = case.word2Ind[case.currentCenterWord]
    words = [case.word2Ind[w] for w in case.outsideWords]

    def contribution(indices: Iterable[int]) -> np.ndarray:
        total: list[Any] = [0.0, np.zeros((V, d)), np.zeros((V, d))]
        for i in indices:
            loss, g_center, g_outside = standin_values(case.standin_seed, i, V, d)
            total[0] += loss
            total[1][center] += g_center
            total[2] += g_outside
        return np.asarray(total[output], dtype=float)

    def twice_last(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
        return say("hint_twice_last") if len(words) > 1 and matches(got, 2 * contribution(words[-1:])) else None

    def last_only(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
        return say("hint_last_word") if len(words) > 1 and matches(got, contribution(words[-1:])) else None

    def dedup(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
        return say("hint_dedup") if len(set(words)) < len(words) and matches(got, contribution(set(words))) else None

    def center_row(got: np.ndarray, expected: np.ndarray) -> Feedback | None:
        if output == 1 and got.ndim == 2 and V > 1 and matches(got, np.tile(expected[center], (V, 1))):
            return say("hint_center_every_row", row=center)
        if output == 1 and got.ndim == 2:
            rows = set(np.flatnonzero(np.any(got != 0, axis=1)))
            return say("hint_center_row", row=center) if rows and rows != {center} else None
        return None

    return [twice_last, last_only, dedup, center_row]


def _loss_used_instead(session: Session, name: str, index: int) -> str | None:
    """The real loss a skipgram used when it never called the one it was given, told by its values.

    None when it called the given one, or when its values match skipgram
    with neither real loss (an unfilled template, say): the stand-in's
    values are then the ones to judge against.
    """
    call = session.student(name)[index]
    real = session.expected(name)[index][4]
    if call.failed or call.calls is None or call.calls or not real:
        return None
    try:
        got = as_outputs(SKIPGRAM, call, SKIPGRAM_OUTPUTS)
    except Problem:
        return None
    tol = session.settings.tolerances
    right = {
        loss: [matches(fit_shape(g, e.shape)[0], e, tol) and bool(np.any(e)) for g, e in zip(got, outputs)]
        for loss, outputs in real.items()
    }
    return max(right, key=lambda loss: sum(right[loss])) if any(map(any, right.values())) else None


def skipgram_values(session: Session, name: str, outputs: Sequence[int] = (0, 1, 2)) -> str | None:
    notes: list[str] = []
    for index, (case, expected) in enumerate(zip(session.cases(name), session.expected(name))):
        got = _triple(session, name, index, SKIPGRAM, SKIPGRAM_OUTPUTS)
        used = _loss_used_instead(session, name, index)
        own = None
        if used is not None:
            # Its values are judged with the loss it used; not calling the given one costs test 4.1 alone.
            expected = expected[4][used]
            own = say("judged_with_own_loss", loss=used)
            notes.append(own)
        for k in outputs:
            value, note = fit_shape(got[k], expected[k].shape)
            hints = _skipgram_hints(case, k)
            if k == 0:
                hints.insert(0, lambda g, e: _constant_hint(session, name))
            compare(
                SKIPGRAM_OUTPUTS[k],
                value,
                expected[k],
                case.describe(),
                note="; ".join(n for n in (note, own) if n) or None,
                hints=hints,
                factors={"the number of outside words": len(case.outsideWords)},
                tol=session.settings.tolerances,
            )
            if note:
                notes.append(f"{SKIPGRAM_OUTPUTS[k]}: {note}")
    return "; ".join(dict.fromkeys(notes)) or None


def _constant_hint(session: Session, name: str) -> Feedback | None:
    constant = _per_word_constant(session, name)
    return None if constant is None else say("hint_constant_loss", constant=number(constant))


def skipgram_shapes(session: Session, name: str) -> None:
    for index, (case, expected) in enumerate(zip(session.cases(name), session.expected(name))):
        got = _triple(session, name, index, SKIPGRAM, SKIPGRAM_OUTPUTS)
        for k in range(3):
            exact_shape(SKIPGRAM_OUTPUTS[k], got[k], expected[k].shape, case.describe())


def _index(value: object) -> int | str:
    """A recorded outsideWordIdx as an int, or its text: never an unhashable reply object."""
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)[:40]


def skipgram_calls(session: Session, name: str, own_loss_judged_elsewhere: bool = False) -> None:
    """skipgram must call word2vecLossAndGradient once per outside word, with the right arguments.

    own_loss_judged_elsewhere: a skipgram that calls a real loss of its own
    instead of the given one loses a test of its own for it (4.1), not this one.
    """
    for index, (case, call) in enumerate(zip(session.cases(name), session.student(name))):
        _problem("skipgram", call)
        records = call.calls or []
        center = case.word2Ind[case.currentCenterWord]
        want = [case.word2Ind[w] for w in case.outsideWords]
        where = case.describe()
        used = _loss_used_instead(session, name, index)
        if used is not None:
            if own_loss_judged_elsewhere:
                continue
            raise Failed(say("own_loss_called", case=where, loss=used), say("hint_call_given_loss"))
        got_indices = [_index(r.get("outsideWordIdx")) for r in records]
        if len(records) != len(want):
            hint = None
            if len(set(want)) < len(want) and sorted(map(str, got_indices)) == sorted(map(str, set(want))):
                hint = say("hint_dedup")
            if not records:  # and its values are those of no real loss (see _loss_used_instead)
                hint = say("hint_no_calls")
            raise Failed(
                f"skipgram called word2vecLossAndGradient {len(records)} time(s) for {where}; "
                f"expected once per entry of outsideWords ({len(want)} calls, repeats included).",
                hint,
            )
        if sorted(map(str, got_indices)) != sorted(map(str, want)):
            hint = None
            if set(got_indices) == {center}:
                hint = say("hint_center_as_outside", row=center)
            elif len(set(got_indices)) == 1 and len(set(want)) > 1 and got_indices[0] in want:
                hint = say("hint_fixed_index", row=got_indices[0])
            raise Failed(
                f"skipgram passed outsideWordIdx values {got_indices} for {where}; "
                f"expected {want} (word2Ind of each outside word).",
                hint,
            )
        for r in records:
            try:
                center_vec = wire.decode_array(r["centerWordVec"])
                outside = wire.decode_array(r["outsideVectors"])
            except (KeyError, TypeError, wire.WireError):
                raise Failed("the grading process sent an unreadable record of skipgram's calls") from None
            if center_vec.shape != (case.centerWordVectors.shape[1],) or not np.array_equal(
                center_vec, case.centerWordVectors[center]
            ):
                rows = [
                    i
                    for i in range(len(case.centerWordVectors))
                    if center_vec.shape == case.centerWordVectors[i].shape
                    and np.array_equal(center_vec, case.centerWordVectors[i])
                ]
                detail = f"row {rows[0]} of centerWordVectors" if rows else f"an array of shape {center_vec.shape}"
                raise Failed(
                    f"skipgram passed {detail} as centerWordVec for {where}; expected row {center} "
                    "of centerWordVectors (the center word's own vector, v_c)."
                )
            if outside.shape != case.outsideVectors.shape or not np.array_equal(outside, case.outsideVectors):
                raise Failed(
                    f"skipgram did not pass outsideVectors unchanged to word2vecLossAndGradient for "
                    f"{where} (got shape {outside.shape})."
                )
            if r.get("same_dataset") is not True:
                raise Failed(f"skipgram did not pass its dataset argument on to word2vecLossAndGradient for {where}.")
