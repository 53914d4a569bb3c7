"""A concurrent web crawler: lesson 11's capstone, as a module and as a program.

The lesson builds it step by step; this module is the result, and the very same
functions the lesson's cells define (a test keeps them identical).  From a terminal::

    python -m asyncio_tutorial.site                    # serve the course's site; note its URL
    python -m asyncio_tutorial.crawler URL             # crawl it (Ctrl-C stops, keeping the pages)
    python -m asyncio_tutorial.crawler --demo          # both at once: serve the site and crawl it

How it is built:

* :func:`fetch` makes one request, bounded by a timeout;
* :func:`fetch_with_retries` tries again after a timeout or a 5xx answer, waiting longer
  each time (exponential backoff) plus a random extra (jitter), as :class:`Retry` says;
* :func:`visit` fetches one page, notes what came of it in a :class:`Crawl`, and queues
  the links it has not seen before (so no page is fetched twice);
* :func:`worker` visits pages from the queue, one at a time, until cancelled;
* :func:`crawl_site` runs a fixed number of workers: that number is the most requests
  the site ever gets at once.  It stops them when every queued page has been visited,
  or when it is cancelled; either way the :class:`Crawl` keeps what was found;
* :class:`ProgressBar` shows the crawl's progress live (tqdm), and prints one line
  that stays when it ends;
* :meth:`Crawl.report` and :meth:`Crawl.chart` sum a crawl up, and :class:`Speedup` turns
  two measurements into figures and a claim that is checked.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import email.utils
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

import aiohttp
from tqdm import tqdm

from asyncio_tutorial.servers import local_site
from asyncio_tutorial.site import site_pages
from asyncio_tutorial.stamps import StampedStream
from asyncio_tutorial.timeline import CELL, EARLY_ALLOWANCE, RESOLUTION

LINK = re.compile(r'href="([^"]+)"')
"""A link in a page: ``<a href="/article/2">``.  (Real crawlers use an HTML parser.)"""


# --- The retry policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    """How hard to try: tries per page, the timeout of each, and the waits between them.

    After a failed try number ``n`` (1, 2, …) the crawler waits :meth:`delay` seconds:
    ``base`` doubled for each earlier failure, at most ``cap`` (exponential backoff),
    plus a random extra of up to as much again (jitter), so that many clients that
    failed together do not all come back together.
    """

    attempts: int = 3
    """Tries per page, the first one included."""
    timeout: float = 0.5
    """Seconds one try may take before it is given up."""
    base: float = 0.1
    """The first wait, in seconds."""
    cap: float = 1.0
    """The longest wait before jitter, in seconds."""
    seed: int = 11
    """Where the random extras start: the same seed gives the same waits."""
    longest_wait: float = 5.0
    """The longest wait an answer's ``Retry-After`` may ask for, in seconds.  Asked to
    wait longer, the crawler gives up on the page rather than hold a worker that long."""

    def delay(self, url: str, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` of ``url``.

        The extra is random, but drawn from a generator seeded with ``seed`` and the
        URL's path, so the same page waits the same on every run (the lesson's
        recorded timings depend on it), and different pages wait differently.  It is
        rounded to tenths of a second, like every wait in the course.
        """
        backoff = min(self.cap, self.base * 2 ** (attempt - 1))
        generator = random.Random(f"{self.seed}:{urlsplit(url).path}:{attempt}")
        return round(backoff + generator.uniform(0, backoff), 1)


RETRY = Retry()
"""The crawler's default policy: 3 tries of at most 0.5 s, waits from 0.1 s."""

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Answers worth another try: the server timed out, was busy or failed for now.  Not 501
(not implemented) or 505 (HTTP version), which no second try changes; nor 4xx other than
408 and 429.  When such an answer says how long to wait (``Retry-After``, usual with 429
and 503), :func:`fetch_with_retries` waits at least that long."""


class Failed(Exception):
    """A page that could not be fetched after every try; ``cause`` says why."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause
        """What went wrong the last time: ``"timeout"``, ``"HTTP 500"``..."""


# --- What a crawl finds ----------------------------------------------------------------------


@dataclass
class Request:
    """One request the crawler made, with times in seconds since the crawl began."""

    url: str
    started: float
    ended: float
    outcome: str
    """``"200"``, ``"503"``, ``"timeout"``, or the name of a connection error."""
    worker: str = ""
    """The name of the task that made it."""
    server_time: float | None = None
    """How long the server said it took (its ``Server-Timing`` header), if it said so."""


