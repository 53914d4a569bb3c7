"""What lesson 11's three checkers share: the helpers the workbook imports, the local
site each check serves, and how a check stops what an answer left running.

* :func:`fetch_page` and :func:`crawl_worker` are the course's own pieces, with the
  exercises' faster retries (:data:`PRACTICE_RETRY`);
* :func:`serve` runs a site on a thread of its own, counting on the server's side what
  the answer did (:class:`CrawlLog`: requests at once, per page and per kind of page,
  and when each started and ended);
* :func:`stop_new_tasks` cancels the tasks an answer started and left running, and
  :func:`set_aside` keeps, for good, the ones that would not stop (see there why);
* :func:`left_open` tells whether an answer left an aiohttp session open.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import inspect
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import aiohttp

from asyncio_tutorial import crawler
from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.diagnose import error_text
from asyncio_tutorial.checkers.runner import Outcome, where_waiting
from asyncio_tutorial.checkers.scenario import blocking_client, loop_reported
from asyncio_tutorial.crawler import Crawl, Retry
from asyncio_tutorial.servers import Page, Site, in_thread, local_site
from asyncio_tutorial.site import RequestLog

# --- What the workbook uses ---------------------------------------------------------------


PRACTICE_RETRY = Retry(attempts=2, timeout=0.3)
"""The retries :func:`fetch_page` makes in the exercises: 2 tries of at most 0.3 s each."""

WORKER_STOPPING = 0.1
"""Seconds :func:`crawl_worker` takes to stop once it is cancelled."""


async def fetch_page(session: aiohttp.ClientSession, url: str) -> tuple[str, list[str]]:
    """:func:`asyncio_tutorial.crawler.fetch_page` with the exercises' retries (faster)."""
    return await crawler.fetch_page(session, url, PRACTICE_RETRY)


async def crawl_worker(
    queue: asyncio.Queue[str], session: aiohttp.ClientSession, crawl: Crawl
) -> None:
    """A worker as exercise 2 asks for it, over :func:`fetch_page`: visit pages until cancelled.

    Cancelled, it takes a moment (:data:`WORKER_STOPPING`) to stop, as a real worker cut
    off in the middle of a request does while its connection is closed: whoever cancels
    it has to wait until it has stopped (``await asyncio.wait(tasks)``).
    """
    try:
        await crawler.simple_worker(queue, session, crawl, PRACTICE_RETRY)
    except asyncio.CancelledError:
        await asyncio.sleep(WORKER_STOPPING)
        raise


# --- The site, and what its server saw ------------------------------------------------------


class CrawlLog(RequestLog):
    """:class:`~asyncio_tutorial.site.RequestLog` that also notes when each request ended
    and how many requests for each kind of page (``/deep/``) were in flight at once.

    ``script`` says how a page answers request after request:
    ``{"/mixed": [Page(status=500), Page(hang=True)]}`` answers the first request for
    ``/mixed`` with a 500 and never answers the second (nor any later one: the last page
    of a script stays).
    """

    def __init__(self, script: dict[str, list[Page]] | None = None) -> None:
        super().__init__()
        self.script = dict(script or {})
        self.site: Site | None = None
        self.ends: dict[str, list[float]] = {}
        self.in_flight_by_kind: Counter[str] = Counter()
        self.peak_by_kind: Counter[str] = Counter()
        self._kinds_lock = threading.Lock()

    def request_started(self, path: str, client: str = "") -> None:
        super().request_started(path, client)
        if path in self.script and self.site is not None:
            pages = self.script[path]
            self.site.pages[path] = pages[min(self.by_path[path], len(pages)) - 1]
        with self._kinds_lock:
            kind = kind_of(path)
            self.in_flight_by_kind[kind] += 1
            self.peak_by_kind[kind] = max(self.peak_by_kind[kind], self.in_flight_by_kind[kind])

    def request_ended(self, path: str) -> None:
        with self._kinds_lock:
            self.ends.setdefault(path, []).append(time.monotonic())
            self.in_flight_by_kind[kind_of(path)] -= 1
        super().request_ended(path)

    def waiting_since(self, path: str) -> float:
        """Seconds the latest request for ``path`` has been in flight (0 if none is)."""
        if not self.in_flight_by_path.get(path):
            return 0.0
        return time.monotonic() - self.times[path][-1]


