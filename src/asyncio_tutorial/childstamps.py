"""Stamp the output of a ``%%standalone`` program from inside the program.

``%%standalone`` puts a ``sitecustomize`` module on the program's path that calls
:func:`install` before the program's first line runs.  Counting from there, rather
than from when the notebook launched the program, keeps the interpreter's own
start-up time (which varies with how busy the machine is) out of the stamps.

Child processes that the program starts (``multiprocessing``, ``ProcessPoolExecutor``)
inherit the starting moment through an environment variable, so their lines are
stamped on the same clock.
"""

from __future__ import annotations

import os
import sys
import time

from asyncio_tutorial.stamps import StampedStream

T0_VARIABLE = "ASYNCIO_TUTORIAL_T0"


def install() -> None:
    """Replace ``sys.stdout`` with a :class:`StampedStream` counting from the program's start.

    ``asyncio`` is imported first, so the clock starts once Python and asyncio have
    loaded: how long that takes depends on the machine, not on the program.
    """
    if isinstance(sys.stdout, StampedStream) or sys.stdout is None:
        return
    import asyncio  # noqa: F401

    started_at = float(os.environ.setdefault(T0_VARIABLE, repr(time.monotonic())))
    stream = StampedStream(sys.stdout)
    stream.start(started_at)
    sys.stdout = stream
