"""Lesson 08's exercises: exception groups, stopping a group early, cleanup that survives
cancellation, a graceful shutdown, every outcome of a batch, and a deadline.

The workbook imports ``Connection``, ``Pool``, ``ask``, ``load``, ``run_job`` and ``ex1``
to ``ex6`` from here
(``load??`` and the others show how the pretend services behave); the worked answers are
in ``solutions/08-errors-and-cancellation.ipynb``.  Each exercise is a module of its own,
read top to bottom: its pretend service, its scenario, its checker and its hints:

* :mod:`.load_report` (``ex1``): keep what arrived when a task group fails;
* :mod:`.fastest` (``ex2``): stop a task group as soon as the first answer is in;
* :mod:`.upload` (``ex3``): close a connection, whatever happens, then end as asked;
* :mod:`.shut_down` (``ex4``): a grace period, then cancel and wait;
* :mod:`.run_batch` (``ex5``): every result and every exception, none left unretrieved;
* :mod:`.fetch_rows` (``ex6``): a timeout cancels the work, the cleanup still runs.

Each checker runs the answer in a few scenarios (:mod:`~asyncio_tutorial.checkers.
scenario`): sources that fail, two at once, a bug that must not be hidden, a mirror
that is down, a cancellation from outside and a second one during the cleanup, jobs that
fail, a deadline that passes.  It judges by what happened (which tasks were cancelled,
whether the cleanup had finished when the answer ended, the waits the answer asked for,
the exceptions the loop reported as never retrieved), not by fine timing.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson08.fastest import MIRRORS, ask, ex2
from asyncio_tutorial.checkers.lesson08.fetch_rows import Pool, ex6
from asyncio_tutorial.checkers.lesson08.load_report import SOURCES, ex1, load
from asyncio_tutorial.checkers.lesson08.run_batch import JOBS, ex5, run_job
from asyncio_tutorial.checkers.lesson08.shut_down import ex4
from asyncio_tutorial.checkers.lesson08.upload import Connection, ex3

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "EXERCISES",
    "JOBS",
    "MIRRORS",
    "SOURCES",
    "Connection",
    "Pool",
    "ask",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
    "load",
    "run_job",
]
