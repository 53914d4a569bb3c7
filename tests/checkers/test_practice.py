"""Every concept of lessons 04 to 11 is practised: a checked exercise whose worked answer
uses it.

The concepts are those of DESIGN.md's lesson map, one row per lesson; each names the
exercises that practise it and, for each, a piece of code its worked answer must hold
(so that an exercise rewritten without the concept fails this test).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from asyncio_tutorial.checkers.solutions import solution_source

ROOT = Path(__file__).resolve().parents[2]

PRACTICE: dict[str, dict[str, list[tuple[str, str]]]] = {
    "04": {
        "asyncio.Future: set_result, set_exception, callbacks": [
            ("04.1", "add_done_callback"),
            ("04.2", "future.set_exception(error)"),
        ],
        "awaiting a future": [("04.2", "return await future")],
        "a homemade sleep from a future and call_later": [("04.1", "loop.call_later(")],
        "wrapping a callback API": [("04.2", "subscribe(sensor, on_reading, on_error)")],
        "concurrent.futures.Future versus asyncio.Future": [
            ("04.3", "call_soon_threadsafe"),
            ("04.5", "start_lookup(address)"),
        ],
        "wrap_future": [("04.5", "asyncio.wrap_future(")],
        "run_in_executor": [("04.4", "run_in_executor(None,")],
    },
    "05": {
        "why sockets need no threads": [("05.6", "asyncio.start_server(")],
        "streams: a TCP server and many concurrent clients": [
            ("05.1", "asyncio.open_connection("),
            ("05.6", "asyncio.start_server("),
        ],
        "drain and backpressure": [("05.4", "await writer.drain()")],
        "subprocesses": [("05.2", "asyncio.create_subprocess_exec(")],
        "HTTP requests to a local server with bounded concurrency": [
            ("05.3", "asyncio.Semaphore(limit)")
        ],
        "timeouts on I/O": [("05.3", "asyncio.timeout(timeout)")],
        "files are not really async: to_thread": [("05.5", "asyncio.to_thread(")],
    },
    "06": {
        "races across an await": [("06.1", "account.balance = current + amount")],
        "Lock": [("06.1", "async with account.lock")],
        "Semaphore (rate limiting)": [("06.2", "asyncio.Semaphore(limit)")],
        "Event": [("06.4", "asyncio.Event()")],
        "Condition": [("06.5", "asyncio.Condition()")],
        "Barrier": [("06.4", "asyncio.Barrier(")],
        "producer/consumer with Queue": [("06.3", "asyncio.Queue()"), ("06.6", "queue.get()")],
        "maxsize as backpressure": [("06.6", "Queue(maxsize=2)")],
        "Queue.shutdown (3.13+)": [("06.6", "queue.shutdown()")],
    },
    "07": {
        "concurrency and parallelism, defined and shown": [("07.3", '"processes"')],
        "I/O-bound versus CPU-bound": [("07.3", '"asyncio"')],
        "the GIL": [("07.3", "GIL")],
        "to_thread for blocking I/O": [("07.1", "asyncio.to_thread(read_report")],
        "processes for CPU work (run_in_executor with ProcessPoolExecutor)": [
            ("07.2", "run_in_executor(pool, cpu.crunch")
        ],
        "a measured table of speedups": [("07.4", "time.process_time()")],
        "free-threaded builds and InterpreterPoolExecutor": [("07.5", "import math")],
        "past one machine: Dask distributed's asyncio API": [("07.6", "await client.gather(")],
    },
    "08": {
        "exceptions in tasks, 'Task exception was never retrieved'": [("08.5", "asyncio.gather(")],
        "gather(return_exceptions=True)": [("08.5", "return_exceptions=True")],
        "TaskGroup with ExceptionGroup and except*": [("08.1", "except* ConnectionError")],
        "how cancellation travels, cleanup in finally": [("08.3", "finally:")],
        "never swallow CancelledError": [("08.3", "except asyncio.CancelledError:")],
        "timeouts as cancellation": [("08.6", "async with asyncio.timeout(deadline)")],
        "graceful shutdown": [("08.4", "task.cancel()")],
    },
    "09": {
        "async for": [("09.3", "async for item in source")],
        "async generators": [("09.2", "yield item")],
        "async with": [("09.3", "async with contextlib.aclosing(")],
        "contextlib.asynccontextmanager": [("09.4", "@contextlib.asynccontextmanager")],
        "async comprehensions": [("09.5", "async for member in members")],
        "aclosing": [("09.3", "aclosing(source)")],
    },
    "10": {
        "debug mode and slow-callback warnings": [("10.4", "slow_callback_duration")],
        "all_tasks": [("10.1", "asyncio.all_tasks()")],
        "never-awaited and never-retrieved detection": [
            ("10.4", "warnings.catch_warnings(record=True)"),
            ("08.5", "return_exceptions=True"),
        ],
        "testing async code with pytest-asyncio": [("10.2", "async def test_seat_is_booked_once")],
        "IsolatedAsyncioTestCase": [("10.5", "unittest.IsolatedAsyncioTestCase")],
        "deterministic time in tests": [("10.3", "loop.time()")],
        "the python -m asyncio REPL": [("10.6", "create_task(")],
        "task introspection (call graphs, ps and pstree on 3.14+)": [
            ("10.1", "cr_await"),
            ("10.6", "all_tasks()"),
        ],
    },
    "11": {
        "a concurrent crawler against a local server": [("11.3", "await queue.join()")],
        "bounded concurrency": [("11.3", "for _ in range(workers)")],
        "timeouts and retries": [("11.1", "asyncio.timeout(TIMEOUT)")],
        "a progress bar": [("11.4", "bar.update(")],
        "cancellation on Ctrl-C": [("11.3", "task.cancel()")],
        # the same skill as the capstone's summary: a speedup measured against a baseline
        "a summary with the measured speedup": [("07.4", "baseline / took")],
    },
}


def _cases() -> list[tuple[str, str, str, str]]:
    return [
        (lesson, concept, exercise, code)
        for lesson, concepts in PRACTICE.items()
        for concept, practice in concepts.items()
        for exercise, code in practice
    ]


@pytest.mark.parametrize(
    ("lesson", "concept", "exercise", "code"),
    _cases(),
    ids=[f"{lesson}-{concept[:40]}-{exercise}" for lesson, concept, exercise, _ in _cases()],
)
def test_the_concept_is_practised_by_an_exercise_whose_answer_uses_it(
    lesson: str, concept: str, exercise: str, code: str
) -> None:
    number = exercise.split(".")[0]
    module = importlib.import_module(f"asyncio_tutorial.checkers.lesson{number}")
    (found,) = [e for e in module.EXERCISES if e.id == exercise]
    solutions = next((ROOT / "solutions").glob(f"{number}-*.ipynb"))
    assert code in solution_source(solutions, found.answer), f"{concept}: {exercise}"


def test_every_lesson_of_the_map_is_counted() -> None:
    assert sorted(PRACTICE) == [f"{n:02d}" for n in range(4, 12)]
    assert all(practice for concepts in PRACTICE.values() for practice in concepts.values())
