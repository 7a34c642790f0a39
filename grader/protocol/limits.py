"""Every bound on what crosses the process boundary, in one place.

Both sides truncate with these: the worker so that what it sends stays
small, the trusted side so that a tampered reply cannot grow past them.
"""

from __future__ import annotations

# Frames
REQUEST_BYTES = 256 << 20  # one request to the worker (the efficiency cases are the largest)
FORK_SERVER_FRAME_BYTES = 1 << 20  # one message to or from the fork server
SETUP_ERROR_BYTES = 4000  # why a forked worker could not be set up

# Values
MAX_ITEMS = 64  # elements of a returned list or tuple that are described
MAX_REPR = 200  # characters of repr() kept for an object of another kind
MAX_DIMENSIONS = 8  # no graded value has more axes
MAX_ARRAY_ELEMENTS = 2_000_000  # large enough for any (V, d) of the catalogue, small enough to refuse floods

# Exceptions, warnings and recordings the worker reports
MESSAGE_CHARS = 500  # an exception's message
CODE_CHARS = 200  # a line of source quoted with it
FRAMES_KEPT = 5  # the submission's own traceback frames, innermost last
WARNING_CHARS = 120
WARNINGS_KEPT = 5
CALLS_RECORDED = 200  # calls of the recording stand-in reported per skipgram call
