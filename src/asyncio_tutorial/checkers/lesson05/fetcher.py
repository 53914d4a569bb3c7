"""Lesson 05, exercise 3: a polite, patient HTTP fetcher.

The check serves ten pages that answer in 0.2 s and, first among them, one that never
answers (``/hang``), from a real site on a thread of its own, and runs ``fetch_all``
with ``limit=3`` and ``timeout=0.5``.  The site counts, on its side, every request as
it starts and ends (:class:`_Timeline`): how many were in flight at once, and how many
again once ``/hang`` had been given up (a place never given back after a timeout shows
there), which client program asked, and which connections were still open at the end.
The waits the answer asked its loop for tell a timeout per request from one around the
whole batch.  A second run is cancelled after 0.3 s, as a caller's own timeout would:
it must end cancelled, with its session closed.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson05.clients import (
    SETTLE,
    blocking_client_used,
    watch_run,
)
from asyncio_tutorial.checkers.runner import Outcome, answers_code, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, names_used
from asyncio_tutorial.servers import Page, Traffic, in_thread, local_site

ITEMS = 10
LIMIT = 3
TIMEOUT = 0.5
PAGE_DELAY = 0.2
EXPECTED_SECONDS = 0.9  # /hang holds one place for 0.5 s, the ten pages share the rest
SLACK = 0.5  # how much later than planned a right answer may finish on a busy machine
CANCEL_AFTER = 0.3  # the second run is cancelled after this, as a caller's timeout would


class _Timeline(Traffic):
    """A site's :class:`~asyncio_tutorial.servers.Traffic` that also notes, in order,
    every request that starts or ends: ``("start", "/item/1", 2)`` (the requests in
    flight after it)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str, int]] = []
        self._noting = threading.Lock()

    def request_started(self, path: str, client: str = "") -> None:
        super().request_started(path, client)
        with self._noting:
            self.events.append(("start", path, self.in_flight))

    def request_ended(self, path: str) -> None:
        super().request_ended(path)
        with self._noting:
            self.events.append(("end", path, self.in_flight))

    def after_hang(self) -> list[tuple[str, str, int]] | None:
        """The events after ``/hang`` was given up (``None`` if it never was)."""
        ends = [
            i for i, (kind, path, _) in enumerate(self.events) if (kind, path) == ("end", "/hang")
        ]
        return self.events[ends[0] + 1 :] if ends else None


def _site_pages() -> dict[str, Page]:
    pages = {f"/item/{n}": Page(f"item {n}", delay=PAGE_DELAY) for n in range(1, ITEMS + 1)}
    pages["/hang"] = Page(hang=True)
    return pages


PATHS = ["/hang", *(f"/item/{n}" for n in range(1, ITEMS + 1))]
EXPECTED = [None, *(f"item {n}" for n in range(1, ITEMS + 1))]
CANCELLED_PATHS = [f"/item/{n}" for n in range(1, 7)]


