"""Exercise 6, ``place_order(items, reserve, save)``: all or nothing, saved safely.

Three scenarios: every item in stock (reserved at the same time, then saved); the lamp
out of stock (the pen's reservation cancelled at once, the error to the caller, nothing
saved); and the caller giving up 0.1 s into the save (the save finishes all the same,
then ``place_order`` ends cancelled).  The shop notes what happened to each reservation
and to the save, and in which task the save ran.

The pen's reservation ends 0.1 s after the lamp's fails.  On a machine so busy that the
loop was held up that long, both end at the same moment, before any answer could cancel
the pen's; that run says nothing, and the scenario is run again.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    expect_coroutine_function,
    judge_duration,
    raised,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, where_waiting
from asyncio_tutorial.checkers.scenario import Concurrency, Ending, names_used

from .common import (
    SLACK,
    common_mistakes,
    describe_value,
    ended,
    result_too_soon,
    return_in_finally,
    returns_in_finally,
    watch_answer,
)


class OutOfStock(Exception):
    """Raised by ``reserve(item)`` when the item is not in stock."""


ITEMS = ["book", "lamp", "pen"]
RESERVE_SECONDS = {"book": 0.1, "lamp": 0.2, "pen": 0.3}
SAVE_SECONDS = 0.2
ORDER_ID = "order-1"
CANCEL_INTO_SAVE = 0.1  # seconds into the save when the caller gives up
# A reservation that ends less than this after the lamp's failure ended with it, before
# the answer could cancel it: the loop was held up (a busy machine), and the run is tried
# again, up to ATTEMPTS times.
TOGETHER = 0.05
ATTEMPTS = 3


class _Shop:
    """What the checker hands ``place_order`` as ``reserve`` and ``save``, and what it saw.

    ``reserve(item)`` takes ``RESERVE_SECONDS[item]`` and returns ``"R-<item>"``, or
    raises ``OutOfStock`` for the item ``out_of_stock``; ``save(reservations)`` takes
    0.2 s and returns ``"order-1"``.  With ``cancel_while_saving``, the caller of
    ``place_order`` is cancelled 0.1 s into the save, as a caller that gives up would be.
    """

    def __init__(self, out_of_stock: str | None = None, cancel_while_saving: bool = False):
        self.out_of_stock = out_of_stock
        self.cancel_while_saving = cancel_while_saving
        self.reserving = Concurrency()
        self.failed_at: float | None = None  # when the out-of-stock reservation raised
        self.finished_after_failure: list[str] = []  # reservations let finish after it
        self.finished_with_failure: list[str] = []  # ... or finished at the same moment
        self.saves: list[Any] = []
        self.save_in_its_own_task = False
        self.saved = self.cut_off = False
        self.caller_waiting_in = ""  # where place_order waited as the save finished
        self.caller: asyncio.Task[Any] | None = None
        self.started_at = self.save_started_at = 0.0
        self.in_flight_at_end = 0
        self.saved_at_end = self.cut_off_at_end = False

    def given(self) -> tuple[Callable[[str], Awaitable[str]], Callable[[Any], Awaitable[str]]]:
        """The two async functions ``place_order`` is given: ``reserve`` and ``save``."""

        async def reserve(item: str) -> str:
            """Reserve one item in the warehouse; OutOfStock if there is none."""
            async with self.reserving.track():
                await asyncio.sleep(RESERVE_SECONDS.get(item, 0.1))
            now = asyncio.get_running_loop().time()
            if item == self.out_of_stock:
                self.failed_at = now
                raise OutOfStock(f"{item}: out of stock")
            if self.failed_at is not None and now - self.failed_at < TOGETHER:
                self.finished_with_failure.append(item)  # before the answer could act
            elif self.failed_at is not None:
                self.finished_after_failure.append(item)
            return f"R-{item}"

        async def save(reservations: Any) -> str:
            """Write the order to the database; return its id."""
            loop = asyncio.get_running_loop()
            self.saves.append(reservations)
            self.save_started_at = loop.time()
            self.save_in_its_own_task = asyncio.current_task() is not self.caller
            if self.cancel_while_saving and self.caller is not None:
                loop.call_later(CANCEL_INTO_SAVE, self.caller.cancel)
            try:
                await asyncio.sleep(SAVE_SECONDS)
            except asyncio.CancelledError:
                self.cut_off = True
                raise
            self.saved = True
            caller = self.caller
            if caller is not None and not caller.done():
                self.caller_waiting_in = where_waiting(caller)
            return ORDER_ID

        reserve.__qualname__, save.__qualname__ = "reserve", "save"  # as the answer knows them
        return reserve, save

    async def place(self, place_order: Any) -> Any:
        """Call ``place_order`` the way its caller would."""
        self.caller = asyncio.current_task()
        self.started_at = asyncio.get_running_loop().time()
        reserve, save = self.given()
        return await place_order(list(ITEMS), reserve, save)

    def note_end(self) -> None:
        self.in_flight_at_end = self.reserving.in_flight
        self.saved_at_end, self.cut_off_at_end = self.saved, self.cut_off


def _run_order(place_order: Any, shop: _Shop, how: str = "") -> tuple[Outcome, Ending, str]:
    outcome, ending = watch_answer(lambda: shop.place(place_order), shop.note_end)
    return outcome, ending, f"place_order({ITEMS!r}, reserve, save){how}"


def check_place_order(place_order: Any) -> Result:
    """``place_order``: reserve concurrently, all or nothing; save under shield."""
    expect_coroutine_function(place_order)
    placed, reserved_in, peak = _order_placed(place_order)
    failed = _order_out_of_stock(place_order)
    cancelled = _order_cancelled_while_saving(place_order)
    one_by_one = sum(RESERVE_SECONDS.values())
    return correct(
        f"place_order reserved the {len(ITEMS)} items at the same time ({peak} at once, "
        f"{took(reserved_in)} for all, not {seconds(one_by_one)}) and saved the order, "
        f"{ORDER_ID!r} after {took(placed)}; when the lamp was out of stock, the pen's "
        f"reservation was cancelled and OutOfStock reached the caller after {took(failed)}, "
        f"with nothing saved; and cancelled {CANCEL_INTO_SAVE:g} s into the save, it let the "
        f"save finish, then ended cancelled after {took(cancelled)}."
    )


def _order_placed(place_order: Any) -> tuple[float, float, int]:
    """Every item in stock: reserved at the same time, saved in item order, the id returned."""
    shop = _Shop()
    outcome, ending, call = _run_order(place_order, shop)
    if isinstance(ending.value, asyncio.Future):
        raise Wrong(
            "forgot_await",
            f"{call} returned {describe_value(ending.value)} instead of the order's id: "
            "what `asyncio.shield(...)` gives is a future, to await. `return await "
            "asyncio.shield(saving)` waits for the save and gives its result.",
        )
    common_mistakes(outcome, call)
    result_too_soon(ending.error, call)
    if ending.error is not None:
        raise raised(ending.error, call)
    expected = [f"R-{item}" for item in ITEMS]
    if not shop.saves:
        raise Wrong(
            "not_saved",
            f"{call} returned {describe_value(ending.value)} without saving the order. "
            "After the reservations, `await` the save: `save(reservations)`.",
        )
    if shop.saves[0] != expected:
        given = shop.saves[0]
        tasks = isinstance(given, list) and any(isinstance(v, asyncio.Task) for v in given)
        raise Wrong(
            "saved_tasks" if tasks else "wrong_reservations",
            f"save was given {describe_value(given)}; give it the reservations, "
            f"{expected!r}"
            + (": `[task.result() for task in tasks]`." if tasks else ", in item order."),
        )
    if len(shop.saves) > 1:
        raise Wrong(
            "saved_twice",
            f"{call} saved {len(shop.saves)} times: one order, one save, "
            "`save(reservations)` with all the reservations at once.",
        )
    if ending.value != ORDER_ID:
        raise Wrong(
            "wrong_value",
            f"{call} returned {describe_value(ending.value)}; return what save returned, "
            f"{ORDER_ID!r}.",
        )
    if shop.reserving.peak < len(ITEMS):
        raise Wrong(
            "sequential",
            f"{call} reserved the items {shop.reserving.describe(len(ITEMS))}: "
            f"{seconds(sum(RESERVE_SECONDS.values()))} where "
            f"{seconds(max(RESERVE_SECONDS.values()))} will do. Create a task per item in a "
            "TaskGroup, then read the results.",
        )
    judge_duration(
        ending.elapsed, max(RESERVE_SECONDS.values()) + SAVE_SECONDS, call, tolerance=SLACK
    )
    return ending.elapsed, shop.save_started_at - shop.started_at, shop.reserving.peak


def _holds_out_of_stock(error: BaseException | None) -> bool:
    """OutOfStock, on its own or in the ExceptionGroup a TaskGroup raises."""
    if isinstance(error, BaseExceptionGroup):
        return error.subgroup(OutOfStock) is not None
    return isinstance(error, OutOfStock)


def _order_out_of_stock(place_order: Any) -> float:
    """The lamp out of stock: the pen's reservation cancelled, OutOfStock raised, no save."""
    for _ in range(ATTEMPTS):
        shop = _Shop(out_of_stock="lamp")
        outcome, ending, call = _run_order(place_order, shop, " with the lamp out of stock")
        if not shop.finished_with_failure:
            break  # the pen's reservation had time left to be cancelled: the run says it all
    outcome.left_running = []  # the shop says which reservations were left running
    common_mistakes(outcome, call)
    if shop.saves:
        raise Wrong(
            "saved_despite_failure",
            f"{call} saved the order ({ended(ending)}), although the lamp could not be "
            "reserved. Save only when every reservation succeeded: a TaskGroup raises as "
            "soon as one fails, so the code after the block does not run.",
        )
    if ending.error is not None and not _holds_out_of_stock(ending.error):
        raise raised(ending.error, call)
    if ending.error is None:
        if returns_in_finally(place_order):
            raise return_in_finally(call, "the OutOfStock error")
        raise Wrong(
            "error_swallowed",
            f"{call} {ended(ending)} instead of letting OutOfStock reach the caller, who needs "
            "to know the order failed. Do not catch it.",
        )
    if shop.in_flight_at_end:
        raise Wrong(
            "siblings_not_cancelled",
            f"{call}: the OutOfStock reached the caller, but the pen's reservation was "
            "still going on, with nobody waiting for it, holding stock for an order that "
            "failed. Neither gather nor awaiting the tasks one by one stops the others when "
            "one fails; a TaskGroup cancels them at once, and waits for them to stop.",
        )
    if shop.finished_after_failure:
        raise Wrong(
            "siblings_not_cancelled",
            f"{call}: the OutOfStock reached the caller only after the "
            f"{' and '.join(shop.finished_after_failure)}'s reservation had been allowed to "
            "finish, holding stock for an order that had already failed. A TaskGroup "
            "cancels the other tasks as soon as one fails, and waits for them to stop.",
        )
    judge_duration(ending.elapsed, RESERVE_SECONDS["lamp"], call, tolerance=SLACK)
    return ending.elapsed


