"""Lesson 04's exercises: futures completed by timers, callbacks, threads and thread pools.

The workbook ``exercises/04-futures.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson04 import ex1, ex2, ex3, ex4

and imports the pretend libraries the exercises wrap from here too (``subscribe``,
``start_job``, ``slow_checksum``), so that ``subscribe??`` shows how they behave.  The
worked answers are in ``solutions/04-futures.ipynb``.

What these checkers look at besides the result: the errors the event loop would have
logged (``InvalidStateError`` from a future completed twice, or after its waiter gave
up), which thread scheduled work on the loop (:class:`~.scenario.LoopThreadGuard`),
and on which thread a blocking function ran.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import inspect
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import (
    Concurrency,
    LoopThreadGuard,
    loop_reported,
    returned_future,
)

SLACK = 0.25  # how much later than planned a right answer may finish on a busy machine


# --- Exercise 1: a future completed by a timer ---------------------------------------------


async def _delayed_scenario(delayed: Any, report: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    future = report["returned"] = delayed(0.2, "ding")
    if isinstance(future, asyncio.Task):  # judged by the checker; stop it first
        future.cancel()
        await asyncio.wait([future])
    if not isinstance(future, asyncio.Future) or isinstance(future, asyncio.Task):
        return
    report["done at once"] = future.done()
    report["value"] = await future
    report["elapsed"] = loop.time() - started
    started = loop.time()
    report["values"] = await asyncio.gather(delayed(0.3, "a"), delayed(0.1, "b"), delayed(0.2, "c"))
    report["together"] = loop.time() - started
    given_up = delayed(0.2, "nobody waits")  # cancelled before its moment comes...
    await asyncio.sleep(0.1)
    given_up.cancel()
    await asyncio.sleep(0.2)  # ...and its moment passes: its timer must not complete it


def check_delayed(delayed: Any) -> Result:
    """``delayed(seconds, value)``: a future the loop completes later; safe to cancel."""
    if inspect.iscoroutinefunction(delayed):
        raise Wrong(
            "not_plain",
            "delayed is defined with `async def`, so calling it gives a coroutine. Make it a "
            "plain `def` that creates the future, schedules its completion and returns it: "
            "the caller awaits the future.",
        )
    call = "delayed(0.2, 'ding')"
    report: dict[str, Any] = {}
    outcome = run_coroutine(partial(_delayed_scenario, delayed, report))
    common_mistakes(outcome, call)
    returned = report.get("returned")
    if isinstance(returned, asyncio.Task):
        raise Wrong(
            "used_a_task",
            f"{call} returned a Task. A task is a future, so it works, but this exercise "
            "builds the future itself: `loop.create_future()`, completed by "
            "`loop.call_later(seconds, ...)`.",
        )
    if isinstance(returned, concurrent.futures.Future):
        raise Wrong(
            "wrong_kind_of_future",
            f"{call} returned a concurrent.futures.Future, which cannot be awaited. Ask the "
            "event loop for one: `asyncio.get_running_loop().create_future()`.",
        )
    if not isinstance(returned, asyncio.Future):
        raise Wrong(
            "no_future_returned",
            f"{call} returned {returned!r}. Return the future you created, so the caller "
            "can await it.",
        )
    if report["done at once"] or any("not callable" in r for r in outcome.loop_errors):
        raise Wrong(
            "called_not_passed",
            f"{call} returned a future that was done at once. `call_later(seconds, "
            "future.set_result(value))` *calls* set_result right away and hands the loop "
            "its return value, None. Pass the method and its argument separately: "
            "`call_later(seconds, future.set_result, value)`.",
        )
    if loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            "a future from delayed(0.2, ...) was cancelled after 0.1 s; at 0.2 s its timer "
            "still called set_result, and the loop reported InvalidStateError. Cancel the "
            "timer when the future is cancelled (`future.add_done_callback(lambda f: "
            "timer.cancel())`), or complete it only `if not future.done()`.",
        )
    if report["value"] != "ding" or report["values"] != ["a", "b", "c"]:
        raise Wrong(
            "wrong_value",
            f"awaiting {call} gave {report['value']!r} (expected 'ding'), and three delayed "
            f"futures gave {report['values']!r} (expected ['a', 'b', 'c']).",
        )
    judge_duration(report["elapsed"], 0.2, f"awaiting {call}", tolerance=SLACK)
    judge_duration(report["together"], 0.3, "three delayed futures", tolerance=SLACK)
    return correct(
        f"{call} returned a pending future that the loop completed with 'ding' after "
        "0.2 s; three of them took 0.3 s together; and one cancelled early stayed "
        "quiet when its moment came."
    )


ex1 = Exercise(
    title="A future completed by a timer",
    answer="delayed",
    checker=check_delayed,
    hints=[
        "`loop = asyncio.get_running_loop()`, `future = loop.create_future()`, and at the "
        "end `return future`.",
        "`timer = loop.call_later(seconds, future.set_result, value)`: the method and its "
        "argument, passed separately.",
        "If the caller cancels the future first, the timer must not fire: "
        "`future.add_done_callback(lambda _: timer.cancel())`.",
    ],
)

# --- Exercise 2: the first reading of a sensor -------------------------------------------

READINGS: dict[str, list[tuple[float, Any]]] = {
    "thermometer": [(0.1, 21.5), (0.2, 21.6), (0.3, 21.7)],
    "hygrometer": [(0.3, 48), (0.4, 49)],
    "barometer": [(0.2, ConnectionError("barometer unplugged"))],
}
"""When each pretend sensor calls back, and with what (an exception goes to ``on_error``)."""


def subscribe(
    sensor: str, on_reading: Callable[[Any], None], on_error: Callable[[Exception], None]
) -> None:
    """A callback API, as a device driver offers: call ``on_reading(value)`` at every reading.

    The thermometer reads 21.5 after 0.1 s, then 21.6 and 21.7; the hygrometer 48 after
    0.3 s, then 49; the barometer fails after 0.2 s with ``on_error(ConnectionError(...))``.
    The callbacks run on the event loop, like the timers of ``loop.call_later``.
    """
    loop = asyncio.get_running_loop()
    for delay, value in READINGS[sensor]:
        if isinstance(value, Exception):
            loop.call_later(delay, on_error, value)
        else:
            loop.call_later(delay, on_reading, value)


async def _first_reading_scenario(first_reading: Any, case: str, report: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        if case == "gives up":
            report["value"] = await asyncio.wait_for(first_reading("hygrometer"), 0.1)
        else:
            async with asyncio.timeout(1.0):
                report["value"] = await first_reading(case)
    except TimeoutError:
        report["timed_out"] = True
    except ConnectionError as error:
        report["error"] = error
    report["elapsed"] = loop.time() - started
    await asyncio.sleep(0.5 - report["elapsed"])  # let the later readings arrive


def check_first_reading(first_reading: Any) -> Result:
    """``first_reading(sensor)``: the first value, or the sensor's error; later calls ignored."""
    expect_coroutine_function(first_reading)
    results = {}
    for case in ("thermometer", "barometer", "gives up"):
        report: dict[str, Any] = {"timed_out": False, "error": None, "value": None}
        call = (
            "wait_for(first_reading('hygrometer'), 0.1)"
            if case == "gives up"
            else f"first_reading({case!r})"
        )
        outcome = run_coroutine(partial(_first_reading_scenario, first_reading, case, report))
        if outcome.timed_out and outcome.sleeps:
            raise Wrong(
                "blocking",
                f"{call} waited with time.sleep, which holds the event loop; the sensor's "
                "callbacks run on that loop, so they never came, and it waited forever. "
                "Await a future that the callbacks complete.",
            )
        common_mistakes(outcome, call)
        returned_future(report["value"], call)
        results[case] = (outcome, report)
    _judge_first_reading(results)
    return correct(
        "first_reading('thermometer') returned 21.5 after 0.1 s and ignored the readings "
        "after it; the barometer's ConnectionError reached the caller; and a caller that "
        "gave up early left no error behind when the reading came later."
    )


