"""Real servers on this machine, for the I/O lessons, the exercises and their tests.

Lessons about the network need something to talk to, and the course must work offline
and give the same results on every run.  So it brings its own servers, started inside
the running event loop and always stopped again::

    async with local_site() as site:                  # an HTTP server (aiohttp.web)
        async with aiohttp.ClientSession() as session:
            async with session.get(site.url_for("/page/1")) as response:
                print(await response.text())
        print(site.traffic.peak)                       # the most requests in flight at once

    async with line_server() as server:                # a TCP server, one command per line
        reader, writer = await asyncio.open_connection(server.host, server.port)

Every server here:

* binds ``127.0.0.1`` on port 0, so the operating system picks a free port (read it as
  ``site.port``); nothing is reachable from outside this machine, and two servers never
  fight over a port;
* counts, on the server side, what a checker needs to judge a client: requests in
  flight now, the most in flight at once, requests in all (per path, and per client
  program), connections open now and in all (see :class:`Traffic`);
* is stopped when its ``async with`` block ends, however it ends: normally, with an
  error, cancelled, or interrupted with the kernel's stop button (in a notebook that
  cancels the cell).  Connections still open are closed, requests still waiting are
  cancelled, and the port is free again.

**Describing a site.**  ``local_site(pages)`` serves a mapping of path to :class:`Page`;
each page says what to answer and how: a body and links, a delay, a status, a
redirect, a failure for the first few requests, or no answer at all::

    pages = {
        "/": Page("home", links=("/a", "/b")),
        "/a": Page("a", delay=0.3),                    # answers after 0.3 s
        "/b": Page(status=500),                        # fails
        "/c": Page(redirect="/a"),                     # 302 to /a
        "/d": Page(hang=True),                         # never answers
        "/e": Page("e", fail_first=2),                 # 503 twice, then 200
        "/api": Page(json={"pages": 3}),               # application/json
    }
    async with local_site(pages) as site: ...

Without ``pages`` it serves :func:`demo_pages`, the lessons' standard site.  Pages can
be added or changed while the site runs (``site.pages["/new"] = Page("new")``).

**From another thread.**  A checker runs a learner's answer on an event loop of its
own, and an answer may block that loop (``urllib``, ``time.sleep``).  A server on the
same loop would then never answer, and the answer would hang in a call that cannot be
interrupted.  :class:`in_thread` runs any server here on a thread with its own loop::

    with in_thread(local_site, pages) as site:
        ...  # site.url works from any thread; site.traffic counts as usual
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

HOST = "127.0.0.1"
"""The only address the course's servers listen on: this machine, never the network."""

SHUTDOWN_GRACE = 0.2
"""Seconds a request still being answered gets to finish when its server stops."""


# --- Counting traffic ---------------------------------------------------------------------


class Traffic:
    """What a server saw, counted on the server side.

    Safe to read from any thread.  ``in_flight`` and ``connections_open`` are "now";
    ``peak`` and ``peak_connections`` are the most there ever were at once;
    ``total`` and ``connections_total`` count everything since the start (or the
    last :meth:`reset`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        """Requests (HTTP requests, or lines for a TCP server) being answered now."""
        self.peak = 0
        """The most requests in flight at the same time."""
        self.total = 0
        """Requests received in all."""
        self.by_path: Counter[str] = Counter()
        """Requests received per path (HTTP) or per command (line server)."""
        self.in_flight_by_path: Counter[str] = Counter()
        """Requests being answered now, per path: ``{"/hang": 1}``."""
        self.clients: Counter[str] = Counter()
        """Requests per client program, from the User-Agent header: ``{"aiohttp": 3}``."""
        self.connections_open = 0
        """Connections open now."""
        self.connections_total = 0
        """Connections accepted in all."""
        self.peak_connections = 0
        """The most connections open at the same time."""

    def reset(self) -> None:
        """Forget the counts so far (connections open now stay counted as open)."""
        with self._lock:
            self.peak = self.in_flight
            self.total = 0
            self.by_path.clear()
            self.clients.clear()
            self.connections_total = 0
            self.peak_connections = self.connections_open

    def request_started(self, path: str, client: str = "") -> None:
        with self._lock:
            self.in_flight += 1
            self.total += 1
            self.peak = max(self.peak, self.in_flight)
            self.by_path[path] += 1
            self.in_flight_by_path[path] += 1
            if client:
                self.clients[client] += 1

    def request_ended(self, path: str) -> None:
        with self._lock:
            self.in_flight -= 1
            self.in_flight_by_path[path] -= 1
            if self.in_flight_by_path[path] <= 0:
                del self.in_flight_by_path[path]

    def connection_opened(self) -> None:
        with self._lock:
            self.connections_open += 1
            self.connections_total += 1
            self.peak_connections = max(self.peak_connections, self.connections_open)

    def connection_closed(self) -> None:
        with self._lock:
            self.connections_open -= 1

    @property
    def quiet(self) -> bool:
        """No request in flight and no connection open."""
        return self.in_flight == 0 and self.connections_open == 0

    async def settle(self, timeout: float = 0.5) -> bool:
        """Wait (on this loop) until :attr:`quiet`, at most ``timeout`` s; return whether it is.

        A client that closed its connection is noticed by the server a moment later,
        on its next turn of the loop: ask this before judging "left open".
        """
        deadline = time.monotonic() + timeout
        while not self.quiet and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.quiet

    def wait_settled(self, timeout: float = 0.5) -> bool:
        """:meth:`settle` for a thread other than the server's (it blocks this thread)."""
        deadline = time.monotonic() + timeout
        while not self.quiet and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.quiet

    def summary(self) -> str:
        """One line: ``12 requests, at most 3 at once; 1 connection open``."""
        return (
            f"{self.total} requests, at most {self.peak} at once; "
            f"{self.connections_total} connections, {self.connections_open} open now"
        )

    def __repr__(self) -> str:
        return f"<Traffic {self.summary()}>"


