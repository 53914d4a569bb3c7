"""What lesson 07's checkers watch while an answer runs: where its work ran.

Every measurement here holds on a busy machine too, because none of them is a duration
compared with another:

* the **CPU time** of the event loop's own thread and of this whole process
  (``time.thread_time``, ``time.process_time``): a thread that computes uses CPU time,
  one that waits or is merely kept waiting by other programs does not, so it tells
  computing on the loop from computing in threads from computing elsewhere (time spent
  collecting garbage, which can land on any thread, is left out);
* **what the loop's own thread was doing** at the moment a piece of work ended in
  another thread or process (:meth:`Run.look_at_the_loop`): an answer that waits in
  ``Thread.join()`` or ``Future.result()`` holds the loop, and is caught in that very
  call, however fast or slow the machine; one that spins in a loop asking whether the
  work is done is caught running its own code, every time;
* **how many turns** the answer asked the loop for (``loop.call_soon``): a task that
  awaits ``asyncio.sleep(0)`` over and over to poll asks for thousands a second, one
  that awaits what it waits for asks for a handful;
* a **process pool that counts** its jobs: how many it was given at once, and in which
  order they finished (:class:`WatchedPool`).

A heartbeat beats every 0.05 s beside the answer, and says how late its beats came.  A
late beat is a symptom, not evidence (a busy machine makes beats late too), so it only
ever appears in a message, next to the evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from asyncio_tutorial import cpu
from asyncio_tutorial.checkers.runner import answers_code

BEAT = 0.05  # the heartbeat's period, in seconds
WORKERS = 2  # the worker processes of the checkers' pools
SHUTDOWN_GRACE = 2.0  # seconds a pool gets to shut down before its workers are ended

BLOCKING_WAITS = {
    ("concurrent.futures._base", "__exit__"): "the end of its `with ...Executor()` block",
    ("concurrent.futures._base", "result_iterator"): "the results of Executor.map()",
    ("concurrent.futures._base", "result"): "Future.result()",
    ("concurrent.futures._base", "exception"): "Future.exception()",
    ("concurrent.futures._base", "wait"): "concurrent.futures.wait()",
    ("concurrent.futures._base", "as_completed"): "concurrent.futures.as_completed()",
    ("concurrent.futures.thread", "shutdown"): "ThreadPoolExecutor.shutdown()",
    ("concurrent.futures.process", "shutdown"): "ProcessPoolExecutor.shutdown()",
    ("threading", "join"): "Thread.join()",
    ("queue", "get"): "queue.Queue.get()",
}
"""The calls that make a thread wait for other threads or processes, by module and
function, and how messages name them.  The loop's own thread seen in one of them, while
work ran elsewhere, was held: the loop could run nothing else."""


class _GarbageTime:
    """The seconds this process has spent collecting garbage (a full collection in a big
    process takes a tenth of a second, on whichever thread triggered it)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.seconds += time.perf_counter() - self._started
            self._started = 0.0


_garbage = _GarbageTime()


@dataclass
class Run:
    """What was seen while an answer ran beside the heartbeat."""

    value: Any = None
    wall: float = 0.0
    """Seconds the answer took, on the wall clock."""
    ended: float = 0.0
    """When it returned or raised (``time.perf_counter``)."""
    latest_beat: float = 0.0
    """How late the latest heartbeat was, in seconds (for messages only)."""
    loop_cpu: float = 0.0
    """CPU time of the event loop's own thread, garbage collection left out."""
    process_cpu: float = 0.0
    """CPU time of this whole process (every thread), garbage collection left out."""
    loop_thread: int | None = None
    """The identity of the loop's thread while the answer runs (``None`` otherwise)."""
    held_in: list[str] = field(default_factory=list)
    """The blocking calls (see ``BLOCKING_WAITS``) the loop's own thread was seen
    waiting in while work ran in other threads or processes."""
    looks: int = 0
    """How many times the loop's thread was looked at (:meth:`look_at_the_loop`)."""
    busy_looks: int = 0
    """How many of those found it running the answer's own code, not waiting."""
    turns: int = 0
    """How many callbacks the loop was asked to run soon while the answer ran."""

    def look_at_the_loop(self) -> None:
        """From another thread: note what the loop's thread is doing now.

        Called where a piece of work ends (a read in a worker thread, a job in the
        pool), the moment the answer is waiting for it.  A loop that waits with
        ``await`` is inside the event loop's own code; one held by ``Future.result()``
        is in that call (noted in ``held_in``); one that spins asking whether the work is
        done is running the answer's own code (counted in ``busy_looks``).
        """
        thread = self.loop_thread
        if thread is None:
            return
        frame = sys._current_frames().get(thread)
        self.looks += 1
        place = blocking_wait(frame)
        if place and place not in self.held_in:
            self.held_in.append(place)
        elif not place and running_the_answer(frame):
            self.busy_looks += 1


def blocking_wait(frame: FrameType | None) -> str:
    """The blocking call that ``frame``'s thread waits in (outermost first), or ``""``."""
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    for each in reversed(frames):  # from the thread's start inwards
        module = each.f_globals.get("__name__", "")
        place = BLOCKING_WAITS.get((module, each.f_code.co_name))
        if place:
            return place
    return ""