@dataclass
class Crawl:
    """Everything a crawl found, noted as it goes.

    The caller makes it and hands it to :func:`crawl_site`, so a crawl that is stopped
    half-way (cancelled, timed out, Ctrl-C) still leaves its pages here.
    """

    seen: set[str] = field(default_factory=set)
    """Every address met, visited or queued: the crawler never queues one twice."""
    pages: dict[str, str] = field(default_factory=dict)
    """Address to text of every page fetched."""
    failures: dict[str, str] = field(default_factory=dict)
    """Address to cause (``"timeout"``, ``"HTTP 500"``) of every page that failed."""
    redirects: dict[str, str] = field(default_factory=dict)
    """Address to new address of every page that has moved."""
    requests: list[Request] = field(default_factory=list)
    """Every request made, in the order they ended."""
    retries: int = 0
    """Tries that were second or later ones."""
    duplicates: int = 0
    """Links that led to an address already seen."""
    log: Callable[[str], Any] | None = None
    """Called with a line for each request as it ends (``log=print`` to watch)."""
    began: float = field(default_factory=time.monotonic)
    """When the crawl began (``time.monotonic()``)."""

    def clock(self) -> float:
        """Seconds since the crawl began."""
        return time.monotonic() - self.began

    def note(
        self, url: str, started: float, outcome: str, server_time: float | None = None
    ) -> None:
        """Record a request that has just ended."""
        task = asyncio.current_task()
        worker = task.get_name() if task is not None else ""
        self.requests.append(Request(url, started, self.clock(), outcome, worker, server_time))
        if self.log is not None:
            self.log(f"{urlsplit(url).path}: {outcome}")

    @property
    def done(self) -> int:
        """Addresses dealt with: fetched, failed or moved."""
        return len(self.pages) + len(self.failures) + len(self.redirects)

    def report(self) -> str:
        """What the crawl found: pages, failures by cause, requests and duplicates."""
        left = len(self.seen) - self.done
        lines = [
            f"pages fetched: {len(self.pages)}; moved: {len(self.redirects)}; "
            f"failed: {len(self.failures)}"
            + (f"; not reached: {left}" if left else "")
            + f" ({len(self.seen)} addresses found)"
        ]
        causes = Counter(self.failures.values())
        for cause in sorted(causes):
            paths = sorted((urlsplit(u).path for u, c in self.failures.items() if c == cause))
            shown = " ".join(paths[:4]) + (" …" if len(paths) > 4 else "")
            lines.append(f"  failed with {cause + ':':<10} {causes[cause]:>3}  {shown}")
        lines.append(
            f"requests: {len(self.requests)}, of which {self.retries} retries; "
            f"links to pages already seen: {self.duplicates}"
        )
        return "\n".join(lines)

    def chart(self, until: float = 1.0) -> str:
        """The first ``until`` seconds of the crawl, request by request.

        Drawn like the course's task timelines (:mod:`asyncio_tutorial.timeline`), in
        columns of 0.1 s: ``──`` while a request waits for its answer, ``✗`` where one
        timed out, ``!`` where one got an error answer (404, 5xx), blank while no
        request is in flight.  A request takes the first row free, so there are as many
        rows as there were requests at once, whichever worker made which.

        Each worker's requests, and the pauses between them, are placed one after the
        other, each cut down to whole tenths of a second, as the timing stamps are (a
        worker's first request comes after the last request that ended before it: it
        waited for a page to be queued).  A request is as long as the server said it
        took (its ``Server-Timing`` header; the course's site gives each page's set
        delay), or, without that header (a timeout, a lost connection), as long as it
        lasted.  Twenty answers that arrive at the
        same moment take the crawler and the server, on the same loop, a few
        milliseconds each to deal with, one after the other; on a busy machine the last
        of them is read a tenth of a second late or more, and a request of 0.1 s would
        be drawn 0.2 s long.  The server's figure does not depend on that, and pauses
        cut down keep their columns even when they end up to 95 ms late: the chart
        shows the crawl's steps the same on every run.
        """
        columns = round(until / RESOLUTION)
        tries: dict[str, list[tuple[int, int, str]]] = {}  # url: its tries, in columns
        ends: list[tuple[float, int]] = []  # (when, column) each request placed so far ended
        last: dict[str, tuple[float, int]] = {}  # worker: the same, for its latest request
        for request in sorted(self.requests, key=lambda request: request.started):
            # After the worker's previous request; a worker's first request waited for
            # a page to be queued, so it comes after the last request that ended before.
            if request.worker in last:
                last_end, column = last[request.worker]
            else:
                last_end, column = max(
                    (end for end in ends if end[0] <= request.started), default=(0.0, 0)
                )
            start = column + _tenths(request.started - last_end)
            took = request.server_time
            end = start + _tenths(request.ended - request.started if took is None else took)
            ends.append((request.ended, end))
            last[request.worker] = (request.ended, end)
            tries.setdefault(request.url, []).append((start, end, _mark(request.outcome)))
        rows: list[list[str]] = []
        free_from: list[int] = []
        for spans in sorted(tries.values()):
            start, end = spans[0][0], spans[-1][1]
            if start >= columns:
                continue
            # The row free most recently: a worker's next page usually goes on its row.
            free = [(-until_, i) for i, until_ in enumerate(free_from) if until_ <= start]
            row = min(free)[1] if free else len(rows)
            if row == len(rows):
                rows.append([CELL["blank"]] * columns)
                free_from.append(0)
            free_from[row] = end
            for start, end, mark in spans:
                for column in range(start, min(end, columns)):
                    rows[row][column] = CELL["waiting"]
                if start < end <= columns:
                    rows[row][end - 1] = CELL[mark]
        axis = "".join(f"{c * RESOLUTION:<10.1f}" for c in range(0, columns + 1, 5)).rstrip()
        lines = [f"time (s)  {axis}"]
        lines += [f"{n:<8}  {''.join(row)}".rstrip() for n, row in enumerate(rows, 1)]
        lines.append("── waiting for an answer  ✗ timed out  ! error answer (404, 5xx)")
        return "\n".join(lines)


