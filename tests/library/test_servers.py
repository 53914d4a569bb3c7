"""The course's local servers: they answer as described, count on the server side, bind
127.0.0.1 on a port the system picks, and leave nothing behind however their block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from asyncio_tutorial.course.kernels import start_new_kernel
from asyncio_tutorial.servers import (
    HOST,
    Page,
    Traffic,
    client_program,
    demo_pages,
    echo_server,
    in_thread,
    line_server,
    local_site,
)

STARTS = 50


def open_fds() -> set[int]:
    """This process's open file descriptors (after collecting garbage that may hold some)."""
    gc.collect()
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == errno.ECONNREFUSED


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


# --- what the HTTP site answers -------------------------------------------------------


def test_pages_answer_as_described_and_traffic_is_counted_on_the_server() -> None:
    pages = {
        "/": Page("home", links=("/a", "/b")),
        "/a": Page("a", delay=0.2),
        "/b": Page(status=500),
        "/c": Page(redirect="/a"),
        "/e": Page("e", fail_first=2),
        "/api": Page(json={"pages": 3}),
    }

    async def scenario() -> None:
        async with local_site(pages) as site, aiohttp.ClientSession() as session:
            assert site.url == f"http://127.0.0.1:{site.port}" and site.port > 0
            status, text = await get(session, site.url_for("/"))
            assert (status, text) == (200, 'home\n<a href="/a">/a</a>\n<a href="/b">/b</a>')
            started = time.perf_counter()
            results = await asyncio.gather(*(get(session, site.url_for("/a")) for _ in range(4)))
            assert 0.2 <= time.perf_counter() - started < 0.5
            assert results == [(200, "a")] * 4
            assert (await get(session, site.url_for("/b")))[0] == 500
            assert await get(session, site.url_for("/c")) == (200, "a")
            assert [(await get(session, site.url_for("/e")))[0] for _ in range(3)] == [
                503,
                503,
                200,
            ]
            async with session.get(site.url_for("/api")) as response:
                assert await response.json() == {"pages": 3}
            assert (await get(session, site.url_for("/nowhere")))[0] == 404
            traffic = site.traffic
            assert traffic.peak == 4 and traffic.in_flight == 0
            assert traffic.by_path["/a"] == 5  # four at once, and one through the redirect
            assert traffic.clients["aiohttp"] == traffic.total
        assert traffic.connections_open == 0

    asyncio.run(scenario())


def test_a_page_that_hangs_stays_in_flight_until_the_client_gives_up() -> None:
    async def scenario() -> None:
        async with local_site() as site, aiohttp.ClientSession() as session:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await get(session, site.url_for("/hang"))
            assert site.traffic.by_path["/hang"] == 1
            await session.close()
            assert await site.traffic.settle(1.0)
            assert site.traffic.in_flight_by_path == {}

    asyncio.run(scenario())


