"""Exercise 1, ``load_report``: keep what arrived when a task group fails.

``load`` is the workbook's pretend source.  While a check runs it notes how many loads
were in progress at once, which ones finished and which were cancelled: what the
answer did, told exactly, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function, took
from asyncio_tutorial.checkers.lesson08.common import Ends, cancelled_error, judge_not_late
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, names_used

SOURCES: dict[str, tuple[float, type[Exception] | None]] = {
    "sales": (0.1, None),
    "stock": (0.3, None),
    "staff": (0.4, None),
    "prices": (0.2, ConnectionError),  # unreachable: fails after 0.2 s
    "weather": (0.0, ConnectionError),  # refused: fails at once
    "rates": (0.0, ConnectionError),  # refused: fails at once
    "budget": (0.1, ValueError),  # a bug in the source
}
"""How ``load(source)`` behaves for each source: how long it takes, and what it raises."""

_loads = Concurrency()
_finished: list[str] = []  # the sources whose load returned its data
_stopped: list[str] = []  # the sources whose load was cancelled
_ends = Ends()


async def load(source: str) -> str:
    """Pretend to load ``source`` for a report; return its data, ``"<sales data>"``.

    ``"sales"``, ``"stock"`` and ``"staff"`` take 0.1, 0.3 and 0.4 s.  ``"prices"`` raises
    ``ConnectionError`` after 0.2 s; ``"weather"`` and ``"rates"`` raise it at once.
    ``"budget"`` raises ``ValueError`` after 0.1 s: a bug, not a network problem.
    """
    delay, error = SOURCES.get(source, (0.2, None))
    async with _loads.track():
        try:
            if delay:
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            _stopped.append(source)
            raise
        finally:
            _ends.work_ended()
        if error is ConnectionError:
            raise ConnectionError(f"{source}: unreachable")
        if error is not None:
            raise error(f"{source}: bad figures")
    _finished.append(source)
    return f"<{source} data>"


async def _noting_the_return(load_report: Any, sources: list[str]) -> Any:
    """Await the answer, and note when it returned."""
    try:
        return await load_report(list(sources))
    finally:
        _ends.answer_returned()


CASES = [  # sources, which load, which fail
    (["sales", "stock", "staff"], ["sales", "stock", "staff"], []),
    (["sales", "stock", "prices", "staff"], ["sales"], ["prices"]),  # stopped at 0.2 s
    (["stock", "weather", "rates"], [], ["weather", "rates"]),  # two at once
]


def check_load_report(load_report: Any) -> Result:
    """``load_report(sources)`` returns (loaded, errors); other errors reach the caller."""
    expect_coroutine_function(load_report)
    runs = [_judge_report(load_report, *case) for case in CASES]
    _report_lets_bugs_through(load_report)
    (failed, stopped), (twice, _) = runs[1], runs[2]
    return correct(
        f"load_report(['sales', 'stock', 'prices', 'staff']) kept the data that arrived "
        f"before 'prices' failed, {failed.value[0]!r}, and stopped the {len(stopped)} "
        f"sources still loading at once: it returned after {took(failed.elapsed)}, not "
        f"0.4 s. It returned every ConnectionError, {len(twice.value[1])} of them when two "
        "sources failed at the same moment, and let a ValueError through to the caller."
    )


def _judge_report(
    load_report: Any, sources: list[str], loaded: list[str], failed: list[str]
) -> tuple[Outcome, list[str]]:
    """One case: what came back, and the sources whose load was cancelled."""
    call = f"load_report({sources!r})"
    _loads.reset()
    _finished.clear()
    _stopped.clear()
    _ends.clear()
    outcome = run_coroutine(partial(_noting_the_return, load_report, sources))
    error = outcome.error
    if isinstance(error, asyncio.CancelledError):
        raise cancelled_error(
            call, error, "Ask each task `cancelled()` first, then `exception()`, then `result()`."
        )
    if isinstance(error, BaseExceptionGroup) and error.subgroup(ConnectionError):
        if "ConnectionError" in names_used(load_report):
            raise Wrong(
                "plain_except",
                f"{call} raised {error!r}: the ConnectionError came out of the group "
                "wrapped in an ExceptionGroup, which a plain `except ConnectionError:` does "
                "not match. Use `except* ConnectionError as group:`.",
                suggests="except* ConnectionError",
            )
        raise Wrong(
            "errors_not_caught",
            f"{call} raised {error!r}: nothing caught the ConnectionError, which the "
            "TaskGroup raises wrapped in an ExceptionGroup. Catch it around the `async "
            "with` block: `except* ConnectionError as group:`, and keep "
            "`list(group.exceptions)`.",
            suggests="except* ConnectionError",
        )
    if "load" in outcome.left_running and failed:
        raise Wrong(
            "others_left_running",
            f"{call} returned while {outcome.left_running.count('load')} loads were still "
            "running (they have been cancelled now): the first error came out and left the "
            "other loads going, as gather does. A TaskGroup cancels them at the first "
            "failure, and waits until they have stopped.",
            suggests="TaskGroup",
        )
    common_mistakes(outcome, call)
    got, errors = _judge_pair(outcome.value, call)
    if not failed and _loads.peak < len(sources):
        raise Wrong(
            "sequential",
            f"{call} loaded the sources {_loads.describe(len(sources))}. Start them all in "
            "one TaskGroup, so that they load at the same time.",
        )
    went_on = sorted(set(_finished) - set(loaded))
    if failed and went_on and "TaskGroup" in names_used(load_report):
        raise Wrong(
            "waited_for_all",
            f"{call} let {went_on} go on loading to the end after a source had failed: "
            "the group never saw the failure, caught inside the task, so it never "
            "cancelled the rest. Let the ConnectionError out of the task, and catch it "
            "around the `async with` block: `except* ConnectionError as group:`.",
            suggests="except* ConnectionError",
        )
    if failed and went_on:
        raise Wrong(
            "waited_for_all",
            f"{call} let {went_on} go on loading to the end after a source had failed, as "
            "gather(..., return_exceptions=True) does. Use a TaskGroup: it cancels the "
            "rest at the first failure.",
            suggests="TaskGroup",
        )
    _judge_data(got, loaded, call)
    _judge_errors(errors, failed, call)
    judge_not_late(_ends, call, "the last load")
    return outcome, list(_stopped)


def _judge_pair(value: Any, call: str) -> tuple[dict[str, Any], list[Any]]:
    """A pair: a dict of data and a list of errors."""
    pair = isinstance(value, tuple) and len(value) == 2
    got, errors = value if pair else (None, None)
    if not isinstance(got, dict) or not isinstance(errors, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a pair: a dict of the data that loaded, "
            "and a list of the ConnectionErrors (`list(group.exceptions)`).",
        )
    return got, errors


def _judge_data(got: dict[str, Any], loaded: list[str], call: str) -> None:
    """The data of the sources that loaded, and of no other."""
    if any(isinstance(value, asyncio.Future) for value in got.values()):
        raise Wrong(
            "returned_tasks",
            f"{call} returned the tasks themselves as the data, not what they loaded: "
            "take each one's data with `task.result()` (once you know it neither was "
            "cancelled nor failed).",
            suggests="result()",
        )
    expected = {source: f"<{source} data>" for source in loaded}
    if got != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {got!r} as the data; the sources that loaded give "
            f"{expected!r}. Leave out the cancelled and failed ones.",
        )


def _judge_errors(errors: list[Any], failed: list[str], call: str) -> None:
    """Every ConnectionError of the group, the exceptions themselves."""
    if any(isinstance(error, BaseExceptionGroup) for error in errors):
        raise Wrong(
            "wrong_type",
            f"{call} returned the ExceptionGroup itself in its list of errors: the "
            "ConnectionErrors are inside it. Catch them with `except* ConnectionError as "
            "group:` and keep `list(group.exceptions)`.",
            suggests="group.exceptions",
        )
    if any(not isinstance(error, ConnectionError) for error in errors):
        kinds = sorted({type(error).__name__ for error in errors})
        raise Wrong(
            "wrong_type",
            f"{call} returned a list of {', '.join(kinds)} as the errors: keep the "
            "ConnectionError exceptions themselves, which a caller can log, re-raise or "
            "inspect.",
        )
    if sorted(str(e) for e in errors) != sorted(f"{s}: unreachable" for s in failed):
        raise Wrong(
            "lost_errors",
            f"{call} returned the errors {[str(e) for e in errors]!r}, but "
            f"{[f'{s}: unreachable' for s in failed]!r} failed. Keep every error of the "
            "group, which holds them all: `list(group.exceptions)`.",
            suggests="list(group.exceptions)",
        )


def _report_lets_bugs_through(load_report: Any) -> None:
    call = "load_report(['sales', 'stock', 'budget'])"
    _loads.reset()
    outcome = run_coroutine(partial(load_report, ["sales", "stock", "budget"]))
    error = outcome.error
    if isinstance(error, ValueError) or (
        isinstance(error, BaseExceptionGroup) and error.subgroup(ValueError)
    ):
        return
    common_mistakes(outcome, call)
    raise Wrong(
        "caught_too_much",
        f"{call} returned {outcome.value!r}, hiding the ValueError of 'budget', a bug "
        "rather than a network problem. Handle only ConnectionError "
        "(`except* ConnectionError`); let everything else go on.",
    )


ex1 = Exercise(
    title="Keep what arrived",
    answer="load_report",
    checker=check_load_report,
    hints=[
        "Keep the tasks in a dict, {source: tg.create_task(load(source))}, and put "
        "`try:` / `except* ConnectionError as group:` around the `async with` block.",
        "In the except* clause, `errors = list(group.exceptions)`. After the block, a task "
        "loaded if `not task.cancelled() and task.exception() is None`.",
        "Ask `cancelled()` before `exception()` or `result()`: both raise CancelledError "
        "on a cancelled task.",
    ],
)
