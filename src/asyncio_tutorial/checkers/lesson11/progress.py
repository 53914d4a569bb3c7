"""Exercise 4: ``fetch_all(urls, fetch, file)``, every page at once, with a tqdm bar.

The answer fetches :data:`PAGES` pages through a ``fetch`` the checker gives it, whose
pages arrive when the checker says, one at a time, in an order of its choosing
(:data:`ARRIVALS`, far from the order they were asked for): no clock decides anything.
After each arrival the checker lets the loop run a few turns (:data:`TURNS`, far more
than any right answer needs: a right answer updates its bar in the very step the page
arrives in, or one to three steps later through ``as_completed``), then reads the bar.
A bar updated after ``gather`` shows 0 until the last page; one updated while the
tasks are awaited in turn lags behind while the first page asked for is still missing;
one updated when each fetch *starts* runs ahead.

The bars are tqdm's own, made by the answer: while a check runs, tqdm's ``__init__`` and
``close`` are wrapped (on the answer's thread only) to note every bar made and closed,
and each new bar redraws at every change (``mininterval=0``, ``miniters=1``), so that its
count ``n`` is up to date even when it wraps an iterator, which otherwise counts in
local variables between redraws.  The answer's own choices are kept otherwise.

Then the same fetch is run twice more: the last page fails (``Failed`` must come out of
``fetch_all``, the bar closed on its way), and ``fetch_all`` is cancelled after three
pages (the bar closed, and ``fetch_all`` ending cancelled).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tqdm import std

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, where_waiting
from asyncio_tutorial.checkers.scenario import Ending, names_used, note_ending
from asyncio_tutorial.crawler import Failed

from .common import (
    STOP_GRACE,
    forget_frames,
    new_tasks,
    set_aside,
    stop_new_tasks,
    task_name,
)

PAGES = 8
URLS = tuple(f"http://site.test/page/{n}" for n in range(1, PAGES + 1))
ARRIVALS = (3, 6, 1, 8, 2, 5, 7, 4)
"""The pages in the order they arrive (numbers from 1): the first asked for comes third."""
FAILING = ARRIVALS[-1]  # in the second run, the last page to arrive fails
CANCEL_AFTER = 3  # in the third run, fetch_all is cancelled after this many pages
TURNS = 50
"""Loop turns the checker waits, at most, for a bar to count a page that has arrived
(and for fetches to start): a right answer needs 3 at most.  Turns, not seconds: a busy
machine makes each turn slower, never the count of turns a chain of callbacks takes."""
GIVE_UP = 1.0  # seconds after the last page for fetch_all to return (a right one: a turn)


def _text(url: str) -> str:
    return f"text of {url.rsplit('/', 2)[-2]}/{url.rsplit('/', 1)[-1]}"


def _path(url: str) -> str:
    return url.removeprefix("http://site.test")


# --- The pages, which arrive when the checker says --------------------------------------


class _Pages:
    """The ``fetch`` given to the answer: each call waits until the checker lets its page
    arrive (:meth:`arrive`), and counts how many were in flight at once."""

    def __init__(self, failing: str | None = None) -> None:
        self.failing = failing
        self.waiting: dict[str, list[asyncio.Future[str]]] = {}
        self.asked: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def fetch(self, url: str) -> str:
        """The text of the page at ``url``, when it arrives."""
        if url not in URLS:
            raise ValueError(f"no page at {url!r}: fetch takes one of the urls given")
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(url, []).append(future)
        self.asked.append(url)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await future
        finally:
            self.in_flight -= 1

    def pending(self) -> list[str]:
        """The pages asked for and not arrived, in the order they are due to arrive."""
        due = [URLS[n - 1] for n in ARRIVALS]
        return [u for u in due if any(not f.done() for f in self.waiting.get(u, []))]

    def arrive(self, url: str) -> None:
        for future in self.waiting[url]:
            if future.done():
                continue
            if url == self.failing:
                future.set_exception(Failed("HTTP 500"))
            else:
                future.set_result(_text(url))


# --- The bars the answer makes ----------------------------------------------------------


def _unwrapped(stream: Any) -> Any:
    """The stream a tqdm bar writes to, out of tqdm's wrappers around it."""
    for _ in range(3):
        try:
            stream = object.__getattribute__(stream, "_wrapped")
        except AttributeError:
            break
    return stream


