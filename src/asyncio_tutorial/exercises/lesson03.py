"""Lesson 03's exercises: tasks, concurrency, timeouts and cancellation.

The workbook ``exercises/03-tasks.ipynb`` starts with::

    from asyncio_tutorial.exercises.lesson03 import ex1, ex2, ex3, ex4, ex5

and the helpers the exercises use (``download``, ``DELAYS``) are imported from here
too, so that ``download??`` shows how they work.  The worked answers are in
``solutions/03-tasks.ipynb``.

Some of these checkers need more than one run of the answer: they run a small
*scenario* (a coroutine of the checker's own) on the runner's loop, which starts the
answer as a task, watches it, sometimes cancels it from outside, and reports what it
saw.  That is how a swallowed cancellation, a task garbage-collected because nobody
kept it, or a cleanup that did not finish are told apart from a right answer.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.exercises.core import WRONG, Exercise, Result, correct, wrong
from asyncio_tutorial.exercises.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
    judge_duration,
    raised,
    seconds,
)
from asyncio_tutorial.exercises.runner import Outcome, run_coroutine

TIME_LIMIT = 2.0  # every exercise here finishes in well under a second

# How much later than planned an answer may finish and still count as on time.  The
# checkers tell the classic mistakes apart by what happened (how many downloads ran at
# once, whether a task was cancelled), not by fine timing, so this can be generous: a
# machine busy with other programs makes a right answer late, never early.
SLACK = 0.25

# --- The pretend network --------------------------------------------------------------

DELAYS: dict[str, float] = {"news": 0.3, "weather": 0.1, "sport": 0.2}
"""How long ``download(page)`` takes for each page, in seconds (others: 0.2 s)."""


class _Traffic:
    """How many downloads were in progress at the same time (the most, since a reset).

    The checkers judge "concurrent or one after another" by this count rather than by
    the clock alone, so a machine slowed down by other programs cannot fool them.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    def reset(self) -> None:
        self.in_flight = 0
        self.peak = 0

    def begin(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def end(self) -> None:
        self.in_flight -= 1


_traffic = _Traffic()


async def download(page: str) -> str:
    """Pretend to download ``page``: wait as long as ``DELAYS`` says, return its text.

    ``await download("weather")`` returns ``"<weather>"`` after 0.1 s.  It waits the way
    a real download waits for the network, so the event loop is free meanwhile.  It also
    counts how many downloads are in progress at once, which is how the checks tell
    concurrent downloads from downloads made one after another.
    """
    _traffic.begin()
    try:
        await asyncio.sleep(DELAYS.get(page, 0.2))
    finally:
        _traffic.end()
    return f"<{page}>"


def _run_downloads(answer: Any, pages: list[str]) -> Outcome:
    """Run ``answer(pages)`` with the download counter reset."""
    _traffic.reset()
    return run_coroutine(partial(answer, list(pages)), TIME_LIMIT)


def _judge_overlap(outcome: Outcome, call: str, pages: list[str]) -> Result | None:
    """Did the downloads overlap, and did the whole take as long as the slowest one?"""
    if _traffic.peak < len(pages):
        at_once = (
            "one after another, never two at once"
            if _traffic.peak <= 1
            else f"at most {_traffic.peak} of the {len(pages)} at the same time"
        )
        return wrong(
            "sequential",
            f"{call} took {seconds(outcome.elapsed)}: the downloads ran {at_once}, so it "
            f"takes about the sum of the waits ({seconds(_sequential_time(pages))}) "
            f"instead of the longest one ({seconds(_concurrent_time(pages))}). Start "
            "them all before awaiting any.",
        )
    return judge_duration(outcome.elapsed, _concurrent_time(pages), call, tolerance=SLACK)


PAGES = ["news", "weather", "sport"]
"""The pages the checkers download: 0.3 s, 0.1 s and 0.2 s."""


def _texts(pages: list[str]) -> list[str]:
    return [f"<{page}>" for page in pages]


def _sequential_time(pages: list[str]) -> float:
    return sum(DELAYS.get(page, 0.2) for page in pages)


def _concurrent_time(pages: list[str]) -> float:
    return max(DELAYS.get(page, 0.2) for page in pages)


def _describe_value(value: Any) -> str:
    """``[<Task ...>, ...]`` reads badly in a message: say what kind of thing it is."""
    if isinstance(value, list) and value and all(isinstance(v, asyncio.Task) for v in value):
        return f"a list of {len(value)} Task objects"
    if isinstance(value, asyncio.Future):
        return f"a {type(value).__name__} object"
    return repr(value)


# --- Exercise 1: fetch_all ------------------------------------------------------------


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(pages)`` downloads concurrently and returns the texts in page order."""
    problem = expect_coroutine_function(fetch_all, "fetch_all")
    if problem:
        return problem
    for pages in (PAGES, ["sport", "weather", "news", "weather"]):
        call = f"fetch_all({pages!r})"
        outcome = _run_downloads(fetch_all, pages)
        problem = _judge_fetch_all(outcome, call, pages)
        if problem:
            return problem
    return correct(
        "fetch_all(['news', 'weather', 'sport']) returned the three pages in order after "
        "0.3 s, the time of the slowest download, not 0.6 s, their sum: the downloads "
        "waited at the same time."
    )


def _judge_fetch_all(outcome: Outcome, call: str, pages: list[str]) -> Result | None:
    problem = common_mistakes(
        outcome, call, name="fetch_all", hint_call="ex1.hint()", time_limit=TIME_LIMIT
    )
    if problem:
        return problem
    expected = _texts(pages)
    value = outcome.value
    if isinstance(value, (list, tuple)) and any(isinstance(v, asyncio.Task) for v in value):
        return wrong(
            "returned_tasks",
            f"{call} returned {_describe_value(value)}, not their results. Await them "
            "(`await asyncio.gather(*tasks)` gives the results in order).",
        )
    if not isinstance(value, list):
        return wrong(
            "wrong_type",
            f"{call} returned {_describe_value(value)}; it should return a list of the "
            f"pages' texts, {expected!r}.",
        )
    if value != expected:
        if sorted(value) == sorted(expected):
            return wrong(
                "wrong_order",
                f"{call} returned {value!r}: the right pages, in the order they finished. "
                f"Return them in the order of `pages`: {expected!r} (gather does that).",
            )
        return wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")
    return _judge_overlap(outcome, call, pages)


ex1 = Exercise(
    lesson="03",
    number=1,
    title="Download concurrently",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Start every download before waiting for any: `asyncio.create_task(download(page))` "
        "starts one and returns at once.",
        "`await asyncio.gather(*coroutines)` runs them all concurrently and returns their "
        "results in the order you passed them.",
        "In one line: `return await asyncio.gather(*(download(page) for page in pages))`.",
    ],
)

# --- Exercise 2: Background ------------------------------------------------------------


@dataclass
class _BackgroundReport:
    """What the Background scenario saw."""

    returned: Any = None
    """What ``start`` returned."""
    name: str | None = None
    """The name of the task ``start`` returned."""
    kept_in_tasks: bool = False
    """The task was in ``self.tasks`` right after ``start``."""
    finished_still_kept: bool = False
    """A task that had finished was still in ``self.tasks``."""
    waited: float = 0.0
    """How long ``await wait_all()`` took."""
    left_running: list[str] = field(default_factory=list)
    """Tasks still running when ``wait_all()`` returned."""


async def _job(duration: float) -> str:
    await asyncio.sleep(duration)
    return "sent"


async def _background_scenario(cls: Any, report: _BackgroundReport) -> None:
    background = cls()

    # 1. start() returns the task, named, and keeps it.
    task = background.start(_job(0.1), name="email-1")
    report.returned = task
    if not isinstance(task, asyncio.Task):
        return
    report.name = task.get_name()
    tasks = getattr(background, "tasks", None)
    report.kept_in_tasks = tasks is not None and task in tasks

    # 2. A finished task is dropped from self.tasks.
    await asyncio.sleep(0.2)
    report.finished_still_kept = tasks is not None and task in tasks
    del task

    # 3. wait_all() returns once everything started has finished.
    first = background.start(_job(0.2), name="email-2")
    second = background.start(_job(0.3), name="email-3")
    started = asyncio.get_running_loop().time()
    await background.wait_all()
    report.waited = asyncio.get_running_loop().time() - started
    report.left_running = [t.get_name() for t in (first, second) if not t.done()]


def check_background(cls: Any) -> Result:
    """``Background.start`` keeps each task until it is done; ``wait_all`` awaits them."""
    if not inspect.isclass(cls):
        return wrong(
            "not_a_class",
            f"check needs the class Background itself, not a {type(cls).__name__}.",
        )
    start = getattr(cls, "start", None)
    wait_all = getattr(cls, "wait_all", None)
    if start is None or wait_all is None:
        return wrong("missing_method", "Background needs both methods, start and wait_all.")
    if inspect.iscoroutinefunction(start):
        return wrong(
            "start_is_async",
            "Background.start is defined with `async def`, so calling it only makes a "
            "coroutine and starts nothing. Make it a plain `def`: asyncio.create_task "
            "needs no await.",
        )
    problem = expect_plain_function(start, "Background.start") or expect_coroutine_function(
        wait_all, "Background.wait_all"
    )
    if problem:
        return problem
    report = _BackgroundReport()
    call = "Background's start and wait_all"
    outcome = run_coroutine(partial(_background_scenario, cls, report), TIME_LIMIT)
    error = outcome.error
    if isinstance(error, RuntimeError) and "changed size during iteration" in str(error):
        return wrong(
            "set_changed_size",
            f"{call} raised RuntimeError: {error}. Each task leaves self.tasks as it "
            "finishes, so the set changes while a loop goes over it. Wait for them all "
            "at once instead: `await asyncio.gather(*self.tasks)`.",
        )
    problem = common_mistakes(
        outcome, call, name="Background", hint_call="ex2.hint()", time_limit=TIME_LIMIT
    )
    if problem and problem.mistake == "tasks_left_running":
        verdict = _judge_background(report)
        return verdict if verdict.status == WRONG else problem
    return problem or _judge_background(report)


def _judge_background(report: _BackgroundReport) -> Result:
    if not isinstance(report.returned, asyncio.Task):
        return wrong(
            "start_returns_no_task",
            f"start(coro, name=...) returned {report.returned!r}. Create the task with "
            "`asyncio.create_task(coro, name=name)` and return it.",
        )
    if report.name != "email-1":
        return wrong(
            "task_not_named",
            f"start(coro, name='email-1') returned a task named {report.name!r}. Pass the "
            "name on: `asyncio.create_task(coro, name=name)`.",
        )
    if not report.kept_in_tasks:
        return wrong(
            "reference_not_kept",
            "start did not keep the task in self.tasks. The event loop holds tasks only "
            "weakly, so a task nobody refers to can be garbage-collected half-way, and "
            "wait_all cannot wait for a task it does not know. Add each task to the "
            "set: `self.tasks.add(task)`.",
        )
    if report.finished_still_kept:
        return wrong(
            "discard_missing",
            "a task that had finished was still in self.tasks: the set only grows, a "
            "memory leak in a long-running program. Let each task remove itself: "
            "`task.add_done_callback(self.tasks.discard)`.",
        )
    return _wait_all_too_early(report) or correct(
        "start kept each task in self.tasks while it ran, finished tasks left the set "
        "by themselves, and wait_all returned after 0.3 s, when the last task was done."
    )


def _wait_all_too_early(report: _BackgroundReport) -> Result | None:
    if report.left_running or report.waited < 0.3 - EARLY_ALLOWANCE:
        return wrong(
            "wait_all_returned_early",
            f"wait_all() returned after {seconds(report.waited)}, while tasks it should "
            "have waited for were still running (one needed 0.3 s). Await them all: "
            "`await asyncio.gather(*self.tasks)`.",
        )
    if report.waited > 0.3 + SLACK:
        return wrong(
            "too_slow",
            f"wait_all() took {report.waited:.2f} s, but the tasks were done after 0.3 s.",
        )
    return None


ex2 = Exercise(
    lesson="03",
    number=2,
    title="Keep background tasks safe",
    answer="Background",
    checker=check_background,
    hints=[
        "In start: `task = asyncio.create_task(coro, name=name)`, then "
        "`self.tasks.add(task)` so that the task cannot be garbage-collected.",
        "`task.add_done_callback(self.tasks.discard)` takes each task out of the set once "
        "it is done.",
        "wait_all only has to wait: `await asyncio.gather(*self.tasks)`.",
    ],
)

# --- Exercise 3: with_deadline ----------------------------------------------------------


class _Operation:
    """A pretend network call for the checker: returns, raises, or takes too long."""

    def __init__(self, duration: float, result: str = "42 EUR", error: Exception | None = None):
        self.duration = duration
        self.result = result
        self.error = error
        self.cancelled = False
        self.calls = 0

    async def operation(self) -> str:
        """The coroutine function the answer is given as ``operation``."""
        self.calls += 1
        try:
            await asyncio.sleep(self.duration)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.error is not None:
            raise self.error
        return self.result


DEFAULT = "unavailable"


@dataclass
class _CancelReport:
    """How an answer's task ended when the checker cancelled it from outside."""

    cancelled: bool = False
    value: Any = None
    error: BaseException | None = None


async def _cancel_from_outside(
    start: Callable[[], Awaitable[Any]], after: float, report: _CancelReport
) -> None:
    task = asyncio.ensure_future(start())
    await asyncio.sleep(after)
    task.cancel()
    await asyncio.wait([task])
    report.cancelled = task.cancelled()
    if not task.cancelled():
        report.error = task.exception()
        report.value = None if report.error is not None else task.result()


def check_with_deadline(with_deadline: Any) -> Result:
    """``with_deadline(op, seconds, default)``: op's result in time, else ``default``."""
    problem = expect_coroutine_function(with_deadline, "with_deadline")
    if problem:
        return problem
    return (
        _deadline_in_time(with_deadline)
        or _deadline_too_slow(with_deadline)
        or _deadline_error(with_deadline)
        or _deadline_cancelled(with_deadline)
        or correct(
            "with_deadline returned the answer that came in time (after 0.1 s), gave up on "
            "a slow one after 0.3 s with the default (and the slow call was cancelled), "
            "let a real error through, and stayed cancelled when cancelled from outside."
        )
    )


def _deadline_common(outcome: Outcome, call: str) -> Result | None:
    return common_mistakes(
        outcome, call, name="with_deadline", hint_call="ex3.hint()", time_limit=TIME_LIMIT
    )


def _deadline_in_time(with_deadline: Any) -> Result | None:
    operation = _Operation(0.1)
    call = f"with_deadline(operation, 0.5, {DEFAULT!r}) with an operation that takes 0.1 s"
    outcome = run_coroutine(lambda: with_deadline(operation.operation, 0.5, DEFAULT), TIME_LIMIT)
    problem = _deadline_common(outcome, call)
    if problem:
        return problem
    if operation.calls != 1:
        return wrong(
            "wrong_calls",
            f"{call} called the operation {operation.calls} times; call it once, "
            "`await operation()`.",
        )
    if outcome.value != operation.result:
        return wrong(
            "wrong_value",
            f"{call} returned {_describe_value(outcome.value)}, not the operation's "
            f"result, {operation.result!r}.",
        )
    return judge_duration(outcome.elapsed, 0.1, call, tolerance=SLACK)


def _deadline_too_slow(with_deadline: Any) -> Result | None:
    operation = _Operation(1.0)
    call = f"with_deadline(operation, 0.3, {DEFAULT!r}) with an operation that takes 1 s"
    outcome = run_coroutine(lambda: with_deadline(operation.operation, 0.3, DEFAULT), TIME_LIMIT)
    if isinstance(outcome.error, TimeoutError):
        return wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError instead of returning the default. Catch it "
            "*around* the `async with asyncio.timeout(...)` block: inside the block the "
            "operation sees CancelledError, which becomes TimeoutError only as it leaves.",
        )
    if "operation" in outcome.left_running and outcome.value == DEFAULT:
        return wrong(
            "not_cancelled",
            f"{call} returned the default but left the slow operation running. Let the "
            "timeout cancel it: await it inside `async with asyncio.timeout(seconds):`.",
        )
    problem = _deadline_common(outcome, call)
    if problem:
        return problem
    if outcome.elapsed >= 1.0 - EARLY_ALLOWANCE:
        return wrong(
            "no_timeout",
            f"{call} waited for the whole operation ({seconds(outcome.elapsed)}). Give up "
            "after `seconds`: wrap the await in `async with asyncio.timeout(seconds):`.",
        )
    if outcome.value != DEFAULT:
        return wrong(
            "wrong_fallback",
            f"{call} returned {_describe_value(outcome.value)} when the time was up; it "
            f"should return the default it was given, {DEFAULT!r}.",
        )
    if not operation.cancelled:
        return wrong(
            "not_cancelled",
            f"{call} returned the default but left the slow operation running. Let the "
            "timeout cancel it: await it inside `async with asyncio.timeout(seconds):`.",
        )
    return judge_duration(outcome.elapsed, 0.3, call, tolerance=SLACK)