def test_a_request_whose_client_hung_up_ends_with_its_connection() -> None:
    # Not a moment later, when its cancelled handler finishes: by then the client's next
    # request may have arrived, and one request at a time would count as two at once.
    async def scenario() -> None:
        async with local_site() as site:
            reader, writer = await asyncio.open_connection(HOST, site.port)
            writer.write(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            while not site.traffic.in_flight:
                await asyncio.sleep(0.01)
            writer.close()  # the client gives up
            await writer.wait_closed()
            while site.traffic.connections_open:
                await asyncio.sleep(0)
            assert site.traffic.in_flight == 0
            assert site.traffic.peak == 1

    asyncio.run(scenario())


def test_demo_pages_hold_the_awkward_ones() -> None:
    pages = demo_pages(count=3, delay=0.2)
    assert pages["/"].links == ("/page/1", "/page/2", "/page/3")
    assert pages["/page/2"] == Page("page 2", delay=0.2)
    assert pages["/hang"].hang and pages["/error"].status == 500
    assert pages["/redirect"].redirect == "/page/1" and pages["/flaky"].fail_first == 2


def test_client_program_is_read_from_the_user_agent() -> None:
    assert client_program("Python/3.13 aiohttp/3.11") == "aiohttp"
    assert client_program("Python-urllib/3.11") == "urllib"
    assert client_program("python-requests/2.32") == "requests"
    assert client_program("") == "unknown"


# --- the TCP servers --------------------------------------------------------------------


def test_line_server_answers_commands_in_order_and_counts_connections() -> None:
    async def scenario() -> None:
        async with line_server() as server:
            reader, writer = await asyncio.open_connection(*server.address)
            writer.write(b"PING\nECHO hello\nUPPER abc\nADD 1 2 3\nSLOW 0.1 late\nNOPE\nQUIT\n")
            await writer.drain()
            replies = [(await reader.readline()).decode().strip() for _ in range(7)]
            assert replies == [
                "PONG",
                "hello",
                "ABC",
                "6",
                "late",
                "ERROR unknown command: NOPE",
                "BYE",
            ]
            assert await reader.read() == b""  # the server hung up after QUIT
            writer.close()
            await writer.wait_closed()
            assert await server.traffic.settle()
            assert server.traffic.total == 7 and server.traffic.connections_total == 1
            assert server.received[:2] == ["PING", "ECHO hello"]

    asyncio.run(scenario())


def test_echo_server_serves_many_clients_at_once() -> None:
    async def client(address: tuple[str, int], n: int) -> bytes:
        reader, writer = await asyncio.open_connection(*address)
        writer.write(f"hello {n}\n".encode())
        reply = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return reply

    async def scenario() -> None:
        async with echo_server(delay=0.2) as server:
            started = time.perf_counter()
            replies = await asyncio.gather(*(client(server.address, n) for n in range(50)))
            assert time.perf_counter() - started < 1.0
            assert replies == [f"hello {n}\n".encode() for n in range(50)]
            assert server.traffic.peak == 50 and server.traffic.peak_connections == 50
            assert await server.traffic.settle()

    asyncio.run(scenario())


def test_a_connection_left_open_is_seen_by_the_server_and_closed_when_it_stops() -> None:
    async def scenario() -> None:
        async with line_server() as server:
            reader, writer = await asyncio.open_connection(*server.address)
            writer.write(b"PING\n")
            await reader.readline()
            assert not await server.traffic.settle(0.2)
            assert server.traffic.connections_open == 1
        assert await reader.read() == b""  # closed by the server as it stopped
        writer.close()

    asyncio.run(scenario())


# --- nothing left behind ----------------------------------------------------------------


async def exercise_site(site: Any) -> None:
    """Some of everything: answered, failing, hanging, and a connection left open."""
    async with aiohttp.ClientSession() as session:
        assert (await get(session, site.url_for("/page/1")))[0] == 200
        assert (await get(session, site.url_for("/error")))[0] == 500
    left_open = aiohttp.ClientSession()
    hanging = asyncio.create_task(get(left_open, site.url_for("/hang")))
    await asyncio.sleep(0.01)
    exercise_site.leftovers = (left_open, hanging)  # type: ignore[attr-defined]


async def exercise_tcp(server: Any) -> None:
    reader, writer = await asyncio.open_connection(*server.address)
    writer.write(b"PING\n")
    await reader.readline()
    exercise_tcp.leftovers = writer  # type: ignore[attr-defined]


SERVERS: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "local_site": (lambda: local_site(demo_pages(count=2, delay=0.0)), exercise_site),
    "line_server": (line_server, exercise_tcp),
    "echo_server": (lambda: echo_server(0.0), exercise_tcp),
}


async def tidy_client_leftovers(exercise: Any) -> None:
    leftovers = getattr(exercise, "leftovers", None)
    if isinstance(leftovers, tuple):  # the HTTP client's session and its hanging request
        session, hanging = leftovers
        hanging.cancel()
        with contextlib.suppress(BaseException):
            await hanging
        await session.close()
    elif leftovers is not None:
        leftovers.close()


@pytest.mark.parametrize("name", list(SERVERS))
def test_fifty_starts_and_stops_leave_no_descriptor_task_or_thread(name: str) -> None:
    open_server, exercise = SERVERS[name]

    async def fifty() -> list[int]:
        tasks_before = asyncio.all_tasks()
        fds_before = open_fds()
        ports = []
        for _ in range(STARTS):
            async with open_server() as server:
                ports.append(server.port)
                await exercise(server)
            await tidy_client_leftovers(exercise)
            assert refused(ports[-1])
        await asyncio.sleep(0.05)
        assert asyncio.all_tasks() == tasks_before
        assert open_fds() == fds_before
        return ports

    threads_before = set(threading.enumerate())
    ports = asyncio.run(fifty())
    assert set(threading.enumerate()) == threads_before
    assert len(set(ports)) > STARTS // 2, "ports chosen by the system, not fixed"


