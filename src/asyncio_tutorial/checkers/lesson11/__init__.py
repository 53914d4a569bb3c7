"""Lesson 11's exercises: the crawler's retry policy, its worker, and its shutdown.

The workbook ``exercises/11-capstone.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson11 import (
        Crawl, Failed, crawl_worker, ex1, ex2, ex3, fetch_once, fetch_page,
    )

The worked answers are in ``solutions/11-capstone.ipynb``.

Every checker runs the answer for real against a small site in the lesson's style
(:func:`asyncio_tutorial.site.practice_pages`), served on a thread of its own so that
even an answer that blocks its loop is answered.  The site counts on the server's side
what the answer did (:class:`asyncio_tutorial.site.RequestLog`): how many requests were
in flight at once (politeness), how often each page was asked for (revisits, retries),
and the pauses between retries (backoff, jitter).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from asyncio_tutorial import crawler
from asyncio_tutorial.checkers.core import (
    Exercise,
    Result,
    Wrong,
    bind_exercises,
    correct,
    exercise,
)
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function, raised
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, blocking_client, watch, watch_answer
from asyncio_tutorial.crawler import Crawl, Failed, Retry, fetch_once  # noqa: F401 (workbook)
from asyncio_tutorial.servers import Page, Site, in_thread, local_site
from asyncio_tutorial.site import RequestLog, retry_pages, worker_pages

EARLY = 0.01  # a pause may end this much early (clock granularity)
SLACK = 0.25  # a busy machine makes a right answer late, never early


# --- What the workbook uses ---------------------------------------------------------------


PRACTICE_RETRY = Retry(attempts=2, timeout=0.3)
"""The retries :func:`fetch_page` makes in the exercises: 2 tries of at most 0.3 s each."""


async def fetch_page(session: aiohttp.ClientSession, url: str) -> tuple[str, list[str]]:
    """:func:`asyncio_tutorial.crawler.fetch_page` with the exercises' retries (faster)."""
    return await crawler.fetch_page(session, url, PRACTICE_RETRY)


async def crawl_worker(
    queue: asyncio.Queue[str], session: aiohttp.ClientSession, crawl: Crawl
) -> None:
    """A worker as exercise 2 asks for it, over :func:`fetch_page`: visit pages until cancelled."""
    await crawler.simple_worker(queue, session, crawl, PRACTICE_RETRY)


# --- Running an answer against a site ----------------------------------------------------


def _serve(pages: dict[str, Page]) -> in_thread[Site]:
    return in_thread(local_site, pages, traffic=RequestLog())


def _log(site: Site) -> RequestLog:
    assert isinstance(site.traffic, RequestLog)
    return site.traffic


async def _with_session(call: Callable[[aiohttp.ClientSession], Awaitable[Any]]) -> Any:
    async with aiohttp.ClientSession() as session:
        return await call(session)


def _mistakes(outcome: Outcome, call: str) -> None:
    """The common mistakes, raised; a Failed is left for the checker to judge.

    In exercise 1, a TimeoutError let out comes first: the timeout is around all the
    tries, not each one.
    """
    if exercise() is ex1 and isinstance(outcome.error, TimeoutError):
        raise Wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError. Put the timeout around each try (the request "
            "alone), catch the TimeoutError there, retry, and after the last try raise "
            "Failed('timeout').",
        )
    common_mistakes(outcome, call, expected_error=Failed)


# --- Exercise 1: fetch_with_retries ---------------------------------------------------------

TRIES, TIMEOUT = 3, 0.3
FLAKY = 8  # pages that fail twice, asked for at once: do their retries come back together?


