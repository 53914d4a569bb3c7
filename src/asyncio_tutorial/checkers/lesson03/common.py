"""What several of lesson 03's checkers share: how they describe what an answer did, the
mistakes more than one exercise can make, and the pretend operation of exercises 3 and 5.

* :func:`describe_value` and :func:`ended` say what came back, for a message;
* :func:`common_mistakes`, :func:`result_too_soon`, :func:`gather_given_one_collection`,
  :func:`already_running` and :func:`judge_waits` name classic mistakes from what an
  answer did, raised or asked for;
* :func:`has_code`, :func:`returns_in_finally` and :func:`catches_everything` read an
  answer's source, so that a message names what is there and never suggests it again;
* :func:`watch_answer` runs an answer as a task (cancelling it from outside if asked)
  and notes how things stood when it ended, *or when its time ran out*; it forgets the
  frames of the error the answer raised (:func:`forget_frames`), so that nothing the
  answer left warns later, in another cell;
* :class:`Operation` is the pretend network call that ``with_deadline`` and
  ``with_spinner`` are given as ``operation``.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asyncio_tutorial.checkers import diagnose
from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.diagnose import blocking, error_text
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, watch

SLACK = 0.25
"""How much later than planned an answer may finish and still count as on time.

The checkers tell the classic mistakes apart by what happened (how many downloads ran at
once, whether a task was cancelled, which waits the answer asked for), not by fine
timing, so this can be generous: a machine busy with other programs makes a right
answer late, never early."""


def describe_value(value: Any) -> str:
    """``[<Task ...>, ...]`` reads badly in a message: say what kind of thing it is."""
    if isinstance(value, list) and value and all(isinstance(v, asyncio.Task) for v in value):
        return f"a list of {len(value)} Task objects"
    if isinstance(value, asyncio.Future):
        return f"a {type(value).__name__} object"
    return repr(value)


def ended(ending: Ending) -> str:
    """``returned 'x'``, ``raised TimeoutError`` or ``ended cancelled``, for a message."""
    if ending.error is not None:
        return f"raised {type(ending.error).__name__}"
    return "ended cancelled" if ending.cancelled else f"returned {describe_value(ending.value)}"


def result_too_soon(error: BaseException | None, call: str) -> None:
    """``task.result()`` before the task had finished: the InvalidStateError it raises.

    Raises that mistake if ``error`` is the one it causes.  Inside the ``async with
    TaskGroup()`` block, the group raises that error wrapped in an ExceptionGroup, like
    its tasks' errors: there the tasks are still running, and the block is what waits.
    """
    in_group = False
    if isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error, in_group = error.exceptions[0], True
    if not isinstance(error, asyncio.InvalidStateError):
        return
    if in_group:
        raise Wrong(
            "result_before_done",
            f"{call} raised {error_text(error)}. task.result() was called before the "
            "task had finished. Inside `async with asyncio.TaskGroup()` the tasks are still "
            "running: the block waits for them as it ends. Read the results after the block.",
        )
    raise Wrong(
        "result_before_done",
        f"{call} raised {error_text(error)}. task.result() was called before the "
        "task had finished: creating a task starts it, and nothing waits for it to end. "
        "Await the tasks first (`await asyncio.gather(*tasks)`), or read the results "
        "after an `async with asyncio.TaskGroup()` block, which waits for its tasks.",
    )


def gather_given_one_collection(error: BaseException | None, call: str) -> None:
    """``gather([...])`` or ``gather(self.tasks)``: the lesson's trap, whose TypeError does
    not say what went wrong.

    Raises that mistake if ``error`` is the one it causes.  The message reads
    "unhashable type: 'list'" up to Python 3.13 and "cannot use 'list' as a dict key
    (unhashable type: 'list')" from 3.14; a set gives the same with 'set'.
    """
    if not isinstance(error, TypeError):
        return
    kinds = [kind for kind in ("list", "set") if f"unhashable type: '{kind}'" in str(error)]
    frames = traceback.walk_tb(error.__traceback__)
    if not kinds or not any(frame.f_code.co_name == "gather" for frame, _ in frames):
        return
    kind = kinds[0]
    unpacked = "coroutines" if kind == "list" else "self.tasks"
    raise Wrong(
        f"gather_given_a_{kind}",
        f"{call} raised {error_text(error)}. That is gather given one {kind}: it takes the "
        f"awaitables as separate arguments, and took the whole {kind} for one of them. "
        f"Unpack the {kind} with `*`: `await asyncio.gather(*{unpacked})`.",
        suggests=f"gather(*{unpacked})",
    )


def common_mistakes(
    outcome: Outcome,
    call: str,
    *,
    expected_error: type[BaseException] | tuple[type[BaseException], ...] | None = None,
) -> None:
    """:func:`~asyncio_tutorial.checkers.diagnose.common_mistakes`, with one more name.

    An answer stopped at the time limit while it held the loop in ``time.sleep`` (a loop
    that sleeps until a task is done, which it never will be, since the loop cannot run
    it) is named for that ``time.sleep``, ``blocking``, rather than as a busy loop's hang.
    """
    if outcome.timed_out and outcome.sleeps and not outcome.stuck:
        raise blocking(outcome, call)
    diagnose.common_mistakes(outcome, call, expected_error=expected_error)


def already_running(error: BaseException | None, call: str) -> None:
    """``loop.run_until_complete(...)`` inside ``async def``: the loop is running already.

    Raises that mistake if ``error`` is the one it causes (``asyncio.run`` inside a
    coroutine is named by :func:`~asyncio_tutorial.checkers.diagnose.raised`).
    """
    if isinstance(error, RuntimeError) and "already running" in str(error):
        raise Wrong(
            "nested_run",
            f"{call} raised {error_text(error)}. run_until_complete starts the event "
            "loop, and inside `async def` it is running already: `await` the work instead.",
        )


def judge_waits(outcome: Outcome, call: str, answer: Any, instead: str, code: str) -> None:
    """Raise ``fixed_wait`` or ``polling`` if the answer asked its loop to wait at all.

    Used where a right answer waits for *tasks* and never for a time of its own choosing:
    ``asyncio.sleep(0.3)`` guesses how long the work takes, and a loop of short sleeps
    checks again and again whether it is done.  ``outcome.waits`` holds exactly the
    waits the answer asked for, whatever the machine's load.  ``instead`` says what to
    wait for, with an example (``"the tasks: `await asyncio.gather(*tasks)`"``); ``code``
    is the part of it an answer may have already (``"asyncio.gather"``): then the message
    says so, and suggests nothing.
    """
    waits = outcome.waits
    if not waits:
        return
    if has_code(answer, code):
        advice = f"Your `{code}` already waits exactly until the work is done: drop the sleep."
        suggests: tuple[str, ...] = ()
    else:
        advice = f"Wait for {instead}, which ends exactly when the work does."
        suggests = (code,)
    if len(waits) > 2:
        raise Wrong(
            "polling",
            f"{call} checked again and again whether the work was done, waiting "
            f"{waits[0]:g} s between looks ({len(waits)} waits): polling. It answers late "
            f"and keeps the loop busy for nothing. {advice}",
            suggests=suggests,
        )
    asked = " and ".join(f"{wait:g} s" for wait in waits)
    raise Wrong(
        "fixed_wait",
        f"{call} waited {asked} of its own choosing (asyncio.sleep), guessing how long "
        f"the work takes: too short and it is not done, too long and time is wasted. "
        f"{advice}",
        suggests=suggests,
    )


def has_code(answer: Any, code: str) -> bool:
    """Whether the answer's source has ``code`` (spaces aside), as a message would quote it.

    A message must not tell the learner to add what the answer has already; this is how
    a checker finds out, before it chooses its words.  ``False`` without source to read.
    """
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    squeezed = "".join(source.split())
    return "".join(code.split()) in squeezed


def returns_in_finally(answer: Any) -> bool:
    """Whether the answer's source has a ``return`` inside a ``finally:`` block.

    Such a return replaces whatever was on its way out: an error, and a cancellation too.
    ``False`` when there is no source to read (code made by ``exec``, say).
    """
    tree = _syntax_tree(answer)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.Try, ast.TryStar)):
            for statement in node.finalbody:
                if any(isinstance(inner, ast.Return) for inner in ast.walk(statement)):
                    return True
    return False


def catches_everything(answer: Any) -> bool:
    """Whether the answer's source has a bare ``except:`` or ``except BaseException:``."""
    tree = _syntax_tree(answer)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.ExceptHandler):
            caught = node.type
            if caught is None or ast.unparse(caught).endswith("BaseException"):
                return True
    return False


