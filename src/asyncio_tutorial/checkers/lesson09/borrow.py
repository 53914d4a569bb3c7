"""Exercise 4: ``borrow(pool)``, an async context manager that always gives back.

``Pool`` (imported by the workbook) pretends to be a pool of database connections.  The
checker enters ``async with borrow(pool) as conn:`` four times, each with a fresh pool
that counts what was acquired and released: with a body that ends normally, one that
raises ``ValueError``, one that is cancelled (it cancels its own task, as a timeout
would, and is cancelled at its next ``await``), and once cancelled while the connection
is still being acquired.  The cancellations come at a fixed step, not after a delay, so
the verdict is the same on a busy machine.

An answer may be written with ``@contextlib.asynccontextmanager`` or as a class with
``__aenter__`` and ``__aexit__``; the messages speak of what the answer used.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, error_text, raised
from asyncio_tutorial.checkers.runner import run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, watch_answer


class Pool:
    """A pretend pool of connections: ``acquire()`` and ``release(conn)`` each take 0.1 s.

    ``conn = await pool.acquire()`` gives a connection (``'conn-1'``, ...), which stays in
    ``pool.borrowed`` until ``await pool.release(conn)`` gives it back.
    """

    def __init__(self) -> None:
        self.borrowed: set[str] = set()
        self.acquired = 0
        self.releases = 0

    async def acquire(self) -> str:
        await asyncio.sleep(0.1)
        self.acquired += 1
        conn = f"conn-{self.acquired}"
        self.borrowed.add(conn)
        return conn

    async def release(self, conn: str) -> None:
        await asyncio.sleep(0.1)
        self.releases += 1
        self.borrowed.discard(conn)


class _PoolCancelledWhileAcquiring(Pool):
    """A pool whose ``acquire`` is cancelled before it has a connection to give."""

    async def acquire(self) -> str:
        asyncio.current_task().cancel()  # type: ignore[union-attr]  # as a timeout would
        return await super().acquire()


class _Body:
    """What the body of ``async with borrow(pool) as conn:`` saw."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.borrowed_meanwhile = False


async def _use(borrow: Any, pool: Pool, body: _Body, then: str) -> str:
    async with borrow(pool) as conn:
        body.conn = conn
        await asyncio.sleep(0.1)
        body.borrowed_meanwhile = conn in pool.borrowed
        if then == "raise":
            raise ValueError("bad query")
        if then == "cancel":
            asyncio.current_task().cancel()  # type: ignore[union-attr]  # as a timeout would
            await asyncio.sleep(1.0)  # cancelled here
    return "done"


SCENARIOS = {
    "": "a body that ends normally",
    "raise": "a body raising ValueError",
    "cancel": "a body that is cancelled",
    "acquiring": "cancelled while acquiring the connection",
}


def check_borrow(borrow: Any) -> Result:
    """``async with borrow(pool) as conn``: always released once; errors go on."""
    _borrow_shape(borrow)
    pools = {}
    for then, words in SCENARIOS.items():
        pools[then] = _judge_borrow(borrow, then, f"async with borrow(pool) as conn: ({words})")
    return correct(
        f"borrow(pool) lent the block {pools[''].acquired} connection ('conn-1') and gave "
        f"it back exactly once each time: after the block ({pools[''].releases} release), "
        f"when the block raised ValueError, which went on ({pools['raise'].releases}), and "
        f"when it was cancelled, which went on too ({pools['cancel'].releases}). Cancelled "
        f"while acquiring, it released {pools['acquiring'].releases} connections, having "
        "none, and the cancellation went on."
    )


def _borrow_shape(borrow: Any) -> None:
    """An async context manager: a decorated async generator function, or a class."""
    if inspect.isasyncgenfunction(borrow):
        raise Wrong(
            "missing_decorator",
            "borrow is an async generator function without its decorator. Put "
            "`@contextlib.asynccontextmanager` on the line above `async def borrow`.",
            suggests="@contextlib.asynccontextmanager",
        )
    if inspect.iscoroutinefunction(borrow):
        # A stub left without its decorator ends the check here, as not attempted.
        run_coroutine(lambda: borrow(Pool()))
        raise Wrong(
            "not_a_context_manager",
            "borrow is a coroutine function (`async def` with neither `yield` nor a "
            "decorator): `async with` needs an async context manager. Write an async "
            "generator that yields the connection, between acquiring and releasing it, "
            "and decorate it with `@contextlib.asynccontextmanager`.",
            suggests="@contextlib.asynccontextmanager",
        )
    inner = getattr(borrow, "__wrapped__", None)
    if inspect.iscoroutinefunction(inner):
        # The untouched stub has no `yield` either: running it ends the check for it.
        run_coroutine(lambda: inner(Pool()))
        raise Wrong(
            "no_yield",
            "borrow has no `yield`: an async context manager written with "
            "@contextlib.asynccontextmanager yields the connection to the block.",
            suggests="yield",
        )


