"""Lesson 06, exercise 6: a bounded pipeline that shuts down.

``make(n)`` and ``handle(item)``, the helpers the check gives the answer, note how many
items have been made and how many are being or have been handled, so the check knows
at every moment how many items were made and not yet handled: the items *in flight*,
in the queue or in the producer's hand.  The producer is fast (no time at all) and the
two consumers slow (0.1 s): with ``Queue(maxsize=2)`` the producer waits in ``put()``
and there are never more than 3 in flight (2 in the queue, 1 in its hand); with an
unbounded queue it makes everything at once.  Each item is noted by value, so an item
handled twice, or made and never handled (thrown away by ``shutdown(immediate=True)``),
is named.  A pipeline that never ends is asked where its tasks wait: consumers in
``Queue.get`` that nobody shut the queue down for, or a producer in ``Queue.put`` whose
consumers never started.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    error_text,
    expect_coroutine_function,
    hang,
    judge_duration,
    took,
)
from asyncio_tutorial.checkers.lesson06.queues import QueueShutDown
from asyncio_tutorial.checkers.lesson06.waiting import Stuck, never_awaited, run_scenario
from asyncio_tutorial.checkers.scenario import Concurrency, names_used

COUNT = 10  # items the check asks for
MAXSIZE = 2  # the queue's bound, as the statement gives it
CONSUMERS = 2
MAKE = 0  # seconds make(n) takes: it only gives the loop a turn
HANDLE = 0.1  # seconds handle(item) takes
EXPECTED = COUNT * HANDLE / CONSUMERS  # 0.5 s
GIVE_UP = 1.5  # seconds the scenario waits for the pipeline
SLACK = 0.25  # how much later than planned an answer with waits of its own may finish
BOUND = MAXSIZE + 1  # in flight at most: the queue full, and one item in the producer's hand


@dataclass
class _Items:
    """What the check's ``make`` and ``handle`` saw."""

    made: list[str] = field(default_factory=list)
    handled: dict[str, int] = field(default_factory=dict)
    """How many times each item was handled (started)."""
    started: int = 0
    """Handlings started, in all."""
    peak: int = 0
    """The most items made and not yet handled at any moment."""
    handled_before_last_made: int = 0
    """Handlings started by the time the last item was made."""
    strangers: list[str] = field(default_factory=list)
    """What handle was given that make never made (its repr)."""
    traffic: Concurrency = field(default_factory=Concurrency)

    async def make(self, n: int) -> str:
        """The producer's work: quick (it only gives the loop a turn), then the item
        ``f"item {n}"``."""
        await asyncio.sleep(MAKE)
        item = f"item {n}"
        self.made.append(item)
        self.peak = max(self.peak, len(self.made) - self.started)
        self.handled_before_last_made = self.started
        return item

    async def handle(self, item: str) -> str:
        """A consumer's work: 0.1 s, then ``f"{item} done"``."""
        if inspect.iscoroutine(item):
            raise TypeError(f"handle() was given a coroutine object ({item.__name__}), not an item")
        if item not in self.made:
            self.strangers.append(repr(item))
        self.started += 1
        self.handled[item] = self.handled.get(item, 0) + 1
        async with self.traffic.track():
            await asyncio.sleep(HANDLE)
        return f"{item} done"


def _keywords_used(function: Any) -> set[str]:
    """Keyword argument names the code of ``function`` passes (``immediate``), nested
    code too: Python keeps them as tuples of names among a code object's constants."""
    function = inspect.unwrap(function)
    codes = [function.__code__] if hasattr(function, "__code__") else []
    names: set[str] = set()
    while codes:
        code = codes.pop()
        for const in code.co_consts:
            if inspect.iscode(const):
                codes.append(const)
            elif isinstance(const, tuple) and all(isinstance(each, str) for each in const):
                names.update(const)
    return names


