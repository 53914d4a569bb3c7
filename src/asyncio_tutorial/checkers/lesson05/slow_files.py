"""Lesson 05, exercise 5: files are not really asynchronous (``asyncio.to_thread``).

The check gives ``read_files`` three files that are slow for real: named pipes (FIFOs,
``os.mkfifo``, on Linux and macOS alike) in a temporary folder, each fed by a writer
thread of the check's (:class:`_Feeder`) that writes its lines 0.1 s apart once the
file is opened, then closes it.  ``read()`` on such a file blocks, inside the operating
system, until the last line has come: 0.6, 0.5 and 0.4 s after the open for the first,
second and third file, the slow disk or network drive of the lesson, made certain.  The
first file ends last, so reads kept in the order they finished (``as_completed``) come
back in the reverse order, 0.1 s apart, whatever the machine's load.

What is judged is what happened, not a clock:

* whether the loop stayed free: a ticker task on the answer's loop ticks every 10 ms,
  and each time a writer writes a line (0.1 s after the one before) it looks whether the
  ticker has ticked since, and what the loop's thread is doing at that moment
  (:func:`~asyncio_tutorial.checkers.held.activity`).  A loop blocked in ``read()`` has
  not ticked once and is found inside the answer's code, never asleep in ``select()``;
* how many files were being read at once: a writer counts its file from its open to
  its close (:class:`~asyncio_tutorial.checkers.scenario.Concurrency`);
* how many calls the answer handed to a thread (``loop.run_in_executor``, which
  ``asyncio.to_thread`` uses), and what came back.

Whatever the answer did, every writer is released and the pipes removed before the
check ends, so no thread of the answer's or the check's waits on them afterwards.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    took,
)
from asyncio_tutorial.checkers.held import FREE, activity
from asyncio_tutorial.checkers.runner import Outcome, _asked_by_the_answer, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, names_used, returned_future

LINES = [6, 5, 4]  # the first file is the longest: it ends last
FILES = len(LINES)
LINE_PAUSE = 0.1  # seconds between two lines of a file
TEXTS = [
    "".join(f"notes {n}, line {line}\n" for line in range(1, lines + 1))
    for n, lines in enumerate(LINES, start=1)
]
"""What the three files hold, in order."""
READ_TIMES = [lines * LINE_PAUSE for lines in LINES]  # from each file's open to its end
READ_TIMES_SAID = ", ".join(f"{t:g}" for t in READ_TIMES[:-1]) + f" and {READ_TIMES[-1]:g} s"
TICK = 0.01  # the ticker's period


@dataclass
class _Looks:
    """What the writers saw of the loop while the files were being read."""

    ticks: int = 0
    """The ticker's count, advanced by the ticker task on the answer's loop."""
    loop_thread: int = 0
    """The answer's loop's thread, while the answer runs (0 before and after)."""
    held: list[tuple[str, str]] = field(default_factory=list)
    """One entry per look that found the loop held: no tick since the writer's line
    before, and the loop's thread not asleep in select() (which file's writer looked,
    and what the loop's thread was doing)."""
    looks: int = 0
    reading: Concurrency = field(default_factory=Concurrency)
    executor_calls: int = 0
    """Calls the answer's code handed to a thread (``run_in_executor``, ``to_thread``)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Feeder:
    """The check's side of one named pipe: a thread that waits for the answer to open it,
    then writes its lines, 0.1 s apart, and closes it."""

    def __init__(self, path: Path, text: str, looks: _Looks, stop: threading.Event) -> None:
        self.path = path
        self.lines = text.splitlines(keepends=True)
        self.looks = looks
        self.stop = stop
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._run, name="course-server", daemon=True)

    def _run(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY)  # waits until someone opens it to read
        except OSError:
            return
        self.opened.set()
        looks = self.looks
        with looks.lock:
            looks.reading.begin()
        try:
            ticks = looks.ticks
            for number, line in enumerate(self.lines):
                if number and not self.stop.is_set():
                    self._look(ticks)
                    ticks = looks.ticks
                os.write(fd, line.encode())
                if self.stop.wait(LINE_PAUSE):
                    break
        except OSError:  # BrokenPipeError: the reader closed it before the end
            pass
        finally:
            with looks.lock:
                looks.reading.end()
            os.close(fd)

    def _look(self, ticks_before: int) -> None:
        """One look at the loop, 0.1 s after the last: has the ticker ticked since?"""
        looks = self.looks
        loop_thread = looks.loop_thread
        if not loop_thread:  # the answer has ended: its loop is not waiting for files
            return
        doing = activity(loop_thread)
        with looks.lock:
            if not looks.loop_thread:
                return
            looks.looks += 1
            if looks.ticks == ticks_before and doing != FREE:
                looks.held.append((self.path.name, doing))

    def release(self) -> None:
        """Let the writer out of its open() if the answer never opened the file."""
        if self.opened.is_set():
            return
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            self.opened.wait(1.0)
            self.thread.join(timeout=1.0)
            os.close(fd)


async def _scenario(read_files: Any, paths: list[Path], looks: _Looks) -> Any:
    loop = asyncio.get_running_loop()
    looks.loop_thread = threading.get_ident()
    run_in_executor = loop.run_in_executor

    def counting_run_in_executor(executor: Any, function: Any, *args: Any) -> Any:
        if _asked_by_the_answer():
            looks.executor_calls += 1
        return run_in_executor(executor, function, *args)

    loop.run_in_executor = counting_run_in_executor  # type: ignore[method-assign]

    async def ticker() -> None:
        while True:
            looks.ticks += 1
            await asyncio.sleep(TICK)

    ticking = asyncio.create_task(ticker())
    try:
        return await read_files(list(paths))
    finally:
        with looks.lock:
            looks.loop_thread = 0  # looks from now on would see the check, not the answer
        ticking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticking


def check_read_files(read_files: Any) -> Result:
    """``read_files(paths)``: three slow files read at once, each in a thread, the loop
    free all along; their texts in order."""
    expect_coroutine_function(read_files)
    if not hasattr(os, "mkfifo"):  # Windows: no named pipes of this kind
        raise Wrong(
            "no_fifo",
            "This check needs named pipes (os.mkfifo), which Linux and macOS have and "
            "Windows does not: run it on Linux or macOS (WSL will do).",
        )
    looks = _Looks()
    call = f"read_files(paths) ({FILES} files, {READ_TIMES_SAID} to read)"
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="slow-files-") as folder:
        paths = [Path(folder) / f"notes-{n}.txt" for n in range(1, FILES + 1)]
        feeders = []
        for path, text in zip(paths, TEXTS, strict=True):
            os.mkfifo(path)
            feeders.append(_Feeder(path, text, looks, stop))
        for feeder in feeders:
            feeder.thread.start()
        try:
            outcome = run_coroutine(lambda: _scenario(read_files, paths, looks))
        finally:
            stop.set()
            for feeder in feeders:
                feeder.release()
            for path in paths:  # a thread of the answer's that opens one now fails at once
                path.unlink(missing_ok=True)
            for feeder in feeders:
                feeder.thread.join(timeout=1.0)
    _judge_reading(read_files, outcome, looks, call)
    if looks.held:  # each writer once at most, or _judge_held would have said so
        free = (
            f"{looks.looks - len(looks.held)} of the {looks.looks} looks the writers took, "
            "0.1 s apart, found it free (a ticker task on it kept ticking); the other "
            f"{len(looks.held)} found it late, no writer more than once, as a busy machine "
            "makes any program now and then, while a read holds it look after look."
        )
    else:
        free = (
            f"none of the {looks.looks} looks the writers took, 0.1 s apart, found it "
            "held (a ticker task on it kept ticking)."
        )
    return correct(
        f"{call} returned the {FILES} texts in order, after {took(outcome.elapsed)}: the "
        f"{FILES} files were read at the same time, and the loop stayed free "
        f"throughout: {free}"
    )


def _judge_reading(read_files: Any, outcome: Outcome, looks: _Looks, call: str) -> None:
    _judge_held(read_files, looks, call)
    returned_future(outcome.value, call)
    common_mistakes(outcome, call)
    _judge_texts(outcome.value, call)
    if looks.reading.peak <= 1:
        if looks.executor_calls == 1:
            raise Wrong(
                "one_thread_for_all",
                f"{call} read the files in one thread, one after another: the loop stayed "
                f"free, but the {FILES} files took {sum(READ_TIMES):g} s in all, not "
                f"{max(READ_TIMES):g}. Give each "
                "file a thread of its own, `asyncio.to_thread(path.read_text)`, and run "
                "them together with `asyncio.gather`.",
            )
        raise Wrong(
            "sequential",
            f"{call} read the files one after another (never two open at once): "
            f"{sum(READ_TIMES):g} s in all, not {max(READ_TIMES):g}. Start every read "
            "before awaiting any: "
            "`await asyncio.gather(*(asyncio.to_thread(...) for path in paths))`.",
            suggests="asyncio.gather",
        )


def _judge_held(read_files: Any, looks: _Looks, call: str) -> None:
    """The loop was held while a file was read: what held it, by what the code shows.

    A read on the loop holds it from one line of its file to the next, so the writer of
    that file finds it held look after look (5 times for the first file).  A machine
    busy with other programs can leave the loop's process without a processor for a
    tenth of a second: every writer's look at that moment finds the loop late, once.  So
    the loop was held only when one writer found it so at two looks or more; and that
    verdict is confirmed by a second run (``recheck``).
    """
    per_file = collections.Counter(name for name, _ in looks.held)
    if max(per_file.values(), default=0) < 2:
        return
    evidence = (
        f"{call} held the event loop while it waited for the files: {len(looks.held)} "
        f"times out of {looks.looks}, as the next line of a file came (0.1 s after the "
        "one before), a ticker task on the loop had not ticked once since."
    )
    names = names_used(read_files)
    if {"to_thread", "run_in_executor"} & names and looks.executor_calls:
        raise Wrong(
            "wrong_thing_in_thread",
            f"{evidence} Something went to a thread, but the wait did not: opening a "
            "file is quick, reading it is what waits. Hand the whole read to the "
            "thread: `asyncio.to_thread(path.read_text)`, or a function that opens and "
            "reads.",
            recheck=True,
        )
    if _async_helpers(read_files):
        raise Wrong(
            "async_wrapper_blocks",
            f"{evidence} The reads were inside an `async def`, but `async def` does "
            "not make a call asynchronous: read() still blocks the thread it runs on, "
            "the loop's. Run it in a thread: `await asyncio.to_thread(path.read_text)`.",
            suggests="to_thread",
            recheck=True,
        )
    raise Wrong(
        "read_on_the_loop",
        f"{evidence} read() on a file blocks the thread it runs on, here the loop's: "
        "files have no asynchronous read. Run it in a thread: "
        "`await asyncio.to_thread(path.read_text)`.",
        suggests="to_thread",
        recheck=True,
    )


def _async_helpers(function: Any) -> bool:
    """Whether ``function`` defines or calls another coroutine function of the answer's."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return False
    nested = [c for c in code.co_consts if inspect.iscode(c)]
    if any(c.co_flags & inspect.CO_COROUTINE for c in nested):
        return True
    found = getattr(function, "__globals__", {})
    return any(
        inspect.iscoroutinefunction(found.get(name))
        for name in names_used(function)
        if name in found
    )


