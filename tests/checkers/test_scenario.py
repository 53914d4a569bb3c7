"""The scenario pieces checkers build on: each asked the question it exists to answer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import urllib.request
from typing import Any

import pytest

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.scenario import (
    Concurrency,
    Ending,
    LoopThreadGuard,
    blocking_client,
    judge_limit,
    loop_reported,
    names_used,
    returned_future,
    watch,
    watch_answer,
)

# --- Concurrency ----------------------------------------------------------------------------


def test_concurrency_counts_the_most_at_once_and_in_all() -> None:
    traffic = Concurrency()

    async def one(seconds: float) -> None:
        async with traffic.track():
            await asyncio.sleep(seconds)

    async def main() -> None:
        await asyncio.gather(one(0.02), one(0.02), one(0.02))
        await one(0.01)

    asyncio.run(main())
    assert (traffic.in_flight, traffic.peak, traffic.total) == (0, 3, 4)
    assert traffic.describe(4) == "at most 3 of the 4 at the same time"
    traffic.reset()
    asyncio.run(one(0.01))
    assert traffic.describe(1) == "one after another, never two at once"


# --- watch: how a task ended ---------------------------------------------------------------


async def returns_soon() -> str:
    await asyncio.sleep(0.01)
    return "done"


async def fails_soon() -> None:
    await asyncio.sleep(0.01)
    raise ValueError("broken")


async def sleeps_long() -> None:
    await asyncio.sleep(10)


async def swallows_one_cancellation() -> str:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(10)  # the cleanup, which a second cancel stops
    return "swallowed"


def watched(start: Any, **cancel: float) -> Ending:
    ending = Ending()
    asyncio.run(watch(start, ending, **cancel))
    return ending


def test_watch_tells_returned_raised_and_cancelled_apart() -> None:
    assert watched(returns_soon).describe() == "returned 'done'"
    assert watched(fails_soon).describe() == "raised ValueError: broken"
    cancelled = watched(sleeps_long, cancel_after=0.02)
    assert cancelled.cancelled and cancelled.cancel_requests == 1
    assert cancelled.describe() == "ended cancelled"


def test_watch_cancels_again_during_the_cleanup_when_asked() -> None:
    once = watched(swallows_one_cancellation, cancel_after=0.02, give_up_after=0.05)
    assert not once.finished and once.describe() == "did not end"
    twice = watched(swallows_one_cancellation, cancel_after=0.02, cancel_again_after=0.02)
    assert twice.cancelled and twice.cancel_requests == 2


def test_watch_closes_a_returned_coroutine_and_names_it() -> None:
    async def forgets() -> Any:
        return returns_soon()

    ending = watched(forgets)
    assert ending.returned_coroutines == ["returns_soon"]
    assert ending.value.cr_frame is None  # closed: no "never awaited" warning later


def test_watch_answer_runs_on_the_runner_and_reports_the_stub() -> None:
    outcome, ending = watch_answer(returns_soon)
    assert ending.value == "done" and outcome.error is None

    async def stub() -> None:
        raise NotImplementedError

    from asyncio_tutorial.checkers.core import NotAttempted

    with pytest.raises(NotAttempted):
        watch_answer(stub)


# --- threads and the loop --------------------------------------------------------------------


def test_loop_thread_guard_notes_call_soon_from_another_thread_only() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with LoopThreadGuard(loop) as guard:
            thread = threading.Thread(target=lambda: loop.call_soon(future.set_result, 1))
            thread.start()
            thread.join()
            loop.call_soon_threadsafe(lambda: None)
            loop.call_soon(lambda: None)
            await asyncio.sleep(0.01)
        return guard.calls

    assert asyncio.run(main()) == ["Future.set_result"]


# --- what an answer's code uses --------------------------------------------------------------


def test_names_used_sees_nested_code_and_class_methods() -> None:
    def fetch(url: str) -> bytes:
        def inner() -> bytes:
            return urllib.request.urlopen(url).read()

        return inner()

    class Client:
        def get(self) -> None:
            threading.Event().wait(1)

    assert {"urllib", "request", "urlopen", "read"} <= names_used(fetch)
    assert {"threading", "Event", "wait"} <= names_used(Client)


def test_blocking_client_asks_the_server_first_then_the_code() -> None:
    async def plain(url: str) -> None:
        await asyncio.sleep(0)

    def with_urllib(url: str) -> bytes:
        return urllib.request.urlopen(url).read()

    assert blocking_client(plain, {"urllib": 3}) == "urllib.request.urlopen"
    assert blocking_client(with_urllib) == "urllib.request.urlopen"
    assert blocking_client(plain, {"aiohttp": 3}) is None


@pytest.mark.parametrize(
    ("peak", "mistake"), [(5, "unbounded"), (1, "sequential"), (3, None), (2, None)]
)
def test_judge_limit_by_what_the_server_counted(peak: int, mistake: str | None) -> None:
    try:
        judge_limit(peak, 3, 10, "fetch_all(urls)")
    except Wrong as verdict:
        assert verdict.mistake == mistake
    else:
        assert mistake is None


def test_one_at_a_time_is_not_sequential_when_one_was_all_there_was() -> None:
    judge_limit(1, 3, 1, "fetch_all([url])")  # raises nothing


def test_returned_future_is_named_for_both_kinds_and_for_lists() -> None:
    async def futures() -> list[Any]:
        return [asyncio.get_running_loop().create_future()]

    for value in (concurrent.futures.Future(), asyncio.run(futures())):
        with pytest.raises(Wrong) as verdict:
            returned_future(value, "f()")
        assert verdict.value.mistake == "returned_future"
    returned_future(42, "f()")  # a result: nothing to say


def test_loop_reported_finds_an_error_by_name() -> None:
    errors = ["Exception in callback Future.set_result(1): InvalidStateError: invalid state"]
    assert loop_reported(errors, "InvalidStateError")
    assert not loop_reported(errors, "CancelledError")
