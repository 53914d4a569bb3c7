"""Lesson 03's exercises: tasks, concurrency, timeouts, cancellation and shield.

The workbook ``exercises/03-tasks.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson03 import ex1, ex2, ex3, ex4, ex5, ex6

and the helpers the exercises use (``download``, ``DELAYS``, ``OutOfStock``) are imported
from here too, so that ``download??`` shows how they work.  The worked answers are in
``solutions/03-tasks.ipynb``.

Several checkers run the answer as a task and watch how it ends, sometimes cancelling
it from outside (:func:`~asyncio_tutorial.checkers.scenario.watch`), and count how many
operations overlapped (:class:`~asyncio_tutorial.checkers.scenario.Concurrency`).
That is how a swallowed cancellation, a task left running or a save cut off half-way
are told apart from a right answer, by what happened rather than by the clock alone.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import traceback
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_coroutine_function,
    expect_plain_function,
    judge_duration,
    raised,
    seconds,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency, Ending, watch_answer

# How much later than planned an answer may finish and still count as on time.  The
# checkers tell the classic mistakes apart by what happened (how many downloads ran at
# once, whether a task was cancelled), not by fine timing, so this can be generous: a
# machine busy with other programs makes a right answer late, never early.
SLACK = 0.25


def _describe_value(value: Any) -> str:
    """``[<Task ...>, ...]`` reads badly in a message: say what kind of thing it is."""
    if isinstance(value, list) and value and all(isinstance(v, asyncio.Task) for v in value):
        return f"a list of {len(value)} Task objects"
    if isinstance(value, asyncio.Future):
        return f"a {type(value).__name__} object"
    return repr(value)


def _ended(ending: Ending) -> str:
    """``returned 'x'``, ``raised TimeoutError`` or ``ended cancelled``, for a message."""
    if ending.error is not None:
        return f"raised {type(ending.error).__name__}"
    return "ended cancelled" if ending.cancelled else f"returned {_describe_value(ending.value)}"


def _result_too_soon(error: BaseException | None, call: str) -> None:
    """``task.result()`` inside the ``async with TaskGroup()`` block, before the end.

    Raises that mistake if ``error`` is the one it causes.  The group raises that error
    wrapped in an ExceptionGroup, like its tasks' errors.
    """
    if isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    if not isinstance(error, asyncio.InvalidStateError):
        return
    raise Wrong(
        "result_before_done",
        f"{call} raised InvalidStateError: {error} task.result() was called before the "
        "task had finished. Inside `async with asyncio.TaskGroup()` the tasks are still "
        "running: the block waits for them as it ends. Read the results after the block.",
    )


# --- The pretend network --------------------------------------------------------------

DELAYS: dict[str, float] = {"news": 0.3, "weather": 0.1, "sport": 0.2}
"""How long ``download(page)`` takes for each page, in seconds (others: 0.2 s)."""

PAGES = ["news", "weather", "sport"]
"""The pages the checkers download: 0.3 s, 0.1 s and 0.2 s."""

_traffic = Concurrency()


async def download(page: str) -> str:
    """Pretend to download ``page``: wait as long as ``DELAYS`` says, return its text.

    ``await download("weather")`` returns ``"<weather>"`` after 0.1 s.  It waits the way
    a real download waits for the network, so the event loop is free meanwhile.  It also
    counts how many downloads are in progress at once, which is how the checks tell
    concurrent downloads from downloads made one after another.
    """
    async with _traffic.track():
        await asyncio.sleep(DELAYS.get(page, 0.2))
    return f"<{page}>"


def _run_downloads(answer: Any, pages: list[str]) -> Outcome:
    _traffic.reset()
    return run_coroutine(partial(answer, list(pages)))


def _judge_overlap(outcome: Outcome, call: str, pages: list[str]) -> None:
    """Did the downloads overlap, and did the whole take as long as the slowest one?

    Raises the mistake (``sequential``, ``too_fast``, ``too_slow``) if not.
    """
    longest = max(DELAYS.get(page, 0.2) for page in pages)
    if _traffic.peak < len(pages):
        total = sum(DELAYS.get(page, 0.2) for page in pages)
        raise Wrong(
            "sequential",
            f"{call} took {seconds(outcome.elapsed)}: the downloads ran "
            f"{_traffic.describe(len(pages))}, so it takes about the sum of the waits "
            f"({seconds(total)}) instead of the longest one ({seconds(longest)}). Start "
            "them all before awaiting any.",
        )
    judge_duration(outcome.elapsed, longest, call, tolerance=SLACK)


def _texts(pages: list[str]) -> list[str]:
    return [f"<{page}>" for page in pages]


# --- Exercise 1: fetch_all ------------------------------------------------------------


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(pages)`` downloads concurrently and returns the texts in page order."""
    expect_coroutine_function(fetch_all)
    for pages in (PAGES, ["sport", "weather", "news", "weather"]):
        call = f"fetch_all({pages!r})"
        outcome = _run_downloads(fetch_all, pages)
        _judge_fetch_all(outcome, call, pages)
    return correct(
        "fetch_all(['news', 'weather', 'sport']) returned the three pages in order after "
        "0.3 s, the time of the slowest download, not 0.6 s, their sum: the downloads "
        "waited at the same time."
    )


