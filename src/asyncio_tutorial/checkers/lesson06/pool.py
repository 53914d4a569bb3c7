"""Lesson 06, exercise 3: a pool of workers over a queue, that stops.

The ``handle`` the check gives the answer notes how often each job was handled, how
many at once, which task handled which, and which jobs were cancelled half-way.  Job 0
takes 0.3 s where the others take 0.1 s: with a queue, the other workers go on with
the rest while one is busy with it; with the jobs shared out in advance, the worker
that got job 0 still has its share to do when the others have finished.

At the moment ``process_all`` returns, the check notes every task it started that is
still running (a worker cancelled but not waited for is still running then); if it
never returns, the check gives up after 1.5 s and asks each task where it waits: in
``Queue.join`` (no ``task_done``), in ``Queue.get`` (workers never told to stop), or
still running after being cancelled (the cancellation was caught).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import traceback
from dataclasses import dataclass, field, replace
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
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, suspended_in, where_waiting
from asyncio_tutorial.checkers.scenario import Concurrency, Ending, names_used, watch

JOBS = 8
WORKERS = 3
JOB = 0.1  # seconds a job takes
SLOW_JOB = 0.3  # seconds job 0 takes
EXPECTED = 0.4  # job 0 on one worker, the other seven on the other two
GIVE_UP = 1.5  # seconds the scenario waits for process_all
SLACK = 0.25  # how much later than planned an answer with waits of its own may finish


@dataclass
class _Jobs:
    """What happened to the jobs: the ``handle`` the answer is given, and its notes."""

    handled: dict[int, int] = field(default_factory=dict)
    """How many times each job was handled (started)."""
    by_task: dict[Any, list[int]] = field(default_factory=dict)
    """The jobs each task handled."""
    cancelled: list[int] = field(default_factory=list)
    """Jobs cancelled while being handled."""
    traffic: Concurrency = field(default_factory=Concurrency)

    async def handle(self, job: int) -> int:
        """The ``handle`` the answer is given: 0.1 s of waiting (job 0: 0.3 s), then
        ``job * 10``."""
        if not isinstance(job, int) or not 0 <= job < JOBS:
            raise TypeError(f"handle() was given {job!r}, which is not one of the jobs")
        self.handled[job] = self.handled.get(job, 0) + 1
        self.by_task.setdefault(asyncio.current_task(), []).append(job)
        async with self.traffic.track():
            try:
                await asyncio.sleep(SLOW_JOB if job == 0 else JOB)
            except asyncio.CancelledError:
                self.cancelled.append(job)
                raise
        return job * 10


@dataclass
class _Report:
    """What the scenario saw of the answer's tasks."""

    task: Any = None
    """The task that ran process_all."""
    cancelled_at_return: list[str] = field(default_factory=list)
    """Tasks it cancelled and returned without waiting for: still running then."""
    running_at_return: list[str] = field(default_factory=list)
    stuck_in: list[str] = field(default_factory=list)
    """The coroutines process_all was suspended in when the scenario gave up on it."""
    waits_in: str = ""
    """What it was waiting for then: ``asyncio.gather``, ``asyncio.Queue.join``."""
    still_running: list[str] = field(default_factory=list)
    """The other tasks then, and where each waited."""
    swallowed: list[str] = field(default_factory=list)
    """Tasks cancelled, yet still running after that: they caught the cancellation."""
    worker_errors: list[BaseException] = field(default_factory=list)
    """What the answer's other tasks (its workers) raised, if anything."""


def _describe(tasks: list[asyncio.Task[Any]]) -> list[str]:
    """``["worker (3 of them, in asyncio.Queue.get)"]``: each kind of task, how many, and
    where it waits."""
    kinds: dict[tuple[str, str], int] = {}
    for task in tasks:
        name = getattr(task.get_coro(), "__qualname__", task.get_name())
        name = name.rpartition("<locals>.")[2]
        place = where_waiting(task)
        kind = (name, place if place != name else "")
        kinds[kind] = kinds.get(kind, 0) + 1
    described = []
    for (name, place), count in kinds.items():
        details = [f"{count} of them" if count > 1 else "", f"in {place}" if place else ""]
        detail = ", ".join(part for part in details if part)
        described.append(f"{name} ({detail})" if detail else name)
    return described


