"""Exercise 3: ``run_job(job)`` awaits a job whose callback comes from another thread.

The check awaits two jobs together.  Each job's thread notes, half-way through its
work, what the loop's thread is doing (:mod:`..lesson02.held`): asleep in ``select()``
as it should be, or held in ``Future.result()`` or ``Event.wait()``.  Futures made on
the loop note who completed them (:mod:`.watching`), and :class:`~.scenario.LoopThreadGuard`
notes anything scheduled on the loop from another thread: a result handed over without
``call_soon_threadsafe`` is seen for what it is, even when a busy loop makes it work.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers import held
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function, took
from asyncio_tutorial.checkers.lesson04.watching import FutureBook, watched_futures
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import LoopThreadGuard, returned_future

JOB_SECONDS = 0.4


@dataclass
class _Jobs:
    """What happened around the jobs of one check."""

    callback_errors: list[BaseException] = field(default_factory=list)
    """What the learner's callbacks raised in the jobs' threads."""
    loop: held.LoopWatch = field(default_factory=held.LoopWatch)
    """What the loop's thread was doing while the jobs worked."""
    book: FutureBook = field(default_factory=FutureBook)
    touched_from_threads: list[str] = field(default_factory=list)


_jobs = _Jobs()
"""The check running now (a job's thread keeps the one it started in, if it outlives it)."""


def start_job(job: str, callback: Callable[[str], Any]) -> None:
    """A threaded library: runs ``job`` on a thread of its own for 0.4 s, then calls
    ``callback(result)`` *from that thread*, with ``result`` like ``"backup: done"``."""
    jobs = _jobs

    def work() -> None:
        time.sleep(JOB_SECONDS / 2)
        jobs.loop.look()  # half-way: is the loop free, or held waiting for this job?
        time.sleep(JOB_SECONDS / 2)
        try:
            callback(f"{job}: done")
        except BaseException as error:  # the learner's callback failed in this thread
            jobs.callback_errors.append(error)

    threading.Thread(target=work, name=f"job {job}", daemon=True).start()


async def _run_job_scenario(run_job: Any, jobs: _Jobs) -> list[Any]:
    loop = asyncio.get_running_loop()
    jobs.loop.loop_thread = threading.get_ident()
    with watched_futures(loop) as jobs.book, LoopThreadGuard(loop) as guard:
        try:
            return await asyncio.gather(run_job("backup"), run_job("report"))
        finally:
            jobs.touched_from_threads = list(guard.calls)


def check_run_job(run_job: Any) -> Result:
    """``run_job(job)``: await a job whose callback comes from another thread."""
    global _jobs
    expect_coroutine_function(run_job)
    _jobs = jobs = _Jobs()
    call = "gather(run_job('backup'), run_job('report'))"
    outcome = run_coroutine(lambda: _run_job_scenario(run_job, jobs))
    _judge_callback_errors(outcome, jobs)
    _judge_held_loop(outcome, jobs, call)
    common_mistakes(outcome, call)
    outcome.value = (outcome.value or [None])[0]
    returned_future(outcome.value, "run_job('backup')")
    _judge_threads(outcome, jobs)
    _judge_waits(outcome, call)
    if outcome.value != "backup: done":
        raise Wrong(
            "wrong_value",
            f"run_job('backup') returned {outcome.value!r}, not the job's result, "
            "'backup: done': return what the future gives, `return await future`.",
            suggests="return await future",
        )
    on_loop = all(done.on_loop_thread for f in jobs.book.futures for done in f.completions)
    where = "on the loop's own thread, " if jobs.book.futures and on_loop else ""
    return correct(
        f"{call} returned ['backup: done', 'report: done'] after {took(outcome.elapsed)}: "
        f"each job's result was handed to the loop and set {where}and nothing touched the "
        "loop from the jobs' threads directly."
    )


