"""Exercise 1: ``Countdown``, an async iterator written by hand.

The checker runs ``Countdown(3)`` and ``Countdown(2)`` side by side, as two ``async for``
loops in one ``gather``, and judges what they gave and the waits they asked the event
loop for (``Outcome.waits``: exact, however busy the machine): one wait of 0.1 s per
number, none before stopping.  Two countdowns at once show a count kept in the class
instead of the instance.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    error_text,
    took,
)
from asyncio_tutorial.checkers.lesson09.reading import Reading, take
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine

COUNTDOWN_WAIT = 0.1  # seconds before each number
LIMIT = 8  # numbers read from a countdown before it counts as never stopping


@dataclass
class _Counted:
    """One countdown, read to its end: what it gave, and whether it was its own iterator."""

    reading: Reading = field(default_factory=Reading)
    aiter_is_self: bool = True
    aiter_gave: str = ""


async def _count(cls: Any, start: int) -> _Counted:
    """``async for number in cls(start)``, noting what ``__aiter__`` returned."""
    counted = _Counted()
    countdown = cls(start)
    iterator = countdown.__aiter__()
    counted.aiter_is_self = iterator is countdown
    kind = type(iterator).__name__
    counted.aiter_gave = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    counted.reading = await take(countdown, limit=LIMIT)
    return counted


def check_countdown(cls: Any) -> Result:
    """``async for n in Countdown(3)`` gives 3, 2, 1, waiting 0.1 s before each."""
    _countdown_shape(cls)
    call = "async for over Countdown(3) and Countdown(2) at the same time"
    outcome = run_coroutine(lambda: asyncio.gather(_count(cls, 3), _count(cls, 2)))
    _judge_errors(outcome, call)
    common_mistakes(outcome, call)
    three, two = outcome.value
    if not three.aiter_is_self:
        raise Wrong(
            "aiter_not_self",
            f"Countdown(3).__aiter__() returned {three.aiter_gave}, not the Countdown "
            "itself. An async iterator written by hand is its own iterator: `__aiter__` "
            "returns `self`, and `__anext__` gives the next number.",
            suggests="def __aiter__(self): return self",
        )
    _judge_numbers(cls, three.reading.items, two.reading.items)
    _judge_waits(outcome, three.reading, two.reading)
    times = [took(time) for time in three.reading.times]
    return correct(
        f"Countdown(3) gave 3, 2, 1 at {times[0]}, {times[1]} and {times[2]} and stopped "
        f"without waiting again; Countdown(2), running at the same time, gave 2, 1. Each "
        f"instance counted on its own, and the {len(outcome.waits)} waits of "
        f"{COUNTDOWN_WAIT} s they asked the loop for overlapped: both were done after "
        f"{took(max(three.reading.ended, two.reading.ended))}."
    )


def _countdown_shape(cls: Any) -> None:
    """A class with both methods of the protocol, ``__anext__`` async, ``__aiter__`` not."""
    if not inspect.isclass(cls):
        raise Wrong(
            "not_a_class",
            f"check needs the class Countdown itself, not a {type(cls).__name__}; this "
            "exercise is about writing __aiter__ and __anext__ by hand.",
        )
    if not hasattr(cls, "__aiter__") or not hasattr(cls, "__anext__"):
        raise Wrong(
            "missing_method",
            "Countdown needs both methods of the protocol: __aiter__ (returning self) and "
            "__anext__ (returning the next number).",
        )
    if inspect.iscoroutinefunction(cls.__aiter__):
        raise Wrong(
            "aiter_async",
            "Countdown.__aiter__ is `async def`: `async for` calls it without awaiting, so "
            "it gets a coroutine. Make it a plain `def __aiter__(self): return self`.",
        )
    if inspect.isasyncgenfunction(cls.__anext__):
        raise Wrong(
            "anext_generator",
            "Countdown.__anext__ has a `yield` in it, which makes it an async generator: "
            "`async for` awaits __anext__ for one number at a time. Return the number "
            "(`return number`), and keep where the count is in `self`.",
        )
    if not inspect.iscoroutinefunction(cls.__anext__):
        raise Wrong(
            "anext_not_async",
            "Countdown.__anext__ is a plain `def`: `async for` awaits what it returns. "
            "Make it `async def __anext__(self):`, so that it can wait.",
            suggests="async def __anext__",
        )


def _judge_errors(outcome: Outcome, call: str) -> None:
    """The errors the protocol gives for its classic slips."""
    error = outcome.error
    if isinstance(error, RuntimeError) and "StopIteration" in str(error):
        raise Wrong(
            "stop_iteration",
            f"{call} raised {error_text(error)}. __anext__ must end the loop with "
            "`raise StopAsyncIteration`; a StopIteration inside a coroutine (raised by "
            "`raise StopIteration`, or by next() on a finished iterator) becomes this "
            "RuntimeError.",
            suggests="raise StopAsyncIteration",
        )
    if isinstance(error, TypeError) and "__aiter__" in str(error):
        raise Wrong(
            "aiter_not_self",
            f"{call} raised {error_text(error)}. `async for` calls __aiter__ and uses what "
            "it returns as the iterator: end __aiter__ with `return self`.",
            suggests="def __aiter__(self): return self",
        )


def _judge_numbers(cls: Any, three: list[Any], two: list[Any]) -> None:
    """3, 2, 1 and 2, 1: no more, no fewer, none shared between the two countdowns."""
    if any(item is StopAsyncIteration or isinstance(item, StopAsyncIteration) for item in three):
        raise Wrong(
            "returned_stop",
            f"Countdown(3) gave {three[:5]}...: `return StopAsyncIteration` hands the "
            "exception over as one more number, and the loop goes on. Raise it: "
            "`raise StopAsyncIteration`.",
            suggests="raise StopAsyncIteration",
        )
    if (three, two) != ([3, 2, 1], [2, 1]):
        alone = run_coroutine(lambda: _count(cls, 3))
        if alone.error is None and alone.value.reading.items == [3, 2, 1]:
            raise Wrong(
                "shared_state",
                f"Countdown(3) alone gives 3, 2, 1, but beside a Countdown(2) it gave "
                f"{three}: the two share their count. Keep it in the instance "
                "(`self.number`), not in the class.",
            )
    if len(three) >= LIMIT:
        raise Wrong(
            "never_stops",
            f"Countdown(3) gave {three}... and did not stop. After 1, __anext__ must "
            "`raise StopAsyncIteration`.",
        )
    if (three, two) != ([3, 2, 1], [2, 1]):
        raise Wrong(
            "wrong_numbers",
            f"Countdown(3) gave {three} and Countdown(2) gave {two}; they should give "
            "[3, 2, 1] and [2, 1]. Keep the next number in the instance (self).",
        )


def _judge_waits(outcome: Outcome, three: Reading, two: Reading) -> None:
    """One wait of 0.1 s per number, asked of the loop: judged by the waits themselves."""
    waits, numbers = outcome.waits, len(three.items) + len(two.items)
    if not waits and three.ended >= len(three.items) * COUNTDOWN_WAIT - EARLY_ALLOWANCE:
        raise Wrong(
            "blocking",
            f"Countdown(3) took {took(three.ended)} but never asked the event loop to wait: "
            "it paused with a blocking call (a `time.sleep` imported with `from time "
            "import sleep`?), which stops everything else. Use `await asyncio.sleep(0.1)`.",
            suggests="await asyncio.sleep(0.1)",
        )
    if len(waits) > numbers:
        raise Wrong(
            "extra_wait",
            f"the two countdowns gave {numbers} numbers but asked the event loop for "
            f"{len(waits)} waits: each waits once more before stopping. Check for the end "
            "first, and wait only when there is a number to give.",
        )
    if len(waits) < numbers:
        waited = f"waited only {len(waits)} times" if waits else "never asked the loop to wait"
        raise Wrong(
            "too_fast",
            f"the two countdowns gave {numbers} numbers but {waited}: Countdown(3) gave its "
            f"first number after {three.times[0]:.2f} s. Wait 0.1 s before each number: "
            "`await asyncio.sleep(0.1)` in __anext__.",
        )
    if any(abs(wait - COUNTDOWN_WAIT) > 0.02 for wait in waits):
        asked = ", ".join(f"{wait:g}" for wait in dict.fromkeys(waits))
        raise Wrong(
            "wrong_wait",
            f"the countdowns asked the event loop for waits of {asked} s; each number "
            f"comes {COUNTDOWN_WAIT} s after the one before: `await asyncio.sleep(0.1)`.",
        )
    if three.times[0] < COUNTDOWN_WAIT - EARLY_ALLOWANCE:
        raise Wrong(
            "too_fast",
            f"Countdown(3) gave its first number after {three.times[0]:.2f} s: wait 0.1 s "
            "before each number, the first one too.",
        )


ex1 = Exercise(
    title="A countdown by hand",
    answer="Countdown",
    checker=check_countdown,
    hints=[
        "In __init__, keep the next number: `self.number = start`. __aiter__ returns self.",
        "`async def __anext__(self)`: if self.number is 0, `raise StopAsyncIteration`; "
        "otherwise wait, then return the number and count down.",
        "Wait with `await asyncio.sleep(0.1)` after checking for the end, before returning.",
    ],
)
