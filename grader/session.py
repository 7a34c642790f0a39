"""One submission's grading context: its sandbox, the oracle and shared calls.

Tests ask for case sets by name. Each set is generated once from the seed,
sent to the worker in one request, and answered by the reference once, so
the loss, gradient and shape tests of a function share the same calls.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import registry
from grader.boundary.returned import Call, clean_error
from grader.boundary.sandbox import WorkerLost
from grader.protocol import wire
from grader.rubric import cases, finite_differences

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TypeVar, Union

    from grader.answers.golden import GoldenOracle, Recorder
    from grader.answers.oracle import Oracle
    from grader.boundary.sandbox import Sandbox
    from grader.config import Settings
    from grader.protocol.corpus import CorpusSpec
    from grader.rubric.finite_differences import Direction

    # Whatever answers for the reference: the reference itself, the shipped
    # public answers, or the reference watched while building those.
    AnyOracle = Union[Oracle, GoldenOracle, Recorder]
    T = TypeVar("T")

SIGMOID = registry.SIGMOID.name
NAIVE = registry.NAIVE_SOFTMAX.name
NEG = registry.NEG_SAMPLING.name
SKIPGRAM = registry.SKIPGRAM.name
SGD = registry.SGD.name


def _swaps_sigmoid(function: str) -> bool:
    """Whether ``function`` is tested with the student's sigmoid swapped for a trusted one."""
    return registry.by_name(function).trusted_sigmoid


def case_sets(settings: Settings) -> dict[str, tuple[str, Callable[..., Any]]]:
    """Case-set name -> (function name, generator of cases from an rng), for every graded function."""
    sets: dict[str, tuple[str, Callable[..., Any]]] = {}
    for function in registry.functions():
        for name, generate in function.sets(settings).items():
            if name in sets:
                raise ValueError(f"two graded functions define the case set {name!r}")
            sets[name] = (function.name, generate)
    return sets


def encode_call(function: str, case: Any) -> dict[str, Any]:
    """The worker-side call for one case: args, with placeholders for stand-ins."""
    kind = registry.by_name(function).call
    if kind == "sgd":
        return {
            "args": [
                {"objective": {"kind": case.objective, "seed": case.seed, "shape": list(case.shape)}},
                wire.encode_input(case.x0),
                wire.encode_input(case.step),
                wire.encode_input(case.iterations),
                {"postprocessing": case.postprocessing} if case.postprocessing else wire.encode_input(None),
                wire.encode_input(False),  # useSaved: the grader never has sgd save or load files
            ],
            "kwargs": {"PRINT_EVERY": wire.encode_input(case.print_every)},
        }
    if kind == "plain":
        return {"args": [wire.encode_input(value) for value in case.args]}
    if kind == "skipgram":
        V, d = case.outsideVectors.shape
        return {
            "args": [
                wire.encode_input(case.currentCenterWord),
                wire.encode_input(case.windowSize),
                wire.encode_input(list(case.outsideWords)),
                wire.encode_input(dict(case.word2Ind)),
                wire.encode_array(case.centerWordVectors),
                wire.encode_array(case.outsideVectors),
                {"dataset": True},
                {"standin": {"seed": case.standin_seed, "vocab_size": V, "dim": d}},
            ],
            "stream": list(case.stream()),
        }
    call: dict[str, Any] = {
        "args": [
            wire.encode_array(case.centerWordVec),
            wire.encode_input(case.outsideWordIdx),
            wire.encode_array(case.outsideVectors),
            {"dataset": True},
        ],
        "stream": list(case.stream),
        "reseed": case.reseed,
    }
    if case.K is not None:
        call["kwargs"] = {"K": wire.encode_input(case.K)}
    return call


