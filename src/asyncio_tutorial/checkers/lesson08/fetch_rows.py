"""Exercise 6, ``fetch_rows``: a deadline is a cancellation, and cleanup still runs.

``Pool`` is the workbook's pretend pool of database connections.  Each scenario runs
``fetch_rows`` as a task (:func:`~.scenario.watch_answer`), against a fresh pool, and
notes at the very moment ``fetch_rows`` ended how every query stood (finished, failed,
cancelled, still running, or cancelled but not yet stopped), whether the wait for a
connection was cancelled, and how many connections had not gone back to the pool; then
how ``fetch_rows`` ended: returned, raised or cancelled.  The deadline the answer set is
read from the waits it asked the loop for (``Outcome.waits``), exactly.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    raised,
    seconds,
    took,
)
from asyncio_tutorial.checkers.scenario import Ending, names_used, watch_answer

QUERIES: dict[str, tuple[float, list[str] | None]] = {
    "recent orders": (0.2, ["order 41", "order 42"]),
    "all orders": (1.5, [f"order {number}" for number in range(1, 43)]),
    "bad sql": (0.1, None),  # raises ValueError
}
"""How long ``conn.query(sql)`` takes for each query, and the rows it returns."""

ACQUIRE = 0.1  # seconds to get a connection from the pool
BUSY = 1.0  # ...when every connection is in use (``Pool(busy=True)``)


class Pool:
    """A pretend pool of database connections.

    ``conn = await pool.acquire()`` hands out a connection after 0.1 s (after 1.0 s with
    ``Pool(busy=True)``, whose connections are all in use).  ``await conn.query(sql)``
    returns the rows: ``"recent orders"`` takes 0.2 s and ``"all orders"`` 1.5 s;
    ``"bad sql"`` raises ``ValueError`` after 0.1 s.  ``pool.release(conn)`` (not
    awaited) gives the connection back; ``pool.in_use`` counts those not given back.
    """

    def __init__(self, busy: bool = False) -> None:
        self.busy = busy
        self.in_use = 0
        self.connections: list[PooledConnection] = []
        self.acquire_cancelled = False

    async def acquire(self) -> PooledConnection:
        try:
            await asyncio.sleep(BUSY if self.busy else ACQUIRE)
        except asyncio.CancelledError:
            self.acquire_cancelled = True
            raise
        conn = PooledConnection(self)
        self.connections.append(conn)
        self.in_use += 1
        return conn

    def release(self, conn: PooledConnection) -> None:
        if inspect.iscoroutine(conn):
            conn.close()
            raise TypeError(
                "release() takes a connection, not a coroutine object: `await pool.acquire()`"
            )
        if not isinstance(conn, PooledConnection) or conn.pool is not self:
            raise ValueError(f"release() takes a connection from this pool, not {conn!r}")
        if conn.released:
            raise ValueError("release(): this connection was given back already")
        conn.released = True
        self.in_use -= 1

    def __repr__(self) -> str:
        return f"<Pool: {self.in_use} connection(s) in use>"


class PooledConnection:
    """A connection handed out by :class:`Pool`: ``await conn.query(sql)``."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.released = False
        self.state = "idle"  # then running, and done, failed or cancelled
        self.task: asyncio.Task[Any] | None = None

    async def query(self, sql: str) -> list[str]:
        if self.released:
            raise RuntimeError("query() on a connection given back to the pool")
        delay, rows = QUERIES.get(sql, (0.2, []))
        self.state = "running"
        self.task = asyncio.current_task()
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.state = "cancelled"
            raise
        finally:
            self.task = None
        if rows is None:
            self.state = "failed"
            raise ValueError(f"syntax error in {sql!r}")
        self.state = "done"
        return list(rows)

    def __repr__(self) -> str:
        return f"<PooledConnection {self.state}>"


@dataclass
class _AtTheEnd:
    """How things stood when fetch_rows ended."""

    states: list[str] = field(default_factory=list)
    running: int = 0  # queries still running, nobody having asked them to stop
    stopping: int = 0  # queries cancelled but not yet stopped
    in_use: int = 0
    acquired: int = 0
    acquire_cancelled: bool = False


