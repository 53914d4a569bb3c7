"""Lesson 10's checkers: the worked answer passes, the stub is not attempted, and each
realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
Exercises 2 and 3 grade a *test* written by the learner: the wrong answers below are
tests that miss the bug, fail on correct code, sleep for real or never await.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from time import perf_counter
from typing import Any

import looptime
import pytest

from asyncio_tutorial.checkers.core import CORRECT
from asyncio_tutorial.checkers.lesson10 import (
    Booking,
    RacyBooking,
    ex1,
    ex2,
    ex3,
    retry,
)


def ids(value: Any) -> str:
    return getattr(value, "__name__", str(value))


async def book_twice_at_once(cls: type[Booking]) -> list[bool]:
    booking = cls(["12A"])
    return list(await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob")))


def test_booking_sells_a_seat_once_and_the_racy_one_twice() -> None:
    assert sorted(asyncio.run(book_twice_at_once(Booking))) == [False, True]
    assert asyncio.run(book_twice_at_once(RacyBooking)) == [True, True]


def test_retry_waits_one_two_four_seconds_on_a_fake_clock() -> None:
    async def attempts() -> list[float]:
        loop = asyncio.get_running_loop()
        calls: list[float] = []

        async def flaky() -> str:
            calls.append(loop.time())
            if len(calls) < 4:
                raise ConnectionError("try again")
            return "ok"

        assert await retry(flaky) == "ok"
        return calls

    with asyncio.Runner(loop_factory=looptime.new_event_loop) as runner:
        assert runner.run(attempts()) == [0.0, 1.0, 3.0, 7.0]


# --- exercise 1: where_waiting ---------------------------------------------------------


def innermost(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    while inspect.iscoroutine(coro.cr_await):  # type: ignore[union-attr]
        coro = coro.cr_await  # type: ignore[union-attr]
    return coro.__qualname__  # type: ignore[union-attr]


def others() -> list[asyncio.Task[Any]]:
    return [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]


def outermost_only() -> dict[str, str]:
    return {task.get_name(): task.get_coro().__qualname__ for task in others()}  # type: ignore[union-attr]


def includes_itself() -> dict[str, str]:
    return {task.get_name(): innermost(task) for task in asyncio.all_tasks()}


def follows_past_the_coroutines() -> dict[str, str]:
    found = {}
    for task in others():
        coro: Any = task.get_coro()
        while coro.cr_await is not None:
            coro = coro.cr_await
        found[task.get_name()] = coro.__qualname__
    return found


def one_level_in() -> dict[str, str]:
    found = {}
    for task in others():
        coro: Any = task.get_coro()
        if inspect.iscoroutine(coro.cr_await):
            coro = coro.cr_await
        found[task.get_name()] = coro.__qualname__
    return found


def plain_names() -> dict[str, str]:
    found = {}
    for task in others():
        coro: Any = task.get_coro()
        while inspect.iscoroutine(coro.cr_await):
            coro = coro.cr_await
        found[task.get_name()] = coro.__name__
    return found


def tasks_as_keys() -> dict[Any, str]:
    return {task: innermost(task) for task in others()}


def a_list() -> list[str]:
    return [innermost(task) for task in others()]


async def async_where_waiting() -> dict[str, str]:
    return {task.get_name(): innermost(task) for task in others()}


def sleeps_to_let_them_settle() -> dict[str, str]:
    time.sleep(0.5)
    return {task.get_name(): innermost(task) for task in others()}


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (outermost_only, "outermost_only"),
        (includes_itself, "included_current_task"),
        (follows_past_the_coroutines, "followed_past_the_coroutines"),
        (one_level_in, "stopped_one_level_in"),
        (plain_names, "names_not_qualified"),
        (tasks_as_keys, "keys_not_names"),
        (a_list, "wrong_type"),
        (async_where_waiting, "not_plain"),
        (sleeps_to_let_them_settle, "blocking"),
    ],
    ids=ids,
)
def test_where_waiting_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


def test_outermost_only_is_told_that_print_stack_shows_one_frame() -> None:
    message = ex1.evaluate(outermost_only).message
    assert "print_stack()" in message and "cr_await" in message


def test_where_waiting_may_list_the_checkers_own_helper_tasks() -> None:
    def with_extras() -> dict[str, str]:
        found = {task.get_name(): innermost(task) for task in others()}
        return {**found, "Task-999": "sleep"}

    assert ex1.evaluate(with_extras).status == CORRECT


# --- exercise 2: a test that catches the double booking ----------------------------------


async def sequential(Booking: Any) -> None:  # noqa: N803 - the class, as the exercise names it
    booking = Booking(["12A"])
    first = await booking.book("12A", "Ada")
    second = await booking.book("12A", "Bob")
    assert [first, second] == [True, False]


async def sleeps_between_the_two(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    ada = asyncio.create_task(booking.book("12A", "Ada"))
    await asyncio.sleep(0.01)  # "let Ada's booking get going"
    bob = asyncio.create_task(booking.book("12A", "Bob"))
    assert sorted([await ada, await bob]) == [False, True]


async def expects_bookings_in_parallel(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A", "12B"])
    started = perf_counter()
    await asyncio.gather(booking.book("12A", "Ada"), booking.book("12B", "Bob"))
    assert perf_counter() - started < 0.07  # the lock makes them take turns


async def expects_both_to_succeed(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert results == [True, True]


async def blocks_with_time_sleep(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    ada = asyncio.create_task(booking.book("12A", "Ada"))
    bob = asyncio.create_task(booking.book("12A", "Bob"))
    time.sleep(0.1)  # "wait for the bookings"
    assert sorted([await ada, await bob]) == [False, True]


async def sleeps_for_real(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    ada = asyncio.create_task(booking.book("12A", "Ada"))
    bob = asyncio.create_task(booking.book("12A", "Bob"))
    await asyncio.sleep(1)  # "plenty of time for both"
    assert sorted([ada.result(), bob.result()]) == [False, True]


async def never_awaits_book(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    assert booking.book("12A", "Ada")
    assert booking.book("12A", "Bob")


async def never_awaits_gather(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    results = asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert sorted(results) == [False, True]


def not_a_coroutine_function(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    assert booking.owner("12A") is None


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (sequential, "passes_against_buggy"),
        (sleeps_between_the_two, "timing_dependent"),
        (expects_bookings_in_parallel, "fails_against_correct"),
        (expects_both_to_succeed, "fails_against_correct"),
        (blocks_with_time_sleep, "blocking"),
        (sleeps_for_real, "slow_test"),
        (never_awaits_book, "forgot_await"),
        (never_awaits_gather, "forgot_await"),
        (not_a_coroutine_function, "not_async"),
    ],
    ids=ids,
)
def test_booking_test_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


def test_a_test_failing_on_correct_code_is_shown_the_failing_line() -> None:
    message = ex2.evaluate(expects_bookings_in_parallel).message
    assert "assert perf_counter() - started < 0.07" in message


def test_a_test_that_never_awaits_is_told_why_it_always_passes() -> None:
    assert "always true" in ex2.evaluate(never_awaits_book).message


# --- exercise 3: exact backoff on a fake clock ------------------------------------------


def make_flaky(clock: Any, calls: list[float]) -> Any:
    async def flaky() -> str:
        calls.append(clock())
        if len(calls) < 4:
            raise ConnectionError("try again")
        return "ok"

    return flaky


def gaps(calls: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(calls)]


async def measures_with_monotonic(retry: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(time.monotonic, calls)) == "ok"
    assert [round(gap, 1) for gap in gaps(calls)] == [1.0, 2.0, 4.0]


async def measures_with_imported_perf_counter(retry: Any) -> None:
    calls: list[float] = []

    async def flaky() -> str:
        calls.append(perf_counter())
        if len(calls) < 4:
            raise ConnectionError("try again")
        return "ok"

    assert await retry(flaky) == "ok"
    assert [round(gap, 1) for gap in gaps(calls)] == [1.0, 2.0, 4.0]


async def checks_only_the_result(retry: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert len(calls) == 4


async def expects_a_fourth_wait(retry: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert gaps(calls) == [1.0, 2.0, 4.0, 8.0]


async def blocks_with_time_sleep_too(retry: Any) -> None:
    time.sleep(0.2)  # "give the retries time"


async def waits_for_nothing(retry: Any) -> None:
    await asyncio.Event().wait()


async def never_awaits_retry(retry: Any) -> None:
    calls: list[float] = []
    assert retry(make_flaky(asyncio.get_running_loop().time, calls))


def plain_test_backoff(retry: Any) -> None:
    assert retry is not None


async def exact_on_the_loop_clock_with_rounding(retry: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert [round(gap) for gap in gaps(calls)] == [1, 2, 4]


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (measures_with_monotonic, "wall_clock"),
        (measures_with_imported_perf_counter, "wall_clock"),
        (checks_only_the_result, "passes_against_buggy"),
        (expects_a_fourth_wait, "fails_against_correct"),
        (blocks_with_time_sleep_too, "blocking"),
        (waits_for_nothing, "hang"),
        (never_awaits_retry, "forgot_await"),
        (plain_test_backoff, "not_async"),
    ],
    ids=ids,
)
def test_backoff_test_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_a_test_on_the_loop_clock_may_round_the_exact_gaps() -> None:
    assert ex3.evaluate(exact_on_the_loop_clock_with_rounding).status == CORRECT


def test_a_hanging_test_is_stopped_at_once_on_the_fake_clock() -> None:
    started = perf_counter()
    assert ex3.evaluate(waits_for_nothing).mistake == "hang"
    assert perf_counter() - started < 1.0
