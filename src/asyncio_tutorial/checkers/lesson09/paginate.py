"""Exercise 2: ``paginate(fetch_page)``, an async generator over a paged API.

``fetch_page`` (imported by the workbook) pretends to be the API.  The checker hands
``paginate`` a catalogue of its own that counts the pages fetched, and reads it as a
consumer would: to its end over 8, 6 (the last page full) and 0 books, noting how many
pages had been fetched when each book came out; then only 4 books, after which the
generator is closed.  Counts, not clocks: a page fetched ahead shows as a page too many,
however busy the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    took,
)
from asyncio_tutorial.checkers.lesson09.reading import MAX_ITEMS, Reading, take
from asyncio_tutorial.checkers.runner import run_coroutine

PAGE_SECONDS = 0.1  # each fetch_page call takes this long


class _Catalogue:
    """A pretend paged API over ``items``, counting the pages fetched."""

    def __init__(self, items: list[str], size: int = 3) -> None:
        self.pages = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        self.requested = 0

    async def fetch_page(self, cursor: str | None = None) -> tuple[list[str], str | None]:
        number = 1 if cursor is None else _page_number(cursor, len(self.pages))
        self.requested += 1
        await asyncio.sleep(PAGE_SECONDS)
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
    _paginate_shape(paginate)
    (eight, eight_pages), (six, six_pages), (empty, empty_pages) = (
        _judge_pages(paginate, items) for items in (BOOKS, BOOKS[:6], [])
    )
    pages_for_four = _judge_laziness(paginate)
    return correct(
        f"paginate yielded the {len(eight.items)} books in order: the first "
        f"{eight.notes.count(1)} after {took(eight.times[0])}, as soon as the first page had "
        f"come ({eight.notes[0]} page fetched), and it stopped after the last of "
        f"{eight_pages} pages. A catalogue of {len(six.items)} (its last page full) gave "
        f"them all from {six_pages} pages, an empty one {len(empty.items)} books from "
        f"{empty_pages} page; and a reader that wanted 4 books made it fetch only "
        f"{pages_for_four} pages."
    )


def _paginate_shape(paginate: Any) -> None:
    """An async generator function: ``async def`` with ``yield``."""
    if inspect.iscoroutine(paginate) or not callable(paginate):
        expect_coroutine_function(paginate)  # not the function itself: raised there
    if inspect.isgeneratorfunction(paginate):
        raise Wrong(
            "not_async",
            "paginate is a plain generator (`def` with `yield`): it cannot await fetch_page. "
            "Define it with `async def`; with `yield` inside, it is an async generator.",
            suggests="async def",
        )
    if inspect.iscoroutinefunction(paginate):
        # The untouched stub has no `yield` either: running it ends the check for it.
        run_coroutine(lambda: paginate(_Catalogue(BOOKS).fetch_page))
        raise Wrong(
            "not_a_generator",
            "paginate is a coroutine function (`async def` without `yield`), so it "
            "returns everything at once. `yield` each item instead, and the caller "
            "gets them as the pages arrive.",
            suggests="yield",
        )
    if not inspect.isasyncgenfunction(paginate):
        raise Wrong(
            "not_async",
            "paginate is a plain function (`def`): it can neither await fetch_page nor "
            "hand out the books one at a time. Make it an async generator: `async def "
            "paginate(fetch_page):`, with `yield item` for each book.",
            suggests="async def",
        )


def _judge_pages(paginate: Any, items: list[str]) -> tuple[Reading, int]:
    """Read a catalogue of ``items`` to its end: every item, in order, as pages arrive.
    Return the reading and the number of pages fetched."""
    catalogue = _Catalogue(items)
    call = f"paginate(fetch_page) over {len(items)} items"
    outcome = run_coroutine(
        lambda: take(paginate(catalogue.fetch_page), note=lambda: catalogue.requested)
    )
    error = outcome.error
    if isinstance(error, LookupError):
        raise Wrong(
            "wrong_cursor",
            f"{call} raised {error_text(error)}. Fetch the first page with "
            "`fetch_page(None)`, then each next one with the cursor the page before gave.",
        )
    if isinstance(error, TypeError) and "'async for'" in str(error):
        raise Wrong(
            "async_for_over_list",
            f"{call} raised {error_text(error)}. The items of a page are a plain list, "
            "already here: loop over them with a plain `for item in items: yield item`.",
        )
    if isinstance(error, TypeError) and "coroutine" in str(error):
        raise Wrong(
            "forgot_await",
            f"{call} raised {error_text(error)}: fetch_page(...) gives a coroutine, and only "
            "`await fetch_page(cursor)` gives the page.",
        )
    common_mistakes(outcome, call)
    reading: Reading = outcome.value
    _judge_items(reading.items, items, catalogue, call)
    if items and reading.notes[0] > 1:
        raise Wrong(
            "not_lazy",
            f"{call} had fetched {reading.notes[0]} pages before it gave the first book: it "
            "fetched ahead instead of yielding what it had. Yield a page's items as soon as "
            "it arrives, and fetch the next page only when they have all been taken.",
        )
    return reading, catalogue.requested


def _judge_items(got: list[Any], items: list[str], catalogue: _Catalogue, call: str) -> None:
    """Every item of the catalogue, one by one, in order, and nothing more."""
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
    if items and not got and catalogue.requested == 0:
        raise Wrong(
            "never_fetched",
            f"{call} yielded nothing and fetched no page at all: its loop never ran (`while "
            "cursor:` or `while cursor is not None:` with a cursor that starts as None?). "
            "Loop with `while True:`, and return once the page's next cursor is None.",
            suggests="while True:",
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


def _judge_laziness(paginate: Any) -> int:
    """A reader that wants only 4 items makes it fetch only the 2 pages that hold them."""
    catalogue = _Catalogue(BOOKS)

    async def read_four() -> None:
        async with contextlib.aclosing(paginate(catalogue.fetch_page)) as books:
            await take(books, limit=4)

    outcome = run_coroutine(read_four)
    ahead = outcome.describe_left()  # a page being fetched ahead, in a task of its own
    outcome.left_running = []  # judged below, as fetching ahead
    common_mistakes(outcome, "reading 4 items from paginate(fetch_page)")
    if ahead:
        raise Wrong(
            "not_lazy",
            f"a reader that wanted 4 books left paginate fetching the next page ahead, in a "
            f"task of its own ({ahead}), still running when the reader was done: the 2 "
            "pages that hold the 4 books were all it needed. Fetch the next page only once "
            "the items of this one have all been taken, and await it right there.",
        )
    if catalogue.requested > 2:
        raise Wrong(
            "not_lazy",
            f"a reader that wanted 4 books made paginate fetch {catalogue.requested} pages; "
            "2 hold them. Fetch the next page only once the items of this one have all "
            "been taken, not ahead of time.",
        )
    return catalogue.requested


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
