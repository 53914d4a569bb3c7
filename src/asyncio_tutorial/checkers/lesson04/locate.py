"""Exercise 5: ``locate(address)`` awaits a threaded library's ``concurrent.futures.Future``.

``start_lookup`` (imported by the workbook) is a geocoding library that works on threads
of its own and hands back a ``concurrent.futures.Future`` at once.  The check runs the
answer on three cases, each on a fresh loop: three places looked up together (0.3, 0.1
and 0.2 s), a place that does not exist (``LookupError`` after 0.1 s), and a caller that
gives up after 0.2 s on a lookup that takes 0.8 s.

What it looks at, besides the results: whether ``result()`` of a library future was
called before it was done, and on which thread (the loop's own: the loop held; a pool's:
a thread tied up waiting); what the loop's thread was doing half-way through each lookup
(:mod:`..held`); how the answer's asyncio futures were completed, and from which thread
(:mod:`.watching`, :class:`~.scenario.LoopThreadGuard`); the errors the answer's
callbacks raised in the library's threads (which ``concurrent.futures`` would log); and,
for the caller that gave up, whether the library's job was called off or ran on to its
end.  Each case waits for the library's threads to end before it ends, so nothing they do
lands in a later check.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers import held
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson04.watching import FutureBook, watched_futures
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, LoopThreadGuard, names_used

PLACES = {
    "Paris": (0.3, (48.86, 2.35)),
    "Oslo": (0.1, (59.91, 10.75)),
    "Lima": (0.2, (-12.05, -77.04)),
    "Timbuktu": (0.8, (16.77, -3.01)),
}
"""How long the library takes to look each place up, and what it finds."""
UNKNOWN_SECONDS = 0.1
"""An unknown place fails after this long, with ``LookupError``."""
TOGETHER = ["Paris", "Oslo", "Lima"]
GIVE_UP = 0.2
"""The third case's caller gives up on Timbuktu (0.8 s) after this long."""
SLICE = 0.02
"""How often a lookup's thread checks whether its future was cancelled."""
CASE_LIMIT = 1.0
"""Seconds a case waits for the answer before it counts as never answered."""


