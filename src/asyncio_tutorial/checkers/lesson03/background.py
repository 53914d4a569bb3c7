"""Exercise 2, ``Background``: start tasks, keep them until they are done, wait for them.

One scenario, in three steps: ``start`` one task (is it returned, named, kept?), let it
finish (did it leave ``self.tasks`` by itself?), then start two more and ``await
wait_all()`` (did it wait for both, and only for them?).
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    error_text,
    expect_coroutine_function,
    expect_plain_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine

from .common import (
    SLACK,
    common_mistakes,
    describe_value,
    gather_given_one_collection,
    has_code,
    judge_waits,
)

LAST_JOB = 0.3  # seconds the longest task of step 3 takes: wait_all's right duration


@dataclass
class _BackgroundReport:
    """What the Background scenario saw."""

    returned: Any = None  # what start returned,
    name: str | None = None  # the name of that task,
    kept_in_tasks: bool = False  # it was in self.tasks right after start,
    finished_still_kept: bool = False  # it was still there after it had finished,
    waited: float = 0.0  # how long `await wait_all()` took,
    wait_all_value: Any = None  # what it returned,
    left_running: list[str] = field(default_factory=list)  # what it did not wait for,
    cancelled: list[str] = field(default_factory=list)  # and what ended cancelled.


async def _job(duration: float) -> str:
    await asyncio.sleep(duration)
    return "sent"


async def _background_scenario(cls: Any, report: _BackgroundReport) -> None:
    background = cls()

    # 1. start() returns the task, named, and keeps it.
    task = background.start(_job(0.1), name="email-1")
    report.returned = task
    if not isinstance(task, asyncio.Task):
        return
    report.name = task.get_name()
    tasks = getattr(background, "tasks", None)
    report.kept_in_tasks = tasks is not None and task in tasks

    # 2. A finished task is dropped from self.tasks.
    await asyncio.sleep(0.2)
    report.finished_still_kept = tasks is not None and task in tasks
    del task

    # 3. wait_all() returns once everything started has finished.
    first = background.start(_job(0.2), name="email-2")
    second = background.start(_job(LAST_JOB), name="email-3")
    started = asyncio.get_running_loop().time()
    report.wait_all_value = await background.wait_all()
    report.waited = asyncio.get_running_loop().time() - started
    report.left_running = [t.get_name() for t in (first, second) if not t.done()]
    report.cancelled = [t.get_name() for t in (first, second) if t.cancelled()]


def check_background(cls: Any) -> Result:
    """``Background.start`` keeps each task until it is done; ``wait_all`` awaits them."""
    if not inspect.isclass(cls):
        raise Wrong(
            "not_a_class",
            f"check needs the class Background itself, not a {type(cls).__name__}.",
        )
    start = getattr(cls, "start", None)
    wait_all = getattr(cls, "wait_all", None)
    if start is None or wait_all is None:
        raise Wrong("missing_method", "Background needs both methods, start and wait_all.")
    if inspect.iscoroutinefunction(start):
        raise Wrong(
            "start_is_async",
            "Background.start is defined with `async def`, so calling it only makes a "
            "coroutine and starts nothing. Make it a plain `def`: asyncio.create_task "
            "needs no await.",
        )
    expect_plain_function(start, "Background.start")
    expect_coroutine_function(wait_all, "Background.wait_all")
    report = _BackgroundReport()
    call = "Background's start and wait_all"
    outcome = run_coroutine(partial(_background_scenario, cls, report))
    error = outcome.error
    if isinstance(error, RuntimeError) and "changed size during iteration" in str(error):
        raise Wrong(
            "set_changed_size",
            f"{call} raised {error_text(error)}. Each task leaves self.tasks as it "
            "finishes, so the set changes while a loop goes over it. Wait for them all "
            "at once instead: `await asyncio.gather(*self.tasks)`.",
            suggests="gather(*self.tasks)",
        )
    if not (outcome.timed_out or outcome.blocked):
        gather_given_one_collection(error, "wait_all()")
    try:
        common_mistakes(outcome, call)
    except Wrong as problem:
        if problem.mistake == "tasks_left_running":
            _judge_background(cls, report, outcome)  # the scenario's report names it better
        raise
    _judge_background(cls, report, outcome)
    return correct(
        "start returned the task, named 'email-1', and kept it in self.tasks while it "
        "ran; once finished it had left the set by itself; and wait_all returned after "
        f"{took(report.waited)}, when the last of the two tasks it had to wait for "
        f"({seconds(LAST_JOB)}) was done."
    )


def _judge_background(cls: Any, report: _BackgroundReport, outcome: Outcome) -> None:
    """Raise the first mistake the scenario's report shows, if any."""
    if not isinstance(report.returned, asyncio.Task):
        raise Wrong(
            "start_returns_no_task",
            f"start(coro, name=...) returned {report.returned!r}. Create the task with "
            "`asyncio.create_task(coro, name=name)` and return it.",
            suggests="return task",
        )
    if report.name != "email-1":
        raise Wrong(
            "task_not_named",
            f"start(coro, name='email-1') returned a task named {report.name!r}. Pass the "
            "name on: `asyncio.create_task(coro, name=name)`.",
            suggests="name=name",
        )
    if not report.kept_in_tasks:
        if has_code(cls, ".add(task)"):
            raise Wrong(
                "reference_not_kept",
                "start added the task to self.tasks, but it was not there any more when "
                "start returned: something took it out at once. Only the task's done "
                "callback should take it out, when the task has finished: "
                "`task.add_done_callback(self.tasks.discard)`. The event loop holds tasks "
                "only weakly, and wait_all cannot wait for a task it does not know.",
            )
        raise Wrong(
            "reference_not_kept",
            "start did not keep the task in self.tasks. The event loop holds tasks only "
            "weakly, so a task nobody refers to can be garbage-collected half-way, and "
            "wait_all cannot wait for a task it does not know. Add each task to the "
            "set: `self.tasks.add(task)`.",
            suggests="self.tasks.add(task)",
        )
    if report.finished_still_kept:
        raise Wrong(
            "discard_missing",
            "a task that had finished was still in self.tasks: the set only grows, a "
            "memory leak in a long-running program. Let each task remove itself: "
            "`task.add_done_callback(self.tasks.discard)`.",
            suggests="add_done_callback(self.tasks.discard)",
        )
    _judge_wait_all(cls, report, outcome)


