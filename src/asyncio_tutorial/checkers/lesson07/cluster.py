"""Exercise 6, ``total``: the submit-and-await pattern on a Dask cluster.

``total(client, sizes)`` sends one :func:`sample` call per size to a Dask cluster and
awaits their results together.  The check starts the cluster itself, in this process
(``LocalCluster(processes=False)``: its two workers are threads, and they talk to the
scheduler in memory, so no port is opened), and :func:`sample` notes each call: on which
worker it ran (or outside any), and how many calls were running at once.  Samples are
random, so identical calls must each run: the default ``pure=True`` gives identical
calls one key, and Dask runs the first and hands its result to the others.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    common_mistakes,
    error_text,
    expect_coroutine_function,
    seconds,
)
from asyncio_tutorial.checkers.runner import run_coroutine

SIZES = [3_000, 1_000, 3_000, 2_000, 3_000]
"""The samples of the check: five, three of them the same size."""
SAMPLE_SECONDS = 0.1
"""How long one sample takes: it waits for its random source."""
ANSWER_LIMIT = 3.0
"""Seconds the answer gets, within the exercise's limit, which also covers starting
and closing the cluster."""
CALL = f"total(client, {SIZES})"


@dataclass
class _Samples:
    """Every :func:`sample` call while a check runs."""

    calls: list[tuple[int, int, bool]] = field(default_factory=list)
    """``(size, hits, on_a_worker)`` of each call, in the order they ended."""
    keys: list[Any] = field(default_factory=list)
    """The key of each call the answer handed to ``client.submit`` and ``client.map``:
    identical pure calls share one."""
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


_samples: _Samples | None = None


def sample(size: int) -> int:
    """Throw ``size`` random points at the unit square; return how many land in the
    quarter circle of radius 1 (about ``size × π/4``).  Takes 0.1 s: it waits for its
    source of randomness.  Random: two calls of the same size give different counts.
    """
    samples = _samples
    on_a_worker = _on_a_worker()
    if samples is not None:
        with samples.lock:
            samples.in_flight += 1
            samples.peak = max(samples.peak, samples.in_flight)
    try:
        time.sleep(SAMPLE_SECONDS)
        draw = random.Random(os.urandom(16)).random
        hits = sum(draw() ** 2 + draw() ** 2 <= 1.0 for _ in range(size))
    finally:
        if samples is not None:
            with samples.lock:
                samples.in_flight -= 1
    if samples is not None:
        with samples.lock:
            samples.calls.append((size, hits, on_a_worker))
    return hits


def _on_a_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


async def _on_a_cluster(total: Any, answer: list[Any]) -> Any:
    """Start an in-process cluster and its asynchronous client, run the answer, close both."""
    from distributed import LocalCluster
    from distributed.utils import silence_logging_cmgr

    # Samples cut short when the cluster closes (an answer that did not wait for them)
    # are logged as warnings: no news here, where the check reports what happened.
    with silence_logging_cmgr(logging.ERROR):
        async with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=2,
                processes=False,  # workers in this process: they talk in memory, no port
                dashboard_address=None,
                silence_logs=logging.ERROR,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                asynchronous=True,
            ) as cluster,
            _counting_client()(cluster, asynchronous=True) as client,
        ):
            try:
                async with asyncio.timeout(ANSWER_LIMIT):
                    answer.append(await total(client, list(SIZES)))
            except TimeoutError:
                answer.append(_TIMED_OUT)
    return answer[0]


_TIMED_OUT = object()


@functools.cache
def _counting_client() -> type:
    """A ``distributed.Client`` that notes the key of every call handed to ``submit`` and
    ``map`` (made on first use: distributed is imported only when a check needs it)."""
    from distributed import Client

    class CountingClient(Client):  # type: ignore[misc]
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            future = super().submit(*args, **kwargs)
            if _samples is not None:
                _samples.keys.append(future.key)
            return future

        def map(self, *args: Any, **kwargs: Any) -> Any:
            futures = super().map(*args, **kwargs)
            if _samples is not None and isinstance(futures, list):
                _samples.keys.extend(future.key for future in futures)
            return futures

    return CountingClient


def check_total(total: Any) -> Result:
    """``total(client, sizes)``: every sample on the cluster, at once, their hits added up."""
    expect_coroutine_function(total)
    global _samples
    samples = _Samples()
    answer: list[Any] = []
    _samples = samples
    try:
        outcome = run_coroutine(partial(_on_a_cluster, total, answer))
    finally:
        _samples = None
    if answer and answer[0] is _TIMED_OUT:
        raise Wrong(
            "hang",
            f"{CALL} had not finished after {seconds(ANSWER_LIMIT)}, where five samples "
            f"of {seconds(SAMPLE_SECONDS)} on four worker threads take a few tenths: it "
            "was waiting for something that never came. It has been stopped.",
        )
    locally = [size for size, _, on_a_worker in samples.calls if not on_a_worker]
    if locally:
        raise Wrong(
            "computed_locally",
            f"{CALL} ran sample {len(locally)} times here, not on the cluster: the "
            "client's workers computed nothing of it. Hand each call to the cluster: "
            "`client.submit(sample, size, pure=False)`, or `client.map(sample, sizes, "
            "pure=False)`.",
            suggests="client.submit(sample, size, pure=False)",
        )
    _judge_errors(outcome)
    # The cluster's scheduler and workers run on the answer's own loop: a long step of
    # theirs on a busy machine is not the answer's. Where sample ran is told above.
    outcome.longest_step = outcome.longest_stall = 0.0
    common_mistakes(outcome, CALL)
    value = answer[0] if answer else None
    if isinstance(value, (list, tuple)) and any(_is_a_dask_future(each) for each in value):
        raise Wrong(
            "returned_future",
            f"{CALL} returned the Dask futures themselves, not their results: a future "
            "only says where a result will be. `await client.gather(futures)` waits for "
            "them and gives the results.",
            suggests="await client.gather",
        )
    if value is None:
        raise Wrong(
            "wrong_value",
            f"{CALL} returned None: return the total of the hits, the sum of the results "
            "of the samples.",
        )
    ran = [size for size, _, _ in samples.calls]
    if len(set(samples.keys)) < len(samples.keys):
        raise Wrong(
            "pure_dedup",
            f"{CALL} gave the cluster {len(samples.keys)} calls, but only "
            f"{len(set(samples.keys))} keys, and {len(ran)} samples ran: "
            "identical calls (sample(3000), three times) got one key, because "
            "client.submit and client.map take a call as pure unless told otherwise, and "
            "Dask ran it once and reused its result. These samples are random, so each "
            "call must run: pass `pure=False`.",
            suggests="pure=False",
        )
    if sorted(ran) != sorted(SIZES):
        raise Wrong(
            "wrong_samples",
            f"{CALL} ran sample with the sizes {ran}, not one call for each of {SIZES}.",
        )
    expected = sum(hits for _, hits, _ in samples.calls)
    if isinstance(value, (list, tuple)):
        raise Wrong(
            "wrong_value",
            f"{CALL} returned {value!r}: the hits of each sample. Return their total, "
            f"here {expected}: `sum(...)` of the gathered results.",
        )
    if value != expected or isinstance(value, bool):
        raise Wrong(
            "wrong_value",
            f"{CALL} returned {value!r}, but the samples that ran hit {expected} in all.",
        )
    if samples.peak < 2:
        raise Wrong(
            "one_at_a_time",
            f"{CALL} ran the samples one at a time, never two at once, on a cluster with "
            "four worker threads: it waited for each before submitting the next. Submit "
            "them all, then await them together: `await client.gather(futures)`.",
            suggests="client.gather",
        )
    return correct(
        f"{CALL} ran all {len(SIZES)} samples on the cluster's workers, none here, "
        "several at once, each of the three samples of 3000 for itself, and returned the "
        "total of the hits they counted. The event loop awaited the cluster as it awaits "
        "anything else."
    )


def _is_a_dask_future(value: Any) -> bool:
    return type(value).__name__ == "Future" and type(value).__module__.startswith("distributed")


def _judge_errors(outcome: Any) -> None:
    """The coroutines an asynchronous client returns, used without ``await``."""
    named = {"_result": "future.result()", "_gather": "client.gather(...)"}
    for name, call in named.items():
        if name in outcome.never_awaited:
            raise Wrong(
                "forgot_await",
                f"{CALL} called {call} without awaiting it. On a client made with "
                "`asynchronous=True`, it does not wait: it returns a coroutine, which "
                f"only runs when awaited. Write `await {call}`"
                + (f" ({error_text(outcome.error)} came of it)." if outcome.error else "."),
            )


ex6 = Exercise(
    title="The same pattern on a cluster",
    answer="total",
    checker=check_total,
    # each run starts and closes an in-process Dask cluster: a few tenths of a second,
    # more on a busy machine; the answer itself gets ANSWER_LIMIT of it
    time_limit=8.0,
    hints=[
        "`client.submit(sample, size, pure=False)` sends one call to the cluster and "
        "gives back a Dask future at once; `client.map(sample, sizes, pure=False)` does "
        "it for every size.",
        "On an asynchronous client, `await client.gather(futures)` waits for them all "
        "together. Submit every sample before awaiting any.",
        "pure=False: without it, identical calls (sample(3000), three times) get one key, "
        "and Dask runs only one of them.",
    ],
)
