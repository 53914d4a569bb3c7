"""Lesson 06, exercise 1: fix a lost update with the account's lock.

The ``Account`` notes, for the checker, everything a deposit does to it: at every read
and write of the balance, whether ``account.lock`` was held and which holding of it it
was; whether the ledger was asked between the read and the write; how many ledger
checks ran at once; whether a receipt went out while the lock was held.  The verdict
rests on those notes, not on the clock: a busy machine makes everything late, but it
cannot make two deposits write under one holding of the lock.

Two accounts are used at once: on the first, five deposits of 10; on the second, five
deposits of which the ledger refuses the third, which must raise the ledger's error,
give the lock back, and let the other four through.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    error_text,
    expect_coroutine_function,
    hang,
    raised,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, where_waiting
from asyncio_tutorial.checkers.scenario import Concurrency, names_used

DEPOSITS = 5
AMOUNT = 10
REFUSED = 3  # on the second account, the ledger refuses the third deposit it is asked about
GIVE_UP = 2.0  # seconds the scenario waits for the deposits (right: 0.7 s; too wide a lock: 1.5 s)


class LedgerRefused(Exception):
    """The ledger service refused a deposit: ``await account.ledger_check(amount)`` raised."""


class _WatchedLock(asyncio.Lock):
    """An ``asyncio.Lock`` that numbers each time it is taken, so that a read and a write
    can be told to have happened under the *same* holding of the lock, and that notices
    a task asking for it while it already holds it (it would wait for itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.holdings = 0
        self.holder: asyncio.Task[Any] | None = None
        self.taken_again = False

    async def acquire(self) -> bool:
        task = asyncio.current_task()
        if self.locked() and self.holder is task:
            self.taken_again = True
        await super().acquire()
        self.holdings += 1
        self.holder = task
        return True

    def release(self) -> None:
        self.holder = None
        super().release()

    def holding(self) -> int | None:
        """Which holding of the lock is in force now, or ``None`` if it is free."""
        return self.holdings if self.locked() else None


@dataclass
class _Steps:
    """What one deposit (one task) did to the account, in order."""

    done: list[str] = field(default_factory=list)
    """``"read"``, ``"check"`` and ``"write"``, as they happened."""
    read_under: int | None = None
    """The holding of the lock in force at the last read (``None``: not held)."""


class Account:
    """A bank account whose balance lives with a slow ledger service.

    * ``account.balance``: read it and write it like a plain attribute;
    * ``await account.ledger_check(amount)``: asks the ledger service to approve a
      deposit (0.1 s); it raises an error if the ledger refuses it;
    * ``await account.send_receipt(amount)``: e-mails a receipt (0.2 s); it does not
      touch the balance;
    * ``account.lock``: the account's ``asyncio.Lock``, shared by everyone using it.

    The account also notes, for the checker, whether the lock was held at each read and
    write of the balance and during each receipt.
    """

    def __init__(self, refuse: int | None = None) -> None:
        self.lock = _WatchedLock()
        self._balance = 0
        self._refuse = refuse  # which ledger check (1, 2, ...) the ledger refuses
        self.reads = 0
        self.writes: list[tuple[int | None, int | None]] = []
        """For each write: the holding of the lock at the task's read, and at the write."""
        self.ledger = Concurrency()
        self.receipts = 0
        self.receipts_in_lock = 0
        self.steps: dict[asyncio.Task[Any] | None, _Steps] = {}

    def _steps(self) -> _Steps:
        return self.steps.setdefault(asyncio.current_task(), _Steps())

    @property
    def balance(self) -> int:
        self.reads += 1
        steps = self._steps()
        steps.done.append("read")
        steps.read_under = self.lock.holding()
        return self._balance

    @balance.setter
    def balance(self, value: int) -> None:
        steps = self._steps()
        steps.done.append("write")
        self.writes.append((steps.read_under, self.lock.holding()))
        self._balance = value

    async def ledger_check(self, amount: int) -> None:
        self._steps().done.append("check")
        async with self.ledger.track():
            await asyncio.sleep(0.1)
        if self.ledger.total == self._refuse:
            raise LedgerRefused(f"the ledger refused the deposit of {amount}")

    async def send_receipt(self, amount: int) -> None:
        self.receipts += 1
        self.receipts_in_lock += self.lock.locked()
        await asyncio.sleep(0.2)


_LOCK_NAMES = {"_WatchedLock.acquire": "account.lock (acquire)"}
"""What a message calls the account's lock when a deposit waits for it."""


@dataclass
class _Run:
    """The two accounts, how each deposit ended, and how long the first five took."""

    first: Account = field(default_factory=Account)
    second: Account = field(default_factory=lambda: Account(refuse=REFUSED))
    first_endings: list[BaseException | None] = field(default_factory=list)
    second_endings: list[BaseException | None] = field(default_factory=list)
    first_took: float = 0.0
    unfinished: list[str] = field(default_factory=list)
    """Where the deposits still running after ``GIVE_UP`` seconds were waiting."""


async def _deposits(deposit: Any, run: _Run) -> None:
    """Five deposits of 10 on each account, all at once; note how each one ended."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = [asyncio.ensure_future(deposit(run.first, AMOUNT)) for _ in range(DEPOSITS)]
    second = [asyncio.ensure_future(deposit(run.second, AMOUNT)) for _ in range(DEPOSITS)]

    async def time_the_first() -> None:
        await asyncio.wait(first)
        run.first_took = loop.time() - started

    timing = asyncio.ensure_future(time_the_first())
    await asyncio.wait([*first, *second], timeout=GIVE_UP)
    pending = [task for task in (*first, *second) if not task.done()]
    places = {where_waiting(task) or "deposit" for task in pending}
    run.unfinished = sorted(_LOCK_NAMES.get(place, place) for place in places)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=0.2)
    # A deposit that caught every cancellation cannot be stopped, and would go on inside
    # the garbage collector once collected: it is kept, where it does no harm.
    _kept_aside.extend(task for task in pending if not task.done())
    await asyncio.wait([timing], timeout=0.1)
    run.first_endings = [_ending(task) for task in first]
    run.second_endings = [_ending(task) for task in second]
    for error in run.first_endings:
        if isinstance(error, NotImplementedError):
            raise error  # the untouched stub: the runner reports it as not attempted


_kept_aside: list[asyncio.Task[Any]] = []
"""Deposits that caught every cancellation (see ``_deposits``)."""


def _ending(task: asyncio.Task[Any]) -> BaseException | None:
    """What a deposit raised (``None`` if it returned; a CancelledError if it had to be
    stopped), with the local variables of its traceback dropped: what they hold (a
    coroutine never awaited, say) is thrown away now, while the runner notes its warnings."""
    if not task.done() or task.cancelled():
        return asyncio.CancelledError()
    error = task.exception()
    if error is not None:
        traceback.clear_frames(error.__traceback__)
    return error


def check_deposit(deposit: Any) -> Result:
    """Five concurrent ``deposit(account, 10)`` calls leave 50, receipts sent concurrently;
    on a second account, a deposit the ledger refuses raises and lets the others through."""
    expect_coroutine_function(deposit)
    run = _Run()
    call = "five concurrent deposit(account, 10)"
    outcome = run_coroutine(lambda: _deposits(deposit, run))
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    if outcome.timed_out:
        raise hang(outcome, call)
    _judge_errors(run, call)  # before a coroutine never awaited: asyncio.run(...) leaves one
    common_mistakes(outcome, call)
    _judge_unfinished(run, call)
    first = run.first
    if first.ledger.total < DEPOSITS or first.receipts < DEPOSITS:
        raise Wrong(
            "step_skipped",
            f"{call}: the ledger was asked {first.ledger.total} times and "
            f"{first.receipts} receipts were sent, where each deposit does both once. "
            "Keep every step of the original deposit; only add the lock.",
        )
    if first._balance != DEPOSITS * AMOUNT:
        _lost_update(deposit, first, call, first._balance)
    _judge_lock_used(deposit, first, call, outcome)
    if first.receipts_in_lock:
        raise Wrong(
            "lock_too_wide",
            f"{call} left the right balance, 50, but took {took(run.first_took)}: "
            f"{first.receipts_in_lock} receipts were sent while the lock was held, so "
            "they went out one after another. The receipt does not touch the balance: "
            "release the lock before `await account.send_receipt(amount)` (0.7 s in all).",
        )
    _judge_refusal(run)
    if outcome.waits:
        asked = ", ".join(f"{wait:g} s" for wait in outcome.waits[:3])
        raise Wrong(
            "extra_wait",
            f"{call} left the right balance, but deposit waited on its own "
            f"({len(outcome.waits)} waits: {asked}...). The only waiting a deposit does is "
            "the ledger check and the receipt; leave out the `asyncio.sleep`.",
        )
    return correct(
        f"{call} left a balance of 50 after {took(run.first_took)}: each deposit's read, "
        "ledger check and write ran under one holding of account.lock, so the "
        f"{first.ledger.total} ledger checks ran one at a time (at most {first.ledger.peak} "
        "at once), and no receipt was sent while the lock was held. On a second account, "
        "the deposit the ledger refused raised its error and gave the lock back: the "
        f"other {DEPOSITS - 1} went through ({run.second._balance})."
    )


def _judge_errors(run: _Run, call: str) -> None:
    """A deposit raised something other than the ledger's refusal (or was stopped)."""
    for error in [*run.first_endings, *run.second_endings]:
        if error is None or isinstance(error, (LedgerRefused, asyncio.CancelledError)):
            continue
        if isinstance(error, RuntimeError) and "different event loop" in str(error):
            raise Wrong(
                "own_lock",
                f"{call} raised {error_text(error)}. The lock deposit takes is "
                "not the account's: it was made once, outside deposit, and belongs to the "
                "event loop that first used it. Use the lock every user of the account "
                "shares: `async with account.lock:`.",
                suggests="async with account.lock",
            )
        if isinstance(error, TypeError) and "context manager" in str(error):
            raise Wrong(
                "not_async_with",
                f"{call} raised {error_text(error)}. An asyncio.Lock is taken "
                "with `async with account.lock:`: taking it may mean waiting, and only "
                "`async with` can wait.",
                suggests="async with account.lock",
            )
        raise raised(error, call)


def _judge_unfinished(run: _Run, call: str) -> None:
    """Deposits still waiting after ``GIVE_UP`` seconds, where five take 0.7 s: waiting for
    the lock, mostly."""
    if not run.unfinished:
        return
    where = " and ".join(run.unfinished)
    for account in (run.first, run.second):
        if account.lock.taken_again:
            raise Wrong(
                "lock_taken_twice",
                f"{call} never finished: a deposit that held account.lock asked for it "
                "again, and waits for itself (an asyncio.Lock is not re-entrant). Take "
                "the lock once, with one `async with account.lock:` around the read, the "
                "ledger check and the write.",
            )
    for account, name in ((run.first, "the first"), (run.second, "the second")):
        if account.lock.locked():
            refused = (
                " after the ledger refused a deposit: the refused deposit raised before "
                "it gave the lock back"
                if account is run.second and not run.first.lock.locked()
                else ""
            )
            raise Wrong(
                "lock_never_released",
                f"{call} never finished: on {name} account, account.lock was taken and "
                f"never given back{refused}, and the other deposits wait for it for "
                "ever. `async with account.lock:` gives it back however the block ends; "
                "with acquire(), release() must be in a `finally:`.",
                suggests="async with account.lock",
            )
    raise Wrong(
        "hang",
        f"{call} had not finished after {GIVE_UP} s (five deposits take 0.7 s): the "
        f"deposits were still waiting in {where}. They have been stopped.",
    )


def _lost_update(deposit: Any, account: Account, call: str, balance: Any) -> None:
    """The balance is wrong: say whether the lock was taken at all, and across the whole update."""
    if account.lock.holdings == 0:
        if "Lock" in names_used(deposit):
            raise Wrong(
                "own_lock",
                f"{call} left a balance of {balance}, not 50: updates were lost, because "
                "the lock deposit takes is not the account's. A lock created inside "
                "deposit is a new lock on every call, and protects nothing: each deposit "
                "gets in at once. Use the one lock every deposit shares: "
                "`async with account.lock:`.",
                suggests="async with account.lock",
            )
        raise Wrong(
            "lock_not_used",
            f"{call} left a balance of {balance}, not 50: updates were lost, and "
            "account.lock was never taken. Every deposit read the balance, paused at the "
            "ledger check, and wrote what it had read plus 10. Hold `async with "
            "account.lock:` from the read to the write.",
            suggests="async with account.lock",
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


def _judge_lock_used(deposit: Any, account: Account, call: str, outcome: Outcome) -> None:
    """The balance is right: was it the account's lock, over the read, check and write?"""
    reordered = [
        steps.done
        for steps in account.steps.values()
        if "check" in steps.done and "read" in steps.done and "write" in steps.done
        if not steps.done.index("read") < steps.done.index("check") < steps.done.index("write")
    ]
    if reordered:
        raise Wrong(
            "order_changed",
            f"{call} left the right balance, but a deposit did its steps in the order "
            f"{', '.join(reordered[0])}: it no longer reads the balance, has the ledger "
            "approve the deposit, then writes. Keep deposit's steps in their order (read, "
            "ledger check, write, receipt), and hold account.lock over the first three: "
            "the lock is what makes that order safe.",
        )
    unlocked = [write for write in account.writes if write[1] is None]
    if not unlocked and account.lock.holdings:
        return
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    if len(polls) >= 3:
        raise Wrong(
            "polling",
            f"{call} left the right balance without account.lock: deposits waited for "
            f"their turn by polling, with {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})). A lock wakes the next deposit exactly when "
            "the last one is done, with no polling: `async with account.lock:` around the "
            "read, the ledger check and the write.",
            suggests="async with account.lock",
        )
    own = " (a lock of your own, say)" if "Lock" in names_used(deposit) else ""
    raise Wrong(
        "own_lock",
        f"{call} left the right balance, but never took account.lock: the deposits "
        f"waited for something else{own}. The account's lock is the one every user of "
        "the account shares; a lock kept elsewhere makes deposits to different accounts "
        "wait for each other too. Use `async with account.lock:`.",
        suggests="async with account.lock",
    )


def _judge_refusal(run: _Run) -> None:
    """On the second account the ledger refuses the third deposit it is asked about."""
    call = "five concurrent deposit(account, 10), the third refused by the ledger"
    second = run.second
    refused = [e for e in run.second_endings if isinstance(e, LedgerRefused)]
    if not refused:
        raise Wrong(
            "refusal_swallowed",
            f"{call}: every deposit returned normally, though the ledger refused one "
            "(ledger_check raised an error). Let that error through to the caller, as the "
            "original deposit does: the deposit did not happen.",
        )
    if second.receipts > DEPOSITS - 1:
        raise Wrong(
            "receipt_for_refused",
            f"{call}: {second.receipts} receipts were sent, one of them for the deposit "
            "the ledger refused. Send the receipt after the balance is written, as the "
            "original deposit does.",
        )
    if second._balance != (DEPOSITS - 1) * AMOUNT:
        raise Wrong(
            "wrong_value",
            f"{call} left a balance of {second._balance}, not "
            f"{(DEPOSITS - 1) * AMOUNT}: only the refused deposit should be missing.",
        )


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