class _Runs:
    """What the two runs of ``fetch_all`` showed, and what the site saw of each."""

    def __init__(self) -> None:
        self.outcome = Outcome()
        self.traffic = _Timeline()
        self.served: Counter[str] = Counter()
        """The pages the site answered (a request given up on half-way is not)."""
        self.settled = False
        self.cancelled_outcome = Outcome()
        self.cancelled_ending = Ending()
        self.cancelled_settled = False
        self.swallowed: list[str] = []
        """The answer's tasks that, in the cancelled run, were cancelled and returned
        all the same (their coroutines' names)."""


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(urls, limit, timeout)``: bounded, timed out per request, in order,
    closed, and cancellable."""
    expect_coroutine_function(fetch_all)
    call = f"fetch_all(urls, limit={LIMIT}, timeout={TIMEOUT})"
    runs = _Runs()
    with in_thread(local_site, _site_pages(), traffic=runs.traffic) as site:
        urls = [site.url_for(path) for path in PATHS]
        runs.outcome = run_coroutine(partial(fetch_all, urls, LIMIT, TIMEOUT))
        runs.settled = runs.traffic.wait_settled(SETTLE)
        runs.served = Counter(site.served)
    _judge_fetching(fetch_all, runs, call)
    # Only an answer right so far is cancelled: one that blocks in urllib could not be.
    with in_thread(local_site, _site_pages()) as site:
        urls = [site.url_for(path) for path in CANCELLED_PATHS]
        runs.cancelled_outcome, runs.cancelled_ending = watch_run(
            partial(_noting_swallowed, runs.swallowed, fetch_all, urls),
            cancel_after=CANCEL_AFTER,
        )
        runs.cancelled_settled = site.traffic.wait_settled(SETTLE)
    _judge_cancelled(runs)
    outcome, traffic = runs.outcome, runs.traffic
    return correct(
        f"{call} returned the {ITEMS} pages in order, with None for the one that never "
        f"answered, after {took(outcome.elapsed)}; the server never had more than "
        f"{traffic.peak} requests at once, and had {_peak_after_hang(traffic)} again once "
        "/hang was given up, and saw every connection closed at the end. Cancelled "
        f"after {CANCEL_AFTER:g} s, it ended cancelled, its session closed."
    )


def _judge_fetching(fetch_all: Any, runs: _Runs, call: str) -> None:
    """The first run: ten pages and /hang, three at a time."""
    outcome, traffic = runs.outcome, runs.traffic
    blocking_client_used(fetch_all, call, traffic)
    _judge_unfinished(outcome, traffic, call)
    _judge_timeout_error(outcome, call)
    if outcome.blocked:
        raise blocking(outcome, call)
    common_mistakes(outcome, call)
    _judge_pages(outcome, runs.served, traffic, call)
    _judge_limit(fetch_all, traffic, call)
    _judge_closing(outcome, runs.settled, traffic, call)
    if _own_waits(outcome):  # what else than the structure judged above could slow it
        judge_duration(outcome.elapsed, EXPECTED_SECONDS, call, tolerance=SLACK)


async def _noting_swallowed(swallowed: list[str], fetch_all: Any, urls: list[str]) -> Any:
    """Await ``fetch_all(urls, ...)``; note in ``swallowed`` the answer's tasks that were
    cancelled and yet returned (a task factory notes every task made meanwhile on this
    loop: gather and TaskGroup make theirs through it)."""
    created: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    asyncio.get_running_loop().set_task_factory(factory)
    try:
        return await fetch_all(urls, LIMIT, TIMEOUT)
    finally:
        for task in created:
            if _answers(task) and task.done() and not task.cancelled() and task.cancelling():
                swallowed.append(task.get_coro().__qualname__.rpartition("<locals>.")[2])
        created.clear()  # the tasks, and what their tracebacks hold, can go now


def _answers(task: asyncio.Task[Any]) -> bool:
    """Whether ``task`` runs a coroutine of the answer's own (not asyncio's or aiohttp's)."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and answers_code(code.co_filename)


def _timeouts(outcome: Outcome) -> int:
    """How many timeouts of ``TIMEOUT`` seconds the answer asked its loop for."""
    return sum(abs(wait - TIMEOUT) < 0.002 for wait in outcome.waits)


def _own_waits(outcome: Outcome) -> list[float]:
    """The waits the answer asked for besides its timeouts: its own sleeps.  (aiohttp's
    own timers, which the runner notes too, are of 15 s and more.)"""
    return [wait for wait in outcome.waits if wait < 10 and abs(wait - TIMEOUT) >= 0.002]


def _peak_after_hang(traffic: _Timeline) -> int:
    after = traffic.after_hang() or []
    return max((in_flight for _, _, in_flight in after), default=0)


def _judge_unfinished(outcome: Outcome, traffic: _Timeline, call: str) -> None:
    """Stopped at the time limit: still waiting for /hang, one at a time, or just slow."""
    if not outcome.timed_out:
        return
    after = traffic.after_hang()
    if after is None or not any(kind == "start" for kind, _, _ in after):
        raise Wrong(
            "no_timeout",
            f"{call} was still waiting after {outcome.time_limit:.0f} s: one of the URLs "
            "never answers, and nothing gave up on it. Give each request its own limit: "
            "`async with asyncio.timeout(timeout):` around it, and `None` for it when "
            "the time is up.",
        )
    if traffic.peak <= 1:
        _sequential(call)
    raise Wrong(
        "too_slow",
        f"{call} was still running after {outcome.time_limit:.0f} s, where it takes "
        f"{seconds(EXPECTED_SECONDS)}: /hang holds one of the {LIMIT} places for "
        f"{TIMEOUT:g} s while the other two fetch pages of {PAGE_DELAY:g} s, then all "
        f"three do. It gave up on /hang and went on, with at most {traffic.peak} "
        "requests at once: what else did it wait for?",
    )


def _sequential(call: str) -> None:
    raise Wrong(
        "sequential",
        f"{call}: the server never had two requests in flight at once: each waited for "
        "the one before. Start them all (gather, or a TaskGroup) and let an "
        f"`asyncio.Semaphore(limit)` keep {LIMIT} going at a time.",
    )


