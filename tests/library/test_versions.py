"""The table of releases (``asyncio_tutorial.versions``) against the running Python.

Lessons say what each Python does from this table, and the recorded outputs come from
one Python (3.15): these tests try each feature for real, so ``make pythons`` checks every
row on 3.11, 3.12, 3.13.0, the newest 3.13, 3.14 and 3.15.  Lessons leave the checking
here, out of the learner's way: a lesson's cell whose output depends on the Python (a
``versions.report(...)``, or a ``%%standalone --allow-failure`` program) is allowed only
when every feature it reports, or the program itself, is tried here (a hygiene test
holds the lessons to that).  The programs are read from the lessons, not copied.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from asyncio_tutorial import standalone, versions

LESSONS = Path(__file__).resolve().parents[2] / "notebooks"

EAGER_ORDER = ["job: first step", "create_task returned", "job: after its pause"]
DEFAULT_ORDER = ["create_task returned", "job: first step", "job: after its pause"]


async def job(log: list[str]) -> None:
    log.append("job: first step")
    await asyncio.sleep(0)  # a pause: the loop gets a turn
    log.append("job: after its pause")


async def order_of_events(create_task: Callable[..., Any], **options: Any) -> list[str] | None:
    """The order of events around ``create_task``, or None when it refuses ``options``."""
    log: list[str] = []
    coro = job(log)
    try:
        task = create_task(coro, **options)
    except TypeError:  # "got an unexpected keyword argument 'eager_start'"
        coro.close()
        return None
    log.append("create_task returned")
    await task
    return log


async def cached_value() -> int:
    return 42


def test_the_default_order_is_the_same_everywhere() -> None:
    assert asyncio.run(order_of_events(asyncio.create_task)) == DEFAULT_ORDER


def test_the_eager_task_factory() -> None:
    factory = getattr(asyncio, "eager_task_factory", None)
    assert (factory is not None) == versions.has("eager_task_factory")
    if factory is None:
        return

    async def main() -> tuple[list[str] | None, bool]:
        asyncio.get_running_loop().set_task_factory(factory)
        order = await order_of_events(asyncio.create_task)
        quick = asyncio.create_task(cached_value())
        return order, quick.done()

    assert asyncio.run(main()) == (EAGER_ORDER, True)


@pytest.mark.parametrize("key", ["loop.create_task eager_start", "asyncio.create_task eager_start"])
def test_eager_start(key: str) -> None:
    async def main() -> list[str] | None:
        if key.startswith("loop."):
            return await order_of_events(asyncio.get_running_loop().create_task, eager_start=True)
        return await order_of_events(asyncio.create_task, eager_start=True)

    assert asyncio.run(main()) == (EAGER_ORDER if versions.has(key) else None)


def test_eager_start_goes_to_a_custom_task_factory_from_3_13_3() -> None:
    """Lesson 03 §10: a factory without ``**kwargs`` fails, one that drops them is not eager."""

    def strict(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop)

    def dropping(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop)

    def passing(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def with_factory(factory: Any) -> list[str] | None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        try:
            return await order_of_events(loop.create_task, eager_start=True)
        finally:
            loop.set_task_factory(None)

    async def refusal() -> str:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(strict)
        coro = cached_value()
        try:
            loop.create_task(coro, eager_start=True)
        except TypeError as error:
            return str(error)
        finally:
            coro.close()
            loop.set_task_factory(None)
        return "accepted"

    found = {f.__name__: asyncio.run(with_factory(f)) for f in (strict, dropping, passing)}
    if not versions.has("loop.create_task eager_start"):
        # loop.create_task itself refuses the keyword, whatever the factory.
        assert found == {"strict": None, "dropping": None, "passing": None}
        return
    assert found["strict"] is None  # refused with TypeError, by the factory itself:
    assert asyncio.run(refusal()).startswith(f"{strict.__qualname__}() got an unexpected")
    assert found["dropping"] == DEFAULT_ORDER  # an ordinary task: not eager
    assert found["passing"] == EAGER_ORDER


def test_as_completed_with_async_for() -> None:
    async def main() -> bool:
        tasks = [asyncio.create_task(cached_value()) for _ in range(2)]
        try:
            finished = [task async for task in asyncio.as_completed(tasks)]  # type: ignore[attr-defined]
        except TypeError:  # before 3.13, as_completed is a plain iterator only
            await asyncio.gather(*tasks)
            return False
        return set(finished) == set(tasks)

    assert asyncio.run(main()) == versions.has("as_completed async for")


def test_task_group_cancel() -> None:
    """Lessons 03 §5 and 08 §8: ``tg.cancel()`` ends the group early, with no error."""
    assert hasattr(asyncio.TaskGroup, "cancel") == versions.has("TaskGroup.cancel")
    if not versions.has("TaskGroup.cancel"):
        return

    async def main() -> tuple[list[str], bool]:
        done: list[str] = []

        async def sleeper(seconds: float) -> None:
            await asyncio.sleep(seconds)
            done.append(f"{seconds}")

        async with asyncio.TaskGroup() as tg:  # no exception comes out of the block
            slow = tg.create_task(sleeper(10))
            tg.create_task(sleeper(0))
            await asyncio.sleep(0.01)
            tg.cancel()  # type: ignore[attr-defined]
        return done, slow.cancelled()

    assert asyncio.run(main()) == (["0"], True)


def test_awaiting_a_thread_future_is_refused_in_the_tables_words() -> None:
    """Lesson 04 §6: the TypeError's wording changed in 3.14."""

    async def main() -> str:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            threaded = pool.submit(sum, [1, 2])
            try:
                await threaded  # type: ignore[misc]
            except TypeError as error:
                return str(error)
        return "accepted"

    if versions.has("not awaitable wording"):
        assert asyncio.run(main()) == "'Future' object can't be awaited"
    else:
        assert asyncio.run(main()) == "object Future can't be used in 'await' expression"


