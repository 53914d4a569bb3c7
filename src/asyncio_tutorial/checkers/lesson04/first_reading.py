"""Exercise 2: ``first_reading(sensor)`` turns a callback API into a coroutine.

The check runs the answer on three cases, each on a fresh loop: the thermometer (a first
reading at 0.1 s, then two more), the barometer (an error at 0.2 s), and a caller that
gives up after 0.1 s on the hygrometer (whose reading comes at 0.3 s).  What the loop
reports tells a second reading that found the future done from a late reading after the
caller gave up; the waits the answer asked for (``Outcome.waits``) tell polling; errors
the callbacks raised in the loop tell an error raised where nobody awaits it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import loop_reported, returned_future

READINGS: dict[str, list[tuple[float, Any]]] = {
    "thermometer": [(0.1, 21.5), (0.2, 21.6), (0.3, 21.7)],
    "hygrometer": [(0.3, 48), (0.4, 49)],
    "barometer": [(0.2, ConnectionError("barometer unplugged"))],
}
"""When each pretend sensor calls back, and with what (an exception goes to ``on_error``)."""


def subscribe(
    sensor: str, on_reading: Callable[[Any], None], on_error: Callable[[Exception], None]
) -> None:
    """A callback API, as a device driver offers: call ``on_reading(value)`` at every reading.

    The thermometer reads 21.5 after 0.1 s, then 21.6 and 21.7; the hygrometer 48 after
    0.3 s, then 49; the barometer fails after 0.2 s with ``on_error(ConnectionError(...))``.
    The callbacks run on the event loop, like the timers of ``loop.call_later``.
    """
    loop = asyncio.get_running_loop()
    for delay, value in READINGS[sensor]:
        if isinstance(value, Exception):
            loop.call_later(delay, on_error, type(value)(*value.args))  # a fresh error each time
        else:
            loop.call_later(delay, on_reading, value)


@dataclass
class _Report:
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    elapsed: float = 0.0


GIVE_UP = 0.1
"""The caller of the third case gives up after this long (the hygrometer reads at 0.3 s)."""
LISTEN = 0.5
"""Each case runs this long, so that the readings after the first arrive meanwhile."""


async def _first_reading_scenario(first_reading: Any, case: str, report: _Report) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        if case == "gives up":
            report.value = await asyncio.wait_for(first_reading("hygrometer"), GIVE_UP)
        else:
            async with asyncio.timeout(1.0):
                report.value = await first_reading(case)
    except TimeoutError:
        report.timed_out = True
    except ConnectionError as error:
        report.error = error
    report.elapsed = loop.time() - started
    await asyncio.sleep(LISTEN - report.elapsed)  # let the later readings arrive


CASES = {
    "thermometer": "first_reading('thermometer')",
    "barometer": "first_reading('barometer')",
    "gives up": f"wait_for(first_reading('hygrometer'), {GIVE_UP})",
}


def check_first_reading(first_reading: Any) -> Result:
    """``first_reading(sensor)``: the first value, or the sensor's error; later calls ignored."""
    expect_coroutine_function(first_reading)
    results = {}
    for case, call in CASES.items():
        report = _Report()
        outcome = run_coroutine(
            lambda case=case, report=report: _first_reading_scenario(first_reading, case, report)
        )
        _judge_held_loop(outcome, call)
        _judge_errors(outcome, call)
        common_mistakes(outcome, call)
        returned_future(report.value, call)
        results[case] = (outcome, report)
    _judge_first_reading(results)
    thermometer, barometer = results["thermometer"][1], results["barometer"][1]
    return correct(
        f"first_reading('thermometer') returned 21.5 after {took(thermometer.elapsed)}, and "
        "the two readings after it left no error behind; the barometer's ConnectionError "
        f"was raised to its caller after {took(barometer.elapsed)}; and a caller that gave "
        f"up after {seconds(GIVE_UP)} left no error behind when the hygrometer's reading "
        "came at 0.3 s."
    )


def _judge_held_loop(outcome: Outcome, call: str) -> None:
    """An answer that holds the loop while it waits: the callbacks never come."""
    if not outcome.timed_out or not outcome.blocked:
        return
    how = "time.sleep" if outcome.sleeps else "a loop that never awaits (`while not ...: pass`)"
    raise Wrong(
        "blocking",
        f"{call} waited with {how}, which holds the event loop; the sensor's callbacks run "
        "on that loop, so they never came, and it waited forever. Await a future that the "
        "callbacks complete: `return await future`.",
        recheck=not outcome.sleeps,
        suggests="await future",
    )


