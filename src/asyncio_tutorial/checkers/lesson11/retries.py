"""Exercise 1: ``fetch_with_retries(session, url)``, the crawler's retry policy.

The answer is run for real against a small site (:func:`retry_pages`) whose server
counts how often each page was asked for.  Which answers are retried is the lesson's
table, :data:`~asyncio_tutorial.crawler.RETRY_STATUSES`: pages answer 408, 429, 502 and
504 once before the page, which must come back on the second try, and pages answer 501
and 505, which no second try changes, alongside a 200, a 404 and a 403 (:data:`PASSING`,
:data:`FINAL`).  The pauses between tries are judged as the answer asked its loop for
them (each ``asyncio.sleep``, noted page by page), which is exact however busy the
machine is: 0.1-0.2 s after the first failure, 0.2-0.4 s after the second, 0.4-0.8 s
after the third.  Four tries are needed to tell exponential backoff (0.1, 0.2, 0.4) from
linear (0.1, 0.2, 0.3).  The checker seeds Python's random generator before each run
(and puts the learner's back afterwards), so that a verdict never depends on the draw.
"""

from __future__ import annotations

import asyncio
import random
import sys
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import aiohttp

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_coroutine_function
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine
from asyncio_tutorial.checkers.scenario import Ending, watch
from asyncio_tutorial.crawler import RETRY_STATUSES, Failed
from asyncio_tutorial.servers import Page, Site

from .common import (
    STOP_GRACE,
    CrawlLog,
    describe_tasks,
    forget_frames,
    forgot_await,
    left_open,
    log,
    new_tasks,
    serve,
    set_aside,
    stop_new_tasks,
)

TRIES, TIMEOUT = 4, 0.3
BACKOFF = 0.1  # the pause after the first failure; each one after is twice the one before
FLAKY = 12  # pages that fail three times, asked for at once: do they come back together?
DELAY = 0.1  # seconds an ordinary page takes
GIVE_UP = 3.0  # seconds the checker waits for one call (the slowest right one takes 2.0 s)
CANCEL_AFTER = 0.15
EARLY = 0.01  # a pause may end this much early (clock granularity), as the server sees it
SLACK = 0.25  # a busy machine makes a pause late, never early
SEED = "lesson 11"


FINAL = {
    "/ok": (200, "ok"),
    "/missing": (404,),
    "/forbidden": (403,),
    "/not-implemented": (501,),
    "/version": (505,),
}
"""Pages whose first answer is final, and what it must return: the status (and text)."""

PASSING = {"/request-timeout": 408, "/busy": 429, "/bad-gateway": 502, "/gateway-timeout": 504}
"""Pages that answer this status once, then the page (their path without its slash)."""

MEANING = {
    408: (
        "Request Timeout",
        "the server gave up waiting for the request, and takes it if sent again",
    ),
    429: ("Too Many Requests", "slow down and try again"),
    502: ("Bad Gateway", "a server behind this one failed, for now"),
    504: ("Gateway Timeout", "a server behind this one was too slow, this time"),
    501: ("Not Implemented", "the server cannot do this request at all"),
    505: ("HTTP Version Not Supported", "the server cannot do this request at all"),
}
"""The name and meaning of each status of :data:`PASSING`, and of the 5xx of :data:`FINAL`."""


def _listed(statuses: frozenset[int]) -> str:
    return ", ".join(map(str, sorted(statuses)))


POLICY = (
    f"only a timeout or an answer in RETRY_STATUSES ({_listed(RETRY_STATUSES)}) is worth "
    "another try"
)
"""The policy, as the messages state it."""


