"""Lesson 09's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.lesson09 import (
    BOOKS,
    Pool,
    ex1,
    ex2,
    ex3,
    ex4,
    fetch_page,
)


def ids(value: Any) -> str:
    return getattr(value, "__name__", str(value))


def test_the_pretend_services_behave_as_their_docstrings_say() -> None:
    async def scenario() -> list[Any]:
        first, cursor = await fetch_page()
        second, _ = await fetch_page(cursor)
        pool = Pool()
        conn = await pool.acquire()
        borrowed = set(pool.borrowed)
        await pool.release(conn)
        return [first, cursor, second, conn, borrowed, pool.borrowed]

    assert asyncio.run(scenario()) == [
        BOOKS[:3],
        "page-2",
        BOOKS[3:6],
        "conn-1",
        {"conn-1"},
        set(),
    ]


# --- exercise 1: Countdown -------------------------------------------------------------


class CountdownBase:
    def __init__(self, start: int) -> None:
        self.number = start

    def __aiter__(self) -> Any:
        return self


class CountdownStopIteration(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopIteration
        await asyncio.sleep(0.1)
        self.number -= 1
        return self.number + 1


class CountdownNeverStops(CountdownBase):
    async def __anext__(self) -> int:
        await asyncio.sleep(0.1)
        self.number -= 1
        return self.number + 1


class CountdownOffByOne(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        await asyncio.sleep(0.1)
        self.number -= 1
        return self.number


class CountdownNoWait(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        self.number -= 1
        return self.number + 1


class CountdownWaitsBeforeStopping(CountdownBase):
    async def __anext__(self) -> int:
        await asyncio.sleep(0.1)
        if self.number == 0:
            raise StopAsyncIteration
        self.number -= 1
        return self.number + 1


class CountdownBlocks(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        time.sleep(0.1)
        self.number -= 1
        return self.number + 1


class CountdownPlainAnext(CountdownBase):
    def __anext__(self) -> int:  # type: ignore[override]
        if self.number == 0:
            raise StopAsyncIteration
        self.number -= 1
        return self.number + 1


class CountdownAsyncAiter(CountdownNoWait):
    async def __aiter__(self) -> Any:  # type: ignore[override]
        return self


class CountdownSharedState:
    number = 0

    def __init__(self, start: int) -> None:
        CountdownSharedState.number = start

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> int:
        if CountdownSharedState.number == 0:
            raise StopAsyncIteration
        await asyncio.sleep(0.1)
        CountdownSharedState.number -= 1
        return CountdownSharedState.number + 1


class CountdownWithoutAiter:
    def __init__(self, start: int) -> None:
        self.number = start

    async def __anext__(self) -> int:
        raise StopAsyncIteration


async def countdown_generator(start: int) -> AsyncIterator[int]:
    for number in range(start, 0, -1):
        await asyncio.sleep(0.1)
        yield number


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (CountdownStopIteration, "stop_iteration"),
        (CountdownNeverStops, "never_stops"),
        (CountdownOffByOne, "wrong_numbers"),
        (CountdownNoWait, "too_fast"),
        (CountdownWaitsBeforeStopping, "extra_wait"),
        (CountdownBlocks, "blocking"),
        (CountdownPlainAnext, "anext_not_async"),
        (CountdownAsyncAiter, "aiter_async"),
        (CountdownSharedState, "shared_state"),
        (CountdownWithoutAiter, "missing_method"),
        (countdown_generator, "not_a_class"),
    ],
    ids=ids,
)
def test_countdown_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


# --- exercise 2: paginate --------------------------------------------------------------


async def paginate_yields_pages(fetch_page: Any) -> AsyncIterator[Any]:
    cursor = None
    while True:
        items, cursor = await fetch_page(cursor)
        yield items
        if cursor is None:
            return


async def paginate_first_page_only(fetch_page: Any) -> AsyncIterator[str]:
    items, _ = await fetch_page()
    for item in items:
        yield item


async def paginate_everything_first(fetch_page: Any) -> AsyncIterator[str]:
    everything, cursor = [], None
    while True:
        items, cursor = await fetch_page(cursor)
        everything.extend(items)
        if cursor is None:
            break
    for item in everything:
        yield item


async def paginate_restarts(fetch_page: Any) -> AsyncIterator[str]:
    while True:
        items, _ = await fetch_page(None)  # BUG: always the first page
        for item in items:
            yield item


async def paginate_misses_the_last_page(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while True:
        items, cursor = await fetch_page(cursor)
        if cursor is None:
            return
        for item in items:
            yield item


async def paginate_returns_a_list(fetch_page: Any) -> list[str]:
    everything, cursor = [], None
    while True:
        items, cursor = await fetch_page(cursor)
        everything.extend(items)
        if cursor is None:
            return everything


def paginate_plain_generator(fetch_page: Any) -> Any:
    cursor = None
    while cursor != "done":
        items, cursor = fetch_page(cursor)
        yield from items


async def paginate_forgot_await(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while True:
        items, cursor = fetch_page(cursor)
        for item in items:
            yield item
        if cursor is None:
            return


async def paginate_starts_at_zero(fetch_page: Any) -> AsyncIterator[str]:
    cursor: Any = 0
    while cursor is not None:
        items, cursor = await fetch_page(cursor)
        for item in items:
            yield item


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (paginate_yields_pages, "yields_pages"),
        (paginate_first_page_only, "first_page_only"),
        (paginate_everything_first, "not_lazy"),
        (paginate_restarts, "never_stops"),
        (paginate_misses_the_last_page, "missed_last_page"),
        (paginate_returns_a_list, "not_a_generator"),
        (paginate_plain_generator, "not_async"),
        (paginate_forgot_await, "forgot_await"),
        (paginate_starts_at_zero, "wrong_cursor"),
    ],
    ids=ids,
)
def test_paginate_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


def test_collecting_every_page_first_is_told_to_yield_as_pages_arrive() -> None:
    assert "as soon as it arrives" in ex2.evaluate(paginate_everything_first).message


# --- exercise 3: first_match -----------------------------------------------------------


async def match_not_closed(source: Any, predicate: Any) -> Any:
    async for item in source:
        if predicate(item):
            return item
    return None


async def match_reads_everything(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        items = [item async for item in source]
    return next((item for item in items if predicate(item)), None)


async def match_plain_for(source: Any, predicate: Any) -> Any:
    for item in source:
        if predicate(item):
            return item
    return None


async def match_with_closing(source: Any, predicate: Any) -> Any:
    with contextlib.closing(source):
        async for item in source:
            if predicate(item):
                return item
    return None


async def match_aclose_not_awaited(source: Any, predicate: Any) -> Any:
    try:
        async for item in source:
            if predicate(item):
                return item
        return None
    finally:
        source.aclose()


async def match_returns_false(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        async for item in source:
            if predicate(item):
                return item
    return False


async def match_returns_the_verdict(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        async for item in source:
            if predicate(item):
                return predicate(item)
    return None


async def match_closes_with_aclose(source: Any, predicate: Any) -> Any:
    try:
        async for item in source:
            if predicate(item):
                return item
        return None
    finally:
        await source.aclose()


def test_closing_with_aclose_in_finally_is_right_too() -> None:
    result = ex3.evaluate(match_closes_with_aclose)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (match_not_closed, "not_closed"),
        (match_reads_everything, "read_everything"),
        (match_plain_for, "plain_for"),
        (match_with_closing, "closing_not_aclosing"),
        (match_returns_false, "wrong_value"),
        (match_returns_the_verdict, "wrong_value"),
    ],
    ids=ids,
)
def test_first_match_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_aclose_without_await_is_caught_as_far_as_this_python_can_tell() -> None:
    result = ex3.evaluate(match_aclose_not_awaited)
    if versions.has("async generator methods warn when never awaited"):
        assert result.mistake == "forgot_await" and "aclose" in result.message
    else:  # nothing tells a forgotten await here: the source is simply still open
        assert result.mistake == "not_closed" and "without" in result.message


def test_an_unclosed_source_is_told_about_aclosing() -> None:
    assert "aclosing" in ex3.evaluate(match_not_closed).message


# --- exercise 4: borrow ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def borrow_without_finally(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    yield conn
    await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_swallows_errors(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    except Exception:
        pass
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_swallows_cancellation(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    except asyncio.CancelledError:
        pass
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_release_not_awaited(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        pool.release(conn)  # type: ignore[unused-coroutine]


@contextlib.asynccontextmanager
async def borrow_yields_the_pool(pool: Pool) -> AsyncIterator[Any]:
    conn = await pool.acquire()
    try:
        yield pool
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_releases_twice(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
        await pool.release(conn)
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_releases_early(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    await pool.release(conn)
    yield conn


async def borrow_missing_decorator(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)


@contextlib.contextmanager
def borrow_sync_decorator(pool: Pool) -> Any:
    yield pool


class BorrowSwallowingClass:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def __aenter__(self) -> str:
        self.conn = await self.pool.acquire()
        return self.conn

    async def __aexit__(self, *exc_info: object) -> bool:
        await self.pool.release(self.conn)
        return True  # BUG: swallows the exception


class BorrowClass(BorrowSwallowingClass):
    async def __aexit__(self, *exc_info: object) -> bool:
        await self.pool.release(self.conn)
        return False


def test_a_class_with_aenter_and_aexit_is_right_too() -> None:
    result = ex4.evaluate(BorrowClass)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (borrow_without_finally, "release_not_in_finally"),
        (borrow_swallows_errors, "swallowed_error"),
        (borrow_swallows_cancellation, "swallowed_cancellation"),
        (borrow_release_not_awaited, "forgot_await"),
        (borrow_yields_the_pool, "wrong_value"),
        (borrow_releases_twice, "released_twice"),
        (borrow_releases_early, "released_early"),
        (borrow_missing_decorator, "missing_decorator"),
        (borrow_sync_decorator, "sync_contextmanager"),
        (BorrowSwallowingClass, "swallowed_error"),
    ],
    ids=ids,
)
def test_borrow_mistakes(answer: Any, mistake: str) -> None:
    assert ex4.evaluate(answer).mistake == mistake