def check_pipeline(pipeline: Any) -> Result:
    """``pipeline(count, make, handle)``: a producer and two consumers over a
    ``Queue(maxsize=2)``, stopped by ``queue.shutdown()``."""
    expect_coroutine_function(pipeline)
    items = _Items()
    call = f"pipeline({COUNT}, make, handle)"
    stuck = Stuck()
    outcome, ending = run_scenario(
        partial(pipeline, COUNT, items.make, items.handle), GIVE_UP, stuck
    )
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    if outcome.timed_out:
        raise hang(outcome, call)
    never_awaited(outcome, call)
    _judge_errors(pipeline, outcome.error, call, items)
    if not ending.finished:
        _never_finished(call, items, stuck)
    common_mistakes(outcome, call)
    _judge_items(pipeline, call, items, ending.value)
    _judge_flow(pipeline, call, items, outcome)
    if outcome.waits:
        judge_duration(ending.elapsed, EXPECTED, call, tolerance=SLACK)
    return correct(
        f"{call} made and handled each of the {COUNT} items exactly once, "
        f"{items.traffic.peak} at a time; the producer ran ahead of the consumers by at "
        f"most {items.peak} items (made and not yet handled: the queue of {MAXSIZE} full, "
        "one more in its hand), so maxsize held it back; the consumers stopped once the "
        f"queue was shut down and empty, and it returned every result after "
        f"{took(ending.elapsed)}."
    )


def _judge_errors(pipeline: Any, error: BaseException | None, call: str, items: _Items) -> None:
    """What the pipeline raised: a full queue, a shut-down one, a shutdown let through."""
    if error is None:
        return
    if isinstance(error, asyncio.QueueFull):
        raise Wrong(
            "queue_full",
            f"{call} raised {error_text(error)} after making {len(items.made)} items: "
            "`put_nowait()` on a full queue raises at once. `await queue.put(item)` "
            "waits until a consumer makes room: that wait is the backpressure.",
            suggests="await queue.put",
        )
    if (
        isinstance(error, QueueShutDown)
        and len(items.made) < COUNT
        and "join" in names_used(pipeline)
    ):
        raise Wrong(
            "join_too_early",
            f"{call} raised QueueShutDown after making {len(items.made)} of the {COUNT} "
            "items: `queue.join()` returned at once, since nothing had been put yet, and "
            "the queue was shut down while the producer still had items to put. Let the "
            "producer shut the queue down itself, after its last `put()`.",
        )
    if isinstance(error, QueueShutDown) and len(items.made) < COUNT:
        raise Wrong(
            "shutdown_too_early",
            f"{call} raised QueueShutDown after making {len(items.made)} of the {COUNT} "
            "items: the queue was shut down while the producer still had items to put. "
            "Shut it down after the producer's last `put()`, in the producer itself.",
        )
    if isinstance(error, QueueShutDown):
        raise Wrong(
            "shutdown_not_caught",
            f"{call} raised QueueShutDown: a consumer's `get()` raised it, as it does "
            "once the queue is shut down and empty, and nothing caught it. That is the "
            "consumer's signal to stop: `try: item = await queue.get()` / "
            "`except QueueShutDown: return`.",
            suggests="except QueueShutDown",
        )
    if isinstance(error, AttributeError) and ("shutdown" in str(error) or "ShutDown" in str(error)):
        raise Wrong(
            "not_the_course_queue",
            f"{call} raised {error_text(error)}: `asyncio.Queue.shutdown()` is new in "
            "Python 3.13. Use the queue this workbook imports, "
            "`from asyncio_tutorial.checkers.lesson06 import Queue, QueueShutDown`: "
            "asyncio's own where it has shutdown(), the same thing before.",
        )


def _never_finished(call: str, items: _Items, stuck: Stuck) -> None:
    """It never returned: consumers waiting in get(), or a producer in put()."""
    where = stuck.describe() or "pipeline"
    if "asyncio.Queue.put" in where and not items.started:
        raise Wrong(
            "consumers_not_started",
            f"{call} never returned: the producer made {len(items.made)} items and then "
            f"waited in {where}, for a queue that nobody was emptying: the consumers had "
            "not started. Start the producer and the consumers together: "
            "`await asyncio.gather(producer(), consumer(), consumer())`.",
        )
    if "asyncio.Queue.get" in where and len(items.handled) == COUNT:
        raise Wrong(
            "consumers_never_stop",
            f"{call} handled every item but never returned: the consumers waited in "
            f"`queue.get()` for ever ({where}). Once the producer has put its last item, "
            "`queue.shutdown()`: the consumers' get() then raises QueueShutDown once the "
            "queue is empty, and they stop.",
            suggests="shutdown()",
        )
    raise Wrong(
        "hang",
        f"{call} had not returned after {GIVE_UP:g} s (it takes about 0.5 s), with "
        f"{len(items.made)} items made and {len(items.handled)} handled: it was still "
        f"waiting in {where}. It has been stopped.",
    )


