"""Exercise 2: ``countdown(loop, say)`` schedules three plain callbacks on the loop.

The check hands ``countdown`` the loop it runs on, with ``call_soon``, ``call_later`` and
``call_at`` noting what ``countdown`` asks of them.  So each ``say`` is judged by the
timer that ran it, and when that timer was *planned* for, counted from the moment
``countdown`` was called: exact, whatever the machine's load (a busy machine runs a
timer late, never at another planned time).  ``say`` itself notes how it was reached:
from one of those callbacks, directly while ``countdown`` was still running, from a
task, or from another thread.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    EARLY_ALLOWANCE,
    common_mistakes,
    expect_plain_function,
    seconds,
    took,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine

LAUNCH = (("ready", 0.0), ("set", 0.1), ("go!", 0.3))
"""Each word, and when it is due: seconds after ``countdown`` was called."""
PLANNED_ALLOWANCE = 0.02
"""How far a planned moment may be from the due one: ``call_at(loop.time() + 0.1, ...)``
reads the clock a few microseconds after ``countdown`` was called."""
LATE_ALLOWANCE = 0.15
"""How late a callback scheduled from another callback (a chain of timers) may run: its
planned moment depends on when its parent really ran, which a busy machine delays."""
LISTEN = 0.5
"""Seconds the check listens for ``say`` after calling ``countdown``."""
BUSY_CPU = 0.02
"""Processor time that means countdown computed instead of returning: scheduling three
callbacks takes a few microseconds; a loop checking the clock for 0.3 s takes this much
even when a crowded machine gives it a tenth of a core."""
WAITED = 0.25
"""Seconds countdown may take to return before it counts as waiting, computing or not
(a crowded machine may pause a thread for a while, but not for this long)."""


@dataclass
class _Timer:
    """One callback ``countdown`` scheduled, and when it was planned for."""

    how: str
    """``"call_soon"``, ``"call_later"`` or ``"call_at"``."""
    asked: float
    """The delay or moment passed (``call_later(0.1, ...)``: 0.1); 0 for call_soon."""
    planned: float
    """When it should run: seconds after countdown was called."""
    exact: bool
    """Whether ``planned`` is exact (not derived from a clock read by a late callback)."""
    callback: Any
    args: tuple[Any, ...]


@dataclass
class _Said:
    """One call of ``say``: the word, how it was reached, and when."""

    word: str
    source: str
    """``"timer"``: from a callback countdown scheduled; ``"directly"``: while countdown
    was still running; ``"task"``: from a task; ``"thread"``: from another thread;
    ``"loop"``: from some other callback on the loop."""
    at: float
    """Seconds after countdown was called (measured)."""
    timer: _Timer | None = None


@dataclass
class _Heard:
    """What countdown scheduled and what say heard, for one check."""

    timers: list[_Timer] = field(default_factory=list)
    said: list[_Said] = field(default_factory=list)
    running: _Timer | None = None
    """The callback (scheduled by countdown) that is running now, if any."""
    counting_down: bool = False
    """countdown itself is running now."""
    returned_after: float = 0.0
    """Seconds countdown took to return: all that time, it held the loop."""
    cpu: float = 0.0
    """Processor time countdown used before it returned (a busy loop uses most of it)."""


_SCHEDULERS = ("call_soon", "call_later", "call_at")
_CALL_LATER = asyncio.BaseEventLoop.call_later.__code__


class _NotingLoop:
    """Notes the callbacks countdown schedules on ``loop``, while it is being checked.

    ``call_soon``, ``call_later`` and ``call_at`` are replaced on this loop only (as
    attributes of the loop object), and put back by :meth:`restore`.  A callback is
    noted when countdown schedules it, or when a callback it scheduled does (a chain).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, heard: _Heard, started: float) -> None:
        self.loop, self.heard, self.started = loop, heard, started
        # The runner has call_later and call_at of its own on this loop (to note waits):
        # keep them, to call them and to put them back.
        self.kept = {name: loop.__dict__.get(name) for name in _SCHEDULERS}
        self.original = {name: getattr(loop, name) for name in _SCHEDULERS}
        loop.call_soon = self.call_soon  # type: ignore[method-assign]
        loop.call_later = self.call_later  # type: ignore[method-assign]
        loop.call_at = self.call_at  # type: ignore[method-assign]

    def restore(self) -> None:
        for name, kept in self.kept.items():
            if kept is None:
                delattr(self.loop, name)  # back to the class's own method
            else:
                setattr(self.loop, name, kept)

    def _noting(self) -> bool:
        return self.heard.counting_down or self.heard.running is not None

    def _start(self) -> tuple[float, bool]:
        """When the code scheduling a callback now was planned to run, and if exactly."""
        parent = self.heard.running
        if parent is None:
            return 0.0, True  # countdown itself: "now" is when it was called
        return parent.planned, parent.exact

    def _note(
        self,
        how: str,
        asked: float,
        planned: float,
        exact: bool,
        callback: Any,
        args: tuple[Any, ...],
    ) -> Callable[[], None]:
        timer = _Timer(how, asked, planned, exact, callback, args)
        self.heard.timers.append(timer)

        def run() -> None:
            outer, self.heard.running = self.heard.running, timer
            try:
                callback(*args)
            finally:
                self.heard.running = outer

        return run

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
        if not self._noting():
            return self.original["call_soon"](callback, *args, context=context)
        start, exact = self._start()
        run = self._note("call_soon", 0.0, start, exact, callback, args)
        return self.original["call_soon"](run, context=context)

    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
        if not self._noting():
            return self.original["call_later"](delay, callback, *args, context=context)
        start, exact = self._start()
        run = self._note("call_later", delay, start + delay, exact, callback, args)
        return self.original["call_later"](delay, run, context=context)

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        # call_later goes through call_at: a timer is noted once, by whichever came first.
        if not self._noting() or sys._getframe(1).f_code is _CALL_LATER:
            return self.original["call_at"](when, callback, *args, context=context)
        exact = self.heard.running is None
        run = self._note("call_at", when, when - self.started, exact, callback, args)
        return self.original["call_at"](when, run, context=context)


