"""Task timelines: the chart, the rules that keep it reproducible, and transparency.

The charts below come from real runs on the real event loop.  They are compared
exactly, like the recorded outputs of the lessons, so every test here is also a check
that the chart does not change when the machine is slow or busy: when every wake-up comes
late by less than half a column, as the chart's rules promise (``record`` says how a run
outside that promise is told apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from asyncio_tutorial.stamps import StampedStream
from asyncio_tutorial.timeline import LEGEND, Row, TimedCoroutine, timeline


async def download(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return name


async def blocker() -> None:
    time.sleep(0.3)  # the mistake on purpose: holds the loop for 0.3 s


async def ticker() -> None:
    for _ in range(4):
        await asyncio.sleep(0.1)


STALL = 0.04
"""A pause of the whole test process this long breaks the chart's promise (its rules allow
50 ms of lateness): a run with one is not a test of the chart, and is run again."""


def record(body: Callable[[], Awaitable[Any]], **options: Any) -> tuple[timeline, str]:
    """Run ``body`` inside a timeline with ``asyncio.run``; return it and what it printed.

    The chart is promised to be the same when every wake-up comes less than half a column
    late.  Beside the other tests on a loaded 2-core machine the whole process is sometimes
    left without a processor for longer: a thread that wakes every 5 ms sees that pause,
    and the run is done again (three tries; the last is returned whatever it saw).
    """
    for _ in range(3):
        out = io.StringIO()
        recorder = timeline(file=out, **options)

        async def main(recorder: timeline) -> None:
            async with recorder:
                await body()

        with stall_watch() as stalls:
            asyncio.run(main(recorder))
        if max(stalls, default=0.0) < STALL:
            break
    return recorder, out.getvalue()


@contextlib.contextmanager
def stall_watch() -> Iterator[list[float]]:
    """How much later than asked a thread sleeping 5 ms at a time woke, each time."""
    stalls: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            time.sleep(0.005)
            stalls.append(time.perf_counter() - before - 0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield stalls
    finally:
        stop.set()
        watcher.join()


def chart(*lines: str) -> str:
    return "\n".join([*lines, LEGEND]) + "\n"


# -- the pictures the lessons show ----------------------------------------------------


def test_two_concurrent_sleeps_overlap() -> None:
    async def body() -> None:
        await asyncio.gather(download("a", 0.3), download("b", 0.5))

    _, printed = record(body)
    assert printed == chart(
        "time (s)     0.0       0.5",
        "main         ──────────",
        "download     ──────",
        "download #2  ──────────",
    )


def test_sequential_tasks_form_a_staircase() -> None:
    async def body() -> None:
        await asyncio.create_task(download("a", 0.3))
        await asyncio.create_task(download("b", 0.5))

    _, printed = record(body)
    assert printed == chart(
        "time (s)     0.0       0.5",
        "main         ────────────────",
        "download     ──────",
        "download #2        ──────────",
    )


def test_blocking_call_holds_the_loop_while_others_stall() -> None:
    async def body() -> None:
        await asyncio.gather(blocker(), ticker())

    _, printed = record(body)
    assert printed == chart(
        "time (s)  0.0       0.5",
        "main      ──────────────",
        "blocker   ██████",
        "ticker    ──────────────",
    )


def test_blocking_call_in_the_block_itself_shows_in_the_main_row() -> None:
    async def body() -> None:
        task = asyncio.create_task(ticker())
        time.sleep(0.3)
        await task

    recorder, printed = record(body)
    assert recorder.bar(recorder.rows[0]) == "██████────────"
    assert recorder.bar(recorder.rows[1]) == "──────────────"


def test_awaiting_a_coroutine_directly_adds_no_row() -> None:
    async def body() -> None:
        await download("a", 0.2)

    recorder, _ = record(body)
    assert [row.name for row in recorder.rows] == ["main"]


def test_nested_tasks_get_their_own_rows_in_creation_order() -> None:
    async def crawl() -> None:
        await asyncio.sleep(0.1)
        async with asyncio.TaskGroup() as group:
            group.create_task(download("a", 0.2))
            group.create_task(download("b", 0.1), name="fetch b")

    async def body() -> None:
        await asyncio.create_task(crawl())

    _, printed = record(body)
    assert printed == chart(
        "time (s)  0.0",
        "main      ──────",
        "crawl     ──────",
        "download    ────",
        "fetch b     ──",
    )


def test_cancelled_task_is_marked_where_the_cancellation_arrived() -> None:
    async def body() -> None:
        task = asyncio.create_task(download("slow", 1.0))
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.sleep(0.2)

    recorder, printed = record(body)
    assert printed == chart(
        "time (s)  0.0",
        "main      ────────",
        "download  ────✗     cancelled",
    )
    assert recorder.rows[1].outcome == "cancelled"


def test_failed_task_is_marked_and_named_by_its_exception() -> None:
    async def fails() -> None:
        await asyncio.sleep(0.1)
        raise ValueError("boom")

    async def body() -> None:
        task = asyncio.create_task(fails())
        await asyncio.sleep(0.3)
        with pytest.raises(ValueError):
            await task

    recorder, printed = record(body)
    assert printed == chart(
        "time (s)  0.0",
        "main      ──────",
        "fails     ──!     raised ValueError",
    )
    assert isinstance(recorder.rows[1].error, ValueError)


def test_task_still_running_when_the_block_ends_says_so() -> None:
    async def body() -> None:
        asyncio.create_task(download("late", 0.3))
        await asyncio.sleep(0.1)

    recorder, printed = record(body)
    assert printed == chart(
        "time (s)  0.0",
        "main      ──",
        "download  ──  still running",
    )
    assert recorder.rows[1].outcome == "pending"


def test_taskgroup_failure_shows_the_error_and_the_cancelled_sibling() -> None:
    async def fails() -> None:
        await asyncio.sleep(0.2)
        raise ValueError("boom")

    out = io.StringIO()

    async def main() -> None:
        async with timeline(file=out):
            async with asyncio.TaskGroup() as group:
                group.create_task(fails())
                group.create_task(download("slow", 1.0))

    with pytest.raises(ExceptionGroup):
        asyncio.run(main())
    assert out.getvalue() == chart(
        "time (s)  0.0",
        "main      ────  raised ExceptionGroup",
        "fails     ────  raised ValueError",
        "download  ────  cancelled",
    )


# -- the rules that keep the chart the same on a slow machine ------------------------


def synthetic(duration: float, *rows: Row) -> timeline:
    """A timeline filled by hand, to pin the rules without waiting for real time."""
    recorder = timeline()
    recorder.rows = [Row("main", 0.0, ended=duration, outcome="done"), *rows]
    recorder.duration = duration
    return recorder


@pytest.mark.parametrize("late", [0.0, 0.01, 0.045])
def test_lateness_under_half_a_column_changes_nothing(late: float) -> None:
    waits = Row("waits", 0.0 + late / 3, ended=0.3 + late, outcome="done")
    waits.steps = [(0.0 + late / 3, 0.0 + late / 3 + 1e-5), (0.3 + late, 0.3 + late + 1e-5)]
    blocks = Row("blocks", 0.0, ended=0.3 + late, outcome="done", steps=[(0.0, 0.3 + late)])
    recorder = synthetic(0.5 + late, waits, blocks)
    assert recorder.columns == 5
    assert recorder.bar(waits) == "──────    "
    assert recorder.bar(blocks) == "██████    "


def test_a_block_ending_a_hair_early_keeps_its_last_column() -> None:
    assert synthetic(0.4999).columns == 5
    assert synthetic(0.0).columns == 1


def test_brief_steps_do_not_count_as_running() -> None:
    busy = Row("busy", 0.0, ended=0.2, outcome="done")
    busy.steps = [(0.01 * i, 0.01 * i + 0.002) for i in range(20)]  # 20 % of the time
    assert synthetic(0.2, busy).bar(busy) == "────"


def test_rows_sharing_a_name_are_numbered_in_creation_order() -> None:
    async def body() -> None:
        await asyncio.gather(
            download("a", 0.1), download("b", 0.1), asyncio.create_task(download("c", 0.1))
        )

    recorder, _ = record(body)
    assert [row.name for row in recorder.rows] == ["main", "download", "download #2", "download #3"]


# -- the code inside behaves exactly as without a timeline ---------------------------


def test_return_values_pass_through() -> None:
    async def main() -> list[str]:
        async with timeline(show=False):
            return await asyncio.gather(download("a", 0.0), download("b", 0.0))

    assert asyncio.run(main()) == ["a", "b"]


def test_exception_passes_through_and_the_chart_is_still_printed() -> None:
    out = io.StringIO()
    error = KeyError("missing")

    async def main() -> None:
        async with timeline(file=out):
            await asyncio.sleep(0.1)
            raise error

    with pytest.raises(KeyError) as caught:
        asyncio.run(main())
    assert caught.value is error
    assert "main      ──  raised KeyError" in out.getvalue()


def test_exception_group_from_taskgroup_passes_through() -> None:
    async def fails(error: Exception) -> None:
        raise error

    errors = [ValueError("one"), TypeError("two")]

    async def main() -> None:
        async with timeline(show=False):
            async with asyncio.TaskGroup() as group:
                for error in errors:
                    group.create_task(fails(error))

    with pytest.raises(ExceptionGroup) as caught:
        asyncio.run(main())
    assert list(caught.value.exceptions) == errors


def test_cancelling_the_block_passes_through() -> None:
    recorder = timeline(show=False)
    cleaned_up = []

    async def inner() -> None:
        try:
            async with recorder:
                await asyncio.sleep(10)
        finally:
            cleaned_up.append(True)

    async def main() -> None:
        task = asyncio.create_task(inner())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()

    asyncio.run(main())
    assert cleaned_up == [True]
    assert recorder.rows[0].outcome == "cancelled"


def test_timeouts_cancel_and_raise_as_usual() -> None:
    async def main() -> None:
        async with timeline(show=False) as recorder:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(download("slow", 1.0), timeout=0.1)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await download("slower", 1.0)
        # wait_for wraps the coroutine in a task up to Python 3.11, not from 3.12 on.
        assert all(row.outcome == "cancelled" for row in recorder.rows[1:])

    asyncio.run(main())


def test_uncaught_task_exception_is_still_reported_by_asyncio() -> None:
    # The timeline must not "retrieve" a task's exception: asyncio's warning
    # "Task exception was never retrieved" is something a lesson shows.
    reported: list[dict[str, Any]] = []

    async def fails() -> None:
        raise ValueError("lost")

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, c: reported.append(c))
        async with timeline(show=False):
            asyncio.create_task(fails())
            await asyncio.sleep(0.05)
        import gc

        gc.collect()

    asyncio.run(main())
    assert [type(c.get("exception")) for c in reported] == [ValueError]


def test_traceback_of_a_failed_task_shows_no_timeline_code() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("boom")

    async def main() -> None:
        async with timeline(show=False):
            await asyncio.create_task(fails())

    with pytest.raises(ValueError) as caught:
        asyncio.run(main())
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert inspect.getsourcefile(TimedCoroutine) not in [frame.filename for frame in frames]
    assert frames[-1].name == "fails"


def test_tasks_keep_their_names_repr_and_coroutine_names() -> None:
    async def main() -> None:
        async with timeline(show=False):
            task = asyncio.create_task(download("a", 0.1))
            named = asyncio.create_task(download("b", 0.1), name="fetch")
            await asyncio.sleep(0)
            assert task.get_name().startswith("Task-")
            assert named.get_name() == "fetch"
            assert "download()" in repr(task)
            assert task.get_coro().__qualname__ == "download"
            assert asyncio.iscoroutine(task.get_coro())
            assert task.get_stack()  # a suspended task still shows where it is
            await asyncio.gather(task, named)

    asyncio.run(main())


def test_tasks_started_outside_the_block_are_not_recorded() -> None:
    async def main() -> None:
        go = asyncio.Event()

        async def outsider() -> None:
            await go.wait()
            await asyncio.create_task(download("outsider's", 0.0))

        started_before = asyncio.create_task(outsider())
        async with timeline(show=False) as recorder:
            go.set()
            await started_before
        assert [row.name for row in recorder.rows] == ["main"]

    asyncio.run(main())


# -- the loop is left as it was ------------------------------------------------------


def test_no_task_factory_is_restored_as_none() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert loop.get_task_factory() is None
        async with timeline(show=False):
            assert loop.get_task_factory() is not None
        assert loop.get_task_factory() is None

    asyncio.run(main())


def test_custom_task_factory_is_used_inside_and_restored_after() -> None:
    created: list[Any] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        async with timeline(show=False) as recorder:
            await asyncio.gather(download("a", 0.0), download("b", 0.0))
        assert loop.get_task_factory() is factory
        assert len(created) == 2
        assert len(recorder.rows) == 3

    asyncio.run(main())


def test_task_factory_is_restored_when_the_block_raises() -> None:
    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(RuntimeError):
            async with timeline(show=False):
                raise RuntimeError("inside")
        assert loop.get_task_factory() is None
        loop.set_task_factory(factory)
        with pytest.raises(RuntimeError):
            async with timeline(show=False):
                await asyncio.create_task(download("a", 0.0))
                raise RuntimeError("inside")
        assert loop.get_task_factory() is factory

    asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_eager_task_factory_keeps_working() -> None:
    async def quick() -> str:
        return "done at once"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
        async with timeline(show=False) as recorder:
            task = asyncio.create_task(quick())
            assert task.done()  # ran eagerly, inside create_task
            assert await asyncio.gather(task, download("a", 0.1)) == ["done at once", "a"]
        assert loop.get_task_factory() is asyncio.eager_task_factory  # type: ignore[attr-defined]
        assert [row.name for row in recorder.rows] == ["main", "quick", "download"]
        assert recorder.rows[1].outcome == "done"

    asyncio.run(main())


# -- printing and drawing ------------------------------------------------------------


def test_chart_is_printed_without_timing_stamps() -> None:
    underlying = io.StringIO()
    stream = StampedStream(underlying)
    stream.start()

    async def main() -> None:
        async with timeline(file=stream):  # type: ignore[arg-type]
            await asyncio.sleep(0.1)

    asyncio.run(main())
    assert underlying.getvalue() == chart("time (s)  0.0", "main      ──")


def test_figure_without_matplotlib_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    recorder = synthetic(0.3)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        recorder.figure()


def test_figure_has_a_bar_row_per_task() -> None:
    pytest.importorskip("matplotlib")
    task = Row("download", 0.0, ended=0.3, outcome="cancelled", steps=[(0.0, 0.1)])
    figure = synthetic(0.5, task).figure()
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels == ["main", "download"]
