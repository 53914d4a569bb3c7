"""Lesson 10's exercises: find where tasks are stuck, and write tests that catch bugs.

The workbook ``exercises/10-debugging-and-testing.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson10 import ex1, ex2, ex3

The worked answers are in ``solutions/10-debugging-and-testing.ipynb``.

Exercises 2 and 3 are graded the way a test is judged in real life: it must pass
against a correct implementation and fail against a broken one.  The checker runs the
learner's test function several times, each time handed a different implementation
(``Booking`` for exercise 2, ``retry`` for exercise 3), and looks at what happened.
"""

from __future__ import annotations

import asyncio
import dis
import inspect
import traceback
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import looptime

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, run_function

SLOW_TEST = 0.8  # a test of these components that takes longer waits for nothing


def _failing_line(error: BaseException) -> str:
    """``assert x == 1``: the line of the learner's code that raised, for a message."""
    frames = traceback.extract_tb(error.__traceback__)
    line = frames[-1].line if frames else ""
    return f" at `{line}`" if line else ""


# --- Exercise 1: where_waiting --------------------------------------------------------


async def _fetch(queue: asyncio.Queue[str]) -> str:
    return await queue.get()


async def _worker(queue: asyncio.Queue[str]) -> None:
    await _fetch(queue)


async def _heartbeat() -> None:
    while True:
        await asyncio.sleep(10)


async def _supervise(task: asyncio.Task[None]) -> None:
    await task  # a task, not a coroutine: the chain of coroutines ends here


WAITING = {
    "worker-1": "Queue.get",
    "worker-2": "Queue.get",
    "heartbeat": "sleep",
    "notifier": "Event.wait",
    "supervisor": "_supervise",
}
"""What a right ``where_waiting()`` returns in the checker's stuck program."""
OUTERMOST = {"worker-1": "_worker", "worker-2": "_worker", "heartbeat": "_heartbeat"}


async def _stuck_program(where_waiting: Callable[[], Any], found: dict[str, Any]) -> None:
    """Start tasks that get stuck, call ``where_waiting()`` among them, stop them."""
    asyncio.current_task().set_name("checker")  # type: ignore[union-attr]
    queue: asyncio.Queue[str] = asyncio.Queue()
    tasks = [
        asyncio.create_task(_worker(queue), name="worker-1"),
        asyncio.create_task(_worker(queue), name="worker-2"),
        asyncio.create_task(_heartbeat(), name="heartbeat"),
        asyncio.create_task(asyncio.Event().wait(), name="notifier"),
    ]
    tasks.append(asyncio.create_task(_supervise(tasks[0]), name="supervisor"))
    await asyncio.sleep(0.05)
    try:
        found["value"] = where_waiting()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


def check_where_waiting(where_waiting: Any) -> Result:
    """``where_waiting()``: every other task's name -> the innermost coroutine it waits in."""
    expect_plain_function(where_waiting)
    found: dict[str, Any] = {}
    outcome = run_coroutine(partial(_stuck_program, where_waiting, found))
    call = "where_waiting()"
    error = outcome.error
    if isinstance(error, AttributeError) and "cr_await" in str(error):
        raise Wrong(
            "followed_past_the_coroutines",
            f"{call} raised {type(error).__name__}: {error}. At the end of the chain a "
            "coroutine waits for a future or a task, which has no cr_await: stop when "
            "`inspect.iscoroutine(coro.cr_await)` is false.",
        )
    common_mistakes(outcome, call)
    _judge_where_waiting(found.get("value"), call)
    return correct(
        "where_waiting() found all five stuck tasks and the innermost coroutine each one "
        "waits in: the workers in Queue.get, the heartbeat in sleep, the notifier in "
        "Event.wait, and the supervisor in its own coroutine, awaiting another task."
    )


