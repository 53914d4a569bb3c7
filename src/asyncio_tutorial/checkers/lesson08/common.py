"""What lesson 08's checkers share: when an answer returned compared with the work it
waited for, and how a ``CancelledError`` that escaped an answer is told apart."""

from __future__ import annotations

import time
import traceback

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.diagnose import error_text
from asyncio_tutorial.checkers.runner import Outcome, answers_code

LATE = 0.15
"""An answer that returns this long after the last piece of work it waited for had ended
waited for something else (a sleep, a whole grace period).  Measured from the end of that
work, not from the start: a busy machine makes the work end late, not the answer."""


class Ends:
    """When each piece of work ended, and when the answer returned (``perf_counter``)."""

    def __init__(self) -> None:
        self.work: list[float] = []
        self.returned: float | None = None

    def clear(self) -> None:
        self.work.clear()
        self.returned = None

    def work_ended(self) -> None:
        self.work.append(time.perf_counter())

    def answer_returned(self) -> None:
        self.returned = time.perf_counter()

    def late(self) -> float:
        """Seconds from the end of the last piece of work to the answer's return."""
        ended = [when for when in self.work if self.returned is None or when <= self.returned]
        if self.returned is None or not ended:
            return 0.0
        return self.returned - max(ended)


def judge_not_late(ends: Ends, call: str, work: str) -> None:
    """The answer returned as soon as the ``work`` it waited for had ended."""
    late = ends.late()
    if late > LATE:
        raise Wrong(
            "too_slow",
            f"{call} returned {late:.1f} s after {work} had ended: it waited for something "
            "else meanwhile (a sleep?). Return as soon as the work is done.",
        )


def raised_on(error: BaseException) -> str:
    """The line of the answer's function that ``error`` came out of ("" when unknown).

    The outermost frame that is neither the course's nor the standard library's: a
    ``CancelledError`` carries the frames of the task it cancelled too, deeper down,
    and they may be the answer's code as well.
    """
    for frame in traceback.extract_tb(error.__traceback__):
        if answers_code(frame.filename):
            return frame.line or ""
    return ""


def cancelled_error(call: str, error: BaseException, advice: str) -> Wrong:
    """A ``CancelledError`` escaped the answer: it asked a cancelled task for its result,
    or awaited a task it had cancelled (for the checker to raise)."""
    line = raised_on(error)
    if "result(" not in line and ("await" in line or "gather" in line):
        return Wrong(
            "cancelled_error_escaped",
            f"{call} raised CancelledError at `{line.strip()}`: awaiting a task you have "
            "cancelled raises its CancelledError in you. Wait for cancelled tasks with "
            "`await asyncio.wait(tasks)`, which waits without raising what they raise.",
        )
    return Wrong(
        "result_of_cancelled_task",
        f"{call} raised CancelledError: it asked a cancelled task for its result. {advice}",
    )


def coroutine_used_as_result(outcome: Outcome, call: str) -> None:
    """A coroutine object used as if it were its result: ``done, pending = asyncio.wait(
    ...)`` without ``await`` raises "cannot unpack non-iterable coroutine object"."""
    error = outcome.error
    if isinstance(error, TypeError) and "coroutine object" in str(error):
        name = outcome.never_awaited[0] if outcome.never_awaited else "the coroutine"
        raise Wrong(
            "forgot_await",
            f"{call} raised {error_text(error)}. The coroutine object of {name}(...) was used "
            f"as if it were its result: nothing runs until it is awaited. Put `await` in "
            f"front of the call to {name}.",
        )
