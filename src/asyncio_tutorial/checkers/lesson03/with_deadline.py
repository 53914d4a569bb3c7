"""Exercise 3, ``with_deadline(operation, seconds, default)``: give up on a slow call.

Four scenarios: an operation that answers in time (0.1 s of 0.5 s), one that is too slow
(1 s of 0.3 s: the default, and the call cancelled), one that fails (its error goes on),
and ``with_deadline`` itself cancelled from outside (it must end cancelled).  The two
deadlines differ, so an answer that ignores ``seconds`` shows: the timeout an answer
asked its loop for is known exactly (``Outcome.waits``), whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    expect_coroutine_function,
    judge_duration,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import names_used

from .common import (
    SLACK,
    Operation,
    catches_everything,
    common_mistakes,
    describe_value,
    ended,
    return_in_finally,
    returns_in_finally,
    watch_answer,
)

DEFAULT = "unavailable"
IN_TIME = 0.5  # the deadline when the operation answers in time (after 0.1 s)
TOO_SLOW = 0.3  # the deadline when it takes 1 s


@dataclass
class _Run:
    """One run of with_deadline: what happened, and what the slow call's task was doing."""

    outcome: Outcome
    operation: Operation
    call: str
    cancelled_not_stopped: bool = False
    """The operation's task had been asked to stop, and had not, when with_deadline ended."""

    def asked_for(self, deadline: float) -> bool:
        """Whether the answer asked its loop for a wait of ``deadline`` seconds (a timeout)."""
        # A timeout's wait is noted a moment after its deadline was set, so it may read a
        # little less than asked (never more): allow for that, on a busy machine too.
        return any(-0.09 < wait - deadline < 0.002 for wait in self.outcome.waits)


def _run_deadline(with_deadline: Any, operation: Operation, deadline: float, call: str) -> _Run:
    run = _Run(Outcome(), operation, call)

    async def scenario() -> Any:
        try:
            return await with_deadline(operation.given(), deadline, DEFAULT)
        finally:
            own = operation.task is asyncio.current_task()  # awaited in with_deadline itself
            run.cancelled_not_stopped = not own and operation.cancel_asked_not_done()

    run.outcome = run_coroutine(scenario)
    return run


def check_with_deadline(with_deadline: Any) -> Result:
    """``with_deadline(op, seconds, default)``: op's result in time, else ``default``."""
    expect_coroutine_function(with_deadline)
    in_time = _deadline_in_time(with_deadline)
    slow = _deadline_too_slow(with_deadline)
    _deadline_error(with_deadline)
    _deadline_cancelled(with_deadline)
    return correct(
        f"with_deadline returned the answer that came in time, after {took(in_time)}; gave "
        f"up on a slow call after {took(slow)}, at the {TOO_SLOW:g} s timeout it set, with "
        "the default, and the slow call was cancelled; let a ConnectionError through; and "
        "ended cancelled when cancelled from outside."
    )


def _deadline_in_time(with_deadline: Any) -> float:
    """An operation that answers after 0.1 s, well within the deadline: its result."""
    operation = Operation(0.1)
    call = f"with_deadline(operation, {IN_TIME}, {DEFAULT!r}) with an operation that takes 0.1 s"
    run = _run_deadline(with_deadline, operation, IN_TIME, call)
    outcome = run.outcome
    common_mistakes(outcome, call)
    if operation.calls != 1:
        raise Wrong(
            "wrong_calls",
            f"{call} called the operation {operation.calls} times; call it once, "
            "`await operation()`.",
        )
    if outcome.value != operation.result:
        raise Wrong(
            "wrong_value",
            f"{call} returned {describe_value(outcome.value)}, not the operation's "
            f"result, {operation.result!r}.",
        )
    _judge_deadline_asked(run, IN_TIME)
    if operation.ended and outcome.elapsed > operation.duration + SLACK:
        raise Wrong(
            "kept_waiting",
            f"{call}: the operation answered after {seconds(operation.duration)}, but "
            f"with_deadline returned only after {seconds(outcome.elapsed)}: it waited out "
            "the deadline instead of returning the answer as soon as it came. Await the "
            "operation itself inside the timeout: `return await operation()`.",
        )
    judge_duration(outcome.elapsed, operation.duration, call, tolerance=SLACK)
    return outcome.elapsed


def _judge_deadline_asked(run: _Run, deadline: float) -> None:
    """The timeout the answer asked for is the ``seconds`` it was given."""
    waits = run.outcome.waits
    if waits and not run.asked_for(deadline):
        asked = " and ".join(f"{wait:g} s" for wait in waits)
        raise Wrong(
            "ignored_seconds",
            f"{run.call} asked the event loop to wait {asked}, but `seconds` was "
            f"{deadline:g}: give up after the time you are given, "
            "`async with asyncio.timeout(seconds):`.",
        )