def _judge_fetch_all(outcome: Outcome, call: str, pages: list[str]) -> None:
    try:
        common_mistakes(outcome, call)
    except Wrong as problem:
        if problem.mistake == "raised":  # an error this lesson can name more precisely?
            _gather_given_a_list(outcome.error, call)
            _result_too_soon(outcome.error, call)
        raise
    expected = _texts(pages)
    value = outcome.value
    if isinstance(value, (list, tuple)) and any(isinstance(v, asyncio.Task) for v in value):
        how = (
            "Return their results: `[task.result() for task in tasks]`"
            if all(isinstance(v, asyncio.Task) and v.done() for v in value)
            else "Await them (`await asyncio.gather(*tasks)` gives the results in order)"
        )
        raise Wrong(
            "returned_tasks", f"{call} returned {_describe_value(value)}, not their results. {how}."
        )
    if not isinstance(value, list):
        raise Wrong(
            "wrong_type",
            f"{call} returned {_describe_value(value)}; it should return a list of the "
            f"pages' texts, {expected!r}.",
        )
    if value != expected:
        if sorted(value) == sorted(expected):
            raise Wrong(
                "wrong_order",
                f"{call} returned {value!r}: the right pages, in the order they finished. "
                f"Return them in the order of `pages`: {expected!r} (gather does that).",
            )
        raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")
    _judge_overlap(outcome, call, pages)


def _gather_given_a_list(error: BaseException | None, call: str) -> None:
    """``gather([...])``: the lesson's trap, whose TypeError does not say what went wrong.

    Raises that mistake if ``error`` is the one it causes.  The message reads
    "unhashable type: 'list'" up to Python 3.13 and "cannot use 'list' as a dict key
    (unhashable type: 'list')" from 3.14.
    """
    if not isinstance(error, TypeError) or "unhashable type: 'list'" not in str(error):
        return
    frames = traceback.walk_tb(error.__traceback__)
    if not any(frame.f_code.co_name == "gather" for frame, _ in frames):
        return
    raise Wrong(
        "gather_given_a_list",
        f"{call} raised TypeError: {error}. That is gather given one list: it takes the "
        "awaitables as separate arguments, and took the whole list for one of them. "
        "Unpack the list with `*`: `await asyncio.gather(*coroutines)`.",
    )


ex1 = Exercise(
    title="Download concurrently",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "Start every download before waiting for any: `asyncio.create_task(download(page))` "
        "starts one and returns at once.",
        "`await asyncio.gather(*coroutines)` runs them all concurrently and returns their "
        "results in the order you passed them (mind the `*`: not a list).",
        "Or in a TaskGroup: `tasks = [group.create_task(download(page)) for page in pages]` "
        "inside `async with asyncio.TaskGroup() as group:`, and after the block "
        "`return [task.result() for task in tasks]`.",
    ],
)

# --- Exercise 2: Background ------------------------------------------------------------


