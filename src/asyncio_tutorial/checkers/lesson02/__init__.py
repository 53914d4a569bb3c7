"""Lesson 02's exercises: the event loop, its callbacks, and what blocks it.

The workbook ``exercises/02-event-loop.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson02 import ex1, ex2, ex3, ex4, ex5

and the helpers the exercises use (``legacy_lookup``, ``Database``, ``Sleep``,
``KeepRecords``) are imported from here too, so that ``legacy_lookup??`` shows how they
work.  The worked answers are in ``solutions/02-event-loop.ipynb``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
    hang,
    judge_duration,
    raised,
    seconds,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, run_function

# --- Exercise 1: lookup --------------------------------------------------------------

PRICES: dict[str, float] = {"ACME": 12.5, "INITECH": 7.25, "UMBRELLA": 31.0}
LOOKUP_SECONDS = 0.2


@dataclass
class _LookupCalls:
    """Where ``legacy_lookup`` was called from, while a checker watches it."""

    on_loop: int = 0
    elsewhere: int = 0


_lookup_calls: _LookupCalls | None = None


def legacy_lookup(symbol: str) -> float:
    """Return the price of ``symbol``, e.g. ``12.5`` for ``"ACME"``.

    A stand-in for a function from an older, synchronous library: it waits 0.2 s for
    a network reply with ``time.sleep``, blocking whichever thread calls it.
    """
    calls = _lookup_calls
    if calls is not None:
        try:
            asyncio.get_running_loop()
            calls.on_loop += 1
        except RuntimeError:
            calls.elsewhere += 1
    time.sleep(LOOKUP_SECONDS)
    return PRICES[symbol]


def check_lookup(lookup: Any) -> Result:
    """``lookup(symbol)`` gets ``legacy_lookup(symbol)`` without blocking the loop."""
    global _lookup_calls
    expect_coroutine_function(lookup)
    symbols = list(PRICES)
    call = "gather(" + ", ".join(f"lookup({s!r})" for s in symbols) + ")"
    _lookup_calls = calls = _LookupCalls()
    try:
        outcome = run_coroutine(lambda: asyncio.gather(*(lookup(symbol) for symbol in symbols)))
    finally:
        _lookup_calls = None
    error = outcome.error
    if isinstance(error, TypeError) and "await" in str(error) and calls.on_loop:
        raise Wrong(
            "awaited_plain_function",
            f"{call} raised {type(error).__name__}: {error}. `legacy_lookup` is a plain "
            "function: `await legacy_lookup(symbol)` first runs it, blocking the loop for "
            "0.2 s, then tries to await the number it returned. Hand the function to a "
            "thread instead: `await asyncio.to_thread(legacy_lookup, symbol)`.",
        )
    if calls.on_loop:
        passed_result = isinstance(error, TypeError) and "not callable" in str(error)
        detail = (
            " It looks as if you wrote `to_thread(legacy_lookup(symbol))`, which calls it "
            "right away; pass the function and its argument separately."
            if passed_result
            else ""
        )
        raise Wrong(
            "called_on_loop" if not passed_result else "called_instead_of_passing",
            f"{call}: legacy_lookup ran on the event loop's own thread, so its "
            f"time.sleep({LOOKUP_SECONDS:g}) stopped the whole loop each time.{detail} "
            "Run it in a worker thread: `await asyncio.to_thread(legacy_lookup, symbol)`.",
        )
    common_mistakes(outcome, call)
    expected = [PRICES[symbol] for symbol in symbols]
    if outcome.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {outcome.value!r}, not {expected!r}: return what "
            "legacy_lookup(symbol) returns.",
        )
    if not calls.elsewhere:
        raise Wrong(
            "did_not_call",
            f"{call} returned the right prices without calling legacy_lookup. The point "
            "is to call the blocking function without blocking the loop.",
        )
    judge_duration(outcome.elapsed, LOOKUP_SECONDS, call, sequential=LOOKUP_SECONDS * len(symbols))
    return correct(
        "three lookups took 0.2 s together, not 0.6 s: each blocking call waited in a "
        "worker thread while the event loop stayed free."
    )


ex1 = Exercise(
    title="Call a blocking function without blocking the loop",
    answer="lookup",
    checker=check_lookup,
    hints=[
        "Calling `legacy_lookup(symbol)` inside `async def` runs its `time.sleep` on the "
        "loop's thread: everything else stops for 0.2 s.",
        "`asyncio.to_thread(function, *args)` runs `function(*args)` in a worker thread "
        "and gives you something to await.",
        "`return await asyncio.to_thread(legacy_lookup, symbol)`: pass the function "
        "itself, not `legacy_lookup(symbol)`.",
    ],
)

# --- Exercise 2: countdown with callbacks ----------------------------------------------

LAUNCH = (("ready", 0.0), ("set", 0.1), ("go!", 0.3))
# A callback may run this late on a busy machine.  Never early, though: so 'go!' before
# 0.3 s can only come from a wrong delay, however generous this allowance is.
LATE_ALLOWANCE = 0.15


@dataclass
class _Heard:
    """What ``say`` was called with, when, and whether ``countdown`` had returned yet."""

    words: list[tuple[str, float, bool]] = field(default_factory=list)
    returned: bool = False
    returned_after: float = 0.0


async def _launch(countdown: Callable[..., Any], heard: _Heard) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    def say(word: str) -> None:
        heard.words.append((word, loop.time() - started, heard.returned))

    countdown(loop, say)
    heard.returned = True
    heard.returned_after = loop.time() - started
    await asyncio.sleep(0.5)


def check_countdown(countdown: Any) -> Result:
    """``countdown(loop, say)`` schedules say("ready"), say("set") at 0.1 s, say("go!") at 0.3 s."""
    expect_plain_function(countdown)
    call = "countdown(loop, say)"
    heard = _Heard()
    outcome = run_coroutine(lambda: _launch(countdown, heard))
    try:
        common_mistakes(outcome, call)
    except Wrong as problem:
        if problem.mistake != "blocking":
            raise
        # The usual advice, `await asyncio.sleep`, is no use in a plain `def`.
        held = (
            f"called time.sleep({outcome.sleeps[0]:g})"
            if outcome.sleeps
            else f"kept the loop busy for {seconds(outcome.longest_stall)}"
        )
        raise Wrong(
            "blocking",
            f"{call} {held}: countdown runs on the loop, so the loop stopped meanwhile. "
            "A plain `def` cannot `await asyncio.sleep` either: leave the waiting to the "
            "loop. `loop.call_later(0.1, say, 'set')` schedules the call and returns at once.",
            recheck=problem.result.recheck,
        ) from None
    called_at_once = [word for word, _, returned in heard.words if not returned]
    if called_at_once:
        word = called_at_once[0]
        raise Wrong(
            "called_instead_of_passing",
            f"say({word!r}) ran while {call} was still scheduling: it was called right "
            "away, and the loop was handed its result, None. Pass the function and its "
            f"argument separately: `loop.call_soon(say, {word!r})`.",
        )
    if heard.returned_after >= 0.05:
        raise Wrong(
            "waited_itself",
            f"{call} took {heard.returned_after:.2f} s to return. It should only schedule "
            "the calls and return at once; the loop does the waiting.",
        )
    words = [word for word, _, _ in heard.words]
    expected_words = [word for word, _ in LAUNCH]
    if words != expected_words:
        raise Wrong(
            "wrong_words",
            f"say was called with {words}, in that order; expected {expected_words}.",
        )
    for (word, at, _), (_, due) in zip(heard.words, LAUNCH, strict=True):
        if due - EARLY_ALLOWANCE <= at < due + LATE_ALLOWANCE:
            continue
        if word == "go!" and 0.2 - EARLY_ALLOWANCE <= at < 0.3 - EARLY_ALLOWANCE:
            raise Wrong(
                "delays_added_up",
                "say('go!') came at 0.2 s, not 0.3 s. A call_later delay counts from when "
                "you call call_later, not from the previous callback: "
                "`loop.call_later(0.3, say, 'go!')`.",
            )
        raise Wrong(
            "wrong_time",
            f"say({word!r}) came at {at:.2f} s; it should come at {seconds(due)}.",
        )
    return correct(
        "the loop said 'ready' as soon as it got control, 'set' at 0.1 s and 'go!' at "
        "0.3 s, and countdown itself returned at once."
    )


ex2 = Exercise(
    title="Schedule callbacks on the loop",
    answer="countdown",
    checker=check_countdown,
    hints=[
        "`loop.call_soon(f, arg)` runs `f(arg)` on the loop's next turn; "
        "`loop.call_later(delay, f, arg)` runs it `delay` seconds from now.",
        "Pass the function and its argument separately: `loop.call_soon(say, 'ready')`, "
        "not `loop.call_soon(say('ready'))`.",
        "Each delay counts from now, when countdown runs: 0.1 for 'set', 0.3 for 'go!'.",
    ],
)

# --- Exercise 3: a synchronous face for an async client ------------------------------

ROWS: dict[str, str] = {"ada": "Ada Lovelace", "grace": "Grace Hopper", "alan": "Alan Turing"}


class Database:
    """A pretend async database client; a connection belongs to the loop it was opened on.

    ``db = await Database.connect()`` opens a connection (0.1 s),
    ``await db.fetch(key)`` reads a row (0.1 s), ``await db.close()`` closes it.
    Like real clients (``asyncpg``, ``aiohttp``), it refuses to be used from an event
    loop other than the one it was opened on.
    """

    opened: list[Database] = []  # every connection made, for the checker

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.closed = False
        self.fetched: list[str] = []

    @classmethod
    async def connect(cls) -> Database:
        await asyncio.sleep(0.1)
        database = cls(asyncio.get_running_loop())
        cls.opened.append(database)
        return database

    async def fetch(self, key: str) -> str:
        self._check("fetch")
        await asyncio.sleep(0.1)
        self.fetched.append(key)
        return ROWS[key]

    async def close(self) -> None:
        self._check("close")
        await asyncio.sleep(0)
        self.closed = True

    def _check(self, what: str) -> None:
        if self.closed:
            raise RuntimeError(f"cannot {what}: the connection is closed")
        if asyncio.get_running_loop() is not self.loop:
            raise RuntimeError(
                f"cannot {what}: this connection is attached to a different event loop"
            )

    def __repr__(self) -> str:
        return f"<Database {'closed' if self.closed else 'open'}>"


def _use_sync_database(sync_database: type) -> list[Any]:
    database = sync_database()
    values = [database.fetch(key) for key in ROWS]
    database.close()
    return values


def check_sync_database(sync_database: Any) -> Result:
    """``SyncDatabase()`` connects; ``.fetch(key)`` and ``.close()`` run on one loop."""
    if not isinstance(sync_database, type):
        raise Wrong(
            "not_callable",
            "check needs the class SyncDatabase itself: check(SyncDatabase).",
        )
    call = "using SyncDatabase (create it, fetch three keys, close it)"
    Database.opened.clear()
    outcome = run_function(partial(_use_sync_database, sync_database))
    error = outcome.error
    if outcome.timed_out:
        raise hang(outcome, call)
    if isinstance(error, RuntimeError) and "different event loop" in str(error):
        raise Wrong(
            "loop_per_call",
            f"{call} raised RuntimeError: {error}. Each asyncio.run() (or each new Runner) "
            "makes a fresh loop, and the connection belongs to the one it was opened on. "
            "Create one `asyncio.Runner()` in __init__ and use it for every call.",
        )
    if isinstance(error, RuntimeError) and "no current event loop" in str(error):
        raise Wrong(
            "get_event_loop",
            f"{call} raised RuntimeError: {str(error).rstrip('.')}. get_event_loop() has no "
            "loop to give outside the main thread (nor, from Python 3.14, inside it). "
            "Make the loop yourself: `asyncio.Runner()`.",
        )
    if isinstance(error, RuntimeError) and "connection is closed" in str(error):
        raise Wrong(
            "closed_too_early",
            f"{call} raised RuntimeError: {error}. Keep the connection open until close().",
        )
    if error is not None:
        raise raised(error, call)
    if outcome.returned_coroutines:
        raise Wrong(
            "forgot_await",
            f"{call} gave back a coroutine object ({outcome.returned_coroutines[0]}) "
            "instead of a row: hand the coroutine to `runner.run(...)` to run it.",
        )
    if len(Database.opened) != 1:
        raise Wrong(
            "many_connections",
            f"{call} opened {len(Database.opened)} connections; open one, in __init__, "
            "and use it for every fetch.",
        )
    database = Database.opened[0]
    expected = list(ROWS.values())
    if outcome.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {outcome.value!r} from fetch, not {expected!r}.",
        )
    if not database.closed:
        raise Wrong(
            "connection_left_open",
            f"after {call}, the connection is still open: close() should "
            "`runner.run(self.db.close())` before closing the runner.",
        )
    if not database.loop.is_closed():
        raise Wrong(
            "loop_left_open",
            f"after {call}, the event loop is still open: close() should also close the "
            "runner (`self.runner.close()`), which closes its loop.",
        )
    return correct(
        "one connection, opened, used for three fetches and closed, all on the same "
        "event loop, and the loop closed at the end."
    )


ex3 = Exercise(
    title="A synchronous face for an async client",
    answer="SyncDatabase",
    checker=check_sync_database,
    hints=[
        "Every call must run on the same loop, so `asyncio.run` (a new loop each time) "
        "will not do. `asyncio.Runner()` keeps one loop until you close it.",
        "In __init__: `self.runner = asyncio.Runner()` and "
        "`self.db = self.runner.run(Database.connect())`.",
        "fetch: `return self.runner.run(self.db.fetch(key))`. close: run "
        "`self.db.close()`, then `self.runner.close()`.",
    ],
)

# --- Exercise 4: a toy event loop --------------------------------------------------------


class Sleep:
    """Awaitable on a toy loop: ``await Sleep(0.2)`` pauses for 0.2 s.

    Its ``__await__`` is a generator that yields the number of seconds once: that
    number travels up through every ``await`` to whoever called ``send`` on the
    outermost coroutine, which is your ``run`` in exercise 4.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __await__(self) -> Generator[float, None, None]:
        yield self.seconds