def _judge_borrow(borrow: Any, then: str, call: str) -> Pool:
    """One ``async with`` block (``then``: ends, raises or is cancelled, or the acquiring
    is): the connection lent to it, and given back once, after it; the error or the
    cancellation goes on.  Return the pool, which counted what happened."""
    pool = _PoolCancelledWhileAcquiring() if then == "acquiring" else Pool()
    body = _Body()
    outcome, ending = watch_answer(partial(_use, borrow, pool, body, then))
    _judge_protocol(borrow, ending.error or outcome.error, call)
    if inspect.iscoroutine(body.conn):
        body.conn.close()
        raise Wrong(
            "forgot_await",
            f"{call}: the block received a coroutine object as conn: pool.acquire() was "
            "called without `await`, so no connection was ever acquired. Write "
            "`conn = await pool.acquire()`.",
            suggests="await pool.acquire()",
        )
    common_mistakes(outcome, call)
    if then == "acquiring":
        _judge_acquiring(borrow, pool, ending, call)
        return pool
    if ending.error is not None and not (then == "raise" and isinstance(ending.error, ValueError)):
        raise raised(ending.error, call)
    _judge_lending(borrow, pool, body, call)
    if pool.releases == 0:
        raise _not_released(borrow, then, call)
    if pool.releases > 1:
        where = "in __aexit__" if inspect.isclass(borrow) else "in the `finally:`"
        raise Wrong(
            "released_twice",
            f"{call}: the connection was released {_times(pool.releases)}. Release it once, "
            f"{where}.",
        )
    if then == "raise" and not isinstance(ending.error, ValueError):
        raise _swallowed(borrow, ending, call, cancelled=False)
    if then == "cancel" and not ending.cancelled:
        raise _swallowed(borrow, ending, call, cancelled=True)
    return pool


def _judge_protocol(borrow: Any, error: BaseException | None, call: str) -> None:
    """``async with`` refused what borrow gave: not an async context manager."""
    if not isinstance(error, TypeError):
        return
    text = str(error)
    if "asynchronous context manager" in text and inspect.isclass(borrow):
        raise Wrong(
            "sync_contextmanager",
            f"{call} raised {error_text(error)}. A class for `async with` needs "
            "`async def __aenter__(self)` and `async def __aexit__(self, *exc_info)`; "
            "__enter__ and __exit__ are for a plain `with`.",
            suggests="async def __aenter__",
        )
    if "asynchronous context manager" in text:
        raise Wrong(
            "sync_contextmanager",
            f"{call} raised {error_text(error)}. For `async with`, write borrow as an async "
            "generator (`async def` with one `yield`) decorated with "
            "`@contextlib.asynccontextmanager`, not `@contextlib.contextmanager`.",
            suggests="@contextlib.asynccontextmanager",
        )
    if "does not implement __await__" in text:
        raise Wrong(
            "aenter_not_async",
            f"{call} raised {error_text(error)}. `async with` awaits __aenter__ and "
            "__aexit__: define both with `async def`.",
            suggests="async def __aenter__",
        )


def _judge_lending(borrow: Any, pool: Pool, body: _Body, call: str) -> None:
    """The block got the connection, and it stayed borrowed while the block used it."""
    if body.conn != "conn-1":
        got = "the pool itself" if body.conn is pool else repr(body.conn)
        if inspect.isclass(borrow):
            got = "the context manager itself (self)" if type(body.conn) is borrow else got
            raise Wrong(
                "wrong_value",
                f"{call}: the block received {got} as conn; `as conn` receives what "
                "__aenter__ returns: return the connection pool.acquire() gave.",
            )
        raise Wrong(
            "wrong_value",
            f"{call}: the block received {got} as conn; it should receive the connection "
            "pool.acquire() returned: `yield conn`.",
            suggests="yield conn",
        )
    if not body.borrowed_meanwhile:
        where = (
            "in __aexit__, not in __aenter__"
            if inspect.isclass(borrow)
            else "after the `yield`, not before"
        )
        raise Wrong(
            "released_early",
            f"{call}: the connection was given back while the block was still using it. "
            f"Release it {where}.",
        )