def _judge_timeout_error(outcome: Outcome, call: str) -> None:
    """A TimeoutError reached the caller: around the whole batch, or never caught."""
    if not isinstance(outcome.error, TimeoutError):
        return
    if _timeouts(outcome) <= 1:
        raise Wrong(
            "timeout_on_the_batch",
            f"{call} raised TimeoutError after {TIMEOUT:g} s: its one timeout was around "
            "the whole batch, so it gave up on every page, the ones about to arrive too. "
            "Give each request its own: `async with asyncio.timeout(timeout):` inside "
            "the function that fetches one URL, with `except TimeoutError: return None`.",
        )
    raise Wrong(
        "timeout_not_caught",
        f"{call} raised TimeoutError: the request to /hang timed out, and the error went "
        "on up, through gather, taking the other pages with it. Catch it for each "
        "request (`except TimeoutError: return None`): the pages that did answer must "
        "come back.",
        suggests="except TimeoutError",
    )


def _judge_pages(outcome: Outcome, served: Counter[str], traffic: _Timeline, call: str) -> None:
    """What came back: ten pages in order, None for /hang."""
    value = outcome.value
    if value == EXPECTED:
        return
    if isinstance(value, asyncio.Future):
        raise Wrong(
            "forgot_await",
            f"{call} returned {type(value).__name__} object, the future asyncio.gather "
            "gives, instead of the pages: await it, which waits for the pages and gives "
            "them (`return await asyncio.gather(...)`).",
        )
    if isinstance(value, list) and sorted(map(str, value)) == sorted(map(str, EXPECTED)):
        raise Wrong(
            "wrong_order",
            f"{call} returned the pages in the order they arrived: {value!r}. Return "
            "them in the order of `urls` (gather keeps that order).",
        )
    if isinstance(value, list) and len(value) == len(EXPECTED):
        missing = [
            PATHS[i] for i, got in enumerate(value) if got is None and EXPECTED[i] is not None
        ]
        if missing and _timeouts(outcome) <= 1:
            raise Wrong(
                "timeout_on_the_batch",
                f"{call} returned None for {len(missing)} pages that do answer "
                f"({', '.join(missing[:3])}...): its one timeout was around the whole "
                "batch, so it gave up on every page at once. Give each request its own: "
                "`async with asyncio.timeout(timeout):` inside the function that fetches "
                "one URL.",
            )
        if missing and _started_last(traffic, missing, value):
            _slot_wait(missing, call)
        dropped = [path for path in missing if served[path]]
        if dropped:
            raise Wrong(
                "wrong_value",
                f"{call} returned None for {', '.join(dropped[:3])}"
                f"{'...' if len(dropped) > 3 else ''}, which the server answered: what "
                "came back was lost on the way. Return the page's text: "
                "`return await response.text()`.",
            )
        if missing:
            _slot_wait(missing, call)
    raise Wrong("wrong_value", f"{call} returned {value!r}, not {EXPECTED!r}.")


def _started_last(traffic: _Timeline, missing: list[str], value: list[Any]) -> bool:
    """Whether the pages in ``missing`` are the last ones the server was asked for (or
    were never asked for), after every page that came back right: the mark of a timeout
    that started before the wait for a place.  Such a page may have been served all the
    same: on a busy machine the server can finish it just as the client gives up."""
    came_back = [
        PATHS[i] for i, got in enumerate(value) if got == EXPECTED[i] and EXPECTED[i] is not None
    ]
    first_start: dict[str, int] = {}
    for position, (kind, path, _) in enumerate(traffic.events):
        if kind == "start":
            first_start.setdefault(path, position)
    if not came_back or any(path not in first_start for path in came_back):
        return False
    last_right = max(first_start[path] for path in came_back)
    return all(first_start.get(path, len(traffic.events)) > last_right for path in missing)


def _slot_wait(missing: list[str], call: str) -> None:
    raise Wrong(
        "timeout_includes_slot_wait",
        f"{call} returned None for {', '.join(missing)}, which answer in "
        f"{PAGE_DELAY:g} s: their clocks started before they waited for one of the "
        f"{LIMIT} places, and ran out before (or just as) they were answered. Start the "
        "clock once the request has its place: `async with asyncio.timeout(timeout):` "
        "inside `async with semaphore:`, not around it.",
    )


