"""Lesson 06, exercise 5: a stock that buyers wait on, with a ``Condition``.

The answer is a class, ``Stock``: ``await stock.take(n)`` waits until ``n`` parts are
in stock and takes them; ``await stock.add(n)`` delivers ``n``.  The check makes
three buyers wait at once, for 3, 1 and 2 parts (in that order), and then delivers 2
parts three times, 0.1 s apart, noting after every delivery which buyers were served
and how many parts were left.  With ``wait_for`` and ``notify_all`` the small order is
served after the first delivery (2 parts: not enough for the big one), the big one
after the second, the last after the third, and the stock ends at 0.  The classic
mistakes show in that record: ``if`` instead of ``while`` (or ``wait_for``) lets a
woken buyer take parts that are not there (the stock goes below 0); ``notify()``
wakes only the first waiter, the big order, which goes back to waiting while the
small order, which could have been served, sleeps on.  A buyer that never gets its
parts is asked where it waits, and on which condition.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    error_text,
    hang,
)
from asyncio_tutorial.checkers.lesson06.waiting import Stuck, never_awaited, run_scenario
from asyncio_tutorial.checkers.scenario import names_used

BUYERS = {"big": 3, "small": 1, "medium": 2}
"""The check's buyers and how many parts each takes, in the order they start waiting."""
DELIVERY = 2  # parts per delivery
DELIVERIES = 3
EVERY = 0.1  # seconds between deliveries
SERVED_AFTER = {"small": 1, "big": 2, "medium": 3}
"""After which delivery each buyer must have its parts."""
GIVE_UP = 0.8  # seconds the scenario waits for every buyer (right: 0.3 s)


@dataclass
class _Shop:
    """What the check saw: which buyer was served after which delivery, and the stock."""

    delivered: int = 0
    """Deliveries made so far."""
    served: dict[str, int] = field(default_factory=dict)
    """Each served buyer, and how many deliveries had been made when it was served."""
    levels: list[int] = field(default_factory=list)
    """``stock.parts`` each time a buyer was served, and after each delivery."""
    stock: Any = None


def _parts(stock: Any) -> Any:
    return getattr(stock, "parts", None)


async def _shop(Stock: Any, shop: _Shop) -> None:
    """Three buyers waiting at once; then three deliveries, 0.1 s apart."""
    stock = shop.stock = Stock()

    async def buyer(name: str, parts: int) -> None:
        await stock.take(parts)
        shop.served[name] = shop.delivered
        shop.levels.append(_parts(stock))

    async def supplier() -> None:
        for _ in range(DELIVERIES):
            await asyncio.sleep(EVERY)
            await stock.add(DELIVERY)
            shop.delivered += 1
            shop.levels.append(_parts(stock))

    buyers = []
    for name, parts in BUYERS.items():
        buyers.append(asyncio.ensure_future(buyer(name, parts)))
        await asyncio.sleep(0)  # let it start waiting before the next comes in
    await asyncio.gather(supplier(), *buyers)


def _expect_class(Stock: Any) -> None:
    if not inspect.isclass(Stock):
        raise Wrong(
            "not_a_class",
            "check needs the class Stock itself (`class Stock:` with its methods take and "
            f"add), not a {type(Stock).__name__}.",
        )
    shared = [name for name, value in vars(Stock).items() if isinstance(value, asyncio.Condition)]
    if shared:
        raise Wrong(
            "shared_condition",
            f"Stock.{shared[0]} is one asyncio.Condition created in the class body, shared "
            "by every Stock (and bound to the first event loop that uses it). Create it in "
            f"`__init__`, `self.{shared[0]} = asyncio.Condition()`: each stock its own.",
        )
    for method in ("take", "add"):
        if not inspect.iscoroutinefunction(getattr(Stock, method, None)):
            raise Wrong(
                "not_async",
                f"Stock.{method} must be a coroutine method: `async def {method}(self, n):`"
                " (it waits, for the condition's lock at least).",
            )


