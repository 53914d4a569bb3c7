"""Exercise 1, ``read_all``: a blocking library call, in threads, without blocking the loop.

``read_report`` is the workbook's old synchronous library.  While a check runs, each of
its calls is noted (:class:`Reads`): which thread made it, whether that was the event
loop's own thread, and how many reads were in progress at once.  With what the loop's
thread was doing as each read ended (:mod:`.watching`), that says exactly where the
answer read and whether the loop stayed free, on a busy machine too.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    hang,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson07.watching import Run, spun, with_heartbeat
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine

LATE = 0.15
"""An answer that returns this long after its last read ended waited for something else.
Measured from the end of the reads, not from the start: a busy machine makes the reads
end late, not the answer."""

READ_TIMES = {"north": 0.2, "south": 0.1, "east": 0.15, "west": 0.05}
"""How long read_report blocks for each report of exercise 1; any other takes 0.2 s.

They differ so that the reports finish in another order than they were asked for: an
answer that returns them as they finish cannot be in the right order by luck."""

REPORTS = list(READ_TIMES)
"""The reports of exercise 1."""

OTHER_REPORTS = ["2024", "west", "south"]
"""A second list the check reads: another length, another order of finishing."""


@dataclass
class _Read:
    """One call of read_report while a check runs."""

    name: str
    thread: int
    on_loop: bool
    handed_over: bool
    """Called by an executor's worker thread itself (``asyncio.to_thread(read_report,
    name)``), not by code of the answer's running in a thread."""
    ended: float = 0.0


@dataclass
class Reads:
    """Every read_report call made while an answer runs, and how many were in progress
    at once (``peak``)."""

    run: Run
    calls: list[_Read] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, name: str, caller: str) -> _Read:
        thread = threading.get_ident()
        handed_over = caller == "concurrent.futures.thread"
        read = _Read(name, thread, thread == self.run.loop_thread, handed_over)
        with self.lock:
            self.calls.append(read)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        return read

    def end(self, read: _Read) -> None:
        if not read.on_loop:
            self.run.look_at_the_loop()  # before this read's result goes back
        with self.lock:
            self.in_flight -= 1
            read.ended = time.perf_counter()

    def on_the_loop(self) -> list[_Read]:
        return [read for read in self.calls if read.on_loop]

    def finishing_order(self) -> list[str]:
        """The names, in the order their reads ended."""
        return [read.name for read in sorted(self.calls, key=lambda read: read.ended)]

    def threads(self) -> int:
        """How many threads read."""
        return len({read.thread for read in self.calls})


_reads: Reads | None = None


@contextlib.contextmanager
def noting_reads(run: Run) -> Iterator[Reads]:
    """Note every read_report call until the block ends."""
    global _reads
    reads = Reads(run)
    _reads = reads
    try:
        yield reads
    finally:
        _reads = None


def read_report(name: str) -> str:
    """Read a report the old way: a synchronous call that blocks its thread while it reads.

    Reading takes ``READ_TIMES[name]`` seconds, 0.2 s for a report not listed there.
    (While a check runs, each call is also noted, to show where it ran.)
    """
    reads = _reads
    caller = sys._getframe(1).f_globals.get("__name__", "")
    read = reads.begin(name, caller) if reads is not None else None
    try:
        time.sleep(READ_TIMES.get(name, 0.2))
    finally:
        if reads is not None and read is not None:
            reads.end(read)
    return f"report {name}"


def check_read_all(read_all: Any) -> Result:
    """``read_all(names)``: every report, concurrently, without blocking the loop."""
    expect_coroutine_function(read_all)
    run, reads = _judge_read_all(read_all, REPORTS)
    _judge_read_all(read_all, OTHER_REPORTS)
    return correct(
        f"read_all({REPORTS!r}) read the {len(reads.calls)} reports in threads, none on the "
        f"event loop's own thread, and returned them in the order of names after "
        f"{took(run.wall)}, the time of the longest read. The loop never waited for a "
        f"thread, so it was free the whole time; read_all({OTHER_REPORTS!r}) kept its "
        "order too."
    )


def _judge_read_all(read_all: Any, names: list[str]) -> tuple[Run, Reads]:
    call = f"read_all({names!r})"
    run = Run()
    with noting_reads(run) as reads:
        outcome = run_coroutine(partial(with_heartbeat, partial(read_all, list(names)), run))
    if outcome.timed_out:
        raise hang(outcome, call)
    _judge_the_loop(outcome, run, reads, call)
    if isinstance(run.value, asyncio.Future) and type(run.value).__name__ == "_GatheringFuture":
        raise Wrong(
            "forgot_await",
            f"{call} returned asyncio.gather(...) itself, a future, instead of its result: "
            "gather only collects the texts once it is awaited. Write `return await "
            "asyncio.gather(...)`.",
            suggests="await asyncio.gather",
        )
    if isinstance(outcome.error, asyncio.InvalidStateError):
        raise Wrong(
            "forgot_await",
            f"{call} raised {error_text(outcome.error)}: it asked a task for its "
            "result() before the task had finished: a task runs only when the loop gets a "
            "turn, and finishes only after its thread has read. Await the tasks first: "
            "`await asyncio.gather(*tasks)`.",
            suggests="asyncio.gather",
        )
    common_mistakes(outcome, call)
    _judge_texts(run.value, reads, names, call)
    if reads.peak <= 1 < len(names):
        how = (
            "in threads, but each was awaited before the next one was started"
            if all(read.handed_over for read in reads.calls)
            else "all in one thread, which reads them one after another"
        )
        raise Wrong(
            "sequential",
            f"{call} read the reports {how}: never two at once, so they took the sum of "
            f"their times ({seconds(run.wall)}) instead of the longest. Start one thread "
            "per report, all before awaiting any: `await asyncio.gather(*(asyncio."
            "to_thread(read_report, name) for name in names))`.",
            suggests="asyncio.gather",
        )
    late = run.ended - max(read.ended for read in reads.calls)
    if late > LATE:
        raise Wrong(
            "too_slow",
            f"{call} returned {late:.1f} s after its last read had ended: it waited for "
            "something else meanwhile (a sleep?). Return as soon as the reads are done.",
        )
    return run, reads