_PACKAGE = Path(__file__).resolve().parents[2]  # asyncio_tutorial/


def running_the_answer(frame: FrameType | None) -> bool:
    """Whether ``frame``'s thread is running the answer's own code right now (the
    answer's code is on its stack, and the innermost frame is not the course's)."""
    if frame is None or Path(frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
        return False
    while frame is not None:
        if answers_code(frame.f_code.co_filename):
            return True
        frame = frame.f_back
    return False


async def with_heartbeat(start: Callable[[], Awaitable[Any]], run: Run) -> Any:
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
    call_soon = loop.call_soon

    def counting_call_soon(callback: Any, *args: Any, context: Any = None) -> Any:
        run.turns += 1
        return call_soon(callback, *args, context=context)

    loop.call_soon = counting_call_soon  # type: ignore[method-assign]
    wall, loop_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
    collected = _garbage.seconds
    run.loop_thread = threading.get_ident()
    try:
        run.value = await start()
    finally:
        run.loop_thread = None
        del loop.call_soon  # back to the class's own method
        collected = _garbage.seconds - collected
        run.ended = time.perf_counter()
        run.wall = run.ended - wall
        run.loop_cpu = max(0.0, time.thread_time() - loop_cpu - collected)
        run.process_cpu = max(0.0, time.process_time() - process_cpu - collected)
        # A beat the answer held up until its very end is late too.
        run.latest_beat = max(run.latest_beat, loop.time() - due[0])
        beating.cancel()
        await asyncio.wait([beating])
    return run.value


def where(run: Run, work: float) -> str:
    """Where ``work`` seconds of computing ran: ``"loop"``, ``"threads"`` or ``"elsewhere"``.

    By CPU time, which other programs cannot fake: computing that took ``work`` seconds
    on an idle machine takes at least half of that wherever it runs.
    """
    if run.loop_cpu >= 0.5 * work:
        return "loop"
    if run.process_cpu - run.loop_cpu >= 0.5 * work:
        return "threads"
    return "elsewhere"


def spun(run: Run, elapsed: float) -> bool:
    """Whether the loop's own thread kept running the answer's code while it waited.

    Seen running it every time work ended elsewhere (a loop that never awaits); or
    asked for thousands of turns (a loop that awaits ``asyncio.sleep(0)``); or computing
    a fifth of the time at least (a thread that spins gets a share of a core on a busy
    machine, never none).  A loop that awaits what it waits for does none of these.
    """
    if run.looks >= 2 and run.busy_looks == run.looks:
        return True
    if run.turns >= max(1000, 400 * elapsed):
        return True
    return run.loop_cpu >= max(0.05, 0.2 * elapsed)


class WatchedPool(ProcessPoolExecutor):
    """A process pool that counts its jobs: how many at once, and the order they ended.

    When a job ends, it also looks at what the loop's thread is doing
    (:meth:`Run.look_at_the_loop`).
    """

    def __init__(self, max_workers: int, run: Run | None = None) -> None:
        super().__init__(max_workers=max_workers)
        self.run = run
        self.submitted = 0
        self.in_flight = 0
        self.peak = 0
        self.finished: list[int] = []
        """The jobs in the order they ended, each by its place in the order submitted."""
        self._count_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            number = self.submitted
            self.submitted += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(_when_done(self, number))
        return future

    def one_done(self, number: int) -> None:
        with self._count_lock:
            self.in_flight -= 1
            self.finished.append(number)
        if self.run is not None:
            self.run.look_at_the_loop()

    def reset(self) -> None:
        """Forget the jobs counted so far (the warm-up's)."""
        with self._count_lock:
            self.submitted = self.in_flight = self.peak = 0
            self.finished.clear()


def _when_done(pool: WatchedPool, number: int) -> Callable[[Future[Any]], None]:
    """The done-callback of job ``number``: the pool notes that it ended."""

    def done(_future: Future[Any]) -> None:
        pool.one_done(number)

    return done


@contextlib.contextmanager
def process_pool(run: Run | None = None, workers: int = WORKERS) -> Iterator[WatchedPool]:
    """A started pool of ``workers`` processes, shut down on the way out, whatever happened.

    Worker processes that the answer started for itself (a pool of its own, never shut
    down) are ended too.
    """
    before = set(multiprocessing.active_children())
    pool = WatchedPool(workers, run)
    try:
        cpu.warm_up(pool, workers)
        pool.reset()
        yield pool
    finally:
        _shut_down(pool, before)


def _shut_down(pool: WatchedPool, before: set[multiprocessing.process.BaseProcess]) -> None:
    """Shut ``pool`` down, and end every worker process started since ``before``.

    Within ``SHUTDOWN_GRACE``: on Python 3.11, a pool given jobs it could not pickle (a
    lambda) can wait for ever in ``shutdown()``, for a job that will never be sent.
    Ending its worker processes sets it free: it finds itself broken, and stops.
    """
    closing = threading.Thread(
        target=pool.shutdown,
        kwargs={"wait": True, "cancel_futures": True},
        name="asyncio-tutorial-pool-shutdown",
        daemon=True,
    )
    closing.start()
    closing.join(SHUTDOWN_GRACE)
    for child in set(multiprocessing.active_children()) - before:
        child.terminate()
        child.join(1)
    closing.join(SHUTDOWN_GRACE)