def _deadline_error(with_deadline: Any) -> Result | None:
    operation = _Operation(0.1, error=ConnectionError("connection reset"))
    call = f"with_deadline(operation, 0.3, {DEFAULT!r}) with an operation that fails"
    outcome = run_coroutine(lambda: with_deadline(operation.operation, 0.3, DEFAULT), TIME_LIMIT)
    problem = common_mistakes(
        outcome,
        call,
        name="with_deadline",
        hint_call="ex3.hint()",
        time_limit=TIME_LIMIT,
        expected_error=ConnectionError,
    )
    if problem:
        return problem
    if outcome.error is None:
        return wrong(
            "caught_too_much",
            f"{call} returned {_describe_value(outcome.value)}, hiding the operation's "
            "ConnectionError. Catch only TimeoutError; other errors must reach the caller.",
        )
    return None


def _deadline_cancelled(with_deadline: Any) -> Result | None:
    operation = _Operation(1.0)
    report = _CancelReport()
    call = f"with_deadline(operation, 0.5, {DEFAULT!r}), cancelled from outside after 0.1 s"
    outcome = run_coroutine(
        partial(
            _cancel_from_outside,
            lambda: with_deadline(operation.operation, 0.5, DEFAULT),
            0.1,
            report,
        ),
        TIME_LIMIT,
    )
    problem = _deadline_common(outcome, call)
    if problem:
        return problem
    if not report.cancelled:
        ended = (
            f"raised {type(report.error).__name__}"
            if report.error is not None
            else f"returned {_describe_value(report.value)}"
        )
        return wrong(
            "swallowed_cancellation",
            f"{call} {ended} instead of ending cancelled: it swallowed the "
            "CancelledError. Catch only TimeoutError, never CancelledError, so that "
            "whoever cancels your code can stop it.",
        )
    return None


