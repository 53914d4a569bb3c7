"""Lesson 09's exercises: async iterators, async generators and async context managers.

The workbook imports ``Pool``, ``fetch_page``, ``query_members``, ``fetch_email`` and
``ex1`` to ``ex5`` from here (``fetch_page??`` and ``Pool??`` show the pretend services);
the worked answers are in ``solutions/09-async-iterators-and-context-managers.ipynb``.
The checkers iterate the learner's iterators and enter their context managers for real,
and note what had happened when the answer was done with them: items produced, pages
fetched, a generator closed or not, a connection given back or not, a cursor read twice
or not.

One module per exercise, each with its scenario, its checker and its hints:
:mod:`.countdown` (1), :mod:`.paginate` (2), :mod:`.first_match` (3), :mod:`.borrow` (4)
and :mod:`.emails` (5, an async comprehension); :mod:`.reading` reads an async iterator
as ``async for`` would.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson09.borrow import Pool, ex4
from asyncio_tutorial.checkers.lesson09.countdown import ex1
from asyncio_tutorial.checkers.lesson09.emails import ex5, fetch_email, query_members
from asyncio_tutorial.checkers.lesson09.first_match import ex3
from asyncio_tutorial.checkers.lesson09.paginate import BOOKS, ex2, fetch_page

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5])

__all__ = [
    "BOOKS",
    "EXERCISES",
    "Pool",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "fetch_email",
    "fetch_page",
    "query_members",
]