_kept_aside: list[asyncio.Task[Any]] = []
"""Tasks that caught every cancellation, kept here for good.  Such a task cannot be
stopped: closing its coroutine (which Python does when it collects the task) throws an
exception into it that it catches too, and it goes on for ever, inside the garbage
collector.  Kept, it is never collected, and the kernel stays usable."""


def _scenario(process_all: Any, jobs: _Jobs, report: _Report) -> tuple[Outcome, Ending]:
    """Run ``process_all(range(8), handle, 3)``, noting the tasks still running when it
    returns, or where everything waits if it has not returned after ``GIVE_UP`` s; then
    stop whatever it left running."""
    before: set[asyncio.Task[Any]] = set()
    ending = Ending()

    def others() -> list[asyncio.Task[Any]]:
        return [
            task
            for task in asyncio.all_tasks() - before
            if task is not report.task and not task.done()
        ]

    async def run() -> Any:
        report.task = asyncio.current_task()
        value = await process_all(list(range(JOBS)), jobs.handle, WORKERS)
        running = others()
        report.cancelled_at_return = _describe([t for t in running if t.cancelling()])
        report.running_at_return = _describe([t for t in running if not t.cancelling()])
        return value

    created: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """Note every task made on this loop (gather and TaskGroup make theirs here too)."""
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    async def stop_what_is_left() -> None:
        """Note where everything waits if process_all never returned; stop what runs."""
        running = others()
        if report.task is not None and not report.task.done():
            report.stuck_in = suspended_in(report.task)
            report.waits_in = where_waiting(report.task)
            report.still_running = _describe(running)
            report.swallowed = _describe([t for t in running if t.cancelling()])
            running.append(report.task)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=0.2)
        _kept_aside.extend(task for task in running if not task.done())
        for task in created:
            if task is not report.task and task.done() and not task.cancelled():
                if task.exception() is not None:
                    report.worker_errors.append(task.exception())
        for error in report.worker_errors:
            _clear_frames(error)

    async def scenario() -> None:
        before.update(asyncio.all_tasks())
        asyncio.get_running_loop().set_task_factory(factory)
        try:
            await watch(run, ending, give_up_after=GIVE_UP)
            await stop_what_is_left()
        finally:
            # What the answer left in its frames (a coroutine never awaited, say) must be
            # thrown away now, while its warnings are noted, not after the check.
            created.clear()
            report.task = None
            _clear_frames(ending.error)

    outcome = run_coroutine(scenario)
    outcome.returned_coroutines.extend(ending.returned_coroutines)
    return outcome, ending


def _clear_frames(error: BaseException | None) -> None:
    """Drop the local variables held by an error's traceback (and the errors behind it),
    and close the coroutine an ``AttributeError: 'coroutine' object ...`` keeps."""
    kept = getattr(error, "obj", None)
    if inspect.iscoroutine(kept):
        kept.close()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__context__


def check_process_all(process_all: Any) -> Result:
    """``process_all(jobs, handle, workers)``: every job once, ``workers`` at a time, from
    a queue, and no worker left running."""
    expect_coroutine_function(process_all)
    jobs, report = _Jobs(), _Report()
    call = "process_all(range(8), handle, workers=3)"
    outcome, ending = _scenario(process_all, jobs, report)
    _needs_a_newer_python(ending.error, call)
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    if outcome.timed_out:
        raise hang(outcome, call)
    # What process_all (or one of its workers) raised is judged with the other classic
    # mistakes; tasks left running are judged below, by what they were doing.
    if ending.error is None and report.worker_errors:
        error, who = report.worker_errors[0], f"a worker task of {call}"
    else:
        error, who = ending.error, call
    common_mistakes(replace(outcome, error=error, left_running=[], left_waiting={}), who)
    if ending.cancelled:
        raise Wrong(
            "ended_cancelled",
            f"{call} ended cancelled, though nothing cancelled it: the CancelledError of a "
            "worker it had cancelled reached it (awaiting a cancelled task raises "
            "CancelledError). Wait for cancelled workers with "
            "`await asyncio.gather(*tasks, return_exceptions=True)`, which collects their "
            "CancelledError instead of raising it.",
            suggests="return_exceptions=True",
        )
    lost = sorted(set(range(JOBS)) - set(jobs.handled))
    if not ending.finished:
        _never_finished(call, report, jobs, lost)
    _judge_stopping(call, report, outcome)
    _judge_jobs(process_all, call, jobs, lost, outcome)
    _judge_pool_result(call, jobs, ending, outcome)
    return correct(
        f"{call} handled each of the {JOBS} jobs exactly once, {jobs.traffic.peak} at a "
        "time (counted by handle); while one worker was busy with job 0 "
        f"({SLOW_JOB:g} s), the others went on with the rest; it returned every result "
        f"after {took(ending.elapsed)} and left no worker running."
    )