@dataclass
class _BackgroundReport:
    """What the Background scenario saw."""

    returned: Any = None  # what start returned,
    name: str | None = None  # the name of that task,
    kept_in_tasks: bool = False  # it was in self.tasks right after start,
    finished_still_kept: bool = False  # it was still there after it had finished,
    waited: float = 0.0  # how long `await wait_all()` took,
    left_running: list[str] = field(default_factory=list)  # and what it did not wait for.


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
        raise Wrong(
            "not_a_class",
            f"check needs the class Background itself, not a {type(cls).__name__}.",
        )
    start = getattr(cls, "start", None)
    wait_all = getattr(cls, "wait_all", None)
    if start is None or wait_all is None:
        raise Wrong("missing_method", "Background needs both methods, start and wait_all.")
    if inspect.iscoroutinefunction(start):
        raise Wrong(
            "start_is_async",
            "Background.start is defined with `async def`, so calling it only makes a "
            "coroutine and starts nothing. Make it a plain `def`: asyncio.create_task "
            "needs no await.",
        )
    expect_plain_function(start, "Background.start")
    expect_coroutine_function(wait_all, "Background.wait_all")
    report = _BackgroundReport()
    call = "Background's start and wait_all"
    outcome = run_coroutine(partial(_background_scenario, cls, report))
    error = outcome.error
    if isinstance(error, RuntimeError) and "changed size during iteration" in str(error):
        raise Wrong(
            "set_changed_size",
            f"{call} raised RuntimeError: {error}. Each task leaves self.tasks as it "
            "finishes, so the set changes while a loop goes over it. Wait for them all "
            "at once instead: `await asyncio.gather(*self.tasks)`.",
        )
    try:
        common_mistakes(outcome, call)
    except Wrong as problem:
        if problem.mistake == "tasks_left_running":
            _judge_background(report)  # what the scenario saw names the mistake better
        raise
    _judge_background(report)
    return correct(
        "start kept each task in self.tasks while it ran, finished tasks left the set "
        "by themselves, and wait_all returned after 0.3 s, when the last task was done."
    )


def _judge_background(report: _BackgroundReport) -> None:
    """Raise the first mistake the scenario's report shows, if any."""
    if not isinstance(report.returned, asyncio.Task):
        raise Wrong(
            "start_returns_no_task",
            f"start(coro, name=...) returned {report.returned!r}. Create the task with "
            "`asyncio.create_task(coro, name=name)` and return it.",
        )
    if report.name != "email-1":
        raise Wrong(
            "task_not_named",
            f"start(coro, name='email-1') returned a task named {report.name!r}. Pass the "
            "name on: `asyncio.create_task(coro, name=name)`.",
        )
    if not report.kept_in_tasks:
        raise Wrong(
            "reference_not_kept",
            "start did not keep the task in self.tasks. The event loop holds tasks only "
            "weakly, so a task nobody refers to can be garbage-collected half-way, and "
            "wait_all cannot wait for a task it does not know. Add each task to the "
            "set: `self.tasks.add(task)`.",
        )
    if report.finished_still_kept:
        raise Wrong(
            "discard_missing",
            "a task that had finished was still in self.tasks: the set only grows, a "
            "memory leak in a long-running program. Let each task remove itself: "
            "`task.add_done_callback(self.tasks.discard)`.",
        )
    _wait_all_too_early(report)


def _wait_all_too_early(report: _BackgroundReport) -> None:
    if report.left_running or report.waited < 0.3 - EARLY_ALLOWANCE:
        raise Wrong(
            "wait_all_returned_early",
            f"wait_all() returned after {seconds(report.waited)}, while tasks it should "
            "have waited for were still running (one needed 0.3 s). Await them all: "
            "`await asyncio.gather(*self.tasks)`.",
        )
    if report.waited > 0.3 + SLACK:
        raise Wrong(
            "too_slow",
            f"wait_all() took {report.waited:.2f} s, but the tasks were done after 0.3 s.",
        )