def _judge_where_waiting(value: Any, call: str) -> None:
    """What ``where_waiting()`` returned: a dict of task names, each innermost coroutine."""
    if not isinstance(value, dict):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a dict: task name -> coroutine name.",
        )
    if any(isinstance(key, asyncio.Task) for key in value):
        raise Wrong(
            "keys_not_names",
            f"{call} used Task objects as keys. Use each task's name: `task.get_name()`.",
        )
    if "checker" in value:
        raise Wrong(
            "included_current_task",
            f"{call} listed the task that called it ('checker'), which is running, not "
            "waiting. Leave out `asyncio.current_task()`.",
        )
    mine = {name: value.get(name) for name in WAITING}
    if all(mine[name] == outer for name, outer in OUTERMOST.items()):
        raise Wrong(
            "outermost_only",
            f"{call} gave each task's own coroutine ({mine['worker-1']!r} for worker-1), "
            "which is all that get_stack() and print_stack() show. Follow `cr_await` "
            "inward: worker-1 waits in fetch, and fetch waits in Queue.get.",
        )
    if mine["worker-1"] == "_fetch":
        raise Wrong(
            "stopped_one_level_in",
            f"{call} said worker-1 waits in '_fetch', one level in. Keep following "
            "`cr_await` while it is a coroutine: the innermost one is Queue.get.",
        )
    if mine["worker-1"] == "get" or mine["notifier"] == "wait":
        raise Wrong(
            "names_not_qualified",
            f"{call} gave {mine['worker-1']!r} for worker-1: that is `__name__`. Use "
            "`__qualname__`, which says whose method it is: 'Queue.get'.",
        )
    if mine != WAITING:
        raise Wrong(
            "wrong_value", f"{call} returned {mine!r} for the stuck tasks, not {WAITING!r}."
        )


ex1 = Exercise(
    title="Where is everyone waiting?",
    answer="where_waiting",
    checker=check_where_waiting,
    hints=[
        "`asyncio.all_tasks()` gives every unfinished task; skip `asyncio.current_task()`.",
        "Start from `task.get_coro()` and follow `coro.cr_await` while "
        "`inspect.iscoroutine(coro.cr_await)`: the last coroutine is where the task waits.",
        "The value is `coro.__qualname__` ('Queue.get'), the key `task.get_name()`.",
    ],
)

# --- Exercise 2: a test that catches the double booking -------------------------------

PAYMENT_SECONDS = 0.05
"""How long ``book`` waits for the payment service, in the checker's Booking."""


class Booking:
    """Seats on a flight.  ``await book(seat, person)`` is True if ``person`` got it.

    Booking takes a payment round trip, an ``await``; a lock makes sure that a seat is
    checked, paid for and given in one piece, so no seat is ever sold twice.
    """

    payment_seconds = PAYMENT_SECONDS

    def __init__(self, seats: list[str]) -> None:
        self.owners: dict[str, str | None] = dict.fromkeys(seats)
        self.lock = asyncio.Lock()

    async def book(self, seat: str, person: str) -> bool:
        async with self.lock:
            return await self._book(seat, person)

    async def _book(self, seat: str, person: str) -> bool:
        if self.owners[seat] is not None:
            return False
        await asyncio.sleep(self.payment_seconds)  # the payment service
        self.owners[seat] = person
        return True

    def owner(self, seat: str) -> str | None:
        """Who has ``seat`` (None while it is free)."""
        return self.owners[seat]


class RacyBooking(Booking):
    """The bug: no lock, so two bookings can both see a seat free across the payment."""

    async def book(self, seat: str, person: str) -> bool:
        return await self._book(seat, person)


class RacyQuickBooking(RacyBooking):
    """The same bug with a payment that answers at once (it still pauses once)."""

    payment_seconds = 0


