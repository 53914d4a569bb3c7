"""Where an answer that never ends waits, and on *what*: exercises 4 to 6 of lesson 06.

A task stuck in ``await barrier.wait()`` tells more than "it hung": the barrier it waits
at knows how many parties it was made for and how many have arrived; two runners
stuck in ``Event.wait()`` tell whether they wait for the *same* event.  The scenario
here runs the answer as a task, gives up on it after a while, and notes, for each of
the answer's tasks still waiting, where it waits (``asyncio.Barrier.wait``) and the
object it waits on (the barrier itself); then it stops them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.runner import Outcome, answers_code, run_coroutine, where_waiting
from asyncio_tutorial.checkers.scenario import Ending, watch


@dataclass
class Stuck:
    """What the answer's unfinished tasks were waiting for when the scenario gave up."""

    places: list[str] = field(default_factory=list)
    """Where each waited (``asyncio.Event.wait``), one entry a task."""
    objects: list[Any] = field(default_factory=list)
    """What each waited on: the ``Event``, ``Barrier``, ``Condition`` or ``Queue`` whose
    method it was suspended in (``None`` where it was not such a method)."""

    def waiting_on(self, kind: type) -> list[Any]:
        """The objects of ``kind`` that tasks waited on, one entry a task."""
        return [each for each in self.objects if isinstance(each, kind)]

    def distinct(self, kind: type) -> list[Any]:
        """The different objects of ``kind`` waited on."""
        seen: dict[int, Any] = {}
        for each in self.waiting_on(kind):
            seen.setdefault(id(each), each)
        return list(seen.values())

    def describe(self) -> str:
        """``"asyncio.Event.wait (3 tasks), asyncio.Barrier.wait"``."""
        counts: dict[str, int] = {}
        for place in self.places:
            counts[place] = counts.get(place, 0) + 1
        return ", ".join(
            f"{place} ({count} tasks)" if count > 1 else place
            for place, count in sorted(counts.items())
        )


def waited_on(task: asyncio.Task[Any]) -> Any:
    """The object whose coroutine method the answer's code awaits in ``task``: the
    ``Barrier`` of ``await barrier.wait()``, say; ``None`` if there is none."""
    coro: Any = task.get_coro()
    chain = []
    seen: set[int] = set()
    while coro is not None and id(coro) not in seen and hasattr(coro, "cr_code"):
        seen.add(id(coro))
        chain.append(coro)
        coro = coro.cr_await
    learners = [i for i, c in enumerate(chain) if answers_code(c.cr_code.co_filename)]
    if not learners or learners[-1] + 1 >= len(chain):
        return None
    frame = chain[learners[-1] + 1].cr_frame
    return frame.f_locals.get("self") if frame is not None else None


_kept_aside: list[asyncio.Task[Any]] = []
"""Tasks that caught every cancellation: they cannot be stopped, and would run on inside
the garbage collector once collected, so they are kept here, where they do no harm."""


def run_scenario(
    start: Callable[[], Awaitable[Any]],
    give_up_after: float,
    stuck: Stuck,
    note_end: Callable[[], None] | None = None,
) -> tuple[Outcome, Ending]:
    """Run ``start()`` as a task, under the exercise's time limit; if it has not ended
    after ``give_up_after`` seconds, note in ``stuck`` where its tasks wait, and stop
    them.  ``note_end()`` runs once it has ended or been given up on."""
    ending = Ending()
    before: set[asyncio.Task[Any]] = set()
    main: list[asyncio.Task[Any]] = []

    async def run() -> Any:
        main.append(asyncio.current_task())  # type: ignore[arg-type]
        return await start()

    async def scenario() -> None:
        before.update(asyncio.all_tasks())
        try:
            await watch(run, ending, give_up_after=give_up_after)
        finally:
            if note_end is not None:
                note_end()
        if ending.finished or not main:
            return  # tasks it left running are the runner's to report
        waiting = [t for t in asyncio.all_tasks() - before if not t.done()]
        for task in waiting:
            place = where_waiting(task) or "somewhere"
            # The Queue of Python 3.11 and 3.12 (queues.py) is named as 3.13's, whose
            # stand-in it is, so that a message reads the same on every Python.
            stuck.places.append(place.replace("BackportedQueue.", "asyncio.Queue."))
            stuck.objects.append(waited_on(task))
        for task in waiting:
            task.cancel()
        if waiting:
            await asyncio.wait(waiting, timeout=0.2)
        _kept_aside.extend(task for task in waiting if not task.done())

    outcome = run_coroutine(scenario)
    outcome.returned_coroutines.extend(ending.returned_coroutines)
    if ending.error is not None:
        outcome.error = ending.error
    return outcome, ending


def never_awaited(outcome: Outcome, call: str) -> None:
    """A coroutine made and never awaited (``gun.wait()`` without ``await``): named
    first, before what it caused (a task that waits for ever, a stock sold twice)."""
    if outcome.never_awaited:
        coroutine = outcome.never_awaited[0]
        raise Wrong(
            "forgot_await",
            f"{call} created the coroutine {coroutine}(...) but never awaited it, so it "
            f"never ran (nor waited). Put `await` in front of the call to {coroutine}.",
        )
