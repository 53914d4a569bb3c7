"""What the event loop's thread is doing, seen from another thread.

A blocking call made in a worker thread is fine; waiting for it *on the loop's thread*
is not.  ``future.result()``, ``thread.join()``, the end of a ``with ThreadPoolExecutor()``
block (which waits for the pool's threads) and ``threading.Event.wait()`` all hold the
loop, and nothing else runs meanwhile.  A clock can only say that the loop was late; a
look at the loop thread's stack says *which* call held it.

The checkers' helpers that block (``legacy_lookup`` in lesson 02, ``slow_checksum`` and
``start_job`` in lesson 04) take such a look from their worker thread, half-way through
their wait: a right answer's loop is then asleep in ``select()``, waiting for something
to do.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from asyncio_tutorial.checkers.runner import answers_code

FREE = "free"
"""The loop's thread waits in ``select()`` for something to do: nothing holds it."""
RUNNING = "running"
"""The loop's thread runs asyncio's (or the course's) code at that moment."""
ANSWER = "the answer's own code"
"""The loop's thread runs the answer's own code: a loop that never awaits, checking
``future.done()`` over and over, say (a right answer is asleep in ``select()`` then)."""

FUTURE_RESULT = "Future.result()"
THREAD_JOIN = "Thread.join()"
LEAVING_WITH = "the end of a `with ThreadPoolExecutor()` block"
SHUTDOWN = "Executor.shutdown()"
EVENT_WAIT = "threading.Event.wait()"
BLOCKING_WAITS = (FUTURE_RESULT, LEAVING_WITH, SHUTDOWN, THREAD_JOIN, EVENT_WAIT)
"""The blocking waits recognised on the loop's thread, the outermost cause first: the
end of a ``with`` block calls ``shutdown``, which calls ``join``."""


def activity(thread_id: int) -> str:
    """What the thread ``thread_id`` (an event loop's) is doing now: one of the names above.

    Read from its stack (``sys._current_frames``), from any other thread.
    """
    frame = sys._current_frames().get(thread_id)
    places: list[tuple[str, str]] = []  # (file name, function name), innermost first
    innermost = frame.f_code.co_filename if frame is not None else ""
    while frame is not None:
        code = frame.f_code
        places.append((Path(code.co_filename).name, code.co_name))
        frame = frame.f_back
    if not places:
        return RUNNING
    if places[0] == ("selectors.py", "select"):
        return FREE
    found = set(places)
    if ("_base.py", "result") in found or ("_base.py", "result_iterator") in found:
        return FUTURE_RESULT
    if ("thread.py", "shutdown") in found:
        return LEAVING_WITH if ("_base.py", "__exit__") in found else SHUTDOWN
    if ("threading.py", "join") in found:
        return THREAD_JOIN
    if ("threading.py", "wait") in found:
        return EVENT_WAIT
    return ANSWER if _is_answers(innermost) else RUNNING


def _is_answers(filename: str) -> bool:
    """Whether code from ``filename`` is the answer's (not the stdlib's, not the course's)."""
    return answers_code(filename)


@dataclass
class LoopWatch:
    """Looks at an event loop's thread from worker threads, and keeps what it saw.

    The scenario sets ``loop_thread`` (on the loop's thread) before running the answer;
    a helper running in a worker thread calls :meth:`look` while it waits.
    """

    loop_thread: int = 0
    seen: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def look(self) -> None:
        """Note what the loop's thread is doing at this moment (from another thread)."""
        if self.loop_thread and threading.get_ident() != self.loop_thread:
            doing = activity(self.loop_thread)
            with self._lock:
                self.seen.append(doing)

    def busy_in_answer(self) -> bool:
        """Whether every look found the loop's thread running the answer's own code."""
        return bool(self.seen) and all(doing == ANSWER for doing in self.seen)

    def held_by(self) -> str | None:
        """The blocking call seen holding the loop, if any (the outermost cause)."""
        for wait in BLOCKING_WAITS:
            if wait in self.seen:
                return wait
        return None