def _syntax_tree(answer: Any) -> ast.Module | None:
    """The answer's source, parsed; ``None`` when there is none to read."""
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (OSError, TypeError, SyntaxError):
        return None


def return_in_finally(call: str, what: str) -> Wrong:
    """The mistake of an answer whose ``return`` in ``finally:`` swallowed ``what``."""
    return Wrong(
        "return_in_finally",
        f"{call} returned instead of letting {what} go on: a `return` inside `finally:` "
        "replaces whatever was on its way out, an error or a cancellation alike. Clean up "
        "in `finally:`, and return from the `try:` block.",
    )


def watch_answer(
    start: Callable[[], Awaitable[Any]], note: Callable[[], None], **cancel: float
) -> tuple[Outcome, Ending]:
    """Run ``start()`` as a task under the time limit, cancelling it if asked; how it ended.

    Like :func:`~asyncio_tutorial.checkers.scenario.watch_answer`, but ``note()`` also
    runs when the time limit stops the answer, before the runner cancels what is left:
    a checker then knows how things stood when the answer was stopped (whether the
    answer itself had cancelled its helper task, or the runner did afterwards).

    The error the answer raised keeps its frames, and so its variables, alive: a coroutine
    it made and never awaited would only warn "never awaited" when the check is over, in
    the learner's next cell.  The frames are cleared here, while warnings are recorded.
    """
    ending = Ending()

    async def scenario() -> None:
        try:
            await watch(start, ending, **cancel)
        finally:
            note()
            forget_frames(ending.error)

    outcome = run_coroutine(scenario)
    outcome.returned_coroutines.extend(ending.returned_coroutines)
    return outcome, ending