def check_fetch_with_retries(fetch_with_retries: Any) -> Result:
    """Timeouts, retries of 5xx and timeouts only, exponential backoff with jitter, a limit."""
    expect_coroutine_function(fetch_with_retries)
    with _serve(retry_pages()) as site:
        _retry_answers(fetch_with_retries, site)
        _retry_gives_up(fetch_with_retries, site)
        _retry_backs_off(fetch_with_retries, site)
        _retry_times_out(fetch_with_retries, site)
        call = "fetch_with_retries(session, '/stuck'), cancelled from outside after 0.15 s"
        outcome, ending = watch_answer(
            lambda: _with_session(lambda s: fetch_with_retries(s, site.url_for("/stuck"))),
            cancel_after=0.15,
        )
        _mistakes(outcome, call)
        if not ending.cancelled:
            raise Wrong(
                "swallowed_cancellation",
                f"{call} {ending.describe()} instead of ending cancelled. A bare `except:` "
                "(or `except BaseException`) catches CancelledError too: catch only "
                "TimeoutError, so that whoever stops the crawl can stop it.",
            )
    return correct(
        "fetch_with_retries returned pages and a 404 at once, gave up on a 500 after 3 tries "
        "and on a page that never answers after 3 timeouts of 0.3 s, waited about 0.1-0.2 s "
        "then 0.2-0.4 s between tries, each page differently, and stayed cancellable."
    )


def _call(fetch_with_retries: Any, site: Site, path: str) -> tuple[Outcome, str]:
    call = f"fetch_with_retries(session, {path!r})"
    url = site.url_for(path)
    return run_coroutine(lambda: _with_session(lambda s: fetch_with_retries(s, url))), call


def _retry_answers(fetch_with_retries: Any, site: Site) -> None:
    for path, expected in (("/ok", (200, "ok")), ("/missing", (404, "404"))):
        outcome, call = _call(fetch_with_retries, site, path)
        if _log(site).by_path[path] > 1:
            raise Wrong(
                "retried_4xx",
                f"{call} asked for {path} {_log(site).by_path[path]} times. A {expected[0]} "
                "is an answer: return it at once. Only a timeout or a 5xx is worth a retry.",
            )
        _mistakes(outcome, call)
        _failed_or_value(outcome, call, expected)


def _failed_or_value(outcome: Outcome, call: str, expected: Any) -> None:
    if outcome.error is None and list(outcome.value or ())[:1] == [expected[0]]:
        return
    ended = f"raised {outcome.error!r}" if outcome.error else f"returned {outcome.value!r}"
    raise Wrong("wrong_value", f"{call} {ended}; it should return {expected!r}: (status, text).")


def _retry_gives_up(fetch_with_retries: Any, site: Site) -> None:
    outcome, call = _call(fetch_with_retries, site, "/error")
    _gave_up(outcome, call, _log(site).by_path["/error"], "HTTP 500")


def _gave_up(outcome: Outcome, call: str, asked: int, cause: str) -> None:
    """Exactly TRIES tries, then Failed(cause)."""
    if asked > TRIES:
        still = " and was still trying when stopped" if outcome.timed_out else ""
        raise Wrong(
            "retries_forever",
            f"{call} asked for a page that always fails {asked} times{still}. Give up after "
            f"{TRIES} tries: `for attempt in range(1, TRIES + 1):`, then raise Failed.",
        )
    _mistakes(outcome, call)
    if asked < TRIES:
        raise Wrong(
            "too_few_tries",
            f"{call} asked for the page {asked} time(s), not {TRIES}: a {cause} is worth "
            f"retrying, {TRIES} tries in all.",
        )
    if not isinstance(outcome.error, Failed) or outcome.error.cause != cause:
        ended = f"raised {outcome.error!r}" if outcome.error else f"returned {outcome.value!r}"
        raise Wrong(
            "no_failed",
            f"{call} {ended} after {TRIES} tries. When the last try has failed too, raise "
            f"Failed with the last cause: `raise Failed({cause!r})` here.",
        )