def retry_pages() -> dict[str, Page]:
    """Pages that answer, fail, hang, or fail first; the failures answer at once.

    ``/mixed`` answers 500, then not at all, then 500, then not at all (:data:`MIXED`):
    its timeouts are retried like its 500s, and its last failure is a timeout.
    """
    pages = {
        "/ok": Page("ok", delay=DELAY),
        "/missing": Page(status=404, delay=DELAY),
        "/forbidden": Page(status=403, delay=DELAY),
        "/not-implemented": Page(status=501, delay=DELAY),
        "/version": Page(status=505, delay=DELAY),
        "/error": Page(status=500),
        "/mixed": Page(status=500),
        "/stuck": Page(hang=True),
    }
    pages.update(
        {path: Page(path[1:], fail_first=1, fail_status=status) for path, status in PASSING.items()}
    )
    failing = TRIES - 1  # a right answer gets each page on its last try
    pages.update({f"/flaky/{n}": Page(f"flaky {n}", fail_first=failing) for n in flaky()})
    return pages


MIXED = [Page(status=500), Page(hang=True), Page(status=500), Page(hang=True)]
"""How ``/mixed`` answers its requests, one after the other (see :class:`~.common.CrawlLog`)."""


def flaky() -> range:
    return range(1, FLAKY + 1)


def bounds(attempt: int) -> tuple[float, float]:
    """The shortest and longest right pause after failed try number ``attempt``."""
    backoff = BACKOFF * 2 ** (attempt - 1)
    return backoff, 2 * backoff


# --- Running the answer on some pages ----------------------------------------------------

_PAGE: ContextVar[str | None] = ContextVar("lesson11_page", default=None)
_SLEEP = asyncio.sleep.__code__


@dataclass
class _Calls:
    """What became of ``fetch_with_retries`` on some pages, as the checker saw it."""

    endings: dict[str, Ending] = field(default_factory=dict)
    pauses: dict[str, list[float]] = field(default_factory=dict)
    """Per page, the ``asyncio.sleep`` waits its call asked for, in order."""
    waiting: dict[str, float] = field(default_factory=dict)
    """Per page, how long its latest request had been waiting when the checker gave up."""
    not_stopping: list[str] = field(default_factory=list)
    left: str = ""
    """The tasks the calls left running, and where each waited, once they had all ended."""
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def first(self) -> Ending:
        return next(iter(self.endings.values()))

    def outcome_of(self, page: str, outcome: Outcome) -> Outcome:
        """The run's outcome, with what the call on ``page`` returned or raised."""
        ending = self.endings[page]
        return replace(
            outcome,
            value=ending.value,
            error=ending.error,
            returned_coroutines=outcome.returned_coroutines + ending.returned_coroutines,
        )


def _run(
    fetch_with_retries: Any, site: Site, urls: dict[str, str], cancel_after: float | None = None
) -> tuple[Outcome, _Calls]:
    """Call the answer once per page, all at once, each as a task of its own.

    ``urls``: what each page is called in the record, and the address it is fetched at.
    What each call returned or raised is in its ending (:meth:`_Calls.outcome_of`); the
    tasks the calls left running when they had all ended are in ``left`` (they have been
    stopped since: :func:`_judge_left` judges them).
    """
    calls = _Calls()

    async def call(name: str, session: aiohttp.ClientSession) -> Any:
        _PAGE.set(name)  # in this task's own context, and in any task it starts
        return await fetch_with_retries(session, urls[name])

    async def scenario() -> None:
        _note_pauses(asyncio.get_running_loop(), calls.pauses)
        before = asyncio.all_tasks()
        try:
            async with aiohttp.ClientSession() as session:
                give_up = STOP_GRACE if cancel_after is not None else GIVE_UP
                watching = [
                    watch(
                        partial(call, name, session),
                        calls.endings.setdefault(name, Ending()),
                        cancel_after=cancel_after,
                        give_up_after=give_up,
                    )
                    for name in urls
                ]
                await asyncio.gather(*watching)
                calls.waiting = {name: log(site).waiting_since(name) for name in urls}
                if all(ending.finished for ending in calls.endings.values()):
                    left = [t for t in asyncio.all_tasks() - before if not t.done()]
                    calls.left = describe_tasks(left)
                calls.not_stopping = await stop_new_tasks(before)
        finally:
            calls.tasks = new_tasks(before)

    random.seed(f"{SEED}:{','.join(urls)}")
    outcome = run_coroutine(scenario)
    set_aside(calls.tasks)
    for ending in calls.endings.values():
        forget_frames(ending.error)
    return outcome, calls


