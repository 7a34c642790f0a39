"""Every number the grader depends on, in one place.

Points live with the tests in ``catalogue.py``; this module holds the
tolerances, the sandbox limits and the sizes of the random cases.
"""

from dataclasses import dataclass, field

DEFAULT_SEED = 224

# Value comparisons: |got - expected| <= ATOL + RTOL * |expected|, elementwise.
# RTOL matches the course's own gradcheck threshold; ATOL lets values that
# underflow (sigmoid(-700) is 1e-304) compare equal to 0.
RTOL = 1e-5
ATOL = 1e-8

# Finite differences: central differences with step H along unit directions,
# failing when |numerical - analytical| > FD_TOL * max(1, |numerical|, |analytical|).
FD_STEP = 1e-4
FD_TOL = 1e-5
# A loss whose every directional change is below this is treated as constant:
# a constant loss with zero gradients agrees with itself but earns nothing.
FD_CONSTANT_LOSS = 1e-10
FD_JOINT_DIRECTIONS = 2


@dataclass(frozen=True)
class Limits:
    """What the sandboxed worker may use."""

    import_seconds: float = 10.0     # wall time to import the submission
    call_seconds: float = 5.0        # wall time for one request (a batch of calls)
    cpu_seconds: int = 60            # RLIMIT_CPU for the whole worker
    memory_bytes: int = 512 * 2**20  # RLIMIT_AS for the worker
    processes: int = 16              # RLIMIT_NPROC (per sandbox user)
    file_bytes: int = 1 * 2**20      # RLIMIT_FSIZE: largest file the worker may write
    open_files: int = 64             # RLIMIT_NOFILE
    output_bytes: int = 8 * 1024     # stdout/stderr kept from the worker, each
    reply_bytes: int = 64 * 2**20    # largest reply frame accepted from the worker
    total_seconds: float = 50.0      # whole grading run; later calls fail fast


@dataclass(frozen=True)
class Sizes:
    """Shapes of the random cases, per suite."""

    # (V, d) pairs for the public naive-softmax and negative-sampling cases:
    # V < d, V = d and V > d.
    public_shapes: tuple = ((3, 5), (6, 6), (12, 4))
    hidden_shapes: tuple = ((2, 7), (9, 9), (40, 8), (3000, 20))
    stable_score: float = 800.0       # naive softmax: every score near this
    stable_spread: float = 2.0
    neg_score_scale: float = 6.0      # hidden neg sampling: scores of this size
    public_K: tuple = (10,)
    other_K: tuple = (1, 3, 17)
    fd_shape: tuple = (7, 4)          # (V, d) for gradient checks
    skipgram_vocab: tuple = (5, 8)    # public vocabulary sizes
    skipgram_hidden_vocab: tuple = (12, 20)
    skipgram_dim: int = 4


@dataclass(frozen=True)
class Settings:
    seed: int = DEFAULT_SEED
    hidden: bool = False
    limits: Limits = field(default_factory=Limits)
    sizes: Sizes = field(default_factory=Sizes)