class Session:
    def __init__(self, sandbox: Sandbox | None, oracle: AnyOracle, settings: Settings) -> None:
        self.sandbox = sandbox
        self.oracle = oracle
        self.settings = settings
        self._sets = case_sets(settings)
        self._memo: dict[Any, Any] = {}
        self.figures: Any = None  # what the test running now drew (the training check's), for its report

    def take_figures(self) -> Any:
        """The figures the last test left, once: they belong to that test's result."""
        figures, self.figures = self.figures, None
        return figures

    def _once(self, key: tuple[str, str], compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def memo(self, key: tuple[str, str], compute: Callable[[], T]) -> T:
        """``compute()``'s value, computed once per session: for what judges derive from the calls."""
        return self._once(key, compute)

    def function_of(self, name: str) -> str:
        return self._sets[name][0]

    def cases(self, name: str) -> list[Any]:
        generate = self._sets[name][1]
        return self._once(("cases", name), lambda: generate(cases.rng_for(self.settings.seed, name)))

    def student(self, name: str) -> list[Call]:
        """The student's Call for each case of the set (one worker request)."""
        function = self.function_of(name)

        def ask() -> list[Call]:
            batch = [encode_call(function, case) for case in self.cases(name)]
            return self._request(function, batch, return_inputs=True, trusted_sigmoid=_swaps_sigmoid(function))

        return self._once(("student", name), ask)

    def expected(self, name: str) -> list[Any]:
        function = self.function_of(name)

        return self._once(("expected", name), lambda: self.oracle.answers(name, function, self.cases(name)))

    def losses_at(self, name: str, index: int, dirs: Sequence[Direction]) -> list[Call]:
        """The student's loss at x +- h u for each direction (finite differences)."""
        function = self.function_of(name)
        case = self.cases(name)[index]
        batch = []
        for direction in dirs:
            for center, outside in finite_differences.points(
                case.centerWordVec, case.outsideVectors, direction, self.settings.tolerances
            ):
                call = encode_call(function, case)
                call["args"][0] = wire.encode_array(center)
                call["args"][2] = wire.encode_array(outside)
                batch.append(call)
        return self._request(function, batch, only_loss=True, trusted_sigmoid=_swaps_sigmoid(function))

    def seconds_per_call(self, name: str, repeat: int) -> tuple[Call, float | None]:
        """The student's time per call on the set's first case, measured from this side.

        Two requests, 1 call and repeat + 1 calls on the same inputs: their
        difference leaves out transfer and start-up, and needs no clock the
        submission could touch.
        """
        function = self.function_of(name)
        call = dict(encode_call(function, self.cases(name)[0]), keep_as=name)
        best = None
        for _ in range(2):  # the quicker of two pairs: load only ever adds time
            elapsed = []
            for count in (1, repeat + 1):
                started = time.perf_counter()
                reply = self._request(
                    function, [call], only_loss=True, trusted_sigmoid=_swaps_sigmoid(function), repeat=count
                )
                elapsed.append(time.perf_counter() - started)
                if reply[0].failed:
                    return reply[0], None
                call = {"reuse": name}  # the worker kept the inputs: send them once
            pair = max(elapsed[1] - elapsed[0], 0.0) / repeat
            best = pair if best is None else min(best, pair)
        return reply[0], best

    def train(self, spec: CorpusSpec, step: float, iterations: int) -> Call:
        """The student's sgd training word vectors on ``spec``'s corpus with their skipgram and loss.

        Asked under its own name, so a run that hangs marks only the
        training check, not the sgd tests, as hung.
        """

        def ask() -> Call:
            call = {
                "args": [
                    {"training": spec.to_wire()},
                    wire.encode_array(spec.start()),
                    wire.encode_input(step),
                    wire.encode_input(iterations),
                    wire.encode_input(None),  # no postprocessing, as run.py trains
                    wire.encode_input(False),
                ],
                "kwargs": {"PRINT_EVERY": wire.encode_input(iterations + 1)},  # silent
            }
            return self._request(SGD, [call], name="training", student_function=SGD)[0]

        return self._once(("training", str(spec)), ask)

    def fd_rng(self, name: str, index: int) -> np.random.Generator:
        return cases.rng_for(self.settings.seed, f"{name}#{index}.directions")

    def _request(
        self, function: str, batch: list[dict[str, Any]], name: str | None = None, **options: Any
    ) -> list[Call]:
        """Ask the worker; ``name``: what the request is called (default ``function``), and marked if it hangs."""
        assert self.sandbox is not None  # only sessions that never ask the student (golden answers) go without
        source = registry.by_name(function).source
        if source != registry.SIGMOID.source:  # the submission itself, whatever its file is called
            options["source"] = source
        try:
            reply = self.sandbox.request(name or function, batch, **options)
        except WorkerLost as lost:
            return [Call.of_lost_worker(lost)] * len(batch)
        if "failed" in reply:
            error = clean_error(reply["failed"]) or {"type": "ProtocolError", "message": "malformed reply"}
            return [Call(error=error)] * len(batch)
        results = reply.get("results")
        if not isinstance(results, list) or len(results) != len(batch):
            return [Call.of_lost_worker(WorkerLost("protocol", "the worker sent the wrong number of results"))] * len(
                batch
            )
        return [Call.from_reply(item) for item in results]


def as_scalar(array: np.ndarray) -> float | None:
    """A loss as a float, accepting extra singleton axes."""
    if array.size != 1:
        return None
    return float(np.asarray(array).reshape(-1)[0])