ex3 = Exercise(
    lesson="03",
    number=3,
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

# --- Exercise 4: in_completion_order ----------------------------------------------------


def check_in_completion_order(in_completion_order: Any) -> Result:
    """``in_completion_order(pages)``: the texts, in the order the downloads finish."""
    problem = expect_coroutine_function(in_completion_order, "in_completion_order")
    if problem:
        return problem
    pages = list(PAGES)
    call = f"in_completion_order({pages!r})"
    outcome = _run_downloads(in_completion_order, pages)
    if outcome.returned_coroutines:
        outcome.left_running = []  # the downloads were started and have been cancelled
        return wrong(
            "forgot_await",
            f"{call} returned coroutine objects, not pages. What as_completed gives are "
            "awaitables: `await` each one (`page = await next_done`) to get the next page.",
        )
    if isinstance(outcome.error, TypeError) and "__aiter__" in str(outcome.error):
        return wrong(
            "async_for_needs_3_13",
            f"{call} raised {outcome.error}. `async for` over as_completed needs Python "
            "3.13 or newer. Use a plain `for next_done in asyncio.as_completed(...)`, "
            "then `await next_done`: that works on every version.",
        )
    problem = common_mistakes(
        outcome,
        call,
        name="in_completion_order",
        hint_call="ex4.hint()",
        time_limit=TIME_LIMIT,
    )
    if problem:
        return problem
    value = outcome.value
    expected = sorted(_texts(pages), key=lambda text: DELAYS[text[1:-1]])
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(expected):
        return wrong(
            "wrong_value",
            f"{call} returned {_describe_value(value)}; it should return a list of the "
            f"three pages' texts, {expected!r}.",
        )
    problem = _judge_overlap(outcome, call, pages)
    if problem:
        return problem
    if value == _texts(pages):
        return wrong(
            "argument_order",
            f"{call} returned {value!r}: the order of the arguments, which is what "
            f"gather gives. Return them as they finish, {expected!r}: loop over "
            "`asyncio.as_completed(...)`.",
        )
    if value != expected:
        return wrong(
            "wrong_order",
            f"{call} returned {value!r}, but the downloads finished in the order "
            f"{expected!r}. Append each page as soon as it arrives.",
        )
    return correct(
        f"{call} returned {expected!r}: weather after 0.1 s, sport after 0.2 s, news after "
        "0.3 s, each page as soon as it arrived, all in 0.3 s."
    )


ex4 = Exercise(
    lesson="03",
    number=4,
    title="Pages as they arrive",
    answer="in_completion_order",
    checker=check_in_completion_order,
    hints=[
        "`asyncio.as_completed(awaitables)` gives one awaitable per download, in the "
        "order they finish.",
        "`for next_done in asyncio.as_completed(...):` then `page = await next_done`.",
        "gather would give the order of the arguments, not the order of arrival.",
    ],
)

# --- Exercise 5: with_spinner -----------------------------------------------------------


class _Spinner:
    """A pretend progress spinner: turns every 0.1 s until cancelled, then erases itself.

    Erasing takes 0.1 s (it awaits), so it is only finished if whoever cancelled the
    spinner also waited for it.
    """

    def __init__(self) -> None:
        self.started = False
        self.cancelled = False
        self.erased = False

    async def spin(self) -> None:
        self.started = True
        try:
            while True:
                await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        finally:
            await asyncio.sleep(0.1)  # erase the spinner from the screen
            self.erased = True


@dataclass
class _SpinnerReport:
    """How ``with_spinner`` ended, and what state the spinner was in at that moment."""

    cancelled: bool = False
    value: Any = None
    error: BaseException | None = None
    started: bool = False
    spinner_cancelled: bool = False
    erased: bool = False
    elapsed: float = 0.0


async def _spinner_scenario(
    with_spinner: Any,
    operation: _Operation,
    spinner: _Spinner,
    report: _SpinnerReport,
    cancel_after: float | None,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(with_spinner(operation.operation, spinner.spin))
    if cancel_after is not None:
        await asyncio.sleep(cancel_after)
        task.cancel()
    await asyncio.wait([task])
    report.elapsed = loop.time() - started
    report.started = spinner.started
    report.spinner_cancelled = spinner.cancelled
    report.erased = spinner.erased
    report.cancelled = task.cancelled()
    if not task.cancelled():
        report.error = task.exception()
        if isinstance(report.error, NotImplementedError):
            raise report.error  # the stub: let the runner see it
        report.value = None if report.error is not None else task.result()


def _run_spinner(
    with_spinner: Any, operation: _Operation, cancel_after: float | None = None
) -> tuple[Outcome, _SpinnerReport]:
    spinner = _Spinner()
    report = _SpinnerReport()
    outcome = run_coroutine(
        partial(_spinner_scenario, with_spinner, operation, spinner, report, cancel_after),
        TIME_LIMIT,
    )
    return outcome, report


def check_with_spinner(with_spinner: Any) -> Result:
    """``with_spinner(op, spinner)``: spinner runs as a task and is always stopped, awaited."""
    problem = expect_coroutine_function(with_spinner, "with_spinner")
    if problem:
        return problem
    return (
        _spinner_success(with_spinner)
        or _spinner_failure(with_spinner)
        or _spinner_cancelled(with_spinner)
        or correct(
            "with_spinner returned the operation's result with the spinner cancelled and "
            "erased; when the operation failed, and when with_spinner itself was "
            "cancelled, the spinner was stopped and erased all the same, and the error or "
            "the cancellation went on to the caller."
        )
    )


def _spinner_common(outcome: Outcome, call: str, report: _SpinnerReport) -> Result | None:
    outcome.left_running = []  # the spinner's state says more than "tasks left running"
    problem = common_mistakes(
        outcome, call, name="with_spinner", hint_call="ex5.hint()", time_limit=TIME_LIMIT
    )
    if problem:
        return problem
    if not report.started:
        return wrong(
            "spinner_not_started",
            f"{call} never started the spinner. Start it as a task before awaiting the "
            "operation: `spinning = asyncio.create_task(spinner())`.",
        )
    return None


def _spinner_state(call: str, report: _SpinnerReport, when: str) -> Result | None:
    if not report.spinner_cancelled:
        return wrong(
            "spinner_left_running",
            f"{call}: {when}, the spinner was still spinning. Cancel it "
            "(`spinning.cancel()`) in a `finally:` block, so that it is stopped however "
            "with_spinner ends.",
        )
    if not report.erased:
        return wrong(
            "cancelled_not_awaited",
            f"{call}: {when}, the spinner had been cancelled but had not finished its "
            "cleanup. cancel() only asks; wait for the task to finish, e.g. "
            "`await asyncio.wait([spinning])`.",
        )
    return None


def _spinner_success(with_spinner: Any) -> Result | None:
    operation = _Operation(0.3, result="done")
    call = "with_spinner(operation, spinner) with an operation that takes 0.3 s"
    outcome, report = _run_spinner(with_spinner, operation)
    problem = _spinner_common(outcome, call, report)
    if problem:
        return problem
    if report.cancelled or isinstance(report.error, asyncio.CancelledError):
        return wrong(
            "cancelled_error_escaped",
            f"{call} ended with CancelledError although nobody cancelled it. Awaiting a "
            "task you cancelled raises CancelledError in *you*: wait with "
            "`await asyncio.wait([spinning])`, which does not raise it.",
        )
    if report.error is not None:
        return raised(report.error, call)
    problem = _spinner_state(call, report, "when it returned")
    if problem:
        return problem
    if report.value != "done":
        return wrong(
            "wrong_value",
            f"{call} returned {_describe_value(report.value)}, not the operation's result, 'done'.",
        )
    return judge_duration(
        report.elapsed, 0.4, call + " (plus 0.1 s to erase the spinner)", tolerance=SLACK
    )


def _spinner_failure(with_spinner: Any) -> Result | None:
    operation = _Operation(0.2, error=ConnectionError("connection reset"))
    call = "with_spinner(operation, spinner) with an operation that fails"
    outcome, report = _run_spinner(with_spinner, operation)
    problem = _spinner_common(outcome, call, report)
    if problem:
        return problem
    if not report.spinner_cancelled or not report.erased:
        if not report.spinner_cancelled and isinstance(report.error, ConnectionError):
            return wrong(
                "cleanup_not_in_finally",
                f"{call}: the ConnectionError went up while the spinner was still "
                "spinning: the code that stops it was skipped. Put the cancel and the "
                "wait in a `finally:` block, which runs however the `try:` ends.",
            )
        return _spinner_state(call, report, "when it ended")
    if report.error is not None and not isinstance(report.error, ConnectionError):
        return raised(report.error, call)
    if not isinstance(report.error, ConnectionError):
        ended = "was cancelled" if report.cancelled else f"returned {report.value!r}"
        return wrong(
            "error_swallowed",
            f"{call} {ended} instead of raising the operation's ConnectionError. "
            "Stop the spinner, then let the error go on to the caller.",
        )
    return None


def _spinner_cancelled(with_spinner: Any) -> Result | None:
    operation = _Operation(1.0, result="done")
    call = "with_spinner(operation, spinner), cancelled from outside after 0.2 s"
    outcome, report = _run_spinner(with_spinner, operation, cancel_after=0.2)
    problem = _spinner_common(outcome, call, report)
    if problem:
        return problem
    if not report.spinner_cancelled and report.cancelled:
        return wrong(
            "cleanup_not_in_finally",
            f"{call}: it stopped, but left the spinner spinning: the code that stops "
            "the spinner was skipped by the CancelledError. Put it in a `finally:` block.",
        )
    problem = _spinner_state(call, report, "when it ended")
    if problem:
        return problem
    if not report.cancelled:
        ended = (
            f"raised {type(report.error).__name__}"
            if report.error is not None
            else f"returned {_describe_value(report.value)}"
        )
        return wrong(
            "swallowed_cancellation",
            f"{call} {ended} instead of ending cancelled: the CancelledError was "
            "swallowed. Clean up in `finally:` and let the cancellation go on; never "
            "`except CancelledError:` without `raise`.",
        )
    return None


ex5 = Exercise(
    lesson="03",
    number=5,
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

EXERCISES = [ex1, ex2, ex3, ex4, ex5]

__all__ = [
    "DELAYS",
    "EXERCISES",
    "PAGES",
    "download",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
]
