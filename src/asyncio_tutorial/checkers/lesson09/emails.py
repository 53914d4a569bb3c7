"""Exercise 5: ``active_emails(members, fetch_email)``, an async comprehension with ``await``.

The checker hands the answer a cursor of its own over five member records (0.1 s a row,
three of them active) and an email directory that counts its look-ups (0.3, 0.1 and
0.2 s for the three active members).  Counts, not clocks: how many rows were taken,
whether the cursor was asked for more after its end (a second pass over it), how many
emails were looked up and for whom, and how many look-ups were at work at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    took,
)
from asyncio_tutorial.checkers.runner import run_coroutine
from asyncio_tutorial.checkers.scenario import Concurrency

MEMBERS = [
    {"name": "ada", "active": True},
    {"name": "bob", "active": False},
    {"name": "grace", "active": True},
    {"name": "eve", "active": False},
    {"name": "linus", "active": True},
]
"""The member records the cursor gives, in order."""
ROW_SECONDS = 0.1
EMAIL_SECONDS = {"ada": 0.3, "grace": 0.1, "linus": 0.2}
"""How long looking up each active member's email takes (anyone else: 0.1 s)."""
OTHER_EMAIL = 0.1
ACTIVE = [member["name"] for member in MEMBERS if member["active"]]
EXPECTED = {name: f"{name}@example.org" for name in ACTIVE}


class Members:
    """A cursor over member records, as a database driver gives one: an async iterator
    (``async for member in cursor``) that takes 0.1 s a row, and is read once.

    It notes how many rows were taken, and how often it was asked for a row after its
    end (a second pass over a cursor that is used up gives nothing).
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self.taken = 0
        self.ended = False
        self.asked_after_end = 0

    def __aiter__(self) -> Members:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self.taken >= len(self._rows):
            if self.ended:
                self.asked_after_end += 1
            self.ended = True
            raise StopAsyncIteration
        await asyncio.sleep(ROW_SECONDS)
        row = dict(self._rows[self.taken])
        self.taken += 1
        return row

    async def aclose(self) -> None:
        """Give the cursor back early (``contextlib.aclosing`` calls this)."""
        self.ended = True

    def __repr__(self) -> str:
        return f"<Members cursor, {self.taken} of {len(self._rows)} rows taken>"


class _Directory:
    """The email directory, counting its look-ups."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []
        self.traffic = Concurrency()

    async def fetch_email(self, name: str) -> str:
        self.looked_up.append(name)
        async with self.traffic.track():
            pause = EMAIL_SECONDS.get(name, OTHER_EMAIL) if isinstance(name, str) else OTHER_EMAIL
            await asyncio.sleep(pause)
        return f"{name}@example.org"


def query_members() -> Members:
    """A fresh cursor over the five members (0.1 s a row): ada, bob, grace, eve, linus,
    each a dict such as ``{"name": "ada", "active": True}``; bob and eve are inactive."""
    return Members(MEMBERS)


_directory = _Directory()


async def fetch_email(name: str) -> str:
    """Look up a member's email address: ``await fetch_email("ada")`` gives
    ``'ada@example.org'`` after 0.3 s (grace 0.1 s, linus 0.2 s, anyone else 0.1 s)."""
    return await _directory.fetch_email(name)


CALL = "active_emails(query_members(), fetch_email)"


def check_active_emails(active_emails: Any) -> Result:
    """``active_emails(members, fetch_email)``: ``{name: email}`` of the active members."""
    expect_coroutine_function(active_emails)
    members = Members(MEMBERS)
    directory = _Directory()
    outcome = run_coroutine(lambda: active_emails(members, directory.fetch_email))
    error = outcome.error
    if isinstance(error, TypeError) and "not iterable" in str(error):
        raise Wrong(
            "plain_for",
            f"{CALL} raised {error_text(error)}. The cursor is an async iterator: a plain "
            "`for`, a plain comprehension and list() cannot take its rows, which have to be "
            "awaited. Write the comprehension with `async for member in members`.",
            suggests="async for",
        )
    if isinstance(error, TypeError) and "await" in str(error) and "Members" in str(error):
        raise Wrong(
            "awaited_iterator",
            f"{CALL} raised {error_text(error)}. The cursor is not something to await: it "
            "is iterated, and each of its rows is awaited for you by `async for member in "
            "members`.",
            suggests="async for",
        )
    values = outcome.value.values() if isinstance(outcome.value, dict) else []
    if any(isinstance(value, asyncio.Future) for value in values):
        raise Wrong(
            "tasks_not_awaited",
            f"{CALL} returned a dict of tasks, not of emails: each look-up was started "
            "(create_task), and none was awaited. Put `await fetch_email(...)` in the "
            "comprehension itself.",
        )
    common_mistakes(outcome, CALL)
    _judge_reading(outcome.value, members, directory)
    _judge_value(outcome.value)
    peak = directory.traffic.peak
    how = "one after another" if peak <= 1 else f"{peak} at once"
    return correct(
        f"{CALL} returned the emails of the {len(EXPECTED)} active members after "
        f"{took(outcome.elapsed)}: it read the {members.taken} rows once, to the end, and "
        f"looked up {len(directory.looked_up)} emails ({how}), none for the "
        f"{len(MEMBERS) - len(ACTIVE)} inactive members."
    )


