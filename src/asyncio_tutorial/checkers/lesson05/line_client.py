"""Lesson 05, exercise 1: a client for a line protocol, over asyncio's streams.

The check runs ``ask`` twice against a real line server (:func:`~asyncio_tutorial.servers.
line_server`, on a thread of its own): once with four questions, once cancelled from
outside while it waits for a slow reply, as a caller's timeout would.  It judges by what
the server saw (connections, lines) and by how the answer used its streams: for the
duration of the check, the writer's ``write``, ``drain``, ``close`` and ``wait_closed``,
and the reader's ``read``, note each call made on a connection to the check's server
(:class:`_WatchedStreams`), so that "closed it", "left it for Python to close when it
collected the writer", "never drained" and "read until the end" are told apart
exactly, whatever the timing.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    expect_coroutine_function,
)
from asyncio_tutorial.checkers.lesson05.clients import (
    SETTLE,
    blocking_client_used,
    watch_run,
)
from asyncio_tutorial.checkers.runner import Outcome, answers_code
from asyncio_tutorial.checkers.scenario import Ending
from asyncio_tutorial.servers import in_thread, line_server

QUESTIONS = ["PING", "ADD 2 3 4", "SLOW 0.2 done", "UPPER hello"]
REPLIES = ["PONG", "9", "done", "HELLO"]
CANCELLED_QUESTIONS = ["PING", "SLOW 5 too late"]
CANCEL_AFTER = 0.3  # seconds after which the second run is cancelled, waiting for SLOW 5


def _called_by_the_answer() -> bool:
    """Whether the caller of a watched stream method is the answer's own code (not
    asyncio's, as when Python collects a forgotten writer, nor the course's)."""
    return answers_code(sys._getframe(2).f_code.co_filename)


@dataclass
class _Connection:
    """How the answer used one connection to the check's server."""

    transport: Any = None
    """A weak reference to the connection's transport."""
    writes: int = 0
    drains: int = 0
    closed: bool = False
    """The answer's code called ``writer.close()``."""
    waited_closed: bool = False
    """The answer's code called ``writer.wait_closed()``."""
    collected: bool = False
    """Python closed it when it collected the writer, which the answer had forgotten."""
    open_at_end: bool = False
    """It was still open when ``ask`` returned (or ended)."""
    read_to_the_end: bool = False
    """The answer called ``reader.read()`` with no size: it reads until the connection
    closes."""


class _WatchedStreams:
    """Note, while the ``with`` block runs, what the answer does with its streams.

    ``asyncio.StreamWriter``'s ``write``, ``writelines``, ``drain``, ``close`` and
    ``wait_closed``, and ``asyncio.StreamReader.read``, are wrapped for the block, and
    each call on a stream connected *to* ``port`` (the check's server) is noted in
    :attr:`connections`; every other stream (the server's own, any other) works as
    before, unnoted.
    """

    WRITER = ("write", "writelines", "drain", "close", "wait_closed")

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections: dict[int, _Connection] = {}
        self._originals: dict[str, Any] = {}

    def connection(self, transport: Any) -> _Connection | None:
        """The record of a connection, if it is a client's of the check's server."""
        peer = transport.get_extra_info("peername") if transport is not None else None
        if not (isinstance(peer, tuple) and len(peer) >= 2 and peer[1] == self.port):
            return None
        found = self.connections.get(id(transport))
        if found is None:
            found = self.connections[id(transport)] = _Connection(weakref.ref(transport))
        return found

    def note_end(self) -> None:
        """Note which connections are still open now, as the answer has ended."""
        for connection in self.connections.values():
            transport = connection.transport()
            connection.open_at_end = transport is not None and not transport.is_closing()

    def __enter__(self) -> _WatchedStreams:
        for name in self.WRITER:
            self._originals[name] = getattr(asyncio.StreamWriter, name)
        self._originals["read"] = asyncio.StreamReader.read
        write, writelines = self._originals["write"], self._originals["writelines"]
        drain, close = self._originals["drain"], self._originals["close"]
        wait_closed, read = self._originals["wait_closed"], self._originals["read"]
        watched = self

        def watched_write(writer: asyncio.StreamWriter, data: Any) -> None:
            if (connection := watched.connection(writer.transport)) is not None:
                connection.writes += 1
            return write(writer, data)  # type: ignore[no-any-return]

        def watched_writelines(writer: asyncio.StreamWriter, data: Any) -> None:
            if (connection := watched.connection(writer.transport)) is not None:
                connection.writes += 1
            return writelines(writer, data)  # type: ignore[no-any-return]

        def watched_drain(writer: asyncio.StreamWriter) -> Any:
            if (connection := watched.connection(writer.transport)) is not None:
                connection.drains += 1
            return drain(writer)

        def watched_close(writer: asyncio.StreamWriter) -> None:
            if (connection := watched.connection(writer.transport)) is not None:
                if _called_by_the_answer():
                    connection.closed = True
                elif sys._getframe(1).f_code.co_name == "__del__":
                    connection.collected = True
            return close(writer)  # type: ignore[no-any-return]

        def watched_wait_closed(writer: asyncio.StreamWriter) -> Any:
            connection = watched.connection(writer.transport)
            if connection is not None and _called_by_the_answer():
                connection.waited_closed = True
            return wait_closed(writer)

        def watched_read(reader: asyncio.StreamReader, n: int = -1) -> Any:
            connection = watched.connection(getattr(reader, "_transport", None))
            if connection is not None and n < 0 and _called_by_the_answer():
                connection.read_to_the_end = True
            return read(reader, n)

        asyncio.StreamWriter.write = watched_write  # type: ignore[method-assign]
        asyncio.StreamWriter.writelines = watched_writelines  # type: ignore[method-assign]
        asyncio.StreamWriter.drain = watched_drain  # type: ignore[method-assign]
        asyncio.StreamWriter.close = watched_close  # type: ignore[method-assign]
        asyncio.StreamWriter.wait_closed = watched_wait_closed  # type: ignore[method-assign]
        asyncio.StreamReader.read = watched_read  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name in self.WRITER:
            setattr(asyncio.StreamWriter, name, self._originals[name])
        asyncio.StreamReader.read = self._originals["read"]  # type: ignore[method-assign]