@dataclass
class _Lookups:
    """What the library saw during one case."""

    loop_thread: int = 0
    loop: held.LoopWatch = field(default_factory=held.LoopWatch)
    started: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    """Lookups called off (their future cancelled) before they were done."""
    finished: list[str] = field(default_factory=list)
    traffic: Concurrency = field(default_factory=Concurrency)
    """How many lookups were at work at once."""
    ended: list[threading.Event] = field(default_factory=list)
    waited_on_loop: int = 0
    """``result()`` (or ``exception()``) of a pending library future, on the loop's thread."""
    waited_in_threads: list[str] = field(default_factory=list)
    """The same in another thread than the loop's or the library's: its name."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note_wait(self) -> None:
        thread = threading.current_thread()
        with self.lock:
            if thread.ident == self.loop_thread:
                self.waited_on_loop += 1
            elif not thread.name.startswith("lookup "):
                self.waited_in_threads.append(thread.name)


_lookups = _Lookups()
"""The case running now (a lookup's thread keeps the one it started in)."""


class Future(concurrent.futures.Future):  # type: ignore[type-arg]
    """The library's future: an ordinary ``concurrent.futures.Future`` that notes who
    waits for it before it is done.

    Named ``Future``, like what it stands for, so that it reads as one in messages.
    """

    def __init__(self, lookups: _Lookups) -> None:
        super().__init__()
        self._lookups = lookups

    def result(self, timeout: float | None = None) -> Any:
        if not self.done():
            self._lookups.note_wait()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self.done():
            self._lookups.note_wait()
        return super().exception(timeout)


def start_lookup(address: str) -> concurrent.futures.Future[tuple[float, float]]:
    """A threaded geocoding library: look ``address`` up on a thread of its own.

    Returns at once a ``concurrent.futures.Future`` of the place's ``(latitude,
    longitude)``.  Paris takes 0.3 s, Oslo 0.1 s, Lima 0.2 s, Timbuktu 0.8 s; any other
    place fails after 0.1 s with ``LookupError``.  The lookup can be called off while it
    runs: cancelling its future (``future.cancel()``) stops it.
    """
    lookups = _lookups
    future = Future(lookups)
    pause, place = PLACES.get(address, (UNKNOWN_SECONDS, None))
    ended = threading.Event()
    with lookups.lock:
        lookups.started.append(address)
        lookups.ended.append(ended)
        lookups.traffic.begin()

    def work() -> None:
        try:
            if _wait_unless_cancelled(future, pause, lookups) and (
                future.set_running_or_notify_cancel()
            ):
                lookups.finished.append(address)
                if place is None:
                    future.set_exception(LookupError(f"no such place: {address!r}"))
                else:
                    future.set_result(place)
            else:
                lookups.stopped.append(address)
        finally:
            with lookups.lock:
                lookups.traffic.end()
            ended.set()

    threading.Thread(target=work, name=f"lookup {address}", daemon=True).start()
    return future


def _wait_unless_cancelled(future: Any, pause: float, lookups: _Lookups) -> bool:
    """Wait ``pause`` seconds in slices; False as soon as ``future`` is cancelled.
    Half-way, look at what the loop's thread is doing."""
    started = time.perf_counter()
    looked = False
    while (elapsed := time.perf_counter() - started) < pause:
        if future.cancelled():
            return False
        if not looked and elapsed >= pause / 2:
            looked = True
            lookups.loop.look()  # half-way: is the loop free, or held waiting for this?
        time.sleep(min(SLICE, pause - elapsed))
    return True


class _LibraryLog(logging.Handler):
    """Keeps what ``concurrent.futures`` logs (an answer's done-callback that raised in the
    library's thread), instead of letting it print in the notebook."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def callback_errors(self) -> list[BaseException]:
        return [r.exc_info[1] for r in self.records if r.exc_info and r.exc_info[1] is not None]


@contextlib.contextmanager
def _library_log() -> Iterator[_LibraryLog]:
    logger = logging.getLogger("concurrent.futures")
    handler = _LibraryLog()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@dataclass
class _Report:
    """What one case saw."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    elapsed: float = 0.0
    lookups: _Lookups = field(default_factory=_Lookups)
    book: FutureBook = field(default_factory=FutureBook)
    touched_from_threads: list[str] = field(default_factory=list)
    callback_errors: list[BaseException] = field(default_factory=list)


CASES = {
    "together": f"gather({', '.join(f'locate({p!r})' for p in TOGETHER)})",
    "unknown": "locate('Atlantis')",
    "gives up": f"wait_for(locate('Timbuktu'), {GIVE_UP})",
}


async def _locate_scenario(locate: Any, case: str, report: _Report) -> Any:
    global _lookups
    loop = asyncio.get_running_loop()
    lookups = report.lookups
    lookups.loop_thread = lookups.loop.loop_thread = threading.get_ident()
    _lookups = lookups
    started = loop.time()
    with watched_futures(loop) as report.book, LoopThreadGuard(loop) as guard:
        try:
            if case == "together":
                report.value = await asyncio.gather(*(locate(place) for place in TOGETHER))
            elif case == "unknown":
                async with asyncio.timeout(CASE_LIMIT):
                    report.value = await locate("Atlantis")
            else:
                report.value = await asyncio.wait_for(locate("Timbuktu"), GIVE_UP)
        except TimeoutError:
            report.timed_out = True
        except LookupError as error:
            report.error = error
        finally:
            report.elapsed = loop.time() - started
            report.touched_from_threads = list(guard.calls)
            await _lookups_ended(lookups)
    return report.value


async def _lookups_ended(lookups: _Lookups) -> None:
    """Wait (a little longer than the longest lookup) for the library's threads to end."""
    deadline = time.perf_counter() + 2 * PLACES["Timbuktu"][0]
    while not all(ended.is_set() for ended in lookups.ended) and time.perf_counter() < deadline:
        await asyncio.sleep(SLICE)


def check_locate(locate: Any) -> Result:
    """``locate(address)``: the library's concurrent future, awaited through asyncio."""
    expect_coroutine_function(locate)
    names = names_used(locate)
    results: dict[str, tuple[Outcome, _Report]] = {}
    for case, call in CASES.items():
        report = _Report()
        with _library_log() as log:
            outcome = run_coroutine(
                lambda case=case, report=report: _locate_scenario(locate, case, report)
            )
        report.callback_errors = log.callback_errors()
        _judge_run(outcome, report, call, names)
        results[case] = (outcome, report)
    together = _judge_together(*results["together"], names)
    _judge_unknown(*results["unknown"])
    _judge_gives_up(*results["gives up"], names)
    return correct(
        f"{CASES['together']} returned the three places after {took(together.elapsed)}, "
        f"the {together.lookups.traffic.peak} lookups at work at once while the loop stayed "
        "free, and each result came back through the loop's own thread; "
        "locate('Atlantis') raised the "
        f"library's LookupError after {took(results['unknown'][1].elapsed)}; and when the "
        f"caller gave up on Timbuktu after {seconds(GIVE_UP)}, the library's lookup was "
        "called off with it, not left to run its 0.8 s for nobody."
    )


_HELD = {
    held.FUTURE_RESULT: ("blocked_on_result", "`.result()` of the library's future"),
    held.EVENT_WAIT: (
        "blocked_on_event",
        "`concurrent.futures.wait()` (or a `threading.Event.wait()`)",
    ),
    held.THREAD_JOIN: ("blocked_on_join", "`Thread.join()`"),
    held.LEAVING_WITH: ("blocked_leaving_with", "the end of a `with ThreadPoolExecutor()` block"),
    held.SHUTDOWN: ("blocked_on_shutdown", "`Executor.shutdown()`"),
}


def _await_the_wrapped(names: set[str]) -> tuple[str, str]:
    """The advice to end a message with, and the code it suggests: an answer that
    wraps the library's future already is told to await the wrapped one."""
    if "wrap_future" in names:
        return (
            "You wrapped the library's future already: await the asyncio future "
            "`asyncio.wrap_future` gave, and nothing else.",
            "",
        )
    return (
        "Turn the library's future into an asyncio one and await that: "
        "`await asyncio.wrap_future(start_lookup(address))`.",
        "wrap_future",
    )


def _judge_run(outcome: Outcome, report: _Report, call: str, names: set[str]) -> None:
    """What any case can show: the loop held, a future awaited as it is, the usual."""
    lookups = report.lookups
    advice, suggested = _await_the_wrapped(names)
    holder = held.FUTURE_RESULT if lookups.waited_on_loop else lookups.loop.held_by()
    if holder == held.FUTURE_RESULT and _guessed_wait(outcome):
        # It slept long enough to outwait a lookup, then took the result: on a loaded
        # machine the lookup was not done yet, and result() blocked; the guess is the
        # mistake, as it is when the result was there in time.
        raise _fixed_wait(call, outcome, advice, suggested, blocked=True)
    if holder is not None:
        mistake, how = _HELD[holder]
        raise Wrong(
            mistake,
            f"{call}: while the library looked places up, the loop's own thread waited in "
            f"{how}, which blocks the thread that calls it: the loop could run nothing "
            f"else, and the lookups were waited for one after another. {advice}",
            suggests=suggested,
        )
    error = outcome.error
    if isinstance(error, TypeError) and "await" in str(error):
        raise Wrong(
            "not_awaitable_future",
            f"{call} raised {error_text(error)}. start_lookup gives a concurrent.futures."
            "Future, made for threads: `await` (and gather) take only asyncio futures, "
            "tasks and coroutines. Wrap it first: "
            "`await asyncio.wrap_future(start_lookup(address))`.",
            suggests="wrap_future",
        )
    busy = lookups.loop.busy_in_answer()
    if lookups.started and (busy or outcome.blocked) and not outcome.sleeps:
        raise Wrong(
            "blocking",
            f"{call} kept the loop busy while the library worked, without ever giving "
            f"it a turn (checking `future.done()` over and over?). {advice}",
            recheck=not busy,
            suggests=suggested,
        )
    common_mistakes(outcome, call, expected_error=LookupError)
    values = report.value if isinstance(report.value, list) else [report.value]
    if any(isinstance(value, concurrent.futures.Future) for value in values):
        raise Wrong(
            "returned_concurrent_future",
            f"{call}: locate returned the library's concurrent.futures.Future instead of "
            "the place's coordinates. That future cannot be awaited by the caller either: "
            "wrap it and await it, `return await asyncio.wrap_future(future)`.",
            suggests="wrap_future",
        )
    if any(isinstance(value, asyncio.Future) for value in values):
        raise Wrong(
            "returned_future",
            f"{call}: locate returned an asyncio future instead of the coordinates: "
            "`asyncio.wrap_future(...)` gives a future, which still has to be awaited: "
            "`return await asyncio.wrap_future(start_lookup(address))`.",
            suggests="return await",
        )


def _guessed_wait(outcome: Outcome) -> bool:
    """Whether the answer slept a fixed time long enough to outwait a lookup (not a
    ``sleep(0)`` or a poll): a guess at how long the library takes."""
    shortest = min(taken for taken, _ in PLACES.values())
    return 0 < len(outcome.waits) <= len(TOGETHER) and max(outcome.waits) >= shortest


def _fixed_wait(
    call: str, outcome: Outcome, advice: str, suggested: str, blocked: bool = False
) -> Wrong:
    waits = ", ".join(f"{wait:g}" for wait in outcome.waits)
    late = (
        " Here a lookup was not done yet, and `.result()` blocked the loop's thread until it was."
        if blocked
        else ""
    )
    return Wrong(
        "fixed_wait",
        f"{call} waited a fixed time ({waits} s, asyncio.sleep) and then took the "
        "result: too short, and it is not there yet; too long, and time is lost."
        f"{late} Await the lookup itself. {advice}",
        suggests=suggested,
    )


def _judge_together(outcome: Outcome, report: _Report, names: set[str]) -> _Report:
    call = CASES["together"]
    advice, suggested = _await_the_wrapped(names)
    book, lookups = report.book, report.lookups
    other_threads = book.completed_from_other_threads()
    if other_threads or report.touched_from_threads:
        what = (
            f"{other_threads[0].how} ran in the thread {other_threads[0].thread_name!r}"
            if other_threads
            else f"{report.touched_from_threads[0]} was scheduled from a lookup's thread"
        )
        raise Wrong(
            "not_threadsafe",
            f"{call}: a lookup's thread called into the event loop directly ({what}). "
            "A concurrent future runs its done-callbacks in the thread that completes it, "
            "and an asyncio future may only be touched from its loop's thread. "
            "`asyncio.wrap_future(future)` does the crossing safely, through "
            "`call_soon_threadsafe`.",
            suggests="wrap_future",
        )
    if len(outcome.waits) > len(TOGETHER):
        raise Wrong(
            "polled",
            f"{call} woke up {len(outcome.waits)} times (asyncio.sleep) to see whether the "
            "lookups were done. Await an asyncio future that the library's future "
            f"completes, and the loop wakes you exactly then. {advice}",
            suggests=suggested,
        )
    if outcome.waits:
        raise _fixed_wait(call, outcome, advice, suggested)
    if lookups.waited_in_threads:
        raise Wrong(
            "waited_in_a_thread",
            f"{call} handed `future.result()` to a thread of a pool "
            f"({lookups.waited_in_threads[0]!r}), which then sat blocked until each lookup "
            "was done: a thread tied up per lookup, only to wait, and one the caller "
            "cannot call off (see what happens when a caller gives up). "
            "`asyncio.wrap_future(future)` waits without any thread, and cancelling it "
            "cancels the library's future too.",
            suggests="wrap_future",
        )
    expected = [PLACES[place][1] for place in TOGETHER]
    if report.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {report.value!r}, not the coordinates {expected!r}.",
        )
    if lookups.traffic.peak < len(TOGETHER):
        raise Wrong(
            "sequential",
            f"{call}: the library's lookups ran {lookups.traffic.describe(len(TOGETHER))}: "
            "each locate waited for the one before. Nothing needs to wait in turn: "
            "`return await asyncio.wrap_future(start_lookup(address))`, and gather runs "
            "them together.",
        )
    return report


