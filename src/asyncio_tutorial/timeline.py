"""Task timelines: see when each task ran, waited and finished.

Wrap awaited code in ``timeline()`` and, when the block ends, a chart shows one row per
task, in columns of a tenth of a second::

    async with timeline():
        await asyncio.gather(download("a", 0.3), download("b", 0.5))

prints::

    time (s)     0.0       0.5
    main         ──────────
    download     ──────
    download #2  ──────────
    ██ running  ── waiting  ✗ cancelled  ! raised

Nothing in the block changes: it runs on the same event loop, its tasks are the same
kind of tasks, and its results, exceptions and cancellations come out unchanged.

Reading the chart
-----------------
* One row per task started inside the block, directly or by another such task, in the
  order they were created.  A row is named after the task if you gave it a name
  (``create_task(..., name="fetch")``), otherwise after its coroutine function
  (``download``).  Rows that would share a name are numbered: ``download #2``.
* The first row, ``main``, is the code written inside the ``async with`` block itself.
* ``██`` the task held the loop: its own code was running, so nothing else could.
  ``──`` the task existed but was waiting (for a sleep, for I/O, for another task, or
  for its turn while someone else held the loop).  Blank: not started yet, or finished.
* ``✗`` marks where a task was cancelled, ``!`` where it ended with an exception; the end
  of the row says so in words too (``cancelled``, ``raised ValueError``), as it does for
  a task still running when the block ended (``still running``).

When the block ends with an exception (or is cancelled) the chart is printed all the
same, since that is when it helps most, and the exception then carries on unchanged.

Why the chart is the same on every run
--------------------------------------
The chart is recorded in the lessons and compared on every validation run, so it must
not depend on how busy the machine is.  Work in a program only ever ends *after* the
moment it was scheduled for: ``await asyncio.sleep(0.3)`` resumes at 0.3 s plus a
little, a few milliseconds on a quiet laptop, tens of milliseconds on a loaded CI
runner.  Each rule below has half a column (50 ms) of slack in exactly that direction:

* **Started, waiting, finished** are read at the *middle* of each column (0.05 s,
  0.15 s, …).  A task that ends at 0.3 s plus up to 50 ms is over at 0.35 s, so the
  column 0.3–0.4 s shows it finished, however late it was within that margin.
* **Running** (``██``) means the task held the loop for *more than half* of the column.
  A task that blocks the loop with ``time.sleep(0.3)`` fills three columns exactly,
  while the few microseconds a task takes to start, print a line and await something
  never add up to 50 ms, so they do not show.
* **Number of columns**: the block's duration, cut down to a tenth of a second (with
  5 ms allowance for a block ending a hair early), so a block of 0.5 s plus up to
  95 ms of lateness has five columns.

So a chart is reproducible when the program's waits and its blocking work last whole
tenths of a second, which is what the lessons use.  Work sliced finer than that (two
tasks taking turns every 20 ms) is real, but a chart at this resolution cannot show it
the same way twice.

How it works
------------
While the block runs, the loop gets a *task factory* (``loop.set_task_factory``): every
task created from the block is created as usual, by the factory the loop had before,
but its coroutine is wrapped in :class:`TimedCoroutine`, which notes the start and end
of each step the task takes (each time the loop resumes it).  The factory the loop had
before (usually ``None``) is put back when the block ends, however it ends.

The block's own code runs in the task that was already running, which cannot be
wrapped after the fact.  A small watcher thread looks, 500 times a second, whether
that task's coroutine is running (``cr_running``) while no recorded task is: that is
the ``main`` row.  It measures to a few milliseconds, plenty for 0.1 s columns.

Only tasks are rows.  ``await download(...)`` without a task runs inside the task that
awaits it, so it shows as part of that task's row: a picture of the difference between
awaiting a coroutine and creating a task.  For the same reason the chart of
``asyncio.wait_for`` differs between versions: up to Python 3.11 it runs the coroutine
in a task of its own (a row), from 3.12 on in the task that awaits it (no row).

Inside the block, ``task.get_coro()`` returns the :class:`TimedCoroutine` around the
coroutine; it prints, and tracebacks read, as the coroutine itself would.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import io
import math
import sys
import threading
import time
import weakref
from collections.abc import Coroutine, Generator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from asyncio_tutorial.stamps import StampedStream

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RESOLUTION = 0.1
"""Seconds per column of the chart."""

EARLY_ALLOWANCE = 0.005
"""A block ending this much before a whole tenth still gets that tenth's column."""