@dataclass
class _Journal:
    """When each of the checker's coroutines was resumed, and how its sleeps went."""

    started: float = field(default_factory=time.perf_counter)
    early: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    under_asyncio: bool = False
    cpu: float = 0.0
    """Processor time the answer's thread used while running the coroutines."""

    def now(self) -> float:
        return time.perf_counter() - self.started


async def _sleeper(journal: _Journal, name: str, pauses: list[float]) -> str:
    for pause in pauses:
        asked_at = journal.now()
        await Sleep(pause)
        woke = journal.now() - asked_at
        if woke < pause - EARLY_ALLOWANCE:
            journal.early.append(f"{name} asked for {seconds(pause)} and woke after {woke:.2f} s")
        try:
            asyncio.get_running_loop()
            journal.under_asyncio = True
        except RuntimeError:
            pass
    journal.finished.append(name)
    return name


TOY_PROGRAM = {"slow": [0.3], "fast": [0.1, 0.1], "twin": [0.1, 0.1], "instant": []}
TOY_CONCURRENT = 0.3  # the longest of them
TOY_SEQUENTIAL = 0.7  # all of them one after another
# Processor time that means the loop spun instead of sleeping.  A right answer uses a
# millisecond or two.  A spinning one uses most of the 0.3 s on a quiet machine, but on
# a crowded one it may get only a few percent of a core: so an answer that never called
# time.sleep is judged by a lower figure than one that did.
BUSY_CPU = 0.05
BUSY_CPU_WITHOUT_SLEEPING = 0.01


