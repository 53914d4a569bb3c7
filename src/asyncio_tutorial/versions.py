"""What changed in which Python release: the facts the lessons rely on, in one place.

``asyncio`` keeps changing, and not only in new minor versions: patch releases change it
too.  ``loop.create_task(coro, eager_start=True)`` is refused by Python 3.13.0 and
accepted by 3.13.3, so "Python 3.13" alone does not say what a learner's interpreter
does.  Each :class:`Change` here is therefore keyed on the *exact release* where the
behaviour changed, taken from that version's changelog or "What's New", which
``source`` names::

    >>> from asyncio_tutorial import versions
    >>> versions.has("TaskGroup.cancel", (3, 14, 10))
    False
    >>> versions.has("TaskGroup.cancel", (3, 15, 0))
    True

How the lessons use it.  A lesson's recorded output must be the same on every Python
from 3.11.0 to 3.15.x, yet a feature should run for real where the interpreter has it.
So a cell that uses a version-dependent feature asks Python itself (``hasattr``,
``sys.version_info``), uses the feature where it is there and the older way elsewhere,
and prints only what holds on every version.  The cell after it calls :func:`report`,
which says plainly what *this* interpreter has; its output is the one thing that differs
between Pythons, so it is the one cell validation does not compare (it carries the
``nbval-ignore-output`` tag).  Whether each Python behaves as the table says is checked
out of the learner's way, by ``tests/library/test_versions.py``, which tries every
feature a lesson reports (and runs the lessons' programs allowed to fail) on every
Python; a hygiene test holds the lessons to that.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

Release = tuple[int, int, int]


@dataclass(frozen=True)
class Change:
    """One change of behaviour, and the first release that has it."""

    key: str
    """How lessons and checkers name it, e.g. ``"TaskGroup.cancel"``."""
    since: Release
    """The first release with the new behaviour, e.g. ``(3, 13, 3)``."""
    summary: str
    """What a release from ``since`` on does, in a few words."""
    source: str
    """Where this was checked: the changelog entry or "What's New" section."""
    before: str = ""
    """What earlier releases do instead, when that is worth saying."""

    @property
    def since_text(self) -> str:
        """``"3.13.3"``, or ``"3.15"`` for a change that came with a new version."""
        major, minor, micro = self.since
        return f"{major}.{minor}" if micro == 0 else f"{major}.{minor}.{micro}"


CHANGES: dict[str, Change] = {}


def _add(change: Change) -> None:
    if change.key in CHANGES:
        raise ValueError(f"{change.key} is in the table twice")
    CHANGES[change.key] = change


def this_release() -> Release:
    """The running interpreter's release, e.g. ``(3, 13, 18)``."""
    return sys.version_info[:3]  # type: ignore[return-value]


def has(key: str, release: Release | None = None) -> bool:
    """Whether ``release`` (default: this interpreter) has the change named ``key``."""
    try:
        change = CHANGES[key]
    except KeyError:
        raise KeyError(f"no change named {key!r}; the table has {sorted(CHANGES)}") from None
    return (release or this_release()) >= change.since


def describe(key: str, release: Release | None = None) -> str:
    """One plain sentence on what ``release`` (default: this interpreter) does about ``key``.

    >>> describe("TaskGroup.cancel", (3, 15, 0))[:60]
    'yes: TaskGroup.cancel() stops a task group early, without an'
    >>> describe("TaskGroup.cancel", (3, 13, 0))[:42]
    'not in this Python: TaskGroup.cancel() sto'
    """
    change = CHANGES[key]
    new_in = f"new in {change.since_text}; {change.source}"
    if has(key, release):
        return f"yes: {change.summary} ({new_in})."
    before = f" Here, {change.before}." if change.before else ""
    return f"not in this Python: {change.summary} ({new_in}).{before}"


def report(*keys: str) -> None:
    """Print, for this interpreter, what it does about each change in ``keys``.

    Used in the one cell after a version-dependent example, which validation does not
    compare: it is the only output that may differ from one Python to another.
    """
    build = " (free-threaded build)" if _free_threaded() else ""
    print(f"This notebook runs Python {platform.python_version()}{build}.")
    for key in keys:
        print("- " + describe(key))


