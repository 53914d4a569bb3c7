"""Scenarios: what a checker does to an answer besides calling it once.

Many checks need more than "call the answer and look at what came back".  Did the
downloads overlap?  Does the answer stop when it is cancelled from outside, and does
its cleanup run?  Did a task end cancelled, or did it swallow the cancellation and
return?  The pieces here answer those questions the same way in every lesson:

* :class:`Concurrency` counts how many operations were in progress at once (the most
  at any moment, and in all), which tells "concurrent" from "one after another" by
  what happened rather than by the clock alone: a machine busy with other programs
  makes everything late, but it cannot make two waits overlap;
* :func:`watch` runs an awaitable as a task, optionally cancels it from outside after
  a while (and again during its cleanup), waits for it to end and returns an
  :class:`Ending`: returned, raised, or cancelled, and when.

A checker runs its scenario on the runner's loop, under the time limit, with
``run_coroutine``::

    ending = Ending()
    outcome = run_coroutine(lambda: watch(lambda: answer(...), ending, cancel_after=0.2))
    problem = common_mistakes(outcome, ...)   # hangs, blocking, forgotten awaits
    if not ending.cancelled: ...              # then the scenario's own questions
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any


class Concurrency:
    """How many operations are in progress now, the most there ever were, and in all.

    Wrap each operation::

        async with traffic.track():
            await asyncio.sleep(0.1)

    or call :meth:`begin` and :meth:`end` (in a ``finally``) around it.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.total = 0

    def reset(self) -> None:
        """Forget everything counted so far (before running an answer again)."""
        self.in_flight = 0
        self.peak = 0
        self.total = 0

    def begin(self) -> None:
        self.in_flight += 1
        self.total += 1
        self.peak = max(self.peak, self.in_flight)

    def end(self) -> None:
        self.in_flight -= 1

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Count the block as one operation in progress."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    def describe(self, of: int) -> str:
        """How the operations ran, for a message: ``"one after another, never two at once"``."""
        if self.peak <= 1:
            return "one after another, never two at once"
        return f"at most {self.peak} of the {of} at the same time"


@dataclass
class Ending:
    """How a task ended: it returned a value, raised an error, or ended cancelled."""

    finished: bool = False
    """The task ended at all (it did not have to be abandoned)."""
    cancelled: bool = False
    value: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0
    """Seconds from starting the task until it ended."""
    cancel_requests: int = 0
    """How many times the scenario called ``cancel()`` on it."""

    def describe(self) -> str:
        """``"returned 42"``, ``"raised ValueError: bad"`` or ``"ended cancelled"``."""
        if not self.finished:
            return "did not end"
        if self.cancelled:
            return "ended cancelled"
        if self.error is not None:
            return f"raised {type(self.error).__name__}: {self.error}"
        return f"returned {self.value!r}"


async def watch(
    start: Callable[[], Awaitable[Any]],
    ending: Ending,
    *,
    cancel_after: float | None = None,
    cancel_again_after: float | None = None,
    give_up_after: float | None = None,
) -> None:
    """Run ``start()`` as a task and record in ``ending`` how it ended.

    With ``cancel_after``, the task is cancelled from outside that many seconds after it
    started (as a timeout or a task group would); with ``cancel_again_after`` too, it
    is cancelled a second time that long after the first request, which is how a
    cleanup that swallows a *second* cancellation is caught.  With ``give_up_after`` the
    scenario stops waiting for a task that will not end and leaves it to the runner
    (which reports it as left running).

    A ``NotImplementedError`` from the task (the untouched stub) is raised again, so
    that the runner reports the exercise as not attempted.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(start())
    if cancel_after is not None:
        await asyncio.wait([task], timeout=cancel_after)
        if not task.done():
            task.cancel()
            ending.cancel_requests += 1
            if cancel_again_after is not None:
                await asyncio.wait([task], timeout=cancel_again_after)
                if not task.done():
                    task.cancel()
                    ending.cancel_requests += 1
    await asyncio.wait([task], timeout=give_up_after)
    ending.elapsed = loop.time() - started
    if not task.done():
        return
    ending.finished = True
    ending.cancelled = task.cancelled()
    if not task.cancelled():
        ending.error = task.exception()
        if isinstance(ending.error, NotImplementedError):
            raise ending.error
        ending.value = None if ending.error is not None else task.result()