def test_server_closing_with_a_client_still_connected() -> None:
    """Lesson 05 §2: ``wait_closed()`` waits for connections (3.12+); ``close_clients()``
    (3.13+) ends them from the server's side."""

    async def main() -> tuple[bool, bool, bool]:
        writers: list[asyncio.StreamWriter] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            await reader.read()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.1)
        server.close()
        closing = asyncio.create_task(server.wait_closed())
        await asyncio.sleep(0.2)
        waited = not closing.done()
        has_close_clients = hasattr(server, "close_clients")
        if has_close_clients:
            server.close_clients()  # type: ignore[attr-defined]
        else:
            for each in writers:
                each.close()
        await asyncio.wait_for(closing, 5)
        hung_up = await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        return waited, has_close_clients, hung_up

    waited, has_close_clients, hung_up = asyncio.run(main())
    assert waited == versions.has("Server.wait_closed waits for connections")
    assert has_close_clients == versions.has("Server.close_clients")
    assert hung_up


def test_queue_shutdown() -> None:
    """Lesson 06 §6: after ``shutdown()``, ``get()`` raises once the queue is empty."""
    assert hasattr(asyncio.Queue, "shutdown") == versions.has("Queue.shutdown")
    if not versions.has("Queue.shutdown"):
        return

    async def main() -> list[object]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        queue.put_nowait(1)
        queue.shutdown()  # type: ignore[attr-defined]
        got: list[object] = [await queue.get()]
        try:
            await queue.get()
        except asyncio.QueueShutDown:  # type: ignore[attr-defined]
            got.append("QueueShutDown")
        return got

    assert asyncio.run(main()) == [1, "QueueShutDown"]


@pytest.mark.skipif(sys.platform != "linux", reason="the table's row is about Linux")
def test_the_default_start_method() -> None:
    """Lesson 07 §5: the default start method on Linux, and the notebook function trap."""
    method = multiprocessing.get_start_method()
    assert method == ("forkserver" if versions.has("forkserver default") else "fork")