def client_program(user_agent: str) -> str:
    """The client program named by a User-Agent header: ``"aiohttp"``, ``"urllib"``...

    >>> client_program("Python/3.13 aiohttp/3.11.0")
    'aiohttp'
    >>> client_program("Python-urllib/3.13")
    'urllib'
    >>> client_program("python-requests/2.32.3")
    'requests'
    """
    text = user_agent.lower()
    for name in ("aiohttp", "urllib", "requests", "httpx", "curl"):
        if name in text:
            return name
    return user_agent.split("/")[0] or "unknown"


# --- HTTP: pages and the site ---------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One path of a :func:`local_site`: what it answers, and how.

    The fields combine: ``Page("slow", delay=1.0)`` answers after a second,
    ``Page(status=500, delay=0.2)`` fails after 0.2 s.
    """

    body: str = ""
    """The text of the page (for a status other than 200, a short default is used)."""
    links: tuple[str, ...] = ()
    """Paths the page links to, written after the body as ``<a href="/x">/x</a>`` lines."""
    delay: float = 0.0
    """Seconds to wait before answering, as a slow server or network would."""
    status: int = 200
    """The HTTP status of the answer."""
    redirect: str | None = None
    """Answer ``302 Found`` with this location instead (aiohttp's client follows it)."""
    hang: bool = False
    """Never answer: the request stays in flight until the client gives up."""
    json: Any = None
    """If set, answer this value as JSON (``application/json``) instead of the body."""
    fail_first: int = 0
    """Answer ``fail_status`` to the first this-many requests, then answer normally."""
    fail_status: int = 503
    """The status of those first failures (503: Service Unavailable, try again)."""
    retry_after: int | None = None
    """If set, those failures carry ``Retry-After: <seconds>``: when to ask again."""

    def text(self) -> str:
        """The body as served, links included."""
        lines = [self.body] + [f'<a href="{link}">{link}</a>' for link in self.links]
        return "\n".join(lines) if self.links else self.body


def demo_pages(count: int = 20, delay: float = 0.3) -> dict[str, Page]:
    """The lessons' standard site: ``count`` pages of ``delay`` seconds, and the awkward ones.

    ============== ==================================================================
    ``/``          an index linking to every page
    ``/page/N``    ``page N`` after ``delay`` s, for N from 1 to ``count``
    ``/slow``      ``slow`` after 1.0 s
    ``/error``     status 500 after 0.1 s
    ``/hang``      never answers
    ``/redirect``  302 to ``/page/1``
    ``/flaky``     503 for the first two requests, then ``flaky``
    ``/api/pages`` JSON: ``{"count": count, "pages": ["/page/1", ...]}``
    ``/api/page/N`` JSON: ``{"id": N, "title": "page N"}``, after ``delay`` s
    ============== ==================================================================
    """
    paths = [f"/page/{n}" for n in range(1, count + 1)]
    pages = {"/": Page("index", links=tuple(paths))}
    pages.update({path: Page(f"page {n}", delay=delay) for n, path in enumerate(paths, 1)})
    pages.update(
        {
            "/slow": Page("slow", delay=1.0),
            "/error": Page(status=500, delay=0.1),
            "/hang": Page(hang=True),
            "/redirect": Page(redirect="/page/1"),
            "/flaky": Page("flaky", fail_first=2),
            "/api/pages": Page(json={"count": count, "pages": paths}),
        }
    )
    pages.update(
        {
            f"/api/page/{n}": Page(json={"id": n, "title": f"page {n}"}, delay=delay)
            for n in range(1, count + 1)
        }
    )
    return pages


class Site:
    """A running :func:`local_site`: where it is, what it serves, what it saw."""

    def __init__(self, pages: dict[str, Page], traffic: Traffic) -> None:
        self.host = HOST
        self.port = 0
        self.pages = pages
        """Path to :class:`Page`; change it freely while the site runs."""
        self.traffic = traffic
        """What the site saw: see :class:`Traffic`."""
        self.served: Counter[str] = Counter()
        """Requests answered per path (failures included), for tests and checkers."""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the site's address, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        """The full URL of ``path``: ``site.url_for("/page/1")``."""
        return self.url + (path if path.startswith("/") else "/" + path)

    def __repr__(self) -> str:
        return f"<Site {self.url}: {len(self.pages)} pages; {self.traffic.summary()}>"


@contextlib.asynccontextmanager
async def local_site(
    pages: Mapping[str, Page] | None = None, *, traffic: Traffic | None = None
) -> AsyncIterator[Site]:
    """Serve ``pages`` over HTTP on 127.0.0.1 for the duration of the ``async with`` block.

    ``pages`` maps paths to :class:`Page` (default: :func:`demo_pages`); other paths
    answer 404.  The block gets a :class:`Site`: ``site.url_for("/page/1")`` is a page's
    address, ``site.traffic`` what the server saw.  Pass ``traffic`` to count into an
    existing :class:`Traffic`.
    """
    site = Site(dict(demo_pages() if pages is None else pages), traffic or Traffic())
    waiting: set[asyncio.Task[Any]] = set()  # handlers of requests that never answer
    answering: _Answering = {}
    app = web.Application(middlewares=[_counting(site, answering)])
    app.router.add_route("*", "/{path:.*}", _handler(site, waiting))
    app.on_response_prepare.append(_server_timing(site))
    # handler_cancellation: when a client gives up on a request, its handler stops too.
    runner = web.AppRunner(
        app, access_log=None, handler_cancellation=True, shutdown_timeout=SHUTDOWN_GRACE
    )
    await runner.setup()
    _count_connections(runner, site.traffic, answering)
    try:
        tcp = web.TCPSite(runner, HOST, 0)
        await tcp.start()
        site.port = runner.addresses[0][1]
        yield site
    finally:
        for task in waiting:  # stop waiting for an answer that never comes
            task.cancel()
        await _finish(runner.cleanup())


_Answering = dict[Any, dict[object, str]]
"""Per connection (aiohttp's request handler), the requests being answered on it."""


def _counting(site: Site, answering: _Answering) -> Any:
    """Count each request from its arrival until it is answered or its client has gone.

    A request whose client hung up (a client-side timeout) ends when the connection is
    lost (:func:`_count_connections`), not when its cancelled handler gets round to
    finishing: that can come after the client's next request has arrived, and a client
    that sent one request at a time would seem to have had two in flight.
    """

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        client = client_program(request.headers.get("User-Agent", ""))
        site.traffic.request_started(request.path, client)
        on_this_connection = answering.setdefault(request.protocol, {})
        token = object()
        on_this_connection[token] = request.path
        try:
            return await handler(request)
        finally:
            if on_this_connection.pop(token, None) is not None:
                site.traffic.request_ended(request.path)
            if not on_this_connection and answering.get(request.protocol) is on_this_connection:
                del answering[request.protocol]

    return count


def _handler(site: Site, waiting: set[asyncio.Task[Any]]) -> Any:
    async def answer(request: web.Request) -> web.StreamResponse:
        path = request.path
        page = site.pages.get(path)
        if page is None:
            return web.Response(status=404, text=f"no page at {path}")
        if page.hang:
            task = asyncio.current_task()
            assert task is not None
            waiting.add(task)
            try:
                await asyncio.get_running_loop().create_future()  # never set
            finally:
                waiting.discard(task)
        if page.delay:
            await asyncio.sleep(page.delay)
        site.served[path] += 1
        if site.served[path] <= page.fail_first:
            headers = {} if page.retry_after is None else {"Retry-After": str(page.retry_after)}
            return web.Response(
                status=page.fail_status, text=f"{page.fail_status}: try again", headers=headers
            )
        if page.redirect is not None:
            raise web.HTTPFound(page.redirect)
        if page.json is not None:
            return web.json_response(page.json, status=page.status, dumps=jsonlib.dumps)
        text = page.text() or (f"{page.status}" if page.status != 200 else "")
        content_type = "text/html" if page.links else "text/plain"
        return web.Response(status=page.status, text=text, content_type=content_type)

    return answer


def _server_timing(site: Site) -> Any:
    """Add ``Server-Timing`` to every answer of a page with a delay: how long it is set to wait.

    The standard header in which a server says where its time went (browsers' developer
    tools show it).  The crawl's chart draws a request this long, however late a busy
    machine read the answer.  Sent on every answer, redirects and errors included.
    """

    async def add(request: web.Request, response: web.StreamResponse) -> None:
        page = site.pages.get(request.path)
        if page is not None and page.delay:
            response.headers["Server-Timing"] = f"delay;dur={page.delay * 1000:.0f}"

    return add


def _count_connections(runner: web.AppRunner, traffic: Traffic, answering: _Answering) -> None:
    """Count the connections aiohttp's server opens and closes.

    aiohttp's low-level ``Server`` is told of each connection by its request handler
    (``connection_made`` / ``connection_lost``); wrapping those two methods on this one
    server object counts them without changing what they do.  A lost connection also
    ends the requests still being answered on it (``answering``, from :func:`_counting`).
    """
    server = runner.server
    assert server is not None
    made, lost = server.connection_made, server.connection_lost

    def connection_made(handler: Any, transport: Any) -> None:
        traffic.connection_opened()
        made(handler, transport)

    def connection_lost(handler: Any, exc: BaseException | None = None) -> None:
        abandoned = answering.pop(handler, {})
        for path in abandoned.values():
            traffic.request_ended(path)
        abandoned.clear()  # so that the handler, when it finishes, does not end them again
        traffic.connection_closed()
        lost(handler, exc)

    server.connection_made = connection_made  # type: ignore[method-assign]
    server.connection_lost = connection_lost  # type: ignore[method-assign]


async def _finish(cleanup: Awaitable[None]) -> None:
    """Run a server's clean-up to the end, even if the block was cancelled (twice).

    A cell interrupted during clean-up must not leave a half-stopped server: the
    clean-up goes on as a task of its own, and a second cancellation only stops the
    waiting for it.
    """
    task = asyncio.ensure_future(cleanup)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_GRACE * 5)
        raise