class _Bars:
    """Every tqdm bar made on the answer's thread while :meth:`watching`, and which were
    closed.  (Made anywhere else, a bar is left alone.)"""

    def __init__(self) -> None:
        self.bars: list[Any] = []  # kept: a bar the answer drops is not closed by the collector
        self.closed: set[int] = set()
        self.thread: int | None = None

    def progress(self) -> float:
        return sum(getattr(bar, "n", 0) for bar in self.bars)

    def closed_now(self) -> bool:
        return bool(self.bars) and all(id(bar) in self.closed for bar in self.bars)

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        tqdm = std.tqdm
        init, close = tqdm.__init__, tqdm.close
        monitor = tqdm.__dict__.get("monitor_interval")
        tqdm.get_lock()  # made once, now: the first bar would make it on the answer's loop
        bars = self

        def noting_init(bar: Any, *args: Any, **kwargs: Any) -> None:
            init(bar, *args, **kwargs)
            if threading.get_ident() == bars.thread:
                bars.bars.append(bar)
                # Redraw at every change, so that n is up to date (see the module's text).
                bar.mininterval, bar.miniters, bar.dynamic_miniters, bar.delay = 0, 1, False, 0

        def noting_close(bar: Any) -> None:
            if threading.get_ident() == bars.thread:
                bars.closed.add(id(bar))
            close(bar)

        tqdm.__init__ = noting_init  # type: ignore[method-assign]
        tqdm.close = noting_close  # type: ignore[method-assign]
        tqdm.monitor_interval = 0  # no monitor thread left behind in the kernel
        try:
            yield
        finally:
            tqdm.__init__ = init  # type: ignore[method-assign]
            tqdm.close = close  # type: ignore[method-assign]
            if monitor is not None:
                tqdm.monitor_interval = monitor

    def close_all(self) -> None:
        """Close what the answer left open (quietly where it is the checker's stream)."""
        for bar in self.bars:
            with contextlib.suppress(Exception):
                bar.close()


# --- One run of the answer ----------------------------------------------------------------


@dataclass
class _Run:
    """What became of one call of the answer."""

    pages: _Pages
    file: io.StringIO = field(default_factory=io.StringIO)
    bars: _Bars = field(default_factory=_Bars)
    ending: Ending = field(default_factory=Ending)
    at_start: float = 0
    """What the bars counted once every fetch had started, before any page arrived."""
    shown: list[tuple[str, int, float]] = field(default_factory=list)
    """(page, pages arrived so far, what the bars counted) after each arrival."""
    closed: bool = False
    """Every bar was closed when fetch_all ended."""
    waiting_in: str = ""
    """Where fetch_all waited when the checker gave up on it."""
    left: list[str] = field(default_factory=list)
    left_waiting: dict[str, str] = field(default_factory=dict)
    not_stopping: list[str] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


async def _turns(done: Callable[[], bool]) -> None:
    """Let the loop run until ``done()``, at most :data:`TURNS` turns."""
    for _ in range(TURNS):
        if done():
            return
        await asyncio.sleep(0)


async def _drive(fetch_all: Any, run: _Run, cancel_after: int | None) -> None:
    before = asyncio.all_tasks()
    run.bars.thread = threading.get_ident()
    pages, bars = run.pages, run.bars
    started = asyncio.get_running_loop().time()
    task = asyncio.ensure_future(fetch_all(list(URLS), pages.fetch, run.file))
    try:
        await _turns(lambda: len(pages.asked) >= PAGES or task.done())
        run.at_start = bars.progress()
        arrived = 0
        while not task.done() and arrived != cancel_after:
            if not pages.pending():
                await _turns(lambda: bool(pages.pending()) or task.done())
            due = pages.pending()
            if not due:
                break
            pages.arrive(due[0])
            arrived += 1
            await _turns(lambda n=arrived: bars.progress() >= n or task.done())
            run.shown.append((due[0], arrived, bars.progress()))
        if cancel_after is not None and not task.done():
            task.cancel()
            run.ending.cancel_requests += 1
            await asyncio.wait([task], timeout=STOP_GRACE)
        else:
            await asyncio.wait([task], timeout=GIVE_UP)
        _note_ending(task, run.ending, started)
        if not task.done() and isinstance(task, asyncio.Task):
            run.waiting_in = where_waiting(task)
        run.closed = run.ending.finished and bars.closed_now()  # (after _release: see there)
        leftover = [t for t in asyncio.all_tasks() - before if not t.done() and t is not task]
        run.left = sorted(task_name(t) for t in leftover)
        run.left_waiting = {task_name(t): where_waiting(t) for t in leftover}
        run.not_stopping = await stop_new_tasks(before)
        if not task.done():
            run.left, run.left_waiting = [], {}  # fetch_all itself never ended: judged as such
    finally:
        run.tasks = new_tasks(before)
        bars.close_all()