def test_interpreter_pool_executor() -> None:
    """Lesson 07 §7: an InterpreterPoolExecutor where the table says the Python has one."""
    has_it = hasattr(concurrent.futures, "InterpreterPoolExecutor")
    assert has_it == versions.has("InterpreterPoolExecutor")
    if has_it:
        with concurrent.futures.InterpreterPoolExecutor(1) as pool:  # type: ignore[attr-defined]
            assert pool.submit(pow, 2, 10).result(timeout=30) == 1024


def test_call_graphs() -> None:
    """Lesson 10 §3: ``asyncio.capture_call_graph`` and its friends."""
    names = ("capture_call_graph", "format_call_graph", "print_call_graph")
    assert all(hasattr(asyncio, name) for name in names) == versions.has("asyncio call graph")


# --- the lessons' own programs, allowed to fail where the Python lacks a feature --------


def lesson_program(lesson: str, filename: str) -> tuple[str, str]:
    """The ``%%standalone`` cell of ``lesson`` that writes ``filename``: (line, program)."""
    notebook = nbformat.read(LESSONS / f"{lesson}.ipynb", as_version=4)
    for cell in notebook.cells:
        first, _, program = cell.source.partition("\n")
        if cell.cell_type == "code" and first.startswith("%%standalone") and filename in first:
            return first.removeprefix("%%standalone").strip(), program
    raise LookupError(f"{lesson} has no %%standalone program {filename}")


def run_lesson_program(lesson: str, filename: str, tmp_path: Path) -> standalone.ProgramRun:
    line, program = lesson_program(lesson, filename)
    assert standalone.ALLOW_FAILURE in line.split()
    return standalone.run_cell(line, program, cwd=tmp_path)


def test_seed_loop_py(tmp_path: Path) -> None:
    """Lesson 02 §3: the seed's get_event_loop() style, row by row of the lesson's table."""
    seed = run_lesson_program("02-event-loop", "seed_loop.py", tmp_path)
    if versions.has("get_event_loop raises"):
        assert seed.status == 1 and seed.stdout == ""
        assert "RuntimeError: There is no current event loop" in seed.stderr
        return
    should_warn = versions.has("get_event_loop warns") or not versions.has("get_event_loop silent")
    warned = "DeprecationWarning: There is no current event loop" in seed.stderr
    assert seed.status == 0 and seed.printed == ["Hello", "World"]
    assert re.fullmatch(r"\[0\.0s\] Hello\n\[1\.[01]s\] World\n", seed.stdout), seed.stdout
    assert warned == should_warn, seed.stderr


def test_eager_order_py(tmp_path: Path) -> None:
    """Lesson 03 §10: the eager factory's order, or the error where there is none."""
    run = run_lesson_program("03-tasks", "eager_order.py", tmp_path)
    if versions.has("eager_task_factory"):
        assert run.status == 0 and run.printed == [
            "['job: first step', 'create_task returned', 'job: after its pause']",
            "a task that never pauses is done when create_task returns: True",
        ]
    else:
        assert run.status == 1 and "has no attribute 'eager_task_factory'" in run.stderr


def test_inspect_me_py(tmp_path: Path) -> None:
    """Lesson 10 §3: a call graph, then ``python -m asyncio ps`` and ``pstree`` on itself."""
    run = run_lesson_program("10-debugging-and-testing", "inspect_me.py", tmp_path)
    if versions.has("asyncio ps"):
        assert "* Task(name='worker-1'" in run.stdout
        assert "capture_call_graph agrees with await_chain: True" in run.stdout
        listed = "Queue.get -> fetch -> worker" in run.stdout and "(T) worker-2" in run.stdout
        refused = "insufficient permissions" in run.stdout + run.stderr  # the lesson says why
        assert listed or refused, run.stdout + run.stderr
    else:  # no call graph, and both commands started the REPL, which read nothing and quit
        assert "capture_call_graph" not in run.stdout
        assert run.stderr.count("exiting asyncio REPL") == 2, run.stderr
