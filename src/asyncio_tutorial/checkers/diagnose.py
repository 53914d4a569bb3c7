"""The classic asyncio mistakes, recognised in an :class:`~.runner.Outcome`.

The ``expect_*``, ``judge_*`` and :func:`common_mistakes` functions *raise* a
:class:`~.core.Wrong` naming the mistake they find, and return ``None`` when there is
nothing of their kind to report, so a checker reads as a list of questions asked in
order::

    expect_coroutine_function(greet)
    outcome = run_coroutine(partial(greet, "Ada"))
    common_mistakes(outcome, "greet('Ada')")
    judge_duration(outcome.elapsed, 0.1, "greet('Ada')")

:func:`hang`, :func:`blocking` and :func:`raised` describe a mistake and return the
:class:`~.core.Wrong` for the checker to raise (or to look at first).

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

from asyncio_tutorial.checkers.core import Wrong, exercise
from asyncio_tutorial.checkers.runner import Outcome
from asyncio_tutorial.claims import default_tolerance

EARLY_ALLOWANCE = 0.01  # a wait may end this much early (clock granularity)


def seconds(value: float) -> str:
    """``0.1 s``: how durations read in messages."""
    return f"{value:.1f} s"


def took(elapsed: float) -> str:
    """A measured duration for a "✓ Correct" message: ``0.3 s``, cut to the tenth.

    Cut down like the timing stamps (``[0.3s]``), not rounded: every wait in the course
    is a multiple of 0.1 s and a wait never ends early, so a right answer's figure reads
    the same on every run (a recorded verdict is compared with its recording), while an
    answer that took longer shows what it took.  ``EARLY_ALLOWANCE`` covers a clock that
    reads a whisker early.
    """
    return f"{int((elapsed + EARLY_ALLOWANCE) * 10) / 10:.1f} s"


def expect_coroutine_function(answer: Any, name: str | None = None) -> None:
    """Check that ``answer`` is an ``async def`` function (not yet run).

    ``name`` is what messages call it, by default the exercise's answer (``greet``).
    """
    name = name or exercise().answer
    if inspect.iscoroutine(answer):
        answer.close()  # never awaited, on purpose: no warning for it
        raise Wrong(
            "not_callable",
            f"you passed a coroutine object (the result of calling {name}). "
            f"Pass the function itself: check({name}), without parentheses.",
        )
    if not callable(answer):
        raise Wrong(
            "not_callable",
            f"check needs the function {name} itself, not a {type(answer).__name__}.",
        )
    if inspect.isasyncgenfunction(answer):
        raise Wrong(
            "async_generator",
            f"{name} contains `yield`, which makes it an async generator, not a coroutine "
            "function. Use `await` and `return` instead.",
        )
    if not inspect.iscoroutinefunction(answer):
        raise Wrong(
            "not_async",
            f"{name} is a plain function: define it with `async def`, so that it can "
            "`await` and the event loop can run other work while it waits.",
        )


def expect_plain_function(answer: Any, name: str | None = None) -> None:
    """Check that ``answer`` is an ordinary function (``def``, not ``async def``)."""
    name = name or exercise().answer
    if not callable(answer):
        raise Wrong(
            "not_callable",
            f"check needs the function {name} itself, not a {type(answer).__name__}.",
        )
    if inspect.iscoroutinefunction(answer):
        raise Wrong(
            "not_plain",
            f"{name} is defined with `async def`, but it should be a plain `def`: "
            "it is called by ordinary code, which cannot await.",
        )


def common_mistakes(
    outcome: Outcome,
    call: str,
    *,
    expected_error: type[BaseException] | tuple[type[BaseException], ...] | None = None,
) -> None:
    """The mistakes any answer can make, most telling first: raise the first one found.

    ``call`` is how the answer was called, for messages (``"greet('Ada')"``).  An error
    of type ``expected_error`` is left for the checker to judge.  (The untouched stub
    never gets here: the runner has ended the check as not attempted.)
    """
    error = outcome.error
    if outcome.timed_out and not (outcome.sleeps and outcome.on_loop):
        raise hang(outcome, call)
    if outcome.blocked:  # a time.sleep on the loop is named as such, hang or not
        raise blocking(outcome, call)
    if outcome.returned_coroutines:
        coroutine = outcome.returned_coroutines[0]
        raise Wrong(
            "forgot_await",
            f"{call} returned a coroutine object ({coroutine}) instead of its result: "
            f"a coroutine does nothing until it is awaited. Write `await {coroutine}(...)`.",
        )
    if error is not None and not (expected_error and isinstance(error, expected_error)):
        raise raised(error, call)
    if outcome.never_awaited:
        coroutine = outcome.never_awaited[0]
        raise Wrong(
            "forgot_await",
            f"{call} created the coroutine {coroutine}(...) but never awaited it, so it "
            f"never ran. Put `await` in front of the call to {coroutine}.",
        )
    if outcome.left_running:
        raise Wrong(
            "tasks_left_running",
            f"{call} returned while tasks it started were still running "
            f"({outcome.describe_left()}). Await every task you start before returning "
            "(they have been cancelled now).",
        )


def hang(outcome: Outcome, call: str) -> Wrong:
    """The answer did not finish in time (and has been stopped)."""
    why = " The event loop was blocked the whole time: a busy loop?" if outcome.blocked else ""
    if outcome.waiting_when_stopped and not why:
        why = f" It was still waiting in {' and '.join(outcome.waiting_when_stopped)}."
    stuck = (
        " It could not be stopped: restart the kernel (Kernel → Restart) when you are ready."
        if outcome.stuck
        else " It has been stopped."
    )
    return Wrong(
        "hang",
        f"{call} had not finished after {seconds(outcome.time_limit)}, far longer than it "
        f"should take.{why}{stuck}",
    )


def blocking(outcome: Outcome, call: str) -> Wrong:
    """The answer held the event loop so nothing else could run."""
    if outcome.sleeps:
        return Wrong(
            "blocking",
            f"{call} called time.sleep({outcome.sleeps[0]:g}), which stops the whole event "
            "loop: nothing else can run meanwhile. Use `await asyncio.sleep(...)`.",
        )
    return Wrong(
        "blocking",
        f"{call} kept the event loop busy for about {seconds(outcome.held_for)} without "
        "giving it a turn, so nothing else could run. Wait with `await asyncio.sleep(...)`, "
        "never with a loop that checks the clock or a blocking call.",
        recheck=True,
    )


def error_text(error: BaseException) -> str:
    """``ValueError: bad input``, for a message: the type alone when the error says
    nothing, and never a second full stop after one the error's own text ends with."""
    said = str(error).strip().rstrip(".")
    return f"{type(error).__name__}: {said}" if said else type(error).__name__


