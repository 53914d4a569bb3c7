"""Measured claims: say how long something should take, and check it every run.

A lesson that says "these three downloads take 1 second together, not 3" proves it::

    async with timed(expected=1.0):
        await asyncio.gather(download(1), download(1), download(1))

which prints ``took 1.0 s (expected ≈ 1.0 s)``.  When the measured time is within the
tolerance the line shows the expected figure, so it reads the same on a fast laptop and
a slow CI runner.  When it is not, the line shows the real figure instead::

    took 3.01 s, outside 1.0 s ± 0.15 s

which no longer matches the recorded output, so a wrong claim fails validation
instead of being papered over.  ``timed`` works with ``with`` and ``async with``;
either way the measured seconds are kept in ``.elapsed``.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO


def default_tolerance(expected: float) -> float:
    """How far a measurement may stray from ``expected`` seconds: 0.15 s or 15 %."""
    return max(0.15, 0.15 * expected)


class timed:  # noqa: N801 - used like a function: ``with timed(expected=1.0):``
    """Measure the block inside, then print how long it took against ``expected``.

    Parameters
    ----------
    expected:
        The duration the lesson claims, in seconds.  ``None`` just reports the
        measurement (to two decimals: use it where the figure is not recorded).
    tolerance:
        How far off the measurement may be and still count as "as expected";
        by default :func:`default_tolerance`.
    label:
        Printed before the figure, e.g. ``"sequential"``.
    file:
        Where to print (default ``sys.stdout``, looked up when the block ends).
    """

    def __init__(
        self,
        expected: float | None = None,
        *,
        tolerance: float | None = None,
        label: str = "",
        file: TextIO | None = None,
    ) -> None:
        self.expected = expected
        self.tolerance = default_tolerance(expected or 0.0) if tolerance is None else tolerance
        self.label = label
        self.file = file
        self.started = 0.0
        self.elapsed = 0.0

    @property
    def as_expected(self) -> bool:
        """True when there is an expectation and the measurement met it."""
        if self.expected is None:
            return False
        return abs(self.elapsed - self.expected) <= self.tolerance

    def report(self) -> str:
        """The line this measurement prints."""
        prefix = f"{self.label}: " if self.label else ""
        if self.expected is None:
            return f"{prefix}took {self.elapsed:.2f} s"
        if self.as_expected:
            return f"{prefix}took {self.expected:.1f} s (expected ≈ {self.expected:.1f} s)"
        return (
            f"{prefix}took {self.elapsed:.2f} s, outside {self.expected:.1f} s"
            f" ± {self.tolerance:.2f} s"
        )

    def __enter__(self) -> timed:
        self.started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.elapsed = time.perf_counter() - self.started
        if exc_type is None:
            print(self.report(), file=self.file or sys.stdout)

    async def __aenter__(self) -> timed:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
