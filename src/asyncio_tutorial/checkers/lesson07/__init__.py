"""Lesson 07's exercises: threads, processes, choosing, measuring, interpreters, a cluster.

The workbook ``exercises/workbook-07-concurrency-vs-parallelism.ipynb`` starts with::

    from asyncio_tutorial import cpu
    from asyncio_tutorial.checkers.lesson07 import REPORTS, ex1, ex2, ex3, read_report
    from asyncio_tutorial.checkers.lesson07 import ex4, ex5, ex6, sample

and ``read_report??`` shows how the helpers work.  The worked answers are in
``solutions/07-concurrency-vs-parallelism.ipynb``.  Each exercise is a module of its
own, read top to bottom: its helpers, its scenario, its checker and its hints:

* :mod:`.read_all` (``ex1``): a blocking library call in threads;
* :mod:`.crunch_all` (``ex2``): computing in a process pool;
* :mod:`.choose` (``ex3``): the right tool for three workloads, shown by running them;
* :mod:`.measure` (``ex4``): one row of the speedup table (wall time, CPU time here and
  in worker processes), checked against the check's own clocks around the same run;
* :mod:`.ship` (``ex5``): a self-contained function, run in an ``InterpreterPoolExecutor``
  (3.14+) or sent as code to worker processes, judged by its code the same way on every
  Python;
* :mod:`.cluster` (``ex6``): submit and await on a Dask cluster started in this process;
* :mod:`.watching`: how the checkers tell where work ran, on a busy machine too: the CPU
  time of the loop's own thread and of this process, what the loop's thread was doing
  when a piece of work ended elsewhere (waiting in ``Future.result()``, say), and a
  process pool that counts its jobs.  None of it depends on how fast the machine is.

The process pools are the checker's own, started with the interpreter's default start
method (``fork`` up to 3.13, ``forkserver`` from 3.14), and always shut down, with any
worker process an answer started itself, however the answer ends.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson07.choose import WORKLOADS, ex3, fetch_price
from asyncio_tutorial.checkers.lesson07.cluster import SIZES, ex6, sample
from asyncio_tutorial.checkers.lesson07.crunch_all import ex2
from asyncio_tutorial.checkers.lesson07.measure import ex4
from asyncio_tutorial.checkers.lesson07.read_all import READ_TIMES, REPORTS, ex1, read_report
from asyncio_tutorial.checkers.lesson07.ship import ex5

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = [
    "EXERCISES",
    "READ_TIMES",
    "REPORTS",
    "SIZES",
    "WORKLOADS",
    "ex1",
    "ex2",
    "ex3",
    "ex4",
    "ex5",
    "ex6",
    "fetch_price",
    "read_report",
    "sample",
]
