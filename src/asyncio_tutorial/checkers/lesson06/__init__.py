"""Lesson 06's exercises: locks, semaphores and a pool of workers over a queue.

The workbook ``exercises/06-synchronization-and-queues.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson06 import Account, download, ex1, ex2, ex3

and ``Account??`` or ``download??`` shows how the helpers work.  The worked answers are
in ``solutions/06-synchronization-and-queues.ipynb``.

The checkers judge by what happened, not by the clock alone: the account notes, at
every read and write of its balance, whether the lock was held and which holding it
was; ``download`` counts how many downloads were in progress at once; the jobs of
exercise 3 count how often each was handled, and a task that never ends is asked
where it waits (``Queue.join``, ``Queue.get``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
    seconds,
)
from asyncio_tutorial.checkers.runner import run_coroutine, suspended_in, waiting_in
from asyncio_tutorial.checkers.scenario import Concurrency, Ending, judge_limit, watch

SLACK = 0.25  # how much later than planned a right answer may finish on a busy machine

# --- Exercise 1: deposit ----------------------------------------------------------------


class _WatchedLock(asyncio.Lock):
    """An ``asyncio.Lock`` that numbers each time it is taken, so a read and a write can
    be told to have happened under the *same* holding of the lock."""

    def __init__(self) -> None:
        super().__init__()
        self.holdings = 0

    async def acquire(self) -> bool:
        await super().acquire()
        self.holdings += 1
        return True

    def holding(self) -> int | None:
        """Which holding of the lock is in force now, or ``None`` if it is free."""
        return self.holdings if self.locked() else None


class Account:
    """A bank account whose balance lives with a slow ledger service.

    * ``account.balance``: read it and write it like a plain attribute;
    * ``await account.ledger_check(amount)``: asks the ledger service to approve a
      deposit (0.1 s);
    * ``await account.send_receipt(amount)``: e-mails a receipt (0.2 s); it does not
      touch the balance;
    * ``account.lock``: the account's ``asyncio.Lock``, shared by everyone using it.

    The account also notes, for the checker, whether the lock was held at each read and
    write of the balance and during each receipt.
    """

    def __init__(self) -> None:
        self.lock = _WatchedLock()
        self._balance = 0
        self.reads: list[int | None] = []
        self.writes: list[tuple[int | None, int | None]] = []
        self.ledger_checks = 0
        self.receipts_in_lock = 0
        self.receipts = 0
        self._read_by: dict[asyncio.Task[Any] | None, int | None] = {}

    @property
    def balance(self) -> int:
        holding = self.lock.holding()
        self.reads.append(holding)
        self._read_by[asyncio.current_task()] = holding
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        self.writes.append((self._read_by.get(asyncio.current_task()), self.lock.holding()))
        self._balance = value

    async def ledger_check(self, amount: int) -> None:
        self.ledger_checks += 1
        await asyncio.sleep(0.1)

    async def send_receipt(self, amount: int) -> None:
        self.receipts += 1
        self.receipts_in_lock += self.lock.locked()
        await asyncio.sleep(0.2)


async def _five_deposits(deposit: Any, account: Account) -> int:
    await asyncio.gather(*(deposit(account, 10) for _ in range(5)))
    return account._balance


def check_deposit(deposit: Any) -> Result:
    """Five concurrent ``deposit(account, 10)`` calls leave 50, receipts sent concurrently."""
    expect_coroutine_function(deposit)
    account = Account()
    call = "five concurrent deposit(account, 10)"
    outcome = run_coroutine(partial(_five_deposits, deposit, account))
    common_mistakes(outcome, call)
    if account.ledger_checks < 5 or account.receipts < 5:
        raise Wrong(
            "step_skipped",
            f"{call}: the ledger was asked {account.ledger_checks} times and "
            f"{account.receipts} receipts were sent, where each deposit does both once. "
            "Keep every step of the original deposit; only add the lock.",
        )
    if outcome.value != 50:
        _lost_update(account, call, outcome.value)
    if account.receipts_in_lock:
        raise Wrong(
            "lock_too_wide",
            f"{call} left the right balance, 50, but took {seconds(outcome.elapsed)}: "
            f"{account.receipts_in_lock} receipts were sent while the lock was held, so "
            "they went out one after another. The receipt does not touch the balance: "
            "release the lock before `await account.send_receipt(amount)` (0.7 s in all).",
        )
    judge_duration(outcome.elapsed, 0.7, call, tolerance=SLACK)
    return correct(
        f"{call} left a balance of 50 in 0.7 s: each read-check-write ran under the lock, "
        "one deposit at a time (5 × 0.1 s), and the receipts went out together after it "
        "(0.2 s)."
    )


def _lost_update(account: Account, call: str, balance: Any) -> None:
    """The balance is wrong: say whether the lock was taken at all, and across the whole update."""
    if account.lock.holdings == 0:
        raise Wrong(
            "lock_not_used",
            f"{call} left a balance of {balance}, not 50: updates were lost, and "
            "account.lock was never taken. Every deposit read the balance, paused at the "
            "ledger check, and wrote what it had read plus 10. Hold `async with "
            "account.lock:` from the read to the write. (A lock created inside deposit is "
            "a new lock on every call and protects nothing.)",
        )
    split = [(read, wrote) for read, wrote in account.writes if read is None or read != wrote]
    if split:
        raise Wrong(
            "lock_wrong_region",
            f"{call} left a balance of {balance}, not 50: the lock was taken, but not "
            "across the whole read-check-write. Some deposits read the balance and wrote it "
            "back under different holdings of the lock (or with no lock), so another deposit "
            "got in between. One `async with account.lock:` block must contain the read, "
            "the `await account.ledger_check(amount)` and the write.",
        )
    raise Wrong("lost_update", f"{call} left a balance of {balance}, not 50.")


ex1 = Exercise(
    title="Fix a lost update",
    answer="deposit",
    checker=check_deposit,
    hints=[
        "The race: deposit reads the balance, awaits the ledger, then writes. Another "
        "deposit runs during that await and reads the same old balance.",
        "Put the read, the `await account.ledger_check(amount)` and the write inside one "
        "`async with account.lock:` block: the one lock all deposits share.",
        "Leave `await account.send_receipt(amount)` after the block: it does not touch the "
        "balance, and inside the lock the receipts would go out one at a time.",
    ],
)

# --- Exercise 2: fetch_all with a limit ---------------------------------------------------

_traffic = Concurrency()


async def download(url: str) -> str:
    """Pretend to download ``url``: 0.1 s of waiting, then ``"<url>"``.

    It counts how many downloads are in progress at once, which is how the check tells a
    bounded answer from an unbounded one.
    """
    async with _traffic.track():
        await asyncio.sleep(0.1)
    return f"<{url}>"


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(urls, limit)``: all pages in order, never more than ``limit`` at once."""
    expect_coroutine_function(fetch_all)
    for urls, limit in ((list("abcdefg"), 3), (list("pqrst"), 2)):
        call = f"fetch_all({len(urls)} urls, limit={limit})"
        _traffic.reset()
        outcome = run_coroutine(partial(fetch_all, urls, limit))
        common_mistakes(outcome, call)
        expected = [f"<{url}>" for url in urls]
        if outcome.value != expected:
            shuffled = isinstance(outcome.value, list) and sorted(outcome.value) == expected
            raise Wrong(
                "wrong_order" if shuffled else "wrong_value",
                f"{call} returned {outcome.value!r}; it should return the pages in the "
                f"order of urls, {expected!r} (gather keeps that order).",
            )
        judge_limit(_traffic.peak, limit, len(urls), call)
        if _traffic.peak < limit:
            raise Wrong(
                "below_limit",
                f"{call}: never more than {_traffic.peak} downloads at once, though "
                f"{limit} were allowed. Use the limit you are given: "
                "`asyncio.Semaphore(limit)`.",
            )
        rounds = -(-len(urls) // limit)
        judge_duration(outcome.elapsed, 0.1 * rounds, call, tolerance=SLACK)
    return correct(
        "fetch_all(7 urls, limit=3) kept exactly 3 downloads in flight at a time (measured) "
        "and returned the pages in order after 0.3 s, three rounds; with limit=2, 2 at a time."
    )


ex2 = Exercise(
    title="At most limit downloads at once",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Create one `asyncio.Semaphore(limit)` in fetch_all, before starting the downloads, "
        "so that they all share it.",
        "Wrap each download: `async def one(url): async with semaphore: return await "
        "download(url)`.",
        "Then `return await asyncio.gather(*(one(url) for url in urls))`: all start at "
        "once, the semaphore lets `limit` through at a time, and gather keeps the order.",
    ],
)

