"""Lesson 01's checkers: the worked answer passes, the stub is not attempted, and each
realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.lesson01 import (
    FlakyService,
    Pause,
    add_slowly,
    ex1,
    ex2,
    ex3,
    ex4,
    fetch_team,
    fetch_user,
)


def test_correct_greet_reports_the_measured_wait() -> None:
    message = ex1.evaluate(worked("01-coroutines")["greet"]).message
    assert says_measured(message, "after {0.1} s"), message


# --- exercise 1: greet --------------------------------------------------------------


def greet_plain(name: str) -> str:
    return f"Hello, {name}!"


async def greet_forgot_await(name: str) -> str:
    asyncio.sleep(0.1)  # noqa: RUF006
    return f"Hello, {name}!"


async def greet_time_sleep(name: str) -> str:
    time.sleep(0.1)
    return f"Hello, {name}!"


async def greet_busy_wait(name: str) -> str:
    end = time.monotonic() + 0.1
    while time.monotonic() < end:
        pass
    return f"Hello, {name}!"


async def greet_no_comma(name: str) -> str:
    await asyncio.sleep(0.1)
    return f"Hello {name}!"


async def greet_no_return(name: str) -> None:
    await asyncio.sleep(0.1)
    print(f"Hello, {name}!")


async def greet_hardcoded(name: str) -> str:
    await asyncio.sleep(0.1)
    return "Hello, Ada!"


async def greet_no_wait(name: str) -> str:
    return f"Hello, {name}!"


async def greet_sleeps_a_second(name: str) -> str:
    await asyncio.sleep(1)
    return f"Hello, {name}!"


async def greet_sleeps_twice_as_long(name: str) -> str:
    await asyncio.sleep(0.2)
    return f"Hello, {name}!"


async def greet_returns_the_sleep(name: str) -> Any:
    return asyncio.sleep(0.1, f"Hello, {name}!")


async def greet_runs_a_loop(name: str) -> str:
    asyncio.run(asyncio.sleep(0.1))
    return f"Hello, {name}!"


async def greet_yields(name: str) -> Any:
    await asyncio.sleep(0.1)
    yield f"Hello, {name}!"


async def greet_sleep_in_a_task_never_awaited(name: str) -> str:
    asyncio.create_task(asyncio.sleep(0.1))  # noqa: RUF006 - the mistake under test
    return f"Hello, {name}!"


async def greet_the_literal_name(name: str) -> str:
    await asyncio.sleep(0.1)
    return "Hello, {name}!"


def test_greet_waiting_in_ten_short_sleeps_is_right_too() -> None:
    async def greet(name: str) -> str:
        for _ in range(10):
            await asyncio.sleep(0.01)
        return f"Hello, {name}!"

    result = ex1.evaluate(greet)
    assert result.status == "correct", result.message


def test_greet_that_waits_too_long_is_told_how_long_it_asked_for() -> None:
    assert "asked the event loop to wait 0.2 s" in ex1.evaluate(greet_sleeps_twice_as_long).message


def test_greet_without_return_is_told_to_return(capsys: pytest.CaptureFixture[str]) -> None:
    assert "return" in ex1.evaluate(greet_no_return).message


# --- exercise 2: fetch_profile ------------------------------------------------------


async def profile_forgot_await_user(user_id: int) -> str:
    user = fetch_user(user_id)
    team = await fetch_team(user["team_id"])  # type: ignore[index]
    return f"{user['name']} ({team})"  # type: ignore[index]


async def profile_forgot_await_team(user_id: int) -> str:
    user = await fetch_user(user_id)
    team = fetch_team(user["team_id"])
    return f"{user['name']} ({team})"


async def profile_as_dict(user_id: int) -> dict[str, Any]:
    user = await fetch_user(user_id)
    return {"name": user["name"], "team": await fetch_team(user["team_id"])}


async def profile_wrong_format(user_id: int) -> str:
    user = await fetch_user(user_id)
    return f"{user['name']}, {await fetch_team(user['team_id'])}"


async def profile_asyncio_run(user_id: int) -> str:
    user = asyncio.run(fetch_user(user_id))
    return f"{user['name']} ({asyncio.run(fetch_team(user['team_id']))})"


def profile_plain(user_id: int) -> str:
    return "Ada Lovelace (Analytical Engines)"


async def profile_hard_coded(user_id: int) -> str:
    return {1: "Ada Lovelace (Analytical Engines)", 2: "Grace Hopper (Compilers)"}[user_id]


async def profile_hard_coded_after_a_wait(user_id: int) -> str:
    await asyncio.sleep(0.2)
    return {1: "Ada Lovelace (Analytical Engines)", 2: "Grace Hopper (Compilers)"}[user_id]


async def profile_fetches_the_user_twice(user_id: int) -> str:
    name = (await fetch_user(user_id))["name"]
    team = await fetch_team((await fetch_user(user_id))["team_id"])
    return f"{name} ({team})"


async def profile_wrong_key(user_id: int) -> str:
    user = await fetch_user(user_id)
    team = await fetch_team(user["id"])
    return f"{user['name']} ({team})"


async def profile_as_tuple(user_id: int) -> tuple[str, str]:
    user = await fetch_user(user_id)
    return user["name"], await fetch_team(user["team_id"])


async def profile_forgot_both_awaits(user_id: int) -> str:
    user = fetch_user(user_id)
    return f"{user} ({fetch_team(7)})"


async def profile_team_from_memory(user_id: int) -> str:
    user = await fetch_user(user_id)
    team = {7: "Analytical Engines", 3: "Compilers"}[user["team_id"]]
    return f"{user['name']} ({team})"


def test_forgetting_await_on_the_team_names_fetch_team() -> None:
    assert "fetch_team" in ex2.evaluate(profile_forgot_await_team).message


def test_hard_coded_profile_is_not_told_it_left_out_an_await() -> None:
    message = ex2.evaluate(profile_hard_coded).message
    assert "without calling fetch_user or fetch_team" in message
    assert "await` left out" not in message


def test_team_taken_from_memory_is_told_which_lookup_it_skipped() -> None:
    message = ex2.evaluate(profile_team_from_memory).message
    assert "without calling fetch_team:" in message


# --- exercise 3: run ------------------------------------------------------------------


def run_returns_coroutine(coro: Any) -> Any:
    return coro


def run_lets_stop_iteration_out(coro: Any) -> Any:
    while True:
        coro.send(None)


def run_once(coro: Any) -> Any:
    return coro.send(None)


def run_loses_value(coro: Any) -> Any:
    try:
        while True:
            coro.send(None)
    except StopIteration:
        return None


def run_keeps_sending(coro: Any) -> Any:
    result = None
    for _ in range(10):
        try:
            coro.send(None)
        except StopIteration as stop:
            result = stop.value
    return result


def run_with_asyncio(coro: Any) -> Any:
    return asyncio.run(coro)


def run_swallowing_everything(coro: Any) -> Any:
    while True:
        try:
            coro.send(None)
        except Exception:
            continue


async def run_async(coro: Any) -> Any:
    return await coro


def run_with_next(coro: Any) -> Any:
    while True:
        try:
            next(coro)
        except StopIteration as stop:
            return stop.value


def run_sends_a_value_first(coro: Any) -> Any:
    value = 1
    while True:
        try:
            value = coro.send(value)
        except StopIteration as stop:
            return stop.value


def run_three_times(coro: Any) -> Any:
    for _ in range(3):
        coro.send(None)
    return None


def run_returns_the_stop_iteration(coro: Any) -> Any:
    while True:
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop


def run_catches_every_exception(coro: Any) -> Any:
    while True:
        try:
            coro.send(None)
        except Exception as stop:
            return stop.value  # type: ignore[attr-defined]


def run_catches_the_error_too(coro: Any) -> Any:
    while True:
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop.value
        except ValueError:
            return None
        except Exception as error:
            return error


def test_run_through_await_iterator_is_right_too() -> None:
    def run(coro: Any) -> Any:
        steps = coro.__await__()
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value

    result = ex3.evaluate(run)
    assert result.status == "correct", result.message


def test_run_on_the_lessons_coroutine() -> None:
    assert worked("01-coroutines")["run"](add_slowly(2, 3)) == 5
    assert isinstance(Pause(), Pause)


def test_run_that_never_stops_is_a_hang_reported_in_time() -> None:
    started = time.perf_counter()
    result = ex3.evaluate(run_swallowing_everything)
    assert result.mistake == "hang"
    assert time.perf_counter() - started < ex3.time_limit + 1


# --- exercise 4: retry ----------------------------------------------------------------


async def retry_forgot_await(operation: Any, attempts: int) -> Any:
    for _ in range(attempts):
        try:
            return operation()
        except ConnectionError:
            await asyncio.sleep(0.1)


async def retry_reuses_coroutine(operation: Any, attempts: int) -> Any:
    coro = operation()
    for attempt in range(attempts):
        try:
            return await coro
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1)


async def retry_swallows(operation: Any, attempts: int) -> Any:
    for _ in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            await asyncio.sleep(0.1)
    return None


async def retry_once_too_often(operation: Any, attempts: int) -> Any:
    for attempt in range(attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.1)


async def retry_without_pause(operation: Any, attempts: int) -> Any:
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise


async def retry_pauses_after_last(operation: Any, attempts: int) -> Any:
    error: Exception | None = None
    for _ in range(attempts):
        try:
            return await operation()
        except ConnectionError as failure:
            error = failure
            await asyncio.sleep(0.1)
    assert error is not None
    raise error


async def retry_time_sleep(operation: Any, attempts: int) -> Any:
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)


async def retry_own_error(operation: Any, attempts: int) -> Any:
    for _ in range(attempts - 1):
        try:
            return await operation()
        except ConnectionError:
            await asyncio.sleep(0.1)
    try:
        return await operation()
    except ConnectionError:
        raise RuntimeError("all attempts failed") from None


async def retry_no_retry(operation: Any, attempts: int) -> Any:
    return await operation()


async def retry_any_exception(operation: Any, attempts: int) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except Exception:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.1)


async def retry_bare_except(operation: Any, attempts: int) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except:  # noqa: E722
            if attempt == attempts:
                raise
            await asyncio.sleep(0.1)


async def retry_pauses_too_long(operation: Any, attempts: int) -> Any:
    for attempt in range(attempts):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2)


def test_retry_pauses_that_end_late_on_a_busy_machine_are_still_correct() -> None:
    # Each asyncio.sleep(0.1) ending 70 ms late, as on a loaded machine: the two pauses
    # take 0.34 s in all, which the run's total time alone would call an extra wait.
    async def retry_on_a_busy_machine(operation: Any, attempts: int) -> Any:
        for attempt in range(attempts):
            try:
                return await operation()
            except ConnectionError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.1 + 0.07)

    result = ex4.evaluate(retry_on_a_busy_machine)
    assert result.status == "correct", result.message


def test_a_wait_after_the_last_attempt_is_named_with_its_length() -> None:
    message = ex4.evaluate(retry_pauses_after_last).message
    assert re.search(r"waited 0\.\d s after the last attempt failed", message), message


def test_retrying_every_exception_is_told_which_errors_not_to_retry() -> None:
    message = ex4.evaluate(retry_any_exception).message
    assert "Retry only ConnectionError" in message and "except Exception:" in message


def test_flaky_service_fails_then_succeeds() -> None:
    service = FlakyService(failures=1)

    async def twice() -> str:
        with pytest.raises(ConnectionError, match="call 1 failed"):
            await service.call()
        return await service.call()

    assert asyncio.run(twice()) == "OK"
    assert service.calls == 2


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (greet_plain, "not_async"),
        (greet_forgot_await, "forgot_await"),
        (greet_time_sleep, "blocking"),
        (greet_busy_wait, "blocking"),
        (greet_no_comma, "wrong_value"),
        (greet_no_return, "wrong_type"),
        (greet_hardcoded, "wrong_value"),
        (greet_no_wait, "too_fast"),
        (greet_sleeps_a_second, "wrong_wait"),
        (greet_sleeps_twice_as_long, "wrong_wait"),
        (greet_returns_the_sleep, "forgot_await"),
        (greet_runs_a_loop, "nested_run"),
        (greet_yields, "async_generator"),
        (greet_sleep_in_a_task_never_awaited, "tasks_left_running"),
        (greet_the_literal_name, "wrong_value"),
    ],
    ex2: [
        (profile_forgot_await_user, "forgot_await"),
        (profile_forgot_await_team, "forgot_await"),
        (profile_as_dict, "wrong_type"),
        (profile_wrong_format, "wrong_value"),
        (profile_asyncio_run, "nested_run"),
        (profile_plain, "not_async"),
        (profile_hard_coded, "hard_coded"),
        (profile_hard_coded_after_a_wait, "hard_coded"),
        (profile_team_from_memory, "hard_coded"),
        (profile_fetches_the_user_twice, "repeated_lookup"),
        (profile_wrong_key, "raised"),
        (profile_as_tuple, "wrong_type"),
        (profile_forgot_both_awaits, "forgot_await"),
    ],
    ex3: [
        (run_returns_coroutine, "returned_coroutine"),
        (run_lets_stop_iteration_out, "stop_iteration_escaped"),
        (run_once, "stopped_early"),
        (run_loses_value, "lost_return_value"),
        (run_keeps_sending, "kept_sending"),
        (run_with_asyncio, "used_asyncio"),
        (run_async, "not_plain"),
        (run_swallowing_everything, "hang"),
        (run_with_next, "used_next"),
        (run_sends_a_value_first, "sent_a_value"),
        (run_three_times, "stopped_early"),
        (run_returns_the_stop_iteration, "lost_return_value"),
        (run_catches_every_exception, "caught_too_much"),
        (run_catches_the_error_too, "caught_too_much"),
    ],
    ex4: [
        (retry_pauses_too_long, "extra_wait"),
        (retry_forgot_await, "forgot_await"),
        (retry_reuses_coroutine, "reused_coroutine"),
        (retry_swallows, "swallowed_error"),
        (retry_once_too_often, "wrong_attempts"),
        (retry_without_pause, "no_wait"),
        (retry_pauses_after_last, "extra_wait"),
        (retry_time_sleep, "blocking"),
        (retry_own_error, "wrong_error"),
        (retry_no_retry, "gave_up_early"),
        (retry_any_exception, "retried_wrong_error"),
        (retry_bare_except, "retried_wrong_error"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, "01-coroutines")
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, "01-coroutines")
