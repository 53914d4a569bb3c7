"""Lesson 01's exercises: writing, awaiting and driving coroutines.

The workbook ``exercises/workbook-01-coroutines.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson01 import ex1, ex2, ex3, ex4

and the helpers the exercises use (``fetch_user``, ``fetch_team``, ``Pause``,
``add_slowly``, ``FlakyService``) are imported from here too, so that ``fetch_user??``
shows how they work.  The worked answers are in ``solutions/01-coroutines.ipynb``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Generator
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
    judge_duration,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, run_function

# --- Exercise 1: greet -------------------------------------------------------------


GREET_WAIT = 0.1  # seconds greet waits


def check_greet(greet: Any) -> Result:
    """``greet(name)`` waits 0.1 s on the loop, then returns ``"Hello, {name}!"``."""
    expect_coroutine_function(greet)
    runs = []
    for name in ("Ada", "Grace"):
        call = f"greet({name!r})"
        outcome = run_coroutine(partial(greet, name))
        common_mistakes(outcome, call)
        expected = f"Hello, {name}!"
        if outcome.value is None:
            raise Wrong(
                "wrong_type",
                f'{call} returned None: end with `return f"Hello, {{name}}!"`.',
                suggests="return",
            )
        if outcome.value != expected:
            raise Wrong("wrong_value", f"{call} returned {outcome.value!r}, not {expected!r}.")
        _judge_wait(outcome, call)
        judge_duration(outcome.elapsed, GREET_WAIT, call)
        runs.append(outcome)
    return correct(
        f"greet('Ada') returned 'Hello, Ada!' after {took(runs[0].elapsed)}, and the event "
        "loop was free to run other work while it waited."
    )


def _judge_wait(outcome: Outcome, call: str) -> None:
    """The waits greet asked its loop for add up to 0.1 s (exact, whatever the load)."""
    asked = sum(outcome.waits)
    if outcome.waits and abs(asked - GREET_WAIT) > 1e-6:
        how = " + ".join(f"{wait:g}" for wait in outcome.waits)
        raise Wrong(
            "wrong_wait",
            f"{call} asked the event loop to wait {how} s; greet should wait "
            f"{seconds(GREET_WAIT)}: `await asyncio.sleep(0.1)`.",
        )


ex1 = Exercise(
    title="Greet after a pause",
    answer="greet",
    checker=check_greet,
    hints=[
        "A function that can wait without blocking is defined with `async def`.",
        "`asyncio.sleep(0.1)` makes a coroutine; only `await asyncio.sleep(0.1)` waits.",
        'An f-string builds the greeting: `f"Hello, {name}!"`.',
    ],
)

# --- Exercise 2: fetch_profile -------------------------------------------------------

USERS: dict[int, dict[str, Any]] = {
    1: {"name": "Ada Lovelace", "team_id": 7},
    2: {"name": "Grace Hopper", "team_id": 3},
}
TEAMS: dict[int, str] = {7: "Analytical Engines", 3: "Compilers"}

# How many lookups of each kind ran since the checker last reset it: a right answer
# makes one of each, and one that makes none has its result written into its code.
_lookups = {"fetch_user": 0, "fetch_team": 0}


async def fetch_user(user_id: int) -> dict[str, Any]:
    """Look up a user, e.g. ``{"name": "Ada Lovelace", "team_id": 7}``: a 0.1 s query."""
    _lookups["fetch_user"] += 1
    await asyncio.sleep(0.1)
    return dict(USERS[user_id])


async def fetch_team(team_id: int) -> str:
    """Look up a team's name, e.g. ``"Analytical Engines"``: another 0.1 s query."""
    _lookups["fetch_team"] += 1
    await asyncio.sleep(0.1)
    return TEAMS[team_id]