# --- Exercise 3: process_all with a pool of workers ---------------------------------------


@dataclass
class _Jobs:
    """What happened to the jobs of exercise 3."""

    handled: dict[int, int] = field(default_factory=dict)
    traffic: Concurrency = field(default_factory=Concurrency)

    async def handle(self, job: int) -> int:
        """The ``handle`` the answer is given: 0.1 s of waiting, then ``job * 10``."""
        self.handled[job] = self.handled.get(job, 0) + 1
        async with self.traffic.track():
            await asyncio.sleep(0.1)
        return job * 10


@dataclass
class _PoolReport:
    stuck_in: list[str] = field(default_factory=list)
    workers_waiting: int = 0


async def _pool_scenario(
    process_all: Any, jobs: _Jobs, ending: Ending, report: _PoolReport
) -> None:
    task_holder: list[asyncio.Task[Any]] = []

    def start() -> asyncio.Task[Any]:
        task = asyncio.ensure_future(process_all(list(range(8)), jobs.handle, 3))
        task_holder.append(task)
        return task

    await watch(start, ending, give_up_after=1.5)
    if not ending.finished:
        report.stuck_in = suspended_in(task_holder[0])
    await asyncio.sleep(0)  # let workers that are stopping stop
    report.workers_waiting = len(waiting_in("Queue.get"))


