"""Exercise 4, ``shut_down``: a grace period, then cancel what is left and wait for it.

The scenario starts pretend requests of given lengths (:class:`_Request`), each of which
rolls back for 0.1 s when cancelled, and hands their tasks to ``shut_down``.  It notes
how many requests were still unfinished when ``shut_down`` returned, and how many rolled
back; the waits ``shut_down`` asked the loop for (``Outcome.waits``) say how long it
meant to wait, exactly, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.lesson08.common import (
    LATE,
    Ends,
    coroutine_used_as_result,
    judge_not_late,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import names_used

ROLLBACK = 0.1  # seconds a cancelled request takes to roll back
_ends = Ends()


@dataclass
class _Request:
    """A pretend request in flight, which rolls back for 0.1 s when cancelled."""

    seconds: float
    rolled_back: bool = False

    async def handle(self) -> str:
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            await asyncio.sleep(ROLLBACK)  # roll back
            self.rolled_back = True
            raise
        finally:
            _ends.work_ended()
        return "done"


async def _shutdown_scenario(shut_down: Any, durations: list[float], grace: float) -> Any:
    """What shut_down returned, how many requests were not done, how many rolled back."""
    requests = [_Request(duration) for duration in durations]
    tasks = {asyncio.create_task(request.handle()) for request in requests}
    await asyncio.sleep(0)  # the requests are under way
    value = await shut_down(tasks, grace)
    _ends.answer_returned()
    unfinished = sum(not task.done() for task in tasks)
    return value, unfinished, sum(request.rolled_back for request in requests)


CASES = [  # request lengths, grace, (finished, cancelled)
    ([0.1, 0.2, 1.0], 0.3, (2, 1)),  # 0.3 s of grace, then 0.1 s of rollback
    ([0.1, 0.2], 0.5, (2, 0)),  # all done after 0.2 s
]


def check_shut_down(shut_down: Any) -> Result:
    """``shut_down(tasks, grace)``: grace period, then cancel and wait; (finished, cancelled)."""
    expect_coroutine_function(shut_down)
    (first, rolled_back), (early, _) = [_judge_shut_down(shut_down, *case) for case in CASES]
    return correct(
        f"shut_down gave the requests their grace period of {CASES[0][1]} s, cancelled the "
        f"{rolled_back} still running, waited for its rollback, and returned "
        f"{first.value[0]!r} after {took(first.elapsed)}; when everything finished early, "
        f"it returned {early.value[0]!r} after {took(early.elapsed)}, as soon as it had."
    )


def _judge_shut_down(
    shut_down: Any, durations: list[float], grace: float, expected: tuple[int, int]
) -> tuple[Outcome, int]:
    """One case: what came back, and how many requests rolled back."""
    call = f"shut_down(tasks, grace={grace}) with requests of {durations} s"
    _ends.clear()
    outcome = run_coroutine(partial(_shutdown_scenario, shut_down, durations, grace))
    if isinstance(outcome.error, asyncio.CancelledError):
        raise Wrong(
            "cancelled_error_escaped",
            f"{call} raised CancelledError: awaiting a task you cancelled raises it in "
            "you. Wait with `await asyncio.wait(tasks)`, which does not raise.",
        )
    outcome.left_running = []  # told apart below
    coroutine_used_as_result(outcome, call)
    common_mistakes(outcome, call)
    value, unfinished, rolled_back = outcome.value
    _judge_unfinished(outcome, unfinished, grace, call)
    if rolled_back > expected[1]:
        early = (
            " `return_when=FIRST_COMPLETED` makes wait() return as soon as one request "
            "finishes: leave it out, and wait() returns when all are done or the time is up."
            if "FIRST_COMPLETED" in names_used(shut_down)
            else " Wait up to `grace` seconds first: `asyncio.wait(tasks, timeout=grace)`."
        )
        raise Wrong(
            "no_grace",
            f"{call} cancelled {rolled_back} requests, but {expected[0]} would "
            f"have finished within the grace period of {grace} s.{early}",
        )
    if expected[1] and not rolled_back:  # everything ran to its end, the slowest too
        _judge_not_stopped(outcome, grace, call)
    if not expected[1] and _ends.late() > LATE:
        raise Wrong(
            "waited_full_grace",
            f"{call} returned {_ends.late():.1f} s after the last request had finished: "
            f"it sat out the whole grace period of {grace} s. Wait for the tasks with a "
            "timeout rather than sleeping: `asyncio.wait(tasks, timeout=grace)`, which "
            "returns as soon as they are all done.",
            suggests="asyncio.wait(tasks, timeout=grace)",
        )
    judge_not_late(_ends, call, "the last request")
    _judge_counts(value, expected, call)
    return outcome, rolled_back


def _judge_not_stopped(outcome: Outcome, grace: float, call: str) -> None:
    """The slowest request ran to its end: the grace was never given, or never enforced."""
    if any(abs(wait - grace) < 1e-6 for wait in outcome.waits):
        raise Wrong(
            "not_cancelled",
            f"{call} waited out the grace period of {grace} s, then went on waiting for "
            f"the request still running, to its end ({seconds(outcome.elapsed)}), instead "
            "of cancelling it. Once the grace is over, cancel each task still running, "
            "`task.cancel()`, then wait for them to roll back.",
            suggests="cancel()",
        )
    raise Wrong(
        "ignored_grace",
        f"{call} took {seconds(outcome.elapsed)}: it waited for the slowest request "
        f"instead of giving up after {grace} s. Use `asyncio.wait(tasks, timeout=grace)`.",
        suggests="timeout=grace",
    )


def _judge_unfinished(outcome: Outcome, unfinished: int, grace: float, call: str) -> None:
    """Every request, finished or rolled back, when shut_down returned."""
    if not unfinished:
        return
    guesses = [wait for wait in outcome.waits if abs(wait - grace) > 1e-6]
    if guesses:
        raise Wrong(
            "guessed_the_rollback",
            f"{call} returned before the cancelled requests had finished rolling back: "
            f"it slept {seconds(guesses[0])} after cancelling them, a guess at how long "
            "a rollback takes. Wait for the cancelled tasks themselves instead: "
            "`await asyncio.wait(...)` on them returns when they have stopped, however "
            "long that takes.",
        )
    raise Wrong(
        "cancelled_not_awaited",
        f"{call} returned before the cancelled requests had finished rolling back. "
        "cancel() only asks: wait for the cancelled tasks with `await asyncio.wait(...)`.",
    )


def _judge_counts(value: Any, expected: tuple[int, int], call: str) -> None:
    """``(finished, cancelled)``: two numbers."""
    pair = tuple(value) if isinstance(value, list | tuple) else value
    if isinstance(pair, tuple) and any(isinstance(each, set | list) for each in pair):
        raise Wrong(
            "wrong_counts",
            f"{call} returned the sets of tasks themselves; return how many there are in "
            f"each: `len(...)`, {expected!r} here.",
            suggests="len(",
        )
    if pair == expected[::-1] and expected[0] != expected[1]:
        raise Wrong(
            "wrong_counts",
            f"{call} returned {value!r}: the two counts the wrong way round. Return "
            f"(finished, cancelled): {expected!r} here.",
        )
    if pair != expected:
        raise Wrong(
            "wrong_counts",
            f"{call} returned {value!r}; {expected[0]} requests finished and "
            f"{expected[1]} {'was' if expected[1] == 1 else 'were'} cancelled, so it should "
            f"return {expected!r}.",
        )


ex4 = Exercise(
    title="Shut down with a grace period",
    answer="shut_down",
    checker=check_shut_down,
    hints=[
        "`done, pending = await asyncio.wait(tasks, timeout=grace)` waits at most `grace` "
        "seconds, and returns sooner if they all finish.",
        "Cancel each task in `pending`, then `await asyncio.wait(pending)` (if there are "
        "any: wait() refuses an empty set) so that their rollbacks run.",
        "Return `(len(done), len(pending))`.",
    ],
)
