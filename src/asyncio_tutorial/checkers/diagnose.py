"""The classic asyncio mistakes, recognised in an :class:`~.runner.Outcome`.

Each function here returns a :class:`~.core.Result` naming a mistake, or ``None``
when there is nothing of its kind to report, so a checker reads as a list of
questions asked in order::

    problem = expect_coroutine_function(greet, "greet") or common_mistakes(outcome, ...)
    if problem:
        return problem

Mistake names (``Result.mistake``) used here:

``not_async``           a plain ``def`` where ``async def`` was asked for
``async_generator``     ``async def`` with ``yield`` in it: an async generator
``not_callable``        the check was given something other than a function
``forgot_await``        a coroutine returned, used as a value, or never awaited
``nested_run``          ``asyncio.run`` called where a loop is already running
``reused_coroutine``    one coroutine object awaited twice
``hang``                still running when the time limit was up
``blocking``            the event loop was blocked (``time.sleep``, a busy loop)
``tasks_left_running``  tasks still running when the answer returned
``raised``              any other exception
``too_fast``            finished before the waiting it had to do
``too_slow``            took longer than it should
``sequential``          took the sum of the waits where they should overlap
``wrong_type``, ``wrong_value``  what came back is not what was asked for
"""

from __future__ import annotations

import inspect
from typing import Any

from asyncio_tutorial.checkers.core import Result, not_attempted, wrong
from asyncio_tutorial.checkers.runner import Outcome
from asyncio_tutorial.claims import default_tolerance

EARLY_ALLOWANCE = 0.01  # a wait may end this much early (clock granularity)


def seconds(value: float) -> str:
    """``0.1 s``: how durations read in messages."""
    return f"{value:.1f} s"


def expect_coroutine_function(answer: Any, name: str) -> Result | None:
    """Check that ``answer`` is an ``async def`` function (not yet run)."""
    if inspect.iscoroutine(answer):
        answer.close()  # never awaited, on purpose: no warning for it
        return wrong(
            "not_callable",
            f"you passed a coroutine object (the result of calling {name}). "
            f"Pass the function itself: check({name}), without parentheses.",
        )
    if not callable(answer):
        return wrong(
            "not_callable",
            f"check needs the function {name} itself, not a {type(answer).__name__}.",
        )
    if inspect.isasyncgenfunction(answer):
        return wrong(
            "async_generator",
            f"{name} contains `yield`, which makes it an async generator, not a coroutine "
            "function. Use `await` and `return` instead.",
        )
    if not inspect.iscoroutinefunction(answer):
        return wrong(
            "not_async",
            f"{name} is a plain function: define it with `async def`, so that it can "
            "`await` and the event loop can run other work while it waits.",
        )
    return None


def expect_plain_function(answer: Any, name: str) -> Result | None:
    """Check that ``answer`` is an ordinary function (``def``, not ``async def``)."""
    if not callable(answer):
        return wrong(
            "not_callable",
            f"check needs the function {name} itself, not a {type(answer).__name__}.",
        )
    if inspect.iscoroutinefunction(answer):
        return wrong(
            "not_plain",
            f"{name} is defined with `async def`, but it should be a plain `def`: "
            "it is called by ordinary code, which cannot await.",
        )
    return None


def common_mistakes(
    outcome: Outcome,
    call: str,
    *,
    name: str,
    hint_call: str,
    time_limit: float,
    expected_error: type[BaseException] | None = None,
) -> Result | None:
    """The mistakes any answer can make, most telling first.

    ``call`` is how the answer was called, for messages (``"greet('Ada')"``); ``name``
    is the function's name.  An error of type ``expected_error`` is left for the
    checker to judge.
    """
    error = outcome.error
    if isinstance(error, NotImplementedError):
        return not_attempted(name, hint_call)
    if outcome.timed_out:
        return hang(outcome, call, time_limit)
    if outcome.blocked:
        return blocking(outcome, call)
    if outcome.returned_coroutines:
        coroutine = outcome.returned_coroutines[0]
        return wrong(
            "forgot_await",
            f"{call} returned a coroutine object ({coroutine}) instead of its result: "
            f"a coroutine does nothing until it is awaited. Write `await {coroutine}(...)`.",
        )
    if error is not None and not (expected_error and isinstance(error, expected_error)):
        return raised(error, call)
    if outcome.never_awaited:
        coroutine = outcome.never_awaited[0]
        return wrong(
            "forgot_await",
            f"{call} created the coroutine {coroutine}(...) but never awaited it, so it "
            f"never ran. Put `await` in front of the call to {coroutine}.",
        )
    if outcome.left_running:
        tasks = ", ".join(outcome.left_running)
        return wrong(
            "tasks_left_running",
            f"{call} returned while tasks it started were still running ({tasks}). Await "
            "every task you start before returning (they have been cancelled now).",
        )
    return None


