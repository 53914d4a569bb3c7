"""Exercise 1: call a blocking function (``legacy_lookup``) without blocking the loop.

The check awaits three lookups together, as the statement does, and watches from
``legacy_lookup``'s side: on which thread each call ran, how many ran at once (the
peak, counted where the calls happen, so a busy machine cannot fake it), and what the
loop's thread was doing while a call waited in a worker thread (:mod:`.held`).  So when
the lookups end up one after another, the message names what serialised them: a call
on the loop's own thread, a blocking wait for the worker (``.result()``, ``join()``, the
end of a ``with`` pool), a pool with one worker, or a lock.
"""

from __future__ import annotations

import asyncio
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
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, names_used, returned_future

PRICES: dict[str, float] = {"ACME": 12.5, "INITECH": 7.25, "UMBRELLA": 31.0}
LOOKUP_SECONDS = 0.2


@dataclass
class _LookupCalls:
    """How ``legacy_lookup`` was called while a checker watched it."""

    on_loop: int = 0
    """Calls made on the event loop's own thread (each held the loop for 0.2 s)."""
    elsewhere: int = 0
    """Calls made on other threads."""
    threads: set[int] = field(default_factory=set)
    """The worker threads the calls ran on."""
    traffic: Concurrency = field(default_factory=Concurrency)
    """How many calls were waiting at once (the peak), counted by legacy_lookup itself."""
    loop: held.LoopWatch = field(default_factory=held.LoopWatch)
    """What the loop's thread was doing while a call waited in a worker thread."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_lookup_calls: _LookupCalls | None = None


def legacy_lookup(symbol: str) -> float:
    """Return the price of ``symbol``, e.g. ``12.5`` for ``"ACME"``.

    A stand-in for a function from an older, synchronous library: it waits 0.2 s for
    a network reply with ``time.sleep``, blocking whichever thread calls it.
    """
    calls = _lookup_calls
    if calls is None:  # not being checked
        time.sleep(LOOKUP_SECONDS)
        return PRICES[symbol]
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: a worker thread, as it should be
        with calls.lock:
            calls.elsewhere += 1
            calls.threads.add(threading.get_ident())
            calls.traffic.begin()
        try:
            time.sleep(LOOKUP_SECONDS / 2)
            calls.loop.look()  # half-way: is the loop free, or waiting for this call?
            time.sleep(LOOKUP_SECONDS / 2)
        finally:
            with calls.lock:
                calls.traffic.end()
    else:
        calls.on_loop += 1
        time.sleep(LOOKUP_SECONDS)
    return PRICES[symbol]


async def _three_lookups(lookup: Any, calls: _LookupCalls) -> list[Any]:
    calls.loop.loop_thread = threading.get_ident()
    return await asyncio.gather(*(lookup(symbol) for symbol in PRICES))


def check_lookup(lookup: Any) -> Result:
    """``lookup(symbol)`` gets ``legacy_lookup(symbol)`` without blocking the loop."""
    global _lookup_calls
    expect_coroutine_function(lookup)
    call = "gather(" + ", ".join(f"lookup({s!r})" for s in PRICES) + ")"
    _lookup_calls = calls = _LookupCalls()
    try:
        outcome = run_coroutine(lambda: _three_lookups(lookup, calls))
    finally:
        _lookup_calls = None
    _judge_call_on_loop(outcome, calls, call)
    _judge_held_loop(outcome, calls, call, lookup)
    common_mistakes(outcome, call)
    returned_future(outcome.value, "lookup('ACME')")
    expected = list(PRICES.values())
    if outcome.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {outcome.value!r}, not {expected!r}: return what "
            "legacy_lookup(symbol) returns.",
        )
    if not calls.elsewhere:
        raise Wrong(
            "did_not_call",
            f"{call} returned the right prices without calling legacy_lookup. The point "
            "is to call the blocking function without blocking the loop.",
        )
    _judge_polling(outcome, call)
    _judge_overlap(calls, call, lookup)
    return correct(
        f"{call} returned {expected} after {took(outcome.elapsed)}, not "
        f"{seconds(LOOKUP_SECONDS * len(PRICES))}: the legacy_lookup calls waited in worker "
        f"threads, {calls.traffic.peak} at once, while the event loop stayed free."
    )


def _judge_call_on_loop(outcome: Outcome, calls: _LookupCalls, call: str) -> None:
    """legacy_lookup ran on the loop's own thread: awaited, called, or its result passed."""
    error = outcome.error
    if isinstance(error, TypeError) and "await" in str(error) and calls.on_loop:
        raise Wrong(
            "awaited_plain_function",
            f"{call} raised {type(error).__name__}: {error}. `legacy_lookup` is a plain "
            "function: `await legacy_lookup(symbol)` first runs it, blocking the loop for "
            "0.2 s, then tries to await the number it returned. Hand the function to a "
            "thread instead: `await asyncio.to_thread(legacy_lookup, symbol)`.",
            suggests="asyncio.to_thread(legacy_lookup, symbol)",
        )
    if not calls.on_loop:
        return
    if isinstance(error, TypeError) and "not callable" in str(error):
        raise Wrong(
            "called_instead_of_passing",
            f"{call}: legacy_lookup ran on the event loop's own thread, so its "
            f"time.sleep({LOOKUP_SECONDS:g}) stopped the whole loop each time, and the "
            f"thread was then handed its result, a number ({error}). It looks as if you "
            "wrote `to_thread(legacy_lookup(symbol))`, which calls it right away; pass the "
            "function and its argument separately: "
            "`await asyncio.to_thread(legacy_lookup, symbol)`.",
            suggests="asyncio.to_thread(legacy_lookup, symbol)",
        )
    raise Wrong(
        "called_on_loop",
        f"{call}: legacy_lookup ran on the event loop's own thread, so its "
        f"time.sleep({LOOKUP_SECONDS:g}) stopped the whole loop each time. Run it in a "
        "worker thread: `await asyncio.to_thread(legacy_lookup, symbol)`.",
        suggests="asyncio.to_thread(legacy_lookup, symbol)",
    )


