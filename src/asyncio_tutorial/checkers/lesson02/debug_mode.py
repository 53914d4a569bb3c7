"""Exercise 5: ``slow_tasks(main, threshold)`` finds the tasks that hold the loop, with
debug mode.

The check runs the answer on two programs of named tasks, each task running the
coroutine ``job``: in one, 'parse' and 'resize' hold the loop for a while; in the other
no task does.  The program's ``main`` notes, on the loop that runs it, whether debug mode
was on and what ``slow_callback_duration`` was: exact, where the reports alone could be
swayed by a busy machine (a step that lasts a little longer than planned).  A handler
of the checker's own, on the ``asyncio`` logger, keeps what debug mode really reported,
to compare with what the answer returned.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import expect_plain_function, hang, raised
from asyncio_tutorial.checkers.runner import Outcome, run_function
from asyncio_tutorial.checkers.scenario import names_used


class KeepRecords(logging.Handler):
    """A logging handler that keeps every record it is given in ``self.records``."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _reported_names(records: list[logging.LogRecord]) -> set[str]:
    """The tasks named in debug mode's "Executing <Task ... name='parse' ...> took" reports."""
    names = set()
    for record in records:
        message = record.getMessage()
        found = re.search(r"name='([^']*)'", message)
        if message.startswith("Executing") and found:
            names.add(found.group(1))
    return names


async def job(program: _Program, name: str, holds: list[float]) -> None:
    """The coroutine every task of a program runs: its steps hold the loop this long."""
    for hold in holds:
        await asyncio.sleep(0.05)
        if hold:
            time.sleep(hold)  # holds the loop, as a blocking call would
    program.finished.append(name)


class _Program:
    """A program for ``slow_tasks``: named tasks, each running ``job``, and what its loop
    was set to when ``main`` ran."""

    def __init__(self, holds: dict[str, list[float]]) -> None:
        self.holds = holds
        self.finished: list[str] = []
        self.debug: bool | None = None
        self.slow_callback_duration: float | None = None

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        self.debug, self.slow_callback_duration = loop.get_debug(), loop.slow_callback_duration
        async with asyncio.TaskGroup() as group:
            for name, holds in self.holds.items():
                group.create_task(job(self, name, holds), name=name)


SLOW_PROGRAM = {"fetch": [0, 0], "parse": [0.2, 0.15], "resize": [0.07]}
QUIET_PROGRAM = {"fetch": [0, 0], "upload": [0]}
THRESHOLD = 0.05  # 'resize' holds the loop longer than this, not the default 0.1 s


def _run_program(
    slow_tasks: Callable[..., Any], program: _Program
) -> tuple[Outcome, list[str], int]:
    """Run the answer on ``program``; what it did, what debug mode reported, handlers left."""
    logger = logging.getLogger("asyncio")
    before = list(logger.handlers)
    truth = KeepRecords()  # also keeps the reports off stderr when the answer has no handler
    logger.addHandler(truth)
    try:
        outcome = run_function(lambda: slow_tasks(program.main, THRESHOLD))
    finally:
        logger.removeHandler(truth)
        left = [handler for handler in logger.handlers if handler not in before]
        for handler in left:  # tidy up after the answer, so the notebook logs as before
            logger.removeHandler(handler)
    return outcome, sorted(_reported_names(truth.records)), len(left)


def check_slow_tasks(slow_tasks: Any) -> Result:
    """``slow_tasks(main, threshold)``: debug mode's slow-step reports, as sorted task names."""
    expect_plain_function(slow_tasks)
    call = f"slow_tasks(main, {THRESHOLD})"
    program = _Program(SLOW_PROGRAM)
    outcome, reported, handlers_left = _run_program(slow_tasks, program)
    _judge_slow_run(slow_tasks, outcome, call, program, reported, handlers_left)
    quiet = _Program(QUIET_PROGRAM)
    outcome, quiet_reported, handlers_left = _run_program(slow_tasks, quiet)
    quiet_call = f"{call} on a second program, where no task holds the loop"
    try:
        _judge_slow_run(slow_tasks, outcome, quiet_call, quiet, quiet_reported, handlers_left)
    except Wrong:
        value = outcome.value
        if (
            isinstance(value, list)
            and value
            and set(value) - set(quiet_reported) <= set(SLOW_PROGRAM)
        ):
            raise Wrong(
                "stale_reports",
                f"{quiet_call} returned {value!r}: reports kept from the first "
                "program. Make a new handler (and a new set of names) on every call.",
            ) from None
        raise
    return correct(
        f"{call} ran main in debug mode with slow_callback_duration at {THRESHOLD} s and "
        f"returned {reported}, the tasks debug mode reported ('parse' held the loop for "
        "0.2 s and 0.15 s, 'resize' for 0.07 s); nothing for a program that never held "
        "the loop; and the asyncio logger was left as it was."
    )


