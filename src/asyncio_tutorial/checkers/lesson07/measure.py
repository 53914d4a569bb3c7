"""Exercise 4, ``measure``: one row of the speedup table, measured by the learner.

``measure(work, baseline)`` awaits ``work()`` once and returns ``(took, speedup,
cores_busy)``.  The check hands it three kinds of work (waiting, computing in threads,
computing in the checker's process pool) and measures each run itself, with the same
clocks, twice: around the call of ``measure`` (the outer bracket) and around the work
itself (the inner one).  A right answer reads its clocks between the two, so its
figures lie between the check's, however busy the machine: no verdict compares a
duration with what it "should" take.  A wrong clock, a measurement taken before the
work was awaited, CPU time left out or a division the wrong way round all land
outside, by tenths of a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson07.watching import WORKERS, process_pool
from asyncio_tutorial.checkers.runner import run_coroutine

SLACK = 0.01
"""Seconds a figure may stray outside the check's own brackets (an answer that rounds
to hundredths stays right); every mistake this exercise names is off by tenths."""

WAITS = 4  # the waiting work: four waits of 0.2 s at once
WAIT = 0.2
THREAD_JOBS = 2  # computing in threads: two jobs of 0.1 s
THREAD_JOB = 0.1
PROCESS_JOBS = 2  # computing in the pool's worker processes: two jobs of 0.15 s
PROCESS_JOB = 0.15


@dataclass
class Bracket:
    """What the check measured around one run: outside ``measure`` and around the work."""

    name: str
    baseline: float
    outer_wall: float = 0.0
    outer_cpu: float = 0.0
    inner_wall: float = 0.0
    inner_cpu: float = 0.0
    workers: float = 0.0
    """The CPU seconds the work reported for worker processes (0.0 without)."""
    calls: int = 0
    """How many times measure called work()."""
    value: Any = None

    def wall_range(self) -> tuple[float, float]:
        return self.inner_wall - SLACK, self.outer_wall + SLACK

    def cpu_range(self) -> tuple[float, float]:
        return self.inner_cpu + self.workers - SLACK, self.outer_cpu + self.workers + SLACK


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


async def _waiting() -> float:
    await asyncio.gather(*(asyncio.sleep(WAIT) for _ in range(WAITS)))
    return 0.0  # no worker process computed anything


async def _in_threads(units: int) -> float:
    await asyncio.gather(*(asyncio.to_thread(cpu.crunch, units) for _ in range(THREAD_JOBS)))
    return 0.0  # threads of this process: its own clock counts them


async def _in_processes(pool: Any, units: int) -> float:
    loop = asyncio.get_running_loop()
    reports = await asyncio.gather(
        *(loop.run_in_executor(pool, cpu.timed_crunch, units) for _ in range(PROCESS_JOBS))
    )
    return sum(cpu_seconds for _, cpu_seconds in reports)  # what the workers used


def _watched(bracket: Bracket, work: Callable[[], Awaitable[float]]) -> Callable[[], Any]:
    """``work``, as handed to the answer: each call noted, the work itself measured."""

    async def run() -> float:
        wall, used = time.perf_counter(), time.process_time()
        try:
            workers = await work()
        finally:
            bracket.inner_wall = time.perf_counter() - wall
            bracket.inner_cpu = time.process_time() - used
        bracket.workers = workers
        return workers

    def work_for_the_answer() -> Any:
        bracket.calls += 1
        return run()

    work_for_the_answer.__name__ = work_for_the_answer.__qualname__ = "work"
    return work_for_the_answer


async def _measured(measure: Any, bracket: Bracket, work: Callable[[], Any]) -> Any:
    wall, used = time.perf_counter(), time.process_time()
    try:
        bracket.value = await measure(work, bracket.baseline)
    finally:
        bracket.outer_wall = time.perf_counter() - wall
        bracket.outer_cpu = time.process_time() - used
    return bracket.value


def check_measure(measure: Any) -> Result:
    """``measure(work, baseline)``: ``(took, speedup, cores_busy)`` of one run of ``work``."""
    expect_coroutine_function(measure)
    thread_units, process_units = cpu.units_for(THREAD_JOB), cpu.units_for(PROCESS_JOB)
    brackets = [
        _run(measure, Bracket("waiting", WAITS * WAIT), _waiting),
        _run(
            measure,
            Bracket("threads", THREAD_JOBS * THREAD_JOB),
            partial(_in_threads, thread_units),
        ),
    ]
    with process_pool() as pool:
        processes = partial(_in_processes, pool, process_units)
        brackets.append(_run(measure, Bracket("processes", PROCESS_JOBS * PROCESS_JOB), processes))
    figures = [_figures(bracket) for bracket in brackets]
    _judge_took(brackets, figures)
    _judge_speedup(brackets, figures)
    _judge_cores(brackets, figures)
    # The cores busy themselves are left out: within the check's brackets (judged above),
    # they differ from run to run, and a right answer's message reads the same on every
    # run (on a loaded machine the waits once measured 0.1 cores busy, not "under 0.1").
    waiting = figures[0]
    return correct(
        f"measure agreed with the check's own clocks on all three runs. {WAITS} waits of "
        f"{seconds(WAIT)} at once took {took(waiting[0])} and kept no core busy: "
        f"waiting uses none. {THREAD_JOBS} jobs computing in threads kept one core busy "
        "at most, as the GIL allows. "
        f"{PROCESS_JOBS} jobs in the pool's {WORKERS} worker processes: you counted the "
        "CPU time they reported, which this process's clock cannot see. Each speedup was "
        "the baseline divided by the time taken."
    )


def _call(bracket: Bracket) -> str:
    return f"measure(work, {bracket.baseline:g}) on the {bracket.name} run"


def _run(measure: Any, bracket: Bracket, work: Callable[[], Awaitable[float]]) -> Bracket:
    """Run ``measure`` on ``work``, both measured; raise what went wrong on the way."""
    outcome = run_coroutine(partial(_measured, measure, bracket, _watched(bracket, work)))
    call = _call(bracket)
    if isinstance(outcome.error, ZeroDivisionError):
        raise Wrong(
            "divided_the_wrong_way",
            f"{call} raised {error_text(outcome.error)}. Waiting uses almost no CPU "
            "time, so nothing should be divided by it: cores busy is the CPU time "
            "divided by the wall-clock time, and the speedup is the baseline divided by "
            "the time taken.",
        )
    common_mistakes(outcome, call)
    if bracket.calls == 0:
        raise Wrong(
            "never_ran",
            f"{call} returned {bracket.value!r} without calling work() at all: measure "
            "the run itself, `await work()` between two readings of the clocks.",
            suggests="await work()",
        )
    if bracket.calls > 1:
        raise Wrong(
            "ran_twice",
            f"{call} called work() {bracket.calls} times: run it once, and take every "
            "figure from that one run (the CPU time its workers used is what `await "
            "work()` returns).",
        )
    return bracket


def _figures(bracket: Bracket) -> tuple[float, float, float]:
    """The answer's ``(took, speedup, cores_busy)``, or what is wrong with its shape."""
    value = bracket.value
    if (
        isinstance(value, (tuple, list))
        and len(value) == 3
        and all(isinstance(each, (int, float)) and not isinstance(each, bool) for each in value)
    ):
        took_, speedup, cores = (float(each) for each in value)
        if took_ > 0:
            return took_, speedup, cores
    raise Wrong(
        "wrong_shape",
        f"{_call(bracket)} returned {value!r}; it should return three numbers, "
        "`(took, speedup, cores_busy)`, with took the seconds on the wall clock (more "
        "than zero).",
    )