def _tenths(seconds: float) -> int:
    """Whole tenths in ``seconds``, cut down (0.19 s is 1), as a timing stamp counts them.

    Every wait on the course's site is a whole number of tenths, and work only ever ends
    late: cutting down keeps a step that ended a little late in its column.
    """
    return max(0, math.floor((seconds + EARLY_ALLOWANCE) / RESOLUTION))


def _mark(outcome: str) -> str:
    if outcome in ("timeout", "cancelled"):
        return "cancelled"  # a timeout is a cancellation (lesson 03)
    if not outcome.isdigit() or int(outcome) >= 400:
        return "failed"
    return "waiting"


# --- The crawler --------------------------------------------------------------------------


async def fetch(
    session: aiohttp.ClientSession, url: str, timeout: float, crawl: Crawl
) -> tuple[int, str, str | None, float | None]:
    """One request, within timeout s: (status, text, new address if the page moved,
    seconds the server asks to wait before the next try)."""
    started, outcome, took = crawl.clock(), "cancelled", None
    try:
        async with asyncio.timeout(timeout):
            async with session.get(url, allow_redirects=False) as response:
                text = await response.text()
                outcome = str(response.status)
                took = server_timing(response.headers.get("Server-Timing", ""))
                asked = retry_after(response.headers.get("Retry-After", ""))
                return response.status, text, response.headers.get("Location"), asked
    except TimeoutError:
        outcome = "timeout"
        raise
    except aiohttp.ClientError as error:
        outcome = type(error).__name__
        raise
    finally:
        crawl.note(url, started, outcome, took)


def server_timing(header: str) -> float | None:
    """Seconds in a ``Server-Timing`` header (``delay;dur=100``: 0.1), or ``None``.

    The header lists metrics, each with an optional duration in milliseconds; the
    longest counts.  A header without any gives ``None``.
    """
    durations = re.findall(r"(?:^|;)\s*dur=([0-9.]+)", header.replace(",", ";"))
    return max(float(d) for d in durations) / 1000 if durations else None