def check_fetch_profile(fetch_profile: Any) -> Result:
    """``fetch_profile(id)`` awaits ``fetch_user`` then ``fetch_team`` and combines them."""
    expect_coroutine_function(fetch_profile)
    for user_id in (1, 2):
        call = f"fetch_profile({user_id})"
        _lookups.update(fetch_user=0, fetch_team=0)
        outcome = run_coroutine(partial(fetch_profile, user_id))
        common_mistakes(outcome, call)
        user = USERS[user_id]
        expected = f"{user['name']} ({TEAMS[user['team_id']]})"
        if not isinstance(outcome.value, str):
            raise Wrong(
                "wrong_type",
                f"{call} returned {outcome.value!r}; it should return a string, {expected!r}.",
            )
        if outcome.value != expected:
            raise Wrong("wrong_value", f"{call} returned {outcome.value!r}, not {expected!r}.")
        _hard_coded(call)
        _looked_up_again(call)
        judge_duration(outcome.elapsed, 0.2, call)
        if user_id == 1:
            first = outcome
    return correct(
        f"fetch_profile(1) returned 'Ada Lovelace (Analytical Engines)' after "
        f"{took(first.elapsed)}: one fetch_user, then one fetch_team with the team_id "
        "the user gave, 0.1 s each."
    )


def _looked_up_again(call: str) -> None:
    """The right line, but from more lookups than it needs: each costs a query."""
    again = {name: count for name, count in _lookups.items() if count > 1}
    if again:
        name, count = next(iter(again.items()))
        raise Wrong(
            "repeated_lookup",
            f"{call} called {name} {count} times, where once is enough: each call is "
            "another 0.1 s query. Await it once and keep what it returns in a variable "
            "(`user = await fetch_user(user_id)`), then read the name and the team_id "
            "from that.",
        )


def _hard_coded(call: str) -> None:
    """The right line, but without looking it up: it is written into the answer."""
    skipped = [name for name, count in _lookups.items() if count == 0]
    if not skipped:
        return
    what = " or ".join(skipped)
    raise Wrong(
        "hard_coded",
        f"{call} returned the right line without calling {what}: that part of the "
        "answer is written into your code, so it is right only for the users it was "
        "written for. Look it up: `user = await fetch_user(user_id)`, then "
        '`team = await fetch_team(user["team_id"])`.',
    )


ex2 = Exercise(
    title="A profile from two lookups",
    answer="fetch_profile",
    checker=check_fetch_profile,
    hints=[
        "Calling `fetch_user(user_id)` only makes a coroutine; `await` it to get the dict.",
        'The team\'s id is in the user: `user["team_id"]`. Await `fetch_team` with it.',
        "Combine with an f-string: `f\"{user['name']} ({team})\"`.",
    ],
)

# --- Exercise 3: drive a coroutine by hand -------------------------------------------


class Pause:
    """An awaitable that hands control back once, the way ``asyncio.sleep(0)`` does.

    ``await Pause()`` runs ``__await__``, a generator: its bare ``yield`` travels up
    through every ``await`` to whoever called ``send`` on the outermost coroutine,
    which is the event loop normally, and your ``run`` in exercise 3.
    """

    def __await__(self) -> Generator[None, None, None]:
        yield


async def add_slowly(a: int, b: int) -> int:
    """Pause twice, then return ``a + b``: a coroutine to try ``run`` on."""
    await Pause()
    await Pause()
    return a + b


class _Progress:
    """How far the checker's coroutine got, and whether an event loop was running it."""

    def __init__(self) -> None:
        self.pauses = 0
        self.finished = False
        self.under_asyncio = False


class _Failure(Exception):
    """What the checker's failing coroutine raises: run must let it through."""


async def _pausing(progress: _Progress, pauses: int, value: Any) -> Any:
    for _ in range(pauses):
        await Pause()
        progress.pauses += 1
        try:
            asyncio.get_running_loop()
            progress.under_asyncio = True
        except RuntimeError:
            pass
    progress.finished = True
    if isinstance(value, _Failure):
        raise value
    return value


def check_run(run: Any) -> Result:
    """``run(coro)`` sends ``None`` into ``coro`` until ``StopIteration``; returns its value."""
    expect_plain_function(run)
    seen = []
    for pauses, value in ((3, "done"), (0, 42)):
        progress = _Progress()
        coroutine = _pausing(progress, pauses, value)
        try:
            _judge_run(run, coroutine, progress, pauses, value)
        finally:
            _close(coroutine)
        seen.append(progress.pauses)
    _judge_run_of_a_failure(run)
    return correct(
        f"run(coro) resumed the coroutine through all {seen[0]} of its pauses and returned "
        "the value it carried out on StopIteration ('done'), ran one with no pause at all "
        f"to its end ({seen[1]} pauses, 42), and let a coroutine's own error through to "
        "its caller, with no event loop."
    )


