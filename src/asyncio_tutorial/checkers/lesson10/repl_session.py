"""Exercise 6: ``repl_session()``: the lines to type at the ``python -m asyncio`` prompt.

The learner's function returns the lines of a session: start a task named ``kettle``
that sleeps 1 s and returns ``"boiled"``, see that it is still running, list it by name
with ``asyncio.all_tasks()``, await it, and see that it is done.  The checker types
them into a real ``python -m asyncio`` (``sys.executable``'s own, through a pipe, as
lesson 10's cell does) and judges by what the REPL echoed after each line.

To tell which output belongs to which line, the checker types a line of its own after
each of the learner's, which prints a marker on stdout and on stderr; the REPL's
prompts (``>>> ``) are taken out of what it echoed.  After each line it also types an
empty line, which ends a one-line compound statement on Python 3.11 and 3.12 and changes
nothing on 3.13 and newer, whose REPL runs each line piped to it on its own: so a line
means the same on every version.  A last line of the checker's reports which tasks the
session's variables hold, and which are still running.

The REPL's banner and prompts differ between versions; none of them is looked at.  What
is judged (an echoed ``False``, ``'boiled'``, an error's type) reads the same on every
Python from 3.11 to 3.15, and so does the verdict.  The time limit starts once the REPL
is ready: starting a Python on a busy machine is not the learner's time.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct, time_limit
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_plain_function
from asyncio_tutorial.checkers.runner import run_function

NAME = "kettle"
RESULT = "boiled"
BOIL_SECONDS = 1
STARTUP_LIMIT = 60.0
"""Seconds the REPL may take to start and print its first marker.  It takes a second or
two on a busy machine; one that has not started after a minute is no fault of the
learner's, and the check fails as the checker's own."""
MARK = "@@repl-check"
CALL_GRAPH = ("capture_call_graph", "format_call_graph", "print_call_graph")
_PROMPTS = re.compile(r"^(?:(?:>>>|\.\.\.) ?)+")
_ERROR = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def _marker_line(number: int) -> str:
    """The line the checker types after line ``number``: a marker on both streams."""
    mark = f"{MARK}:{number}@@"
    return f"print({mark!r}); print({mark!r}, file=__import__('sys').stderr)"


_REPORT_LINE = (
    f"print({MARK + ':tasks@@'!r}, repr(sorted((n, t.get_name(), t.done(), t.cancelled()) "
    "for n, t in list(globals().items()) if isinstance(t, __import__('asyncio').Task))))"
)
"""The checker's last line: (variable, task name, done, cancelled) for every variable
of the session that holds a task."""


@dataclass
class Typed:
    """One line of the session and what the REPL did with it."""

    number: int
    text: str
    echo: str = ""
    """What it printed on stdout, prompts taken out."""
    errors: str = ""
    """What it printed on stderr: a traceback, a warning."""
    finished: bool = False

    @property
    def shown(self) -> str:
        """The line as a message's subject: ``line 2, `task.done()`,``."""
        return f"line {self.number}, `{self.text.strip()}`,"

    @property
    def named(self) -> str:
        """The line as a message's object: ``line 2 (`task.done()`)``."""
        return f"line {self.number} (`{self.text.strip()}`)"

    def error(self) -> tuple[str, str] | None:
        """(the error's type, its message) if the line raised, from its traceback."""
        lines = self.errors.splitlines()
        starts = [index for index, line in enumerate(lines) if line.startswith("Traceback")]
        if not starts:
            return None
        for line in reversed(lines[starts[-1] :]):
            match = _ERROR.match(line)
            if match and not line.startswith("Traceback"):
                return match[1].rpartition(".")[2], (match[2] or "").strip()
        return None


@dataclass
class Session:
    """What the REPL did with the learner's lines."""

    lines: list[Typed]
    tasks: list[tuple[str, str, bool, bool]] = field(default_factory=list)
    """(variable, task name, done, cancelled) for every variable holding a task."""
    reported: bool = False
    """The checker's last line ran: the REPL got to the end of the session."""
    timed_out: bool = False

    def stopped_at(self) -> Typed | None:
        """The line that was running when the session stopped, if it did not finish."""
        return next((line for line in self.lines if not line.finished), None)