# --- TCP: echo and line servers ---------------------------------------------------------------

LineHandler = Callable[[str], Awaitable[str | None]]
"""Answers one line (without its newline): the reply line, or ``None`` to hang up."""


class TCPServer:
    """A running :func:`line_server` or :func:`echo_server`: its address and traffic."""

    def __init__(self, traffic: Traffic) -> None:
        self.host = HOST
        self.port = 0
        self.traffic = traffic
        """What the server saw; a request is one line received."""
        self.received: list[str] = []
        """Every line received, in order, without newlines."""

    @property
    def address(self) -> tuple[str, int]:
        """``("127.0.0.1", port)``, as ``asyncio.open_connection(*server.address)`` takes it."""
        return (self.host, self.port)

    def __repr__(self) -> str:
        return f"<TCPServer {self.host}:{self.port}; {self.traffic.summary()}>"


async def commands(line: str) -> str | None:
    """The line server's default protocol: one command per line, one reply line each.

    ============================ ==============================================
    ``PING``                     ``PONG``
    ``ECHO some text``           ``some text``
    ``UPPER some text``          ``SOME TEXT``
    ``ADD 2 3``                  ``5`` (any number of integers)
    ``SLOW 0.3 some text``       ``some text``, after 0.3 s
    ``QUIT``                     ``BYE``, then the server closes the connection
    anything else                ``ERROR unknown command: ...``
    ============================ ==============================================
    """
    name, _, rest = line.strip().partition(" ")
    name = name.upper()
    if name == "PING":
        return "PONG"
    if name == "ECHO":
        return rest
    if name == "UPPER":
        return rest.upper()
    if name == "ADD":
        try:
            return str(sum(int(word) for word in rest.split()))
        except ValueError:
            return "ERROR ADD takes whole numbers"
    if name == "SLOW":
        seconds, _, text = rest.partition(" ")
        try:
            await asyncio.sleep(min(float(seconds), 10.0))
        except ValueError:
            return "ERROR SLOW takes seconds, then text"
        return text
    if name == "QUIT":
        return None
    return f"ERROR unknown command: {line.strip()}"


