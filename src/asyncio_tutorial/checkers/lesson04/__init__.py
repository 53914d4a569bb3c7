"""Lesson 04's exercises: futures completed by timers, callbacks, threads and thread pools.

The workbook ``exercises/workbook-04-futures.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson04 import ex1, ex2, ex3, ex4, ex5

and imports the pretend libraries the exercises wrap from here too (``subscribe``,
``start_job``, ``slow_checksum``, ``start_lookup``), so that ``subscribe??`` shows how
they behave.  The worked answers are in ``solutions/04-futures.ipynb``.

What these checkers look at besides the result: how each future was completed, and on
which thread (:mod:`.watching`); the errors the event loop would have logged
(``InvalidStateError`` from a future completed twice, or after its waiter gave up);
what a library's ``concurrent.futures.Future`` went through (who waited for its result
before it was done, whether it was cancelled when its caller gave up);
which thread scheduled work on the loop (:class:`~.scenario.LoopThreadGuard`); and
what held the loop's thread while a blocking function ran in a worker
(:mod:`asyncio_tutorial.checkers.lesson02.held`).

One module per exercise, each with its helpers, scenario, checker and hints:

* :mod:`.delayed`: exercise 1, a future completed by a timer;
* :mod:`.first_reading`: exercise 2, a callback API turned into a coroutine;
* :mod:`.run_job`: exercise 3, a callback from another thread;
* :mod:`.checksums`: exercise 4, blocking functions in a thread pool;
* :mod:`.locate`: exercise 5, a ``concurrent.futures.Future`` awaited with ``wrap_future``.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson04.checksums import ex4, slow_checksum
from asyncio_tutorial.checkers.lesson04.delayed import ex1
from asyncio_tutorial.checkers.lesson04.first_reading import READINGS, ex2, subscribe
from asyncio_tutorial.checkers.lesson04.locate import ex5, start_lookup
from asyncio_tutorial.checkers.lesson04.run_job import ex3, start_job

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5])

__all__ = [
    "EXERCISES",
    "READINGS",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "slow_checksum",
    "start_job",
    "start_lookup",
    "subscribe",
]