def _needs_a_newer_python(error: BaseException | None, call: str) -> None:
    """``queue.shutdown()`` is one of the lesson's ways, from Python 3.13 on."""
    if (
        sys.version_info < (3, 13)
        and isinstance(error, AttributeError)
        and ("shutdown" in str(error) or "QueueShutDown" in str(error))
    ):
        raise Wrong(
            "shutdown_needs_3_13",
            f"{call} raised {error_text(error)}. `queue.shutdown()` and "
            "`asyncio.QueueShutDown` are new in Python 3.13, and this kernel runs Python "
            f"{sys.version_info.major}.{sys.version_info.minor}. Stop the workers one of "
            "the other two ways: one sentinel per worker, or cancel them once "
            "`await queue.join()` returns.",
        )


def _never_finished(call: str, report: _Report, jobs: _Jobs, lost: list[int]) -> None:
    """It never returned: say where it waited, and what for."""
    if report.swallowed:
        raise Wrong(
            "swallowed_cancel",
            f"{call} never returned: it cancelled its workers, but "
            f"{', '.join(report.swallowed)} caught the cancellation and went on. A bare "
            "`except:` or `except BaseException:` around `await queue.get()` catches "
            "CancelledError too: catch only the errors you mean (`except Exception:`), or "
            "let CancelledError through (`raise`). (Those workers could not be stopped: "
            "they are kept aside, where they do no harm, until the kernel restarts.)",
        )
    if "Queue.join" in report.stuck_in and not lost:
        raise Wrong(
            "join_without_task_done",
            f"{call} never returned: every job was handled, but it still waits in "
            "`queue.join()`. join() waits until `queue.task_done()` has been called once "
            "for every item put; call it in each worker after handling a job (in a "
            "`finally:`, so a failed job counts too).",
            suggests="task_done()",
        )
    waiting = f", while {', '.join(report.still_running)} wait" if report.still_running else ""
    if lost:
        raise Wrong(
            "items_lost",
            f"{call} never returned, and jobs {lost} were never handled{waiting}. Were "
            "they all put in the queue, and is there a worker left to take them?",
        )
    raise Wrong(
        "workers_never_stop",
        f"{call} handled every job but never returned: it waits in "
        f"{report.waits_in or 'process_all'}{waiting}. Workers that "
        "loop on `await queue.get()` wait for ever once the queue is empty: tell them to "
        "stop, with one sentinel per worker, or cancel them after `await queue.join()`, "
        "or `queue.shutdown()` (3.13+).",
    )


def _judge_stopping(call: str, report: _Report, outcome: Outcome) -> None:
    """When process_all returned, was every task it started finished?"""
    if report.cancelled_at_return:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call} cancelled its workers, then returned without waiting for them: "
            f"{', '.join(report.cancelled_at_return)} were still running when it returned "
            "(a cancellation only takes effect at the worker's next turn). Wait for them "
            "after cancelling: `await asyncio.gather(*tasks, return_exceptions=True)`.",
        )
    if report.running_at_return or outcome.left_running:
        left = ", ".join(report.running_at_return) or outcome.describe_left()
        raise Wrong(
            "workers_never_stop",
            f"{call} returned while tasks it started were still running: {left} (they "
            "have been cancelled now). Stop the workers before returning: cancel them "
            "once `await queue.join()` returns, and wait for them, or send one sentinel "
            "per worker.",
        )


