"""Lesson 06, exercise 2: at most ``limit`` downloads at once.

``download`` counts, on its own side, how many downloads are in progress at once, in
what order they started, and which task made each: that is how the check tells a
bounded answer from an unbounded one, and a semaphore from the shapes that look like
it.  One of the check's pages is slow (0.3 s where the others take 0.1 s): with a
semaphore, the other places go on with the rest while it downloads; with batches of
``limit``, the whole batch waits for it; with the URLs split among ``limit`` workers
in advance, the worker that got it still has its share to do when the others are idle.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    expect_coroutine_function,
    hang,
    judge_duration,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, where_waiting
from asyncio_tutorial.checkers.scenario import names_used

DOWNLOAD = 0.1  # seconds a download takes
SLOW_DOWNLOAD = 0.3  # seconds the check's slow page takes
GIVE_UP = 1.0  # seconds the scenario waits for fetch_all (a right answer takes 0.3 s)
SLACK = 0.25  # how much later than planned an answer with waits of its own may finish


@dataclass
class _Downloads:
    """What ``download`` saw in one run of the check."""

    slow: set[str] = field(default_factory=set)
    """The URLs that take ``SLOW_DOWNLOAD`` seconds."""
    limit: int = 0
    in_flight: int = 0
    peak: int = 0
    started: list[str] = field(default_factory=list)
    """Every download, in the order it started."""
    by_task: dict[Any, list[str]] = field(default_factory=dict)
    """The URLs each task downloaded."""
    slow_in_flight: int = 0
    beside_slow: int = 0
    """Downloads started while a slow one was in progress, after the first ``limit``:
    with a semaphore the other places go on meanwhile; with batches none starts."""

    def reset(self, slow: set[str], limit: int) -> None:
        """Forget the last run; the next one makes ``slow`` slow, with ``limit``."""
        self.slow, self.limit = slow, limit
        self.in_flight = self.peak = self.slow_in_flight = self.beside_slow = 0
        self.started, self.by_task = [], {}

    def begin(self, url: str) -> float:
        if self.slow_in_flight and len(self.started) >= self.limit:
            self.beside_slow += 1
        self.started.append(url)
        self.by_task.setdefault(asyncio.current_task(), []).append(url)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if url in self.slow:
            self.slow_in_flight += 1
            return SLOW_DOWNLOAD
        return DOWNLOAD

    def end(self, url: str) -> None:
        self.in_flight -= 1
        if url in self.slow:
            self.slow_in_flight -= 1


_seen = _Downloads()


async def download(url: str) -> str:
    """Pretend to download ``url``: 0.1 s of waiting, then ``"<url>"``.

    (The check makes one of its pages slow: 0.3 s.)  It counts how many downloads are in
    progress at once, which is how the check tells a bounded answer from an unbounded one.
    """
    delay = _seen.begin(url)
    try:
        await asyncio.sleep(delay)
    finally:
        _seen.end(url)
    return f"<{url}>"


@dataclass
class _Unfinished:
    """Where the answer's tasks were waiting when the scenario gave up on it."""

    places: list[str] = field(default_factory=list)


async def _fetch(fetch_all: Any, urls: list[str], limit: int, unfinished: _Unfinished) -> Any:
    """Run ``fetch_all(urls, limit)``; give up on it after ``GIVE_UP`` seconds."""
    before = asyncio.all_tasks()
    task = asyncio.ensure_future(fetch_all(list(urls), limit))
    await asyncio.wait([task], timeout=GIVE_UP)
    if task.done():
        return task.result()
    others = [t for t in asyncio.all_tasks() - before if not t.done()]
    unfinished.places = sorted({where_waiting(t) for t in others} - {""})
    for each in others:
        each.cancel()
    if others:
        await asyncio.wait(others, timeout=0.2)
    # A task that caught every cancellation cannot be stopped, and would go on inside
    # the garbage collector once collected: it is kept, where it does no harm.
    _kept_aside.extend(each for each in others if not each.done())
    return None


_kept_aside: list[asyncio.Task[Any]] = []
"""Tasks of answers that caught every cancellation (see ``_fetch``)."""