def check_stock(Stock: Any) -> Result:
    """``Stock``: ``take(n)`` waits until there are ``n`` parts and takes them; ``add(n)``
    delivers ``n`` and wakes every buyer who might now be served."""
    _expect_class(Stock)
    shop = _Shop()
    call = "three buyers (3, 1 and 2 parts) and three deliveries of 2"
    stuck = Stuck()
    outcome, ending = run_scenario(lambda: _shop(Stock, shop), GIVE_UP, stuck)
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    if outcome.timed_out:
        raise hang(outcome, call)
    never_awaited(outcome, call)
    _judge_lock_errors(outcome.error, call)
    _judge_oversold(call, shop)
    if not ending.finished:
        _never_served(Stock, call, shop, stuck)
    common_mistakes(outcome, call)
    _judge_order(Stock, call, shop, outcome)
    return correct(
        f"with 3 buyers waiting for 3, 1 and 2 parts and a delivery of {DELIVERY} every "
        f"{EVERY:g} s, the small order was served after the first delivery (the big one "
        "went on waiting: 2 parts were not enough), the big one after the second, the "
        f"last after the third; the stock never went below 0 and ended at {_parts(shop.stock)}."
    )


def _judge_lock_errors(error: BaseException | None, call: str) -> None:
    """wait() or notify() without holding the condition's lock."""
    if not isinstance(error, RuntimeError):
        return
    said = str(error)
    if "cannot wait on un-acquired lock" in said:
        raise Wrong(
            "wait_without_lock",
            f"{call}: take raised {error_text(error)}. `wait()` and `wait_for()` must be "
            "called with the condition's lock held: inside `async with self.changed:` "
            "(they give the lock back while waiting, and take it again to return).",
        )
    if "cannot notify on un-acquired lock" in said:
        raise Wrong(
            "notify_without_lock",
            f"{call}: add raised {error_text(error)}. `notify_all()` must be called with "
            "the condition's lock held: change the stock and notify inside "
            "`async with self.changed:`.",
        )
    if "different event loop" in said or "attached to a different loop" in said:
        raise Wrong(
            "shared_condition",
            f"{call} raised {error_text(error)}. The condition was created once for every "
            "Stock, in the class body, and then used on another event loop. Create it in "
            "`__init__` (`self.changed = asyncio.Condition()`): each stock its own.",
        )


def _judge_oversold(call: str, shop: _Shop) -> None:
    """A buyer took parts that were not there."""
    below = [level for level in shop.levels if isinstance(level, int) and level < 0]
    if below:
        who = ", ".join(f"{name} after delivery {n}" for name, n in shop.served.items())
        raise Wrong(
            "oversold",
            f"{call}: the stock went below 0, down to {min(below)} parts: buyers took parts that "
            f"were not there (served: {who or 'nobody'}). A woken buyer must check again "
            "that there are enough parts, as long as there are not: "
            "`await self.changed.wait_for(lambda: self.parts >= n)`, or "
            "`while self.parts < n: await self.changed.wait()`, never `if`.",
            suggests="wait_for",
        )


def _never_served(Stock: Any, call: str, shop: _Shop, stuck: Stuck) -> None:
    """Some buyer never got its parts: say what it waited for."""
    waiting = [name for name in BUYERS if name not in shop.served]
    where = stuck.describe() or "take"
    names = names_used(Stock)
    conditions = stuck.distinct(asyncio.Condition)
    own = {id(value) for value in vars(shop.stock).values()} if shop.stock is not None else set()
    if conditions and any(id(each) not in own for each in conditions):
        raise Wrong(
            "condition_per_call",
            f"{call}: buyers {waiting} were never served: they waited in {where}, on a "
            "condition made inside take, which nobody else knows of and nobody notifies. "
            "Create one condition per stock, in `__init__` "
            "(`self.changed = asyncio.Condition()`), and use that one in take and add.",
        )
    if conditions and "notify_all" not in names and "notify" in names:
        raise Wrong(
            "notify_one",
            f"{call}: buyers {waiting} were never served ({where}), though there were "
            f"{_parts(shop.stock)} parts left. `notify()` wakes one waiter only, the "
            "first: a buyer who needs more goes back to waiting, and the others are never "
            "told. Wake them all with `notify_all()`: each checks its own need.",
            suggests="notify_all()",
        )
    if conditions and not {"notify", "notify_all"} & names:
        raise Wrong(
            "never_notified",
            f"{call}: buyers {waiting} were never served: they waited in {where}, and add "
            "never woke them. After changing the stock, inside `async with "
            "self.changed:`, call `self.changed.notify_all()`.",
            suggests="notify_all()",
        )
    parts = _parts(shop.stock)
    if conditions and isinstance(parts, int) and any(BUYERS[name] <= parts for name in waiting):
        raise Wrong(
            "not_served",
            f"{call}: buyers {waiting} were never served ({where}), though {parts} parts "
            "were in stock at the end, enough for "
            f"{[name for name in waiting if BUYERS[name] <= parts]}. Does take wait until "
            "`self.parts >= n` exactly, and does add wake every waiter with "
            "`notify_all()`?",
        )
    raise Wrong(
        "hang",
        f"{call}: buyers {waiting} had not been served after {GIVE_UP:g} s (it takes "
        f"{DELIVERIES * EVERY:g} s): they waited in {where}. They have been stopped.",
    )