def retry_after(header: str) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (``120``, or an HTTP date), or ``None``."""
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None  # no header, or one that is neither a number nor a date
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)  # HTTP dates are in GMT
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


async def fetch_with_retries(
    session: aiohttp.ClientSession, url: str, retry: Retry, crawl: Crawl
) -> tuple[int, str, str | None]:
    """:func:`fetch`, tried again after a timeout, a failed connection or an answer in
    :data:`RETRY_STATUSES`.  Retrying is safe because a GET changes nothing on the server.

    Returns the first other answer (a 404 too: trying again would not change it).  Waits
    between tries as ``retry`` says, or as long as the answer's ``Retry-After`` asks if
    that is longer.  Raises :class:`Failed` at once for an address no try can reach (not
    http, no host) or an answer asking to wait longer than ``retry.longest_wait``, and
    when every try allowed by ``retry`` has failed.
    """
    for attempt in range(1, retry.attempts + 1):
        asked = None  # seconds the server asked us to wait
        try:
            status, text, location, asked = await fetch(session, url, retry.timeout, crawl)
        except TimeoutError:
            cause = "timeout"
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as error:
            raise Failed(type(error).__name__) from error  # no second try mends an address
        except aiohttp.ClientError as error:
            cause = type(error).__name__
        else:
            if status not in RETRY_STATUSES:
                return status, text, location
            cause = f"HTTP {status}"
            if asked is not None and asked > retry.longest_wait:
                raise Failed(f"{cause}, asked to wait {asked:g} s")
        if attempt < retry.attempts:
            crawl.retries += 1
            await asyncio.sleep(max(retry.delay(url, attempt), asked or 0.0))
    raise Failed(cause)


async def visit(
    url: str, session: aiohttp.ClientSession, queue: asyncio.Queue[str], crawl: Crawl, retry: Retry
) -> None:
    """Fetch one page, note what came of it, and queue the links not seen before."""
    try:
        status, text, location = await fetch_with_retries(session, url, retry, crawl)
    except Failed as failure:
        crawl.failures[url] = failure.cause
        return
    if location is not None:  # the page has moved: follow the new address like a link
        crawl.redirects[url] = urljoin(url, location)
        links = [crawl.redirects[url]]
    elif status >= 400:
        crawl.failures[url] = f"HTTP {status}"
        return
    else:
        crawl.pages[url] = text
        links = [urljoin(url, link) for link in LINK.findall(text)]
    for link in links:
        if link in crawl.seen:
            crawl.duplicates += 1
        else:
            crawl.seen.add(link)  # seen from now on: no other page queues it again
            queue.put_nowait(link)


async def worker(
    queue: asyncio.Queue[str], session: aiohttp.ClientSession, crawl: Crawl, retry: Retry
) -> None:
    """Visit pages from the queue, one at a time, until cancelled."""
    while True:
        url = await queue.get()
        try:
            await visit(url, session, queue, crawl, retry)
        finally:
            queue.task_done()


async def crawl_site(start: str, crawl: Crawl, *, workers: int = 20, retry: Retry = RETRY) -> None:
    """Visit every page reachable from ``start``, with at most ``workers`` requests at once.

    What it finds goes into ``crawl`` as it goes.  Cancelled, it stops its workers,
    waits until they have stopped, and lets the cancellation go on: ``crawl`` keeps
    everything found until then.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}: none would fetch {start}")
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [
            asyncio.create_task(worker(queue, session, crawl, retry), name=f"worker-{n}")
            for n in range(1, workers + 1)
        ]
        try:
            await queue.join()  # every page queued has been visited
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


# --- Simpler pieces, for the exercises ----------------------------------------------------


async def fetch_once(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    """One GET request, as it comes: ``(status, text)``.  No timeout, no retry."""
    async with session.get(url) as response:
        return response.status, await response.text()


async def fetch_page(
    session: aiohttp.ClientSession, url: str, retry: Retry = RETRY
) -> tuple[str, list[str]]:
    """``(text, links)`` of a page, its links as full addresses, with timeouts and retries.

    Raises :class:`Failed` when the page could not be fetched (a 404 included);
    ``failure.cause`` says why.
    """
    status, text, _ = await fetch_with_retries(session, url, retry, Crawl())
    if status >= 400:
        raise Failed(f"HTTP {status}")
    return text, [urljoin(url, link) for link in LINK.findall(text)]


async def simple_worker(
    queue: asyncio.Queue[str], session: aiohttp.ClientSession, crawl: Crawl, retry: Retry = RETRY
) -> None:
    """A worker over :func:`fetch_page`: the pages' texts and failures, no moves or counts."""
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url, retry)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