def _judge_items(pipeline: Any, call: str, items: _Items, value: Any) -> None:
    """Every item made once, handled once."""
    if items.strangers:
        raise Wrong(
            "not_made",
            f"{call}: handle was given {items.strangers[0]}, which make never made. The "
            "producer puts what `await make(n)` returns; the consumers handle what they get.",
        )
    if len(items.made) != COUNT:
        raise Wrong(
            "wrong_count",
            f"{call} made {len(items.made)} items, not {COUNT}: the producer calls "
            "`await make(n)` once for each n in `range(count)`.",
        )
    twice = sorted(item for item, times in items.handled.items() if times > 1)
    if twice:
        raise Wrong(
            "handled_twice",
            f"{call} handled {twice} more than once. Each item goes into the queue once, "
            "and each `get()` gives it to one consumer.",
        )
    lost = [item for item in items.made if item not in items.handled]
    if lost and "immediate" in _keywords_used(pipeline):
        raise Wrong(
            "immediate_shutdown",
            f"{call} made {lost} and never handled them: they were still in the queue "
            "when it was shut down with `immediate=True`, which throws away the items "
            "left. A plain `queue.shutdown()` lets the consumers take them first.",
        )
    if lost:
        raise Wrong(
            "items_lost",
            f"{call} made {lost} and never handled them. Every item made goes into the "
            "queue, and the consumers stop only once it is shut down and empty.",
        )
    expected = sorted(f"{item} done" for item in items.made)
    try:
        got = sorted(value)
    except TypeError:
        got = value
    if got != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {value!r}; it should return the {COUNT} results of "
            f"`await handle(item)`, in a list, in any order.",
        )


def _judge_flow(pipeline: Any, call: str, items: _Items, outcome: Any) -> None:
    """The queue's bound held the producer back; two consumers worked side by side."""
    if items.peak > BOUND and not items.handled_before_last_made:
        raise Wrong(
            "made_all_first",
            f"{call}: the producer made all {COUNT} items before a single one was handled: "
            f"it ran {items.peak} items ahead of the consumers. Put each item in the queue "
            "as soon as it is made (`await queue.put(await make(n))`), and let the "
            "queue's maxsize hold the producer back.",
        )
    if items.peak > BOUND:
        raise Wrong(
            "unbounded",
            f"{call}: the producer ran {items.peak} items ahead of the consumers (made and "
            f"not yet handled), where a `Queue(maxsize={MAXSIZE})` keeps it to "
            f"{BOUND}: {MAXSIZE} in the queue and one in its hand, waiting in `put()`. An "
            "unbounded queue (no maxsize), or a larger one, lets a fast producer pile up "
            "items in memory.",
            suggests=f"maxsize={MAXSIZE}",
        )
    if items.peak < BOUND:
        raise Wrong(
            "bound_too_small",
            f"{call}: the producer never ran more than {items.peak} item(s) ahead of the "
            f"consumers, where a `Queue(maxsize={MAXSIZE})` lets it run {BOUND} ahead "
            f"({MAXSIZE} in the queue, one in its hand): the queue holds fewer than "
            f"{MAXSIZE}, and the consumers may find it empty. Make it `Queue(maxsize={MAXSIZE})`.",
        )
    if items.traffic.peak > CONSUMERS:
        raise Wrong(
            "too_many_consumers",
            f"{call}: {items.traffic.peak} items were handled at once: there should be "
            f"{CONSUMERS} consumers, each handling one item at a time.",
        )
    if items.traffic.peak < CONSUMERS:
        raise Wrong(
            "too_few_consumers",
            f"{call}: never more than {items.traffic.peak} item handled at once: the "
            f"{CONSUMERS} consumers did not work side by side. Start them both at once, "
            "with the producer: `asyncio.gather(producer(), consumer(), consumer())`.",
        )
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    if len(polls) >= 3:
        raise Wrong(
            "polling",
            f"{call} waited by polling: {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})). `await queue.put(item)` waits exactly until "
            "there is room, and `await queue.get()` until there is an item.",
        )


ex6 = Exercise(
    title="A bounded pipeline that shuts down",
    answer="pipeline",
    checker=check_pipeline,
    hints=[
        "`queue = Queue(maxsize=2)`. The producer: for each n, "
        "`await queue.put(await make(n))`; after the loop, `queue.shutdown()`.",
        "A consumer loops: `try: item = await queue.get()` / `except QueueShutDown: "
        "return`, then `results.append(await handle(item))`.",
        "Run all three at once: `await asyncio.gather(producer(), consumer(), "
        "consumer())`, then `return results`.",
    ],
)
