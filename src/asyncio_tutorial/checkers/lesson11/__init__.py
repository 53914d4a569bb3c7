"""Lesson 11's exercises: the crawler's retry policy, its worker, its shutdown, and its
progress bar.

The workbook ``exercises/workbook-11-capstone.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson11 import (
        RETRY_STATUSES, TIMEOUT, TRIES, Crawl, Failed, crawl_worker, ex1, ex2, ex3, ex4,
        fetch_once, fetch_page,
    )

The worked answers are in ``solutions/11-capstone.ipynb``.

The first three checkers run the answer for real against a small site in the lesson's
style, served on a thread of its own so that even an answer that blocks its loop is
answered.  The site counts on the server's side what the answer did: how many requests
were in flight at once (politeness), how often each page was asked for (revisits,
retries), and when each request started and ended.  Each exercise's site, scenario,
mistakes, checker and hints are read together, in one module:

* :mod:`.retries` (``ex1``, ``fetch_with_retries``): which failures are retried (a
  timeout and the answers in ``RETRY_STATUSES``, the crawler's), how often, and the
  pauses between tries, as the answer asked its loop for them;
* :mod:`.worker` (``ex2``, ``worker``): four copies crawl a site sharing one queue, then
  are cancelled, waiting for an address and in the middle of a page;
* :mod:`.crawl` (``ex3``, ``crawl_site``): the crawl to its end, then cancelled half-way;
* :mod:`.progress` (``ex4``, ``fetch_all``): a tqdm bar over pages fetched at once, which
  arrive when the checker says, in an order of its choosing (no server here: the pages
  are the checker's own awaitables); the bar read after each arrival, then a failure
  and a cancellation, each of which must close it;
* :mod:`.common`: what the workbook imports (:func:`fetch_page`, :func:`crawl_worker`),
  the site's server and what it counted, and how a check stops what an answer left
  running (a task that swallows every cancellation is set aside for good).
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.crawler import RETRY_STATUSES, Crawl, Failed, fetch_once

from .common import PRACTICE_RETRY, crawl_worker, fetch_page
from .crawl import ex3
from .progress import ex4
from .retries import TIMEOUT, TRIES, ex1
from .worker import ex2

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = [
    "EXERCISES",
    "PRACTICE_RETRY",
    "RETRY_STATUSES",
    "TIMEOUT",
    "TRIES",
    "Crawl",
    "Failed",
    "crawl_worker",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "fetch_once",
    "fetch_page",
]
