"""Lesson 11's checkers: each realistic wrong answer gets its own message.

That every worked answer passes and every stub is "not attempted" is tested for all
lessons at once, from the notebooks themselves, in ``tests/checkers/test_answers.py``; the
worked answers are loaded from the solutions notebook here too, to build the wrong
answers from them.
"""

from __future__ import annotations

import asyncio
import random
import urllib.request
from typing import Any

import aiohttp
import pytest
from exercise_tools import worked

from asyncio_tutorial.checkers.lesson11 import (
    TIMEOUT,
    TRIES,
    Crawl,
    Failed,
    crawl_worker,
    ex1,
    ex2,
    ex3,
    fetch_once,
    fetch_page,
)

LESSON = "11-capstone"
WORKED = worked(LESSON)  # loaded here, not inside an answer the checker times


# The worked answers pass: tests/checkers/test_answers.py, for every lesson.


# --- exercise 1: fetch_with_retries ---------------------------------------------------------


async def no_timeout(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        status, text = await fetch_once(session, url)
        if status < 500:
            return status, text
        await asyncio.sleep(0.1 * 2 ** (attempt - 1) * (1 + random.random()))
    raise Failed(f"HTTP {status}")


async def retries_forever(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    attempt = 0
    while True:
        attempt += 1
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
            if status < 500:
                return status, text
        except TimeoutError:
            pass
        backoff = 0.1 * 2 ** (attempt - 1)
        await asyncio.sleep(backoff + random.uniform(0, backoff))


def _policy(
    wait: Any, retry_if: Any = lambda status: status >= 500, late: Any = lambda url: 0
) -> Any:
    """A fetch_with_retries that waits ``wait(attempt)`` and retries when ``retry_if``.

    ``late(url)``: seconds more after each wait, as a busy machine adds, page by page.
    """

    async def fetch_with_retries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
        for attempt in range(1, TRIES + 1):
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, text = await fetch_once(session, url)
            except TimeoutError:
                cause = "timeout"
            else:
                if not retry_if(status):
                    return status, text
                cause = f"HTTP {status}"
            if attempt < TRIES:
                await asyncio.sleep(wait(attempt))
                if late(url):
                    await asyncio.sleep(late(url))
        raise Failed(cause)

    return fetch_with_retries


def _jittered(attempt: int) -> float:
    backoff = 0.1 * 2 ** (attempt - 1)
    return backoff + random.uniform(0, backoff)


no_backoff = _policy(lambda attempt: 0)
constant_wait = _policy(lambda attempt: 0.1 + random.uniform(0, 0.1))
no_jitter = _policy(lambda attempt: 0.1 * 2 ** (attempt - 1))
retries_a_404 = _policy(_jittered, retry_if=lambda status: status >= 400)


async def bare_except(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES + 1):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
            if status < 500:
                return status, text
            cause = f"HTTP {status}"
        except:  # noqa: E722 - the mistake under test
            cause = "timeout"
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
        if status < 500 or attempt == TRIES:
            return status, text
        await asyncio.sleep(_jittered(attempt))
    raise AssertionError("not reached")


async def one_timeout_for_all_tries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with asyncio.timeout(TIMEOUT):
        for attempt in range(1, TRIES + 1):
            status, text = await fetch_once(session, url)
            if status < 500:
                return status, text
            if attempt < TRIES:
                await asyncio.sleep(_jittered(attempt))
    raise Failed(f"HTTP {status}")


async def two_tries(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    for attempt in range(1, TRIES):
        try:
            async with asyncio.timeout(TIMEOUT):
                status, text = await fetch_once(session, url)
        except TimeoutError:
            cause = "timeout"
        else:
            if status < 500:
                return status, text
            cause = f"HTTP {status}"
        await asyncio.sleep(_jittered(attempt))
    raise Failed(cause)


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (no_timeout, "no_timeout"),
        (retries_forever, "retries_forever"),
        (no_backoff, "no_backoff"),
        (constant_wait, "backoff_not_growing"),
        (no_jitter, "no_jitter"),
        (retries_a_404, "retried_4xx"),
        (bare_except, "swallowed_cancellation"),
        (returns_the_last_answer, "no_failed"),
        (one_timeout_for_all_tries, "timeout_escaped"),
        (two_tries, "too_few_tries"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_fetch_with_retries_mistakes(answer: Any, mistake: str) -> None:
    result = ex1.evaluate(answer)
    assert result.mistake == mistake, result.message


def test_a_policy_without_jitter_is_told_about_clients_coming_back_together() -> None:
    message = ex1.evaluate(no_jitter).message
    assert "at the same moments" in message and "random.uniform" in message


# Retries 0.1 s then 0.2 s after a 503, which arrive up to 35 ms apart, page by page.
no_jitter_on_a_busy_machine = _policy(
    lambda attempt: 0.1 * 2 ** (attempt - 1), late=lambda url: 0.005 * (sum(map(ord, url)) % 8)
)


def test_a_policy_without_jitter_is_told_so_when_a_busy_machine_spreads_its_retries() -> None:
    # The server saw these retries 5 to 40 ms apart, as it did a jitter-less answer's once
    # under a full validation (and called it right); its pauses were all 0.1 and 0.2 s.
    result = ex1.evaluate(no_jitter_on_a_busy_machine)
    assert result.mistake == "no_jitter", result.message


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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (fetched_with_urllib, "blocking"),
        (no_dedup, "revisited"),
        (seen_when_fetched, "revisited"),
        (task_done_skipped_on_failure, "task_done_missing"),
        (failure_kills_the_worker, "worker_died"),
        (task_per_link, "unbounded"),
        (stops_when_the_queue_is_empty, "worker_returned"),
        (failure_ignored, "failure_not_noted"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_worker_mistakes(answer: Any, mistake: str) -> None:
    result = ex2.evaluate(answer)
    assert result.mistake == mistake, result.message


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
        asyncio.create_task(crawl_worker(queue, session, crawl))
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


@pytest.mark.parametrize(
    ("answer", "mistake"),
    [
        (cancels_only_when_done, "workers_left_running"),
        (never_cancels, "workers_left_running"),
        (waits_for_the_workers, "waited_for_workers"),
        (results_kept_inside, "lost_results"),
        (swallows_the_cancellation, "swallowed_cancellation"),
        (ignores_workers, "unbounded"),
        (one_worker, "too_few_workers"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_crawl_site_mistakes(answer: Any, mistake: str) -> None:
    result = ex3.evaluate(answer)
    assert result.mistake == mistake, result.message


async def one_worker_past_the_limit(start: str, crawl: Crawl, workers: int) -> None:
    await WORKED["crawl_site"](start, crawl, 1)
    await asyncio.sleep(1)  # what a busy machine adds to one worker's 1.9 s of waits


def test_one_worker_stretched_past_the_time_limit_is_told_it_has_too_few() -> None:
    # Timed out with every page fetched looks like "never returned"; the server's peak of
    # one request at once says why it was slow (2 s and more under a full validation).
    result = ex3.evaluate(one_worker_past_the_limit)
    assert result.mistake == "too_few_workers", result.message
    assert "still crawling" in result.message


def test_a_crawl_stopped_without_finally_is_told_where_the_cancellation_comes_out() -> None:
    message = ex3.evaluate(cancels_only_when_done).message
    assert "finally:" in message and "queue.join()" in message