def _judge_jobs(
    process_all: Any, call: str, jobs: _Jobs, lost: list[int], outcome: Outcome
) -> None:
    """Each job handled once, none cancelled half-way, none left out."""
    twice = sorted(job for job, count in jobs.handled.items() if count > 1)
    if twice:
        raise Wrong(
            "processed_twice",
            f"{call} handled jobs {twice} more than once. Each job must go to exactly one "
            "worker: put every job in the queue once, and let each worker take jobs with "
            "`await queue.get()` (no worker should go over the whole list).",
        )
    if jobs.cancelled and "join" in names_used(process_all):
        raise Wrong(
            "task_done_too_early",
            f"{call} stopped its workers while jobs {sorted(jobs.cancelled)} were still "
            "being handled (cancelled half-way): `queue.join()` returned too soon, because "
            "task_done() was called before the job was done. join() returns once "
            "task_done() has been called for every job: call it after "
            "`await handle(job)`, in a `finally:`.",
        )
    if jobs.cancelled:
        guess = [wait for wait in outcome.waits if wait >= 0.05]
        waited = f" after waiting {guess[0]:g} s, a guess," if guess else ""
        raise Wrong(
            "cancelled_mid_job",
            f"{call} stopped its workers{waited} while jobs {sorted(jobs.cancelled)} were "
            f"still being handled (cancelled half-way), and jobs {lost} never started. "
            "Stop them only once every job is done: `await queue.join()` returns exactly "
            "then (with `queue.task_done()` after each job).",
            suggests="await queue.join()",
        )
    if lost:
        raise Wrong(
            "items_lost",
            f"{call} returned, but jobs {lost} were never handled. Wait until the queue "
            "is worked off before stopping the workers: `await queue.join()` (with "
            "`queue.task_done()` after each job), or sentinels queued after the jobs.",
        )


def _judge_pool_result(call: str, jobs: _Jobs, ending: Ending, outcome: Outcome) -> None:
    """What it returned, how many jobs were handled at once, by whom, and how long it took."""
    expected = {job: job * 10 for job in range(JOBS)}
    if ending.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {ending.value!r}; it should return a dict of each job's "
            f"result, {{job: await handle(job)}}: {expected!r}.",
        )
    if jobs.traffic.peak > WORKERS:
        raise Wrong(
            "too_many_at_once",
            f"{call}: {jobs.traffic.peak} jobs were handled at once, more than the "
            f"{WORKERS} workers. Only the workers should call handle, each one job at a time.",
        )
    if jobs.traffic.peak < WORKERS:
        raise Wrong(
            "too_few_workers",
            f"{call}: never more than {jobs.traffic.peak} job(s) at once, so {WORKERS} "
            "workers were not working side by side. Start all `workers` worker tasks "
            "before waiting for any of them.",
        )
    slow_worker = next((done for done in jobs.by_task.values() if 0 in done), [])
    if len(slow_worker) >= 3:
        raise Wrong(
            "static_split",
            f"{call}: the jobs were shared out among the workers in advance: the worker "
            f"that got job 0 ({SLOW_JOB:g} s) still had jobs {slow_worker[1:]} to do after "
            "it, while the others had finished theirs. Put the jobs in one "
            "`asyncio.Queue` and let each worker take the next one when it is free: "
            "`job = await queue.get()`.",
            suggests="await queue.get()",
        )
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    if len(polls) >= 3:
        raise Wrong(
            "polling",
            f"{call} waited for the work by polling: {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})). `await queue.join()` wakes exactly when the "
            "last job is done, with no polling (each worker calls `queue.task_done()` "
            "after a job).",
            suggests="await queue.join()",
        )
    if outcome.waits:
        judge_duration(ending.elapsed, EXPECTED, call, tolerance=SLACK)


ex3 = Exercise(
    title="A pool of workers that stops",
    answer="process_all",
    checker=check_process_all,
    hints=[
        "Put every job in an `asyncio.Queue`, then start `workers` tasks that each loop: "
        "`job = await queue.get()`, `results[job] = await handle(job)`, "
        "`queue.task_done()`.",
        "`await queue.join()` returns once task_done() was called for every job: then "
        "the work is done, but the workers are still waiting in get().",
        "Stop them: `task.cancel()` for each worker, then "
        "`await asyncio.gather(*tasks, return_exceptions=True)`; or put one `None` per "
        "worker after the jobs and let a worker return when it gets one.",
    ],
)
