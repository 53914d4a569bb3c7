"""Lesson 05's checkers: each realistic wrong answer gets its own message, judged by what
the course's servers saw; right answers written other ways pass; nothing an answer leaves
open is blamed on the next check.

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
from exercise_tools import worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.lesson05 import ex1, ex2, ex3

LESSON = "05-async-io"


def assert_correct(exercise: Any, answer: Any) -> None:
    result = exercise.evaluate(answer)
    assert result.status == "correct", result.message


# --- exercise 1: ask ---------------------------------------------------------------------


async def ask_left_open(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = []
    for question in questions:
        writer.write(question.encode() + b"\n")
        await writer.drain()
        replies.append((await reader.readline()).decode().strip())
    return replies


async def ask_forgot_await_readline(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            await writer.drain()
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
            await writer.drain()
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
        await writer.drain()
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
            await writer.drain()
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
        await writer.drain()
        replies.append((await reader.readline()).decode().strip())
    writer.close()
    writer.wait_closed()  # type: ignore[unused-coroutine]
    return replies


async def ask_without_drain(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            replies.append((await reader.readline()).decode().strip())
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


async def ask_closes_without_waiting(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
        return replies
    finally:
        writer.close()


async def ask_closes_only_when_all_goes_well(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = []
    for question in questions:
        writer.write(question.encode() + b"\n")
        await writer.drain()
        replies.append((await reader.readline()).decode().strip())
    writer.close()
    await writer.wait_closed()
    return replies


async def ask_catches_everything(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies: list[str] = []
    try:
        for question in questions:
            writer.write(question.encode() + b"\n")
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
    except:  # noqa: E722 - "the server went away": the mistake under test
        pass
    finally:
        writer.close()
        await writer.wait_closed()
    return replies


async def ask_reads_to_the_end(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for question in questions:
            writer.write(question.encode() + b"\n")
        await writer.drain()
        everything = await reader.read()
        return everything.decode().splitlines()
    finally:
        writer.close()
        await writer.wait_closed()


async def ask_waits_for_a_close_it_never_made(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            await writer.drain()
            replies.append((await reader.readline()).decode().strip())
        return replies
    finally:
        await writer.wait_closed()


async def ask_keeps_newlines(port: int, questions: list[str]) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        replies = []
        for question in questions:
            writer.write(question.encode() + b"\n")
            await writer.drain()
            replies.append((await reader.readline()).decode())
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


def test_a_plain_socket_is_named_in_the_message() -> None:
    assert "a plain socket" in ex1.evaluate(ask_with_a_plain_socket).message


def test_ask_that_pipelines_its_questions_is_right_too() -> None:
    async def ask(port: int, questions: list[str]) -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.writelines(question.encode() + b"\n" for question in questions)
            await writer.drain()
            return [(await reader.readline()).decode().rstrip("\n") for _ in questions]
        finally:
            writer.close()
            await writer.wait_closed()

    assert_correct(ex1, ask)


def test_ask_with_a_timeout_on_each_reply_is_right_too() -> None:
    async def ask(port: int, questions: list[str]) -> list[str]:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
        replies = []
        try:
            for question in questions:
                writer.write(f"{question}\n".encode())
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(), 2)
                replies.append(line.decode().strip())
        finally:
            writer.close()
            await writer.wait_closed()
        return replies

    assert_correct(ex1, ask)


def test_correct_ask_states_what_was_measured() -> None:
    message = ex1.evaluate(worked(LESSON)["ask"]).message
    assert "over one connection (4 writes, 4 drains)" in message
    assert "ended cancelled and closed its connection" in message


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


async def watch_forgot_await_start(command: list[str], on_line: Any) -> int:
    process = asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[attr-defined]
        on_line(line.decode().rstrip())
    return await process.wait()  # type: ignore[attr-defined]


async def watch_without_a_pipe(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line.decode().rstrip())
    return await process.wait()


async def watch_reads_past_the_end(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    while True:
        line = await process.stdout.readline()  # type: ignore[union-attr]
        on_line(line.decode().rstrip())


async def watch_waits_then_reads(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    status = await process.wait()
    output = await process.stdout.read()  # type: ignore[union-attr]
    for line in output.decode().splitlines():
        on_line(line)
    return status


async def watch_reads_everything_first(command: list[str], on_line: Any) -> int:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    output = await process.stdout.read()  # type: ignore[union-attr]
    for line in output.decode().splitlines():
        on_line(line)
    return await process.wait()


async def watch_with_popen(command: list[str], on_line: Any) -> int:
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:  # type: ignore[union-attr]
            on_line(line.rstrip())
    return process.returncode


async def watch_returns_the_wait(command: list[str], on_line: Any) -> Any:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line.decode().rstrip())
    return process.wait()


async def watch_guesses_when_it_ends(command: list[str], on_line: Any) -> int | None:
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    async for line in process.stdout:  # type: ignore[union-attr]
        on_line(line.decode().rstrip())
    await asyncio.sleep(0.5)  # "it will have finished by then"
    return process.returncode


def test_watch_with_readline_until_the_end_is_right_too() -> None:
    async def watch(command: list[str], on_line: Any) -> int:
        process = await asyncio.create_subprocess_exec(
            command[0], *command[1:], stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        while line := await process.stdout.readline():
            on_line(line.decode().strip())
        await process.wait()
        return process.returncode  # type: ignore[return-value]

    assert_correct(ex2, watch)


def test_a_process_left_running_is_not_blamed_on_the_next_check() -> None:
    ex2.evaluate(watch_never_waits)
    assert_correct(ex1, worked(LESSON)["ask"])
    assert_correct(ex2, worked(LESSON)["watch"])


def test_correct_watch_states_what_was_measured() -> None:
    message = ex2.evaluate(worked(LESSON)["watch"]).message
    assert "passed on the 3 lines as the program printed them, over 0.4 s" in message
    assert "exit status, 3" in message


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


async def fetch_all_batch_timeout_caught(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str:
            async with semaphore:
                return await get_text(session, url)

        try:
            async with asyncio.timeout(timeout):
                return await asyncio.gather(*(one(url) for url in urls))
        except TimeoutError:
            return [None] * len(urls)


async def fetch_all_timeout_around_the_wait(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            try:
                async with asyncio.timeout(timeout):
                    async with semaphore:
                        return await get_text(session, url)
            except TimeoutError:
                return None

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_timeout_not_caught(urls: list[str], limit: int, timeout: float) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str:
            async with semaphore, asyncio.timeout(timeout):
                return await get_text(session, url)

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_keeps_the_place_of_a_timeout(
    urls: list[str], limit: int, timeout: float
) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            await semaphore.acquire()
            try:
                async with asyncio.timeout(timeout):
                    text = await get_text(session, url)
            except TimeoutError:
                return None  # the place is never given back
            semaphore.release()
            return text

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_session_per_request(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str | None:
        async with semaphore, aiohttp.ClientSession() as session:
            try:
                async with asyncio.timeout(timeout):
                    return await get_text(session, url)
            except TimeoutError:
                return None

    return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_semaphore_per_request(urls: list[str], limit: int, timeout: float) -> list:
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            async with asyncio.Semaphore(limit):
                try:
                    async with asyncio.timeout(timeout):
                        return await get_text(session, url)
                except TimeoutError:
                    return None

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_never_fails(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            async with semaphore:
                try:
                    async with asyncio.timeout(timeout):
                        return await get_text(session, url)
                except TimeoutError:
                    return None

        try:
            return await asyncio.gather(*(one(url) for url in urls))
        except:  # noqa: E722 - "fetch_all must never fail": the mistake under test
            return [None] * len(urls)


async def fetch_all_catches_everything(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            async with semaphore:
                try:
                    async with asyncio.timeout(timeout):
                        return await get_text(session, url)
                except BaseException:  # "whatever goes wrong, that page is None"
                    return None

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_forgets_the_text(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> str | None:
            async with semaphore:
                try:
                    async with asyncio.timeout(timeout), session.get(url) as response:
                        await response.text()
                except TimeoutError:
                    return None
            return None

        return await asyncio.gather(*(one(url) for url in urls))


async def fetch_all_closes_only_at_the_end(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    session = aiohttp.ClientSession()

    async def one(url: str) -> str | None:
        async with semaphore:
            try:
                async with asyncio.timeout(timeout):
                    return await get_text(session, url)
            except TimeoutError:
                return None

    pages = await asyncio.gather(*(one(url) for url in urls))
    await session.close()
    return pages


async def fetch_all_forgot_await_text(urls: list[str], limit: int, timeout: float) -> list:
    semaphore = asyncio.Semaphore(limit)
    async with aiohttp.ClientSession() as session:

        async def one(url: str) -> Any:
            async with semaphore:
                try:
                    async with asyncio.timeout(timeout), session.get(url) as response:
                        return response.text()
                except TimeoutError:
                    return None

        return await asyncio.gather(*(one(url) for url in urls))


def test_a_one_by_one_fetch_slowed_past_the_time_limit_is_still_called_sequential() -> None:
    # One by one takes 2.5 s; a busy machine can stretch it past the 3 s limit.  It gave
    # up on /hang and went on, so it is not the answer without a timeout.
    async def fetch_all_one_by_one_on_a_busy_machine(
        urls: list[str], limit: int, timeout: float
    ) -> list[Any]:
        pages = await fetch_all_one_by_one(urls, limit, timeout)
        await asyncio.sleep(1.5)
        return pages

    result = ex3.evaluate(fetch_all_one_by_one_on_a_busy_machine)
    assert result.mistake == "sequential", result.message


def test_a_slot_wait_timeout_is_named_when_the_server_finished_its_late_pages() -> None:
    # On a busy machine, the timeout around the wait for a place can fire just as the
    # server sends /item/5 and /item/6: the site counts them served, the answer returns
    # None (and for /item/7 to /item/10, never asked for).  They were the last pages asked
    # for, after every page that came back right: the timeout started too early, nothing
    # was "lost on the way".
    from collections import Counter

    from asyncio_tutorial.checkers.core import Wrong
    from asyncio_tutorial.checkers.lesson05 import fetcher

    value = list(fetcher.EXPECTED[:5]) + [None] * 6  # /item/5 to /item/10 timed out
    traffic = fetcher._Timeline()
    for path in fetcher.PATHS[:7]:
        traffic.request_started(path)
    for path in ["/item/1", "/item/2", "/item/3", "/item/4", "/hang", "/item/5", "/item/6"]:
        traffic.request_ended(path)
    served = Counter({path: 1 for path in fetcher.PATHS[1:7]})
    outcome = fetcher.Outcome(value=value, waits=[fetcher.TIMEOUT] * len(fetcher.PATHS))
    with pytest.raises(Wrong) as raised:
        fetcher._judge_pages(outcome, served, traffic, "fetch_all(...)")
    assert raised.value.mistake == "timeout_includes_slot_wait", raised.value.message
    assert "/item/5, /item/6, /item/7" in raised.value.message
    # The same pages served and dropped, but asked for before pages that came back:
    # the answer lost them itself.
    traffic = fetcher._Timeline()
    for path in ["/hang", "/item/5", "/item/6", *fetcher.PATHS[1:5]]:
        traffic.request_started(path)
    with pytest.raises(Wrong) as raised:
        fetcher._judge_pages(outcome, served, traffic, "fetch_all(...)")
    assert raised.value.mistake == "wrong_value", raised.value.message


def test_too_slow_at_the_time_limit_says_what_it_should_take() -> None:
    async def fetch_all_dawdling(urls: list[str], limit: int, timeout: float) -> list[Any]:
        semaphore = asyncio.Semaphore(limit)
        async with aiohttp.ClientSession() as session:

            async def one(url: str) -> str | None:
                async with semaphore:
                    await asyncio.sleep(0.6)  # "be gentle with the server"
                    try:
                        async with asyncio.timeout(timeout):
                            return await get_text(session, url)
                    except TimeoutError:
                        return None

            return await asyncio.gather(*(one(url) for url in urls))

    result = ex3.evaluate(fetch_all_dawdling)
    assert result.mistake == "too_slow", result.message
    assert "where it takes 0.9 s" in result.message


def test_unbounded_fetch_all_is_told_what_the_server_saw() -> None:
    message = ex3.evaluate(fetch_all_unbounded).message
    assert "the server had 11 of the 11 requests in flight at once" in message
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


def test_fetch_all_with_a_task_group_and_wait_for_is_right_too() -> None:
    async def fetch_all(urls: list[str], limit: int, timeout: float) -> list[Any]:
        semaphore = asyncio.Semaphore(limit)

        async def one(session: aiohttp.ClientSession, url: str) -> str | None:
            async with semaphore:
                try:
                    return await asyncio.wait_for(get_text(session, url), timeout)
                except TimeoutError:
                    return None

        async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(session, url)) for url in urls]
        return [task.result() for task in tasks]

    assert_correct(ex3, fetch_all)


def test_fetch_all_with_aiohttps_own_timeout_is_right_too() -> None:
    async def fetch_all(urls: list[str], limit: int, timeout: float) -> list[Any]:
        semaphore = asyncio.Semaphore(limit)
        per_request = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=per_request) as session:

            async def one(url: str) -> str | None:
                async with semaphore:
                    try:
                        async with session.get(url) as response:
                            return await response.text()
                    except TimeoutError:
                        return None

            return list(await asyncio.gather(*(one(url) for url in urls)))

    assert_correct(ex3, fetch_all)


def test_correct_fetch_all_states_what_was_measured() -> None:
    message = ex3.evaluate(worked(LESSON)["fetch_all"]).message
    assert "returned the 10 pages in order, with None for the one that never answered" in (message)
    assert "after 0.9 s" in message and "had 3 again once /hang was given up" in message
    assert "it ended cancelled, its session closed" in message


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
    ex2.evaluate(watch_never_waits)  # a program left running: waited for, or stopped
    ex3.evaluate(fetch_all_with_urllib)  # blocked in a socket call until the server stopped
    ex3.evaluate(fetch_all_session_left_open)
    deadline = time.monotonic() + 5
    while set(course_threads()) - threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(course_threads()) - threads_before == set()
    assert open_fds() == fds_before


def test_an_open_session_or_process_is_not_blamed_on_the_next_check() -> None:
    # The issue: a worked answer rejected right after an answer that left an aiohttp
    # session open, its garbage collected (and its warnings recorded) during the later
    # check.  Each kind of thing left open, then every worked answer.
    for exercise, answer in (
        (ex3, fetch_all_session_left_open),
        (ex3, fetch_all_closes_only_at_the_end),
        (ex1, ask_left_open),
        (ex2, watch_never_waits),
        (ex2, watch_with_popen),
    ):
        exercise.evaluate(answer)
        for after in (ex1, ex2, ex3):
            assert_correct(after, worked(LESSON)[after.answer])


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (ask_left_open, "connection_left_open"),
        (ask_forgot_await_readline, "forgot_await"),
        (ask_without_newline, "no_newline"),
        (ask_with_a_plain_socket, "blocking_client"),
        (ask_connection_per_question, "connection_per_question"),
        (ask_returns_bytes, "wrong_value"),
        (ask_forgot_await_wait_closed, "forgot_await"),
        (ask_without_drain, "no_drain"),
        (ask_closes_without_waiting, "wait_closed_skipped"),
        (ask_closes_only_when_all_goes_well, "not_closed_on_error"),
        (ask_catches_everything, "swallowed_cancel"),
        (ask_reads_to_the_end, "read_until_eof"),
        (ask_keeps_newlines, "newline_kept"),
        (ask_waits_for_a_close_it_never_made, "connection_left_open"),
    ],
    ex2: [
        (watch_communicate, "not_streamed"),
        (watch_subprocess_run, "blocking_subprocess"),
        (watch_never_waits, "not_waited"),
        (watch_bytes, "not_decoded"),
        (watch_keeps_newlines, "newline_kept"),
        (watch_forgot_await_start, "forgot_await"),
        (watch_without_a_pipe, "no_pipe"),
        (watch_reads_past_the_end, "no_eof_check"),
        (watch_waits_then_reads, "not_streamed"),
        (watch_reads_everything_first, "not_streamed"),
        (watch_with_popen, "blocking_subprocess"),
        (watch_returns_the_wait, "forgot_await"),
        (watch_guesses_when_it_ends, "not_waited"),
    ],
    ex3: [
        (fetch_all_unbounded, "unbounded"),
        (fetch_all_one_by_one, "sequential"),
        (fetch_all_no_timeout, "no_timeout"),
        (fetch_all_with_urllib, "blocking_client"),
        (fetch_all_session_left_open, "session_left_open"),
        (fetch_all_timeout_on_the_batch, "timeout_on_the_batch"),
        (fetch_all_as_they_come, "wrong_order"),
        (fetch_all_batch_timeout_caught, "timeout_on_the_batch"),
        (fetch_all_timeout_around_the_wait, "timeout_includes_slot_wait"),
        (fetch_all_timeout_not_caught, "timeout_not_caught"),
        (fetch_all_keeps_the_place_of_a_timeout, "slot_never_released"),
        (fetch_all_session_per_request, "session_per_request"),
        (fetch_all_semaphore_per_request, "semaphore_per_call"),
        (fetch_all_never_fails, "swallowed_cancel"),
        (fetch_all_catches_everything, "swallowed_cancel"),
        (fetch_all_forgets_the_text, "wrong_value"),
        (fetch_all_closes_only_at_the_end, "not_closed_on_error"),
        (fetch_all_forgot_await_text, "forgot_await"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
