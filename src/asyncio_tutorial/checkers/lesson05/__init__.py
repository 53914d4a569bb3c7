"""Lesson 05's exercises: a line-protocol client, a subprocess watcher, an HTTP fetcher.

The workbook ``exercises/05-async-io.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson05 import ex1, ex2, ex3

The worked answers are in ``solutions/05-async-io.ipynb``.

These checkers run the answers against real servers (:mod:`asyncio_tutorial.servers`)
and judge them by what the *server* saw: how many requests were in flight at once,
which client program asked, which connections were still open afterwards.  The servers
run on a thread of their own (:class:`~asyncio_tutorial.servers.in_thread`), so that an
answer that blocks its event loop with a plain socket or ``urllib`` still gets its
answers, and is told what it did, instead of waiting for a server that cannot answer.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    expect_coroutine_function,
    judge_duration,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import (
    blocking_client,
    judge_limit,
    names_used,
)
from asyncio_tutorial.servers import Page, Traffic, in_thread, line_server, local_site

SLACK = 0.3  # how much later than planned a right answer may finish on a busy machine
SETTLE = 0.5  # how long a server waits to see a closed connection go


def _blocking_client_used(answer: Any, call: str, traffic: Traffic | None = None) -> None:
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


def _left_open(outcome: Outcome) -> bool:
    """Python or aiohttp reported a connection or session that was never closed.

    A StreamWriter that is garbage-collected while its connection is open closes it and
    warns ``ResourceWarning: unclosed <StreamWriter ...>``; an aiohttp session reports
    ``Unclosed client session``.  The runner keeps both, so they are seen even when the
    collection closed the connection before the server could notice.
    """
    reports = outcome.loop_errors + [
        str(w.message) for w in outcome.other_warnings if issubclass(w.category, ResourceWarning)
    ]
    return any("nclosed" in report or "loop is closed" in report for report in reports)


# --- Exercise 1: a line-protocol client ------------------------------------------------------

QUESTIONS = ["PING", "ADD 2 3 4", "SLOW 0.2 done", "UPPER hello"]
REPLIES = ["PONG", "9", "done", "HELLO"]


def check_ask(ask: Any) -> Result:
    """``ask(port, questions)``: one connection, a line per question, replies in order, closed."""
    expect_coroutine_function(ask)
    with in_thread(line_server) as server:
        call = f"ask(port, {QUESTIONS!r})"
        outcome = run_coroutine(partial(ask, server.port, list(QUESTIONS)))
        closed = server.traffic.wait_settled(SETTLE)
        traffic, received = server.traffic, list(server.received)
    _blocking_client_used(ask, call)
    if outcome.timed_out and traffic.connections_total and not received:
        raise Wrong(
            "no_newline",
            f"{call} connected, but the server never received a whole line, so it never "
            "answered, and the client waited forever. End each question with a newline: "
            "`writer.write(question.encode() + b'\\n')`.",
        )
    common_mistakes(outcome, call)
    if outcome.value != REPLIES:
        bytes_back = isinstance(outcome.value, list) and any(
            isinstance(v, bytes) for v in outcome.value
        )
        raise Wrong(
            "wrong_value",
            f"{call} returned {outcome.value!r}, not {REPLIES!r}."
            + (" Decode each reply and strip its newline." if bytes_back else ""),
        )
    if traffic.connections_total > 1:
        raise Wrong(
            "connection_per_question",
            f"{call} opened {traffic.connections_total} connections for "
            f"{len(QUESTIONS)} questions. The protocol answers any number of lines on one "
            "connection: open it once, ask everything, then close it.",
        )
    if not closed or _left_open(outcome):
        raise Wrong(
            "connection_left_open",
            f"{call} returned the right replies, but left its connection open (Python "
            "closed it only when it collected the forgotten writer). Close it when done: "
            "`writer.close()`, then `await writer.wait_closed()` (in a `finally:`, so that "
            "it is closed even after an error).",
        )
    return correct(
        f"{call} returned {REPLIES!r} over one connection, which the server saw closed afterwards."
    )


ex1 = Exercise(
    title="A line-protocol client",
    answer="ask",
    checker=check_ask,
    hints=[
        "`reader, writer = await asyncio.open_connection('127.0.0.1', port)` connects; "
        "`writer.write(question.encode() + b'\\n')` then `await writer.drain()` sends a line.",
        "`(await reader.readline()).decode().strip()` reads one reply line.",
        "When done, `writer.close()` and `await writer.wait_closed()`, in a `finally:` block.",
    ],
)

# --- Exercise 2: watch a subprocess -----------------------------------------------------------

CHILD = """\
import os, sys, time
for step in (1, 2, 3):
    print(f"step {step}", flush=True)
    time.sleep(0.2)
