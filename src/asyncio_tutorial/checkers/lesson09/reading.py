"""Reading a learner's async iterator as ``async for`` would, noting what happened when.

Exercises 1 and 2 hand their iterators to :func:`take`, which reads them like any
consumer, and notes when each item came and, if asked, the state of the checker's fakes
at that moment (how many pages had been fetched when the first book came out, say).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_ITEMS = 30  # an iterator that gives more than this is taken to never stop


@dataclass
class Reading:
    """What a reader got from an async iterator, and when."""

    items: list[Any] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    """Seconds from the start of the reading until each item came."""
    notes: list[Any] = field(default_factory=list)
    """For each item, what ``note()`` said when it came."""
    ended: float = 0.0
    """Seconds from the start until the iteration ended (or the reader stopped)."""


async def take(
    iterable: Any, limit: int = MAX_ITEMS, note: Callable[[], Any] | None = None
) -> Reading:
    """Read up to ``limit`` items of ``iterable`` with ``async for``; see :class:`Reading`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    reading = Reading()
    async for item in iterable:
        reading.items.append(item)
        reading.times.append(loop.time() - started)
        if note is not None:
            reading.notes.append(note())
        if len(reading.items) >= limit:
            break
    reading.ended = loop.time() - started
    return reading