def _note_ending(task: asyncio.Future[Any], ending: Ending, started: float) -> None:
    """How ``task`` ended, its error's frames let go of (see :func:`_release`)."""
    note_ending(task, ending, started)
    if task.done():
        _release(task)


def _release(task: asyncio.Future[Any]) -> None:
    """Let go of the frames the ending's error holds, as the learner's notebook does once
    the error is handled.  A bar closed by a generator's ``finally`` (tqdm's own, when it
    wraps an iterator, as ``tqdm.asyncio.tqdm.gather`` does) is closed when that generator
    is let go of: at once where the loop over it was a plain ``for``, but only when the
    error's frames are let go of where the loop was a comprehension (Python 3.11, whose
    comprehensions are functions of their own).  Closed here, it is closed the same on
    every Python."""
    try:
        task.result()
    except BaseException as error:  # noqa: BLE001 - whatever it was, only its frames matter
        forget_frames(error)


def _run(
    fetch_all: Any, failing: str | None = None, cancel_after: int | None = None
) -> tuple[Outcome, _Run]:
    run = _Run(_Pages(failing))
    with run.bars.watching():
        outcome = run_coroutine(lambda: _drive(fetch_all, run, cancel_after))
    set_aside(run.tasks)
    # After a cancellation, what fetch_all started and left is the checker's to stop:
    # ``asyncio.as_completed`` leaves its tasks running, and is not wrong for that here.
    outcome.left_running = [] if run.ending.cancel_requests else run.left
    outcome.left_waiting = run.left_waiting
    outcome.returned_coroutines.extend(run.ending.returned_coroutines)
    if outcome.error is None:
        outcome.error = run.ending.error
    return outcome, run


# --- The questions, in order ----------------------------------------------------------------


CALL = f"fetch_all(urls, fetch, file) with {PAGES} urls"


def _judge_ran(outcome: Outcome, run: _Run, call: str, expected: Any = None) -> None:
    if outcome.timed_out or outcome.blocked:
        common_mistakes(outcome, call)
    if not run.ending.finished:
        where = f" (it was waiting in {run.waiting_in})" if run.waiting_in else ""
        if not run.pages.asked:
            raise Wrong(
                "hang",
                f"{call} had not called fetch once, nor returned, after {GIVE_UP:g} s{where}.",
            )
        raise Wrong(
            "hang",
            f"{call}: {GIVE_UP:g} s after the last page it asked for had arrived, it had still "
            f"not returned{where}. Wait for the fetches themselves (gather), nothing else.",
        )
    error = outcome.error
    if "await wasn't used with future" in str(error) or "Future' object" in str(error):
        raise Wrong(
            "forgot_await",
            f"{call} raised {error_text(error)}: a future was used as if it were its result. "
            "`asyncio.gather(...)` without `await` gives a future, not the results: put "
            "`await` in front of it.",
        )
    common_mistakes(outcome, call, expected_error=expected)


def _judge_bar(run: _Run) -> None:
    """The fetching and the one bar: at once, on the file, with the right total."""
    call, pages, bars = CALL, run.pages, run.bars.bars
    if not pages.asked:
        raise Wrong(
            "never_fetched",
            f"{call} never called fetch: `text = await fetch(url)` gets a page's text.",
        )
    if pages.peak <= 1 < len(set(pages.asked)):
        raise Wrong(
            "sequential",
            f"{call} fetched one page at a time: each fetch started when the one before had "
            "arrived. Iterating over a list of coroutines (even through tqdm) and awaiting "
            "each in turn runs them one by one. Start them all at once, "
            "`asyncio.gather(...)`, and count each page as it arrives.",
            suggests="asyncio.gather",
        )
    if not bars:
        if run.file.getvalue():
            raise Wrong(
                "printed",
                f"{call} wrote {run.file.getvalue().strip().splitlines()[0]!r} on the file, "
                "but made no progress bar. Make one, `tqdm(total=len(urls), file=file)`, "
                "and advance it with `bar.update()`: it redraws itself in place.",
                suggests="tqdm(",
            )
        raise Wrong(
            "no_bar",
            f"{call} made no tqdm bar: `with tqdm(total=len(urls), file=file) as bar:`.",
            suggests="tqdm(",
        )
    if len(bars) > 1:
        raise Wrong(
            "bar_per_page",
            f"{call} made {len(bars)} tqdm bars: one bar counts all the pages. Make it once, "
            "before the fetches start, and let each page advance it by one.",
        )
    bar = bars[0]
    stream = _unwrapped(getattr(bar, "fp", None))
    if stream is not run.file:
        raise Wrong(
            "not_on_file",
            f"{call}: the bar was drawn on {_stream_name(stream)}, not on the file "
            "the check gave: `tqdm(..., file=file)`.",
            suggests="file=file",
        )
    if bar.total is None:
        raise Wrong(
            "no_total",
            f"{call}: the bar had no total, so it showed a bare count, neither how far along "
            f"it was (x of {PAGES}) nor a percentage. tqdm takes the total from `len()` of "
            "what it wraps, which an iterator such as `asyncio.as_completed(...)` has not: "
            "give it `total=len(urls)`.",
            suggests="total=len(urls)",
        )
    if bar.total != PAGES:
        raise Wrong(
            "wrong_total",
            f"{call}: the bar had a total of {bar.total:g}, not the {PAGES} pages: the bar "
            "counts pages, one per page that arrives, out of `total=len(urls)`, and works out "
            "the percentage itself.",
            suggests="total=len(urls)",
        )


