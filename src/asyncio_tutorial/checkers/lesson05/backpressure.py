"""Lesson 05, exercise 4: a writer that waits for its reader (``drain`` and backpressure).

The check runs ``send_chunks`` against a real reader on 127.0.0.1 (:class:`_SlowReader`,
on a thread of its own, with plain blocking sockets): it takes 64 KiB every 10 ms, far
slower than a writer can write.  Eight chunks of 256 KiB, 2 MiB in all, must reach it in
order, over one connection, which the answer then closes.

What is judged is what the answer kept *in its own memory*: the bytes waiting in its
writer's buffer (``transport.get_write_buffer_size()``), read just after each write and
before every other call the answer makes on its writer (``drain``, ``close``,
``wait_closed``).  A writer that drains after each write never holds more
than a chunk and the 64 KiB high-water mark; one that does not holds the whole 2 MiB at
once, whatever the machine's load.  The kernel's own socket buffers are made small
(64 KiB, as in the lesson), so that they cannot swallow what the answer should wait for.
The calls themselves (how many writes and drains, and who closed) are noted as in
exercise 1 (:class:`~asyncio_tutorial.checkers.lesson05.line_client._WatchedStreams`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    expect_coroutine_function,
)
from asyncio_tutorial.checkers.lesson05.clients import blocking_client_used, watch_run
from asyncio_tutorial.checkers.lesson05.line_client import (
    _Connection,
    _judge_stream_waits,
    _WatchedStreams,
)
from asyncio_tutorial.checkers.scenario import names_used
from asyncio_tutorial.servers import HOST

KIB = 1024
CHUNK = 256 * KIB
COUNT = 8
CHUNKS = [bytes([ord("A") + n]) * CHUNK for n in range(COUNT)]
"""What the check sends: eight chunks of 256 KiB, each of its own letter, 2 MiB in all."""
TOTAL = CHUNK * COUNT
HIGH_WATER = 64 * KIB  # asyncio's default high-water mark: drain() waits above it
HELD_AT_MOST = CHUNK + 2 * HIGH_WATER
"""The most a writer that drains after each write can hold: a chunk on top of what drain
let through (at most the high-water mark), and room to spare."""
SOCKET_BUFFER = 64 * KIB  # the kernel's send and receive buffers, made small
READ_SIZE = 64 * KIB  # the reader takes this much...
READ_PAUSE = 0.01  # ...every this many seconds
FLUSH_WAIT = 1.5  # seconds the check waits, after the answer, for its data to arrive
WRITELINES_PAUSES = not (
    (3, 12) <= sys.version_info < (3, 12, 9) or (3, 13) <= sys.version_info < (3, 13, 2)
)
"""Whether this Python's socket transport pauses its writer when ``writelines`` fills the
buffer past the high-water mark, so that ``drain()`` waits.  From 3.12.0, which gave the
transport a ``writelines`` of its own, to 3.12.8 and 3.13.1 it did not (gh-127655, fixed in
3.12.9 and 3.13.2): ``writelines`` then ``drain()`` held everything in memory, through no
fault of the answer's.  There the check does what the fixed transport does, so that an
answer gets the same verdict on every Python."""


def _pause_as_fixed(transport: Any) -> None:
    """After ``writelines``, pause the writer above the high-water mark, as 3.13.2 does."""
    pause = getattr(transport, "_maybe_pause_protocol", None)
    if pause is not None and not transport.is_closing():
        pause()


@dataclass
class _Received:
    """One connection, as the reader saw it."""

    data: bytearray = field(default_factory=bytearray)
    ended: bool = False
    """The writer closed its side: the reader read the end (b"")."""


class _SlowReader:
    """A reader on 127.0.0.1 that takes 64 KiB every 10 ms, on a thread of its own.

    Plain blocking sockets, one connection after another: the check's side needs no
    event loop, so nothing the answer does to its own loop can stop it reading.
    """

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        self.listener.bind((HOST, 0))
        self.listener.listen(32)
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.connections: list[_Received] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="course-server", daemon=True)

    def __enter__(self) -> _SlowReader:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()

    def received(self) -> bytes:
        with self._lock:
            return b"".join(bytes(c.data) for c in self.connections)

    def all_ended(self) -> bool:
        with self._lock:
            return bool(self.connections) and all(c.ended for c in self.connections)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            with connection:
                self._read(connection)

    def _read(self, connection: socket.socket) -> None:
        received = _Received()
        with self._lock:
            self.connections.append(received)
        connection.settimeout(0.05)
        while not self._stop.is_set():
            try:
                data = connection.recv(READ_SIZE)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                received.ended = True
                return
            with self._lock:
                received.data += data
            self._stop.wait(READ_PAUSE)


class _WatchedWriters(_WatchedStreams):
    """:class:`_WatchedStreams`, and for each connection to the reader the most bytes
    that waited in its writer's buffer, read after each write, before every other call on
    the writer, and once more when the answer has ended.  A connection's
    kernel send buffer is made small the first time it is seen, before its first write."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.most_held: dict[int, int] = {}

    def connection(self, transport: Any) -> _Connection | None:
        found = super().connection(transport)
        if found is not None:
            if id(transport) not in self.most_held:
                with contextlib.suppress(OSError, AttributeError):
                    sock = transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
            self._sample(transport)
        return found

    def __enter__(self) -> _WatchedWriters:
        super().__enter__()
        watched_write, watched_writelines = (
            asyncio.StreamWriter.write,
            asyncio.StreamWriter.writelines,
        )

        def sampled_write(writer: asyncio.StreamWriter, data: Any) -> None:
            watched_write(writer, data)
            if id(writer.transport) in self.most_held:
                self._sample(writer.transport)

        def sampled_writelines(writer: asyncio.StreamWriter, data: Any) -> None:
            watched_writelines(writer, data)
            if not WRITELINES_PAUSES:
                _pause_as_fixed(writer.transport)
            if id(writer.transport) in self.most_held:
                self._sample(writer.transport)

        asyncio.StreamWriter.write = sampled_write  # type: ignore[method-assign]
        asyncio.StreamWriter.writelines = sampled_writelines  # type: ignore[method-assign]
        return self

    def _sample(self, transport: Any) -> None:
        held = transport.get_write_buffer_size()
        self.most_held[id(transport)] = max(self.most_held.get(id(transport), 0), held)

    def note_end(self) -> None:
        super().note_end()
        for connection in self.connections.values():
            transport = connection.transport()
            if transport is not None and not transport.is_closing():
                self._sample(transport)

    def held(self) -> int:
        return max(self.most_held.values(), default=0)