async def _observed(fetch_rows: Any, pool: Pool, sql: str, deadline: float, end: _AtTheEnd) -> Any:
    try:
        return await fetch_rows(pool, sql, deadline)
    finally:
        end.states = [conn.state for conn in pool.connections]
        for conn in pool.connections:
            if conn.state == "running" and conn.task is not None and not conn.task.done():
                if conn.task.cancelling():
                    end.stopping += 1
                else:
                    end.running += 1
        end.in_use = pool.in_use
        end.acquired = len(pool.connections)
        end.acquire_cancelled = pool.acquire_cancelled


@dataclass(frozen=True)
class _Case:
    sql: str
    deadline: float
    busy: bool = False
    cancel_after: float | None = None

    @property
    def call(self) -> str:
        pool = "Pool(busy=True)" if self.busy else "Pool()"
        words = (
            f", cancelled by its caller after {self.cancel_after:g} s" if self.cancel_after else ""
        )
        return f"fetch_rows({pool}, {self.sql!r}, {self.deadline:g}){words}"


FAST = _Case("recent orders", 1.0)
SLOW = _Case("all orders", 0.4)
FAILS = _Case("bad sql", 1.0)
BUSY_POOL = _Case("recent orders", 0.3, busy=True)
CALLER_CANCELS = _Case("all orders", 1.0, cancel_after=0.3)


def check_fetch_rows(fetch_rows: Any) -> Result:
    """``fetch_rows(pool, sql, deadline)``: rows, or TimeoutError with the query cancelled;
    the connection always back in the pool; a caller's cancellation stays one."""
    expect_coroutine_function(fetch_rows)
    fast = _judge_fast(fetch_rows)
    slow = _judge_slow(fetch_rows)
    _judge_fails(fetch_rows)
    busy = _judge_busy(fetch_rows)
    _judge_caller_cancels(fetch_rows)
    return correct(
        f"fetch_rows returned the 2 rows of 'recent orders' after {took(fast.elapsed)}. "
        f"With a deadline of {SLOW.deadline:g} s, the 1.5 s query 'all orders' was "
        f"cancelled (it saw CancelledError) and the caller got TimeoutError after "
        f"{took(slow.elapsed)}; waiting for a busy pool, TimeoutError after "
        f"{took(busy.elapsed)}. The connection went back to the pool every time: after "
        "the rows, the timeout, the ValueError of 'bad sql' and a cancellation by the "
        "caller, which stayed a cancellation."
    )


def _run(fetch_rows: Any, case: _Case) -> tuple[Ending, _AtTheEnd, list[float]]:
    """Run one case; judge what any case can get wrong."""
    pool = Pool(busy=case.busy)
    end = _AtTheEnd()
    cancels = {} if case.cancel_after is None else {"cancel_after": case.cancel_after}
    outcome, ending = watch_answer(
        partial(_observed, fetch_rows, pool, case.sql, case.deadline, end), **cancels
    )
    outcome.left_running = []  # a query left running is told apart below
    common_mistakes(outcome, case.call)
    if end.running:
        why = (
            "the shield kept the timeout's cancellation away from it, so the timeout "
            "stopped the waiting, not the work. Leave out the `shield`"
            if "shield" in names_used(fetch_rows)
            else "fetch_rows stopped waiting for it but never cancelled it. A timeout "
            "stops the work by cancelling it: run the query inside `async with "
            "asyncio.timeout(deadline):`"
        )
        raise Wrong(
            "work_left_running",
            f"{case.call} {_ended(ending)} while the query was still running, holding "
            f"its connection past the deadline: {why}.",
        )
    if end.stopping:
        raise Wrong(
            "cancelled_not_awaited",
            f"{case.call} {_ended(ending)} while the query it had cancelled had not "
            "stopped yet: cancel() only asks. `asyncio.timeout` (or `wait_for`) cancels "
            "the work and waits until it has stopped before raising TimeoutError.",
        )
    error = ending.error
    if error is not None and not isinstance(error, (TimeoutError, ValueError)):
        if isinstance(error, NameError):  # UnboundLocalError too
            raise _released_unacquired(case, error)
        raise raised(error, case.call)
    if isinstance(error, ValueError) and "release()" in str(error):
        if "given back already" in str(error):
            raise Wrong(
                "released_twice",
                f"{case.call} raised {error_text(error)}: the connection was given back "
                "twice. Give it back in one place only: the `finally:` block.",
            )
        raise _released_unacquired(case, error)
    return ending, end, outcome.waits


def _ended(ending: Ending) -> str:
    """``"raised TimeoutError"``, ``"returned None"``, ``"ended cancelled"``."""
    if ending.finished and not ending.cancelled and ending.error is not None:
        return f"raised {error_text(ending.error)}"
    return ending.describe()