def _retry_backs_off(fetch_with_retries: Any, site: Site) -> None:
    paths = [f"/flaky/{n}" for n in range(1, FLAKY + 1)]
    call = f"fetch_with_retries(session, ...) on {FLAKY} pages that answer 503 twice, at once"

    waits: list[float] = []

    async def all_at_once(session: aiohttp.ClientSession) -> list[Any]:
        _note_waits(asyncio.get_running_loop(), waits)
        return await asyncio.gather(*(fetch_with_retries(session, site.url_for(p)) for p in paths))

    outcome = run_coroutine(lambda: _with_session(all_at_once))
    _mistakes(outcome, call)
    if (
        isinstance(outcome.value, list)
        and [tuple(v)[:1] for v in outcome.value] != [(200,)] * FLAKY
    ):
        raise Wrong(
            "wrong_value", f"{call} returned {outcome.value!r}; each should be (200, 'flaky N')."
        )
    gaps = [_log(site).gaps(path) for path in paths]
    firsts, seconds = [g[0] for g in gaps], [g[1] for g in gaps]
    if min(firsts) < 0.1 - EARLY:
        raise Wrong(
            "no_backoff",
            f"{call}: a try came {min(firsts):.2f} s after a 503. Wait before trying again, "
            "0.1 s after the first failure: a busy server needs room, not more requests.",
        )
    if min(seconds) < 0.2 - EARLY:
        raise Wrong(
            "backoff_not_growing",
            f"{call}: the second wait was {min(seconds):.2f} s, no longer than the first. Double "
            "it after each failure (exponential backoff): `0.1 * 2 ** (attempt - 1)`.",
        )
    if max(firsts) > 0.2 + SLACK or max(seconds) > 0.4 + SLACK:
        raise Wrong(
            "waits_too_long",
            f"{call}: waits of up to {max(firsts):.2f} s then {max(seconds):.2f} s; they should "
            "be 0.1 s then 0.2 s, plus a random extra of up to as much again.",
        )
    # The pauses as the answer asked for them (asyncio.sleep), where it used them: exact,
    # where the server's view of them is tens of milliseconds apart on a busy machine.
    pauses = {wait for wait in waits if 0.1 - EARLY <= wait <= 0.4 + SLACK}
    if pauses:
        same = len(pauses) < FLAKY  # without jitter: 0.1 and 0.2 s, whatever the pages
    else:  # Random extras of up to 0.1 s and 0.2 s almost never fall this close together.
        same = max(firsts) - min(firsts) < 0.02 and max(seconds) - min(seconds) < 0.02
    if same:
        raise Wrong(
            "no_jitter",
            f"{call}: all {FLAKY} came back at the same moments, {firsts[0]:.2f} s then "
            f"{seconds[0]:.2f} s after their 503s. Clients that fail together then retry "
            "together. Add a random extra: `backoff + random.uniform(0, backoff)`.",
        )


def _note_waits(loop: asyncio.AbstractEventLoop, waits: list[float]) -> None:
    """Note every delay asked of ``loop.call_later``, which ``asyncio.sleep`` uses."""
    call_later = loop.call_later

    def noting(delay: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        waits.append(delay)
        return call_later(delay, callback, *args, **kwargs)

    loop.call_later = noting  # type: ignore[method-assign]


def _retry_times_out(fetch_with_retries: Any, site: Site) -> None:
    outcome, call = _call(fetch_with_retries, site, "/stuck")
    asked = _log(site).by_path["/stuck"]
    if outcome.timed_out and asked <= 1:
        raise Wrong(
            "no_timeout",
            f"{call} was still waiting for a page that never answers after {outcome.time_limit} s. "
            f"Bound every try: `async with asyncio.timeout(TIMEOUT):` around the request.",
        )
    _gave_up(outcome, call, asked, "timeout")


ex1 = Exercise(
    title="The retry policy",
    answer="fetch_with_retries",
    checker=check_fetch_with_retries,
    hints=[
        "A loop of TRIES tries. In each: `async with asyncio.timeout(TIMEOUT):` around "
        "`status, text = await fetch_once(session, url)`; `except TimeoutError:` notes the cause.",
        "Return `(status, text)` when `status < 500` (a 404 too). Otherwise, unless it was the "
        "last try, wait `backoff + random.uniform(0, backoff)`, where "
        "`backoff = 0.1 * 2 ** (attempt - 1)`.",
        "After the loop, `raise Failed(cause)`, where cause is 'timeout' or f'HTTP {status}'. "
        "Catch nothing but TimeoutError: a bare `except:` would swallow cancellation.",
    ],
)

# --- Exercise 2: worker -------------------------------------------------------------------

WORKERS = 4
JOIN_LIMIT = 1.5  # seconds the checkers wait for queue.join(); a right answer takes 0.7 s


@dataclass
class _Run:
    """What became of a crawl run by the answer's workers (or crawl_site)."""

    crawl: Crawl = field(default_factory=Crawl)
    joined: bool = False
    unfinished: int = 0  # addresses taken but never marked done, when join gave up
    died: list[BaseException] = field(default_factory=list)
    returned: int = 0  # workers (tasks) that ended by themselves


async def _run_workers(worker: Any, start: str, run: _Run) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    run.crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(worker(queue, session, run.crawl)) for _ in range(WORKERS)]
        try:
            await asyncio.wait_for(queue.join(), JOIN_LIMIT)
            run.joined = True
        except TimeoutError:
            run.unfinished = getattr(queue, "_unfinished_tasks", 0)
        for task in tasks:
            if task.done() and not task.cancelled():
                error = task.exception()
                run.died.extend([error] if error else [])
                run.returned += error is None
            task.cancel()
        await asyncio.wait(tasks)
    for error in run.died:
        if isinstance(error, NotImplementedError):
            raise error  # the stub, in a worker's task: the runner ends the check there