def _judge_test_run(outcome: Outcome, call: str, *, expect_failure: bool) -> None:
    """The mistakes any test can make while it runs, then: did it fail on good code?

    A test that failed (raised an ``Exception``, an ``AssertionError`` say) is left for
    the caller to judge when ``expect_failure``: it was run on buggy code.
    """
    error = outcome.error
    text = str(error)
    if isinstance(error, (TypeError, RuntimeError)) and (
        "Future" in text or "coroutine" in text or "await wasn't used" in text
    ):
        raise Wrong(
            "forgot_await",
            f"{call} raised {type(error).__name__}: {error}. Something was used without "
            "`await`: `await asyncio.gather(...)` gives the list of results.",
        )
    try:
        # A test that failed raised an Exception: whether it should have is judged below.
        common_mistakes(outcome, call, expected_error=Exception)
    except Wrong as problem:
        if problem.mistake != "forgot_await":
            raise
        raise Wrong(
            "forgot_await",
            problem.message + " An unawaited call runs nothing, and `assert` on a coroutine "
            "object is always true: such a test passes whatever the code does.",
        ) from None
    if outcome.elapsed > SLOW_TEST:
        raise Wrong(
            "slow_test",
            f"{call} took {outcome.elapsed:.2f} s. The bookings take {PAYMENT_SECONDS} s; "
            "a test that sleeps to 'let things happen' is slow and proves nothing. Await "
            "the operations themselves instead.",
        )
    if isinstance(error, Exception) and not expect_failure:
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise Wrong(
            "fails_against_correct",
            f"{call} failed against a correct implementation ({detail}"
            f"{_failing_line(error)}), so it would fail on good code too.",
        )


def check_booking_test(test: Any) -> Result:
    """The learner's test passes against ``Booking`` and fails against the racy ones."""
    expect_coroutine_function(test)
    name = "test_seat_is_booked_once"
    runs = [
        (Booking, "with a correct Booking", False),
        (RacyBooking, "with the racy Booking", True),
        (RacyQuickBooking, "with the racy Booking whose payment answers at once", True),
    ]
    for implementation, label, buggy in runs:
        call = f"{name}(Booking) {label}"
        outcome = run_coroutine(partial(test, implementation))
        _judge_test_run(outcome, call, expect_failure=buggy)
        if buggy and outcome.error is None:
            raise _missed_the_race(implementation, call)
    return correct(
        "your test passed against the correct Booking and failed against the racy one, "
        "both when the payment took 0.05 s and when it answered at once: it starts the two "
        "bookings together, so it catches the double booking every time, not by luck."
    )


def _missed_the_race(implementation: Any, call: str) -> Wrong:
    """The test passed against a racy ``implementation``: why it missed the race."""
    if implementation is RacyQuickBooking:
        return Wrong(
            "timing_dependent",
            f"{call} passed. It caught the race only while the payment was slow: your "
            "test relies on timing (a sleep between the two bookings?). Start both at "
            "the same moment with `asyncio.gather(...)`, so the overlap does not depend "
            "on how long anything takes.",
        )
    return Wrong(
        "passes_against_buggy",
        f"{call} passed, so it does not catch the bug: two bookings of the same seat "
        "never overlapped. Start them together (`await asyncio.gather(book(...), "
        "book(...))`) and assert that exactly one of them got the seat.",
    )


ex2 = Exercise(
    title="A test that catches the double booking",
    answer="test_seat_is_booked_once",
    checker=check_booking_test,
    hints=[
        "A race needs two bookings in progress at once: awaiting one after the other "
        "never overlaps them.",
        "`results = await asyncio.gather(booking.book('12A', 'Ada'), "
        "booking.book('12A', 'Bob'))` starts both before either finishes.",
        "Then `assert sorted(results) == [False, True]`: exactly one got the seat.",
    ],
)

# --- Exercise 3: exact backoff on a fake clock ----------------------------------------