def _order_cancelled_while_saving(place_order: Any) -> float:
    """The caller gives up 0.1 s into the save: the save finishes, place_order ends cancelled."""
    shop = _Shop(cancel_while_saving=True)
    how = f", cancelled {CANCEL_INTO_SAVE:g} s into the save (its caller gave up),"
    outcome, ending, call = _run_order(place_order, shop, how)
    outcome.left_running = []  # the shop says whether the save was left running
    common_mistakes(outcome, call)
    if shop.cut_off_at_end:
        raise _save_cut_off(place_order, shop, call)
    if not ending.cancelled:
        if returns_in_finally(place_order):
            raise return_in_finally(call, "the cancellation")
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {ended(ending)} instead of ending cancelled, so the caller who gave "
            "up cannot stop it: swallowing CancelledError breaks timeouts and shutdown. "
            "Let the save finish, then `raise` the CancelledError again.",
        )
    if shop.saved_at_end:
        if shop.caller_waiting_in == "asyncio.sleep":
            raise Wrong(
                "fixed_wait",
                f"{call} slept a fixed time after the cancellation, guessing how long the "
                "save still needs: too short and it is cut off when the program ends, too "
                "long and the caller waits for nothing. Wait for the save's task itself, "
                "`await asyncio.wait([saving])`, which ends exactly when the save does.",
                suggests="asyncio.wait([saving])",
            )
        return ending.elapsed
    if _shields_a_coroutine(place_order):
        raise Wrong(
            "shielded_coroutine_not_kept",
            f"{call} ended at once, with the save still running: `asyncio.shield(save(...))` "
            "made it a task that nobody keeps or waits for, and when the program ends it "
            "is cut off. Keep the task, `saving = asyncio.create_task(save(...))`, so "
            "that you can wait for it after `await asyncio.shield(saving)` was cancelled.",
        )
    raise Wrong(
        "save_not_awaited",
        f"{call} ended at once, with the save still running and nobody waiting for it: "
        "when the program ends, it is cut off. When `await asyncio.shield(saving)` raises "
        "CancelledError, wait for the save (`await asyncio.wait([saving])`), then `raise`.",
    )


