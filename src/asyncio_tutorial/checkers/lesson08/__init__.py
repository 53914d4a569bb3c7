"""Lesson 08's exercises: exception groups, stopping a group early, cleanup that survives
cancellation, and a graceful shutdown.

The workbook imports ``Connection``, ``ask``, ``load`` and ``ex1`` to ``ex4`` from here
(``load??`` and the others show how the pretend services behave); the worked answers are
in ``solutions/08-errors-and-cancellation.ipynb``.  Each exercise is a module of its own,
read top to bottom: its pretend service, its scenario, its checker and its hints:

* :mod:`.load_report` (``ex1``): keep what arrived when a task group fails;
* :mod:`.fastest` (``ex2``): stop a task group as soon as the first answer is in;
* :mod:`.upload` (``ex3``): close a connection, whatever happens, then end as asked;
* :mod:`.shut_down` (``ex4``): a grace period, then cancel and wait.

Each checker runs the answer in a few scenarios (:mod:`~asyncio_tutorial.checkers.
scenario`): sources that fail, two at once, a bug that must not be hidden, a mirror
that is down, a cancellation from outside and a second one during the cleanup.  It
judges by what happened (which tasks were cancelled, whether the cleanup had finished
when the answer ended, the waits the answer asked for), not by fine timing.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson08.fastest import MIRRORS, ask, ex2
from asyncio_tutorial.checkers.lesson08.load_report import SOURCES, ex1, load
from asyncio_tutorial.checkers.lesson08.shut_down import ex4
from asyncio_tutorial.checkers.lesson08.upload import Connection, ex3

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4])

__all__ = [
    "EXERCISES",
    "MIRRORS",
    "SOURCES",
    "Connection",
    "ask",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "load",
]