def _judge_the_loop(outcome: Outcome, run: Run, reads: Reads, call: str) -> None:
    """Whether the loop's own thread read, slept, waited for the threads, or spun."""
    on_loop = reads.on_the_loop()
    error = outcome.error
    if on_loop and isinstance(error, TypeError) and "not callable" in str(error):
        raise Wrong(
            "called_instead_of_passed",
            f"{call} raised {error_text(error)}. `asyncio.to_thread(read_report(name))` "
            "calls read_report right there, on the event loop's own thread, and hands "
            "its result, a string, to the thread. Pass the function and its argument "
            "separately: `asyncio.to_thread(read_report, name)`.",
            suggests="asyncio.to_thread(read_report, name)",
        )
    if on_loop:
        raise Wrong(
            "blocking",
            f"{call} called read_report on the event loop's own thread ({len(on_loop)} of "
            f"its {len(reads.calls)} calls): read_report blocks, like any synchronous "
            "library, so the loop stood still while it read, and a heartbeat beside it "
            f"came {seconds(run.latest_beat)} late. Calling it from an `async def` "
            "changes nothing: it still runs on the loop. Run each call in a thread: "
            "`await asyncio.to_thread(read_report, name)`.",
            suggests="asyncio.to_thread(read_report, name)",
        )
    if outcome.sleeps:
        raise Wrong(
            "blocking",
            f"{call} called time.sleep({outcome.sleeps[0]:g}) on the event loop's own "
            "thread, which stops the whole loop: nothing else can run meanwhile, not even "
            "the threads' results coming back. Take it out: to wait for the reads, await "
            "them; to pause, `await asyncio.sleep(...)`.",
            suggests="await asyncio.sleep",
        )
    if run.held_in:
        raise Wrong(
            "blocked_waiting",
            f"{call} read the reports in threads, but the event loop's own thread waited "
            f"for them in {run.held_in[0]}: a blocking wait, which holds the loop just as "
            f"read_report would (a heartbeat beside it came {seconds(run.latest_beat)} "
            "late). Await the threads instead, and the loop stays free while they read: "
            "`await asyncio.gather(*(asyncio.to_thread(read_report, name) for name in "
            "names))`.",
            suggests="asyncio.to_thread(read_report, name)",
        )
    if spun(run, run.wall) and error is None:
        raise Wrong(
            "polling",
            f"{call} kept the event loop's own thread computing ({seconds(run.loop_cpu)} "
            "of CPU time) while the reads ran: a loop that asks again and again whether "
            "they are done holds the loop, and takes a core from the threads. Await them "
            "instead, which sleeps until they are done: `await asyncio.gather(...)`.",
            suggests="asyncio.gather",
        )


def _judge_texts(value: Any, reads: Reads, names: list[str], call: str) -> None:
    """What came back: the texts, read, in the order of names."""
    expected = [f"report {name}" for name in names]
    if not reads.calls:
        raise Wrong(
            "never_read",
            f"{call} returned {value!r} without calling read_report at all: the texts "
            "must come from reading the reports, one read_report(name) call each, each in "
            "a thread.",
            suggests="read_report",
        )
    got = list(value) if isinstance(value, tuple) else value
    if isinstance(got, list) and got != expected and sorted(map(str, got)) == sorted(expected):
        by_time = sorted(names, key=lambda name: READ_TIMES.get(name, 0.2))
        orders = (by_time, reads.finishing_order())
        if got in ([f"report {name}" for name in order] for order in orders):
            raise Wrong(
                "completion_order",
                f"{call} returned {got!r}: every report, but in the order they finished "
                "(the short ones first), not in the order of names. `asyncio.gather` "
                "returns results in the order of its arguments, however they finish.",
            )
        raise Wrong(
            "lost_order",
            f"{call} returned every report, but in another order: {got!r}. Return them "
            f"in the order of names, {expected!r}: `asyncio.gather` keeps the order of its "
            "arguments.",
        )
    if got != expected:
        raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")


ex1 = Exercise(
    title="Blocking reads in threads",
    answer="read_all",
    checker=check_read_all,
    hints=[
        "read_report blocks its thread for up to 0.2 s. `await asyncio.to_thread("
        "read_report, name)` runs it in a worker thread, and the loop stays free.",
        "Start all four before waiting for any: `asyncio.gather(*(asyncio.to_thread("
        "read_report, name) for name in names))`.",
    ],
)