def _judge_texts(value: Any, call: str) -> None:
    if value == TEXTS:
        return
    if isinstance(value, list) and value and all(isinstance(v, bytes) for v in value):
        raise Wrong(
            "not_decoded",
            f"{call} returned bytes ({value[0][:20]!r}...): return the texts, as "
            "`path.read_text()` gives them (or `.decode()` what `read_bytes()` gave).",
        )
    if isinstance(value, list) and sorted(map(str, value)) == sorted(TEXTS):
        raise Wrong(
            "wrong_order",
            f"{call} returned the texts in the order the reads finished, not in the "
            "order of `paths`. `asyncio.gather` keeps the order it was given.",
        )
    shown = repr(value) if len(repr(value)) < 200 else repr(value)[:200] + "..."
    raise Wrong(
        "wrong_value",
        f"{call} returned {shown}, not the whole text of each file, in the order of "
        "`paths`. `path.read_text()` reads a file to its end.",
    )


ex5 = Exercise(
    title="Files on a slow disk",
    answer="read_files",
    checker=check_read_files,
    hints=[
        "`await asyncio.to_thread(path.read_text)` reads one file in a thread, and the "
        "loop stays free while it waits.",
        "Start all the reads at once: `await asyncio.gather(*(asyncio.to_thread("
        "path.read_text) for path in paths))`, which keeps their order.",
    ],
)