def forget_frames(error: BaseException | None) -> None:
    """Drop the variables the frames of ``error``'s traceback (and its causes) hold."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        if isinstance(error, AttributeError) and inspect.iscoroutine(error.obj):
            error.obj = None  # "'coroutine' object has no attribute ...": it keeps the object
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                forget_frames(inner)
        error = error.__context__


# --- The pretend operation of exercises 3 and 5 ------------------------------------------


@dataclass
class Operation:
    """A pretend network call for the checker: returns, raises, or takes too long.

    The answer is given :meth:`given`, which it calls as ``operation()``.  The call notes
    what happened to it: how many times it was called, whether it was cancelled or has
    ended, and the task it ran in, which says whether the answer cancelled it and then
    waited for it to stop.
    """

    duration: float
    result: str = "42 EUR"
    error: Exception | None = None
    calls: int = 0
    cancelled: bool = False
    ended: bool = False
    task: asyncio.Task[Any] | None = None
    on_end: Callable[[], None] | None = None
    """Called as the operation ends, however it ends (exercise 5 notes the spinner)."""

    def given(self) -> Callable[[], Awaitable[str]]:
        """The async function the answer is given as ``operation``."""

        async def operation() -> str:
            """Wait ``duration`` seconds, like a network call, then return or raise."""
            self.calls += 1
            self.task = asyncio.current_task()
            try:
                await asyncio.sleep(self.duration)
            except asyncio.CancelledError:
                self.cancelled = True
                raise
            finally:
                self.ended = True
                if self.on_end is not None:
                    self.on_end()
            if self.error is not None:
                raise self.error
            return self.result

        operation.__qualname__ = "operation"  # messages name it as the answer knows it
        return operation

    def cancel_asked_not_done(self) -> bool:
        """Its task was asked to stop but had not stopped yet (on the loop, right now)."""
        task = self.task
        return task is not None and not task.done() and task.cancelling() > 0
