"""Exercise 2, ``crunch_all``: compute in a process pool while the event loop stays free.

The answer is given the checker's own pool (:class:`~.watching.WatchedPool`), which
counts the jobs it is handed and notes the order they end in.  Where the computing ran
is told by CPU time, and whether the loop waited for the pool by what the loop's own
thread was doing as each job ended (:mod:`.watching`): no verdict rests on how long
anything took.
"""

from __future__ import annotations

import asyncio
import functools
from functools import partial
from typing import Any

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    hang,
    seconds,
)
from asyncio_tutorial.checkers.lesson07.watching import (
    WORKERS,
    Run,
    WatchedPool,
    process_pool,
    spun,
    where,
    with_heartbeat,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import returned_future

JOB_SECONDS = (0.2, 0.05, 0.15, 0.1)
"""The computing each job of exercise 2 does, in seconds.  They differ, so that the jobs
end in another order than they were given and their checksums differ: results returned
as they finish are out of order, whatever the machine."""

CALL = "crunch_all(4 jobs of 0.05 to 0.2 s, pool)"


def _jobs() -> list[int]:
    """The work units of the four jobs on this machine, checksums never in sorted order
    (so that sorting them cannot give the right order by luck)."""
    jobs = [cpu.units_for(job) for job in JOB_SECONDS]
    while True:
        sums = [_checksum(units) for units in jobs]
        if sums not in (sorted(sums), sorted(sums, reverse=True)):
            return jobs
        jobs[-1] += 1


@functools.lru_cache(maxsize=64)
def _checksum(units: int) -> int:
    return cpu.crunch(units)


def check_crunch_all(crunch_all: Any) -> Result:
    """``crunch_all(jobs, pool)``: the checksums, computed in the pool, the loop kept free."""
    expect_coroutine_function(crunch_all)
    jobs = _jobs()
    work = sum(JOB_SECONDS)
    run = Run()
    with process_pool(run) as pool:
        start = partial(crunch_all, list(jobs), pool)
        outcome = run_coroutine(partial(with_heartbeat, start, run))
    _judge_the_loop(outcome, run, pool, work, len(jobs))
    own_pool = not outcome.sleeps and outcome.error is None and _right(run.value, jobs)
    if pool.submitted == 0 and own_pool:
        # Right checksums, computed neither on the loop nor in threads (judged above) nor
        # in the pool: in processes of the answer's own (a time.sleep is still named
        # first, by common_mistakes).  Starting and stopping them holds the loop a moment
        # (fork, then shutdown's wait), over 50 ms when the cores are busy: the pool it
        # was not given is the mistake to name, not that moment.
        raise _pool_not_used()
    common_mistakes(outcome, CALL)
    if pool.submitted == 0:
        raise _pool_not_used()
    _judge_checksums(run.value, pool, jobs)
    if pool.peak < 2:
        raise Wrong(
            "one_at_a_time",
            f"{CALL} gave the pool one job at a time, waiting for each before sending the "
            "next, so its two worker processes never computed together. Submit them all, "
            "then await them together: `await asyncio.gather(*(loop.run_in_executor(pool, "
            "cpu.crunch, units) for units in jobs))`.",
            suggests="asyncio.gather",
        )
    return correct(
        f"{CALL} handed all {pool.peak} jobs to the pool at once and awaited them: the "
        f"pool's {WORKERS} worker processes computed them, the event loop's own thread "
        f"computed none and never waited for them, and the {len(jobs)} checksums came back "
        "in the order of jobs."
    )


def _pool_not_used() -> Wrong:
    return Wrong(
        "pool_not_used",
        f"{CALL} never used the pool it was given. Hand each job to it: "
        "`loop.run_in_executor(pool, cpu.crunch, units)`.",
        suggests="run_in_executor(pool",
    )


def _checksums(jobs: list[int]) -> list[int]:
    """The right answer: each job's checksum, in the order of jobs."""
    return [_checksum(units) for units in jobs]


def _right(value: Any, jobs: list[int]) -> bool:
    """Whether ``value`` is the right checksums (plain ints: no object of the answer's
    own is asked whether it equals anything)."""
    return (
        type(value) in (list, tuple)
        and all(type(item) is int for item in value)
        and list(value) == _checksums(jobs)
    )


def _judge_the_loop(outcome: Outcome, run: Run, pool: WatchedPool, work: float, jobs: int) -> None:
    """A hang, a job computed on the loop or in threads, a loop that waited or spun."""
    error = outcome.error
    if outcome.timed_out and pool.submitted and spun(run, outcome.elapsed):
        raise Wrong(
            "hang",
            f"{CALL} had not finished after {seconds(outcome.time_limit)}: it kept the "
            f"event loop's own thread busy ({seconds(run.loop_cpu)} of CPU time there) "
            "checking whether the jobs were done. The futures run_in_executor gives are "
            "completed by the event loop itself, which never got a turn, so they never "
            "were. Await them instead: `await asyncio.gather(*futures)`. It has been "
            "stopped.",
            suggests="asyncio.gather",
        )
    place = where(run, work)
    # Stopped while it still computed, on the loop (too busy even to say where it
    # waited) or in threads: a machine so loaded that the computing outlasted the
    # limit, not a hang.  Its verdict is where it computed, as on an idle machine.
    computing = outcome.timed_out and pool.submitted < jobs
    computing &= place == "threads" or (place == "loop" and not outcome.waiting_when_stopped)
    if outcome.timed_out and not computing and place == "loop":
        waiting = " and ".join(outcome.waiting_when_stopped) or "its own code"
        stopped = (
            "It could not be stopped: restart the kernel (Kernel → Restart) when you are ready."
            if outcome.stuck
            else "It has been stopped."
        )
        raise Wrong(
            "hang",
            f"{CALL} had not finished after {seconds(outcome.time_limit)}, far longer than "
            f"it should take: it was still waiting in {waiting}. Before that, it computed "
            f"on the event loop's own thread ({seconds(run.loop_cpu)} of CPU time there), "
            f"where nothing else could run meanwhile: use the pool you were given. {stopped}",
        )
    if outcome.timed_out and not computing:
        raise hang(outcome, CALL)
    if isinstance(error, TypeError) and "not callable" in str(error):
        raise Wrong(
            "called_instead_of_passed",
            f"{CALL} raised {error_text(error)}. `loop.run_in_executor(pool, "
            "cpu.crunch(units))` computes cpu.crunch(units) right there, on the event "
            "loop's own thread, and hands its result, a number, to the pool as the "
            "function to run. Pass the function and its argument separately: "
            "`loop.run_in_executor(pool, cpu.crunch, units)`.",
            suggests="run_in_executor(pool, cpu.crunch, units)",
        )
    if error is not None and _not_picklable(error):
        raise Wrong(
            "not_picklable",
            f"{CALL} raised {error_text(error)}. A job for a worker process is "
            "sent there by pickling, and a lambda or a function defined in the notebook "
            "cannot be (lesson 07, section 5). Pass the module's function and its "
            "argument: `loop.run_in_executor(pool, cpu.crunch, units)`.",
            suggests="run_in_executor(pool, cpu.crunch, units)",
        )
    stopped = (
        f" (on this busy machine it had not even finished after "
        f"{seconds(outcome.time_limit)}, and has been stopped)"
        if outcome.timed_out
        else ""
    )
    if place == "loop" and pool.submitted < jobs:
        raise Wrong(
            "cpu_on_loop",
            f"{CALL} computed on the event loop's own thread ({seconds(run.loop_cpu)} of "
            f"CPU time there){stopped}: a heartbeat beside it came "
            f"{seconds(run.latest_beat)} late, and every other task stood still as long. "
            "Use the process pool you were "
            "given: `await loop.run_in_executor(pool, cpu.crunch, units)`.",
            suggests=() if pool.submitted else "run_in_executor(pool",
        )
    if place == "threads" and pool.submitted < jobs:
        raise Wrong(
            "threads_for_cpu",
            f"{CALL} computed in threads of this process ({seconds(run.process_cpu)} of "
            f"CPU time here, none of it on the loop){stopped}. The heartbeat survived, but "
            "under the "
            "GIL only one thread computes at a time: no faster than one after another "
            f"({seconds(work)}). Use the process pool you were given, not asyncio.to_thread "
            "or the default executor (run_in_executor(None, ...)).",
        )
    if run.held_in:
        raise Wrong(
            "blocked_waiting",
            f"{CALL} sent the jobs to the pool, but the event loop's own thread waited for "
            f"them in {run.held_in[0]}: a blocking wait, which holds the loop for as long "
            f"as the pool computes (a heartbeat beside it came {seconds(run.latest_beat)} "
            "late). Await them instead, and the loop stays free: `await asyncio.gather("
            "*(loop.run_in_executor(pool, cpu.crunch, units) for units in jobs))`.",
            suggests="run_in_executor(pool, cpu.crunch, units)",
        )
    if spun(run, run.wall) and error is None:
        raise Wrong(
            "polling",
            f"{CALL} kept the event loop's own thread computing ({seconds(run.loop_cpu)} "
            "of CPU time) while the pool computed: a loop that asks again and again "
            "whether the jobs are done holds the loop, and takes a core from the workers. "
            "Await them instead, which sleeps until they are done: `await asyncio.gather("
            "*futures)`.",
            suggests="asyncio.gather",
        )


def _not_picklable(error: BaseException) -> bool:
    """Whether ``error`` says a job could not be sent to a worker process: "Can't pickle
    local object", or "Can't get local object" on 3.13."""
    text = f"{type(error).__name__}: {error}"
    return any(words in text for words in ("pickle", "Pickl", "local object"))


def _judge_checksums(value: Any, pool: WatchedPool, jobs: list[int]) -> None:
    """The four checksums, in the order of jobs."""
    if isinstance(value, asyncio.Future) and type(value).__name__ == "_GatheringFuture":
        raise Wrong(
            "forgot_await",
            f"{CALL} returned asyncio.gather(...) itself, a future, instead of its result: "
            "gather only collects the results once it is awaited. Write `return await "
            "asyncio.gather(...)`.",
            suggests="await asyncio.gather",
        )
    returned_future(value, CALL)
    expected = _checksums(jobs)
    got = list(value) if isinstance(value, tuple) else value
    if (
        isinstance(got, list)
        and got != expected
        and sorted(map(str, got)) == sorted(map(str, expected))
    ):
        if got == [expected[number] for number in pool.finished if number < len(jobs)]:
            raise Wrong(
                "completion_order",
                f"{CALL} returned the checksums in the order the jobs finished (the short "
                "ones first), not in the order of jobs. `asyncio.gather` returns results "
                "in the order of its arguments, however they finish.",
            )
        raise Wrong(
            "lost_order",
            f"{CALL} returned every checksum, but in another order than the jobs: return "
            "them in the order of jobs, as `asyncio.gather` does.",
        )
    if got != expected:
        raise Wrong(
            "wrong_value",
            f"{CALL} returned {value!r}; it should return the four checksums, in the "
            "order of jobs (gather keeps that order).",
        )


ex2 = Exercise(
    title="Compute without missing a beat",
    answer="crunch_all",
    checker=check_crunch_all,
    # computing in a process pool runs late on a busy machine; right answers need ~1 s
    time_limit=4.0,
    hints=[
        "`loop = asyncio.get_running_loop()`, then `loop.run_in_executor(pool, cpu.crunch, "
        "units)` runs one job in a worker process and gives back a future the loop can await.",
        "Create all four futures first, then `await asyncio.gather(*futures)`: both workers "
        "compute at once, and gather keeps the order.",
        "cpu.crunch comes from a module, so a worker process can import it. A function "
        "defined in the notebook would break the pool on Python 3.14+ (lesson 07, section 5).",
    ],
)