def _note_pauses(loop: asyncio.AbstractEventLoop, pauses: dict[str, list[float]]) -> None:
    """Note, page by page, the wait of every ``asyncio.sleep`` the calls make on ``loop``."""
    call_later = loop.call_later

    def noting(delay: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        page = _PAGE.get()
        if page is not None and sys._getframe(1).f_code is _SLEEP:
            pauses.setdefault(page, []).append(delay)
        return call_later(delay, callback, *args, **kwargs)

    loop.call_later = noting  # type: ignore[method-assign]


def _judge_run(outcome: Outcome, call: str, *, expected: type[BaseException] = Failed) -> None:
    """The mistakes any run can show, raised; a Failed is left for the scenario to judge.

    A TimeoutError let out comes first: the timeout is around all the tries, not each one.
    """
    forgot_await(outcome, call, expected)
    if isinstance(outcome.error, TimeoutError):
        raise Wrong(
            "timeout_escaped",
            f"{call} raised TimeoutError. Put the timeout around each try (the request "
            "alone), catch the TimeoutError there, retry, and after the last try raise "
            "Failed('timeout').",
        )
    common_mistakes(outcome, call, expected_error=expected)
    if left_open(outcome):
        raise Wrong(
            "session_left_open",
            f"{call} opened an aiohttp session of its own and never closed it: its "
            "connections stay open until Python throws the session away. Use the session "
            "you are given: `await fetch_once(session, url)`.",
        )


def _judge_left(outcome: Outcome, calls: _Calls, call: str) -> None:
    """Tasks the calls started and left running once they had all ended (and blocking,
    which makes everything late, before that)."""
    if outcome.blocked or outcome.timed_out:
        common_mistakes(outcome, call)
    if calls.left:
        raise Wrong(
            "tasks_left_running",
            f"{call} returned while tasks it started were still running ({calls.left}): a "
            "try given up on went on waiting for its page. A timeout must cancel what it "
            "gives up on: `async with asyncio.timeout(TIMEOUT):` does; with asyncio.wait, "
            "cancel the pending task yourself.",
        )


def _ended(outcome: Outcome) -> str:
    if outcome.error is not None:
        return f"raised {type(outcome.error).__name__}({str(outcome.error)!r})"
    return f"returned {outcome.value!r}"


# --- The scenarios, in the order they are checked ------------------------------------------


def _answers_at_once(fetch_with_retries: Any, site: Site) -> None:
    """The pages of :data:`FINAL`, asked for at once: each returned as it came, after one
    try.  A right answer pauses nowhere here."""
    outcome, calls = _run(fetch_with_retries, site, {p: site.url_for(p) for p in FINAL})
    _judge_left(outcome, calls, "fetch_with_retries(session, url) on " + ", ".join(FINAL))
    for path, expected in FINAL.items():
        call = f"fetch_with_retries(session, {path!r})"
        asked = log(site).by_path[path]
        if asked > 1:
            raise _retried(call, path, asked, expected[0])
        _judge_page(outcome, calls, path, call)
        page = calls.outcome_of(path, outcome)
        if _returned(page, expected):
            continue
        should = f"{expected!r}" if len(expected) == 2 else f"({expected[0]}, text)"
        raise Wrong(
            "wrong_value",
            f"{call} {_ended(page)}; it should return {should}: (status, text), as "
            "fetch_once gave them.",
        )


def _comes_back(fetch_with_retries: Any, site: Site) -> None:
    """The pages of :data:`PASSING`, asked for at once: each tried again, for the page.

    Checked after :func:`_gives_up`, where an answer that blocks its loop between tries
    is named: here its blocking pauses would make the others' requests time out, and be
    retried, and block again, until the run took longer than its time limit.
    """
    outcome, calls = _run(fetch_with_retries, site, {p: site.url_for(p) for p in PASSING})
    _judge_left(outcome, calls, "fetch_with_retries(session, url) on " + ", ".join(PASSING))
    gave_up = [
        path
        for path, status in PASSING.items()
        if log(site).by_path[path] == 1
        and calls.endings[path].finished
        and _returned(calls.outcome_of(path, outcome), (status,))
    ]
    if gave_up:
        statuses = [PASSING[path] for path in gave_up]
        raise Wrong(
            "gave_up_on_a_passing_fault",
            "fetch_with_retries(session, url) returned "
            + _and([f"the {PASSING[path]} of {path}" for path in gave_up])
            + " at once, after one try, but "
            + "; ".join(
                f"{status} ({MEANING[status][0]}) means {MEANING[status][1]}" for status in statuses
            )
            + (". The page came" if len(gave_up) == 1 else ". Each page came")
            + f" on the second try: {_and([str(status) for status in statuses])} "
            + ("is" if len(gave_up) == 1 else "are")
            + f" in RETRY_STATUSES ({_listed(RETRY_STATUSES)}), worth another try like a "
            "timeout.",
        )
    for path in PASSING:
        call = f"fetch_with_retries(session, {path!r})"
        _judge_page(outcome, calls, path, call)
        page = calls.outcome_of(path, outcome)
        expected = (200, path[1:])
        if not _returned(page, expected):
            raise Wrong(
                "wrong_value",
                f"{call} {_ended(page)}; it should return {expected!r}: the page answered "
                f"{PASSING[path]} to the first try, then {expected!r}.",
            )


def _retried(call: str, path: str, asked: int, status: int) -> Wrong:
    """A final answer asked for again: a 200, a 4xx, or a 5xx no second try changes."""
    if status in MEANING:
        name, meaning = MEANING[status]
        return Wrong(
            "retried_a_lasting_error",
            f"{call} asked for {path} {asked} times, but its first answer, a {status} "
            f"({name}), was final: {meaning}, and asking again gets the same answer. Not "
            f"every 5xx passes: {POLICY}; return any other answer at once.",
        )
    return Wrong(
        "retried_an_answer" if status < 400 else "retried_4xx",
        f"{call} asked for {path} {asked} times, but its first answer, a {status}, "
        f"was final: return it at once. {POLICY[0].upper()}{POLICY[1:]}; asking again "
        "for a page that "
        + ("answered" if status < 400 else "does not exist, or is forbidden,")
        + " gets the same answer.",
    )


def _judge_page(outcome: Outcome, calls: _Calls, path: str, call: str) -> None:
    """The mistakes the call on ``path`` can show, whatever it should return."""
    page = calls.outcome_of(path, outcome)
    if outcome.blocked or outcome.timed_out:
        common_mistakes(page, call)
    if not calls.endings[path].finished:
        raise _hang(call)
    _judge_run(page, call)


def _returned(page: Outcome, expected: tuple[Any, ...]) -> bool:
    """Whether the call returned (status, text) starting with ``expected``."""
    value = page.value
    if page.error is None and isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(value)[: len(expected)] == expected
    return False


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _gives_up(fetch_with_retries: Any, site: Site) -> tuple[Outcome, _Calls, Failed, int]:
    """/error, which always answers 500, and /mixed, which answers 500 and nothing by
    turns, asked for at once; /error is judged here (what it raised, how often it was
    asked for), /mixed after the backoff, with the run's outcome and calls returned."""
    urls = {path: site.url_for(path) for path in ("/error", "/mixed")}
    outcome, calls = _run(fetch_with_retries, site, urls)
    _judge_left(outcome, calls, "fetch_with_retries(session, url) on /error and /mixed")
    error, asked = _gave_up(calls, outcome, site, "/error", "HTTP 500")
    return outcome, calls, error, asked


def _backs_off(fetch_with_retries: Any, site: Site) -> int:
    """FLAKY pages that fail three times, asked for at once: backoff and jitter, exactly.

    Returns how many different pauses the pages made after their first failure.
    """
    urls = {f"/flaky/{n}": site.url_for(f"/flaky/{n}") for n in flaky()}
    call = f"fetch_with_retries(session, url) on {FLAKY} pages that answer 503 three times"
    outcome, calls = _run(fetch_with_retries, site, urls)
    _judge_left(outcome, calls, call)
    flaky_paths = list(urls)
    if not all(calls.endings[path].finished for path in flaky_paths):
        too_long = _too_long(calls.pauses)
        if too_long:
            raise too_long
        raise _hang(call)
    errors = [calls.endings[path].error for path in flaky_paths]
    outcome.error = next((error for error in errors if error is not None), None)
    _judge_run(outcome, f"{call}, all at once", expected=())
    for path in flaky_paths:
        ending = calls.endings[path]
        expected = (200, f"flaky {path.rsplit('/', 1)[1]}")
        if not isinstance(ending.value, (tuple, list)) or tuple(ending.value) != expected:
            raise Wrong(
                "wrong_value",
                f"{call}: {path} {ending.describe()}; it should return {expected!r}, which "
                "its last try gets.",
            )
    pauses = [calls.pauses.get(path, [])[: TRIES - 1] for path in flaky_paths]
    if not any(pauses):
        _judge_gaps(site, flaky_paths, call)
        return 0
    _judge_pauses(pauses, call)
    return len({p[0] for p in pauses})


def _gave_up(
    calls: _Calls, outcome: Outcome, site: Site, path: str, cause: str
) -> tuple[Failed, int]:
    """A page whose every try fails: exactly TRIES tries, then ``Failed(cause)``."""
    call = f"fetch_with_retries(session, {path!r})"
    asked = log(site).by_path[path]
    pauses = calls.pauses.get(path, [])
    page = calls.outcome_of(path, outcome)
    if outcome.blocked or outcome.timed_out:
        common_mistakes(page, call)
    if not calls.endings[path].finished:
        if calls.waiting.get(path, 0.0) > TIMEOUT + SLACK:
            raise Wrong(
                "no_timeout",
                f"{call} was still waiting for a page that never answers when the checker "
                f"gave up, after {GIVE_UP:g} s. Bound every try: "
                "`async with asyncio.timeout(TIMEOUT):` around the request.",
            )
        if asked > TRIES:
            raise _too_many(call, asked, still=True)
        if len(pauses) >= asked:
            raise _waited_after_last_try(call, pauses)
        raise _hang(call)
    if asked > TRIES:
        raise _too_many(call, asked, still=False)
    _judge_run(page, call)
    if asked < TRIES:
        raise Wrong(
            "too_few_tries",
            f"{call} asked for the page {asked} time(s), not {TRIES}: a "
            f"{'timeout' if cause == 'timeout' else 'answer in RETRY_STATUSES'} is worth "
            "retrying, "
            f"{TRIES} tries in all (`for attempt in range(1, TRIES + 1):`).",
        )
    if len(pauses) >= TRIES:
        raise _waited_after_last_try(call, pauses)
    if len(pauses) < TRIES - 1:
        raise Wrong(
            "no_backoff",
            f"{call} tried {TRIES} times but paused only {len(pauses)} time(s) between them: "
            f"after a {'timeout' if cause == 'timeout' else 'failure'} it tried again at "
            "once. Pause after every failed try but the last: "
            "`backoff + random.uniform(0, backoff)`.",
        )
    error = page.error
    if not isinstance(error, Failed):
        raise Wrong(
            "no_failed",
            f"{call} {_ended(page)} after {TRIES} failed tries. When the last try has "
            f"failed too, raise Failed with the last failure's cause: here "
            f"`raise Failed({cause!r})`.",
            suggests="raise Failed",
        )
    if error.cause != cause:
        raise Wrong(
            "wrong_cause",
            f"{call} raised Failed({error.cause!r}), but the last try "
            + ("timed out" if cause == "timeout" else f"failed with {cause}")
            + f": the cause is the last failure's, {cause!r}. Note it in every failed try "
            "(`cause = 'timeout'` in the `except TimeoutError:`, `cause = f'HTTP {status}'` "
            "for an answer in RETRY_STATUSES), and raise Failed(cause) after the loop.",
        )
    return error, asked


def _hang(call: str) -> Wrong:
    return Wrong("hang", f"{call} had not finished after {GIVE_UP:g} s, far longer than it should.")


def _too_many(call: str, asked: int, *, still: bool) -> Wrong:
    if still:
        return Wrong(
            "retries_forever",
            f"{call} asked for a page that always fails {asked} times, and was still trying "
            f"when the checker gave up. Give up after {TRIES} tries: "
            "`for attempt in range(1, TRIES + 1):`, then raise Failed.",
        )
    return Wrong(
        "too_many_tries",
        f"{call} asked for a page that always fails {asked} times: {TRIES} tries in all, the "
        "first one included, then raise Failed.",
    )


def _waited_after_last_try(call: str, pauses: list[float]) -> Wrong:
    return Wrong(
        "waited_after_last_try",
        f"{call} paused {len(pauses)} times ({', '.join(f'{p:.2f} s' for p in pauses)}), "
        f"after its last try too: with {TRIES} tries there are {TRIES - 1} pauses between "
        "them. Raise Failed as soon as the last try has failed: wait only "
        "`if attempt < TRIES:`.",
    )


def _judge_pauses(pauses: list[list[float]], call: str) -> None:
    """The pauses each page's call asked for, round by round: growing, jittered, bounded."""
    if any(len(p) < TRIES - 1 for p in pauses):
        raise Wrong(
            "no_backoff",
            f"{call}: a page was tried again at once, without pausing, after a 503. Wait "
            f"{BACKOFF:g} s after the first failure, twice as long after each one more, plus "
            "a random extra: a busy server needs room, not more requests.",
            suggests="asyncio.sleep",
        )
    for attempt in range(1, TRIES):
        shortest, longest = bounds(attempt)
        paused = [p[attempt - 1] for p in pauses]
        if min(paused) >= shortest - 1e-9:
            continue
        if attempt == 1 and max(paused) <= shortest:
            raise Wrong(
                "jitter_instead_of_backoff",
                f"{call}: the pauses after the first 503 were {_span(paused)}, all shorter than "
                f"the backoff of {shortest:g} s. The random extra comes on top of the "
                "backoff: `backoff + random.uniform(0, backoff)`, not "
                "`random.uniform(0, backoff)` alone.",
            )
        if attempt == 1:
            raise Wrong(
                "no_backoff",
                f"{call}: pauses of {_span(paused)} after the first 503, shorter than the "
                f"{shortest:g} s backoff. Wait `backoff + random.uniform(0, backoff)`, "
                "with `backoff = 0.1 * 2 ** (attempt - 1)`.",
            )
        linear = BACKOFF * attempt
        if attempt >= 3 and min(paused) >= linear - 1e-9:
            raise Wrong(
                "linear_backoff",
                f"{call}: pauses of {_span(paused)} after the third 503: the backoff grew by "
                f"{BACKOFF:g} s each time (0.1, 0.2, 0.3), where it should double "
                f"(0.1, 0.2, 0.4): exponential backoff is `0.1 * 2 ** (attempt - 1)`.",
            )
        raise Wrong(
            "backoff_not_growing",
            f"{call}: pauses of {_span(paused)} after failure number {attempt}, no longer "
            f"than after the first. Double the backoff after each failure (exponential "
            "backoff): `0.1 * 2 ** (attempt - 1)`.",
        )
    too_long = _too_long({str(n): p for n, p in enumerate(pauses)})
    if too_long:
        raise too_long
    for attempt in range(1, TRIES):
        paused = [p[attempt - 1] for p in pauses]
        if max(paused) - min(paused) > 1e-9:
            return
    raise Wrong(
        "no_jitter",
        f"{call}: all {len(pauses)} pages paused exactly the same "
        f"({', '.join(f'{p:g} s' for p in pauses[0][: TRIES - 1])}), so they all came back "
        "at the same moments. Clients that fail together then retry together. Add a "
        "random extra: `backoff + random.uniform(0, backoff)`.",
        suggests="random.uniform",
    )


def _too_long(pauses: dict[str, list[float]]) -> Wrong | None:
    for each in pauses.values():
        for attempt, pause in enumerate(each[: TRIES - 1], start=1):
            shortest, longest = bounds(attempt)
            if pause > longest + 1e-9:
                return Wrong(
                    "waits_too_long",
                    f"fetch_with_retries paused {pause:.2f} s after a page's failure number "
                    f"{attempt}; "
                    f"it should be {shortest:g} s plus a random extra of up to as much again, "
                    f"so at most {longest:g} s: `backoff + random.uniform(0, backoff)`.",
                )
    return None


def _span(pauses: list[float]) -> str:
    low, high = min(pauses), max(pauses)
    return f"{low:.2f} s" if high - low < 0.005 else f"{low:.2f} to {high:.2f} s"


def _judge_gaps(site: Site, paths: list[str], call: str) -> None:
    """No ``asyncio.sleep`` was seen: judge the pauses by the server's clock, loosely."""
    gaps = [log(site).gaps(path) for path in paths]
    for attempt in range(1, TRIES):
        shortest, longest = bounds(attempt)
        measured = [g[attempt - 1] for g in gaps if len(g) >= attempt]
        if measured and min(measured) < shortest - EARLY:
            raise Wrong(
                "no_backoff" if attempt == 1 else "backoff_not_growing",
                f"{call}: a try came {min(measured):.2f} s after failure number {attempt}, "
                f"as the server saw it; the pause should be at least {shortest:g} s: "
                "`backoff + random.uniform(0, backoff)`, `backoff = 0.1 * 2 ** (attempt - 1)`.",
            )
        if measured and max(measured) > longest + SLACK:
            raise Wrong(
                "waits_too_long",
                f"{call}: a try came {max(measured):.2f} s after failure number {attempt}, as "
                f"the server saw it; the pause should be at most {longest:g} s.",
            )


def _bad_url(fetch_with_retries: Any, site: Site) -> str:
    """A relative address, which aiohttp refuses at once: never worth another try."""
    name = "/ok, relative"
    call = "fetch_with_retries(session, '/ok'), an address without its site"
    outcome, calls = _run(fetch_with_retries, site, {name: "/ok"})
    outcome = calls.outcome_of(name, outcome)
    pauses = calls.pauses.get(name, [])
    if pauses or not calls.first().finished:
        ended = _ended(outcome) if calls.first().finished else "was still trying"
        raise Wrong(
            "retried_bad_url",
            f"{call}, tried again after pauses of {', '.join(f'{p:.2f} s' for p in pauses)} "
            f"and {ended}. aiohttp refuses such an address at once (InvalidURL), and will "
            "every time: it is not worth another try. Catch only what is worth one: "
            "`except TimeoutError:` (aiohttp.ClientError includes InvalidURL; lost "
            "connections are aiohttp.ClientConnectionError).",
        )
    _judge_run(outcome, call, expected=Exception)
    if outcome.error is None:
        raise Wrong(
            "wrong_value",
            f"{call} {_ended(outcome)}: let aiohttp's InvalidURL through, as it came.",
        )
    return type(outcome.error).__name__


def _cancellable(fetch_with_retries: Any, site: Site) -> None:
    """Cancelled from outside while it waits for a page: it must end cancelled."""
    call = f"fetch_with_retries(session, '/stuck'), cancelled from outside after {CANCEL_AFTER} s"
    outcome, calls = _run(
        fetch_with_retries, site, {"/stuck": site.url_for("/stuck")}, cancel_after=CANCEL_AFTER
    )
    ending = calls.first()
    if ending.finished and ending.cancelled:
        return
    if ending.finished:
        what = f"{ending.describe()} instead of ending cancelled"
    elif calls.not_stopping:
        what = (
            f"was still running {STOP_GRACE:g} s later, and cancelled again it still ran: it "
            "could not be stopped, and has been set aside for good (it will never run again)"
        )
    else:
        what = f"was still running {STOP_GRACE:g} s after it was cancelled"
    raise Wrong(
        "swallowed_cancellation",
        f"{call} {what}. A bare `except:` (or `except BaseException`) catches the "
        "CancelledError too: catch only TimeoutError, so that whoever stops the crawl "
        "can stop it.",
    )


# --- The checker ---------------------------------------------------------------------------


def check_fetch_with_retries(fetch_with_retries: Any) -> Result:
    """Timeouts, retries of RETRY_STATUSES and timeouts only, exponential backoff with
    jitter, a limit."""
    expect_coroutine_function(fetch_with_retries)
    state = random.getstate()
    try:
        with serve(retry_pages(), CrawlLog(script={"/mixed": MIXED})) as site:
            _answers_at_once(fetch_with_retries, site)
            outcome, calls, error, error_tries = _gives_up(fetch_with_retries, site)
            _comes_back(fetch_with_retries, site)
            different = _backs_off(fetch_with_retries, site)
            _, mixed_tries = _gave_up(calls, outcome, site, "/mixed", "timeout")
            _cancellable(fetch_with_retries, site)
            refused = _bad_url(fetch_with_retries, site)
    finally:
        random.setstate(state)
    pauses = ", ".join(f"{low:g}-{high:g} s" for low, high in map(bounds, range(1, TRIES)))
    jitter = f", {different} different pauses after the first failure" if different else ""
    return correct(
        f"fetch_with_retries returned a page, a 404, a 403, a 501 and a 505 after one "
        f"request each, and got pages that first answered "
        f"{_and([str(s) for s in PASSING.values()])} on their second try; gave up "
        f"on a page that always answers 500 after {error_tries} tries, raising "
        f"Failed({error.cause!r}), and on one that answers 500 and nothing by turns after "
        f"{mixed_tries} tries, raising Failed('timeout'); got {FLAKY} pages that fail 3 "
        f"times on their last try, pausing {pauses}{jitter}; cancelled, ended cancelled; "
        f"and let a relative address's {refused} through, untried again."
    )


ex1 = Exercise(
    title="The retry policy",
    answer="fetch_with_retries",
    checker=check_fetch_with_retries,
    # /mixed: two timeouts of 0.3 s and pauses of up to 0.2 + 0.4 + 0.8 s take 2.0 s; the
    # checker gives up on a call after GIVE_UP (3 s), and stops what is left after that.
    time_limit=GIVE_UP + 1.0,
    hints=[
        "A loop of TRIES tries. In each: `async with asyncio.timeout(TIMEOUT):` around "
        "`status, text = await fetch_once(session, url)`; `except TimeoutError:` notes the cause.",
        "Return `(status, text)` when `status not in RETRY_STATUSES` (a 404 or a 501 too). "
        "Otherwise, unless it was the last try, wait `backoff + random.uniform(0, backoff)`, "
        "where `backoff = 0.1 * 2 ** (attempt - 1)`.",
        "After the loop, `raise Failed(cause)`, where cause is 'timeout' or f'HTTP {status}'. "
        "Catch nothing but TimeoutError: a bare `except:` would swallow cancellation.",
    ],
)