# --- Watching it: the progress bar ------------------------------------------------------------


class ProgressBar:
    """A live progress bar for a crawl, and one line that stays when the crawl ends::

        async with ProgressBar(crawl):
            await crawl_site(url, crawl)

    prints, when the block ends, ``pages: 100%|████████████████████| 325/325``.

    The bar is tqdm's, updated every ``interval`` seconds from ``crawl`` (pages dealt
    with, out of the addresses found so far).  Where it is drawn while the crawl runs
    depends on where the code runs:

    * **in a notebook**, in an output of its own (a display with an id, which each
      update replaces).  When the block ends that output is emptied again, and the
      final line is printed as ordinary output.  A recorded notebook therefore holds
      an empty display and a stable line, whatever the live updates were: notebook
      validation compares the display as it was first shown (empty) and never sees
      the updates, so nothing in the recording depends on how fast the crawl went;
    * **in a terminal**, on stderr, redrawn in place with carriage returns, erased
      when the block ends, then the final line is printed on stdout;
    * **anywhere else** (output sent to a file or a pipe) not at all: just the final line.

    The final line shows how many addresses were dealt with, out of how many found:
    the same on every run, unlike the rate and the elapsed time, which it leaves out.
    Like a timeline's chart, it carries no timing stamp in a lesson: it sums up the
    whole crawl rather than marking a moment.
    """

    FINAL_FORMAT = "{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt}"
    """The final line: tqdm's bar without rate or time (they differ from run to run)."""

    def __init__(
        self,
        crawl: Crawl,
        *,
        desc: str = "pages",
        interval: float = 0.1,
        file: TextIO | None = None,
    ) -> None:
        self.crawl = crawl
        self.desc = desc
        self.interval = interval
        self.file = file
        """Where the final line goes (default: ``sys.stdout``, looked up at the end)."""
        self._screen: _Screen | None = None
        self._bar: tqdm[Any] | None = None
        self._follower: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ProgressBar:
        self._screen = _screen()
        self._bar = _Bar(
            total=max(len(self.crawl.seen), 1),
            desc=self.desc,
            unit=" pages",
            file=self._screen.stream,
            disable=self._screen.stream is None,
            leave=False,
            ncols=80,
            mininterval=self.interval,
        )
        self._follower = asyncio.create_task(self._follow(), name="progress")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._follower is not None and self._bar is not None and self._screen
        self._follower.cancel()
        await asyncio.wait([self._follower])
        self._bar.close()
        self._screen.clear()
        file = self.file or sys.stdout
        if isinstance(file, StampedStream) and file.active:
            file = file.stream  # the line sums up the whole crawl: no stamp, as for a timeline
        print(self.final_line(), file=file, flush=True)

    async def _follow(self) -> None:
        assert self._bar is not None
        while True:
            self._bar.total = max(len(self.crawl.seen), 1)
            self._bar.update(self.crawl.done - self._bar.n)
            await asyncio.sleep(self.interval)

    def final_line(self) -> str:
        """The line printed at the end: the bar as it stands, without rate or time."""
        done, total = self.crawl.done, max(len(self.crawl.seen), 1)
        return tqdm.format_meter(done, total, 0, prefix=self.desc, bar_format=self.FINAL_FORMAT)


class _Bar(tqdm):  # type: ignore[type-arg]
    """tqdm without its monitor thread (which would redraw from another thread)."""

    monitor_interval = 0


@dataclass
class _Screen:
    """Where the live bar is drawn: a stream tqdm writes to, and how to clear it."""

    stream: Any = None
    clear: Callable[[], None] = lambda: None


def _screen() -> _Screen:
    """A notebook output of its own, the terminal, or nowhere (see :class:`ProgressBar`)."""
    shell = _notebook_shell()
    if shell is not None:
        line = _NotebookLine()
        return _Screen(line, line.clear)
    if sys.stderr is not None and sys.stderr.isatty():
        return _Screen(sys.stderr)
    return _Screen()


def _notebook_shell() -> Any:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


