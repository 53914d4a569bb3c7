"""Exercise 2, ``fastest``: stop a task group as soon as the first answer is in.

``ask`` is the workbook's pretend mirror.  While a check runs it notes the task asking
each mirror and whether that request was cancelled, so the checker sees, when
``fastest`` returns, which requests were still running, which had been cancelled but not
yet stopped, and which had stopped: exact, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson08.common import (
    Ends,
    cancelled_error,
    coroutine_used_as_result,
    judge_not_late,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency

MIRRORS: dict[str, float] = {"eu": 0.3, "us": 0.1, "asia": 0.2}
"""How long ``ask(mirror)`` takes for each mirror, in seconds."""

DOWN = 0.05
"""``ask("down")`` raises ``ConnectionError`` after this many seconds: a mirror that is down."""

_asked: dict[str, asyncio.Task[Any]] = {}
_cancelled: list[str] = []  # the mirrors whose request was cancelled
_answered: list[str] = []  # the mirrors that sent the file
_ends = Ends()
_mirrors = Concurrency()


async def ask(mirror: str) -> str:
    """Pretend to download the file from ``mirror``; return ``"file from us"``.

    ``"us"`` answers after 0.1 s, ``"asia"`` after 0.2 s and ``"eu"`` after 0.3 s.
    ``"down"`` is a mirror that is down: it raises ``ConnectionError`` after 0.05 s.
    """
    task = asyncio.current_task()
    if task is not None:
        _asked[mirror] = task
    async with _mirrors.track():
        try:
            await asyncio.sleep(DOWN if mirror == "down" else MIRRORS.get(mirror, 0.2))
        except asyncio.CancelledError:
            _cancelled.append(mirror)
            raise
        finally:
            _ends.work_ended()
    if mirror == "down":
        raise ConnectionError(f"{mirror}: connection refused")
    _answered.append(mirror)
    return f"file from {mirror}"


@dataclass
class _Race:
    """What fastest returned, and the requests still running or stopping when it ended."""

    value: Any = None
    running: list[str] = field(default_factory=list)
    stopping: list[str] = field(default_factory=list)


async def _race(fastest: Any, mirrors: list[str], race: _Race) -> Any:
    """Await the answer; note which requests were still running when it ended."""
    try:
        race.value = await fastest(list(mirrors))
    finally:
        _ends.answer_returned()
        this = asyncio.current_task()
        left = [(m, t) for m, t in sorted(_asked.items()) if t is not this and not t.done()]
        race.running = [mirror for mirror, task in left if not task.cancelling()]
        race.stopping = [mirror for mirror, task in left if task.cancelling()]
    return race.value


def _run_race(fastest: Any, mirrors: list[str]) -> tuple[Outcome, _Race]:
    _asked.clear()
    _cancelled.clear()
    _answered.clear()
    _ends.clear()
    _mirrors.reset()
    race = _Race()
    outcome = run_coroutine(partial(_race, fastest, mirrors, race))
    return outcome, race


def check_fastest(fastest: Any) -> Result:
    """``fastest(mirrors)``: the first answer, with the other requests stopped."""
    expect_coroutine_function(fastest)
    first, cancelled = _judge_race(fastest, ["eu", "us", "asia"])
    _judge_race(fastest, ["eu", "asia"])
    _judge_mirror_down(fastest, ["eu", "down"])
    return correct(
        f"fastest(['eu', 'us', 'asia']) returned 'file from us' after {took(first.elapsed)}, "
        f"with the {len(cancelled)} slower requests cancelled and stopped before it "
        "returned; fastest(['eu', 'asia']) returned 'file from asia' the same way; and "
        "with a mirror down, its ConnectionError reached the caller, the other request "
        "stopped."
    )


def _judge_race(fastest: Any, mirrors: list[str]) -> tuple[Outcome, list[str]]:
    """One race: the first answer, the others stopped; and the requests cancelled."""
    call = f"fastest({mirrors!r})"
    outcome, race = _run_race(fastest, mirrors)
    _judge_error(outcome, call)
    outcome.left_running = []  # the report below says more precisely what was left
    common_mistakes(outcome, call)
    winner = min(mirrors, key=lambda mirror: MIRRORS[mirror])
    if _mirrors.peak < len(mirrors):
        raise Wrong(
            "sequential",
            f"{call} asked the mirrors {_mirrors.describe(len(mirrors))}. Ask them all "
            "at once, in one TaskGroup, and keep the first answer.",
        )
    _judge_left(race, call)
    if len(_answered) == len(mirrors):
        raise Wrong(
            "waited_for_all",
            f"{call} waited for every mirror: all {len(mirrors)} sent the file, none was "
            f"stopped, and it took {seconds(outcome.elapsed)}. The first answer came after "
            f"{seconds(MIRRORS[winner])}; stop the group then, which cancels the others.",
        )
    if race.value != f"file from {winner}":
        raise Wrong(
            "wrong_value",
            f"{call} returned {race.value!r}; the first mirror to answer was "
            f"{winner!r}, so it should return 'file from {winner}'.",
        )
    judge_not_late(_ends, call, "the last request")
    return outcome, list(_cancelled)


def _judge_error(outcome: Outcome, call: str) -> None:
    """What an exception out of fastest says about it."""
    coroutine_used_as_result(outcome, call)
    error = outcome.error
    if isinstance(error, BaseExceptionGroup) and error.subgroup(AttributeError):
        error = error.subgroup(AttributeError).exceptions[0]  # type: ignore[union-attr]
    if isinstance(error, AttributeError) and "cancel" in str(error):
        raise Wrong(
            "taskgroup_cancel_missing",
            f"{call} raised {error!r}: TaskGroup.cancel() is new in Python "
            f"{versions.CHANGES['TaskGroup.cancel'].since_text}. Here, raise an exception "
            "class of your own in the task that got the answer, and catch it around the "
            "block with `except* YourException: pass`.",
        )
    if isinstance(error, BaseExceptionGroup):
        raise Wrong(
            "group_escaped",
            f"{call} raised {error!r}. The exception that stopped the group comes out "
            "wrapped in an ExceptionGroup: catch it around the block with `except*` "
            "(a plain `except` does not match a group).",
        )
    if isinstance(error, asyncio.CancelledError):
        raise cancelled_error(call, error, "Keep the answer in a list before stopping the group.")


def _judge_left(race: _Race, call: str) -> None:
    """No request still running, or cancelled but not yet stopped, when fastest ended."""
    if race.running:
        raise Wrong(
            "others_left_running",
            f"{call} returned while {race.running} were still being asked: stop the "
            "other requests once the first answer is in (they have been cancelled now).",
        )
    if race.stopping:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call} returned while {race.stopping} had been cancelled but had not "
            "stopped yet. cancel() only asks: wait for them (a TaskGroup does).",
        )


def _judge_mirror_down(fastest: Any, mirrors: list[str]) -> None:
    """A mirror that is down fails the download: its error must reach the caller."""
    call = f"fastest({mirrors!r}) with 'down' failing after {DOWN:g} s"
    outcome, race = _run_race(fastest, mirrors)
    error = outcome.error
    got_through = isinstance(error, ConnectionError) or (
        isinstance(error, BaseExceptionGroup) and error.subgroup(ConnectionError) is not None
    )
    if not got_through:
        common_mistakes(outcome, call, expected_error=Exception)
        ended = f"raised {error_text(error)}" if error else f"returned {race.value!r}"
        raise Wrong(
            "caught_too_much",
            f"{call} {ended}: the ConnectionError of the mirror that was down never reached "
            "the caller, caught and thrown away with the exception that stops the group. "
            "Catch only your own exception class (`except* YourException:`), and let every "
            "other error go on.",
        )
    _judge_left(race, call)


ex2 = Exercise(
    title="The fastest mirror",
    answer="fastest",
    checker=check_fastest,
    hints=[
        "In a TaskGroup, one task per mirror; each one awaits ask(mirror), keeps the "
        "answer in a list, then stops the group.",
        "To stop the group before Python 3.15, raise an exception class of your own in "
        "that task, and catch it around the block with `except* YourException: pass`. On "
        "3.15 `tg.cancel()` does it without an exception.",
        "After the block, return the first answer in the list.",
    ],
)