# --- Running the session -------------------------------------------------------------------


class _Reader(threading.Thread):
    """Reads one of the REPL's streams, line by line, noting when marker 0 arrives."""

    def __init__(self, stream: Any, ready: threading.Event | None) -> None:
        super().__init__(name="asyncio-tutorial-repl-reader", daemon=True)
        self.stream = stream
        self.ready = ready
        self.lines: list[str] = []

    def run(self) -> None:
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))
            if self.ready is not None and f"{MARK}:0@@" in line:
                self.ready.set()


def _segments(lines: list[str], count: int) -> tuple[dict[int, list[str]], list[str]]:
    """Split a stream at the markers: what came after marker ``n - 1``, up to marker
    ``n``, is line ``n``'s; what came after marker ``count`` is the rest."""
    found: dict[int, list[str]] = {}
    rest: list[str] = []
    current: list[str] | None = None  # nothing is kept before marker 0: the banner
    number = 0
    pattern = re.compile(rf"{re.escape(MARK)}:(\d+)@@")
    for line in lines:
        match = pattern.search(line)
        if match:
            before = _PROMPTS.sub("", line[: match.start()])  # after a print(..., end="")
            unfinished = re.sub(r"(?:(?:>>>|\.\.\.) ?)+$", "", before)
            if current is not None and unfinished:
                current.append(unfinished)
            if current is not None and number <= count:
                found[number] = current
            number = int(match[1]) + 1
            current = [] if number <= count else rest
            continue
        if current is not None:
            current.append(line)
    return found, rest


