"""Lesson 02's checkers: each realistic wrong answer is told its own mistake, and a second
correct way to write exercise 3 is accepted too.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``."""

from __future__ import annotations

import asyncio
import heapq
import logging
import re
import time
from collections import deque
from typing import Any

import pytest

from asyncio_tutorial.checkers.core import CORRECT, WRONG
from asyncio_tutorial.checkers.lesson02 import (
    Database,
    KeepRecords,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    legacy_lookup,
)

# --- Exercise 1: lookup ------------------------------------------------------------------


async def lookup_on_the_loop(symbol: str) -> float:
    return legacy_lookup(symbol)


async def lookup_awaiting_a_plain_function(symbol: str) -> float:
    return await legacy_lookup(symbol)  # type: ignore[misc]


async def lookup_passing_the_result(symbol: str) -> float:
    return await asyncio.to_thread(legacy_lookup(symbol))  # type: ignore[arg-type]


async def lookup_without_await(symbol: str) -> Any:
    return asyncio.to_thread(legacy_lookup, symbol)


def lookup_plain(symbol: str) -> float:
    return legacy_lookup(symbol)


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (lookup_on_the_loop, "called_on_loop"),
        (lookup_awaiting_a_plain_function, "awaited_plain_function"),
        (lookup_passing_the_result, "called_instead_of_passing"),
        (lookup_without_await, "forgot_await"),
        (lookup_plain, "not_async"),
    ],
)
def test_lookup_mistakes_are_named(answer: Any, mistake: str) -> None:
    result = ex1.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result


def test_blocking_lookup_is_told_to_use_to_thread() -> None:
    assert "asyncio.to_thread(legacy_lookup, symbol)" in ex1.evaluate(lookup_on_the_loop).message


# --- Exercise 2: countdown -----------------------------------------------------------------