def _run_toy(run: Callable[..., Any], journal: _Journal, coroutines: list[Any]) -> Any:
    cpu = time.thread_time()
    value = run(*coroutines)
    journal.cpu = time.thread_time() - cpu
    return value


def check_run(run: Any) -> Result:
    """``run(*coros)`` drives them all with a ready queue and timers; returns their results."""
    expect_plain_function(run)
    call = "run(slow, fast, twin, instant)"
    journal = _Journal()
    coroutines = [_sleeper(journal, name, pauses) for name, pauses in TOY_PROGRAM.items()]
    try:
        outcome = run_function(partial(_run_toy, run, journal, coroutines))
    finally:
        for coroutine in coroutines:
            try:
                coroutine.close()
            except (RuntimeError, ValueError):  # still running in a thread that could not stop
                pass
    error = outcome.error
    if outcome.timed_out:
        raise hang(outcome, call)
    if isinstance(error, TypeError) and "'<' not supported" in str(error):
        raise Wrong(
            "no_tie_breaker",
            f"{call} raised TypeError: {error}. Two timers had the same deadline, so heapq "
            "went on to compare the coroutines themselves. Put a counter between the time "
            "and the coroutine: `(when, number, coro)`.",
        )
    if isinstance(error, StopIteration):
        raise Wrong(
            "stop_iteration_escaped",
            f"{call} let StopIteration escape: it is how a coroutine says it has finished. "
            "Catch it around `coro.send(None)`, keep `stop.value`, and move on.",
        )
    if isinstance(error, RuntimeError) and "cannot reuse" in str(error):
        raise Wrong(
            "resumed_finished",
            f"{call} resumed a coroutine after it had finished. Once send() raises "
            "StopIteration, do not put that coroutine back in the queue or the heap.",
        )
    if journal.under_asyncio or (isinstance(error, RuntimeError) and "bad yield" in str(error)):
        raise Wrong(
            "used_asyncio",
            f"{call} handed the coroutines to asyncio, which does not understand `Sleep`'s "
            "bare number. Be the loop yourself: a deque, a heap, `coro.send(None)`.",
        )
    if error is not None:
        raise raised(error, call)
    if journal.early:
        raise Wrong(
            "woke_early",
            f"{call} resumed a coroutine before its time: {journal.early[0]}. "
            "`coro.send(None)` returns the seconds it asked for: push "
            "`(time.monotonic() + seconds, ...)` onto the heap and resume it only then.",
        )
    expected = list(TOY_PROGRAM)
    if outcome.value != expected:
        in_finish_order = outcome.value == journal.finished
        raise Wrong(
            "results_in_finish_order" if in_finish_order else "wrong_value",
            f"{call} returned {outcome.value!r}; it should return each coroutine's result "
            f"in the order they were given, {expected!r}."
            + (" Yours are in the order they finished." if in_finish_order else ""),
        )
    try:
        judge_duration(outcome.elapsed, TOY_CONCURRENT, call, sequential=TOY_SEQUENTIAL)
    except Wrong as problem:
        if problem.mistake != "sequential":
            raise
        # The usual advice, to start them all before awaiting any, is for tasks.
        raise Wrong(
            "sequential",
            f"{call} took {seconds(outcome.elapsed)}, about the sum of all the sleeps "
            f"({seconds(TOY_SEQUENTIAL)}): each coroutine ran to its end before the next "
            "began. Put them all in the ready queue, and while one sleeps, run the others.",
        ) from None
    spun = journal.cpu >= (BUSY_CPU if outcome.sleeps else BUSY_CPU_WITHOUT_SLEEPING)
    if spun:
        raise Wrong(
            "busy_wait",
            f"{call} kept the processor busy for {journal.cpu:.2f} of its "
            f"{outcome.elapsed:.2f} s, "
            "checking the clock over and over. When nothing is ready, `time.sleep` until "
            "the earliest timer is due.",
        )
    return correct(
        "four coroutines ran interleaved in 0.3 s (the longest sleep, not the 0.7 s sum), "
        "none woke early, and their results came back in order."
    )


