"""The training check's pictures, as inline SVG: the loss curve and the word vectors in 2-D.

Drawn from the figures the trusted side computed (grader.rubric.training),
never from anything the submission sent as text. Every label is escaped:
words are the grader's own, but nothing here relies on that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grader.rubric.training import TrainingFigures

# One color per cluster (colorblind-safe, Okabe and Ito), reused past the fourth.
CLUSTER_COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
WIDTH, HEIGHT, MARGIN = 380, 240, 44
LABEL_WIDTH, LABEL_HEIGHT = 40, 12  # room a word's label takes, roughly


def _number(x: float) -> str:
    return f"{x:.3g}"


def _scale(values: Sequence[float], low: float, high: float) -> list[float]:
    """``values`` mapped linearly onto [low, high] (the middle when they are all equal)."""
    least, most = min(values), max(values)
    if most == least:
        return [(low + high) / 2 for _ in values]
    return [low + (v - least) * (high - low) / (most - least) for v in values]


def _frame(title: str, body: list[str], label: str) -> Markup:
    parts = [
        f'<svg class="figure" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">{escape(title)}</text>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def loss_curve(figures: TrainingFigures) -> Markup:
    """The loss f returned at each iteration, as a line."""
    steps = [(i + 1, v) for i, v in enumerate(figures.losses) if math.isfinite(v)]
    label = "The loss your f returned at each iteration of sgd"
    left, right, top, bottom = MARGIN + 6, WIDTH - 12, 28, HEIGHT - MARGIN + 6
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#57606a"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#57606a"/>',
        f'<text x="{(left + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">iteration</text>',
        f'<text x="12" y="{(top + bottom) / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 12 {(top + bottom) / 2})">loss</text>',
    ]
    if len(steps) < 2:
        body.append(
            f'<text x="{(left + right) / 2}" y="{(top + bottom) / 2}" text-anchor="middle" font-size="12">'
            "no finite losses to draw</text>"
        )
        return _frame("Training loss", body, label)
    xs = _scale([i for i, _ in steps], left, right)
    ys = _scale([v for _, v in steps], bottom, top)
    low, high = min(v for _, v in steps), max(v for _, v in steps)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    body += [
        f'<polyline points="{line}" fill="none" stroke="{CLUSTER_COLORS[0]}" stroke-width="1.5"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{escape(_number(high))}</text>',
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" font-size="10">{escape(_number(low))}</text>',
        f'<text x="{left}" y="{bottom + 13}" text-anchor="middle" font-size="10">{steps[0][0]}</text>',
        f'<text x="{right}" y="{bottom + 13}" text-anchor="end" font-size="10">{steps[-1][0]}</text>',
    ]
    return _frame("Training loss", body, label)


def word_vectors(figures: TrainingFigures) -> Markup:
    """Each word at its first two principal coordinates, colored by cluster, labelled by its word."""
    label = "The trained word vectors (center and outside concatenated), projected to 2-D, colored by cluster"
    if not figures.points:
        body = [
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="12">'
            "the vectors are not finite: nothing to draw</text>"
        ]
        return _frame("Word vectors", body, label)
    left, right, top, bottom = 16, WIDTH - 56, 30, HEIGHT - 70  # room below for stacked labels
    xs = _scale([p[0] for p in figures.points], left, right)
    ys = _scale([p[1] for p in figures.points], bottom, top)
    body = []
    for (word, cluster, x, y), (lx, ly) in zip(zip(figures.words, figures.clusters, xs, ys), _labels(xs, ys)):
        color = CLUSTER_COLORS[cluster % len(CLUSTER_COLORS)]
        leader = (
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{lx - 1:.1f}" y2="{ly - 4:.1f}" stroke="{color}" stroke-width="0.6"/>'
            if abs(ly - 4 - y) > 6
            else ""
        )
        body.append(
            f'<g class="word"><title>{escape(word)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
            f'{leader}<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" fill="{color}">{escape(word)}</text></g>'
        )
    return _frame("Word vectors, 2-D projection", body, label)


def _labels(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[float, float]]:
    """Where each word's label goes: right of its dot, moved down past labels already placed over it.

    Trained words of one cluster sit almost on one point, so their labels stack.
    """
    placed: list[tuple[float, float]] = []
    where: dict[int, tuple[float, float]] = {}
    for i in sorted(range(len(xs)), key=lambda i: ys[i]):
        x, y = xs[i] + 7, ys[i] + 4
        while any(abs(x - px) < LABEL_WIDTH and abs(y - py) < LABEL_HEIGHT for px, py in placed):
            y += LABEL_HEIGHT
        placed.append((x, y))
        where[i] = (x, y)
    return [where[i] for i in range(len(xs))]