def _stream_name(stream: Any) -> str:
    if stream is None:
        return "nothing (a bar made with disable=True draws nothing)"
    for name in ("stderr", "stdout"):
        if stream is getattr(sys, name) or stream is getattr(sys, f"__{name}__"):
            return f"sys.{name}"
    return f"a {type(stream).__name__}"


def _judge_counts(outcome: Outcome, run: _Run) -> None:
    """The bar counted each page as it arrived: not before, not after."""
    call = CALL
    if run.at_start > 0:
        raise Wrong(
            "updated_early",
            f"{call}: the bar showed {run.at_start:g} of {PAGES} before a single page had "
            "arrived: it counted each fetch when it started. Update it after "
            "`await fetch(url)` has returned the page.",
        )
    for _, arrived, shown in run.shown:
        if shown > arrived:
            raise Wrong(
                "updated_early",
                f"{call}: when {_pages(arrived)} had arrived, the bar showed {shown:g}: count "
                "one per page, `bar.update()`, once it has arrived.",
            )
    late = [(arrived, shown) for _, arrived, shown in run.shown if shown < arrived]
    if not late:
        return
    arrived, shown = max(late, key=lambda seen: seen[0] - seen[1])  # where it lagged most
    if outcome.waits:  # a right answer asks its loop for no wait at all
        raise Wrong(
            "polled",
            f"{call}: the bar showed {shown:g} when {_pages(arrived)} had arrived: it was "
            f"brought up to date every {outcome.waits[0]:g} s, not as each page arrived. "
            "Update it from the fetch itself, the moment `await fetch(url)` returns.",
        )
    if not any(shown for _, _, shown in run.shown):
        raise Wrong(
            "never_advanced",
            f"{call}: the bar stayed at 0 of {PAGES} while all {PAGES} pages arrived: nothing "
            "advanced it. Call `bar.update()` (with its parentheses) once per page, the "
            "moment it arrives.",
        )
    before_last = [shown for _, _, shown in run.shown[:-1]]
    if before_last and not any(before_last):
        raise Wrong(
            "updated_at_end",
            f"{call}: the bar showed 0 of {PAGES} until the last page had arrived, then "
            f"{run.shown[-1][2]:g}: it was updated after all the pages were in (after "
            "gather?). Update it once per page, as each one arrives: wrap each fetch in a "
            "coroutine that awaits it and then calls `bar.update()`.",
        )
    first = _path(URLS[0])
    raise Wrong(
        "in_submission_order",
        f"{call}: when {_pages(arrived)} had arrived ({', '.join(_arrived(run, arrived))}), the "
        f"bar showed {shown:g}: it counted them in the order they were asked for, waiting for "
        f"{first} first, which arrived third. Awaiting the tasks in turn gives their results "
        "in order, not as they come. Update the bar in each page's own coroutine, right "
        "after its fetch (or use `asyncio.as_completed`).",
    )


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _ended(ending: Ending) -> str:
    """How fetch_all ended, for a message: ``returned a dict of 7 pages``."""
    if not ending.cancelled and ending.error is None and isinstance(ending.value, dict):
        return f"returned a dict of {_pages(len(ending.value))}"
    return ending.describe()[:80]


def _arrived(run: _Run, count: int) -> list[str]:
    return [_path(url) for url, _, _ in run.shown[:count]]


def _judge_result(run: _Run) -> None:
    expected = {url: _text(url) for url in URLS}
    value = run.ending.value
    if value != expected:
        shown = repr(value) if not isinstance(value, dict) else f"a dict of {len(value)} items"
        raise Wrong(
            "wrong_result",
            f"{CALL} returned {shown[:80]}, not {{url: text}} for the {PAGES} pages "
            f"({{{URLS[0]!r}: {_text(URLS[0])!r}, ...}}).",
        )


