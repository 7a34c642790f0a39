"""The one framing every side speaks: whole frames out of bytes in any pieces, and clean refusals."""

import pytest

from grader.protocol import frames


def test_frames_come_out_whole_whatever_the_pieces():
    messages = [{"op": "call", "id": 1, "values": [1.5, None, "x"]}, [], "é", {"nested": {"a": [1, 2]}}]
    data = b"".join(frames.pack(m) for m in messages)
    for size in (1, 3, 7, len(data)):
        buffer, out = frames.FrameBuffer(1 << 20), []
        for start in range(0, len(data), size):
            buffer.feed(data[start : start + size])
            while True:
                found, message = buffer.next()
                if not found:
                    break
                out.append(message)
        assert out == messages, size


def test_wanted_never_reads_past_the_frame():
    buffer = frames.FrameBuffer(100)
    data = frames.pack({"a": 1})
    assert buffer.wanted() == frames.HEADER.size
    buffer.feed(data[: frames.HEADER.size])
    assert buffer.wanted() == len(data) - frames.HEADER.size


def test_a_frame_over_the_limit_is_refused_from_its_header_alone():
    buffer = frames.FrameBuffer(10)
    buffer.feed(frames.HEADER.pack(11))
    with pytest.raises(frames.FrameTooLarge, match="11 bytes"):
        buffer.next()


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[" * 100000])
def test_a_body_that_is_not_json_is_a_frame_error(body):
    buffer = frames.FrameBuffer(1 << 20)
    buffer.feed(frames.HEADER.pack(len(body)) + body)
    with pytest.raises(frames.FrameError, match="not JSON"):
        buffer.next()
