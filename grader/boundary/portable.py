"""The portable worker: one subprocess on pipes, for systems without fork, rlimits or a user switch.

Windows has no ``fork``, ``resource`` or ``pwd``, and ``select`` there waits
on sockets only. So this path uses what every platform has: a worker exec'd
by ``subprocess`` with its standard streams as the channel (requests on
stdin, replies on stdout, what the submission prints on stderr), read by
threads. The trusted side enforces every limit it can from outside: each
call's time (as on every path), and memory, polled from the system's own
count of the worker's resident pages. As root on a POSIX system the worker
still runs as the sandbox user (Popen does the switch).

It is chosen by itself where the fork server and the worker's rlimits are
unavailable, and forced with ``GRADER_WORKER=portable`` (how the test
suites run it on Linux).
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

from grader.boundary.spawners import GRADER_PARENT, WORKER_BOOT, Spared, WorkerStartFailed, switch_options

if TYPE_CHECKING:
    from collections.abc import Callable

SWITCH = "GRADER_WORKER"
# How often the memory watch reads the worker's resident size: a worker
# allocating at memory speed outruns it by at most this long.
MEMORY_POLL_SECONDS = 0.05
# What Windows calls ending a process and its children: taskkill /T /F.
TASKKILL = os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32", "taskkill.exe")


def why_portable() -> str | None:
    """Why this run uses the portable worker, or None when the POSIX paths are all here."""
    chosen = os.environ.get(SWITCH, "").strip()
    if chosen and chosen not in ("portable", "auto"):
        raise WorkerStartFailed(f"{SWITCH} is 'portable' or 'auto'; {chosen!r} is neither")
    if chosen == "portable":
        return f"forced by {SWITCH}=portable"
    missing = [name for name in ("fork", "killpg", "setsid") if not hasattr(os, name)]
    missing += [name for name in ("resource", "fcntl") if not _importable(name)]
    if missing:
        return f"{system_name()} has no {', '.join(missing)}"
    return None


def system_name() -> str:
    return {"win32": "Windows", "darwin": "macOS", "linux": "Linux"}.get(sys.platform, sys.platform)


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def resident_bytes(pid: int) -> int | None:
    """Memory of process ``pid`` as the system counts it (on Linux with its descendants), or None."""
    try:
        if sys.platform.startswith("linux"):
            worker, *descendants = _linux_tree(pid)
            return _linux_resident(worker) + sum(_linux_resident(p, gone=0) for p in descendants)
        if sys.platform == "darwin":
            return _darwin_footprint(pid)
        if sys.platform == "win32":
            return _windows_private(pid)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return None


def _linux_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from each thread's children list."""
    tree, index = [pid], 0
    while index < len(tree):
        try:
            tasks = os.listdir(f"/proc/{tree[index]}/task")
        except OSError:
            tasks = []
        for task in tasks:
            try:
                with open(f"/proc/{tree[index]}/task/{task}/children", "rb") as handle:
                    tree += [int(child) for child in handle.read().split()]
            except OSError:
                pass
        index += 1
    return tree


