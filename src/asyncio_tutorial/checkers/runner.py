"""Run a learner's answer for real: on its own thread, under a time limit, watched.

A check cell such as ``ex1.check(greet)`` is ordinary synchronous code, and the
notebook's kernel is already running an event loop, so the answer cannot simply be
awaited there (and ``asyncio.run`` refuses to start a second loop on the same
thread).  Instead the answer runs on a **worker thread with an event loop of its own**
while the notebook waits for it.  That buys three things:

* **A time limit that always holds.**  The notebook waits at most ``time_limit``
  seconds.  An answer that is still running then is stopped: first politely (its
  task is cancelled), then firmly (an exception is raised inside the thread, which
  also stops a busy ``while True: pass``).  The kernel is never frozen.
* **Blocking is visible.**  A small watchdog task on the answer's loop wakes every
  10 ms (:class:`_LoopWatch`).  When it wakes late, something held the loop: a busy
  loop, or a blocking call.  ``time.sleep`` is also watched directly while an answer
  runs.
* **Nothing leaks.**  Coroutines that were never awaited, tasks still running when
  the answer returned and errors the loop would have logged are *recorded* in the
  :class:`Outcome` (and the tasks cancelled), instead of turning up later as stray
  warnings in the notebook.

The checkers in the ``lessonNN`` modules turn an :class:`Outcome` into a verdict;
:mod:`asyncio_tutorial.checkers.diagnose` names the classic mistakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import gc
import inspect
import sys
import sysconfig
import threading
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncio_tutorial.checkers import core

WATCHDOG_INTERVAL = 0.01  # how often the watchdog task checks in on the loop
# The loop counts as blocked when one callback it ran (a task's step, a timer) held it
# for BUSY_STALL seconds while the answer's thread was computing for at least BUSY_SHARE
# of that time, or for BUSY_CPU seconds in all: a busy loop.  The CPU time is what tells
# it from a machine busy with other programs, which delays the thread without it
# computing (and gives a computing thread only a share of the processor, hence a share
# well below 1).  On a machine so loaded that a busy loop gets less than a fifth of a
# processor (a dozen programs computing on 2 cores), a 0.2 s wait that spins computes for
# a few hundredths of a second: more than any step of a right answer does, hence BUSY_CPU
# (a 0.1 s spin still needs a fifth of a processor to be seen: under 20 ms of computing,
# a spin and a short step that other programs delayed look the same from inside).
# One callback, not the loop's lateness: with a dozen connections at once on a loaded
# machine, many short callbacks in a row delay the loop as much, and use as much of the
# processor.
BUSY_STALL = 0.05
BUSY_SHARE = 0.2
BUSY_CPU = 0.02
# ...or when the loop got no turn for this long, computing or not: a blocking call
# such as a socket read.  Long enough that a loaded machine does not get there.
IDLE_STALL = 0.3

POLITE_GRACE = 0.2  # seconds a timed-out answer gets to honour its cancellation
FIRM_GRACE = 0.5  # seconds it gets to stop after the exception is raised inside it
CLEANUP_GRACE = 0.3  # seconds left-over tasks get to finish after being cancelled
CLOSING_GRACE = 0.05  # the same when the loop closes (after a hang, say)


class AnswerInterrupted(BaseException):
    """Raised inside an answer that is still running when its time is up.

    It derives from ``BaseException`` so that an ``except Exception:`` in the answer
    cannot swallow it and keep going.
    """


@dataclass
class Outcome:
    """What happened when an answer ran: its result and everything noticed on the way."""

    value: Any = None
    """What the answer returned (``None`` if it raised)."""
    error: BaseException | None = None
    """What the answer raised, if anything."""
    elapsed: float = 0.0
    """Seconds from calling the answer until it returned or raised."""
    time_limit: float = 0.0
    """The seconds it was given (the limit of the exercise being checked)."""
    on_loop: bool = False
    """It ran on an event loop (``run_coroutine``), not as plain code (``run_function``)."""
    timed_out: bool = False
    """The answer was still running when its time limit was up, and was stopped."""
    waiting_when_stopped: list[str] = field(default_factory=list)
    """Where the answer's own code was waiting when the time limit was up, innermost
    first: ``["asyncio.Queue.join"]`` (empty if the loop was too busy to say)."""
    stuck: bool = False
    """Even raising an exception inside it did not stop it (it waits in C code)."""
    sleeps: list[float] = field(default_factory=list)
    """Arguments of the ``time.sleep`` calls made on the answer's own thread."""
    waits: list[float] = field(default_factory=list)
    """The waits the answer's own code asked its loop for, in seconds, in order:
    ``asyncio.sleep(0.1)`` and ``asyncio.timeout(0.3)`` ask for 0.1 and 0.3.  Exact,
    whatever the machine's load: a checker judges pauses by these, not by a clock
    (waits asked for by the checker's own helpers, ``download`` say, are not here)."""
    longest_stall: float = 0.0
    """The longest time the event loop could not run anything else, in seconds."""
    longest_step: float = 0.0
    """The longest a single callback of the loop ran (a task's step, a timer's callback)."""
    step_cpu: float = 0.0
    """The CPU time the answer's thread used during that callback."""
    never_awaited: list[str] = field(default_factory=list)
    """Names of coroutines created while the answer ran but never awaited."""
    returned_coroutines: list[str] = field(default_factory=list)
    """Names of coroutine objects found in what the answer returned (now closed)."""
    left_running: list[str] = field(default_factory=list)
    """Names of tasks still running when the answer returned (now cancelled)."""
    left_waiting: dict[str, str] = field(default_factory=dict)
    """For each name in ``left_running``, where that task was waiting when the answer
    returned: ``{"worker": "asyncio.Queue.get"}``."""
    loop_errors: list[str] = field(default_factory=list)
    """Messages the loop's exception handler received (they would have been logged)."""
    other_warnings: list[warnings.WarningMessage] = field(default_factory=list)
    """Warnings raised while the answer ran, other than "never awaited"."""

    @property
    def blocked(self) -> bool:
        """Whether the answer blocked the event loop (see the module's description).

        Plain code run without a loop (``run_function``) blocks nothing: a ``time.sleep``
        there is its own business.
        """
        if not self.on_loop:
            return False
        computed = min(BUSY_SHARE * self.longest_step, BUSY_CPU)
        busy = self.longest_step >= BUSY_STALL and self.step_cpu >= computed
        return bool(self.sleeps) or busy or self.longest_stall >= IDLE_STALL

    @property
    def held_for(self) -> float:
        """How long the answer held the loop at most, as a learner would measure it."""
        return max(self.longest_step, self.longest_stall)

    def describe_left(self) -> str:
        """The tasks left running and where each waited: ``"worker (in asyncio.Queue.get)"``."""
        parts = []
        for name in dict.fromkeys(self.left_running):
            count = self.left_running.count(name)
            place = self.left_waiting.get(name, "")
            if place.rpartition(".")[2] == name:  # a task running asyncio.sleep itself
                place = ""
            details = [f"{count} of them" if count > 1 else "", f"in {place}" if place else ""]
            detail = ", ".join(part for part in details if part)
            parts.append(f"{name} ({detail})" if detail else name)
        return ", ".join(parts)