def _judge_run_of_a_failure(run: Callable[[Any], Any]) -> None:
    """A coroutine that fails after a pause: its error must reach run's caller."""
    progress = _Progress()
    coroutine = _pausing(progress, 1, _Failure("the coroutine failed"))
    call = "run(coro) on a coroutine that pauses once, then raises an error of its own"
    try:
        outcome = run_function(partial(run, coroutine))
    finally:
        _close(coroutine)
    common_mistakes(outcome, call, expected_error=Exception)
    if isinstance(outcome.error, _Failure):
        return
    caught = "returned " + repr(outcome.value) if outcome.error is None else "raised "
    if outcome.error is not None:
        caught += f"{type(outcome.error).__name__}: {outcome.error}"
    raise Wrong(
        "caught_too_much",
        f"{call} {caught} instead of letting the coroutine's error through: a wide "
        "`except` caught it as if the coroutine had finished. Catch only StopIteration "
        "(`except StopIteration as stop:`); any other error is the coroutine's, and goes "
        "on to whoever called run.",
    )


def _judge_run(
    run: Callable[[Any], Any], coroutine: Any, progress: _Progress, pauses: int, value: Any
) -> None:
    call = f"run(coro) on a coroutine that pauses {pauses} times and returns {value!r}"
    outcome = run_function(partial(run, coroutine))
    if outcome.value is coroutine:
        raise Wrong(
            "returned_coroutine",
            f"{call} returned the coroutine it was given, unrun. Drive it: call "
            "`coro.send(None)` again and again until it raises StopIteration.",
        )
    if isinstance(outcome.error, StopIteration):
        raise Wrong(
            "stop_iteration_escaped",
            f"{call} let StopIteration escape. It is how a coroutine says it has "
            "finished: catch it (`except StopIteration as stop:`) and return `stop.value`.",
        )
    if isinstance(outcome.error, RuntimeError) and "cannot reuse" in str(outcome.error):
        raise Wrong(
            "kept_sending",
            f"{call} kept calling send() after the coroutine had finished. Stop at the "
            "first StopIteration and return its `.value`.",
        )
    error = outcome.error
    if isinstance(error, TypeError) and "not an iterator" in str(error):
        raise Wrong(
            "used_next",
            f"{call} raised TypeError: {error}. A coroutine is not an iterator, so next() "
            "cannot drive it; `coro.send(None)` does: it resumes the coroutine up to its "
            "next pause.",
            suggests="send(None)",
        )
    if isinstance(error, TypeError) and "non-None value" in str(error):
        raise Wrong(
            "sent_a_value",
            f"{call} raised TypeError: {error}. A coroutine that has not started yet "
            "cannot receive a value: there is no `await` waiting for it. Send None: "
            "`coro.send(None)`.",
            suggests="send(None)",
        )
    common_mistakes(outcome, call)
    if progress.under_asyncio:
        raise Wrong(
            "used_asyncio",
            f"{call} got its answer from an asyncio event loop. The point is to do the "
            "loop's job yourself: no asyncio, just `coro.send(None)`.",
        )
    if not progress.finished:
        raise Wrong(
            "stopped_early",
            f"{call} returned after {progress.pauses} of {pauses} pauses: the coroutine had "
            "not finished. Keep sending until it raises StopIteration, however many pauses "
            "that takes: `while True:` around the send.",
        )
    if outcome.value != value:
        raise Wrong(
            "lost_return_value",
            f"{call} returned {outcome.value!r}. The coroutine's return value travels on "
            "the StopIteration: return `stop.value`.",
        )


def _close(coroutine: Coroutine[Any, Any, Any]) -> None:
    """Close the checker's coroutine, however far the answer got with it."""
    try:
        coroutine.close()
    except (RuntimeError, ValueError):  # still running in a thread that could not stop
        pass


ex3 = Exercise(
    title="Drive a coroutine by hand",
    answer="run",
    checker=check_run,
    hints=[
        "`coro.send(None)` runs the coroutine up to its next pause (or to its end).",
        "When the coroutine finishes, `send` raises StopIteration: loop until then.",
        "`except StopIteration as stop: return stop.value` hands back what it returned.",
    ],
)