def _judge_reading(value: Any, members: Members, directory: _Directory) -> None:
    """Every row read once; an email looked up for the active members only, once each."""
    names = [member["name"] for member in MEMBERS]
    strangers = [name for name in directory.looked_up if name not in names]
    if strangers:
        raise Wrong(
            "wrong_name",
            f"{CALL} called fetch_email({strangers[0]!r}), which is no member's name: "
            "look each member up by their name, `fetch_email(member['name'])`.",
            suggests="fetch_email(member['name'])",
        )
    inactive = list(dict.fromkeys(n for n in directory.looked_up if n not in EXPECTED))
    if inactive:
        raise Wrong(
            "fetched_inactive",
            f"{CALL} looked up {len(directory.looked_up)} emails, also for "
            f"{' and '.join(inactive)}, who are inactive: a look-up costs 0.1 s or more. "
            "Filter in the comprehension, `if member['active']`, which is tested before "
            "the `await` for each member.",
        )
    if members.asked_after_end:
        raise Wrong(
            "read_twice",
            f"{CALL} went over the cursor a second time after it had given all its "
            f"{members.taken} rows, and got nothing: a cursor (like any async generator) "
            "is used up after one pass. Take what you need in the one comprehension: the "
            "filter and the `await fetch_email(...)` together.",
        )
    if members.taken < len(MEMBERS):
        raise Wrong(
            "stopped_early",
            f"{CALL} took only {members.taken} of the {len(MEMBERS)} rows from the cursor "
            f"and returned {value!r}: go through all of it, `async for member in members`.",
        )
    twice = sorted({name for name in directory.looked_up if directory.looked_up.count(name) > 1})
    if twice:
        raise Wrong(
            "fetched_twice",
            f"{CALL} looked up the email of {', '.join(twice)} more than once: await "
            "fetch_email once per member, in the comprehension's value.",
        )


def _judge_value(value: Any) -> None:
    if isinstance(value, (list, set, tuple)):
        raise Wrong(
            "wrong_type",
            f"{CALL} returned a {type(value).__name__}, {value!r}; return a dict from each "
            "active member's name to their email: a dict comprehension, `{name: email "
            "async for ...}`.",
        )
    if not isinstance(value, dict):
        raise Wrong("wrong_type", f"{CALL} returned {value!r}, not a dict of emails.")
    if set(value) - set(EXPECTED):
        extra = " and ".join(sorted(map(repr, set(value) - set(EXPECTED))))
        raise Wrong(
            "kept_inactive",
            f"{CALL} returned {value!r}, with {extra}, who are not active members: keep only "
            "the members for which `member['active']` is true.",
        )
    if set(value) == set(EXPECTED) and sorted(value.values()) == sorted(EXPECTED.values()):
        if value != EXPECTED:
            raise Wrong(
                "pairs_mixed_up",
                f"{CALL} returned {value!r}: the right names and the right emails, paired "
                "wrongly (emails taken in the order their look-ups finished, as "
                "as_completed gives them?). Pair each name with its own look-up.",
            )
    if value != EXPECTED:
        raise Wrong("wrong_value", f"{CALL} returned {value!r}, not {EXPECTED!r}.")


ex5 = Exercise(
    title="Collect with an async comprehension",
    answer="active_emails",
    checker=check_active_emails,
    hints=[
        "A comprehension takes an async iterator with `async for`: "
        "`{... async for member in members}`.",
        "The `if member['active']` of a comprehension is tested before its value is "
        "computed, so the inactive members cost no look-up.",
        "`{member['name']: await fetch_email(member['name']) async for member in members "
        "if member['active']}`.",
    ],
)
