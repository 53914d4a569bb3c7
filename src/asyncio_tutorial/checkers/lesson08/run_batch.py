"""Exercise 5, ``run_batch``: every outcome of a batch, and no exception left unread.

``run_job`` is the workbook's pretend job.  While a check runs it notes the task that
runs each job (when the answer gave it one), how many jobs ran at once, and when each
ended.  Once the answer has ended, the scenario lets the jobs still running finish by
themselves, lets go of every task and collects the garbage: a task whose exception
nobody retrieved is then reported by the loop, "Task exception was never retrieved",
exactly as it would be in a real program, and the checker reads that report.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    raised,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson08.common import Ends, judge_not_late
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, returned_future

JOBS: dict[str, tuple[float, type[Exception] | None]] = {
    "resize": (0.3, None),
    "index": (0.2, None),
    "upload": (0.1, ConnectionError),  # the server hung up
    "scan": (0.2, ValueError),  # a file it cannot read
    "backup": (0.1, PermissionError),  # a folder it may not write
}
"""How ``run_job(job)`` behaves for each job: how long it takes, and what it raises."""

_MESSAGES = {
    ConnectionError: "connection reset",
    ValueError: "unreadable file",
    PermissionError: "permission denied",
}

_jobs = Concurrency()
_tasks: dict[str, asyncio.Task[Any]] = {}  # the task that ran each job, if it had one
_scenario_task: list[asyncio.Task[Any] | None] = [None]
_ends = Ends()


async def run_job(job: str) -> str:
    """Pretend to run a batch job; return ``"resize: done"``.

    ``"resize"`` takes 0.3 s and ``"index"`` 0.2 s.  ``"upload"`` raises
    ``ConnectionError`` after 0.1 s, ``"scan"`` ``ValueError`` after 0.2 s and
    ``"backup"`` ``PermissionError`` after 0.1 s.
    """
    delay, error = JOBS.get(job, (0.2, None))
    if asyncio.current_task() is not _scenario_task[0]:
        _tasks[job] = asyncio.current_task()  # type: ignore[assignment]
    async with _jobs.track():
        try:
            await asyncio.sleep(delay)
        finally:
            _ends.work_ended()
    if error is not None:
        raise error(f"{job}: {_MESSAGES[error]}")
    return f"{job}: done"


def expected_outcome(job: str) -> str | BaseException:
    """What ``run_job(job)`` gives: its text, or the exception it raises."""
    error = JOBS[job][1]
    return f"{job}: done" if error is None else error(f"{job}: {_MESSAGES[error]}")


@dataclass
class _Batch:
    """How the answer ended, and the jobs still running at that moment."""

    value: Any = None
    error: Exception | None = None
    running: list[str] = field(default_factory=list)
    elapsed: float = 0.0


async def _batch(run_batch: Any, jobs: list[str], batch: _Batch) -> Any:
    """Await the answer; then let the jobs end, drop every task and collect the garbage,
    so that the loop reports any exception nobody retrieved."""
    _scenario_task[0] = asyncio.current_task()
    started = time.perf_counter()
    try:
        batch.value = await run_batch(list(jobs))
    except NotImplementedError:
        raise  # the untouched stub: the runner reports it as not attempted
    except Exception as error:  # judged by the checker; a cancellation goes on
        batch.error = error
    finally:
        _ends.answer_returned()
        batch.elapsed = time.perf_counter() - started
    await asyncio.sleep(0)  # tasks the answer created just before returning start now
    batch.running = sorted(job for job, task in _tasks.items() if not task.done())
    left = [task for task in _tasks.values() if not task.done()]
    if left:
        await asyncio.wait(left, timeout=1.0)  # let them end by themselves
    del left
    _tasks.clear()
    _forget_frames(batch.error)
    gc.collect()  # a task nobody refers to any more is reported now, if unread
    return batch.value  # for the runner to find coroutines in it (a forgotten await)


def _forget_frames(error: BaseException | None) -> None:
    """Drop the answer's variables (its list of tasks) kept by ``error``'s traceback."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None:
            try:
                tb.tb_frame.clear()
            except RuntimeError:  # a frame still running (the checker's own)
                pass
            tb = tb.tb_next
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                _forget_frames(inner)
        error = error.__context__


