"""Lesson 10's exercises: find where tasks are stuck, and write tests that catch bugs.

The workbook ``exercises/workbook-10-debugging-and-testing.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson10 import Booking, ex1, ex2, ex3, retry

The worked answers are in ``solutions/10-debugging-and-testing.ipynb``.

Exercises 2 and 3 are graded the way a test is judged in real life: it must pass
against a correct implementation and fail against a broken one.  The checker runs the
learner's test several times, each time handed a different implementation
(``Booking`` for exercise 2, ``retry`` for exercise 3), and looks at what happened.

One module per exercise, each with its scenario, its checker and its hints:
:mod:`.where_waiting` (1), :mod:`.booking` (2) and :mod:`.backoff` (3);
:mod:`.judging_tests` runs a learner's test and names what a test can get wrong.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson10.backoff import ex3, retry
from asyncio_tutorial.checkers.lesson10.booking import Booking, RacyBooking, ex2
from asyncio_tutorial.checkers.lesson10.where_waiting import ex1

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = [
    "EXERCISES",
    "Booking",
    "RacyBooking",
    "ex1",
    "ex2",
    "ex3",
    "retry",
]
