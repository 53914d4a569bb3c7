"""Lesson 06's exercises: locks, semaphores and a pool of workers over a queue.

The workbook ``exercises/workbook-06-synchronization-and-queues.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson06 import Account, download, ex1, ex2, ex3

and ``Account??`` or ``download??`` shows how the helpers work.  The worked answers are
in ``solutions/06-synchronization-and-queues.ipynb``.  Each exercise has a module of its
own here, its helpers, scenario, mistakes and checker read together:

* :mod:`~asyncio_tutorial.checkers.lesson06.deposit`: exercise 1, a lost update fixed
  with the account's lock;
* :mod:`~asyncio_tutorial.checkers.lesson06.limit`: exercise 2, at most ``limit``
  downloads at once;
* :mod:`~asyncio_tutorial.checkers.lesson06.pool`: exercise 3, a pool of workers over a
  queue, that stops.

The checkers judge by what happened, not by the clock: the account notes, at every
read and write of its balance, whether the lock was held and which holding it was;
``download`` counts how many downloads were in progress at once and in what order they
started; the jobs of exercise 3 count how often each was handled and by which task, and
a task that never ends is asked where it waits (``Queue.join``, ``Queue.get``).
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson06.deposit import Account, ex1
from asyncio_tutorial.checkers.lesson06.limit import download, ex2
from asyncio_tutorial.checkers.lesson06.pool import ex3

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = ["EXERCISES", "Account", "download", "ex1", "ex2", "ex3"]