def _judge_took(brackets: list[Bracket], figures: list[tuple[float, float, float]]) -> None:
    """``took`` lies between the check's two wall-clock brackets, on every run."""
    low = [f[0] < b.wall_range()[0] for b, f in zip(brackets, figures, strict=True)]
    high = [f[0] > b.wall_range()[1] for b, f in zip(brackets, figures, strict=True)]
    threads, threads_took = brackets[1], figures[1][0]
    if any(low) and _within(threads_took, (threads.inner_cpu - SLACK, threads.outer_cpu + SLACK)):
        raise Wrong(
            "cpu_clock_for_took",
            f"took is not the time on the wall clock: on the waiting run measure said "
            f"{figures[0][0]:.3f} s for {seconds(brackets[0].inner_wall)} of waiting, and on "
            f"the threads run it gave the CPU time ({threads_took:.3f} s). "
            "time.process_time() counts CPU time, which waiting does not use: time the "
            "run with time.perf_counter().",
            suggests="time.perf_counter()",
        )
    if all(low):
        raise Wrong(
            "measured_before_awaiting",
            f"took was {figures[0][0]:.3f} s for {seconds(brackets[0].inner_wall)} of "
            "waiting: the clock was read again before the work was done. Calling work() "
            "only makes a coroutine; it runs when awaited. Read the clocks, `await "
            "work()`, then read them again.",
        )
    for bracket, figure, too_low, too_high in zip(brackets, figures, low, high, strict=True):
        if too_low or too_high:
            what = "less" if too_low else "more"
            raise Wrong(
                "wrong_took",
                f"{_call(bracket)} said took = {figure[0]:.3f} s, {what} than the run "
                f"itself: the check measured {bracket.inner_wall:.3f} s for the work, and "
                f"{bracket.outer_wall:.3f} s for the whole call of measure. Read "
                "time.perf_counter() just before `await work()` and just after.",
            )


