"""Lesson 09's exercises: async iterators, async generators and async context managers.

The workbook imports ``Pool``, ``fetch_page`` and ``ex1`` to ``ex4`` from here
(``fetch_page??`` and ``Pool??`` show the pretend services); the worked answers are in
``solutions/09-async-iterators-and-context-managers.ipynb``.  The checkers iterate the
learner's iterators and enter their context managers for real, and note what had
happened when the answer was done with them: items produced, pages fetched, a generator
closed or not, a connection given back or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import watch_answer

MAX_ITEMS = 30  # an iterator that gives more than this is taken to never stop


async def _take(iterable: Any, limit: int = MAX_ITEMS) -> tuple[list[Any], list[float], float]:
    """Up to ``limit`` items, when each came, and when the iteration ended (seconds)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    items, times = [], []
    async for item in iterable:
        items.append(item)
        times.append(loop.time() - started)
        if len(items) >= limit:
            break
    return items, times, loop.time() - started


# --- Exercise 1: Countdown --------------------------------------------------------------


def check_countdown(cls: Any) -> Result:
    """``async for n in Countdown(3)`` gives 3, 2, 1, waiting 0.1 s before each."""
    _countdown_shape(cls)
    call = "async for over Countdown(3) and Countdown(2) at the same time"
    outcome = run_coroutine(lambda: asyncio.gather(_take(cls(3), limit=8), _take(cls(2), limit=8)))
    if isinstance(outcome.error, RuntimeError) and "StopIteration" in str(outcome.error):
        raise Wrong(
            "stop_iteration",
            f"{call} raised {outcome.error!r}. __anext__ must end the loop with "
            "`raise StopAsyncIteration`; a StopIteration inside a coroutine becomes this "
            "RuntimeError.",
        )
    common_mistakes(outcome, call)
    (three, times, ended), (two, _, _) = outcome.value
    if (three, two) != ([3, 2, 1], [2, 1]):
        alone = run_coroutine(lambda: _take(cls(3), limit=8))
        if alone.error is None and alone.value[0] == [3, 2, 1]:
            raise Wrong(
                "shared_state",
                f"Countdown(3) alone gives 3, 2, 1, but beside a Countdown(2) it gave "
                f"{three[:8]}: the two share their count. Keep it in the instance "
                "(`self.number`), not in the class.",
            )
    if len(three) >= 8:
        raise Wrong(
            "never_stops",
            f"Countdown(3) gave {three[:8]}... and did not stop. After 1, __anext__ must "
            "`raise StopAsyncIteration`.",
        )
    if (three, two) != ([3, 2, 1], [2, 1]):
        raise Wrong(
            "wrong_numbers",
            f"Countdown(3) gave {three} and Countdown(2) gave {two}; they should give "
            "[3, 2, 1] and [2, 1]. Keep the next number in the instance (self).",
        )
    if ended - times[-1] >= 0.1 - EARLY_ALLOWANCE and times[0] >= 0.1 - EARLY_ALLOWANCE:
        raise Wrong(
            "extra_wait",
            f"Countdown(3) gave 1 after {times[-1]:.1f} s but stopped only after "
            f"{ended:.1f} s: it waited once more before stopping. Check for the end first.",
        )
    judge_duration(ended, 0.3, "Countdown(3)", tolerance=0.1)
    return correct(
        "Countdown(3) gave 3, 2, 1 at 0.1, 0.2 and 0.3 s and stopped; Countdown(2), running "
        "at the same time, gave 2, 1: each instance counts on its own, and waiting lets the "
        "other one run."
    )


def _countdown_shape(cls: Any) -> None:
    """A class with both methods of the protocol, ``__anext__`` async, ``__aiter__`` not."""
    if not inspect.isclass(cls):
        raise Wrong(
            "not_a_class",
            f"check needs the class Countdown itself, not a {type(cls).__name__}; this "
            "exercise is about writing __aiter__ and __anext__ by hand.",
        )
    if not hasattr(cls, "__aiter__") or not hasattr(cls, "__anext__"):
        raise Wrong(
            "missing_method",
            "Countdown needs both methods of the protocol: __aiter__ (returning self) and "
            "__anext__ (returning the next number).",
        )
    if inspect.iscoroutinefunction(cls.__aiter__):
        raise Wrong(
            "aiter_async",
            "Countdown.__aiter__ is `async def`: `async for` calls it without awaiting, so "
            "it gets a coroutine. Make it a plain `def __aiter__(self): return self`.",
        )
    if not inspect.iscoroutinefunction(cls.__anext__):
        raise Wrong(
            "anext_not_async",
            "Countdown.__anext__ is a plain `def`: `async for` awaits what it returns. "
            "Make it `async def __anext__(self):`, so that it can wait.",
        )


