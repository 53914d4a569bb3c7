"""Lesson 11's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``; the
worked answers are loaded from the solutions notebook here too, to build the wrong
answers from them.  ``WRONG_ANSWERS`` at the end lists every wrong answer with the
mistake it must get (``wrong_answers.py`` tests them); the tests in between check what
the messages say, right answers written another way, and the defects fixed.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import textwrap
import time
import urllib.request
from typing import Any

import aiohttp
import pytest
from exercise_tools import ROOT, worked
from tqdm import tqdm
from tqdm.asyncio import tqdm as tqdm_asyncio
from wrong_answers import collect_within, contamination_test, wrong_answer_test

from asyncio_tutorial.checkers.core import CORRECT
from asyncio_tutorial.checkers.lesson11 import (
    RETRY_STATUSES,
    TIMEOUT,
    TRIES,
    Crawl,
    Failed,
    crawl_worker,
    ex1,
    ex2,
    ex3,
    ex4,
    fetch_once,
    fetch_page,
)

LESSON = "11-capstone"
WORKED = worked(LESSON)  # loaded here, not inside an answer the checker times


# --- exercise 1: fetch_with_retries ---------------------------------------------------------


async def no_timeout(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        status, text = await fetch_once(session, url)
        if status not in RETRY_STATUSES:
            return status, text
        if attempt < TRIES:
            await asyncio.sleep(0.1 * 2 ** (attempt - 1) * (1 + random.random()))
    raise Failed(f"HTTP {status}")


async def retries_forever(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    attempt = 0
    while True:
        attempt += 1
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
            if status not in RETRY_STATUSES:
                return status, text
        except TimeoutError:
            pass
        backoff = 0.1 * 2 ** (attempt - 1)
        await asyncio.sleep(backoff + random.uniform(0, backoff))


async def _late(seconds: float) -> None:
    """What a busy machine adds: lateness, not a pause the answer asked for."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_later(seconds, future.set_result, None)
    await future


def _policy(
    name: str,
    wait: Any,
    retry_if: Any = lambda status: status in RETRY_STATUSES,
    late: Any = lambda url: 0,
    tries: int = TRIES,
) -> Any:
    """A fetch_with_retries that waits ``wait(attempt)`` and retries when ``retry_if``.

    ``late(url)``: seconds more after each wait, as a busy machine adds, page by page.
    """

    async def fetch_with_retries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
        for attempt in range(1, tries + 1):
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, text = await fetch_once(session, url)
            except TimeoutError:
                cause = "timeout"
            else:
                if not retry_if(status):
                    return status, text
                cause = f"HTTP {status}"
            if attempt < tries:
                await asyncio.sleep(wait(attempt))
                if late(url):
                    await _late(late(url))
        raise Failed(cause)

    fetch_with_retries.__name__ = fetch_with_retries.__qualname__ = name
    return fetch_with_retries


def _jittered(attempt: int) -> float:
    backoff = 0.1 * 2 ** (attempt - 1)
    return backoff + random.uniform(0, backoff)


no_backoff = _policy("no_backoff", lambda attempt: 0)
constant_wait = _policy("constant_wait", lambda attempt: 0.1 + random.uniform(0, 0.1))
no_jitter = _policy("no_jitter", lambda attempt: 0.1 * 2 ** (attempt - 1))
retries_a_404 = _policy("retries_a_404", _jittered, retry_if=lambda status: status >= 400)
retries_a_403 = _policy(
    "retries_a_403", _jittered, retry_if=lambda status: status not in (200, 404)
)
linear_backoff = _policy(
    "linear_backoff", lambda attempt: 0.1 * attempt + random.uniform(0, 0.1 * attempt)
)
full_jitter = _policy("full_jitter", lambda attempt: random.uniform(0, 0.1 * 2 ** (attempt - 1)))
triples = _policy("triples", lambda attempt: 0.1 * 3 ** (attempt - 1) * (1 + random.random()))
one_try_more = _policy("one_try_more", _jittered, tries=TRIES + 1)

# Which answers are worth another try: the lesson's table, RETRY_STATUSES, and no other.
every_5xx_and_429 = _policy(
    "every_5xx_and_429", _jittered, retry_if=lambda status: status >= 500 or status == 429
)
every_5xx_408_and_429 = _policy(
    "every_5xx_408_and_429",
    _jittered,
    retry_if=lambda status: status >= 500 or status in (408, 429),
)
every_5xx_but_501 = _policy(  # 505 is no better
    "every_5xx_but_501",
    _jittered,
    retry_if=lambda status: (status >= 500 and status != 501) or status in (408, 429),
)
retry_statuses_and_every_5xx = _policy(
    "retry_statuses_and_every_5xx",
    _jittered,
    retry_if=lambda status: status in RETRY_STATUSES or status // 100 == 5,
)
server_errors_only = _policy(  # forgets 408 and 429
    "server_errors_only", _jittered, retry_if=lambda status: status in (500, 502, 503, 504)
)
forgets_408 = _policy(
    "forgets_408", _jittered, retry_if=lambda status: status in (429, 500, 502, 503, 504)
)
only_500_and_503 = _policy(
    "only_500_and_503", _jittered, retry_if=lambda status: status in (500, 503)
)
all_but_200 = _policy("all_but_200", _jittered, retry_if=lambda status: status != 200)


