"""Lesson 06's checkers: each realistic wrong answer gets its own message, right answers
written other ways pass, and the defects found so far stay fixed.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pytest
from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.lesson06 import (
    Account,
    Queue,
    QueueShutDown,
    Track,
    download,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    ex6,
)

LESSON = "06-synchronization-and-queues"


def assert_correct(exercise: Any, answer: Any) -> None:
    result = exercise.evaluate(answer)
    assert result.status == "correct", result.message


# --- exercise 1: deposit ----------------------------------------------------------------


async def deposit_unlocked(account: Any, amount: int) -> None:
    current = account.balance
    await account.ledger_check(amount)
    account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_new_lock_per_call(account: Any, amount: int) -> None:
    async with asyncio.Lock():
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_lock_around_read(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
    await account.ledger_check(amount)
    account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_lock_around_write(account: Any, amount: int) -> None:
    current = account.balance
    await account.ledger_check(amount)
    async with account.lock:
        account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_lock_too_wide(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
        await account.send_receipt(amount)


async def deposit_without_ledger(account: Any, amount: int) -> None:
    account.balance = account.balance + amount
    await account.send_receipt(amount)


async def deposit_forgot_await_ledger(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        account.ledger_check(amount)
        account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_plain_with(account: Any, amount: int) -> None:
    with account.lock:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_acquire_never_released(account: Any, amount: int) -> None:
    await account.lock.acquire()
    current = account.balance
    await account.ledger_check(amount)
    account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_release_not_in_finally(account: Any, amount: int) -> None:
    await account.lock.acquire()
    current = account.balance
    await account.ledger_check(amount)
    account.balance = current + amount
    account.lock.release()
    await account.send_receipt(amount)


async def deposit_takes_the_lock_twice(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        await account.ledger_check(amount)
        async with account.lock:  # "to be safe" around the write
            account.balance = current + amount
    await account.send_receipt(amount)


_shared_lock = asyncio.Lock()


async def deposit_one_lock_for_every_account(account: Any, amount: int) -> None:
    async with _shared_lock:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
    await account.send_receipt(amount)


_busy = False


async def deposit_polls_a_flag(account: Any, amount: int) -> None:
    global _busy
    while _busy:
        await asyncio.sleep(0.01)
    _busy = True
    current = account.balance
    try:
        await account.ledger_check(amount)
        account.balance = current + amount
    finally:
        _busy = False
    await account.send_receipt(amount)


async def deposit_checks_first(account: Any, amount: int) -> None:
    await account.ledger_check(amount)
    account.balance += amount
    await account.send_receipt(amount)


async def deposit_receipt_in_the_background(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
    asyncio.create_task(account.send_receipt(amount))  # noqa: RUF006 - the mistake under test


async def deposit_receipt_first(account: Any, amount: int) -> None:
    await account.send_receipt(amount)
    async with account.lock:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount


async def deposit_swallows_the_refusal(account: Any, amount: int) -> None:
    await account.lock.acquire()
    try:
        current = account.balance
        await account.ledger_check(amount)
        account.balance = current + amount
    except Exception:
        account.lock.release()
        return
    account.lock.release()
    await account.send_receipt(amount)


async def deposit_time_sleep_for_the_ledger(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        time.sleep(0.1)  # "the ledger takes 0.1 s"
        account.balance = current + amount
    await account.send_receipt(amount)


async def deposit_runs_the_ledger_check(account: Any, amount: int) -> None:
    async with account.lock:
        current = account.balance
        asyncio.run(account.ledger_check(amount))
        account.balance = current + amount
    await account.send_receipt(amount)


def test_unlocked_deposit_is_told_the_lost_balance_and_where_to_lock() -> None:
    message = ex1.evaluate(deposit_unlocked).message
    assert "balance of 10, not 50" in message and "async with account.lock" in message


def test_a_lock_made_inside_deposit_is_told_it_is_a_new_lock_every_call() -> None:
    message = ex1.evaluate(deposit_new_lock_per_call).message
    assert "new lock on every call" in message


def test_a_release_skipped_by_the_refusal_is_told_so() -> None:
    message = ex1.evaluate(deposit_release_not_in_finally).message
    assert "after the ledger refused a deposit" in message and "finally" in message


def test_one_lock_shared_by_every_account_is_named_on_every_check() -> None:
    # Created outside any loop, the lock belongs to the first loop that waits for it;
    # the next check (another loop) gets a RuntimeError: the same mistake all the same.
    for _ in range(2):
        assert ex1.evaluate(deposit_one_lock_for_every_account).mistake == "own_lock"


def test_deposit_with_acquire_and_release_in_finally_is_right_too() -> None:
    async def deposit(account: Any, amount: int) -> None:
        await account.lock.acquire()
        try:
            current = account.balance
            await account.ledger_check(amount)
            account.balance = current + amount
        finally:
            account.lock.release()
        await account.send_receipt(amount)

    assert_correct(ex1, deposit)


def test_deposit_with_the_lock_in_a_helper_is_right_too() -> None:
    async def add(account: Any, amount: int) -> None:
        async with account.lock:
            balance = account.balance
            await account.ledger_check(amount)
            account.balance = balance + amount

    async def deposit(account: Any, amount: int) -> None:
        await add(account, amount)
        await account.send_receipt(amount)

    assert_correct(ex1, deposit)


def test_correct_deposit_states_what_was_measured() -> None:
    message = ex1.evaluate(worked(LESSON)["deposit"]).message
    assert says_measured(message, "left a balance of 50 after {0.7} s"), message
    assert "5 ledger checks ran one at a time (at most 1 at once)" in message
    assert "the other 4 went through (40)" in message


def test_account_works_outside_a_check() -> None:
    async def two_deposits() -> int:
        account = Account()
        await asyncio.gather(*(worked(LESSON)["deposit"](account, 10) for _ in range(2)))
        return account.balance

    assert asyncio.run(two_deposits()) == 20


# --- exercise 2: fetch_all -----------------------------------------------------------------


async def fetch_all_unbounded(urls: list[str], limit: int) -> list[str]:
    return list(await asyncio.gather(*(download(url) for url in urls)))


async def fetch_all_semaphore_per_call(urls: list[str], limit: int) -> list[str]:
    async def one(url: str) -> str:
        async with asyncio.Semaphore(limit):
            return await download(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_one_by_one(urls: list[str], limit: int) -> list[str]:
    return [await download(url) for url in urls]


async def fetch_all_hard_coded_three(urls: list[str], limit: int) -> list[str]:
    semaphore = asyncio.Semaphore(3)

    async def one(url: str) -> str:
        async with semaphore:
            return await download(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_completion_order(urls: list[str], limit: int) -> list[str]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str:
        async with semaphore:
            return await download(url)

    tasks = [asyncio.create_task(one(url)) for url in reversed(urls)]
    return [await task for task in asyncio.as_completed(tasks)]


async def fetch_all_in_batches(urls: list[str], limit: int) -> list[str]:
    pages: list[str] = []
    for start in range(0, len(urls), limit):
        batch = urls[start : start + limit]
        pages += await asyncio.gather(*(download(url) for url in batch))
    return pages


async def fetch_all_split_among_workers(urls: list[str], limit: int) -> list[str]:
    pages: dict[int, str] = {}

    async def worker(first: int) -> None:
        for index in range(first, len(urls), limit):
            pages[index] = await download(urls[index])

    await asyncio.gather(*(worker(first) for first in range(limit)))
    return [pages[index] for index in range(len(urls))]


async def fetch_all_returns_the_tasks(urls: list[str], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str:
        async with semaphore:
            return await download(url)

    tasks = [asyncio.create_task(one(url)) for url in urls]
    await asyncio.wait(tasks)
    return tasks


async def fetch_all_forgot_await_download(urls: list[str], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> Any:
        async with semaphore:
            return download(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_returns_the_gather(urls: list[str], limit: int) -> Any:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str:
        async with semaphore:
            return await download(url)

    return asyncio.gather(*(one(url) for url in urls))


async def fetch_all_never_releases(urls: list[str], limit: int) -> list[str]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str:
        await semaphore.acquire()
        return await download(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_with_a_lock(urls: list[str], limit: int) -> list[str]:
    lock = asyncio.Lock()

    async def one(url: str) -> str:
        async with lock:
            return await download(url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_polls_a_counter(urls: list[str], limit: int) -> list[str]:
    in_flight = 0

    async def one(url: str) -> str:
        nonlocal in_flight
        while in_flight >= limit:
            await asyncio.sleep(0.01)
        in_flight += 1
        try:
            return await download(url)
        finally:
            in_flight -= 1

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def fetch_all_returns_a_dict(urls: list[str], limit: int) -> dict[str, str]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> str:
        async with semaphore:
            return await download(url)

    pages = await asyncio.gather(*(one(url) for url in urls))
    return dict(zip(urls, pages, strict=True))


def test_returned_tasks_are_named_not_a_checker_failure() -> None:
    result = ex2.evaluate(fetch_all_returns_the_tasks)
    assert result.mistake == "returned_tasks", result.message
    assert "checker itself failed" not in result.message


def test_a_list_of_none_is_a_wrong_value_not_a_checker_failure() -> None:
    async def fetch_all(urls: list[str], limit: int) -> list[None]:
        semaphore = asyncio.Semaphore(limit)

        async def one(url: str) -> None:
            async with semaphore:
                await download(url)

        return list(await asyncio.gather(*(one(url) for url in urls)))

    assert ex2.evaluate(fetch_all).mistake == "wrong_value"


def test_batches_are_told_that_places_stayed_empty() -> None:
    message = ex2.evaluate(fetch_all_in_batches).message
    assert "batches of 3" in message and "stayed empty" in message


def test_fetch_all_with_a_task_group_is_right_too() -> None:
    async def fetch_all(urls: list[str], limit: int) -> list[str]:
        semaphore = asyncio.BoundedSemaphore(limit)

        async def one(url: str) -> str:
            async with semaphore:
                return await download(url)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(url)) for url in urls]
        return [task.result() for task in tasks]

    assert_correct(ex2, fetch_all)


def test_fetch_all_with_a_queue_of_limit_workers_is_right_too() -> None:
    async def fetch_all(urls: list[str], limit: int) -> list[str]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(len(urls)):
            queue.put_nowait(index)
        pages: list[str] = [""] * len(urls)

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                pages[index] = await download(urls[index])

        await asyncio.gather(*(worker() for _ in range(limit)))
        return pages

    assert_correct(ex2, fetch_all)


def test_correct_fetch_all_states_what_was_measured() -> None:
    message = ex2.evaluate(worked(LESSON)["fetch_all"]).message
    assert "never had more than 3 downloads in flight, and had 3 at once" in message
    assert says_measured(message, "7 pages in order after {0.3} s"), message
    assert "With limit=2: at most 2 at once" in message


def test_download_works_outside_a_check() -> None:
    assert asyncio.run(download("x")) == "<x>"


# --- exercise 3: process_all --------------------------------------------------------------


async def process_all_join_without_task_done(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    return results


async def process_all_gathers_endless_workers(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)
            queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    await asyncio.gather(*(worker() for _ in range(workers)))
    return results


async def process_all_leaves_workers_running(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)
            queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    for _ in range(workers):
        asyncio.create_task(worker())  # noqa: RUF006 - the mistake under test
    await queue.join()
    return results


async def process_all_every_worker_takes_every_job(jobs: Any, handle: Any, workers: int) -> dict:
    results = {}

    async def worker() -> None:
        for job in jobs:
            results[job] = await handle(job)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return results


async def process_all_cancels_too_soon(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)
            queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await asyncio.sleep(0.15)  # "long enough"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_one_worker(jobs: Any, handle: Any, workers: int) -> dict:
    results = {}
    for job in jobs:
        results[job] = await handle(job)
    return results


async def process_all_no_pool(jobs: Any, handle: Any, workers: int) -> dict:
    values = await asyncio.gather(*(handle(job) for job in jobs))
    return dict(zip(jobs, values, strict=True))


async def process_all_cancels_without_waiting(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = await handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    return results


async def process_all_workers_swallow_the_cancel(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            try:
                job = await queue.get()
            except BaseException:  # "nothing must kill a worker"
                continue
            try:
                results[job] = await handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_forgot_await_handle(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_forgot_await_put(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = await handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put(job)  # type: ignore[unused-coroutine]
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_task_of_the_function(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = await handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker) for _ in range(workers)]  # type: ignore[arg-type]
    await queue.join()
    for task in tasks:
        task.cancel()
    return results


async def process_all_busy_waits_for_the_queue(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    while not queue.empty():  # wait until the workers have taken everything
        pass
    for task in tasks:
        task.cancel()
    return results


async def process_all_polls_the_results(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    while len(results) < len(jobs):
        await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_static_split(jobs: Any, handle: Any, workers: int) -> dict:
    jobs = list(jobs)
    results = {}

    async def worker(share: list[int]) -> None:
        for job in share:
            results[job] = await handle(job)

    await asyncio.gather(*(worker(jobs[first::workers]) for first in range(workers)))
    return results


async def process_all_one_sentinel(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while (job := await queue.get()) is not None:
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    queue.put_nowait(None)  # "no more work"
    await asyncio.gather(*(worker() for _ in range(workers)))
    return results


async def process_all_sentinels_first(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while (job := await queue.get()) is not None:
            results[job] = await handle(job)

    for _ in range(workers):
        queue.put_nowait(None)
    for job in jobs:
        queue.put_nowait(job)
    await asyncio.gather(*(worker() for _ in range(workers)))
    return results


async def process_all_task_done_before_the_job(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            queue.task_done()
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def process_all_gathers_the_cancelled_workers(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = await handle(job)
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks)
    return results


async def process_all_runs_a_loop_per_job(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            job = await queue.get()
            try:
                results[job] = asyncio.run(handle(job))
            finally:
                queue.task_done()

    for job in jobs:
        queue.put_nowait(job)
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


def test_join_without_task_done_is_told_where_it_waits() -> None:
    message = ex3.evaluate(process_all_join_without_task_done).message
    assert "queue.join()" in message and "task_done()" in message


def test_an_error_before_any_job_is_reported_as_that_error() -> None:
    result = ex3.evaluate(process_all_task_of_the_function)
    assert result.mistake == "raised", result.message
    assert "TypeError" in result.message and "never handled" not in result.message


def test_a_forgotten_await_is_named_before_the_jobs() -> None:
    for answer in (process_all_forgot_await_put, process_all_forgot_await_handle):
        result = ex3.evaluate(answer)
        assert result.mistake == "forgot_await", result.message


def test_an_error_of_process_all_is_recognised_like_any_other() -> None:
    async def process_all(jobs: Any, handle: Any, workers: int) -> dict:
        queue: asyncio.Queue[int] = asyncio.Queue()
        results = {}

        async def worker() -> None:
            while True:
                job = await queue.get()
                try:
                    results[job] = await handle(job)
                finally:
                    queue.task_done()

        for job in jobs:
            queue.put_nowait(job)
        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        asyncio.run(queue.join())  # "wait for the queue"
        for task in tasks:
            task.cancel()
        return results

    result = ex3.evaluate(process_all)
    assert result.mistake == "nested_run", result.message


def test_a_blocked_loop_is_named_before_the_jobs() -> None:
    result = ex3.evaluate(process_all_busy_waits_for_the_queue)
    assert result.mistake == "hang" and "blocked" in result.message, result.message


def test_a_task_left_running_is_described_as_it_is() -> None:
    async def process_all(jobs: Any, handle: Any, workers: int) -> dict:
        results = {}
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def worker() -> None:
            while not queue.empty():
                job = queue.get_nowait()
                results[job] = await handle(job)

        async def report_later() -> None:
            await asyncio.sleep(10)

        for job in jobs:
            queue.put_nowait(job)
        asyncio.create_task(report_later())  # noqa: RUF006 - the mistake under test
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    result = ex3.evaluate(process_all)
    assert result.mistake == "workers_never_stop", result.message
    assert "report_later" in result.message and "queue.get()" not in result.message


def test_workers_left_running_are_told_where_they_wait() -> None:
    message = ex3.evaluate(process_all_leaves_workers_running).message
    assert "worker (3 of them, in asyncio.Queue.get)" in message, message


def test_process_all_with_sentinels_is_right_too() -> None:
    async def process_all(jobs: Any, handle: Any, workers: int) -> dict:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        results = {}

        async def worker() -> None:
            while (job := await queue.get()) is not None:
                results[job] = await handle(job)

        for job in jobs:
            queue.put_nowait(job)
        for _ in range(workers):
            queue.put_nowait(None)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    assert_correct(ex3, process_all)


def test_process_all_with_a_task_group_and_sentinels_is_right_too() -> None:
    async def process_all(jobs: Any, handle: Any, workers: int) -> dict:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        results = {}

        async def worker() -> None:
            while True:
                job = await queue.get()
                if job is None:
                    return
                results[job] = await handle(job)

        for job in [*jobs, *[None] * workers]:
            await queue.put(job)
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
        return results

    assert_correct(ex3, process_all)


def test_process_all_with_workers_that_stop_on_an_empty_queue_is_right_too() -> None:
    async def process_all(jobs: Any, handle: Any, workers: int) -> dict:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        results = {}

        async def worker() -> None:
            while not queue.empty():
                job = queue.get_nowait()
                results[job] = await handle(job)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    assert_correct(ex3, process_all)


async def process_all_with_shutdown(jobs: Any, handle: Any, workers: int) -> dict:
    queue: asyncio.Queue[int] = asyncio.Queue()
    results = {}

    async def worker() -> None:
        while True:
            try:
                job = await queue.get()
            except asyncio.QueueShutDown:  # type: ignore[attr-defined]
                return
            results[job] = await handle(job)

    for job in jobs:
        queue.put_nowait(job)
    queue.shutdown()  # type: ignore[attr-defined]
    await asyncio.gather(*(worker() for _ in range(workers)))
    return results


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Queue.shutdown is new in 3.13")
def test_process_all_with_queue_shutdown_is_right_on_3_13_and_later() -> None:
    assert_correct(ex3, process_all_with_shutdown)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="Queue.shutdown works here")
def test_process_all_with_queue_shutdown_needs_python_3_13() -> None:
    result = ex3.evaluate(process_all_with_shutdown)
    assert result.mistake == "shutdown_needs_3_13", result.message
    assert "new in Python 3.13" in result.message


def test_correct_process_all_states_what_was_measured() -> None:
    message = ex3.evaluate(worked(LESSON)["process_all"]).message
    assert "each of the 8 jobs exactly once, 3 at a time" in message
    assert says_measured(message, "every result after {0.4} s"), message


# --- exercise 4: race ---------------------------------------------------------------------


async def race_barrier_for_the_runners_only(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners))
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_barrier_of_four(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(4)  # three runners and the starter
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_starter_does_not_wait(track: Any, runners: list[str]) -> None:
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_without_a_gun(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_an_event_per_runner(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        my_gun = asyncio.Event()
        await track.warm_up(name)
        await ready.wait()
        await my_gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_gun_never_fired(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_gun_wait_not_awaited(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        gun.wait()  # type: ignore[unused-coroutine]
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_polls_a_flag(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    fired = False

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        while not fired:
            await asyncio.sleep(0.01)
        await track.run(name)

    async def starter() -> None:
        nonlocal fired
        await ready.wait()
        await track.get_set()
        fired = True

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_runners_one_after_another(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    starting = asyncio.create_task(starter())
    for name in runners:
        await runner(name)
    await starting


async def race_a_barrier_per_runner(track: Any, runners: list[str]) -> None:
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        ready = asyncio.Barrier(len(runners) + 1)
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        ready = asyncio.Barrier(len(runners) + 1)
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_gun_before_get_set(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await ready.wait()
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        gun.set()
        await track.get_set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_warm_ups_then_runs(track: Any, runners: list[str]) -> None:
    await asyncio.gather(*(track.warm_up(name) for name in runners))
    await track.get_set()
    await asyncio.gather(*(track.run(name) for name in runners))


async def race_barrier_wait_not_awaited(track: Any, runners: list[str]) -> None:
    ready = asyncio.Barrier(len(runners) + 1)
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        ready.wait()  # type: ignore[unused-coroutine]
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        await ready.wait()
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


async def race_time_sleep_for_the_slowest(track: Any, runners: list[str]) -> None:
    gun = asyncio.Event()

    async def runner(name: str) -> None:
        await track.warm_up(name)
        await gun.wait()
        await track.run(name)

    async def starter() -> None:
        time.sleep(0.3)  # the slowest runner needs 0.3 s
        await track.get_set()
        gun.set()

    await asyncio.gather(starter(), *(runner(name) for name in runners))


def test_a_barrier_too_small_is_told_its_size() -> None:
    message = ex4.evaluate(race_barrier_for_the_runners_only).message
    assert "asyncio.Barrier(3)" in message and "len(runners) + 1" in message, message


def test_a_hard_coded_barrier_is_caught_by_the_second_race() -> None:
    message = ex4.evaluate(race_barrier_of_four).message
    assert "race(track, ['x', 'y'])" in message and "asyncio.Barrier(4)" in message, message


def test_race_with_a_task_group_is_right_too() -> None:
    async def race(track: Any, runners: list[str]) -> None:
        everyone = asyncio.Barrier(len(runners) + 1)
        go = asyncio.Event()

        async def run_one(name: str) -> None:
            await track.warm_up(name)
            async with everyone:
                pass
            await go.wait()
            await track.run(name)

        async with asyncio.TaskGroup() as group:
            for name in runners:
                group.create_task(run_one(name))
            await everyone.wait()
            await track.get_set()
            go.set()

    assert_correct(ex4, race)


def test_race_with_runners_that_wait_for_the_gun_only_after_an_event_is_right_too() -> None:
    async def race(track: Any, runners: list[str]) -> None:
        ready_count = 0
        all_ready = asyncio.Event()
        gun = asyncio.Event()

        async def runner(name: str) -> None:
            nonlocal ready_count
            await track.warm_up(name)
            ready_count += 1
            if ready_count == len(runners):
                all_ready.set()
            await gun.wait()
            await track.run(name)

        async def starter() -> None:
            await all_ready.wait()
            await track.get_set()
            gun.set()

        await asyncio.gather(*(runner(name) for name in runners), starter())

    assert_correct(ex4, race)


def test_correct_race_states_what_was_measured() -> None:
    message = ex4.evaluate(worked(LESSON)["race"]).message
    assert "all 3 runners warmed up (b last)" in message
    assert says_measured(message, "the race took {0.5} s"), message
    assert says_measured(message, "in {0.4} s"), message


def test_track_works_outside_a_check() -> None:
    track = Track()
    asyncio.run(worked(LESSON)["race"](track, ["p", "q"]))
    assert sorted(track.finished) == ["p", "q"] and track.get_set_began == [2]


# --- exercise 5: Stock ----------------------------------------------------------------------


class StockIfNotWhile:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            if self.parts < n:
                await self.changed.wait()
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockNotifiesOne:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify()


class StockWaitsWithoutTheLock:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        await self.changed.wait_for(lambda: self.parts >= n)
        self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockNotifiesWithoutTheLock:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    async def add(self, n: int) -> None:
        self.parts += n
        self.changed.notify_all()


class StockNeverNotifies:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n


class StockConditionPerCall:
    def __init__(self) -> None:
        self.parts = 0

    async def take(self, n: int) -> None:
        changed = asyncio.Condition()
        async with changed:
            await changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    async def add(self, n: int) -> None:
        self.parts += n


class StockPolls:
    def __init__(self) -> None:
        self.parts = 0

    async def take(self, n: int) -> None:
        while self.parts < n:
            await asyncio.sleep(0.01)
        self.parts -= n

    async def add(self, n: int) -> None:
        self.parts += n


class StockNeverTakes:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockMoreThanNeeded:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts > n)
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockWaitForNotAwaited:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            self.changed.wait_for(lambda: self.parts >= n)  # type: ignore[unused-coroutine]
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockSharedCondition:
    changed = asyncio.Condition()

    def __init__(self) -> None:
        self.parts = 0

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockTakesWhatIsThere:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            if self.parts >= n:
                self.parts -= n

    async def add(self, n: int) -> None:
        async with self.changed:
            self.parts += n
            self.changed.notify_all()


class StockPlainAdd:
    def __init__(self) -> None:
        self.parts = 0
        self.changed = asyncio.Condition()

    async def take(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.parts >= n)
            self.parts -= n

    def add(self, n: int) -> None:
        self.parts += n


def test_if_instead_of_while_is_told_the_stock_went_below_zero() -> None:
    message = ex5.evaluate(StockIfNotWhile).message
    assert "went below 0" in message and "never `if`" in message, message


def test_notify_one_is_told_the_small_order_slept_on() -> None:
    result = ex5.evaluate(StockNotifiesOne)
    assert "notify_all()" in result.message and "notify()" in result.message, result.message


def test_stock_with_a_while_loop_and_wait_is_right_too() -> None:
    class Stock:
        def __init__(self) -> None:
            self.parts = 0
            self.lock = asyncio.Lock()
            self.delivered = asyncio.Condition(self.lock)

        async def take(self, n: int) -> None:
            async with self.delivered:
                while self.parts < n:
                    await self.delivered.wait()
                self.parts -= n

        async def add(self, n: int) -> None:
            async with self.lock:
                self.parts += n
                self.delivered.notify_all()

    assert_correct(ex5, Stock)


def test_correct_stock_states_what_was_measured() -> None:
    message = ex5.evaluate(worked(LESSON)["Stock"]).message
    assert "the small order was served after the first delivery" in message
    assert "ended at 0" in message


# --- exercise 6: pipeline ---------------------------------------------------------------


async def pipeline_unbounded(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue()
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_put_nowait(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            queue.put_nowait(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_never_shut_down(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_shuts_down_immediately(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown(immediate=True)

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_shuts_down_at_the_start(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    producing = asyncio.create_task(producer())
    queue.shutdown()  # "no more after what the producer puts"
    await asyncio.gather(producing, consumer(), consumer())
    return results


async def pipeline_shutdown_not_caught(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            item = await queue.get()
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_produces_before_consuming(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await producer()
    await asyncio.gather(consumer(), consumer())
    return results


async def pipeline_makes_everything_first(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        items = [await make(n) for n in range(count)]
        for item in items:
            await queue.put(item)
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_one_consumer(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer())
    return results


async def pipeline_joins_before_producing(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))
            queue.task_done()

    tasks = [asyncio.create_task(each) for each in (producer(), consumer(), consumer())]
    await queue.join()  # wait until every item is handled
    queue.shutdown()
    await asyncio.gather(*tasks)
    return results


async def pipeline_put_not_awaited(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_polls_for_room(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            item = await make(n)
            while queue.full():
                await asyncio.sleep(0.01)
            queue.put_nowait(item)
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


async def pipeline_three_consumers(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), *(consumer() for _ in range(3)))
    return results


async def pipeline_returns_the_items(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            await handle(item)
            results.append(item)

    await asyncio.gather(producer(), consumer(), consumer())
    return results


def test_unbounded_queue_is_told_how_far_ahead_the_producer_ran() -> None:
    message = ex6.evaluate(pipeline_unbounded).message
    assert "items ahead of the consumers" in message and "maxsize=2" in message, message


def test_pipeline_with_sentinels_is_right_too() -> None:
    async def pipeline(count: int, make: Any, handle: Any) -> list[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2)
        results = []

        async def producer() -> None:
            for n in range(count):
                await queue.put(await make(n))
            for _ in range(2):
                await queue.put(None)

        async def consumer() -> None:
            while (item := await queue.get()) is not None:
                results.append(await handle(item))

        async with asyncio.TaskGroup() as group:
            group.create_task(producer())
            group.create_task(consumer())
            group.create_task(consumer())
        return results

    assert_correct(ex6, pipeline)


async def pipeline_with_asyncios_own_queue(count: int, make: Any, handle: Any) -> list[Any]:
    queue: Any = asyncio.Queue(maxsize=2)
    results = []

    async def producer() -> None:
        for n in range(count):
            await queue.put(await make(n))
        queue.shutdown()

    async def consumer() -> None:
        while True:
            try:
                item = await queue.get()
            except asyncio.QueueShutDown:  # type: ignore[attr-defined]
                return
            results.append(await handle(item))

    await asyncio.gather(producer(), consumer(), consumer())
    return results


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Queue.shutdown is new in 3.13")
def test_pipeline_with_asyncios_own_queue_is_right_on_3_13_and_later() -> None:
    assert_correct(ex6, pipeline_with_asyncios_own_queue)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="Queue.shutdown works here")
def test_pipeline_with_asyncios_own_queue_is_pointed_to_the_workbooks_queue() -> None:
    result = ex6.evaluate(pipeline_with_asyncios_own_queue)
    assert result.mistake == "not_the_course_queue", result.message


def test_correct_pipeline_states_what_was_measured() -> None:
    message = ex6.evaluate(worked(LESSON)["pipeline"]).message
    assert "each of the 10 items exactly once, 2 at a time" in message
    assert "by at most 3 items" in message
    assert says_measured(message, "after {0.5} s"), message


SHUTDOWN_STORY = """
async def story(Queue, QueueShutDown):
    said = []
    queue = Queue(maxsize=2)
    queue.put_nowait(1)
    queue.put_nowait(2)

    async def blocked_put():
        try:
            await queue.put(3)
        except QueueShutDown:
            said.append("put woken: shut down")

    async def blocked_get(other):
        try:
            said.append(("got", await other.get()))
        except QueueShutDown:
            said.append("get woken: shut down")

    putting = asyncio.create_task(blocked_put())
    empty = Queue()
    getting = asyncio.create_task(blocked_get(empty))
    await asyncio.sleep(0)
    queue.shutdown()
    empty.shutdown()
    await asyncio.gather(putting, getting)
    for action in (lambda: queue.put_nowait(4), queue.get_nowait, queue.get_nowait,
                   queue.get_nowait):
        try:
            said.append(("ok", action()))
        except QueueShutDown:
            said.append("raised QueueShutDown")
    dropped = Queue()
    for n in range(3):
        dropped.put_nowait(n)
    dropped.get_nowait()
    dropped.shutdown(immediate=True)
    said.append(("left", dropped.qsize(), dropped.empty()))
    try:
        await dropped.get()
    except QueueShutDown:
        said.append("immediate: get raises")
    dropped.task_done()
    await asyncio.wait_for(dropped.join(), 0.5)
    said.append("joined")
    return said
