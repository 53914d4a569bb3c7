"""Lesson 08's exercises: exception groups, stopping a group early, cleanup that survives
cancellation, and a graceful shutdown.

The workbook imports ``Connection``, ``ask``, ``load`` and ``ex1`` to ``ex4`` from here
(``load??`` and the others show how the pretend services behave); the worked answers are
in ``solutions/08-errors-and-cancellation.ipynb``.  Each checker runs the answer in a few
scenarios (:mod:`.scenario`): sources that fail, two at once, a bug that must not be
hidden, a cancellation from outside and a second one during the cleanup.  It judges by
what happened (which tasks were cancelled, whether the cleanup had finished when the
answer ended), not by fine timing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from asyncio_tutorial import versions
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
    seconds,
)
from asyncio_tutorial.checkers.runner import run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, Ending, watch

SLACK = 0.25  # a busy machine makes a right answer late, never early


def _cancelled_result(call: str, advice: str) -> Wrong:
    """The answer asked a cancelled task for its result (for the checker to raise)."""
    return Wrong(
        "result_of_cancelled_task",
        f"{call} raised CancelledError: it asked a cancelled task for its result. {advice}",
    )


# --- Exercise 1: load_report ------------------------------------------------------------

SOURCES: dict[str, tuple[float, type[Exception] | None]] = {
    "sales": (0.1, None),
    "stock": (0.3, None),
    "staff": (0.4, None),
    "prices": (0.2, ConnectionError),  # unreachable: fails after 0.2 s
    "weather": (0.0, ConnectionError),  # refused: fails at once
    "rates": (0.0, ConnectionError),  # refused: fails at once
    "budget": (0.1, ValueError),  # a bug in the source
}
"""How ``load(source)`` behaves for each source: how long it takes, and what it raises."""

_loads = Concurrency()


async def load(source: str) -> str:
    """Pretend to load ``source`` for a report; return its data, ``"<sales data>"``.

    ``"sales"``, ``"stock"`` and ``"staff"`` take 0.1, 0.3 and 0.4 s.  ``"prices"`` raises
    ``ConnectionError`` after 0.2 s; ``"weather"`` and ``"rates"`` raise it at once.
    ``"budget"`` raises ``ValueError`` after 0.1 s: a bug, not a network problem.
    """
    delay, error = SOURCES.get(source, (0.2, None))
    async with _loads.track():
        if delay:
            await asyncio.sleep(delay)
        if error is ConnectionError:
            raise ConnectionError(f"{source}: unreachable")
        if error is not None:
            raise error(f"{source}: bad figures")
    return f"<{source} data>"


def check_load_report(load_report: Any) -> Result:
    """``load_report(sources)`` returns (loaded, errors); other errors reach the caller."""
    expect_coroutine_function(load_report)
    cases = [  # sources, which load, which fail, how long it takes
        (["sales", "stock", "staff"], ["sales", "stock", "staff"], [], 0.4),
        (["sales", "stock", "prices", "staff"], ["sales"], ["prices"], 0.2),
        (["stock", "weather", "rates"], [], ["weather", "rates"], 0.0),  # two at once
    ]
    for sources, loaded, failed, expected in cases:
        _judge_report(load_report, sources, loaded, failed, expected)
    _report_lets_bugs_through(load_report)
    return correct(
        "load_report kept the data that arrived before a failure, stopped the other "
        "sources at once (0.2 s, not 0.4 s), reported every ConnectionError, even two at "
        "the same moment, and let a ValueError through to the caller."
    )


def _judge_report(
    load_report: Any, sources: list[str], loaded: list[str], failed: list[str], expected: float
) -> None:
    call = f"load_report({sources!r})"
    _loads.reset()
    outcome = run_coroutine(partial(load_report, list(sources)))
    if isinstance(outcome.error, asyncio.CancelledError):
        raise _cancelled_result(
            call, "Ask each task `cancelled()` first, then `exception()`, then `result()`."
        )
    if isinstance(outcome.error, BaseExceptionGroup) and outcome.error.subgroup(ConnectionError):
        raise Wrong(
            "plain_except",
            f"{call} raised {outcome.error!r}: the ConnectionError came out of the group "
            "wrapped in an ExceptionGroup, which a plain `except ConnectionError:` does not "
            "match. Use `except* ConnectionError as group:`.",
        )
    common_mistakes(outcome, call)
    pair = isinstance(outcome.value, tuple) and len(outcome.value) == 2
    got, errors = outcome.value if pair else (None, None)
    if not isinstance(got, dict) or not isinstance(errors, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {outcome.value!r}; return a pair: a dict of the data that "
            "loaded, and a list of the ConnectionErrors (`list(group.exceptions)`).",
        )
    if not failed and _loads.peak < len(sources):
        raise Wrong(
            "sequential",
            f"{call} loaded the sources {_loads.describe(len(sources))}. Start them all in "
            "one TaskGroup, so that they load at the same time.",
        )
    expected_data = {source: f"<{source} data>" for source in loaded}
    if len(got) > len(loaded) and failed:
        raise Wrong(
            "waited_for_all",
            f"{call} returned data for {sorted(got)}: sources still loading when one had "
            "failed went on to the end, as with gather(..., return_exceptions=True). Use a "
            "TaskGroup: it cancels the rest at the first failure.",
        )
    if got != expected_data:
        raise Wrong(
            "wrong_value",
            f"{call} returned {got!r} as the data; the sources that loaded give "
            f"{expected_data!r}. Leave out the cancelled and failed ones.",
        )
    if sorted(str(e) for e in errors) != sorted(f"{s}: unreachable" for s in failed):
        raise Wrong(
            "lost_errors",
            f"{call} returned the errors {[str(e) for e in errors]!r}, but "
            f"{[f'{s}: unreachable' for s in failed]!r} failed. Keep every error of the "
            "group: `group.exceptions` holds them all.",
        )
    judge_duration(outcome.elapsed, expected, call, tolerance=SLACK)


def _report_lets_bugs_through(load_report: Any) -> None:
    call = "load_report(['sales', 'stock', 'budget'])"
    _loads.reset()
    outcome = run_coroutine(partial(load_report, ["sales", "stock", "budget"]))
    error = outcome.error
    if isinstance(error, ValueError) or (
        isinstance(error, BaseExceptionGroup) and error.subgroup(ValueError)
    ):
        return
    common_mistakes(outcome, call)
    raise Wrong(
        "caught_too_much",
        f"{call} returned {outcome.value!r}, hiding the ValueError of 'budget', a bug "
        "rather than a network problem. Handle only ConnectionError "
        "(`except* ConnectionError`); let everything else go on.",
    )


ex1 = Exercise(
    title="Keep what arrived",
    answer="load_report",
    checker=check_load_report,
    hints=[
        "Keep the tasks in a dict, {source: tg.create_task(load(source))}, and put "
        "`try:` / `except* ConnectionError as group:` around the `async with` block.",
        "In the except* clause, `errors = list(group.exceptions)`. After the block, a task "
        "loaded if `not task.cancelled() and task.exception() is None`.",
        "Ask `cancelled()` before `exception()` or `result()`: both raise CancelledError "
        "on a cancelled task.",
    ],
)

# --- Exercise 2: fastest ----------------------------------------------------------------

MIRRORS: dict[str, float] = {"eu": 0.3, "us": 0.1, "asia": 0.2}
"""How long ``ask(mirror)`` takes for each mirror, in seconds."""

_asked: dict[str, asyncio.Task[Any]] = {}
_mirrors = Concurrency()


async def ask(mirror: str) -> str:
    """Pretend to download the file from ``mirror``; return ``"file from us"``.

    ``"us"`` answers after 0.1 s, ``"asia"`` after 0.2 s and ``"eu"`` after 0.3 s.
    """
    task = asyncio.current_task()
    if task is not None:
        _asked[mirror] = task
    async with _mirrors.track():
        await asyncio.sleep(MIRRORS.get(mirror, 0.2))
    return f"file from {mirror}"


async def _race(fastest: Any, mirrors: list[str]) -> tuple[Any, list[str], list[str]]:
    """The answer, the mirrors still being asked, and those cancelled but not yet stopped."""
    value = await fastest(list(mirrors))
    left = [(m, t) for m, t in sorted(_asked.items()) if t is not asyncio.current_task()]
    running = [mirror for mirror, task in left if not task.done() and not task.cancelling()]
    stopping = [mirror for mirror, task in left if not task.done() and task.cancelling()]
    return value, running, stopping


def check_fastest(fastest: Any) -> Result:
    """``fastest(mirrors)``: the first answer, with the other requests stopped."""
    expect_coroutine_function(fastest)
    for mirrors in (["eu", "us", "asia"], ["eu", "asia"]):
        _judge_race(fastest, mirrors)
    return correct(
        "fastest(['eu', 'us', 'asia']) returned 'file from us' after 0.1 s, with the two "
        "slower requests cancelled and stopped before it returned."
    )


def _judge_race(fastest: Any, mirrors: list[str]) -> None:
    call = f"fastest({mirrors!r})"
    _asked.clear()
    _mirrors.reset()
    outcome = run_coroutine(partial(_race, fastest, mirrors))
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
        raise _cancelled_result(call, "Keep the answer in a list before stopping the group.")
    outcome.left_running = []  # the report below says more precisely what was left
    common_mistakes(outcome, call)
    value, running, stopping = outcome.value
    winner = min(mirrors, key=lambda mirror: MIRRORS[mirror])
    if _mirrors.peak < len(mirrors):
        raise Wrong(
            "sequential",
            f"{call} asked the mirrors {_mirrors.describe(len(mirrors))}. Ask them all "
            "at once, in one TaskGroup, and keep the first answer.",
        )
    if running:
        raise Wrong(
            "others_left_running",
            f"{call} returned while {running} were still being asked: stop the "
            "other requests once the first answer is in (they have been cancelled now).",
        )
    if stopping:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call} returned while {stopping} had been cancelled but had not "
            "stopped yet. cancel() only asks: wait for them (a TaskGroup does).",
        )
    if outcome.elapsed >= (MIRRORS[winner] + max(MIRRORS[m] for m in mirrors)) / 2:
        raise Wrong(
            "waited_for_all",
            f"{call} took {seconds(outcome.elapsed)}: it waited for every mirror. The "
            f"first answer came after {seconds(MIRRORS[winner])}; stop the group then.",
        )
    if value != f"file from {winner}":
        raise Wrong(
            "wrong_value",
            f"{call} returned {value!r}; the first mirror to answer was "
            f"{winner!r}, so it should return 'file from {winner}'.",
        )
    judge_duration(outcome.elapsed, MIRRORS[winner], call, tolerance=SLACK)


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

# --- Exercise 3: upload -----------------------------------------------------------------


class Connection:
    """A pretend connection to a server: ``send`` takes 0.3 s and ``close`` 0.2 s.

    ``await conn.send(data)`` returns ``"sent 5 bytes"``; with ``Connection(fail=True)``
    it raises ``ConnectionError`` after 0.1 s instead.  ``await conn.close()`` says
    goodbye to the server; ``conn.closed`` is True once it has finished.
    """

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.close_calls = 0
        self.close_interrupted = False
        self.closed = False
        self.when_upload_ended: tuple[bool, bool] = (False, False)  # (closed, interrupted)

    async def send(self, data: bytes) -> str:
        await asyncio.sleep(0.1 if self.fail else 0.3)
        if self.fail:
            raise ConnectionError("connection reset while sending")
        return f"sent {len(data)} bytes"

    async def close(self) -> None:
        self.close_calls += 1
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.close_interrupted = True
            raise
        self.closed = True


async def _observed_upload(upload: Any, conn: Connection) -> Any:
    try:
        return await upload(conn, b"hello")
    finally:
        conn.when_upload_ended = (conn.closed, conn.close_interrupted)


def check_upload(upload: Any) -> Result:
    """``upload(conn, data)``: close always completes; errors and cancellations go on."""
    expect_coroutine_function(upload)
    scenarios = [
        ("", {}, False),
        (" with a send that fails", {}, True),
        (", cancelled during send", {"cancel_after": 0.1}, False),
        (", cancelled during send and again while closing", _TWICE, False),
        (", cancelled while closing after a send that worked", {"cancel_after": 0.4}, False),
    ]
    for words, cancels, fail in scenarios:
        _judge_upload(upload, "upload(conn, b'hello')" + words, cancels, fail)
    return correct(
        "upload returned send's result after closing, let send's ConnectionError through "
        "after closing, and when cancelled, once or twice, or while closing, it finished "
        "closing the connection and then ended cancelled."
    )


_TWICE = {"cancel_after": 0.1, "cancel_again_after": 0.1}


def _judge_upload(upload: Any, call: str, cancels: dict[str, float], fail: bool) -> None:
    conn, ending = Connection(fail=fail), Ending()
    start = partial(_observed_upload, upload, conn)
    outcome = run_coroutine(partial(watch, start, ending, **cancels))
    outcome.left_running = []  # a close left running is told apart below
    common_mistakes(outcome, call)
    if conn.close_calls == 0:
        raise Wrong(
            "close_not_in_finally",
            f"{call}: the connection was never closed. Close it in a `finally:` block, "
            "which runs however the `try:` ends: result, error or cancellation.",
        )
    closed, interrupted = conn.when_upload_ended
    if not closed and interrupted:
        raise Wrong(
            "cleanup_cut_short",
            f"{call}: the second cancel() arrived while closing and cut the close short. "
            "Run the close in a task behind `asyncio.shield(...)`, and wait for it to "
            "finish even when cancelled again.",
        )
    if not closed:
        raise Wrong(
            "ended_before_cleanup",
            f"{call}: upload ended while the connection was still closing. If the close "
            "runs in a task (behind a shield), upload must still wait for it to finish: "
            "`await asyncio.wait([closing])`, then `raise`.",
        )
    if cancels and not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: upload {ending.describe()} instead of ending cancelled, so the "
            "cancellation was swallowed. After the cleanup, `raise` the CancelledError.",
        )
    if fail and not isinstance(ending.error, ConnectionError):
        raise Wrong(
            "error_swallowed",
            f"{call}: upload {ending.describe()} instead of raising send's "
            "ConnectionError. Close the connection, then let the error go on.",
        )
    if not cancels and not fail and ending.value != "sent 5 bytes":
        raise Wrong(
            "wrong_value", f"{call} {ending.describe()}; return what send returned, 'sent 5 bytes'."
        )


ex3 = Exercise(
    title="Close the connection, whatever happens",
    answer="upload",
    checker=check_upload,
    hints=[
        "`try: return await conn.send(data)` and close the connection in `finally:`.",
        "In the finally, start the close as a task, `closing = asyncio.create_task(conn."
        "close())`, and `await asyncio.shield(closing)`: a second cancel() then cannot "
        "reach the close.",
        "The shield still raises CancelledError in upload: catch it, "
        "`await asyncio.wait([closing])` to let the close finish, then `raise`.",
    ],
)

# --- Exercise 4: shut_down --------------------------------------------------------------


@dataclass
class _Request:
    """A pretend request in flight, which rolls back for 0.1 s when cancelled."""

    seconds: float
    rolled_back: bool = False

    async def handle(self) -> str:
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            await asyncio.sleep(0.1)  # roll back
            self.rolled_back = True
            raise
        return "done"


async def _shutdown_scenario(shut_down: Any, durations: list[float], grace: float) -> Any:
    """What shut_down returned, how many requests were not done, how many rolled back."""
    requests = [_Request(duration) for duration in durations]
    tasks = {asyncio.create_task(request.handle()) for request in requests}
    await asyncio.sleep(0)  # the requests are under way
    value = await shut_down(tasks, grace)
    unfinished = sum(not task.done() for task in tasks)
    return value, unfinished, sum(request.rolled_back for request in requests)


def check_shut_down(shut_down: Any) -> Result:
    """``shut_down(tasks, grace)``: grace period, then cancel and wait; (finished, cancelled)."""
    expect_coroutine_function(shut_down)
    cases = [([0.1, 0.2, 1.0], 0.3, (2, 1), 0.4), ([0.1, 0.2], 0.5, (2, 0), 0.2)]
    for durations, grace, expected, duration in cases:
        _judge_shut_down(shut_down, durations, grace, expected, duration)
    return correct(
        "shut_down gave the requests their grace period of 0.3 s, cancelled the one still "
        "running, waited for its rollback, and returned (2, 1) after 0.4 s; when "
        "everything finished early, it returned as soon as it had."
    )


def _judge_shut_down(
    shut_down: Any, durations: list[float], grace: float, expected: tuple[int, int], took: float
) -> None:
    call = f"shut_down(tasks, grace={grace}) with requests of {durations} s"
    outcome = run_coroutine(partial(_shutdown_scenario, shut_down, durations, grace))
    if isinstance(outcome.error, asyncio.CancelledError):
        raise Wrong(
            "cancelled_error_escaped",
            f"{call} raised CancelledError: awaiting a task you cancelled raises it in "
            "you. Wait with `await asyncio.wait(tasks)`, which does not raise.",
        )
    outcome.left_running = []  # told apart below
    common_mistakes(outcome, call)
    value, unfinished, rolled_back = outcome.value
    if unfinished:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call} returned before the cancelled requests had finished rolling back. "
            "cancel() only asks: wait for the cancelled tasks with `await asyncio.wait(...)`.",
        )
    if rolled_back > expected[1]:
        raise Wrong(
            "no_grace",
            f"{call} cancelled {rolled_back} requests, but {expected[0]} would "
            f"have finished within the grace period of {grace} s. Wait up to `grace` "
            "seconds first: `asyncio.wait(tasks, timeout=grace)`.",
        )
    if outcome.elapsed > took + SLACK and grace < max(durations):
        raise Wrong(
            "ignored_grace",
            f"{call} took {seconds(outcome.elapsed)}: it waited for the slowest request "
            f"instead of giving up after {grace} s. Use `asyncio.wait(tasks, timeout=grace)`.",
        )
    if outcome.elapsed > took + SLACK:
        raise Wrong(
            "waited_full_grace",
            f"{call} took {seconds(outcome.elapsed)}, the whole grace period, though every "
            f"request was done after {seconds(took)}. Wait for the tasks with a timeout "
            "rather than sleeping: `asyncio.wait(tasks, timeout=grace)`.",
        )
    if (tuple(value) if isinstance(value, list) else value) != expected:
        raise Wrong(
            "wrong_counts",
            f"{call} returned {value!r}; {expected[0]} requests finished and "
            f"{expected[1]} were cancelled, so it should return {expected!r}.",
        )
    judge_duration(outcome.elapsed, took, call, tolerance=SLACK)


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

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = [
    "EXERCISES",
    "MIRRORS",
    "SOURCES",
    "Connection",
    "ask",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "load",
]