@contextlib.asynccontextmanager
async def line_server(
    handle: LineHandler = commands, *, traffic: Traffic | None = None
) -> AsyncIterator[TCPServer]:
    """Serve a line protocol over TCP on 127.0.0.1 for the duration of the block.

    Each line a client sends is passed to ``handle`` (default: :func:`commands`), and
    its reply is sent back as one line; a reply of ``None`` says ``BYE`` and closes the
    connection.  A client may send several lines without waiting: they are answered in
    order.
    """

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            if not line.endswith(b"\n"):
                break  # the client closed the connection mid-line
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            server.received.append(text)
            command = text.split(" ", 1)[0].upper()
            server.traffic.request_started(command)
            try:
                reply = await handle(text)
            finally:
                server.traffic.request_ended(command)
            writer.write(("BYE" if reply is None else reply).encode() + b"\n")
            await writer.drain()
            if reply is None:
                break

    server = TCPServer(traffic or Traffic())
    async with _stream_server(serve, server):
        yield server


@contextlib.asynccontextmanager
async def echo_server(
    delay: float = 0.0, *, traffic: Traffic | None = None
) -> AsyncIterator[TCPServer]:
    """Echo every line back (after ``delay`` seconds), on 127.0.0.1, for the block.

    A request is one line; ``delay`` stands for the work or the distance a real server
    adds, so that many clients waiting at once can be told from one after another.
    """

    async def echo(line: str) -> str:
        if delay:
            await asyncio.sleep(delay)
        return line

    async with line_server(echo, traffic=traffic) as server:
        yield server