# --- Exercise 4: retry ---------------------------------------------------------------


class FlakyService:
    """A pretend network service whose first ``failures`` calls fail.

    ``await service.call()`` raises ``ConnectionError`` for the first ``failures``
    calls and returns ``result`` after that.  ``service.calls`` counts the calls.
    """

    def __init__(self, failures: int, result: str = "OK") -> None:
        self.failures = failures
        self.result = result
        self.calls = 0
        self._called_at: list[float] = []  # when each call began (time.monotonic())
        self._failed_at: list[float] = []  # when each failed call raised
        self._ended_at = 0.0  # when the retry being checked returned or raised

    def _gaps(self) -> list[float]:
        """The pauses, in seconds, from each failure to the call after it."""
        retries = zip(self._failed_at, self._called_at[1:], strict=False)  # a call per failure
        return [later - failed for failed, later in retries]

    async def call(self) -> str:
        self.calls += 1
        self._called_at.append(time.monotonic())
        await asyncio.sleep(0)
        if self.calls <= self.failures:
            self._failed_at.append(time.monotonic())
            raise ConnectionError(f"call {self.calls} failed")
        return self.result


RETRY_PAUSE = 0.1  # seconds to wait between attempts


def check_retry(retry: Any) -> Result:
    """``retry(op, attempts)``: up to ``attempts`` awaits of ``op()``, 0.1 s apart."""
    expect_coroutine_function(retry)
    recovered = _retry_recovers(retry)
    _retry_gives_up(retry)
    _retry_first_time(retry)
    _retry_other_errors(retry)
    pauses = " and ".join(took(gap) for gap in recovered._gaps())
    return correct(
        f"retry returned the first success after {recovered.calls} calls (two failures, "
        f"then pauses of {pauses}), after 3 failed attempts raised the last error, and "
        "let a bad request's ValueError through at once, untried again."
    )


def _run_retry(retry: Any, service: FlakyService) -> tuple[Outcome, str]:
    call = f"retry(service.call, attempts=3) with a service that fails {service.failures}×"
    outcome = run_coroutine(lambda: _noting_the_end(retry(service.call, 3), service))
    return outcome, call


async def _noting_the_end(awaitable: Any, service: FlakyService) -> Any:
    """Await the answer and note, in ``service``, the moment it returned or raised."""
    try:
        return await awaitable
    finally:
        service._ended_at = time.monotonic()


def _retry_recovers(retry: Any) -> FlakyService:
    """The service fails twice, then answers: retry must return its answer."""
    service = FlakyService(failures=2)
    outcome, call = _run_retry(retry, service)
    if isinstance(outcome.error, ConnectionError):
        raise Wrong(
            "gave_up_early",
            f"{call} raised {outcome.error!r} after {service.calls} call(s). Catch the "
            "error, wait, and try again, up to `attempts` calls in all.",
        )
    common_mistakes(outcome, call)
    if outcome.value != "OK":
        raise Wrong("wrong_value", f"{call} returned {outcome.value!r}, not 'OK'.")
    _judge_pauses(service, call)
    return service


def _retry_gives_up(retry: Any) -> None:
    service = FlakyService(failures=5)
    outcome, call = _run_retry(retry, service)
    # An error is judged below: it must be the last attempt's own.
    common_mistakes(outcome, call, expected_error=Exception)
    if service.calls != 3:
        raise Wrong(
            "wrong_attempts",
            f"{call} called the service {service.calls} times; with attempts=3 it "
            "should try exactly 3 times before giving up.",
        )
    if outcome.error is None:
        raise Wrong(
            "swallowed_error",
            f"{call} returned {outcome.value!r} after every attempt failed. When the last "
            "attempt fails, let its error out: `raise` it.",
        )
    if not isinstance(outcome.error, ConnectionError) or str(outcome.error) != "call 3 failed":
        raise Wrong(
            "wrong_error",
            f"{call} raised {outcome.error!r}; it should raise the last attempt's own "
            "error, ConnectionError('call 3 failed').",
        )
    _judge_pauses(service, call)


