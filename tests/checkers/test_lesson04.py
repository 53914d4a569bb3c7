"""Lesson 04's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import pytest

from asyncio_tutorial.checkers.lesson04 import (
    ex1,
    ex2,
    ex3,
    ex4,
    slow_checksum,
    start_job,
    subscribe,
)


def by_name(value: Any) -> str:
    return getattr(value, "__name__", str(value))


# --- exercise 1: delayed -----------------------------------------------------------------


async def delayed_async(seconds: float, value: Any) -> Any:
    await asyncio.sleep(seconds)
    return value


def delayed_not_cancel_safe(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result, value)
    return future


def delayed_calls_set_result(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result(value))  # type: ignore[func-returns-value]
    return future


def delayed_task(seconds: float, value: Any) -> asyncio.Future[Any]:
    return asyncio.ensure_future(asyncio.sleep(seconds, value))


def delayed_threaded(seconds: float, value: Any) -> concurrent.futures.Future[Any]:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    threading.Timer(seconds, future.set_result, (value,)).start()
    return future


def delayed_time_sleep(seconds: float, value: Any) -> asyncio.Future[Any]:
    future = asyncio.get_running_loop().create_future()
    time.sleep(seconds)
    future.set_result(value)
    return future


def delayed_returns_nothing(seconds: float, value: Any) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result, value)


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (delayed_async, "not_plain"),
        (delayed_not_cancel_safe, "set_result_on_done_future"),
        (delayed_calls_set_result, "called_not_passed"),
        (delayed_task, "used_a_task"),
        (delayed_threaded, "wrong_kind_of_future"),
        (delayed_time_sleep, "blocking"),
        (delayed_returns_nothing, "no_future_returned"),
    ],
    ids=by_name,
)
def test_delayed_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


def test_delayed_not_cancel_safe_is_told_about_the_late_timer() -> None:
    message = ex1.evaluate(delayed_not_cancel_safe).message
    assert "InvalidStateError" in message and "timer.cancel()" in message


# --- exercise 2: first_reading -----------------------------------------------------------


async def first_reading_no_done_check(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()
    subscribe(sensor, future.set_result, future.set_exception)
    return await future


async def first_reading_flag_not_done(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()
    seen = []

    def on_reading(value: Any) -> None:
        if not seen:  # the first reading only... but a cancelled future is not noticed
            seen.append(value)
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not seen:
            seen.append(error)
            future.set_exception(error)

    subscribe(sensor, on_reading, on_error)
    return await future


async def first_reading_ignores_errors(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, on_reading, lambda error: None)
    return await future


async def first_reading_error_as_result(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def deliver(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, deliver, deliver)
    return await future


async def first_reading_returns_future(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, on_reading, lambda error: None)
    return future


async def first_reading_polls_with_time_sleep(sensor: str) -> Any:
    readings: list[Any] = []
    subscribe(sensor, readings.append, readings.append)
    while not readings:
        time.sleep(0.05)  # the callbacks can never run: the loop is held
    return readings[0]


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (first_reading_no_done_check, "set_result_on_done_future"),
        (first_reading_flag_not_done, "set_result_on_done_future"),
        (first_reading_ignores_errors, "error_ignored"),
        (first_reading_error_as_result, "error_as_result"),
        (first_reading_returns_future, "returned_future"),
        (first_reading_polls_with_time_sleep, "blocking"),
    ],
    ids=by_name,
)
def test_first_reading_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


def test_a_reading_after_the_caller_gave_up_is_told_apart_from_a_second_reading() -> None:
    assert "second call" in ex2.evaluate(first_reading_no_done_check).message
    assert "gave up" in ex2.evaluate(first_reading_flag_not_done).message


# --- exercise 3: run_job -------------------------------------------------------------------


async def run_job_set_result_in_thread(job: str) -> Any:
    future = asyncio.get_running_loop().create_future()
    start_job(job, future.set_result)
    return await future


async def run_job_call_soon_in_thread(job: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    start_job(job, lambda result: loop.call_soon(future.set_result, result))
    return await future


async def run_job_loop_looked_up_in_thread(job: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def callback(result: str) -> None:
        asyncio.get_running_loop().call_soon_threadsafe(future.set_result, result)

    start_job(job, callback)
    return await future


async def run_job_waits_on_an_event(job: str) -> Any:
    finished = threading.Event()
    results: list[str] = []

    def callback(result: str) -> None:
        results.append(result)
        finished.set()

    start_job(job, callback)
    finished.wait()  # blocks the loop until the job is done
    return results[0]


async def run_job_returns_future(job: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    start_job(job, lambda result: loop.call_soon_threadsafe(future.set_result, result))
    return future


def test_a_callback_meeting_a_closed_loop_is_not_called_a_loop_look_up() -> None:
    # On a busy machine the check of an answer that returns its future unawaited can
    # still be running when the job calls back, into a loop that is closed by then.
    # Made certain here: the callback uses a closed loop, the answer returns after it.
    async def run_job_returns_future_after_the_callback(job: str) -> Any:
        future = asyncio.get_running_loop().create_future()
        closed = asyncio.new_event_loop()
        closed.close()
        start_job(job, lambda result: closed.call_soon_threadsafe(future.set_result, result))
        await asyncio.sleep(0.5)
        return future

    result = ex3.evaluate(run_job_returns_future_after_the_callback)
    assert result.mistake == "returned_future", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (run_job_set_result_in_thread, "not_threadsafe"),
        (run_job_call_soon_in_thread, "not_threadsafe"),
        (run_job_loop_looked_up_in_thread, "loop_looked_up_in_thread"),
        (run_job_waits_on_an_event, "blocking"),
        (run_job_returns_future, "returned_future"),
    ],
    ids=by_name,
)
def test_run_job_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_set_result_from_a_thread_is_told_to_use_call_soon_threadsafe() -> None:
    assert "call_soon_threadsafe" in ex3.evaluate(run_job_set_result_in_thread).message


# --- exercise 4: checksums -----------------------------------------------------------------


async def checksums_on_the_loop(names: list[str]) -> list[str]:
    return [slow_checksum(name) for name in names]


async def checksums_one_by_one(names: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(None, slow_checksum, name) for name in names]


async def checksums_result_blocks(names: list[str]) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [pool.submit(slow_checksum, name) for name in names]
        return [future.result() for future in futures]


async def checksums_await_concurrent_future(names: list[str]) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        return [await pool.submit(slow_checksum, name) for name in names]  # type: ignore[misc]


async def checksums_returns_futures(names: list[str]) -> list[Any]:
    loop = asyncio.get_running_loop()
    return [loop.run_in_executor(None, slow_checksum, name) for name in names]


async def checksums_single_worker(names: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return await asyncio.gather(
            *(loop.run_in_executor(pool, slow_checksum, name) for name in names)
        )


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (checksums_on_the_loop, "blocking_call_on_loop"),
        (checksums_one_by_one, "sequential"),
        (checksums_result_blocks, "blocked_on_result"),
        (checksums_await_concurrent_future, "not_awaitable_future"),
        (checksums_returns_futures, "returned_future"),
        (checksums_single_worker, "sequential"),
    ],
    ids=by_name,
)
def test_checksums_mistakes(answer: Any, mistake: str) -> None:
    assert ex4.evaluate(answer).mistake == mistake