def _judge_politeness(site: Site, call: str, bound: int, answer: Any) -> None:
    """A blocking client, too many requests at once, a page asked for twice: as the server
    saw them."""
    log = _log(site)
    client = blocking_client(answer, log.clients) if set(log.clients) - {"aiohttp"} else None
    if client:
        raise Wrong(
            "blocking",
            f"{call} fetched pages with {client}, which blocks the event loop for the whole "
            "request: no other worker can run meanwhile. Use the session you are given "
            "(`await fetch_page(session, url)`).",
        )
    if log.peak > bound:
        raise Wrong(
            "unbounded",
            f"{call}: the server had {log.peak} requests at once, more than {bound}. Each "
            "worker should make one request at a time, itself: no task per link.",
        )
    again = sorted(p for p, n in log.by_path.items() if n > 1 and p != "/error/1")
    if again:
        raise Wrong(
            "revisited",
            f"{call} fetched {', '.join(again[:3])} more than once. Mark an address seen when "
            "you queue it (`crawl.seen.add(link)` just before `put`), and queue only links "
            "not seen yet: links to a page are found long before the page is fetched.",
        )


def _judge_notes(run: _Run, site: Site, call: str) -> None:
    """Every page noted in crawl.pages, every failure in crawl.failures."""
    expected = {site.url_for(p) for p in site.pages if p not in ("/error/1", "/missing/1")}
    failures = {site.url_for("/error/1"): "HTTP 500", site.url_for("/missing/1"): "HTTP 404"}
    if set(run.crawl.pages) != expected:
        raise Wrong(
            "pages_not_noted",
            f"{call} noted {len(run.crawl.pages)} pages in crawl.pages, not the {len(expected)} "
            "the site has: `crawl.pages[url] = text` for each page fetched.",
        )
    if run.crawl.failures != failures:
        raise Wrong(
            "failure_not_noted",
            f"{call} noted {run.crawl.failures!r} in crawl.failures. Catch Failed and note "
            "why: `crawl.failures[url] = failure.cause`.",
        )


def check_worker(worker: Any) -> Result:
    """Four copies of ``worker`` crawl a site: completely, once per page, surviving failures."""
    expect_coroutine_function(worker)
    call = f"{WORKERS} workers"
    with _serve(worker_pages()) as site:
        run = _Run()
        outcome = run_coroutine(lambda: _run_workers(worker, site.url_for("/"), run))
        _mistakes(outcome, call)
        _judge_politeness(site, call, WORKERS, worker)
        _judge_worker(run, call)
        _judge_notes(run, site, call)
    return correct(
        f"{call} fetched all {len(run.crawl.pages)} pages, each once, never more than "
        f"{WORKERS} requests at once, noted the two failures and went on, and queue.join() "
        "returned when the last page was done."
    )