def _times(count: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _not_released(borrow: Any, then: str, call: str) -> Wrong:
    """The connection was never given back in this scenario."""
    if inspect.isclass(borrow):
        return Wrong(
            "not_released",
            f"{call}: the connection was never given back. __aexit__ runs however the "
            "block ends: release it there, `await self.pool.release(self.conn)`.",
        )
    if _finally_blocks(borrow):
        return Wrong(
            "not_released",
            f"{call}: the connection was never given back, although borrow has a "
            "`finally:`: nothing in it released the connection. Put "
            "`await pool.release(conn)` in the `finally:` around the `yield`.",
        )
    why = {
        "": "",
        "raise": " An error in the block is raised at the `yield`, so the code after the "
        "`yield` never ran.",
        "cancel": " A cancellation is raised at the `yield` as CancelledError, which is not "
        "an Exception: an `except Exception:` does not see it.",
    }[then]
    return Wrong(
        "release_not_in_finally",
        f"{call}: the connection was never given back.{why} Put the `yield` in a `try:` and "
        "`await pool.release(conn)` in its `finally:`, which runs however the block ends.",
        suggests="finally:",
    )


def _swallowed(borrow: Any, ending: Ending, call: str, *, cancelled: bool) -> Wrong:
    """The error or the cancellation of the block did not go on to the caller."""
    what = (
        "the task did not end cancelled"
        if cancelled
        else "the ValueError did not come out of the block"
    )
    mistake = "swallowed_cancellation" if cancelled else "swallowed_error"
    if inspect.isclass(borrow):
        return Wrong(
            mistake,
            f"{call}: {what} ({ending.describe()}). __aexit__ returned a true value, which "
            "tells `async with` to swallow the exception: return False (or nothing).",
        )
    if _returns_in_finally(borrow):
        return Wrong(
            "return_in_finally",
            f"{call}: {what} ({ending.describe()}). A `return` in a `finally:` throws away "
            "the exception that was on its way out, cancellation included: take it out, "
            "and let the `finally:` only release.",
        )
    release = (
        "Keep the release in your `finally:`, and take the `except` away"
        if _finally_blocks(borrow)
        else "Release in a `finally:`, and catch nothing"
    )
    if cancelled:
        return Wrong(
            mistake,
            f"{call}: {what}, it {ending.describe()}. Something caught the CancelledError "
            "raised at the `yield` (an `except asyncio.CancelledError:`, `except "
            f"BaseException:` or a bare `except:`). {release}: the cancellation must go on.",
        )
    return Wrong(
        mistake,
        f"{call}: {what} ({ending.describe()}): an `except` around the `yield` caught it. "
        f"{release}: the error must go on to the caller.",
    )


def _finally_blocks(borrow: Any) -> list[list[ast.stmt]]:
    """The ``finally:`` blocks in the answer's source (none when it cannot be read)."""
    function = getattr(borrow, "__wrapped__", borrow)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    return [
        node.finalbody
        for node in ast.walk(tree)
        if isinstance(node, (ast.Try, ast.TryStar)) and node.finalbody
    ]


def _returns_in_finally(borrow: Any) -> bool:
    """Whether the answer's source has a ``return`` in a ``finally:`` block."""
    return any(
        isinstance(inner, ast.Return)
        for block in _finally_blocks(borrow)
        for statement in block
        for inner in ast.walk(statement)
    )


def _judge_acquiring(borrow: Any, pool: Pool, ending: Ending, call: str) -> None:
    """Cancelled while acquiring: nothing to give back, and the cancellation goes on."""
    error = ending.error
    if isinstance(error, NameError) or pool.releases:
        got = (
            f"raised {error_text(error)}"
            if error is not None
            else "released a connection it never got"
        )
        raise Wrong(
            "acquired_inside_try",
            f"{call}: the cleanup ran although no connection had been acquired, and {got}. "
            "Acquire before the `try:`: `conn = await pool.acquire()`, then `try: yield "
            "conn` and release in `finally:`, which then only runs once there is a "
            "connection to give back.",
        )
    if error is not None:
        raise raised(error, call)
    if not ending.cancelled:
        raise _swallowed(borrow, ending, call, cancelled=True)


ex4 = Exercise(
    title="Always give it back",
    answer="borrow",
    checker=check_borrow,
    hints=[
        "`@contextlib.asynccontextmanager` on `async def borrow(pool):`, which acquires a "
        "connection and yields it.",
        "An error or a cancellation in the block is raised at the `yield`: put it in "
        "`try:`, and `await pool.release(conn)` in `finally:`.",
        "Catch nothing: `finally` releases the connection and lets the error go on.",
    ],
)
