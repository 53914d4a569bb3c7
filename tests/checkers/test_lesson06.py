"""Lesson 06's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asyncio_tutorial.checkers.lesson06 import download, ex1, ex2, ex3

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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (deposit_unlocked, "lock_not_used"),
        (deposit_new_lock_per_call, "lock_not_used"),
        (deposit_lock_around_read, "lock_wrong_region"),
        (deposit_lock_around_write, "lock_wrong_region"),
        (deposit_lock_too_wide, "lock_too_wide"),
        (deposit_without_ledger, "step_skipped"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_deposit_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


def test_unlocked_deposit_is_told_the_lost_balance_and_where_to_lock() -> None:
    message = ex1.evaluate(deposit_unlocked).message
    assert "balance of 10, not 50" in message and "async with account.lock" in message


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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (fetch_all_unbounded, "unbounded"),
        (fetch_all_semaphore_per_call, "unbounded"),
        (fetch_all_one_by_one, "sequential"),
        (fetch_all_hard_coded_three, "unbounded"),
        (fetch_all_completion_order, "wrong_order"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_fetch_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


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
        asyncio.create_task(worker())
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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (process_all_join_without_task_done, "join_without_task_done"),
        (process_all_gathers_endless_workers, "workers_never_stop"),
        (process_all_leaves_workers_running, "workers_never_stop"),
        (process_all_every_worker_takes_every_job, "processed_twice"),
        (process_all_cancels_too_soon, "items_lost"),
        (process_all_one_worker, "too_few_workers"),
        (process_all_no_pool, "too_many_at_once"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_process_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_join_without_task_done_is_told_where_it_waits() -> None:
    message = ex3.evaluate(process_all_join_without_task_done).message
    assert "queue.join()" in message and "task_done()" in message