ex4 = Exercise(
    title="A toy event loop with timers",
    answer="run",
    checker=check_run,
    hints=[
        "Keep `ready = deque(coros)` and `timers = []` (a heap). Loop while either has "
        "something in it.",
        "Resume with `seconds = coro.send(None)` inside `try:`; on StopIteration store "
        "`stop.value` in that coroutine's place in the results. Otherwise "
        "`heapq.heappush(timers, (time.monotonic() + seconds, number, coro))`.",
        "When nothing is ready, `time.sleep` until the first timer is due, then move "
        "every due timer to `ready`. A counter `number` keeps equal deadlines apart; "
        "a dict from coroutine to index places each result.",
    ],
)

# --- Exercise 5: find the tasks that block the loop, with debug mode -------------------


class KeepRecords(logging.Handler):
    """A logging handler that keeps every record it is given in ``self.records``."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _reported_names(records: list[logging.LogRecord]) -> set[str]:
    """The tasks named in debug mode's "Executing <Task ... name='parse' ...> took" reports."""
    names = set()
    for record in records:
        message = record.getMessage()
        found = re.search(r"name='([^']*)'", message)
        if message.startswith("Executing") and found:
            names.add(found.group(1))
    return names


class _Program:
    """A program for ``slow_tasks``: named tasks whose steps hold the loop this long."""

    def __init__(self, holds: dict[str, list[float]]) -> None:
        self.holds = holds
        self.finished: list[str] = []

    async def work(self, name: str, holds: list[float]) -> None:
        for hold in holds:
            await asyncio.sleep(0.05)
            if hold:
                time.sleep(hold)  # holds the loop, as a blocking call would
        self.finished.append(name)

    async def main(self) -> None:
        async with asyncio.TaskGroup() as group:
            for name, holds in self.holds.items():
                group.create_task(self.work(name, holds), name=name)


