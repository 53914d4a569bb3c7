"""Exercise 4: ``run(*coros)``, a toy event loop with a ready queue and timers.

The check's own coroutines keep a journal: when each was first resumed, when it asked
to sleep and until when, when it woke, when it finished.  And the ``time.sleep`` calls
``run`` makes are noted with the timers pending at that moment.  So the verdicts rest on
exact evidence rather than on the total time: a coroutine first resumed only after
another had run to its end (one after another), a ``time.sleep`` that goes past the
earliest timer (overslept) or many short ones (polling), a coroutine resumed before its
time.  A second program checks that a coroutine's own error comes out of ``run``.
"""

from __future__ import annotations

import asyncio
import heapq
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    expect_plain_function,
    hang,
    raised,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_function


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
    """What the checker's coroutines went through, and how ``run`` slept meanwhile."""

    started: float = field(default_factory=time.perf_counter)
    events: list[tuple[str, str]] = field(default_factory=list)
    """``("start", "fast")``, ``("finish", "fast")``, in the order they happened."""
    pending: dict[str, float] = field(default_factory=dict)
    """The coroutines asleep now, and when each is due (on ``time.perf_counter``)."""
    early: list[str] = field(default_factory=list)
    overslept: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    """The ``time.sleep`` calls run made, in order."""
    pushed: list[tuple[Any, ...]] = field(default_factory=list)
    """What run pushed onto its heap of timers (``heapq.heappush``), but the coroutine:
    ``(when, number)``."""
    coroutines: dict[int, str] = field(default_factory=dict)
    """The checker's coroutines, by id, to find them in what run pushed."""
    under_asyncio: bool = False
    cpu: float = 0.0
    """Processor time the answer's thread used while running the coroutines."""

    def now(self) -> float:
        return time.perf_counter() - self.started

    def note_sleep(self, pause: float) -> None:
        """``run`` calls ``time.sleep(pause)``: does it sleep past a timer that is due?"""
        self.sleeps.append(pause)
        if not self.pending:
            return
        name, due = min(self.pending.items(), key=lambda item: item[1])
        past = time.perf_counter() + pause - due
        if past > OVERSLEEP:
            self.overslept.append(
                f"it slept {pause:.2f} s while {name}'s timer was due in "
                f"{max(0.0, pause - past):.2f} s"
            )

    def note_push(self, item: Any) -> None:
        """``run`` pushes ``item`` onto a heap: keep a timer's entry, but its coroutine."""
        if isinstance(item, tuple) and item and id(item[-1]) in self.coroutines:
            self.pushed.append((self.coroutines[id(item[-1])], *item[:-1]))

    def tie_breaker_missing(self) -> str | None:
        """How two timers of different coroutines, due at the same moment, would be
        compared down to their coroutines (which cannot be compared), if they can."""
        keys: dict[tuple[Any, ...], str] = {}
        for name, *entry in self.pushed:
            if len(entry) < 2:
                return "`(when, coro)`: nothing between the time and the coroutine"
            other = keys.setdefault(tuple(entry[1:]), name)
            if other != name:
                return (
                    f"the entries of {other} and {name} both had {tuple(entry[1:])!r} "
                    "between the time and the coroutine"
                )
        return None


OVERSLEEP = 0.05
"""How far past the earliest timer a ``time.sleep`` may reach: the few milliseconds
between a coroutine asking to sleep and ``run`` reading the clock, on a busy machine."""


async def _sleeper(journal: _Journal, name: str, pauses: list[float], error: Any = None) -> str:
    journal.events.append(("start", name))
    for pause in pauses:
        asked_at = journal.now()
        journal.pending[name] = time.perf_counter() + pause
        await Sleep(pause)
        journal.pending.pop(name, None)
        woke = journal.now() - asked_at
        if woke < pause - EARLY_ALLOWANCE:
            journal.early.append(f"{name} asked for {seconds(pause)} and woke after {woke:.2f} s")
        try:
            asyncio.get_running_loop()
            journal.under_asyncio = True
        except RuntimeError:
            pass
    if error is not None:
        raise error
    journal.events.append(("finish", name))
    return name


