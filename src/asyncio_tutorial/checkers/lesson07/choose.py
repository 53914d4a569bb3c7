"""Exercise 3, ``choose``: the right tool for each workload, shown by running it.

The check runs each workload the way the answer chose, beside a heartbeat, and tells
what happened from exact evidence (:mod:`.watching`): how many requests waited at once,
which thread each read ran on, where the CPU time went.  A right choice is right
whatever the machine's load; the run only shows why.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import error_text, expect_plain_function, seconds
from asyncio_tutorial.checkers.lesson07.read_all import Reads, noting_reads, read_report
from asyncio_tutorial.checkers.lesson07.watching import (
    WORKERS,
    Run,
    WatchedPool,
    process_pool,
    with_heartbeat,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency

_fetches = Concurrency()


async def fetch_price(symbol: str) -> float:
    """An async client: waits 0.2 s for the network with the loop, returns a price."""
    async with _fetches.track():
        await asyncio.sleep(0.2)
    return float(len(symbol))


def _fetch_price_in_process(symbol: str) -> float:
    return asyncio.run(fetch_price(symbol))


WORKLOADS = {
    "fetch_prices": "five prices from a web API, with the async client fetch_price (0.2 s each)",
    "read_reports": "four reports with the synchronous library call read_report (0.2 s each)",
    "render_charts": "four charts, each 0.15 s of computing in Python (cpu.crunch)",
}
"""The workloads of exercise 3, and what each does."""

TOOLS = ("asyncio", "threads", "processes")
RIGHT = {"fetch_prices": "asyncio", "read_reports": "threads", "render_charts": "processes"}
SYMBOLS = ["ABC", "DEFG", "HI", "JKLMN", "O"]
ARCHIVES = ["2023", "2024", "2025", "2026"]
"""The reports of the read_reports workload: 0.2 s each."""
CHART_SECONDS = 0.15  # each chart of render_charts is this much computing
CHARTS = 4
_NEAR_MISSES = {
    "async": "asyncio",
    "thread": "threads",
    "threading": "threads",
    "process": "processes",
    "multiprocessing": "processes",
}


async def _run_workload(workload: str, tool: str, pool: WatchedPool) -> Any:
    """Run ``workload`` the way ``tool`` says, as a program would."""
    loop = asyncio.get_running_loop()
    if workload == "fetch_prices":
        if tool == "asyncio":
            return await asyncio.gather(*(fetch_price(s) for s in SYMBOLS))
        if tool == "threads":
            return await asyncio.gather(
                *(asyncio.to_thread(asyncio.run, fetch_price(s)) for s in SYMBOLS)
            )
        return await asyncio.gather(
            *(loop.run_in_executor(pool, _fetch_price_in_process, s) for s in SYMBOLS)
        )
    if workload == "read_reports":
        if tool == "asyncio":
            return [read_report(name) for name in ARCHIVES]  # called on the loop
        if tool == "threads":
            return await asyncio.gather(*(asyncio.to_thread(read_report, n) for n in ARCHIVES))
        return await asyncio.gather(*(loop.run_in_executor(pool, read_report, n) for n in ARCHIVES))
    units = cpu.units_for(CHART_SECONDS)
    if tool == "asyncio":
        return [cpu.crunch(units) for _ in range(CHARTS)]  # on the loop
    if tool == "threads":
        return await asyncio.gather(*(asyncio.to_thread(cpu.crunch, units) for _ in range(CHARTS)))
    return await asyncio.gather(
        *(loop.run_in_executor(pool, cpu.crunch, units) for _ in range(CHARTS))
    )


def check_choose(choose: Any) -> Result:
    """``choose(workload)`` names the right tool for each workload, shown by running it."""
    expect_plain_function(choose)
    try:
        chosen = {workload: choose(workload) for workload in WORKLOADS}
    except NotImplementedError:
        raise  # the stub: the check reports it as not attempted
    except Exception as error:
        raise Wrong("raised", f"choose raised {error_text(error)}.") from error
    for workload, tool in chosen.items():
        _judge_tool_name(workload, tool)
    wrong = [workload for workload, tool in chosen.items() if tool != RIGHT[workload]]
    at_once: dict[str, int] = {}  # how many requests, reads or charts were under way at once
    with process_pool() as pool:
        for workload in sorted(chosen, key=lambda each: each not in wrong):  # wrong ones first
            others = [each for each in wrong if each != workload]
            seen = _run_choice(workload, chosen[workload], pool)
            _judge_choice(workload, chosen[workload], seen, others)
            reads = seen[1]
            at_once[workload] = {
                "fetch_prices": _fetches.peak,
                "read_reports": reads.peak,
                "render_charts": pool.peak,
            }[workload]
    return correct(
        f"all three right, and shown by running them: fetch_prices with asyncio had its "
        f"{at_once['fetch_prices']} requests waiting at once on the event loop's one thread; "
        f"read_reports with threads had {at_once['read_reports']} reads going at once, each "
        "in a thread of its own, none on the loop's thread; render_charts with processes "
        f"handed its {at_once['render_charts']} "
        "charts to the pool's worker processes, and the loop's thread computed none of "
        "them. Waiting overlaps on the loop, blocking calls go to threads, and computing "
        "goes to processes."
    )


def _judge_tool_name(workload: str, tool: Any) -> None:
    """``tool`` is one of the three names, written exactly."""
    if tool in TOOLS:
        return
    returned = f"choose({workload!r}) returned {tool!r}, which is not one of {TOOLS}"
    if not isinstance(tool, str):
        advice = "return the tool's name, as a string"
    elif tool.strip().lower() in TOOLS:
        advice = f"write the name exactly, in lower case: {tool.strip().lower()!r}"
    elif tool.strip().lower() in _NEAR_MISSES:
        advice = f"the name is {_NEAR_MISSES[tool.strip().lower()]!r}"
    else:
        advice = "return the name of the tool that runs this workload best"
    raise Wrong("not_a_tool", f"{returned}: {advice}.")


def _run_choice(workload: str, tool: str, pool: WatchedPool) -> tuple[Run, Reads, Outcome]:
    """Run ``workload`` with ``tool`` beside a heartbeat: what was seen, and how it ended.

    A wrong choice is judged by the choice itself, and the run only shows why, so a run
    stopped at the time limit on a very busy machine still shows what it had done.  A
    right choice must be shown working: its run is tried a second time if the first
    could not finish (the checker's own code, on a machine that busy).
    """
    outcome = Outcome()
    for _ in range(2 if tool == RIGHT[workload] else 1):
        run = Run()
        pool.run = run
        pool.reset()
        _fetches.reset()
        with noting_reads(run) as reads:
            outcome = run_coroutine(
                partial(with_heartbeat, partial(_run_workload, workload, tool, pool), run)
            )
        if outcome.error is None and not outcome.timed_out:
            break
    if outcome.error is not None:
        raise Wrong(
            "checker_failed",
            f"The check runs {workload} with {tool} to show what that does, but its own run "
            f"raised {error_text(outcome.error)}. This is a bug in the "
            "course, not in your answer: please report it.",
        )
    if outcome.timed_out and tool == RIGHT[workload]:
        raise Wrong(
            "checker_failed",
            f"The check runs {workload} with {tool} to show what that does, but its own "
            f"run did not finish within {seconds(outcome.time_limit)}, twice: this machine "
            "is too busy right now to show it. Run the check again in a moment.",
        )
    return run, reads, outcome


def _judge_choice(
    workload: str, tool: str, seen: tuple[Run, Reads, Outcome], others: list[str]
) -> None:
    """A wrong tool for ``workload``: raise it, with what running it that way did."""
    if tool == RIGHT[workload]:
        return
    run, reads, outcome = seen
    call = f"{workload} with {tool}"
    took = (
        f"had not finished after {seconds(outcome.time_limit)} on this busy machine"
        if outcome.timed_out
        else f"took {seconds(run.wall)}"
    )
    ran = f"The check ran {call}: it {took}"
    more = f" (choose is wrong for {' and '.join(others)} too)" if others else ""
    if workload == "render_charts" and tool == "asyncio":
        raise Wrong(
            "cpu_on_loop",
            f"{ran}, computing on the event loop's own thread ({seconds(run.loop_cpu)} of "
            f"CPU time there): a heartbeat beside it came {seconds(run.latest_beat)} late, "
            f"and every other task stood still as long{more}. Computing in Python needs "
            "processes.",
        )
    if workload == "render_charts":
        raise Wrong(
            "threads_for_cpu",
            f"{ran}, computing in threads of this process ({seconds(run.process_cpu)} of CPU "
            "time here, none of it on the loop). Under the GIL only one thread computes at "
            f"a time: no faster than one after another ({seconds(CHART_SECONDS * CHARTS)})"
            f"{more}. Computing in Python needs processes.",
        )
    if workload == "read_reports" and tool == "asyncio":
        raise Wrong(
            "blocking",
            f"{ran}: read_report ran {len(reads.on_the_loop())} times on the event loop's "
            f"own thread, one after another, and a heartbeat beside it came "
            f"{seconds(run.latest_beat)} late. read_report blocks, and on the loop it stops "
            f"everything{more}. A blocking library call needs threads (asyncio.to_thread).",
        )
    if workload == "read_reports":
        raise Wrong(
            "processes_for_io",
            f"{ran}, where threads take {seconds(0.2)}: a process pool has one worker per "
            f"core, so only {WORKERS} reports waited at once, and each call is "
            "pickled to another process. Waiting needs no extra core: threads are cheaper "
            f"and can be many{more}.",
        )
    raise Wrong(
        f"{tool}_for_async_io",
        f"{ran}, but fetch_price is already async: one event loop waits for all five at "
        f"once, in {seconds(0.2)}, with no {tool} at all. Using {tool} means an event loop "
        f"per call, for nothing{more}.",
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
