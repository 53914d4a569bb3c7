"""Exercise 3: ``first_match(source, predicate)``: stop early, and close the source at once.

The checker's source is an async generator that notes how many numbers were taken from
it and whether its ``finally`` has run (it is closed).  Three searches: one that finds a
match after 2 numbers of 5, one that finds none in 3, and one whose predicate raises an
error at the third number.  Each time the checker notes, at the very moment
``first_match`` returned or raised, what it returned, how far it read, how often it
called the predicate and whether the source was already closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine


class _Stream:
    """An async generator of numbers for the checker, which notes how far it got."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.taken = 0
        self.closed = False

    async def numbers(self) -> AsyncIterator[int]:
        try:
            for number in range(1, self.count + 1):
                await asyncio.sleep(0.1)
                self.taken += 1
                yield number
        finally:
            self.closed = True


class BadItem(ValueError):
    """The error the checker's failing predicate raises: it must reach the caller."""


class _Predicate:
    """A predicate that counts its calls, and raises :class:`BadItem` on ``fails_on``."""

    def __init__(self, name: str, test: Callable[[int], bool], fails_on: int = 0) -> None:
        self.name = name
        self.test = test
        self.fails_on = fails_on
        self.calls = 0

    def __call__(self, item: int) -> bool:
        self.calls += 1
        if item == self.fails_on:
            raise BadItem(f"cannot judge item {item}")
        return self.test(item)


@dataclass
class _Search:
    """One search, as it stood the moment ``first_match`` returned or raised."""

    value: Any = None
    error: BadItem | None = None
    read: int = 0
    closed: bool = False
    predicate_calls: int = 0


async def _search(first_match: Any, stream: _Stream, predicate: _Predicate) -> _Search:
    source = stream.numbers()
    search = _Search()
    try:
        search.value = await first_match(source, predicate)
    except BadItem as error:
        search.error = error
    search.read, search.closed = stream.taken, stream.closed
    search.predicate_calls = predicate.calls
    return search  # (`source` was referenced until now: only first_match could close it)


@dataclass(frozen=True)
class _Case:
    count: int
    predicate: str
    test: Callable[[int], bool]
    expected: Any
    enough: int
    """How many numbers a right answer reads."""
    fails_on: int = 0


CASES = [
    _Case(5, "is_even", lambda n: n % 2 == 0, 2, 2),
    _Case(3, "is_big", lambda n: n > 10, None, 3),
    _Case(5, "a predicate that raises BadItem at 3", lambda n: n > 10, None, 3, fails_on=3),
]


def check_first_match(first_match: Any) -> Result:
    """``first_match(source, predicate)``: the first item that matches; the source closed."""
    expect_coroutine_function(first_match)
    searches = []
    for case in CASES:
        call = f"first_match(numbers 1 to {case.count}, {case.predicate})"
        stream = _Stream(case.count)
        predicate = _Predicate(case.predicate, case.test, case.fails_on)
        outcome = run_coroutine(partial(_search, first_match, stream, predicate))
        searches.append(_judge_search(outcome, call, case))
    found, none, failed = searches
    return correct(
        f"first_match returned {found.value!r} after reading {found.read} of the 5 numbers, "
        f"with the source already closed when it returned; with no match it read all "
        f"{none.read} and returned {none.value!r}; and when the predicate raised at "
        f"{CASES[2].fails_on}, {type(failed.error).__name__} went on to the caller, the "
        "source closed by then too."
    )


def _judge_search(outcome: Outcome, call: str, case: _Case) -> _Search:
    """The value, read from no more of the source than needed, with the source closed."""
    error = outcome.error
    if isinstance(error, TypeError) and "not iterable" in str(error):
        raise Wrong(
            "plain_for",
            f"{call} raised {error_text(error)}. An async generator is not an iterator: "
            "loop over it with `async for`.",
            suggests="async for",
        )
    if isinstance(error, AttributeError) and "close" in str(error):
        raise Wrong(
            "closing_not_aclosing",
            f"{call} raised {error_text(error)}. An async generator has no close(): its "
            "cleanup may need to await, so it has aclose(), a coroutine. Use "
            "`async with contextlib.aclosing(source):` (not contextlib.closing), or "
            "`await source.aclose()`.",
            suggests="contextlib.aclosing(source)",
        )
    if isinstance(error, StopAsyncIteration):
        raise Wrong(
            "stop_async_iteration",
            f"{call} raised StopAsyncIteration: `await anext(source)` raises it when the "
            "source has no more numbers, and nothing caught it. Loop with "
            "`async for item in source:`, which stops there by itself.",
            suggests="async for",
        )
    common_mistakes(outcome, call)
    search: _Search = outcome.value
    if search.predicate_calls == 0 and search.read:
        raise Wrong(
            "predicate_not_called",
            f"{call} returned {search.value!r} without ever calling the predicate: `if "
            "predicate:` asks whether the function exists, which is always true. Call it: "
            "`if predicate(item):`.",
            suggests="predicate(item)",
        )
    if search.read > case.enough:
        raise Wrong(
            "read_everything",
            f"{call} read {search.read} numbers where {case.enough} were enough. Stop at "
            "the first match: every item read may cost a page or a query.",
        )
    if case.fails_on and search.error is None:
        raise Wrong(
            "swallowed_error",
            f"{call}: the predicate raised BadItem at {case.fails_on}, and first_match "
            f"returned {search.value!r} instead of letting the error go on to its caller. "
            "Catch nothing: `async with contextlib.aclosing(source):` (or a `finally:`) "
            "still closes the source on the error's way out.",
        )
    if search.value != case.expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {search.value!r}; it should return {case.expected!r}.",
        )
    if not search.closed:
        raise _not_closed(call, case)
    return search


def _not_closed(call: str, case: _Case) -> Wrong:
    """The source was still open when first_match was done with it."""
    if case.fails_on:
        how = (
            f"when the predicate raised at {case.fails_on}, it let the error go on "
            "but left the source open: it closes the source only on its way out with a "
            "match, and an error takes another way out."
        )
    else:
        how = (
            "it returned with the source still open: `return` inside `async for` "
            "leaves the generator suspended, and its cleanup would run much later."
        )
    return Wrong(
        "not_closed",
        f"{call}: {how} Wrap the loop in `async with contextlib.aclosing(source):`, which "
        "closes it however the function ends (an `await source.aclose()` in a `finally:` "
        "does too; without its `await`, aclose() does nothing).",
        suggests="contextlib.aclosing(source)",
    )


ex3 = Exercise(
    title="Stop early, close at once",
    answer="first_match",
    checker=check_first_match,
    hints=[
        "`async for item in source:` and `return item` as soon as `predicate(item)` is true.",
        "Returning from inside `async for` does not close the generator. Put the loop in "
        "`async with contextlib.aclosing(source):`, which closes it however the block ends.",
        "After the loop (nothing matched), return None.",
    ],
)
