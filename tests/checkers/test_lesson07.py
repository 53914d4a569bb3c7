"""Lesson 07's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.lesson07 import WORKLOADS, ex1, ex2, ex3, read_report

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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (read_all_on_the_loop, "blocking"),
        (read_all_one_thread_at_a_time, "sequential"),
        (read_all_forgot_await, "forgot_await"),
        (read_all_in_completion_order, "completion_order"),
        (read_all_but_the_last, "wrong_value"),
        (read_all_made_up, "too_fast"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_read_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex1.evaluate(answer).mistake == mistake


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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (crunch_all_on_the_loop, "cpu_on_loop"),
        (crunch_all_in_threads, "threads_for_cpu"),
        (crunch_all_in_the_default_executor, "threads_for_cpu"),
        (crunch_all_one_job_at_a_time, "one_at_a_time"),
        (crunch_all_returns_futures, "returned_future"),
        (crunch_all_with_a_pool_of_its_own, "pool_not_used"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_crunch_all_mistakes(answer: Any, mistake: str) -> None:
    assert ex2.evaluate(answer).mistake == mistake


def test_computing_on_the_loop_is_told_how_late_the_heartbeat_was() -> None:
    message = ex2.evaluate(crunch_all_on_the_loop).message
    assert "heartbeat" in message and "late" in message and "run_in_executor" in message


def test_no_worker_process_outlives_a_check() -> None:
    before = set(multiprocessing.active_children())
    ex2.evaluate(crunch_all_with_a_pool_of_its_own)
    assert set(multiprocessing.active_children()) <= before


# --- exercise 3: choose --------------------------------------------------------------------

RIGHT = {"fetch_prices": "asyncio", "read_reports": "threads", "render_charts": "processes"}


def chooser(**wrong_choices: str) -> Any:
    choices = {**RIGHT, **wrong_choices}

    def choose(workload: str) -> str:
        return choices[workload]

    return choose


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (chooser(read_reports="asyncio"), "blocking"),
        (chooser(read_reports="processes"), "processes_for_io"),
        (chooser(render_charts="threads"), "threads_for_cpu"),
        (chooser(render_charts="asyncio"), "cpu_on_loop"),
        (chooser(fetch_prices="threads"), "threads_for_async_io"),
        (chooser(fetch_prices="processes"), "processes_for_async_io"),
        (chooser(fetch_prices="thread"), "not_a_tool"),
    ],
    ids=[
        "blocking_reads_on_the_loop",
        "processes_for_blocking_reads",
        "threads_for_computing",
        "computing_on_the_loop",
        "threads_for_an_async_client",
        "processes_for_an_async_client",
        "not_a_tool",
    ],
)
def test_choose_mistakes(answer: Any, mistake: str) -> None:
    assert ex3.evaluate(answer).mistake == mistake


def test_every_workload_is_described() -> None:
    assert set(WORKLOADS) == set(RIGHT)