@pytest.mark.parametrize("ending", ["error", "cancelled"])
@pytest.mark.parametrize("name", list(SERVERS))
def test_a_block_that_fails_or_is_cancelled_still_stops_its_server(name: str, ending: str) -> None:
    open_server, exercise = SERVERS[name]
    seen: dict[str, int] = {}

    async def block() -> None:
        async with open_server() as server:
            seen["port"] = server.port
            await exercise(server)
            if ending == "error":
                raise ValueError("the block failed")
            await asyncio.sleep(10)

    async def scenario() -> None:
        fds_before = open_fds()
        task = asyncio.create_task(block())
        await asyncio.sleep(0.2)
        task.cancel()
        with contextlib.suppress(ValueError, asyncio.CancelledError):
            await task
        assert task.cancelled() == (ending == "cancelled")
        assert refused(seen["port"])
        await tidy_client_leftovers(exercise)
        await asyncio.sleep(0.05)
        assert open_fds() == fds_before

    asyncio.run(scenario())


@pytest.mark.parametrize("name", list(SERVERS))
def test_in_thread_serves_a_blocked_caller_and_joins_its_thread(name: str) -> None:
    open_server, _ = SERVERS[name]
    threads_before = set(threading.enumerate())
    fds_before = open_fds()
    for _ in range(5):
        with in_thread(open_server) as server:
            if name == "local_site":
                with urllib.request.urlopen(server.url_for("/page/1"), timeout=2) as response:
                    assert response.read() == b"page 1"
                assert server.traffic.clients == {"urllib": 1}
            else:
                with socket.create_connection(server.address, timeout=2) as plain:
                    plain.sendall(b"PING\n")
                    assert plain.recv(100) in (b"PING\n", b"PONG\n")
        assert refused(server.port)
    assert set(threading.enumerate()) == threads_before
    assert open_fds() == fds_before


def test_traffic_reset_keeps_what_is_open_now() -> None:
    traffic = Traffic()
    traffic.connection_opened()
    traffic.request_started("/a", "aiohttp")
    traffic.reset()
    assert (traffic.total, traffic.peak, traffic.connections_open) == (0, 1, 1)
    traffic.request_ended("/a")
    traffic.connection_closed()
    assert traffic.quiet and traffic.wait_settled(0.0)


# --- the kernel's stop button -----------------------------------------------------------

# The stop button sends SIGINT; ipykernel then cancels the cell's task, which takes effect
# at the loop's next wake-up (here within 0.1 s).
INTERRUPTED_CELL = """
import asyncio, os
from asyncio_tutorial.servers import local_site, line_server


def open_sockets():  # the kernel's own files (its history database) come and go
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the descriptor listdir itself used, closed by now
            pass
    return {link for link in found if link.startswith("socket:")}


sockets_before = open_sockets()
async with local_site() as site, line_server() as lines:
    ports = (site.port, lines.port)
    print("serving", flush=True)
    for _ in range(100):
        await asyncio.sleep(0.1)
print("never printed: the cell was interrupted")
"""

AFTERWARDS = """
import socket
def refused(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0
print(all(refused(port) for port in ports), open_sockets() == sockets_before)
"""


STAMP = re.compile(r"^\[\d+\.\ds\] ")


def run_in_kernel(manager: Any, client: Any, code: str, interrupt: bool = False) -> list[str]:
    """Run ``code`` in a kernel, pressing the stop button once it prints; return its outputs."""
    msg_id = client.execute(code)
    outputs: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=0.1)
        except Exception:  # queue.Empty: nothing yet
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            # The course's kernels stamp their output from the start: "[0.2s] serving".
            text = STAMP.sub("", content["text"].strip())
            outputs.append(text)
            if interrupt and text.startswith("serving"):
                time.sleep(0.3)
                manager.interrupt_kernel()
        elif kind == "error":
            outputs.append(content["ename"])
        elif kind == "status" and content["execution_state"] == "idle":
            break
    return outputs


def test_interrupting_the_kernel_stops_the_servers_of_the_cell() -> None:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        interrupted = run_in_kernel(manager, client, INTERRUPTED_CELL, interrupt=True)
        assert interrupted[0] == "serving"
        assert interrupted[1] in ("CancelledError", "KeyboardInterrupt"), interrupted
        assert run_in_kernel(manager, client, AFTERWARDS) == ["True True"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
