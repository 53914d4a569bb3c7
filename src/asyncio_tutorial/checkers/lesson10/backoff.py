"""Exercise 3: a test that pins ``retry``'s backoff exactly, on a fake clock.

The checker runs the learner's test five times on an event loop with looptime's fake
clock, each time handed a ``retry``: the correct one (waits of 1, 2 and 4 s), a correct
one that waits with the loop's own timers instead of ``asyncio.sleep``, and three broken
ones (always 1 s, no wait at all, waits that shrink: 4, 2, 1 s).  What the test is handed
notes, on the loop's clock, when each attempt called the test's operation, and whether
``asyncio.sleep`` was still asyncio's own.  The checker gives a test up after 60 s of the
fake clock, which takes no real time; that limit is the checker's own, never a
``TimeoutError`` the test raised itself.
"""

from __future__ import annotations

import asyncio
import dis
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import expect_coroutine_function
from asyncio_tutorial.checkers.lesson10.judging_tests import (
    NO_CHECKS,
    SWALLOWED,
    checks_in,
    failure,
    judge_test_run,
    run_test,
    sleep_is_patched,
)
from asyncio_tutorial.checkers.runner import Outcome


async def retry(operation: Callable[[], Awaitable[Any]], attempts: int = 4) -> Any:
    """Return ``await operation()``; after a ConnectionError wait 1 s, 2 s, 4 s and retry."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            await asyncio.sleep(delay)
            delay *= 2


async def _retry_with_timers(operation: Callable[[], Awaitable[Any]], attempts: int = 4) -> Any:
    """Right too: waits 1 s, 2 s, 4 s with the loop's timers, not with asyncio.sleep."""
    loop = asyncio.get_running_loop()
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            waited = loop.create_future()
            loop.call_later(delay, waited.set_result, None)
            await waited
            delay *= 2


async def _retry_with_waits(
    waits: list[float], operation: Callable[[], Awaitable[Any]], attempts: int = 4
) -> Any:
    """A broken retry: waits ``waits[0]``, then ``waits[1]``, ... between its attempts."""
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except ConnectionError:
            if attempt == attempts:
                raise
            await asyncio.sleep(waits[attempt - 1])


_retry_without_backoff = partial(_retry_with_waits, [1.0, 1.0, 1.0])
_retry_without_waiting = partial(_retry_with_waits, [0, 0, 0])
_retry_with_shrinking_waits = partial(_retry_with_waits, [4.0, 2.0, 1.0])

RUNS = [
    (retry, "with the correct retry (1 s, 2 s, 4 s)", False),
    (_retry_with_timers, "with a correct retry that waits with the loop's timers", False),
    (_retry_without_backoff, "with a retry that always waits 1 s", True),
    (_retry_without_waiting, "with a retry that never waits", True),
    (_retry_with_shrinking_waits, "with a retry whose waits shrink (4 s, 2 s, 1 s)", True),
]
FRESH = (
    "retry awaits `operation()` once per attempt, so the operation must make a new "
    "coroutine each time it is called: pass the coroutine function itself, `retry(flaky)`, "
    "not `retry(lambda: coroutine)` with one coroutine made beforehand."
)
FAKE_TIME_LIMIT = 60.0  # seconds of the fake clock: instant, in real time


@dataclass
class _Record:
    """What a test did with the retry it was handed, on the loop's clock."""

    retries: int = 0
    """How many times the test called retry."""
    calls: list[float] = field(default_factory=list)
    """When retry called the test's operation, each time, in seconds of the loop's clock."""
    sleep_patched: bool = False

    def reset(self) -> None:
        self.retries, self.calls, self.sleep_patched = 0, [], False


_RECORD = _Record()