async def bare_except(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        except:  # noqa: E722 - the mistake under test
            cause = "timeout"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def catches_cancelled_error_too(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except (TimeoutError, asyncio.CancelledError):  # "both mean it took too long"
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def returns_the_last_answer(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            status, text = 504, "timeout"
        if status not in RETRY_STATUSES or attempt == TRIES:
            return status, text
        await asyncio.sleep(_jittered(attempt))
    raise AssertionError("not reached")


async def one_timeout_for_all_tries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with asyncio.timeout(TIMEOUT):
        for attempt in range(1, TRIES + 1):
            status, text = await fetch_once(session, url)
            if status not in RETRY_STATUSES:
                return status, text
            if attempt < TRIES:
                await asyncio.sleep(_jittered(attempt))
    raise Failed(f"HTTP {status}")


async def too_few_tries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def retries_every_exception(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except Exception:  # "anything that goes wrong is worth another try"
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def retries_every_client_error(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    # As the lesson's crawler does (lost connections), but InvalidURL is a ClientError too.
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        except aiohttp.ClientError as error:
            cause = type(error).__name__
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def pauses_after_the_last_try(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def time_sleep_backoff(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            time.sleep(_jittered(attempt))
    raise Failed(cause)


async def sleep_never_awaited(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            asyncio.sleep(_jittered(attempt))  # noqa: RUF006 - the mistake under test
    raise Failed(cause)


async def cause_from_the_last_status(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    status = 0
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
            if status not in RETRY_STATUSES:
                return status, text
        except TimeoutError:
            pass
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(f"HTTP {status}" if status else "timeout")


async def own_session_never_closed(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    mine = aiohttp.ClientSession()  # "a fresh session for every page"
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(mine, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def forgot_await_fetch_once(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = fetch_once(session, url)  # type: ignore[misc]
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


async def gives_up_without_cancelling(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        request = asyncio.ensure_future(fetch_once(session, url))
        done, _ = await asyncio.wait([request], timeout=TIMEOUT)
        if not done:
            cause = "timeout"  # and the request goes on, unwatched
        else:
            status, text = request.result()
            if status not in RETRY_STATUSES:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


def test_a_policy_without_jitter_is_told_about_clients_coming_back_together() -> None:
    result = ex1.evaluate(no_jitter)
    assert "at the same moments" in result.message and "random.uniform" in result.message


# Retries 0.1, 0.2 then 0.4 s after a 503, which arrive up to 35 ms apart, page by page.
no_jitter_on_a_busy_machine = _policy(
    "no_jitter_on_a_busy_machine",
    lambda attempt: 0.1 * 2 ** (attempt - 1),
    late=lambda url: 0.005 * (sum(map(ord, url)) % 8),
)


def test_a_policy_without_jitter_is_told_so_when_a_busy_machine_spreads_its_retries() -> None:
    # The server saw these retries 5 to 40 ms apart, as it did a jitter-less answer's once
    # under a full validation (and called it right); its pauses were all 0.1 and 0.2 s.
    result = ex1.evaluate(no_jitter_on_a_busy_machine)
    assert result.mistake == "no_jitter", result.message


async def returns_below_500(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    # "An answer of 500 or more is worth another try": a 501 too, and never a 429.
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status < 500:
                return status, text
            cause = f"HTTP {status}"
        if attempt < TRIES:
            backoff = 0.1 * 2 ** (attempt - 1)
            await asyncio.sleep(backoff + random.uniform(0, backoff))
    raise Failed(cause)


def test_retrying_a_501_is_told_it_is_final_and_what_is_worth_another_try() -> None:
    result = ex1.evaluate(returns_below_500)
    assert result.mistake == "retried_a_lasting_error", result.message
    assert "501 (Not Implemented)" in result.message
    assert "cannot do this request at all" in result.message
    assert "RETRY_STATUSES (408, 429, 500, 502, 503, 504)" in result.message


def test_a_429_returned_at_once_is_told_it_asks_to_slow_down_and_try_again() -> None:
    result = ex1.evaluate(server_errors_only)
    assert result.mistake == "gave_up_on_a_passing_fault", result.message
    assert "the 408 of /request-timeout and the 429 of /busy" in result.message
    assert "429 (Too Many Requests) means slow down and try again" in result.message
    assert "in RETRY_STATUSES" in result.message


def test_linear_backoff_is_told_the_pauses_should_double() -> None:
    result = ex1.evaluate(linear_backoff)
    assert result.mistake == "linear_backoff", result.message
    assert "0.1, 0.2, 0.4" in result.message


def test_the_learners_random_state_is_put_back_after_a_check() -> None:
    random.seed(1234)
    expected = random.random()
    random.seed(1234)
    ex1.evaluate(WORKED["fetch_with_retries"])
    assert random.random() == expected


def test_correct_retries_state_the_tries_counted_this_run() -> None:
    message = ex1.evaluate(WORKED["fetch_with_retries"]).message
    assert f"after {TRIES} tries, raising Failed('HTTP 500')" in message
    assert "12 different pauses" in message


async def retries_with_wait_for(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    backoff = 0.1
    attempt = 1
    while True:
        try:
            status, text = await asyncio.wait_for(fetch_once(session, url), TIMEOUT)
        except TimeoutError:
            cause = "timeout"
        else:
            if status not in {408, 429, 500, 502, 503, 504}:
                return status, text
            cause = f"HTTP {status}"
        if attempt == TRIES:
            raise Failed(cause)
        await asyncio.sleep(backoff + random.uniform(0, backoff))
        backoff *= 2
        attempt += 1


async def retries_lost_connections_too(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        except aiohttp.ClientConnectionError as error:
            cause = type(error).__name__
        else:
            if status in RETRY_STATUSES:
                cause = f"HTTP {status}"
            else:
                return status, text
        if attempt < TRIES:
            delay = 0.1 * 2 ** (attempt - 1)
            await asyncio.sleep(delay + delay * random.random())
    raise Failed(cause)


@pytest.mark.parametrize("answer", [retries_with_wait_for, retries_lost_connections_too])
def test_fetch_with_retries_written_another_way_is_right(answer: Any) -> None:
    result = ex1.evaluate(answer)
    assert result.status == CORRECT, result.message


# --- exercise 2: worker ------------------------------------------------------------------------


async def no_dedup(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def seen_when_fetched(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        crawl.seen.add(url)  # only once it is being fetched: too late
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def task_done_skipped_on_failure(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
        except Failed as failure:
            crawl.failures[url] = failure.cause
            continue
        crawl.pages[url] = text
        for link in links:
            if link not in crawl.seen:
                crawl.seen.add(link)
                queue.put_nowait(link)
        queue.task_done()


async def failure_kills_the_worker(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        finally:
            queue.task_done()


async def task_per_link(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    async def visit(url: str) -> None:
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            new = [link for link in links if link not in crawl.seen]
            crawl.seen.update(new)
            await asyncio.gather(*(visit(link) for link in new))
        except Failed as failure:
            crawl.failures[url] = failure.cause

    while True:
        url = await queue.get()
        try:
            await visit(url)
        finally:
            queue.task_done()


async def stops_when_the_queue_is_empty(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while not queue.empty():
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def failure_ignored(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed:
            pass
        finally:
            queue.task_done()


async def fetched_with_urllib(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            with urllib.request.urlopen(url) as response:  # blocks the loop
                crawl.pages[url] = response.read().decode()
        except OSError as error:
            crawl.failures[url] = str(error)
        finally:
            queue.task_done()


async def swallows_cancellation_at_get(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while True:
        try:
            url = await queue.get()
        except BaseException:  # "nothing may stop the worker"
            continue
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def returns_when_cancelled(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        try:
            url = await queue.get()
        except asyncio.CancelledError:
            return  # "stopped: nothing more to do"
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def notes_whatever_stopped_the_page(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except BaseException as error:  # "note whatever stopped the page"
            crawl.failures[url] = getattr(error, "cause", repr(error))
        finally:
            queue.task_done()


async def except_base_exception_for_the_cause(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except BaseException as failure:
            crawl.failures[url] = failure.cause  # type: ignore[attr-defined]
        finally:
            queue.task_done()


async def forgot_await_fetch_page(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = fetch_page(session, url)  # type: ignore[misc]
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def forgot_await_get(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = queue.get()
        try:
            text, links = await fetch_page(session, url)  # type: ignore[arg-type]
            crawl.pages[url] = text  # type: ignore[index]
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause  # type: ignore[index]
        finally:
            queue.task_done()


async def polite_with_time_sleep(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            time.sleep(0.05)  # "be polite to the server"
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def task_done_twice(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
            queue.task_done()
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def task_done_when_taken(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        queue.task_done()  # "got it"
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause


async def polls_the_queue(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        try:
            url = queue.get_nowait()
        except asyncio.QueueEmpty:
            await asyncio.sleep(0.01)  # nothing yet: look again in a moment
            continue
        try:
            text, links = await fetch_page(session, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


async def session_per_page(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        mine = aiohttp.ClientSession()  # "a session of my own", never closed
        try:
            text, links = await fetch_page(mine, url)
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    queue.put_nowait(link)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        finally:
            queue.task_done()


def test_a_worker_that_swallows_every_cancellation_leaves_nothing_that_spins() -> None:
    # It caught BaseException around `await queue.get()`: it was called "stopped" (a
    # hang), and the next full garbage collection closed it, which it caught too, for ever.
    result = ex2.evaluate(swallows_cancellation_at_get)
    assert result.mistake == "swallowed_cancellation", result.message
    assert "could not be stopped" in result.message and "Queue.get" in result.message
    assert collect_within(1.0), "a full garbage collection did not return"
    assert ex2.evaluate(WORKED["worker"]).status == CORRECT


def test_a_kernel_that_checked_a_worker_that_swallows_cancellation_still_exits() -> None:
    # The set-aside worker is never closed, even when the interpreter shuts down.
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(ROOT / "tests" / "checkers")!r})
        from asyncio_tutorial.checkers.lesson11 import ex2, fetch_page, Failed

        async def worker(queue, session, crawl):
            while True:
                try:
                    url = await queue.get()
                except BaseException:
                    continue
                try:
                    text, links = await fetch_page(session, url)
                    crawl.pages[url] = text
                    for link in links:
                        if link not in crawl.seen:
                            crawl.seen.add(link)
                            queue.put_nowait(link)
                except Failed as failure:
                    crawl.failures[url] = failure.cause
                finally:
                    queue.task_done()

        print(ex2.evaluate(worker).mistake)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.stdout.strip() == "swallowed_cancellation", done.stderr


def test_correct_worker_states_what_was_counted() -> None:
    message = ex2.evaluate(WORKED["worker"]).message
    assert "all 17 pages" in message and "at most 4 requests at once" in message


async def worker_with_put_and_continue(
    queue: asyncio.Queue[str], session: Any, crawl: Crawl
) -> None:
    while True:
        url = await queue.get()
        try:
            try:
                text, links = await fetch_page(session, url)
            except Failed as failure:
                crawl.failures[url] = failure.cause
                continue
            crawl.pages[url] = text
            for link in links:
                if link in crawl.seen:
                    continue
                crawl.seen.add(link)
                await queue.put(link)
        finally:
            queue.task_done()


async def worker_with_else(queue: asyncio.Queue[str], session: Any, crawl: Crawl) -> None:
    while True:
        url = await queue.get()
        try:
            text, links = await fetch_page(session, url)
        except Failed as failure:
            crawl.failures[url] = failure.cause
        else:
            crawl.pages[url] = text
            new = [link for link in links if link not in crawl.seen]
            crawl.seen.update(new)
            for link in new:
                queue.put_nowait(link)
        finally:
            queue.task_done()


@pytest.mark.parametrize("answer", [worker_with_put_and_continue, worker_with_else])
def test_worker_written_another_way_is_right(answer: Any) -> None:
    result = ex2.evaluate(answer)
    assert result.status == CORRECT, result.message


# --- exercise 3: crawl_site ------------------------------------------------------------------


async def cancels_only_when_done(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        await queue.join()
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


async def never_cancels(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    session = aiohttp.ClientSession()
    for _ in range(workers):
        asyncio.create_task(crawl_worker(queue, session, crawl))  # noqa: RUF006
    await queue.join()


async def waits_for_the_workers(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()


async def results_kept_inside(start: str, crawl: Crawl, workers: int) -> None:
    mine = Crawl()
    await WORKED["crawl_site"](start, mine, workers)
    crawl.pages.update(mine.pages)
    crawl.failures.update(mine.failures)
    crawl.seen.update(mine.seen)


async def swallows_the_cancellation(start: str, crawl: Crawl, workers: int) -> None:
    try:
        await WORKED["crawl_site"](start, crawl, workers)
    except asyncio.CancelledError:
        pass  # "stopped: nothing more to do"


async def ignores_workers(start: str, crawl: Crawl, workers: int) -> None:
    await WORKED["crawl_site"](start, crawl, 8)


async def one_worker(start: str, crawl: Crawl, workers: int) -> None:
    await WORKED["crawl_site"](start, crawl, 1)


async def cancels_without_waiting(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            await queue.join()
        finally:
            for task in tasks:
                task.cancel()  # and on at once: "they will stop"


async def splits_the_front_page(start: str, crawl: Crawl, workers: int) -> None:
    async with aiohttp.ClientSession() as session:
        text, links = await fetch_page(session, start)
        crawl.seen.add(start)
        crawl.pages[start] = text
        crawl.seen.update(links)

        async def visit_all(share: list[str]) -> None:
            for url in share:
                try:
                    crawl.pages[url], _ = await fetch_page(session, url)
                except Failed as failure:
                    crawl.failures[url] = failure.cause

        await asyncio.gather(*(visit_all(links[n::workers]) for n in range(workers)))


async def splits_and_follows_links(start: str, crawl: Crawl, workers: int) -> None:
    async with aiohttp.ClientSession() as session:
        text, links = await fetch_page(session, start)
        crawl.seen.add(start)
        crawl.pages[start] = text
        crawl.seen.update(links)

        async def visit_all(share: list[str]) -> None:
            while share:  # its own list: the links it finds are its own to visit
                url = share.pop(0)
                try:
                    crawl.pages[url], found = await fetch_page(session, url)
                except Failed as failure:
                    crawl.failures[url] = failure.cause
                    continue
                for link in found:
                    if link not in crawl.seen:
                        crawl.seen.add(link)
                        share.append(link)

        await asyncio.gather(*(visit_all(links[n::workers]) for n in range(workers)))


async def in_batches(start: str, crawl: Crawl, workers: int) -> None:
    async with aiohttp.ClientSession() as session:

        async def visit(url: str) -> list[str]:
            try:
                text, links = await fetch_page(session, url)
            except Failed as failure:
                crawl.failures[url] = failure.cause
                return []
            crawl.pages[url] = text
            return links

        crawl.seen.add(start)
        level = [start]
        while level:
            found = []
            for n in range(0, len(level), workers):  # `workers` pages at a time
                for links in await asyncio.gather(*map(visit, level[n : n + workers])):
                    new = [link for link in links if link not in crawl.seen]
                    crawl.seen.update(new)
                    found += new
            level = found


async def timeout_around_the_crawl(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            async with asyncio.timeout(0.5):  # "half a second per request"
                await queue.join()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


async def session_never_closed(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    session = aiohttp.ClientSession()
    tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
    try:
        await queue.join()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


async def session_closed_only_when_done(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    session = aiohttp.ClientSession()
    tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
    try:
        await queue.join()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    await session.close()  # not reached when cancelled


async def own_workers_waited_for(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)

    async def work(session: aiohttp.ClientSession) -> None:
        while True:
            url = await queue.get()
            try:
                text, links = await fetch_page(session, url)  # Failed is not caught
                crawl.pages[url] = text
                for link in links:
                    if link not in crawl.seen:
                        crawl.seen.add(link)
                        queue.put_nowait(link)
            finally:
                queue.task_done()

    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(work(session)) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


async def polls_until_done(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            while len(crawl.pages) + len(crawl.failures) < len(crawl.seen):
                await asyncio.sleep(0.05)  # not done yet: look again in a moment
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


async def join_never_awaited(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            queue.join()  # type: ignore[unused-coroutine]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)


async def returns_in_finally(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        try:
            await queue.join()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            return  # noqa: B012 - the mistake under test: it drops the CancelledError


async def crawl_task_per_link(start: str, crawl: Crawl, workers: int) -> None:
    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:

        async def visit(url: str) -> None:
            try:
                text, links = await fetch_page(session, url)
            except Failed as failure:
                crawl.failures[url] = failure.cause
                return
            crawl.pages[url] = text
            for link in links:
                if link not in crawl.seen:
                    crawl.seen.add(link)
                    group.create_task(visit(link))

        crawl.seen.add(start)
        group.create_task(visit(start))


async def awaits_each_worker(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        for _ in range(workers):
            await crawl_worker(queue, session, crawl)  # the first one never returns


async def one_worker_past_the_limit(start: str, crawl: Crawl, workers: int) -> None:
    await WORKED["crawl_site"](start, crawl, 1)
    await asyncio.sleep(1)  # what a busy machine adds to one worker's 2.6 s of waits


def test_one_worker_stretched_past_the_time_limit_is_told_it_has_too_few() -> None:
    # Unfinished with every page fetched looks like "never returned"; the server's peak of
    # one request at once says why it was slow.
    result = ex3.evaluate(one_worker_past_the_limit)
    assert result.mistake == "too_few_workers", result.message
    assert "still crawling" in result.message


def test_a_crawl_stopped_without_finally_is_told_where_the_cancellation_comes_out() -> None:
    message = ex3.evaluate(cancels_only_when_done).message
    assert "finally:" in message and "queue.join()" in message


def test_workers_left_running_are_described_once_each_with_where_they_wait() -> None:
    # It used to join the task names: "simple_worker, simple_worker, simple_worker".
    message = ex3.evaluate(never_cancels).message
    assert "crawl_worker (3 of them, in asyncio.Queue.get)" in message, message


def test_a_failed_page_that_ends_the_crawl_is_named_as_such() -> None:
    # Failed was "expected", so the check went on to judgments that never mentioned it.
    result = ex3.evaluate(own_workers_waited_for)
    assert result.mistake == "failure_escaped", result.message
    assert "Failed('HTTP" in result.message


def test_a_right_crawl_is_right_after_one_that_left_its_session_open() -> None:
    for answer in (session_never_closed, session_closed_only_when_done):
        assert ex3.evaluate(answer).mistake == "session_left_open"
        for exercise in (ex1, ex2, ex3):
            result = exercise.evaluate(WORKED[exercise.answer])
            assert result.status == CORRECT, f"{exercise.name}: {result.message}"


async def crawl_in_a_task_group(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    await queue.put(start)
    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
        tasks = [group.create_task(crawl_worker(queue, session, crawl)) for _ in range(workers)]
        await queue.join()
        for task in tasks:
            task.cancel()


async def crawl_gathering_the_stopped(start: str, crawl: Crawl, workers: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    crawl.seen.add(start)
    queue.put_nowait(start)
    async with aiohttp.ClientSession() as session:
        tasks = []
        for number in range(workers):
            worker = crawl_worker(queue, session, crawl)
            tasks.append(asyncio.create_task(worker, name=f"worker-{number}"))
        try:
            await queue.join()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("answer", [crawl_in_a_task_group, crawl_gathering_the_stopped])
def test_crawl_site_written_another_way_is_right(answer: Any) -> None:
    result = ex3.evaluate(answer)
    assert result.status == CORRECT, result.message


def test_correct_crawl_states_what_was_counted() -> None:
    message = ex3.evaluate(WORKED["crawl_site"]).message
    assert "all 21 pages" in message and "never more than 3 requests at once" in message


# --- exercise 4: fetch_all with a progress bar ------------------------------------------------

Fetch = Any  # the check's fetch: `text = await fetch(url)`


async def updates_after_gather(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:
        texts = await asyncio.gather(*(fetch(url) for url in urls))
        for _ in texts:
            bar.update()
    return dict(zip(urls, texts, strict=True))


async def updates_once_with_the_count(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:
        texts = await asyncio.gather(*(fetch(url) for url in urls))
        bar.update(len(texts))
    return dict(zip(urls, texts, strict=True))


async def tqdm_over_the_results(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    texts = await asyncio.gather(*(fetch(url) for url in urls))
    results = {}
    for url, text in tqdm(zip(urls, texts, strict=True), total=len(urls), file=file):
        results[url] = text
    return results


async def awaits_the_tasks_in_turn(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    tasks = {url: asyncio.create_task(fetch(url)) for url in urls}
    results = {}
    with tqdm(total=len(urls), file=file) as bar:
        for url, task in tasks.items():
            results[url] = await task
            bar.update()
    return results


async def tqdm_over_the_coroutines(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    coroutines = [fetch(url) for url in urls]
    results = {}
    for url, coroutine in zip(urls, tqdm(coroutines, file=file), strict=True):
        results[url] = await coroutine
    return results


async def one_page_at_a_time(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    results = {}
    with tqdm(total=len(urls), file=file) as bar:
        for url in urls:
            results[url] = await fetch(url)
            bar.update()
    return results


def _fetch_one(fetch: Fetch, bar: Any) -> Any:
    async def fetch_one(url: str) -> tuple[str, str]:
        text = await fetch(url)
        bar.update()
        return url, text

    return fetch_one


async def no_total(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(file=file) as bar:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    return dict(pairs)


async def as_completed_without_total(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    async def fetch_one(url: str) -> tuple[str, str]:
        return url, await fetch(url)

    results = {}
    for next_done in tqdm(asyncio.as_completed([fetch_one(url) for url in urls]), file=file):
        url, text = await next_done
        results[url] = text
    return results


async def in_percent(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=100, file=file) as bar:

        async def fetch_one(url: str) -> tuple[str, str]:
            text = await fetch(url)
            bar.update(100 / len(urls))
            return url, text

        pairs = await asyncio.gather(*(fetch_one(url) for url in urls))
    return dict(pairs)


async def never_closed(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    bar = tqdm(total=len(urls), file=file)
    pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    return dict(pairs)


async def closed_after_gather(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    bar = tqdm(total=len(urls), file=file)
    pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    bar.close()
    return dict(pairs)


async def closed_in_except_exception(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    bar = tqdm(total=len(urls), file=file)
    try:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    except Exception:
        bar.close()
        raise
    bar.close()
    return dict(pairs)


async def return_exceptions(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls), return_exceptions=True)
    return dict(pair for pair in pairs if isinstance(pair, tuple))


async def keeps_what_it_has_when_cancelled(
    urls: list[str], fetch: Fetch, file: Any
) -> dict[str, str]:
    results: dict[str, str] = {}
    with tqdm(total=len(urls), file=file) as bar:

        async def fetch_one(url: str) -> None:
            results[url] = await fetch(url)
            bar.update()

        try:
            await asyncio.gather(*(fetch_one(url) for url in urls))
        except asyncio.CancelledError:
            pass  # stopped: keep the pages fetched so far
    return results


async def bar_per_page(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    async def fetch_one(url: str) -> tuple[str, str]:
        with tqdm(total=1, desc=url, file=file) as bar:
            text = await fetch(url)
            bar.update()
        return url, text

    return dict(await asyncio.gather(*(fetch_one(url) for url in urls)))


async def prints_the_count(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    done = 0

    async def fetch_one(url: str) -> tuple[str, str]:
        nonlocal done
        text = await fetch(url)
        done += 1
        print(f"{done}/{len(urls)} pages", file=file)
        return url, text

    return dict(await asyncio.gather(*(fetch_one(url) for url in urls)))


async def counts_when_asked(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:

        async def fetch_one(url: str) -> tuple[str, str]:
            bar.update()
            return url, await fetch(url)

        pairs = await asyncio.gather(*(fetch_one(url) for url in urls))
    return dict(pairs)


async def polls_the_tasks(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    tasks = {url: asyncio.create_task(fetch(url)) for url in urls}
    with tqdm(total=len(urls), file=file) as bar:
        while bar.n < len(urls):
            await asyncio.sleep(0.1)
            bar.update(sum(task.done() for task in tasks.values()) - bar.n)
    return {url: task.result() for url, task in tasks.items()}


async def sleeps_to_show_the_bar(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:

        async def fetch_one(url: str) -> tuple[str, str]:
            text = await fetch(url)
            bar.update()
            time.sleep(0.05)  # give the bar time to draw
            return url, text

        pairs = await asyncio.gather(*(fetch_one(url) for url in urls))
    return dict(pairs)


async def bar_on_stderr(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls)) as bar:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    return dict(pairs)


async def forgot_await_fetch(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    results = {}
    with tqdm(total=len(urls), file=file) as bar:
        for url in urls:
            results[url] = fetch(url)
            bar.update()
    return results


async def update_never_called(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:

        async def fetch_one(url: str) -> tuple[str, str]:
            text = await fetch(url)
            bar.update  # noqa: B018 - the mistake under test: no parentheses
            return url, text

        pairs = await asyncio.gather(*(fetch_one(url) for url in urls))
    return dict(pairs)


async def gather_never_awaited(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file) as bar:
        pairs = asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    return dict(pairs)


async def returns_the_texts(urls: list[str], fetch: Fetch, file: Any) -> list[str]:
    with tqdm(total=len(urls), file=file) as bar:

        async def fetch_one(url: str) -> str:
            text = await fetch(url)
            bar.update()
            return text

        return await asyncio.gather(*(fetch_one(url) for url in urls))


def test_awaiting_in_turn_is_told_where_the_bar_lagged_most() -> None:
    message = ex4.evaluate(awaits_the_tasks_in_turn).message
    assert "when 7 pages had arrived" in message and "the bar showed 3" in message, message


def test_closing_in_except_exception_is_told_it_misses_the_cancellation() -> None:
    message = ex4.evaluate(closed_in_except_exception).message
    assert "except Exception:" in message and "CancelledError" in message, message


def test_a_bar_left_open_on_cancel_without_except_exception_is_not_told_about_it() -> None:
    message = ex4.evaluate(closes_on_failed_only).message
    assert "except Exception" not in message, message


async def closes_on_failed_only(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    bar = tqdm(total=len(urls), file=file)
    try:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    except Failed:
        bar.close()
        raise
    bar.close()
    return dict(pairs)


def test_correct_progress_states_what_the_bar_showed() -> None:
    message = ex4.evaluate(WORKED["fetch_all"]).message
    assert "showed 1, 2, 3, 4, 5, 6, 7, 8 after each" in message, message
    assert "it showed 3 of 8" in message, message


def test_the_checks_bars_leave_tqdm_as_it_was() -> None:
    init, close = tqdm.__init__, tqdm.close
    for answer in (WORKED["fetch_all"], never_closed, bar_per_page):
        ex4.evaluate(answer)
    assert (tqdm.__init__, tqdm.close) == (init, close)
    assert not [bar for bar in tqdm._instances if getattr(bar, "fp", None) is not None]


async def fetch_all_as_completed(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    async def fetch_one(url: str) -> tuple[str, str]:
        return url, await fetch(url)

    results = {}
    with tqdm(total=len(urls), file=file) as bar:
        for next_done in asyncio.as_completed([fetch_one(url) for url in urls]):
            url, text = await next_done
            results[url] = text
            bar.update(1)
    return results


async def tqdm_around_as_completed(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    async def fetch_one(url: str) -> tuple[str, str]:
        return url, await fetch(url)

    results = {}
    done = asyncio.as_completed([fetch_one(url) for url in urls])
    for next_done in tqdm(done, total=len(urls), file=file):
        url, text = await next_done
        results[url] = text
    return results


async def tqdm_asyncio_gather(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    async def fetch_one(url: str) -> tuple[str, str]:
        return url, await fetch(url)

    return dict(await tqdm_asyncio.gather(*(fetch_one(url) for url in urls), file=file))


async def task_group_with_callbacks(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    with tqdm(total=len(urls), file=file, desc="pages", unit="page") as bar:
        async with asyncio.TaskGroup() as group:
            tasks = {url: group.create_task(fetch(url)) for url in urls}
            for task in tasks.values():
                task.add_done_callback(lambda _: bar.update())
    return {url: task.result() for url, task in tasks.items()}


async def closed_in_finally(urls: list[str], fetch: Fetch, file: Any) -> dict[str, str]:
    bar = tqdm(total=len(urls), file=file)
    try:
        pairs = await asyncio.gather(*map(_fetch_one(fetch, bar), urls))
    finally:
        bar.close()
    return dict(pairs)


@pytest.mark.parametrize(
    "answer",
    [
        fetch_all_as_completed,
        tqdm_around_as_completed,
        tqdm_asyncio_gather,
        task_group_with_callbacks,
        closed_in_finally,
    ],
)
def test_fetch_all_written_another_way_is_right(answer: Any) -> None:
    result = ex4.evaluate(answer)
    assert result.status == CORRECT, result.message


# --- every wrong answer, with the mistake it must get ------------------------------------

WRONG_ANSWERS = {
    ex1: [
        (no_timeout, "no_timeout"),
        (retries_forever, "retries_forever"),
        (no_backoff, "no_backoff"),
        (constant_wait, "backoff_not_growing"),
        (no_jitter, "no_jitter"),
        (retries_a_404, "retried_4xx"),
        (bare_except, "swallowed_cancellation"),
        (returns_the_last_answer, "no_failed"),
        (one_timeout_for_all_tries, "timeout_escaped"),
        (too_few_tries, "too_few_tries"),
        (retries_a_403, "retried_4xx"),
        (linear_backoff, "linear_backoff"),
        (full_jitter, "jitter_instead_of_backoff"),
        (triples, "waits_too_long"),
        (one_try_more, "too_many_tries"),
        (catches_cancelled_error_too, "swallowed_cancellation"),
        (retries_every_exception, "retried_bad_url"),
        (retries_every_client_error, "retried_bad_url"),
        (pauses_after_the_last_try, "waited_after_last_try"),
        (time_sleep_backoff, "blocking"),
        (sleep_never_awaited, "forgot_await"),
        (cause_from_the_last_status, "wrong_cause"),
        (own_session_never_closed, "session_left_open"),
        (forgot_await_fetch_once, "forgot_await"),
        (gives_up_without_cancelling, "tasks_left_running"),
        (returns_below_500, "retried_a_lasting_error"),
        (every_5xx_and_429, "retried_a_lasting_error"),
        (every_5xx_408_and_429, "retried_a_lasting_error"),
        (every_5xx_but_501, "retried_a_lasting_error"),
        (retry_statuses_and_every_5xx, "retried_a_lasting_error"),
        (server_errors_only, "gave_up_on_a_passing_fault"),
        (forgets_408, "gave_up_on_a_passing_fault"),
        (only_500_and_503, "gave_up_on_a_passing_fault"),
        (all_but_200, "retried_4xx"),
    ],
    ex2: [
        (fetched_with_urllib, "blocking"),
        (no_dedup, "revisited"),
        (seen_when_fetched, "revisited"),
        (task_done_skipped_on_failure, "task_done_missing"),
        (failure_kills_the_worker, "worker_died"),
        (task_per_link, "unbounded"),
        (stops_when_the_queue_is_empty, "worker_returned"),
        (failure_ignored, "failure_not_noted"),
        (swallows_cancellation_at_get, "swallowed_cancellation"),
        (returns_when_cancelled, "swallowed_cancellation"),
        (notes_whatever_stopped_the_page, "swallowed_cancellation"),
        (except_base_exception_for_the_cause, "swallowed_cancellation"),
        (forgot_await_fetch_page, "forgot_await"),
        (forgot_await_get, "forgot_await"),
        (polite_with_time_sleep, "blocking"),
        (task_done_twice, "task_done_twice"),
        (task_done_when_taken, "task_done_early"),
        (polls_the_queue, "polling"),
        (session_per_page, "session_left_open"),
    ],
    ex3: [
        (cancels_only_when_done, "workers_left_running"),
        (never_cancels, "workers_left_running"),
        (waits_for_the_workers, "waited_for_workers"),
        (results_kept_inside, "lost_results"),
        (swallows_the_cancellation, "swallowed_cancellation"),
        (ignores_workers, "unbounded"),
        (one_worker, "too_few_workers"),
        (cancels_without_waiting, "workers_not_awaited"),
        (splits_the_front_page, "static_split"),
        (splits_and_follows_links, "static_split"),
        (in_batches, "batches"),
        (timeout_around_the_crawl, "timeout_around_crawl"),
        (session_never_closed, "session_left_open"),
        (session_closed_only_when_done, "session_left_open"),
        (own_workers_waited_for, "failure_escaped"),
        (polls_until_done, "polling"),
        (join_never_awaited, "forgot_await"),
        (returns_in_finally, "swallowed_cancellation"),
        (crawl_task_per_link, "unbounded"),
        (awaits_each_worker, "too_few_workers"),
    ],
    ex4: [
        (updates_after_gather, "updated_at_end"),
        (updates_once_with_the_count, "updated_at_end"),
        (tqdm_over_the_results, "updated_at_end"),
        (awaits_the_tasks_in_turn, "in_submission_order"),
        (tqdm_over_the_coroutines, "sequential"),
        (one_page_at_a_time, "sequential"),
        (no_total, "no_total"),
        (as_completed_without_total, "no_total"),
        (in_percent, "wrong_total"),
        (never_closed, "bar_not_closed"),
        (closed_after_gather, "bar_left_open_on_error"),
        (closed_in_except_exception, "bar_left_open_on_cancel"),
        (closes_on_failed_only, "bar_left_open_on_cancel"),
        (return_exceptions, "swallowed_failure"),
        (keeps_what_it_has_when_cancelled, "swallowed_cancellation"),
        (bar_per_page, "bar_per_page"),
        (prints_the_count, "printed"),
        (counts_when_asked, "updated_early"),
        (polls_the_tasks, "polled"),
        (sleeps_to_show_the_bar, "blocking"),
        (bar_on_stderr, "not_on_file"),
        (forgot_await_fetch, "forgot_await"),
        (returns_the_texts, "wrong_result"),
        (update_never_called, "never_advanced"),
        (gather_never_awaited, "forgot_await"),
    ],
}
test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, LESSON)
test_every_worked_answer_after_each = contamination_test(WRONG_ANSWERS, LESSON)