def _judge_wait_all(cls: Any, report: _BackgroundReport, outcome: Outcome) -> None:
    """wait_all waited for both tasks, by awaiting them, and no longer than they took."""
    value = report.wait_all_value
    if isinstance(value, asyncio.Future):
        raise Wrong(
            "forgot_await",
            f"wait_all() returned {describe_value(value)}, what gather returns, without "
            "awaiting it: nothing waited for the tasks. `await asyncio.gather(*self.tasks)` "
            "waits until every one is done.",
            suggests="await asyncio.gather",
        )
    if report.cancelled:
        raise Wrong(
            "cancelled_tasks",
            f"wait_all() cancelled {' and '.join(report.cancelled)} instead of waiting for "
            "them: the e-mails were cut off. wait_all runs before the program ends so that "
            "every task can finish; only wait: `await asyncio.gather(*self.tasks)`.",
        )
    judge_waits(
        outcome,
        "wait_all()",
        cls,
        "the tasks themselves: `await asyncio.gather(*self.tasks)`",
        "asyncio.gather",
    )
    if report.left_running or report.waited < LAST_JOB - EARLY_ALLOWANCE:
        raise Wrong(
            "wait_all_returned_early",
            f"wait_all() returned after {seconds(report.waited)}, while tasks it should "
            f"have waited for were still running (one needed {seconds(LAST_JOB)}). Await "
            "them all: `await asyncio.gather(*self.tasks)`.",
            suggests="await asyncio.gather(*self.tasks)",
        )
    if report.waited > LAST_JOB + SLACK:
        raise Wrong(
            "too_slow",
            f"wait_all() took {report.waited:.2f} s, but the tasks were done after "
            f"{seconds(LAST_JOB)}.",
        )


ex2 = Exercise(
    title="Keep background tasks safe",
    answer="Background",
    checker=check_background,
    hints=[
        "In start: `task = asyncio.create_task(coro, name=name)`, then "
        "`self.tasks.add(task)` so that the task cannot be garbage-collected.",
        "`task.add_done_callback(self.tasks.discard)` takes each task out of the set once "
        "it is done.",
        "wait_all only has to wait: `await asyncio.gather(*self.tasks)`.",
    ],
)