def _retry_first_time(retry: Any) -> None:
    service = FlakyService(failures=0)
    outcome, call = _run_retry(retry, service)
    common_mistakes(outcome, call)
    if service.calls != 1 or outcome.value != "OK":
        raise Wrong(
            "wrong_attempts",
            f"{call} called the service {service.calls} times and returned "
            f"{outcome.value!r}; the first call succeeds, so return 'OK' after one call.",
        )
    if outcome.elapsed >= RETRY_PAUSE / 2:
        raise Wrong(
            "waited_first",
            f"{call} took {seconds(outcome.elapsed)}, but the first call succeeds at once: "
            "wait only after a failure, not before the first attempt.",
        )


class _BadRequest(FlakyService):
    """A service that refuses the request itself: asking again gets the same answer."""

    async def call(self) -> str:
        self.calls += 1
        await asyncio.sleep(0)
        raise ValueError("bad request: no such account")


def _retry_other_errors(retry: Any) -> None:
    service = _BadRequest(failures=0)
    call = "retry(service.call, attempts=3) with a service that answers ValueError"
    outcome = run_coroutine(lambda: retry(service.call, 3))
    common_mistakes(outcome, call, expected_error=ValueError)
    if service.calls > 1:
        raise Wrong(
            "retried_wrong_error",
            f"{call} called it {service.calls} times: it retried a ValueError('bad "
            "request'). Retry only ConnectionError, a failure that may go away; any other "
            "error (a bad request, a bug such as TypeError) fails the same way every "
            "time, so let it go to the caller at once. Catch `except ConnectionError:`, "
            "not `except Exception:` or a bare `except:`.",
        )
    if not isinstance(outcome.error, ValueError):
        raise Wrong(
            "swallowed_error",
            f"{call} returned {outcome.value!r} instead of raising the ValueError. Catch "
            "only ConnectionError; let every other error go to the caller.",
        )


def _judge_pauses(service: FlakyService, call: str) -> None:
    """The pauses, one by one: from each failure to the next call, and after the last.

    Each pause is timed on its own, not the run as a whole: on a busy machine every
    ``asyncio.sleep(0.1)`` ends a little late, and two of them together can be 0.3 s
    without anything wrong.  A sleep never ends early, so a pause shorter than asked is
    a missing one, and a wait after the last failure (a tenth of a second) stands out
    against the microseconds a correct answer takes to raise.
    """
    gaps = service._gaps()
    if any(gap < RETRY_PAUSE - EARLY_ALLOWANCE for gap in gaps):
        raise Wrong(
            "no_wait",
            f"{call} called it again {min(gaps):.2f} s after a failure; wait "
            f"{seconds(RETRY_PAUSE)} between attempts, with `await asyncio.sleep(0.1)` "
            "after a failure.",
        )
    gave_up = bool(service._failed_at) and len(service._failed_at) == service.calls
    after_last = service._ended_at - service._failed_at[-1] if gave_up else 0.0
    if after_last >= RETRY_PAUSE - EARLY_ALLOWANCE:
        raise Wrong(
            "extra_wait",
            f"{call} waited {seconds(after_last)} after the last attempt failed before "
            f"giving up: {service.calls} attempts need only {service.calls - 1} pauses. "
            "Do not wait after the last attempt.",
        )
    if any(gap >= 2 * RETRY_PAUSE - EARLY_ALLOWANCE for gap in gaps):
        raise Wrong(
            "extra_wait",
            f"{call} waited {seconds(max(gaps))} between two attempts; wait "
            f"{seconds(RETRY_PAUSE)}, once, after each failure.",
        )


ex4 = Exercise(
    title="Retry a flaky call",
    answer="retry",
    checker=check_retry,
    hints=[
        "Loop `for attempt in range(attempts):` and `return await operation()` inside a "
        "`try`; each call of `operation()` makes a fresh coroutine.",
        "In `except ConnectionError as error:`, wait with `await asyncio.sleep(0.1)`, "
        "but not after the last attempt.",
        "After the last failed attempt, `raise` the error instead of waiting.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = [
    "EXERCISES",
    "FlakyService",
    "Pause",
    "add_slowly",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "fetch_team",
    "fetch_user",
]