@dataclass
class _Run:
    outcome: Any = None
    ending: Any = None
    connections: list[_Connection] = field(default_factory=list)
    held: int = 0
    received: bytes = b""
    readers: int = 0
    ended: bool = False


def check_send_chunks(send_chunks: Any) -> Result:
    """``send_chunks(port, chunks)``: 2 MiB to a slow reader, never more than about a
    chunk waiting in memory; one connection, closed and waited for."""
    expect_coroutine_function(send_chunks)
    call = f"send_chunks(port, chunks) ({COUNT} chunks of {CHUNK // KIB} KiB)"
    run = _Run()
    with _SlowReader() as reader, _WatchedWriters(reader.port) as writers:

        async def flushed() -> None:
            """Give the data the answer left in its buffer time to reach the reader,
            while the loop still runs (it is dropped when the loop closes)."""
            deadline = time.monotonic() + FLUSH_WAIT
            while time.monotonic() < deadline and not reader.all_ended():
                if len(reader.received()) >= TOTAL:
                    break
                await asyncio.sleep(0.02)

        async def scenario() -> Any:
            try:
                return await send_chunks(reader.port, list(CHUNKS))
            finally:
                writers.note_end()

        async def then_flush() -> Any:
            try:
                return await scenario()
            finally:
                await flushed()

        run.outcome, run.ending = watch_run(then_flush)
        run.connections = list(writers.connections.values())
        run.held = writers.held()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and run.connections and not reader.all_ended():
            if not any(c.closed for c in run.connections):
                break
            time.sleep(0.02)
        run.received = reader.received()
        run.readers = len(reader.connections)
        run.ended = reader.all_ended()
        _close_what_is_left(run.connections)
    _judge_sending(send_chunks, run, call)
    connection = run.connections[0]
    return correct(
        f"{call} sent the {TOTAL // KIB // KIB} MiB in order over one connection "
        f"({connection.writes} writes, {connection.drains} drains) to a reader taking "
        f"{READ_SIZE // KIB} KiB every {READ_PAUSE * 1000:.0f} ms; after each write, "
        f"never more than {HELD_AT_MOST // KIB} KiB waited in its memory, where a "
        "writer that does not wait holds all 2 MiB. It closed the connection and waited "
        "until it was closed."
    )


def _close_what_is_left(connections: list[_Connection]) -> None:
    """Close any connection the answer left open (its loop is closed now): nothing it
    opened outlives the check."""
    for connection in connections:
        transport = connection.transport()
        if transport is not None and not transport.is_closing():
            with contextlib.suppress(Exception):
                transport.get_extra_info("socket").close()


def _judge_sending(send_chunks: Any, run: _Run, call: str) -> None:
    outcome, connections = run.outcome, run.connections
    blocking_client_used(send_chunks, call)
    _judge_stream_waits(outcome, connections, run.ending, call)
    if run.readers > 1:
        raise Wrong(
            "connection_per_chunk",
            f"{call} opened {run.readers} connections for {COUNT} chunks. Open one "
            "connection, write every chunk on it, then close it.",
        )
    _judge_data(run, call)
    _judge_held(send_chunks, run, call)
    _judge_closing(run, call)


