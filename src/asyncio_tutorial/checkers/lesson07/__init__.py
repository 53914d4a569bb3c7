"""Lesson 07's exercises: blocking calls in threads, computing in processes, and choosing.

The workbook ``exercises/07-concurrency-vs-parallelism.ipynb`` starts with::

    from asyncio_tutorial import cpu
    from asyncio_tutorial.checkers.lesson07 import REPORTS, ex1, ex2, ex3, read_report

and ``read_report??`` shows how the helpers work.  The worked answers are in
``solutions/07-concurrency-vs-parallelism.ipynb``.

How the checkers tell where work ran, on a busy machine too: a heartbeat task beats
every 0.05 s beside the answer and notes how late its beats come (the loop was held);
the CPU time of the loop's own thread, and of this whole process, says whether the
computing happened on the loop, in threads of this process, or elsewhere; the process
pool the answer is given counts how many jobs it had at once.  None of it depends on
how fast the machine is.

The process pools are the checker's own, started with the interpreter's default start
method (``fork`` up to 3.13, ``forkserver`` from 3.14), and always shut down, with any
worker process an answer started itself, however the answer ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
    judge_duration,
    seconds,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import returned_future

SLACK = 0.3
BEAT = 0.05  # the heartbeat's period
LATE = 0.1  # a beat this late was missed: the loop was held

# --- Helpers the exercises use ----------------------------------------------------------

READ_TIMES = {"north": 0.2, "south": 0.1, "east": 0.15, "west": 0.05}
"""How long read_report blocks for each report of exercise 1; any other takes 0.2 s.

They differ so that the reports finish in another order than they were asked for: an
answer that returns them as they finish cannot be in the right order by luck."""

REPORTS = list(READ_TIMES)
"""The reports of exercise 1."""

ARCHIVES = ["2023", "2024", "2025", "2026"]
"""The reports of exercise 3's read_reports workload: 0.2 s each."""


def read_report(name: str) -> str:
    """Read a report the old way: a synchronous call that blocks its thread while it reads.

    Reading takes ``READ_TIMES[name]`` seconds, 0.2 s for a report not listed there.
    """
    time.sleep(READ_TIMES.get(name, 0.2))
    return f"report {name}"


async def fetch_price(symbol: str) -> float:
    """An async client: waits 0.2 s for the network with the loop, returns a price."""
    await asyncio.sleep(0.2)
    return float(len(symbol))


def _fetch_price_in_process(symbol: str) -> float:
    return asyncio.run(fetch_price(symbol))


@dataclass
class _Run:
    """What the heartbeat and the CPU clocks saw while an answer ran."""

    value: Any = None
    wall: float = 0.0
    latest_beat: float = 0.0
    """How late the latest heartbeat was, in seconds."""
    loop_cpu: float = 0.0
    """CPU time of the event loop's own thread."""
    process_cpu: float = 0.0
    """CPU time of this whole process (every thread)."""


async def _with_heartbeat(start: Callable[[], Awaitable[Any]], run: _Run) -> Any:
    """Await ``start()`` while a heartbeat beats every ``BEAT`` seconds beside it; return
    its value (so that the runner finds coroutines returned by mistake)."""
    loop = asyncio.get_running_loop()

    due = [loop.time() + BEAT]

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(max(0.0, due[0] - loop.time()))
            run.latest_beat = max(run.latest_beat, loop.time() - due[0])
            due[0] += BEAT

    beating = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)  # the heartbeat starts first
    wall, loop_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
    try:
        run.value = await start()
    finally:
        run.wall = time.perf_counter() - wall
        run.loop_cpu = time.thread_time() - loop_cpu
        run.process_cpu = time.process_time() - process_cpu
        # A beat the answer held up until its very end is late too.
        run.latest_beat = max(run.latest_beat, loop.time() - due[0])
        beating.cancel()
        await asyncio.wait([beating])
    return run.value


