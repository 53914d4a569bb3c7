"""Exercise 5, ``with_spinner(operation, spinner)``: the spinner is always stopped, and waited for.

Four scenarios: the operation returns (its result, after the spinner has erased itself),
fails (its error goes on, the spinner stopped all the same), and ``with_spinner`` is
cancelled from outside, once while the operation runs and once while it waits for the
spinner to erase itself (either way it must end cancelled).  The spinner notes how it
stood when the operation ended and when ``with_spinner`` ended, or when its time ran
out: that tells a spinner left spinning from one never cancelled, or cancelled too early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    expect_coroutine_function,
    judge_duration,
    raised,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, where_waiting
from asyncio_tutorial.checkers.scenario import Ending, names_used

from .common import (
    SLACK,
    Operation,
    common_mistakes,
    describe_value,
    ended,
    has_code,
    return_in_finally,
    returns_in_finally,
    watch_answer,
)

TURN = 0.1  # seconds between the spinner's turns
ERASE = 0.1  # seconds the spinner takes to erase itself once cancelled


class _Spinner:
    """A pretend progress spinner: turns every 0.1 s until cancelled, then erases itself.

    Erasing takes 0.1 s (it awaits), so it is only finished if whoever cancelled the
    spinner also waited for it.  The answer is given :meth:`given` as ``spinner``; what
    the spinner notes says how it stood when the operation ended, and (``note_end``) when
    ``with_spinner`` ended or was stopped, before the runner cleans up after it.
    """

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.made = 0  # times spinner() was called
        self.made_after_the_operation = False
        self.caller: asyncio.Task[Any] | None = None  # the task that called it
        self.started = False
        self.cancelled = False
        self.cancelled_before_the_operation_ended = False
        self.erased = False
        self.caller_waiting_in = ""  # where with_spinner waited as the spinner finished
        self.spinning_as_the_operation_ended = False
        self.noted = False
        self.cancelled_at_end = False
        self.erased_at_end = False
        operation.on_end = self.note_operation_end

    def given(self) -> Callable[[], Coroutine[Any, Any, None]]:
        """The function the answer is given as ``spinner``: ``spinner()`` is a coroutine."""

        async def spin() -> None:
            self.started = True
            try:
                while True:
                    await asyncio.sleep(TURN)
            except asyncio.CancelledError:
                self.cancelled = True
                self.cancelled_before_the_operation_ended = not self.operation.ended
                raise
            finally:
                await asyncio.sleep(ERASE)  # erase the spinner from the screen
                self.erased = True
                caller = self.caller
                if caller is not None and not caller.done():
                    self.caller_waiting_in = where_waiting(caller)

        spin.__name__ = spin.__qualname__ = "spinner"  # as the answer knows it

        def spinner() -> Coroutine[Any, Any, None]:
            self.made += 1
            self.made_after_the_operation = self.operation.ended
            self.caller = asyncio.current_task()
            return spin()

        return spinner

    def note_operation_end(self) -> None:
        self.spinning_as_the_operation_ended = self.started and not self.cancelled

    def note_end(self) -> None:
        self.noted = True
        self.cancelled_at_end, self.erased_at_end = self.cancelled, self.erased


def _run_spinner(
    with_spinner: Any, operation: Operation, call: str, **cancel: float
) -> tuple[Outcome, Ending, _Spinner]:
    """Run with_spinner and ask the questions every scenario asks first.

    Raises the mistake found; otherwise returns what happened, how with_spinner ended,
    and the spinner, which noted its state at that moment.
    """
    spinner = _Spinner(operation)
    outcome, ending = watch_answer(
        lambda: with_spinner(operation.given(), spinner.given()), spinner.note_end, **cancel
    )
    outcome.left_running = []  # the spinner's state says more than "tasks left running"
    if "spinner" in outcome.never_awaited:
        raise Wrong(
            "spinner_not_a_task",
            f"{call} called spinner() but neither awaited it nor made it a task, so it "
            "never ran: a coroutine does nothing by itself. Run it beside the operation "
            "as a task: `spinning = asyncio.create_task(spinner())`.",
            suggests="asyncio.create_task(spinner())",
        )
    if outcome.timed_out and spinner.noted and not outcome.blocked:
        _judge_hang(with_spinner, outcome, spinner, call)
    common_mistakes(outcome, call)
    if not operation.calls:
        raise Wrong(
            "operation_not_called",
            f"{call} {ended(ending)} without ever calling the operation: the spinner was "
            "there to show that something was happening. Await it, `return await "
            "operation()`, inside the `try:`.",
        )
    if not spinner.started:
        if spinner.made and spinner.made_after_the_operation:
            raise _started_late(call)
        if spinner.made:
            raise Wrong(
                "spinner_stopped_early",
                f"{call} cancelled the spinner before it had even started: it never spun "
                "while the operation ran. Cancel it after the operation, in `finally:`.",
            )
        raise Wrong(
            "spinner_not_started",
            f"{call} never started the spinner. Start it as a task before awaiting the "
            "operation: `spinning = asyncio.create_task(spinner())`.",
            suggests="asyncio.create_task(spinner())",
        )
    return outcome, ending, spinner


def _started_late(call: str) -> Wrong:
    return Wrong(
        "spinner_started_late",
        f"{call} started the spinner only after the operation had ended, when there was "
        "nothing left to wait for. Start it first, then await the operation.",
    )


def _judge_hang(with_spinner: Any, outcome: Outcome, spinner: _Spinner, call: str) -> None:
    """The time ran out: was with_spinner waiting for a spinner nobody had cancelled?"""
    if not spinner.started or spinner.cancelled_at_end:
        return
    if not spinner.operation.calls:
        raise Wrong(
            "spinner_awaited",
            f"{call} awaited spinner() itself, and a spinner spins until it is cancelled: "
            f"with_spinner never got to the operation, and was stopped after "
            f"{outcome.time_limit:g} s. Run the spinner beside the operation, as a task: "
            "`spinning = asyncio.create_task(spinner())`.",
            suggests="asyncio.create_task(spinner())",
        )
    where = " and ".join(outcome.waiting_when_stopped) or "the spinner"
    raise Wrong(
        "spinner_not_cancelled",
        f"{call} waited for the spinner (in {where}) without cancelling it, and a spinner "
        f"spins until it is cancelled: the wait never ended, and was stopped after "
        f"{outcome.time_limit:g} s. Cancel it first, `spinning.cancel()`, then wait for it "
        "to finish erasing itself.",
        suggests=() if has_code(with_spinner, "cancel()") else "cancel()",
    )


def check_with_spinner(with_spinner: Any) -> Result:
    """``with_spinner(op, spinner)``: spinner runs as a task and is always stopped, awaited."""
    expect_coroutine_function(with_spinner)
    returned = _spinner_success(with_spinner)
    _spinner_failure(with_spinner)
    _spinner_cancelled(with_spinner)
    _spinner_cancelled_while_cleaning_up(with_spinner)
    return correct(
        f"with_spinner returned the operation's result after {took(returned)}, with the "
        "spinner spinning until the operation ended, then cancelled and erased; when the "
        "operation failed, and when with_spinner itself was cancelled, even during its "
        "cleanup, the spinner was stopped all the same, and the error or the cancellation "
        "went on to the caller."
    )


def _spinner_state(
    with_spinner: Any, outcome: Outcome, call: str, spinner: _Spinner, when: str
) -> None:
    """The spinner was cancelled, and had finished erasing itself, when with_spinner ended."""
    if not spinner.cancelled_at_end:
        cancels = has_code(with_spinner, "cancel()")
        raise Wrong(
            "spinner_left_running",
            f"{call}: {when}, the spinner was still spinning. Cancel it "
            "(`spinning.cancel()`) in a `finally:` block, so that it is stopped however "
            "with_spinner ends.",
            suggests=() if cancels else "cancel()",
        )
    if spinner.erased_at_end:
        return
    if outcome.waits:
        waited = " and ".join(f"{wait:g} s" for wait in outcome.waits)
        raise Wrong(
            "cancelled_not_awaited",
            f"{call}: {when}, the spinner had been cancelled but had not finished erasing "
            f"itself: with_spinner waited only {waited} for it. Erasing takes as long as it "
            "takes (longer on a busy machine): wait until the task has finished, with no "
            "time limit, `await asyncio.wait([spinning])`.",
        )
    raise Wrong(
        "cancelled_not_awaited",
        f"{call}: {when}, the spinner had been cancelled but had not finished its "
        "cleanup. cancel() only asks; wait for the task to finish, e.g. "
        "`await asyncio.wait([spinning])`.",
        suggests="asyncio.wait([spinning])",
    )


def _spinner_success(with_spinner: Any) -> float:
    """An operation that returns after 0.3 s: its result, once the spinner is erased."""
    operation = Operation(0.3, result="done")
    call = "with_spinner(operation, spinner) with an operation that takes 0.3 s"
    outcome, ending, spinner = _run_spinner(with_spinner, operation, call)
    if ending.cancelled or isinstance(ending.error, asyncio.CancelledError):
        raise _cancelled_error_escaped(with_spinner, call)
    if ending.error is not None:
        raise raised(ending.error, call)
    if not spinner.spinning_as_the_operation_ended:
        if spinner.cancelled_before_the_operation_ended:
            raise Wrong(
                "spinner_stopped_early",
                f"{call} cancelled the spinner before the operation had ended, so the "
                "operation went on with no spinner to show for it. Cancel it once the "
                "operation is over: in the `finally:` around `await operation()`.",
            )
        raise _started_late(call)
    _spinner_state(with_spinner, outcome, call, spinner, "when it returned")
    if ending.value != "done":
        raise Wrong(
            "wrong_value",
            f"{call} returned {describe_value(ending.value)}, not the operation's result, 'done'.",
        )
    if spinner.caller_waiting_in == "asyncio.sleep":
        waited = " and ".join(f"{wait:g} s" for wait in outcome.waits)
        raise Wrong(
            "fixed_wait",
            f"{call} slept {waited} after cancelling the spinner, guessing how long it "
            "takes to erase itself: too short and it is not finished, too long and time is "
            "wasted. Wait for the task itself, `await asyncio.wait([spinning])`, which "
            "ends exactly when the spinner does.",
            suggests="asyncio.wait([spinning])",
        )
    judge_duration(
        ending.elapsed, 0.3 + ERASE, call + " (plus 0.1 s to erase the spinner)", tolerance=SLACK
    )
    return ending.elapsed


def _cancelled_error_escaped(with_spinner: Any, call: str) -> Wrong:
    """with_spinner ended with the CancelledError of the spinner it cancelled itself."""
    if "cancelling" in names_used(with_spinner):
        return Wrong(
            "cancelled_error_escaped",
            f"{call} ended with CancelledError although nobody cancelled it: the one from "
            "the spinner it cancelled itself. `asyncio.current_task().cancelling()` was 0 "
            "there, since nobody had asked with_spinner to stop: let the error go on only "
            "when it is not 0.",
        )
    return Wrong(
        "cancelled_error_escaped",
        f"{call} ended with CancelledError although nobody cancelled it. Awaiting a "
        "task you cancelled raises CancelledError in *you*: wait with "
        "`await asyncio.wait([spinning])`, which does not raise it.",
        suggests="asyncio.wait([spinning])",
    )


def _spinner_failure(with_spinner: Any) -> None:
    """An operation that fails after 0.2 s: its error goes on, the spinner is stopped."""
    operation = Operation(0.2, error=ConnectionError("connection reset"))
    call = "with_spinner(operation, spinner) with an operation that fails"
    outcome, ending, spinner = _run_spinner(with_spinner, operation, call)
    if not spinner.cancelled_at_end and isinstance(ending.error, ConnectionError):
        raise Wrong(
            "cleanup_not_in_finally",
            f"{call}: the ConnectionError went up while the spinner was still "
            "spinning: the code that stops it was skipped. Put the cancel and the "
            "wait in a `finally:` block, which runs however the `try:` ends.",
            suggests=() if has_code(with_spinner, "finally:") else "finally:",
        )
    _spinner_state(with_spinner, outcome, call, spinner, "when it ended")
    error = ending.error
    if isinstance(error, BaseExceptionGroup) and error.subgroup(ConnectionError) is not None:
        raise Wrong(
            "error_in_exception_group",
            f"{call} raised {type(error).__name__} holding the ConnectionError, not the "
            "ConnectionError itself: a TaskGroup wraps every error raised in its block, "
            "and the caller's `except ConnectionError:` misses it. Start the spinner with "
            "`asyncio.create_task(spinner())` and stop it in `finally:`: the error then "
            "goes on as it is.",
        )
    if error is not None and not isinstance(error, ConnectionError):
        raise raised(error, call)
    if error is None:
        if returns_in_finally(with_spinner):
            raise return_in_finally(call, "the operation's ConnectionError")
        raise Wrong(
            "error_swallowed",
            f"{call} {ended(ending)} instead of raising the operation's ConnectionError. "
            "Stop the spinner, then let the error go on to the caller.",
        )


def _spinner_cancelled(with_spinner: Any) -> None:
    """with_spinner cancelled 0.2 s into a 1 s operation: it stops the spinner, ends cancelled."""
    operation = Operation(1.0, result="done")
    call = "with_spinner(operation, spinner), cancelled from outside after 0.2 s"
    outcome, ending, spinner = _run_spinner(with_spinner, operation, call, cancel_after=0.2)
    if not spinner.cancelled_at_end and ending.cancelled:
        raise Wrong(
            "cleanup_not_in_finally",
            f"{call}: it stopped, but left the spinner spinning: the code that stops "
            "the spinner was skipped by the CancelledError. Put it in a `finally:` block.",
            suggests=() if has_code(with_spinner, "finally:") else "finally:",
        )
    _spinner_state(with_spinner, outcome, call, spinner, "when it ended")
    if ending.cancelled:
        return
    if returns_in_finally(with_spinner):
        raise return_in_finally(call, "the cancellation")
    raise Wrong(
        "swallowed_cancellation",
        f"{call} {ended(ending)} instead of ending cancelled: the CancelledError was "
        "swallowed. Clean up in `finally:` and let the cancellation go on; never "
        "`except CancelledError:` without `raise`.",
    )


def _spinner_cancelled_while_cleaning_up(with_spinner: Any) -> None:
    """Cancelled while it waits for the spinner to erase itself: that is the caller's."""
    operation = Operation(0.1, result="done")
    call = (
        "with_spinner(operation, spinner), cancelled from outside at 0.15 s, while it "
        "waited for the spinner to erase itself after the operation had returned,"
    )
    _, ending, _ = _run_spinner(with_spinner, operation, call, cancel_after=0.15)
    if not ending.cancel_requests or ending.cancelled:
        return
    if returns_in_finally(with_spinner):
        raise return_in_finally(call, "the cancellation")
    names = names_used(with_spinner)
    if "cancelling" in names:
        how = (
            "`asyncio.current_task().cancelling()` was 1 there: the caller's cancellation "
            "(the spinner's was asked of another task, and does not count). Re-raise "
            "whenever it is not 0."
        )
        suggests: tuple[str, ...] = ()
    else:
        wrong_test = (
            "`asyncio.current_task().cancelled()` is False as long as the task runs: it "
            "says whether a task *ended* cancelled, not whether someone asked it to stop. "
            if "cancelled" in names and "current_task" in names
            else ""
        )
        how = (
            f"{wrong_test}Tell them apart: either wait with `await asyncio.wait([spinning])`, "
            "which raises nothing of the spinner's, so a CancelledError arriving then is "
            "the caller's and goes on; or, in the `except`, re-raise when "
            "`asyncio.current_task().cancelling()` is not 0: it counts the cancellations "
            "asked of with_spinner's own task, never the spinner's (Python 3.11 and newer)."
        )
        suggests = ("asyncio.wait([spinning])", "cancelling()")
    raise Wrong(
        "swallowed_cancellation_in_cleanup",
        f"{call} {ended(ending)} instead of ending cancelled. Catching CancelledError "
        "around `await spinning` caught the caller's cancellation too, not only the "
        f"spinner's. {how}",
        suggests=suggests,
    )


ex5 = Exercise(
    title="Stop the spinner, always",
    answer="with_spinner",
    checker=check_with_spinner,
    hints=[
        "Start the spinner with `spinning = asyncio.create_task(spinner())`, then "
        "`return await operation()` inside a `try:`.",
        "In `finally:`, `spinning.cancel()`: finally runs whether the operation returns, "
        "raises, or with_spinner itself is cancelled.",
        "After cancel(), wait for the spinner to finish its cleanup with "
        "`await asyncio.wait([spinning])`; unlike `await spinning`, it does not raise "
        "the spinner's CancelledError in you.",
    ],
)