SLOW_PROGRAM = {"fetch": [0, 0], "parse": [0.2, 0.15], "resize": [0.07]}
QUIET_PROGRAM = {"fetch": [0, 0], "upload": [0]}
THRESHOLD = 0.05  # 'resize' holds the loop longer than this, not the default 0.1 s


def _run_program(slow_tasks: Callable[..., Any], program: _Program) -> tuple[Any, set[str], int]:
    """Run the answer on ``program``; what it did, what debug mode reported, handlers left."""
    logger = logging.getLogger("asyncio")
    before = list(logger.handlers)
    truth = KeepRecords()  # also keeps the reports off stderr when the answer has no handler
    logger.addHandler(truth)
    try:
        outcome = run_function(partial(slow_tasks, program.main, THRESHOLD))
    finally:
        logger.removeHandler(truth)
        left = [handler for handler in logger.handlers if handler not in before]
        for handler in left:  # tidy up after the answer, so the notebook logs as before
            logger.removeHandler(handler)
    return outcome, _reported_names(truth.records), len(left)


def check_slow_tasks(slow_tasks: Any) -> Result:
    """``slow_tasks(main, threshold)``: debug mode's slow-step reports, as sorted task names."""
    expect_plain_function(slow_tasks)
    call = f"slow_tasks(main, {THRESHOLD})"
    program = _Program(SLOW_PROGRAM)
    outcome, reported, handlers_left = _run_program(slow_tasks, program)
    _judge_slow_run(outcome, call, program, reported, handlers_left)
    quiet = _Program(QUIET_PROGRAM)
    outcome, _, handlers_left = _run_program(slow_tasks, quiet)
    call = f"{call} on a second program, where no task holds the loop"
    try:
        _judge_slow_run(outcome, call, quiet, set(), handlers_left)
    except Wrong:
        if outcome.value and set(outcome.value) <= set(SLOW_PROGRAM):
            raise Wrong(
                "stale_reports",
                f"{call} returned {outcome.value!r}: reports kept from the first program. "
                "Make a new handler (and a new set of names) on every call.",
            ) from None
        raise
    return correct(
        "debug mode reported 'parse' (two steps of 0.2 s and 0.15 s) and 'resize' (0.07 s, "
        f"over the {THRESHOLD} s threshold), not the quick 'fetch'; nothing for a program "
        "that never held the loop; and the asyncio logger was left as it was."
    )


