"""Lesson 06's exercises: locks, semaphores, events, barriers, conditions and queues.

The workbook ``exercises/workbook-06-synchronization-and-queues.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson06 import (
        Account, Queue, QueueShutDown, Track, download, ex1, ex2, ex3, ex4, ex5, ex6,
    )

and ``Account??``, ``download??`` or ``Track??`` shows how the helpers work.  The
worked answers are in ``solutions/06-synchronization-and-queues.ipynb``.  Each exercise
has a module of its own here, its helpers, scenario, mistakes and checker read together:

* :mod:`~asyncio_tutorial.checkers.lesson06.deposit`: exercise 1, a lost update fixed
  with the account's lock;
* :mod:`~asyncio_tutorial.checkers.lesson06.limit`: exercise 2, at most ``limit``
  downloads at once;
* :mod:`~asyncio_tutorial.checkers.lesson06.pool`: exercise 3, a pool of workers over a
  queue, that stops;
* :mod:`~asyncio_tutorial.checkers.lesson06.race`: exercise 4, runners that meet at a
  ``Barrier`` and start on an ``Event``;
* :mod:`~asyncio_tutorial.checkers.lesson06.stock`: exercise 5, a stock that buyers wait
  on with a ``Condition``;
* :mod:`~asyncio_tutorial.checkers.lesson06.pipeline`: exercise 6, a producer held back
  by ``Queue(maxsize=2)``, and consumers stopped by ``queue.shutdown()``.

Two modules serve the last three: :mod:`~asyncio_tutorial.checkers.lesson06.queues`
gives ``Queue`` and ``QueueShutDown`` (``asyncio``'s own on Python 3.13+, which added
``shutdown()``; an equivalent on 3.11 and 3.12), and
:mod:`~asyncio_tutorial.checkers.lesson06.waiting` says where a task that never ends
waits, and on which barrier, event, condition or queue.

The checkers judge by what happened, not by the clock: the account notes, at every
read and write of its balance, whether the lock was held and which holding it was;
``download`` counts how many downloads were in progress at once and in what order they
started; the jobs of exercise 3 count how often each was handled and by which task;
the track of exercise 4 notes how many runners were ready when the starter said get
set and whether the gun had gone off when each runner started; exercise 5 notes which
buyer was served after which delivery, and the stock; exercise 6 counts the items
made and not yet handled.  A task that never ends is asked where it waits
(``Queue.join``, ``Queue.get``, ``Barrier.wait``, ``Condition.wait_for``).
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson06.deposit import Account, ex1
from asyncio_tutorial.checkers.lesson06.limit import download, ex2
from asyncio_tutorial.checkers.lesson06.pipeline import ex6
from asyncio_tutorial.checkers.lesson06.pool import ex3
from asyncio_tutorial.checkers.lesson06.queues import Queue, QueueShutDown
from asyncio_tutorial.checkers.lesson06.race import Track, ex4
from asyncio_tutorial.checkers.lesson06.stock import ex5

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "EXERCISES",
    "Account",
    "Queue",
    "QueueShutDown",
    "Track",
    "download",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
]
