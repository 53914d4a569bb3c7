"""Lesson 05, exercise 6: one thread serves many connections (why sockets need no threads).

The learner writes ``serve(ready)``: a server on 127.0.0.1, on a port the system picks,
that answers every line with the line in capitals, 0.2 s after it came, and serves until
it is cancelled.  The check calls ``ready(port)`` the learner's way in, then sends twenty
clients at it (:class:`_Clients`), from a thread of the check's own, with an event loop
of its own, so that nothing the answer does to its loop can stop them:

1. all twenty connect, and each sends a line and waits for its answer;
2. none sends anything more until all twenty have had their answer (a barrier).  A
   server that serves one connection at a time answers the first client, then waits for
   that client's next line, which will not come until the others are answered: it never
   answers a second one.  The barrier opens when all twenty have answered, or when no
   answer has come for a while (:data:`QUIET`), and at the latest after
   :data:`FIRST_ROUND_MOST`; how many clients had their answer by then is the evidence;
3. each client that had its answer sends a second line, reads its answer, half-closes
   its side (``write_eof``) and waits for the server to close the connection.

Then the check cancels ``serve``, which must end cancelled and stop listening.

What is judged is what happened, not a clock:

* how many clients had their answer while all twenty waited (twenty, or one at a time);
* which threads the answer started, for the duration of the check: the loop's default
  executor is replaced by one that counts what it is given (``asyncio.to_thread``,
  ``run_in_executor``; the loop's own name look-ups are not counted), and
  ``threading.Thread.start`` notes the threads started from the answer's thread or
  from threads it started (:class:`_ThreadWatch`);
* the waits the answer asked its loop for (``asyncio.sleep(0.2)`` per line), and the
  loop held by ``time.sleep`` or a blocking socket call (the runner's watchdog);
* every ``bind`` the answer makes: anything but a loopback address, or a fixed port, is
  refused at once (the bind raises), so no check ever listens beyond this machine;
* what the answer did with each server-side stream (``write``, ``drain``, ``close``,
  ``wait_closed``, ``read``), noted as in exercise 1 (:class:`_ServerStreams`);
* the exceptions of the tasks the answer's code ran on the loop (its connection handlers).

A blocking ``accept()`` cannot hold the check: once the clients are done, a thread of the
check's keeps connecting to the answer's port until the answer has ended, so that the
call returns and the runner can stop it; at the end every socket the answer bound is
shut down and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import socket
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    expect_coroutine_function,
    raised,
    took,
)
from asyncio_tutorial.checkers.lesson05.clients import forget
from asyncio_tutorial.checkers.lesson05.line_client import _Connection, _WatchedStreams
from asyncio_tutorial.checkers.runner import Outcome, answers_code, run_coroutine
from asyncio_tutorial.checkers.scenario import names_used
from asyncio_tutorial.servers import HOST

CLIENTS = 20
PAUSE = 0.2  # seconds the service takes to answer a line
FIRST_LINES = [f"hello from client {n}\n" for n in range(1, CLIENTS + 1)]
SECOND_LINES = [f"client {n} is done\n" for n in range(1, CLIENTS + 1)]
READY_WAIT = 1.5  # seconds the clients wait for ready(port)
FIRST_ROUND_LEAST = 1.5  # the barrier stays closed at least this long, unless all answered
QUIET = 0.8  # ...and opens when no answer has come for this long after that
FIRST_ROUND_MOST = 2.5  # ...and at the latest after this long
SECOND_WAIT = 1.0  # seconds a client waits for its second answer
EOF_WAIT = 1.0  # seconds a client waits for the server to close, after its own end
STOP_WAIT = 0.5  # seconds serve gets to end once cancelled
KICK_AFTER = 0.3  # seconds after the clients, with the answer still running: kick accept()
TIME_LIMIT = 4.0
"""The clients may wait 1.5 s for their first answers, 1 s for the second ones and 1 s for
the server's end before serve is cancelled: a wrong answer needs that long to show what
it does.  A right one is done in half a second."""

EXECUTOR_PREFIX = "course-loop-executor"
"""The name of the threads of the executor the check gives the answer's loop: its
workers are the loop's, not threads the answer started (what it hands them is counted)."""
RESOLVERS = {socket.getaddrinfo, socket.getnameinfo}
"""What the loop itself hands its executor (looking up a host name): not the answer's."""


# --- The clients ----------------------------------------------------------------------