@dataclass
class _Runs:
    """What the two runs of ``ask`` showed."""

    outcome: Outcome = field(default_factory=Outcome)
    ending: Ending = field(default_factory=Ending)
    connections: list[_Connection] = field(default_factory=list)
    settled: bool = False
    connections_total: int = 0
    received: list[str] = field(default_factory=list)
    cancelled_outcome: Outcome = field(default_factory=Outcome)
    cancelled_ending: Ending = field(default_factory=Ending)
    cancelled_connections: list[_Connection] = field(default_factory=list)


def check_ask(ask: Any) -> Result:
    """``ask(port, questions)``: one connection, a line per question, replies in order,
    closed, even when it is cancelled half-way."""
    expect_coroutine_function(ask)
    call = f"ask(port, {QUESTIONS!r})"
    runs = _Runs()
    with in_thread(line_server) as server, _WatchedStreams(server.port) as streams:
        runs.outcome, runs.ending = watch_run(
            partial(ask, server.port, list(QUESTIONS)), streams.note_end
        )
        runs.settled = server.traffic.wait_settled(SETTLE)
        runs.connections = list(streams.connections.values())
        runs.connections_total = server.traffic.connections_total
        runs.received = list(server.received)
        _judge_asking(ask, runs, call)
        # Only an answer right so far is cancelled: one that blocks in a plain socket
        # could not be, and would still be waiting when the check ends.
        streams.connections.clear()
        runs.cancelled_outcome, runs.cancelled_ending = watch_run(
            partial(ask, server.port, list(CANCELLED_QUESTIONS)),
            streams.note_end,
            cancel_after=CANCEL_AFTER,
        )
        runs.cancelled_connections = list(streams.connections.values())
    _judge_cancelled(runs)
    connection = runs.connections[0]
    return correct(
        f"{call} returned {runs.ending.value!r} over one connection ({connection.writes} "
        f"writes, {connection.drains} drains); it closed it and waited until it was "
        "closed, and the server saw it closed. Cancelled while waiting for a slow reply, "
        "it ended cancelled and closed its connection all the same."
    )


def _judge_asking(ask: Any, runs: _Runs, call: str) -> None:
    """The first run: the four questions, on one connection, closed."""
    blocking_client_used(ask, call)
    _judge_waiting(runs, call)
    _judge_replies(runs.ending.value, call)
    if runs.connections_total > 1:
        raise Wrong(
            "connection_per_question",
            f"{call} opened {runs.connections_total} connections for "
            f"{len(QUESTIONS)} questions. The protocol answers any number of lines on one "
            "connection: open it once, ask everything, then close it.",
        )
    _judge_closing(runs, call)


def _judge_waiting(runs: _Runs, call: str) -> None:
    """It never finished, blocked the loop, or forgot an await."""
    outcome = runs.outcome
    if outcome.timed_out and runs.connections_total and not runs.received:
        raise Wrong(
            "no_newline",
            f"{call} connected, but the server never received a whole line, so it never "
            "answered, and the client waited forever. End each question with a newline: "
            "`writer.write(question.encode() + b'\\n')`.",
        )
    if outcome.timed_out and any(c.read_to_the_end for c in runs.connections):
        raise Wrong(
            "read_until_eof",
            f"{call} was still waiting in reader.read() after {outcome.time_limit:.0f} s. "
            "read() with no size reads until the connection is closed, and the server "
            "keeps it open for more questions: read one reply line per question, with "
            "`await reader.readline()`.",
            suggests="readline()",
        )
    _judge_stream_waits(outcome, runs.connections, runs.ending, call)