def run_function(
    call: Callable[[], Any], time_limit: float | None = None, *, on_loop: bool = False
) -> Outcome:
    """Run ``call()`` (plain, synchronous code) on a worker thread under ``time_limit``.

    ``on_loop``: ``call`` runs an event loop of its own (``asyncio.run``, a fake clock's
    runner), so a ``time.sleep`` in it blocks a loop and counts as blocking.

    ``time_limit`` is, unless given, the limit of the exercise being checked.  An answer
    that raises ``NotImplementedError`` (the untouched stub) ends the check at once:
    :class:`~asyncio_tutorial.checkers.core.NotAttempted` is raised.
    """
    outcome = Outcome(time_limit=core.time_limit() if time_limit is None else time_limit)
    outcome.on_loop = on_loop
    guard = _StopGuard()

    def timed_call() -> None:
        started = time.perf_counter()
        try:
            outcome.value = call()
        finally:
            outcome.elapsed = time.perf_counter() - started
            guard.answer_finished()

    _run_on_thread(timed_call, outcome, guard, outcome.time_limit)
    _close_returned_coroutines(outcome)
    _stop_if_not_attempted(outcome)
    return outcome


def run_coroutine(
    make_awaitable: Callable[[], Awaitable[Any]], time_limit: float | None = None
) -> Outcome:
    """Run ``await make_awaitable()`` on a fresh event loop on a worker thread.

    ``make_awaitable`` is usually a lambda calling the learner's function, e.g.
    ``lambda: greet("Ada")``; it is called on the loop, so whatever it starts
    belongs to that loop.  If it returns something that is not awaitable, that
    becomes the value as it is (checkers reject plain ``def`` answers beforehand).

    ``time_limit`` is, unless given, the limit of the exercise being checked.  An answer
    that raises ``NotImplementedError`` (the untouched stub) ends the check at once:
    :class:`~asyncio_tutorial.checkers.core.NotAttempted` is raised.
    """
    outcome = Outcome(time_limit=core.time_limit() if time_limit is None else time_limit)
    outcome.on_loop = True
    guard = _StopGuard()
    loop = asyncio.new_event_loop()
    loop.set_debug(False)  # debug mode's own reports would land in the notebook
    # Errors the loop would log ("Task exception was never retrieved", "Task was
    # destroyed but it is pending") are kept for the checker, not printed.
    loop.set_exception_handler(
        lambda _loop, context: outcome.loop_errors.append(_describe(context))
    )
    _time_callbacks(loop, outcome)
    _note_waits(loop, outcome.waits)
    answer_tasks: list[asyncio.Task[Any]] = []
    watch = _LoopWatch(outcome)

    def drive() -> None:
        try:
            watchdog = loop.create_task(watch.run())
            answer = loop.create_task(_answer(make_awaitable, outcome, guard, watch, watchdog))
            answer_tasks.append(answer)
            loop.run_until_complete(answer)
        finally:
            guard.answer_finished()
            _shut_down(loop)

    def note_and_cancel() -> None:
        outcome.waiting_when_stopped = _places_of_answer(loop)
        for task in answer_tasks:
            task.cancel()

    def cancel_answer() -> bool:
        """Note where the answer waits, cancel its task; whether the loop is free to act."""
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: done already
            loop.call_soon_threadsafe(note_and_cancel)
        return watch.responsive()

    def wake_loop() -> None:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: None)

    _run_on_thread(
        drive, outcome, guard, outcome.time_limit, ask_to_stop=cancel_answer, wake=wake_loop
    )
    _close_returned_coroutines(outcome)
    _stop_if_not_attempted(outcome)
    return outcome


