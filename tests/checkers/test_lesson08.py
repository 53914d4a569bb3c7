"""Lesson 08's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.lesson08 import (
    Connection,
    ask,
    ex1,
    ex2,
    ex3,
    ex4,
    load,
)


def ids(value: Any) -> str:
    return getattr(value, "__name__", str(value))


def test_the_pretend_services_behave_as_their_docstrings_say() -> None:
    async def scenario() -> list[Any]:
        conn = Connection()
        sent = await conn.send(b"hello")
        await conn.close()
        results = await asyncio.gather(
            load("sales"), load("prices"), ask("us"), return_exceptions=True
        )
        return [sent, conn.closed, *results]

    sent, closed, sales, prices, us = asyncio.run(scenario())
    assert (sent, closed, sales, us) == ("sent 5 bytes", True, "<sales data>", "file from us")
    assert isinstance(prices, ConnectionError)


# --- exercise 1: load_report -----------------------------------------------------------


async def report_plain_except(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except ConnectionError as error:
        errors.append(error)
    return {s: t.result() for s, t in tasks.items()}, errors


async def report_reads_every_result(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = list(group.exceptions)
    return {s: t.result() for s, t in tasks.items() if t.exception() is None}, errors


async def report_catches_everything(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* Exception as group:
        errors = list(group.exceptions)
    done = {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}
    return {s: t.result() for s, t in done.items()}, errors


async def report_with_gather(sources: list[str]) -> Any:
    results = await asyncio.gather(*(load(s) for s in sources), return_exceptions=True)
    loaded = {s: r for s, r in zip(sources, results, strict=True) if isinstance(r, str)}
    return loaded, [r for r in results if isinstance(r, ConnectionError)]


async def report_keeps_the_first_error(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = [group.exceptions[0]]
    done = {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}
    return {s: t.result() for s, t in done.items()}, errors


async def report_one_by_one(sources: list[str]) -> Any:
    loaded, errors = {}, []
    for source in sources:
        try:
            loaded[source] = await load(source)
        except ConnectionError as error:
            errors.append(error)
            break
    return loaded, errors


async def report_returns_the_group(sources: list[str]) -> Any:
    tasks: dict[str, Any] = {}
    errors: Any = []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = group
    done = {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}
    return {s: t.result() for s, t in done.items()}, errors


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (report_plain_except, "plain_except"),
        (report_reads_every_result, "result_of_cancelled_task"),
        (report_catches_everything, "caught_too_much"),
        (report_with_gather, "waited_for_all"),
        (report_keeps_the_first_error, "lost_errors"),
        (report_one_by_one, "sequential"),
        (report_returns_the_group, "wrong_type"),
    ],
    ids=ids,
)
def test_load_report_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


def test_plain_except_is_told_about_except_star() -> None:
    assert "except* ConnectionError" in ex1.evaluate(report_plain_except).message


# --- exercise 2: fastest ---------------------------------------------------------------


class Answered(Exception):
    pass


async def fastest_with_gather(mirrors: list[str]) -> str:
    answers = await asyncio.gather(*(ask(mirror) for mirror in mirrors))
    return answers[0]


async def fastest_with_gather_in_time_order(mirrors: list[str]) -> str:
    return [await next_done for next_done in asyncio.as_completed([ask(m) for m in mirrors])][0]


async def fastest_leaves_the_others(mirrors: list[str]) -> str:
    tasks = [asyncio.create_task(ask(mirror)) for mirror in mirrors]
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    return done.pop().result()


async def fastest_cancels_without_waiting(mirrors: list[str]) -> str:
    tasks = [asyncio.create_task(ask(mirror)) for mirror in mirrors]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return done.pop().result()


async def fastest_exception_not_caught(mirrors: list[str]) -> str:
    answers = []

    async def request(mirror: str) -> None:
        answers.append(await ask(mirror))
        raise Answered

    async with asyncio.TaskGroup() as tg:
        for mirror in mirrors:
            tg.create_task(request(mirror))
    return answers[0]


async def fastest_plain_except(mirrors: list[str]) -> str:
    answers = []

    async def request(mirror: str) -> None:
        answers.append(await ask(mirror))
        raise Answered

    try:
        async with asyncio.TaskGroup() as tg:
            for mirror in mirrors:
                tg.create_task(request(mirror))
    except Answered:
        pass
    return answers[0]


async def fastest_one_by_one(mirrors: list[str]) -> str:
    for mirror in mirrors:
        return await ask(mirror)
    raise LookupError


async def fastest_returns_the_list(mirrors: list[str]) -> list[str]:
    answers = []

    async def request(mirror: str) -> None:
        answers.append(await ask(mirror))
        raise Answered

    try:
        async with asyncio.TaskGroup() as tg:
            for mirror in mirrors:
                tg.create_task(request(mirror))
    except* Answered:
        pass
    return answers


async def fastest_reads_the_first_task(mirrors: list[str]) -> str:
    tasks = []

    async def request(mirror: str) -> str:
        answer = await ask(mirror)
        raise Answered(answer)

    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(request(mirror)) for mirror in mirrors]
    except* Answered:
        pass
    return tasks[0].result()


async def fastest_with_taskgroup_cancel(mirrors: list[str]) -> str:
    answers = []
    async with asyncio.TaskGroup() as tg:

        async def request(mirror: str) -> None:
            answers.append(await ask(mirror))
            tg.cancel()  # type: ignore[attr-defined]

        for mirror in mirrors:
            tg.create_task(request(mirror))
    return answers[0]


async def fastest_with_wait_and_cancel(mirrors: list[str]) -> str:
    tasks = [asyncio.create_task(ask(mirror)) for mirror in mirrors]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.wait(pending)
    return done.pop().result()


def test_waiting_for_the_first_and_cancelling_the_rest_is_right_too() -> None:
    result = ex2.evaluate(fastest_with_wait_and_cancel)
    assert result.status == "correct", result.message


def test_taskgroup_cancel_is_right_where_python_has_it_and_explained_where_not() -> None:
    result = ex2.evaluate(fastest_with_taskgroup_cancel)
    if versions.has("TaskGroup.cancel"):
        assert result.status == "correct", result.message
    else:
        assert result.mistake == "taskgroup_cancel_missing"
        assert "3.15" in result.message and "except*" in result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (fastest_with_gather, "waited_for_all"),
        (fastest_with_gather_in_time_order, "waited_for_all"),
        (fastest_leaves_the_others, "others_left_running"),
        (fastest_cancels_without_waiting, "cancelled_not_awaited"),
        (fastest_exception_not_caught, "group_escaped"),
        (fastest_plain_except, "group_escaped"),
        (fastest_one_by_one, "sequential"),
        (fastest_returns_the_list, "wrong_value"),
        (fastest_reads_the_first_task, "result_of_cancelled_task"),
    ],
    ids=ids,
)
def test_fastest_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


# --- exercise 3: upload ----------------------------------------------------------------


async def upload_plain_finally(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        await conn.close()


async def upload_closes_on_success_only(conn: Connection, data: bytes) -> str:
    result = await conn.send(data)
    await conn.close()
    return result


async def upload_swallows_cancellation(conn: Connection, data: bytes) -> str | None:
    try:
        return await conn.send(data)
    except asyncio.CancelledError:
        return None
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
            raise


async def upload_shield_only(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        await asyncio.shield(conn.close())


async def upload_swallows_the_second_cancellation(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])  # BUG: no raise


async def upload_closes_in_the_background(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        asyncio.create_task(conn.close())


async def upload_close_not_awaited(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        conn.close()  # type: ignore[unused-coroutine]


async def upload_swallows_the_error(conn: Connection, data: bytes) -> str | None:
    try:
        return await conn.send(data)
    except ConnectionError:
        return None
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
            raise


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (upload_plain_finally, "cleanup_cut_short"),
        (upload_closes_on_success_only, "close_not_in_finally"),
        (upload_swallows_cancellation, "swallowed_cancellation"),
        (upload_shield_only, "ended_before_cleanup"),
        (upload_swallows_the_second_cancellation, "swallowed_cancellation"),
        (upload_closes_in_the_background, "ended_before_cleanup"),
        (upload_close_not_awaited, "forgot_await"),
        (upload_swallows_the_error, "error_swallowed"),
    ],
    ids=ids,
)
def test_upload_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_plain_finally_is_told_about_the_second_cancellation_and_shield() -> None:
    message = ex3.evaluate(upload_plain_finally).message
    assert "second cancel()" in message and "shield" in message


# --- exercise 4: shut_down -------------------------------------------------------------


async def shut_down_at_once(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    return 0, len(tasks)


async def shut_down_without_limit(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
    await asyncio.gather(*tasks)
    return len(tasks), 0


async def shut_down_sleeps_the_grace(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    await asyncio.sleep(grace)
    unfinished = [task for task in tasks if not task.done()]
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    return len(tasks) - len(unfinished), len(unfinished)


async def shut_down_cancel_not_awaited(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    return len(done), len(pending)


async def shut_down_gathers_the_cancelled(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending)
    return len(done), len(pending)


async def shut_down_counts_after_the_end(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    return sum(task.done() for task in tasks), len(pending)


async def shut_down_time_sleep(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
    time.sleep(grace)
    return len(tasks), 0


async def shut_down_with_wait_for(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), grace)
    except TimeoutError:
        pass
    cancelled = sum(task.cancelled() for task in tasks)
    return len(tasks) - cancelled, cancelled


def test_wait_for_around_gather_is_right_too() -> None:
    result = ex4.evaluate(shut_down_with_wait_for)
    assert result.status == "correct", result.message


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (shut_down_at_once, "no_grace"),
        (shut_down_without_limit, "ignored_grace"),
        (shut_down_sleeps_the_grace, "waited_full_grace"),
        (shut_down_cancel_not_awaited, "cancelled_not_awaited"),
        (shut_down_gathers_the_cancelled, "cancelled_error_escaped"),
        (shut_down_counts_after_the_end, "wrong_counts"),
        (shut_down_time_sleep, "blocking"),
    ],
    ids=ids,
)
def test_shut_down_mistakes(answer: Any, mistake: str) -> None:
    assert ex4.evaluate(answer).mistake == mistake