def countdown_calling_say(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    loop.call_soon(say("ready"))
    loop.call_later(0.1, say("set"))
    loop.call_later(0.3, say("go!"))


def countdown_adding_delays(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    loop.call_soon(say, "ready")
    loop.call_later(0.1, say, "set")
    loop.call_later(0.1 + 0.1, say, "go!")  # thinks delays count from the previous one


def countdown_sleeping(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    say("ready")
    time.sleep(0.1)
    say("set")
    time.sleep(0.2)
    say("go!")


def countdown_busy_waiting(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    say("ready")
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass


def countdown_in_wrong_order(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    loop.call_soon(say, "ready")
    loop.call_later(0.3, say, "set")
    loop.call_later(0.1, say, "go!")


async def countdown_async(loop: asyncio.AbstractEventLoop, say: Any) -> None:
    say("ready")
    await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (countdown_calling_say, "called_instead_of_passing"),
        (countdown_adding_delays, "delays_added_up"),
        (countdown_sleeping, "blocking"),
        (countdown_in_wrong_order, "wrong_words"),
        (countdown_async, "not_plain"),
    ],
)
def test_countdown_mistakes_are_named(answer: Any, mistake: str) -> None:
    result = ex2.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result


@pytest.mark.parametrize("answer", [countdown_sleeping, countdown_busy_waiting])
def test_blocking_countdown_is_told_to_use_call_later_not_await(answer: Any) -> None:
    result = ex2.evaluate(answer)
    assert result.mistake == "blocking"
    assert "loop.call_later(0.1, say, 'set')" in result.message
    assert "Use `await asyncio.sleep" not in result.message


# --- Exercise 3: SyncDatabase -------------------------------------------------------------


class SyncDatabaseRight:
    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.db = self.runner.run(Database.connect())

    def fetch(self, key: str) -> str:
        return self.runner.run(self.db.fetch(key))

    def close(self) -> None:
        self.runner.run(self.db.close())
        self.runner.close()


class SyncDatabaseWithOwnLoop:
    """Also right: a loop made and closed by hand, as in the lesson's third way."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.db = self.loop.run_until_complete(Database.connect())

    def fetch(self, key: str) -> str:
        return self.loop.run_until_complete(self.db.fetch(key))

    def close(self) -> None:
        self.loop.run_until_complete(self.db.close())
        self.loop.close()


class SyncDatabaseWithAsyncioRun:
    def __init__(self) -> None:
        self.db = asyncio.run(Database.connect())

    def fetch(self, key: str) -> str:
        return asyncio.run(self.db.fetch(key))

    def close(self) -> None:
        asyncio.run(self.db.close())


class SyncDatabaseWithGetEventLoop:
    def __init__(self) -> None:
        self.loop = asyncio.get_event_loop()
        self.db = self.loop.run_until_complete(Database.connect())

    def fetch(self, key: str) -> str:
        return self.loop.run_until_complete(self.db.fetch(key))

    def close(self) -> None:
        self.loop.run_until_complete(self.db.close())
        self.loop.close()


class SyncDatabaseLeavingTheLoopOpen(SyncDatabaseRight):
    def close(self) -> None:
        self.runner.run(self.db.close())


class SyncDatabaseLeavingTheConnectionOpen(SyncDatabaseRight):
    def close(self) -> None:
        self.runner.close()


def test_sync_database_on_a_loop_made_by_hand_is_correct() -> None:
    result = ex3.evaluate(SyncDatabaseWithOwnLoop)
    assert result.status == CORRECT, result


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (SyncDatabaseWithAsyncioRun, "loop_per_call"),
        (SyncDatabaseWithGetEventLoop, "get_event_loop"),
        (SyncDatabaseLeavingTheLoopOpen, "loop_left_open"),
        (SyncDatabaseLeavingTheConnectionOpen, "connection_left_open"),
    ],
)
def test_sync_database_mistakes_are_named(answer: Any, mistake: str) -> None:
    result = ex3.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result


# --- Exercise 4: run -----------------------------------------------------------------------


def run_one_after_another(*coros: Any) -> list[Any]:
    results = []
    for coro in coros:
        while True:
            try:
                time.sleep(coro.send(None))
            except StopIteration as stop:
                results.append(stop.value)
                break
    return results


def run_ignoring_the_seconds(*coros: Any) -> list[Any]:
    results: list[Any] = [None] * len(coros)
    ready = deque(enumerate(coros))
    while ready:
        index, coro = ready.popleft()
        try:
            coro.send(None)
        except StopIteration as stop:
            results[index] = stop.value
        else:
            ready.append((index, coro))
    return results


def run_without_a_tie_breaker(*coros: Any) -> list[Any]:
    results: list[Any] = [None] * len(coros)
    place = {coro: index for index, coro in enumerate(coros)}
    ready = deque(coros)
    timers: list[tuple[float, Any]] = []
    while ready or timers:
        if not ready:
            time.sleep(max(0, timers[0][0] - time.monotonic()))
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            ready.append(heapq.heappop(timers)[1])
        for _ in range(len(ready)):
            coro = ready.popleft()
            try:
                seconds = coro.send(None)
            except StopIteration as stop:
                results[place[coro]] = stop.value
                continue
            heapq.heappush(timers, (now + seconds, coro))  # one `now` for the whole turn
    return results


def run_in_finish_order(*coros: Any) -> list[Any]:
    finished: list[Any] = []
    ready = deque(coros)
    timers: list[tuple[float, int, Any]] = []
    number = 0
    while ready or timers:
        if not ready:
            time.sleep(max(0, timers[0][0] - time.monotonic()))
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            ready.append(heapq.heappop(timers)[2])
        while ready:
            coro = ready.popleft()
            try:
                seconds = coro.send(None)
            except StopIteration as stop:
                finished.append(stop.value)
                continue
            number += 1
            heapq.heappush(timers, (time.monotonic() + seconds, number, coro))
    return finished


def run_busy_waiting(*coros: Any) -> list[Any]:
    results: list[Any] = [None] * len(coros)
    place = {coro: index for index, coro in enumerate(coros)}
    ready = deque(coros)
    timers: list[tuple[float, int, Any]] = []
    number = 0
    while ready or timers:
        now = time.monotonic()  # no sleeping: spins until a timer is due
        while timers and timers[0][0] <= now:
            ready.append(heapq.heappop(timers)[2])
        for _ in range(len(ready)):
            coro = ready.popleft()
            try:
                seconds = coro.send(None)
            except StopIteration as stop:
                results[place[coro]] = stop.value
                continue
            number += 1
            heapq.heappush(timers, (time.monotonic() + seconds, number, coro))
    return results


def run_with_asyncio(*coros: Any) -> list[Any]:
    async def everything() -> list[Any]:
        return list(await asyncio.gather(*coros))

    return asyncio.run(everything())


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (run_one_after_another, "sequential"),
        (run_ignoring_the_seconds, "woke_early"),
        (run_without_a_tie_breaker, "no_tie_breaker"),
        (run_in_finish_order, "results_in_finish_order"),
        (run_busy_waiting, "busy_wait"),
        (run_with_asyncio, "used_asyncio"),
    ],
)
def test_run_mistakes_are_named(answer: Any, mistake: str) -> None:
    result = ex4.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result


# --- Exercise 5: slow_tasks -----------------------------------------------------------------


def names_in(records: list[logging.LogRecord]) -> list[str]:
    """Every task name in the records, repeats included."""
    found = (re.search(r"name='([^']*)'", record.getMessage()) for record in records)
    return [match.group(1) for match in found if match]


def collect(main: Any, run: Any) -> list[logging.LogRecord]:
    """Run ``run(main)`` with a handler on the asyncio logger; return what it kept."""
    keep = KeepRecords()
    logger = logging.getLogger("asyncio")
    logger.addHandler(keep)
    try:
        run(main)
    finally:
        logger.removeHandler(keep)
    return keep.records


def in_debug_mode(main: Any, threshold: float) -> None:
    with asyncio.Runner(debug=True) as runner:
        runner.get_loop().slow_callback_duration = threshold
        runner.run(main())


def slow_tasks_with_asyncio_run(main: Any, threshold: float) -> list[str]:
    async def with_threshold() -> None:
        asyncio.get_running_loop().slow_callback_duration = threshold
        await main()

    records = collect(main, lambda _: asyncio.run(with_threshold(), debug=True))
    return sorted(set(names_in(records)))


def slow_tasks_without_debug_mode(main: Any, threshold: float) -> list[str]:
    def run(main: Any) -> None:
        with asyncio.Runner() as runner:
            runner.get_loop().slow_callback_duration = threshold
            runner.run(main())

    return sorted(set(names_in(collect(main, run))))


def slow_tasks_default_threshold(main: Any, threshold: float) -> list[str]:
    records = collect(main, lambda main: asyncio.run(main(), debug=True))
    return sorted(set(names_in(records)))


def slow_tasks_handler_left_attached(main: Any, threshold: float) -> list[str]:
    keep = KeepRecords()
    logging.getLogger("asyncio").addHandler(keep)
    in_debug_mode(main, threshold)
    return sorted(set(names_in(keep.records)))


def slow_tasks_repeated(main: Any, threshold: float) -> list[str]:
    return sorted(names_in(collect(main, lambda main: in_debug_mode(main, threshold))))


def slow_tasks_whole_reports(main: Any, threshold: float) -> list[str]:
    records = collect(main, lambda main: in_debug_mode(main, threshold))
    return [record.getMessage() for record in records]


def slow_tasks_no_handler(main: Any, threshold: float) -> list[str]:
    in_debug_mode(main, threshold)
    return []


KEPT_ACROSS_CALLS = KeepRecords()


def slow_tasks_one_handler_for_every_call(main: Any, threshold: float) -> list[str]:
    logger = logging.getLogger("asyncio")
    logger.addHandler(KEPT_ACROSS_CALLS)
    try:
        in_debug_mode(main, threshold)
    finally:
        logger.removeHandler(KEPT_ACROSS_CALLS)
    return sorted(set(names_in(KEPT_ACROSS_CALLS.records)))


def slow_tasks_never_runs_main(main: Any, threshold: float) -> list[str]:
    main()
    return []


def slow_tasks_passing_main_itself(main: Any, threshold: float) -> list[str]:
    with asyncio.Runner(debug=True) as runner:
        runner.run(main)
    return []


async def slow_tasks_async(main: Any, threshold: float) -> list[str]:
    await main()
    return []


def test_slow_tasks_with_asyncio_run_is_correct_too() -> None:
    result = ex5.evaluate(slow_tasks_with_asyncio_run)
    assert result.status == CORRECT, result


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (slow_tasks_without_debug_mode, "debug_mode_off"),
        (slow_tasks_default_threshold, "threshold_not_set"),
        (slow_tasks_handler_left_attached, "handler_left_attached"),
        (slow_tasks_repeated, "repeated_names"),
        (slow_tasks_whole_reports, "whole_reports"),
        (slow_tasks_no_handler, "reports_not_collected"),
        (slow_tasks_one_handler_for_every_call, "stale_reports"),
        (slow_tasks_never_runs_main, "main_not_run"),
        (slow_tasks_passing_main_itself, "main_not_called"),
        (slow_tasks_async, "not_plain"),
    ],
)
def test_slow_tasks_mistakes_are_named(answer: Any, mistake: str) -> None:
    result = ex5.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result


def test_a_handler_left_attached_is_removed_by_the_check() -> None:
    before = list(logging.getLogger("asyncio").handlers)
    ex5.evaluate(slow_tasks_handler_left_attached)
    assert logging.getLogger("asyncio").handlers == before


def test_reports_of_an_answer_without_a_handler_do_not_reach_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a kernel: no handler anywhere (pytest's own would hide a stray report).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    ex5.evaluate(slow_tasks_no_handler)
    assert "Executing" not in capsys.readouterr().err
