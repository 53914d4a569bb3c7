"""Self-checking exercises: ``ex1.check(answer)``, ``ex1.hint()``, ``ex1.solution()``.

How the parts fit:

* :mod:`~asyncio_tutorial.checkers.core`: :class:`Exercise` and :class:`Result`
  (correct, wrong with a named mistake, or not attempted);
* :mod:`~asyncio_tutorial.checkers.runner`: runs an answer for real on its own thread
  and event loop, under a time limit, noticing blocking, hangs, unawaited coroutines
  and tasks left running;
* :mod:`~asyncio_tutorial.checkers.diagnose`: turns what the runner noticed into a
  targeted message;
* ``lessonNN``: one module per lesson with its exercises, their checkers and hints.

Adding lesson NN's exercises:

1. Write ``lessonNN.py`` next to ``lesson01.py``: a checker per exercise (a function
   that takes the learner's answer and returns a ``Result``), one ``Exercise`` each,
   and ``EXERCISES = [ex1, ex2, ...]``.
2. Write ``solutions/NN-topic.ipynb``: each answer between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` inside its function, followed by a check cell ``exN.check(...)``.
3. ``make exercises`` writes the workbook; ``make record`` records the solutions'
   outputs; ``tests/checkers/test_lesson01.py`` shows how to test the checkers.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Exercise,
    Result,
    correct,
    not_attempted,
    registered,
    wrong,
)
from asyncio_tutorial.checkers.runner import Outcome, run_coroutine, run_function

__all__ = [
    "CORRECT",
    "NOT_ATTEMPTED",
    "WRONG",
    "Exercise",
    "Outcome",
    "Result",
    "correct",
    "not_attempted",
    "registered",
    "run_coroutine",
    "run_function",
    "wrong",
]
