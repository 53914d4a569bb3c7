"""Exercise 2: ``worker(queue, session, crawl)``, one of the crawl's workers.

Four copies of the answer crawl a small site (:func:`asyncio_tutorial.site.worker_pages`:
17 pages, one that fails with 500 and one that does not exist), sharing one queue, as
``crawl_site`` runs them; the server counts how many requests came at once and how often
each page was asked for.  When ``queue.join()`` has returned, the workers are cancelled
while they wait for the next address; then the crawl is run again and its workers are
cancelled in the middle of their pages.  Each must end cancelled: a worker that catches
the ``CancelledError`` and goes back to waiting could never be stopped.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    raised,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, suspended_in
from asyncio_tutorial.crawler import Crawl, Failed
from asyncio_tutorial.servers import Site
from asyncio_tutorial.site import worker_pages

from .common import (
    STOP_GRACE,
    CrawlLog,
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
)

WORKERS = 4
JOIN_LIMIT = 1.5  # seconds the checker waits for queue.join(); a right answer takes 0.8 s
BUSY_LIMIT = 1.0  # seconds the second crawl waits for all its workers to be fetching
POLLS = 5  # get_nowait() found the queue empty this often: the worker polled it


class CheckQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The crawl's queue, which also counts how often ``get_nowait()`` found it empty."""

    def __init__(self) -> None:
        super().__init__()
        self.found_empty = 0

    def get_nowait(self) -> Any:
        if self.empty():
            self.found_empty += 1
        return super().get_nowait()


@dataclass
class _Run:
    """What became of a crawl run by the answer's workers."""

    crawl: Crawl = field(default_factory=Crawl)
    joined: bool = False
    unfinished: int = 0
    """Addresses taken but never marked done, when join gave up."""
    fetching_at_join: int = 0
    """Workers still fetching a page when queue.join() returned."""
    died: list[BaseException] = field(default_factory=list)
    """What the workers that ended by themselves, with an error, raised."""
    returned: int = 0
    """Workers that ended by themselves, returning."""
    not_stopping: str = ""
    """The workers that did not end when cancelled, and where they waited."""
    ended_otherwise: list[str] = field(default_factory=list)
    """How each worker that ended, but not cancelled, when cancelled, ended."""
    stop_errors: list[BaseException] = field(default_factory=list)
    """What the workers that raised when cancelled raised."""
    found_empty: int = 0
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


async def _run_workers(worker: Any, site: Site, run: _Run, halfway: bool) -> None:
    """WORKERS copies of ``worker`` crawl ``site``; then they are cancelled: when
    ``queue.join()`` has returned, or, ``halfway``, as soon as all of them are fetching a
    page (the server has WORKERS requests in flight)."""
    start = site.url_for("/")
    before = asyncio.all_tasks()
    queue = CheckQueue()
    run.crawl.seen.add(start)
    queue.put_nowait(start)
    try:
        async with aiohttp.ClientSession() as session:
            tasks = [asyncio.create_task(worker(queue, session, run.crawl)) for _ in range(WORKERS)]
            if halfway:
                await _until_all_fetch(log(site), tasks)
            else:
                await _until_joined(queue, tasks, run)
            _note_ended(tasks, run)
            await _stop(tasks, run)
    finally:
        run.tasks = new_tasks(before)
        run.found_empty = queue.found_empty
    for error in run.died:
        if isinstance(error, NotImplementedError):
            raise error  # the stub, in a worker's task: the runner ends the check there


async def _until_joined(queue: asyncio.Queue[str], tasks: list[Any], run: _Run) -> None:
    join = asyncio.ensure_future(queue.join())
    await asyncio.wait([join], timeout=JOIN_LIMIT)
    if join.done():
        run.joined = True
        fetching = [t for t in tasks if not t.done() and "fetch_page" in suspended_in(t)]
        run.fetching_at_join = len(fetching)
    else:
        join.cancel()
        run.unfinished = getattr(queue, "_unfinished_tasks", 0)


async def _until_all_fetch(traffic: CrawlLog, tasks: list[asyncio.Task[Any]]) -> None:
    """Wait until every worker is in the middle of a request, as the server sees it."""
    deadline = time.monotonic() + BUSY_LIMIT
    while traffic.in_flight < WORKERS and time.monotonic() < deadline:
        if all(task.done() for task in tasks):
            return
        await asyncio.sleep(0.005)


def _note_ended(tasks: list[asyncio.Task[Any]], run: _Run) -> None:
    """The workers that ended by themselves, before anyone cancelled them."""
    for task in tasks:
        if task.done() and not task.cancelled():
            error = forget_frames(task.exception())
            if error is None:
                run.returned += 1
            else:
                run.died.append(error)


async def _stop(tasks: list[asyncio.Task[Any]], run: _Run) -> None:
    """Cancel the workers still running, as crawl_site does; note how each ended."""
    running = [t for t in tasks if not t.done()]
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running, timeout=STOP_GRACE)
    run.not_stopping = describe_tasks([task for task in running if not task.done()])
    for task in running:
        if task.done() and not task.cancelled():
            error = forget_frames(task.exception())
            how = "returned" if error is None else f"raised {error_text(error)}"
            run.ended_otherwise.append(how)
            run.stop_errors.extend([error] if error is not None else [])


def _crawl(worker: Any, site: Site, *, halfway: bool = False) -> tuple[Outcome, _Run]:
    run = _Run()
    outcome = run_coroutine(lambda: _run_workers(worker, site, run, halfway))
    set_aside(run.tasks)
    close_coroutines(run.crawl)
    return outcome, run


# --- What the checker asks, in order -----------------------------------------------------------


