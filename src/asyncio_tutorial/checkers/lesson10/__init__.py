"""Lesson 10's exercises: find where tasks are stuck, read debug mode's reports, and
write tests that catch bugs.

The workbook ``exercises/workbook-10-debugging-and-testing.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson10 import (
        Booking, Shop, busy_shop, ex1, ex2, ex3, ex4, ex5, ex6, retry,
    )

The worked answers are in ``solutions/10-debugging-and-testing.ipynb``.

Exercises 2, 3 and 5 are graded the way a test is judged in real life: it must pass
against a correct implementation and fail against a broken one.  The checker runs the
learner's test several times, each time handed a different implementation
(``Booking`` for exercise 2, ``retry`` for exercise 3, ``Shop`` for exercise 5, whose
test is a ``unittest.IsolatedAsyncioTestCase`` run with unittest), and looks at what
happened.  Exercise 4 runs a program, ``busy_shop``, through the learner's function,
which must run it in debug mode and return what debug mode reported.  Exercise 6's
answer is a session at the ``python -m asyncio`` prompt, a list of lines, which the
checker types into a real REPL, judging by what it echoed after each line.

One module per exercise, each with its scenario, its checker and its hints:
:mod:`.where_waiting` (1), :mod:`.booking` (2), :mod:`.backoff` (3),
:mod:`.debug_mode` (4), :mod:`.unittest_case` (5) and :mod:`.repl_session` (6);
:mod:`.judging_tests` runs a learner's test and names what a test can get wrong.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson10.backoff import ex3, retry
from asyncio_tutorial.checkers.lesson10.booking import Booking, RacyBooking, ex2
from asyncio_tutorial.checkers.lesson10.debug_mode import busy_shop, ex4
from asyncio_tutorial.checkers.lesson10.repl_session import ex6
from asyncio_tutorial.checkers.lesson10.unittest_case import Shop, ex5
from asyncio_tutorial.checkers.lesson10.where_waiting import ex1

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "EXERCISES",
    "Booking",
    "RacyBooking",
    "Shop",
    "busy_shop",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
    "retry",
]