def _judge_speedup(brackets: list[Bracket], figures: list[tuple[float, float, float]]) -> None:
    """``speedup`` is the baseline divided by the answer's own ``took``."""
    for bracket, (took_, speedup, _) in zip(brackets, figures, strict=True):
        right = bracket.baseline / took_
        if abs(speedup - right) <= 0.01 * right:
            continue
        if abs(speedup - took_ / bracket.baseline) <= 0.01 * took_ / bracket.baseline:
            raise Wrong(
                "speedup_upside_down",
                f"{_call(bracket)} said speedup = {speedup:.2f} for a run of "
                f"{took_:.2f} s against a baseline of {bracket.baseline:g} s: that is "
                "took ÷ baseline, upside down. A speedup says how many times faster: "
                "baseline ÷ took, above 1 when the run was faster.",
            )
        raise Wrong(
            "wrong_speedup",
            f"{_call(bracket)} said speedup = {speedup:.2f}, but its run took "
            f"{took_:.2f} s against a baseline of {bracket.baseline:g} s, a speedup of "
            f"{right:.2f}: the baseline divided by the time the run took on the wall clock.",
        )


def _judge_cores(brackets: list[Bracket], figures: list[tuple[float, float, float]]) -> None:
    """``cores_busy × took`` (the answer's CPU time) lies within the check's CPU brackets."""
    for bracket, (took_, _, cores) in zip(brackets, figures, strict=True):
        used = cores * took_
        low, high = bracket.cpu_range()
        if low <= used <= high:
            continue
        if cores > 0 and _within(took_ / cores, (low, high)):
            raise Wrong(
                "divided_the_wrong_way",
                f"{_call(bracket)} said cores_busy = {cores:.2f}, which is the wall-clock "
                "time divided by the CPU time: upside down. Cores busy is CPU seconds per "
                "wall-clock second, `cpu_seconds / took`.",
            )
        if bracket.name == "waiting" and used > high:
            raise Wrong(
                "wall_clock_for_cpu",
                f"{_call(bracket)} said {cores:.2f} cores busy while nothing computed: the "
                f"CPU time it counted ({used:.2f} s) is the time on the wall clock. Waiting "
                "uses no CPU time; time.process_time() counts only what this process "
                "computed.",
                suggests="time.process_time()",
            )
        if bracket.name == "threads" and used < low:
            raise Wrong(
                "threads_cpu_missing",
                f"{_call(bracket)} counted {used:.2f} s of CPU time, where the threads "
                f"computed {bracket.inner_cpu:.2f} s: time.thread_time() counts only the "
                "thread that calls it, here the event loop's, which waited. "
                "time.process_time() counts every thread of this process.",
                suggests="time.process_time()",
            )
        if bracket.name == "processes" and used < low:
            raise Wrong(
                "workers_cpu_missing",
                f"{_call(bracket)} counted {used:.2f} s of CPU time, but the worker "
                f"processes reported {bracket.workers:.2f} s of their own, which "
                "time.process_time() here cannot see. Add what `await work()` returns to "
                "the CPU time of this process.",
            )
        raise Wrong(
            "wrong_cores",
            f"{_call(bracket)} said cores_busy = {cores:.2f}, that is {used:.2f} s of CPU "
            f"time in {took_:.2f} s; the check measured {bracket.inner_cpu:.2f} s of CPU "
            f"time in this process, plus {bracket.workers:.2f} s reported by worker "
            "processes. Cores busy is (this process's CPU time + the workers') ÷ took.",
        )


ex4 = Exercise(
    title="Measure a row of the table",
    answer="measure",
    checker=check_measure,
    # three runs, one in a process pool started for the check: late on a busy machine
    time_limit=4.0,
    hints=[
        "Three clocks: time.perf_counter() for the wall clock, time.process_time() for "
        "the CPU time of every thread of this process, and what `await work()` returns "
        "for the CPU time of worker processes, which this process cannot see.",
        "Read perf_counter and process_time, `workers = await work()`, read them again. "
        "took is the wall-clock difference; the CPU time is the process_time difference "
        "plus workers.",
        "speedup = baseline / took (how many times faster); cores_busy = cpu_seconds / "
        "took (how many cores computed at once, on average).",
    ],
)
