"""Exercise 3, ``upload``: close the connection, whatever happens, then end as asked.

``Connection`` is the workbook's pretend connection.  Each scenario runs ``upload`` as a
task (:func:`~.scenario.watch_answer`), cancels it from outside once or twice at given
moments, and notes whether the close had finished, or had been cut short, when
``upload`` ended, and how ``upload`` ended: returned, raised or cancelled.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function, took
from asyncio_tutorial.checkers.scenario import Ending, watch_answer


class Connection:
    """A pretend connection to a server: ``send`` takes 0.3 s and ``close`` 0.2 s.

    ``await conn.send(data)`` returns ``"sent 5 bytes"``; with ``Connection(fail=True)``
    it raises ``ConnectionError`` after 0.1 s instead.  ``await conn.close()`` says
    goodbye to the server; ``conn.closed`` is True once it has finished.
    """

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.close_calls = 0
        self.close_interrupted = False
        self.closed = False
        self.when_upload_ended: tuple[bool, bool] = (False, False)  # (closed, interrupted)

    async def send(self, data: bytes) -> str:
        await asyncio.sleep(0.1 if self.fail else 0.3)
        if self.fail:
            raise ConnectionError("connection reset while sending")
        return f"sent {len(data)} bytes"

    async def close(self) -> None:
        self.close_calls += 1
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            self.close_interrupted = True
            raise
        self.closed = True


async def _observed_upload(upload: Any, conn: Connection) -> Any:
    try:
        return await upload(conn, b"hello")
    finally:
        conn.when_upload_ended = (conn.closed, conn.close_interrupted)


_TWICE = {"cancel_after": 0.1, "cancel_again_after": 0.1}
SCENARIOS: list[tuple[str, dict[str, float], bool]] = [  # words, cancellations, send fails
    ("", {}, False),
    (" with a send that fails", {}, True),
    (", cancelled during send", {"cancel_after": 0.1}, False),
    (", cancelled during send and again while closing", _TWICE, False),
    (", cancelled while closing after a send that worked", {"cancel_after": 0.4}, False),
]


def check_upload(upload: Any) -> Result:
    """``upload(conn, data)``: close always completes; errors and cancellations go on."""
    expect_coroutine_function(upload)
    endings = [
        _judge_upload(upload, "upload(conn, b'hello')" + words, cancels, fail)
        for words, cancels, fail in SCENARIOS
    ]
    cancelled = sum(ending.cancelled for ending in endings)
    return correct(
        f"upload returned {endings[0].value!r} after {took(endings[0].elapsed)}: the "
        "send, then the close. It let send's ConnectionError through after closing, and "
        f"in all {cancelled} cancellations (during send, during send and again while "
        "closing, while closing) it finished closing the connection, then ended cancelled."
    )


def _judge_upload(upload: Any, call: str, cancels: dict[str, float], fail: bool) -> Ending:
    conn = Connection(fail=fail)
    outcome, ending = watch_answer(partial(_observed_upload, upload, conn), **cancels)
    outcome.left_running = []  # a close left running is told apart below
    common_mistakes(outcome, call)
    if conn.close_calls == 0:
        raise Wrong(
            "close_not_in_finally",
            f"{call}: the connection was never closed. Close it in a `finally:` block, "
            "which runs however the `try:` ends: result, error or cancellation.",
            suggests="finally:",
        )
    closed, interrupted = conn.when_upload_ended
    if not closed and interrupted:
        raise Wrong(
            "cleanup_cut_short",
            f"{call}: the second cancel() arrived while closing and cut the close short. "
            "Run the close in a task behind `asyncio.shield(...)`, and wait for it to "
            "finish even when cancelled again.",
            suggests="asyncio.shield",
        )
    if not closed:
        raise Wrong(
            "ended_before_cleanup",
            f"{call}: upload ended while the connection was still closing. If the close "
            "runs in a task (behind a shield), upload must still wait for it to finish: "
            "`await asyncio.wait([closing])`, then `raise`.",
        )
    swallowed = (cancels and not ending.cancelled) or (fail and ending.error is None)
    if swallowed and _returns_in_finally(upload):
        raise Wrong(
            "return_in_finally",
            f"{call}: upload {ending.describe()} instead of ending "
            f"{'cancelled' if cancels else 'with the ConnectionError'}: the `return` in its "
            "`finally:` block throws away whatever was on its way out, error or "
            "cancellation, and the caller never hears of it. Return from the `try:` block, "
            "never from `finally:`.",
        )
    if cancels and not ending.cancelled:
        raise Wrong(
            "swallowed_cancellation",
            f"{call}: upload {ending.describe()} instead of ending cancelled, so the "
            "cancellation was swallowed. After the cleanup, `raise` the CancelledError.",
        )
    if fail and ending.error is not None and not isinstance(ending.error, ConnectionError):
        raise Wrong(
            "replaced_error",
            f"{call}: upload {ending.describe()} instead of send's ConnectionError. Let "
            "the error itself go on, unchanged: the caller may handle a ConnectionError "
            "(retry, say), and cannot tell it from another error once replaced.",
        )
    if fail and not isinstance(ending.error, ConnectionError):
        raise Wrong(
            "error_swallowed",
            f"{call}: upload {ending.describe()} instead of raising send's "
            "ConnectionError. Close the connection, then let the error go on.",
        )
    if not cancels and not fail and ending.value != "sent 5 bytes":
        raise Wrong(
            "wrong_value", f"{call} {ending.describe()}; return what send returned, 'sent 5 bytes'."
        )
    return ending


def _returns_in_finally(function: Any) -> bool:
    """Whether ``function``'s source has a ``return`` in a ``finally:`` block."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, ast.TryStar)):
            for statement in node.finalbody:
                if any(isinstance(each, ast.Return) for each in ast.walk(statement)):
                    return True
    return False


ex3 = Exercise(
    title="Close the connection, whatever happens",
    answer="upload",
    checker=check_upload,
    hints=[
        "`try: return await conn.send(data)` and close the connection in `finally:`.",
        "In the finally, start the close as a task, `closing = asyncio.create_task(conn."
        "close())`, and `await asyncio.shield(closing)`: a second cancel() then cannot "
        "reach the close.",
        "The shield still raises CancelledError in upload: catch it, "
        "`await asyncio.wait([closing])` to let the close finish, then `raise`.",
    ],
)