async def retry(operation: Callable[[], Awaitable[Any]], attempts: int = 4) -> Any:
    """Return ``await operation()``; after a ConnectionError wait 1 s, 2 s, 4 s and retry."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            await asyncio.sleep(delay)
            delay *= 2


async def _retry_without_backoff(operation: Callable[[], Awaitable[Any]]) -> Any:
    """The bug: always waits 1 s."""
    for attempt in range(1, 5):
        try:
            return await operation()
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(1.0)


async def _retry_without_waiting(operation: Callable[[], Awaitable[Any]]) -> Any:
    """The bug: tries again at once."""
    for attempt in range(1, 5):
        try:
            return await operation()
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(0)


FAKE_TIME_LIMIT = 60.0  # seconds of the fake clock: instant, in real time


def _on_a_fake_clock(test: Any, implementation: Any) -> Any:
    """Run ``await test(implementation)`` on an event loop with looptime's fake clock."""
    with asyncio.Runner(loop_factory=looptime.new_event_loop) as runner:
        return runner.run(asyncio.wait_for(test(implementation), FAKE_TIME_LIMIT))


WALL_CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns"}


def _reads_the_wall_clock(function: Any) -> bool:
    """Whether ``function`` (or one defined inside it) calls ``time.monotonic()`` and the like."""
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if inspect.iscode(c))
        previous = None
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname == "LOAD_GLOBAL" and name in WALL_CLOCKS - {"time"}:
                return True  # from time import monotonic
            if (
                previous == "time"
                and instruction.opname.startswith("LOAD_")
                and name in WALL_CLOCKS
            ):
                return True  # time.monotonic
            previous = name if instruction.opname == "LOAD_GLOBAL" else None
    return False


def check_backoff_test(test: Any) -> Result:
    """The learner's test pins retry's waits on a fake clock, and catches wrong waits."""
    expect_coroutine_function(test)
    name = "test_backoff"
    runs = [
        (retry, "with the correct retry (1 s, 2 s, 4 s)", False),
        (_retry_without_backoff, "with a retry that always waits 1 s", True),
        (_retry_without_waiting, "with a retry that never waits", True),
    ]
    for implementation, label, buggy in runs:
        call = f"{name}(retry) {label}"
        outcome = run_function(partial(_on_a_fake_clock, test, implementation), on_loop=True)
        if isinstance(outcome.error, TimeoutError):
            raise Wrong(
                "hang",
                f"{call} was still waiting after {FAKE_TIME_LIMIT:.0f} s on the fake clock. "
                "Does it await something that never happens?",
            )
        if not buggy and outcome.error is not None and _reads_the_wall_clock(test):
            raise Wrong(
                "wall_clock",
                f"{call} failed on the fake clock. Your test reads the wall clock "
                "(time.monotonic, time.time or perf_counter), which a fake clock does not "
                "move: measure with the event loop's clock, "
                "`asyncio.get_running_loop().time()`.",
            )
        _judge_test_run(outcome, call, expect_failure=buggy)
        if buggy and outcome.error is None:
            raise Wrong(
                "passes_against_buggy",
                f"{call} passed, so it does not check the waits. Record the loop's time "
                "at each call and assert the gaps: `[1.0, 2.0, 4.0]`.",
            )
    return correct(
        "your test pinned retry's waits to exactly 1, 2 and 4 s on the loop's clock, and "
        "caught a retry without backoff and one that never waits. On the fake clock its "
        "7 s of waiting took no real time."
    )


ex3 = Exercise(
    title="Exact backoff on a fake clock",
    answer="test_backoff",
    checker=check_backoff_test,
    hints=[
        "Inside the test, `loop = asyncio.get_running_loop()`; `loop.time()` is the clock "
        "that `asyncio.sleep` uses, and the one a fake clock moves.",
        "Let the operation record `loop.time()` each time it is called, fail three times "
        "with ConnectionError, then return.",
        "Assert the gaps between calls exactly: `[b - a for a, b in zip(times, "
        "times[1:])] == [1.0, 2.0, 4.0]`. No rounding, no tolerance.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = [
    "EXERCISES",
    "Booking",
    "ex1",
    "ex2",
    "ex3",
    "retry",
]