def _time_callbacks(loop: asyncio.AbstractEventLoop, outcome: Outcome) -> None:
    """Time every callback scheduled on ``loop`` (task steps and timers): the longest, and
    the CPU time it used, go into ``outcome`` (less any time spent collecting garbage).

    ``call_soon`` and ``call_at`` are wrapped on this loop only (``call_later`` goes
    through ``call_at``); checkers that wrap them too wrap these.
    """
    call_soon, call_at = loop.call_soon, loop.call_at

    def timed(callback: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(callback)  # the handle's repr still names the real callback
        def run(*args: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            collecting, collecting_here = _collections.seconds, _collections.cpu_here()
            try:
                return callback(*args)
            finally:
                took = time.perf_counter() - wall - (_collections.seconds - collecting)
                if took > outcome.longest_step:
                    outcome.longest_step = took
                    # Only this thread's own collections are in its CPU time.
                    collected_here = _collections.cpu_here() - collecting_here
                    outcome.step_cpu = max(0.0, time.thread_time() - cpu - collected_here)

        return run

    def timed_call_soon(callback: Any, *args: Any, context: Any = None) -> Any:
        return call_soon(timed(callback), *args, context=context)

    def timed_call_at(when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        return call_at(when, timed(callback), *args, context=context)

    loop.call_soon = timed_call_soon  # type: ignore[method-assign]
    loop.call_at = timed_call_at  # type: ignore[method-assign]


def _note_waits(loop: asyncio.AbstractEventLoop, waits: list[float]) -> None:
    """Note in ``waits`` every timer the answer's own code asks ``loop`` for.

    ``asyncio.sleep`` asks ``loop.call_later``, and ``asyncio.timeout`` ``loop.call_at``:
    both are wrapped on this loop only (as instance attributes), and a request counts as
    the answer's when the first frame above asyncio's own is the answer's code.
    """
    call_later, call_at = loop.call_later, loop.call_at

    def noting_call_later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        if _asked_by_the_answer():
            waits.append(delay)
        return call_later(delay, callback, *args, **kwargs)

    def noting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        # call_later goes through call_at: a wait is noted once, by whichever came first.
        # A deadline (asyncio.timeout(0.3)) was computed from the clock a moment ago: to
        # the hundredth, it is what was asked, even when the thread was paused between.
        caller = sys._getframe(1).f_code
        if caller is not _CALL_LATER and _asked_by_the_answer():
            waits.append(round(when - loop.time(), 2))
        return call_at(when, callback, *args, **kwargs)

    loop.call_later = noting_call_later  # type: ignore[method-assign]
    loop.call_at = noting_call_at  # type: ignore[method-assign]


_CALL_LATER = asyncio.BaseEventLoop.call_later.__code__


def _asked_by_the_answer() -> bool:
    """Whether the first frame above the stdlib's (and the wrappers') is the answer's."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if answers_code(filename):
            return True
        if not _in_stdlib(filename):
            return False  # the course's own code (a checker's helper) or a library's
        frame = frame.f_back
    return False


def _in_stdlib(filename: str) -> bool:
    return filename.startswith("<frozen") or any(
        Path(filename).is_relative_to(folder) for folder in _STDLIB
    )


def _stop_if_not_attempted(outcome: Outcome) -> None:
    """The untouched stub raised ``NotImplementedError``: the check ends here."""
    if isinstance(outcome.error, NotImplementedError):
        raise core.NotAttempted from outcome.error


async def _answer(
    make_awaitable: Callable[[], Awaitable[Any]],
    outcome: Outcome,
    guard: _StopGuard,
    watch: _LoopWatch,
    watchdog: asyncio.Task[Any],
) -> None:
    """The task that runs the answer, then deals with any tasks it left running."""
    started = time.perf_counter()
    try:
        awaitable = make_awaitable()
        outcome.value = await awaitable if inspect.isawaitable(awaitable) else awaitable
    except asyncio.CancelledError as error:
        if outcome.timed_out:
            raise  # cancelled by the time limit: nothing more to do on this loop
        outcome.error = error
    except Exception as error:
        outcome.error = error
    finally:
        outcome.elapsed = time.perf_counter() - started
        guard.answer_finished()
        # An answer that never gave the loop back ended before the watchdog could
        # wake: measure the stall it caused now.
        watch.check_in()

    this_task = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t not in (this_task, watchdog) and not t.done()]
    outcome.left_running = sorted(_task_name(task) for task in left)
    for task in left:
        place = where_waiting(task)
        if place:
            outcome.left_waiting[_task_name(task)] = place
    for task in left:
        task.cancel()
    if left:
        await asyncio.wait(left, timeout=CLEANUP_GRACE)


class _GarbageCollections:
    """The seconds Python has spent collecting garbage since this module was loaded.

    A full collection in a big process (a kernel that has run many cells, a test run)
    takes a tenth of a second, stops every thread, and lands wherever Python sees fit.
    Landing during an answer, it would look like an answer that blocked the loop, so
    the loop watch leaves out the time spent collecting.  The CPU time of collections is
    kept per thread: a collection another thread ran is in none of this thread's CPU time.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        self._started_cpu = 0.0
        self._cpu: dict[int, float] = {}
        gc.callbacks.append(self._note)

    def cpu_here(self) -> float:
        """The CPU seconds the calling thread has spent collecting garbage."""
        return self._cpu.get(threading.get_ident(), 0.0)

    def _note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started, self._started_cpu = time.perf_counter(), time.thread_time()
        elif self._started:
            self.seconds += time.perf_counter() - self._started
            here = threading.get_ident()
            self._cpu[here] = self._cpu.get(here, 0.0) + time.thread_time() - self._started_cpu
            self._started = 0.0


_collections = _GarbageCollections()


_sleep = asyncio.sleep  # an answer that replaces asyncio.sleep must not fool the watchdog


class _LoopWatch:
    """Checks in on the loop every few milliseconds and records the longest delay.

    ``asyncio.sleep`` hands control back to the loop; if the loop is free, the
    watchdog task wakes on time.  If anything holds the loop (``time.sleep``, a blocking
    read) the wake-up comes late by that long: held ``IDLE_STALL`` or more, the answer
    blocked it.  (A busy loop is told by the one callback that computed, timed by
    ``_time_callbacks``.)  Time Python spent collecting garbage is left out.
    """

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.wall = time.perf_counter()
        self.collecting = _collections.seconds

    async def run(self) -> None:
        while True:
            self.wall = time.perf_counter()
            self.collecting = _collections.seconds
            await _sleep(WATCHDOG_INTERVAL)  # the real one, whatever an answer patched
            self.check_in()

    def check_in(self) -> None:
        """Record how late this moment is, compared with the watchdog's next wake-up."""
        collecting = _collections.seconds - self.collecting
        late = time.perf_counter() - self.wall - WATCHDOG_INTERVAL - collecting
        self.outcome.longest_stall = max(self.outcome.longest_stall, late)

    def responsive(self) -> bool:
        """Whether the loop has had a turn lately (callable from any thread)."""
        return time.perf_counter() - self.wall < 10 * WATCHDOG_INTERVAL


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel whatever still runs on ``loop``, give it a moment, and close the loop.

    A task that ignores its cancellation is not waited for: closing the loop means it
    never runs again.
    """
    try:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=CLOSING_GRACE))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


class _StopGuard:
    """Whether the answer's own code may still be running, so interrupting it is safe.

    The exception that stops a hanging answer must land in the answer, not in the
    clean-up code that runs after it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answer_running = True

    def answer_finished(self) -> None:
        with self.lock:
            self.answer_running = False

    def still_running(self) -> bool:
        with self.lock:
            return self.answer_running

    def interrupt(self, thread: threading.Thread) -> None:
        with self.lock:
            if self.answer_running:
                _raise_in_thread(thread, AnswerInterrupted)


def _run_on_thread(
    function: Callable[[], None],
    outcome: Outcome,
    guard: _StopGuard,
    time_limit: float,
    *,
    ask_to_stop: Callable[[], bool] | None = None,
    wake: Callable[[], None] | None = None,
) -> None:
    """Run ``function`` on a new thread; stop it if it is still running after ``time_limit``."""
    finished = threading.Event()

    def work() -> None:
        _sleep_watch.start_watching(outcome.sleeps)
        try:
            with warnings.catch_warnings(record=True) as caught:
                # "always": a warning must be seen on every attempt, not only the first.
                warnings.simplefilter("always")
                try:
                    function()
                except AnswerInterrupted:
                    outcome.timed_out = True
                except BaseException as error:  # whatever the answer raised, report it
                    if not outcome.timed_out and outcome.error is None:
                        outcome.error = error
                finally:
                    guard.answer_finished()
                    # A coroutine that was never awaited warns when it is thrown away.
                    # Make that happen now, while warnings are caught: the error's
                    # traceback may hold one in a frame's variables, and reference
                    # cycles are only thrown away when they are collected.
                    _clear_frames(outcome.error)
                    if not outcome.timed_out:  # (a hang's verdict does not need it)
                        gc.collect()
            _sort_warnings(caught, outcome)
        except AnswerInterrupted:  # arrived just as the answer finished: nothing to undo
            outcome.timed_out = True
        finally:
            _sleep_watch.stop_watching()
            finished.set()

    thread = threading.Thread(target=work, name="asyncio-tutorial-answer", daemon=True)
    thread.start()
    try:
        if finished.wait(time_limit):
            return
        if not guard.still_running():
            # The answer has returned in time; only the clean-up after it (collecting a
            # big process's garbage, on a busy machine) is late.  Not a hang.
            finished.wait()
            return
        outcome.timed_out = True
        # Ask politely first, unless the loop is too busy to even hear it.
        if ask_to_stop is not None and ask_to_stop() and finished.wait(POLITE_GRACE):
            return
        guard.interrupt(thread)
        if wake is not None:
            wake()
        if not finished.wait(FIRM_GRACE) and guard.still_running():
            outcome.stuck = True
        else:  # stopped; its clean-up may take a moment more on a busy machine
            finished.wait(FIRM_GRACE)
    except BaseException:  # e.g. KeyboardInterrupt: the kernel's stop button
        outcome.timed_out = True
        if ask_to_stop is not None:
            ask_to_stop()
        guard.interrupt(thread)
        if wake is not None:
            wake()
        finished.wait(FIRM_GRACE)
        raise


def _raise_in_thread(thread: threading.Thread, error: type[BaseException]) -> None:
    """Make ``error`` be raised in ``thread`` at its next Python instruction.

    This is CPython's ``PyThreadState_SetAsyncExc``.  It cannot interrupt a thread that
    waits inside C code (``input()``, a lock); such a thread is reported as stuck.
    """
    if thread.ident is None or not thread.is_alive():
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(error)
    )


def _clear_frames(error: BaseException | None) -> None:
    """Drop the local variables held by an error's traceback (and the errors behind it)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__context__


def _sort_warnings(caught: list[warnings.WarningMessage], outcome: Outcome) -> None:
    for warning in caught:
        text = str(warning.message)
        if issubclass(warning.category, RuntimeWarning) and "was never awaited" in text:
            # "coroutine 'sleep' was never awaited" -> "sleep"
            outcome.never_awaited.append(text.split("'")[1] if "'" in text else text)
        else:
            outcome.other_warnings.append(warning)


def _close_returned_coroutines(outcome: Outcome) -> None:
    """Find coroutine objects in the answer's value, note their names and close them.

    A coroutine in the result means an ``await`` was forgotten.  Closing it now keeps
    Python from warning "coroutine ... was never awaited" later, in some other cell.
    An answer that used such a coroutine as its result raised
    ``AttributeError: 'coroutine' object has no attribute ...``, an error that keeps the
    coroutine (as ``error.obj``): it is closed too.
    """
    for coroutine in coroutines_in(outcome.value, depth=3):
        outcome.returned_coroutines.append(coroutine.__name__)
        coroutine.close()
    kept = getattr(outcome.error, "obj", None)
    if inspect.iscoroutine(kept):
        kept.close()


def coroutines_in(value: Any, depth: int) -> list[Any]:
    """Coroutine objects in ``value``, or in the lists, tuples, sets and dicts it holds
    (``depth`` levels down): what a forgotten ``await`` leaves in a result."""
    if inspect.iscoroutine(value):
        return [value]
    if depth == 0:
        return []
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return []
    return [c for item in items for c in coroutines_in(item, depth - 1)]


# --- Where a task waits ------------------------------------------------------------------

_STDLIB = {
    Path(contextlib.__file__).resolve().parent,  # the standard library, where it is...
    Path(contextlib.contextmanager.__code__.co_filename).parent,  # ...and as its code says
}
"""The standard library, named twice: an interpreter installed somewhere else than where
it was built names its files, in its code objects, by the place it was built."""
_LIBRARIES = {
    *_STDLIB,
    *(Path(sysconfig.get_paths()[name]).resolve() for name in ("purelib", "platlib")),
    Path(__file__).resolve().parents[1],  # asyncio_tutorial/: the course's own code
}
"""Where code that is not the answer's lives."""


def answers_code(filename: str) -> bool:
    """Whether code from ``filename`` (a code object's ``co_filename``) is the answer's:
    not the standard library's, an installed library's (aiohttp) or the course's.

    Code made by ``exec`` (``"<string>"``, a notebook cell's) is the answer's; Python's
    own frozen modules (``"<frozen runpy>"``) are not.
    """
    if filename.startswith("<frozen"):
        return False
    path = Path(filename)
    if not path.is_absolute():
        return True
    return not any(path.is_relative_to(folder) for folder in _LIBRARIES)


def _chain(task: asyncio.Task[Any]) -> list[Any]:
    """The coroutines (and async generators) a pending task is suspended in, outermost
    first: the chain of ``cr_await`` from the task's own coroutine down."""
    chain: list[Any] = []
    coro: Any = task.get_coro()
    seen: set[int] = set()
    while coro is not None and id(coro) not in seen:
        seen.add(id(coro))
        inner = getattr(coro, "coro", None)  # a wrapper (a timeline's) around the coroutine
        if inner is not None and hasattr(inner, "cr_await"):
            coro = inner
        if getattr(coro, "__qualname__", None) is None:
            break
        chain.append(coro)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
    return chain


def suspended_in(task: asyncio.Task[Any]) -> list[str]:
    """The names of the coroutines a pending task is suspended in, outermost first.

    A task waiting in ``await queue.join()`` inside ``process_all`` gives
    ``["process_all", "Queue.join"]``.  A checker that gave up on an answer uses it to
    say *why* it never finished (``join()`` without ``task_done()``, workers still
    waiting in ``get()``), rather than just that it hung.
    """
    return [coro.__qualname__.rpartition("<locals>.")[2] for coro in _chain(task)]


def waiting_in(name: str, tasks: set[asyncio.Task[Any]] | None = None) -> list[asyncio.Task[Any]]:
    """The pending tasks (default: all of the running loop's) suspended in ``name``,
    e.g. ``"Queue.get"``: workers waiting for an item that will never come."""
    tasks = asyncio.all_tasks() if tasks is None else tasks
    return [task for task in tasks if not task.done() and name in suspended_in(task)]


def _is_learners(coro: Any) -> bool:
    """Whether ``coro`` runs code of the answer's (not the course's, not a library's)."""
    code = getattr(coro, "cr_code", None) or getattr(coro, "ag_code", None)
    return code is not None and answers_code(code.co_filename)


def _coroutine_name(coro: Any) -> str:
    """``asyncio.Queue.get``, ``fetch_page``; ``the end of async with TaskGroup()``."""
    name = coro.__qualname__.rpartition("<locals>.")[2]
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    owner, _, method = name.rpartition(".")
    if owner and method == "__aexit__":
        return f"the end of an `async with {owner}()` block"
    return f"asyncio.{name}" if module == "asyncio" or module.startswith("asyncio.") else name


def _awaited_name(awaited: Any) -> str:
    """What a coroutine waits on when it is not another coroutine: a future or a task."""
    if isinstance(awaited, asyncio.Task):
        return f"a task ({_task_name(awaited)})"
    if type(awaited).__name__ == "_GatheringFuture":
        return "asyncio.gather"
    return f"a {type(awaited).__name__}" if awaited is not None else ""


def where_waiting(task: asyncio.Task[Any]) -> str:
    """Where a pending task waits, for a message: ``"asyncio.Queue.get"``.

    When the chain holds the answer's own code, it is what the innermost of the
    answer's coroutines awaits (``asyncio.Event.wait``, a checker's ``download``, a
    Future); otherwise the innermost coroutine of all.  Empty when nothing is known.
    """
    chain = _chain(task)
    if not chain:
        return ""
    learners = [index for index, coro in enumerate(chain) if _is_learners(coro)]
    index = learners[-1] if learners else len(chain) - 1
    if index + 1 < len(chain):
        return _coroutine_name(chain[index + 1])
    if not learners:
        return _coroutine_name(chain[index])
    # It awaits a future (or a task) itself: the one the task is waiting for.
    return _awaited_name(getattr(task, "_fut_waiter", None))


def _places_of_answer(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Where the tasks running the answer's own code wait now (on the loop's thread)."""
    places = []
    for task in asyncio.all_tasks(loop):
        if not task.done() and any(_is_learners(coro) for coro in _chain(task)):
            place = where_waiting(task)
            if place and place not in places:
                places.append(place)
    return places


def _task_name(task: asyncio.Task[Any]) -> str:
    """A task's coroutine name (``worker``): stable, unlike ``Task-12``."""
    return getattr(task.get_coro(), "__name__", None) or task.get_name()


def _describe(context: dict[str, Any]) -> str:
    message = str(context.get("message", "error"))
    error = context.get("exception")
    return f"{message}: {type(error).__name__}: {error}" if error is not None else message


class _SleepWatch:
    """Replaces ``time.sleep`` while answers run, to notice it on an answer's thread.

    Other threads sleep exactly as before.  On an answer's thread the call is recorded,
    and the sleep is taken in short slices, so a time limit can interrupt it.  A name
    bound earlier with ``from time import sleep`` still means the original; the
    watchdog notices that one only when it holds the loop for ``IDLE_STALL`` or more.
    """

    def __init__(self) -> None:
        self.original = time.sleep
        self.watched: dict[int, list[float]] = {}
        self.lock = threading.Lock()

    def start_watching(self, record: list[float]) -> None:
        with self.lock:
            self.watched[threading.get_ident()] = record
            time.sleep = self.sleep

    def stop_watching(self) -> None:
        with self.lock:
            self.watched.pop(threading.get_ident(), None)
            if not self.watched:
                time.sleep = self.original

    def sleep(self, seconds: float) -> None:
        record = self.watched.get(threading.get_ident())
        if record is None:
            return self.original(seconds)
        record.append(seconds)
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            self.original(min(left, 0.02))
        return None


_sleep_watch = _SleepWatch()