def _judge_first_reading(results: dict[str, tuple[Outcome, dict[str, Any]]]) -> None:
    outcome, report = results["thermometer"]
    if loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            "the thermometer calls on_reading three times; the second call found the future "
            "done already, and set_result raised InvalidStateError in the loop. Complete "
            "the future only `if not future.done()`.",
        )
    if report["value"] != 21.5:
        raise Wrong(
            "wrong_value",
            f"first_reading('thermometer') returned {report['value']!r}, not the first "
            "reading, 21.5.",
        )
    judge_duration(report["elapsed"], 0.1, "first_reading('thermometer')", tolerance=SLACK)
    outcome, report = results["barometer"]
    if isinstance(report["value"], Exception):
        raise Wrong(
            "error_as_result",
            f"first_reading('barometer') returned the error {report['value']!r} as its "
            "value. Complete the future with `future.set_exception(error)`, so that "
            "awaiting it raises the error.",
        )
    if report["timed_out"]:
        raise Wrong(
            "error_ignored",
            "first_reading('barometer') was still waiting after 1 s: the sensor reported "
            "its failure through on_error, and nothing completed the future. Pass "
            "on_error a callback that calls `future.set_exception(error)`.",
        )
    if report["error"] is None:
        raise Wrong(
            "error_swallowed",
            f"first_reading('barometer') returned {report['value']!r} instead of raising "
            "the sensor's ConnectionError.",
        )
    outcome, report = results["gives up"]
    if loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            "wait_for(first_reading('hygrometer'), 0.1) gave up after 0.1 s, which cancelled "
            "the future; at 0.3 s the reading came, and set_result on the cancelled future "
            "raised InvalidStateError in the loop. Check `if not future.done()` first.",
        )