_HELD = {
    held.FUTURE_RESULT: (
        "blocked_on_result",
        "waited for it with `.result()`, which blocks the thread that calls it: here "
        "the loop's own",
    ),
    held.LEAVING_WITH: (
        "blocked_leaving_with",
        "left the `with ThreadPoolExecutor()` block before awaiting, and the end of that "
        "block waits for the pool's threads to finish, on the loop's thread",
    ),
    held.SHUTDOWN: (
        "blocked_on_shutdown",
        "called the pool's shutdown(), which waits for its threads to finish, on the loop's thread",
    ),
    held.THREAD_JOIN: (
        "blocked_on_join",
        "waited for the thread with `join()`, which blocks the thread that calls it: "
        "here the loop's own",
    ),
    held.EVENT_WAIT: (
        "blocked_on_event",
        "waited for it with `threading.Event.wait()`, which blocks the thread that calls "
        "it: here the loop's own",
    ),
}


def _judge_held_loop(outcome: Outcome, calls: _LookupCalls, call: str, lookup: Any) -> None:
    """legacy_lookup ran in a worker thread, but the loop's thread waited for it."""
    holder = calls.loop.held_by()
    if holder is not None:
        mistake, how = _HELD[holder]
        raise Wrong(
            mistake,
            f"{call}: legacy_lookup ran in a worker thread, but lookup {how}, so the loop "
            "was held for 0.2 s each time, and the lookups ran one after another. Await "
            "the call instead, and the loop runs the other lookups meanwhile: "
            "`return await asyncio.to_thread(legacy_lookup, symbol)`.",
            suggests="await asyncio.to_thread(legacy_lookup, symbol)",
        )
    busy = calls.loop.busy_in_answer()
    if calls.elsewhere and (busy or outcome.blocked) and not outcome.sleeps:
        polled = "done" in names_used(lookup)
        how = "checking `future.done()` over and over" if polled else "computing"
        raise Wrong(
            "blocking",
            f"{call}: legacy_lookup ran in a worker thread, but lookup kept the event loop "
            f"busy meanwhile ({how}) without ever giving it a turn. Await the call instead: "
            "`return await asyncio.to_thread(legacy_lookup, symbol)`.",
            recheck=not busy,
            suggests="await asyncio.to_thread(legacy_lookup, symbol)",
        )


def _judge_polling(outcome: Outcome, call: str) -> None:
    """Right prices, but found by waking up again and again to see if they had come."""
    if len(outcome.waits) > len(PRICES):
        raise Wrong(
            "polled",
            f"{call} woke up {len(outcome.waits)} times (asyncio.sleep) to see whether the "
            "lookups had finished. Await the call itself, and the loop wakes lookup "
            "exactly when it is done: `return await asyncio.to_thread(legacy_lookup, "
            "symbol)`.",
            suggests="await asyncio.to_thread(legacy_lookup, symbol)",
        )
    if outcome.waits:
        waits = " + ".join(f"{wait:g}" for wait in outcome.waits)
        raise Wrong(
            "extra_wait",
            f"{call} also waited {waits} s with asyncio.sleep, on top of the lookups: "
            "await only the lookup itself.",
        )


def _judge_overlap(calls: _LookupCalls, call: str, lookup: Any) -> None:
    """gather started all three: did the calls wait together, as they could?"""
    peak, total = calls.traffic.peak, len(PRICES)
    if peak >= total:
        return
    if peak == 1 and len(calls.threads) == 1:
        raise Wrong(
            "one_worker",
            f"{call}: the three legacy_lookup calls ran on one worker thread, one after "
            "another, although gather had started all three lookups: the pool you "
            "handed them to has a single worker. `asyncio.to_thread` (or "
            "`run_in_executor(None, ...)`) uses the loop's own pool, which has enough.",
            suggests="asyncio.to_thread",
        )
    names = names_used(lookup)
    what = (
        "a lock"
        if {"Lock", "RLock"} & names
        else "a semaphore"
        if {"Semaphore", "BoundedSemaphore"} & names
        else "a lock or a semaphore, perhaps"
        if len(calls.threads) >= total
        else "a lock or a semaphore, perhaps, or a pool too small"
    )
    mistake = "serialized" if peak == 1 else "limited"
    together = "never two at once" if peak == 1 else f"at most {peak} at once"
    raise Wrong(
        mistake,
        f"{call}: the three legacy_lookup calls ran in worker threads, but {together}, "
        "although gather had started all three lookups together. Something in lookup "
        f"lets only {'one' if peak == 1 else peak} through at a time: {what}. Calls in "
        "separate threads do not disturb each other here; let all three wait at once.",
    )


ex1 = Exercise(
    title="Call a blocking function without blocking the loop",
    answer="lookup",
    checker=check_lookup,
    hints=[
        "Calling `legacy_lookup(symbol)` inside `async def` runs its `time.sleep` on the "
        "loop's thread: everything else stops for 0.2 s.",
        "`asyncio.to_thread(function, *args)` runs `function(*args)` in a worker thread "
        "and gives you something to await.",
        "`return await asyncio.to_thread(legacy_lookup, symbol)`: pass the function "
        "itself, not `legacy_lookup(symbol)`.",
    ],
)
