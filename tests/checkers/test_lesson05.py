"""Lesson 05's checkers: each realistic wrong answer gets its own message, judged by what
the course's servers saw.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import threading
import time
import urllib.request
from typing import Any

import aiohttp
import pytest

from asyncio_tutorial.checkers.lesson05 import ex1, ex2, ex3


def by_name(value: Any) -> str:
    return getattr(value, "__name__", str(value))


# --- exercise 1: ask ---------------------------------------------------------------------


async def ask_left_open(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = []
    for question in questions:
        writer.write(question.encode() + b"\n")
        replies.append((await reader.readline()).decode().strip())
    return replies


async def ask_forgot_await_readline(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            replies.append(reader.readline().decode().strip())  # type: ignore[attr-defined]
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


async def ask_without_newline(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode())
            replies.append((await reader.readline()).decode().strip())
        return replies
    finally:
        writer.close()


async def ask_with_a_plain_socket(port: int, questions: list[str]) -> list[str]:
    with socket.create_connection(("127.0.0.1", port)) as plain:
        replies = []
        for question in questions:
            plain.sendall(question.encode() + b"\n")
            replies.append(plain.recv(100).decode().strip())
        return replies


async def ask_connection_per_question(port: int, questions: list[str]) -> list[str]:
    replies = []
    for question in questions:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(question.encode() + b"\n")
        replies.append((await reader.readline()).decode().strip())
        writer.close()
        await writer.wait_closed()
    return replies


async def ask_returns_bytes(port: int, questions: list[str]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            replies.append(await reader.readline())
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


async def ask_forgot_await_wait_closed(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = []
    for question in questions:
        writer.write(question.encode() + b"\n")
        replies.append((await reader.readline()).decode().strip())
    writer.close()
    writer.wait_closed()  # type: ignore[unused-coroutine]
    return replies


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (ask_left_open, "connection_left_open"),
        (ask_forgot_await_readline, "forgot_await"),
        (ask_without_newline, "no_newline"),
        (ask_with_a_plain_socket, "blocking_client"),
        (ask_connection_per_question, "connection_per_question"),
        (ask_returns_bytes, "wrong_value"),
        (ask_forgot_await_wait_closed, "forgot_await"),
    ],
    ids=by_name,
)
def test_ask_mistakes(answer: Any, mistake: str) -> None:
    result = ex1.evaluate(answer)
    assert result.mistake == mistake, result.message


def test_a_plain_socket_is_named_in_the_message() -> None:
    assert "a plain socket" in ex1.evaluate(ask_with_a_plain_socket).message


# --- exercise 2: watch ---------------------------------------------------------------------


async def watch_communicate(command: list[str], on_line: Any) -> int | None:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    output, _ = await process.communicate()
    for line in output.decode().splitlines():
        on_line(line)
    return process.returncode


async def watch_subprocess_run(command: list[str], on_line: Any) -> int:
    finished = subprocess.run(command, capture_output=True, text=True)
    for line in finished.stdout.splitlines():
        on_line(line)
    return finished.returncode


async def watch_never_waits(command: list[str], on_line: Any) -> int | None:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line.decode().rstrip())
    return process.returncode  # read before the program has been waited for


async def watch_bytes(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line)
    return await process.wait()


async def watch_keeps_newlines(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line.decode())
    return await process.wait()


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (watch_communicate, "not_streamed"),
        (watch_subprocess_run, "blocking_subprocess"),
        (watch_never_waits, "not_waited"),
        (watch_bytes, "not_decoded"),
        (watch_keeps_newlines, "newline_kept"),
    ],
    ids=by_name,
)
def test_watch_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


# --- exercise 3: fetch_all -----------------------------------------------------------------


async def get_text(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        return await response.text()


async def fetch_all_unbounded(urls: list[str], limit: int, timeout: float) -> list[Any]:
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            try:
                async with asyncio.timeout(timeout):
                    return await get_text(session, url)
            except TimeoutError:
                return None

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_one_by_one(urls: list[str], limit: int, timeout: float) -> list[Any]:
    async with aiohttp.ClientSession() as session:
        pages = []
        for url in urls:
            try:
                async with asyncio.timeout(timeout):
                    pages.append(await get_text(session, url))
            except TimeoutError:
                pages.append(None)
        return pages


async def fetch_all_no_timeout(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str:
            async with semaphore:
                return await get_text(session, url)

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_with_urllib(urls: list[str], limit: int, timeout: float) -> list[Any]:
    pages: list[Any] = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                pages.append(response.read().decode())
        except TimeoutError:
            pages.append(None)
    return pages


async def fetch_all_session_left_open(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    session = aiohttp.ClientSession()

    async def one(url: str) -> str | None:
        async with semaphore:
            try:
                async with asyncio.timeout(timeout):
                    return await get_text(session, url)
            except TimeoutError:
                return None

    return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_timeout_on_the_batch(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str:
            async with semaphore:
                return await get_text(session, url)

        async with asyncio.timeout(timeout):
            return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_as_they_come(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            async with semaphore:
                try:
                    async with asyncio.timeout(timeout):
                        return await get_text(session, url)
                except TimeoutError:
                    return None

        return [await next_done for next_done in asyncio.as_completed([one(u) for u in urls])]


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (fetch_all_unbounded, "unbounded"),
        (fetch_all_one_by_one, "sequential"),
        (fetch_all_no_timeout, "no_timeout"),
        (fetch_all_with_urllib, "blocking_client"),
        (fetch_all_session_left_open, "session_left_open"),
        (fetch_all_timeout_on_the_batch, "timeout_not_caught"),
        (fetch_all_as_they_come, "wrong_order"),
    ],
    ids=by_name,
)
def test_fetch_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_a_one_by_one_fetch_slowed_past_the_time_limit_is_still_called_sequential() -> None:
    # One by one takes 2.1 s; a busy machine can stretch it past the 3 s limit.  It gave
    # up on /hang and went on, so it is not the answer without a timeout.
    async def fetch_all_one_by_one_on_a_busy_machine(
        urls: list[str], limit: int, timeout: float
    ) -> list[Any]:
        pages = await fetch_all_one_by_one(urls, limit, timeout)
        await asyncio.sleep(1.5)
        return pages

    result = ex3.evaluate(fetch_all_one_by_one_on_a_busy_machine)
    assert result.mistake == "sequential", result.message


def test_unbounded_fetch_all_is_told_what_the_server_saw() -> None:
    message = ex3.evaluate(fetch_all_unbounded).message
    assert "the server had 9 of the 9 requests in flight at once" in message
    assert "Semaphore(3)" in message


def test_a_requests_client_is_named_by_what_the_server_saw() -> None:
    requests = pytest.importorskip("requests")

    async def fetch_all_with_requests(urls: list[str], limit: int, timeout: float) -> list[Any]:
        pages: list[Any] = []
        for url in urls:
            try:
                pages.append(requests.get(url, timeout=timeout).text)
            except requests.Timeout:
                pages.append(None)
        return pages

    result = ex3.evaluate(fetch_all_with_requests)
    assert result.mistake == "blocking_client" and "requests" in result.message


# --- nothing left behind ---------------------------------------------------------------------


def test_failed_answers_leave_no_server_thread_or_socket_behind() -> None:
    def open_fds() -> set[int]:
        gc.collect()
        return set(os.listdir("/proc/self/fd"))

    def course_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "course-server" or t.daemon]

    fds_before, threads_before = open_fds(), set(course_threads())
    ex1.evaluate(ask_left_open)
    ex1.evaluate(ask_without_newline)  # a hang: stopped at the time limit
    ex3.evaluate(fetch_all_with_urllib)  # blocked in a socket call until the server stopped
    ex3.evaluate(fetch_all_session_left_open)
    deadline = time.monotonic() + 5
    while set(course_threads()) - threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(course_threads()) - threads_before == set()
    assert open_fds() == fds_before