def kind_of(path: str) -> str:
    """``/deep/3`` is of the kind ``/deep/``; ``/`` is its own."""
    return path if path.count("/") < 2 else path.rsplit("/", 1)[0] + "/"


@contextlib.contextmanager
def serve(pages: dict[str, Page], traffic: CrawlLog | None = None) -> Iterator[Site]:
    """``with serve(pages) as site:`` the pages on 127.0.0.1, on a thread of their own, so
    that even an answer that blocks its loop is answered; ``log(site)`` is what it saw."""
    traffic = traffic or CrawlLog()
    with in_thread(local_site, pages, traffic=traffic) as site:
        traffic.site = site
        yield site


def log(site: Site) -> CrawlLog:
    """What the site's server saw."""
    assert isinstance(site.traffic, CrawlLog)
    return site.traffic


# --- Stopping what an answer left running ---------------------------------------------------

STOP_GRACE = 0.5
"""Seconds a cancelled task gets to end before it counts as not stopping."""

_SET_ASIDE: list[asyncio.Task[Any]] = []
"""Tasks of finished checks that never ended: they swallowed every cancellation."""


def set_aside(tasks: Iterable[asyncio.Task[Any]]) -> list[str]:
    """Keep the tasks that never ended, for the life of the process; return their names.

    A task that catches its ``CancelledError`` and goes back to waiting
    (``except BaseException: continue`` around ``await queue.get()``) cannot be
    stopped.  Once its event loop is closed it never runs again, which is harmless, but
    it must never be *closed* either: closing a coroutine throws ``GeneratorExit`` into
    it, which that same ``except`` catches, and the loop around it tries again at once,
    for ever, inside whatever garbage collection happens to close it (a later cell, or
    the kernel's exit).  So each such task is kept here, with one reference more that is
    never given back: it is never collected, hence never closed.
    """
    names = []
    for task in tasks:
        if task.done() or task in _SET_ASIDE:
            continue
        _SET_ASIDE.append(task)
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(task))  # not even at the kernel's exit
        names.append(task_name(task))
    return names


async def stop_new_tasks(before: set[asyncio.Task[Any]], grace: float = STOP_GRACE) -> list[str]:
    """Cancel the tasks started since ``before`` that still run, and wait until they end,
    at most ``grace`` seconds; return where each one that did not end was waiting."""
    running = [t for t in asyncio.all_tasks() - before if not t.done()]
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running, timeout=grace)
    return [
        f"{task_name(t)} (in {where_waiting(t) or 'its own code'})" for t in running if not t.done()
    ]


