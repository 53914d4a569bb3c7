"""Exercise 1: ``where_waiting()``: every other task, and the innermost coroutine it waits in.

The checker starts a small stuck program and calls the learner's ``where_waiting()``
from one of its tasks.  The program runs on an event loop of its own, on which nothing
else runs: what ``where_waiting()`` finds is the program's five stuck tasks and the task
that called it, never a helper task of the checker's (which would show up in the
answer, and in the messages).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_plain_function,
)
from asyncio_tutorial.checkers.runner import run_function


async def _fetch(queue: asyncio.Queue[str]) -> str:
    return await queue.get()


async def _worker(queue: asyncio.Queue[str]) -> None:
    await _fetch(queue)


async def _heartbeat() -> None:
    while True:
        await asyncio.sleep(10)


async def _supervise(task: asyncio.Task[None]) -> None:
    await task  # a task, not a coroutine: the chain of coroutines ends here


WAITING = {
    "worker-1": "Queue.get",
    "worker-2": "Queue.get",
    "heartbeat": "sleep",
    "notifier": "Event.wait",
    "supervisor": "_supervise",
}
"""What a right ``where_waiting()`` returns in the checker's stuck program."""
OUTERMOST = {"worker-1": "_worker", "worker-2": "_worker", "heartbeat": "_heartbeat"}
COROUTINE_NAMES = {"_worker", "_heartbeat", "_supervise", "wait", "Event.wait"}
CALL_GRAPH = {"capture_call_graph", "format_call_graph", "print_call_graph"}


async def _stuck_program(where_waiting: Callable[[], Any], found: dict[str, Any]) -> None:
    """Start tasks that get stuck, call ``where_waiting()`` among them, stop them."""
    asyncio.current_task().set_name("checker")  # type: ignore[union-attr]
    queue: asyncio.Queue[str] = asyncio.Queue()
    tasks = [
        asyncio.create_task(_worker(queue), name="worker-1"),
        asyncio.create_task(_worker(queue), name="worker-2"),
        asyncio.create_task(_heartbeat(), name="heartbeat"),
        asyncio.create_task(asyncio.Event().wait(), name="notifier"),
    ]
    tasks.append(asyncio.create_task(_supervise(tasks[0]), name="supervisor"))
    await asyncio.sleep(0.05)
    try:
        found["value"] = where_waiting()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


def check_where_waiting(where_waiting: Any) -> Result:
    """``where_waiting()``: every other task's name -> the innermost coroutine it waits in."""
    expect_plain_function(where_waiting)
    found: dict[str, Any] = {}
    outcome = run_function(lambda: asyncio.run(_stuck_program(where_waiting, found)), on_loop=True)
    call = "where_waiting()"
    error = outcome.error
    if isinstance(error, AttributeError) and "cr_await" in str(error):
        raise Wrong(
            "followed_past_the_coroutines",
            f"{call} raised {error_text(error)}. At the end of the chain a "
            "coroutine waits for a future or a task, which has no cr_await: stop when "
            "`inspect.iscoroutine(coro.cr_await)` is false.",
            suggests="inspect.iscoroutine(coro.cr_await)",
        )
    if isinstance(error, AttributeError) and getattr(error, "name", None) in CALL_GRAPH:
        change = versions.CHANGES["asyncio call graph"]
        raise Wrong(
            "call_graph_needs_3_14",
            f"{call} raised {error_text(error)}. asyncio.{error.name} needs Python "
            f"{change.since_text} or newer, and this is Python "
            f"{'.'.join(map(str, versions.this_release()))}. Follow each coroutine's "
            "`cr_await` by hand (lesson 10, section 2): that works on every version.",
        )
    if outcome.sleeps:
        raise Wrong(
            "blocking",
            f"{call} called time.sleep({outcome.sleeps[0]:g}). It runs on the event loop's "
            "thread, so the whole program stood still meanwhile; and it needs no waiting at "
            "all: every task is already where it waits. Look, and return at once.",
        )
    common_mistakes(outcome, call)
    value = found.get("value")
    _judge_where_waiting(value, call)
    return correct(
        f"where_waiting() found the {len(value)} other tasks of the stuck program, no "
        f"more, and the innermost coroutine each one waits in: worker-1 and worker-2 in "
        f"{value['worker-1']}, the heartbeat in {value['heartbeat']}, the notifier in "
        f"{value['notifier']}, and the supervisor in {value['supervisor']}, its own "
        "coroutine, as it awaits another task."
    )


