"""Scenarios: what a checker does to an answer besides calling it once.

Many checks need more than "call the answer and look at what came back".  Did the
downloads overlap?  Does the answer stop when it is cancelled from outside, and does
its cleanup run?  Did a task end cancelled, or did it swallow the cancellation and
return?  The pieces here answer those questions the same way in every lesson:

* :class:`Concurrency` counts how many operations were in progress at once (the most
  at any moment, and in all), which tells "concurrent" from "one after another" by
  what happened rather than by the clock alone: a machine busy with other programs
  makes everything late, but it cannot make two waits overlap;
* :func:`watch` runs an awaitable as a task, optionally cancels it from outside after
  a while (and again during its cleanup), waits for it to end and records an
  :class:`Ending`: returned, raised, or cancelled, and when; :func:`watch_answer` does
  that on the runner, under the time limit;
* :class:`LoopThreadGuard` notices the loop being touched from another thread (a
  callback API's thread that forgot ``call_soon_threadsafe``);
* :func:`names_used` and :func:`blocking_client` tell which blocking client an answer
  used (``urllib``, ``requests``, a plain ``socket``, ``time.sleep``), and
  :func:`judge_limit` judges a concurrency limit by what a server counted;
* :func:`returned_future` and :func:`loop_reported` name a future handed back instead
  of its result, and an error the loop reported about a given task.

(Where a task that never ends waits, a worker stuck in ``queue.get()`` say, is the
runner's to tell: :func:`~.runner.suspended_in`, :func:`~.runner.where_waiting`.)

A checker runs its scenario with :func:`watch_answer`::

    outcome, ending = watch_answer(lambda: answer(...), cancel_after=0.2)
    common_mistakes(outcome, call)   # hangs, blocking, forgotten awaits: raised
    if not ending.cancelled: ...     # then the scenario's own questions
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.runner import Outcome, coroutines_in, run_coroutine


class Concurrency:
    """How many operations are in progress now, the most there ever were, and in all.

    Wrap each operation::

        async with traffic.track():
            await asyncio.sleep(0.1)

    or call :meth:`begin` and :meth:`end` (in a ``finally``) around it.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.total = 0

    def reset(self) -> None:
        """Forget everything counted so far (before running an answer again)."""
        self.in_flight = 0
        self.peak = 0
        self.total = 0

    def begin(self) -> None:
        self.in_flight += 1
        self.total += 1
        self.peak = max(self.peak, self.in_flight)

    def end(self) -> None:
        self.in_flight -= 1

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Count the block as one operation in progress."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    def describe(self, of: int) -> str:
        """How the operations ran, for a message: ``"one after another, never two at once"``."""
        if self.peak <= 1:
            return "one after another, never two at once"
        return f"at most {self.peak} of the {of} at the same time"


@dataclass
class Ending:
    """How a task ended: it returned a value, raised an error, or ended cancelled."""

    finished: bool = False
    """The task ended at all (it did not have to be abandoned)."""
    cancelled: bool = False
    value: Any = None
    error: BaseException | None = None
    elapsed: float = 0.0
    """Seconds from starting the task until it ended."""
    cancel_requests: int = 0
    """How many times the scenario called ``cancel()`` on it."""
    returned_coroutines: list[str] = field(default_factory=list)
    """Coroutine objects found in what it returned (a forgotten ``await``), now closed."""

    def describe(self) -> str:
        """``"returned 42"``, ``"raised ValueError: bad"`` or ``"ended cancelled"``."""
        if not self.finished:
            return "did not end"
        if self.cancelled:
            return "ended cancelled"
        if self.error is not None:
            return f"raised {type(self.error).__name__}: {self.error}"
        return f"returned {self.value!r}"