def _judge_unknown(outcome: Outcome, report: _Report) -> None:
    call = CASES["unknown"]
    if isinstance(report.value, LookupError):
        raise Wrong(
            "error_as_result",
            f"{call} returned the error {report.value!r} as its value: let it be raised "
            "to the caller (awaiting the wrapped future raises it by itself), and catch "
            "nothing.",
        )
    if report.timed_out and report.callback_errors:
        error = report.callback_errors[0]
        raise Wrong(
            "error_lost",
            f"{call} was still waiting after {seconds(CASE_LIMIT)}: the lookup failed with "
            f"{error_text(error)}, and your done-callback's `future.result()` raised it in "
            "the library's thread, where concurrent.futures only logs it; the asyncio "
            "future was never completed. `asyncio.wrap_future(future)` hands errors on "
            "too (or check `future.exception()` and use `set_exception`).",
            suggests="wrap_future",
        )
    if report.timed_out:
        raise Wrong(
            "never_completed",
            f"{call} was still waiting after {seconds(CASE_LIMIT)}, though the library "
            f"failed after {seconds(UNKNOWN_SECONDS)}: nothing completed the future it "
            "awaited. Hand the failure on: `await asyncio.wrap_future(future)` raises it.",
            suggests="wrap_future",
        )
    if report.error is None:
        raise Wrong(
            "error_swallowed",
            f"{call} returned {report.value!r} instead of raising the library's "
            "LookupError: let it reach the caller.",
        )


