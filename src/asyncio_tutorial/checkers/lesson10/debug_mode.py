"""Exercise 4: ``debug_report(main)``: run a program in debug mode and keep what it reports.

The checker hands the learner's function the program :func:`busy_shop`, which has both
faults debug mode reports: a callback, ``build_report``, that computes for 0.07 s (over
the 0.05 s threshold the exercise asks for, under the default 0.1 s), and a coroutine,
``send_receipt(...)``, created in ``place_order`` and never awaited.  While it runs, the
program notes what the loop running it was like: whether it was in debug mode, its
``slow_callback_duration``, and whether coroutines were recording where they were
created (which debug mode switches on as its loop starts).  So a verdict rests on what
the loop was, not on timing: a threshold left at 0.1 s is seen as 0.1 s, even on a
machine so busy that the 0.07 s step took longer.

The checker also listens to the ``asyncio`` logger itself, and the runner records every
warning the answer did not catch: when the learner's list lacks a report, the message
can say that debug mode did make it, and where it went.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_plain_function
from asyncio_tutorial.checkers.runner import run_function
from asyncio_tutorial.checkers.scenario import names_used

THRESHOLD = 0.05
"""The ``slow_callback_duration`` the exercise asks for, in seconds."""
REPORT_SECONDS = 0.07
"""How long ``build_report`` computes: over :data:`THRESHOLD`, under the default 0.1 s."""
DEFAULT_THRESHOLD = 0.1


@dataclass
class _Seen:
    """What the program saw of the loop that ran it, and what the checker saw around it."""

    ran: bool = False
    debug: bool = False
    threshold: float = 0.0
    tracking_depth: int = 0
    """``sys.get_coroutine_origin_tracking_depth()`` as the program started."""
    logged: list[str] = field(default_factory=list)
    """Messages of the ``asyncio`` logger while the answer ran (the checker's own ear)."""
    left_handlers: list[str] = field(default_factory=list)
    """Logging handlers the answer added and did not take away (now taken away)."""
    showwarning_replaced: bool = False

    def reset(self) -> None:
        vars(self).update(vars(_Seen()))


_SEEN = _Seen()


def build_report() -> None:
    """A plain callback that computes for 0.07 s: meanwhile the loop can do nothing else."""
    deadline = time.monotonic() + REPORT_SECONDS
    while time.monotonic() < deadline:
        pass  # stands for real work: parsing a big file, say


async def send_receipt(order: int) -> None:
    await asyncio.sleep(0)


async def place_order(order: int) -> None:
    send_receipt(order)  # the bug debug mode reports: no await, so no receipt is sent


async def busy_shop() -> None:
    """The program of exercise 4: one slow callback, one coroutine never awaited."""
    loop = asyncio.get_running_loop()
    _SEEN.ran = True
    _SEEN.debug = loop.get_debug()
    _SEEN.threshold = loop.slow_callback_duration
    _SEEN.tracking_depth = sys.get_coroutine_origin_tracking_depth()
    loop.call_soon(build_report)
    await place_order(42)
    await asyncio.sleep(0.01)  # build_report runs meanwhile


class _Listener(logging.Handler):
    """The checker's own handler on the ``asyncio`` logger: it keeps each message."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__()
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _run_answer(debug_report: Callable[[Any], Any]) -> Any:
    """Call ``debug_report(busy_shop)`` with the checker listening; undo what it left."""
    asyncio_logger, root = logging.getLogger("asyncio"), logging.getLogger()
    before = (list(asyncio_logger.handlers), list(root.handlers))
    showwarning = warnings.showwarning
    listener = _Listener(_SEEN.logged)
    asyncio_logger.addHandler(listener)
    try:
        return debug_report(busy_shop)
    finally:
        asyncio_logger.removeHandler(listener)
        _SEEN.showwarning_replaced = warnings.showwarning is not showwarning
        warnings.showwarning = showwarning
        for logger, handlers in zip((asyncio_logger, root), before, strict=True):
            for handler in [h for h in logger.handlers if h not in handlers]:
                _SEEN.left_handlers.append(type(handler).__name__)
                logger.removeHandler(handler)


def check_debug_report(debug_report: Any) -> Result:
    """``debug_report(busy_shop)``: the program run in debug mode, its reports returned."""
    expect_plain_function(debug_report)
    _SEEN.reset()
    outcome = run_function(lambda: _run_answer(debug_report), on_loop=True)
    seen, call = _SEEN, "debug_report(busy_shop)"
    # The checker's program drops send_receipt on purpose: not the answer's mistake.
    escaped = "send_receipt" in outcome.never_awaited
    outcome.never_awaited = [name for name in outcome.never_awaited if name != "send_receipt"]
    if "busy_shop" in outcome.never_awaited and not seen.ran:
        raise Wrong(
            "program_not_run",
            f"{call} created the coroutine busy_shop() but never ran it. Run it on a loop "
            "of its own: `asyncio.run(main(), debug=True)`, or with `asyncio.Runner`.",
        )
    error = outcome.error
    if isinstance(error, (ValueError, TypeError)) and not seen.ran:
        if "coroutine was expected" in str(error) or "awaitable is required" in str(error):
            raise Wrong(
                "program_not_run",
                f"{call} handed the function main itself to the loop, which runs a "
                "coroutine: call it, `main()`, and run what it returns.",
            )
    common_mistakes(outcome, call)
    if not seen.ran:
        raise Wrong(
            "program_not_run",
            f"{call} never ran the program it was given. Call `main()` and run the "
            "coroutine it returns on a loop of its own, in debug mode.",
        )
    _judge_the_loop(seen, debug_report, call)
    reports = outcome.value
    _judge_type(reports, call)
    slow = [text for text in reports if "build_report" in text and "took" in text]
    unawaited = [text for text in reports if "'send_receipt' was never awaited" in text]
    _judge_slow_report(slow, reports, seen, call)
    _judge_unawaited_report(unawaited, escaped, debug_report, seen, call)
    _judge_left_behind(seen, call)
    return correct(
        f"{call} ran the program on a loop in debug mode from its start, with "
        f"slow_callback_duration = {seen.threshold:g} s, and returned both reports. The "
        f"asyncio logger's: build_report, which computes for {REPORT_SECONDS:g} s, held the "
        f"loop longer than your {THRESHOLD:g} s (the default {DEFAULT_THRESHOLD:g} s would "
        "have let it pass). The warning's: send_receipt was never awaited, and it was "
        "created in place_order, called from busy_shop. Nothing of your capture was left "
        "behind."
    )


def _judge_the_loop(seen: _Seen, answer: Any, call: str) -> None:
    """The loop that ran the program: in debug mode, with the threshold asked for."""
    names = names_used(answer)
    if not seen.debug:
        if "setLevel" in names:
            why = (
                " Debug mode is the loop's, not the logger's: a logger at level DEBUG shows "
                "more of what is logged, but the loop only reports in debug mode."
            )
        elif "set_debug" in names:
            why = (
                " Your set_debug went to another loop: asyncio.run makes a new loop of its "
                "own. Switch on debug mode for the loop that runs the program."
            )
        else:
            why = ""
        raise Wrong(
            "debug_off",
            f"{call} ran the program on a loop that was not in debug mode, so the loop "
            f"reported nothing.{why} `asyncio.run(main(), debug=True)` and "
            "`asyncio.Runner(debug=True)` start the loop in debug mode.",
        )
    if abs(seen.threshold - THRESHOLD) > 1e-9:
        where = (
            " You set it, but on another loop than the one that ran the program: set it "
            "on that loop (`runner.get_loop()`, or `asyncio.get_running_loop()` inside "
            "the program)."
            if "slow_callback_duration" in names
            else " Set the loop's `slow_callback_duration` before the program runs."
        )
        left = " (the default)" if seen.threshold == DEFAULT_THRESHOLD else ""
        raise Wrong(
            "threshold_not_set",
            f"{call} ran the program in debug mode, but its loop had slow_callback_duration "
            f"= {seen.threshold:g} s{left}, not {THRESHOLD:g} s: a step of "
            f"{REPORT_SECONDS:g} s would go unreported.{where}",
        )


def _judge_type(reports: Any, call: str) -> None:
    """A list (or tuple) of strings."""
    if reports is None:
        raise Wrong(
            "wrong_type",
            f"{call} returned None: return the list of what debug mode reported (the "
            "messages as strings).",
            suggests="return",
        )
    if not isinstance(reports, (list, tuple)):
        raise Wrong(
            "wrong_type",
            f"{call} returned a {type(reports).__name__}: return a list of strings, one "
            "for each message debug mode reported.",
        )
    objects = [each for each in reports if not isinstance(each, str)]
    if any(isinstance(each, logging.LogRecord) for each in objects):
        raise Wrong(
            "records_not_messages",
            f"{call} returned LogRecord objects: return their messages, "
            "`record.getMessage()`, which fills the values into the record's text.",
            suggests="getMessage()",
        )
    if any(isinstance(each, (warnings.WarningMessage, Warning)) for each in objects):
        raise Wrong(
            "records_not_messages",
            f"{call} returned warning objects: return their text, "
            "`str(warning.message)` for each caught warning.",
            suggests="str(warning.message)",
        )
    if objects:
        raise Wrong(
            "wrong_type",
            f"{call} returned a list holding a {type(objects[0]).__name__}: return only "
            "strings, one for each message.",
        )


def _judge_slow_report(slow: list[str], reports: Any, seen: _Seen, call: str) -> None:
    """The asyncio logger's report of build_report, as its message reads."""
    if slow:
        return
    if any("Executing %s took" in text for text in reports):
        raise Wrong(
            "unformatted_message",
            f"{call} returned 'Executing %s took %.3f seconds': a log record's `msg`, "
            "the text before its values are filled in. `record.getMessage()` gives the "
            "message as it is logged.",
            suggests="getMessage()",
        )
    logged = next((text for text in seen.logged if "build_report" in text), "")
    said = f" It did log it: {logged!r}." if logged else ""
    raise Wrong(
        "logger_not_captured",
        f"{call} returned no report of build_report, the callback that held the loop for "
        f"{REPORT_SECONDS:g} s.{said} Debug mode logs it with the `asyncio` logger, at "
        "level WARNING: add a handler to `logging.getLogger('asyncio')` that keeps each "
        "record's message, and take it away afterwards.",
    )


def _judge_unawaited_report(
    unawaited: list[str], escaped: bool, answer: Any, seen: _Seen, call: str
) -> None:
    """The warning about send_receipt, with where the coroutine was created."""
    if not unawaited:
        caught = "catch_warnings" in names_used(answer) or seen.showwarning_replaced
        if escaped:
            why = (
                " Python did warn, after your capture had ended or outside it."
                if caught
                else " Python did warn, but your function did not catch the warning."
            )
        else:
            why = " The warning was filtered out: a filter such as 'ignore' hides it."
        raise Wrong(
            "warnings_not_captured",
            f"{call} returned no warning that send_receipt was never awaited.{why} Catch "
            "the warnings raised while the program runs, `with "
            "warnings.catch_warnings(record=True) as caught:` around running it, and add "
            "each one's text to the list.",
        )
    if "place_order" not in unawaited[0]:
        raise Wrong(
            "debug_too_late",
            f"{call} returned the warning that send_receipt was never awaited, but not "
            "where it was created: the loop was switched to debug mode after it had "
            f"started (coroutines were recording {seen.tracking_depth} frames of where "
            "they were created as the program began). Start the loop in debug mode: "
            "`asyncio.run(main(), debug=True)` or `asyncio.Runner(debug=True)`.",
        )


def _judge_left_behind(seen: _Seen, call: str) -> None:
    """The answer's capture is undone when it returns."""
    if seen.left_handlers:
        raise Wrong(
            "capture_left_behind",
            f"{call} left its logging handler ({seen.left_handlers[0]}) in place after it "
            "returned: every later asyncio report of the notebook would still go to it. "
            "Take it away in a `finally:` (`logger.removeHandler(handler)`); the check "
            "took it away now.",
        )
    if seen.showwarning_replaced:
        raise Wrong(
            "capture_left_behind",
            f"{call} left warnings.showwarning replaced after it returned: every later "
            "warning of the notebook would still go to your function. "
            "`warnings.catch_warnings(record=True)` catches warnings and puts everything "
            "back; the check put showwarning back now.",
        )


ex4 = Exercise(
    title="What debug mode reports",
    answer="debug_report",
    checker=check_debug_report,
    hints=[
        "Run the program with `asyncio.Runner(debug=True)` and set "
        "`runner.get_loop().slow_callback_duration = 0.05` before `runner.run(main())`.",
        "A slow step is logged by `logging.getLogger('asyncio')`: add a handler whose "
        "`emit(record)` keeps `record.getMessage()`, and remove it in a `finally:`.",
        "The never-awaited coroutine is a warning: run the program inside `with "
        "warnings.catch_warnings(record=True) as caught:` and add `str(w.message)` for "
        "each `w` in `caught`.",
    ],
)
