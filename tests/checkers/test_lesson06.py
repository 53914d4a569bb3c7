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
from exercise_tools import worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.lesson06 import Account, download, ex1, ex2, ex3

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
    assert "left a balance of 50 after 0.7 s" in message
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
    assert "7 pages in order after 0.3 s" in message
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
    assert "every result after 0.4 s" in message


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
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