async def _launch(countdown: Callable[..., Any], heard: _Heard) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop_thread = threading.get_ident()

    def say(word: str) -> None:
        if threading.get_ident() != loop_thread:
            source = "thread"
        elif heard.counting_down:
            source = "directly"
        elif asyncio.current_task() is not None:
            source = "task"
        else:
            source = "timer" if heard.running is not None else "loop"
        heard.said.append(_Said(word, source, loop.time() - started, heard.running))

    noting = _NotingLoop(loop, heard, started)
    try:
        heard.counting_down = True
        cpu = time.thread_time()
        try:
            countdown(loop, say)
        finally:
            heard.counting_down = False
            heard.returned_after = loop.time() - started
            heard.cpu = time.thread_time() - cpu
        await asyncio.sleep(LISTEN)
    finally:
        noting.restore()


def check_countdown(countdown: Any) -> Result:
    """``countdown(loop, say)`` schedules say("ready"), say("set") at 0.1 s, say("go!") at 0.3 s."""
    expect_plain_function(countdown)
    call = "countdown(loop, say)"
    heard = _Heard()
    outcome = run_coroutine(lambda: _launch(countdown, heard))
    _judge_blocking(outcome, heard, call)
    _judge_loop_run(outcome, call)
    common_mistakes(outcome, call)
    _judge_how_said(heard, outcome, call)
    _judge_plans(heard, call)
    said = {entry.word: entry for entry in heard.said}
    return correct(
        "countdown scheduled three callbacks and returned at once; the loop then said "
        f"'ready' as soon as it got control, 'set' at {took(said['set'].at)} and 'go!' at "
        f"{took(said['go!'].at)}, from timers planned for exactly 0.1 s and 0.3 s."
    )


def _judge_blocking(outcome: Outcome, heard: _Heard, call: str) -> None:
    """countdown runs on the loop: whatever time it takes to return, the loop is held.

    The usual advice for blocking, `await asyncio.sleep`, is no use in a plain `def`.
    """
    if outcome.timed_out:
        return
    if outcome.sleeps:
        held = f"called time.sleep({outcome.sleeps[0]:g})"
    elif heard.cpu >= BUSY_CPU and heard.returned_after >= BUSY_CPU:
        held = f"kept the loop busy for {heard.returned_after:.2f} s, computing"
    elif heard.returned_after >= WAITED:
        held = f"took {heard.returned_after:.2f} s to return, waiting in a blocking call"
    else:
        return
    raise Wrong(
        "blocking",
        f"{call} {held}: countdown runs on the loop, so the loop stopped meanwhile. "
        "A plain `def` cannot `await asyncio.sleep` either: leave the waiting to the "
        "loop. `loop.call_later(0.1, say, 'set')` schedules the call and returns at once.",
        recheck=not outcome.sleeps,
        suggests="call_later(0.1, say, 'set')",
    )


def _judge_loop_run(outcome: Outcome, call: str) -> None:
    error = outcome.error
    if isinstance(error, RuntimeError) and "already running" in str(error):
        raise Wrong(
            "ran_the_loop",
            f"{call} raised RuntimeError: {error}. countdown is called by code the loop "
            "is running, so the loop is already running: it cannot be started again to "
            "wait. Schedule the calls (`loop.call_later(0.1, say, 'set')`) and return; "
            "the loop runs them when their time comes.",
            suggests="call_later(0.1, say, 'set')",
        )


