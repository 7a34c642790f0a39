"""How the sgd tests judge: the student's iterates, followed step by step.

The worker reports where the trusted objective was evaluated (the first
and last iterates) and how often; this side recomputes f there, so every
figure in a verdict comes from numbers and the objective alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.boundary.returned import Call, Problem, as_array, fit_shape, raise_for_error
from grader.protocol import wire
from grader.protocol.objectives import objective_values, postprocess
from grader.rubric.checks import Failed, NothingToJudge, compare, matches
from grader.rubric.descent_cases import ANNEAL_EVERY
from grader.rubric.feedback import array, number, say
from grader.session import SGD

if TYPE_CHECKING:
    from collections.abc import Callable

    from grader.rubric.descent_cases import SgdCase
    from grader.rubric.feedback import Feedback
    from grader.session import Session


def _raise_for_error(case: SgdCase, call: Call) -> None:
    if not call.failed and call.evaluations is None:
        # The worker counts f's calls in every sgd reply: one without the count is not its own, and
        # must fail even the test that reads nothing else of it (the progress print).
        call = Call(error={"type": "ProtocolError", "message": "the grading process sent a malformed reply"})
    try:
        raise_for_error(SGD, call)
    except Problem as problem:
        error = call.error or {}
        hint = None
        if error.get("type") == "TypeError" and "NoneType" in str(error.get("message", "")):
            hint = say("hint_sgd_loss_unset")
        raise Failed(f"{problem}\n  (case: {case.describe()})", hint) from None


def _iterates(call: Call) -> dict[int, np.ndarray]:
    """Call number -> the x f was evaluated at, as the worker recorded them; unreadable records are left out."""
    found: dict[int, np.ndarray] = {}
    for record in call.calls or []:
        k = record.get("call")
        if isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= (call.evaluations or 0):
            try:
                found[k] = wire.decode_array(record.get("x"))
            except (TypeError, wire.WireError):
                continue
    return found


def _post(case: SgdCase) -> Callable[[Any], np.ndarray]:
    if case.postprocessing is None:
        return lambda x: np.asarray(x, dtype=np.float64)
    kind = case.postprocessing
    return lambda x: np.asarray(postprocess(kind, x), dtype=np.float64)


def _step_hint(case: SgdCase, k: int, before: np.ndarray, after: np.ndarray) -> Feedback:
    """Why x after iteration ``k`` is not post(x - step * grad), judged from the numbers."""
    loss, grad = objective_values(case.objective, case.seed, k, before)
    grad = np.asarray(grad, dtype=np.float64)
    step, post = case.step_at(k), _post(case)
    candidates = [
        (post(before + step * grad), "hint_sgd_sign"),
        (post(before - step * loss), "hint_sgd_loss_step"),
        (post(before), "hint_sgd_not_moved"),
        (before, "hint_sgd_not_moved"),
    ]
    if step != 1:
        candidates.insert(1, (post(before - grad), "hint_sgd_no_step"))
    if case.postprocessing is not None:
        candidates.append((before - step * grad, "hint_sgd_postprocessing"))
    if k > ANNEAL_EVERY:
        candidates.append((post(before - case.step * grad), "hint_sgd_anneal"))
    for candidate, kind in candidates:
        if matches(after, candidate):
            return say(kind, iteration=k, every=ANNEAL_EVERY)
    return say(
        "hint_sgd_step",
        iteration=k,
        x=array(before),
        grad=array(grad),
        step=number(step),
        expected=array(post(before - step * grad)),
        got=array(after),
        post=case.postprocessing is not None,
    )


def _first_wrong_step(case: SgdCase, call: Call, returned: np.ndarray) -> Feedback | None:
    """A hint from the first recorded iteration whose result is wrong, if the records show one."""
    if call.evaluations == 0:
        return say("hint_sgd_no_call")
    if call.evaluations != case.iterations:
        return None  # the calls test says so; steps cannot be told apart from extra calls
    xs = _iterates(call)
    xs[case.iterations + 1] = returned  # what the last step gave
    post = _post(case)
    for k in sorted(xs):
        if k + 1 not in xs or xs[k].shape != case.shape or xs[k + 1].shape != case.shape:
            continue
        _, grad = objective_values(case.objective, case.seed, k, xs[k])
        if not matches(xs[k + 1], post(xs[k] - case.step_at(k) * np.asarray(grad, dtype=np.float64))):
            return _step_hint(case, k, xs[k], xs[k + 1])
    return None


def steps(session: Session, name: str) -> None:
    """The returned x against the reference's, with the first wrong step as the likely cause.

    Only objectives whose values depend on x alone: a scripted one's values follow
    the calls, which ``calls`` judges, so an extra call is not charged twice.
    """
    for case, call, expected in zip(session.cases(name), session.student(name), session.expected(name)):
        if case.objective == "scripted":
            continue
        _raise_for_error(case, call)
        try:
            got = as_array(call.value, f"sgd({case.label})")
        except Problem as problem:
            raise Failed(f"{problem} (case: {case.describe()})", say("hint_sgd_return")) from None
        wanted = expected[0]
        got, note = fit_shape(got, wanted.shape)
        hint = _first_wrong_step(case, call, got) if got.shape == wanted.shape else None
        compare(
            "x returned by sgd",
            got,
            wanted,
            case.describe(),
            note=note,
            hints=[lambda g, e, hint=hint: hint],  # type: ignore[misc]  # a default binds this case's hint
            tol=session.settings.tolerances,
        )


def calls(session: Session, name: str) -> None:
    """f once per iteration, the first time at x0."""
    for case, call, expected in zip(session.cases(name), session.student(name), session.expected(name)):
        _raise_for_error(case, call)
        count, wanted = call.evaluations, int(expected[1])
        if count != wanted:
            hint = None
            if count == 0:
                hint = say("hint_sgd_no_call")
            elif count is not None and count == 2 * wanted:
                hint = say("hint_sgd_twice")
            raise Failed(say("sgd_call_count", case=case.describe(), got=count, expected=wanted), hint)
        first = _iterates(call).get(1)
        x0 = np.asarray(case.x0, dtype=np.float64)
        if first is None or not matches(first, x0):
            raise Failed(
                say(
                    "sgd_first_call",
                    case=case.describe(),
                    expected=array(x0),
                    got="nothing readable" if first is None else array(first),
                )
            )


def hidden(session: Session, name: str, calls_set: str, steps_set: str) -> str | None:
    """Calls and steps on ``name``, each judged only where the public cases found it right.

    So a mistake the public tests charge (f called twice, a wrong step) is not charged again here.
    """
    judged = []
    for judge, public in ((calls, calls_set), (steps, steps_set)):
        try:
            judge(session, public)
        except (Failed, Problem):
            continue
        judged.append(judge)
    if not judged:
        raise NothingToJudge("neither was right, so there was nothing left to judge.")
    for judge in judged:
        judge(session, name)
    if len(judged) == 1:
        return (
            f"only {'the calls of f' if judged[0] is calls else 'the steps'} judged: the public tests charge the rest."
        )
    return None


def printing(session: Session, name: str) -> None:
    """The progress print runs without error: it needs loss to be set every iteration.

    Judged only on the cases whose sgd reached the print (f called PRINT_EVERY
    times): one that never gets there is 5.1's to charge, and earns nothing here.
    """
    reached = 0
    for case, call in zip(session.cases(name), session.student(name)):
        if call.lost is None and (call.evaluations or 0) < case.print_every:
            continue
        _raise_for_error(case, call)
        reached += 1
    if not reached:
        raise NothingToJudge("sgd never called f PRINT_EVERY times, so the progress print never ran.")
