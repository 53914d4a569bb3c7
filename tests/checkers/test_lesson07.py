"""Lesson 07's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.

Lesson 07's checks compute in process pools on both cores: run these tests with one
pytest worker (``-n 1``), and the lesson's mutants with ``-j 1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import multiprocessing
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest
from exercise_tools import says_measured, worked
from wrong_answers import contamination_test, wrong_answer_test

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.lesson07 import (
    WORKLOADS,
    ex1,
    ex2,
    ex3,
    ex4,
    ex5,
    ex6,
    read_report,
    sample,
    watching,
)
from asyncio_tutorial.checkers.lesson07 import choose as choose_module

LESSON = "07-concurrency-vs-parallelism"

# --- exercise 1: read_all ------------------------------------------------------------------


async def read_all_on_the_loop(names: list[str]) -> list[str]:
    return [read_report(name) for name in names]


async def read_all_one_thread_at_a_time(names: list[str]) -> list[str]:
    return [await asyncio.to_thread(read_report, name) for name in names]


async def read_all_forgot_await(names: list[str]) -> list[Any]:
    return [asyncio.to_thread(read_report, name) for name in names]


async def read_all_in_completion_order(names: list[str]) -> list[str]:
    reads = [asyncio.to_thread(read_report, name) for name in names]
    return [await read for read in asyncio.as_completed(reads)]


async def read_all_but_the_last(names: list[str]) -> list[str]:
    return await asyncio.gather(*(asyncio.to_thread(read_report, name) for name in names[:-1]))


async def read_all_made_up(names: list[str]) -> list[str]:
    return [f"report {name}" for name in names]  # never read


async def read_all_sleeps_while_the_threads_read(names: list[str]) -> list[str]:
    tasks = [asyncio.create_task(asyncio.to_thread(read_report, name)) for name in names]
    time.sleep(0.2)  # give the threads time to read
    return await asyncio.gather(*tasks)


async def read_all_joins_its_threads(names: list[str]) -> list[str]:
    texts = [""] * len(names)

    def read(index: int, name: str) -> None:
        texts[index] = read_report(name)

    threads = [threading.Thread(target=read, args=pair) for pair in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return texts


async def read_all_waits_for_the_executors_results(names: list[str]) -> list[str]:
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(read_report, name) for name in names]
        return [future.result() for future in futures]


async def read_all_with_executor_map(names: list[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(read_report, names))


async def read_all_in_one_thread(names: list[str]) -> list[str]:
    return await asyncio.to_thread(lambda: [read_report(name) for name in names])


async def read_all_hands_over_the_result(names: list[str]) -> list[str]:
    return await asyncio.gather(*(asyncio.to_thread(read_report(name)) for name in names))


async def read_all_in_async_wrappers(names: list[str]) -> list[str]:
    async def read(name: str) -> str:
        return read_report(name)

    return await asyncio.gather(*(read(name) for name in names))


async def read_all_gathers_the_plain_calls(names: list[str]) -> list[str]:
    return await asyncio.gather(*(read_report(name) for name in names))  # type: ignore[arg-type]


async def read_all_polls_the_threads(names: list[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = [pool.submit(read_report, name) for name in names]
        while not all(future.done() for future in futures):
            pass
        return [future.result() for future in futures]


async def read_all_gather_not_awaited(names: list[str]) -> Any:
    return asyncio.gather(*(asyncio.to_thread(read_report, name) for name in names))


async def read_all_waits_to_be_safe(names: list[str]) -> list[str]:
    texts = await asyncio.gather(*(asyncio.to_thread(read_report, name) for name in names))
    await asyncio.sleep(0.3)  # to be sure every thread is done
    return texts


async def read_all_asks_for_results_too_soon(names: list[str]) -> list[str]:
    tasks = [asyncio.create_task(asyncio.to_thread(read_report, name)) for name in names]
    return [task.result() for task in tasks]


def test_read_all_with_a_task_group_is_right_too() -> None:
    async def read_all(names: list[str]) -> list[str]:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(asyncio.to_thread(read_report, name)) for name in names]
        return [task.result() for task in tasks]

    result = ex1.evaluate(read_all)
    assert result.status == "correct", result.message


def test_read_all_in_run_in_executor_is_right_too() -> None:
    async def read_all(names: list[str]) -> list[str]:
        loop = asyncio.get_running_loop()
        texts = []
        futures = [loop.run_in_executor(None, read_report, name) for name in names]
        for future in futures:
            texts.append(await future)
        return texts

    result = ex1.evaluate(read_all)
    assert result.status == "correct", result.message


def test_read_all_in_a_thread_pool_of_its_own_is_right_too() -> None:
    async def read_all(names: list[str]) -> list[str]:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(
                await asyncio.gather(*(loop.run_in_executor(pool, read_report, n) for n in names))
            )

    result = ex1.evaluate(read_all)
    assert result.status == "correct", result.message


def test_a_time_sleep_of_the_answers_own_is_named_as_such() -> None:
    # It read every report in a thread: blaming read_report for the sleep would be wrong.
    result = ex1.evaluate(read_all_sleeps_while_the_threads_read)
    assert result.mistake == "blocking"
    assert "time.sleep(0.2)" in result.message
    assert "called read_report on the event loop's own thread" not in result.message


def test_each_blocking_wait_is_named() -> None:
    assert "Thread.join()" in ex1.evaluate(read_all_joins_its_threads).message
    assert "Future.result()" in ex1.evaluate(read_all_waits_for_the_executors_results).message
    assert "Executor.map()" in ex1.evaluate(read_all_with_executor_map).message


def test_read_all_correct_message_states_what_was_measured() -> None:
    message = ex1.evaluate(worked(LESSON)["read_all"]).message
    assert "read the 4 reports in threads" in message
    assert re.search(r"after 0\.\d s", message)


# --- exercise 2: crunch_all ----------------------------------------------------------------


async def crunch_all_on_the_loop(jobs: list[int], pool: Any) -> list[int]:
    return [cpu.crunch(units) for units in jobs]


async def crunch_all_in_threads(jobs: list[int], pool: Any) -> list[int]:
    return list(await asyncio.gather(*(asyncio.to_thread(cpu.crunch, u) for u in jobs)))


async def crunch_all_in_the_default_executor(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    return list(await asyncio.gather(*(loop.run_in_executor(None, cpu.crunch, u) for u in jobs)))


async def crunch_all_one_job_at_a_time(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]


async def crunch_all_returns_futures(jobs: list[int], pool: Any) -> list[Any]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]
    await asyncio.wait(futures)
    return futures


async def crunch_all_with_a_pool_of_its_own(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2) as own:
        return list(await asyncio.gather(*(loop.run_in_executor(own, cpu.crunch, u) for u in jobs)))


async def crunch_all_gather_not_awaited(jobs: list[int], pool: Any) -> Any:
    loop = asyncio.get_running_loop()
    return asyncio.gather(*(loop.run_in_executor(pool, cpu.crunch, units) for units in jobs))


async def crunch_all_waits_for_each_result(jobs: list[int], pool: Any) -> list[int]:
    futures = [pool.submit(cpu.crunch, units) for units in jobs]
    return [future.result() for future in futures]


async def crunch_all_with_pool_map(jobs: list[int], pool: Any) -> list[int]:
    return list(pool.map(cpu.crunch, jobs))


async def crunch_all_polls_the_futures(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]
    while not all(future.done() for future in futures):
        await asyncio.sleep(0)
    return [future.result() for future in futures]


async def crunch_all_waits_in_a_busy_loop(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]
    while not all(future.done() for future in futures):
        pass  # the loop never gets a turn to complete them
    return [future.result() for future in futures]


async def crunch_all_sends_a_lambda(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    return list(
        await asyncio.gather(*(loop.run_in_executor(pool, lambda u=u: cpu.crunch(u)) for u in jobs))
    )


async def crunch_all_hands_over_the_checksum(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, cpu.crunch(units)) for units in jobs]  # type: ignore[arg-type]
    return list(await asyncio.gather(*futures))


async def crunch_all_in_completion_order(jobs: list[int], pool: Any) -> list[int]:
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]
    return [await future for future in asyncio.as_completed(futures)]


def test_computing_on_the_loop_is_told_how_late_the_heartbeat_was() -> None:
    message = ex2.evaluate(crunch_all_on_the_loop).message
    assert "heartbeat" in message and "late" in message and "run_in_executor" in message


def test_no_worker_process_outlives_a_check() -> None:
    before = set(multiprocessing.active_children())
    ex2.evaluate(crunch_all_with_a_pool_of_its_own)
    assert set(multiprocessing.active_children()) <= before


def test_a_pool_of_its_own_that_held_the_loop_a_moment_is_told_to_use_the_pool() -> None:
    # Starting and stopping a pool of its own holds the loop a moment (fork, then the
    # wait in shutdown): over 50 ms when both cores are busy, which made this answer's
    # verdict "busy loop".  The moment, made certain here by 60 ms of computing (past the
    # 50 ms of a busy-loop verdict; far from the half of the jobs' work, 0.25 s, that
    # would be computing on the loop, with the forks' own CPU time):
    async def crunch_all(jobs: list[int], pool: Any) -> list[int]:
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(2) as own:
            futures = [loop.run_in_executor(own, cpu.crunch, units) for units in jobs]
            started = time.perf_counter()
            while time.perf_counter() - started < 0.06:
                pass
            return list(await asyncio.gather(*futures))

    result = ex2.evaluate(crunch_all)
    assert result.mistake == "pool_not_used", result.message


def test_an_answer_that_computes_on_the_loop_and_never_ends_is_a_hang() -> None:
    # It computed on the loop, and then waited for ever: the hang is what the learner
    # must fix first (a verdict of cpu_on_loop would send them to the pool, and leave it).
    async def crunch_all(jobs: list[int], pool: Any) -> list[int]:
        checksums = [cpu.crunch(units) for units in jobs]
        await asyncio.Event().wait()  # waits for a signal nobody sends
        return checksums

    result = ex2.evaluate(crunch_all)
    assert result.mistake == "hang", result.message
    assert "asyncio.Event.wait" in result.message


def test_a_busy_wait_for_the_pool_is_a_hang_that_says_why() -> None:
    result = ex2.evaluate(crunch_all_waits_in_a_busy_loop)
    assert result.mistake == "hang"
    assert "completed by the event loop itself" in result.message


def test_a_pool_that_will_not_shut_down_is_ended_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # As Python 3.11 sometimes does after a job it could not pickle (a lambda): the
    # kernel must not wait for ever.
    stuck = threading.Event()
    monkeypatch.setattr(watching.WatchedPool, "shutdown", lambda self, **options: stuck.wait(30))
    before = set(multiprocessing.active_children())
    started = time.perf_counter()
    with watching.process_pool() as pool:
        assert pool.submit(cpu.crunch, 1).result() == cpu.crunch(1)
    assert time.perf_counter() - started < 2 * watching.SHUTDOWN_GRACE + 3
    assert set(multiprocessing.active_children()) <= before
    stuck.set()
    ProcessPoolExecutor.shutdown(pool, wait=True)  # broken by now: it returns at once


def test_crunch_all_with_partial_and_a_task_group_is_right_too() -> None:
    async def crunch_all(jobs: list[int], pool: Any) -> list[int]:
        loop = asyncio.get_running_loop()

        async def job(units: int) -> int:
            return await loop.run_in_executor(pool, functools.partial(cpu.crunch, units))

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(job(units)) for units in jobs]
        return [task.result() for task in tasks]

    result = ex2.evaluate(crunch_all)
    assert result.status == "correct", result.message


def test_crunch_all_with_wrap_future_is_right_too() -> None:
    async def crunch_all(jobs: list[int], pool: Any) -> list[int]:
        futures = [asyncio.wrap_future(pool.submit(cpu.crunch, units)) for units in jobs]
        return list(await asyncio.gather(*futures))

    result = ex2.evaluate(crunch_all)
    assert result.status == "correct", result.message


def test_crunch_all_awaiting_each_future_after_submitting_all_is_right_too() -> None:
    async def crunch_all(jobs: list[int], pool: Any) -> list[int]:
        loop = asyncio.get_running_loop()
        futures = [loop.run_in_executor(pool, cpu.crunch, units) for units in jobs]
        return [await future for future in futures]

    result = ex2.evaluate(crunch_all)
    assert result.status == "correct", result.message


def test_crunch_all_correct_message_states_what_was_measured() -> None:
    message = ex2.evaluate(worked(LESSON)["crunch_all"]).message
    assert "handed all 4 jobs to the pool at once" in message
    assert "pool's 2 worker processes computed them" in message


# --- exercise 3: choose --------------------------------------------------------------------

RIGHT = {"fetch_prices": "asyncio", "read_reports": "threads", "render_charts": "processes"}


def chooser(name: str, **wrong_choices: str) -> Any:
    """A choose that makes the given wrong choices (and the right ones otherwise)."""
    choices = {**RIGHT, **wrong_choices}

    def choose(workload: str) -> str:
        return choices[workload]

    choose.__name__ = choose.__qualname__ = name
    return choose


choose_blocking_reads_on_the_loop = chooser("reads_on_the_loop", read_reports="asyncio")
choose_processes_for_blocking_reads = chooser("processes_for_reads", read_reports="processes")
choose_threads_for_computing = chooser("threads_for_computing", render_charts="threads")
choose_computing_on_the_loop = chooser("computing_on_the_loop", render_charts="asyncio")
choose_threads_for_an_async_client = chooser("threads_for_async", fetch_prices="threads")
choose_processes_for_an_async_client = chooser("processes_for_async", fetch_prices="processes")
choose_not_a_tool = chooser("thread_not_threads", fetch_prices="thread")
choose_swaps_threads_and_processes = chooser(
    "swaps_threads_and_processes", read_reports="processes", render_charts="threads"
)
choose_processes_for_everything = chooser(
    "processes_for_everything", fetch_prices="processes", read_reports="processes"
)


def choose_capitalised(workload: str) -> str:
    return {"fetch_prices": "Asyncio", "read_reports": "Threads", "render_charts": "Processes"}[
        workload
    ]


def choose_forgets_a_case(workload: str) -> str | None:
    if workload == "fetch_prices":
        return "asyncio"
    if workload == "read_reports":
        return "threads"
    return None


def choose_returns_the_module(workload: str) -> Any:
    return {"fetch_prices": asyncio, "read_reports": "threads", "render_charts": "processes"}[
        workload
    ]


async def choose_async(workload: str) -> str:
    return RIGHT[workload]


def choose_by_keyword(workload: str) -> str:
    return "processes" if "chart" in workload else "threads"  # any waiting: threads


def test_every_workload_is_described() -> None:
    assert set(WORKLOADS) == set(RIGHT)


def test_choose_names_the_other_wrong_choices_too() -> None:
    message = ex3.evaluate(choose_swaps_threads_and_processes).message
    assert "render_charts too" in message


def test_choose_correct_message_reads_the_same_on_every_run() -> None:
    first = ex3.evaluate(worked(LESSON)["choose"])
    second = ex3.evaluate(worked(LESSON)["choose"])
    assert first.status == second.status == "correct", first.message
    assert first.message == second.message
    assert "had its 5 requests waiting at once" in first.message
    assert not re.search(r"\d\.\d\d s|late\)", first.message), first.message


def test_choose_correct_message_is_the_same_when_its_runs_are_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a loaded machine does to the check's own runs: each ends 0.6 s late.
    idle = ex3.evaluate(worked(LESSON)["choose"])
    run_workload = choose_module._run_workload

    async def late(workload: str, tool: str, pool: Any) -> Any:
        value = await run_workload(workload, tool, pool)
        await asyncio.sleep(0.6)
        return value

    monkeypatch.setattr(choose_module, "_run_workload", late)
    loaded = ex3.evaluate(worked(LESSON)["choose"])
    assert (loaded.status, loaded.message) == (idle.status, idle.message)


def test_a_run_of_the_checkers_own_that_times_out_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    async def too_slow(workload: str, tool: str, pool: Any) -> None:
        await asyncio.sleep(10)  # as the checker's own run on a machine far too busy

    monkeypatch.setattr(choose_module, "_run_workload", too_slow)
    monkeypatch.setattr(ex3, "time_limit", 0.3)
    result = ex3.evaluate(worked(LESSON)["choose"])
    assert result.mistake == "checker_failed"
    assert "did not finish within 0.3 s" in result.message and "too busy" in result.message
    assert "None" not in result.message


# --- exercise 4: measure -------------------------------------------------------------------


async def measure_before_awaiting(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    running = work()
    took = time.perf_counter() - wall  # the clock read before the work ran
    workers = await running
    cpu_seconds = time.process_time() - used + workers
    return took, baseline / took, cpu_seconds / took


async def measure_took_by_process_time(work: Any, baseline: float) -> tuple[float, float, float]:
    used = time.process_time()
    workers = await work()
    took = time.process_time() - used  # CPU time, not the wall clock
    cpu_seconds = took + workers
    return took, baseline / took, cpu_seconds / took


async def measure_cpu_by_perf_counter(work: Any, baseline: float) -> tuple[float, float, float]:
    wall = time.perf_counter()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = took + workers  # the wall clock again
    return took, baseline / took, cpu_seconds / took


async def measure_cpu_by_thread_time(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.thread_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.thread_time() - used + workers  # the loop's thread only
    return took, baseline / took, cpu_seconds / took


async def measure_without_the_workers(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used  # worker processes left out
    return took, baseline / took, cpu_seconds / took


async def measure_speedup_upside_down(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return took, took / baseline, cpu_seconds / took


async def measure_cores_upside_down(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return took, baseline / took, took / cpu_seconds


async def measure_warms_up_first(work: Any, baseline: float) -> tuple[float, float, float]:
    await work()  # a first run, to warm up
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return took, baseline / took, cpu_seconds / took


async def measure_forgot_await(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return took, baseline / took, cpu_seconds / took


async def measure_speedup_by_cpu_time(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return took, baseline / max(cpu_seconds, 1e-6), cpu_seconds / took


async def measure_in_milliseconds(work: Any, baseline: float) -> tuple[float, float, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = (time.perf_counter() - wall) * 1000
    cpu_seconds = (time.process_time() - used + workers) * 1000
    return took, baseline * 1000 / took, cpu_seconds / took


async def measure_returns_a_dict(work: Any, baseline: float) -> dict[str, float]:
    wall, used = time.perf_counter(), time.process_time()
    workers = await work()
    took = time.perf_counter() - wall
    cpu_seconds = time.process_time() - used + workers
    return {"took": took, "speedup": baseline / took, "cores_busy": cpu_seconds / took}


def measure_not_async(work: Any, baseline: float) -> tuple[float, float, float]:
    wall = time.perf_counter()
    work()
    took = time.perf_counter() - wall
    return took, baseline / took, 0.0


def test_measure_with_other_clocks_and_a_list_is_right_too() -> None:
    async def measure(work: Any, baseline: float) -> list[float]:
        running = work()  # made before the clocks start: it runs when awaited
        start, cpu_start = time.monotonic(), time.process_time()
        workers = await running
        took = time.monotonic() - start
        cores = (time.process_time() - cpu_start + workers) / took
        return [round(took, 3), round(baseline / took, 3), round(cores, 3)]

    result = ex4.evaluate(measure)
    assert result.status == "correct", result.message


def test_measure_correct_message_states_what_was_measured() -> None:
    message = ex4.evaluate(worked(LESSON)["measure"]).message
    assert says_measured(message, "4 waits of 0.2 s at once took {0.2} s"), message
    assert "kept one core busy at most, as the GIL allows" in message
    assert "cores busy" not in message  # a figure that differs from run to run


# --- exercise 5: primes_between ------------------------------------------------------------

SMALLEST_PRIME = 2


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def primes_between_with_the_notebooks_math(start: int, stop: int) -> list[int]:
    return [
        n for n in range(max(start, 2), stop) if all(n % d for d in range(2, math.isqrt(n) + 1))
    ]


def primes_between_with_a_helper_outside(start: int, stop: int) -> list[int]:
    return [n for n in range(start, stop) if is_prime(n)]


def primes_between_with_a_global_constant(start: int, stop: int) -> list[int]:
    import math

    low = max(start, SMALLEST_PRIME)
    return [n for n in range(low, stop) if all(n % d for d in range(2, math.isqrt(n) + 1))]


def _make_primes_between(first: int) -> Any:
    def primes_between(start: int, stop: int) -> list[int]:
        import math

        low = max(start, first)  # from the enclosing function: a closure
        return [n for n in range(low, stop) if all(n % d for d in range(2, math.isqrt(n) + 1))]

    return primes_between


primes_between_closure = _make_primes_between(2)


def primes_between_with_a_default(start: int, stop: int, isqrt: Any = math.isqrt) -> list[int]:
    return [n for n in range(max(start, 2), stop) if all(n % d for d in range(2, isqrt(n) + 1))]


def primes_between_generator(start: int, stop: int) -> Any:
    import math

    return (
        n for n in range(max(start, 2), stop) if all(n % d for d in range(2, math.isqrt(n) + 1))
    )


def primes_between_filter(start: int, stop: int) -> Any:
    import math

    def prime(n: int) -> bool:
        return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))

    return filter(prime, range(start, stop))


def primes_between_with_numpy(start: int, stop: int) -> list[int]:
    import numpy as np

    numbers = np.arange(max(start, 2), stop)
    return [int(n) for n in numbers if all(n % d for d in range(2, int(n**0.5) + 1))]


def primes_between_stop_included(start: int, stop: int) -> list[int]:
    import math

    return [
        n for n in range(max(start, 2), stop + 1) if all(n % d for d in range(2, math.isqrt(n) + 1))
    ]


def primes_between_with_0_and_1(start: int, stop: int) -> list[int]:
    import math

    return [n for n in range(start, stop) if all(n % d for d in range(2, math.isqrt(n) + 1))]


async def primes_between_async(start: int, stop: int) -> list[int]:
    import math

    return [
        n for n in range(max(start, 2), stop) if all(n % d for d in range(2, math.isqrt(n) + 1))
    ]


def primes_between_set(start: int, stop: int) -> set[int]:
    import math

    return {
        n for n in range(max(start, 2), stop) if all(n % d for d in range(2, math.isqrt(n) + 1))
    }


def primes_between_recursive(start: int, stop: int) -> list[int]:
    import math

    if start >= stop:
        return []
    rest = primes_between_recursive(start + 1, stop)  # calls itself by its global name
    prime = start >= 2 and all(start % d for d in range(2, math.isqrt(start) + 1))
    return [start, *rest] if prime else rest


primes_between_partial = functools.partial(primes_between_stop_included)


def test_primes_between_with_a_nested_helper_and_a_loop_is_right_too() -> None:
    def primes_between(start: int, stop: int) -> list[int]:
        from math import isqrt

        def prime(n: int) -> bool:
            return n > 1 and all(n % d for d in range(2, isqrt(n) + 1))

        found = []
        for n in range(start, stop):
            if prime(n):
                found.append(n)
        return found

    result = ex5.evaluate(primes_between)
    assert result.status == "correct", result.message


def test_primes_between_verdict_is_read_from_the_code() -> None:
    result = ex5.evaluate(primes_between_with_the_notebooks_math)
    assert "`import math` inside primes_between" in result.message


# --- exercise 6: total ---------------------------------------------------------------------


async def total_calls_result(client: Any, sizes: list[int]) -> int:
    futures = client.map(sample, sizes, pure=False)
    return sum(future.result() for future in futures)


async def total_gather_not_awaited(client: Any, sizes: list[int]) -> int:
    futures = client.map(sample, sizes, pure=False)
    return sum(client.gather(futures))


async def total_one_at_a_time(client: Any, sizes: list[int]) -> int:
    hits = 0
    for size in sizes:
        hits += await client.submit(sample, size, pure=False)
    return hits


async def total_pure_by_default(client: Any, sizes: list[int]) -> int:
    futures = client.map(sample, sizes)
    return sum(await client.gather(futures))


async def total_submits_pure_calls(client: Any, sizes: list[int]) -> int:
    futures = [client.submit(sample, size) for size in sizes]
    return sum(await client.gather(futures))


async def total_computed_here(client: Any, sizes: list[int]) -> int:
    return sum(sample(size) for size in sizes)


async def total_in_threads_here(client: Any, sizes: list[int]) -> int:
    return sum(await asyncio.gather(*(asyncio.to_thread(sample, size) for size in sizes)))


async def total_returns_every_count(client: Any, sizes: list[int]) -> list[int]:
    futures = client.map(sample, sizes, pure=False)
    return await client.gather(futures)


async def total_each_size_once(client: Any, sizes: list[int]) -> int:
    futures = client.map(sample, sorted(set(sizes)), pure=False)
    return sum(await client.gather(futures))


async def total_returns_the_futures(client: Any, sizes: list[int]) -> Any:
    return client.map(sample, sizes, pure=False)


async def total_counts_the_futures(client: Any, sizes: list[int]) -> int:
    futures = client.map(sample, sizes, pure=False)
    await client.gather(futures)
    return sum(sizes)  # the points thrown, not the hits


def total_not_async(client: Any, sizes: list[int]) -> Any:
    return client.gather(client.map(sample, sizes, pure=False))


def test_total_with_submit_and_asyncio_gather_is_right_too() -> None:
    async def total(client: Any, sizes: list[int]) -> int:
        futures = [client.submit(sample, size, pure=False) for size in sizes]
        return sum(await asyncio.gather(*futures))

    result = ex6.evaluate(total)
    assert result.status == "correct", result.message


def test_total_with_as_completed_is_right_too() -> None:
    async def total(client: Any, sizes: list[int]) -> int:
        from distributed import as_completed

        hits = 0
        futures = client.map(sample, sizes, pure=False)
        async for _, count in as_completed(futures, with_results=True):
            hits += count
        return hits

    result = ex6.evaluate(total)
    assert result.status == "correct", result.message


def test_total_that_hangs_is_stopped_and_the_cluster_closed() -> None:
    async def total(client: Any, sizes: list[int]) -> int:
        await asyncio.Event().wait()
        return 0

    before = {thread.name for thread in threading.enumerate()}
    result = ex6.evaluate(total)
    assert result.mistake == "hang", result.message
    left = {thread.name for thread in threading.enumerate()} - before
    assert not [name for name in left if "Dask" in name and "Offload" not in name], left


# --- on a loaded machine -------------------------------------------------------------------


@contextlib.contextmanager
def both_cores_busy() -> Iterator[None]:
    """Two processes that spin for the duration of the block (killed by their ids)."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.2)
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_verdicts_hold_with_both_cores_busy() -> None:
    with both_cores_busy():
        assert ex1.evaluate(read_all_polls_the_threads).mistake == "polling"
        assert ex1.evaluate(read_all_joins_its_threads).mistake == "blocked_waiting"
        assert ex2.evaluate(crunch_all_on_the_loop).mistake == "cpu_on_loop"
        assert ex2.evaluate(crunch_all_polls_the_futures).mistake == "polling"
        assert ex2.evaluate(crunch_all_waits_for_each_result).mistake == "blocked_waiting"
        assert ex4.evaluate(measure_without_the_workers).mistake == "workers_cpu_missing"
        assert ex4.evaluate(measure_cpu_by_thread_time).mistake == "threads_cpu_missing"
        assert ex6.evaluate(total_one_at_a_time).mistake == "one_at_a_time"
        for exercise in (ex1, ex2, ex3, ex4, ex5, ex6):
            result = exercise.evaluate(worked(LESSON)[exercise.answer])
            assert result.status == "correct", result.message


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (read_all_on_the_loop, "blocking"),
        (read_all_one_thread_at_a_time, "sequential"),
        (read_all_forgot_await, "forgot_await"),
        (read_all_in_completion_order, "completion_order"),
        (read_all_but_the_last, "wrong_value"),
        (read_all_made_up, "never_read"),
        (read_all_sleeps_while_the_threads_read, "blocking"),
        (read_all_joins_its_threads, "blocked_waiting"),
        (read_all_waits_for_the_executors_results, "blocked_waiting"),
        (read_all_with_executor_map, "blocked_waiting"),
        (read_all_in_one_thread, "sequential"),
        (read_all_hands_over_the_result, "called_instead_of_passed"),
        (read_all_in_async_wrappers, "blocking"),
        (read_all_gathers_the_plain_calls, "blocking"),
        (read_all_polls_the_threads, "polling"),
        (read_all_asks_for_results_too_soon, "forgot_await"),
        (read_all_gather_not_awaited, "forgot_await"),
        (read_all_waits_to_be_safe, "too_slow"),
    ],
    ex2: [
        (crunch_all_on_the_loop, "cpu_on_loop"),
        (crunch_all_in_threads, "threads_for_cpu"),
        (crunch_all_in_the_default_executor, "threads_for_cpu"),
        (crunch_all_one_job_at_a_time, "one_at_a_time"),
        (crunch_all_returns_futures, "returned_future"),
        (crunch_all_with_a_pool_of_its_own, "pool_not_used"),
        (crunch_all_gather_not_awaited, "forgot_await"),
        (crunch_all_waits_for_each_result, "blocked_waiting"),
        (crunch_all_with_pool_map, "blocked_waiting"),
        (crunch_all_polls_the_futures, "polling"),
        (crunch_all_waits_in_a_busy_loop, "hang"),
        (crunch_all_sends_a_lambda, "not_picklable"),
        (crunch_all_hands_over_the_checksum, "called_instead_of_passed"),
        (crunch_all_in_completion_order, "completion_order"),
    ],
    ex3: [
        (choose_blocking_reads_on_the_loop, "blocking"),
        (choose_processes_for_blocking_reads, "processes_for_io"),
        (choose_threads_for_computing, "threads_for_cpu"),
        (choose_computing_on_the_loop, "cpu_on_loop"),
        (choose_threads_for_an_async_client, "threads_for_async_io"),
        (choose_processes_for_an_async_client, "processes_for_async_io"),
        (choose_not_a_tool, "not_a_tool"),
        (choose_swaps_threads_and_processes, "processes_for_io"),
        (choose_processes_for_everything, "processes_for_async_io"),
        (choose_capitalised, "not_a_tool"),
        (choose_forgets_a_case, "not_a_tool"),
        (choose_returns_the_module, "not_a_tool"),
        (choose_async, "not_plain"),
        (choose_by_keyword, "threads_for_async_io"),
    ],
    ex4: [
        (measure_before_awaiting, "measured_before_awaiting"),
        (measure_took_by_process_time, "cpu_clock_for_took"),
        (measure_cpu_by_perf_counter, "wall_clock_for_cpu"),
        (measure_cpu_by_thread_time, "threads_cpu_missing"),
        (measure_without_the_workers, "workers_cpu_missing"),
        (measure_speedup_upside_down, "speedup_upside_down"),
        (measure_cores_upside_down, "divided_the_wrong_way"),
        (measure_warms_up_first, "ran_twice"),
        (measure_forgot_await, "forgot_await"),
        (measure_speedup_by_cpu_time, "wrong_speedup"),
        (measure_in_milliseconds, "wrong_took"),
        (measure_returns_a_dict, "wrong_shape"),
        (measure_not_async, "not_async"),
    ],
    ex5: [
        (primes_between_with_the_notebooks_math, "imported_outside"),
        (primes_between_with_a_helper_outside, "helper_outside"),
        (primes_between_with_a_global_constant, "uses_a_global"),
        (primes_between_closure, "closure"),
        (primes_between_with_a_default, "default_values"),
        (primes_between_generator, "not_a_list"),
        (primes_between_filter, "not_a_list"),
        (primes_between_with_numpy, "third_party_import"),
        (primes_between_stop_included, "wrong_value"),
        (primes_between_with_0_and_1, "wrong_value"),
        (primes_between_async, "not_plain"),
        (primes_between_set, "not_a_list"),
        (primes_between_recursive, "uses_a_global"),
        (primes_between_partial, "not_a_function"),
    ],
    ex6: [
        (total_calls_result, "forgot_await"),
        (total_gather_not_awaited, "forgot_await"),
        (total_one_at_a_time, "one_at_a_time"),
        (total_pure_by_default, "pure_dedup"),
        (total_submits_pure_calls, "pure_dedup"),
        (total_computed_here, "computed_locally"),
        (total_in_threads_here, "computed_locally"),
        (total_returns_every_count, "wrong_value"),
        (total_each_size_once, "wrong_samples"),
        (total_returns_the_futures, "returned_future"),
        (total_counts_the_futures, "wrong_value"),
        (total_not_async, "not_async"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