ex2 = Exercise(
    title="Wrap a callback API",
    answer="first_reading",
    checker=check_first_reading,
    hints=[
        "Create a future with `asyncio.get_running_loop().create_future()`, pass "
        "`subscribe` two small functions that complete it, then `return await future`.",
        "on_reading: `future.set_result(value)`; on_error: `future.set_exception(error)`.",
        "The sensor calls on_reading again later, and the caller may have given up: do "
        "nothing when `future.done()` is already true.",
    ],
)

# --- Exercise 3: a job that calls back from its own thread ----------------------------------

JOB_SECONDS = 0.4


_callback_errors: list[BaseException] = []
"""What the learner's callbacks raised in the jobs' threads, during the check running now."""


def start_job(job: str, callback: Callable[[str], Any]) -> None:
    """A threaded library: runs ``job`` on a thread of its own for 0.4 s, then calls
    ``callback(result)`` *from that thread*, with ``result`` like ``"backup: done"``."""
    errors = _callback_errors  # this check's list, even if the thread outlives the check

    def work() -> None:
        time.sleep(JOB_SECONDS)
        try:
            callback(f"{job}: done")
        except BaseException as error:  # the learner's callback failed in this thread
            errors.append(error)

    threading.Thread(target=work, name=f"job {job}", daemon=True).start()


async def _run_job_scenario(run_job: Any, guard_calls: list[str]) -> list[Any]:
    with LoopThreadGuard(asyncio.get_running_loop()) as guard:
        try:
            return await asyncio.gather(run_job("backup"), run_job("report"))
        finally:
            guard_calls.extend(guard.calls)


def check_run_job(run_job: Any) -> Result:
    """``run_job(job)``: await a job whose callback comes from another thread."""
    expect_coroutine_function(run_job)
    global _callback_errors
    _callback_errors = []
    guard_calls: list[str] = []
    call = "gather(run_job('backup'), run_job('report'))"
    outcome = run_coroutine(partial(_run_job_scenario, run_job, guard_calls))
    # Only a failed look-up of the loop: a callback that runs after an answer returned
    # too early (its future unawaited) meets a closed loop instead, which is judged below.
    lookups = [e for e in _callback_errors if "no running" in str(e) or "no current" in str(e)]
    if lookups and (outcome.timed_out or outcome.error is None):
        error = lookups[0]
        raise Wrong(
            "loop_looked_up_in_thread",
            f"the callback raised {type(error).__name__}: {error} in the job's thread. "
            "There is no running loop in that thread: get the loop in run_job, before "
            "starting the job (`loop = asyncio.get_running_loop()`), and use that one.",
        )
    common_mistakes(outcome, call)
    outcome.value = (outcome.value or [None])[0]
    returned_future(outcome.value, "run_job('backup')")
    if guard_calls:
        raise Wrong(
            "not_threadsafe",
            "the job's thread called into the event loop directly (it scheduled "
            f"{guard_calls[0]}): futures and loop.call_soon are for the loop's own thread "
            "only. A busy loop hides it; a quiet one leaves the result waiting. From the "
            "callback, use `loop.call_soon_threadsafe(future.set_result, result)`.",
        )
    if outcome.value != "backup: done":
        raise Wrong("wrong_value", f"run_job('backup') returned {outcome.value!r}.")
    judge_duration(outcome.elapsed, JOB_SECONDS, call, tolerance=SLACK)
    return correct(
        f"two jobs finished together after {JOB_SECONDS} s, and their results reached the "
        "loop through call_soon_threadsafe, never from the jobs' threads directly."
    )


