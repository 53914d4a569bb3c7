"""Exercise 1: ``delayed(seconds, value)``, a future that a timer of the loop completes.

The check awaits one such future, then three together, then gives one up (cancels it)
before its moment comes.  Besides the values and times it looks at exact evidence: the
timers the answer asked the loop for (``Outcome.waits``: ``call_later(0.2, ...)`` asks
for 0.2), and how each future was completed (:mod:`.watching`): by a callback of the
loop, on the loop's thread, as it should be; from another thread (a ``threading.Timer``);
or by a task that slept.  And what the loop and the answer's threads reported: an
``InvalidStateError`` from a timer that fired on the cancelled future, a ``TypeError``
from a done-callback given the wrong function.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import EARLY_ALLOWANCE, common_mistakes, took
from asyncio_tutorial.checkers.lesson04.watching import FutureBook, ThreadErrors, watched_futures
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import LoopThreadGuard, loop_reported

DELAYS = (0.2, 0.3, 0.1, 0.2, 0.2)
"""The delays of the five futures the scenario asks for, in order: 'ding', the three
awaited together ('a', 'b', 'c'), and the one given up."""


@dataclass
class _Report:
    """What the scenario saw."""

    returned: Any = None
    done_at_once: bool = False
    value: Any = None
    elapsed: float = 0.0
    values: list[Any] = field(default_factory=list)
    together: float = 0.0
    book: FutureBook = field(default_factory=FutureBook)
    touched_from_threads: list[str] = field(default_factory=list)


async def _delayed_scenario(delayed: Any, report: _Report) -> None:
    loop = asyncio.get_running_loop()
    with watched_futures(loop) as report.book, LoopThreadGuard(loop) as guard:
        try:
            await _use_delayed(delayed, report)
        finally:
            report.touched_from_threads = list(guard.calls)


async def _use_delayed(delayed: Any, report: _Report) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    future = report.returned = delayed(0.2, "ding")
    if isinstance(future, asyncio.Task):  # judged by the checker; stop it first
        future.cancel()
        await asyncio.wait([future])
    if not isinstance(future, asyncio.Future) or isinstance(future, asyncio.Task):
        return
    report.done_at_once = future.done()
    report.value = await future
    report.elapsed = loop.time() - started
    started = loop.time()
    report.values = await asyncio.gather(delayed(0.3, "a"), delayed(0.1, "b"), delayed(0.2, "c"))
    report.together = loop.time() - started
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
    report = _Report()
    with ThreadErrors() as thread_errors:
        outcome = run_coroutine(lambda: _delayed_scenario(delayed, report))
    _judge_errors(outcome, call)
    _judge_waits(outcome, call)
    if outcome.sleeps and not outcome.timed_out:
        raise Wrong(
            "blocking",
            f"{call} called time.sleep({outcome.sleeps[0]:g}) before returning, which "
            "stopped the whole event loop meanwhile; and delayed should return at once, "
            "with a future still pending. Leave the waiting to the loop: "
            "`loop.call_later(seconds, future.set_result, value)`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    common_mistakes(outcome, call)
    _judge_returned(report.returned, call)
    if report.done_at_once or any("not callable" in r for r in outcome.loop_errors):
        raise Wrong(
            "called_not_passed",
            f"{call} returned a future that was done at once. `call_later(seconds, "
            "future.set_result(value))` *calls* set_result right away and hands the loop "
            "its return value, None. Pass the method and its argument separately: "
            "`call_later(seconds, future.set_result, value)`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    _judge_completions(report, outcome, thread_errors, call)
    if report.value != "ding" or report.values != ["a", "b", "c"]:
        raise Wrong(
            "wrong_value",
            f"awaiting {call} gave {report.value!r} (expected 'ding'), and three delayed "
            f"futures gave {report.values!r} (expected ['a', 'b', 'c']).",
        )
    return correct(
        f"{call} returned a pending future, completed with 'ding' after "
        f"{took(report.elapsed)} by a timer the loop was asked for (0.2 s exactly), on "
        f"the loop's own thread; three such futures took {took(report.together)} together; "
        "and nothing tried to complete the one cancelled at 0.1 s when its moment came."
    )


def _judge_errors(outcome: Outcome, call: str) -> None:
    """Errors that name their own mistake, before the general ones."""
    error = outcome.error
    if isinstance(error, asyncio.InvalidStateError):
        raise Wrong(
            "result_of_pending",
            f"{call} raised InvalidStateError ({str(error).rstrip('.')}): future.result() on "
            "a pending future "
            "does not wait (that is what `await` is for): it raises. Return the future "
            "itself, and let the caller await it.",
        )
    if isinstance(error, RuntimeError) and "attached to a different loop" in str(error):
        raise Wrong(
            "other_loop",
            f"awaiting {call} raised RuntimeError: the future is attached to a different "
            "loop. A future belongs to the loop that made it, and only that loop can "
            "complete it and wake its waiters: ask "
            "the running one, `asyncio.get_running_loop().create_future()`.",
            suggests="get_running_loop()",
        )


def _judge_waits(outcome: Outcome, call: str) -> None:
    """The timers the answer asked the loop for, compared with the delays it was given."""
    if any(wait < 0 for wait in outcome.waits):
        raise Wrong(
            "call_at_relative",
            f"{call} scheduled its timer with call_at({0.2:g}, ...): call_at takes a moment "
            "on the loop's clock (`loop.time()`), and 0.2 is long past, so the future was "
            "completed at once. Use `loop.call_later(seconds, ...)`, or "
            "`loop.call_at(loop.time() + seconds, ...)`.",
            suggests="loop.time() + seconds",
        )
    asked = [round(wait, 2) for wait in outcome.waits]
    if asked != list(DELAYS[: len(asked)]):
        given = ", ".join(f"{delay:g}" for delay in DELAYS[: len(asked)])
        raise Wrong(
            "wrong_delay",
            f"the check's delayed(...) calls, given {given} s, asked the loop for timers of "
            f"{', '.join(f'{wait:g}' for wait in asked)} s: pass `seconds` itself to "
            "`loop.call_later(seconds, ...)`, once per future.",
        )


def _judge_returned(returned: Any, call: str) -> None:
    if isinstance(returned, asyncio.Task):
        raise Wrong(
            "used_a_task",
            f"{call} returned a Task. A task is a future, so it works, but this exercise "
            "builds the future itself: `loop.create_future()`, completed by "
            "`loop.call_later(seconds, ...)`.",
            suggests="create_future()",
        )
    if isinstance(returned, concurrent.futures.Future):
        raise Wrong(
            "wrong_kind_of_future",
            f"{call} returned a concurrent.futures.Future, which cannot be awaited. Ask the "
            "event loop for one: `asyncio.get_running_loop().create_future()`.",
            suggests="create_future()",
        )
    if not isinstance(returned, asyncio.Future):
        raise Wrong(
            "no_future_returned",
            f"{call} returned {returned!r}. Return the future you created, so the caller "
            "can await it.",
            suggests="return future",
        )


def _judge_completions(
    report: _Report, outcome: Outcome, thread_errors: ThreadErrors, call: str
) -> None:
    """How each future was completed, and what went wrong around it."""
    book = report.book
    other_threads = book.completed_from_other_threads()
    if other_threads or report.touched_from_threads:
        thread = other_threads[0].thread_name if other_threads else "another thread"
        raise Wrong(
            "not_threadsafe",
            f"{call}'s future was completed from {thread} (a threading.Timer?), not by the "
            "loop: a future may only be touched from its loop's thread, and the loop, "
            "asleep, is not even woken to resume the waiter. Let the loop's own timer do "
            "it: `loop.call_later(seconds, future.set_result, value)`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    if book.completed_in_tasks():
        raise Wrong(
            "completed_by_a_task",
            f"{call}'s future was completed by a task that awaited asyncio.sleep. It "
            "works, but the task keeps running when the caller gives up, and this "
            "exercise builds on the loop's timers alone: `timer = loop.call_later(seconds, "
            "future.set_result, value)`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    if report.elapsed < DELAYS[0] - EARLY_ALLOWANCE:
        raise Wrong(
            "no_delay",
            f"awaiting {call} took {report.elapsed:.2f} s: the future was completed at once "
            "(`loop.call_soon`?), not 0.2 s later. `loop.call_later(seconds, "
            "future.set_result, value)` completes it after `seconds`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    if not outcome.waits:
        raise Wrong(
            "used_a_thread",
            f"{call}'s future was completed 0.2 s later, but without any timer of the "
            "loop: a thread waited and handed the result over. The loop can wait by "
            "itself, at no cost: `loop.call_later(seconds, future.set_result, value)`.",
            suggests="call_later(seconds, future.set_result, value)",
        )
    if any("TypeError" in error and "cancel" in error for error in outcome.loop_errors):
        raise Wrong(
            "callback_signature",
            f"when {call}'s future was done, its done-callback failed in the loop with "
            f"{_first(outcome.loop_errors, 'TypeError')}. add_done_callback calls the "
            "callback with the future as its argument, and `timer.cancel` takes none: "
            "`future.add_done_callback(lambda _: timer.cancel())`.",
            suggests="lambda _: timer.cancel()",
        )
    late = book.too_late() or [e for _, e in thread_errors.raised if "InvalidState" in repr(e)]
    if late or loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            "a future from delayed(0.2, ...) was cancelled after 0.1 s; at 0.2 s its timer "
            "still called set_result, and the loop reported InvalidStateError. Cancel the "
            "timer when the future is cancelled (`future.add_done_callback(lambda _: "
            "timer.cancel())`), or complete it only `if not future.done()`.",
            suggests="timer.cancel()",
        )


def _first(errors: list[str], name: str) -> str:
    """The first error the loop reported of the kind ``name``, as ``"TypeError: ..."``."""
    found = next((error for error in errors if name in error), "")
    return found[found.find(name) :]


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