@contextlib.asynccontextmanager
async def _stream_server(
    serve: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    server: TCPServer,
) -> AsyncIterator[None]:
    """Run ``serve`` for each connection; close everything when the block ends."""
    writers: set[asyncio.StreamWriter] = set()
    handlers: set[asyncio.Task[Any]] = set()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        writers.add(writer)
        server.traffic.connection_opened()
        try:
            await serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to answer
        except asyncio.CancelledError:
            # The server is stopping.  End normally: on Python 3.11 asyncio's own
            # done-callback for this task calls task.exception(), which would raise.
            pass
        finally:
            writers.discard(writer)
            handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            server.traffic.connection_closed()

    listener = await asyncio.start_server(connection, HOST, 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield
    finally:
        await _finish(_close_stream_server(listener, writers, handlers))


async def _close_stream_server(
    listener: asyncio.Server,
    writers: set[asyncio.StreamWriter],
    handlers: set[asyncio.Task[Any]],
) -> None:
    listener.close()  # no new connections
    for writer in list(writers):  # every Python: Server.close_clients() is new in 3.13
        writer.transport.abort()
    for task in list(handlers):
        task.cancel()
    if handlers:
        await asyncio.wait(list(handlers), timeout=SHUTDOWN_GRACE)
    await asyncio.wait_for(listener.wait_closed(), SHUTDOWN_GRACE * 5)


# --- Any of them on a thread of its own ---------------------------------------------------

S = TypeVar("S")


class in_thread(Generic[S]):  # noqa: N801 - used like a function: ``with in_thread(...)``
    """Run one of this module's servers on a thread with its own event loop.

    ``with in_thread(local_site, pages) as site:`` starts ``local_site(pages)`` on a
    new thread and gives the block the same :class:`Site` an ``async with`` would.
    The server keeps answering whatever the calling thread's loop does, even while it
    is blocked.  When the block ends the server is stopped and the thread joined.
    """

    def __init__(self, server: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._open = lambda: server(*args, **kwargs)
        self._ready = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="course-server", daemon=True)

    def __enter__(self) -> S:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self._value  # type: ignore[no-any-return]

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the thread that waits for it
            if not self._ready.is_set():
                self._error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self._open() as value:
            self._value = value
            self._ready.set()
            await self._stop.wait()


__all__ = [
    "HOST",
    "LineHandler",
    "Page",
    "Site",
    "TCPServer",
    "Traffic",
    "client_program",
    "commands",
    "demo_pages",
    "echo_server",
    "in_thread",
    "line_server",
    "local_site",
]
