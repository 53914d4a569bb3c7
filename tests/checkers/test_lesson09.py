"""Lesson 09's checkers: the worked answers pass, right answers written other ways pass
too, and each realistic wrong answer gets its own mistake.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from time import sleep
from typing import Any

from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.lesson09 import (
    BOOKS,
    Pool,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    fetch_email,
    fetch_page,
    query_members,
)

LESSON = "09-async-iterators-and-context-managers"


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


class CountdownForgotAwait(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        asyncio.sleep(0.1)  # noqa: RUF006 - the mistake under test
        self.number -= 1
        return self.number + 1


class CountdownAiterReturnsNothing(CountdownBase):
    def __aiter__(self) -> Any:
        pass  # forgot `return self`

    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        await asyncio.sleep(0.1)
        self.number -= 1
        return self.number + 1


class CountdownAiterGenerator:
    def __init__(self, start: int) -> None:
        self.start = start

    async def __aiter__(self) -> Any:  # an async generator: Countdown is iterable, no iterator
        for number in range(self.start, 0, -1):
            await asyncio.sleep(0.1)
            yield number

    async def __anext__(self) -> int:
        raise NotImplementedError


class CountdownReturnsStop(CountdownBase):
    async def __anext__(self) -> Any:
        if self.number == 0:
            return StopAsyncIteration
        await asyncio.sleep(0.1)
        self.number -= 1
        return self.number + 1


class CountdownNextOnAnIterator:
    def __init__(self, start: int) -> None:
        self.numbers = iter(range(start, 0, -1))

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> int:
        number = next(self.numbers)  # StopIteration at the end, inside a coroutine
        await asyncio.sleep(0.1)
        return number


class CountdownWaitsTheNumber(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        await asyncio.sleep(0.1 * self.number)
        self.number -= 1
        return self.number + 1


class CountdownBusyWait(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        deadline = time.monotonic() + 0.1
        while time.monotonic() < deadline:
            pass
        self.number -= 1
        return self.number + 1


class CountdownAnextGenerator(CountdownBase):
    async def __anext__(self) -> Any:  # type: ignore[override]
        while self.number > 0:
            await asyncio.sleep(0.1)
            yield self.number
            self.number -= 1


class CountdownImportedSleep(CountdownBase):
    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        sleep(0.1)  # time.sleep, imported by name before the check started
        self.number -= 1
        return self.number + 1


class CountdownSkipsTheFirstWait:
    def __init__(self, start: int) -> None:
        self.start = self.number = start

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> int:
        if self.number == 0:
            raise StopAsyncIteration
        if self.number != self.start:
            await asyncio.sleep(0.1)
        self.number -= 1
        return self.number + 1


def test_countdown_from_a_list_is_right_too() -> None:
    class Countdown:
        def __init__(self, start: int) -> None:
            self.numbers = list(range(start, 0, -1))

        def __aiter__(self) -> Any:
            return self

        async def __anext__(self) -> int:
            if not self.numbers:
                raise StopAsyncIteration
            await asyncio.sleep(0.1)
            return self.numbers.pop(0)

    result = ex1.evaluate(Countdown)
    assert result.status == "correct", result.message


def test_countdown_turning_stop_iteration_into_stop_async_iteration_is_right_too() -> None:
    class Countdown:
        def __init__(self, start: int) -> None:
            self.numbers = iter(range(start, 0, -1))

        def __aiter__(self) -> Any:
            return self

        async def __anext__(self) -> int:
            try:
                number = next(self.numbers)
            except StopIteration:
                raise StopAsyncIteration from None
            await asyncio.sleep(0.1)
            return number

    result = ex1.evaluate(Countdown)
    assert result.status == "correct", result.message


def test_correct_countdown_states_when_each_number_came() -> None:
    message = ex1.evaluate(worked(LESSON)["Countdown"]).message
    assert says_measured(message, "gave 3, 2, 1 at {0.1} s, {0.2} s and {0.3} s"), message
    assert "the 5 waits of 0.1 s" in message, message


def test_a_countdown_that_waits_once_more_is_told_by_its_waits() -> None:
    message = ex1.evaluate(CountdownWaitsBeforeStopping).message
    assert "gave 5 numbers but asked the event loop for 7 waits" in message, message


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


async def paginate_while_cursor(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while cursor is not None:  # never true at the start
        items, cursor = await fetch_page(cursor)
        for item in items:
            yield item


async def paginate_async_for_over_items(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while True:
        items, cursor = await fetch_page(cursor)
        async for item in items:  # type: ignore[attr-defined]
            yield item
        if cursor is None:
            return


async def paginate_prefetches_the_next_page(fetch_page: Any) -> AsyncIterator[str]:
    items, cursor = await fetch_page(None)
    while True:
        following = await fetch_page(cursor) if cursor is not None else None
        for item in items:
            yield item
        if following is None:
            return
        items, cursor = following


async def paginate_stops_on_a_short_page(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while True:
        items, cursor = await fetch_page(cursor)
        for item in items:
            yield item
        if len(items) < 3:  # a page that is not full must be the last one
            return


async def paginate_with_asyncio_run(fetch_page: Any) -> AsyncIterator[str]:
    cursor = None
    while True:
        items, cursor = asyncio.run(fetch_page(cursor))
        for item in items:
            yield item
        if cursor is None:
            return


async def paginate_guesses_cursors(fetch_page: Any) -> AsyncIterator[str]:
    number = 1
    while True:
        items, cursor = await fetch_page(f"page-{number}")
        for item in items:
            yield item
        if cursor is None:
            return
        number += 1


async def paginate_fetches_ahead_in_a_task(fetch_page: Any) -> AsyncIterator[str]:
    following = asyncio.ensure_future(fetch_page(None))
    while True:
        items, cursor = await following
        if cursor is not None:
            following = asyncio.ensure_future(fetch_page(cursor))  # fetched ahead
        for item in items:
            yield item
        if cursor is None:
            return


def paginate_plain_function(fetch_page: Any) -> list[str]:
    return list(BOOKS)


def test_a_plain_function_paginate_is_told_to_make_an_async_generator() -> None:
    result = ex2.evaluate(paginate_plain_function)
    assert result.mistake == "not_async"
    assert "async generator" in result.message and "yield" in result.message, result.message


def test_collecting_every_page_first_is_told_to_yield_as_pages_arrive() -> None:
    message = ex2.evaluate(paginate_everything_first).message
    assert "as soon as it arrives" in message and "fetched 3 pages before" in message, message


def test_paginate_checking_the_cursor_at_the_top_of_its_loop_is_right_too() -> None:
    async def paginate(fetch_page: Any) -> AsyncIterator[str]:
        items, cursor = await fetch_page(None)
        for item in items:
            yield item
        while cursor is not None:
            items, cursor = await fetch_page(cursor)
            for item in items:
                yield item

    result = ex2.evaluate(paginate)
    assert result.status == "correct", result.message


def test_paginate_with_a_flag_and_break_is_right_too() -> None:
    async def paginate(fetch_page: Any) -> AsyncIterator[str]:
        cursor, first = None, True
        while first or cursor:
            first = False
            page, cursor = await fetch_page(cursor)
            for book in page:
                yield book

    result = ex2.evaluate(paginate)
    assert result.status == "correct", result.message


def test_correct_paginate_states_the_pages_it_fetched() -> None:
    message = ex2.evaluate(worked(LESSON)["paginate"]).message
    assert says_measured(message, "the first 3 after {0.1} s"), message
    assert "(1 page fetched)" in message, message
    assert "stopped after the last of 3 pages" in message, message
    assert "made it fetch only 2 pages" in message, message


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


async def match_tests_the_predicate_itself(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        async for item in source:
            if predicate:  # always true: the function, not its verdict
                return item
    return None


async def match_returns_the_last_item_read(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        async for item in source:
            if predicate(item):
                break
    return item


async def match_closes_only_on_a_match(source: Any, predicate: Any) -> Any:
    async for item in source:
        if predicate(item):
            await source.aclose()
            return item
    return None


async def match_swallows_errors(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        try:
            async for item in source:
                if predicate(item):
                    return item
        except Exception:
            return None
    return None


async def match_with_anext_and_no_end(source: Any, predicate: Any) -> Any:
    async with contextlib.aclosing(source):
        while True:
            item = await anext(source)
            if predicate(item):
                return item


async def match_calls_close(source: Any, predicate: Any) -> Any:
    try:
        async for item in source:
            if predicate(item):
                return item
        return None
    finally:
        source.close()


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


def test_iterating_what_aclosing_gives_is_right_too() -> None:
    async def first_match(source: Any, predicate: Any) -> Any:
        async with contextlib.aclosing(source) as numbers:
            async for number in numbers:
                if predicate(number):
                    return number
        return None

    result = ex3.evaluate(first_match)
    assert result.status == "correct", result.message


def test_aclose_without_await_is_caught_as_far_as_this_python_can_tell() -> None:
    result = ex3.evaluate(match_aclose_not_awaited)
    if versions.has("async generator methods warn when never awaited"):
        assert result.mistake == "forgot_await" and "aclose" in result.message
    else:  # nothing tells a forgotten await here: the source is simply still open
        assert result.mistake == "not_closed" and "without" in result.message


def test_an_unclosed_source_is_told_about_aclosing() -> None:
    assert "aclosing" in ex3.evaluate(match_not_closed).message


def test_closing_only_on_a_match_is_told_about_the_error_path() -> None:
    message = ex3.evaluate(match_closes_only_on_a_match).message
    assert "when the predicate raised at 3" in message and "left the source open" in message


def test_correct_first_match_states_how_far_it_read() -> None:
    message = ex3.evaluate(worked(LESSON)["first_match"]).message
    assert "returned 2 after reading 2 of the 5 numbers" in message, message
    assert "BadItem went on to the caller" in message, message


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


@contextlib.asynccontextmanager
async def borrow_acquire_not_awaited(pool: Pool) -> AsyncIterator[Any]:
    conn = pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def borrow_acquires_inside_try(pool: Pool) -> AsyncIterator[str]:
    try:
        conn = await pool.acquire()
        yield conn
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_releases_none_if_not_acquired(pool: Pool) -> AsyncIterator[str]:
    conn = None
    try:
        conn = await pool.acquire()
        yield conn
    finally:
        await pool.release(conn)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def borrow_catches_base_exception(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    except BaseException:
        print("the block failed")
    finally:
        await pool.release(conn)


@contextlib.asynccontextmanager
async def borrow_returns_in_finally(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)
        return  # noqa: B012 - the mistake under test


@contextlib.asynccontextmanager
async def borrow_releases_on_exception_only(pool: Pool) -> AsyncIterator[str]:
    conn = await pool.acquire()
    try:
        yield conn
    except Exception:
        await pool.release(conn)
        raise
    await pool.release(conn)


async def borrow_coroutine_function(pool: Pool) -> str:
    return await pool.acquire()


class BorrowClassNeverReleases(BorrowSwallowingClass):
    async def __aexit__(self, *exc_info: object) -> bool:
        return False


class BorrowClassReturnsItself(BorrowClass):
    async def __aenter__(self) -> Any:
        self.conn = await self.pool.acquire()
        return self


class BorrowClassPlainMethods:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def __aenter__(self) -> Any:
        return self.pool.acquire()

    def __aexit__(self, *exc_info: object) -> Any:
        return None


class BorrowClassForWith:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def __enter__(self) -> Any:
        return self.pool

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_a_class_with_aenter_and_aexit_is_right_too() -> None:
    result = ex4.evaluate(BorrowClass)
    assert result.status == "correct", result.message


def test_borrow_with_an_exit_stack_is_right_too() -> None:
    @contextlib.asynccontextmanager
    async def borrow(pool: Pool) -> AsyncIterator[str]:
        async with contextlib.AsyncExitStack() as stack:
            conn = await pool.acquire()
            stack.push_async_callback(pool.release, conn)
            yield conn

    result = ex4.evaluate(borrow)
    assert result.status == "correct", result.message


def test_a_return_in_finally_is_named() -> None:
    message = ex4.evaluate(borrow_returns_in_finally).message
    assert "A `return` in a `finally:`" in message, message


def test_releasing_on_exception_only_is_told_why_cancellation_skipped_it() -> None:
    message = ex4.evaluate(borrow_releases_on_exception_only).message
    assert "(a body that is cancelled)" in message and "not an Exception" in message, message


def test_a_class_is_told_about_aexit_not_finally() -> None:
    message = ex4.evaluate(BorrowClassNeverReleases).message
    assert "__aexit__" in message and "finally" not in message, message


def test_correct_borrow_states_the_releases_it_counted() -> None:
    message = ex4.evaluate(worked(LESSON)["borrow"]).message
    assert "after the block (1 release)" in message, message
    assert "it released 0 connections" in message, message


# --- exercise 5: active_emails ------------------------------------------------------------


async def emails_plain_comprehension(members: Any, fetch_email: Any) -> Any:
    return {m["name"]: await fetch_email(m["name"]) for m in members if m["active"]}


async def emails_plain_for(members: Any, fetch_email: Any) -> Any:
    emails = {}
    for member in members:
        if member["active"]:
            emails[member["name"]] = await fetch_email(member["name"])
    return emails


async def emails_awaiting_the_cursor(members: Any, fetch_email: Any) -> Any:
    rows = await members
    return {m["name"]: await fetch_email(m["name"]) for m in rows if m["active"]}


async def emails_without_await(members: Any, fetch_email: Any) -> Any:
    return {m["name"]: fetch_email(m["name"]) async for m in members if m["active"]}


async def emails_filtered_after_fetching(members: Any, fetch_email: Any) -> Any:
    found = {m["name"]: (m["active"], await fetch_email(m["name"])) async for m in members}
    return {name: email for name, (active, email) in found.items() if active}


async def emails_in_two_passes(members: Any, fetch_email: Any) -> Any:
    names = [m["name"] async for m in members if m["active"]]
    emails = [await fetch_email(m["name"]) async for m in members if m["active"]]
    return dict(zip(names, emails, strict=False))


async def emails_as_completed(members: Any, fetch_email: Any) -> Any:
    names = [m["name"] async for m in members if m["active"]]
    lookups = asyncio.as_completed([fetch_email(name) for name in names])
    return dict(zip(names, [await email for email in lookups], strict=True))


async def emails_as_tasks(members: Any, fetch_email: Any) -> Any:
    return {
        m["name"]: asyncio.create_task(fetch_email(m["name"])) async for m in members if m["active"]
    }


async def emails_as_a_list(members: Any, fetch_email: Any) -> Any:
    return [await fetch_email(m["name"]) async for m in members if m["active"]]


async def emails_gathered_as_a_list(members: Any, fetch_email: Any) -> Any:
    return await asyncio.gather(*[fetch_email(m["name"]) async for m in members if m["active"]])


async def emails_without_the_filter(members: Any, fetch_email: Any) -> Any:
    return {m["name"]: await fetch_email(m["name"]) async for m in members}


async def emails_inactive_as_none(members: Any, fetch_email: Any) -> Any:
    return {
        m["name"]: (await fetch_email(m["name"]) if m["active"] else None) async for m in members
    }


async def emails_with_asyncio_run(members: Any, fetch_email: Any) -> Any:
    async def collect() -> Any:
        return {m["name"]: await fetch_email(m["name"]) async for m in members if m["active"]}

    return asyncio.run(collect())


async def emails_first_member_only(members: Any, fetch_email: Any) -> Any:
    member = await anext(members)
    return {member["name"]: await fetch_email(member["name"])}


async def emails_looked_up_twice(members: Any, fetch_email: Any) -> Any:
    return {
        m["name"]: await fetch_email(m["name"])
        async for m in members
        if m["active"] and await fetch_email(m["name"])  # "has an email?"
    }


async def emails_passing_the_record(members: Any, fetch_email: Any) -> Any:
    return {m["name"]: await fetch_email(m) async for m in members if m["active"]}


def test_the_pretend_cursor_and_directory_behave_as_their_docstrings_say() -> None:
    async def scenario() -> list[Any]:
        rows = [member async for member in query_members()]
        return [rows, await fetch_email("ada")]

    rows, email = asyncio.run(scenario())
    assert [row["name"] for row in rows] == ["ada", "bob", "grace", "eve", "linus"]
    assert [row["name"] for row in rows if not row["active"]] == ["bob", "eve"]
    assert email == "ada@example.org"


def test_active_emails_right_other_ways() -> None:
    async def emails_with_a_loop(members: Any, fetch_email: Any) -> Any:
        emails = {}
        async for member in members:
            if member["active"]:
                emails[member["name"]] = await fetch_email(member["name"])
        return emails

    async def emails_gathered(members: Any, fetch_email: Any) -> Any:
        names = [m["name"] async for m in members if m["active"]]
        return dict(zip(names, await asyncio.gather(*map(fetch_email, names)), strict=True))

    async def emails_closing_the_cursor(members: Any, fetch_email: Any) -> Any:
        async with contextlib.aclosing(members):
            return {m["name"]: await fetch_email(m["name"]) async for m in members if m["active"]}

    for answer in (emails_with_a_loop, emails_gathered, emails_closing_the_cursor):
        result = ex5.evaluate(answer)
        assert result.status == "correct", result.message


def test_active_emails_correct_message_states_what_was_measured() -> None:
    message = ex5.evaluate(worked(LESSON)["active_emails"]).message
    assert "read the 5 rows once" in message and "looked up 3 emails" in message, message


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
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
        (CountdownForgotAwait, "forgot_await"),
        (CountdownAiterReturnsNothing, "aiter_not_self"),
        (CountdownAiterGenerator, "aiter_not_self"),
        (CountdownReturnsStop, "returned_stop"),
        (CountdownNextOnAnIterator, "stop_iteration"),
        (CountdownWaitsTheNumber, "wrong_wait"),
        (CountdownBusyWait, "blocking"),
        (CountdownAnextGenerator, "anext_generator"),
        (CountdownImportedSleep, "blocking"),
        (CountdownSkipsTheFirstWait, "too_fast"),
    ],
    ex2: [
        (paginate_yields_pages, "yields_pages"),
        (paginate_first_page_only, "first_page_only"),
        (paginate_everything_first, "not_lazy"),
        (paginate_restarts, "never_stops"),
        (paginate_misses_the_last_page, "missed_last_page"),
        (paginate_returns_a_list, "not_a_generator"),
        (paginate_plain_generator, "not_async"),
        (paginate_forgot_await, "forgot_await"),
        (paginate_starts_at_zero, "wrong_cursor"),
        (paginate_while_cursor, "never_fetched"),
        (paginate_async_for_over_items, "async_for_over_list"),
        (paginate_prefetches_the_next_page, "not_lazy"),
        (paginate_stops_on_a_short_page, "never_stops"),
        (paginate_with_asyncio_run, "nested_run"),
        (paginate_guesses_cursors, "wrong_cursor"),
        (paginate_fetches_ahead_in_a_task, "not_lazy"),
        (paginate_plain_function, "not_async"),
    ],
    ex3: [
        (match_not_closed, "not_closed"),
        (match_reads_everything, "read_everything"),
        (match_plain_for, "plain_for"),
        (match_with_closing, "closing_not_aclosing"),
        (match_returns_false, "wrong_value"),
        (match_returns_the_verdict, "wrong_value"),
        (match_tests_the_predicate_itself, "predicate_not_called"),
        (match_returns_the_last_item_read, "wrong_value"),
        (match_closes_only_on_a_match, "not_closed"),
        (match_swallows_errors, "swallowed_error"),
        (match_with_anext_and_no_end, "stop_async_iteration"),
        (match_calls_close, "closing_not_aclosing"),
    ],
    ex4: [
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
        (borrow_acquire_not_awaited, "forgot_await"),
        (borrow_acquires_inside_try, "acquired_inside_try"),
        (borrow_releases_none_if_not_acquired, "acquired_inside_try"),
        (borrow_catches_base_exception, "swallowed_error"),
        (borrow_returns_in_finally, "return_in_finally"),
        (borrow_releases_on_exception_only, "release_not_in_finally"),
        (borrow_coroutine_function, "not_a_context_manager"),
        (BorrowClassNeverReleases, "not_released"),
        (BorrowClassReturnsItself, "wrong_value"),
        (BorrowClassPlainMethods, "aenter_not_async"),
        (BorrowClassForWith, "sync_contextmanager"),
    ],
    ex5: [
        (emails_plain_comprehension, "plain_for"),
        (emails_plain_for, "plain_for"),
        (emails_awaiting_the_cursor, "awaited_iterator"),
        (emails_without_await, "forgot_await"),
        (emails_filtered_after_fetching, "fetched_inactive"),
        (emails_in_two_passes, "read_twice"),
        (emails_as_completed, "pairs_mixed_up"),
        (emails_as_tasks, "tasks_not_awaited"),
        (emails_as_a_list, "wrong_type"),
        (emails_gathered_as_a_list, "wrong_type"),
        (emails_without_the_filter, "fetched_inactive"),
        (emails_inactive_as_none, "kept_inactive"),
        (emails_with_asyncio_run, "nested_run"),
        (emails_first_member_only, "stopped_early"),
        (emails_looked_up_twice, "fetched_twice"),
        (emails_passing_the_record, "wrong_name"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