ex2 = Exercise(
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


def check_with_deadline(with_deadline: Any) -> Result:
    """``with_deadline(op, seconds, default)``: op's result in time, else ``default``."""
    expect_coroutine_function(with_deadline)
    _deadline_in_time(with_deadline)
    _deadline_too_slow(with_deadline)
    _deadline_error(with_deadline)
    _deadline_cancelled(with_deadline)
    return correct(
        "with_deadline returned the answer that came in time (after 0.1 s), gave up on "
        "a slow one after 0.3 s with the default (and the slow call was cancelled), "
        "let a real error through, and stayed cancelled when cancelled from outside."
    )


def _run_deadline(with_deadline: Any, operation: _Operation, seconds: float) -> Outcome:
    return run_coroutine(lambda: with_deadline(operation.operation, seconds, DEFAULT))


def _deadline_in_time(with_deadline: Any) -> None:
    operation = _Operation(0.1)
    call = f"with_deadline(operation, 0.5, {DEFAULT!r}) with an operation that takes 0.1 s"
    outcome = _run_deadline(with_deadline, operation, 0.5)
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
            f"{call} returned {_describe_value(outcome.value)}, not the operation's "
            f"result, {operation.result!r}.",
        )
    judge_duration(outcome.elapsed, 0.1, call, tolerance=SLACK)


def _deadline_too_slow(with_deadline: Any) -> None:
    operation = _Operation(1.0)
    call = f"with_deadline(operation, 0.3, {DEFAULT!r}) with an operation that takes 1 s"
    outcome = _run_deadline(with_deadline, operation, 0.3)
    if isinstance(outcome.error, TimeoutError):
        raise Wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError instead of returning the default. Catch it "
            "*around* the `async with asyncio.timeout(...)` block: inside the block the "
            "operation sees CancelledError, which becomes TimeoutError only as it leaves.",
        )
    left_running = "operation" in outcome.left_running and outcome.value == DEFAULT
    if not left_running:  # (that one is named below, as the slow call not cancelled)
        common_mistakes(outcome, call)
    if outcome.elapsed >= 1.0 - EARLY_ALLOWANCE:
        raise Wrong(
            "no_timeout",
            f"{call} waited for the whole operation ({seconds(outcome.elapsed)}). Give up "
            "after `seconds`: wrap the await in `async with asyncio.timeout(seconds):`.",
        )
    if outcome.value != DEFAULT:
        raise Wrong(
            "wrong_fallback",
            f"{call} returned {_describe_value(outcome.value)} when the time was up; it "
            f"should return the default it was given, {DEFAULT!r}.",
        )
    if left_running or not operation.cancelled:
        raise Wrong(
            "not_cancelled",
            f"{call} returned the default but left the slow operation running. Let the "
            "timeout cancel it: await it inside `async with asyncio.timeout(seconds):`.",
        )
    judge_duration(outcome.elapsed, 0.3, call, tolerance=SLACK)


def _deadline_error(with_deadline: Any) -> None:
    operation = _Operation(0.1, error=ConnectionError("connection reset"))
    call = f"with_deadline(operation, 0.3, {DEFAULT!r}) with an operation that fails"
    outcome = _run_deadline(with_deadline, operation, 0.3)
    common_mistakes(outcome, call, expected_error=ConnectionError)
    if outcome.error is None:
        raise Wrong(
            "caught_too_much",
            f"{call} returned {_describe_value(outcome.value)}, hiding the operation's "
            "ConnectionError. Catch only TimeoutError; other errors must reach the caller.",
        )


def _deadline_cancelled(with_deadline: Any) -> None:
    operation = _Operation(1.0)
    call = f"with_deadline(operation, 0.5, {DEFAULT!r}), cancelled from outside after 0.1 s"
    outcome, ending = watch_answer(
        lambda: with_deadline(operation.operation, 0.5, DEFAULT), cancel_after=0.1
    )
    common_mistakes(outcome, call)
    if not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {_ended(ending)} instead of ending cancelled: it swallowed the "
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

# --- Exercise 4: in_completion_order ----------------------------------------------------


