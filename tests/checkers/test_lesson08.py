"""Lesson 08's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.lesson08 import (
    Connection,
    Pool,
    ask,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    ex6,
    load,
    run_job,
)

LESSON = "08-errors-and-cancellation"


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


async def report_first_error_of_gather(sources: list[str]) -> Any:
    tasks = {source: asyncio.create_task(load(source)) for source in sources}
    errors = []
    try:
        await asyncio.gather(*tasks.values())
    except ConnectionError as error:
        errors.append(error)
    done = {s: t for s, t in tasks.items() if t.done() and not t.cancelled()}
    return {s: t.result() for s, t in done.items() if t.exception() is None}, errors


async def report_catches_nothing(sources: list[str]) -> Any:
    tasks = {}
    async with asyncio.TaskGroup() as tg:
        for source in sources:
            tasks[source] = tg.create_task(load(source))
    return {s: t.result() for s, t in tasks.items()}, []


async def report_keeps_none_for_the_rest(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = list(group.exceptions)
    return {
        s: (t.result() if not t.cancelled() and t.exception() is None else None)
        for s, t in tasks.items()
    }, errors


async def report_errors_as_text(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = [str(error) for error in group.exceptions]
    done = {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}
    return {s: t.result() for s, t in done.items()}, errors


async def report_one_group_per_source(sources: list[str]) -> Any:
    loaded: dict[str, str] = {}
    errors: list[Exception] = []
    for source in sources:
        if errors:
            break
        try:
            async with asyncio.TaskGroup() as tg:
                task = tg.create_task(load(source))
            loaded[source] = task.result()
        except* ConnectionError as group:
            errors.extend(group.exceptions)
    return loaded, errors


async def report_returns_the_tasks(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except* ConnectionError as group:
        errors = list(group.exceptions)
    return {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}, errors


async def report_keeps_the_group_itself(sources: list[str]) -> Any:
    tasks, errors = {}, []
    try:
        async with asyncio.TaskGroup() as tg:
            for source in sources:
                tasks[source] = tg.create_task(load(source))
    except Exception as error:  # an ExceptionGroup is an Exception
        errors.append(error)
    done = {s: t for s, t in tasks.items() if not t.cancelled() and t.exception() is None}
    return {s: t.result() for s, t in done.items()}, errors


async def report_catches_inside_each_task(sources: list[str]) -> Any:
    loaded: dict[str, str] = {}
    errors: list[Exception] = []

    async def load_one(source: str) -> None:
        try:
            loaded[source] = await load(source)
        except ConnectionError as error:
            errors.append(error)

    async with asyncio.TaskGroup() as tg:
        for source in sources:
            tg.create_task(load_one(source))
    return loaded, errors


def test_load_report_keeping_data_as_it_arrives_is_right_too() -> None:
    async def load_report(sources: list[str]) -> Any:
        loaded: dict[str, str] = {}
        errors: list[Exception] = []

        async def keep(source: str) -> None:
            loaded[source] = await load(source)

        try:
            async with asyncio.TaskGroup() as tg:
                for source in sources:
                    tg.create_task(keep(source))
        except* ConnectionError as group:
            errors.extend(group.exceptions)
        return loaded, errors

    result = ex1.evaluate(load_report)
    assert result.status == "correct", result.message


def test_load_report_with_a_loop_over_the_tasks_is_right_too() -> None:
    async def load_report(sources: list[str]) -> Any:
        tasks = []
        errors: list[Exception] = []
        try:
            async with asyncio.TaskGroup() as tg:
                tasks = [(source, tg.create_task(load(source))) for source in sources]
        except* ConnectionError as group:
            for error in group.exceptions:
                errors.append(error)
        loaded = {}
        for source, task in tasks:
            if task.cancelled() or task.exception() is not None:
                continue
            loaded[source] = task.result()
        return loaded, errors

    result = ex1.evaluate(load_report)
    assert result.status == "correct", result.message


def test_no_except_at_all_is_told_to_catch_the_group() -> None:
    result = ex1.evaluate(report_catches_nothing)
    assert result.mistake == "errors_not_caught"
    assert "plain `except" not in result.message


def test_load_report_correct_message_states_what_was_measured() -> None:
    message = ex1.evaluate(worked(LESSON)["load_report"]).message
    assert "stopped the 2 sources still loading" in message
    assert "every ConnectionError, 2 of them when two sources failed" in message
    assert re.search(r"after 0\.\d s, not 0\.4 s", message)


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


async def fastest_catches_every_exception(mirrors: list[str]) -> str:
    answers = []

    async def request(mirror: str) -> None:
        answers.append(await ask(mirror))
        raise Answered

    try:
        async with asyncio.TaskGroup() as tg:
            for mirror in mirrors:
                tg.create_task(request(mirror))
    except* Exception:
        pass
    return answers[0]


async def fastest_forgot_await_on_ask(mirrors: list[str]) -> Any:
    answers = []

    async def request(mirror: str) -> None:
        answers.append(ask(mirror))
        raise Answered

    try:
        async with asyncio.TaskGroup() as tg:
            for mirror in mirrors:
                tg.create_task(request(mirror))
    except* Answered:
        pass
    return answers[0]


async def fastest_bare_except_in_the_request(mirrors: list[str]) -> str:
    answers = []

    async def request(mirror: str) -> None:
        try:
            answers.append(await ask(mirror))
            raise Answered
        except:  # noqa: E722 - the mistake under test: it catches Answered too
            pass

    async with asyncio.TaskGroup() as tg:
        for mirror in mirrors:
            tg.create_task(request(mirror))
    return answers[0]


async def fastest_wait_not_awaited(mirrors: list[str]) -> str:
    tasks = [asyncio.create_task(ask(mirror)) for mirror in mirrors]
    done, pending = asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[misc]
    for task in pending:
        task.cancel()
    return done.pop().result()


async def fastest_gathers_the_cancelled(mirrors: list[str]) -> str:
    tasks = [asyncio.create_task(ask(mirror)) for mirror in mirrors]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending)
    return done.pop().result()


def test_the_error_of_a_mirror_that_is_down_must_reach_the_caller() -> None:
    result = ex2.evaluate(fastest_catches_every_exception)
    assert result.mistake == "caught_too_much"
    assert "ConnectionError" in result.message


def test_fastest_correct_message_states_what_was_measured() -> None:
    message = ex2.evaluate(worked(LESSON)["fastest"]).message
    assert "with the 2 slower requests cancelled and stopped" in message
    assert re.search(r"after 0\.\d s", message)


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


async def upload_forgot_await_on_send(conn: Connection, data: bytes) -> Any:
    try:
        return conn.send(data)
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
            raise


async def upload_returns_in_finally(conn: Connection, data: bytes) -> str | None:
    result = None
    try:
        result = await conn.send(data)
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
        return result  # noqa: B012 - the mistake under test


async def upload_catches_exception_around_the_shield(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except Exception:  # CancelledError is not an Exception
            await asyncio.wait([closing])
            raise


async def upload_closes_only_on_error(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    except BaseException:
        await conn.close()
        raise


async def upload_awaits_the_close_task_without_shield(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    finally:
        closing = asyncio.create_task(conn.close())
        await closing


async def upload_replaces_the_error(conn: Connection, data: bytes) -> str:
    try:
        return await conn.send(data)
    except ConnectionError:
        raise RuntimeError("upload failed") from None
    finally:
        closing = asyncio.create_task(conn.close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await asyncio.wait([closing])
            raise


def test_a_send_returned_unawaited_is_a_forgotten_await() -> None:
    result = ex3.evaluate(upload_forgot_await_on_send)
    assert result.mistake == "forgot_await", result.message
    assert "send" in result.message


def test_upload_awaiting_the_close_again_after_the_shield_is_right_too() -> None:
    async def upload(conn: Connection, data: bytes) -> str:
        try:
            result = await conn.send(data)
        finally:
            closing = asyncio.ensure_future(conn.close())
            try:
                await asyncio.shield(closing)
            except asyncio.CancelledError:
                while not closing.done():
                    await asyncio.wait([closing])
                raise
        return result

    result = ex3.evaluate(upload)
    assert result.status == "correct", result.message


def test_upload_correct_message_states_what_was_measured() -> None:
    message = ex3.evaluate(worked(LESSON)["upload"]).message
    assert says_measured(message, "returned 'sent 5 bytes' after {0.5} s"), message
    assert "in all 3 cancellations" in message


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


async def shut_down_wait_not_awaited(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    finished, unfinished = asyncio.wait(tasks, timeout=grace)  # type: ignore[misc]
    for task in unfinished:
        task.cancel()
    return len(finished), len(unfinished)


async def shut_down_guesses_the_rollback(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    finished, unfinished = await asyncio.wait(tasks, timeout=grace)
    for task in unfinished:
        task.cancel()
    await asyncio.sleep(0.1)  # a rollback takes 0.1 s
    return len(finished), len(unfinished)


async def shut_down_until_the_first_finishes(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    finished, unfinished = await asyncio.wait(
        tasks, timeout=grace, return_when=asyncio.FIRST_COMPLETED
    )
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    return len(finished), len(unfinished)


async def shut_down_returns_the_sets(tasks: set[asyncio.Task[Any]], grace: float) -> Any:
    finished, unfinished = await asyncio.wait(tasks, timeout=grace)
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    return finished, unfinished


async def shut_down_counts_the_wrong_way_round(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    finished, unfinished = await asyncio.wait(tasks, timeout=grace)
    for task in unfinished:
        task.cancel()
    if unfinished:
        await asyncio.wait(unfinished)
    return len(unfinished), len(finished)


async def shut_down_forgets_to_cancel(
    tasks: set[asyncio.Task[Any]], grace: float
) -> tuple[int, int]:
    finished, unfinished = await asyncio.wait(tasks, timeout=grace)
    if unfinished:
        await asyncio.wait(unfinished)  # waits for them to finish by themselves
    return len(finished), len(unfinished)


def test_shut_down_with_a_timeout_and_gather_is_right_too() -> None:
    async def shut_down(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
        try:
            async with asyncio.timeout(grace):
                await asyncio.gather(*tasks)
        except TimeoutError:
            pass
        cancelled = sum(task.cancelled() for task in tasks)
        return len(tasks) - cancelled, cancelled

    result = ex4.evaluate(shut_down)
    assert result.status == "correct", result.message


def test_shut_down_cancelling_then_gathering_with_return_exceptions_is_right_too() -> None:
    async def shut_down(tasks: set[asyncio.Task[Any]], grace: float) -> tuple[int, int]:
        done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(done), len(pending)

    result = ex4.evaluate(shut_down)
    assert result.status == "correct", result.message


def test_a_sleep_guessing_the_rollback_is_named() -> None:
    message = ex4.evaluate(shut_down_guesses_the_rollback).message
    assert "slept 0.1 s after cancelling them" in message


def test_shut_down_correct_message_states_what_was_measured() -> None:
    message = ex4.evaluate(worked(LESSON)["shut_down"]).message
    assert says_measured(message, "returned (2, 1) after {0.4} s"), message
    assert says_measured(message, "returned (2, 0) after {0.2} s"), message


def test_wait_for_around_gather_is_right_too() -> None:
    result = ex4.evaluate(shut_down_with_wait_for)
    assert result.status == "correct", result.message


# --- exercise 5: run_batch -------------------------------------------------------------


async def batch_plain_gather(jobs: list[str]) -> Any:
    return await asyncio.gather(*(run_job(job) for job in jobs))


async def batch_raises_the_first_error(jobs: list[str]) -> Any:
    results = await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


async def batch_awaits_each_task(jobs: list[str]) -> Any:
    tasks = [asyncio.create_task(run_job(job)) for job in jobs]
    return [await task for task in tasks]


async def batch_one_by_one(jobs: list[str]) -> Any:
    results: list[Any] = []
    for job in jobs:
        try:
            results.append(await run_job(job))
        except Exception as error:
            results.append(error)
    return results


async def batch_one_by_one_without_try(jobs: list[str]) -> Any:
    return [await run_job(job) for job in jobs]


async def batch_keeps_the_results_only(jobs: list[str]) -> Any:
    results = await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)
    return [result for result in results if not isinstance(result, Exception)]


async def batch_as_completed(jobs: list[str]) -> Any:
    results: list[Any] = []
    for next_done in asyncio.as_completed([run_job(job) for job in jobs]):
        try:
            results.append(await next_done)
        except Exception as error:
            results.append(error)
    return results


async def batch_errors_as_text(jobs: list[str]) -> Any:
    results = await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)
    return [str(result) for result in results]


async def batch_fire_and_forget(jobs: list[str]) -> Any:
    results: list[Any] = [None] * len(jobs)

    async def run(index: int, job: str) -> None:
        results[index] = await run_job(job)

    for index, job in enumerate(jobs):
        asyncio.create_task(run(index, job))  # noqa: RUF006
    await asyncio.sleep(0.5)
    return results


async def batch_task_group(jobs: list[str]) -> Any:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(run_job(job)) for job in jobs]
    return [task.result() for task in tasks]


async def batch_gather_not_awaited(jobs: list[str]) -> Any:
    return asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)


async def batch_first_exception(jobs: list[str]) -> Any:
    tasks = [asyncio.create_task(run_job(job)) for job in jobs]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    return [task.exception() or task.result() if task.done() else None for task in tasks]


async def batch_none_for_the_errors(jobs: list[str]) -> Any:
    results = await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)
    return [None if isinstance(result, Exception) else result for result in results]


async def batch_catches_connection_errors_only(jobs: list[str]) -> Any:
    tasks = [asyncio.create_task(run_job(job)) for job in jobs]
    results: list[Any] = []
    for task in tasks:
        try:
            results.append(await task)
        except ConnectionError as error:
            results.append(error)
    return results


async def batch_waits_then_reads_results(jobs: list[str]) -> Any:
    tasks = [asyncio.create_task(run_job(job)) for job in jobs]
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]


async def batch_sleeps_for_safety(jobs: list[str]) -> Any:
    results = await asyncio.gather(*(run_job(job) for job in jobs), return_exceptions=True)
    await asyncio.sleep(0.5)  # let everything settle
    return results


async def batch_forgot_await_on_run_job(jobs: list[str]) -> Any:
    return [run_job(job) for job in jobs]


def test_run_batch_with_tasks_awaited_in_turn_is_right_too() -> None:
    async def run_batch(jobs: list[str]) -> Any:
        tasks = [asyncio.create_task(run_job(job)) for job in jobs]
        results: list[Any] = []
        for task in tasks:
            try:
                results.append(await task)
            except Exception as error:
                results.append(error)
        return results

    result = ex5.evaluate(run_batch)
    assert result.status == "correct", result.message


def test_run_batch_with_wait_and_exception_is_right_too() -> None:
    async def run_batch(jobs: list[str]) -> Any:
        tasks = [asyncio.create_task(run_job(job)) for job in jobs]
        await asyncio.wait(tasks)
        return [task.exception() or task.result() for task in tasks]

    result = ex5.evaluate(run_batch)
    assert result.status == "correct", result.message


def test_run_batch_with_a_task_group_of_wrappers_is_right_too() -> None:
    async def run_batch(jobs: list[str]) -> Any:
        async def outcome(job: str) -> Any:
            try:
                return await run_job(job)
            except Exception as error:
                return error

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(outcome(job)) for job in jobs]
        return [task.result() for task in tasks]

    result = ex5.evaluate(run_batch)
    assert result.status == "correct", result.message


def test_never_retrieved_names_the_exceptions_the_loop_reported() -> None:
    message = ex5.evaluate(batch_awaits_each_task).message
    assert "Task exception was never retrieved" in message
    assert "ValueError: scan: unreadable file" in message
    assert "PermissionError: backup: permission denied" in message


def test_run_batch_correct_message_states_what_was_measured() -> None:
    message = ex5.evaluate(worked(LESSON)["run_batch"]).message
    assert says_measured(message, "returned after {0.3} s"), message
    assert "the 2 results and the 3 exceptions" in message


# --- exercise 6: fetch_rows ------------------------------------------------------------


async def rows_swallows_the_cancellation(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        try:
            return await conn.query(sql)
        except asyncio.CancelledError:
            return None
        finally:
            pool.release(conn)


async def rows_releases_after_the_query(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        rows = await conn.query(sql)
        pool.release(conn)
        return rows


async def rows_shielded_wait_for(pool: Any, sql: str, deadline: float) -> Any:
    conn = await pool.acquire()
    try:
        return await asyncio.wait_for(asyncio.shield(conn.query(sql)), deadline)
    finally:
        pool.release(conn)


async def rows_checks_the_clock(pool: Any, sql: str, deadline: float) -> Any:
    loop = asyncio.get_running_loop()
    started = loop.time()
    conn = await pool.acquire()
    try:
        rows = await conn.query(sql)
    finally:
        pool.release(conn)
    if loop.time() - started > deadline:
        raise TimeoutError
    return rows


async def rows_catches_timeout_inside(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        try:
            rows = await conn.query(sql)
        except (TimeoutError, ValueError):
            pool.release(conn)
            raise
        pool.release(conn)
        return rows


async def rows_returns_none_on_timeout(pool: Any, sql: str, deadline: float) -> Any:
    try:
        async with asyncio.timeout(deadline):
            conn = await pool.acquire()
            try:
                return await conn.query(sql)
            finally:
                pool.release(conn)
    except TimeoutError:
        return None


async def rows_deadline_around_the_query_only(pool: Any, sql: str, deadline: float) -> Any:
    conn = await pool.acquire()
    try:
        async with asyncio.timeout(deadline):
            return await conn.query(sql)
    finally:
        pool.release(conn)


async def rows_releases_what_it_may_not_have(pool: Any, sql: str, deadline: float) -> Any:
    try:
        async with asyncio.timeout(deadline):
            conn = await pool.acquire()
            return await conn.query(sql)
    finally:
        pool.release(conn)


async def rows_turns_cancellation_into_timeout(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        try:
            return await conn.query(sql)
        except asyncio.CancelledError:
            raise TimeoutError from None
        finally:
            pool.release(conn)


async def rows_wait_without_cancel(pool: Any, sql: str, deadline: float) -> Any:
    conn = await pool.acquire()
    try:
        query = asyncio.create_task(conn.query(sql))
        done, _ = await asyncio.wait([query], timeout=deadline)
        if not done:
            raise TimeoutError
        return query.result()
    finally:
        pool.release(conn)


async def rows_cancels_without_waiting(pool: Any, sql: str, deadline: float) -> Any:
    conn = await pool.acquire()
    try:
        query = asyncio.create_task(conn.query(sql))
        done, _ = await asyncio.wait([query], timeout=deadline)
        if not done:
            query.cancel()
            raise TimeoutError
        return query.result()
    finally:
        pool.release(conn)


async def rows_timeout_at_with_seconds(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout_at(deadline):
        conn = await pool.acquire()
        try:
            return await conn.query(sql)
        finally:
            pool.release(conn)


async def rows_hard_coded_deadline(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(0.5):
        conn = await pool.acquire()
        try:
            return await conn.query(sql)
        finally:
            pool.release(conn)


async def rows_timeout_never_entered(pool: Any, sql: str, deadline: float) -> Any:
    asyncio.timeout(deadline)
    conn = await pool.acquire()
    try:
        return await conn.query(sql)
    finally:
        pool.release(conn)


async def rows_catches_every_exception(pool: Any, sql: str, deadline: float) -> Any:
    try:
        async with asyncio.timeout(deadline):
            conn = await pool.acquire()
            try:
                return await conn.query(sql)
            finally:
                pool.release(conn)
    except Exception:
        return []


async def rows_forgot_await_on_query(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        try:
            return conn.query(sql)
        finally:
            pool.release(conn)


async def rows_releases_twice(pool: Any, sql: str, deadline: float) -> Any:
    async with asyncio.timeout(deadline):
        conn = await pool.acquire()
        try:
            rows = await conn.query(sql)
            pool.release(conn)
            return rows
        finally:
            pool.release(conn)


def test_fetch_rows_with_wait_for_is_right_too() -> None:
    async def fetch_rows(pool: Any, sql: str, deadline: float) -> Any:
        async def work() -> Any:
            conn = await pool.acquire()
            try:
                return await conn.query(sql)
            finally:
                pool.release(conn)

        return await asyncio.wait_for(work(), deadline)

    result = ex6.evaluate(fetch_rows)
    assert result.status == "correct", result.message


def test_fetch_rows_with_timeout_at_and_a_guarded_release_is_right_too() -> None:
    async def fetch_rows(pool: Any, sql: str, deadline: float) -> Any:
        conn = None
        try:
            async with asyncio.timeout_at(asyncio.get_running_loop().time() + deadline):
                conn = await pool.acquire()
                return await conn.query(sql)
        finally:
            if conn is not None:
                pool.release(conn)

    result = ex6.evaluate(fetch_rows)
    assert result.status == "correct", result.message


def test_fetch_rows_catching_cancelled_error_and_raising_it_again_is_right_too() -> None:
    async def fetch_rows(pool: Any, sql: str, deadline: float) -> Any:
        async with asyncio.timeout(deadline):
            conn = await pool.acquire()
            try:
                rows = await conn.query(sql)
            except BaseException:
                pool.release(conn)
                raise
            pool.release(conn)
            return rows

    result = ex6.evaluate(fetch_rows)
    assert result.status == "correct", result.message


def test_the_pool_behaves_as_its_docstring_says() -> None:
    async def scenario() -> Any:
        pool = Pool()
        conn = await pool.acquire()
        rows = await conn.query("recent orders")
        in_use = pool.in_use
        pool.release(conn)
        return rows, in_use, pool.in_use

    assert asyncio.run(scenario()) == (["order 41", "order 42"], 1, 0)


def test_fetch_rows_correct_message_states_what_was_measured() -> None:
    message = ex6.evaluate(worked(LESSON)["fetch_rows"]).message
    assert says_measured(message, "after {0.3} s"), message
    assert says_measured(message, "TimeoutError after {0.4} s"), message


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (report_plain_except, "plain_except"),
        (report_reads_every_result, "result_of_cancelled_task"),
        (report_catches_everything, "caught_too_much"),
        (report_with_gather, "waited_for_all"),
        (report_keeps_the_first_error, "lost_errors"),
        (report_one_by_one, "sequential"),
        (report_returns_the_group, "wrong_type"),
        (report_first_error_of_gather, "others_left_running"),
        (report_catches_nothing, "errors_not_caught"),
        (report_keeps_none_for_the_rest, "wrong_value"),
        (report_errors_as_text, "wrong_type"),
        (report_one_group_per_source, "sequential"),
        (report_returns_the_tasks, "returned_tasks"),
        (report_keeps_the_group_itself, "wrong_type"),
        (report_catches_inside_each_task, "waited_for_all"),
    ],
    ex2: [
        (fastest_with_gather, "waited_for_all"),
        (fastest_with_gather_in_time_order, "waited_for_all"),
        (fastest_leaves_the_others, "others_left_running"),
        (fastest_cancels_without_waiting, "cancelled_not_awaited"),
        (fastest_exception_not_caught, "group_escaped"),
        (fastest_plain_except, "group_escaped"),
        (fastest_one_by_one, "sequential"),
        (fastest_returns_the_list, "wrong_value"),
        (fastest_reads_the_first_task, "result_of_cancelled_task"),
        (fastest_catches_every_exception, "caught_too_much"),
        (fastest_forgot_await_on_ask, "forgot_await"),
        (fastest_bare_except_in_the_request, "waited_for_all"),
        (fastest_wait_not_awaited, "forgot_await"),
        (fastest_gathers_the_cancelled, "cancelled_error_escaped"),
    ],
    ex3: [
        (upload_plain_finally, "cleanup_cut_short"),
        (upload_closes_on_success_only, "close_not_in_finally"),
        (upload_swallows_cancellation, "swallowed_cancellation"),
        (upload_shield_only, "ended_before_cleanup"),
        (upload_swallows_the_second_cancellation, "swallowed_cancellation"),
        (upload_closes_in_the_background, "ended_before_cleanup"),
        (upload_close_not_awaited, "forgot_await"),
        (upload_swallows_the_error, "error_swallowed"),
        (upload_forgot_await_on_send, "forgot_await"),
        (upload_returns_in_finally, "return_in_finally"),
        (upload_catches_exception_around_the_shield, "ended_before_cleanup"),
        (upload_closes_only_on_error, "close_not_in_finally"),
        (upload_awaits_the_close_task_without_shield, "cleanup_cut_short"),
        (upload_replaces_the_error, "replaced_error"),
    ],
    ex4: [
        (shut_down_at_once, "no_grace"),
        (shut_down_without_limit, "ignored_grace"),
        (shut_down_sleeps_the_grace, "waited_full_grace"),
        (shut_down_cancel_not_awaited, "cancelled_not_awaited"),
        (shut_down_gathers_the_cancelled, "cancelled_error_escaped"),
        (shut_down_counts_after_the_end, "wrong_counts"),
        (shut_down_time_sleep, "blocking"),
        (shut_down_wait_not_awaited, "forgot_await"),
        (shut_down_guesses_the_rollback, "guessed_the_rollback"),
        (shut_down_until_the_first_finishes, "no_grace"),
        (shut_down_returns_the_sets, "wrong_counts"),
        (shut_down_counts_the_wrong_way_round, "wrong_counts"),
        (shut_down_forgets_to_cancel, "not_cancelled"),
    ],
    ex5: [
        (batch_plain_gather, "first_error_only"),
        (batch_raises_the_first_error, "raised_an_error"),
        (batch_awaits_each_task, "never_retrieved"),
        (batch_one_by_one, "sequential"),
        (batch_keeps_the_results_only, "dropped_errors"),
        (batch_as_completed, "out_of_order"),
        (batch_errors_as_text, "wrong_type"),
        (batch_fire_and_forget, "never_retrieved"),
        (batch_task_group, "task_group"),
        (batch_gather_not_awaited, "returned_future"),
        (batch_first_exception, "left_running"),
        (batch_none_for_the_errors, "dropped_errors"),
        (batch_catches_connection_errors_only, "never_retrieved"),
        (batch_waits_then_reads_results, "never_retrieved"),
        (batch_sleeps_for_safety, "too_slow"),
        (batch_forgot_await_on_run_job, "forgot_await"),
        (batch_one_by_one_without_try, "sequential"),
    ],
    ex6: [
        (rows_swallows_the_cancellation, "swallowed_cancellation"),
        (rows_releases_after_the_query, "not_released"),
        (rows_shielded_wait_for, "work_left_running"),
        (rows_checks_the_clock, "checked_the_clock"),
        (rows_catches_timeout_inside, "caught_timeout_inside"),
        (rows_returns_none_on_timeout, "returned_on_timeout"),
        (rows_deadline_around_the_query_only, "deadline_not_whole"),
        (rows_releases_what_it_may_not_have, "released_unacquired"),
        (rows_turns_cancellation_into_timeout, "cancellation_turned_into_timeout"),
        (rows_wait_without_cancel, "work_left_running"),
        (rows_cancels_without_waiting, "cancelled_not_awaited"),
        (rows_timeout_at_with_seconds, "timed_out_too_soon"),
        (rows_hard_coded_deadline, "wrong_deadline"),
        (rows_timeout_never_entered, "deadline_not_enforced"),
        (rows_catches_every_exception, "returned_on_timeout"),
        (rows_forgot_await_on_query, "forgot_await"),
        (rows_releases_twice, "released_twice"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
