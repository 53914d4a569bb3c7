"""Exercise 4, ``in_completion_order(pages)``: the texts in the order the downloads finish.

Two scenarios: the three pages of the statement, and four pages in another order, one of
them twice.  ``download`` notes when each page arrived, so the right order is the one
measured in this run.  Every task the answer makes is a
:class:`~asyncio_tutorial.checkers.lesson03.network.ListedTask`, which any set lists
newest first: an answer that takes the pages in the order of ``asyncio.wait``'s ``done``
set gets a wrong order every time, never the right one by luck.

On a machine so busy that the loop was held up for a tenth of a second, two downloads
can finish together, before the answer could see either alone; then the answer may
list those two either way, and the scenario is run again (up to three times) so that
the order is judged on a run where each page arrived on its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import error_text, expect_coroutine_function, took
from asyncio_tutorial.checkers.runner import Outcome
from asyncio_tutorial.checkers.scenario import names_used

from .common import common_mistakes, describe_value, judge_waits
from .network import PAGES, judge_downloaded_once, judge_overlap, network, run_downloads, texts

SCENARIOS = [PAGES, ["sport", "weather", "news", "weather"]]
TOGETHER = 0.05  # downloads finishing closer than this arrived together (a held-up loop)
ATTEMPTS = 3  # runs of a scenario at most, while downloads keep arriving together


def check_in_completion_order(in_completion_order: Any) -> Result:
    """``in_completion_order(pages)``: the texts, in the order the downloads finish."""
    expect_coroutine_function(in_completion_order)
    measured = []
    for pages in SCENARIOS:
        call = f"in_completion_order({pages!r})"
        for _ in range(ATTEMPTS):
            outcome = run_downloads(in_completion_order, pages)
            groups = _arrival_groups()
            if all(len(set(group)) == 1 for group in groups):
                break  # each page arrived on its own: the order says everything
        _judge_in_completion_order(in_completion_order, outcome, call, pages, groups)
        measured.append((outcome.value, list(network.finished), outcome.elapsed))
    (value, finished, elapsed), (other_value, _, other_elapsed) = measured
    arrivals = ", ".join(f"{page} after {took(at)}" for page, at in finished)
    return correct(
        f"in_completion_order({PAGES!r}) returned {value!r}, the order the downloads "
        f"finished in ({arrivals}), all in {took(elapsed)}; and for four pages, one of "
        f"them twice, {other_value!r} after {took(other_elapsed)}."
    )


def _arrival_groups() -> list[list[str]]:
    """The pages' texts as they arrived, those that arrived together in one group."""
    groups: list[list[str]] = []
    last = 0.0
    for page, at in network.finished:
        if groups and at - last < TOGETHER:
            groups[-1].append(f"<{page}>")
        else:
            groups.append([f"<{page}>"])
        last = at
    return groups


def _in_arrival_order(value: list[str], groups: list[list[str]]) -> bool:
    """Whether ``value`` lists the groups in order (within a group, in any order)."""
    position = 0
    for group in groups:
        if sorted(value[position : position + len(group)]) != sorted(group):
            return False
        position += len(group)
    return position == len(value)


def _judge_in_completion_order(
    answer: Any, outcome: Outcome, call: str, pages: list[str], groups: list[list[str]]
) -> None:
    awaitables = [name for name in outcome.never_awaited if "_wait_for_one" in name]
    if outcome.returned_coroutines or awaitables:
        raise Wrong(
            "forgot_await",
            f"{call} {'returned' if outcome.returned_coroutines else 'never awaited'} what "
            "as_completed gives: awaitables, not pages. `await` each one (`page = await "
            "next_done`) to get the next page to finish.",
        )
    if isinstance(outcome.error, RuntimeError) and "already awaited" in str(outcome.error):
        raise Wrong(
            "reused_coroutine",
            f"{call} raised {error_text(outcome.error)}. Each awaitable as_completed "
            "gives can be awaited once, and gives one page: keep what it gives, `page = "
            "await next_done`, and use that variable.",
        )
    if isinstance(outcome.error, TypeError) and "__aiter__" in str(outcome.error):
        raise Wrong(
            "async_for_needs_3_13",
            f"{call} raised {error_text(outcome.error)}. `async for` over as_completed "
            "needs Python 3.13 or newer. Use a plain `for next_done in "
            "asyncio.as_completed(...)`, then `await next_done`: that works on every version.",
        )
    if not (outcome.timed_out or outcome.blocked):
        judge_waits(
            outcome,
            call,
            answer,
            "each download as it finishes: `for next_done in asyncio.as_completed(...)`",
            "as_completed",
        )
    common_mistakes(outcome, call)
    judge_downloaded_once(call, pages)
    value = outcome.value
    expected = network.arrivals()
    if isinstance(value, list) and value and all(isinstance(v, asyncio.Task) for v in value):
        raise Wrong(
            "returned_tasks",
            f"{call} returned {describe_value(value)}, not pages. What `async for` over "
            "as_completed gives are the tasks as they finish: `await` each one "
            "(`texts.append(await task)`) to get its page.",
        )
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(expected):
        raise Wrong(
            "wrong_value",
            f"{call} returned {describe_value(value)}; it should return a list of the "
            f"{len(pages)} pages' texts, in the order they arrived: {expected!r}.",
        )
    judge_overlap(outcome, call, pages)
    if not _in_arrival_order(value, groups):
        _wrong_order(answer, call, value, expected, pages)
    if "DELAYS" in names_used(answer):
        raise Wrong(
            "hard_coded_order",
            f"{call} returned {value!r}, the right order, but found it in DELAYS, which "
            "says how long each pretend download takes. A real download's time is not "
            "known in advance: take each page as it arrives, `for next_done in "
            "asyncio.as_completed(...)`.",
        )


def _wrong_order(
    answer: Any, call: str, value: list[str], expected: list[str], pages: list[str]
) -> None:
    """The right texts in the wrong order: say which order it was."""
    names = names_used(answer)
    if "wait" in names and "as_completed" not in names:
        raise Wrong(
            "set_order",
            f"{call} returned {value!r}, in the order of asyncio.wait's `done` set, but "
            f"the pages arrived in the order {expected!r}. A set has no order to rely on: "
            "it says which tasks are done, not in which order. Take each page as it "
            "arrives: `for next_done in asyncio.as_completed(tasks)`, or asyncio.wait "
            "with `return_when=asyncio.FIRST_COMPLETED`, once per page.",
        )
    if value == texts(pages):
        raise Wrong(
            "argument_order",
            f"{call} returned {value!r}: the order of the arguments, which is what "
            "gather gives, and awaiting the tasks one by one. Return them as they finish, "
            f"{expected!r}: loop over `asyncio.as_completed(...)`.",
        )
    if value == sorted(value):
        raise Wrong(
            "wrong_order",
            f"{call} returned {value!r}: sorted alphabetically, but the downloads finished "
            f"in the order {expected!r}. Append each page as soon as it arrives.",
        )
    raise Wrong(
        "wrong_order",
        f"{call} returned {value!r}, but the downloads finished in the order "
        f"{expected!r}. Append each page as soon as it arrives.",
    )


ex4 = Exercise(
    title="Pages as they arrive",
    answer="in_completion_order",
    checker=check_in_completion_order,
    hints=[
        "`asyncio.as_completed(awaitables)` gives one awaitable per download, in the "
        "order they finish.",
        "`for next_done in asyncio.as_completed(...):` then `page = await next_done`.",
        "gather would give the order of the arguments, not the order of arrival.",
    ],
)