def check_in_completion_order(in_completion_order: Any) -> Result:
    """``in_completion_order(pages)``: the texts, in the order the downloads finish."""
    expect_coroutine_function(in_completion_order)
    pages = list(PAGES)
    call = f"in_completion_order({pages!r})"
    outcome = _run_downloads(in_completion_order, pages)
    if outcome.returned_coroutines:
        outcome.left_running = []  # the downloads were started and have been cancelled
        raise Wrong(
            "forgot_await",
            f"{call} returned coroutine objects, not pages. What as_completed gives are "
            "awaitables: `await` each one (`page = await next_done`) to get the next page.",
        )
    if isinstance(outcome.error, TypeError) and "__aiter__" in str(outcome.error):
        raise Wrong(
            "async_for_needs_3_13",
            f"{call} raised {outcome.error}. `async for` over as_completed needs Python "
            "3.13 or newer. Use a plain `for next_done in asyncio.as_completed(...)`, "
            "then `await next_done`: that works on every version.",
        )
    common_mistakes(outcome, call)
    value = outcome.value
    expected = sorted(_texts(pages), key=lambda text: DELAYS[text[1:-1]])
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(expected):
        raise Wrong(
            "wrong_value",
            f"{call} returned {_describe_value(value)}; it should return a list of the "
            f"three pages' texts, {expected!r}.",
        )
    _judge_overlap(outcome, call, pages)
    if value == _texts(pages):
        raise Wrong(
            "argument_order",
            f"{call} returned {value!r}: the order of the arguments, which is what "
            f"gather gives. Return them as they finish, {expected!r}: loop over "
            "`asyncio.as_completed(...)`.",
        )
    if value != expected:
        raise Wrong(
            "wrong_order",
            f"{call} returned {value!r}, but the downloads finished in the order "
            f"{expected!r}. Append each page as soon as it arrives.",
        )
    return correct(
        f"{call} returned {expected!r}: weather after 0.1 s, sport after 0.2 s, news after "
        "0.3 s, each page as soon as it arrived, all in 0.3 s."
    )