async def _noting(
    implementation: Callable[..., Awaitable[Any]],
    operation: Callable[[], Awaitable[Any]],
    attempts: int = 4,
) -> Any:
    """``implementation(operation, attempts)``, noting in ``_RECORD`` what happens."""
    loop = asyncio.get_running_loop()
    _RECORD.retries += 1

    async def noted() -> Any:
        _RECORD.calls.append(loop.time())
        _RECORD.sleep_patched |= sleep_is_patched()
        return await operation()

    return await implementation(noted, attempts)


def check_backoff_test(test: Any) -> Result:
    """The learner's test pins retry's waits on a fake clock, and catches wrong waits."""
    expect_coroutine_function(test)
    seen: list[tuple[_Record, Outcome]] = []
    for implementation, label, buggy in RUNS:
        call = f"test_backoff(retry) {label}"
        _RECORD.reset()
        handed = partial(_noting, implementation)
        outcome, run = run_test(test, handed, fake_clock=True, limit=FAKE_TIME_LIMIT)
        record = replace(_RECORD, sleep_patched=_RECORD.sleep_patched or run.sleep_patched)
        if not run.finished:
            raise Wrong(
                "hang",
                f"{call} was still waiting after {FAKE_TIME_LIMIT:.0f} s on the fake clock. "
                "Does it await something that never happens?",
            )
        judge_test_run(outcome, call, fresh=FRESH, names={"_noting": "retry"})
        error = outcome.error
        if not buggy and error is not None and _reads_the_wall_clock(test):
            raise Wrong(
                "wall_clock",
                f"{call} failed on the fake clock. Your test reads the wall clock "
                "(time.monotonic, time.time or perf_counter), which a fake clock does not "
                "move: measure with the event loop's clock, "
                "`asyncio.get_running_loop().time()`.",
                suggests="asyncio.get_running_loop().time()",
            )
        if not buggy and error is not None:
            _judge_failure_on_good_code(error, record, run.loop_time, call)
        if buggy and error is None:
            raise _missed_the_bug(test, implementation, record, call)
        seen.append((record, outcome))
    return correct(_what_it_showed(seen))


WALL_CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns"}


def _reads_the_wall_clock(function: Any) -> bool:
    """Whether ``function`` (or one defined inside it) calls ``time.monotonic()`` and the like."""
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if inspect.iscode(c))
        previous = None
        for instruction in dis.get_instructions(code):
            name = instruction.argval
            if instruction.opname == "LOAD_GLOBAL" and name in WALL_CLOCKS - {"time"}:
                return True  # from time import monotonic
            if (
                previous == "time"
                and instruction.opname.startswith("LOAD_")
                and name in WALL_CLOCKS
            ):
                return True  # time.monotonic
            previous = name if instruction.opname == "LOAD_GLOBAL" else None
    return False


def _judge_failure_on_good_code(
    error: BaseException, record: _Record, took: float, call: str
) -> None:
    """The test failed against a correct retry: name why, when the record tells."""
    if record.sleep_patched:
        raise Wrong(
            "patched_sleep",
            f"{call} failed ({failure(error)}): your test replaced asyncio.sleep, so it "
            "checks what retry asked asyncio.sleep for, not the waits themselves, and a "
            "retry that waits another way (a timer, a timeout) fails it although it is "
            "right. Leave asyncio.sleep alone: on the fake clock, measure the waits with "
            "`asyncio.get_running_loop().time()`.",
        )
    if isinstance(error, TimeoutError):
        raise Wrong(
            "timeout_too_short",
            f"{call} failed: your test's own timeout ran out after {took:g} s of the "
            "loop's clock, and retry's waits take 7 s (1 + 2 + 4). On a fake clock a "
            "timeout costs nothing: give it more than the waits, or none at all.",
        )
    raise Wrong(
        "fails_against_correct",
        f"{call} failed against a correct implementation ({failure(error)}), so it would "
        "fail on good code too.",
    )


