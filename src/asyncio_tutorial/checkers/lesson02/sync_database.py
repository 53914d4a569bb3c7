"""Exercise 3: ``SyncDatabase``, a synchronous face for an async client.

The check uses the class as the statement does (create it, fetch three keys, close it)
from plain code on a thread of its own, noting which step it had reached when something
failed: a runner closed in ``fetch`` is not the same mistake as one closed before the
connection in ``close``.  ``Database`` itself notes every connection and refuses to be
used from another loop, as real clients do, so "one connection, one loop" is known
exactly.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import hang, raised, took
from asyncio_tutorial.checkers.runner import Outcome, run_function

ROWS: dict[str, str] = {"ada": "Ada Lovelace", "grace": "Grace Hopper", "alan": "Alan Turing"}


class Database:
    """A pretend async database client; a connection belongs to the loop it was opened on.

    ``db = await Database.connect()`` opens a connection (0.1 s),
    ``await db.fetch(key)`` reads a row (0.1 s), ``await db.close()`` closes it.
    Like real clients (``asyncpg``, ``aiohttp``), it refuses to be used from an event
    loop other than the one it was opened on.
    """

    opened: list[Database] = []  # every connection made, for the checker

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.closed = False
        self.fetched: list[str] = []

    @classmethod
    async def connect(cls) -> Database:
        await asyncio.sleep(0.1)
        database = cls(asyncio.get_running_loop())
        cls.opened.append(database)
        return database

    async def fetch(self, key: str) -> str:
        self._check("fetch")
        await asyncio.sleep(0.1)
        self.fetched.append(key)
        return ROWS[key]

    async def close(self) -> None:
        self._check("close")
        await asyncio.sleep(0)
        self.closed = True

    def _check(self, what: str) -> None:
        if self.closed:
            raise RuntimeError(f"cannot {what}: the connection is closed")
        if asyncio.get_running_loop() is not self.loop:
            raise RuntimeError(
                f"cannot {what}: this connection is attached to a different event loop"
            )

    def __repr__(self) -> str:
        return f"<Database {'closed' if self.closed else 'open'}>"


@dataclass
class _Use:
    """How far the check got in using SyncDatabase, and what fetch returned."""

    step: str = "SyncDatabase()"
    values: list[Any] = field(default_factory=list)


def _use_sync_database(sync_database: type, use: _Use) -> list[Any]:
    database = sync_database()
    for key in ROWS:
        use.step = f"fetch({key!r})"
        use.values.append(database.fetch(key))
    use.step = "close()"
    database.close()
    use.step = "done"
    return use.values


def check_sync_database(sync_database: Any) -> Result:
    """``SyncDatabase()`` connects; ``.fetch(key)`` and ``.close()`` run on one loop."""
    if not isinstance(sync_database, type):
        raise Wrong(
            "not_callable",
            "check needs the class SyncDatabase itself: check(SyncDatabase).",
        )
    _judge_async_methods(sync_database)
    call = "using SyncDatabase (create it, fetch three keys, close it)"
    Database.opened.clear()
    use = _Use()
    outcome = run_function(lambda: _use_sync_database(sync_database, use))
    if outcome.timed_out:
        raise hang(outcome, call)
    _judge_error(outcome, use, call)
    if outcome.returned_coroutines:
        raise Wrong(
            "forgot_await",
            f"{call}: fetch gave back a coroutine object ({outcome.returned_coroutines[0]}) "
            "instead of a row: run it on the runner and return what it gives, "
            "`return self.runner.run(self.db.fetch(key))`.",
            suggests="return self.runner.run(self.db.fetch(key))",
        )
    if len(Database.opened) != 1:
        raise Wrong(
            "many_connections",
            f"{call} opened {len(Database.opened)} connections; open one, in __init__, "
            "and use it for every fetch.",
        )
    database = Database.opened[0]
    expected = list(ROWS.values())
    if outcome.value != expected:
        raise Wrong(
            "wrong_value",
            f"{call}: fetch returned {outcome.value!r}, not {expected!r}.",
        )
    if any(name.rpartition(".")[2] == "close" for name in outcome.never_awaited):
        raise Wrong(
            "forgot_await",
            f"{call}: close() created the coroutine db.close() but never ran it, so the "
            "connection stayed open. A coroutine does nothing until it is run: "
            "`self.runner.run(self.db.close())`.",
            suggests="run(self.db.close())",
        )
    if not database.closed:
        raise Wrong(
            "connection_left_open",
            f"after {call}, the connection is still open: close() should "
            "`runner.run(self.db.close())` before closing the runner.",
            suggests="run(self.db.close())",
        )
    if not database.loop.is_closed():
        raise Wrong(
            "loop_left_open",
            f"after {call}, the event loop is still open: close() should also close the "
            "runner (`self.runner.close()`), which closes its loop.",
            suggests="self.runner.close()",
        )
    return correct(
        f"SyncDatabase() opened one connection; fetch returned {expected}; close() closed "
        f"the connection, then its loop: five calls in {took(outcome.elapsed)}, all on "
        "one event loop."
    )


def _judge_async_methods(sync_database: type) -> None:
    """The methods are for code that cannot await: they must be plain functions."""
    for name in ("__init__", "fetch", "close"):
        method = getattr(sync_database, name, None)
        if inspect.iscoroutinefunction(method):
            raise Wrong(
                "not_plain",
                f"SyncDatabase.{name} is defined with `async def`, so calling it only "
                "makes a coroutine, which code that cannot await has no use for. Make it "
                "a plain `def` that runs the coroutine to its end on the runner: "
                "`return self.runner.run(self.db.fetch(key))`.",
            )


def _judge_error(outcome: Outcome, use: _Use, call: str) -> None:
    """What an exception says about the loop (or loops) the answer used."""
    error = outcome.error
    text = str(error)
    if isinstance(error, RuntimeError) and "different event loop" in text:
        raise Wrong(
            "loop_per_call",
            f"{use.step} raised RuntimeError: {error}. Each asyncio.run() (or each new "
            "Runner) makes a fresh loop, and the connection belongs to the one it was "
            "opened on. Create one `asyncio.Runner()` in __init__ and use it for every "
            "call.",
        )
    if isinstance(error, RuntimeError) and "no current event loop" in text:
        raise Wrong(
            "get_event_loop",
            f"{use.step} raised RuntimeError: {text.rstrip('.')}. get_event_loop() has no "
            "loop to give outside the main thread (nor, from Python 3.14, inside it). "
            "Make the loop yourself: `asyncio.Runner()`.",
            suggests="asyncio.Runner()",
        )
    closed_runner = isinstance(error, RuntimeError) and "Runner is closed" in text
    if closed_runner and use.step == "close()":
        raise Wrong(
            "closed_in_wrong_order",
            f"close() raised RuntimeError: {error}: it closed the runner first, and then "
            "had no loop left to close the connection on. Close the connection first, "
            "`self.runner.run(self.db.close())`, then the runner.",
        )
    if closed_runner or (isinstance(error, RuntimeError) and "connection is closed" in text):
        raise Wrong(
            "closed_too_early",
            f"{use.step} raised RuntimeError: {error}. Keep the connection and the runner "
            "open until close().",
        )
    if error is not None:
        raise raised(error, f"{call}, at {use.step}")


ex3 = Exercise(
    title="A synchronous face for an async client",
    answer="SyncDatabase",
    checker=check_sync_database,
    hints=[
        "Every call must run on the same loop, so `asyncio.run` (a new loop each time) "
        "will not do. `asyncio.Runner()` keeps one loop until you close it.",
        "In __init__: `self.runner = asyncio.Runner()` and "
        "`self.db = self.runner.run(Database.connect())`.",
        "fetch: `return self.runner.run(self.db.fetch(key))`. close: run "
        "`self.db.close()`, then `self.runner.close()`.",
    ],
)
