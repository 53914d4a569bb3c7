"""Lesson 03's exercises: tasks, concurrency, timeouts, cancellation and shield.

The workbook ``exercises/workbook-03-tasks.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson03 import ex1, ex2, ex3, ex4, ex5, ex6

and the helpers the exercises use (``download``, ``DELAYS``, ``OutOfStock``) are imported
from here too, so that ``download??`` shows how they work.  The worked answers are in
``solutions/03-tasks.ipynb``.

Each exercise's scenario, mistakes, checker and hints are read together, in one module:

* :mod:`.fetch_all` (``ex1``), :mod:`.background` (``ex2``), :mod:`.with_deadline`
  (``ex3``), :mod:`.in_completion_order` (``ex4``), :mod:`.with_spinner` (``ex5``) and
  :mod:`.place_order` (``ex6``);
* :mod:`.network`: the pretend downloads of exercises 1 and 4;
* :mod:`.common`: what several exercises share (how a value is described, a few
  mistakes more than one exercise can make, the pretend operation of 3 and 5).

Several checkers run the answer as a task and watch how it ends, sometimes cancelling
it from outside (:func:`~asyncio_tutorial.checkers.scenario.watch`), and count how many
operations overlapped (:class:`~asyncio_tutorial.checkers.scenario.Concurrency`).
That is how a swallowed cancellation, a task left running or a save cut off half-way
are told apart from a right answer, by what happened rather than by the clock alone.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises

from .background import ex2
from .fetch_all import ex1
from .in_completion_order import ex4
from .network import DELAYS, PAGES, download
from .place_order import OutOfStock, ex6
from .with_deadline import ex3
from .with_spinner import ex5

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "DELAYS",
    "EXERCISES",
    "PAGES",
    "OutOfStock",
    "download",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
]