ex3 = Exercise(
    title="A callback from another thread",
    answer="run_job",
    checker=check_run_job,
    hints=[
        "In run_job (on the loop's thread): `loop = asyncio.get_running_loop()` and "
        "`future = loop.create_future()`; at the end `return await future`.",
        "The callback runs in the job's thread, where it must not touch the future: it "
        "hands the work to the loop with `loop.call_soon_threadsafe(...)`.",
        "`start_job(job, lambda result: loop.call_soon_threadsafe(future.set_result, result))`.",
    ],
)

# --- Exercise 4: blocking functions in a thread pool ----------------------------------------

CHECKSUM_SECONDS = 0.4


_checksum_lock = threading.Lock()
_checksum_calls = Concurrency()  # how many slow_checksum calls ran at once
_checksum_threads: set[int] = set()  # and on which threads


def slow_checksum(name: str) -> str:
    """A blocking function from a library: 0.4 s of waiting (``time.sleep``), then a checksum.

    ``slow_checksum("a.txt")`` returns ``"18b7cb09"``, the start of the name's SHA-256.
    """
    with _checksum_lock:
        _checksum_calls.begin()
        _checksum_threads.add(threading.get_ident())
    try:
        time.sleep(CHECKSUM_SECONDS)
    finally:
        with _checksum_lock:
            _checksum_calls.end()
    return _checksum(name)


def _checksum(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


async def _checksums_scenario(checksums: Any, names: list[str], report: dict[str, Any]) -> Any:
    report["loop_thread"] = threading.get_ident()
    return await checksums(names)


def check_checksums(checksums: Any) -> Result:
    """``checksums(names)``: slow_checksum of each name, in threads, concurrently, in order."""
    expect_coroutine_function(checksums)
    names = ["a.txt", "b.txt", "c.txt"]
    call = f"checksums({names!r})"
    expected = [_checksum(name) for name in names]
    _checksum_calls.reset()
    _checksum_threads.clear()
    report: dict[str, Any] = {}
    outcome = run_coroutine(partial(_checksums_scenario, checksums, names, report))
    if isinstance(outcome.error, TypeError) and "await" in str(outcome.error):
        raise Wrong(
            "not_awaitable_future",
            f"{call} raised TypeError: {outcome.error}. `pool.submit()` gives a "
            "concurrent.futures.Future, which cannot be awaited: wrap it with "
            "`asyncio.wrap_future(...)`, or use `loop.run_in_executor(None, slow_checksum, "
            "name)`, which does both.",
        )
    if report.get("loop_thread") in _checksum_threads and not outcome.timed_out:
        raise Wrong(
            "blocking_call_on_loop",
            f"{call} ran slow_checksum on the event loop's own thread, which blocked the "
            f"loop for {CHECKSUM_SECONDS} s each time. Run it in a thread: "
            "`await loop.run_in_executor(None, slow_checksum, name)` (or asyncio.to_thread).",
        )
    if outcome.blocked and not outcome.sleeps and not outcome.timed_out:
        raise Wrong(
            "blocked_on_result",
            f"{call} ran slow_checksum in a thread, but then held the loop while waiting "
            "for it (`.result()` on a concurrent future blocks the thread that calls it). "
            "Await an asyncio future instead: `asyncio.wrap_future(...)` or run_in_executor.",
        )
    common_mistakes(outcome, call)
    returned_future(outcome.value, call)
    if outcome.value != expected:
        raise Wrong("wrong_value", f"{call} returned {outcome.value!r}, not {expected!r}.")
    if _checksum_calls.peak < len(names):
        raise Wrong(
            "sequential",
            f"{call} took {outcome.elapsed:.1f} s: the checksums ran one after another, "
            "each awaited before the next started. Start them all, then "
            "`await asyncio.gather(*futures)`.",
        )
    judge_duration(outcome.elapsed, CHECKSUM_SECONDS, call, tolerance=SLACK)
    return correct(
        f"{call} ran the three checksums in three threads at once: {CHECKSUM_SECONDS} s in "
        "all, the loop free meanwhile, results in the order of the names."
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

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = [
    "EXERCISES",
    "READINGS",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "slow_checksum",
    "start_job",
    "subscribe",
]
