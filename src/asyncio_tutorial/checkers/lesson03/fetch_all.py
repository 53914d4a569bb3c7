"""Exercise 1, ``fetch_all(pages)``: download concurrently, texts in the order of ``pages``.

Two scenarios: the three pages of the statement, and four pages in another order, with
one page twice (so that a set of the texts loses one, and no order can be right by luck).
"""

from __future__ import annotations

import asyncio
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome
from asyncio_tutorial.checkers.scenario import names_used

from .common import (
    already_running,
    common_mistakes,
    describe_value,
    gather_given_one_collection,
    judge_waits,
    result_too_soon,
)
from .network import (
    DELAYS,
    PAGES,
    judge_downloaded_once,
    judge_overlap,
    network,
    run_downloads,
    texts,
)

SCENARIOS = [PAGES, ["sport", "weather", "news", "weather"]]


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(pages)`` downloads concurrently and returns the texts in page order."""
    expect_coroutine_function(fetch_all)
    runs = []
    for pages in SCENARIOS:
        call = f"fetch_all({pages!r})"
        outcome = run_downloads(fetch_all, pages)
        _judge_fetch_all(fetch_all, outcome, call, pages)
        runs.append((outcome.elapsed, network.traffic.peak))
    (elapsed, peak), (other_elapsed, other_peak) = runs
    total = sum(DELAYS[page] for page in PAGES)
    return correct(
        f"fetch_all({PAGES!r}) returned the three pages in order after {took(elapsed)}, "
        f"the time of the slowest download, not {seconds(total)}, their sum: all {peak} "
        f"downloads were in progress at once. With four pages, one of them twice, the "
        f"same: {other_peak} at once, in order, after {took(other_elapsed)}."
    )


def _judge_fetch_all(fetch_all: Any, outcome: Outcome, call: str, pages: list[str]) -> None:
    value = outcome.value
    if isinstance(value, asyncio.Future) and not isinstance(value, asyncio.Task):
        raise Wrong(
            "forgot_await",
            f"{call} returned {describe_value(value)}: what gather returns, not yet "
            "awaited. gather starts the downloads and gives a future of their results; "
            "`return await asyncio.gather(...)` waits for them and gives the results.",
            suggests="await asyncio.gather",
        )
    if not (outcome.timed_out or outcome.blocked):
        judge_waits(
            outcome,
            call,
            fetch_all,
            "the downloads themselves: `await asyncio.gather(*tasks)`",
            "asyncio.gather",
        )
        gather_given_one_collection(outcome.error, call)
        result_too_soon(outcome.error, call)
        already_running(outcome.error, call)
    common_mistakes(outcome, call)
    expected = texts(pages)
    if isinstance(value, (list, tuple)) and any(isinstance(v, asyncio.Task) for v in value):
        if all(isinstance(v, asyncio.Task) and v.done() for v in value):
            how, code = "Return their results: `[task.result() for task in tasks]`", "result()"
        else:
            how = "Await them (`await asyncio.gather(*tasks)` gives the results in order)"
            code = "gather(*tasks)"
        raise Wrong(
            "returned_tasks",
            f"{call} returned {describe_value(value)}, not their results. {how}.",
            suggests=code,
        )
    if not isinstance(value, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {describe_value(value)}; it should return a list of the "
            f"pages' texts, {expected!r}.",
        )
    if value != expected:
        if sorted(map(str, value)) == sorted(expected):
            _wrong_order(fetch_all, call, value, expected)
        raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")
    judge_downloaded_once(call, pages)
    judge_overlap(outcome, call, pages)


def _wrong_order(fetch_all: Any, call: str, value: list[str], expected: list[str]) -> None:
    """The right texts in the wrong order: say which order it was."""
    if "wait" in names_used(fetch_all) and "as_completed" not in names_used(fetch_all):
        raise Wrong(
            "set_order",
            f"{call} returned {value!r}: the right pages, in the order of asyncio.wait's "
            "`done` set. A set has no order to rely on: it says which tasks are done, not "
            f"in which order. Read the results from your own list of tasks, {expected!r}: "
            "`[task.result() for task in tasks]`.",
            suggests="[task.result() for task in tasks]",
        )
    if value == network.arrivals():
        raise Wrong(
            "wrong_order",
            f"{call} returned {value!r}: the right pages, in the order they finished. "
            f"Return them in the order of `pages`: {expected!r} (gather does that).",
        )
    raise Wrong(
        "wrong_order",
        f"{call} returned {value!r}: the right pages, but neither in the order of `pages` "
        f"nor in the order they finished. Return them in the order of `pages`, "
        f"{expected!r}: gather gives its results in the order of its arguments.",
    )


ex1 = Exercise(
    title="Download concurrently",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Start every download before waiting for any: `asyncio.create_task(download(page))` "
        "starts one and returns at once.",
        "`await asyncio.gather(*coroutines)` runs them all concurrently and returns their "
        "results in the order you passed them (mind the `*`: not a list).",
        "Or in a TaskGroup: `tasks = [group.create_task(download(page)) for page in pages]` "
        "inside `async with asyncio.TaskGroup() as group:`, and after the block "
        "`return [task.result() for task in tasks]`.",
    ],
)