TOY_PROGRAM = {"slow": [0.3], "fast": [0.1, 0.1], "twin": [0.1, 0.1], "instant": []}
TOY_CONCURRENT = 0.3  # the longest of them
TOY_SEQUENTIAL = 0.7  # all of them one after another
POLLING = 10
"""More ``time.sleep`` calls than this is polling: a right run sleeps once per moment a
timer is due (three here), whatever the load."""
# Processor time that means the loop spun instead of sleeping.  A right answer uses a
# millisecond or two.  A spinning one uses most of the 0.3 s on a quiet machine, but on
# a crowded one it may get only a few percent of a core: so an answer that never called
# time.sleep is judged by a lower figure than one that did.
BUSY_CPU = 0.05
BUSY_CPU_WITHOUT_SLEEPING = 0.01


def _run_toy(run: Callable[..., Any], journal: _Journal, coroutines: list[Any]) -> Any:
    """Call ``run(*coroutines)`` on this (the answer's) thread, noting its ``time.sleep``
    calls and the timers it pushes with ``heapq.heappush`` (other threads are left be)."""
    watched_sleep, heappush = time.sleep, heapq.heappush  # (the runner's own time.sleep)
    this_thread = threading.get_ident()

    def noting_sleep(pause: float) -> None:
        if threading.get_ident() == this_thread:
            journal.note_sleep(pause)
        watched_sleep(pause)

    def noting_heappush(heap: list[Any], item: Any) -> None:
        if threading.get_ident() == this_thread:
            journal.note_push(item)
        heappush(heap, item)

    time.sleep, heapq.heappush = noting_sleep, noting_heappush
    cpu = time.thread_time()
    try:
        return run(*coroutines)
    finally:
        journal.cpu = time.thread_time() - cpu
        time.sleep, heapq.heappush = watched_sleep, heappush


def _run_program(run: Any, journal: _Journal, program: dict[str, Any]) -> Outcome:
    coroutines = [_sleeper(journal, name, *plan) for name, plan in program.items()]
    journal.coroutines = {id(c): name for c, name in zip(coroutines, program, strict=True)}
    try:
        return run_function(lambda: _run_toy(run, journal, coroutines))
    finally:
        for coroutine in coroutines:
            try:
                coroutine.close()
            except (RuntimeError, ValueError):  # still running in a thread that could not stop
                pass


def check_run(run: Any) -> Result:
    """``run(*coros)`` drives them all with a ready queue and timers; returns their results."""
    expect_plain_function(run)
    call = "run(slow, fast, twin, instant)"
    journal = _Journal()
    program = {name: (pauses,) for name, pauses in TOY_PROGRAM.items()}
    outcome = _run_program(run, journal, program)
    _judge_error(outcome, journal, call)
    if journal.early:
        raise Wrong(
            "woke_early",
            f"{call} resumed a coroutine before its time: {journal.early[0]}. "
            "`coro.send(None)` returns the seconds it asked for: push "
            "`(time.monotonic() + seconds, ...)` onto the heap and resume it only then.",
        )
    _judge_sequential(outcome, journal, call)
    _judge_sleeps(journal, call)
    _judge_results(outcome.value, journal, call)
    missing = journal.tie_breaker_missing()
    if missing:
        raise Wrong(
            "no_tie_breaker",
            f"{call} pushed its timers as {missing}. Here no two deadlines were equal, but "
            "on a coarser clock (Windows' ticks every 15 ms before Python 3.13) they often "
            "are, and heapq then compares the coroutines, which raises TypeError. Put a "
            "counter that grows with every push between them: `(when, number, coro)`.",
        )
    spun = journal.cpu >= (BUSY_CPU if journal.sleeps else BUSY_CPU_WITHOUT_SLEEPING)
    if spun:
        raise Wrong(
            "busy_wait",
            f"{call} kept the processor busy for {journal.cpu:.2f} of its "
            f"{outcome.elapsed:.2f} s, checking the clock over and over. When nothing is "
            "ready, `time.sleep` until the earliest timer is due.",
            recheck=True,
        )
    _judge_error_passes_through(run)
    return correct(
        f"{call} returned {list(TOY_PROGRAM)} after {took(outcome.elapsed)} (the longest "
        f"sleep, not the {seconds(TOY_SEQUENTIAL)} sum): all four started at once, each "
        "time.sleep lasted until the earliest timer and no longer, none woke early; and "
        "a coroutine's own error came out of run."
    )


