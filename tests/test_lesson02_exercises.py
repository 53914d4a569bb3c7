"""Lesson 02's checkers: each realistic wrong answer is told its own mistake, and a second
correct way to write exercise 3 is accepted too.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``test_exercise_answers.py``."""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from typing import Any

import pytest

from asyncio_tutorial.exercises.core import CORRECT, WRONG
from asyncio_tutorial.exercises.lesson02 import Database, ex1, ex2, ex3, ex4, legacy_lookup

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