def run_repl(texts: list[str], limit: float) -> Session:
    """Type ``texts`` into ``python -m asyncio``; stop it ``limit`` s after it is ready."""
    typed = [_marker_line(0)]
    for number, text in enumerate(texts, start=1):
        typed += [text, "", _marker_line(number)]
    typed.append(_REPORT_LINE)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONASYNCIODEBUG")
    }
    environment.update(PYTHON_COLORS="0", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "asyncio"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    ready = threading.Event()
    out, err = _Reader(process.stdout, ready), _Reader(process.stderr, None)
    out.start()
    err.start()
    timed_out = False
    writer = threading.Thread(
        target=_type_into,
        args=(process.stdin, "\n".join(typed) + "\n"),
        name="asyncio-tutorial-repl-writer",
        daemon=True,
    )
    writer.start()
    try:
        if not ready.wait(STARTUP_LIMIT) and process.poll() is None:
            raise RuntimeError(f"python -m asyncio did not start within {STARTUP_LIMIT:g} s")
        try:
            process.wait(limit)
        except subprocess.TimeoutExpired:
            timed_out = True
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        writer.join(2)
        out.join(2)
        err.join(2)
    return _session(texts, out.lines, err.lines, timed_out)


def _type_into(stdin: Any, text: str) -> None:
    """Type ``text`` into the REPL (on a thread of its own: a REPL stuck on a line stops
    reading, and a long session would fill the pipe)."""
    try:
        stdin.write(text)
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass  # the REPL ended early (an exit() among the lines, a hang): judged later


def _session(texts: list[str], out: list[str], err: list[str], timed_out: bool) -> Session:
    """Sort what the REPL printed into the lines that printed it."""
    echoes, rest_out = _segments(out, len(texts))
    errors, _ = _segments(err, len(texts))
    lines = []
    for number, text in enumerate(texts, start=1):
        shown = [_PROMPTS.sub("", line) for line in echoes.get(number, [])]
        lines.append(
            Typed(
                number,
                text,
                echo="\n".join(line for line in shown if line.strip()),
                errors="\n".join(errors.get(number, [])),
                finished=number in echoes,
            )
        )
    session = Session(lines, timed_out=timed_out)
    for line in rest_out:
        report = _PROMPTS.sub("", line)
        if report.startswith(f"{MARK}:tasks@@"):
            session.tasks = ast.literal_eval(report.partition(" ")[2])
            session.reported = True
    return session


# --- The checker ---------------------------------------------------------------------------


def check_repl_session(repl_session: Any) -> Result:
    """``repl_session()``'s lines, typed into ``python -m asyncio``, show the task's life."""
    expect_plain_function(repl_session)
    outcome = run_function(repl_session)
    common_mistakes(outcome, "repl_session()")
    texts = _judge_type(outcome.value)
    for number, text in enumerate(texts, start=1):
        _judge_as_typed(number, text)
    session = run_repl(texts, time_limit())
    _judge_how_it_ran(session)
    for line in session.lines:
        _judge_errors(line, session)
    for line in session.lines:
        _judge_echo(line)
    kettle = _judge_the_task(session)
    awaited = _judge_awaited(session, kettle)
    running = _judge_seen_running(session, awaited)
    listed = _judge_listed(session, awaited)
    done = _judge_seen_done(session, awaited)
    return correct(_what_it_showed(session, running, listed, awaited, done))


def _judge_type(value: Any) -> list[str]:
    """A list (or tuple) of one-line strings, at least one."""
    call = "repl_session()"
    if value is None:
        raise Wrong(
            "wrong_type",
            f"{call} returned None: return the list of lines, `return [...]`.",
            suggests="return",
        )
    if isinstance(value, str):
        raise Wrong(
            "wrong_type",
            f"{call} returned one string: return a list of strings, one for each line "
            "you would type at the prompt.",
        )
    if not isinstance(value, (list, tuple)):
        raise Wrong(
            "wrong_type",
            f"{call} returned a {type(value).__name__}: return a list of strings, one for "
            "each line you would type at the prompt.",
        )
    others = [each for each in value if not isinstance(each, str)]
    if others:
        raise Wrong(
            "wrong_type",
            f"{call} returned a list holding {others[0]!r}, a {type(others[0]).__name__}: "
            'the lines are what you would type, as strings, such as `"task.done()"`.',
        )
    if not any(each.strip() for each in value):
        raise Wrong("wrong_type", f"{call} returned no lines to type.")
    several = next((each for each in value if "\n" in each.strip()), None)
    if several is not None:
        raise Wrong(
            "wrong_type",
            f"{call} returned a string of several lines ({several!r}): give each line you "
            "would type as a string of its own.",
        )
    return [each.strip("\n") for each in value]


def _unless_typed(session: Session, code: str) -> tuple[str, ...]:
    """``(code,)`` for a message's ``suggests``, unless a line already has it."""
    return () if any(code in line.text for line in session.lines) else (code,)


def _judge_as_typed(number: int, text: str) -> None:
    """What is wrong with a line before it runs: it could not even be compiled."""
    line = Typed(number, text)
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return  # an empty line, or a comment: the REPL just prompts again
    if stripped.startswith((">>>", "...")) and stripped not in ("...", "... "):
        raise Wrong(
            "prompt_included",
            f"{line.shown} starts with the prompt. The REPL prints `>>>` itself; what you "
            "type is what follows it.",
        )
    if re.match(r"^\$?\s*(python\d*(\.\d+)?|py)\s+-m\b", stripped):
        raise Wrong(
            "shell_command",
            f"{line.shown} is a command for a terminal, not Python: typed at the `>>>` "
            "prompt it is a SyntaxError. The lines here are what you type once the REPL "
            "runs (`python -m asyncio ps PID`, which needs Python 3.14, is typed in "
            "another terminal).",
        )
    graph = next((name for name in CALL_GRAPH if name in text), None)
    if graph is not None:
        raise Wrong(
            "call_graph_needs_3_14",
            f"{line.shown} uses asyncio.{graph}, which only Python 3.14 and newer have: on "
            "3.11 to 3.13 the line raises AttributeError. Try it in your own REPL if you "
            "have 3.14; this session must run on every Python, so list the tasks with "
            "`asyncio.all_tasks()` and name them with `get_name()`.",
        )
    if re.search(r"\btime\.sleep\(", text):
        raise Wrong(
            "blocking",
            f"{line.shown} blocks the event loop. Every line typed at the prompt runs on "
            "the REPL's loop, so while time.sleep waits, the loop waits too, and the task "
            "you started cannot run. `await asyncio.sleep(...)` or `await task` waits "
            "and lets it run.",
        )
    try:
        compile(text + "\n", "<stdin>", "single", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as error:
        if text[:1].isspace() or stripped.endswith(":"):
            raise Wrong(
                "multi_line_block",
                f"{line.shown} is part of a block of several lines, which the REPL reads "
                "one line at a time when its input comes from a pipe (Python 3.13 and "
                "newer). Write each statement on one line: "
                "`async def brew(): await asyncio.sleep(1); return 'boiled'` works.",
            ) from None
        raise Wrong(
            "syntax_error",
            f"{line.shown} is not valid Python: SyntaxError: {error.msg}.",
        ) from None


def _judge_how_it_ran(session: Session) -> None:
    """The session ran to its end, in time."""
    stopped = session.stopped_at()
    if session.timed_out and stopped is not None:
        about = ""
        if "await" in stopped.text:
            about = (
                f" Whatever it awaits takes longer than that: the task should sleep "
                f"{BOIL_SECONDS} s."
            )
        raise Wrong(
            "hang",
            f"{stopped.shown} had not finished after {time_limit():g} s, and the REPL was "
            f"stopped.{about}",
        )
    if stopped is not None or not session.reported:
        where = f" at {stopped.named}" if stopped is not None else ""
        raise Wrong(
            "repl_exited",
            f"the REPL ended{where}, before the session was over. Leave out `exit()` and "
            "`quit()`: the check ends the session itself.",
        )


def _judge_errors(line: Typed, session: Session) -> None:
    """The first line that raised an error, with the classic causes named."""
    error = line.error()
    if error is None:
        return
    kind, said = error
    said = said.rstrip(".")
    text = f"{kind}: {said}" if said else kind
    if kind == "RuntimeError" and ("running event loop" in said or "already running" in said):
        raise Wrong(
            "nested_run",
            f"{line.shown} raised {text}. The REPL's loop is already running, as in a "
            "notebook: `await` at the prompt instead of starting another loop.",
        )
    if kind == "InvalidStateError":
        raise Wrong(
            "result_before_done",
            f"{line.shown} raised {text}: the task had not finished yet, so it had no "
            "result. `await task` waits for it to finish and gives its result.",
        )
    if kind == "AttributeError" and "'coroutine' object" in said:
        raise Wrong(
            "no_task",
            f"{line.shown} raised {text}. Your variable holds a coroutine, which does "
            "nothing until it is awaited, not a task: `asyncio.create_task(...)` starts "
            "it running in the background and returns the task.",
            suggests=_unless_typed(session, "asyncio.create_task"),
        )
    earlier = session.lines[: line.number - 1]
    if kind == "NameError":
        unkept = next((each for each in earlier if each.echo.startswith("<Task")), None)
        if unkept is not None:
            raise Wrong(
                "task_not_kept",
                f"{line.shown} raised {text}. {unkept.shown[0].upper()}{unkept.shown[1:]} "
                "started the task, but kept no reference to it (the REPL echoed the task "
                "instead): assign it, `task = asyncio.create_task(...)`.",
            )
        if not any("create_task" in each.text for each in earlier):
            raise Wrong(
                "no_task",
                f"{line.shown} raised {text}. No line before it started a task: "
                "`task = asyncio.create_task(...)` starts one in the background.",
                suggests=_unless_typed(session, "asyncio.create_task"),
            )
    if kind == "CancelledError":
        raise Wrong(
            "cancelled",
            f"{line.shown} raised CancelledError: the task was cancelled before it "
            f"could return {RESULT!r}. Let it finish, and await it.",
        )
    if kind == "TimeoutError":
        raise Wrong(
            "timed_out",
            f"{line.shown} raised TimeoutError: it gave up before the task finished (and "
            f"cancelled it). The task needs its {BOIL_SECONDS} s: `await task` waits as long "
            "as it takes.",
        )
    raise Wrong("raised", f"{line.shown} raised {text}.")


def _judge_echo(line: Typed) -> None:
    """Echoes that show a classic mistake: a coroutine object, a method not called."""
    if line.echo.startswith("<coroutine object"):
        raise Wrong(
            "forgot_await",
            f"{line.shown} made a coroutine object and never awaited it (the REPL echoed "
            f"{line.echo.split(' at 0x')[0]}>), so it never ran. At the prompt, `await` "
            "works as in a notebook: put it in front of the call.",
        )
    unawaited = re.search(r"coroutine '([\w.]+)' was never awaited", line.errors)
    if unawaited:
        raise Wrong(
            "forgot_await",
            f"a coroutine, {unawaited[1]}(...), was made but never awaited, so it never ran "
            f"(Python warned about it at {line.named}). At the prompt, `await` works as in "
            "a notebook: put it in front of the call.",
        )
    if re.match(r"<(built-in|bound) method", line.echo):
        method = re.search(r"method (\w+)", line.echo)
        name = method[1] if method else "method"
        raise Wrong(
            "not_called",
            f"{line.shown} echoed the method itself, not its answer: call it, `{name}()`.",
        )


def _judge_the_task(session: Session) -> tuple[str, str, bool, bool]:
    """A variable holds a task named kettle."""
    kettles = [task for task in session.tasks if task[1] == NAME]
    if kettles:
        return kettles[0]
    if session.tasks:
        names = sorted({task[1] for task in session.tasks})
        raise Wrong(
            "task_not_named",
            f"your session started a task, but named it {names[0]!r}, not {NAME!r}: give "
            f"`create_task` the keyword argument `name={NAME!r}`, so that the list of tasks "
            "says which one it is.",
            suggests=_unless_typed(session, "name="),
        )
    direct = next(
        (line for line in session.lines if "await" in line.text and "sleep(" in line.text),
        None,
    )
    if direct is not None:
        raise Wrong(
            "no_task",
            f"{direct.shown} awaited the sleep itself: the prompt waited for it, and "
            "nothing ran in the background. Start it as a task, `task = "
            "asyncio.create_task(...)`, see it run, then await the task.",
            suggests=_unless_typed(session, "asyncio.create_task"),
        )
    raise Wrong(
        "no_task",
        "no variable of your session holds a task: "
        f"`task = asyncio.create_task(asyncio.sleep({BOIL_SECONDS}, result={RESULT!r}), "
        f"name={NAME!r})` starts one and keeps it.",
        suggests=_unless_typed(session, "asyncio.create_task"),
    )


def _judge_awaited(session: Session, kettle: tuple[str, str, bool, bool]) -> Typed:
    """A line awaited the task and echoed its result."""
    variable, _, done, cancelled = kettle
    if cancelled:
        raise Wrong(
            "cancelled",
            f"the task {NAME!r} was cancelled before it could return {RESULT!r}. Let it "
            "finish, and await it.",
        )
    awaits = re.compile(rf"\bawait\b.*\b{re.escape(variable)}\b")
    awaited = next((line for line in session.lines if awaits.search(line.text)), None)
    if awaited is None:
        read = next(
            (line for line in session.lines if RESULT in line.echo and "result()" in line.text),
            None,
        )
        if done and read is not None:
            raise Wrong(
                "never_awaited",
                f"no line awaited the task: {read.shown} read its result after waiting "
                "for it some other way, which only works if the wait was long enough. "
                f"`await {variable}` waits exactly until it is done, and echoes its result.",
            )
        still = " It was still running when the session ended." if not done else ""
        shown = next((line for line in session.lines if line.echo.startswith("<Task")), None)
        if shown is not None:
            still += f" {shown.shown[0].upper()}{shown.shown[1:]} echoed the task object itself."
        raise Wrong(
            "never_awaited",
            f"no line awaited the task {NAME!r}, so the session never saw its result.{still} "
            f"`await {variable}` waits for it and echoes what it returned.",
        )
    if awaited.echo != repr(RESULT):
        if not awaited.echo:
            raise Wrong(
                "result_not_echoed",
                f"{awaited.shown} echoed nothing: the REPL echoes the value of an "
                f"expression, not of an assignment. Type `await {variable}` alone.",
            )
        raise Wrong(
            "wrong_value",
            f"{awaited.shown} echoed {awaited.echo}, not {RESULT!r}: the task should "
            f"sleep {BOIL_SECONDS} s and return {RESULT!r}, "
            f"`asyncio.sleep({BOIL_SECONDS}, result={RESULT!r})`.",
        )
    return awaited


def _is_done_line(line: Typed) -> bool:
    return "done()" in line.text


def _judge_seen_running(session: Session, awaited: Typed) -> Typed:
    """Before the await, ``task.done()`` echoed False."""
    before = [line for line in session.lines[: awaited.number - 1] if _is_done_line(line)]
    running = next((line for line in before if line.echo == "False"), None)
    if running is not None:
        return running
    if before:
        raise Wrong(
            "finished_too_soon",
            f"{before[0].shown} echoed {before[0].echo or 'nothing'}: the task had already "
            f"finished when you asked. Let it sleep {BOIL_SECONDS} s, and ask on the very "
            "next line, before anything else waits.",
            recheck=True,
        )
    raise Wrong(
        "not_shown_running",
        f"no line before {awaited.named} asked whether the task was done: show that it "
        "runs in the background while you type, with `task.done()` (it echoes False).",
        suggests=_unless_typed(session, "done()"),
    )


def _judge_listed(session: Session, awaited: Typed) -> Typed:
    """While the task ran, a line listed it by name with ``asyncio.all_tasks()``."""
    listings = [line for line in session.lines if "all_tasks" in line.text]
    before = [line for line in listings if line.number < awaited.number]
    found = next((line for line in before if NAME in line.echo), None)
    if found is not None:
        return found
    if not listings:
        raise Wrong(
            "not_listed",
            f"no line listed the tasks: before {awaited.named}, list the names of the "
            "unfinished tasks, `[t.get_name() for t in asyncio.all_tasks()]`.",
            suggests=_unless_typed(session, "all_tasks"),
        )
    if before:
        raise Wrong(
            "not_listed",
            f"{before[0].shown} echoed {before[0].echo or 'nothing'}, which does not name "
            f"{NAME!r}: list the names of the tasks, "
            "`[t.get_name() for t in asyncio.all_tasks()]`, while the task runs.",
            recheck=True,
        )
    raise Wrong(
        "listed_after_done",
        f"{listings[0].shown} came after the task had finished: all_tasks() lists only "
        f"unfinished tasks, so it echoed {listings[0].echo or 'nothing'}. List them while "
        f"{NAME!r} runs, before awaiting it.",
    )


def _judge_seen_done(session: Session, awaited: Typed) -> Typed:
    """After the await, ``task.done()`` echoed True."""
    after = [line for line in session.lines[awaited.number :] if _is_done_line(line)]
    done = next((line for line in after if line.echo == "True"), None)
    if done is None:
        raise Wrong(
            "not_shown_done",
            f"no line after {awaited.named} showed that the task is done now: ask "
            "`task.done()` again (it echoes True).",
        )
    return done


def _what_it_showed(
    session: Session, running: Typed, listed: Typed, awaited: Typed, done: Typed
) -> str:
    """The "correct" message: what each line echoed, the same on every Python."""
    listing = f" ({listed.echo})" if len(listed.echo) <= 40 and "<" not in listed.echo else ""
    return (
        f"python -m asyncio ran your {len(session.lines)} lines. At {running.shown} the REPL "
        "echoed False: the task was running in the background while you typed. At "
        f"{listed.shown} all_tasks() named it while it ran{listing}. At {awaited.shown} the "
        f"prompt waited for it and echoed {awaited.echo}, and {done.named} then echoed True. "
        "(On Python 3.14 and newer, `asyncio.print_call_graph(task)` at the prompt would "
        "also have shown where it waited.)"
    )


ex6 = Exercise(
    title="A session at the asyncio REPL",
    answer="repl_session",
    checker=check_repl_session,
    hints=[
        "At the prompt the loop is already running, and `await` works as in a notebook: "
        "no `asyncio.run`, no `time.sleep`. A task started on one line goes on running "
        "while the next lines are read.",
        "The names of the unfinished tasks: `[t.get_name() for t in asyncio.all_tasks()]`. "
        "Type it before `await task`: a finished task is no longer listed.",
        "Five lines: `task = asyncio.create_task(asyncio.sleep(1, result='boiled'), "
        "name='kettle')`, `task.done()`, the names of the tasks, `await task`, and "
        "`task.done()` again.",
    ],
)