def _linux_resident(pid: int, gone: int | None = None) -> int:
    """Resident bytes of ``pid``; ``gone`` if it has ended meanwhile, or OSError when that is None."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        if gone is None:
            raise
        return gone


def _darwin_footprint(pid: int) -> int | None:
    import ctypes

    # struct rusage_info_v0: a 16-byte uuid (slots 0 and 1 here), then uint64 counters;
    # ri_phys_footprint (slot 9) counts compressed pages, which ri_resident_size leaves out.
    info = (ctypes.c_uint64 * 12)()
    libproc = ctypes.CDLL("/usr/lib/libproc.dylib")
    if libproc.proc_pid_rusage(pid, 0, ctypes.byref(info)) != 0:
        return None
    return int(info[9])


@functools.lru_cache(maxsize=None)
def _kernel32() -> tuple[Any, type]:
    """kernel32 with the prototypes the memory watch uses, and PROCESS_MEMORY_COUNTERS: made once."""
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [
            ("cb", wintypes.DWORD),
            ("PageFaultCount", wintypes.DWORD),
            ("PeakWorkingSetSize", ctypes.c_size_t),
            ("WorkingSetSize", ctypes.c_size_t),
            ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
            ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
            ("PagefileUsage", ctypes.c_size_t),
            ("PeakPagefileUsage", ctypes.c_size_t),
        ]

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.K32GetProcessMemoryInfo.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    return kernel32, Counters


def _windows_private(pid: int) -> int | None:
    import ctypes

    kernel32, Counters = _kernel32()
    query_limited_information, vm_read = 0x1000, 0x0010
    handle = kernel32.OpenProcess(query_limited_information | vm_read, False, pid)
    if not handle:
        return None
    try:
        counters = Counters()
        counters.cb = ctypes.sizeof(counters)
        if not kernel32.K32GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return None
        # Committed private memory: what an allocation costs even before its pages are touched.
        return int(counters.PagefileUsage)
    finally:
        kernel32.CloseHandle(handle)


class MemoryWatch:
    """Ends a process whose resident memory goes over ``limit`` bytes, from a thread of the trusted side."""

    def __init__(self, popen: subprocess.Popen[bytes], limit: int, end: Callable[[], None]) -> None:
        self.over: int | None = None  # the resident size it was ended at, if it was
        self.pid = popen.pid
        self._stopped = threading.Event()
        threading.Thread(target=self._watch, args=(popen, limit, end), daemon=True).start()

    def follow(self, pid: object) -> None:
        """Watch ``pid``, the worker's own word at boot, before any student code ran.

        On Windows a venv's python.exe is a launcher that runs the real
        interpreter as its child: that child is the worker to watch.
        """
        if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
            self.pid = pid

    def _watch(self, popen: subprocess.Popen[bytes], limit: int, end: Callable[[], None]) -> None:
        while not self._stopped.wait(MEMORY_POLL_SECONDS):
            used = resident_bytes(self.pid)
            if used is None:
                if popen.poll() is not None:
                    return
                continue
            if used > limit:
                self.over = used
                end()
                return

    def stop(self) -> None:
        self._stopped.set()


class PortableProcess:
    """A portable worker: its Popen, a memory watch, and how to end it with what it started."""

    def __init__(self, popen: subprocess.Popen[bytes], memory_bytes: int | None) -> None:
        self.popen = popen
        self.pid: int | None = popen.pid
        self.failed: str | None = None
        Spared.pids.add(popen.pid)  # a live worker is never a leftover to sweep
        self.watch = MemoryWatch(popen, memory_bytes, self.kill_tree) if memory_bytes else None

    @property
    def over_memory(self) -> int | None:
        return self.watch.over if self.watch else None

    def wait(self, timeout: float | None) -> int:
        code = self.popen.wait(timeout=timeout)
        Spared.pids.discard(self.popen.pid)
        if self.watch:
            self.watch.stop()
        return code

    def kill_tree(self) -> None:
        """End the worker and, where the system can tell, every process it started."""
        if sys.platform == "win32" and self.popen.poll() is None:
            try:  # before the worker ends: taskkill /T finds its children through it
                subprocess.run(
                    [TASKKILL, "/F", "/T", "/PID", str(self.popen.pid)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=10,
                )
            except (OSError, subprocess.SubprocessError):
                pass
        elif hasattr(os, "killpg"):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)  # the worker leads its own session
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.popen.kill()
        except OSError:
            pass


class ThreadedReplies:
    """The worker's replies, read by a thread: the only way to wait on a pipe with a timeout on Windows."""

    def __init__(self, stream: IO[bytes]) -> None:
        # Bounded, so a worker flooding its reply pipe is held back by the pipe, as on POSIX.
        self.chunks: queue.Queue[bytes] = queue.Queue(maxsize=4)
        self._closed = threading.Event()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        # The thread owns the stream and closes it at the end, so its
        # descriptor is never closed under a read and reused meanwhile.
        try:
            while not self._closed.is_set():
                chunk = stream.read1(1 << 20) if hasattr(stream, "read1") else stream.read(1 << 20)
                if not chunk:
                    break
                self._put(chunk)
        except (OSError, ValueError):
            pass
        finally:
            self._put(b"")
            stream.close()

    def _put(self, chunk: bytes) -> None:
        while not self._closed.is_set():
            try:
                self.chunks.put(chunk, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, seconds: float) -> bytes | None:
        """The next chunk; b"" once the worker's end is closed; None if nothing came in ``seconds``."""
        try:
            return self.chunks.get(timeout=max(seconds, 0.0))
        except queue.Empty:
            return None

    def close(self) -> None:
        """Nobody reads on: the thread drops what comes and closes the stream when the worker's end closes."""
        self._closed.set()


def nothing() -> IO[bytes]:
    """The portable worker's stdout drain: it prints to stderr, so there is nothing to read."""
    return io.BytesIO()


# What Windows and its Pythons need to start and to load numpy's DLLs; the
# rest of this process's environment stays out, as on every path.
WINDOWS_VARIABLES = ("SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA")


def windows_environment() -> dict[str, str]:
    """PATH as this process has it, led by a conda environment's DLL folders, and Windows' own variables.

    conda's numpy finds its DLLs (MKL, OpenBLAS) through PATH: without
    <env>/Library/bin there it fails to load ("DLL load failed").
    """
    conda = [os.path.join(sys.prefix, *p) for p in (("Library", "bin"), ("Library", "mingw-w64", "bin"), ("bin",))]
    path = [p for p in conda if os.path.isdir(p)] + [os.environ.get("PATH", "")]
    # Windows' environment ignores case: one spelling each (os.environ's, upper case).
    system = {name: os.environ[name] for name in WINDOWS_VARIABLES if name in os.environ}
    return dict(system, PATH=os.pathsep.join(p for p in path if p))


class PortableSpawner:
    """One ``python -I`` per worker, talking over its standard streams."""

    def __init__(self, why: str) -> None:
        self.why = why

    def start(self) -> PortableSpawner:
        return self

    def spawn(self, spec: dict[str, Any]) -> PortableProcess:
        config = dict(spec["config"], portable=True)
        options: dict[str, Any] = dict(
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=spec["env"], cwd=spec["cwd"]
        )
        if sys.platform == "win32":
            options.update(creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)  # type: ignore[attr-defined]
            options["env"] = dict(spec["env"], **windows_environment())
        else:
            options.update(start_new_session=True)
        options.update(switch_options(spec, config))
        parent = spec.get("grader_parent", GRADER_PARENT)
        command = [sys.executable, "-I", "-c", WORKER_BOOT, parent, json.dumps(config)]
        try:
            return PortableProcess(subprocess.Popen(command, **options), config["limits"].get("memory_bytes"))
        except (OSError, subprocess.SubprocessError, ValueError) as error:
            raise WorkerStartFailed(f"could not start {sys.executable} for the worker: {error}") from None

    def memory_watch(self) -> str:
        """How memory is held on this path, for the report."""
        if sys.platform.startswith("linux"):
            whose = "the worker's and its children's"
        elif sys.platform in ("darwin", "win32"):
            whose = "the worker's own (not its children's)"
        else:
            return f"memory not watched: no way to read a process's memory on {system_name()}"
        return f"{whose} memory watched by the grader every {MEMORY_POLL_SECONDS:g} s, the worker ended above the limit"

    def shutdown(self) -> None:
        pass

    def close(self) -> None:
        pass
