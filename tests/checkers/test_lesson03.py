"""Lesson 03's checkers: the worked answer passes, the stub is not attempted, and each
realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``;
every wrong answer listed in ``WRONG_ANSWERS`` at the end is checked by
``wrong_answers.py``: its mistake, a message that suggests nothing the answer already
has, and a worked answer still correct right after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
import warnings
from typing import Any

import pytest
from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

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
from asyncio_tutorial.checkers.lesson03 import place_order as place_order_checker
from asyncio_tutorial.checkers.lesson03.in_completion_order import (
    _arrival_groups,
    _in_arrival_order,
)
from asyncio_tutorial.checkers.lesson03.network import network, run_downloads
from asyncio_tutorial.checkers.lesson03.place_order import RESERVE_SECONDS

LESSON = "03-tasks"


def test_download_waits_as_long_as_delays_says() -> None:
    async def timed_download() -> tuple[str, float]:
        started = time.perf_counter()
        text = await download("weather")
        return text, time.perf_counter() - started

    text, elapsed = asyncio.run(timed_download())
    assert text == "<weather>"
    assert DELAYS["weather"] - 0.01 <= elapsed < DELAYS["weather"] + 0.1


@pytest.mark.parametrize("exercise", [ex1, ex2, ex3, ex4, ex5, ex6], ids=lambda e: e.name)
def test_the_worked_answer_gets_the_same_correct_message_every_run(exercise: Any) -> None:
    answer = worked(LESSON)[exercise.answer]
    first, second = exercise.evaluate(answer), exercise.evaluate(answer)
    assert first.status == "correct", first.message
    assert first.message == second.message


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


async def fetch_all_from_the_done_set(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    done, _ = await asyncio.wait(tasks)
    return [task.result() for task in done]


async def fetch_all_gather_not_awaited(pages: list[str]) -> Any:
    return asyncio.gather(*(download(page) for page in pages))


async def fetch_all_sleeps_as_long_as_the_slowest(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    await asyncio.sleep(0.4)  # the slowest page takes 0.3 s
    return [task.result() for task in tasks]


async def fetch_all_polls_until_done(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    while not all(task.done() for task in tasks):
        await asyncio.sleep(0.01)
    return [task.result() for task in tasks]


async def fetch_all_downloads_twice(pages: list[str]) -> list[str]:
    for page in pages:
        asyncio.create_task(download(page))  # noqa: RUF006 - the mistake under test
    return list(await asyncio.gather(*(download(page) for page in pages)))


async def fetch_all_run_until_complete(pages: list[str]) -> list[str]:
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(asyncio.gather(*(download(page) for page in pages)))


async def fetch_all_results_right_away(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    return [task.result() for task in tasks]


async def fetch_all_busy_waits(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    while not all(task.done() for task in tasks):
        pass
    return [task.result() for task in tasks]


async def fetch_all_sorted(pages: list[str]) -> list[str]:
    return sorted(await asyncio.gather(*(download(page) for page in pages)))


async def fetch_all_as_a_dict(pages: list[str]) -> dict[str, str]:
    texts = await asyncio.gather(*(download(page) for page in pages))
    return dict(zip(pages, texts, strict=True))


async def fetch_all_with_wait_then_own_list(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]


async def fetch_all_tasks_gathered_in_a_loop(pages: list[str]) -> list[str]:
    tasks = []
    for page in pages:
        tasks.append(asyncio.create_task(download(page)))
    return list(await asyncio.gather(*tasks))


@pytest.mark.parametrize(
    "answer",
    [
        fetch_all_with_a_task_group,
        fetch_all_with_wait_then_own_list,
        fetch_all_tasks_gathered_in_a_loop,
    ],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_fetch_all(answer: Any) -> None:
    result = ex1.evaluate(answer)
    assert result.status == "correct", result.message


def test_fetch_all_correct_message_states_what_this_run_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(DELAYS, "news", 0.4)
    result = ex1.evaluate(worked(LESSON)["fetch_all"])
    assert result.status == "correct", result.message
    assert says_measured(result.message, "after {0.4} s"), result.message
    assert "not 0.7 s, their sum" in result.message
    assert "all 3 downloads were in progress at once" in result.message


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


def test_sequential_fetch_all_is_told_the_sum_and_to_start_all_first() -> None:
    message = ex1.evaluate(fetch_all_sequential).message
    assert "0.6 s" in message and "Start them all" in message


def test_results_of_the_done_set_are_wrong_every_time_and_told_a_set_has_no_order() -> None:
    for _ in range(3):
        result = ex1.evaluate(fetch_all_from_the_done_set)
        assert result.mistake == "set_order", result.message
    assert "A set has no order" in result.message


def test_a_set_of_the_answers_tasks_lists_them_newest_first() -> None:
    async def names_in_the_done_set(pages: list[str]) -> list[str]:
        tasks = [asyncio.create_task(download(page), name=page) for page in pages]
        done, _ = await asyncio.wait(tasks)
        return [task.get_name() for task in done]

    for _ in range(3):
        outcome = run_downloads(names_in_the_done_set, ["news", "weather", "sport", "news"])
        assert outcome.value == ["news", "sport", "weather", "news"]


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


class BackgroundGathersTheSet(BackgroundNoWait):
    async def wait_all(self) -> None:
        await asyncio.gather(self.tasks)  # type: ignore[arg-type]


class BackgroundGatherNotAwaited(BackgroundNoWait):
    async def wait_all(self) -> Any:
        return asyncio.gather(*self.tasks)


class BackgroundCancelsInWaitAll(BackgroundNoWait):
    async def wait_all(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class BackgroundSleepsInWaitAll(BackgroundNoWait):
    async def wait_all(self) -> None:
        await asyncio.sleep(0.35)  # the longest e-mail takes 0.3 s


class BackgroundPollsUntilEmpty(BackgroundNoWait):
    async def wait_all(self) -> None:
        while self.tasks:
            await asyncio.sleep(0.01)


class BackgroundDiscardedAtOnce(BackgroundNoWait):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        self.tasks.discard(task)  # "so the set does not grow"
        return task


class BackgroundCallbackThatDoesNothing(BackgroundNoWait):
    def start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(lambda done: self.tasks.discard)  # never called with done
        return task


class BackgroundBusyWaitAll(BackgroundNoWait):
    async def wait_all(self) -> None:
        while self.tasks:
            pass


class BackgroundWaitAllWithWait(BackgroundNoWait):
    async def wait_all(self) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks)


class BackgroundWaitAllUntilNoneAreLeft(BackgroundNoWait):
    async def wait_all(self) -> None:
        while self.tasks:  # tasks started meanwhile are waited for too
            await asyncio.gather(*self.tasks)


@pytest.mark.parametrize(
    "answer",
    [BackgroundWaitAllWithWait, BackgroundWaitAllUntilNoneAreLeft],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_wait_for_the_background_tasks(answer: Any) -> None:
    result = ex2.evaluate(answer)
    assert result.status == "correct", result.message


def test_background_not_kept_is_told_about_weak_references() -> None:
    assert "weakly" in ex2.evaluate(BackgroundNotKept).message


def test_background_given_an_instance_asks_for_the_class() -> None:
    assert ex2.evaluate(BackgroundNoWait()).mistake == "not_a_class"


def test_a_task_added_and_taken_out_at_once_is_not_told_to_add_it() -> None:
    message = ex2.evaluate(BackgroundDiscardedAtOnce).message
    assert "took it out at once" in message and "Add each task" not in message


def test_a_polling_wait_all_is_told_how_often_it_looked() -> None:
    message = ex2.evaluate(BackgroundPollsUntilEmpty).message
    assert "polling" in message and "0.01 s between looks" in message


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


async def deadline_bare_except(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await operation()
    except:  # noqa: E722 - the mistake under test
        return default


async def deadline_returns_in_finally(operation: Any, seconds: float, default: Any) -> Any:
    result = default
    try:
        async with asyncio.timeout(seconds):
            result = await operation()
    finally:
        return result  # noqa: B012 - the mistake under test


async def deadline_wait_for_uncaught(operation: Any, seconds: float, default: Any) -> Any:
    return await asyncio.wait_for(operation(), seconds)


async def deadline_hard_coded(operation: Any, seconds: float, default: Any) -> Any:
    try:
        async with asyncio.timeout(0.3):  # the example's deadline
            return await operation()
    except TimeoutError:
        return default


async def deadline_sleeps_the_deadline(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    await asyncio.sleep(seconds)
    if task.done():
        return task.result()
    task.cancel()
    return default


async def deadline_cancels_without_waiting(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    done, _ = await asyncio.wait([task], timeout=seconds)
    if done:
        return task.result()
    task.cancel()
    return default


async def deadline_shields_the_operation(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    try:
        async with asyncio.timeout(seconds):
            return await asyncio.shield(task)
    except TimeoutError:
        return default


async def deadline_timeout_around_the_call_only(
    operation: Any, seconds: float, default: Any
) -> Any:
    try:
        async with asyncio.timeout(seconds):
            pending = operation()
        return await pending
    except TimeoutError:
        return default


async def deadline_checks_the_clock_afterwards(operation: Any, seconds: float, default: Any) -> Any:
    started = time.monotonic()
    result = await operation()
    return default if time.monotonic() - started > seconds else result


async def deadline_with_timeout_at(operation: Any, seconds: float, default: Any) -> Any:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(loop.time() + seconds):
            return await operation()
    except asyncio.TimeoutError:  # noqa: UP041 - the old name, as learners write it
        return default


async def deadline_with_a_task_and_wait_for(operation: Any, seconds: float, default: Any) -> Any:
    task = asyncio.create_task(operation())
    try:
        return await asyncio.wait_for(task, timeout=seconds)
    except TimeoutError:
        return default


@pytest.mark.parametrize(
    "answer",
    [deadline_with_wait_for, deadline_with_timeout_at, deadline_with_a_task_and_wait_for],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_give_up_on_a_slow_call(answer: Any) -> None:
    result = ex3.evaluate(answer)
    assert result.status == "correct", result.message


def test_timeout_caught_inside_the_block_is_told_to_catch_it_around() -> None:
    assert "around" in ex3.evaluate(deadline_catches_inside_block).message


def test_a_timeout_that_ignores_seconds_is_told_what_it_asked_for() -> None:
    message = ex3.evaluate(deadline_hard_coded).message
    assert "wait 0.3 s" in message and "`seconds` was 0.5" in message


def test_correct_with_deadline_states_the_measured_times() -> None:
    message = ex3.evaluate(worked(LESSON)["with_deadline"]).message
    assert says_measured(message, "after {0.1} s"), message
    assert says_measured(message, "after {0.3} s, at the 0.3 s timeout"), message


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


async def order_from_the_done_set(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    done, _ = await asyncio.wait(tasks)
    return [task.result() for task in done]


async def order_sorted_by_delays(pages: list[str]) -> list[str]:
    texts = await asyncio.gather(*(download(page) for page in pages))
    return sorted(texts, key=lambda text: DELAYS[text[1:-1]])


async def order_polls_the_tasks(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    texts: list[str] = []
    seen: set[asyncio.Task[str]] = set()
    while len(seen) < len(tasks):
        for task in tasks:
            if task.done() and task not in seen:
                seen.add(task)
                texts.append(task.result())
        await asyncio.sleep(0.02)
    return texts


async def order_callbacks_not_waited_for(pages: list[str]) -> list[str]:
    texts: list[str] = []
    for page in pages:
        task = asyncio.create_task(download(page))
        task.add_done_callback(lambda done: texts.append(done.result()))
    return texts


async def order_blocks_while_polling(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    texts = []
    for task in tasks:
        while not task.done():
            time.sleep(0.01)
        texts.append(task.result())
    return texts


async def order_awaits_each_twice(pages: list[str]) -> list[str]:
    texts = []
    for next_done in asyncio.as_completed([download(page) for page in pages]):
        await next_done
        texts.append(await next_done)
    return texts


async def order_tasks_awaited_in_turn(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    return [await task for task in tasks]


async def order_first_completed_loop(pages: list[str]) -> list[str]:
    pending = {asyncio.create_task(download(page)) for page in pages}
    texts = []
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        texts.extend(task.result() for task in done)
    return texts


async def order_as_completed_over_tasks(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    texts = []
    for next_done in asyncio.as_completed(tasks):
        texts.append(await next_done)
    return texts


async def order_through_a_queue(pages: list[str]) -> list[str]:
    arrived: asyncio.Queue[str] = asyncio.Queue()

    async def fetch(page: str) -> None:
        await arrived.put(await download(page))

    async with asyncio.TaskGroup() as group:
        for page in pages:
            group.create_task(fetch(page))
    return [arrived.get_nowait() for _ in pages]


async def order_async_for(pages: list[str]) -> list[str]:
    tasks = [asyncio.create_task(download(page)) for page in pages]
    texts = []
    async for task in asyncio.as_completed(tasks):  # type: ignore[attr-defined]
        texts.append(await task)
    return texts


@pytest.mark.parametrize(
    "answer",
    [
        order_with_tasks_and_callbacks,
        order_first_completed_loop,
        order_as_completed_over_tasks,
        order_through_a_queue,
    ],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_take_pages_as_they_arrive(answer: Any) -> None:
    result = ex4.evaluate(answer)
    assert result.status == "correct", result.message


def test_async_for_over_as_completed_is_right_from_3_13_and_says_so_before() -> None:
    result = ex4.evaluate(order_async_for)
    if sys.version_info >= (3, 13):
        assert result.status == "correct", result.message
    else:
        assert result.mistake == "async_for_needs_3_13", result.message
        assert "needs Python 3.13" in result.message


def test_gather_order_is_told_it_is_argument_order() -> None:
    message = ex4.evaluate(order_with_gather).message
    assert "gather" in message and "as_completed" in message


def test_pages_from_the_done_set_are_wrong_every_time() -> None:
    for _ in range(3):
        result = ex4.evaluate(order_from_the_done_set)
        assert result.mistake == "set_order", result.message
    assert "A set has no order" in result.message


def test_pages_that_arrive_together_may_be_listed_either_way() -> None:
    network.finished = [("weather", 0.10), ("sport", 0.12), ("news", 0.30)]
    groups = _arrival_groups()  # a held-up loop: weather and sport arrived together
    assert groups == [["<weather>", "<sport>"], ["<news>"]]
    assert _in_arrival_order(["<sport>", "<weather>", "<news>"], groups)
    assert not _in_arrival_order(["<weather>", "<news>", "<sport>"], groups)


def test_taking_pages_from_wait_as_they_finish_is_right_when_two_finish_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(DELAYS, "sport", DELAYS["weather"])  # both done in one turn
    result = ex4.evaluate(order_first_completed_loop)
    assert result.status == "correct", result.message


def test_correct_in_completion_order_states_when_each_page_arrived() -> None:
    message = ex4.evaluate(worked(LESSON)["in_completion_order"]).message
    arrivals = "(weather after {0.1} s, sport after {0.2} s, news after {0.3} s)"
    assert says_measured(message, arrivals), message


# --- exercise 5: with_spinner -----------------------------------------------------------


async def spinner_never_started(operation: Any, spinner: Any) -> Any:
    return await operation()


async def spinner_never_cancelled(operation: Any, spinner: Any) -> Any:
    asyncio.create_task(spinner())  # noqa: RUF006 - the mistake under test
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


async def spinner_tells_the_callers_cancellation_apart(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        try:
            await spinning
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller's: it goes on; the spinner's own stops here


async def spinner_asks_whether_it_was_cancelled(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        try:
            await spinning
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelled():  # never, while it runs
                raise


async def spinner_cancelling_upside_down(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        try:
            await spinning
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and not current.cancelling():
                raise


async def spinner_bare_except_in_cleanup(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        try:
            await spinning
        except:  # noqa: E722 - the mistake under test
            pass


async def spinner_waited_for_without_cancelling(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        await asyncio.wait([spinning])


async def spinner_gathered_with_the_operation(operation: Any, spinner: Any) -> Any:
    result, _ = await asyncio.gather(operation(), spinner())
    return result


async def spinner_not_made_a_task(operation: Any, spinner: Any) -> Any:
    spinning = spinner()
    try:
        return await operation()
    finally:
        spinning.cancel()


async def spinner_sleeps_while_it_erases(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        await asyncio.sleep(0.2)  # erasing takes 0.1 s


async def spinner_waits_with_a_short_timeout(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    try:
        return await operation()
    finally:
        spinning.cancel()
        await asyncio.wait([spinning], timeout=0.05)


async def spinner_returns_in_finally(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    result = None
    try:
        result = await operation()
    finally:
        spinning.cancel()
        await asyncio.wait([spinning])
        return result  # noqa: B012 - the mistake under test


async def spinner_in_a_task_group(operation: Any, spinner: Any) -> Any:
    async with asyncio.TaskGroup() as group:
        spinning = group.create_task(spinner())
        try:
            return await operation()
        finally:
            spinning.cancel()


async def spinner_stopped_before_the_operation(operation: Any, spinner: Any) -> Any:
    spinning = asyncio.create_task(spinner())
    spinning.cancel()
    await asyncio.wait([spinning])
    return await operation()


async def spinner_started_after_the_operation(operation: Any, spinner: Any) -> Any:
    result = await operation()
    spinning = asyncio.create_task(spinner())
    spinning.cancel()
    await asyncio.wait([spinning])
    return result


@pytest.mark.parametrize(
    "answer",
    [spinner_gathered_with_exceptions, spinner_tells_the_callers_cancellation_apart],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_stop_the_spinner(answer: Any) -> None:
    result = ex5.evaluate(answer)
    assert result.status == "correct", result.message


def test_catching_cancelled_error_around_await_spinning_is_told_it_swallows_the_callers() -> None:
    result = ex5.evaluate(spinner_cancel_caught_and_reraised)
    assert result.mistake == "swallowed_cancellation_in_cleanup"
    assert "caller's cancellation too" in result.message
    assert "asyncio.wait([spinning])" in result.message


def test_the_callers_cancellation_is_told_apart_by_cancelling_not_called_indistinguishable() -> (
    None
):
    message = ex5.evaluate(spinner_cancel_suppressed).message
    assert "cannot be told apart" not in message
    assert "asyncio.current_task().cancelling()" in message


def test_asking_cancelled_instead_of_cancelling_is_told_the_difference() -> None:
    message = ex5.evaluate(spinner_asks_whether_it_was_cancelled).message
    assert "`asyncio.current_task().cancelled()` is False as long as the task runs" in message


def test_spinner_awaited_directly_is_named_and_reported_in_time() -> None:
    started = time.perf_counter()
    result = ex5.evaluate(spinner_awaited_directly)
    assert result.mistake == "spinner_awaited"
    assert time.perf_counter() - started < ex5.time_limit + 1.5


@pytest.mark.parametrize(
    "answer",
    [spinner_awaited_directly, spinner_waited_for_without_cancelling, spinner_not_made_a_task],
    ids=lambda value: value.__name__,
)
def test_hang_messages_speak_of_the_spinner_as_the_answer_knows_it(answer: Any) -> None:
    message = ex5.evaluate(answer).message
    assert "spinner" in message
    assert "_Spinner" not in message and "spin " not in message and "<locals>" not in message


def test_a_spinner_never_made_a_task_warns_nothing_after_its_check() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ex5.evaluate(spinner_not_made_a_task).mistake == "spinner_not_a_task"
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


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


async def place_waits_for_the_save_whatever_stops_it(
    items: list[str], reserve: Any, save: Any
) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        return await asyncio.shield(saving)
    except BaseException:
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


async def place_gathers_every_outcome_then_raises(items: list[str], reserve: Any, save: Any) -> Any:
    outcomes = await asyncio.gather(*(reserve(item) for item in items), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    saving = asyncio.create_task(save(outcomes))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await asyncio.wait([saving])
        raise


async def place_awaits_the_reservations_in_turn(items: list[str], reserve: Any, save: Any) -> Any:
    tasks = [asyncio.create_task(reserve(item)) for item in items]
    reservations = [await task for task in tasks]
    saving = asyncio.create_task(save(reservations))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await asyncio.wait([saving])
        raise


async def place_awaits_the_save_task_itself(items: list[str], reserve: Any, save: Any) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        return await saving
    except asyncio.CancelledError:
        await asyncio.wait([saving])
        raise


async def place_sleeps_while_the_save_ends(items: list[str], reserve: Any, save: Any) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        return await asyncio.shield(saving)
    except asyncio.CancelledError:
        await asyncio.sleep(0.2)  # a save takes 0.2 s
        raise


async def place_shields_the_reservations(items: list[str], reserve: Any, save: Any) -> Any:
    reservations = await asyncio.shield(reserve_all(items, reserve))
    return await save(reservations)


async def place_returns_in_finally(items: list[str], reserve: Any, save: Any) -> Any:
    saving = asyncio.create_task(save(await reserve_all(items, reserve)))
    try:
        await asyncio.shield(saving)
    finally:
        await asyncio.wait([saving])
        return saving.result()  # noqa: B012 - the mistake under test


async def place_saves_each_item(items: list[str], reserve: Any, save: Any) -> Any:
    order = None
    for reservation in await reserve_all(items, reserve):
        order = await save([reservation])
    return order


@pytest.mark.parametrize(
    "answer",
    [
        place_awaits_the_save_task_after_cancellation,
        place_with_gather_cancelling_the_rest,
        place_waits_for_the_save_whatever_stops_it,
    ],
    ids=lambda value: value.__name__,
)
def test_other_right_ways_to_place_an_order(answer: Any) -> None:
    result = ex6.evaluate(answer)
    assert result.status == "correct", result.message


def test_a_reservation_ending_with_the_failure_is_not_blamed_on_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seconds = dict(RESERVE_SECONDS, pen=RESERVE_SECONDS["lamp"])  # no time to cancel it
    monkeypatch.setattr(place_order_checker, "RESERVE_SECONDS", seconds)
    result = ex6.evaluate(worked(LESSON)["place_order"])
    assert result.status == "correct", result.message


def test_gather_is_told_that_a_task_group_cancels_the_other_reservations() -> None:
    message = ex6.evaluate(place_with_gather).message
    assert "pen's reservation was still going on" in message and "TaskGroup" in message


def test_waiting_for_every_reservation_before_raising_is_told_it_held_the_stock() -> None:
    message = ex6.evaluate(place_gathers_every_outcome_then_raises).message
    assert "after the pen's reservation had been allowed to finish" in message


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


def test_awaiting_the_save_task_itself_is_told_the_cancellation_reaches_it() -> None:
    message = ex6.evaluate(place_awaits_the_save_task_itself).message
    assert "awaiting a task passes your cancellation on to it" in message


def test_messages_name_reserve_and_save_as_the_answer_knows_them() -> None:
    message = ex6.evaluate(place_forgot_await_on_save).message
    assert "save" in message and "_Shop" not in message and "<locals>" not in message


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
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
        (fetch_all_from_the_done_set, "set_order"),
        (fetch_all_gather_not_awaited, "forgot_await"),
        (fetch_all_sleeps_as_long_as_the_slowest, "fixed_wait"),
        (fetch_all_polls_until_done, "polling"),
        (fetch_all_downloads_twice, "downloaded_twice"),
        (fetch_all_run_until_complete, "nested_run"),
        (fetch_all_results_right_away, "result_before_done"),
        (fetch_all_busy_waits, "hang"),
        (fetch_all_sorted, "wrong_order"),
        (fetch_all_as_a_dict, "wrong_type"),
    ],
    ex2: [
        (BackgroundNotKept, "reference_not_kept"),
        (BackgroundNoDiscard, "discard_missing"),
        (BackgroundNoWait, "wait_all_returned_early"),
        (BackgroundLoopOverSet, "set_changed_size"),
        (BackgroundUnnamed, "task_not_named"),
        (BackgroundReturnsNothing, "start_returns_no_task"),
        (BackgroundAsyncStart, "start_is_async"),
        (BackgroundAwaitsInStart, "blocking"),
        (BackgroundGathersTheSet, "gather_given_a_set"),
        (BackgroundGatherNotAwaited, "forgot_await"),
        (BackgroundCancelsInWaitAll, "cancelled_tasks"),
        (BackgroundSleepsInWaitAll, "fixed_wait"),
        (BackgroundPollsUntilEmpty, "polling"),
        (BackgroundDiscardedAtOnce, "reference_not_kept"),
        (BackgroundCallbackThatDoesNothing, "discard_missing"),
        (BackgroundBusyWaitAll, "hang"),
    ],
    ex3: [
        (deadline_without_timeout, "no_timeout"),
        (deadline_catches_cancelled_error, "timeout_escaped"),
        (deadline_catches_inside_block, "timeout_escaped"),
        (deadline_catches_everything, "caught_too_much"),
        (deadline_swallows_cancellation, "swallowed_cancellation"),
        (deadline_returns_none, "wrong_fallback"),
        (deadline_leaves_operation_running, "not_cancelled"),
        (deadline_busy_waits, "blocking"),
        (deadline_bare_except, "caught_too_much"),
        (deadline_returns_in_finally, "return_in_finally"),
        (deadline_wait_for_uncaught, "timeout_escaped"),
        (deadline_hard_coded, "ignored_seconds"),
        (deadline_sleeps_the_deadline, "kept_waiting"),
        (deadline_cancels_without_waiting, "cancelled_not_awaited"),
        (deadline_shields_the_operation, "not_cancelled"),
        (deadline_timeout_around_the_call_only, "timeout_wrong_scope"),
        (deadline_checks_the_clock_afterwards, "no_timeout"),
    ],
    ex4: [
        (order_with_gather, "argument_order"),
        (order_sequential, "sequential"),
        (order_forgot_await, "forgot_await"),
        (order_alphabetical, "wrong_order"),
        (order_tasks_left_running, "tasks_left_running"),
        (order_from_the_done_set, "set_order"),
        (order_sorted_by_delays, "hard_coded_order"),
        (order_polls_the_tasks, "polling"),
        (order_callbacks_not_waited_for, "tasks_left_running"),
        (order_blocks_while_polling, "blocking"),
        (order_awaits_each_twice, "reused_coroutine"),
        (order_tasks_awaited_in_turn, "argument_order"),
    ],
    ex5: [
        (spinner_never_started, "spinner_not_started"),
        (spinner_never_cancelled, "spinner_left_running"),
        (spinner_cancelled_not_awaited, "cancelled_not_awaited"),
        (spinner_awaited_without_catching, "cancelled_error_escaped"),
        (spinner_cleanup_not_in_finally, "cleanup_not_in_finally"),
        (spinner_swallows_cancellation, "swallowed_cancellation"),
        (spinner_swallows_error, "error_swallowed"),
        (spinner_awaited_directly, "spinner_awaited"),
        (spinner_cancel_caught_and_reraised, "swallowed_cancellation_in_cleanup"),
        (spinner_cancel_suppressed, "swallowed_cancellation_in_cleanup"),
        (spinner_asks_whether_it_was_cancelled, "swallowed_cancellation_in_cleanup"),
        (spinner_cancelling_upside_down, "cancelled_error_escaped"),
        (spinner_bare_except_in_cleanup, "swallowed_cancellation_in_cleanup"),
        (spinner_waited_for_without_cancelling, "spinner_not_cancelled"),
        (spinner_gathered_with_the_operation, "spinner_not_cancelled"),
        (spinner_not_made_a_task, "spinner_not_a_task"),
        (spinner_sleeps_while_it_erases, "fixed_wait"),
        (spinner_waits_with_a_short_timeout, "cancelled_not_awaited"),
        (spinner_returns_in_finally, "return_in_finally"),
        (spinner_in_a_task_group, "error_in_exception_group"),
        (spinner_stopped_before_the_operation, "spinner_stopped_early"),
        (spinner_started_after_the_operation, "spinner_started_late"),
    ],
    ex6: [
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
        (place_gathers_every_outcome_then_raises, "siblings_not_cancelled"),
        (place_awaits_the_reservations_in_turn, "siblings_not_cancelled"),
        (place_awaits_the_save_task_itself, "save_cut_off"),
        (place_sleeps_while_the_save_ends, "fixed_wait"),
        (place_shields_the_reservations, "save_cut_off"),
        (place_returns_in_finally, "return_in_finally"),
        (place_saves_each_item, "wrong_reservations"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