class _NotebookLine:
    """A file-like object for tqdm that shows each redraw in one notebook output."""

    encoding = "utf-8"  # a notebook shows tqdm's Unicode blocks, not its ASCII fallback

    def __init__(self) -> None:
        from IPython.display import display

        self._handle = display({"text/plain": ""}, raw=True, display_id=True)
        self._shown = ""

    def write(self, text: str) -> int:
        line = text.replace("\r", "").rstrip()
        if line and line != self._shown:
            self._show(line)
        return len(text)

    def flush(self) -> None:
        pass

    def clear(self) -> None:
        """Empty the output again, as it was first shown."""
        self._show("")

    def _show(self, line: str) -> None:
        self._shown = line
        if self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)


# --- Summing it up -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Speedup:
    """How much faster a crawl went than one request at a time: the figures, and the claim.

    ``show()`` prints what was measured, which differs from run to run and machine to
    machine; ``check()`` prints the claim, ✓ when the measurements bear it out, ✗ with the
    real figure when they do not, so that the line changes the day the crawler gets slower.
    """

    sequential: float
    """Seconds the crawl takes one request at a time (measured or estimated)."""
    concurrent: float
    """Seconds the crawl took, concurrently."""
    at_least: float = 5.0
    """The claim: at least this many times faster."""

    @property
    def ratio(self) -> float:
        """How many times faster."""
        return self.sequential / self.concurrent if self.concurrent > 0 else math.inf

    def figures(self) -> str:
        """The measurements and their ratio, as one line."""
        return (
            f"{self.concurrent:.2f} s, against {self.sequential:.1f} s one request at a "
            f"time: {self.ratio:.1f}× faster"
        )

    def claim(self) -> str:
        """The claim, ✓ or ✗ (then with the real figure)."""
        if self.ratio >= self.at_least:
            return f"✓ at least {self.at_least:g}× faster than one request at a time"
        return f"✗ only {self.ratio:.1f}× faster than one request at a time, not {self.at_least:g}×"

    def show(self) -> None:
        """Print the figures."""
        print(self.figures())

    def check(self) -> None:
        """Print the claim."""
        print(self.claim())


# --- As a program ---------------------------------------------------------------------------

INTERRUPTED = 130
"""The exit status after Ctrl-C, as shells report a program stopped by SIGINT (128 + 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m asyncio_tutorial.crawler URL`` (or ``--demo``): crawl, then report.

    Ctrl-C stops the crawl: ``asyncio.run`` cancels it, the workers stop, and the report
    of what was fetched until then is printed all the same.  Returns the exit status:
    0 when pages were fetched, 1 when none was (the start address failed), or
    :data:`INTERRUPTED` after Ctrl-C.
    """
    parser = argparse.ArgumentParser(
        prog="python -m asyncio_tutorial.crawler",
        description="Crawl a website concurrently, politely, and report what was found.",
    )
    parser.add_argument("url", nargs="?", help="where to start, e.g. http://127.0.0.1:8000/")
    parser.add_argument(
        "--demo", action="store_true", help="serve the course's site and crawl it (no URL)"
    )
    parser.add_argument(
        "--workers",
        type=_at_least_one,
        default=20,
        help="the most requests at once (default: 20)",
    )
    args = parser.parse_args(argv)
    if (args.url is None) != args.demo:
        parser.error("give the URL to start from, or --demo")
    crawl = Crawl()
    status = 0
    try:
        asyncio.run(_run(args.url, args.workers, crawl))
    except KeyboardInterrupt:
        status = INTERRUPTED
    print(crawl.report(), flush=True)
    if status == 0 and not crawl.pages:
        start = args.url or "the site"
        print(f"no page fetched: {crawl.failures.get(start, 'nothing answered')}", flush=True)
        status = 1
    return status


def _at_least_one(text: str) -> int:
    """``--workers``: a whole number of at least 1 (0 workers would wait for ever)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


async def _run(url: str | None, workers: int, crawl: Crawl) -> None:
    if url is not None:
        await _crawl(url, workers, crawl)
        return
    async with local_site(site_pages()) as site:
        await _crawl(site.url_for("/"), workers, crawl)


async def _crawl(url: str, workers: int, crawl: Crawl) -> None:
    print(f"crawling {url} with {workers} workers (Ctrl-C stops, keeping the pages)", flush=True)
    crawl.began = time.monotonic()
    try:
        async with ProgressBar(crawl):
            await crawl_site(url, crawl, workers=workers)
    except asyncio.CancelledError:
        print("interrupted: the workers have stopped; this is what they fetched", flush=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
