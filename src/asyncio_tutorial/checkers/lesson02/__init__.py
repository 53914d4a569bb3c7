"""Lesson 02's exercises: the event loop, its callbacks, and what blocks it.

The workbook ``exercises/workbook-02-event-loop.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson02 import ex1, ex2, ex3, ex4, ex5

and the helpers the exercises use (``legacy_lookup``, ``Database``, ``Sleep``,
``KeepRecords``) are imported from here too, so that ``legacy_lookup??`` shows how they
work.  The worked answers are in ``solutions/02-event-loop.ipynb``.

One module per exercise, each with its helpers, scenario, checker and hints, read top to
bottom:

* :mod:`.lookup`: exercise 1, a blocking function called without blocking the loop;
* :mod:`.countdown`: exercise 2, plain callbacks scheduled on the loop;
* :mod:`.sync_database`: exercise 3, a synchronous face for an async client;
* :mod:`.toy_loop`: exercise 4, a toy event loop with timers;
* :mod:`.debug_mode`: exercise 5, the tasks that hold the loop, found with debug mode;

and :mod:`.held`, which tells what holds the loop's thread, seen from a worker thread.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson02.countdown import ex2
from asyncio_tutorial.checkers.lesson02.debug_mode import KeepRecords, ex5
from asyncio_tutorial.checkers.lesson02.lookup import ex1, legacy_lookup
from asyncio_tutorial.checkers.lesson02.sync_database import Database, ex3
from asyncio_tutorial.checkers.lesson02.toy_loop import Sleep, ex4

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5])

__all__ = [
    "EXERCISES",
    "Database",
    "KeepRecords",
    "Sleep",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "legacy_lookup",
]
