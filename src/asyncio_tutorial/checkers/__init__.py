"""Self-checking exercises: ``ex1.check(answer)``, ``ex1.hint()``, ``ex1.solution()``.

How the parts fit, from the bottom up:

* :mod:`~asyncio_tutorial.checkers.core`: :class:`Exercise`, its :class:`Result`
  (correct, wrong with a named mistake, or not attempted), :class:`Wrong` (a verdict a
  checker raises to end the check), the one time-limit policy (:data:`TIME_LIMIT`) and
  :func:`bind_exercises`;
* :mod:`~asyncio_tutorial.checkers.runner`: runs an answer for real on its own thread
  and event loop, under the exercise's time limit, noticing blocking, hangs, unawaited
  coroutines and tasks left running (and where each was waiting); an answer that
  raises ``NotImplementedError`` ends the check as not attempted, there and nowhere else;
* :mod:`~asyncio_tutorial.checkers.diagnose`: the classic mistakes any answer can make,
  named from what the runner noticed (``common_mistakes``, ``judge_duration``, ...);
* :mod:`~asyncio_tutorial.checkers.scenario`: what a checker does besides calling the
  answer once (count overlapping operations, cancel it from outside, watch how it ends,
  what a server saw);
* :mod:`~asyncio_tutorial.checkers.held`: what the event loop's thread is doing, seen
  from a worker thread (which blocking call holds the loop);
* ``lessonNN``: a package per lesson, a module per exercise in it: the helpers its
  workbook imports, its scenario, its checker and its hints, read together, top to
  bottom; the package's ``__init__`` binds the exercises and re-exports what the
  workbook imports.

Adding an exercise to lesson NN (the README's "Contributing" section says more):

1. In ``lessonNN/``, in the exercise's own module, write the checker: a function that
   takes the learner's answer, runs it (``run_coroutine``, ``watch_answer``), raises
   ``Wrong(mistake, message)`` for each mistake it recognises, and ends with
   ``return correct(message)`` stating what was measured.  Then
   ``exN = Exercise(title, answer, checker, hints)``, and in the package's
   ``__init__.py`` add it to ``EXERCISES = bind_exercises(globals(), [ex1, ..., exN])``.
2. In ``solutions/NN-topic.ipynb``: the answer between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` inside its function, followed by the check cell
   ``exN.check(answer)``.
3. ``make exercises`` writes the workbook; ``make record`` records the solutions'
   outputs; ``tests/checkers/test_lessonNN.py`` tests the checker with realistic wrong
   answers, each with the mistake it must get.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import (
    CORRECT,
    NOT_ATTEMPTED,
    TIME_LIMIT,
    WRONG,
    Exercise,
    NotAttempted,
    Result,
    Wrong,
    bind_exercises,
    correct,
    exercise,
    registered,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, run_function

__all__ = [
    "CORRECT",
    "NOT_ATTEMPTED",
    "TIME_LIMIT",
    "WRONG",
    "Exercise",
    "NotAttempted",
    "Outcome",
    "Result",
    "Wrong",
    "bind_exercises",
    "correct",
    "exercise",
    "registered",
    "run_coroutine",
    "run_function",
]