def _judge_stubborn(outcome: Outcome, run: _Run, call: str, when: str) -> None:
    """Workers that would not stop when cancelled (after a hang or a blocked loop)."""
    if outcome.timed_out or outcome.blocked:
        common_mistakes(outcome, call)
    if run.not_stopping:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: cancelled {when}, they did not stop ({run.not_stopping}): they caught "
            "the CancelledError and went on. Nothing can stop such a worker: they could not "
            "be stopped, and have been set aside for good (they will never run again). Catch "
            "only Failed, and let the CancelledError end the worker.",
        )
    outcome.left_running = []  # the workers the checker could not stop: judged above


def _judge_stopped_otherwise(run: _Run, call: str, when: str) -> None:
    """Workers that ended some other way than cancelled, when cancelled."""
    if run.ended_otherwise:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: cancelled {when}, a worker {run.ended_otherwise[0]} instead of ending "
            "cancelled: an `except` caught the CancelledError. Catch only Failed; whoever "
            "cancels a worker must see it end cancelled.",
        )


def _judge_ends(run: _Run, call: str) -> None:
    """How the workers fared: died, returned, kept join waiting, or let it return early."""
    if any(isinstance(error, Failed) for error in run.died):
        raise Wrong(
            "worker_died",
            f"{call}: a worker ended with Failed when a page could not be fetched, and the "
            "crawl went on without it. Catch Failed inside the loop and go on to the next page.",
            suggests="except Failed",
        )
    for error in [*run.died, *run.stop_errors]:
        if isinstance(error, ValueError) and "task_done" in str(error):
            raise Wrong(
                "task_done_twice",
                f"{call}: a worker raised ValueError: {error}. It called queue.task_done() "
                "twice for one address (once in the `try:`, once in `finally:`?): call it "
                "once per address taken, in `finally:` only.",
            )
    if run.died:
        raise raised(run.died[0], f"a worker of {call}")
    if run.returned:
        raise Wrong(
            "worker_returned",
            f"{call}: {run.returned} worker(s) returned by themselves. A worker waits for the "
            "next address (`await queue.get()`) for ever: the queue is often empty for a "
            "moment while the pages that will fill it are being fetched. The crawl cancels it.",
        )
    if not run.joined:
        raise Wrong(
            "task_done_missing",
            f"{call}: queue.join() was still waiting after {JOIN_LIMIT} s with the queue "
            f"empty: {run.unfinished} address(es) taken but never marked done. Call "
            "`queue.task_done()` in a `finally:`, so that it runs for every page, failed or not.",
        )
    if run.fetching_at_join:
        raise Wrong(
            "task_done_early",
            f"{call}: queue.join() returned while {run.fetching_at_join} worker(s) were still "
            "fetching a page: the address was marked done as soon as it was taken. Call "
            "`queue.task_done()` when the page has been dealt with, in a `finally:` around "
            "the fetch, so that join() returns only when the whole site has been visited.",
        )


def _judge_polling(run: _Run, call: str) -> None:
    if run.found_empty >= POLLS:
        raise Wrong(
            "polling",
            f"{call}: the workers found the queue empty {run.found_empty} times with "
            "get_nowait(), and tried again later: they polled it. `url = await queue.get()` "
            "waits, doing nothing, until an address comes.",
            suggests="await queue.get()",
        )


# --- The checker -------------------------------------------------------------------------------


def check_worker(worker: Any) -> Result:
    """Four copies of ``worker`` crawl a site: completely, once per page, surviving failures,
    and each ends cancelled when the crawl cancels it."""
    expect_coroutine_function(worker)
    call = f"{WORKERS} workers"
    with serve(worker_pages()) as site:
        outcome, run = _crawl(worker, site)
        _judge_stubborn(outcome, run, call, "when queue.join() had returned")
        common_mistakes(outcome, call)
        judge_politeness(site, call, WORKERS, worker)
        _judge_ends(run, call)
        judge_notes(run.crawl, site, call)
        _judge_polling(run, call)
        _judge_stopped_otherwise(run, call, "when queue.join() had returned")
        if left_open(outcome):
            raise Wrong(
                "session_left_open",
                f"{call} opened aiohttp sessions of their own and never closed them: their "
                "connections stay open until Python throws the sessions away. Use the session "
                "you are given: `await fetch_page(session, url)`.",
            )
        peak = log(site).peak
        stopped_outcome, stopped = _crawl(worker, site, halfway=True)
        when = "while all of them were fetching a page"
        _judge_stubborn(stopped_outcome, stopped, call, when)
        _judge_stopped_otherwise(stopped, call, when)
    return correct(
        f"{call} fetched all {len(run.crawl.pages)} pages, each once, at most {peak} requests "
        f"at once, noted the {len(run.crawl.failures)} failures "
        f"({', '.join(sorted(run.crawl.failures.values()))}) and went on; queue.join() "
        "returned when the last page was done; cancelled, waiting for an address or in the "
        f"middle of a page, all {WORKERS} ended cancelled."
    )


ex2 = Exercise(
    title="The worker",
    answer="worker",
    checker=check_worker,
    hints=[
        "`while True:` take `url = await queue.get()`, then `text, links = await "
        "fetch_page(session, url)` and note `crawl.pages[url] = text`.",
        "For each link not in `crawl.seen`: `crawl.seen.add(link)` then `queue.put_nowait(link)`. "
        "Around it all, `except Failed as failure: crawl.failures[url] = failure.cause`.",
        "`finally: queue.task_done()`: every address taken is marked done, even a failed one, "
        "or queue.join() waits for ever.",
    ],
)
