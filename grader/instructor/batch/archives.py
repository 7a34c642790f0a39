"""An uploaded archive (a .zip; on Autolab also a .tar): its .py files, read with limits, never extracted as given.

Only .py members are ever written, each by this process from its bytes, under
a folder of the grader's choosing: no member name can reach outside it, and
no link, device or other file in the archive is ever created.
"""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from grader.submission import SubmissionNotFound, choose, counted

# An archive with more members than this is refused unread.
MEMBERS_LIMIT = 10_000
# The .py files of one archive, together, uncompressed.
PYTHON_BYTES_LIMIT = 20 * 2**20
ENCRYPTED = 0x1
# Every member of a tar, together, as declared: a compressed tar is read
# through to find its .py members, so this bounds the work of reading it.
TAR_BYTES_LIMIT = 256 * 2**20
# What reading a member can raise: a corrupt archive, a method Python lacks, a password.
_UNREADABLE = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


def submission_in(archive: Path) -> PurePosixPath:
    """The submission's path inside ``archive``; SubmissionNotFound says why there is none."""
    members = python_members(archive)
    try:
        return PurePosixPath(choose(members))
    except SubmissionNotFound as missing:
        inner = sorted(str(p) for p in _names(archive) if p.suffix.lower() == ".zip" and counted(p))
        if not members and inner:
            raise SubmissionNotFound(
                f"{archive.name} holds another zip archive ({inner[0]}), not a .py file: unzip it and submit "
                "the word2vec.py inside"
            ) from None
        raise SubmissionNotFound(f"{archive.name}: {missing}") from None


def _names(archive: Path) -> list[PurePosixPath]:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as opened:
            return [PurePosixPath(n) for n in opened.namelist()]
    with _open_tar(archive) as opened:
        return [PurePosixPath(n) for n in opened.getnames()]


def _open_tar(archive: Path) -> tarfile.TarFile:
    """The tar, read from memory once decompressed within DECOMPRESSED_LIMIT."""
    return tarfile.open(fileobj=io.BytesIO(_decompressed(archive, DECOMPRESSED_LIMIT)), mode="r:")


def is_archive(path: Path) -> bool:
    """A zip or a tar (plain or compressed), whatever its name."""
    return zipfile.is_zipfile(path) or _is_tar(path)


def _is_tar(path: Path) -> bool:
    """Whether the first block, decompressed, is a tar header (never tarfile.is_tarfile, which reads a
    declared long-name header whole, however large)."""
    try:
        head = _decompressed(path, 512)
    except (SubmissionNotFound, *_UNREADABLE):
        return False
    if len(head) < 512 or not any(head):
        return False
    if head[257:262] == b"ustar":
        return True
    stored = head[148:156].split(b"\0", 1)[0].strip()
    counted_sum = sum(head[:148]) + 8 * 32 + sum(head[156:])  # the checksum field counts as spaces
    return stored.isdigit() and int(stored, 8) == counted_sum


# A compressed tar is decompressed into memory before tarfile reads it, at most this much:
# tarfile reads a declared long-name or pax header whole, so a tiny bomb could fill memory.
DECOMPRESSED_LIMIT = 64 * 2**20
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}


def _decompressed(path: Path, limit: int) -> bytes | bytearray:
    """Up to ``limit`` bytes of ``path``, decompressed (gzip, bz2, xz) or as stored; more raises SubmissionNotFound."""
    import bz2
    import lzma

    data: bytes | bytearray
    with open(path, "rb") as raw:
        start = raw.read(6)
        kind = next((k for magic, k in _MAGIC.items() if start.startswith(magic)), None)
        raw.seek(0)
        if kind is None:
            data = raw.read(limit + 1)
        else:
            unpack: Any = {
                "gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
                "bz2": bz2.BZ2Decompressor,
                "xz": lzma.LZMADecompressor,
            }[kind]()
            out = bytearray()
            while len(out) <= limit and not unpack.eof:
                if kind == "gzip":
                    chunk = unpack.unconsumed_tail or raw.read(1 << 16)
                else:  # bz2 and xz keep what they could not hand out yet; they want b"" for it
                    chunk = raw.read(1 << 16) if unpack.needs_input else b""
                if not chunk and (kind == "gzip" or unpack.needs_input):
                    break
                out += unpack.decompress(chunk, limit + 1 - len(out))
            data = out  # not copied: it may be the limit's size
    if len(data) > limit and limit >= DECOMPRESSED_LIMIT:
        raise SubmissionNotFound(f"{path.name} was not graded: it unpacks to more than {limit >> 20} MiB")
    return data if len(data) <= limit else data[:limit]


