"""Lesson 04's checkers: each realistic wrong answer gets its own message, and right
answers written other ways than the worked one pass too.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import weakref
from typing import Any

import pytest
from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.core import CORRECT
from asyncio_tutorial.checkers.lesson04 import (
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    slow_checksum,
    start_job,
    start_lookup,
    subscribe,
)

LESSON = "04-futures"


def assert_correct(exercise: Any, answer: Any) -> None:
    result = exercise.evaluate(answer)
    assert result.status == CORRECT, result.message


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


def delayed_with_a_threading_timer(seconds: float, value: Any) -> asyncio.Future[Any]:
    future = asyncio.get_running_loop().create_future()
    threading.Timer(seconds, future.set_result, (value,)).start()
    return future


def delayed_completed_by_a_task(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    async def complete() -> None:
        await asyncio.sleep(seconds)
        if not future.done():
            future.set_result(value)

    loop.create_task(complete())
    return future


def delayed_cancelling_with_the_future(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    timer = loop.call_later(seconds, future.set_result, value)
    future.add_done_callback(timer.cancel)  # called as timer.cancel(future)
    return future


def delayed_call_at_seconds(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    timer = loop.call_at(seconds, future.set_result, value)
    future.add_done_callback(lambda _: timer.cancel())
    return future


def delayed_returns_the_result(seconds: float, value: Any) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result, value)
    return future.result()


def delayed_on_a_new_loop(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result, value)
    loop.close()
    return future


def delayed_soon(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, value)
    return future


def delayed_from_a_thread_safely(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def complete() -> None:
        if not future.done():
            future.set_result(value)

    threading.Timer(seconds, loop.call_soon_threadsafe, (complete,)).start()
    return future


def delayed_in_milliseconds(seconds: float, value: Any) -> asyncio.Future[Any]:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    timer = loop.call_later(seconds * 1000, future.set_result, value)
    future.add_done_callback(lambda _: timer.cancel())
    return future


def test_delayed_not_cancel_safe_is_told_about_the_late_timer() -> None:
    message = ex1.evaluate(delayed_not_cancel_safe).message
    assert "InvalidStateError" in message and "timer.cancel()" in message


def test_a_future_completed_from_a_thread_is_named_by_the_thread_not_by_luck() -> None:
    # The result arrives (the runner's watchdog wakes the loop), but set_result ran on
    # the timer's thread: the future says so itself.
    message = ex1.evaluate(delayed_with_a_threading_timer).message
    assert "completed from Thread-" in message, message


def test_delayed_right_other_ways() -> None:
    def delayed_guarded(seconds: float, value: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def complete() -> None:
            if not future.done():
                future.set_result(value)

        loop.call_later(seconds, complete)
        return future

    def delayed_call_at(seconds: float, value: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.Future()
        loop = future.get_loop()
        timer = loop.call_at(loop.time() + seconds, future.set_result, value)
        future.add_done_callback(lambda _: timer.cancel())
        return future

    assert_correct(ex1, delayed_guarded)
    assert_correct(ex1, delayed_call_at)


@pytest.mark.parametrize(
    ("exercise", "measured"),
    [
        (ex1, ["'ding' after {0.2} s", "0.2 s exactly", "{0.3} s together"]),
        (ex2, ["21.5 after {0.1} s", "ConnectionError was raised to its caller after {0.2} s"]),
        (ex3, ["after {0.4} s", "set on the loop's own thread"]),
        (ex4, ["after {0.4} s, not 0.9 s", "3 at once"]),
        (ex5, ["after {0.3} s", "3 lookups at work at once", "LookupError after {0.1} s"]),
    ],
    ids=lambda value: getattr(value, "name", "measured"),
)
def test_correct_messages_state_what_was_measured(exercise: Any, measured: list[str]) -> None:
    message = exercise.evaluate(worked(LESSON)[exercise.answer]).message
    assert all(says_measured(message, part) for part in measured), message


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


async def first_reading_polls_a_list(sensor: str) -> Any:
    readings: list[Any] = []
    subscribe(sensor, readings.append, readings.append)
    while not readings:
        await asyncio.sleep(0.01)
    if isinstance(readings[0], Exception):
        raise readings[0]
    return readings[0]


async def first_reading_raising_in_the_callback(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    def on_error(error: Exception) -> None:
        raise error  # inside the loop's callback: nobody is there to catch it

    subscribe(sensor, on_reading, on_error)
    return await future


async def first_reading_takes_the_result_at_once(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, on_reading, future.set_exception)
    return future.result()


async def first_reading_running_the_loop(sensor: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, on_reading, future.set_exception)
    return loop.run_until_complete(future)


async def first_reading_swallowing_the_error(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not future.done():
            future.set_exception(error)

    subscribe(sensor, on_reading, on_error)
    try:
        return await future
    except ConnectionError:
        return None


async def first_reading_spinning_on_done(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    subscribe(sensor, on_reading, future.set_exception)
    while not future.done():
        pass
    return future.result()


async def first_reading_swallowing_cancellation(sensor: str) -> Any:
    future = asyncio.get_running_loop().create_future()

    def on_reading(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not future.done():
            future.set_exception(error)

    subscribe(sensor, on_reading, on_error)
    try:
        return await future
    except asyncio.CancelledError:
        return None  # "nothing came": but the caller asked to stop, and never hears it


def test_a_reading_after_the_caller_gave_up_is_told_apart_from_a_second_reading() -> None:
    assert "second call" in ex2.evaluate(first_reading_no_done_check).message
    assert "gave up" in ex2.evaluate(first_reading_flag_not_done).message


def test_first_reading_right_other_ways() -> None:
    async def first_reading_with_an_event(sensor: str) -> Any:
        arrived = asyncio.Event()
        box: list[Any] = []

        def keep(value: Any) -> None:
            if not box:
                box.append(value)
                arrived.set()

        subscribe(sensor, keep, keep)
        await arrived.wait()
        if isinstance(box[0], Exception):
            raise box[0]
        return box[0]

    async def first_reading_one_callback(sensor: str) -> Any:
        future: asyncio.Future[Any] = asyncio.Future()

        def complete(value: Any, error: Exception | None = None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

        subscribe(sensor, complete, lambda error: complete(None, error))
        return await future

    assert_correct(ex2, first_reading_with_an_event)
    assert_correct(ex2, first_reading_one_callback)


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


async def run_job_waits_for_the_result(job: str) -> Any:
    threaded: concurrent.futures.Future[str] = concurrent.futures.Future()
    start_job(job, threaded.set_result)
    return threaded.result()  # blocks the loop's thread


async def run_job_calling_set_result_in_the_thread(job: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    start_job(job, lambda result: loop.call_soon_threadsafe(future.set_result(result)))
    return await future


async def run_job_polls_a_list(job: str) -> Any:
    results: list[str] = []
    start_job(job, results.append)
    while not results:
        await asyncio.sleep(0.05)
    return results[0]


async def run_job_sleeps_then_looks(job: str) -> Any:
    results: list[str] = []
    start_job(job, results.append)
    await asyncio.sleep(0.5)  # "the job takes 0.4 s"
    return results[0] if results else None


async def run_job_without_return(job: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    start_job(job, lambda result: loop.call_soon_threadsafe(future.set_result, result))
    await future


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


def test_set_result_from_a_thread_is_told_to_use_call_soon_threadsafe() -> None:
    message = ex3.evaluate(run_job_set_result_in_thread).message
    assert "call_soon_threadsafe" in message and "set_result ran in the thread" in message


def test_run_job_right_other_ways() -> None:
    async def run_job_wrap_future(job: str) -> Any:
        threaded: concurrent.futures.Future[str] = concurrent.futures.Future()
        start_job(job, threaded.set_result)
        return await asyncio.wrap_future(threaded)

    async def run_job_run_coroutine_threadsafe(job: str) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        async def deliver(result: str) -> None:
            future.set_result(result)

        start_job(job, lambda result: asyncio.run_coroutine_threadsafe(deliver(result), loop))
        return await future

    assert_correct(ex3, run_job_wrap_future)
    assert_correct(ex3, run_job_run_coroutine_threadsafe)


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


async def checksums_leaving_the_pool(names: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [loop.run_in_executor(pool, slow_checksum, name) for name in names]
    return await asyncio.gather(*futures)  # the with block's end has waited already


async def checksums_as_completed(names: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(None, slow_checksum, name) for name in names]
    return [await future for future in asyncio.as_completed(futures)]


async def checksums_from_the_done_set(names: list[str]) -> list[str]:
    tasks = [asyncio.create_task(asyncio.to_thread(slow_checksum, name)) for name in names]
    done, _ = await asyncio.wait(tasks)
    return [task.result() for task in done]


async def checksums_pool_map(names: list[str]) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        return list(pool.map(slow_checksum, names))


async def checksums_in_one_job(names: list[str]) -> list[str]:
    return await asyncio.to_thread(lambda: [slow_checksum(name) for name in names])


async def checksums_calling_it(names: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(None, slow_checksum(name)) for name in names]
    return await asyncio.gather(*futures)  # type: ignore[arg-type]


async def checksums_gathering_concurrent_futures(names: list[str]) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [pool.submit(slow_checksum, name) for name in names]
        return await asyncio.gather(*futures)  # type: ignore[arg-type]


async def checksums_spinning_until_done(names: list[str]) -> list[str]:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = [pool.submit(slow_checksum, name) for name in names]
        while not all(future.done() for future in futures):
            pass
        return [future.result() for future in futures]


def test_results_read_from_a_set_are_out_of_order_every_time() -> None:
    # asyncio.wait's done set used to iterate in an order that could be right by luck.
    for _ in range(3):
        assert ex4.evaluate(checksums_from_the_done_set).mistake == "lost_order"


def test_checksums_right_other_ways() -> None:
    async def checksums_to_thread(names: list[str]) -> list[str]:
        return await asyncio.gather(*(asyncio.to_thread(slow_checksum, n) for n in names))

    async def checksums_task_group(names: list[str]) -> list[str]:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(asyncio.to_thread(slow_checksum, n)) for n in names]
        return [task.result() for task in tasks]

    async def checksums_wrap_future(names: list[str]) -> list[str]:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(names)) as pool:
            futures = [asyncio.wrap_future(pool.submit(slow_checksum, n)) for n in names]
            return await asyncio.gather(*futures)

    for answer in (checksums_to_thread, checksums_task_group, checksums_wrap_future):
        assert_correct(ex4, answer)


# --- exercise 5: locate -------------------------------------------------------------------


async def locate_takes_the_result(address: str) -> Any:
    return start_lookup(address).result()  # blocks the loop's thread


async def locate_awaits_the_concurrent_future(address: str) -> Any:
    return await start_lookup(address)  # type: ignore[misc]


async def locate_returns_the_library_future(address: str) -> Any:
    return start_lookup(address)


async def locate_wraps_without_await(address: str) -> Any:
    return asyncio.wrap_future(start_lookup(address))


async def locate_sets_result_from_the_thread(address: str) -> Any:
    future: asyncio.Future[Any] = asyncio.Future()
    start_lookup(address).add_done_callback(lambda done: future.set_result(done.result()))
    return await future


async def locate_threadsafe_but_errors_lost(address: str) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    start_lookup(address).add_done_callback(
        lambda done: loop.call_soon_threadsafe(future.set_result, done.result())
    )
    return await future


async def locate_polls_done(address: str) -> Any:
    lookup = start_lookup(address)
    while not lookup.done():
        await asyncio.sleep(0.01)
    return lookup.result()


async def locate_sleeps_then_takes_it(address: str) -> Any:
    lookup = start_lookup(address)
    await asyncio.sleep(0.3)  # "the slowest place takes 0.3 s"
    return lookup.result()


async def locate_sleeps_too_little_then_takes_it(address: str) -> Any:
    lookup = start_lookup(address)
    await asyncio.sleep(0.1)  # too short for Paris (0.3 s): result() blocks the loop
    return lookup.result()


def test_a_fixed_wait_that_was_too_short_is_named_as_the_guess_it_is() -> None:
    # As a fixed wait of 0.3 s is on a loaded machine, where a lookup comes late.
    result = ex5.evaluate(locate_sleeps_too_little_then_takes_it)
    assert result.mistake == "fixed_wait", result.message
    assert "waited a fixed time (0.1, 0.1, 0.1 s" in result.message
    assert "`.result()` blocked the loop's thread" in result.message


async def locate_result_in_the_executor(address: str) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, start_lookup(address).result)


async def locate_spins_on_done(address: str) -> Any:
    lookup = start_lookup(address)
    while not lookup.done():
        pass
    return lookup.result()


async def locate_shielded(address: str) -> Any:
    return await asyncio.shield(asyncio.wrap_future(start_lookup(address)))


async def locate_swallowing_cancellation(address: str) -> Any:
    try:
        return await asyncio.wrap_future(start_lookup(address))
    except asyncio.CancelledError:
        return None


async def locate_with_futures_wait(address: str) -> Any:
    lookup = start_lookup(address)
    concurrent.futures.wait([lookup])  # blocks the loop's thread
    return lookup.result()


async def locate_swallowing_the_error(address: str) -> Any:
    try:
        return await asyncio.wrap_future(start_lookup(address))
    except LookupError:
        return None


async def locate_one_at_a_time(address: str) -> Any:
    # "The library may not like two lookups at once": one lock for all of them (per
    # loop, so that the test can run it again on a new loop).
    lock = _LOOKING_UP.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        return await asyncio.wrap_future(start_lookup(address))


async def locate_error_as_value(address: str) -> Any:
    try:
        return await asyncio.wrap_future(start_lookup(address))
    except LookupError as error:
        return error


_LOOKING_UP: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def test_waiting_in_a_pool_thread_is_not_accepted_and_says_why() -> None:
    # It works while nobody gives up; it ties a thread up per lookup, and a caller that
    # gives up cannot call the lookup off: the message says so.
    message = ex5.evaluate(locate_result_in_the_executor).message
    assert "tied up" in message and "call off" in message, message


def test_locate_right_other_ways() -> None:
    async def locate_with_the_loop_argument(address: str) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(start_lookup(address), loop=loop)

    async def locate_by_hand(address: str) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        lookup = start_lookup(address)

        def copy(done: concurrent.futures.Future[Any]) -> None:
            if future.done():
                return
            if done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())  # type: ignore[arg-type]
            else:
                future.set_result(done.result())

        lookup.add_done_callback(lambda done: loop.call_soon_threadsafe(copy, done))
        try:
            return await future
        except asyncio.CancelledError:
            lookup.cancel()
            raise

    async def locate_in_a_task(address: str) -> Any:
        return await asyncio.ensure_future(asyncio.wrap_future(start_lookup(address)))

    for answer in (locate_with_the_loop_argument, locate_by_hand, locate_in_a_task):
        assert_correct(ex5, answer)


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (delayed_async, "not_plain"),
        (delayed_not_cancel_safe, "set_result_on_done_future"),
        (delayed_calls_set_result, "called_not_passed"),
        (delayed_task, "used_a_task"),
        (delayed_threaded, "wrong_kind_of_future"),
        (delayed_time_sleep, "blocking"),
        (delayed_returns_nothing, "no_future_returned"),
        (delayed_with_a_threading_timer, "not_threadsafe"),
        (delayed_completed_by_a_task, "completed_by_a_task"),
        (delayed_cancelling_with_the_future, "callback_signature"),
        (delayed_call_at_seconds, "call_at_relative"),
        (delayed_returns_the_result, "result_of_pending"),
        (delayed_on_a_new_loop, "other_loop"),
        (delayed_soon, "no_delay"),
        (delayed_from_a_thread_safely, "used_a_thread"),
        (delayed_in_milliseconds, "wrong_delay"),
    ],
    ex2: [
        (first_reading_no_done_check, "set_result_on_done_future"),
        (first_reading_flag_not_done, "set_result_on_done_future"),
        (first_reading_ignores_errors, "error_ignored"),
        (first_reading_error_as_result, "error_as_result"),
        (first_reading_returns_future, "returned_future"),
        (first_reading_polls_with_time_sleep, "blocking"),
        (first_reading_polls_a_list, "polled"),
        (first_reading_raising_in_the_callback, "raised_in_callback"),
        (first_reading_takes_the_result_at_once, "result_of_pending"),
        (first_reading_running_the_loop, "ran_the_loop"),
        (first_reading_swallowing_the_error, "error_swallowed"),
        (first_reading_spinning_on_done, "blocking"),
        (first_reading_swallowing_cancellation, "swallowed_cancellation"),
    ],
    ex3: [
        (run_job_set_result_in_thread, "not_threadsafe"),
        (run_job_call_soon_in_thread, "not_threadsafe"),
        (run_job_loop_looked_up_in_thread, "loop_looked_up_in_thread"),
        (run_job_waits_on_an_event, "blocked_on_event"),
        (run_job_returns_future, "returned_future"),
        (run_job_waits_for_the_result, "blocked_on_result"),
        (run_job_calling_set_result_in_the_thread, "called_not_passed"),
        (run_job_polls_a_list, "polled"),
        (run_job_sleeps_then_looks, "fixed_wait"),
        (run_job_without_return, "wrong_value"),
    ],
    ex4: [
        (checksums_on_the_loop, "blocking_call_on_loop"),
        (checksums_one_by_one, "sequential"),
        (checksums_result_blocks, "blocked_on_result"),
        (checksums_await_concurrent_future, "not_awaitable_future"),
        (checksums_returns_futures, "returned_future"),
        (checksums_single_worker, "one_worker"),
        (checksums_leaving_the_pool, "blocked_leaving_with"),
        (checksums_as_completed, "lost_order"),
        (checksums_from_the_done_set, "lost_order"),
        (checksums_pool_map, "blocked_on_result"),
        (checksums_in_one_job, "one_job"),
        (checksums_calling_it, "called_not_passed"),
        (checksums_gathering_concurrent_futures, "not_awaitable_future"),
        (checksums_spinning_until_done, "blocking"),
    ],
    ex5: [
        (locate_takes_the_result, "blocked_on_result"),
        (locate_awaits_the_concurrent_future, "not_awaitable_future"),
        (locate_returns_the_library_future, "returned_concurrent_future"),
        (locate_wraps_without_await, "returned_future"),
        (locate_sets_result_from_the_thread, "not_threadsafe"),
        (locate_threadsafe_but_errors_lost, "error_lost"),
        (locate_polls_done, "polled"),
        (locate_sleeps_then_takes_it, "fixed_wait"),
        (locate_sleeps_too_little_then_takes_it, "fixed_wait"),
        (locate_result_in_the_executor, "waited_in_a_thread"),
        (locate_spins_on_done, "blocking"),
        (locate_shielded, "job_not_cancelled"),
        (locate_swallowing_cancellation, "swallowed_cancellation"),
        (locate_with_futures_wait, "blocked_on_event"),
        (locate_swallowing_the_error, "error_swallowed"),
        (locate_one_at_a_time, "sequential"),
        (locate_error_as_value, "error_as_result"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)


@pytest.mark.parametrize("answer", [checksums_single_worker])
def test_a_pool_of_one_is_not_told_to_start_them_all(answer: Any) -> None:
    # It starts them all already: the pool is what serialises them.
    message = ex4.evaluate(answer).message
    assert "Start them all" not in message and "one worker" in message, message
