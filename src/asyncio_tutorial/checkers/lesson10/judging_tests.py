"""Running a learner's *test*, and judging it the way tests are judged in real life.

Exercises 2 and 3 grade a test: it must pass against a correct implementation and fail
against a broken one.  :func:`run_test` runs the test once, handed one implementation,
on an event loop of its own (with looptime's fake clock for exercise 3), on the runner's
worker thread under the exercise's time limit.  Its own loop, because a test may do
what no answer of another lesson does: replace ``asyncio.sleep`` (a classic mistake of
tests) would leave any helper task of the checker's on the same loop spinning.  The
checker's own limit on a fake clock is a private one, never a ``TimeoutError`` the test
could raise itself; and ``asyncio.sleep`` is put back after every run, whatever the test
did to it.

:func:`judge_test_run` names what any test can get wrong while it runs (a hang,
blocking, a forgotten ``await``, a coroutine awaited twice, ``asyncio.run`` inside it);
:func:`checks_in` reads from a test's source how it checks anything: not at all, with
assertions it swallows itself, or with assertions that can fail.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import looptime

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.diagnose import common_mistakes, error_text
from asyncio_tutorial.checkers.runner import Outcome, run_function

_REAL_SLEEP = asyncio.sleep


def sleep_is_patched() -> bool:
    """Whether ``asyncio.sleep`` is not asyncio's own just now (a test replaced it)."""
    return asyncio.sleep is not _REAL_SLEEP


def _put_sleep_back() -> bool:
    """Undo a test's replacement of ``asyncio.sleep``; whether there was one to undo."""
    patched = asyncio.sleep is not _REAL_SLEEP or asyncio.tasks.sleep is not _REAL_SLEEP
    if patched:
        asyncio.sleep = asyncio.tasks.sleep = _REAL_SLEEP
    return patched


@dataclass
class Run:
    """How one run of a test went, besides its :class:`~.runner.Outcome`."""

    finished: bool = True
    """False: the test was still running when the checker's own limit was up."""
    loop_time: float = 0.0
    """Seconds of its loop's clock the test took (fake ones, on a fake clock)."""
    sleep_patched: bool = False
    """``asyncio.sleep`` was found replaced after the test (and has been put back)."""


def run_test(
    test: Callable[[Any], Any],
    implementation: Any,
    *,
    fake_clock: bool,
    limit: float | None = None,
) -> tuple[Outcome, Run]:
    """Run ``await test(implementation)`` on an event loop of its own.

    ``fake_clock``: the loop is looptime's, whose time jumps to the next timer whenever
    every task waits.  ``limit``: seconds of the loop's clock after which the test is
    given up (on a fake clock, a test waiting for nothing gets there at once).  The
    outcome's ``error`` is what the test raised.
    """
    run = Run()

    def on_its_own_loop() -> Any:
        with asyncio.Runner(loop_factory=lambda: _quiet_loop(fake_clock)) as runner:
            return runner.run(_watched(test, implementation, run, limit))

    try:
        outcome = run_function(on_its_own_loop, on_loop=True)
    finally:
        run.sleep_patched = _put_sleep_back()
    return outcome, run


def _quiet_loop(fake_clock: bool) -> asyncio.AbstractEventLoop:
    """A new event loop that keeps its error reports to itself: a test that leaves a
    task's error unretrieved is judged by what it did, not by a log in the notebook."""
    loop = looptime.new_event_loop() if fake_clock else asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, _context: None)
    return loop