async def watch(
    start: Callable[[], Awaitable[Any]],
    ending: Ending,
    *,
    cancel_after: float | None = None,
    cancel_again_after: float | None = None,
    give_up_after: float | None = None,
) -> None:
    """Run ``start()`` as a task and record in ``ending`` how it ended.

    With ``cancel_after``, the task is cancelled from outside that many seconds after it
    started (as a timeout or a task group would); with ``cancel_again_after`` too, it
    is cancelled a second time that long after the first request, which is how a
    cleanup that swallows a *second* cancellation is caught.  With ``give_up_after`` the
    scenario stops waiting for a task that will not end and leaves it to the runner
    (which reports it as left running).

    A ``NotImplementedError`` from the task (the untouched stub) is raised again, so
    that the runner reports the exercise as not attempted.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(start())
    if cancel_after is not None:
        await asyncio.wait([task], timeout=cancel_after)
        if not task.done():
            task.cancel()
            ending.cancel_requests += 1
            if cancel_again_after is not None:
                await asyncio.wait([task], timeout=cancel_again_after)
                if not task.done():
                    task.cancel()
                    ending.cancel_requests += 1
    await asyncio.wait([task], timeout=give_up_after)
    note_ending(task, ending, started)


def note_ending(task: asyncio.Future[Any], ending: Ending, started: float) -> None:
    """How ``task`` ended, into ``ending`` (``started``: the loop's time when it began).

    The untouched stub's ``NotImplementedError`` is raised again (see :func:`watch`).
    """
    ending.elapsed = asyncio.get_running_loop().time() - started
    if not task.done():
        return
    ending.finished = True
    ending.cancelled = task.cancelled()
    if not task.cancelled():
        ending.error = task.exception()
        if isinstance(ending.error, NotImplementedError):
            raise ending.error
        ending.value = None if ending.error is not None else task.result()
        # A coroutine in the result means an await was forgotten.  Close it now, or
        # Python warns "never awaited" later, in whatever cell the learner runs next.
        for coroutine in coroutines_in(ending.value, depth=3):
            ending.returned_coroutines.append(coroutine.__name__)
            coroutine.close()


def watch_answer(
    start: Callable[[], Awaitable[Any]],
    note_end: Callable[[], None] | None = None,
    **cancel: float,
) -> tuple[Outcome, Ending]:
    """Run :func:`watch` on the runner, under the exercise's time limit: what happened,
    and how it ended.

    ``cancel`` takes :func:`watch`'s ``cancel_after``, ``cancel_again_after`` and
    ``give_up_after``.  ``note_end()`` runs once the task has ended, before the runner
    cleans up after it (to record the state of the checker's fakes at that moment), and
    also when the time limit stops the scenario first.  A coroutine the answer returned
    unawaited is reported in the outcome, where ``common_mistakes`` names it as a
    forgotten ``await``.
    """
    ending = Ending()
    noted = False

    def note() -> None:
        nonlocal noted
        if note_end is not None and not noted:
            noted = True
            note_end()

    async def scenario() -> None:
        try:
            await watch(start, ending, **cancel)
        finally:
            note()
            _let_go(ending.error)

    outcome = run_coroutine(scenario)
    outcome.returned_coroutines.extend(ending.returned_coroutines)
    return outcome, ending


def _let_go(error: BaseException | None) -> None:
    """Let go of what ``error`` keeps alive: the frames of its traceback (the answer's
    variables, a coroutine made and never awaited among them) and the coroutine an
    ``AttributeError`` keeps as ``obj`` (one used as if it were its result), so that
    "never awaited" is warned now, during the check, not in the learner's next cell."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        kept = getattr(error, "obj", None)
        if inspect.iscoroutine(kept):
            kept.close()
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                _let_go(inner)
        error = error.__context__


# --- Threads and the event loop (lesson 04 on) ------------------------------------------


class LoopThreadGuard:
    """Notice code that schedules work on a loop from another thread, as debug mode does.

    An event loop and its futures may only be touched from the loop's own thread
    (``call_soon_threadsafe`` is the way in from others).  ``future.set_result`` called
    from a worker thread *seems* to work on a busy loop, so a checker cannot tell it by
    the result.  This guard, used on the loop's thread, wraps ``loop.call_soon`` for the
    duration of a ``with`` block and notes every call made from another thread::

        with LoopThreadGuard(loop) as guard:
            ...  # run the answer
        if guard.calls: ...  # names of what was scheduled from the wrong thread

    ``call_soon_threadsafe`` does not go through ``call_soon``, so it is never noted.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.calls: list[str] = []
        self._thread = threading.get_ident()

    def __enter__(self) -> LoopThreadGuard:
        original = self.loop.call_soon

        def call_soon(callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            if threading.get_ident() != self._thread:
                self.calls.append(getattr(callback, "__qualname__", repr(callback)))
            return original(callback, *args, context=context)

        self.loop.call_soon = call_soon  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: object) -> None:
        del self.loop.call_soon  # back to the class's own method


def names_used(function: Any) -> set[str]:
    """Every global and attribute name the code of ``function`` mentions, nested code too.

    ``urllib.request.urlopen(url)`` mentions ``urllib``, ``request`` and ``urlopen``.  A
    checker uses this to say *which* blocking call an answer made, once it has seen by
    what happened (a blocked loop) that it made one.  For a class, its methods count.
    """
    function = inspect.unwrap(function)
    codes = []
    if inspect.isclass(function):
        codes = [m.__code__ for m in vars(function).values() if hasattr(m, "__code__")]
    elif hasattr(function, "__code__"):
        codes = [function.__code__]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(const for const in code.co_consts if inspect.iscode(const))
    return names


# --- What a server saw (lesson 05, the capstone) ----------------------------------------

BLOCKING_CLIENTS = {
    "urllib": "urllib.request.urlopen",
    "requests": "requests",
    "http.client": "http.client",
    "socket": "a plain socket",
}
"""Blocking network clients, by the name a server or an answer's code shows them under."""


def blocking_client(function: Any, clients_seen: Mapping[str, int] | None = None) -> str | None:
    """Which blocking network client ``function`` used, if any: ``"urllib.request.urlopen"``.

    The server's count of client programs (from the User-Agent header, see
    :class:`asyncio_tutorial.servers.Traffic`) is asked first, then the names the
    answer's code mentions.
    """
    for program in clients_seen or {}:
        if program in ("urllib", "requests"):
            return BLOCKING_CLIENTS[program]
    names = names_used(function)
    if {"urlopen", "urllib"} & names:
        return BLOCKING_CLIENTS["urllib"]
    if "requests" in names:
        return BLOCKING_CLIENTS["requests"]
    if "HTTPConnection" in names or {"http", "client"} <= names:
        return BLOCKING_CLIENTS["http.client"]
    if {"create_connection", "sendall", "recv"} & names or "socket" in names:
        return BLOCKING_CLIENTS["socket"]
    return None


def judge_limit(peak: int, limit: int, total: int, call: str) -> None:
    """Judge a client's concurrency by what the *server* saw: ``peak`` requests at once.

    More than ``limit`` is the classic unbounded fan-out; one at a time, when ``limit``
    allowed more, is a client that waited for each answer before asking the next.
    """
    if peak > limit:
        raise Wrong(
            "unbounded",
            f"{call}: the server had {peak} of the {total} requests in flight at once, more "
            f"than the limit of {limit}. Hold an `asyncio.Semaphore({limit})` around each "
            "request (`async with semaphore:`), so that at most that many run together.",
        )
    if peak <= 1 < min(limit, total):
        raise Wrong(
            "sequential",
            f"{call}: the server never had two requests in flight at once: each waited for "
            f"the one before. Start them all (gather, or a TaskGroup) and let the semaphore "
            f"keep {limit} going at a time.",
        )


# --- Futures handed back instead of awaited (lesson 04 on) -------------------------------


def returned_future(value: Any, call: str) -> None:
    """The answer returned a future (or a list of them) where it should have awaited it."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, (asyncio.Future, concurrent.futures.Future)) for item in items):
        raise Wrong(
            "returned_future",
            f"{call} returned a {type(items[0]).__name__} object instead of its result: "
            "await the future (`return await future`), which waits until it is done and "
            "gives its result.",
        )


def loop_reported(errors: list[str], name: str) -> bool:
    """Whether the loop's exception handler received an error ``name`` (an ``Outcome``'s
    ``loop_errors``): ``"InvalidStateError"`` means a future was completed twice, or
    completed after it was cancelled."""
    return any(name in report for report in errors)