ex1 = Exercise(
    title="A countdown by hand",
    answer="Countdown",
    checker=check_countdown,
    hints=[
        "In __init__, keep the next number: `self.number = start`. __aiter__ returns self.",
        "`async def __anext__(self)`: if self.number is 0, `raise StopAsyncIteration`; "
        "otherwise wait, then return the number and count down.",
        "Wait with `await asyncio.sleep(0.1)` after checking for the end, before returning.",
    ],
)

# --- Exercise 2: paginate ---------------------------------------------------------------


class _Catalogue:
    """A pretend paged API over ``items``, counting the pages fetched."""

    def __init__(self, items: list[str], size: int = 3) -> None:
        self.pages = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        self.requested = 0

    async def fetch_page(self, cursor: str | None = None) -> tuple[list[str], str | None]:
        number = 1 if cursor is None else _page_number(cursor, len(self.pages))
        self.requested += 1
        await asyncio.sleep(0.1)
        following = f"page-{number + 1}" if number < len(self.pages) else None
        return list(self.pages[number - 1]), following


def _page_number(cursor: Any, count: int) -> int:
    number = str(cursor).removeprefix("page-")
    if not number.isdigit() or not 2 <= int(number) <= count:
        raise LookupError(f"no page at cursor {cursor!r}; the first page is fetch_page(None)")
    return int(number)


BOOKS = [f"book-{n}" for n in range(1, 9)]
_books = _Catalogue(BOOKS)


async def fetch_page(cursor: str | None = None) -> tuple[list[str], str | None]:
    """Pretend to fetch one page of a catalogue of 8 books; return ``(items, next_cursor)``.

    Each call takes 0.1 s.  ``await fetch_page()`` returns
    ``(['book-1', 'book-2', 'book-3'], 'page-2')``; ``await fetch_page('page-2')`` the
    next three and ``'page-3'``; the last page has ``None`` as its next cursor.
    """
    return await _books.fetch_page(cursor)


def check_paginate(paginate: Any) -> Result:
    """``paginate(fetch_page)`` yields every item, fetching pages only as they are needed."""
    if inspect.isgeneratorfunction(paginate):
        raise Wrong(
            "not_async",
            "paginate is a plain generator (`def` with `yield`): it cannot await fetch_page. "
            "Define it with `async def`; with `yield` inside, it is an async generator.",
        )
    if inspect.iscoroutinefunction(paginate):
        # The untouched stub has no `yield` either: running it ends the check for it.
        run_coroutine(lambda: paginate(_Catalogue(BOOKS).fetch_page))
        raise Wrong(
            "not_a_generator",
            "paginate is a coroutine function (`async def` without `yield`), so it "
            "returns everything at once. `yield` each item instead, and the caller "
            "gets them as the pages arrive.",
        )
    if not inspect.isasyncgenfunction(paginate):
        expect_coroutine_function(paginate)
        raise Wrong("not_a_generator", "paginate must be an async generator function.")
    for items in (BOOKS, BOOKS[:6], []):
        _judge_pages(paginate, items)
    _judge_laziness(paginate)
    return correct(
        "paginate yielded the 8 books in order, the first 3 after 0.1 s, when the first "
        "page arrived; it stopped after the last page (a full one, or an empty catalogue); "
        "and a reader that wanted 4 books made it fetch only 2 pages."
    )


def _judge_pages(paginate: Any, items: list[str]) -> None:
    """Read a catalogue of ``items`` to its end: every item, in order, as pages arrive."""
    catalogue = _Catalogue(items)
    call = f"paginate(fetch_page) over {len(items)} items"
    outcome = run_coroutine(lambda: _take(paginate(catalogue.fetch_page)))
    if isinstance(outcome.error, LookupError):
        raise Wrong("wrong_cursor", f"{call} raised {outcome.error}.")
    if isinstance(outcome.error, TypeError) and "coroutine" in str(outcome.error):
        raise Wrong(
            "forgot_await",
            f"{call} raised {outcome.error!r}: fetch_page(...) gives a coroutine, and only "
            "`await fetch_page(cursor)` gives the page.",
        )
    common_mistakes(outcome, call)
    got, times, _ = outcome.value
    if got and all(isinstance(item, list) for item in got):
        raise Wrong(
            "yields_pages",
            f"{call} yielded whole pages ({got[0]!r}, ...). Yield the items one by one: "
            "`for item in items: yield item`.",
        )
    if len(got) >= MAX_ITEMS or (items and got[: len(items)] == items and len(got) > len(items)):
        raise Wrong(
            "never_stops",
            f"{call} gave {got[:5]}... and more than there are. Stop when the next cursor "
            "is None, instead of fetching with it.",
        )
    if items and got == items[:3] and len(items) > 3:
        raise Wrong(
            "first_page_only",
            f"{call} yielded only {got}, the first page. Loop: fetch the next page with "
            "the cursor the last one gave, until that cursor is None.",
        )
    if got != items and got == items[: len(got)] and catalogue.requested == len(catalogue.pages):
        raise Wrong(
            "missed_last_page",
            f"{call} yielded {got}, leaving out the last page's items. Yield a page's "
            "items before checking whether there is a next page.",
        )
    if got != items:
        raise Wrong("wrong_items", f"{call} yielded {got}; it should yield {items}.")
    if items and times[0] >= 0.2:
        raise Wrong(
            "not_lazy",
            f"{call} gave its first item only after {times[0]:.1f} s: it fetched every "
            "page before yielding anything. Yield a page's items as soon as it arrives.",
        )