WATCH_INTERVAL = 0.002
"""How often the watcher thread looks whether the block's own code is running."""

CELL = {
    "running": "██",
    "waiting": "──",
    "blank": "  ",
    "cancelled": "✗ ",
    "failed": "! ",
}
"""What one column of a row looks like, two characters wide."""

LEGEND = "██ running  ── waiting  ✗ cancelled  ! raised"

# The timelines recording in the current context.  Tasks inherit a copy of the context
# of the code that creates them, so a task created by the block, or by a task the block
# created, sees the timeline here; tasks the kernel starts for its own purposes do not.
_recording: contextvars.ContextVar[tuple[timeline, ...]] = contextvars.ContextVar(
    "asyncio_tutorial_timelines", default=()
)


@dataclass
class Row:
    """What the timeline saw of one task (or of the block's own code, the first row).

    Times are seconds since the block started.
    """

    name: str
    """The name shown in the chart."""
    created: float
    """When the task was created."""
    ended: float | None = None
    """When its coroutine finished (returned, raised or was cancelled); ``None`` if not."""
    outcome: str = "pending"
    """``"done"``, ``"cancelled"``, ``"failed"`` or ``"pending"`` (still running)."""
    error: BaseException | None = None
    """The exception it ended with, when ``outcome`` is ``"failed"``."""
    steps: list[tuple[float, float]] = field(default_factory=list)
    """The ``(start, end)`` of each stretch of time its code held the loop."""
    function: str = ""
    """The name of its coroutine function, e.g. ``download``."""

    def running_time(self, start: float, end: float) -> float:
        """How long, between ``start`` and ``end``, this task held the loop."""
        total = 0.0
        for step_start, step_end in self.steps:
            total += max(0.0, min(step_end, end) - max(step_start, start))
        return total

    def note(self) -> str:
        """The words at the end of the chart row: how the task ended, if unusual."""
        if self.outcome == "cancelled":
            return "cancelled"
        if self.outcome == "failed":
            return f"raised {type(self.error).__name__}"
        if self.outcome == "pending":
            return "still running"
        return ""


