"""What lesson 05's checkers share: naming a blocking network client.

The servers run on a thread of their own (:class:`~asyncio_tutorial.servers.in_thread`),
so that an answer that blocks its event loop with a plain socket or ``urllib`` still
gets its answers, and is told what it did, instead of waiting for a server that cannot
answer.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from asyncio_tutorial.checkers.core import Wrong
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, blocking_client, names_used, watch
from asyncio_tutorial.servers import Traffic

SETTLE = 0.5  # how long a server waits to see a closed connection go


def blocking_client_used(answer: Any, call: str, traffic: Traffic | None = None) -> None:
    """The answer used a blocking network client (``urllib``, ``requests``, a socket)."""
    client = blocking_client(answer, traffic.clients if traffic else None)
    if client is None or "open_connection" in names_used(answer):
        return
    raise Wrong(
        "blocking_client",
        f"{call} used {client}, which blocks: while it waits for the server, the whole "
        "event loop waits with it, and no other task can run. (Here the server ran on "
        "a thread of its own; on the same loop it could never have answered.) Use the "
        "asyncio way: streams (`asyncio.open_connection`) or `aiohttp`.",
    )


def watch_run(
    start: Callable[[], Awaitable[Any]],
    note_end: Callable[[], None] | None = None,
    **cancel: float,
) -> tuple[Outcome, Ending]:
    """:func:`~asyncio_tutorial.checkers.scenario.watch_answer`, and then, still on the
    answer's thread, what the runner does with an error the answer raised: the coroutine
    an ``AttributeError: 'coroutine' object has no attribute ...`` keeps is closed, and
    the variables its traceback holds are dropped.  Whatever they hold (a connection, a
    coroutine never awaited) is thrown away now, its warnings noted in this check, not
    printed in some later cell.
    """
    ending = Ending()

    async def scenario() -> None:
        try:
            await watch(start, ending, **cancel)
            if note_end is not None:
                note_end()
        finally:
            forget(ending.error)

    outcome = run_coroutine(scenario)
    outcome.returned_coroutines.extend(ending.returned_coroutines)
    return outcome, ending


def forget(error: BaseException | None) -> None:
    """Close the coroutine ``error`` keeps (if any) and drop its traceback's variables."""
    kept = getattr(error, "obj", None)
    if inspect.iscoroutine(kept):
        kept.close()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__context__