def _judge_callback_errors(outcome: Outcome, jobs: _Jobs) -> None:
    # Only a failed look-up of the loop: a callback that runs after an answer returned
    # too early (its future unawaited) meets a closed loop instead, which is judged below.
    errors = jobs.callback_errors
    lookups = [e for e in errors if "no running" in str(e) or "no current" in str(e)]
    if lookups and (outcome.timed_out or outcome.error is None):
        error = lookups[0]
        raise Wrong(
            "loop_looked_up_in_thread",
            f"the callback raised {type(error).__name__}: {error} in the job's thread. "
            "There is no running loop in that thread: get the loop in run_job, before "
            "starting the job (`loop = asyncio.get_running_loop()`), and use that one.",
        )


_HELD = {
    held.FUTURE_RESULT: ("blocked_on_result", "`.result()` of a concurrent future"),
    held.EVENT_WAIT: ("blocked_on_event", "`threading.Event.wait()`"),
    held.THREAD_JOIN: ("blocked_on_join", "`Thread.join()`"),
    held.LEAVING_WITH: ("blocked_leaving_with", "the end of a `with ThreadPoolExecutor()` block"),
    held.SHUTDOWN: ("blocked_on_shutdown", "`Executor.shutdown()`"),
}


def _judge_held_loop(outcome: Outcome, jobs: _Jobs, call: str) -> None:
    """The loop's thread waited for a job in a blocking call."""
    holder = jobs.loop.held_by()
    if holder is None:
        return
    mistake, how = _HELD[holder]
    raise Wrong(
        mistake,
        f"{call}: while the jobs worked, the loop's own thread waited in {how}, which "
        "blocks the thread that calls it: the loop could run nothing else, and the jobs "
        "ran one after another. Await an asyncio future instead, completed from the job's "
        "thread with `loop.call_soon_threadsafe(future.set_result, result)` (or "
        "`asyncio.wrap_future`).",
        suggests="call_soon_threadsafe(future.set_result, result)",
    )


def _judge_threads(outcome: Outcome, jobs: _Jobs) -> None:
    """Who completed the futures, and from which thread."""
    if any("not callable" in error for error in outcome.loop_errors):
        raise Wrong(
            "called_not_passed",
            "the job's thread called set_result itself: `call_soon_threadsafe("
            "future.set_result(result))` *calls* set_result right away, in the job's "
            "thread, and hands the loop its return value, None. Pass the method and its "
            "argument separately: `loop.call_soon_threadsafe(future.set_result, result)`.",
            suggests="call_soon_threadsafe(future.set_result, result)",
        )
    other_threads = jobs.book.completed_from_other_threads()
    if other_threads or jobs.touched_from_threads:
        what = (
            f"{other_threads[0].how} ran in the thread {other_threads[0].thread_name!r}"
            if other_threads
            else f"{jobs.touched_from_threads[0]} was scheduled from the job's thread"
        )
        raise Wrong(
            "not_threadsafe",
            f"the job's thread called into the event loop directly ({what}): futures and "
            "loop.call_soon are for the loop's own thread only. A busy loop hides it; a "
            "quiet one leaves the result waiting. From the callback, use "
            "`loop.call_soon_threadsafe(future.set_result, result)`.",
            suggests="call_soon_threadsafe(future.set_result, result)",
        )


def _judge_waits(outcome: Outcome, call: str) -> None:
    """Results looked for with asyncio.sleep, rather than awaited."""
    if len(outcome.waits) > 2 * 2:
        raise Wrong(
            "polled",
            f"{call} woke up {len(outcome.waits)} times (asyncio.sleep) to see whether the "
            "jobs had finished. Await a future that the callback completes, and the loop "
            "wakes you exactly when the result is there.",
            suggests="call_soon_threadsafe(future.set_result, result)",
        )
    if outcome.waits:
        waits = ", ".join(f"{wait:g}" for wait in outcome.waits)
        raise Wrong(
            "fixed_wait",
            f"{call} waited a fixed time ({waits} s, asyncio.sleep) and then looked for "
            "the result: too short, and it is not there yet; too long, and time is lost. "
            "Await a future that the callback completes, "
            "`loop.call_soon_threadsafe(future.set_result, result)`.",
            suggests="call_soon_threadsafe(future.set_result, result)",
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