def _judge_laziness(paginate: Any) -> None:
    """A reader that wants only 4 items makes it fetch only the 2 pages that hold them."""
    catalogue = _Catalogue(BOOKS)

    async def read_four() -> None:
        async with contextlib.aclosing(paginate(catalogue.fetch_page)) as books:
            await _take(books, limit=4)

    outcome = run_coroutine(read_four)
    outcome.left_running = []  # a page fetched ahead: judged by the count below
    common_mistakes(outcome, "reading 4 items from paginate(fetch_page)")
    if catalogue.requested > 2:
        raise Wrong(
            "not_lazy",
            f"a reader that wanted 4 books made paginate fetch {catalogue.requested} pages; "
            "2 hold them. Fetch the next page only once the items of this one have been "
            "taken.",
        )


ex2 = Exercise(
    title="Page by page",
    answer="paginate",
    checker=check_paginate,
    hints=[
        "Start with `cursor = None` and loop: `items, cursor = await fetch_page(cursor)`.",
        "Yield each item of the page (`for item in items: yield item`) before fetching "
        "the next one.",
        "Stop when the cursor the page gave is None: `if cursor is None: return` (a bare "
        "return ends an async generator).",
    ],
)

# --- Exercise 3: first_match ------------------------------------------------------------


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


async def _match(first_match: Any, stream: _Stream, predicate: Any) -> tuple[Any, int, bool]:
    source = stream.numbers()
    value = await first_match(source, predicate)
    return value, stream.taken, stream.closed  # (the source is still referenced here)


def check_first_match(first_match: Any) -> Result:
    """``first_match(source, predicate)``: the first item that matches; the source closed."""
    expect_coroutine_function(first_match)
    cases = [(5, "is_even", lambda n: n % 2 == 0, 2, 2), (3, "is_big", lambda n: n > 10, None, 3)]
    for count, name, predicate, expected, taken in cases:
        call = f"first_match(numbers 1 to {count}, {name})"
        stream = _Stream(count)
        outcome = run_coroutine(partial(_match, first_match, stream, predicate))
        _judge_match(outcome, call, expected, taken)
    return correct(
        "first_match returned 2 after reading 2 numbers of 5, with the source already "
        "closed when it returned; with no match, it read them all and returned None."
    )