def _judge_slow_run(
    outcome: Outcome, call: str, program: _Program, reported: set[str], handlers_left: int
) -> None:
    error = outcome.error
    if outcome.timed_out:
        raise hang(outcome, call)
    if isinstance(error, (TypeError, ValueError)) and re.search(
        "coroutine was expected|awaitable is required", str(error)
    ):
        raise Wrong(
            "main_not_called",
            f"{call} raised {type(error).__name__}: it handed over the function main "
            "where a coroutine was expected. Call it: `runner.run(main())`.",
        )
    if error is not None:
        raise raised(error, call)
    if sorted(program.finished) != sorted(program.holds):
        raise Wrong(
            "main_not_run",
            f"{call} returned before the program had run: `runner.run(main())` (or "
            "`asyncio.run(main(), debug=True)`) runs it to its end.",
        )
    if handlers_left:
        raise Wrong(
            "handler_left_attached",
            f"{call} left its handler on the asyncio logger, so it keeps collecting, and "
            "every call adds one more. Remove it in a `finally:` block: "
            '`logging.getLogger("asyncio").removeHandler(keep)`.',
        )
    expected = sorted(reported)
    if program.holds is SLOW_PROGRAM and not reported:
        raise Wrong(
            "debug_mode_off",
            f"{call}: the loop reported nothing, although 'parse' held it for 0.2 s: debug "
            "mode was off. Turn it on for the loop that runs main: "
            "`asyncio.Runner(debug=True)` or `asyncio.run(..., debug=True)`.",
        )
    if program.holds is SLOW_PROGRAM and "resize" not in reported:
        raise Wrong(
            "threshold_not_set",
            f"{call}: debug mode reported {expected}, but not 'resize', which held the loop "
            f"for 0.07 s: over the {THRESHOLD} s asked for, under the default 0.1 s. Set "
            "`loop.slow_callback_duration = threshold` before running main.",
        )
    _judge_names(outcome.value, call, expected)