def _save_cut_off(place_order: Any, shop: _Shop, call: str) -> Wrong:
    """The caller's cancellation reached the save: say why, from what the answer did."""
    if "shield" in names_used(place_order):
        return Wrong(
            "save_cut_off",
            f"{call} cut the save off half-way: the cancellation reached it, so the "
            "`asyncio.shield` was not around the save. Shield the save's own task: "
            "`saving = asyncio.create_task(save(reservations))`, then "
            "`await asyncio.shield(saving)`.",
        )
    if shop.save_in_its_own_task:
        return Wrong(
            "save_cut_off",
            f"{call} cut the save off half-way: it ran in a task of its own, but awaiting "
            "a task passes your cancellation on to it. `await asyncio.shield(saving)` "
            "stops only your waiting when you are cancelled, not the save.",
            suggests="asyncio.shield",
        )
    return Wrong(
        "save_cut_off",
        f"{call} cut the save off half-way. Run the save as a task, "
        "`saving = asyncio.create_task(save(reservations))`, and await "
        "`asyncio.shield(saving)`: a cancellation then stops your waiting, not the save.",
        suggests="asyncio.shield",
    )


def _shields_a_coroutine(answer: Any) -> bool:
    """Whether the answer's source has ``shield(save(...))``, a task kept by nobody."""
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):  # no source to read (made by exec, say)
        return False
    return re.search(r"shield\(\s*save\(", source) is not None


ex6 = Exercise(
    title="Place an order: all or nothing, saved safely",
    answer="place_order",
    checker=check_place_order,
    hints=[
        "Reserve inside `async with asyncio.TaskGroup() as group:`, one "
        "`group.create_task(reserve(item))` per item; after the block, "
        "`[task.result() for task in tasks]`. If one fails, the group cancels the rest.",
        "Keep the save's task, `saving = asyncio.create_task(save(reservations))`, and "
        "`return await asyncio.shield(saving)`: a cancellation stops your waiting, not it.",
        "Around that await, `except asyncio.CancelledError:` wait for the save with "
        "`await asyncio.wait([saving])`, then `raise`, so the caller still sees it.",
    ],
)
