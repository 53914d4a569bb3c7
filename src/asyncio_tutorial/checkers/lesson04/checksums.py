"""Exercise 4: ``checksums(names)`` runs a blocking function in threads, concurrently.

``slow_checksum`` counts its own calls: how many waited at once (the peak), on which
threads, whether one ran on the loop's thread, and, half-way through each, what the
loop's thread was doing (:mod:`..lesson02.held`).  Futures made on the loop are noted
(:mod:`.watching`), so the check knows how many calls had been *handed* to threads
when the first one finished: all three at once, held back by a pool with one worker;
or one at a time, each awaited before the next was started.  The three files take
different times, the first the longest, so results gathered in the order they finish
(``as_completed``, or ``asyncio.wait``'s ``done`` set, which :mod:`.watching` makes
iterate newest first) come back in another order every time, never by luck.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers import held
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson04.watching import (
    FutureBook,
    reversed_task_sets,
    watched_futures,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, returned_future

CHECKSUM_SECONDS = {"movie.mp4": 0.4, "photo.jpg": 0.3, "notes.txt": 0.2}
"""How long ``slow_checksum`` blocks for each file (a bigger file takes longer)."""
OTHER_FILES = 0.4
NAMES = list(CHECKSUM_SECONDS)
"""The names the check passes, longest first: they finish in the reverse order."""


@dataclass
class _Calls:
    """How ``slow_checksum`` was called while a checker watched it."""

    loop_thread: int = 0
    on_loop: int = 0
    threads: set[int] = field(default_factory=set)
    traffic: Concurrency = field(default_factory=Concurrency)
    finished: list[str] = field(default_factory=list)
    """The names, in the order their checksums finished."""
    handed_over: int | None = None
    """How many futures the loop had made when the first checksum finished (one per call
    handed to a thread by run_in_executor, to_thread or wrap_future)."""
    book: FutureBook = field(default_factory=FutureBook)
    loop: held.LoopWatch = field(default_factory=held.LoopWatch)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_calls: _Calls | None = None


def slow_checksum(name: str) -> str:
    """A blocking function from a library: a while of waiting (``time.sleep``), then a
    checksum, ``"18b7cb09"`` for ``"a.txt"`` (the start of the name's SHA-256).

    A bigger file takes longer: 0.4 s for ``"movie.mp4"``, 0.3 s for ``"photo.jpg"``,
    0.2 s for ``"notes.txt"``, 0.4 s for any other name.
    """
    pause = CHECKSUM_SECONDS.get(name, OTHER_FILES)
    calls = _calls
    if calls is None:  # not being checked
        time.sleep(pause)
        return _checksum(name)
    with calls.lock:
        calls.traffic.begin()
        calls.threads.add(threading.get_ident())
        calls.on_loop += threading.get_ident() == calls.loop_thread
    try:
        time.sleep(pause / 2)
        calls.loop.look()  # half-way: is the loop free, or waiting for this call?
        time.sleep(pause / 2)
    finally:
        with calls.lock:
            calls.traffic.end()
            calls.finished.append(name)
            if calls.handed_over is None:
                calls.handed_over = calls.book.handed_to_threads()
    return _checksum(name)


def _checksum(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


async def _checksums_scenario(checksums: Any, calls: _Calls) -> Any:
    loop = asyncio.get_running_loop()
    calls.loop_thread = calls.loop.loop_thread = threading.get_ident()
    with watched_futures(loop) as calls.book, reversed_task_sets(loop):
        return await checksums(list(NAMES))


def check_checksums(checksums: Any) -> Result:
    """``checksums(names)``: slow_checksum of each name, in threads, concurrently, in order."""
    global _calls
    expect_coroutine_function(checksums)
    call = f"checksums({NAMES!r})"
    expected = [_checksum(name) for name in NAMES]
    _calls = calls = _Calls()
    try:
        outcome = run_coroutine(lambda: _checksums_scenario(checksums, calls))
    finally:
        _calls = None
    _judge_on_loop(outcome, calls, call)
    _judge_awaitable(outcome, call)
    _judge_held_loop(outcome, calls, call)
    common_mistakes(outcome, call)
    returned_future(outcome.value, call)
    if outcome.value == expected and not calls.finished:
        raise Wrong(
            "used_processes",
            f"{call} returned the right checksums, but slow_checksum never ran in this "
            "process: it ran in other processes (a ProcessPoolExecutor). For a function "
            "that waits, threads do it at no cost: `loop.run_in_executor(None, "
            "slow_checksum, name)`.",
            suggests="run_in_executor(None, slow_checksum, name)",
        )
    if outcome.value != expected:
        _judge_value(outcome.value, expected, calls, call)
    _judge_overlap(calls, call)
    sequential = sum(CHECKSUM_SECONDS.values())
    return correct(
        f"{call} returned the three checksums after {took(outcome.elapsed)}, not "
        f"{seconds(sequential)}: the calls waited in worker threads, {calls.traffic.peak} "
        "at once, while the loop stayed free; and the results kept the order of the "
        "names, though the calls took 0.4, 0.3 and 0.2 s."
    )


def _judge_awaitable(outcome: Outcome, call: str) -> None:
    if isinstance(outcome.error, TypeError) and "await" in str(outcome.error):
        raise Wrong(
            "not_awaitable_future",
            f"{call} raised TypeError: {outcome.error}. `pool.submit()` gives a "
            "concurrent.futures.Future, which cannot be awaited: wrap it with "
            "`asyncio.wrap_future(...)`, or use `loop.run_in_executor(None, slow_checksum, "
            "name)`, which does both.",
            suggests="wrap_future",
        )


def _judge_on_loop(outcome: Outcome, calls: _Calls, call: str) -> None:
    if not calls.on_loop or outcome.timed_out:
        return
    if isinstance(outcome.error, TypeError) and "not callable" in str(outcome.error):
        raise Wrong(
            "called_not_passed",
            f"{call} called slow_checksum(name) itself, on the loop's thread (holding the "
            f"loop for its {seconds(OTHER_FILES)} or so), then handed the thread its result, "
            "a string, to call. Pass the function and its argument separately: "
            "`loop.run_in_executor(None, slow_checksum, name)`.",
            suggests="run_in_executor(None, slow_checksum, name)",
        )
    raise Wrong(
        "blocking_call_on_loop",
        f"{call} ran slow_checksum on the event loop's own thread, which blocked the "
        "loop for as long as each call took. Run it in a thread: "
        "`await loop.run_in_executor(None, slow_checksum, name)` (or asyncio.to_thread).",
        suggests="run_in_executor(None, slow_checksum, name)",
    )


_HELD = {
    held.FUTURE_RESULT: (
        "blocked_on_result",
        "waited for them with `.result()` (or `pool.map`), which blocks the thread that "
        "calls it, here the loop's own",
    ),
    held.LEAVING_WITH: (
        "blocked_leaving_with",
        "left the `with ThreadPoolExecutor()` block before awaiting, and the end of that "
        "block waits for the pool's threads to finish, on the loop's thread",
    ),
    held.SHUTDOWN: (
        "blocked_on_shutdown",
        "called the pool's shutdown(), which waits for its threads, on the loop's thread",
    ),
    held.THREAD_JOIN: ("blocked_on_join", "waited for a thread with `join()`, on the loop"),
    held.EVENT_WAIT: ("blocked_on_event", "waited with `threading.Event.wait()`, on the loop"),
}


def _judge_held_loop(outcome: Outcome, calls: _Calls, call: str) -> None:
    """slow_checksum ran in threads, but the loop's thread waited for them."""
    holder = calls.loop.held_by()
    if holder is not None:
        mistake, how = _HELD[holder]
        raise Wrong(
            mistake,
            f"{call} ran slow_checksum in threads, but {how}, so the loop was held meanwhile. "
            "Await asyncio futures instead: `loop.run_in_executor(None, slow_checksum, "
            "name)` gives one per call, and `await asyncio.gather(*futures)` waits for all.",
            suggests="run_in_executor(None, slow_checksum, name)",
        )
    busy = calls.loop.busy_in_answer()
    if calls.threads and (busy or outcome.blocked) and not outcome.sleeps:
        raise Wrong(
            "blocking",
            f"{call} ran slow_checksum in threads, but kept the loop busy meanwhile, "
            "without ever giving it a turn (checking whether they were done?). Await "
            "the calls instead: `await asyncio.gather(*futures)`.",
            recheck=not busy,
        )


def _judge_value(value: Any, expected: list[str], calls: _Calls, call: str) -> None:
    if isinstance(value, (list, tuple)) and sorted(value) == sorted(expected):
        finished = [_checksum(name) for name in calls.finished]
        how = " (the order they finished in)" if list(value) == finished else ""
        raise Wrong(
            "lost_order",
            f"{call} returned the right checksums in another order{how}: the checksum of "
            f"{NAMES[0]!r} must come first. `asyncio.gather(*futures)` keeps the order of "
            "its arguments, whatever order they finish in.",
            suggests="gather",
        )
    if calls.book.futures and not calls.finished:
        raise Wrong(
            "wrong_value",
            f"{call} returned {value!r} without waiting for slow_checksum to finish.",
        )
    raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")


def _judge_overlap(calls: _Calls, call: str) -> None:
    """All three calls should wait in threads at once: what held them back?"""
    peak, total = calls.traffic.peak, len(NAMES)
    if peak >= total:
        return
    handed = calls.handed_over or 0
    if handed >= total and len(calls.threads) == 1:
        raise Wrong(
            "one_worker",
            f"{call} handed all three calls to threads at once, but they ran one after "
            "another on a single thread: the pool you gave them has one worker. Use the "
            "loop's own pool, `loop.run_in_executor(None, ...)`, which has enough.",
            suggests="run_in_executor(None",
        )
    if handed >= total:
        raise Wrong(
            "limited",
            f"{call} handed all three calls to threads at once, but at most {peak} of them "
            "ran at a time: the pool (or a lock) let no more through. Let all three wait "
            "at once: `loop.run_in_executor(None, ...)` uses the loop's own pool.",
        )
    if calls.book.handed_to_threads() == 1 and len(calls.finished) == total:
        raise Wrong(
            "one_job",
            f"{call} handed one job to one thread, which computed the three checksums one "
            "after another. Hand each call to the pool on its own, "
            "`loop.run_in_executor(None, slow_checksum, name)`, so that they wait "
            "together.",
            suggests="run_in_executor(None, slow_checksum, name)",
        )
    raise Wrong(
        "sequential",
        f"{call}: the checksums ran one after another, each awaited before the next was "
        "even started. Start them all first (`futures = [loop.run_in_executor(None, "
        "slow_checksum, name) for name in names]`), then `await asyncio.gather(*futures)`.",
        suggests="gather",
    )


ex4 = Exercise(
    title="Blocking functions in a thread pool",
    answer="checksums",
    checker=check_checksums,
    hints=[
        "`loop.run_in_executor(None, slow_checksum, name)` runs the call in the loop's "
        "thread pool and returns an asyncio future at once.",
        "Start one per name, then `await asyncio.gather(*futures)`: results in the order "
        "of the names.",
        "`asyncio.to_thread(slow_checksum, name)` does the same, as a coroutine.",
    ],
)