def _run(run_batch: Any, jobs: list[str]) -> tuple[Outcome, _Batch]:
    _jobs.reset()
    _tasks.clear()
    _ends.clear()
    batch = _Batch()
    try:
        outcome = run_coroutine(partial(_batch, run_batch, jobs, batch))
    finally:
        _tasks.clear()
        _scenario_task[0] = None
    return outcome, batch


CASES = [
    ["resize", "upload", "scan", "backup", "index"],
    ["scan", "index", "upload"],
]


def check_run_batch(run_batch: Any) -> Result:
    """``run_batch(jobs)``: every job's result or exception, in order, none left unread."""
    expect_coroutine_function(run_batch)
    first = _judge_batch(run_batch, CASES[0])
    _judge_batch(run_batch, CASES[1])
    failed = sum(isinstance(each, BaseException) for each in first.value)
    return correct(
        f"run_batch({CASES[0]!r}) ran the 5 jobs at once and returned after "
        f"{took(first.elapsed)}, when the slowest had ended: the {5 - failed} results "
        f"and the {failed} exceptions, each in its job's place; {CASES[1]!r} the same way. "
        "No exception was left unretrieved: the loop reported none."
    )


def _judge_batch(run_batch: Any, jobs: list[str]) -> _Batch:
    call = f"run_batch({jobs!r})"
    outcome, batch = _run(run_batch, jobs)
    outcome.error = outcome.error or batch.error
    if outcome.timed_out or outcome.blocked or outcome.returned_coroutines:
        common_mistakes(outcome, call)
    if batch.error is None:
        returned_future(batch.value, call)
    if batch.running and batch.error is None:
        raise Wrong(
            "left_running",
            f"{call} returned while {batch.running} were still running: it stopped "
            "waiting before every job had ended, so their outcomes are missing. Wait for "
            "every job: `gather(..., return_exceptions=True)` does, and keeps each outcome.",
            suggests="return_exceptions=True",
        )
    _judge_never_retrieved(outcome, batch, call)
    _judge_error(outcome, batch, jobs, call)
    common_mistakes(outcome, call)
    if 0 < _jobs.peak < len(jobs):
        raise Wrong(
            "sequential",
            f"{call} ran the jobs {_jobs.describe(len(jobs))}, so the batch took "
            f"{seconds(batch.elapsed)}. Start them all at once: `await asyncio.gather(..., "
            "return_exceptions=True)` runs them together and keeps every outcome.",
            suggests="asyncio.gather",
        )
    _judge_value(batch.value, jobs, call, _source(run_batch))
    judge_not_late(_ends, call, "the last job")
    return batch


def _judge_never_retrieved(outcome: Outcome, batch: _Batch, call: str) -> None:
    """The loop reported a task whose exception nobody retrieved."""
    reports = [report for report in outcome.loop_errors if "never retrieved" in report]
    if not reports:
        return
    lost = [report.partition("retrieved: ")[2] or report for report in reports]
    ended = f"raised {error_text(batch.error)}" if batch.error else "returned"
    tasks = (
        "1 failed task whose exception"
        if len(reports) == 1
        else (f"{len(reports)} failed tasks whose exceptions")
    )
    raise Wrong(
        "never_retrieved",
        f"{call} {ended}, and left {tasks} nobody ever retrieved ({'; '.join(lost)}): "
        "when they were thrown away, the loop "
        'reported "Task exception was never retrieved". Every task needs someone who '
        "awaits it: `await asyncio.gather(..., return_exceptions=True)` waits for them "
        "all and retrieves every exception.",
        suggests="return_exceptions=True",
    )