def _judge_where_waiting(value: Any, call: str) -> None:
    """What ``where_waiting()`` returned: a dict of task names, each innermost coroutine."""
    if value is None:
        raise Wrong(
            "wrong_type",
            f"{call} returned None: build the dict (task name -> coroutine name) and "
            "`return` it; printing it is not enough for the code that called it.",
            suggests="return",
        )
    if not isinstance(value, dict):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a dict: task name -> coroutine name.",
        )
    _judge_keys(value, call)
    if any(inspect.iscoroutine(each) for each in value.values()):
        raise Wrong(
            "values_not_names",
            f"{call} gave coroutine objects as the values ({next(iter(value.values()))!r}, "
            "...). Give each one's name: `coro.__qualname__`, such as 'Queue.get'.",
            suggests="__qualname__",
        )
    mine = {name: value.get(name) for name in WAITING}
    if all(mine[name] == outer for name, outer in OUTERMOST.items()):
        raise Wrong(
            "outermost_only",
            f"{call} gave each task's own coroutine ({mine['worker-1']!r} for worker-1), "
            "which is all that get_stack() and print_stack() show. Follow `cr_await` "
            "inward: worker-1 waits in fetch, and fetch waits in Queue.get.",
            suggests="cr_await",
        )
    if mine["worker-1"] == "_fetch":
        raise Wrong(
            "stopped_one_level_in",
            f"{call} said worker-1 waits in '_fetch', one level in. Keep following "
            "`cr_await` while it is a coroutine: the innermost one is Queue.get.",
        )
    if mine["worker-1"] == "get" or mine["notifier"] == "wait":
        raise Wrong(
            "names_not_qualified",
            f"{call} gave {mine['worker-1']!r} for worker-1: that is `__name__`. Use "
            "`__qualname__`, which says whose method it is: 'Queue.get'.",
            suggests="__qualname__",
        )
    _judge_tasks_listed(value, call)
    if mine != WAITING:
        raise Wrong(
            "wrong_value", f"{call} returned {mine!r} for the stuck tasks, not {WAITING!r}."
        )


def _judge_keys(value: dict[Any, Any], call: str) -> None:
    """The keys are the tasks' names, the running task left out."""
    if any(isinstance(key, asyncio.Task) for key in value):
        raise Wrong(
            "keys_not_names",
            f"{call} used Task objects as keys. Use each task's name: `task.get_name()`.",
            suggests="task.get_name()",
        )
    if "checker" in value:
        raise Wrong(
            "included_current_task",
            f"{call} listed the task that called it ('checker'), which is running, not "
            "waiting. Leave out `asyncio.current_task()`.",
            suggests="asyncio.current_task()",
        )
    keys = {str(key) for key in value}
    if not keys & set(WAITING) and (keys & COROUTINE_NAMES or any("Task" in k for k in keys)):
        raise Wrong(
            "keys_not_names",
            f"{call} used {sorted(keys)[0]!r} and the like as keys, not the tasks' names. "
            "Key each entry by `task.get_name()`: 'worker-1', 'heartbeat', ...",
            suggests="task.get_name()",
        )


def _judge_tasks_listed(value: dict[Any, Any], call: str) -> None:
    """Every stuck task, and none that the program does not have."""
    missing = [name for name in WAITING if name not in value]
    if missing:
        raise Wrong(
            "missed_tasks",
            f"{call} left out {', '.join(missing)}: every other unfinished task of "
            "`asyncio.all_tasks()` belongs in the dict, whatever it waits on.",
        )
    extra = [str(name) for name in value if name not in WAITING]
    if extra:
        raise Wrong(
            "wrong_value",
            f"{call} listed {', '.join(extra)}, which the stuck program does not have: its "
            f"other tasks are {', '.join(WAITING)}, and nothing else runs on its loop.",
        )


ex1 = Exercise(
    title="Where is everyone waiting?",
    answer="where_waiting",
    checker=check_where_waiting,
    hints=[
        "`asyncio.all_tasks()` gives every unfinished task; skip `asyncio.current_task()`.",
        "Start from `task.get_coro()` and follow `coro.cr_await` while "
        "`inspect.iscoroutine(coro.cr_await)`: the last coroutine is where the task waits.",
        "The value is `coro.__qualname__` ('Queue.get'), the key `task.get_name()`.",
    ],
)