"""

EXPECTED_STORY = [
    "put woken: shut down",
    "get woken: shut down",
    "raised QueueShutDown",
    ("ok", 1),
    ("ok", 2),
    "raised QueueShutDown",
    ("left", 0, True),
    "immediate: get raises",
    "joined",
]


def run_story(queue_class: Any, shut_down: Any) -> list[Any]:
    namespace: dict[str, Any] = {"asyncio": asyncio}
    exec(SHUTDOWN_STORY, namespace)
    return asyncio.run(namespace["story"](queue_class, shut_down))


def test_the_backported_queue_shuts_down_as_asyncios_own_does() -> None:
    from asyncio_tutorial.checkers.lesson06 import queues

    assert run_story(queues.BackportedQueue, queues.BackportedQueueShutDown) == EXPECTED_STORY
    if sys.version_info >= (3, 13):
        assert Queue is asyncio.Queue and QueueShutDown is asyncio.QueueShutDown
        assert run_story(asyncio.Queue, asyncio.QueueShutDown) == EXPECTED_STORY


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (deposit_unlocked, "lock_not_used"),
        (deposit_new_lock_per_call, "own_lock"),
        (deposit_lock_around_read, "lock_wrong_region"),
        (deposit_lock_around_write, "lock_wrong_region"),
        (deposit_lock_too_wide, "lock_too_wide"),
        (deposit_without_ledger, "step_skipped"),
        (deposit_forgot_await_ledger, "forgot_await"),
        (deposit_plain_with, "not_async_with"),
        (deposit_acquire_never_released, "lock_never_released"),
        (deposit_release_not_in_finally, "lock_never_released"),
        (deposit_takes_the_lock_twice, "lock_taken_twice"),
        (deposit_one_lock_for_every_account, "own_lock"),
        (deposit_polls_a_flag, "polling"),
        (deposit_checks_first, "order_changed"),
        (deposit_receipt_in_the_background, "tasks_left_running"),
        (deposit_receipt_first, "receipt_for_refused"),
        (deposit_swallows_the_refusal, "refusal_swallowed"),
        (deposit_time_sleep_for_the_ledger, "blocking"),
        (deposit_runs_the_ledger_check, "nested_run"),
    ],
    ex2: [
        (fetch_all_unbounded, "unbounded"),
        (fetch_all_semaphore_per_call, "semaphore_per_call"),
        (fetch_all_one_by_one, "sequential"),
        (fetch_all_hard_coded_three, "limit_ignored"),
        (fetch_all_completion_order, "wrong_order"),
        (fetch_all_in_batches, "batches"),
        (fetch_all_split_among_workers, "static_split"),
        (fetch_all_returns_the_tasks, "returned_tasks"),
        (fetch_all_forgot_await_download, "forgot_await"),
        (fetch_all_returns_the_gather, "forgot_await"),
        (fetch_all_never_releases, "slot_never_released"),
        (fetch_all_with_a_lock, "lock_not_semaphore"),
        (fetch_all_polls_a_counter, "polling"),
        (fetch_all_returns_a_dict, "wrong_value"),
    ],
    ex3: [
        (process_all_join_without_task_done, "join_without_task_done"),
        (process_all_gathers_endless_workers, "workers_never_stop"),
        (process_all_leaves_workers_running, "workers_never_stop"),
        (process_all_every_worker_takes_every_job, "processed_twice"),
        (process_all_cancels_too_soon, "cancelled_mid_job"),
        (process_all_one_worker, "too_few_workers"),
        (process_all_no_pool, "too_many_at_once"),
        (process_all_cancels_without_waiting, "cancelled_not_awaited"),
        (process_all_workers_swallow_the_cancel, "swallowed_cancel"),
        (process_all_forgot_await_handle, "forgot_await"),
        (process_all_forgot_await_put, "forgot_await"),
        (process_all_task_of_the_function, "raised"),
        (process_all_busy_waits_for_the_queue, "hang"),
        (process_all_polls_the_results, "polling"),
        (process_all_static_split, "static_split"),
        (process_all_one_sentinel, "workers_never_stop"),
        (process_all_sentinels_first, "items_lost"),
        (process_all_task_done_before_the_job, "task_done_too_early"),
        (process_all_gathers_the_cancelled_workers, "ended_cancelled"),
        (process_all_runs_a_loop_per_job, "nested_run"),
    ],
    ex4: [
        (race_barrier_for_the_runners_only, "barrier_size"),
        (race_barrier_of_four, "barrier_size"),
        (race_starter_does_not_wait, "gun_before_ready"),
        (race_without_a_gun, "false_start"),
        (race_an_event_per_runner, "event_per_runner"),
        (race_gun_never_fired, "gun_never_fired"),
        (race_gun_wait_not_awaited, "forgot_await"),
        (race_polls_a_flag, "polling"),
        (race_runners_one_after_another, "runners_not_concurrent"),
        (race_a_barrier_per_runner, "barrier_per_task"),
        (race_gun_before_get_set, "gun_too_early"),
        (race_warm_ups_then_runs, "runner_not_one_task"),
        (race_barrier_wait_not_awaited, "forgot_await"),
        (race_time_sleep_for_the_slowest, "blocking"),
    ],
    ex5: [
        (StockIfNotWhile, "oversold"),
        (StockNotifiesOne, "notify_one"),
        (StockWaitsWithoutTheLock, "wait_without_lock"),
        (StockNotifiesWithoutTheLock, "notify_without_lock"),
        (StockNeverNotifies, "never_notified"),
        (StockConditionPerCall, "condition_per_call"),
        (StockPolls, "polling"),
        (StockNeverTakes, "not_taken"),
        (StockMoreThanNeeded, "not_served"),
        (StockWaitForNotAwaited, "forgot_await"),
        (StockSharedCondition, "shared_condition"),
        (StockTakesWhatIsThere, "did_not_wait"),
        (StockPlainAdd, "not_async"),
    ],
    ex6: [
        (pipeline_unbounded, "unbounded"),
        (pipeline_put_nowait, "queue_full"),
        (pipeline_never_shut_down, "consumers_never_stop"),
        (pipeline_shuts_down_immediately, "immediate_shutdown"),
        (pipeline_shuts_down_at_the_start, "shutdown_too_early"),
        (pipeline_shutdown_not_caught, "shutdown_not_caught"),
        (pipeline_produces_before_consuming, "consumers_not_started"),
        (pipeline_makes_everything_first, "made_all_first"),
        (pipeline_one_consumer, "too_few_consumers"),
        (pipeline_joins_before_producing, "join_too_early"),
        (pipeline_put_not_awaited, "forgot_await"),
        (pipeline_polls_for_room, "polling"),
        (pipeline_three_consumers, "too_many_consumers"),
        (pipeline_returns_the_items, "wrong_value"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