def _judge_order(Stock: Any, call: str, shop: _Shop, outcome: Any) -> None:
    """Who was served after which delivery, and how many parts were left."""
    late = {
        name: shop.served[name]
        for name, after in SERVED_AFTER.items()
        if shop.served.get(name, 0) > after
    }
    early = {
        name: shop.served[name]
        for name, after in SERVED_AFTER.items()
        if shop.served.get(name, after) < after
    }
    if any(after == 0 for after in early.values()):
        raise Wrong(
            "did_not_wait",
            f"{call}: buyers {[name for name, n in early.items() if n == 0]} were served "
            "before any delivery, with no parts in stock: take returned without waiting. "
            "It must wait until there are enough: "
            "`await self.changed.wait_for(lambda: self.parts >= n)`.",
            suggests="wait_for",
        )
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    polling = len(polls) >= 3
    taken = _parts(shop.stock) == DELIVERY * DELIVERIES - sum(BUYERS.values())
    # A take that polls serves whichever buyer looks first after a delivery: on a busy
    # machine, the medium order before the big one, with every part still subtracted.
    # That is the polling's doing (judged below), not a take that forgets to subtract.
    if early and not (taken and polling):
        raise Wrong(
            "not_taken",
            f"{call}: buyers {sorted(early)} were served before there were enough parts "
            f"for them (after delivery {min(early.values())}): did take subtract n from "
            "`self.parts`?",
        )
    if late and "notify_all" not in names_used(Stock) and "notify" in names_used(Stock):
        name, after = next(iter(late.items()))
        raise Wrong(
            "notify_one",
            f"{call}: the {name} order was served only after delivery {after}, though there "
            f"were enough parts after delivery {SERVED_AFTER[name]}. `notify()` wakes one "
            "waiter, the first: the big order, which goes back to waiting, while the "
            "others are never told. Wake them all with `notify_all()`.",
            suggests="notify_all()",
        )
    if late and not polls:
        name, after = next(iter(late.items()))
        raise Wrong(
            "served_late",
            f"{call}: the {name} order was served only after delivery {after}, though there "
            f"were enough parts after delivery {SERVED_AFTER[name]}. A buyer must be served "
            "as soon as `self.parts >= n`: wait for exactly that, and wake every waiter "
            "with notify_all() after each delivery.",
        )
    if polling:
        raise Wrong(
            "polling",
            f"{call}: take waited for the parts by polling: {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})). A condition wakes the buyers exactly when a "
            "delivery comes in: `await self.changed.wait_for(lambda: self.parts >= n)`, "
            "with `notify_all()` in add.",
            suggests="wait_for",
        )
    end = _parts(shop.stock)
    expected = DELIVERY * DELIVERIES - sum(BUYERS.values())
    if end != expected:
        raise Wrong(
            "wrong_value",
            f"{call}: the stock ended at {end!r} parts; {DELIVERY * DELIVERIES} were "
            f"delivered and {sum(BUYERS.values())} taken, so it should be {expected}. Keep "
            "the count in `self.parts`: add adds n, take subtracts n.",
        )


ex5 = Exercise(
    title="A stock that buyers wait on",
    answer="Stock",
    checker=check_stock,
    hints=[
        "In `__init__`: `self.parts = 0` and `self.changed = asyncio.Condition()`, one "
        "condition for the stock, shared by take and add.",
        "take: `async with self.changed:`, then `await self.changed.wait_for(lambda: "
        "self.parts >= n)`, then `self.parts -= n`. wait_for checks again on every wake-up.",
        "add: `async with self.changed:`, `self.parts += n`, `self.changed.notify_all()`: "
        "every waiting buyer checks whether there are enough for it now.",
    ],
)
