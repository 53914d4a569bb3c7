"""Futures that note who completed them, and errors raised in other threads.

A future completed from the wrong thread often *seems* to work (the loop is woken by
something else soon enough), and a second ``set_result`` fails far from its cause.  So
lesson 04's checkers do not judge futures by their results alone.  While an answer runs,
the loop's ``create_future`` hands out :class:`Future` objects: ordinary asyncio
futures that also note how each was completed (``set_result`` or ``set_exception``), on
which thread, whether inside a task, and every attempt to complete one that was done
already.  ``run_in_executor`` and ``wrap_future`` make their futures the same way, so
theirs are noted too.  :class:`ThreadErrors` keeps what the answer's own threads raise
(a ``set_result`` on a cancelled future, in a ``threading.Timer``), instead of letting
it print a traceback in whatever cell runs next.

A watched future's hash is also set, so that a set of them (``asyncio.wait``'s ``done``)
iterates in the *reverse* of the order they were made: an answer that reads results
from such a set gets them out of order every time, not only when the set happens to
iterate that way.  :func:`reversed_task_sets` does the same for tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_HASH_BASE = (1 << 20) + 7
"""Hashes count down from here, one per future made: sets of up to 8 of them (and of
many more, since the base is 7 more than a large power of two) iterate newest first."""


@dataclass(frozen=True)
class Completion:
    """One call that completed (or tried to complete) a future."""

    how: str
    """``"set_result"`` or ``"set_exception"``."""
    value: Any
    on_loop_thread: bool
    """Made on the thread that runs the future's loop (as it must be)."""
    in_task: bool
    """Made by a task's code (a coroutine), not by a plain callback of the loop."""
    thread_name: str
    too_late: bool
    """The future was done already (completed, or cancelled): InvalidStateError."""


@dataclass
class FutureBook:
    """Every future the loop made while an answer ran, and how each was completed."""

    loop_thread: int = 0
    futures: list[Future] = field(default_factory=list)

    def handed_to_threads(self) -> int:
        """How many futures were made for calls handed to threads (``run_in_executor``,
        ``to_thread``, ``wrap_future``)."""
        return sum(future.made_by == "wrap_future" for future in self.futures)

    def completed_from_other_threads(self) -> list[Completion]:
        return [
            done
            for future in self.futures
            for done in future.completions
            if not done.on_loop_thread
        ]

    def completed_in_tasks(self) -> list[Completion]:
        return [
            done
            for future in self.futures
            for done in future.completions
            if done.in_task and not done.too_late
        ]

    def too_late(self) -> list[Completion]:
        """Attempts to complete a future that was done already (InvalidStateError)."""
        return [done for future in self.futures for done in future.completions if done.too_late]


class Future(asyncio.Future):  # type: ignore[type-arg]
    """An asyncio future that notes every call completing it (see the module's text).

    Named ``Future``, like what it stands for, so that it reads as one in messages.
    """

    def __init__(self, *, loop: asyncio.AbstractEventLoop, book: FutureBook, made_by: str) -> None:
        self._book = book
        self._number = len(book.futures)
        super().__init__(loop=loop)
        self.made_by = made_by
        """The function that asked for it: ``"wrap_future"`` (for ``run_in_executor``,
        ``to_thread`` and ``wrap_future`` itself), ``"sleep"``, or the answer's own."""
        self.completions: list[Completion] = []
        book.futures.append(self)

    def __hash__(self) -> int:
        return _HASH_BASE - self._number

    def _note(self, how: str, value: Any) -> None:
        on_loop_thread = threading.get_ident() == self._book.loop_thread
        in_task = False
        if on_loop_thread:
            with contextlib.suppress(RuntimeError):
                in_task = asyncio.current_task() is not None
        name = threading.current_thread().name
        self.completions.append(
            Completion(how, value, on_loop_thread, in_task, name, too_late=self.done())
        )

    def set_result(self, result: Any) -> None:
        self._note("set_result", result)
        super().set_result(result)

    def set_exception(self, exception: Any) -> None:
        self._note("set_exception", exception)
        super().set_exception(exception)


@contextlib.contextmanager
def watched_futures(loop: asyncio.AbstractEventLoop) -> Iterator[FutureBook]:
    """While the block runs (on ``loop``'s thread), ``loop.create_future()`` makes
    :class:`Future` objects, all noted in the :class:`FutureBook` given."""
    book = FutureBook(loop_thread=threading.get_ident())

    def create_future() -> Future:
        made_by = sys._getframe(1).f_code.co_name
        return Future(loop=loop, book=book, made_by=made_by)

    loop.create_future = create_future  # type: ignore[method-assign]
    try:
        yield book
    finally:
        del loop.create_future  # back to the class's own method


class Task(asyncio.Task):  # type: ignore[type-arg]
    """A task whose hash makes sets of tasks iterate newest first (see the module).

    Named ``Task``, like what it stands for, so that it reads as one in messages.
    """

    def __init__(self, coro: Any, *, number: int, **kwargs: Any) -> None:
        self._hash = _HASH_BASE - number  # before the task is put in any set
        super().__init__(coro, **kwargs)

    def __hash__(self) -> int:
        return self._hash


@contextlib.contextmanager
def reversed_task_sets(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """While the block runs, tasks made on ``loop`` iterate newest first in a set."""
    made = 0

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        nonlocal made
        made += 1
        return Task(coro, number=made, loop=loop, **kwargs)

    previous = loop.get_task_factory()
    loop.set_task_factory(factory)
    try:
        yield
    finally:
        loop.set_task_factory(previous)


@dataclass
class ThreadErrors:
    """What threads raised while the block ran (``threading.excepthook``), kept quiet::

    with ThreadErrors() as errors:
        ...  # run the answer
    errors.raised  # [("Thread-3", InvalidStateError(...)), ...]
    """

    raised: list[tuple[str, BaseException]] = field(default_factory=list)

    def __enter__(self) -> ThreadErrors:
        self._previous = threading.excepthook
        threading.excepthook = self._keep
        return self

    def _keep(self, args: Any) -> None:
        name = args.thread.name if args.thread is not None else "a thread"
        if args.exc_value is not None:
            self.raised.append((name, args.exc_value))

    def __exit__(self, *exc_info: object) -> None:
        threading.excepthook = self._previous