def _released_unacquired(case: _Case, error: BaseException) -> Wrong:
    return Wrong(
        "released_unacquired",
        f"{case.call} raised {error_text(error)}: the deadline came while waiting for a "
        "connection, so there was none to give back, and the `finally:` tried anyway. "
        "Acquire the connection before the `try:` whose `finally:` releases it.",
    )


def _judge_released(fetch_rows: Any, case: _Case, ending: Ending, end: _AtTheEnd) -> None:
    if not end.in_use:
        return
    if _catches_timeout_inside(fetch_rows) and "cancelled" in end.states:
        raise Wrong(
            "caught_timeout_inside",
            f"{case.call} {_ended(ending)} with the connection still taken from the "
            "pool: the `except TimeoutError:` inside the timeout block never ran. The "
            "code inside the block sees CancelledError; TimeoutError is raised only where "
            "the block ends. Give the connection back in a `finally:` block.",
            suggests="finally:",
        )
    raise Wrong(
        "not_released",
        f"{case.call} {_ended(ending)} with the connection still taken from the pool: "
        "the code that gives it back never ran. Give it back in a `finally:` block, "
        "which runs however the query ends: rows, error, timeout or cancellation.",
        suggests="finally:",
    )


def _judge_fast(fetch_rows: Any) -> Ending:
    ending, end, _ = _run(fetch_rows, FAST)
    if isinstance(ending.error, TimeoutError):
        raise Wrong(
            "timed_out_too_soon",
            f"{FAST.call} raised TimeoutError after {seconds(ending.elapsed)}, though the "
            f"query needed 0.3 s and the deadline was {FAST.deadline:g} s. "
            "`asyncio.timeout(delay)` takes seconds from now; `timeout_at(when)` takes a "
            "time on the loop's clock, `loop.time() + delay`.",
        )
    _judge_released(fetch_rows, FAST, ending, end)
    if ending.error is not None or ending.value != QUERIES[FAST.sql][1]:
        raise Wrong(
            "wrong_value",
            f"{FAST.call} {_ended(ending)}; return the rows the query returned, "
            f"{QUERIES[FAST.sql][1]!r}.",
        )
    return ending


def _judge_slow(fetch_rows: Any) -> Ending:
    case = SLOW
    ending, end, waits = _run(fetch_rows, case)
    if "done" in end.states:
        if isinstance(ending.error, TimeoutError):
            raise Wrong(
                "checked_the_clock",
                f"{case.call} raised TimeoutError, but only after the 1.5 s query had run "
                f"to its end ({seconds(ending.elapsed)}): checking the clock afterwards "
                "stops nothing. Cancel the query at the deadline: `async with "
                "asyncio.timeout(deadline):` around it.",
                suggests="asyncio.timeout(deadline)",
            )
        raise Wrong(
            "deadline_not_enforced",
            f"{case.call} {_ended(ending)} after {seconds(ending.elapsed)}: the "
            f"1.5 s query ran to its end, past the deadline of {case.deadline:g} s. Put "
            "the work inside `async with asyncio.timeout(deadline):` (the `async with` "
            "matters: the timeout does nothing until it is entered).",
        )
    if not isinstance(ending.error, TimeoutError):
        _judge_no_timeout_error(fetch_rows, case, ending)
    _judge_released(fetch_rows, case, ending, end)
    if not any(abs(wait - case.deadline) < 0.011 for wait in waits):
        asked = ", ".join(f"{wait:g} s" for wait in waits) or "none"
        raise Wrong(
            "wrong_deadline",
            f"{case.call} timed out, but the waits it asked for were {asked}, not the "
            f"deadline of {case.deadline:g} s it was given. Use the `deadline` argument: "
            "`asyncio.timeout(deadline)`.",
        )
    return ending