def _free_threaded() -> bool:
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return is_gil_enabled is not None and not is_gil_enabled()


# --- Lesson 02: the event loop ----------------------------------------------------------

_add(
    Change(
        "get_event_loop silent",
        since=(3, 11, 2),
        summary="asyncio.get_event_loop() with no loop in the main thread makes one silently",
        source="changelog 3.11.2, gh-100160: the 3.11.0 and 3.11.1 deprecation warnings "
        "were removed again",
        before="it makes a loop and warns DeprecationWarning",
    )
)
_add(
    Change(
        "get_event_loop warns",
        since=(3, 12, 0),
        summary="asyncio.get_event_loop() with no loop in the main thread makes one and "
        "warns DeprecationWarning: There is no current event loop",
        source="changelog 3.12.0a5, gh-100160",
    )
)
_add(
    Change(
        "get_event_loop raises",
        since=(3, 14, 0),
        summary="asyncio.get_event_loop() with no current loop raises RuntimeError",
        source="What's New in Python 3.14, asyncio, gh-126353",
    )
)
_add(
    Change(
        "event loop policies deprecated",
        since=(3, 14, 0),
        summary="the event loop policy system (get_event_loop_policy, "
        "set_event_loop_policy, the policy classes) is deprecated, removal planned for 3.16",
        source="What's New in Python 3.14, asyncio, gh-127949",
    )
)

# --- Lesson 03: tasks -------------------------------------------------------------------

_add(
    Change(
        "eager_task_factory",
        since=(3, 12, 0),
        summary="asyncio.eager_task_factory runs a task's first step inside create_task",
        source="What's New in Python 3.12, asyncio, gh-97696",
    )
)
_add(
    Change(
        "loop.create_task eager_start",
        since=(3, 13, 3),
        summary="loop.create_task(coro, eager_start=True) starts one task eagerly "
        "(extra keyword arguments pass through to the Task, or to a custom task factory, "
        "which must pass them on)",
        source="changelog 3.13.3, gh-128308; asyncio-eventloop docs, 'Changed in 3.13.3'",
        before="loop.create_task() refuses eager_start with TypeError",
    )
)
_add(
    Change(
        "asyncio.create_task eager_start",
        since=(3, 14, 0),
        summary="asyncio.create_task(coro, eager_start=True) starts one task eagerly",
        source="asyncio-task docs 3.14: 'Changed in version 3.14: Added the eager_start "
        "parameter'; changelog 3.14.0b1, gh-128307",
        before="asyncio.create_task() refuses eager_start with TypeError",
    )
)
_add(
    Change(
        "as_completed async for",
        since=(3, 13, 0),
        summary="asyncio.as_completed() also works with `async for`, giving the tasks themselves",
        source="What's New in Python 3.13, asyncio, gh-77714",
        before="as_completed() is a plain iterator of awaitables",
    )
)
_add(
    Change(
        "TaskGroup.cancel",
        since=(3, 15, 0),
        summary="TaskGroup.cancel() stops a task group early, without an error",
        source="What's New in Python 3.15, asyncio, gh-127214",
        before="stopping a group early takes a task that raises an exception of your own, "
        "caught outside the group",
    )
)
_add(
    Change(
        "dict key error wording",
        since=(3, 14, 0),
        summary="a list used as a dict key raises TypeError: cannot use 'list' as a dict "
        "key (unhashable type: 'list')",
        source="measured on 3.14.10 and 3.15.2; 3.13.18 says unhashable type: 'list'",
        before="it raises TypeError: unhashable type: 'list'",
    )
)

# --- Lesson 06: synchronization and queues ---------------------------------------------

_add(
    Change(
        "Queue.shutdown",
        since=(3, 13, 0),
        summary="asyncio.Queue.shutdown() closes a queue: put() then raises "
        "asyncio.QueueShutDown, and get() does too once the queue is empty, so workers "
        "stop without sentinels",
        source="What's New in Python 3.13, asyncio, gh-104228 (changelog 3.13.0a4, gh-96471)",
        before="a worker pool stops with a sentinel per worker, or by cancelling the "
        "workers once queue.join() has returned",
    )
)