def new_tasks(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """The tasks started since ``before``: to set aside after the run, those that never ended."""
    return list(asyncio.all_tasks() - before)


def task_name(task: asyncio.Task[Any]) -> str:
    """A task's coroutine name (``crawl_worker``): stable, unlike ``Task-12``."""
    return getattr(task.get_coro(), "__name__", None) or task.get_name()


def describe_tasks(tasks: list[asyncio.Task[Any]]) -> str:
    """``crawl_worker (3 of them, in asyncio.Queue.get)``, as :meth:`Outcome.describe_left`."""
    left = Outcome(left_running=sorted(task_name(task) for task in tasks))
    left.left_waiting = {task_name(task): where_waiting(task) for task in tasks}
    return left.describe_left()


def forget_frames(error: BaseException | None) -> BaseException | None:
    """Drop the local variables an error's traceback holds, and those of the errors behind
    it, so that what they held (a coroutine never awaited, say) is thrown away now, while
    the check watches, rather than in a later cell."""
    seen: set[int] = set()
    behind = error
    while behind is not None and id(behind) not in seen:
        seen.add(id(behind))
        traceback.clear_frames(behind.__traceback__)
        behind = behind.__context__ or behind.__cause__
    return error


def forgot_await(
    outcome: Outcome,
    call: str,
    expected: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> None:
    """A coroutine used as if it were its result (``status, text = fetch_once(...)``)
    raises a TypeError about a coroutine, and an error that follows a coroutine never
    awaited most likely comes from it: name the forgotten ``await`` either way (a
    coroutine never awaited with nothing else wrong is :func:`common_mistakes`' to name)."""
    error = outcome.error
    misused = isinstance(error, (TypeError, AttributeError)) and "coroutine" in str(error)
    unexpected = error is not None and not (expected and isinstance(error, expected))
    if not (misused or (outcome.never_awaited and unexpected)):
        return
    named = outcome.never_awaited[0] if outcome.never_awaited else "a coroutine function"
    raise Wrong(
        "forgot_await",
        f"{call} raised {error_text(error)}. Calling {named}(...) without "
        "`await` gives a coroutine object, which does nothing until it is awaited, not its "
        "result: put `await` in front of the call.",
    )


def close_coroutines(crawl: Crawl) -> None:
    """Close the coroutine objects a crawl holds as addresses (``url = queue.get()``
    without ``await``), so that Python does not warn about them later, in another cell:
    the check has reported them already."""
    for address in [*crawl.seen, *crawl.pages, *crawl.failures]:
        if inspect.iscoroutine(address):
            address.close()


def left_open(outcome: Outcome) -> bool:
    """Whether a session the answer opened on this run's loop was never closed.

    aiohttp reports an unclosed session to its own loop when the session is thrown away:
    only this run's sessions report to this run's loop, so what an earlier check left
    behind, collected meanwhile, is never blamed on this answer.
    """
    return loop_reported(outcome.loop_errors, "Unclosed client session")


# --- What the server saw of a crawl (exercises 2 and 3) ----------------------------------


def judge_politeness(
    site: Site,
    call: str,
    bound: int,
    answer: Any,
    advice: str = "Each worker should make one request at a time, itself: no task per link.",
) -> None:
    """A blocking client, too many requests at once, a page asked for twice: as the server
    saw them."""
    traffic = log(site)
    client = (
        blocking_client(answer, traffic.clients) if set(traffic.clients) - {"aiohttp"} else None
    )
    if client:
        raise Wrong(
            "blocking",
            f"{call} fetched pages with {client}, which blocks the event loop for the whole "
            "request: no other worker can run meanwhile. Use the session you are given "
            "(`await fetch_page(session, url)`).",
        )
    if traffic.peak > bound:
        raise Wrong(
            "unbounded",
            f"{call}: the server had {traffic.peak} requests at once, more than {bound}. " + advice,
        )
    again = sorted(p for p, n in traffic.by_path.items() if n > 1 and p != "/error/1")
    if again:
        raise Wrong(
            "revisited",
            f"{call} fetched {', '.join(again[:3])} more than once. Mark an address seen when "
            "you queue it (`crawl.seen.add(link)` just before `put`), and queue only links "
            "not seen yet: links to a page are found long before the page is fetched.",
        )


def judge_notes(crawl: Crawl, site: Site, call: str) -> None:
    """Every page noted in crawl.pages, every failure in crawl.failures."""
    failing = {"/error/1": "HTTP 500", "/missing/1": "HTTP 404"}
    expected = {site.url_for(p) for p in site.pages if p not in failing}
    failures = {site.url_for(path): cause for path, cause in failing.items()}
    if set(crawl.pages) != expected:
        raise Wrong(
            "pages_not_noted",
            f"{call} noted {len(crawl.pages)} pages in crawl.pages, not the {len(expected)} "
            "the site has: `crawl.pages[url] = text` for each page fetched.",
        )
    if crawl.failures != failures:
        raise Wrong(
            "failure_not_noted",
            f"{call} noted {crawl.failures!r} in crawl.failures. Catch Failed and note "
            "why: `crawl.failures[url] = failure.cause`.",
        )