def _judge_data(run: _Run, call: str) -> None:
    expected = b"".join(CHUNKS)
    if run.received == expected:
        return
    got = len(run.received)
    if expected.startswith(run.received):
        raise Wrong(
            "data_lost",
            f"{call}: the reader received {got // KIB} KiB of the {TOTAL // KIB} KiB. The "
            "rest never left this process: it was still waiting in the writer's buffer "
            "when the connection went. Wait for it to go: `await writer.drain()` after "
            "each write, and `writer.close()` then `await writer.wait_closed()` at the end "
            "(not `transport.abort()`, which drops what waits).",
        )
    raise Wrong(
        "wrong_data",
        f"{call}: the reader received {got // KIB} KiB, not the {COUNT} chunks in their "
        "order. Write each chunk as it is, in order, on one connection: "
        "`writer.write(chunk)`.",
    )


def _judge_held(send_chunks: Any, run: _Run, call: str) -> None:
    """How much waited in the writer's buffer at once, and why."""
    writes = sum(c.writes for c in run.connections)
    drains = sum(c.drains for c in run.connections)
    if run.held <= HELD_AT_MOST and (drains or not run.connections):
        return
    held = f"{run.held // KIB} KiB waited in its writer's buffer at once"
    limit = f"at most {HELD_AT_MOST // KIB} KiB"
    if writes == 1:
        raise Wrong(
            "one_big_write",
            f"{call} wrote everything in one write: {held}, where a writer that waits for "
            f"its reader holds {limit}. Write the chunks one by one, each followed by "
            "`await writer.drain()`: it waits while the reader is behind.",
        )
    if drains == 0 and any(wait < 10 for wait in run.outcome.waits):
        still = (
            f"and still {held}"
            if run.held > HELD_AT_MOST
            else "a pause long enough for this reader, this time"
        )
        raise Wrong(
            "sleep_instead_of_drain",
            f"{call} paused between its writes with asyncio.sleep, {still}: a guessed "
            "pause is not the reader's pace (with a slower reader, the data piles up). "
            "`await writer.drain()` after each write waits exactly as long as the reader "
            "needs, and no longer.",
            suggests="await writer.drain()",
        )
    if drains == 0:
        if run.held <= HELD_AT_MOST:
            held = f"{held}, this time, only because the reader kept up"
        raise Wrong(
            "no_drain",
            f"{call} never called drain(): every write returned at once, and {held} "
            f"(a writer that waits for its reader holds {limit}). With a slow reader and "
            "more data, that grows until memory runs out. Follow each write with "
            "`await writer.drain()`.",
            suggests="await writer.drain()",
        )
    if drains == 1 and writes > 1:
        raise Wrong(
            "drain_only_at_end",
            f"{call} drained once, after all its writes: by then {held}. drain() only "
            "waits for what is already written: call it after *each* write, so that the "
            "next one waits while the reader is behind.",
        )
    if drains >= writes and {"gather", "TaskGroup", "create_task"} & names_used(send_chunks):
        raise Wrong(
            "writes_ran_ahead",
            f"{call} drained after each write, but the writes ran at the same time, in "
            f"tasks of their own, so all of them came before the first drain: {held}. "
            "Write one chunk after another, in one loop: write, then drain, then the next.",
        )
    raise Wrong(
        "drained_too_rarely",
        f"{call} made {writes} writes and only {drains} drains: between two drains, "
        f"{held} (a writer that waits for its reader holds {limit}). Drain after "
        "each write.",
    )


def _judge_closing(run: _Run, call: str) -> None:
    connections = run.connections
    if not connections:  # no stream writer at all: the data came by another road
        return
    if any(c.open_at_end or c.collected or not c.closed for c in connections):
        raise Wrong(
            "connection_left_open",
            f"{call} sent everything, but left its connection open: the reader never "
            "saw the end of the data (Python closes a forgotten writer only when it "
            "collects it). Close it when done: `writer.close()`, then `await "
            "writer.wait_closed()`.",
            suggests="writer.close()",
        )
    if not all(c.waited_closed for c in connections):
        raise Wrong(
            "wait_closed_skipped",
            f"{call} called writer.close() but returned without waiting until the "
            "connection was closed: close() only starts closing it, and what still waits "
            "in the buffer may not have left yet. Follow it with `await "
            "writer.wait_closed()`.",
            suggests="await writer.wait_closed()",
        )


ex4 = Exercise(
    title="A writer that waits for its reader",
    answer="send_chunks",
    checker=check_send_chunks,
    hints=[
        "`reader, writer = await asyncio.open_connection('127.0.0.1', port)` connects; "
        "one connection for every chunk.",
        "For each chunk: `writer.write(chunk)`, then `await writer.drain()`, which waits "
        "while the reader is behind.",
        "At the end, `writer.close()` and `await writer.wait_closed()` (in a `finally:`).",
    ],
)