def _deadline_too_slow(with_deadline: Any) -> float:
    """An operation that takes 1 s, with a deadline of 0.3 s: the default, the call cancelled."""
    operation = Operation(1.0)
    call = f"with_deadline(operation, {TOO_SLOW}, {DEFAULT!r}) with an operation that takes 1 s"
    run = _run_deadline(with_deadline, operation, TOO_SLOW, call)
    outcome = run.outcome
    if isinstance(outcome.error, TimeoutError) and not outcome.timed_out:
        raise _timeout_escaped(with_deadline, call)
    left_running = "operation" in outcome.left_running and outcome.value == DEFAULT
    if not left_running:  # (that one is named below, as the slow call not cancelled)
        common_mistakes(outcome, call)
    if outcome.elapsed >= operation.duration - EARLY_ALLOWANCE:
        if run.asked_for(TOO_SLOW):
            raise Wrong(
                "timeout_wrong_scope",
                f"{call} set a timeout of {TOO_SLOW:g} s, but waited for the whole "
                f"operation ({seconds(outcome.elapsed)}): the await of the operation was "
                "not inside the timeout's block. Put it there: `async with "
                "asyncio.timeout(seconds):` then `return await operation()` in the block.",
            )
        raise Wrong(
            "no_timeout",
            f"{call} waited for the whole operation ({seconds(outcome.elapsed)}). Give up "
            "after `seconds`: wrap the await in `async with asyncio.timeout(seconds):`.",
            suggests="asyncio.timeout(seconds)",
        )
    if outcome.value != DEFAULT:
        raise Wrong(
            "wrong_fallback",
            f"{call} returned {describe_value(outcome.value)} when the time was up; it "
            f"should return the default it was given, {DEFAULT!r}.",
        )
    _judge_deadline_asked(run, TOO_SLOW)
    if run.cancelled_not_stopped:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call} cancelled the slow operation, but returned before it had stopped: "
            "cancel() only asks, and the operation still runs until it gets a turn to "
            "stop. Let `async with asyncio.timeout(seconds):` cancel it: the block waits "
            "until the operation has stopped.",
        )
    if left_running or not operation.cancelled:
        _not_cancelled(with_deadline, call)
    judge_duration(outcome.elapsed, TOO_SLOW, call, tolerance=SLACK)
    return outcome.elapsed


def _timeout_escaped(with_deadline: Any, call: str) -> Wrong:
    """The TimeoutError went up: say why it was not caught, from what the answer catches."""
    names = names_used(with_deadline)
    if "TimeoutError" in names:
        return Wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError instead of returning the default. Catch it "
            "*around* the `async with asyncio.timeout(...)` block: inside the block the "
            "operation sees CancelledError, which becomes TimeoutError only as it leaves.",
        )
    if "CancelledError" in names:
        return Wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError instead of returning the default. What the time "
            "limit raises, as it leaves the `async with asyncio.timeout(...)` block, is "
            "TimeoutError: catch that around the block, `except TimeoutError: return "
            "default`, and never CancelledError.",
            suggests="except TimeoutError",
        )
    return Wrong(
        "timeout_escaped",
        f"{call} raised TimeoutError instead of returning the default: nothing caught it. "
        "Put the timeout in a `try:` and `except TimeoutError: return default`.",
        suggests="except TimeoutError",
    )


def _not_cancelled(with_deadline: Any, call: str) -> None:
    """The default came back, but the slow operation was left running."""
    if "shield" in names_used(with_deadline):
        raise Wrong(
            "not_cancelled",
            f"{call} returned the default but left the slow operation running: the shield "
            "kept the timeout from cancelling it, and nothing waits for it any more. Give "
            "up on it for good: await it without `asyncio.shield` inside the timeout.",
        )
    raise Wrong(
        "not_cancelled",
        f"{call} returned the default but left the slow operation running. Let the "
        "timeout cancel it: await it inside `async with asyncio.timeout(seconds):`.",
        suggests="asyncio.timeout(seconds)",
    )


def _deadline_error(with_deadline: Any) -> None:
    """An operation that fails after 0.1 s: its ConnectionError goes on to the caller."""
    operation = Operation(0.1, error=ConnectionError("connection reset"))
    call = f"with_deadline(operation, {TOO_SLOW}, {DEFAULT!r}) with an operation that fails"
    outcome = _run_deadline(with_deadline, operation, TOO_SLOW, call).outcome
    common_mistakes(outcome, call, expected_error=ConnectionError)
    if outcome.error is not None:
        return
    if returns_in_finally(with_deadline):
        raise return_in_finally(call, "the operation's ConnectionError")
    also = (
        " A bare `except:` or `except BaseException:` would swallow the caller's cancellation too."
        if catches_everything(with_deadline)
        else ""
    )
    raise Wrong(
        "caught_too_much",
        f"{call} returned {describe_value(outcome.value)}, hiding the operation's "
        "ConnectionError. Catch only TimeoutError; other errors must reach the caller." + also,
    )


def _deadline_cancelled(with_deadline: Any) -> None:
    """with_deadline cancelled from outside after 0.1 s: it must end cancelled."""
    operation = Operation(1.0)
    call = f"with_deadline(operation, {IN_TIME}, {DEFAULT!r}), cancelled from outside after 0.1 s"
    outcome, ending = watch_answer(
        lambda: with_deadline(operation.given(), IN_TIME, DEFAULT), lambda: None, cancel_after=0.1
    )
    common_mistakes(outcome, call)
    if ending.cancelled:
        return
    if returns_in_finally(with_deadline):
        raise return_in_finally(call, "the cancellation")
    raise Wrong(
        "swallowed_cancellation",
        f"{call} {ended(ending)} instead of ending cancelled: it swallowed the "
        "CancelledError. Catch only TimeoutError, never CancelledError, so that "
        "whoever cancels your code can stop it.",
    )


ex3 = Exercise(
    title="Give up on a slow call",
    answer="with_deadline",
    checker=check_with_deadline,
    hints=[
        "`async with asyncio.timeout(seconds):` around `return await operation()` gives up "
        "after `seconds`, cancelling the operation.",
        "When the time is up, the `async with` block raises TimeoutError as it ends: put "
        "the `try:` around the whole block, and `except TimeoutError: return default`.",
        "Catch nothing else: a ConnectionError must reach the caller, and a "
        "CancelledError must never be swallowed.",
    ],
)