def _judge_stream_waits(outcome: Any, connections: Any, ending: Any, call: str) -> None:
    """What any answer on streams can get wrong in how it waits: for a close it never
    started, by blocking the loop, or the classic mistakes (what the answer raised is the
    scenario's ending's, judged with them)."""
    if outcome.timed_out and any(c.waited_closed and not c.closed for c in connections):
        raise Wrong(
            "connection_left_open",
            f"{call} never returned: it waited in writer.wait_closed() for a close that "
            "never started. wait_closed() only waits; `writer.close()` closes: call it "
            "first, then `await writer.wait_closed()`.",
            suggests="writer.close()",
        )
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    common_mistakes(replace(outcome, error=ending.error), call)


def _judge_replies(value: Any, call: str) -> None:
    if value == REPLIES:
        return
    if isinstance(value, list) and any(isinstance(v, bytes) for v in value):
        raise Wrong(
            "wrong_value",
            f"{call} returned {value!r}, not {REPLIES!r}: bytes, as they came. Decode each "
            "reply and take off its newline: `(await reader.readline()).decode().strip()`.",
        )
    if isinstance(value, list) and any(isinstance(v, str) and v.endswith("\n") for v in value):
        raise Wrong(
            "newline_kept",
            f"{call} returned {value!r}: each reply still ends with its newline. Take it "
            "off: `.strip()`.",
        )
    raise Wrong("wrong_value", f"{call} returned {value!r}, not {REPLIES!r}.")


def _judge_closing(runs: _Runs, call: str) -> None:
    """Closed by the answer, waited for, drained: the connection's whole life."""
    connections = runs.connections
    if not runs.settled or any(c.open_at_end or c.collected or not c.closed for c in connections):
        raise Wrong(
            "connection_left_open",
            f"{call} returned the right replies, but left its connection open (Python "
            "closed it only when it collected the forgotten writer). Close it when done: "
            "`writer.close()`, then `await writer.wait_closed()` (in a `finally:`, so that "
            "it is closed even after an error).",
            suggests="writer.close()",
        )
    if not all(c.waited_closed for c in connections):
        raise Wrong(
            "wait_closed_skipped",
            f"{call} called writer.close() but returned without waiting until the "
            "connection was closed: close() only starts closing it. Follow it with "
            "`await writer.wait_closed()`.",
            suggests="await writer.wait_closed()",
        )
    if not any(c.drains for c in connections):
        raise Wrong(
            "no_drain",
            f"{call} wrote its questions without ever calling drain(). write() only puts "
            "the data in a buffer; `await writer.drain()` after it waits while the buffer "
            "is full, so that a writer never runs ahead of a slow reader (lesson 05, "
            "section 3). Write, then drain: always together.",
            suggests="await writer.drain()",
        )


def _judge_cancelled(runs: _Runs) -> None:
    """Cancelled while waiting for a reply (a caller's timeout): it must end cancelled,
    and close its connection all the same."""
    call = f"ask(port, {CANCELLED_QUESTIONS!r}), cancelled after {CANCEL_AFTER:g} s"
    outcome, ending = runs.cancelled_outcome, runs.cancelled_ending
    common_mistakes(outcome, call, expected_error=Exception)
    if ending.finished and not ending.cancelled:
        what = ending.describe()
        raise Wrong(
            "swallowed_cancel",
            f"{call} {what} instead of ending cancelled: it caught the CancelledError, so "
            "its caller's timeout never happened. A bare `except:` or `except "
            "BaseException:` catches cancellation too: catch only the errors you mean, and "
            "let CancelledError through.",
        )
    connections = runs.cancelled_connections
    if any(c.open_at_end or c.collected or not c.closed for c in connections):
        raise Wrong(
            "not_closed_on_error",
            f"{call} left its connection open when it was cancelled: the close comes "
            "after the questions, and a cancellation (or any error) skips it. Close it in "
            "a `finally:` block, which runs however the `try:` block ends.",
            suggests="finally:",
        )


ex1 = Exercise(
    title="A line-protocol client",
    answer="ask",
    checker=check_ask,
    hints=[
        "`reader, writer = await asyncio.open_connection('127.0.0.1', port)` connects; "
        "`writer.write(question.encode() + b'\\n')` then `await writer.drain()` sends a line.",
        "`(await reader.readline()).decode().strip()` reads one reply line.",
        "When done, `writer.close()` and `await writer.wait_closed()`, in a `finally:` block.",
    ],
)
