"""Lesson 03's checkers: the worked answer passes, the stub is not attempted, and each
realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from asyncio_tutorial.checkers.lesson03 import (
    DELAYS,
    OutOfStock,
    download,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    ex6,
)


def test_download_waits_as_long_as_delays_says() -> None:
    async def timed_download() -> tuple[str, float]:
        started = time.perf_counter()
        text = await download("weather")
        return text, time.perf_counter() - started

    text, elapsed = asyncio.run(timed_download())
    assert text == "<weather>"
    assert DELAYS["weather"] - 0.01 <= elapsed < DELAYS["weather"] + 0.1


# --- exercise 1: fetch_all --------------------------------------------------------------


async def fetch_all_sequential(pages: list[str]) -> list[str]:
    return [await download(page) for page in pages]


async def fetch_all_tasks_awaited_one_by_one(pages: list[str]) -> list[str]:
    texts = []
    for page in pages:
        task = asyncio.create_task(download(page))
        texts.append(await task)
    return texts


async def fetch_all_forgot_await(pages: list[str]) -> list[Any]:
    return [download(page) for page in pages]


async def fetch_all_tasks_never_awaited(pages: list[str]) -> list[Any]:
    return [asyncio.create_task(download(page)) for page in pages]


async def fetch_all_time_sleep(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    time.sleep(0.3)  # "wait for the tasks"
    return [task.result() for task in tasks]


async def fetch_all_completion_order(pages: list[str]) -> list[str]:
    return [await next_done for next_done in asyncio.as_completed([download(p) for p in pages])]


async def fetch_all_returns_tasks(pages: list[str]) -> list[Any]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    await asyncio.wait(tasks)
    return tasks


async def fetch_all_gather_given_a_list(pages: list[str]) -> list[str]:
    return await asyncio.gather([download(page) for page in pages])  # type: ignore[call-overload]


async def fetch_all_with_a_task_group(pages: list[str]) -> list[str]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(download(page)) for page in pages]
    return [task.result() for task in tasks]


async def fetch_all_results_inside_the_group(pages: list[str]) -> list[str]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(download(page)) for page in pages]
        return [task.result() for task in tasks]


async def fetch_all_returns_the_groups_tasks(pages: list[str]) -> list[Any]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(download(page)) for page in pages]
    return tasks


def test_task_group_answer_is_correct_too() -> None:
    result = ex1.evaluate(fetch_all_with_a_task_group)
    assert result.status == "correct", result.message


def test_gather_given_a_list_is_told_to_unpack_it_with_a_star() -> None:
    message = ex1.evaluate(fetch_all_gather_given_a_list).message
    assert "gather given one list" in message and "gather(*coroutines)" in message


@pytest.mark.parametrize(
    "wording",
    ["unhashable type: 'list'", "cannot use 'list' as a dict key (unhashable type: 'list')"],
)
def test_gather_given_a_list_is_recognised_in_the_wording_of_every_python(wording: str) -> None:
    async def gather_raising(pages: list[str]) -> list[str]:
        async def gather(*awaitables: Any) -> list[str]:  # where gather raises it
            raise TypeError(wording)

        return await gather([download(page) for page in pages])

    assert ex1.evaluate(gather_raising).mistake == "gather_given_a_list"


def test_other_unhashable_lists_are_not_taken_for_gather() -> None:
    async def unhashable(pages: list[str]) -> list[str]:
        return {pages: "x"}  # type: ignore[dict-item, return-value]

    assert ex1.evaluate(unhashable).mistake == "raised"


def test_tasks_of_a_finished_group_are_told_to_read_their_results() -> None:
    message = ex1.evaluate(fetch_all_returns_the_groups_tasks).message
    assert "[task.result() for task in tasks]" in message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (fetch_all_sequential, "sequential"),
        (fetch_all_tasks_awaited_one_by_one, "sequential"),
        (fetch_all_forgot_await, "forgot_await"),
        (fetch_all_tasks_never_awaited, "tasks_left_running"),
        (fetch_all_time_sleep, "blocking"),
        (fetch_all_completion_order, "wrong_order"),
        (fetch_all_returns_tasks, "returned_tasks"),
        (fetch_all_gather_given_a_list, "gather_given_a_list"),
        (fetch_all_results_inside_the_group, "result_before_done"),
        (fetch_all_returns_the_groups_tasks, "returned_tasks"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_fetch_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


def test_sequential_fetch_all_is_told_the_sum_and_to_start_all_first() -> None:
    message = ex1.evaluate(fetch_all_sequential).message
    assert "0.6 s" in message and "Start them all" in message


# --- exercise 2: Background -------------------------------------------------------------


class BackgroundNotKept:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.create_task(coro, name=name)

    async def wait_all(self) -> None:
        await asyncio.gather(*self.tasks)


class BackgroundNoDiscard(BackgroundNotKept):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        return task


class BackgroundNoWait(BackgroundNotKept):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def wait_all(self) -> None:
        return None


class BackgroundLoopOverSet(BackgroundNoWait):
    async def wait_all(self) -> None:
        for task in self.tasks:
            await task


class BackgroundUnnamed(BackgroundNoWait):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class BackgroundReturnsNothing(BackgroundNoWait):
    def start(self, coro: Any, name: str) -> None:  # type: ignore[override]
        super().start(coro, name)


class BackgroundAsyncStart(BackgroundNoWait):
    async def start(self, coro: Any, name: str) -> asyncio.Task[Any]:  # type: ignore[override]
        return super().start(coro, name)


class BackgroundAwaitsInStart(BackgroundNoWait):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = super().start(coro, name)
        time.sleep(0.1)  # "give it time to run"
        return task


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (BackgroundNotKept, "reference_not_kept"),
        (BackgroundNoDiscard, "discard_missing"),
        (BackgroundNoWait, "wait_all_returned_early"),
        (BackgroundLoopOverSet, "set_changed_size"),
        (BackgroundUnnamed, "task_not_named"),
        (BackgroundReturnsNothing, "start_returns_no_task"),
        (BackgroundAsyncStart, "start_is_async"),
        (BackgroundAwaitsInStart, "blocking"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_background_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


def test_background_not_kept_is_told_about_weak_references() -> None:
    assert "weakly" in ex2.evaluate(BackgroundNotKept).message


def test_background_given_an_instance_asks_for_the_class() -> None:
    assert ex2.evaluate(BackgroundNoWait()).mistake == "not_a_class"


# --- exercise 3: with_deadline ----------------------------------------------------------


async def deadline_without_timeout(operation: Any, seconds: float, default: Any) -> Any:
    return await operation()


async def deadline_catches_cancelled_error(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await operation()
    except asyncio.CancelledError:
        return default


async def deadline_catches_inside_block(operation: Any, seconds: float, default: Any) -> Any:
    async with asyncio.timeout(seconds):
        try:
            return await operation()
        except TimeoutError:
            return default


async def deadline_catches_everything(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await operation()
    except Exception:
        return default


async def deadline_swallows_cancellation(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await operation()
    except (TimeoutError, asyncio.CancelledError):
        return default


async def deadline_returns_none(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await operation()
    except TimeoutError:
        pass


async def deadline_leaves_operation_running(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    done, _ = await asyncio.wait([task], timeout=seconds)
    return task.result() if done else default


async def deadline_busy_waits(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    end = time.monotonic() + seconds
    while time.monotonic() < end and not task.done():
        pass
    task.cancel()
    return default


async def deadline_with_wait_for(operation: Any, seconds: float, default: Any) -> Any:
    try:
        return await asyncio.wait_for(operation(), seconds)
    except TimeoutError:
        return default


def test_wait_for_is_a_right_answer_too() -> None:
    result = ex3.evaluate(deadline_with_wait_for)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (deadline_without_timeout, "no_timeout"),
        (deadline_catches_cancelled_error, "timeout_escaped"),
        (deadline_catches_inside_block, "timeout_escaped"),
        (deadline_catches_everything, "caught_too_much"),
        (deadline_swallows_cancellation, "swallowed_cancellation"),
        (deadline_returns_none, "wrong_fallback"),
        (deadline_leaves_operation_running, "not_cancelled"),
        (deadline_busy_waits, "blocking"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_with_deadline_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_timeout_caught_inside_the_block_is_told_to_catch_it_around() -> None:
    assert "around" in ex3.evaluate(deadline_catches_inside_block).message


# --- exercise 4: in_completion_order ----------------------------------------------------


async def order_with_gather(pages: list[str]) -> list[str]:
    return list(await asyncio.gather(*(download(page) for page in pages)))


async def order_sequential(pages: list[str]) -> list[str]:
    return [await download(page) for page in pages]


async def order_forgot_await(pages: list[str]) -> list[Any]:
    return list(asyncio.as_completed([download(page) for page in pages]))


async def order_alphabetical(pages: list[str]) -> list[str]:
    return sorted(await asyncio.gather(*(download(page) for page in pages)))


async def order_tasks_left_running(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    return [task.result() for task in done]


async def order_with_tasks_and_callbacks(pages: list[str]) -> list[str]:
    texts: list[str] = []
    tasks = [asyncio.create_task(download(page)) for page in pages]
    for task in tasks:
        task.add_done_callback(lambda done: texts.append(done.result()))
    await asyncio.gather(*tasks)
    return texts


def test_callbacks_in_completion_order_are_a_right_answer_too() -> None:
    result = ex4.evaluate(order_with_tasks_and_callbacks)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (order_with_gather, "argument_order"),
        (order_sequential, "sequential"),
        (order_forgot_await, "forgot_await"),
        (order_alphabetical, "wrong_order"),
        (order_tasks_left_running, "tasks_left_running"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_in_completion_order_mistakes(answer: Any, mistake: str) -> None:
    assert ex4.evaluate(answer).mistake == mistake


def test_gather_order_is_told_it_is_argument_order() -> None:
    message = ex4.evaluate(order_with_gather).message
    assert "gather" in message and "as_completed" in message


# --- exercise 5: with_spinner -----------------------------------------------------------


async def spinner_never_started(operation: Any, spinner: Any) -> Any:
    return await operation()


async def spinner_never_cancelled(operation: Any, spinner: Any) -> Any:
    asyncio.create_task(spinner())
    return await operation()


async def spinner_cancelled_not_awaited(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()


async def spinner_awaited_without_catching(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        await spinning


async def spinner_cleanup_not_in_finally(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    result = await operation()
    spinning.cancel()
    await asyncio.wait([spinning])
    return result


async def spinner_swallows_cancellation(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    except asyncio.CancelledError:
        return None
    finally:
        spinning.cancel()
        await asyncio.wait([spinning])


async def spinner_swallows_error(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    except ConnectionError:
        return None
    finally:
        spinning.cancel()
        await asyncio.wait([spinning])


async def spinner_awaited_directly(operation: Any, spinner: Any) -> Any:
    await spinner()  # spins forever: nothing else is ever awaited
    return await operation()


async def spinner_cancel_caught_and_reraised(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        try:
            await spinning
        except asyncio.CancelledError:
            pass


async def spinner_cancel_suppressed(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await spinning


async def spinner_gathered_with_exceptions(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        await asyncio.gather(spinning, return_exceptions=True)


def test_gathering_the_spinner_with_return_exceptions_is_right_too() -> None:
    result = ex5.evaluate(spinner_gathered_with_exceptions)
    assert result.status == "correct", result.message


def test_catching_cancelled_error_around_await_spinning_is_told_it_swallows_the_callers() -> None:
    result = ex5.evaluate(spinner_cancel_caught_and_reraised)
    assert result.mistake == "swallowed_cancellation_in_cleanup"
    assert "caller's cancellation too" in result.message
    assert "asyncio.wait([spinning])" in result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (spinner_never_started, "spinner_not_started"),
        (spinner_never_cancelled, "spinner_left_running"),
        (spinner_cancelled_not_awaited, "cancelled_not_awaited"),
        (spinner_awaited_without_catching, "cancelled_error_escaped"),
        (spinner_cleanup_not_in_finally, "cleanup_not_in_finally"),
        (spinner_swallows_cancellation, "swallowed_cancellation"),
        (spinner_swallows_error, "error_swallowed"),
        (spinner_cancel_caught_and_reraised, "swallowed_cancellation_in_cleanup"),
        (spinner_cancel_suppressed, "swallowed_cancellation_in_cleanup"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_with_spinner_mistakes(answer: Any, mistake: str) -> None:
    assert ex5.evaluate(answer).mistake == mistake


def test_spinner_awaited_directly_is_a_hang_reported_in_time() -> None:
    started = time.perf_counter()
    result = ex5.evaluate(spinner_awaited_directly)
    assert result.mistake == "hang"
    assert time.perf_counter() - started < ex5.time_limit + 1.5


# --- exercise 6: place_order ------------------------------------------------------------


async def reserve_all(items: list[str], reserve: Any) -> list[str]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(reserve(item)) for item in items]
    return [task.result() for task in tasks]


async def place_awaits_the_save_task_after_cancellation(
    items: list[str], reserve: Any, save: Any
) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await saving
        raise


async def place_with_gather_cancelling_the_rest(items: list[str], reserve: Any, save: Any) -> Any:
    tasks = [asyncio.create_task(reserve(item)) for item in items]
    try:
        reservations = await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise
    saving = asyncio.create_task(save(reservations))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await asyncio.wait([saving])
        raise


async def place_reserved_one_by_one(items: list[str], reserve: Any, save: Any) -> Any:
    reservations = [await reserve(item) for item in items]
    return await save(reservations)


async def place_with_gather(items: list[str], reserve: Any, save: Any) -> Any:
    reservations = await asyncio.gather(*(reserve(item) for item in items))
    saving = asyncio.create_task(save(reservations))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await asyncio.wait([saving])
        raise


async def place_results_inside_the_group(items: list[str], reserve: Any, save: Any) -> Any:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(reserve(item)) for item in items]
        reservations = [task.result() for task in tasks]
    return await save(reservations)


async def place_saves_the_tasks(items: list[str], reserve: Any, save: Any) -> Any:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(reserve(item)) for item in items]
    return await save(tasks)


async def place_never_saved(items: list[str], reserve: Any, save: Any) -> Any:
    return await reserve_all(items, reserve)


async def place_forgot_await_on_save(items: list[str], reserve: Any, save: Any) -> Any:
    return save(await reserve_all(items, reserve))


async def place_swallows_out_of_stock(items: list[str], reserve: Any, save: Any) -> Any:
    reservations = None
    try:
        reservations = await reserve_all(items, reserve)
    except* OutOfStock:
        pass
    return None if reservations is None else await save(reservations)


async def place_saves_what_it_could_reserve(items: list[str], reserve: Any, save: Any) -> Any:
    results = await asyncio.gather(*(reserve(item) for item in items), return_exceptions=True)
    return await save([r for r in results if isinstance(r, str)])


async def place_saved_without_shield(items: list[str], reserve: Any, save: Any) -> Any:
    return await save(await reserve_all(items, reserve))


async def place_shields_a_bare_coroutine(items: list[str], reserve: Any, save: Any) -> Any:
    return await asyncio.shield(save(await reserve_all(items, reserve)))


async def place_keeps_the_save_but_does_not_wait(items: list[str], reserve: Any, save: Any) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    return await asyncio.shield(saving)


async def place_catches_the_cancellation(items: list[str], reserve: Any, save: Any) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        return await saving


def place_plain(items: list[str], reserve: Any, save: Any) -> Any:
    return "order-1"


@pytest.mark.parametrize(
    "answer",
    [place_awaits_the_save_task_after_cancellation, place_with_gather_cancelling_the_rest],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_place_an_order(answer: Any) -> None:
    result = ex6.evaluate(answer)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (place_reserved_one_by_one, "sequential"),
        (place_with_gather, "siblings_not_cancelled"),
        (place_results_inside_the_group, "result_before_done"),
        (place_saves_the_tasks, "saved_tasks"),
        (place_never_saved, "not_saved"),
        (place_forgot_await_on_save, "forgot_await"),
        (place_swallows_out_of_stock, "error_swallowed"),
        (place_saves_what_it_could_reserve, "saved_despite_failure"),
        (place_saved_without_shield, "save_cut_off"),
        (place_shields_a_bare_coroutine, "shielded_coroutine_not_kept"),
        (place_keeps_the_save_but_does_not_wait, "save_not_awaited"),
        (place_catches_the_cancellation, "swallowed_cancellation"),
        (place_plain, "not_async"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_place_order_mistakes(answer: Any, mistake: str) -> None:
    assert ex6.evaluate(answer).mistake == mistake


def test_gather_is_told_that_a_task_group_cancels_the_other_reservations() -> None:
    message = ex6.evaluate(place_with_gather).message
    assert "pen's reservation was still going on" in message and "TaskGroup" in message


def test_bare_shield_is_told_nobody_keeps_the_save() -> None:
    message = ex6.evaluate(place_shields_a_bare_coroutine).message
    assert "nobody keeps" in message and "asyncio.create_task(save(...))" in message


def test_bare_shield_without_source_is_still_told_to_wait_for_the_save() -> None:
    namespace: dict[str, Any] = {"asyncio": asyncio, "reserve_all": reserve_all}
    exec(  # no source file: the checker cannot read the answer's code
        "async def place_order(items, reserve, save):\n"
        "    return await asyncio.shield(save(await reserve_all(items, reserve)))\n",
        namespace,
    )
    assert ex6.evaluate(namespace["place_order"]).mistake == "save_not_awaited"