# --- Lesson 07: concurrency versus parallelism -----------------------------------------

_add(
    Change(
        "forkserver default",
        since=(3, 14, 0),
        summary="on Linux, multiprocessing and ProcessPoolExecutor start workers with "
        "'forkserver' by default: a fresh process that imports what it runs, so a "
        "function defined in a notebook cell cannot be found there",
        source="What's New in Python 3.14, concurrent.futures and multiprocessing, "
        "gh-84559; measured: 3.13.18 'fork', 3.14.10 and 3.15.2 'forkserver'",
        before="the default is 'fork': each worker is a copy of the notebook's process, "
        "functions defined in cells included",
    )
)
_add(
    Change(
        "InterpreterPoolExecutor",
        since=(3, 14, 0),
        summary="concurrent.futures.InterpreterPoolExecutor runs calls in other "
        "interpreters of this process, each with its own GIL, so they compute in parallel",
        source="What's New in Python 3.14, concurrent.futures, gh-124548",
        before="for Python code that computes in parallel, use ProcessPoolExecutor",
    )
)

# --- Lesson 04: futures -----------------------------------------------------------------

_add(
    Change(
        "not awaitable wording",
        since=(3, 14, 0),
        summary="awaiting an object that cannot be awaited raises "
        "TypeError: 'Future' object can't be awaited",
        source="changelog 3.14.0a1, gh-114091; measured on 3.13.18 (old wording), "
        "3.14.10 and 3.15.2 (new wording)",
        before="the TypeError says: object Future can't be used in 'await' expression",
    )
)

# --- Lesson 10: debugging and testing ---------------------------------------------------

# Both checked by running them: present on 3.14.10 and 3.15.2; on 3.11.7, 3.12.1, 3.13.0
# and 3.13.18 `python -m asyncio ps PID` ignores "ps PID" and starts the asyncio REPL.
_add(
    Change(
        "asyncio call graph",
        since=(3, 14, 0),
        summary="asyncio.capture_call_graph(), format_call_graph() and print_call_graph() "
        "show the chain of awaits a task is suspended in, and the tasks that await it",
        source="What's New in Python 3.14, asyncio, gh-91048",
        before="follow each coroutine's cr_await by hand",
    )
)
_add(
    Change(
        "asyncio ps",
        since=(3, 14, 0),
        summary="python -m asyncio ps PID and python -m asyncio pstree PID show the tasks "
        "of another running Python process and what each one awaits",
        source="What's New in Python 3.14, 'Asyncio introspection capabilities', gh-91048",
        before="python -m asyncio ignores the extra words and starts the asyncio REPL",
    )
)

# --- Lesson 05: asynchronous I/O --------------------------------------------------------

_add(
    Change(
        "Server.wait_closed waits for connections",
        since=(3, 12, 0),
        summary="after server.close(), await server.wait_closed() waits until every "
        "connection the server accepted has ended",
        source="asyncio-eventloop docs 3.13, Server.wait_closed: 'Changed in version 3.12'; "
        "changelog 3.12.0a3 and 3.13.0a2, gh-79033; measured: 3.11.7 returns at once, "
        "3.12.1, 3.13.0 and 3.15.2 wait",
        before="it returns as soon as the server is closed, even with connections still open",
    )
)
_add(
    Change(
        "Server.close_clients",
        since=(3, 13, 0),
        summary="server.close_clients() and server.abort_clients() close the connections "
        "a server has accepted",
        source="What's New in Python 3.13, asyncio, gh-113538",
        before="the server closes each connection's writer itself, so it keeps them",
    )
)

# --- Lesson 09: async iterators and context managers ------------------------------------

_add(
    Change(
        "async generator methods warn when never awaited",
        since=(3, 13, 0),
        summary="an async generator's aclose(), asend() or athrow() that is never awaited "
        "gives RuntimeWarning: coroutine method 'aclose' of ... was never awaited",
        source="changelog 3.13.0a1, gh-89091; measured: silent on 3.11.7 and 3.12.1, warns "
        "on 3.13.0, 3.13.18, 3.14.10 and 3.15.2",
        before="a forgotten `await` on aclose() passes silently, and the generator stays open",
    )
)