def python_members(archive: Path) -> dict[PurePosixPath, bytes]:
    """Every .py member by its path, read in full within the limits; SubmissionNotFound when unsafe or unreadable."""
    if not zipfile.is_zipfile(archive) and _is_tar(archive):
        return _tar_python_members(archive)
    refused = f"{archive.name} was not graded: "
    try:
        with zipfile.ZipFile(archive) as opened:
            infos = opened.infolist()
            if len(infos) > MEMBERS_LIMIT:
                raise SubmissionNotFound(f"{refused}it holds {len(infos)} files, more than {MEMBERS_LIMIT}")
            named = [(PurePosixPath(info.filename.replace("\\", "/")), info) for info in infos]
            outside = [info.filename for path, info in named if not _inside(path)]
            if outside:
                raise SubmissionNotFound(f"{refused}it names a file outside itself ({outside[0]!r}); unzip it by hand")
            wanted = [(path, info) for path, info in named if _is_python(path, info)]
            if sum(info.file_size for _, info in wanted) > PYTHON_BYTES_LIMIT:
                raise SubmissionNotFound(f"{refused}its .py files hold more than {PYTHON_BYTES_LIMIT >> 20} MiB")
            if any(info.flag_bits & ENCRYPTED for _, info in wanted):
                raise SubmissionNotFound(f"{refused}it is password-protected; unzip it and grade the folder")
            # zipfile stops each member at its declared size, and checks its CRC at the end.
            return {path: opened.read(info) for path, info in wanted}
    except _UNREADABLE as error:
        raise SubmissionNotFound(f"{refused}it cannot be read as a zip archive ({error}); unzip it by hand") from None


def _tar_python_members(archive: Path) -> dict[PurePosixPath, bytes]:
    """``python_members`` for a tar: regular .py files only; a name outside the archive refuses it all."""
    refused = f"{archive.name} was not graded: "
    found: dict[PurePosixPath, bytes] = {}
    members = declared = python_bytes = 0
    try:
        with _open_tar(archive) as opened:
            for info in opened:  # read lazily, so the limits stop a large archive early
                members += 1
                declared += max(info.size, 0)
                if members > MEMBERS_LIMIT:
                    raise SubmissionNotFound(f"{refused}it holds more than {MEMBERS_LIMIT} files")
                if declared > TAR_BYTES_LIMIT:
                    raise SubmissionNotFound(f"{refused}it holds more than {TAR_BYTES_LIMIT >> 20} MiB")
                path = PurePosixPath(info.name.replace("\\", "/"))
                if not _inside(path):
                    raise SubmissionNotFound(
                        f"{refused}it names a file outside itself ({info.name!r}); unpack it by hand"
                    )
                if not (info.isreg() and path.suffix == ".py" and counted(path)):
                    continue  # links, devices and folders are never created; other files are not needed
                python_bytes += info.size
                if python_bytes > PYTHON_BYTES_LIMIT:
                    raise SubmissionNotFound(f"{refused}its .py files hold more than {PYTHON_BYTES_LIMIT >> 20} MiB")
                data = opened.extractfile(info)
                found[path] = data.read(info.size) if data is not None else b""
    except _UNREADABLE as error:
        raise SubmissionNotFound(f"{refused}it cannot be read as a tar archive ({error}); unpack it by hand") from None
    return found


def _inside(path: PurePosixPath) -> bool:
    return not path.is_absolute() and ".." not in path.parts and not (path.parts and ":" in path.parts[0])


def _is_python(path: PurePosixPath, info: zipfile.ZipInfo) -> bool:
    kind = stat.S_IFMT(info.external_attr >> 16)
    return not info.is_dir() and kind in (0, stat.S_IFREG) and path.suffix == ".py" and counted(path)


def extract_python(archive: Path, into: Path) -> None:
    """Write the archive's .py members under ``into``, as regular files only."""
    for path, data in python_members(archive).items():
        target = into.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