class TimedCoroutine(Coroutine[Any, Any, Any]):
    """A coroutine that runs another one and notes when each of its steps ran.

    A task drives its coroutine with ``send`` (resume it) and ``throw`` (resume it by
    raising an exception in it, for example ``CancelledError``).  Each call is one step:
    this class times it and records how the coroutine ended.  Everything else is passed
    through, so the task, its ``repr`` and its stack look the same as without a timeline.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any], row: Row, recorder: timeline) -> None:
        self.coro = coro
        self.row = row
        self.recorder = recorder
        self.task: weakref.ref[asyncio.Task[Any]] | None = None
        self.default_name = ""
        # Read by asyncio to describe the task; a class cannot compute these.
        self.__name__ = getattr(coro, "__name__", type(coro).__name__)
        self.__qualname__ = getattr(coro, "__qualname__", self.__name__)

    def send(self, value: Any) -> Any:
        started = self._step_starts()
        try:
            result = self.coro.send(value)
        except BaseException as error:
            self._step_ends(started, error)
            raise
        self._step_ends(started, None)
        return result

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        started = self._step_starts()
        try:
            # Tasks pass just the exception; forwarding only what we were given
            # avoids the deprecation warning the three-argument form gives from 3.12.
            if val is None and tb is None:
                result = self.coro.throw(typ)
            else:
                result = self.coro.throw(typ, val, tb)
        except BaseException as error:
            self._step_ends(started, error)
            raise
        self._step_ends(started, None)
        return result

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        # Only tasks drive this object, through send and throw; awaiting it directly
        # simply awaits the coroutine inside, untimed.
        return self.coro.__await__()

    def _step_starts(self) -> float:
        self._repair_name()
        self.recorder.steps_running += 1
        return self.recorder.now()

    def _step_ends(self, started: float, error: BaseException | None) -> None:
        """Record the step; ``error`` is what the coroutine raised, if it raised."""
        recorder = self.recorder
        ended = recorder.now()
        recorder.steps_running -= 1
        if error is not None:
            # The traceback starts with the line of send or throw that called the
            # coroutine.  Drop it, so that a task's traceback reads as it would without
            # a timeline (a bare ``raise`` then passes the exception on as it is).
            traceback = error.__traceback__
            if traceback is not None and traceback.tb_frame.f_code in _STEP_CODE:
                error.__traceback__ = traceback.tb_next
        if not recorder.recording:
            return
        self.row.steps.append((started, ended))
        if error is None:
            return  # the coroutine is suspended: the task goes on
        self.row.ended = ended
        if isinstance(error, StopIteration):
            self.row.outcome = "done"
        elif isinstance(error, asyncio.CancelledError):
            self.row.outcome = "cancelled"
        else:
            self.row.outcome, self.row.error = "failed", error
        task = self.task() if self.task is not None else None
        if task is not None:  # the task may be gone by the time the block ends
            self.row.name = _row_name(task, self.row)

    def _repair_name(self) -> None:
        # Python 3.13.0 names every task "None" when the loop has a task factory and
        # the task was created without a name.  Give such a task back its usual name.
        task = self.task() if self.task is not None else None
        if task is not None and task.get_name() == "None" and self.default_name:
            task.set_name(self.default_name)

    # What asyncio and debuggers read from a coroutine, passed through.
    @property
    def cr_running(self) -> bool:
        return bool(getattr(self.coro, "cr_running", False))

    @property
    def cr_frame(self) -> Any:
        return getattr(self.coro, "cr_frame", None)

    @property
    def cr_code(self) -> Any:
        return getattr(self.coro, "cr_code", None)

    @property
    def cr_await(self) -> Any:
        return getattr(self.coro, "cr_await", None)

    @property
    def cr_suspended(self) -> bool:
        return bool(getattr(self.coro, "cr_suspended", False))

    def __repr__(self) -> str:
        return repr(self.coro)


_STEP_CODE = (TimedCoroutine.send.__code__, TimedCoroutine.throw.__code__)


class timeline:  # noqa: N801 - used like a function: ``async with timeline():``
    """Record which tasks run when inside an ``async with`` block, then chart it.

    Parameters
    ----------
    figure:
        Also draw the timeline as a matplotlib figure when the block ends, shown in
        the notebook below the chart (needs ``pip install matplotlib``).
    name:
        The name of the first row, the block's own code.
    file:
        Where to print the chart (default ``sys.stdout``, looked up when the block
        ends).  In a lesson the chart carries no timing stamps: it is a picture of the
        whole block, not a line printed at one moment.
    show:
        ``False`` records without printing; read ``.chart()`` or ``.rows`` afterwards.

    The object bound by ``as`` keeps what was recorded: ``.rows`` (a :class:`Row` per
    task, the block's own code first), ``.duration``, ``.columns``, ``.chart()``,
    ``.bar(row)`` and ``.figure()``.  A timeline records one block; it can be used
    inside another one.
    """

    def __init__(
        self,
        *,
        figure: bool = False,
        name: str = "main",
        file: TextIO | None = None,
        show: bool = True,
    ) -> None:
        self.draw_figure = figure
        self.name = name
        self.file = file
        self.show = show
        self.rows: list[Row] = []
        self.duration = 0.0
        self.recording = False
        self.steps_running = 0
        self._started_at = 0.0
        self._tasks: list[weakref.ref[asyncio.Task[Any]] | None] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_factory: Any = None
        self._token: contextvars.Token[tuple[timeline, ...]] | None = None
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()

    def now(self) -> float:
        """Seconds since the block started."""
        return time.monotonic() - self._started_at

    @property
    def columns(self) -> int:
        """How many 0.1 s columns the chart has: the duration, cut down to a tenth."""
        return max(1, math.floor((self.duration + EARLY_ALLOWANCE) / RESOLUTION))

    # -- recording -------------------------------------------------------------------

    async def __aenter__(self) -> timeline:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._previous_factory = loop.get_task_factory()
        self.rows = [Row(self.name, 0.0)]
        self._tasks = [None]
        self.steps_running = 0
        self.recording = False
        self._token = _recording.set((*_recording.get(), self))
        loop.set_task_factory(self._create_task)
        current = asyncio.current_task()
        block_coroutine = current.get_coro() if current is not None else None
        if block_coroutine is not None and hasattr(block_coroutine, "cr_running"):
            self._stop_watching.clear()
            self._watcher = threading.Thread(
                target=self._watch_block,
                args=(block_coroutine,),
                name="timeline-watcher",
                daemon=True,
            )
            self._watcher.start()
        # The clock starts last: starting a thread can take a while on a busy machine,
        # and that time belongs to no one's row.
        self._started_at = time.monotonic()
        self.recording = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._stop()
            main = self.rows[0]
            if exc is None:
                main.outcome = "done"
            elif isinstance(exc, asyncio.CancelledError):
                main.outcome = "cancelled"
            else:
                main.outcome, main.error = "failed", exc
        finally:
            if self._loop is not None:
                self._loop.set_task_factory(self._previous_factory)
            if self._token is not None:
                _recording.reset(self._token)
                self._token = None
        if self.show:
            self._print(self.chart())
        if self.draw_figure:
            self.show_figure()

    def _stop(self) -> None:
        """Stop recording: the duration is fixed, every row gets its final name."""
        self.duration = self.now()
        self.recording = False
        self._stop_watching.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        self.rows[0].ended = self.duration
        for row, task_ref in zip(self.rows, self._tasks, strict=True):
            task = task_ref() if task_ref is not None else None
            if task is None:
                continue
            row.name = _row_name(task, row)
            # A task cancelled just as its coroutine returned counts as cancelled.
            if task.done() and task.cancelled():
                row.outcome = "cancelled"
        _number_repeated_names(self.rows)

    def _create_task(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        """The task factory in place during the block."""
        if self not in _recording.get() or not self.recording or not asyncio.iscoroutine(coro):
            return self._previous_create_task(loop, coro, **kwargs)
        function = _coroutine_name(coro)
        row = Row(function, self.now(), function=function)
        self.rows.append(row)
        self._tasks.append(None)
        timed = TimedCoroutine(coro, row, self)
        # With an eager task factory (Python 3.12+) the first step runs right here,
        # before the task is returned: the row is ready for it.
        task = self._previous_create_task(loop, timed, **kwargs)
        if isinstance(task, asyncio.Task):
            timed.task = weakref.ref(task)
            timed.default_name = task.get_name()
            self._tasks[-1] = weakref.ref(task)
        return task

    def _previous_create_task(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        if self._previous_factory is None:
            return asyncio.Task(coro, loop=loop, **kwargs)
        return self._previous_factory(loop, coro, **kwargs)

    def _watch_block(self, coro: Any) -> None:
        """Runs in the watcher thread: note when the block's own code holds the loop."""
        main = self.rows[0]
        running_since: float | None = None
        while not self._stop_watching.wait(WATCH_INTERVAL):
            if not self.recording:
                continue
            # A recorded task can run *inside* the block's step (an eager task's first
            # step does): that time is the task's, not the block's.
            running = coro.cr_running and self.steps_running == 0
            if running and running_since is None:
                running_since = self.now()
            elif not running and running_since is not None:
                main.steps.append((running_since, self.now()))
                running_since = None
        if running_since is not None:
            main.steps.append((running_since, self.now()))

    # -- the chart -------------------------------------------------------------------

    def cells(self, row: Row) -> list[str]:
        """The state of ``row`` in each column, as keys of ``CELL``.

        The rules, and why they make the chart reproducible, are in the module's
        documentation.
        """
        states = []
        end_marked = False
        for column in range(self.columns):
            start = column * RESOLUTION
            middle = start + RESOLUTION / 2
            if row.created > middle:
                states.append("blank")
            elif row.ended is not None and row.ended <= middle and row is not self.rows[0]:
                if not end_marked and row.outcome in ("cancelled", "failed"):
                    states.append(row.outcome)
                else:
                    states.append("blank")
                end_marked = True
            elif row.running_time(start, start + RESOLUTION) > RESOLUTION / 2:
                states.append("running")
            else:
                states.append("waiting")
        return states

    def bar(self, row: Row) -> str:
        """The row's columns as they appear in the chart."""
        return "".join(CELL[state] for state in self.cells(row))

    def chart(self) -> str:
        """The text chart: a time axis, one line per row, and the legend."""
        width = max(len("time (s)"), *(len(row.name) for row in self.rows))
        # A label every half second, at the left edge of its column; the last one
        # may stand just past the last column, where the block ended.
        axis = ""
        for column in range(0, self.columns + 1, 5):
            axis += f"{column * RESOLUTION:.1f}".ljust(5 * len(CELL["blank"]))
        lines = [f"{'time (s)':<{width}}  {axis}".rstrip()]
        for row in self.rows:
            lines.append(f"{row.name:<{width}}  {self.bar(row)}  {row.note()}".rstrip())
        lines.append(LEGEND)
        return "\n".join(lines)

    def _print(self, text: str) -> None:
        file = self.file or sys.stdout
        if isinstance(file, StampedStream) and file.active:
            file = file.stream  # the chart describes the whole block: no stamp
        print(text, file=file)

    # -- the figure ------------------------------------------------------------------

    def figure(self) -> Figure:
        """Draw the timeline as a matplotlib figure and return it.

        Each row is a thin bar while the task waits and a thick one while it runs;
        ``x`` marks a cancellation, ``X`` an exception.  The figure is drawn at the
        recorded times, not rounded to columns.  It is not tied to ``pyplot``: save it
        with ``.savefig("timeline.png")``, or show it with :meth:`show_figure`.
        """
        try:
            from matplotlib.figure import Figure
            from matplotlib.lines import Line2D
            from matplotlib.patches import Patch
        except ImportError:
            raise ImportError(
                "Drawing a timeline needs matplotlib: run `pip install matplotlib` "
                "(or `pip install asyncio-tutorial[figures]`), then restart the kernel."
            ) from None
        end = max(self.duration, RESOLUTION)
        fig = Figure(figsize=(8, 0.5 + 0.45 * len(self.rows)), layout="constrained")
        ax = fig.add_subplot()
        for y, row in enumerate(self.rows):
            ended = row.ended if row.ended is not None else end
            ax.broken_barh([(row.created, ended - row.created)], (y - 0.1, 0.2), color="0.7")
            runs = [(start, stop - start) for start, stop in row.steps]
            ax.broken_barh(runs, (y - 0.35, 0.7), color="tab:blue")
            if row.outcome == "cancelled" and row is not self.rows[0]:
                ax.plot([ended], [y], marker="x", color="tab:orange", markersize=10)
            elif row.outcome == "failed" and row is not self.rows[0]:
                ax.plot([ended], [y], marker="X", color="tab:red", markersize=10)
        ax.set_yticks(range(len(self.rows)), [row.name for row in self.rows])
        ax.invert_yaxis()
        ax.set_xlim(-0.01 * end, 1.03 * end)  # room for a mark at either edge
        ax.legend(
            handles=[
                Patch(color="tab:blue", label="running"),
                Patch(color="0.7", label="waiting"),
                Line2D([], [], marker="x", color="tab:orange", linestyle="", label="cancelled"),
                Line2D([], [], marker="X", color="tab:red", linestyle="", label="raised"),
            ],
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
        )
        ax.set_xlabel("time (s)")
        ax.grid(axis="x", alpha=0.3)
        return fig

    def show_figure(self) -> None:
        """Show :meth:`figure` in the notebook, below the cell's other output.

        Outside IPython this does nothing: use ``.figure().savefig(...)`` there.
        """
        figure = self.figure()
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        # An explicit PNG (rather than the figure object) shows whether or not
        # matplotlib's notebook support is switched on, and the text that goes with
        # it is the same on every run, for notebook validation.
        names = ", ".join(row.name for row in self.rows)
        bundle = {"image/png": _figure_as_png(figure), "text/plain": f"<timeline: {names}>"}
        display(bundle, raw=True)


def _coroutine_name(coro: Any) -> str:
    """``download`` for a coroutine of ``async def download``, even a nested one."""
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return name.rpartition("<locals>.")[2]


def _row_name(task: asyncio.Task[Any], row: Row) -> str:
    """The task's own name if someone gave it one, else its coroutine function's."""
    # (Not ``task.get_coro()``: Python 3.12.1 crashes on it for an eager task that
    # finished inside ``create_task``.)
    name = task.get_name()
    default = name == "None" or (name.startswith("Task-") and name[5:].isdigit())
    return row.function if default else name


def _number_repeated_names(rows: list[Row]) -> None:
    """Rows sharing a name become ``download``, ``download #2``, … in creation order."""
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.name] = seen.get(row.name, 0) + 1
        if seen[row.name] > 1:
            row.name = f"{row.name} #{seen[row.name]}"


def _figure_as_png(figure: Figure) -> str:
    """The figure as a base64-encoded PNG, the way notebooks store images."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