def _judge_worker(run: _Run, call: str) -> None:
    if any(isinstance(error, Failed) for error in run.died):
        raise Wrong(
            "worker_died",
            f"{call}: a worker ended with Failed when a page could not be fetched, and the "
            "crawl went on without it. Catch Failed inside the loop and go on to the next page.",
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

# --- Exercise 3: crawl_site -------------------------------------------------------------------

CANCEL_AFTER = 0.25


async def _stopped(crawl_site: Any, start: str, run: _Run, ending: Ending, cancel: float) -> None:
    before = asyncio.all_tasks()
    await watch(lambda: crawl_site(start, run.crawl, 3), ending, cancel_after=cancel)
    run.returned = len([t for t in asyncio.all_tasks() - before if not t.done()])


def check_crawl_site(crawl_site: Any) -> Result:
    """``crawl_site(start, crawl, workers)``: bounded, complete, and a clean stop either way."""
    expect_coroutine_function(crawl_site)
    with _serve(worker_pages()) as site:
        _crawl_completes(crawl_site, site)
        _crawl_stops(crawl_site, site)
    return correct(
        "crawl_site(start, crawl, 3) fetched every page once with never more than 3 "
        "requests at once and stopped its workers when done; cancelled after "
        f"{CANCEL_AFTER} s, it stopped them, kept the pages fetched so far in crawl, and "
        "ended cancelled."
    )


def _crawl_completes(crawl_site: Any, site: Site) -> None:
    call = "crawl_site(start, crawl, 3)"
    run = _Run()
    outcome = run_coroutine(lambda: crawl_site(site.url_for("/"), run.crawl, 3))
    if outcome.timed_out and 0 < _log(site).peak < 3:
        # Before "never returned": one worker takes 1.9 s and more for the 19 pages, and
        # a busy machine stretches that past the time limit while it is still fetching.
        still = f", so after {outcome.time_limit} s it was still crawling"
        raise _too_few_workers(site, call, still)
    if outcome.timed_out and len(run.crawl.pages) + len(run.crawl.failures) >= 18:
        raise Wrong(
            "waited_for_workers",
            f"{call} fetched every page and then never returned: the workers wait for more "
            "addresses for ever, so waiting for them never ends. Wait with "
            "`await queue.join()`, then cancel the workers.",
        )
    if outcome.left_running:
        raise Wrong(
            "workers_left_running",
            f"{call} returned with its workers still running ({', '.join(outcome.left_running)}). "
            "Cancel them once queue.join() has returned, and wait until they have stopped: "
            "`await asyncio.wait(tasks)`.",
        )
    _mistakes(outcome, call)
    _judge_politeness(site, call, 3, crawl_site)
    _judge_notes(run, site, call)
    if _log(site).peak < 3:
        raise _too_few_workers(site, call)


def _too_few_workers(site: Site, call: str, consequence: str = "") -> Wrong:
    """Fewer requests at once than workers asked for (``consequence``: what came of it)."""
    return Wrong(
        "too_few_workers",
        f"{call}: the server never had more than {_log(site).peak} request(s) at once"
        f"{consequence}. Start `workers` workers, all before waiting for any.",
    )


def _crawl_stops(crawl_site: Any, site: Site) -> None:
    call = f"crawl_site(start, crawl, 3), cancelled from outside after {CANCEL_AFTER} s"
    run, ending = _Run(), Ending()
    outcome = run_coroutine(
        lambda: _stopped(crawl_site, site.url_for("/"), run, ending, CANCEL_AFTER)
    )
    still_running = run.returned or outcome.left_running
    outcome.left_running = []
    _mistakes(outcome, call)
    if still_running:
        raise Wrong(
            "workers_left_running",
            f"{call}: it ended, but its workers went on crawling. The CancelledError comes out "
            "of `await queue.join()`: cancel the workers in a `finally:` block, which runs "
            "however the `try:` ends, and wait for them there.",
        )
    if not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {ending.describe()} instead of ending cancelled. Stop the workers in "
            "`finally:` and let the CancelledError go on: never catch it without raising it.",
        )
    if site.url_for("/") not in run.crawl.pages:
        raise Wrong(
            "lost_results",
            f"{call}: the front page had been fetched (at 0.1 s), yet the crawl it was given "
            "holds nothing. Note pages in the `crawl` you were given, as they come: results "
            "kept elsewhere and handed over at the end are lost when the end never comes.",
        )


ex3 = Exercise(
    title="Run the crawl, and stop it cleanly",
    answer="crawl_site",
    checker=check_crawl_site,
    # The one-worker scenario (1.9 s and more, past the limit when busy) is tuned to 2.5 s.
    time_limit=2.5,
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

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])