def _judge_slow_run(
    slow_tasks: Any,
    outcome: Outcome,
    call: str,
    program: _Program,
    reported: list[str],
    handlers_left: int,
) -> None:
    error = outcome.error
    if outcome.timed_out:
        raise hang(outcome, call)
    if isinstance(error, (TypeError, ValueError)) and re.search(
        "coroutine was expected|awaitable is required", str(error)
    ):
        raise Wrong(
            "main_not_called",
            f"{call} raised {type(error).__name__}: it handed over the function main "
            "where a coroutine was expected. Call it: `runner.run(main())`.",
            suggests="run(main())",
        )
    if error is not None:
        raise raised(error, call)
    if sorted(program.finished) != sorted(program.holds):
        raise Wrong(
            "main_not_run",
            f"{call} returned before the program had run: `runner.run(main())` (or "
            "`asyncio.run(main(), debug=True)`) runs it to its end.",
            suggests="run(main()",
        )
    if handlers_left:
        raise Wrong(
            "handler_left_attached",
            f"{call} left its handler on the asyncio logger, so it keeps collecting, and "
            "every call adds one more. Remove it in a `finally:` block: "
            '`logging.getLogger("asyncio").removeHandler(keep)`.',
            suggests="removeHandler",
        )
    if not program.debug:
        raise Wrong(
            "debug_mode_off",
            f"{call}: the loop that ran main was not in debug mode, so it timed nothing "
            "and reported nothing. Turn it on for that loop: "
            "`asyncio.Runner(debug=True)` or `asyncio.run(..., debug=True)`.",
            suggests="debug=True",
        )
    if program.slow_callback_duration != THRESHOLD and "slow_callback_duration" in names_used(
        slow_tasks
    ):
        raise Wrong(
            "threshold_not_set",
            f"{call}: the loop ran main with slow_callback_duration = "
            f"{program.slow_callback_duration:g} s, not the {THRESHOLD} s asked for: your "
            "answer sets it, but only after main has run (or on another loop). Set it on "
            "the runner's loop before `runner.run(main())`.",
        )
    if program.slow_callback_duration != THRESHOLD:
        raise Wrong(
            "threshold_not_set",
            f"{call}: the loop ran main with slow_callback_duration = "
            f"{program.slow_callback_duration:g} s, not the {THRESHOLD} s asked for, so "
            "'resize', which held it for 0.07 s, went unreported. Set "
            "`loop.slow_callback_duration = threshold` before running main.",
            suggests="slow_callback_duration = threshold",
        )
    _judge_names(outcome.value, call, reported)


def _judge_names(value: Any, call: str, expected: list[str]) -> None:
    if value == expected:
        return
    if isinstance(value, (set, tuple)) and sorted(value) == expected:
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}, a {type(value).__name__}: return a sorted list, "
            f"{expected!r}: `sorted(names)`.",
            suggests="sorted(",
        )
    if not isinstance(value, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a list of task names, {expected!r}.",
        )
    if any(not isinstance(item, str) or "Executing" in item for item in value):
        raise Wrong(
            "whole_reports",
            f"{call} returned the reports themselves; return just the tasks' names, "
            f"{expected!r}. Each report says `name='parse'`: "
            "`re.search(r\"name='([^']*)'\", message).group(1)`.",
        )
    if value and set(value) == {job.__name__}:
        raise Wrong(
            "coroutine_names",
            f"{call} returned {value!r}: the name of the coroutine the tasks run "
            f"(`coro=<{job.__name__}() ...>` in each report), not the tasks' own names. "
            "Take the name after `name=`: `re.search(r\"name='([^']*)'\", message)`.",
            suggests="name='",
        )
    if not value and expected:
        raise Wrong(
            "reports_not_collected",
            f"{call} returned [], but debug mode reported {expected}. Its reports are log "
            "records of the asyncio logger: add a `KeepRecords()` handler to it before "
            'running main, `logging.getLogger("asyncio").addHandler(keep)`, and read '
            "`keep.records` afterwards.",
            suggests="addHandler",
        )
    if len(set(value)) < len(value) and sorted(set(value)) == expected:
        raise Wrong(
            "repeated_names",
            f"{call} returned {value!r}: a task with two slow steps is reported twice. "
            "Return each name once: collect them in a set, then `sorted(...)`.",
        )
    if sorted(value) == expected:
        raise Wrong("not_sorted", f"{call} returned {value!r}; sort them: {expected!r}.")
    raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")


ex5 = Exercise(
    title="Find what blocks the loop, with debug mode",
    answer="slow_tasks",
    checker=check_slow_tasks,
    hints=[
        "`with asyncio.Runner(debug=True) as runner:` gives you the loop before anything "
        "runs: set `runner.get_loop().slow_callback_duration = threshold`, then "
        "`runner.run(main())`.",
        'Add `keep = KeepRecords()` to `logging.getLogger("asyncio")` before running, and '
        "remove it in a `finally:` block.",
        "For each record in `keep.records`, a message that starts with 'Executing' names "
        "the task: `re.search(r\"name='([^']*)'\", message)`. Collect the names in a set "
        "and return `sorted(names)`.",
    ],
)