def hang(outcome: Outcome, call: str, time_limit: float) -> Result:
    """The answer did not finish in time (and has been stopped)."""
    why = " The event loop was blocked the whole time: a busy loop?" if outcome.blocked else ""
    stuck = (
        " It could not be stopped: restart the kernel (Kernel → Restart) when you are ready."
        if outcome.stuck
        else " It has been stopped."
    )
    return wrong(
        "hang",
        f"{call} had not finished after {seconds(time_limit)}, far longer than it "
        f"should take.{why}{stuck}",
    )


def blocking(outcome: Outcome, call: str) -> Result:
    """The answer held the event loop so nothing else could run."""
    if outcome.sleeps:
        return wrong(
            "blocking",
            f"{call} called time.sleep({outcome.sleeps[0]:g}), which stops the whole event "
            "loop: nothing else can run meanwhile. Use `await asyncio.sleep(...)`.",
        )
    return wrong(
        "blocking",
        f"{call} kept the event loop busy for about {seconds(outcome.longest_stall)} without "
        "giving it a turn, so nothing else could run. Wait with `await asyncio.sleep(...)`, "
        "never with a loop that checks the clock or a blocking call.",
        recheck=True,
    )


def raised(error: BaseException, call: str) -> Result:
    """The answer raised an exception; recognise the ones with a classic cause."""
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, (TypeError, AttributeError)) and "'coroutine'" in str(error):
        return wrong(
            "forgot_await",
            f"{call} raised {text}. A coroutine object was used as if it were its result: "
            "put `await` in front of the call.",
        )
    if isinstance(error, RuntimeError) and "running event loop" in str(error):
        return wrong(
            "nested_run",
            f"{call} raised {text}. Inside `async def`, an event loop is already "
            "running: `await` the coroutine instead of starting another loop.",
        )
    if isinstance(error, RuntimeError) and "cannot reuse already awaited" in str(error):
        return wrong(
            "reused_coroutine",
            f"{call} raised {text}. A coroutine object can be awaited only once: "
            "call the coroutine function again to get a fresh one.",
        )
    return wrong("raised", f"{call} raised {text}.")


def judge_duration(
    elapsed: float,
    expected: float,
    what: str,
    *,
    sequential: float | None = None,
    tolerance: float | None = None,
) -> Result | None:
    """Compare a measured duration with what a right answer takes.

    ``sequential`` is how long the work takes one piece after another, for exercises
    where the pieces should overlap: a measurement nearer the sum than the expected
    figure means they did not.
    """
    tolerance = default_tolerance(expected) if tolerance is None else tolerance
    if elapsed < expected - EARLY_ALLOWANCE:
        return wrong(
            "too_fast",
            f"{what} took {elapsed:.2f} s, but should take {seconds(expected)}: "
            "some waiting did not happen. Was an `await` left out?",
        )
    if sequential is not None and elapsed >= (expected + sequential) / 2:
        return wrong(
            "sequential",
            f"{what} took {seconds(elapsed)}, about the sum of the waits "
            f"({seconds(sequential)}); run concurrently it takes {seconds(expected)}. "
            "Start them all before awaiting any.",
        )
    if elapsed > expected + tolerance:
        return wrong(
            "too_slow",
            f"{what} took {elapsed:.2f} s, but should take {seconds(expected)}.",
        )
    return None