def raised(error: BaseException, call: str) -> Wrong:
    """The answer raised an exception; recognise the ones with a classic cause."""
    text = error_text(error)
    said = str(error)
    if isinstance(error, (TypeError, AttributeError)) and (
        "'coroutine'" in said or "coroutine object" in said
    ):
        return Wrong(
            "forgot_await",
            f"{call} raised {text}. A coroutine object was used as if it were its result: "
            "put `await` in front of the call.",
        )
    if isinstance(error, RuntimeError) and (
        "running event loop" in said or "loop is already running" in said
    ):
        return Wrong(
            "nested_run",
            f"{call} raised {text}. Inside `async def`, an event loop is already "
            "running: `await` the coroutine instead of starting another loop.",
        )
    if isinstance(error, RuntimeError) and "cannot reuse already awaited" in str(error):
        return Wrong(
            "reused_coroutine",
            f"{call} raised {text}. A coroutine object can be awaited only once: "
            "call the coroutine function again to get a fresh one.",
        )
    return Wrong("raised", f"{call} raised {text}.")


def judge_duration(
    elapsed: float,
    expected: float,
    what: str,
    *,
    sequential: float | None = None,
    tolerance: float | None = None,
) -> None:
    """Compare a measured duration with what a right answer takes.

    ``sequential`` is how long the work takes one piece after another, for exercises
    where the pieces should overlap: a measurement nearer the sum than the expected
    figure means they did not.
    """
    tolerance = default_tolerance(expected) if tolerance is None else tolerance
    if elapsed < expected - EARLY_ALLOWANCE:
        raise Wrong(
            "too_fast",
            f"{what} took {elapsed:.2f} s, but should take {seconds(expected)}: "
            "some waiting did not happen. Was an `await` left out?",
        )
    if sequential is not None and elapsed >= (expected + sequential) / 2:
        raise Wrong(
            "sequential",
            f"{what} took {seconds(elapsed)}, about the sum of the waits "
            f"({seconds(sequential)}); run concurrently it takes {seconds(expected)}. "
            "Start them all before awaiting any.",
        )
    if elapsed > expected + tolerance:
        raise Wrong(
            "too_slow",
            f"{what} took {elapsed:.2f} s, but should take {seconds(expected)}.",
        )