def _judge_error(outcome: Outcome, journal: _Journal, call: str) -> None:
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
            suggests="except StopIteration",
        )
    if isinstance(error, RuntimeError) and "cannot reuse" in str(error):
        raise Wrong(
            "resumed_finished",
            f"{call} resumed a coroutine after it had finished. Once send() raises "
            "StopIteration, do not put that coroutine back in the queue or the heap.",
        )
    if isinstance(error, TypeError) and "not an iterator" in str(error):
        raise Wrong(
            "used_next",
            f"{call} raised TypeError: {error}. A coroutine is not an iterator: resume it "
            "with `coro.send(None)`, which returns what its await yielded.",
            suggests="send(None)",
        )
    if journal.under_asyncio or (isinstance(error, RuntimeError) and "bad yield" in str(error)):
        raise Wrong(
            "used_asyncio",
            f"{call} handed the coroutines to asyncio, which does not understand `Sleep`'s "
            "bare number. Be the loop yourself: a deque, a heap, `coro.send(None)`.",
        )
    if error is not None:
        raise raised(error, call)


def _judge_sequential(outcome: Outcome, journal: _Journal, call: str) -> None:
    """Did a coroutine wait for another's end, or run sleep through each pause in turn?"""
    started, finished_one = set(), ""
    for kind, name in journal.events:
        if kind == "finish" and TOY_PROGRAM[name]:
            finished_one = finished_one or name
        elif kind == "start" and finished_one:
            raise Wrong(
                "sequential",
                f"{call} resumed {name} for the first time only after {finished_one} had "
                "run to its end: each coroutine ran to its end before the next began. Put "
                "them all in the ready queue, and while one sleeps, run the others.",
            )
        started.add(name)
    slept = sum(journal.sleeps)
    if slept >= (TOY_CONCURRENT + TOY_SEQUENTIAL) / 2:
        raise Wrong(
            "sequential",
            f"{call} called time.sleep for {slept:.1f} s in all, every coroutine's pause "
            "one after another: it slept through each pause in turn, while the others "
            "waited. Push a sleeping coroutine onto the heap instead, "
            "run the others, and sleep only when nothing at all is ready.",
        )


def _judge_sleeps(journal: _Journal, call: str) -> None:
    """When nothing is ready, sleep until the earliest timer: not longer, not in slices."""
    if journal.overslept:
        fixed = len(set(journal.sleeps)) == 1 and len(journal.sleeps) > 1
        how = f" (a fixed {journal.sleeps[0]:g} s each time)" if fixed else ""
        raise Wrong(
            "overslept",
            f"{call} woke a coroutine late: {journal.overslept[0]}{how}. When nothing is "
            "ready, sleep until the *earliest* timer, the top of the heap: "
            "`time.sleep(max(0, timers[0][0] - time.monotonic()))`.",
            suggests="timers[0][0]",
            recheck=not fixed,
        )
    if len(journal.sleeps) > POLLING:
        raise Wrong(
            "polled",
            f"{call} called time.sleep {len(journal.sleeps)} times, waking up again and "
            "again to look at the clock: sleep once, until the earliest timer is due, "
            "`time.sleep(max(0, timers[0][0] - time.monotonic()))`.",
            suggests="timers[0][0]",
        )


def _judge_results(value: Any, journal: _Journal, call: str) -> None:
    expected = list(TOY_PROGRAM)
    if value == expected:
        return
    finished = [name for kind, name in journal.events if kind == "finish"]
    if value is None:
        raise Wrong(
            "wrong_value",
            f"{call} returned None: return the list of the coroutines' results, {expected!r}.",
        )
    in_finish_order = value == finished
    raise Wrong(
        "results_in_finish_order" if in_finish_order else "wrong_value",
        f"{call} returned {value!r}; it should return each coroutine's result in the order "
        f"they were given, {expected!r}."
        + (" Yours are in the order they finished." if in_finish_order else ""),
    )


def _judge_error_passes_through(run: Any) -> None:
    """A coroutine's own error is not run's to handle: it must come out of run."""
    call = "run(slow, broken), where broken raises ValueError after 0.1 s,"
    journal = _Journal()
    program = {"slow": ([0.3],), "broken": ([0.1], ValueError("broken"))}
    outcome = _run_program(run, journal, program)
    if outcome.timed_out:
        raise hang(outcome, call)
    error = outcome.error
    if isinstance(error, ValueError) and str(error) == "broken":
        return
    got = f"raised {type(error).__name__}: {error}" if error else f"returned {outcome.value!r}"
    raise Wrong(
        "caught_too_much",
        f"{call} {got}. Catch only StopIteration around `coro.send(None)` (`except "
        "StopIteration as stop:`): any other exception is the coroutine's own error, and "
        "should come out of run, as asyncio.gather lets it out.",
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
