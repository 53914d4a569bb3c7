"""Timing stamps: prefix every printed line with the time since the cell started.

Concurrency is about *when* things happen, so the course makes time visible::

    [0.0s] Hello
    [1.0s] World

A stamp is the time since the start of the cell, **cut down** (not rounded) to a tenth
of a second: ``[1.0s]`` means "at least 1.0 s and less than 1.1 s after the cell
started".  Cutting down rather than rounding matters for reproducibility.  Work in a
program only ever finishes *after* the moment it was scheduled for, never before, so
a line printed after ``await asyncio.sleep(1)`` lands somewhere in ``[1.0, 1.1)``
even on a slow, busy machine: the stamp is the same every time.

Which cells are stamped (the rule lesson 00 explains):

* a cell that awaits at top level (``await``, ``async for`` or ``async with`` outside
  a function): that is exactly the set of cells IPython runs on the event loop;
* a cell run with ``%%standalone``: the program stamps its own lines, counting from
  the moment it started.

Other cells print exactly what they print.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable
from typing import TextIO

# A line printed a hair *before* a whole tenth (clock granularity, float error)
# still gets that tenth's stamp.
EARLY_ALLOWANCE = 0.005


def format_stamp(seconds: float) -> str:
    """Return the stamp for a moment ``seconds`` after the start, e.g. ``"[1.0s] "``.

    >>> format_stamp(0.999)
    '[1.0s] '
    >>> format_stamp(1.09)
    '[1.0s] '
    """
    tenths = math.floor((max(seconds, 0.0) + EARLY_ALLOWANCE) * 10)
    return f"[{tenths // 10}.{tenths % 10}s] "


class StampedStream(io.TextIOBase):
    """A text stream that puts a timing stamp at the start of every line it passes on.

    It wraps another stream (the notebook's ``sys.stdout``) and is switched on and
    off: while off it passes text through untouched.  ``start()`` resets the clock.
    A line is stamped when its first character is written, so a line assembled
    from several ``write`` calls (``print("a", end="")`` then ``print("b")``) carries
    one stamp: the moment it began.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.active = False
        self.started_at = clock()
        self._at_line_start = True
        self._lock = threading.Lock()

    def start(self, started_at: float | None = None) -> None:
        """Stamp from now on, counting from ``started_at`` (default: now)."""
        with self._lock:
            self.started_at = self.clock() if started_at is None else started_at
            self._at_line_start = True
            self.active = True

    def stop(self) -> None:
        """Pass text through unstamped from now on."""
        with self._lock:
            self.active = False
            self._at_line_start = True

    def elapsed(self) -> float:
        """Seconds since ``start()``."""
        return self.clock() - self.started_at

    def write(self, text: str) -> int:
        if not self.active or not text:
            return self.stream.write(text)
        with self._lock:
            pieces = []
            # keepends: "\r" (progress bars) and "\n" both begin a new line.
            for piece in text.splitlines(keepends=True):
                if self._at_line_start:
                    pieces.append(format_stamp(self.elapsed()))
                pieces.append(piece)
                self._at_line_start = piece.endswith(("\n", "\r"))
            self.stream.write("".join(pieces))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str) -> object:
        # Anything else (ipykernel's own attributes) is the wrapped stream's.
        return getattr(self.stream, name)