async def _watched(
    test: Callable[[Any], Any], implementation: Any, run: Run, limit: float | None
) -> Any:
    """Await the test as a task, giving it up after ``limit`` s of the loop's clock."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.ensure_future(test(implementation))
    try:
        done, _ = await asyncio.wait([task], timeout=limit)
    finally:
        run.loop_time = loop.time() - started
    if not done:
        run.finished = False
        task.cancel()
        await asyncio.wait([task], timeout=1.0)
        return None
    return task.result()


def judge_test_run(
    outcome: Outcome, call: str, *, fresh: str, names: dict[str, str] | None = None
) -> None:
    """The mistakes any test can make while it runs; a test that merely failed (an
    ``AssertionError``, say) is left for the exercise's checker to judge.

    ``fresh`` says how this exercise's test gets a fresh coroutine each time; ``names``
    renames the checker's own coroutines in messages (``{"_noting": "retry"}``): the
    test called what it was handed, whatever the checker named it.
    """
    for name, shown in (names or {}).items():
        outcome.never_awaited = [shown if each == name else each for each in outcome.never_awaited]
    error = outcome.error
    text = str(error)
    if isinstance(error, RuntimeError) and "cannot reuse already awaited coroutine" in text:
        raise Wrong(
            "reused_coroutine",
            f"{call} raised {error_text(error)}. A coroutine object runs once: awaiting it "
            f"a second time fails. {fresh}",
        )
    if isinstance(error, RuntimeError) and "running event loop" in text:
        raise Wrong(
            "nested_run",
            f"{call} raised {error_text(error)}. The test already runs on an event loop: "
            "`await` the coroutine instead of starting another loop with asyncio.run.",
        )
    used_unawaited = isinstance(error, (TypeError, AttributeError)) and (
        "'coroutine'" in text or "Future" in text
    )
    if used_unawaited or (isinstance(error, RuntimeError) and "await wasn't used" in text):
        raise Wrong(
            "forgot_await",
            f"{call} raised {error_text(error)}. Something was used without "
            "`await`: `await asyncio.gather(...)` gives the list of results, "
            "`await retry(...)` the result.",
        )
    try:
        # A test that failed raised an Exception: whether it should have is judged later.
        common_mistakes(outcome, call, expected_error=Exception)
    except Wrong as problem:
        if problem.mistake != "forgot_await":
            raise
        raise Wrong(
            "forgot_await",
            problem.message + " An unawaited call runs nothing, and `assert` on a coroutine "
            "object is always true: such a test passes whatever the code does.",
        ) from None


def times(count: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def failure(error: BaseException) -> str:
    """``AssertionError at `assert x == 1```: how a test failed, for a message."""
    frames = traceback.extract_tb(error.__traceback__)
    # (code run from a notebook's file by exec, as tests do, has no line to show)
    line = frames[-1].line if frames and not frames[-1].filename.endswith(".ipynb") else ""
    where = f" at `{line}`" if line else ""
    return f"{error_text(error)}{where}"


# --- How a test checks anything, read from its source -----------------------------------

NO_CHECKS = "none"
SWALLOWED = "swallowed"
CHECKS = "checks"


def checks_in(test: Callable[..., Any]) -> str:
    """How ``test`` checks what it tested, read from its source.

    :data:`NO_CHECKS`: no ``assert``, no ``raise``, no ``assert...()`` or ``fail()`` call;
    :data:`SWALLOWED`: its checks sit in a ``try:`` whose ``except`` catches their error
    (``AssertionError``, ``Exception``, ``BaseException`` or everything) and does not
    raise again; :data:`CHECKS` otherwise; ``""`` when the source cannot be read.  Only
    used to name the mistake of a test already known to be wrong.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(test)))
    except (OSError, TypeError, SyntaxError):
        return ""
    function = tree.body[0] if tree.body else None
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    if function.name != getattr(test, "__name__", ""):
        return ""
    if not any(_is_check(node, function) for node in ast.walk(function)):
        return NO_CHECKS
    for node in _own(function):
        if isinstance(node, (ast.Try, ast.TryStar)) and _swallows(node, function):
            return SWALLOWED
    return CHECKS


def _own(function: ast.AST) -> list[ast.AST]:
    """The nodes of ``function``'s own body, leaving out the functions defined in it."""
    found, stack = [], list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _is_check(node: ast.AST, function: ast.AST) -> bool:
    """An ``assert`` anywhere, a ``raise`` in the test's own body (a helper that raises
    ``ConnectionError`` is not a check), or a call of ``assert...()`` or ``fail()``."""
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Raise):
        return any(node is own for own in _own(function))
    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
        return name.startswith("assert") or name == "fail"
    return False


_CAUGHT_BY = {"AssertionError", "Exception", "BaseException"}


def _swallows(node: ast.Try | ast.TryStar, function: ast.AST) -> bool:
    """A ``try:`` around checks whose handler catches their error and goes on."""
    inside = [inner for statement in node.body for inner in ast.walk(statement)]
    if not any(_is_check(inner, function) for inner in inside):
        return False
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        wide = caught is None or any(
            (getattr(name, "id", None) or getattr(name, "attr", None)) in _CAUGHT_BY
            for name in names
        )
        raises = any(isinstance(n, ast.Raise) for s in handler.body for n in ast.walk(s))
        if wide and not raises:
            return True
    return False
