"""A progress line on stderr: a bar redrawn in place on a terminal, a line per tenth otherwise."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

BAR_WIDTH = 30


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self.tenths_shown = 0
        try:
            self.redraw = self.stream.isatty()
        except (AttributeError, ValueError):
            self.redraw = False

    def start(self) -> None:
        """Draw the empty bar at once: the first submission may take a while."""
        self.advance(0)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.redraw:
            filled = BAR_WIDTH * self.done // self.total
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total}  {self._elapsed()}"
            )
            self.stream.flush()
            return
        tenths = 10 * self.done // self.total
        if tenths > self.tenths_shown:
            self.tenths_shown = tenths
            print(
                f"graded {self.done}/{self.total} ({100 * self.done // self.total}%) in {self._elapsed()}",
                file=self.stream,
                flush=True,
            )

    def finish(self) -> None:
        if self.redraw:
            self.stream.write("\n")
            self.stream.flush()

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"