def _judge_errors(outcome: Outcome, call: str) -> None:
    error = outcome.error
    if isinstance(error, asyncio.InvalidStateError):
        raise Wrong(
            "result_of_pending",
            f"{call} raised InvalidStateError ({str(error).rstrip('.')}): future.result() on "
            "a pending future does not wait for it, it raises. Wait with `return await "
            "future`.",
            suggests="await future",
        )
    if isinstance(error, RuntimeError) and "already running" in str(error):
        raise Wrong(
            "ran_the_loop",
            f"{call} raised RuntimeError: {error}. first_reading runs on the loop, which "
            "is running already: it cannot be started again to wait. Inside `async def`, "
            "wait with `return await future`.",
            suggests="await future",
        )


def _judge_first_reading(results: dict[str, tuple[Outcome, _Report]]) -> None:
    outcome, report = results["thermometer"]
    if len(outcome.waits) > 2:
        raise Wrong(
            "polled",
            f"first_reading('thermometer') woke up {len(outcome.waits)} times (asyncio.sleep) "
            "to see whether a reading had come. Await a future instead, which the callback "
            "completes, and the loop wakes you exactly then: `return await future`.",
            suggests="await future",
        )
    if loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            "the thermometer calls on_reading three times; the second call found the future "
            "done already, and set_result raised InvalidStateError in the loop. Complete "
            "the future only `if not future.done()`.",
            suggests="if not future.done()",
        )
    if report.timed_out:
        raise Wrong(
            "never_completed",
            "first_reading('thermometer') was still waiting after 1 s, though the "
            "thermometer read 21.5 at 0.1 s: nothing completed the future it awaited. Hand "
            "`subscribe` a callback that does: `future.set_result(value)`.",
        )
    if report.value != 21.5:
        raise Wrong(
            "wrong_value",
            f"first_reading('thermometer') returned {report.value!r}, not the first reading, 21.5.",
        )
    if report.elapsed < READINGS["thermometer"][0][0] - EARLY_ALLOWANCE:
        raise Wrong(
            "too_fast",
            f"first_reading('thermometer') returned 21.5 after {report.elapsed:.2f} s, before "
            "the thermometer had read anything (at 0.1 s): that value did not come from it.",
        )
    _judge_barometer(*results["barometer"])
    outcome, report = results["gives up"]
    if not report.timed_out:
        got = f"raised {report.error!r}" if report.error else f"returned {report.value!r}"
        raise Wrong(
            "swallowed_cancellation",
            f"wait_for(first_reading('hygrometer'), {GIVE_UP}) {got} after "
            f"{report.elapsed:.1f} s instead of raising TimeoutError: when the time was up, "
            "wait_for cancelled first_reading, and first_reading caught the CancelledError "
            "and carried on. Let it through: catch it only to clean up, then `raise`.",
        )
    if loop_reported(outcome.loop_errors, "InvalidStateError"):
        raise Wrong(
            "set_result_on_done_future",
            f"wait_for(first_reading('hygrometer'), {GIVE_UP}) gave up after {GIVE_UP} s, "
            "which cancelled the future; at 0.3 s the reading came, and set_result on the "
            "cancelled future raised InvalidStateError in the loop. Check "
            "`if not future.done()` first.",
            suggests="if not future.done()",
        )


def _judge_barometer(outcome: Outcome, report: _Report) -> None:
    call = "first_reading('barometer')"
    if isinstance(report.value, Exception):
        raise Wrong(
            "error_as_result",
            f"{call} returned the error {report.value!r} as its value. Complete the future "
            "with `future.set_exception(error)`, so that awaiting it raises the error.",
            suggests="set_exception(error)",
        )
    in_callback = [error for error in outcome.loop_errors if "ConnectionError" in error]
    if report.timed_out and in_callback:
        raise Wrong(
            "raised_in_callback",
            f"{call} was still waiting after 1 s: on_error raised the sensor's error inside "
            "the loop's callback, where nobody awaits it (the loop only logged it). Hand it "
            "to the waiting coroutine instead: `future.set_exception(error)`.",
            suggests="set_exception(error)",
        )
    if report.timed_out:
        raise Wrong(
            "error_ignored",
            f"{call} was still waiting after 1 s: the sensor reported its failure through "
            "on_error, and nothing completed the future. Pass on_error a callback that "
            "calls `future.set_exception(error)`.",
            suggests="set_exception(error)",
        )
    if report.error is None:
        raise Wrong(
            "error_swallowed",
            f"{call} returned {report.value!r} instead of raising the sensor's "
            "ConnectionError: let it reach the caller.",
        )


ex2 = Exercise(
    title="Wrap a callback API",
    answer="first_reading",
    checker=check_first_reading,
    hints=[
        "Create a future with `asyncio.get_running_loop().create_future()`, pass "
        "`subscribe` two small functions that complete it, then `return await future`.",
        "on_reading: `future.set_result(value)`; on_error: `future.set_exception(error)`.",
        "The sensor calls on_reading again later, and the caller may have given up: do "
        "nothing when `future.done()` is already true.",
    ],
)
