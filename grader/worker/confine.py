"""The worker's own walls, raised after the grader's imports and before the submission's.

Linux only, through the kernel's own interfaces by ctypes (no binding
package: three Landlock calls and one seccomp program are shorter than a
dependency the worker would have to import under the sandbox user):

- Landlock (5.13+): the worker may read only the interpreter, its
  libraries, site-packages, the course's utils and its own submission
  folder, and write only to its scratch folder. From ABI 6 it may neither
  signal nor reach the abstract sockets of processes outside its domain.
- No network: a network namespace made by the fork server (root), and a
  seccomp filter that refuses socket() of every family; with neither,
  Landlock's TCP rules (ABI 4+; UDP stays open).

``confine`` never raises for a layer the kernel lacks: it says which layers
hold and why the others do not, and the trusted side reports that.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from typing import Any

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH, LANDLOCK_RULE_NET_PORT = 1, 2
# Filesystem rights by the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1  # execute .. make_sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
READ_ONLY = READ_FILE | READ_DIR | EXECUTE
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
# Where shared libraries and the loader's cache live, for modules that load one late.
LIBRARY_FOLDERS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache")
DEVICES = {"/dev/null": READ_FILE | WRITE_FILE, "/dev/urandom": READ_FILE, "/dev/zero": READ_FILE}
# seccomp: (audit arch, socket, io_uring_setup) by machine; io_uring can open sockets too.
SECCOMP_ARCH = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
EACCES = 13
X32_SYSCALL_BIT = 0x40000000


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _error(what: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{what}: {os.strerror(errno)}")


def landlock_abi() -> tuple[int, str]:
    """(ABI version, "") where Landlock works; (0, why not) elsewhere."""
    if not sys.platform.startswith("linux"):
        return 0, f"Landlock is Linux's; this is {sys.platform}"
    kernel = os.uname().release
    abi = _libc().syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), LANDLOCK_CREATE_RULESET_VERSION)
    if abi > 0:
        return abi, ""
    errno = ctypes.get_errno()
    if errno == 95:  # EOPNOTSUPP: built in, not enabled at boot
        return 0, f"Landlock unavailable: not enabled at boot (kernel {kernel})"
    if errno == 1:  # EPERM: a container's seccomp policy refuses the call
        return 0, f"Landlock unavailable: refused by the container (kernel {kernel})"
    return 0, f"Landlock unavailable: kernel {kernel} (5.13 or later needed)"


def _fs_rights(abi: int) -> int:
    rights = FS_ABI1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def readable_paths(config: dict[str, Any]) -> list[str]:
    """What the submission may read: the interpreter, its libraries, site-packages, utils, its folder.

    The grader itself is cut out of those (every module the worker needs is
    imported by now): its package, which an installed grader bundles the
    reference in, any other copy of it on the path (an installed one beside
    a checkout's), and a checkout's whole folder, which holds the reference
    beside it, all but the library folders of a venv made inside it. A
    folder that holds any of them is granted entry by entry.
    """
    here = os.path.abspath(__file__)  # GRADER_PARENT/grader/worker/confine.py
    package = os.path.realpath(os.path.dirname(os.path.dirname(here)))
    grader_parent = os.path.dirname(package)
    numpy_home = ""
    numpy_file = getattr(sys.modules.get("numpy"), "__file__", None)
    if numpy_file:
        numpy_home = os.path.realpath(os.path.dirname(os.path.dirname(numpy_file)))
    broad = [os.path.realpath(entry) for entry in sys.path if entry]
    broad += [numpy_home, os.path.join(sys.base_prefix, "lib"), os.path.join(sys.prefix, "lib"), *LIBRARY_FOLDERS]
    broad = [os.path.realpath(path) for path in broad if path]
    copies = {os.path.realpath(os.path.join(path, "grader")) for path in broad if path}
    secrets = sorted({package, *(c for c in copies if os.path.isfile(os.path.join(c, "__init__.py")))})
    libraries: list[str] = []
    if grader_parent != numpy_home:  # a checkout: cut whole, but for a venv's libraries made inside it
        inside = grader_parent.rstrip(os.sep) + os.sep
        libraries = [path for path in broad if path.startswith(inside)]
        broad = [path for path in broad if not path.startswith(inside)]
        secrets.append(grader_parent)
    for secret in secrets:
        broad = [kept for path in broad for kept in _without(path, secret)]
        if secret != grader_parent:
            libraries = [kept for path in libraries for kept in _without(path, secret)]
    broad += libraries
    own = [config["utils_parent"], os.path.dirname(os.path.abspath(config["submission"]))]
    seen: list[str] = []
    for path in broad + [os.path.realpath(p) for p in own]:
        if path and path not in seen and os.path.exists(path):
            seen.append(path)
    return seen


def _without(path: str, secret: str) -> list[str]:
    """``path``, or what is left of it to grant once ``secret`` is cut out."""
    if path == secret or path.startswith(secret.rstrip(os.sep) + os.sep):
        return []
    if not secret.startswith(path.rstrip(os.sep) + os.sep):
        return [path]
    kept: list[str] = []
    try:
        entries = [entry.path for entry in os.scandir(path)]
    except OSError:
        return []
    for entry in entries:
        kept += _without(os.path.realpath(entry), secret)
    return kept


def restrict_filesystem(abi: int, scratch: str, readable: list[str], deny_tcp: bool, scope: bool) -> None:
    """One Landlock ruleset for the rest of this process's life, and its children's."""
    libc = _libc()
    handled_fs = _fs_rights(abi)
    attr = struct.pack("=QQQ", handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if deny_tcp else 0, 0)
    size = 8
    if deny_tcp:
        size = 16
    if scope and abi >= 6:
        attr = attr[:16] + struct.pack("=Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
        size = 24
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise _error("landlock_create_ruleset")
    try:
        for path in readable:
            try:
                _allow(libc, ruleset, path, READ_ONLY, handled_fs)
            except FileNotFoundError:
                continue  # gone since it was listed: nothing to grant
        for device, rights in DEVICES.items():
            if os.path.exists(device):
                _allow(libc, ruleset, device, rights, handled_fs)
        _allow(libc, ruleset, os.path.realpath(sys.executable), READ_FILE | EXECUTE, handled_fs)
        _allow(libc, ruleset, scratch, handled_fs, handled_fs)
        if libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            raise _error("landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(libc: Any, ruleset: int, path: str, rights: int, handled: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled, fd), 12)
        if libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0) != 0:
            raise _error(f"landlock_add_rule for {path}")
    finally:
        os.close(fd)


def refuse_sockets() -> None:
    """A seccomp filter: socket() of every family, and io_uring, fail with EACCES.

    The worker talks only through the pipes it inherits. AF_UNIX too is
    refused: Landlock does not guard connect() to a socket file, behind
    which may be a session bus that starts programs (socketpair() stays).
    """
    if not sys.platform.startswith("linux"):
        raise OSError(0, f"seccomp is Linux's; this is {sys.platform}")
    machine = os.uname().machine
    if machine not in SECCOMP_ARCH:
        raise OSError(0, f"no seccomp filter written for {machine}")
    arch, socket_nr, io_uring_nr = SECCOMP_ARCH[machine]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | EACCES
    program = [
        (ld_abs, 0, 0, 4),  # 0: arch
        (jeq, 1, 0, arch),  # 1: native? skip to 3
        (ret, 0, 0, deny),  # 2: any other ABI (i386 socketcall) refused outright
        (ld_abs, 0, 0, 0),  # 3: syscall number
        (jge, 3, 0, X32_SYSCALL_BIT) if machine == "x86_64" else (jeq, 3, 0, 0xFFFFFFFF),  # 4: x32 -> 8
        (jeq, 2, 0, io_uring_nr),  # 5: -> 8
        (jeq, 1, 0, socket_nr),  # 6: -> 8
        (ret, 0, 0, allow),  # 7
        (ret, 0, 0, deny),  # 8
    ]
    code = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    filters = ctypes.create_string_buffer(code, len(code))
    prog = struct.pack("=HxxxxxxQ", len(program), ctypes.addressof(filters))
    fprog = ctypes.create_string_buffer(prog, len(prog))
    libc = _libc()
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0) != 0:
        raise _error("prctl(PR_SET_SECCOMP)")


PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 23, 24, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
CAP_SYS_ADMIN, LAST_CAPABILITY = 21, 63


def drop_capabilities() -> str:
    """A worker left running as root (no user switch) keeps no capability, nor any an exec would grant.

    Its uid still owns root's files, which Landlock keeps out of reach; with
    no capability it cannot load a kernel module, use bpf, or change its ids.
    "" when there was nothing to drop (not root, or not Linux).
    """
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return ""
    libc = _libc()
    for capability in range(LAST_CAPABILITY + 1):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)  # EINVAL past the kernel's last: ignored
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = ctypes.create_string_buffer(struct.pack("=Ii", CAPABILITY_VERSION_3, 0), 8)
    data = ctypes.create_string_buffer(bytes(24), 24)  # effective, permitted, inheritable: twice, all zero
    if libc.capset(header, data) != 0 or libc.prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0:
        raise _error("dropping the capabilities of a worker running as root")
    return "the worker runs as root, with every capability dropped"


def confine(config: dict[str, Any], scratch: str) -> dict[str, str]:
    """Raise every layer this system offers; {layer: "how"} for those in force, {layer: "missing: why"}."""
    without = set(config.get("without", []))
    said: dict[str, str] = {}
    dropped = drop_capabilities()
    if dropped:
        said["capabilities"] = dropped
    abi, why_not = landlock_abi()
    if "landlock" in without:
        abi, why_not = 0, "Landlock forced off (GRADER_WITHOUT)"
    namespace = config.get("network_namespace")
    deny_tcp = False
    held, reasons = [], []
    if namespace is True:
        held.append("network namespace: no interface but a loopback that is down")
    else:
        reasons.append(str(namespace or "no network namespace"))
    if "seccomp" in without:
        reasons.append("seccomp forced off (GRADER_WITHOUT)")
    else:
        try:
            refuse_sockets()
            held.append("seccomp: no socket of any family can be made")
        except OSError as error:
            reasons.append(f"seccomp unavailable: {error.strerror or error}")
    if not held and abi >= 4:
        deny_tcp = True
        held.append("Landlock: TCP connect and bind refused (UDP stays open)")
    elif not held:
        reasons.append(why_not or f"Landlock ABI {abi} has no network rules (4 needed)")
    said["network"] = "; ".join(held) if held else "missing: " + "; ".join(reasons)
    if abi:
        try:
            restrict_filesystem(abi, scratch, readable_paths(config), deny_tcp, scope=True)
            said["filesystem"] = f"Landlock ABI {abi}: reads the interpreter, libraries, utils and its own folder; "
            said["filesystem"] += "writes only its scratch folder"
        except OSError as error:
            said["filesystem"] = f"missing: Landlock refused: {error.strerror or error}"
            if deny_tcp:
                said["network"] = "missing: " + said["filesystem"][len("missing: ") :]
    else:
        said["filesystem"] = f"missing: {why_not}"
    return said