def _judge_names(value: Any, call: str, expected: list[str]) -> None:
    if value == expected:
        return
    if not isinstance(value, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {value!r}; return a list of task names, {expected!r}.",
        )
    if any(not isinstance(item, str) or "Executing" in item for item in value):
        raise Wrong(
            "whole_reports",
            f"{call} returned the reports themselves; return just the tasks' names, "
            f"{expected!r}. Each report says `name='parse'`: "
            "`re.search(r\"name='([^']*)'\", message).group(1)`.",
        )
    if not value and expected:
        raise Wrong(
            "reports_not_collected",
            f"{call} returned [], but debug mode reported {expected}. Its reports are log "
            "records of the asyncio logger: add a `KeepRecords()` handler to "
            '`logging.getLogger("asyncio")` before running main, and read them afterwards.',
        )
    if len(set(value)) < len(value) and sorted(set(value)) == expected:
        raise Wrong(
            "repeated_names",
            f"{call} returned {value!r}: a task with two slow steps is reported twice. "
            "Return each name once: collect them in a set, then `sorted(...)`.",
        )
    if sorted(value) == expected:
        raise Wrong("not_sorted", f"{call} returned {value!r}; sort them: {expected!r}.")
    raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")


ex5 = Exercise(
    title="Find what blocks the loop, with debug mode",
    answer="slow_tasks",
    checker=check_slow_tasks,
    hints=[
        "`with asyncio.Runner(debug=True) as runner:` gives you the loop before anything "
        "runs: set `runner.get_loop().slow_callback_duration = threshold`, then "
        "`runner.run(main())`.",
        'Add `keep = KeepRecords()` to `logging.getLogger("asyncio")` before running, and '
        "remove it in a `finally:` block.",
        "For each record in `keep.records`, a message that starts with 'Executing' names "
        "the task: `re.search(r\"name='([^']*)'\", message)`. Collect the names in a set "
        "and return `sorted(names)`.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5])

__all__ = [
    "EXERCISES",
    "Database",
    "KeepRecords",
    "Sleep",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "legacy_lookup",
]
