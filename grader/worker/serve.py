"""Import the submission once, then answer call requests until told to stop.

Started by the trusted side only, with ``main([CONFIG_JSON])``: in a child of
the fork server (``grader.worker.zygote``), or exec'd as ``python -I -c
WORKER_BOOT GRADER_PARENT CONFIG_JSON`` (see ``grader.boundary.spawners``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
import traceback
import warnings
from types import ModuleType
from typing import Any

from grader.protocol import limits

PR_SET_NO_NEW_PRIVS = 38


def switch_user(switch: dict[str, Any] | None) -> None:
    """The umask and user an exec'd worker's Popen could not set (Python before 3.9)."""
    if not switch:
        return
    if switch.get("umask") is not None:
        os.umask(int(switch["umask"]))
    if switch.get("uid") is None:
        return
    uid, gid = int(switch["uid"]), int(switch["gid"])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError(f"the switch to uid {uid} did not take")


def apply_limits(limits: dict[str, int]) -> list[str]:
    """Hard limits, set before any student code runs, so it cannot raise them; those that could not be set."""
    import resource

    _no_new_privileges()
    unset = []
    for name, value in (
        ("RLIMIT_AS", limits.get("memory_bytes")),
        ("RLIMIT_CPU", limits.get("cpu_seconds")),
        ("RLIMIT_NPROC", limits.get("processes")),
        ("RLIMIT_FSIZE", limits.get("file_bytes")),
        ("RLIMIT_NOFILE", limits.get("open_files")),
        ("RLIMIT_CORE", 0),
        # POSIX message queues outlive their processes and, without an IPC namespace
        # of its own or /dev/mqueue mounted, no sweep can find them: none may be made.
        ("RLIMIT_MSGQUEUE", 0),
    ):
        if value is None or not hasattr(resource, name):
            continue  # RLIMIT_MSGQUEUE is Linux's: elsewhere there are no such queues to limit
        which = getattr(resource, name)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            # Cannot lower below current usage on some systems; keep going
            # with what the kernel allows rather than refuse to grade.
            soft, hard = resource.getrlimit(which)
            if hard == resource.RLIM_INFINITY or value < hard:
                try:
                    resource.setrlimit(which, (min(value, hard if hard != resource.RLIM_INFINITY else value),) * 2)
                except (ValueError, OSError):
                    unset.append(name)
    return unset


def _no_new_privileges() -> None:
    """A setuid program the submission runs gains nothing by it (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # fail closed: no submission runs without it
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def _single_threaded() -> None:
    """Refuse to go on with more than one thread: confinement would leave the others free."""
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return  # not Linux: nothing there to confine per thread
    if threads > 1:
        raise RuntimeError(f"the worker has {threads} threads before its confinement; it must have one")


def standard_streams() -> tuple[int, int]:
    """The portable worker's channel: requests on stdin, replies on stdout; its prints go to stderr.

    The two pipes move to new descriptors, so nothing the submission prints
    or reads can touch the protocol.
    """
    request, reply = os.dup(0), os.dup(1)
    if sys.platform == "win32":
        import msvcrt

        for fd in (request, reply):
            msvcrt.setmode(fd, os.O_BINARY)  # type: ignore[attr-defined]  # frames are bytes: no newline translation
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    return request, reply


class Channel:
    """Length-prefixed JSON frames over two inherited pipe descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        from grader.protocol import frames

        self.read_fd = read_fd
        self.write_fd = write_fd
        self.frames = frames.FrameBuffer(limits.REQUEST_BYTES)

    def receive(self) -> Any:
        """The next request, or None once the trusted side has closed its end."""
        while True:
            found, message = self.frames.next()
            if found:
                return message
            chunk = os.read(self.read_fd, min(self.frames.wanted(), 1 << 20))
            if not chunk:
                return None
            self.frames.feed(chunk)

    def send(self, message: Any) -> None:
        from grader.protocol import frames

        data = memoryview(frames.pack(message))
        while data:
            written = os.write(self.write_fd, data)
            data = data[written:]


def describe_exception(exc: BaseException, submission: str, *others: str) -> dict[str, Any]:
    """Type, message and the frames in the submission's files (submission, others): what a student can act on."""
    try:
        message = str(exc)[: limits.MESSAGE_CHARS]
    except BaseException:
        message = "<the exception's message could not be printed>"
    frames: list[dict[str, Any]] = []
    try:
        files = {submission, *others}
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.abspath(frame.filename) in files:
                frames.append(
                    {"line": frame.lineno, "function": frame.name, "code": (frame.line or "")[: limits.CODE_CHARS]}
                )
    except BaseException:
        pass
    out: dict[str, Any] = {"type": type(exc).__name__, "message": message, "frames": frames[-limits.FRAMES_KEPT :]}
    if isinstance(exc, SyntaxError):
        out["line"] = exc.lineno
        out["text"] = (exc.text or "").rstrip()[: limits.CODE_CHARS]
        out["message"] = str(exc.msg)[: limits.MESSAGE_CHARS]
    return out


def import_submission(path: str, name: str = "word2vec") -> ModuleType:
    """Run the source text itself: a cached or planted .pyc must never stand in for it."""
    with open(path, "rb") as handle:
        source = handle.read()
    spec = importlib.util.spec_from_loader(name, loader=None, origin=path)
    assert spec is not None  # no loader: always a spec
    module = importlib.util.module_from_spec(spec)
    module.__file__ = path
    sys.modules[name] = module
    exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    return module


def function_status(module: ModuleType, names: list[str]) -> dict[str, str]:
    """For each graded function the trusted side named: "ok", "missing" or "not callable"."""
    status: dict[str, str] = {}
    for name in names:
        value = module.__dict__.get(name)
        status[name] = "missing" if value is None else ("ok" if callable(value) else "not callable")
    return status


class Caller:
    """Runs one request's calls against the imported submission."""

    def __init__(self, module: ModuleType, submission: str) -> None:
        self.module: Any = module  # the submission: any attribute, any kind
        self.submission = submission
        # The submission's other graded files (sgd.py), imported when first asked for, so
        # that a broken or hanging one costs only its own functions' tests.
        self.companions: dict[str, Any] = {}
        self.kept: dict[str, dict[str, Any]] = {}  # calls kept by name, so large inputs cross once

    def companion(self, source: str) -> Any:
        """The module of ``source``, a file beside the submission; raises what its import raises."""
        if source not in self.companions:
            path = self.path_of(source)
            self.companions[source] = import_submission(path, os.path.splitext(os.path.basename(source))[0])
        return self.companions[source]

    def path_of(self, source: str) -> str:
        return os.path.join(os.path.dirname(self.submission), os.path.basename(source))

    def probe(self, request: dict[str, Any]) -> dict[str, Any]:
        """Import a companion file: the status of the functions named, or the import's exception."""
        source = str(request.get("source"))
        try:
            module = self.companion(source)
        except BaseException as exc:
            return {"imported": False, "error": describe_exception(exc, self.path_of(source))}
        return {"imported": True, "functions": function_status(module, list(request.get("names", [])))}

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        calls = []
        for call in request["calls"]:
            if "reuse" in call:
                call = self.kept[call["reuse"]]
            elif "keep_as" in call:
                self.kept = {call["keep_as"]: call}
            calls.append(call)
        return {"results": [self._one(request, call) for call in calls]}

    def _one(self, request: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from grader.protocol import corpus, objectives, standins, wire

        dataset = standins.ScriptedDataset(call.get("stream") or [])
        recorder = None
        objective = None
        training = None
        args: list[Any] = []
        for item in call["args"]:
            if "dataset" in item:
                args.append(dataset)
            elif "objective" in item:
                spec = item["objective"]
                objective = objectives.RecordingObjective(spec["kind"], spec["seed"], tuple(spec["shape"]))
                args.append(objective)
            elif "training" in item:
                # word2vec_sgd_wrapper: the grader's loop around the submission's skipgram and loss.
                training = corpus.TrainingObjective(
                    corpus.CorpusSpec.from_wire(item["training"]),
                    self.module.__dict__.get("skipgram"),
                    self.module.__dict__.get("negSamplingLossAndGradient"),
                )
                args.append(training)
            elif "postprocessing" in item:
                args.append(objectives.Postprocessing(item["postprocessing"]))
            elif "standin" in item:
                spec = item["standin"]
                recorder = standins.RecordingLoss(spec["seed"], spec["vocab_size"], spec["dim"], dataset)
                args.append(recorder)
            else:
                args.append(wire.decode_input(item))
        kwargs = {k: wire.decode_input(v) for k, v in call.get("kwargs", {}).items()}

        seed = call.get("reseed", 0)
        random.seed(seed)
        np.random.seed(seed)
        source = request.get("source")
        module = self.module
        if source:
            module = self.companion(source)  # imported by the probe already: its failure was reported there
        path = getattr(module, "__file__", self.submission)
        fn = module.__dict__.get(request.get("student_function") or request["function"])
        patched = request.get("trusted_sigmoid") and "sigmoid" in self.module.__dict__
        saved_sigmoid = self.module.__dict__.get("sigmoid")
        out: dict[str, Any] = {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if patched:
                    self.module.sigmoid = standins.trusted_sigmoid
                for _ in range(max(1, int(request.get("repeat", 1))) - 1):
                    fn(*args, **kwargs)  # timing runs: only the last call is reported
                    dataset.rewind()
                returned = fn(*args, **kwargs)
                if request.get("only_loss") and isinstance(returned, (tuple, list)) and returned:
                    returned = returned[0]
                out["value"] = wire.describe(returned)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included
                # Training runs through every file of the submission: keep the frames of each.
                files = (getattr(m, "__file__", "") for m in self.companions.values())
                out["error"] = describe_exception(exc, path, self.submission, *files)
            finally:
                if patched:
                    self.module.sigmoid = saved_sigmoid
        out["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[: limits.WARNING_CHARS]}" for w in caught})[
            : limits.WARNINGS_KEPT
        ]
        out["draws"] = dataset.draws
        if request.get("return_inputs"):
            out["inputs_after"] = [
                wire.encode_array(np.asarray(a, dtype=float)) if isinstance(a, np.ndarray) else None for a in args
            ]
        if recorder is not None:
            out["calls"] = [
                {
                    "outsideWordIdx": c["outsideWordIdx"],
                    "centerWordVec": wire.encode_array(c["centerWordVec"]),
                    "outsideVectors": wire.encode_array(c["outsideVectors"]),
                    "same_dataset": c["same_dataset"],
                }
                for c in recorder.calls[: limits.CALLS_RECORDED]
            ]
        if training is not None:
            out["losses"] = wire.encode_array(training.losses)
        if objective is not None:
            out["calls"] = [{"call": k, "x": wire.encode_array(x)} for k, x in objective.records()]
            out["evaluations"] = objective.count
        return out


def unbuffered_output() -> None:
    """Every print reaches the pipe at once, so what was printed survives a kill or os._exit."""
    import io

    for name in ("stdout", "stderr"):
        raw = io.FileIO(getattr(sys, name).fileno(), "w", closefd=False)
        setattr(sys, name, io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", write_through=True))


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    switch_user(config.get("switch"))
    portable = bool(config.get("portable"))
    if portable:
        unset: list[str] = []
        channel = Channel(*standard_streams())
    else:
        unset = apply_limits(config.get("limits", {}))
        channel = Channel(config["request_fd"], config["reply_fd"])
    submission = os.path.abspath(config["submission"])
    # The course's utils/ comes first so every submission grades against the
    # same helpers; the submission's own folder still serves its other modules.
    sys.path[:0] = [config["utils_parent"], os.path.dirname(submission)]
    sys.dont_write_bytecode = True  # -I ignores PYTHONDONTWRITEBYTECODE
    unbuffered_output()  # and PYTHONUNBUFFERED
    os.environ.setdefault("MPLBACKEND", "Agg")

    import numpy  # noqa: F401  (fail here, not inside the student's import)
    import numpy.random  # noqa: F401  (a lazy submodule in numpy 2.x; every call reseeds it)

    from grader.protocol import corpus, objectives, standins, wire  # noqa: F401  (all the grader's own code a call needs)

    if portable:
        layers: dict[str, str] = {}  # nothing of its own: the trusted side says what holds around it
    else:
        from grader.worker.confine import confine

        _single_threaded()  # Landlock and seccomp hold only the thread that asks for them
        layers = confine(config, os.getcwd())
        layers["rlimits"] = (
            "missing: " + ", ".join(unset) if unset else "memory, CPU, processes, file size, open files, message queues"
        )
    # Everything before this is the grader's; a failure up to here is never
    # the submission's (the trusted side reads it as WorkerStartFailed).
    channel.send({"booted": True, "layers": layers, "pid": os.getpid()})
    if portable:
        # The trusted side watches this process from outside: nothing of the
        # submission runs until it has said that it is watching.
        go = channel.receive()
        if not isinstance(go, dict) or go.get("op") != "go":
            return 0
    try:
        module = import_submission(submission)
    except BaseException as exc:
        channel.send({"ready": False, "error": describe_exception(exc, submission)})
        return 0
    channel.send({"ready": True, "functions": function_status(module, config.get("functions", []))})

    caller = Caller(module, submission)
    while True:
        request = channel.receive()
        if request is None or request.get("op") == "stop":
            return 0
        try:
            reply = caller.probe(request) if request.get("op") == "import" else caller.run(request)
        except BaseException as exc:
            reply = {"failed": describe_exception(exc, submission)}
        reply["id"] = request.get("id")
        channel.send(reply)