def _judge_error(outcome: Outcome, batch: _Batch, jobs: list[str], call: str) -> None:
    """An exception came out of the answer: which way it got out."""
    error = batch.error
    if error is None:
        return
    common_mistakes(outcome, call, expected_error=Exception)
    if isinstance(error, BaseExceptionGroup):
        raise Wrong(
            "task_group",
            f"{call} raised {error!r}: a TaskGroup stops at the first failure, cancels "
            "the other jobs and raises the errors in a group. Here every job must run to "
            "its end, failures or not: `asyncio.gather(..., return_exceptions=True)`.",
            suggests="return_exceptions=True",
        )
    if not any(isinstance(error, kind) for kind in _MESSAGES):
        raise raised(error, call)
    if _jobs.peak <= 1:
        raise Wrong(
            "sequential",
            f"{call} ran the jobs one after another and raised {error_text(error)} at "
            f"the first failure: only {_jobs.total} of the {len(jobs)} jobs ever ran. "
            "Start them all at once, and keep every outcome: `await asyncio.gather(..., "
            "return_exceptions=True)`.",
            suggests="return_exceptions=True",
        )
    if batch.running:
        raise Wrong(
            "first_error_only",
            f"{call} raised {error_text(error)} as soon as the first job failed, while "
            f"{batch.running} were still running: their outcomes are lost (plain "
            "`gather` does that). With `return_exceptions=True`, gather waits for every "
            "job and returns every outcome instead of raising.",
            suggests="return_exceptions=True",
        )
    raise Wrong(
        "raised_an_error",
        f"{call} waited for every job, then raised {error_text(error)}. Raise nothing: "
        "return the exceptions in the list, each in its job's place, for the caller to "
        "log or retry.",
    )


def _source(function: Any) -> str:
    """The answer's source ("" where there is none to read)."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _key(each: Any) -> Any:
    """An outcome, comparable: the text, or the exception's type and message."""
    if isinstance(each, BaseException):
        return (type(each).__name__, str(each))
    return ("", repr(each))


def _judge_value(value: Any, jobs: list[str], call: str, source: str) -> None:
    expected = [expected_outcome(job) for job in jobs]
    if not isinstance(value, (list, tuple)):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a list with one item per job, in the "
            "order of `jobs`: what the job returned, or the exception it raised.",
        )
    items = list(value)
    errors = sum(isinstance(each, BaseException) for each in expected)
    if any(
        isinstance(each, str) and any(word in each for word in _MESSAGES.values()) for each in items
    ):
        raise Wrong(
            "wrong_type",
            f"{call} returned the errors as text, {items!r}: keep the exception objects "
            "themselves, which a caller can re-raise, log with their traceback, or test "
            "with isinstance().",
        )
    if sum(isinstance(each, BaseException) for each in items) < errors:
        raise Wrong(
            "dropped_errors",
            f"{call} returned {items!r}: {errors} jobs failed, and their exceptions are "
            "missing. Keep every outcome, exceptions included, each in its job's place: "
            + (
                "the list gather returns with `return_exceptions=True` has them all, "
                "return it as it is."
                if "return_exceptions" in source
                else "`return_exceptions=True` does."
            ),
            suggests=() if "return_exceptions" in source else "return_exceptions=True",
        )
    if [_key(each) for each in items] == [_key(each) for each in expected]:
        return
    if sorted(map(_key, items)) == sorted(map(_key, expected)):
        raise Wrong(
            "out_of_order",
            f"{call} returned every outcome, but in the order the jobs ended, not the "
            f"order of `jobs`: {items!r}. gather returns them in the order of its "
            "arguments, whenever each one ends.",
            suggests="asyncio.gather",
        )
    raise Wrong(
        "wrong_value",
        f"{call} returned {items!r}; the jobs give {expected!r}, in that order.",
    )


ex5 = Exercise(
    title="Every outcome of a batch",
    answer="run_batch",
    checker=check_run_batch,
    hints=[
        "`asyncio.gather` runs every job at once and returns their results in the order "
        "of its arguments.",
        "Plain gather raises the first error; with `return_exceptions=True` it waits for "
        "every job and puts each exception in the list, in its job's place.",
        "`return await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)`.",
    ],
)