def check_process_all(process_all: Any) -> Result:
    """``process_all(jobs, handle, workers)``: every job once, ``workers`` at a time, stop."""
    expect_coroutine_function(process_all)
    jobs, ending, report = _Jobs(), Ending(), _PoolReport()
    call = "process_all(range(8), handle, workers=3)"
    outcome = run_coroutine(partial(_pool_scenario, process_all, jobs, ending, report))
    twice = sorted(job for job, count in jobs.handled.items() if count > 1)
    if twice:
        raise Wrong(
            "processed_twice",
            f"{call} handled jobs {twice} more than once. Each job must go to exactly one "
            "worker: put every job in the queue once, and let each worker take jobs with "
            "`await queue.get()` (no worker should go over the whole list).",
        )
    lost = sorted(set(range(8)) - set(jobs.handled))
    if not ending.finished:
        _never_finished(call, report, lost)
    if report.workers_waiting or outcome.left_running:
        raise Wrong(
            "workers_never_stop",
            f"{call} returned while its workers were still running, waiting in "
            "`queue.get()` for jobs that will never come (they have been cancelled now). "
            "Stop them before returning: cancel them once `await queue.join()` returns, "
            "and wait for them, or send one sentinel per worker.",
        )
    if lost:
        raise Wrong(
            "items_lost",
            f"{call} returned, but jobs {lost} were never handled. Wait until the queue "
            "is worked off before stopping the workers: `await queue.join()` (with "
            "`queue.task_done()` after each job), or sentinels queued after the jobs.",
        )
    common_mistakes(outcome, call)
    if ending.error is not None:
        raise Wrong("raised", f"{call} raised {type(ending.error).__name__}: {ending.error}.")
    _judge_pool_result(call, jobs, ending)
    return correct(
        f"{call} handled each of the 8 jobs exactly once, 3 at a time (measured), "
        "returned every result after 0.3 s, and left no worker running."
    )


def _never_finished(call: str, report: _PoolReport, lost: list[int]) -> None:
    """It never returned: say where it waited, and what for."""
    if "Queue.join" in report.stuck_in and not lost:
        raise Wrong(
            "join_without_task_done",
            f"{call} never returned: every job was handled, but it still waits in "
            "`queue.join()`. join() waits until `queue.task_done()` has been called once "
            "for every item put; call it in each worker after handling a job (in a "
            "`finally:`, so a failed job counts too).",
        )
    if lost:
        raise Wrong(
            "items_lost",
            f"{call} never returned, and jobs {lost} were never handled: were they all put "
            "in the queue, and is there a worker left to take them?",
        )
    raise Wrong(
        "workers_never_stop",
        f"{call} handled every job but never returned: it is still waiting for its "
        f"workers, while {report.workers_waiting} of them wait in `queue.get()` for jobs that will "
        "never come. Tell them to stop: one sentinel per worker, or cancel them after "
        "`await queue.join()`, or `queue.shutdown()` (3.13+).",
    )


def _judge_pool_result(call: str, jobs: _Jobs, ending: Ending) -> None:
    """What it returned, how many jobs were handled at once, and how long it took."""
    expected = {job: job * 10 for job in range(8)}
    if ending.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {ending.value!r}; it should return a dict of each job's "
            f"result, {{job: await handle(job)}}: {expected!r}.",
        )
    if jobs.traffic.peak > 3:
        raise Wrong(
            "too_many_at_once",
            f"{call}: {jobs.traffic.peak} jobs were handled at once, more than the 3 "
            "workers. Only the workers should call handle, each one job at a time.",
        )
    if jobs.traffic.peak < 3:
        raise Wrong(
            "too_few_workers",
            f"{call}: never more than {jobs.traffic.peak} job(s) at once, so 3 workers "
            "were not working side by side. Start all `workers` worker tasks before "
            "waiting for any of them.",
        )
    judge_duration(ending.elapsed, 0.3, call, tolerance=SLACK)


ex3 = Exercise(
    title="A pool of workers that stops",
    answer="process_all",
    checker=check_process_all,
    hints=[
        "Put every job in an `asyncio.Queue`, then start `workers` tasks that each loop: "
        "`job = await queue.get()`, `results[job] = await handle(job)`, "
        "`queue.task_done()`.",
        "`await queue.join()` returns once task_done() was called for every job: then "
        "the work is done, but the workers are still waiting in get().",
        "Stop them: `task.cancel()` for each worker, then "
        "`await asyncio.gather(*tasks, return_exceptions=True)`; or put one `None` per "
        "worker after the jobs and let a worker return when it gets one.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = ["EXERCISES", "Account", "download", "ex1", "ex2", "ex3"]