RUNS = ((list("abcdefg"), 3, {"a"}), (list("pqrst"), 2, set()))
"""(urls, limit, the slow ones): seven with the first slow, then five with limit=2."""


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(urls, limit)``: all pages in order, never more than ``limit`` at once,
    the next download started as soon as a place is free."""
    expect_coroutine_function(fetch_all)
    peaks, elapsed = [], []
    for urls, limit, slow in RUNS:
        call = f"fetch_all({len(urls)} urls, limit={limit})"
        _seen.reset(set(slow), limit)
        unfinished = _Unfinished()
        outcome = run_coroutine(partial(_fetch, fetch_all, urls, limit, unfinished))
        if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
            raise blocking(outcome, call)
        if outcome.timed_out:
            raise hang(outcome, call)
        _judge_unfinished(unfinished, limit, call)
        _returned_tasks(outcome.value, call)
        common_mistakes(outcome, call)
        _judge_pages(outcome.value, urls, call)
        _judge_limit(fetch_all, limit, len(urls), peaks, call)
        if slow:
            _judge_shape(call)
        _judge_waits(outcome, call, len(urls), limit, slow)
        peaks.append(_seen.peak)
        elapsed.append(outcome.elapsed)
    return correct(
        f"fetch_all(7 urls, limit=3) never had more than {peaks[0]} downloads in flight, "
        f"and had {peaks[0]} at once (counted by download); while the first page took "
        f"{SLOW_DOWNLOAD:g} s, the other places went on with the rest; it returned the 7 "
        f"pages in order after {took(elapsed[0])}. With limit=2: at most {peaks[1]} at "
        "once, pages in order."
    )


def _judge_unfinished(unfinished: _Unfinished, limit: int, call: str) -> None:
    """It never returned: a semaphore slot never given back, mostly."""
    if not unfinished.places:
        return
    where = " and ".join(unfinished.places)
    if any("Semaphore.acquire" in place for place in unfinished.places):
        raise Wrong(
            "slot_never_released",
            f"{call} never returned: {len(_seen.started)} downloads ran, then the others "
            "waited for a place in semaphore.acquire() for ever. Each acquire() takes a "
            "place that only release() gives back; `async with semaphore:` gives it back "
            "however the block ends.",
            suggests="async with semaphore",
        )
    raise Wrong(
        "hang",
        f"{call} had not returned after {GIVE_UP:g} s (it takes 0.3 s): it was still "
        f"waiting in {where}. It has been stopped.",
    )


def _returned_tasks(value: Any, call: str) -> None:
    """Tasks (or futures) handed back instead of the pages they hold."""
    if isinstance(value, asyncio.Future):
        gathered = type(value).__name__ == "_GatheringFuture"
        what = "the future asyncio.gather gives" if gathered else f"a {type(value).__name__}"
        raise Wrong(
            "forgot_await",
            f"{call} returned {what}, not the pages: await it, which waits for the pages "
            "and gives them (`return await asyncio.gather(...)`).",
        )
    items = value if isinstance(value, (list, tuple, set)) else [value]
    if any(isinstance(item, asyncio.Future) for item in items):
        kind = type(next(i for i in items if isinstance(i, asyncio.Future))).__name__
        raise Wrong(
            "returned_tasks",
            f"{call} returned {kind} objects, not the pages. A task holds its page: "
            "`await task` (or `task.result()` once it is done) gives it; "
            "`await asyncio.gather(...)` gives every result, in order.",
        )


def _judge_pages(value: Any, urls: list[str], call: str) -> None:
    expected = [f"<{url}>" for url in urls]
    if value == expected:
        return
    same_pages = isinstance(value, list) and sorted(map(repr, value)) == sorted(map(repr, expected))
    raise Wrong(
        "wrong_order" if same_pages else "wrong_value",
        f"{call} returned {value!r}; it should return the pages in the order of urls, "
        f"{expected!r} (gather keeps that order).",
    )


def _judge_limit(fetch_all: Any, limit: int, total: int, peaks: list[int], call: str) -> None:
    """How many downloads ran at once, counted by download itself."""
    peak = _seen.peak
    names = names_used(fetch_all)
    if peak > limit and peaks and peaks[0] <= RUNS[0][1]:
        raise Wrong(
            "limit_ignored",
            f"{call}: {peak} downloads ran at once, more than the limit of {limit}; with "
            f"limit={RUNS[0][1]} it had {peaks[0]}. The limit is written into the answer: "
            "use the one fetch_all is given, `asyncio.Semaphore(limit)`.",
            suggests="Semaphore(limit)",
        )
    if peak > limit and "Semaphore" in names:
        raise Wrong(
            "semaphore_per_call",
            f"{call}: {peak} of the {total} downloads ran at once, more than the limit of "
            f"{limit}: the semaphore bounded nothing. Each download must go through the "
            "same one: create it once in fetch_all, before starting the downloads (a "
            "semaphore created in the function every download calls is a new one every "
            "time), and hold it around each download.",
        )
    if peak > limit:
        raise Wrong(
            "unbounded",
            f"{call}: {peak} of the {total} downloads ran at once, more than the limit of "
            f"{limit}. Hold an `asyncio.Semaphore({limit})` around each download "
            "(`async with semaphore:`), so that at most that many run together.",
            suggests="Semaphore",
        )
    if peak <= 1 < limit and "Lock" in names:
        raise Wrong(
            "lock_not_semaphore",
            f"{call}: never two downloads at once, though {limit} were allowed. A Lock "
            f"lets one task in at a time; an `asyncio.Semaphore(limit)` lets {limit} in.",
            suggests="Semaphore",
        )
    if peak <= 1 < limit:
        raise Wrong(
            "sequential",
            f"{call}: never two downloads at once: each waited for the one before. Start "
            "them all (gather, or a TaskGroup) and let an `asyncio.Semaphore(limit)` keep "
            f"{limit} going at a time.",
        )
    if peak < limit:
        raise Wrong(
            "below_limit",
            f"{call}: never more than {peak} downloads at once, though {limit} were "
            "allowed. Use the limit you are given: `asyncio.Semaphore(limit)`.",
            suggests="Semaphore(limit)",
        )


def _judge_shape(call: str) -> None:
    """With a slow page first: did a free place take the next URL at once?"""
    slow_task = next(
        (urls for urls in _seen.by_task.values() if any(u in _seen.slow for u in urls)), []
    )
    if len(slow_task) >= 3:
        raise Wrong(
            "static_split",
            f"{call}: the URLs were shared out among the workers in advance: the one that "
            f"got the slow page ({SLOW_DOWNLOAD:g} s) still had {', '.join(slow_task[1:])} "
            "to do after it, while the others had finished theirs. Let every download "
            "take the next free place instead: one semaphore, and all the downloads "
            "started at once (or workers that take the next URL from one queue).",
        )
    if _seen.beside_slow == 0:
        raise Wrong(
            "batches",
            f"{call} ran the downloads in batches of {_seen.limit}: while the slow page "
            f"took {SLOW_DOWNLOAD:g} s, the places freed by the fast ones stayed empty, "
            "since the next batch waited for the whole batch to end. A semaphore starts "
            "the next download as soon as any place is free: `async with semaphore:` "
            "around each download, all of them started at once.",
            suggests="async with semaphore",
        )


def _judge_waits(outcome: Outcome, call: str, count: int, limit: int, slow: set[str]) -> None:
    """Waits the answer asked for itself: a right answer needs none."""
    if not outcome.waits:
        return
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    if len(polls) >= 3:
        raise Wrong(
            "polling",
            f"{call} kept the bound by polling: {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})) while waiting for a free place. A semaphore "
            "wakes the next download exactly when a place is free, with no polling: "
            "`async with semaphore:` around each download.",
            suggests="async with semaphore",
        )
    rounds = -(-count // limit)
    expected = DOWNLOAD * rounds if not slow else SLOW_DOWNLOAD
    judge_duration(outcome.elapsed, expected, call, tolerance=SLACK)


ex2 = Exercise(
    title="At most limit downloads at once",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Create one `asyncio.Semaphore(limit)` in fetch_all, before starting the downloads, "
        "so that they all share it.",
        "Wrap each download: `async def one(url): async with semaphore: return await "
        "download(url)`.",
        "Then `return await asyncio.gather(*(one(url) for url in urls))`: all start at "
        "once, the semaphore lets `limit` through at a time, and gather keeps the order.",
    ],
)