def _judge_gives_up(outcome: Outcome, report: _Report, names: set[str]) -> None:
    call = CASES["gives up"]
    lookups = report.lookups
    if not report.timed_out:
        got = f"raised {report.error!r}" if report.error else f"returned {report.value!r}"
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {got} after {report.elapsed:.1f} s instead of raising TimeoutError: "
            "when the time was up, wait_for cancelled locate, and locate caught the "
            "CancelledError and carried on. Let it through.",
        )
    if "Timbuktu" in lookups.finished and "shield" in names:
        raise Wrong(
            "job_not_cancelled",
            f"{call}: the caller gave up after {seconds(GIVE_UP)}, but the library's lookup "
            "was not called off: it ran on to its end, 0.8 s, for nobody. asyncio.shield "
            "kept the cancellation from reaching the wrapped future, and so the library's "
            "future: leave the shield out, and cancelling the wait cancels the lookup.",
        )
    if "Timbuktu" in lookups.finished and "wrap_future" in names:
        raise Wrong(
            "job_not_cancelled",
            f"{call}: the caller gave up after {seconds(GIVE_UP)}, but the library's lookup "
            "was not called off: it ran on to its end, 0.8 s, for nobody. Cancelling the "
            "future `asyncio.wrap_future` gave cancels the library's future too: make "
            "that the future the cancellation reaches, by awaiting it directly.",
        )
    if "Timbuktu" in lookups.finished:
        raise Wrong(
            "job_not_cancelled",
            f"{call}: the caller gave up after {seconds(GIVE_UP)}, but the library's lookup "
            "was not called off: it ran on to its end, 0.8 s, for nobody. Cancelling the "
            "asyncio future should cancel the library's future too: "
            "`asyncio.wrap_future(future)` links them that way (or cancel it yourself "
            "when the wait is cancelled).",
            suggests="wrap_future",
        )
    if not lookups.stopped:
        raise Wrong(
            "wrong_value",
            f"{call}: start_lookup('Timbuktu') was never called, so there was nothing to call off.",
        )


ex5 = Exercise(
    title="Await a concurrent.futures.Future",
    answer="locate",
    checker=check_locate,
    hints=[
        "start_lookup returns a concurrent.futures.Future: its `result()` blocks the thread "
        "that calls it, and `await` refuses it.",
        "`asyncio.wrap_future(concurrent_future)` gives an asyncio future that the loop "
        "completes when the library's does, from the loop's own thread.",
        "`return await asyncio.wrap_future(start_lookup(address))`: cancelling it (a "
        "caller that gives up) cancels the library's future too.",
    ],
)