def _missed_the_bug(test: Any, implementation: Any, record: _Record, call: str) -> Wrong:
    """The test passed against a broken retry: why it missed the bug, by its record."""
    if record.sleep_patched:
        return Wrong(
            "patched_sleep",
            f"{call} passed: your test replaced asyncio.sleep, so what it measured is not "
            "what retry waited. Leave asyncio.sleep alone: on the fake clock, measure the "
            "waits with `asyncio.get_running_loop().time()`.",
        )
    if record.retries == 0:
        where = (
            " It used the retry imported at the top of the notebook, which is always the "
            "correct one: use the test's parameter."
            if "retry" in getattr(test, "__code__", test).co_names
            else ""
        )
        return Wrong(
            "ignored_the_parameter",
            f"{call} passed, but your test never called the retry it was handed.{where}",
        )
    checks = checks_in(test)
    if checks == NO_CHECKS:
        return Wrong(
            "asserts_nothing",
            f"{call} passed: your test asserts nothing, so it passes whatever retry does. "
            "Assert the gaps between the calls: `assert gaps == [1.0, 2.0, 4.0]`.",
            suggests="assert",
        )
    if checks == SWALLOWED:
        return Wrong(
            "swallowed_assertion",
            f"{call} passed: your test caught the AssertionError of its own `assert` (an "
            "`except AssertionError:` or `except Exception:` around it), so it can never "
            "fail. A test fails by letting that error out: take the try/except away.",
        )
    if len(record.calls) < 4:
        failed = ["never", "never", "only once", "only twice"][len(record.calls)]
        return Wrong(
            "too_few_failures",
            f"{call} passed: your operation failed {failed}, so retry waited {failed}, "
            "and the waits that tell a backoff from a broken one never came. Fail three "
            "times, then succeed: the waits are then 1, 2 and 4 s.",
        )
    if implementation is _retry_with_shrinking_waits:
        return Wrong(
            "passes_against_buggy",
            f"{call} passed: its waits add up to 7 s as the right ones do, so your test "
            "checks the total (or the set of waits), not each gap in order. Record the "
            "loop's time at each call and assert the gaps: `[1.0, 2.0, 4.0]`.",
        )
    return Wrong(
        "passes_against_buggy",
        f"{call} passed, so it does not check the waits. Record the loop's time "
        "at each call and assert the gaps: `[1.0, 2.0, 4.0]`.",
    )


def _what_it_showed(seen: list[tuple[_Record, Outcome]]) -> str:
    """The correct message, from what the five runs recorded."""
    good = seen[0][0]
    failures = list(
        dict.fromkeys(failure(outcome.error) for _, outcome in seen[2:] if outcome.error)
    )
    if len(good.calls) < 2:  # it judged retry some other way: say only what it did
        return (
            "your test passed against both correct versions of retry, and failed against "
            f"the three broken ones ({'; '.join(failures)})."
        )
    times = [f"{time:g}" for time in good.calls]
    at = ", ".join(times[:-1]) + f" and {times[-1]}"
    return (
        f"your test passed against the correct retry, whose {len(good.calls)} calls came "
        f"at {at} s of the loop's clock, and against one that waits with the loop's "
        "timers; it failed against a retry that always waits 1 s, one that never waits "
        f"and one whose waits shrink ({'; '.join(failures)}). Each run's "
        f"{good.calls[-1] - good.calls[0]:g} s of waiting passed on the fake clock only, "
        "without waiting in real time."
    )


ex3 = Exercise(
    title="Exact backoff on a fake clock",
    answer="test_backoff",
    checker=check_backoff_test,
    hints=[
        "Inside the test, `loop = asyncio.get_running_loop()`; `loop.time()` is the clock "
        "that `asyncio.sleep` uses, and the one a fake clock moves.",
        "Let the operation record `loop.time()` each time it is called, fail three times "
        "with ConnectionError, then return.",
        "Assert the gaps between calls exactly: `[b - a for a, b in zip(times, "
        "times[1:])] == [1.0, 2.0, 4.0]`. No rounding, no tolerance.",
    ],
)