os.close(1)  # no more output; a moment later, the end
time.sleep(0.2)
sys.exit(3)
"""
COMMAND = [sys.executable, "-S", "-c", CHILD]
"""The program the checker watches: three lines 0.2 s apart, its output closed, and 0.2 s
later exit status 3 (so that an answer that does not wait for the end cannot see it)."""


async def _watch_scenario(watch: Any, heard: list[tuple[float, Any]]) -> Any:
    loop = asyncio.get_running_loop()
    started = loop.time()

    def on_line(line: Any) -> None:
        heard.append((loop.time() - started, line))

    return await watch(list(COMMAND), on_line)


def check_watch(watch: Any) -> Result:
    """``watch(command, on_line)``: each output line as it comes, then the exit status."""
    expect_coroutine_function(watch)
    heard: list[tuple[float, Any]] = []
    call = "watch(command, on_line)"
    outcome = run_coroutine(partial(_watch_scenario, watch, heard))
    blocking_calls = {"subprocess", "Popen", "check_output"} & names_used(watch)
    if outcome.blocked and not outcome.sleeps and blocking_calls:
        raise Wrong(
            "blocking_subprocess",
            f"{call} held the event loop for {outcome.longest_stall:.1f} s while the "
            "program ran: the `subprocess` module blocks. Use "
            "`await asyncio.create_subprocess_exec(*command, "
            "stdout=asyncio.subprocess.PIPE)`.",
            recheck=True,
        )
    common_mistakes(outcome, call)
    _judge_watch(outcome, call, heard)
    return correct(
        f"{call} passed on each line as the program printed it, 0.2 s apart, and returned "
        "its exit status, 3."
    )


def _judge_watch(outcome: Outcome, call: str, heard: list[tuple[float, Any]]) -> None:
    """The lines ``on_line`` was given, when it was given them, and the exit status."""
    lines = [line for _, line in heard]
    if lines and isinstance(lines[0], bytes):
        raise Wrong(
            "not_decoded",
            f"on_line was called with bytes ({lines[0]!r}). Decode each line and take off "
            "its newline: `line.decode().rstrip()`.",
        )
    if lines and lines[0].endswith("\n"):
        raise Wrong(
            "newline_kept",
            f"on_line was called with {lines[0]!r}: take off the newline (`.rstrip()`).",
        )
    if lines != ["step 1", "step 2", "step 3"]:
        raise Wrong(
            "wrong_lines",
            f"on_line was called with {lines!r}, not 'step 1', 'step 2', 'step 3' in turn.",
        )
    spread = heard[-1][0] - heard[0][0]
    if spread < 0.3:
        raise Wrong(
            "not_streamed",
            f"{call} passed on the three lines all at once, at the end (within "
            f"{spread:.2f} s), though the program printed them 0.2 s apart. Read them as "
            "they come: `async for line in process.stdout:` (communicate() and wait() "
            "give everything only at the end).",
        )
    if outcome.value is None:
        raise Wrong(
            "not_waited",
            f"{call} returned None. Return the exit status, from `await process.wait()`: "
            "it also waits for the program to end, so no finished child is left behind.",
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

# --- Exercise 3: a polite, patient fetcher --------------------------------------------------

ITEMS = 8
HANG_AT = 2  # where the page that never answers sits among the URLs
LIMIT = 3
TIMEOUT = 0.5
EXPECTED_SECONDS = 0.8  # 8 pages of 0.2 s, 3 at a time, one place held 0.5 s by /hang


def _site_pages() -> dict[str, Page]:
    pages = {f"/item/{n}": Page(f"item {n}", delay=0.2) for n in range(1, ITEMS + 1)}
    pages["/hang"] = Page(hang=True)
    return pages


def _paths() -> list[str]:
    paths = [f"/item/{n}" for n in range(1, ITEMS + 1)]
    paths.insert(HANG_AT, "/hang")
    return paths


def check_fetch_all(fetch_all: Any) -> Result:
    """``fetch_all(urls, limit, timeout)``: bounded, timed out per request, in order, closed."""
    expect_coroutine_function(fetch_all)
    paths = _paths()
    expected = [None if path == "/hang" else f"item {path.rsplit('/', 1)[1]}" for path in paths]
    call = f"fetch_all(urls, limit={LIMIT}, timeout={TIMEOUT})"
    with in_thread(local_site, _site_pages()) as site:
        urls = [site.url_for(path) for path in paths]
        outcome = run_coroutine(partial(fetch_all, urls, LIMIT, TIMEOUT))
        closed = site.traffic.wait_settled(SETTLE)
        traffic = site.traffic
    _blocking_client_used(fetch_all, call, traffic)
    after_hang = paths[HANG_AT + 1]
    if outcome.timed_out and traffic.peak <= 1 and traffic.by_path[after_hang]:
        # It gave up on /hang and went on, one request at a time: slow, not stuck
        # (2.1 s one by one, which a busy machine can stretch past the time limit).
        judge_limit(traffic.peak, LIMIT, len(paths), call)
        raise Wrong("too_slow", f"{call} was still running after {outcome.time_limit:.0f} s.")
    if outcome.timed_out and traffic.by_path["/hang"]:
        raise Wrong(
            "no_timeout",
            f"{call} was still waiting after {outcome.time_limit:.0f} s: one of the URLs never "
            f"answers, and nothing gave up on it. Give each request its own limit: "
            "`async with asyncio.timeout(timeout):` around it, and `None` for it when "
            "the time is up.",
        )
    if isinstance(outcome.error, TimeoutError):
        raise Wrong(
            "timeout_not_caught",
            f"{call} raised TimeoutError. Catch it for each request (`except TimeoutError: "
            "return None`) rather than around the whole batch: the pages that did answer "
            "must come back.",
        )
    common_mistakes(outcome, call)
    _judge_fetch_all(outcome, call, expected, traffic, closed)
    return correct(
        f"{call} returned the {ITEMS} pages in order with None for the one that never "
        f"answered, in {EXPECTED_SECONDS} s; the server never had more than {LIMIT} "
        "requests at once, and saw every connection closed at the end."
    )


def _judge_fetch_all(
    outcome: Outcome, call: str, expected: list[Any], traffic: Traffic, closed: bool
) -> None:
    """What came back, what the server saw, and how long it took."""
    value = outcome.value
    if value != expected:
        if isinstance(value, list) and sorted(map(str, value)) == sorted(map(str, expected)):
            raise Wrong(
                "wrong_order",
                f"{call} returned the pages in the order they arrived: {value!r}. Return "
                "them in the order of `urls` (gather keeps that order).",
            )
        raise Wrong("wrong_value", f"{call} returned {value!r}, not {expected!r}.")
    judge_limit(traffic.peak, LIMIT, len(expected), call)
    if _left_open(outcome) or not closed:
        raise Wrong(
            "session_left_open",
            f"{call} returned the right pages but left its ClientSession open, and with "
            "it the connections to the server. Use `async with aiohttp.ClientSession() "
            "as session:`, which closes them however the block ends.",
        )
    judge_duration(outcome.elapsed, EXPECTED_SECONDS, call, tolerance=SLACK)


ex3 = Exercise(
    title="A polite, patient fetcher",
    answer="fetch_all",
    checker=check_fetch_all,
    hints=[
        "One `async with aiohttp.ClientSession() as session:` around everything, one "
        "`asyncio.Semaphore(limit)`, and `await asyncio.gather(*(one(url) for url in urls))`.",
        "In `one(url)`: `async with semaphore:`, then inside `async with "
        "asyncio.timeout(timeout):` the request, `session.get(url)` and "
        "`await response.text()`.",
        "Around the timeout block, `except TimeoutError: return None`.",
    ],
)

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = ["COMMAND", "EXERCISES", "QUESTIONS", "ex1", "ex2", "ex3"]
