"""Lesson 05, exercise 2: watch a program's output as it comes.

The check runs ``watch`` on a small Python program that prints three lines 0.2 s apart,
closes its output, and 0.2 s later exits with status 3.  ``on_line`` notes when each
line arrives and whether the program was still running then.  For the duration of the
run, the answer's event loop notes every program started with
``asyncio.create_subprocess_exec`` (:class:`_Programs`), and whether the answer waited
for its end (``process.wait()``, which ``communicate()`` uses too).  Whatever the answer
did, every program is waited for (or stopped) before the check ends, so nothing it
started outlives the check.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    error_text,
    expect_coroutine_function,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import names_used

PAUSE = 0.2  # seconds between two lines of the program, and from its last to its end
CHILD = f"""\
import os, sys, time
for step in (1, 2, 3):
    print(f"step {{step}}", flush=True)
    time.sleep({PAUSE})
os.close(1)  # no more output; a moment later, the end
time.sleep({PAUSE})
sys.exit(3)
"""
COMMAND = [sys.executable, "-S", "-c", CHILD]
"""The program the checker watches: three lines 0.2 s apart, its output closed, and 0.2 s
later exit status 3 (so that an answer that does not wait for the end cannot see it)."""
LINES = ["step 1", "step 2", "step 3"]
KEPT_LINES = 50  # on_line raises after this many calls: the answer's loop never stops
ALL_AT_ONCE = 0.15  # lines printed over 0.4 s that arrive within this were held back
REAP = 1.5  # seconds the check waits for a program the answer left running to end


@dataclass
class _Program:
    """One program the answer started with ``asyncio.create_subprocess_exec``."""

    transport: Any
    piped: bool
    """Its output was a pipe (``stdout=asyncio.subprocess.PIPE``)."""
    waited: bool = False
    """The answer waited for its end (``await process.wait()``, or ``communicate()``)."""

    def running(self) -> bool:
        return self.transport.get_returncode() is None


@dataclass
class _Programs:
    """The programs the answer started, and what ``on_line`` was given, when."""

    started: list[_Program] = field(default_factory=list)
    heard: list[tuple[float, Any, bool]] = field(default_factory=list)
    """(seconds since the start, the line, whether the program was still running)."""
    calls: int = 0
    """How many times on_line was called in all."""
    running_at_return: bool = False

    def running(self) -> bool:
        return any(program.running() for program in self.started)

    def note_starts(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap ``loop.subprocess_exec`` (on this loop only) to note every program started,
        and its transport's ``_wait`` to note that the answer waited for its end."""
        subprocess_exec = loop.subprocess_exec
        started = self.started

        async def noting_subprocess_exec(*args: Any, **kwargs: Any) -> Any:
            transport, protocol = await subprocess_exec(*args, **kwargs)
            program = _Program(transport, piped=kwargs.get("stdout") is not None)
            wait = transport._wait

            async def noting_wait() -> Any:
                program.waited = True
                return await wait()

            transport._wait = noting_wait
            started.append(program)
            return transport, protocol

        loop.subprocess_exec = noting_subprocess_exec  # type: ignore[method-assign]

    async def reap(self, *, wait: float) -> None:
        """Wait up to ``wait`` seconds for the programs still running to end, stop the
        ones that do not, and close their pipes: nothing outlives the check.  The loop
        notes each program's end before the check ends: a program whose end comes once
        the loop is closed gets a warning logged, in some later cell."""
        await self._ended(wait)
        for program in self.started:
            if program.running():
                with contextlib.suppress(ProcessLookupError):
                    program.transport.kill()
        await self._ended(0.2)
        for program in self.started:
            program.transport.close()

    async def _ended(self, wait: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                while self.running():
                    await asyncio.sleep(0.01)


class _TooManyLines(Exception):
    """Raised by the check's ``on_line`` to stop an answer that calls it without end."""


async def _watch_scenario(watch: Any, programs: _Programs) -> Any:
    loop = asyncio.get_running_loop()
    programs.note_starts(loop)
    started = loop.time()

    def on_line(line: Any) -> None:
        programs.calls += 1
        if programs.calls > KEPT_LINES:  # a loop that never stops: stop it here
            raise _TooManyLines(f"on_line was called more than {KEPT_LINES} times")
        programs.heard.append((loop.time() - started, line, programs.running()))

    try:
        value = await watch(list(COMMAND), on_line)
    except Exception:
        await programs.reap(wait=REAP)
        raise
    except BaseException:  # cancelled, or stopped at the time limit: no time to wait
        await programs.reap(wait=0.0)
        raise
    programs.running_at_return = programs.running()
    await programs.reap(wait=REAP)
    return value


def check_watch(watch: Any) -> Result:
    """``watch(command, on_line)``: each output line as it comes, then the exit status."""
    expect_coroutine_function(watch)
    programs = _Programs()
    call = "watch(command, on_line)"
    outcome = run_coroutine(partial(_watch_scenario, watch, programs))
    _judge_end_of_output(programs, call)
    blocking_calls = {"subprocess", "Popen", "check_output"} & names_used(watch)
    if outcome.blocked and not outcome.sleeps and blocking_calls and not programs.started:
        raise Wrong(
            "blocking_subprocess",
            f"{call} held the event loop for {outcome.longest_stall:.1f} s while the "
            "program ran: the `subprocess` module blocks. Use "
            "`await asyncio.create_subprocess_exec(*command, "
            "stdout=asyncio.subprocess.PIPE)`.",
            recheck=True,
        )
    if programs.calls > KEPT_LINES:
        raise Wrong(
            "wrong_lines",
            f"{call} called on_line more than {KEPT_LINES} times, for a program that "
            f"prints 3 lines: it was stopped there. The first ones: {_lines_heard(programs)}.",
        )
    _judge_pipe(outcome, programs, call)
    if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
        raise blocking(outcome, call)
    common_mistakes(outcome, call)
    _judge_watch(outcome, call, programs)
    # The program's own pace, not the measured spread: on a loaded machine the first line
    # can come late and the spread read 0.3 s (the verdict is that it was spread at all).
    return correct(
        f"{call} passed on the 3 lines as the program printed them, {PAUSE:g} s apart, "
        f"while it was still running, and returned its exit status, {outcome.value}, "
        "having waited for its end."
    )


def _judge_end_of_output(programs: _Programs, call: str) -> None:
    """A readline() loop that never stops: at the end, readline() gives b'' at once."""
    extra = [line for _, line, _ in programs.heard[len(LINES) :]]
    if programs.calls > KEPT_LINES and extra and all(not line for line in extra):
        raise Wrong(
            "no_eof_check",
            f"{call} called on_line {programs.calls} times (and was stopped there): after "
            "the last line it kept going with empty ones. At the end of the output, "
            "readline() returns b'' at once, every time, without waiting: stop there "
            "(`if not line: break`), or let `async for line in process.stdout:` stop "
            "for you.",
            suggests="async for line in process.stdout",
        )


def _lines_heard(programs: _Programs) -> str:
    """The first lines on_line was given, for a message."""
    return ", ".join(repr(line) for _, line, _ in programs.heard[:5])


def _judge_pipe(outcome: Outcome, programs: _Programs, call: str) -> None:
    """The program's output was not piped to the answer."""
    if programs.started and not any(program.piped for program in programs.started):
        error = outcome.error
        detail = f" ({error_text(error)})" if error is not None else ""
        raise Wrong(
            "no_pipe",
            f"{call} started the program without a pipe for its output{detail}: its lines "
            "went to the kernel's own output, and process.stdout is None. Ask for a pipe: "
            "`asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)`.",
            suggests="stdout=asyncio.subprocess.PIPE",
        )


def _judge_watch(outcome: Outcome, call: str, programs: _Programs) -> None:
    """The lines ``on_line`` was given, when it was given them, and the exit status."""
    heard = programs.heard
    lines = [line for _, line, _ in heard]
    if lines and isinstance(lines[0], bytes):
        raise Wrong(
            "not_decoded",
            f"on_line was called with bytes ({lines[0]!r}). Decode each line and take off "
            "its newline: `line.decode().rstrip()`.",
        )
    if lines and isinstance(lines[0], str) and lines[0].endswith("\n"):
        raise Wrong(
            "newline_kept",
            f"on_line was called with {lines[0]!r}: take off the newline (`.rstrip()`).",
        )
    if lines != LINES:
        raise Wrong(
            "wrong_lines",
            f"on_line was called with {lines!r}, not 'step 1', 'step 2', 'step 3' in turn.",
        )
    spread = heard[-1][0] - heard[0][0]
    ended_first = not heard[0][2] and programs.started
    if ended_first or spread < ALL_AT_ONCE:
        when = "once the program had ended" if ended_first else f"within {spread:.2f} s"
        raise Wrong(
            "not_streamed",
            f"{call} passed on the three lines all at once, {when}, though the program "
            f"printed them {PAUSE:g} s apart. Read them as they come: `async for line in "
            "process.stdout:` (communicate(), or wait() then read(), give everything "
            "only at the end).",
        )
    if outcome.value is None or (programs.started and not any(p.waited for p in programs.started)):
        got = "returned None" if outcome.value is None else f"returned {outcome.value!r}"
        raise Wrong(
            "not_waited",
            f"{call} {got} without waiting for the program to end"
            + (" (it was still running)" if programs.running_at_return else "")
            + ". Return the exit status from `await process.wait()`: it waits for the end, "
            "so no finished child is left behind.",
            suggests="await process.wait()",
        )
    if outcome.value != 3:
        raise Wrong("wrong_value", f"{call} returned {outcome.value!r}; the program exited with 3.")


ex2 = Exercise(
    title="Watch a program's output",
    answer="watch",
    checker=check_watch,
    hints=[
        "`process = await asyncio.create_subprocess_exec(*command, "
        "stdout=asyncio.subprocess.PIPE)` starts the program.",
        "`async for line in process.stdout:` gives each line (bytes) as soon as it is "
        "printed: `on_line(line.decode().rstrip())`.",
        "At the end, `return await process.wait()`: the exit status.",
    ],
)