class _WatchedPool(ProcessPoolExecutor):
    """A process pool that counts how many jobs it had at once."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers)
        self.submitted = 0
        self.in_flight = 0
        self.peak = 0
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            self.submitted += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._one_done)
        return future

    def _one_done(self, future: Future[Any]) -> None:
        with self._count_lock:
            self.in_flight -= 1


@contextlib.contextmanager
def _process_pool(workers: int = 2) -> Iterator[_WatchedPool]:
    """A started pool of ``workers`` processes, shut down on the way out, whatever happened.

    Worker processes that the answer started for itself (a pool of its own, never shut
    down) are ended too.
    """
    before = set(multiprocessing.active_children())
    pool = _WatchedPool(max_workers=workers)
    try:
        cpu.warm_up(pool, workers)
        pool.submitted = pool.peak = 0
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for child in set(multiprocessing.active_children()) - before:
            child.terminate()
            child.join(1)


def _where(run: _Run, work: float) -> str:
    """Where ``work`` seconds of computing ran: ``"loop"``, ``"threads"`` or ``"elsewhere"``."""
    if run.loop_cpu >= 0.5 * work:
        return "loop"
    if run.process_cpu >= 0.5 * work:
        return "threads"
    return "elsewhere"


# --- Exercise 1: read_all -----------------------------------------------------------------


def check_read_all(read_all: Any) -> Result:
    """``read_all(names)``: every report, concurrently, without blocking the loop."""
    expect_coroutine_function(read_all)
    run, call = _Run(), f"read_all({REPORTS!r})"
    outcome = run_coroutine(partial(_with_heartbeat, partial(read_all, REPORTS), run))
    if outcome.sleeps or (outcome.blocked and run.latest_beat >= LATE):
        raise Wrong(
            "blocking",
            f"{call} called read_report on the event loop's own thread: read_report "
            f"blocks (like any synchronous library), so the loop stood still and a "
            f"heartbeat beside it came {seconds(run.latest_beat)} late. Run each call in a "
            "thread: `await asyncio.to_thread(read_report, name)`.",
        )
    common_mistakes(outcome, call)
    expected = [f"report {name}" for name in REPORTS]
    if isinstance(run.value, list | tuple) and run.value != expected:
        if sorted(map(str, run.value)) == sorted(expected):
            raise Wrong(
                "completion_order",
                f"{call} returned {list(run.value)!r}: every report, but in the order they "
                "finished (the short ones first), not in the order of names. "
                "`asyncio.gather` returns results in the order of its arguments, however "
                "they finish.",
            )
    if run.value != expected:
        raise Wrong("wrong_value", f"{call} returned {run.value!r}, not {expected!r}.")
    sequential = sum(READ_TIMES.values())
    judge_duration(run.wall, 0.2, call, sequential=sequential, tolerance=SLACK)
    return correct(
        f"{call} read the four reports in 0.2 s, the time of the longest, in threads: the "
        "event loop stayed free (a heartbeat beside it never missed a beat)."
    )


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

# --- Exercise 2: crunch_all ---------------------------------------------------------------

JOB_SECONDS = 0.15  # each job of exercise 2 is this much computing


def check_crunch_all(crunch_all: Any) -> Result:
    """``crunch_all(jobs, pool)``: the checksums, computed in the pool, the loop kept free."""
    expect_coroutine_function(crunch_all)
    jobs = [cpu.units_for(JOB_SECONDS)] * 4
    work = JOB_SECONDS * len(jobs)
    run, call = _Run(), "crunch_all(4 jobs of 0.15 s, pool)"
    with _process_pool() as pool:
        start = partial(crunch_all, list(jobs), pool)
        outcome = run_coroutine(partial(_with_heartbeat, start, run))
    _judge_place(run, work, call, "Use the process pool you were given")
    common_mistakes(outcome, call)
    if pool.submitted == 0:
        raise Wrong(
            "pool_not_used",
            f"{call} never used the pool it was given. Hand each job to it: "
            "`loop.run_in_executor(pool, cpu.crunch, units)`.",
        )
    returned_future(run.value, call)
    expected = [cpu.crunch(units) for units in jobs]
    if run.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {run.value!r}; it should return the four checksums, in "
            "the order of jobs (gather keeps that order).",
        )
    if pool.peak < 2:
        raise Wrong(
            "one_at_a_time",
            f"{call} gave the pool one job at a time, waiting for each before sending the "
            "next, so its two worker processes never computed together. Submit them all, "
            "then await them together: `await asyncio.gather(*(loop.run_in_executor(pool, "
            "cpu.crunch, units) for units in jobs))`.",
        )
    return correct(
        f"{call}: the heartbeat kept its 0.05 s rhythm (no beat more than "
        f"{LATE:.1f} s late), the computing ran in the pool's worker processes, two jobs "
        "at a time, and the checksums came back in order."
    )


def _judge_place(run: _Run, work: float, call: str, fix: str) -> None:
    """CPU work on the loop, or in threads of this process: raise it, each with its own
    message."""
    place = _where(run, work)
    if place == "loop":
        raise Wrong(
            "cpu_on_loop",
            f"{call} computed on the event loop's own thread ({seconds(run.loop_cpu)} of "
            f"CPU time there): a heartbeat beside it came {seconds(run.latest_beat)} late, "
            f"and every other task stood still as long. {fix}: "
            "`await loop.run_in_executor(pool, cpu.crunch, units)`.",
        )
    if place == "threads":
        raise Wrong(
            "threads_for_cpu",
            f"{call} computed in threads of this process ({seconds(run.process_cpu)} of "
            "CPU time here, none of it on the loop). The heartbeat survived, but under the "
            "GIL only one thread computes at a time: no faster than one after another "
            f"({seconds(work)}). {fix}, not asyncio.to_thread or the default executor "
            "(run_in_executor(None, ...)).",
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

# --- Exercise 3: choose -------------------------------------------------------------------

WORKLOADS = {
    "fetch_prices": "five prices from a web API, with the async client fetch_price (0.2 s each)",
    "read_reports": "four reports with the synchronous library call read_report (0.2 s each)",
    "render_charts": "four charts, each 0.15 s of computing in Python (cpu.crunch)",
}
"""The workloads of exercise 3, and what each does."""

TOOLS = ("asyncio", "threads", "processes")
RIGHT = {"fetch_prices": "asyncio", "read_reports": "threads", "render_charts": "processes"}


async def _run_workload(workload: str, tool: str, pool: ProcessPoolExecutor) -> Any:
    """Run ``workload`` the way ``tool`` says, as a program would."""
    loop = asyncio.get_running_loop()
    if workload == "fetch_prices":
        symbols = ["ABC", "DEFG", "HI", "JKLMN", "O"]
        if tool == "asyncio":
            return await asyncio.gather(*(fetch_price(s) for s in symbols))
        if tool == "threads":
            return await asyncio.gather(
                *(asyncio.to_thread(asyncio.run, fetch_price(s)) for s in symbols)
            )
        return await asyncio.gather(
            *(loop.run_in_executor(pool, _fetch_price_in_process, s) for s in symbols)
        )
    if workload == "read_reports":
        if tool == "asyncio":
            return [read_report(name) for name in ARCHIVES]  # called on the loop
        if tool == "threads":
            return await asyncio.gather(*(asyncio.to_thread(read_report, n) for n in ARCHIVES))
        return await asyncio.gather(*(loop.run_in_executor(pool, read_report, n) for n in ARCHIVES))
    units = cpu.units_for(JOB_SECONDS)
    if tool == "asyncio":
        return [cpu.crunch(units) for _ in range(4)]  # on the loop
    if tool == "threads":
        return await asyncio.gather(*(asyncio.to_thread(cpu.crunch, units) for _ in range(4)))
    return await asyncio.gather(*(loop.run_in_executor(pool, cpu.crunch, units) for _ in range(4)))


def check_choose(choose: Any) -> Result:
    """``choose(workload)`` names the right tool for each workload, shown by running it."""
    expect_plain_function(choose)
    try:
        chosen = {workload: choose(workload) for workload in WORKLOADS}
    except NotImplementedError:
        raise  # the stub: the check reports it as not attempted
    except Exception as error:
        raise Wrong("raised", f"choose raised {type(error).__name__}: {error}.") from error
    for workload, tool in chosen.items():
        if tool not in TOOLS:
            raise Wrong(
                "not_a_tool",
                f"choose({workload!r}) returned {tool!r}; return one of {', '.join(TOOLS)}.",
            )
    seen = []
    with _process_pool() as pool:
        for workload, tool in chosen.items():
            run = _Run()
            outcome = run_coroutine(
                partial(_with_heartbeat, partial(_run_workload, workload, tool, pool), run)
            )
            _judge_choice(workload, tool, run, outcome)
            waited = workload != "render_charts" and run.wall > 0.2 + SLACK
            stayed = workload == "render_charts" and _where(run, 4 * JOB_SECONDS) != "elsewhere"
            if (
                waited or stayed or run.latest_beat >= LATE
            ):  # not the answer's fault: say what it was
                seen.append(
                    f" ({workload}: {run.wall:.2f} s, heartbeat {run.latest_beat:.2f} s late)"
                )
    return correct(
        "all three right, and shown by running them: fetch_prices with asyncio and "
        "read_reports with threads each took 0.2 s, the time of one wait, and "
        "render_charts with processes computed in worker processes, while a heartbeat "
        "beside them never came late" + "".join(seen) + ". Waiting overlaps on the loop, "
        "blocking calls in threads, and computing goes to processes."
    )


def _judge_choice(workload: str, tool: str, run: _Run, outcome: Outcome) -> None:
    """A wrong tool for ``workload``, told by what running it with that tool did: raise it."""
    call = f"{workload} with {tool}"
    if outcome.error is not None or outcome.timed_out:
        raise Wrong("checker_failed", f"running {call} failed: {outcome.error!r}.")
    if tool == RIGHT[workload]:
        return
    ran = f"ran it: {call} took {run.wall:.2f} s"
    if workload == "render_charts":
        fix = "Computing in Python needs processes"
        _judge_place(run, JOB_SECONDS * 4, f"The check ran {call}: it", fix)
        raise Wrong("wrong_tool", f"{call}: computing belongs in processes.")
    if workload == "read_reports" and tool == "asyncio":
        raise Wrong(
            "blocking",
            f"The check {ran}, one report after another, and the heartbeat came "
            f"{seconds(run.latest_beat)} late: read_report blocks, and on the loop it "
            "stops everything. A blocking library call needs threads (asyncio.to_thread).",
        )
    if workload == "read_reports":
        raise Wrong(
            "processes_for_io",
            f"The check {ran}, where threads take 0.2 s: a process pool has one worker "
            "per core, so only 2 reports waited at once, and each call is pickled to "
            "another process. Waiting needs no extra core: threads are cheaper and "
            "can be many.",
        )
    raise Wrong(
        f"{tool}_for_async_io",
        f"The check {ran}, but fetch_price is already async: one event loop waits for "
        f"all five at once, in 0.2 s, with no {tool} at all. Using {tool} means an event "
        "loop per call, for nothing.",
    )


ex3 = Exercise(
    title="Pick the tool",
    answer="choose",
    checker=check_choose,
    # each workload runs in turn, render_charts in a process pool: late on a busy machine
    time_limit=4.0,
    hints=[
        "Ask of each workload: does it wait or compute? And if it waits, does it wait "
        "with `await` (async) or by blocking its thread (a synchronous library)?",
        "Awaiting: plain asyncio. Blocking: threads (asyncio.to_thread). Computing in "
        "Python: processes (the GIL lets one thread compute at a time).",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = ["EXERCISES", "REPORTS", "WORKLOADS", "ex1", "ex2", "ex3", "fetch_price", "read_report"]