@dataclass
class _Client:
    """What one client saw."""

    number: int
    connected: bool = False
    refused: bool = False
    """Every attempt to connect was refused: nobody listened on that port."""
    first: bytes | None = None
    """Its first answer, newline included (None: none came before the barrier opened)."""
    first_after: float = 0.0
    """Seconds from sending the first line to its answer."""
    second: bytes | None = None
    closed_early: bool = False
    """The server closed the connection while the client waited for an answer."""
    partial: bytes = b""
    """What came without a newline while the client waited for an answer."""
    eof: bool = False
    """It saw the server close the connection after its own end (half-close)."""
    extra: bytes = b""
    """What came after the second answer, before the end."""


class _Clients:
    """Twenty clients on a thread of the check's, with an event loop of its own."""

    def __init__(self) -> None:
        self.clients = [_Client(n) for n in range(1, CLIENTS + 1)]
        self.port: int | None = None
        self.port_given = threading.Event()
        self.finished = threading.Event()
        self.answered_at_release = 0
        """How many clients had their first answer when the barrier opened."""
        self.first_round = 0.0
        """Seconds from the first line sent to the last first answer (all answered)."""
        self._answered = 0
        self._stuck = 0  # clients that cannot get a first answer (refused, closed)
        self._last_progress = 0.0
        self._thread = threading.Thread(target=self._run, name="course-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def go(self, port: int | None) -> None:
        """Start the clients on ``port`` (from any thread); ``None``: there is none."""
        if not self.port_given.is_set():
            self.port = port
            self.port_given.set()

    def join(self) -> None:
        self.go(None)
        self._thread.join(timeout=FIRST_ROUND_MOST + SECOND_WAIT + EOF_WAIT + 2)

    @property
    def answered(self) -> int:
        return sum(client.first is not None for client in self.clients)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()
            self.finished.set()

    async def _main(self) -> None:
        deadline = time.monotonic() + READY_WAIT
        while not self.port_given.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self.port is None:
            return
        release = asyncio.Event()
        started = time.monotonic()
        self._last_progress = started
        tasks = [
            asyncio.ensure_future(self._client(client, self.port, release))
            for client in self.clients
        ]
        while not release.is_set():
            now = time.monotonic()
            if (
                self._answered + self._stuck >= CLIENTS
                or now - started >= FIRST_ROUND_MOST
                or (now - started >= FIRST_ROUND_LEAST and now - self._last_progress >= QUIET)
            ):
                self.answered_at_release = self._answered
                release.set()
            else:
                await asyncio.sleep(0.01)
        await asyncio.wait(tasks, timeout=SECOND_WAIT + EOF_WAIT + 0.5)
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=0.5)

    async def _client(
        self,
        client: _Client,
        port: int,
        release: asyncio.Event,
    ) -> None:
        index = client.number - 1
        connection = await self._connect(port, release)
        if connection is None:
            client.refused = True
            return
        reader, writer = connection
        client.connected = True
        buffer = bytearray()
        try:
            writer.write(FIRST_LINES[index].encode())
            await writer.drain()
            sent = time.monotonic()
            reading = asyncio.ensure_future(self._line(reader, buffer, client))
            waiting = asyncio.ensure_future(release.wait())
            await asyncio.wait([reading, waiting], return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if reading.done() and reading.result() is not None:
                client.first = reading.result()
                client.first_after = time.monotonic() - sent
                self._answered += 1
                self._last_progress = time.monotonic()
                if self._answered == CLIENTS:
                    self.first_round = max(c.first_after for c in self.clients)
            else:
                if reading.done():  # the server closed the connection instead
                    self._stuck += 1
                reading.cancel()
                client.partial = bytes(buffer)
            await release.wait()
            if client.first is None:
                return
            writer.write(SECOND_LINES[index].encode())
            await writer.drain()
            try:
                async with asyncio.timeout(SECOND_WAIT):
                    client.second = await self._line(reader, buffer, client)
            except TimeoutError:
                client.partial = bytes(buffer)
            if client.second is None:
                return
            writer.write_eof()
            try:
                async with asyncio.timeout(EOF_WAIT):
                    client.extra = bytes(buffer) + await reader.read()
                    client.eof = True
            except TimeoutError:
                pass
        except (OSError, asyncio.IncompleteReadError):
            client.closed_early = client.first is None or client.second is None
        finally:
            writer.transport.abort()

    async def _connect(
        self, port: int, release: asyncio.Event
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Connect, trying again while refused (the answer may listen a moment after
        calling ready), until the barrier opens."""
        while not release.is_set():
            try:
                return await asyncio.open_connection(HOST, port)
            except OSError:
                await asyncio.sleep(0.02)
        return None

    async def _line(
        self, reader: asyncio.StreamReader, buffer: bytearray, client: _Client
    ) -> bytes | None:
        """The next line from ``reader`` (None: the connection ended first)."""
        while b"\n" not in buffer:
            data = await reader.read(1024)
            if not data:
                client.closed_early = True
                return None
            buffer += data
        end = buffer.index(b"\n") + 1
        line = bytes(buffer[:end])
        del buffer[:end]
        return line


def _kick(ports: list[int]) -> None:
    """Connect to each port and hang up at once: a blocking ``accept()`` returns."""
    for port in ports:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.1):
            pass


# --- What the answer did on its own side ------------------------------------------------


class _ThreadWatch:
    """The threads the answer starts, while the ``with`` block runs.

    ``threading.Thread.start`` is wrapped: a thread started from the answer's thread (set
    by :meth:`root`) or from a thread started so, is noted, unless it is a worker of the
    check's executor (what that is given is counted by :class:`_CountingExecutor`).
    """

    def __init__(self) -> None:
        self.family: set[int] = set()
        self.started: list[str] = []
        self._original = threading.Thread.start
        self._lock = threading.Lock()

    def root(self, ident: int) -> None:
        with self._lock:
            self.family.add(ident)

    def __enter__(self) -> _ThreadWatch:
        original, watch = self._original, self

        def start(thread: threading.Thread) -> None:
            starter = threading.get_ident()
            original(thread)
            with watch._lock:
                if starter in watch.family and thread.ident is not None:
                    watch.family.add(thread.ident)
                    if not thread.name.startswith(EXECUTOR_PREFIX):
                        watch.started.append(thread.name)

        threading.Thread.start = start  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        threading.Thread.start = self._original  # type: ignore[method-assign]


class _CountingExecutor(ThreadPoolExecutor):
    """The answer's loop's default executor: counts the calls it is handed, other than
    the loop's own name look-ups."""

    def __init__(self) -> None:
        super().__init__(thread_name_prefix=EXECUTOR_PREFIX)
        self.calls = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if fn not in RESOLVERS:
            self.calls += 1
        return super().submit(fn, *args, **kwargs)


class _Binds:
    """Every ``bind`` made from the answer's threads, while the ``with`` block runs.

    A bind to an address that is not this machine's (``0.0.0.0``, all of them) or to a
    fixed port is refused: it raises, so no check listens where it should not.
    """

    def __init__(self, threads: _ThreadWatch) -> None:
        self.threads = threads
        self.sockets: list[socket.socket] = []
        self.refused: list[tuple[str, str, int]] = []
        """(why, host, port) of each bind refused: ``"not_loopback"`` or ``"fixed_port"``."""
        self._original = socket.socket.bind

    def __enter__(self) -> _Binds:
        original, binds = self._original, self

        def bind(sock: socket.socket, address: Any) -> None:
            if threading.get_ident() not in binds.threads.family or not isinstance(address, tuple):
                return original(sock, address)
            host, port = str(address[0]), int(address[1])
            why = None
            if not _loopback(host):
                why = "not_loopback"
            elif port != 0:
                why = "fixed_port"
            if why is not None:
                binds.refused.append((why, host, port))
                raise PermissionError(
                    13, f"the check lets a server listen on 127.0.0.1, port 0 only ({why})"
                )
            binds.sockets.append(sock)
            return original(sock, address)

        socket.socket.bind = bind  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        socket.socket.bind = self._original  # type: ignore[method-assign]

    def ports(self) -> list[int]:
        """The ports the answer's sockets are bound to, while they are open."""
        found = []
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                if sock.fileno() != -1:
                    found.append(sock.getsockname()[1])
        return found

    def listening(self, port: int) -> bool:
        """Whether a socket of the answer's is still open on ``port``."""
        return port in self.ports()

    def close_all(self) -> None:
        """Shut down and close every socket the answer bound (which wakes a thread
        blocked in its ``accept()``)."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class _ServerStreams(_WatchedStreams):
    """:class:`_WatchedStreams` for the server's side: the streams whose local port is
    the answer's (set once ``ready`` gives it), not the clients'."""

    def __init__(self) -> None:
        super().__init__(0)

    def connection(self, transport: Any) -> _Connection | None:
        name = transport.get_extra_info("sockname") if transport is not None else None
        if not (self.port and isinstance(name, tuple) and len(name) >= 2):
            return None
        if name[1] != self.port:
            return None
        found = self.connections.get(id(transport))
        if found is None:
            found = self.connections[id(transport)] = _Connection(weakref.ref(transport))
        return found


@dataclass
class _Run:
    """Everything one check saw."""

    threads: _ThreadWatch = field(default_factory=_ThreadWatch)
    executor: _CountingExecutor = field(default_factory=_CountingExecutor)
    clients: _Clients = field(default_factory=_Clients)
    ready_calls: int = 0
    ready_value: Any = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    """The tasks the answer's code ran on its loop, other than serve itself."""
    handler_errors: list[BaseException] = field(default_factory=list)
    slept: bool = False
    """The answer called ``time.sleep`` on its loop's thread."""
    cancelled: bool = False
    """The check cancelled serve (it had not ended by itself)."""
    ended: bool = False
    ended_cancelled: bool = False
    error: BaseException | None = None
    still_listening: bool = False
    """A socket of the answer's was still open on its port once serve had ended."""
    answer_ended: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome = field(default_factory=Outcome)

    def ready(self, port: Any) -> None:
        """The ``ready`` the answer is given."""
        self.ready_calls += 1
        if self.ready_calls > 1:
            return
        self.ready_value = port
        valid = isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
        self.clients.go(port if valid else None)


async def _scenario(serve: Any, run: _Run, binds: _Binds, streams: _ServerStreams) -> None:
    loop = asyncio.get_running_loop()
    run.threads.root(threading.get_ident())
    loop.set_default_executor(run.executor)

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        code = getattr(coro, "cr_code", None)
        if code is not None and answers_code(code.co_filename):
            run.tasks.append(task)
        return task

    loop.set_task_factory(factory)
    loop_thread, watched_sleep = threading.get_ident(), time.sleep

    def sleep_once(seconds: float) -> None:
        """``time.sleep`` (the runner's, which notes it): on the loop's thread, the first
        call is the verdict, and the later ones return at once, so that twenty handlers
        sleeping in turn do not hold the check for seconds."""
        if threading.get_ident() == loop_thread:
            if run.slept:
                return
            run.slept = True
        watched_sleep(seconds)

    time.sleep = sleep_once

    def ready(port: Any) -> None:
        run.ready(port)
        if run.clients.port is not None:
            streams.port = run.clients.port

    try:
        task = loop.create_task(serve(ready))
        if task in run.tasks:
            run.tasks.remove(task)
        while not run.clients.finished.is_set():
            if task.done():
                run.clients.go(None)  # serve ended before calling ready: no clients
            await asyncio.sleep(0.01)
        if not task.done():
            run.cancelled = True
            task.cancel()
            await asyncio.wait([task], timeout=STOP_WAIT)
        run.ended = task.done()
        if task.done():
            run.ended_cancelled = task.cancelled()
            if not task.cancelled():
                run.error = task.exception()
            port = run.clients.port
            run.still_listening = port is not None and binds.listening(port)
        await asyncio.sleep(0)  # handlers that were just closing end now
        for handler in run.tasks:
            if handler.done() and not handler.cancelled() and handler.exception() is not None:
                run.handler_errors.append(handler.exception())  # type: ignore[arg-type]
        # What the errors keep (a coroutine never awaited, in a frame's variables) goes
        # now, its warning noted in this check, not printed in the learner's next cell.
        for error in [run.error, *run.handler_errors]:
            forget(error)
    finally:
        run.answer_ended.set()
        loop.set_task_factory(None)
        if time.sleep is sleep_once:
            time.sleep = watched_sleep


def check_serve(serve: Any) -> Result:
    """``serve(ready)``: twenty clients served at once, on one thread, each line in
    capitals after 0.2 s, each connection closed at its end; cancelled, it stops."""
    expect_coroutine_function(serve)
    run = _Run()
    run.clients.start()
    with (
        run.threads as threads,
        _Binds(threads) as binds,
        _ServerStreams() as streams,
    ):
        kicker = threading.Thread(
            target=_keep_kicking, args=(run, binds), name="course-server", daemon=True
        )
        kicker.start()
        try:
            run.outcome = run_coroutine(lambda: _scenario(serve, run, binds, streams))
        finally:
            run.answer_ended.set()
            kicker.join(timeout=1.0)
            _kick(binds.ports())
            binds.close_all()
            run.clients.join()
            run.executor.shutdown(wait=False, cancel_futures=True)
        connections = list(streams.connections.values())
    _judge(serve, run, binds, connections)
    return correct(
        f"serve(ready) served the {CLIENTS} clients at once, on one thread: all {CLIENTS} "
        f"had their first answer {took(run.clients.first_round)} after asking, while "
        f"every one of them was still connected and waiting, then their second, then the "
        f"end of the connection. Its {2 * CLIENTS} answers, in capitals, each came after "
        f"asyncio.sleep({PAUSE:g}), and it started no thread. Cancelled, it stopped "
        "listening."
    )


def _keep_kicking(run: _Run, binds: _Binds) -> None:
    """Once the clients are done, if the answer has not ended a moment later, connect to
    its ports again and again until it has: an ``accept()`` blocking its loop returns."""
    while not run.clients.finished.wait(0.05):
        if run.answer_ended.is_set():
            return
    if run.answer_ended.wait(KICK_AFTER):
        return
    while not run.answer_ended.wait(0.05):
        _kick(binds.ports())


# --- The verdict ------------------------------------------------------------------------------

CALL = "serve(ready)"


def _judge(serve: Any, run: _Run, binds: _Binds, connections: list[_Connection]) -> None:
    if isinstance(run.error, NotImplementedError):
        raise run.error  # the untouched stub: not attempted
    outcome = run.outcome
    names = _names(serve)
    _judge_binds(binds)
    if outcome.sleeps:
        raise blocking(outcome, CALL)
    _judge_threads(run, names)
    _judge_blocked(outcome, names)
    _judge_forgotten_awaits(run)
    _judge_ready(run)
    _judge_first_round(run, names, connections)
    _judge_answers(run)
    _judge_pauses(run)
    _judge_second_round(run)
    _judge_closing(run, connections)
    _judge_ending(run)
    if run.handler_errors:
        raise raised(run.handler_errors[0], "a connection handler of serve(ready)")
    common_mistakes(outcome, CALL)


def _names(serve: Any) -> set[str]:
    """The names ``serve`` mentions, and those its own helpers mention (one level)."""
    names = names_used(serve)
    found = getattr(inspect.unwrap(serve), "__globals__", {})
    for name in list(names):
        code = getattr(found.get(name), "__code__", None)
        if code is not None and answers_code(code.co_filename):
            names |= names_used(found[name])
    return names


def _judge_binds(binds: _Binds) -> None:
    for why, host, port in binds.refused:
        if why == "not_loopback":
            shown = host or "every address"
            raise Wrong(
                "not_loopback",
                f"{CALL} asked to listen on {shown!r}, which is every network this machine "
                "is on: anyone who can reach it could connect. The check refused it. Listen "
                "on this machine only: `asyncio.start_server(handle, '127.0.0.1', 0)` (no "
                "host at all, or '0.0.0.0', means every address).",
            )
        raise Wrong(
            "fixed_port",
            f"{CALL} asked for port {port}, and the check refused it: a fixed port may be "
            "taken by another program (or another copy of this one). Ask for port 0, and "
            "the system picks a free one; `server.sockets[0].getsockname()[1]` says "
            "which, and that is what `ready` needs.",
        )


def _judge_threads(run: _Run, names: set[str]) -> None:
    handed, started = run.executor.calls, len(run.threads.started)
    if not handed and not started:
        return
    parts = []
    if handed:
        parts.append(f"handed {_calls(handed)} to threads (asyncio.to_thread or run_in_executor)")
    if started:
        parts.append(f"started {_calls(started, 'thread')} of its own")
    what = " and ".join(parts)
    why = (
        "Sockets need no threads: the event loop waits for all the connections at once, "
        "with its selector (lesson 05, section 1), and a task waiting in `await "
        "reader.readline()` or `await asyncio.sleep(...)` costs no thread at all."
    )
    if "start_server" in names:
        raise Wrong(
            "thread_per_connection",
            f"{CALL} {what} to serve {CLIENTS} clients. {why} In the handler, wait the "
            f"loop's way: `await reader.readline()` for a line, `await "
            f"asyncio.sleep({PAUSE:g})` for the service's pause.",
        )
    raise Wrong(
        "thread_per_connection",
        f"{CALL} {what} to serve {CLIENTS} clients. {why} Let "
        "`asyncio.start_server(handle, '127.0.0.1', 0)` run `handle` as a task for each "
        "connection, all on the loop's one thread.",
        suggests="asyncio.start_server",
    )


def _calls(count: int, what: str = "call") -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


def _judge_blocked(outcome: Outcome, names: set[str]) -> None:
    if not outcome.blocked:
        return
    if {"accept", "recv", "sendall", "recv_into", "makefile"} & names and not (
        {"sock_accept", "sock_recv"} & names
    ):
        raise Wrong(
            "blocking_socket",
            f"{CALL} held the event loop for about {outcome.held_for:.1f} s at a time: a "
            "plain socket's accept() or recv() waits inside the operating system, and the "
            "whole loop waits with it, so no other connection is served meanwhile. Let the "
            "loop do the waiting: `asyncio.start_server(handle, '127.0.0.1', 0)`, and "
            "`await reader.readline()` in `handle`.",
        )
    raise blocking(outcome, CALL)


def _judge_forgotten_awaits(run: _Run) -> None:
    """A coroutine never awaited, in serve or in a handler."""
    for error in [run.error, *run.handler_errors]:
        if error is not None and raised(error, CALL).mistake == "forgot_await":
            where = "serve(ready)" if error is run.error else "a connection handler"
            raise raised(error, where)
    if run.outcome.never_awaited:
        coroutine = run.outcome.never_awaited[0]
        raise Wrong(
            "forgot_await",
            f"{CALL} created the coroutine {coroutine}(...) but never awaited it, so it "
            f"never ran. Put `await` in front of the call to {coroutine}.",
        )


def _judge_ready(run: _Run) -> None:
    value = run.ready_value
    if run.ready_calls == 0:
        if run.error is not None:
            raise raised(run.error, CALL)
        if run.ended and not run.cancelled:
            raise Wrong(
                "returned_early",
                f"{CALL} returned without calling ready(port), so no client could come. "
                "Start the server, call `ready(port)` with its port, then keep serving "
                "until cancelled: `await server.serve_forever()`.",
            )
        raise Wrong(
            "ready_not_called",
            f"{CALL} never called ready(port), so the clients never learnt where to "
            "connect. Once the server listens, call `ready(server.sockets[0]"
            ".getsockname()[1])`.",
        )
    if value == 0 and not isinstance(value, bool):
        raise Wrong(
            "port_zero",
            f"{CALL} called ready(0): port 0 is what you ask for (any free port), not the "
            "port the system picked. That one is `server.sockets[0].getsockname()[1]`.",
        )
    if run.clients.port is None:
        raise Wrong(
            "ready_not_a_port",
            f"{CALL} called ready({value!r}), which is not a port number. Pass the port "
            "alone, an int: `server.sockets[0].getsockname()[1]` (getsockname() gives "
            "the host and the port).",
        )
    if all(client.refused for client in run.clients.clients):
        if run.ended and not run.cancelled and run.error is None:
            raise Wrong(
                "returned_early",
                f"{CALL} called ready({value}) and returned at once, and its server "
                "stopped listening with it: every client was refused. Keep serving until "
                "cancelled: `await server.serve_forever()`, inside `async with server:`.",
                suggests="serve_forever()",
            )
        raise Wrong(
            "not_listening",
            f"{CALL} called ready({value}), but nothing listened on 127.0.0.1 port {value}: "
            "every client was refused. Is it the port your server listens on, and does it "
            "listen on '127.0.0.1' (the name 'localhost' may mean IPv6's ::1 first)? "
            "`server.sockets[0].getsockname()[1]` says which port it is.",
        )


def _judge_first_round(run: _Run, names: set[str], connections: list[_Connection]) -> None:
    """How many clients had their first answer while all twenty waited."""
    clients = run.clients
    answered = clients.answered_at_release
    if answered >= CLIENTS:
        return
    if answered == 0:
        _judge_no_answer(run, connections)
    if answered == 1:
        if "Lock" in names:
            how = (
                "A lock held for a whole connection lets one client in at a time: the "
                "first kept it while it stayed connected. Nothing here needs a lock: each "
                "connection's handler has its own reader and writer."
            )
        elif "start_server" in names:
            how = (
                "Something made each connection wait for the one before to end. Let "
                "`start_server` run the handler for each connection as it comes: it "
                "starts a task for each, and they all run at once."
            )
        else:
            how = (
                "It waited for each connection's handling to end before accepting the "
                "next. `asyncio.start_server(handle, '127.0.0.1', 0)` accepts every "
                "connection as it comes and runs `handle` for it as a task of its own."
            )
        raise Wrong(
            "one_at_a_time",
            f"{CALL} answered 1 of the {CLIENTS} clients while all {CLIENTS} waited: it "
            "served one connection at a time, and the first client, which stayed "
            f"connected, held up the other {CLIENTS - 1} for as long as the check waited. "
            f"{how}",
        )
    raise Wrong(
        "limited",
        f"{CALL} answered only {answered} of the {CLIENTS} clients while all {CLIENTS} "
        f"waited: it served at most {answered} connections at a time, and the rest waited "
        "for a turn that did not come while those stayed connected. A server should serve "
        "every connection at once: a task each, and no semaphore or limit around a whole "
        "connection.",
    )


def _judge_no_answer(run: _Run, connections: list[_Connection]) -> None:
    clients = run.clients.clients
    if any(c.read_to_the_end for c in connections):
        raise Wrong(
            "read_until_eof",
            f"{CALL} answered none of the {CLIENTS} clients: its handler called "
            "reader.read(), which reads until the client closes the connection, and these "
            "clients wait for an answer first. Answer each line as it comes: `while line "
            ":= await reader.readline():`.",
            suggests="readline()",
        )
    partial = next((c.partial for c in clients if c.partial), b"")
    if partial:
        raise Wrong(
            "no_newline",
            f"{CALL} sent the clients {partial!r}, with no newline at the end, so each "
            "waited for the rest of the line. `reader.readline()` keeps the newline: "
            "answer `line.upper()` as it is, newline included.",
        )
    if run.error is not None:
        raise raised(run.error, CALL)
    if run.handler_errors:
        raise raised(run.handler_errors[0], "a connection handler of serve(ready)")
    if any(c.closed_early for c in clients):
        raise Wrong(
            "closed_without_answering",
            f"{CALL} closed the clients' connections without answering their line. Read "
            "lines while they come, `while line := await reader.readline():`, and close "
            "the connection after the loop, when readline() gives b''.",
        )
    raise Wrong(
        "no_answer",
        f"{CALL}: the clients connected and sent their line, but none had an answer. For "
        "each line, `writer.write(line.upper())`, then `await writer.drain()`.",
    )


def _judge_answers(run: _Run) -> None:
    for client in run.clients.clients:
        expected = FIRST_LINES[client.number - 1].upper().encode()
        if client.first is not None and client.first != expected:
            raise Wrong(
                "wrong_answer",
                f"{CALL} answered {FIRST_LINES[client.number - 1].encode()!r} with "
                f"{client.first!r}, not {expected!r}: the line in capitals, "
                "`line.upper()`, newline and all.",
            )


def _judge_pauses(run: _Run) -> None:
    """An ``asyncio.sleep(0.2)`` for each line answered, asked by the answer's code."""
    answered = sum((c.first is not None) + (c.second is not None) for c in run.clients.clients)
    waits = run.outcome.waits
    paused = sum(abs(wait - PAUSE) < 0.005 for wait in waits)
    if paused >= answered:
        return
    others = sorted({round(wait, 3) for wait in waits if abs(wait - PAUSE) >= 0.005})
    if others:
        raise Wrong(
            "wrong_pause",
            f"{CALL} paused {', '.join(f'{w:g} s' for w in others)} before answering, "
            f"where the service takes {PAUSE:g} s a line: `await asyncio.sleep({PAUSE:g})` "
            "before each answer.",
        )
    raise Wrong(
        "no_pause",
        f"{CALL} answered {answered - paused} of its {answered} lines at once, without "
        f"the service's pause. Before each answer, `await asyncio.sleep({PAUSE:g})`: a "
        "pause that lets the other connections be served meanwhile.",
        suggests=f"asyncio.sleep({PAUSE:g})",
    )


def _judge_second_round(run: _Run) -> None:
    for client in run.clients.clients:
        if client.first is None or client.second is not None:
            continue
        if client.closed_early:
            raise Wrong(
                "one_line_per_connection",
                f"{CALL} answered each client's first line, then closed the connection, "
                "so the second line was never answered. A client may send any number of "
                "lines: answer them in a loop, `while line := await reader.readline():`, "
                "until it gives b'' (the client is done).",
            )
        raise Wrong(
            "second_line_unanswered",
            f"{CALL} answered each client's first line, but not its second, sent after "
            "all had their first. Keep reading and answering lines on each connection "
            "until readline() gives b''.",
        )
    expected = [line.upper().encode() for line in SECOND_LINES]
    for client in run.clients.clients:
        if client.second is not None and client.second != expected[client.number - 1]:
            raise Wrong(
                "wrong_answer",
                f"{CALL} answered {SECOND_LINES[client.number - 1].encode()!r} with "
                f"{client.second!r}, not {expected[client.number - 1]!r}.",
            )


def _judge_closing(run: _Run, connections: list[_Connection]) -> None:
    clients = [c for c in run.clients.clients if c.second is not None]
    if connections:
        if any(not c.closed for c in connections):
            waited = any(c.waited_closed and not c.closed for c in connections)
            detail = (
                " It waited in writer.wait_closed() for a close that never started: "
                "wait_closed() only waits; `writer.close()` closes."
                if waited
                else ""
            )
            raise Wrong(
                "connection_left_open",
                f"{CALL} left connections open after their client was done: the clients "
                f"waited for the end that never came.{detail} When readline() gives b'', "
                "`writer.close()`, then `await writer.wait_closed()`.",
                suggests="writer.close()",
            )
        if not all(c.waited_closed for c in connections):
            raise Wrong(
                "wait_closed_skipped",
                f"{CALL} called writer.close() but did not wait until the connection was "
                "closed: close() only starts closing it. Follow it with `await "
                "writer.wait_closed()`.",
                suggests="await writer.wait_closed()",
            )
        if not any(c.drains for c in connections):
            raise Wrong(
                "no_drain",
                f"{CALL} wrote its answers without ever calling drain(). write() only puts "
                "the data in a buffer; `await writer.drain()` after it waits while the "
                "buffer is full, so that a slow client cannot make it grow without limit "
                "(lesson 05, section 3). Write, then drain: always together.",
                suggests="await writer.drain()",
            )
    elif not all(c.eof for c in clients):
        raise Wrong(
            "connection_left_open",
            f"{CALL} left connections open after their client was done: the clients "
            "waited for the end that never came. Close each connection when the client "
            "has sent its end (a read gives b'').",
        )


def _judge_ending(run: _Run) -> None:
    if not run.cancelled:
        if run.error is not None:
            raise raised(run.error, CALL)
        raise Wrong(
            "returned_early",
            f"{CALL} returned while its clients were still being served, instead of "
            "serving until it is cancelled. start_server serves in the background only "
            "while something keeps going: end with `await server.serve_forever()`, inside "
            "`async with server:`.",
            suggests="serve_forever()",
        )
    if not run.ended:
        raise Wrong(
            "not_stopped",
            f"{CALL} was cancelled once its clients were done, but had not ended "
            f"{STOP_WAIT:g} s later. Let the cancellation through: `await "
            "server.serve_forever()` stops serving, closes the server and ends cancelled.",
        )
    if not run.ended_cancelled:
        what = (
            f"raised {type(run.error).__name__}: {run.error}"
            if run.error is not None
            else "returned"
        )
        raise Wrong(
            "swallowed_cancel",
            f"{CALL}, cancelled, {what} instead of ending cancelled: it caught the "
            "CancelledError, so whoever cancelled it is told it finished. Let it through "
            "(clean up in `finally:` or `async with server:`, and catch nothing).",
        )
    if run.still_listening:
        raise Wrong(
            "server_left_open",
            f"{CALL} ended when cancelled, but its server still listened on port "
            f"{run.clients.port}: new clients could still connect to a server nobody "
            "serves. `async with server:` around the waiting closes it, and so does "
            "`await server.serve_forever()` when it is cancelled.",
        )


ex6 = Exercise(
    title="Twenty clients, one thread",
    answer="serve",
    checker=check_serve,
    hints=[
        "`server = await asyncio.start_server(handle, '127.0.0.1', 0)` runs "
        "`handle(reader, writer)` as a task for each connection; "
        "`server.sockets[0].getsockname()[1]` is the port to pass to `ready`.",
        "In `handle`: `while line := await reader.readline():`, then `await "
        "asyncio.sleep(0.2)`, `writer.write(line.upper())` and `await writer.drain()`; "
        "after the loop, `writer.close()` and `await writer.wait_closed()`.",
        "After `ready(port)`: `async with server:` and inside it `await "
        "server.serve_forever()`, which serves until cancelled. No threads anywhere.",
    ],
    time_limit=TIME_LIMIT,
)
