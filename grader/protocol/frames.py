"""Length-prefixed JSON frames: the one framing the trusted side, the worker and the fork server speak.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON.
Each side reads bytes its own way (select on a pipe, a blocking read, a
socket with descriptors alongside); all of them cut frames with
``FrameBuffer``, which refuses a frame over its limit before reading it.
"""

from __future__ import annotations

import json
import struct
from typing import Any

HEADER = struct.Struct(">I")


class FrameError(ValueError):
    """A frame that breaks this protocol: too large, or not JSON."""


class FrameTooLarge(FrameError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"a frame of {length} bytes, over the limit of {limit}")
        self.length, self.limit = length, limit


def pack(message: Any) -> bytes:
    body = json.dumps(message, allow_nan=True).encode("utf-8")
    return HEADER.pack(len(body)) + body


def unpack(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FrameError(f"frame is not JSON: {type(exc).__name__}") from None


class FrameBuffer:
    """Bytes in, whole frames out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.data += chunk

    def wanted(self) -> int:
        """How many more bytes the next frame needs (at least 1 while it is incomplete)."""
        if len(self.data) < HEADER.size:
            return HEADER.size - len(self.data)
        (length,) = HEADER.unpack_from(self.data)
        return max(1, HEADER.size + length - len(self.data))

    def next(self) -> tuple[bool, Any]:
        """(True, message) for the next whole frame, (False, None) while it is incomplete.

        Raises FrameError for a frame over the limit, as soon as its header
        says so, and for a body that is not JSON.
        """
        if len(self.data) < HEADER.size:
            return False, None
        (length,) = HEADER.unpack_from(self.data)
        if length > self.limit:
            raise FrameTooLarge(length, self.limit)
        end = HEADER.size + length
        if len(self.data) < end:
            return False, None
        body = bytes(self.data[HEADER.size : end])
        del self.data[:end]
        return True, unpack(body)
