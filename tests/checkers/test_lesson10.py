"""Lesson 10's checkers: the worked answers pass, right answers written other ways pass
too, and each realistic wrong answer gets its own mistake.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
Exercises 2 and 3 grade a *test* written by the learner: the wrong answers below are
tests that miss the bug, fail on correct code, assert nothing or swallow their own
assertion, patch asyncio.sleep, sleep for real or never await.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import sys
import time
import unittest
import unittest.mock
import warnings
from time import perf_counter
from typing import Any

import looptime
import pytest
from exercise_tools import worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.core import CORRECT
from asyncio_tutorial.checkers.lesson10 import (
    Booking,
    RacyBooking,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    ex6,
    retry,
)
from asyncio_tutorial.checkers.lesson10.repl_session import run_repl

LESSON = "10-debugging-and-testing"


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


def uses_get_stack() -> dict[str, str]:
    return {task.get_name(): task.get_stack()[-1].f_code.co_qualname for task in others()}


def coroutine_names_as_keys() -> dict[str, str]:
    return {task.get_coro().__qualname__: innermost(task) for task in others()}  # type: ignore[union-attr]


def coroutines_as_values() -> dict[str, Any]:
    found = {}
    for task in others():
        coro: Any = task.get_coro()
        while inspect.iscoroutine(coro.cr_await):
            coro = coro.cr_await
        found[task.get_name()] = coro
    return found


def prints_instead_of_returning() -> None:
    for task in others():
        print(task.get_name(), innermost(task))


def skips_tasks_awaiting_futures() -> dict[str, str]:
    found = {}
    for task in others():
        coro: Any = task.get_coro()
        if not inspect.iscoroutine(coro.cr_await):
            continue  # "this one is not waiting in anything"
        while inspect.iscoroutine(coro.cr_await):
            coro = coro.cr_await
        found[task.get_name()] = coro.__qualname__
    return found


def invents_a_task() -> dict[str, str]:
    found = {task.get_name(): innermost(task) for task in others()}
    return {**found, "Task-999": "sleep"}


def with_the_call_graph() -> dict[str, str]:
    return {
        task.get_name(): asyncio.capture_call_graph(task).call_stack[0].frame.f_code.co_qualname
        for task in others()
    }


def test_outermost_only_is_told_that_print_stack_shows_one_frame() -> None:
    message = ex1.evaluate(outermost_only).message
    assert "print_stack()" in message and "cr_await" in message


def test_where_waiting_sees_only_the_stuck_programs_tasks() -> None:
    seen: list[dict[str, str]] = []

    def where_waiting() -> dict[str, str]:
        found = {task.get_name(): innermost(task) for task in others()}
        seen.append(found)
        return found

    assert ex1.evaluate(where_waiting).status == CORRECT
    assert set(seen[0]) == {"worker-1", "worker-2", "heartbeat", "notifier", "supervisor"}


def test_a_message_shows_no_task_of_the_checkers() -> None:
    message = ex1.evaluate(a_list).message
    assert "Task-" not in message and message.count("'") == 10, message


def test_where_waiting_with_the_call_graph_needs_python_3_14() -> None:
    result = ex1.evaluate(with_the_call_graph)
    if versions.has("asyncio call graph"):
        assert result.status == CORRECT, result.message
    else:
        assert result.mistake == "call_graph_needs_3_14", result.message
        assert "needs Python 3.14 or newer" in result.message


def test_where_waiting_without_inspect_is_right_too() -> None:
    def where_waiting() -> dict[str, str]:
        me = asyncio.current_task()
        found = {}
        for task in asyncio.all_tasks():
            if task is me:
                continue
            coro: Any = task.get_coro()
            while hasattr(coro.cr_await, "cr_await"):  # only coroutines have one
                coro = coro.cr_await
            found[task.get_name()] = coro.__qualname__
        return found

    result = ex1.evaluate(where_waiting)
    assert result.status == CORRECT, result.message


def test_correct_where_waiting_states_what_it_found() -> None:
    message = ex1.evaluate(worked(LESSON)["where_waiting"]).message
    assert "found the 5 other tasks" in message and "in Queue.get" in message, message


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


async def asserts_nothing_about_the_bookings(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    print("results:", results)


async def swallows_its_assertion(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    try:
        assert sorted(results) == [False, True]
    except AssertionError:
        print("double booking!", results)


async def swallows_everything(Booking: Any) -> None:  # noqa: N803
    try:
        booking = Booking(["12A"])
        results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
        assert sorted(results) == [False, True]
    except Exception as error:
        print("the test failed:", repr(error))


async def patches_sleep_with_a_mock(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    with unittest.mock.patch("asyncio.sleep"):  # "no need to wait for the payment"
        results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert sorted(results) == [False, True]


async def no_wait(seconds: float) -> None:
    pass


async def patches_sleep_for_good(Booking: Any) -> None:  # noqa: N803
    asyncio.sleep = no_wait  # "make the payment instant": and never put back
    booking = Booking(["12A"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert sorted(results) == [False, True]


async def asserts_someone_got_it(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert True in results
    assert booking.owner("12A") is not None


async def two_booking_objects(Booking: Any) -> None:  # noqa: N803
    for_ada, for_bob = Booking(["12A"]), Booking(["12A"])
    results = await asyncio.gather(for_ada.book("12A", "Ada"), for_bob.book("12A", "Bob"))
    assert sorted(results) == [False, True]


async def different_seats(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A", "12B"])
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12B", "Bob"))
    assert results == [True, True]


async def tasks_awaited_one_by_one(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    first = await asyncio.create_task(booking.book("12A", "Ada"))
    second = await asyncio.create_task(booking.book("12A", "Bob"))
    assert sorted([first, second]) == [False, True]


async def uses_the_imported_booking(cls: Any) -> None:
    booking = Booking(["12A"])  # the global one, not the class handed in
    results = await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))
    assert sorted(results) == [False, True]


async def awaits_one_booking_twice(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])
    attempt = booking.book("12A", "Ada")
    first = await attempt
    second = await attempt  # "the same booking again"
    assert [first, second] == [True, False]


async def runs_its_own_loop(Booking: Any) -> None:  # noqa: N803
    booking = Booking(["12A"])

    async def both() -> list[bool]:
        return await asyncio.gather(booking.book("12A", "Ada"), booking.book("12A", "Bob"))

    assert sorted(asyncio.run(both())) == [False, True]


def test_a_test_failing_on_correct_code_is_shown_the_failing_line() -> None:
    message = ex2.evaluate(expects_bookings_in_parallel).message
    assert "assert perf_counter() - started < 0.07" in message


def test_a_test_that_never_awaits_is_told_why_it_always_passes() -> None:
    assert "always true" in ex2.evaluate(never_awaits_book).message


def test_a_test_that_patches_sleep_for_good_leaves_asyncio_sleep_as_it_was() -> None:
    real = asyncio.sleep
    assert ex2.evaluate(patches_sleep_for_good).mistake == "patched_sleep"
    assert asyncio.sleep is real


def test_a_test_with_a_task_group_is_right_too() -> None:
    async def test_seat_is_booked_once(Booking: Any) -> None:  # noqa: N803
        booking = Booking(["12A"])
        async with asyncio.TaskGroup() as group:
            ada = group.create_task(booking.book("12A", "Ada"))
            bob = group.create_task(booking.book("12A", "Bob"))
        assert sorted([ada.result(), bob.result()]) == [False, True]

    result = ex2.evaluate(test_seat_is_booked_once)
    assert result.status == CORRECT, result.message


def test_a_test_with_three_bookings_and_wait_is_right_too() -> None:
    async def test_seat_is_booked_once(Booking: Any) -> None:  # noqa: N803
        booking = Booking(["12A"])
        tasks = [asyncio.create_task(booking.book("12A", who)) for who in ("Ada", "Bob", "Cy")]
        done, _ = await asyncio.wait(tasks)
        assert sum(task.result() for task in done) == 1

    result = ex2.evaluate(test_seat_is_booked_once)
    assert result.status == CORRECT, result.message


def test_correct_booking_test_states_what_each_booking_got() -> None:
    message = ex2.evaluate(worked(LESSON)["test_seat_is_booked_once"]).message
    assert "booked seat 12A twice at once" in message, message
    assert "gave it to one of them" in message and "sold it twice" in message, message


# --- exercise 3: exact backoff on a fake clock ------------------------------------------


def make_flaky(clock: Any, calls: list[float], failures: int = 3) -> Any:
    async def flaky() -> str:
        calls.append(clock())
        if len(calls) <= failures:
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


async def runs_without_asserting(retry: Any) -> None:
    calls: list[float] = []
    result = await retry(make_flaky(asyncio.get_running_loop().time, calls))
    print(result, gaps(calls))


async def swallows_its_assertion_on_the_gaps(retry: Any) -> None:
    calls: list[float] = []
    await retry(make_flaky(asyncio.get_running_loop().time, calls))
    try:
        assert gaps(calls) == [1.0, 2.0, 4.0]
    except AssertionError:
        print("unexpected waits:", gaps(calls))


async def patches_sleep_to_record_the_waits(retry: Any) -> None:
    calls: list[float] = []
    with unittest.mock.patch("asyncio.sleep") as sleep:
        assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert [call.args[0] for call in sleep.await_args_list] == [1.0, 2.0, 4.0]


async def times_out_too_soon(retry: Any) -> None:
    calls: list[float] = []
    async with asyncio.timeout(5):  # "no test should wait long"
        assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert gaps(calls) == [1.0, 2.0, 4.0]


async def reuses_one_coroutine(retry: Any) -> None:
    calls: list[float] = []
    attempt = make_flaky(asyncio.get_running_loop().time, calls)()
    assert await retry(lambda: attempt) == "ok"  # the same coroutine, each attempt
    assert gaps(calls) == [1.0, 2.0, 4.0]


async def checks_only_the_total(retry: Any) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await retry(make_flaky(loop.time, [])) == "ok"
    assert loop.time() - started == 7.0


async def uses_the_imported_retry(implementation: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
    assert gaps(calls) == [1.0, 2.0, 4.0]


async def fails_only_once(retry: Any) -> None:
    calls: list[float] = []
    assert await retry(make_flaky(asyncio.get_running_loop().time, calls, failures=1)) == "ok"
    assert gaps(calls) == [1.0]


async def flaky_takes_time_too(retry: Any) -> None:
    loop = asyncio.get_running_loop()
    calls: list[float] = []

    async def flaky() -> str:
        calls.append(loop.time())
        await asyncio.sleep(0.1)  # "a network call takes time"
        if len(calls) < 4:
            raise ConnectionError("try again")
        return "ok"

    assert await retry(flaky) == "ok"
    assert gaps(calls) == [1.0, 2.0, 4.0]


async def runs_retry_in_its_own_loop(retry: Any) -> None:
    calls: list[float] = []
    assert asyncio.run(retry(make_flaky(time.monotonic, calls))) == "ok"


def test_a_test_on_the_loop_clock_may_round_the_exact_gaps() -> None:
    assert ex3.evaluate(exact_on_the_loop_clock_with_rounding).status == CORRECT


def test_a_hanging_test_is_stopped_at_once_on_the_fake_clock() -> None:
    started = perf_counter()
    assert ex3.evaluate(waits_for_nothing).mistake == "hang"
    assert perf_counter() - started < 1.0


def test_a_tests_own_timeout_is_not_taken_for_the_checkers_limit() -> None:
    async def test_backoff(retry: Any) -> None:
        calls: list[float] = []
        async with asyncio.timeout(10):
            assert await retry(make_flaky(asyncio.get_running_loop().time, calls)) == "ok"
        assert gaps(calls) == [1.0, 2.0, 4.0]

    result = ex3.evaluate(test_backoff)
    assert result.status == CORRECT, result.message
    message = ex3.evaluate(times_out_too_soon).message
    assert "own timeout ran out after 5 s of the loop's clock" in message, message


def test_a_test_awaiting_one_coroutine_twice_is_told_so() -> None:
    result = ex3.evaluate(reuses_one_coroutine)
    assert result.mistake == "reused_coroutine" and "runs once" in result.message


def test_a_test_of_the_absolute_times_as_in_the_lesson_is_right_too() -> None:
    class Flaky:
        def __init__(self, failures: int) -> None:
            self.failures = failures
            self.called_at: list[float] = []

        async def __call__(self) -> str:
            self.called_at.append(asyncio.get_running_loop().time())
            if len(self.called_at) <= self.failures:
                raise ConnectionError("try again")
            return "ok"

    async def test_backoff(retry: Any) -> None:
        flaky = Flaky(failures=3)
        assert await retry(flaky) == "ok"
        assert flaky.called_at == [0, 1, 3, 7]

    result = ex3.evaluate(test_backoff)
    assert result.status == CORRECT, result.message


def test_correct_backoff_test_states_the_times_it_saw() -> None:
    message = ex3.evaluate(worked(LESSON)["test_backoff"]).message
    assert "4 calls came at 0, 1, 3 and 7 s of the loop's clock" in message, message


# --- exercise 4: what debug mode reports -------------------------------------------------


class Keeping(logging.Handler):
    """A handler that keeps each record (as the wrong answers below use it)."""

    def __init__(self, kept: list[Any], message: bool = True) -> None:
        super().__init__()
        self.kept, self.message = kept, message

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append(record.getMessage() if self.message else record)


def captured(run: Any, *, logs: bool = True, caught_warnings: bool = True) -> list[Any]:
    """Call ``run()`` with the asyncio logger and the warnings captured, as asked."""
    reports: list[Any] = []
    handler = Keeping(reports)
    if logs:
        logging.getLogger("asyncio").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            run()
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    if caught_warnings:
        reports += [str(warning.message) for warning in caught]
    return reports


def run_with_threshold(main: Any) -> None:
    with asyncio.Runner(debug=True) as runner:
        runner.get_loop().slow_callback_duration = 0.05
        runner.run(main())


def without_debug_mode(main: Any) -> list[Any]:
    def run() -> None:
        with asyncio.Runner() as runner:
            runner.get_loop().slow_callback_duration = 0.05
            runner.run(main())

    return captured(run)


def debug_on_another_loop(main: Any) -> list[Any]:
    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 0.05
    loop.close()
    return captured(lambda: asyncio.run(main()))


def logger_at_debug_level(main: Any) -> list[Any]:
    logging.getLogger("asyncio").setLevel(logging.DEBUG)  # "debug mode"
    try:
        return captured(lambda: asyncio.run(main()))
    finally:
        logging.getLogger("asyncio").setLevel(logging.NOTSET)


def threshold_left_at_default(main: Any) -> list[Any]:
    return captured(lambda: asyncio.run(main(), debug=True))


def threshold_on_another_loop(main: Any) -> list[Any]:
    asyncio.new_event_loop().slow_callback_duration = 0.05
    return captured(lambda: asyncio.run(main(), debug=True))


def debug_switched_on_inside(main: Any) -> list[Any]:
    async def in_debug_mode() -> None:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = 0.05
        await main()

    return captured(lambda: asyncio.run(in_debug_mode()))


def only_the_warnings(main: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        run_with_threshold(main)
    return [str(warning.message) for warning in caught]


def only_the_log(main: Any) -> list[Any]:
    return captured(lambda: run_with_threshold(main), caught_warnings=False)


def log_records_themselves(main: Any) -> list[Any]:
    records: list[Any] = []
    handler = Keeping(records, message=False)
    logging.getLogger("asyncio").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            run_with_threshold(main)
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    return records + [str(warning.message) for warning in caught]


def unformatted_log_messages(main: Any) -> list[Any]:
    records: list[Any] = []
    handler = Keeping(records, message=False)
    logging.getLogger("asyncio").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            run_with_threshold(main)
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    return [record.msg for record in records] + [str(w.message) for w in caught]


def handler_left_on_the_logger(main: Any) -> list[Any]:
    reports: list[Any] = []
    logging.getLogger("asyncio").addHandler(Keeping(reports))
    with warnings.catch_warnings(record=True) as caught:
        run_with_threshold(main)
    return reports + [str(warning.message) for warning in caught]


def showwarning_replaced_for_good(main: Any) -> list[Any]:
    reports: list[Any] = []
    handler = Keeping(reports)
    logging.getLogger("asyncio").addHandler(handler)
    warnings.showwarning = lambda message, *args, **kwargs: reports.append(str(message))
    try:
        run_with_threshold(main)
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    return reports


def logs_to_stderr_instead(main: Any) -> None:
    logging.basicConfig()
    run_with_threshold(main)


async def debug_report_defined_async(main: Any) -> list[Any]:
    await main()
    return []


def hands_over_the_function(main: Any) -> list[Any]:
    return captured(lambda: asyncio.run(main, debug=True))


def test_debug_switched_on_inside_the_program_is_told_it_came_too_late() -> None:
    result = ex4.evaluate(debug_switched_on_inside)
    assert result.mistake == "debug_too_late", result.message
    assert "asyncio.run(main(), debug=True)" in result.message


def test_a_debug_report_with_asyncio_run_and_the_threshold_inside_is_right_too() -> None:
    def debug_report(main: Any) -> list[str]:
        async def with_threshold() -> None:
            asyncio.get_running_loop().slow_callback_duration = 0.05
            await main()

        return captured(lambda: asyncio.run(with_threshold(), debug=True))

    result = ex4.evaluate(debug_report)
    assert result.status == CORRECT, result.message


def test_a_debug_report_through_the_root_logger_and_capture_warnings_is_right_too() -> None:
    def debug_report(main: Any) -> list[str]:
        reports: list[str] = []
        handler = Keeping(reports)
        root = logging.getLogger()
        root.addHandler(handler)
        logging.captureWarnings(True)  # warnings become records of the py.warnings logger
        try:
            loop = asyncio.new_event_loop()
            loop.set_debug(True)
            loop.slow_callback_duration = 0.05
            try:
                loop.run_until_complete(main())
            finally:
                loop.close()
        finally:
            logging.captureWarnings(False)
            root.removeHandler(handler)
        return reports

    result = ex4.evaluate(debug_report)
    assert result.status == CORRECT, result.message


def test_a_debug_report_leaves_no_handler_on_the_asyncio_logger() -> None:
    before = list(logging.getLogger("asyncio").handlers)
    assert ex4.evaluate(handler_left_on_the_logger).mistake == "capture_left_behind"
    assert logging.getLogger("asyncio").handlers == before


def test_correct_debug_report_names_both_reports() -> None:
    message = ex4.evaluate(worked(LESSON)["debug_report"]).message
    assert "build_report" in message and "created in place_order" in message, message


# --- exercise 5: an IsolatedAsyncioTestCase ----------------------------------------------


def plain_testcase(Shop: Any) -> type:  # noqa: N803 - the class, as the exercise names it
    class TestShop(unittest.TestCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            shop = Shop({"lamp": 1})
            await shop.open()
            self.assertTrue(await shop.reserve("lamp"))
            await shop.close()

    return TestShop


def opens_in_setup_with_asyncio_run(Shop: Any) -> type:  # noqa: N803
    class TestShop(unittest.IsolatedAsyncioTestCase):
        def setUp(self) -> None:
            self.shop = Shop({"lamp": 1})
            asyncio.run(self.shop.open())

        async def asyncTearDown(self) -> None:
            await self.shop.close()

        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    return TestShop


def async_setup_named_setup(Shop: Any) -> type:  # noqa: N803
    class TestShop(unittest.IsolatedAsyncioTestCase):
        async def setUp(self) -> None:  # type: ignore[override]
            self.shop = Shop({"lamp": 1})
            await self.shop.open()

        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    return TestShop


def opens_without_await(Shop: Any) -> type:  # noqa: N803
    class TestShop(unittest.IsolatedAsyncioTestCase):
        def setUp(self) -> None:
            self.shop = Shop({"lamp": 1})
            self.shop.open()

        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    return TestShop


class ShopCase(unittest.IsolatedAsyncioTestCase):
    """The set-up of the right answer, for the wrong answers that differ elsewhere."""

    Shop: Any = None

    async def asyncSetUp(self) -> None:
        self.shop = self.Shop({"lamp": 1})
        await self.shop.open()

    async def asyncTearDown(self) -> None:
        await self.shop.close()


def never_closes(Shop: Any) -> type:  # noqa: N803
    class TestShop(unittest.IsolatedAsyncioTestCase):
        async def asyncSetUp(self) -> None:
            self.shop = Shop({"lamp": 1})
            await self.shop.open()

        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

        async def test_a_second_reservation_is_refused(self) -> None:
            await self.shop.reserve("lamp")
            self.assertFalse(await self.shop.reserve("lamp"))

    return TestShop


def only_the_first_reservation(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    TestShop.Shop = Shop
    return TestShop


def only_the_second_reservation(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_a_second_reservation_is_refused(self) -> None:
            await self.shop.reserve("lamp")
            self.assertFalse(await self.shop.reserve("lamp"))

    TestShop.Shop = Shop
    return TestShop


def reserves_twice_checks_nothing(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_two_reservations(self) -> None:
            first = await self.shop.reserve("lamp")
            second = await self.shop.reserve("lamp")
            self.assertIn(first, (True, False))
            self.assertIn(second, (True, False))

    TestShop.Shop = Shop
    return TestShop


def reservation_not_awaited(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(self.shop.reserve("lamp"))

    TestShop.Shop = Shop
    return TestShop


def asyncio_run_in_a_test(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(asyncio.run(self.shop.reserve("lamp")))

    TestShop.Shop = Shop
    return TestShop


def asyncio_run_in_a_plain_test(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(asyncio.run(self.shop.reserve("lamp")))

    TestShop.Shop = Shop
    return TestShop


def methods_not_named_test(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    TestShop.Shop = Shop
    return TestShop


def returns_an_instance(Shop: Any) -> Any:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

    TestShop.Shop = Shop
    return TestShop("test_reserving_the_lamp_succeeds")


def expects_the_stock_untouched(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))
            self.assertEqual(self.shop.stock["lamp"], 1)

    TestShop.Shop = Shop
    return TestShop


def one_shop_for_all_tests(Shop: Any) -> type:  # noqa: N803
    class TestShop(unittest.IsolatedAsyncioTestCase):
        @classmethod
        def setUpClass(cls) -> None:
            cls.shop = Shop({"lamp": 1})

        async def asyncSetUp(self) -> None:
            await self.shop.open()

        async def asyncTearDown(self) -> None:
            await self.shop.close()

        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))

        async def test_a_second_reservation_is_refused(self) -> None:
            await self.shop.reserve("lamp")
            self.assertFalse(await self.shop.reserve("lamp"))

    return TestShop


def waits_for_the_warehouse(Shop: Any) -> type:  # noqa: N803
    class TestShop(ShopCase):
        async def test_reserving_the_lamp_succeeds(self) -> None:
            self.assertTrue(await self.shop.reserve("lamp"))
            await asyncio.Event().wait()  # "until the warehouse confirms"

    TestShop.Shop = Shop
    return TestShop


def test_a_plain_testcase_is_told_its_async_tests_never_ran() -> None:
    result = ex5.evaluate(plain_testcase)
    assert result.mistake == "plain_testcase" and "never awaited" in result.message


def test_a_test_case_with_sync_set_up_of_an_open_shop_is_right_too() -> None:
    def shop_tests(Shop: Any) -> type:  # noqa: N803
        class TestShop(unittest.IsolatedAsyncioTestCase):
            def setUp(self) -> None:
                self.shop = Shop({"lamp": 1})  # made here, opened on the test's loop

            async def asyncSetUp(self) -> None:
                await self.shop.open()
                self.addAsyncCleanup(self.shop.close)

            async def test_one_lamp_is_sold_once(self) -> None:
                self.assertEqual(
                    [await self.shop.reserve("lamp"), await self.shop.reserve("lamp")],
                    [True, False],
                )

        return TestShop

    result = ex5.evaluate(shop_tests)
    assert result.status == CORRECT, result.message


def test_a_hanging_test_is_stopped_and_the_others_still_run() -> None:
    started = perf_counter()
    assert ex5.evaluate(waits_for_the_warehouse).mistake == "hang"
    assert perf_counter() - started < 2.5


def test_correct_test_case_names_the_tests_that_failed() -> None:
    message = ex5.evaluate(worked(LESSON)["shop_tests"]).message
    assert "never runs out, test_a_second_reservation_is_refused" in message, message


# --- exercise 6: a session at the asyncio REPL -------------------------------------------

START = 'task = asyncio.create_task(asyncio.sleep(1, result="boiled"), name="kettle")'
NAMES = "[t.get_name() for t in asyncio.all_tasks()]"


def asyncio_run_at_the_prompt() -> list[str]:
    return [START, "task.done()", NAMES, "asyncio.run(task)", "task.done()"]


def sleep_not_awaited() -> list[str]:
    return ['asyncio.sleep(1, result="boiled")', "asyncio.all_tasks()"]


def awaits_the_sleep_directly() -> list[str]:
    return ['kettle = await asyncio.sleep(1, result="boiled")', NAMES, "kettle"]


def a_coroutine_in_the_variable() -> list[str]:
    return ['task = asyncio.sleep(1, result="boiled")', "task.done()", NAMES, "await task"]


def task_not_kept() -> list[str]:
    return [
        'asyncio.create_task(asyncio.sleep(1, result="boiled"), name="kettle")',
        "task.done()",
        NAMES,
    ]


def waits_with_time_sleep() -> list[str]:
    return [START, "task.done()", NAMES, "import time", "time.sleep(1)", "task.result()"]


def result_before_done() -> list[str]:
    return [START, "task.done()", NAMES, "task.result()", "task.done()"]


def lines_in_one_string() -> str:
    return "\n".join([START, "task.done()", NAMES, "await task", "task.done()"])


def not_all_strings() -> list[Any]:
    return [START, "task.done()", NAMES, "await task", ["task.done()"]]


def never_awaits_the_task() -> list[str]:
    return [START, "task.done()", NAMES, "task", "task.done()"]


def sleeps_then_reads_the_result() -> list[str]:
    return [START, "task.done()", NAMES, "await asyncio.sleep(1.5)", "task.result()"]


def task_without_a_name() -> list[str]:
    return [
        'task = asyncio.create_task(asyncio.sleep(1, result="boiled"))',
        "task.done()",
        NAMES,
        "await task",
        "task.done()",
    ]


def lists_after_awaiting() -> list[str]:
    return [START, "task.done()", "await task", NAMES, "task.done()"]


def counts_the_tasks() -> list[str]:
    return [START, "task.done()", "len(asyncio.all_tasks())", "await task", "task.done()"]


def never_shows_it_running() -> list[str]:
    return [START, NAMES, "await task", "task.done()"]


def never_shows_it_done() -> list[str]:
    return [START, "task.done()", NAMES, "await task"]


def done_not_called() -> list[str]:
    return [START, "task.done", NAMES, "await task", "task.done"]


def prompts_typed_too() -> list[str]:
    return [f">>> {line}" for line in (START, "task.done()", NAMES, "await task", "task.done()")]


def ps_typed_at_the_prompt() -> list[str]:
    return [START, "task.done()", "python -m asyncio ps 1234", "await task", "task.done()"]


def call_graph_instead_of_all_tasks() -> list[str]:
    return [START, "task.done()", "asyncio.print_call_graph(task)", "await task", "task.done()"]


def sleeps_too_long() -> list[str]:
    long = START.replace("sleep(1,", "sleep(10,")
    return [long, "task.done()", NAMES, "await task", "task.done()"]


def sleeps_too_short() -> list[str]:
    short = START.replace("sleep(1,", "sleep(0,")
    return [short, "await asyncio.sleep(0.01)", "task.done()", NAMES, "await task"]


def a_block_over_several_lines() -> list[str]:
    return [
        "async def boil():",
        "    await asyncio.sleep(1)",
        "    return 'boiled'",
        "",
        "task = asyncio.create_task(boil(), name='kettle')",
        "task.done()",
    ]


def assigns_what_it_awaits() -> list[str]:
    return [START, "task.done()", NAMES, "result = await task", "task.done()"]


def returns_tea() -> list[str]:
    tea = START.replace('"boiled"', '"tea"')
    return [tea, "task.done()", NAMES, "await task", "task.done()"]


def waits_for_too_short() -> list[str]:
    return [START, "task.done()", NAMES, "await asyncio.wait_for(task, 0.1)", "task.done()"]


def exits_at_the_end() -> list[str]:
    return [START, "task.done()", NAMES, "await task", "task.done()", "exit()"]


async def async_repl_session() -> list[str]:
    return [START, "task.done()", NAMES, "await task", "task.done()"]


def test_a_session_with_the_task_set_and_comments_is_right_too() -> None:
    def repl_session() -> tuple[str, ...]:
        return (
            "# start the kettle",
            START,
            "",
            "task.done()",
            "task",
            "asyncio.all_tasks()",
            "await task",
            "task.done()",
            "task.result()",
        )

    result = ex6.evaluate(repl_session)
    assert result.status == CORRECT, result.message


def test_a_session_with_a_one_line_coroutine_and_a_for_loop_is_right_too() -> None:
    def repl_session() -> list[str]:
        return [
            "async def boil(): await asyncio.sleep(1); return 'boiled'",
            "kettle = asyncio.create_task(boil(), name='kettle')",
            "kettle.done()",
            "for t in asyncio.all_tasks(): print(t.get_name())",
            "await kettle",
            "kettle.done()",
        ]

    result = ex6.evaluate(repl_session)
    assert result.status == CORRECT, result.message


def test_correct_session_states_each_echo_and_nothing_of_the_version() -> None:
    message = ex6.evaluate(worked(LESSON)["repl_session"]).message
    assert "echoed False" in message and "echoed 'boiled'" in message, message
    assert "(['kettle'])" in message and "then echoed True" in message, message
    assert sys.version.split()[0] not in message


def test_the_repl_echoes_each_line_apart_from_its_banner_and_prompts() -> None:
    session = run_repl(["x = 21", "x * 2", "print('hi'); x", "1 / 0"], 10)
    assert [line.echo for line in session.lines] == ["", "42", "hi\n21", ""]
    assert session.lines[3].error() == ("ZeroDivisionError", "division by zero")
    assert session.reported and not session.timed_out


def test_a_session_that_waits_too_long_is_stopped_in_time() -> None:
    started = perf_counter()
    assert ex6.evaluate(sleeps_too_long).mistake == "hang"
    assert perf_counter() - started < 10  # 3 s for the lines, and starting the REPL


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (outermost_only, "outermost_only"),
        (includes_itself, "included_current_task"),
        (follows_past_the_coroutines, "followed_past_the_coroutines"),
        (one_level_in, "stopped_one_level_in"),
        (plain_names, "names_not_qualified"),
        (tasks_as_keys, "keys_not_names"),
        (a_list, "wrong_type"),
        (async_where_waiting, "not_plain"),
        (sleeps_to_let_them_settle, "blocking"),
        (uses_get_stack, "outermost_only"),
        (coroutine_names_as_keys, "keys_not_names"),
        (coroutines_as_values, "values_not_names"),
        (prints_instead_of_returning, "wrong_type"),
        (skips_tasks_awaiting_futures, "missed_tasks"),
        (invents_a_task, "wrong_value"),
    ],
    ex2: [
        (sequential, "passes_against_buggy"),
        (sleeps_between_the_two, "timing_dependent"),
        (expects_bookings_in_parallel, "fails_against_correct"),
        (expects_both_to_succeed, "fails_against_correct"),
        (blocks_with_time_sleep, "blocking"),
        (sleeps_for_real, "slow_test"),
        (never_awaits_book, "forgot_await"),
        (never_awaits_gather, "forgot_await"),
        (not_a_coroutine_function, "not_async"),
        (asserts_nothing_about_the_bookings, "asserts_nothing"),
        (swallows_its_assertion, "swallowed_assertion"),
        (swallows_everything, "swallowed_assertion"),
        (patches_sleep_with_a_mock, "patched_sleep"),
        (patches_sleep_for_good, "patched_sleep"),
        (asserts_someone_got_it, "weak_assertion"),
        (two_booking_objects, "separate_instances"),
        (different_seats, "different_seats"),
        (tasks_awaited_one_by_one, "passes_against_buggy"),
        (uses_the_imported_booking, "ignored_the_parameter"),
        (awaits_one_booking_twice, "reused_coroutine"),
        (runs_its_own_loop, "nested_run"),
    ],
    ex3: [
        (measures_with_monotonic, "wall_clock"),
        (measures_with_imported_perf_counter, "wall_clock"),
        (checks_only_the_result, "passes_against_buggy"),
        (expects_a_fourth_wait, "fails_against_correct"),
        (blocks_with_time_sleep_too, "blocking"),
        (waits_for_nothing, "hang"),
        (never_awaits_retry, "forgot_await"),
        (plain_test_backoff, "not_async"),
        (runs_without_asserting, "asserts_nothing"),
        (swallows_its_assertion_on_the_gaps, "swallowed_assertion"),
        (patches_sleep_to_record_the_waits, "patched_sleep"),
        (times_out_too_soon, "timeout_too_short"),
        (reuses_one_coroutine, "reused_coroutine"),
        (checks_only_the_total, "passes_against_buggy"),
        (uses_the_imported_retry, "ignored_the_parameter"),
        (fails_only_once, "too_few_failures"),
        (flaky_takes_time_too, "fails_against_correct"),
        (runs_retry_in_its_own_loop, "nested_run"),
    ],
    ex4: [
        (without_debug_mode, "debug_off"),
        (debug_on_another_loop, "debug_off"),
        (logger_at_debug_level, "debug_off"),
        (threshold_left_at_default, "threshold_not_set"),
        (threshold_on_another_loop, "threshold_not_set"),
        (debug_switched_on_inside, "debug_too_late"),
        (only_the_warnings, "logger_not_captured"),
        (only_the_log, "warnings_not_captured"),
        (log_records_themselves, "records_not_messages"),
        (unformatted_log_messages, "unformatted_message"),
        (handler_left_on_the_logger, "capture_left_behind"),
        (showwarning_replaced_for_good, "capture_left_behind"),
        (logs_to_stderr_instead, "wrong_type"),
        (debug_report_defined_async, "not_plain"),
        (hands_over_the_function, "program_not_run"),
    ],
    ex5: [
        (plain_testcase, "plain_testcase"),
        (opens_in_setup_with_asyncio_run, "another_loop"),
        (async_setup_named_setup, "async_setup_misnamed"),
        (opens_without_await, "forgot_await"),
        (never_closes, "not_closed"),
        (only_the_first_reservation, "passes_against_buggy"),
        (only_the_second_reservation, "weak_assertion"),
        (reserves_twice_checks_nothing, "weak_assertion"),
        (reservation_not_awaited, "forgot_await"),
        (asyncio_run_in_a_test, "nested_run"),
        (asyncio_run_in_a_plain_test, "another_loop"),
        (methods_not_named_test, "no_tests"),
        (returns_an_instance, "wrong_type"),
        (expects_the_stock_untouched, "fails_against_correct"),
        (one_shop_for_all_tests, "fails_against_correct"),
        (waits_for_the_warehouse, "hang"),
    ],
    ex6: [
        (asyncio_run_at_the_prompt, "nested_run"),
        (sleep_not_awaited, "forgot_await"),
        (awaits_the_sleep_directly, "no_task"),
        (a_coroutine_in_the_variable, "no_task"),
        (task_not_kept, "task_not_kept"),
        (waits_with_time_sleep, "blocking"),
        (result_before_done, "result_before_done"),
        (lines_in_one_string, "wrong_type"),
        (not_all_strings, "wrong_type"),
        (never_awaits_the_task, "never_awaited"),
        (sleeps_then_reads_the_result, "never_awaited"),
        (task_without_a_name, "task_not_named"),
        (lists_after_awaiting, "listed_after_done"),
        (counts_the_tasks, "not_listed"),
        (never_shows_it_running, "not_shown_running"),
        (never_shows_it_done, "not_shown_done"),
        (done_not_called, "not_called"),
        (prompts_typed_too, "prompt_included"),
        (ps_typed_at_the_prompt, "shell_command"),
        (call_graph_instead_of_all_tasks, "call_graph_needs_3_14"),
        (sleeps_too_long, "hang"),
        (sleeps_too_short, "finished_too_soon"),
        (a_block_over_several_lines, "multi_line_block"),
        (assigns_what_it_awaits, "result_not_echoed"),
        (returns_tea, "wrong_value"),
        (waits_for_too_short, "timed_out"),
        (exits_at_the_end, "repl_exited"),
        (async_repl_session, "not_plain"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)


@pytest.fixture(autouse=True)
def asyncio_sleep_left_alone() -> Any:
    """No check may leave asyncio.sleep replaced, whatever the test it ran did."""
    real = asyncio.sleep
    yield
    assert asyncio.sleep is real