def _judge_limit(fetch_all: Any, traffic: _Timeline, call: str) -> None:
    """How many requests the server had at once, and again once /hang was given up."""
    total = len(PATHS)
    if traffic.peak > LIMIT and "Semaphore" in names_used(fetch_all):
        raise Wrong(
            "semaphore_per_call",
            f"{call}: the server had {traffic.peak} of the {total} requests in flight at "
            f"once, more than the limit of {LIMIT}: the semaphore bounded nothing. Every "
            "request must go through the same one: create it once in fetch_all, before "
            "starting the requests, and hold it around each request.",
        )
    if traffic.peak > LIMIT:
        raise Wrong(
            "unbounded",
            f"{call}: the server had {traffic.peak} of the {total} requests in flight at "
            f"once, more than the limit of {LIMIT}. Hold an `asyncio.Semaphore({LIMIT})` "
            "around each request (`async with semaphore:`), so that at most that many "
            "run together.",
            suggests="Semaphore",
        )
    if traffic.peak <= 1:
        _sequential(call)
    if traffic.peak < LIMIT:
        raise Wrong(
            "below_limit",
            f"{call}: the server never had more than {traffic.peak} requests at once, "
            f"though {LIMIT} were allowed. Use the limit you are given: "
            "`asyncio.Semaphore(limit)`.",
            suggests="Semaphore(limit)",
        )
    if _peak_after_hang(traffic) < LIMIT:
        raise Wrong(
            "slot_never_released",
            f"{call}: once /hang was given up, the server never had more than "
            f"{_peak_after_hang(traffic)} requests at once again, though pages were still "
            "waiting: the place /hang held was never given back. A request that times out "
            "must release its place too: `async with semaphore:` gives it back however "
            "the block ends (with acquire(), release() goes in a `finally:`).",
            suggests="async with semaphore",
        )


def _judge_closing(outcome: Outcome, settled: bool, traffic: _Timeline, call: str) -> None:
    """The session closed, and one session for all the requests."""
    if _left_open(outcome) or not settled:
        raise Wrong(
            "session_left_open",
            f"{call} returned the right pages but left its ClientSession open, and with "
            "it the connections to the server. Use `async with aiohttp.ClientSession() "
            "as session:`, which closes them however the block ends.",
        )
    if traffic.connections_total >= len(PATHS):
        raise Wrong(
            "session_per_request",
            f"{call} opened {traffic.connections_total} connections for {len(PATHS)} "
            "requests: a ClientSession for each request, so none of them reused a "
            "connection. One session for all of them (`async with aiohttp.ClientSession() "
            "as session:` around the whole batch) keeps its connections open and reuses "
            "them.",
        )


def _left_open(outcome: Outcome) -> bool:
    """aiohttp reported a session or connector that was never closed.

    An aiohttp session (and its connector) collected while still open reports
    ``Unclosed client session`` to the exception handler of *its own* event loop: the
    runner's loop for this run, so the report is this answer's, whenever Python happens
    to collect it.  (Warnings, by contrast, go wherever Python is when it collects, and
    may come from an earlier check's garbage: they are not used.)
    """
    return any("nclosed" in report for report in outcome.loop_errors)


def _judge_cancelled(runs: _Runs) -> None:
    """Cancelled after 0.3 s, as a caller's timeout would: it must end cancelled, with its
    session closed."""
    call = (
        f"fetch_all(6 urls, limit={LIMIT}, timeout={TIMEOUT}), cancelled after {CANCEL_AFTER:g} s"
    )
    outcome, ending = runs.cancelled_outcome, runs.cancelled_ending
    common_mistakes(outcome, call, expected_error=Exception)
    if ending.finished and not ending.cancelled:
        raise Wrong(
            "swallowed_cancel",
            f"{call} {ending.describe()} instead of ending cancelled: the CancelledError "
            "was caught, so the caller's timeout never happened. An `except "
            "BaseException:` (or a bare `except:`) catches cancellation too: catch only "
            "the errors you mean, and let CancelledError through.",
        )
    if runs.swallowed:
        raise Wrong(
            "swallowed_cancel",
            f"{call}: {len(runs.swallowed)} of its {runs.swallowed[0]}() tasks caught their "
            "CancelledError and returned as if nothing had happened (fetch_all still "
            "ended cancelled, because gather raises when it is cancelled, but a task that "
            "swallows its cancellation cannot be stopped by anyone else). An `except "
            "BaseException:` (or a bare `except:`) catches cancellation too: catch only "
            "`TimeoutError` around a request.",
        )
    if _left_open(outcome) or not runs.cancelled_settled:
        raise Wrong(
            "not_closed_on_error",
            f"{call} left its ClientSession open when it was cancelled: the close comes "
            "after the requests, and a cancellation (or any error) skips it. `async with "
            "aiohttp.ClientSession() as session:` closes it however the block ends.",
        )


ex3 = Exercise(
    title="A polite, patient fetcher",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "One `async with aiohttp.ClientSession() as session:` around everything, one "
        "`asyncio.Semaphore(limit)`, and `await asyncio.gather(*(one(url) for url in urls))`.",
        "In `one(url)`: `async with semaphore:`, then inside `async with "
        "asyncio.timeout(timeout):` the request, `session.get(url)` and "
        "`await response.text()`.",
        "Around the timeout block, `except TimeoutError: return None`.",
    ],
)