def _judge_how_said(heard: _Heard, outcome: Outcome, call: str) -> None:
    """Each say must come from a callback countdown scheduled, on the loop."""
    by = {entry.source: entry for entry in reversed(heard.said)}
    passed_result = [t for t in heard.timers if not callable(t.callback)]
    if "directly" in by and passed_result:
        word = by["directly"].word
        raise Wrong(
            "called_instead_of_passing",
            f"say({word!r}) ran while {call} was still scheduling: it was called right "
            "away, and the loop was handed its result, None. Pass the function and its "
            f"argument separately: `loop.call_soon(say, {word!r})`.",
            suggests=f"call_soon(say, {word!r})",
        )
    if "directly" in by:
        word = by["directly"].word
        raise Wrong(
            "called_directly",
            f"{call} called say({word!r}) itself, before returning, instead of scheduling "
            f"it. Schedule it: `loop.call_soon(say, {word!r})` runs it as soon as the loop "
            "gets control.",
            suggests=f"call_soon(say, {word!r})",
        )
    if "thread" in by:
        word = by["thread"].word
        raise Wrong(
            "not_on_loop",
            f"say({word!r}) ran on another thread (a threading.Timer?), not on the loop: "
            "whatever say touches would be used from two threads at once. Let the loop "
            "run it: `loop.call_later(0.1, say, 'set')`.",
            suggests="call_later(0.1, say, 'set')",
        )
    if "task" in by:
        word = by["task"].word
        raise Wrong(
            "used_a_task",
            f"say({word!r}) ran inside a task: countdown started a coroutine that awaits "
            "asyncio.sleep. This exercise is about the loop's own tools, plain callbacks: "
            "`loop.call_soon(say, 'ready')`, `loop.call_later(0.1, say, 'set')`.",
            suggests="call_later(0.1, say, 'set')",
        )
    if passed_result:
        raise Wrong(
            "called_instead_of_passing",
            f"{call} handed the loop {passed_result[0].callback!r} to call, not a function: "
            "pass the function and its argument separately, `loop.call_later(0.1, say, "
            "'set')`.",
        )


def _due(word: str) -> float:
    return dict(LAUNCH)[word]


def _judge_plans(heard: _Heard, call: str) -> None:
    """The words, in order, each from a timer planned for its moment."""
    words = [entry.word for entry in heard.said]
    expected = [word for word, _ in LAUNCH]
    late = [t for t in heard.timers if t.planned > LISTEN]
    if late and words != expected:
        _judge_far_timers(late, call, words)
    if words != expected:
        raise Wrong(
            "wrong_words",
            f"say was called with {words}, in that order; expected {expected}.",
        )
    for entry in heard.said:
        timer, due = entry.timer, _due(entry.word)
        if timer is None:  # not from a callback countdown scheduled: judged by the clock
            if not due - EARLY_ALLOWANCE <= entry.at < due + LATE_ALLOWANCE:
                raise Wrong(
                    "wrong_time",
                    f"say({entry.word!r}) came at {entry.at:.2f} s; it should come at "
                    f"{seconds(due)}.",
                )
            continue
        allowance = PLANNED_ALLOWANCE if timer.exact else LATE_ALLOWANCE
        if abs(timer.planned - due) <= allowance:
            continue
        if timer.how == "call_at" and timer.planned < 0:
            raise Wrong(
                "call_at_relative",
                f"say({entry.word!r}) was scheduled with call_at({timer.asked:g}, ...): "
                "call_at takes a moment on the loop's clock, which is long past at "
                f"{timer.asked:g}, so it ran at once. Add the delay to the loop's time, "
                f"`loop.call_at(loop.time() + {due:g}, ...)`, or use `loop.call_later"
                f"({due:g}, ...)`.",
                suggests="loop.time() +",
            )
        if entry.word == "go!" and abs(timer.planned - 0.2) <= allowance:
            raise Wrong(
                "delays_added_up",
                "say('go!') was planned for 0.2 s, not 0.3 s. A call_later delay counts "
                "from when you call call_later, not from the previous callback: "
                "`loop.call_later(0.3, say, 'go!')`.",
                suggests="call_later(0.3, say, 'go!')",
            )
        raise Wrong(
            "wrong_time",
            f"say({entry.word!r}) was planned for {timer.planned:.2f} s after countdown was "
            f"called ({timer.how}({timer.asked:g}, ...)); it should come at {seconds(due)}.",
        )


def _judge_far_timers(late: list[_Timer], call: str, words: list[str]) -> None:
    """Timers planned beyond the listening time: milliseconds, or call_at misread."""
    if all(timer.how == "call_later" and timer.asked >= 50 for timer in late):
        asked = ", ".join(f"{timer.asked:g}" for timer in late)
        raise Wrong(
            "milliseconds",
            f"{call} scheduled callbacks {asked} s ahead: say was called with {words} "
            "in the half second the check listened. call_later takes seconds, not "
            "milliseconds: `loop.call_later(0.1, say, 'set')`.",
            suggests="call_later(0.1, say, 'set')",
        )
    planned = ", ".join(f"{timer.planned:.2f}" for timer in late)
    raise Wrong(
        "wrong_time",
        f"say was called with {words} in the {seconds(LISTEN)} the check listened; "
        f"callbacks planned for {planned} s after countdown was called had not run yet.",
    )


ex2 = Exercise(
    title="Schedule callbacks on the loop",
    answer="countdown",
    checker=check_countdown,
    hints=[
        "`loop.call_soon(f, arg)` runs `f(arg)` on the loop's next turn; "
        "`loop.call_later(delay, f, arg)` runs it `delay` seconds from now.",
        "Pass the function and its argument separately: `loop.call_soon(say, 'ready')`, "
        "not `loop.call_soon(say('ready'))`.",
        "Each delay counts from now, when countdown runs: 0.1 for 'set', 0.3 for 'go!'.",
    ],
)