ex4 = Exercise(
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
    spinner also waited for it.  ``note_end`` records the spinner's state once
    ``with_spinner`` has ended, before the runner cleans up after it.
    """

    def __init__(self) -> None:
        self.started = False
        self.cancelled = False
        self.erased = False
        self.cancelled_at_end = False
        self.erased_at_end = False

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

    def note_end(self) -> None:
        self.cancelled_at_end, self.erased_at_end = self.cancelled, self.erased


def _run_spinner(
    with_spinner: Any, operation: _Operation, call: str, **cancel: float
) -> tuple[Ending, _Spinner]:
    """Run with_spinner and ask the questions every scenario asks first.

    Raises the mistake found; otherwise returns how with_spinner ended, and the spinner,
    which noted its state at that moment.
    """
    spinner = _Spinner()
    outcome, ending = watch_answer(
        lambda: with_spinner(operation.operation, spinner.spin), spinner.note_end, **cancel
    )
    outcome.left_running = []  # the spinner's state says more than "tasks left running"
    common_mistakes(outcome, call)
    if not spinner.started:
        raise Wrong(
            "spinner_not_started",
            f"{call} never started the spinner. Start it as a task before awaiting the "
            "operation: `spinning = asyncio.create_task(spinner())`.",
        )
    return ending, spinner


def check_with_spinner(with_spinner: Any) -> Result:
    """``with_spinner(op, spinner)``: spinner runs as a task and is always stopped, awaited."""
    expect_coroutine_function(with_spinner)
    _spinner_success(with_spinner)
    _spinner_failure(with_spinner)
    _spinner_cancelled(with_spinner)
    _spinner_cancelled_while_cleaning_up(with_spinner)
    return correct(
        "with_spinner returned the operation's result with the spinner cancelled and "
        "erased; when the operation failed, and when with_spinner itself was "
        "cancelled, even during its cleanup, the spinner was stopped all the same, "
        "and the error or the cancellation went on to the caller."
    )


def _spinner_state(call: str, spinner: _Spinner, when: str) -> None:
    if not spinner.cancelled_at_end:
        raise Wrong(
            "spinner_left_running",
            f"{call}: {when}, the spinner was still spinning. Cancel it "
            "(`spinning.cancel()`) in a `finally:` block, so that it is stopped however "
            "with_spinner ends.",
        )
    if not spinner.erased_at_end:
        raise Wrong(
            "cancelled_not_awaited",
            f"{call}: {when}, the spinner had been cancelled but had not finished its "
            "cleanup. cancel() only asks; wait for the task to finish, e.g. "
            "`await asyncio.wait([spinning])`.",
        )


def _spinner_success(with_spinner: Any) -> None:
    operation = _Operation(0.3, result="done")
    call = "with_spinner(operation, spinner) with an operation that takes 0.3 s"
    ending, spinner = _run_spinner(with_spinner, operation, call)
    if ending.cancelled or isinstance(ending.error, asyncio.CancelledError):
        raise Wrong(
            "cancelled_error_escaped",
            f"{call} ended with CancelledError although nobody cancelled it. Awaiting a "
            "task you cancelled raises CancelledError in *you*: wait with "
            "`await asyncio.wait([spinning])`, which does not raise it.",
        )
    if ending.error is not None:
        raise raised(ending.error, call)
    _spinner_state(call, spinner, "when it returned")
    if ending.value != "done":
        raise Wrong(
            "wrong_value",
            f"{call} returned {_describe_value(ending.value)}, not the operation's result, 'done'.",
        )
    judge_duration(
        ending.elapsed, 0.4, call + " (plus 0.1 s to erase the spinner)", tolerance=SLACK
    )


def _spinner_failure(with_spinner: Any) -> None:
    operation = _Operation(0.2, error=ConnectionError("connection reset"))
    call = "with_spinner(operation, spinner) with an operation that fails"
    ending, spinner = _run_spinner(with_spinner, operation, call)
    if not spinner.cancelled_at_end and isinstance(ending.error, ConnectionError):
        raise Wrong(
            "cleanup_not_in_finally",
            f"{call}: the ConnectionError went up while the spinner was still "
            "spinning: the code that stops it was skipped. Put the cancel and the "
            "wait in a `finally:` block, which runs however the `try:` ends.",
        )
    _spinner_state(call, spinner, "when it ended")
    if ending.error is not None and not isinstance(ending.error, ConnectionError):
        raise raised(ending.error, call)
    if not isinstance(ending.error, ConnectionError):
        raise Wrong(
            "error_swallowed",
            f"{call} {_ended(ending)} instead of raising the operation's ConnectionError. "
            "Stop the spinner, then let the error go on to the caller.",
        )


def _spinner_cancelled(with_spinner: Any) -> None:
    operation = _Operation(1.0, result="done")
    call = "with_spinner(operation, spinner), cancelled from outside after 0.2 s"
    ending, spinner = _run_spinner(with_spinner, operation, call, cancel_after=0.2)
    if not spinner.cancelled_at_end and ending.cancelled:
        raise Wrong(
            "cleanup_not_in_finally",
            f"{call}: it stopped, but left the spinner spinning: the code that stops "
            "the spinner was skipped by the CancelledError. Put it in a `finally:` block.",
        )
    _spinner_state(call, spinner, "when it ended")
    if not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {_ended(ending)} instead of ending cancelled: the CancelledError was "
            "swallowed. Clean up in `finally:` and let the cancellation go on; never "
            "`except CancelledError:` without `raise`.",
        )


def _spinner_cancelled_while_cleaning_up(with_spinner: Any) -> None:
    """Cancelled while it waits for the spinner to erase itself: that is the caller's."""
    operation = _Operation(0.1, result="done")
    call = (
        "with_spinner(operation, spinner), cancelled from outside at 0.15 s, while it "
        "waited for the spinner to erase itself after the operation had returned,"
    )
    ending, _ = _run_spinner(with_spinner, operation, call, cancel_after=0.15)
    if not ending.cancel_requests or ending.cancelled:
        return
    raise Wrong(
        "swallowed_cancellation_in_cleanup",
        f"{call} {_ended(ending)} instead of ending cancelled. Catching CancelledError "
        "around `await spinning` caught the caller's cancellation too: there, the two "
        "cannot be told apart. Wait with `await asyncio.wait([spinning])`, which raises "
        "nothing of the spinner's, so a CancelledError arriving then is the caller's and "
        "goes on.",
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

# --- Exercise 6: place_order ------------------------------------------------------------


class OutOfStock(Exception):
    """Raised by ``reserve(item)`` when the item is not in stock."""


ITEMS = ["book", "lamp", "pen"]
RESERVE_SECONDS = {"book": 0.1, "lamp": 0.2, "pen": 0.3}
SAVE_SECONDS = 0.2
ORDER_ID = "order-1"


class _Shop:
    """What the checker hands ``place_order`` as ``reserve`` and ``save``, and what it saw.

    ``reserve(item)`` takes ``RESERVE_SECONDS[item]`` and returns ``"R-<item>"``, or
    raises ``OutOfStock`` for the item ``out_of_stock``; ``save(reservations)`` takes
    0.2 s and returns ``"order-1"``.  With ``cancel_while_saving``, the caller of
    ``place_order`` is cancelled 0.1 s into the save, as a caller that gives up would be.
    """

    def __init__(self, out_of_stock: str | None = None, cancel_while_saving: bool = False):
        self.out_of_stock = out_of_stock
        self.cancel_while_saving = cancel_while_saving
        self.reserving = Concurrency()
        self.saves: list[Any] = []
        self.saved = self.cut_off = False
        self.caller: asyncio.Task[Any] | None = None
        self.in_flight_at_end = 0
        self.saved_at_end = self.cut_off_at_end = False

    async def reserve(self, item: str) -> str:
        async with self.reserving.track():
            await asyncio.sleep(RESERVE_SECONDS.get(item, 0.1))
        if item == self.out_of_stock:
            raise OutOfStock(f"{item}: out of stock")
        return f"R-{item}"

    async def save(self, reservations: Any) -> str:
        self.saves.append(reservations)
        if self.cancel_while_saving and self.caller is not None:
            asyncio.get_running_loop().call_later(0.1, self.caller.cancel)
        try:
            await asyncio.sleep(SAVE_SECONDS)
        except asyncio.CancelledError:
            self.cut_off = True
            raise
        self.saved = True
        return ORDER_ID

    async def place(self, place_order: Any) -> Any:
        """Call ``place_order`` the way its caller would."""
        self.caller = asyncio.current_task()
        return await place_order(list(ITEMS), self.reserve, self.save)

    def note_end(self) -> None:
        self.in_flight_at_end = self.reserving.in_flight
        self.saved_at_end, self.cut_off_at_end = self.saved, self.cut_off


def _run_order(place_order: Any, shop: _Shop, how: str = "") -> tuple[Outcome, Ending, str]:
    outcome, ending = watch_answer(lambda: shop.place(place_order), shop.note_end)
    return outcome, ending, f"place_order({ITEMS!r}, reserve, save){how}"


def check_place_order(place_order: Any) -> Result:
    """``place_order``: reserve concurrently, all or nothing; save under shield."""
    expect_coroutine_function(place_order)
    _order_placed(place_order)
    _order_out_of_stock(place_order)
    _order_cancelled_while_saving(place_order)
    return correct(
        "place_order reserved the three items at the same time (0.3 s, not 0.6 s) and "
        "saved the order; when the lamp was out of stock, the pen's reservation was "
        "cancelled at once and the error reached the caller, with nothing saved; and "
        "cancelled during the save, it let the save finish, then ended cancelled."
    )


def _order_placed(place_order: Any) -> None:
    shop = _Shop()
    outcome, ending, call = _run_order(place_order, shop)
    common_mistakes(outcome, call)
    _result_too_soon(ending.error, call)
    if ending.error is not None:
        raise raised(ending.error, call)
    expected = [f"R-{item}" for item in ITEMS]
    if not shop.saves:
        raise Wrong(
            "not_saved",
            f"{call} returned {_describe_value(ending.value)} without saving the order. "
            "After the reservations, `await` the save: `save(reservations)`.",
        )
    if shop.saves[0] != expected:
        given = shop.saves[0]
        tasks = isinstance(given, list) and any(isinstance(v, asyncio.Task) for v in given)
        raise Wrong(
            "saved_tasks" if tasks else "wrong_reservations",
            f"save was given {_describe_value(given)}; give it the reservations, "
            f"{expected!r}"
            + (": `[task.result() for task in tasks]`." if tasks else ", in item order."),
        )
    if ending.value != ORDER_ID:
        raise Wrong(
            "wrong_value",
            f"{call} returned {_describe_value(ending.value)}; return what save returned, "
            f"{ORDER_ID!r}.",
        )
    if shop.reserving.peak < len(ITEMS):
        raise Wrong(
            "sequential",
            f"{call} reserved the items {shop.reserving.describe(len(ITEMS))}: 0.6 s where "
            "0.3 s will do. Create a task per item in a TaskGroup, then read the results.",
        )
    judge_duration(ending.elapsed, 0.3 + SAVE_SECONDS, call, tolerance=SLACK)


def _holds_out_of_stock(error: BaseException | None) -> bool:
    """OutOfStock, on its own or in the ExceptionGroup a TaskGroup raises."""
    if isinstance(error, BaseExceptionGroup):
        return error.subgroup(OutOfStock) is not None
    return isinstance(error, OutOfStock)


def _order_out_of_stock(place_order: Any) -> None:
    shop = _Shop(out_of_stock="lamp")
    outcome, ending, call = _run_order(place_order, shop, " with the lamp out of stock")
    outcome.left_running = []  # the shop says which reservations were left running
    common_mistakes(outcome, call)
    if shop.saves:
        raise Wrong(
            "saved_despite_failure",
            f"{call} saved the order ({_ended(ending)}), although the lamp could not be "
            "reserved. Save only when every reservation succeeded: a TaskGroup raises as "
            "soon as one fails, so the code after the block does not run.",
        )
    if ending.error is not None and not _holds_out_of_stock(ending.error):
        raise raised(ending.error, call)
    if ending.error is None:
        raise Wrong(
            "error_swallowed",
            f"{call} {_ended(ending)} instead of letting OutOfStock reach the caller, who needs "
            "to know the order failed. Do not catch it.",
        )
    if shop.in_flight_at_end:
        raise Wrong(
            "siblings_not_cancelled",
            f"{call}: the OutOfStock reached the caller, but the pen's reservation was "
            "still going on, with nobody waiting for it, holding stock for an order that "
            "failed. gather leaves the other tasks running; a TaskGroup cancels them as "
            "soon as one fails, and waits for them to stop.",
        )
    judge_duration(ending.elapsed, RESERVE_SECONDS["lamp"], call, tolerance=SLACK)


def _order_cancelled_while_saving(place_order: Any) -> None:
    shop = _Shop(cancel_while_saving=True)
    how = ", cancelled 0.1 s into the save (its caller gave up),"
    outcome, ending, call = _run_order(place_order, shop, how)
    outcome.left_running = []  # the shop says whether the save was left running
    common_mistakes(outcome, call)
    if shop.cut_off_at_end:
        raise Wrong(
            "save_cut_off",
            f"{call} cut the save off half-way. Run the save as a task, "
            "`saving = asyncio.create_task(save(reservations))`, and await "
            "`asyncio.shield(saving)`: a cancellation then stops your waiting, not the save.",
        )
    if not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call} {_ended(ending)} instead of ending cancelled, so the caller who gave "
            "up cannot stop it: swallowing CancelledError breaks timeouts and shutdown. "
            "Let the save finish, then `raise` the CancelledError again.",
        )
    if shop.saved_at_end:
        return
    if _shields_a_coroutine(place_order):
        raise Wrong(
            "shielded_coroutine_not_kept",
            f"{call} ended at once, with the save still running: `asyncio.shield(save(...))` "
            "made it a task that nobody keeps or waits for, and when the program ends it "
            "is cut off. Keep the task, `saving = asyncio.create_task(save(...))`, so "
            "that you can wait for it after `await asyncio.shield(saving)` was cancelled.",
        )
    raise Wrong(
        "save_not_awaited",
        f"{call} ended at once, with the save still running and nobody waiting for it: "
        "when the program ends, it is cut off. When `await asyncio.shield(saving)` raises "
        "CancelledError, wait for the save (`await asyncio.wait([saving])`), then `raise`.",
    )


def _shields_a_coroutine(answer: Any) -> bool:
    """Whether the answer's source has ``shield(save(...))``, a task kept by nobody."""
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):  # no source to read (made by exec, say)
        return False
    return re.search(r"shield\(\s*save\(", source) is not None


ex6 = Exercise(
    title="Place an order: all or nothing, saved safely",
    answer="place_order",
    checker=check_place_order,
    hints=[
        "Reserve inside `async with asyncio.TaskGroup() as group:`, one "
        "`group.create_task(reserve(item))` per item; after the block, "
        "`[task.result() for task in tasks]`. If one fails, the group cancels the rest.",
        "Keep the save's task, `saving = asyncio.create_task(save(reservations))`, and "
        "`return await asyncio.shield(saving)`: a cancellation stops your waiting, not it.",
        "Around that await, `except asyncio.CancelledError:` wait for the save with "
        "`await asyncio.wait([saving])`, then `raise`, so the caller still sees it.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "DELAYS",
    "EXERCISES",
    "PAGES",
    "OutOfStock",
    "download",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
]