def _judge_failure(fetch_all: Any) -> None:
    failing = URLS[FAILING - 1]
    call = f"{CALL}, {_path(failing)} failing"
    outcome, run = _run(fetch_all, failing=failing)
    error = run.ending.error
    inner = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else [error]
    failed = error is not None and all(isinstance(e, Failed) for e in inner)
    _judge_ran(outcome, run, call, expected=(Failed, BaseExceptionGroup) if failed else None)
    if error is None:
        raise Wrong(
            "swallowed_failure",
            f"{call}: fetch({_path(failing)!r}) raised Failed('HTTP 500'), and fetch_all "
            f"{_ended(run.ending)}, as if all was well. Let the error go on: whoever "
            "called fetch_all must hear that a page failed.",
        )
    if not run.closed:
        raise Wrong(
            "bar_left_open_on_error",
            f"{call}: Failed came out of fetch_all, but the bar was left open: "
            "`bar.close()` after the fetches never runs when one raises. Use "
            "`with tqdm(...) as bar:`, which closes it however the block ends.",
            suggests="with tqdm(",
        )


def _judge_cancel(fetch_all: Any) -> float:
    call = f"{CALL}, cancelled after {CANCEL_AFTER} pages"
    outcome, run = _run(fetch_all, cancel_after=CANCEL_AFTER)
    if outcome.timed_out or outcome.blocked:
        common_mistakes(outcome, call)
    if not run.ending.finished:
        aside = " It could not be stopped, and has been set aside for good." * bool(
            run.not_stopping
        )
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: it was still running {STOP_GRACE:g} s after it was cancelled.{aside} "
            "Never catch the CancelledError to carry on.",
        )
    outcome.error = None
    common_mistakes(outcome, call)
    if not run.ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: it {_ended(run.ending)} instead of ending cancelled: it caught "
            "the CancelledError. Let it go on (close the bar in `finally:`, or with `with`).",
        )
    if not run.closed:
        missed = (
            " An `except Exception:` does not catch the CancelledError (a BaseException)."
            if "Exception" in names_used(fetch_all)
            else ""
        )
        raise Wrong(
            "bar_left_open_on_cancel",
            f"{call}: it ended cancelled, but the bar was left open.{missed} Close the bar in "
            "`finally:`, or open it with `with tqdm(...) as bar:`, which closes it however "
            "the block ends.",
            suggests="with tqdm(",
        )
    return run.shown[-1][2] if run.shown else 0


# --- The checker -------------------------------------------------------------------------------


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(urls, fetch, file)``: every page at once, counted as it arrives."""
    expect_coroutine_function(fetch_all)
    outcome, run = _run(fetch_all)
    _judge_ran(outcome, run, CALL)
    _judge_bar(run)
    _judge_counts(outcome, run)
    _judge_result(run)
    if not run.closed:
        raise Wrong(
            "bar_not_closed",
            f"{CALL}: the bar counted every page, but was never closed: it stays among "
            "tqdm's open bars, and its last line is never finished. Open it with "
            "`with tqdm(...) as bar:`, which closes it however the block ends.",
            suggests="with tqdm(",
        )
    _judge_failure(fetch_all)
    shown_at_cancel = _judge_cancel(fetch_all)
    order = ", ".join(str(n) for n in ARRIVALS)
    return correct(
        f"{CALL} had all {run.pages.peak} fetches in flight at once; the pages arrived in "
        f"the order {order} (not the order asked for), and the bar, total {PAGES}, showed "
        f"{', '.join(f'{shown:g}' for _, _, shown in run.shown)} after each: every page "
        "counted as it arrived. The bar was closed at the end, closed too when the last page "
        f"failed (Failed went on), and when fetch_all was cancelled after {CANCEL_AFTER} "
        f"pages (it showed {shown_at_cancel:g} of {PAGES}, and fetch_all ended cancelled)."
    )


ex4 = Exercise(
    title="A progress bar",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Open the bar around the whole fetch: `with tqdm(total=len(urls), file=file) as bar:`. "
        "The `with` closes it however the block ends: returned, raised or cancelled.",
        "Inside, define `async def fetch_one(url):` that does `text = await fetch(url)`, then "
        "`bar.update()`, then returns `url, text`: each page advances the bar the moment it "
        "arrives, whatever the order.",
        "`pairs = await asyncio.gather(*(fetch_one(url) for url in urls))` runs them all at "
        "once; `return dict(pairs)` after the `with` block.",
    ],
)