def _judge_no_timeout_error(fetch_rows: Any, case: _Case, ending: Ending) -> None:
    """The query was cancelled at the deadline, but the caller did not get TimeoutError."""
    if ending.cancelled:
        raise Wrong(
            "wrong_error",
            f"{case.call} ended cancelled at the deadline: the caller sees a "
            "CancelledError, as if someone had cancelled it, not a timeout. Let "
            "`asyncio.timeout` turn its own cancellation into TimeoutError: do not catch "
            "it inside the block.",
        )
    if ending.error is not None:
        raise Wrong(
            "wrong_error",
            f"{case.call} {_ended(ending)} at the deadline; let the TimeoutError itself "
            "reach the caller, who can tell it from other errors by its type.",
        )
    if _swallows_cancellation(fetch_rows):
        raise Wrong(
            "swallowed_cancellation",
            f"{case.call} {_ended(ending)} instead of raising TimeoutError: the query "
            "was cancelled at the deadline, and fetch_rows caught the CancelledError and "
            "carried on, so the timeout block ended as if nothing had happened. Never "
            "swallow CancelledError: clean up in `finally:`, or `raise` it again.",
        )
    raise Wrong(
        "returned_on_timeout",
        f"{case.call} {_ended(ending)} instead of raising TimeoutError: the caller "
        "cannot tell a missed deadline from a result. Let the TimeoutError go on.",
    )


def _judge_fails(fetch_rows: Any) -> None:
    case = FAILS
    ending, end, _ = _run(fetch_rows, case)
    _judge_released(fetch_rows, case, ending, end)
    if not isinstance(ending.error, ValueError):
        raise Wrong(
            "error_swallowed",
            f"{case.call} {_ended(ending)} instead of raising the query's ValueError. "
            "Give the connection back, and let the error go on.",
        )


def _judge_busy(fetch_rows: Any) -> Ending:
    case = BUSY_POOL
    ending, end, _ = _run(fetch_rows, case)
    if not end.acquire_cancelled:
        raise Wrong(
            "deadline_not_whole",
            f"{case.call} {_ended(ending)} after {seconds(ending.elapsed)}: the wait "
            f"for a connection (1.0 s, the pool being busy) was not covered by the "
            f"deadline of {case.deadline:g} s. The deadline is for the whole operation: "
            "acquire the connection inside the timeout block too.",
        )
    if not isinstance(ending.error, TimeoutError):
        _judge_no_timeout_error(fetch_rows, case, ending)
    _judge_released(fetch_rows, case, ending, end)
    return ending


def _judge_caller_cancels(fetch_rows: Any) -> None:
    case = CALLER_CANCELS
    ending, end, _ = _run(fetch_rows, case)
    if isinstance(ending.error, TimeoutError):
        raise Wrong(
            "cancellation_turned_into_timeout",
            f"{case.call} raised TimeoutError long before its deadline: the caller's "
            "cancellation was turned into a timeout. Catch nothing inside the block: "
            "`asyncio.timeout` raises TimeoutError for its own cancellation only, and "
            "lets anyone else's go on as CancelledError.",
        )
    _judge_released(fetch_rows, case, ending, end)
    if not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{case.call} {_ended(ending)} instead of ending cancelled: the caller's "
            "cancellation was swallowed. Clean up in `finally:`, or `raise` the "
            "CancelledError again.",
        )


def _tree(function: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def _names(node: ast.AST | None) -> set[str]:
    if node is None:
        return {"BaseException"}  # a bare `except:`
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _swallows_cancellation(function: Any) -> bool:
    """Whether an ``except`` that catches CancelledError (or everything) has no ``raise``."""
    tree = _tree(function)
    for node in ast.walk(tree) if tree is not None else []:
        if isinstance(node, ast.ExceptHandler):
            if {"CancelledError", "BaseException"} & _names(node.type):
                if not any(isinstance(each, ast.Raise) for each in ast.walk(node)):
                    return True
    return False


def _catches_timeout_inside(function: Any) -> bool:
    """Whether an ``except TimeoutError`` sits inside an ``async with`` block."""
    tree = _tree(function)
    for node in ast.walk(tree) if tree is not None else []:
        if isinstance(node, ast.AsyncWith):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ExceptHandler) and "TimeoutError" in _names(inner.type):
                    return True
    return False


ex6 = Exercise(
    title="A query with a deadline",
    answer="fetch_rows",
    checker=check_fetch_rows,
    hints=[
        "`async with asyncio.timeout(deadline):` around the whole operation: getting the "
        "connection and the query. When the deadline passes it cancels whatever runs "
        "inside, and raises TimeoutError where the block ends.",
        "Inside the block the query sees CancelledError, not TimeoutError: catch neither "
        "there. Give the connection back in `finally:`, which runs however the query ends.",
        "`conn = await pool.acquire()`, then `try: return await conn.query(sql)` and "
        "`finally: pool.release(conn)`, all inside the timeout block.",
    ],
)
