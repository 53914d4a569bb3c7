"""Exercise 3: ``crawl_site(start, crawl, workers)``: run the crawl, and stop it cleanly.

The answer crawls a small site (:func:`crawl_pages`) with 3 workers while the server
counts the requests in flight, in all and per kind of page, and when each started and
ended.  The site is shaped so that the classic wrong crawls differ from a queue of
workers by what the server saw, not by the clock:

* four pages (``/deep/N``) are linked only from the last article: a queue hands them to
  the workers that are free, several at once, while ``/error/1`` is still being retried;
  a static split of the front page's links never fetches them, or fetches them one after
  another in the one split that found them; batches wait for ``/error/1`` first;
* :func:`~.common.crawl_worker` takes a moment to stop once cancelled, so a crawl that
  cancels its workers without waiting for them returns while they are still stopping.

Then the crawl is run again and cancelled after 0.25 s: the workers must stop, the pages
fetched so far stay in ``crawl``, the session is closed, and ``crawl_site`` ends cancelled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, watch
from asyncio_tutorial.crawler import Crawl, Failed
from asyncio_tutorial.servers import Page, Site
from asyncio_tutorial.site import DELAY, worker_pages

from .common import (
    STOP_GRACE,
    close_coroutines,
    describe_tasks,
    forget_frames,
    judge_notes,
    judge_politeness,
    left_open,
    log,
    new_tasks,
    serve,
    set_aside,
    stop_new_tasks,
)

WORKERS = 3
DEEP = 4  # pages linked only from the last article
GIVE_UP = 2.5  # seconds the checker waits for a crawl (a right one takes 1.0 s)
CANCEL_AFTER = 0.25
SETTLE = 0.5  # seconds the server gets to see the connections of a finished crawl close
POLLS = 3  # waits of its own a crawl asked for: it polled
BOUND = (
    "The number of workers is the bound: start exactly `workers` of them, each making one "
    "request at a time, and no other task that fetches (none per link)."
)


def crawl_pages() -> dict[str, Page]:
    """:func:`~asyncio_tutorial.site.worker_pages` and :data:`DEEP` pages more, linked only
    from the last article: ``/deep/1`` to ``/deep/4``."""
    pages = worker_pages()
    last = pages["/article/16"]
    deep = tuple(f"/deep/{n}" for n in range(1, DEEP + 1))
    pages["/article/16"] = Page(last.body, links=last.links + deep, delay=last.delay)
    pages.update({path: Page(f"deep page {path[6:]}", links=("/",), delay=DELAY) for path in deep})
    return pages


@dataclass
class _Run:
    """What became of one crawl by the answer."""

    crawl: Crawl = field(default_factory=Crawl)
    ending: Ending = field(default_factory=Ending)
    left: list[asyncio.Task[Any]] = field(default_factory=list)
    """Tasks the answer started that still ran when it ended (or the checker gave up)."""
    left_described: str = ""
    stopping: int = 0
    """Of those, how many had been cancelled already: they were still stopping."""
    settled: bool = True
    """The server saw every connection closed, a moment after the crawl ended."""
    not_stopping: list[str] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


async def _crawl(crawl_site: Any, site: Site, run: _Run, cancel_after: float | None) -> None:
    before = asyncio.all_tasks()
    try:
        await watch(
            lambda: crawl_site(site.url_for("/"), run.crawl, WORKERS),
            run.ending,
            cancel_after=cancel_after,
            give_up_after=GIVE_UP if cancel_after is None else STOP_GRACE,
        )
        run.left = [t for t in asyncio.all_tasks() - before if not t.done()]
        run.left_described = describe_tasks(run.left)
        run.stopping = sum(task.cancelling() > 0 for task in run.left)
        if run.ending.finished and not run.left:
            run.settled = await log(site).settle(SETTLE)
        run.not_stopping = await stop_new_tasks(before)
    finally:
        run.tasks = new_tasks(before)


def _run(crawl_site: Any, site: Site, cancel_after: float | None = None) -> tuple[Outcome, _Run]:
    run = _Run()
    outcome = run_coroutine(lambda: _crawl(crawl_site, site, run, cancel_after))
    set_aside(run.tasks)
    close_coroutines(run.crawl)
    forget_frames(run.ending.error)
    outcome.left_running = []  # the tasks the answer left: judged from ``run.left``
    outcome.error = outcome.error or run.ending.error
    outcome.returned_coroutines.extend(run.ending.returned_coroutines)
    return outcome, run


# --- The crawl to its end ----------------------------------------------------------------------


def _crawl_completes(crawl_site: Any, site: Site) -> _Run:
    call = f"crawl_site(start, crawl, {WORKERS})"
    outcome, run = _run(crawl_site, site)
    if outcome.timed_out or outcome.blocked:
        common_mistakes(outcome, call)
    traffic = log(site)
    if not run.ending.finished:
        _never_returned(run, site, call)
    if run.left:
        _left_running(run, call, "")
    _escaped(outcome.error, run, site, call)
    common_mistakes(outcome, call)
    judge_politeness(site, call, WORKERS, crawl_site, BOUND)
    if traffic.peak < WORKERS:
        raise _too_few_workers(site, call)
    _judge_shape(run, site, call)
    judge_notes(run.crawl, site, call)
    short = [wait for wait in outcome.waits if wait <= 0.2]
    if len(short) >= POLLS:
        raise Wrong(
            "polling",
            f"{call} asked its loop for {len(short)} short waits of its own "
            f"({short[0]:g} s, ...): it checked again and again whether the crawl "
            "was over. `await queue.join()` waits, doing nothing, until every address "
            "queued has been dealt with.",
            suggests="queue.join()",
        )
    if left_open(outcome) or not run.settled:
        raise _session_left_open(call, "")
    return run


def _never_returned(run: _Run, site: Site, call: str) -> None:
    """The checker gave up on the crawl: why it was still running."""
    traffic = log(site)
    if 0 < traffic.peak < WORKERS:
        # Before "never returned": one worker takes 2.6 s for the site's 23 pages.
        raise _too_few_workers(site, call, f", so after {GIVE_UP:g} s it was still crawling")
    if traffic.total == 0:
        raise Wrong(
            "workers_never_started",
            f"{call} had not asked for a single page after {GIVE_UP:g} s: the workers never "
            "ran. Start each as a task: `asyncio.create_task(crawl_worker(queue, session, "
            "crawl))`.",
            suggests="create_task",
        )
    if len(run.crawl.pages) + len(run.crawl.failures) >= len(site.pages):
        raise Wrong(
            "waited_for_workers",
            f"{call} fetched every page and then never returned: the workers wait for more "
            "addresses for ever, so waiting for them never ends. Wait with "
            "`await queue.join()`, then cancel the workers.",
        )
    raise Wrong(
        "hang",
        f"{call} had not finished after {GIVE_UP:g} s, far longer than the crawl takes; "
        f"it was still running ({run.left_described}).",
    )


def _left_running(run: _Run, call: str, when: str) -> None:
    if run.stopping:
        raise Wrong(
            "workers_not_awaited",
            f"{call}{when} cancelled its workers but returned before they had stopped "
            f"({run.left_described}). Cancelling only asks a task to stop: wait until they "
            "have, `await asyncio.wait(tasks)` after cancelling them.",
            suggests="asyncio.wait(tasks)",
        )
    if when:
        raise Wrong(
            "workers_left_running",
            f"{call}: it ended, but its workers went on crawling ({run.left_described}). "
            "The CancelledError comes out of `await queue.join()`: cancel the workers in a "
            "`finally:` block, which runs however the `try:` ends, and wait for them there.",
            suggests="finally:",
        )
    raise Wrong(
        "workers_left_running",
        f"{call} returned with its workers still running ({run.left_described}). Cancel "
        "them once queue.join() has returned, and wait until they have stopped: "
        "`await asyncio.wait(tasks)`.",
    )


def _escaped(error: BaseException | None, run: _Run, site: Site, call: str) -> None:
    """An error that ended the crawl, when it has a classic cause."""
    done = len(run.crawl.pages) + len(run.crawl.failures)
    if isinstance(error, TimeoutError):
        raise Wrong(
            "timeout_around_crawl",
            f"{call} raised TimeoutError after {run.ending.elapsed:.1f} s, with {done} of the "
            f"{len(site.pages)} addresses dealt with: a timeout around the whole crawl stops "
            "it half-way. Each request has its own timeout already (fetch_page's); how long "
            "the whole crawl may take is for whoever calls crawl_site to say.",
        )
    if isinstance(error, Failed):
        raise Wrong(
            "failure_escaped",
            f"{call} raised Failed({error.cause!r}): a page that could not be fetched ended "
            "the whole crawl. A worker notes a failed page and goes on (crawl_worker does); "
            "crawl_site waits for the queue, `await queue.join()`, not for the workers.",
        )


def _too_few_workers(site: Site, call: str, consequence: str = "") -> Wrong:
    """Fewer requests at once than workers asked for (``consequence``: what came of it)."""
    return Wrong(
        "too_few_workers",
        f"{call}: the server never had more than {log(site).peak} request(s) at once"
        f"{consequence}. Start `workers` workers, all before waiting for any.",
    )


def _judge_shape(run: _Run, site: Site, call: str) -> None:
    """A queue hands new pages to free workers at once: not a static split, not batches."""
    traffic = log(site)
    deep = [path for path in traffic.by_path if path.startswith("/deep/")]
    front = set(site.pages["/"].links)
    if not deep and front <= {_path(site, url) for url in [*run.crawl.pages, *run.crawl.failures]}:
        raise Wrong(
            "static_split",
            f"{call} fetched every page linked from the front page, but none of the {DEEP} "
            "found only deeper (/deep/1...): the front page's links were shared out once, "
            "and the links found later went nowhere. Put every address in one queue, new "
            "ones too, and let each worker take the next from it.",
            suggests="queue.join()",
        )
    if len(deep) == DEEP and traffic.peak_by_kind["/deep/"] <= 1:
        raise Wrong(
            "static_split",
            f"{call} fetched the {DEEP} pages linked only from /article/16 one after "
            "another, while the other workers had nothing left to do: each worker was given "
            "its share of the addresses beforehand, and kept what it found. Put every "
            "address in one queue and let each worker take the next from it: then whichever "
            "worker is free takes it.",
            suggests="queue.join()",
        )
    retried = traffic.ends.get("/error/1", [])
    starts = [traffic.times[path][0] for path in deep]
    if starts and retried and min(starts) >= max(retried):
        raise Wrong(
            "batches",
            f"{call} started none of the pages found last (/deep/N) before /error/1's last "
            "try had ended, although workers were free: it went in batches, each waiting for "
            "its slowest page. With a queue of workers, a worker that is done takes the next "
            "address at once.",
            suggests="queue.join()",
        )


def _path(site: Site, url: str) -> str:
    return url.removeprefix(site.url)


def _session_left_open(call: str, when: str) -> Wrong:
    return Wrong(
        "session_left_open",
        f"{call}{when} left its aiohttp session open: its connections stayed open after it "
        "ended. Open it with `async with aiohttp.ClientSession() as session:`, which closes "
        "it however the block ends.",
        suggests="async with aiohttp.ClientSession()",
    )


# --- The crawl cancelled half-way -----------------------------------------------------------


def _crawl_stops(crawl_site: Any, site: Site) -> None:
    call = f"crawl_site(start, crawl, {WORKERS}), cancelled from outside after {CANCEL_AFTER} s"
    outcome, run = _run(crawl_site, site, CANCEL_AFTER)
    if outcome.timed_out or outcome.blocked:
        common_mistakes(outcome, call)
    if not run.ending.finished:
        still = f" ({run.left_described})" if run.left_described else ""
        aside = (
            " Cancelled again, it still ran: it could not be stopped, and has been set aside "
            "for good (it will never run again)."
            if run.not_stopping
            else ""
        )
        raise Wrong(
            "swallowed_cancellation",
            f"{call} was still running {STOP_GRACE:g} s after it was cancelled{still}.{aside} "
            "Stop the workers in `finally:`, wait for them, and let the CancelledError go "
            "on: never catch it to carry on.",
        )
    if run.left:
        _left_running(run, call, ": cancelled, it")
    outcome.error = None if run.ending.cancelled else outcome.error
    common_mistakes(outcome, call, expected_error=BaseException)
    if not run.ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {run.ending.describe()} instead of ending cancelled. Stop the workers "
            "in `finally:` and let the CancelledError go on: never catch it without raising "
            "it, and never `return` from a `finally:`, which drops it.",
        )
    # The front page's links asked for in this crawl: it had the front page (not known on
    # a machine so busy that 0.25 s was not enough to get it).
    had_it = any(log(site).by_path[link] > 1 for link in site.pages["/"].links)
    if had_it and site.url_for("/") not in run.crawl.pages:
        raise Wrong(
            "lost_results",
            f"{call}: the front page had been fetched (at 0.1 s), yet the crawl it was given "
            "holds nothing. Note pages in the `crawl` you were given, as they come: results "
            "kept elsewhere and handed over at the end are lost when the end never comes.",
        )
    if left_open(outcome) or not run.settled:
        raise _session_left_open(call, ": cancelled, it")


# --- The checker -------------------------------------------------------------------------------


def check_crawl_site(crawl_site: Any) -> Result:
    """``crawl_site(start, crawl, workers)``: bounded, complete, and a clean stop either way."""
    expect_coroutine_function(crawl_site)
    with serve(crawl_pages()) as site:
        run = _crawl_completes(crawl_site, site)
        peak = log(site).peak
        _crawl_stops(crawl_site, site)
    return correct(
        f"crawl_site(start, crawl, {WORKERS}) fetched all {len(run.crawl.pages)} pages and "
        f"noted {len(run.crawl.failures)} failures, each address once, with never more than "
        f"{peak} requests at once, the pages found last by several workers at once; then it "
        f"stopped its {WORKERS} workers and waited for them. Cancelled after {CANCEL_AFTER} "
        "s, it stopped them too, kept the pages fetched so far in crawl, closed its session, "
        "and ended cancelled."
    )


ex3 = Exercise(
    title="Run the crawl, and stop it cleanly",
    answer="crawl_site",
    checker=check_crawl_site,
    # The checker gives up on a crawl after GIVE_UP (a right one takes 1.0 s, one worker
    # 2.6 s); the limit leaves room for stopping what was left running after that.
    time_limit=GIVE_UP + 1.5,
    hints=[
        "Make an `asyncio.Queue()`, add `start` to `crawl.seen` and to the queue, open an "
        "`aiohttp.ClientSession()` and start `workers` tasks running "
        "`crawl_worker(queue, session, crawl)`.",
        "`await queue.join()` returns when every address queued has been dealt with; the "
        "workers then wait for ever, so cancel them.",
        "Put the cancelling in `try: ... finally:`, with `await asyncio.wait(tasks)` after it: "
        "that way the workers stop however crawl_site ends, cancelled from outside too.",
    ],
)