def _judge_match(outcome: Outcome, call: str, expected: Any, taken: int) -> None:
    """The value, read from no more of the source than needed, with the source closed."""
    error = outcome.error
    if isinstance(error, TypeError) and "not iterable" in str(error):
        raise Wrong(
            "plain_for",
            f"{call} raised {error!r}. An async generator is not an iterator: loop over it "
            "with `async for`.",
        )
    if isinstance(error, AttributeError) and "close" in str(error):
        raise Wrong(
            "closing_not_aclosing",
            f"{call} raised {error!r}. contextlib.closing calls close(); an async "
            "generator has aclose(): use `contextlib.aclosing(source)`.",
        )
    common_mistakes(outcome, call)
    value, read, closed = outcome.value
    if read > taken:
        raise Wrong(
            "read_everything",
            f"{call} read {read} numbers where {taken} were enough. Stop at the first "
            "match: every item read may cost a page or a query.",
        )
    if value != expected:
        raise Wrong("wrong_value", f"{call} returned {value!r}; it should return {expected!r}.")
    if not closed:
        raise Wrong(
            "not_closed",
            f"{call} returned with the source still open: `return` inside `async for` leaves "
            "the generator suspended, and its cleanup would run much later. Wrap the loop in "
            "`async with contextlib.aclosing(source):` (or `await source.aclose()`: without "
            "its `await`, aclose() does nothing).",
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

# --- Exercise 4: borrow -----------------------------------------------------------------


class Pool:
    """A pretend pool of connections: ``acquire()`` and ``release(conn)`` each take 0.1 s.

    ``conn = await pool.acquire()`` gives a connection (``'conn-1'``, ...), which stays in
    ``pool.borrowed`` until ``await pool.release(conn)`` gives it back.
    """

    def __init__(self) -> None:
        self.borrowed: set[str] = set()
        self.acquired = 0
        self.releases = 0

    async def acquire(self) -> str:
        await asyncio.sleep(0.1)
        self.acquired += 1
        conn = f"conn-{self.acquired}"
        self.borrowed.add(conn)
        return conn

    async def release(self, conn: str) -> None:
        await asyncio.sleep(0.1)
        self.releases += 1
        self.borrowed.discard(conn)


class _Body:
    """What the body of ``async with borrow(pool) as conn:`` saw."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.borrowed_meanwhile = False


async def _use(borrow: Any, pool: Pool, body: _Body, then: str) -> str:
    async with borrow(pool) as conn:
        body.conn = conn
        await asyncio.sleep(0.1)
        body.borrowed_meanwhile = conn in pool.borrowed
        if then == "raise":
            raise ValueError("bad query")
        if then == "wait":
            await asyncio.sleep(1.0)  # cancelled meanwhile
    return "done"


def check_borrow(borrow: Any) -> Result:
    """``async with borrow(pool) as conn``: always released once; errors go on."""
    if inspect.isasyncgenfunction(borrow):
        raise Wrong(
            "missing_decorator",
            "borrow is an async generator function without its decorator. Put "
            "`@contextlib.asynccontextmanager` on the line above `async def borrow`.",
        )
    inner = getattr(borrow, "__wrapped__", None)
    if inspect.iscoroutinefunction(inner):
        # The untouched stub has no `yield` either: running it ends the check for it.
        run_coroutine(lambda: inner(Pool()))
        raise Wrong(
            "no_yield",
            "borrow has no `yield`: an async context manager written with "
            "@contextlib.asynccontextmanager yields the connection to the block.",
        )
    for then, words in [("", ""), ("raise", " raising ValueError"), ("wait", ", cancelled")]:
        _judge_borrow(borrow, then, f"async with borrow(pool) as conn: (a body{words})")
    return correct(
        "borrow(pool) lent the block a connection and gave it back exactly once: after the "
        "block, when the block raised ValueError (which went on), and when it was cancelled "
        "(which went on too)."
    )


def _judge_borrow(borrow: Any, then: str, call: str) -> None:
    """One ``async with`` block (``then``: ends, raises or is cancelled): the connection
    lent to it, and given back once, after it; the error or cancellation goes on."""
    pool, body = Pool(), _Body()
    cancels = {"cancel_after": 0.3} if then == "wait" else {}
    outcome, ending = watch_answer(partial(_use, borrow, pool, body, then), **cancels)
    error = ending.error or outcome.error
    if isinstance(error, TypeError) and "asynchronous context manager" in str(error):
        raise Wrong(
            "sync_contextmanager",
            f"{call} raised {error!r}. For `async with`, decorate it with "
            "`@contextlib.asynccontextmanager`, not `@contextlib.contextmanager`.",
        )
    common_mistakes(outcome, call)
    if body.conn != "conn-1":
        raise Wrong(
            "wrong_value",
            f"{call}: the block received {body.conn!r} as conn; it should receive the "
            "connection pool.acquire() returned: `yield conn`.",
        )
    if not body.borrowed_meanwhile:
        raise Wrong(
            "released_early",
            f"{call}: the connection was given back while the block was still using it. "
            "Release it after the `yield`, not before.",
        )
    if pool.releases == 0:
        raise Wrong(
            "release_not_in_finally",
            f"{call}: the connection was never given back. Put the `yield` in a `try:` and "
            "`await pool.release(conn)` in its `finally:`.",
        )
    if pool.releases > 1:
        raise Wrong(
            "released_twice",
            f"{call}: the connection was released {pool.releases} times. Release it once, in "
            "the `finally:`.",
        )
    if then == "raise" and not isinstance(ending.error, ValueError):
        raise Wrong(
            "swallowed_error",
            f"{call}: the ValueError did not come out of the block ({ending.describe()}). "
            "Release in `finally:` and let the error go on; do not catch it.",
        )
    if then == "wait" and not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: the task {ending.describe()} instead of ending cancelled. Release in "
            "`finally:`, which lets the CancelledError go on.",
        )


ex4 = Exercise(
    title="Always give it back",
    answer="borrow",
    checker=check_borrow,
    hints=[
        "`@contextlib.asynccontextmanager` on `async def borrow(pool):`, which acquires a "
        "connection and yields it.",
        "An error or a cancellation in the block is raised at the `yield`: put it in "
        "`try:`, and `await pool.release(conn)` in `finally:`.",
        "Catch nothing: `finally` releases the connection and lets the error go on.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = ["BOOKS", "EXERCISES", "Pool", "ex1", "ex2", "ex3", "ex4", "fetch_page"]
