"""The pretend network of exercises 1 and 4: ``download``, ``DELAYS`` and ``PAGES``.

``download(page)`` waits as a real download waits for the network, so the event loop is
free meanwhile, and notes what the checks need to know: how many downloads were in
progress at once (concurrent, or one after another?) and when each one finished (in
which order did the pages arrive?).

A check runs the answer with :func:`run_downloads`, which also gives the answer's loop
a *task factory* (lesson 03, section 10): every task made while the answer runs is a
:class:`ListedTask`, which a set lists last-made first.  A set has no order of its own
to rely on: ``asyncio.wait`` hands back its finished tasks as a set, and an answer that
reads its results in the set's order would otherwise get the right order now and then,
by luck.  Here it gets the same wrong order every time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.diagnose import judge_duration, seconds
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency

from .common import SLACK

DELAYS: dict[str, float] = {"news": 0.3, "weather": 0.1, "sport": 0.2}
"""How long ``download(page)`` takes for each page, in seconds (others: 0.2 s)."""

PAGES = ["news", "weather", "sport"]
"""The pages the checkers download: 0.3 s, 0.1 s and 0.2 s."""


class Network:
    """What the checks saw of the downloads since :meth:`reset`."""

    def __init__(self) -> None:
        self.traffic = Concurrency()
        self.started_at = 0.0
        self.finished: list[tuple[str, float]] = []
        """Each finished download's page, and when it finished (seconds after the start)."""

    def reset(self, now: float) -> None:
        """Forget everything seen so far; ``now`` is the loop's clock at the start."""
        self.traffic.reset()
        self.started_at = now
        self.finished = []

    def arrivals(self) -> list[str]:
        """The pages' texts in the order their downloads finished."""
        return [f"<{page}>" for page, _ in self.finished]


network = Network()


async def download(page: str) -> str:
    """Pretend to download ``page``: wait as long as ``DELAYS`` says, return its text.

    ``await download("weather")`` returns ``"<weather>"`` after 0.1 s.  It waits the way
    a real download waits for the network, so the event loop is free meanwhile.  It also
    counts how many downloads are in progress at once, and notes when each finishes,
    which is how the checks tell concurrent downloads from downloads made one after
    another, and pages taken as they arrive from pages taken in another order.
    """
    async with network.traffic.track():
        await asyncio.sleep(DELAYS.get(page, 0.2))
    loop = asyncio.get_running_loop()
    network.finished.append((page, loop.time() - network.started_at))
    return f"<{page}>"


class ListedTask(asyncio.Task):  # type: ignore[type-arg]
    """A task that a set lists last-made first: its hash counts down as tasks are made.

    A set of small whole numbers lists them by size, so the tasks of one answer, hashed
    ``2**20 - 1``, ``2**20 - 2``, ..., come out of any set of them newest first.  Nothing
    else about a task changes.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any], *, place: int, **options: Any) -> None:
        self.place = place  # set first: starting a task puts it in a set, hashing it
        super().__init__(coro, **options)

    def __hash__(self) -> int:
        return 2**20 - self.place


def listed_tasks(places: Iterator[int]) -> Callable[..., asyncio.Task[Any]]:
    """A task factory for ``loop.set_task_factory``: every task a :class:`ListedTask`."""

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **options: Any
    ) -> asyncio.Task[Any]:
        return ListedTask(coro, loop=loop, place=next(places), **options)

    return factory


def run_downloads(answer: Any, pages: list[str]) -> Outcome:
    """Run ``await answer(pages)`` on the runner, every task made a :class:`ListedTask`."""

    async def downloading() -> Any:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(listed_tasks(itertools.count(1)))
        network.reset(loop.time())
        try:
            return await answer(list(pages))
        finally:
            loop.set_task_factory(None)

    return run_coroutine(downloading)


def texts(pages: list[str]) -> list[str]:
    """The texts ``download`` gives for ``pages``, in that order."""
    return [f"<{page}>" for page in pages]


def judge_overlap(outcome: Outcome, call: str, pages: list[str]) -> None:
    """Did the downloads overlap, and did the whole take as long as the slowest one?

    Raises the mistake (``sequential``, ``too_fast``, ``too_slow``) if not.  Whether they
    overlapped is counted, not timed: a busy machine makes everything late, but it
    cannot make downloads made one after another be in progress at the same time.
    """
    longest = max(DELAYS.get(page, 0.2) for page in pages)
    if network.traffic.peak < len(pages):
        total = sum(DELAYS.get(page, 0.2) for page in pages)
        raise Wrong(
            "sequential",
            f"{call} took {seconds(outcome.elapsed)}: the downloads ran "
            f"{network.traffic.describe(len(pages))}, so it takes about the sum of the waits "
            f"({seconds(total)}) instead of the longest one ({seconds(longest)}). Start "
            "them all before awaiting any.",
        )
    judge_duration(outcome.elapsed, longest, call, tolerance=SLACK)


def judge_downloaded_once(call: str, pages: list[str]) -> None:
    """Each page downloaded once: more downloads than pages is work (and data) wasted."""
    made = network.traffic.total
    if made > len(pages):
        raise Wrong(
            "downloaded_twice",
            f"{call} made {made} downloads for {len(pages)} pages: each page was downloaded "
            "more than once. A coroutine or task you made already downloads its page: await "
            "that one (`await asyncio.gather(*tasks)`), instead of calling download again.",
        )
