"""Lesson 05's exercises: a line-protocol client, a subprocess watcher, an HTTP fetcher,
a writer that waits for its reader, slow files read in threads, and a server that serves
twenty clients at once on one thread.

The workbook ``exercises/workbook-05-async-io.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson05 import ex1, ex2, ex3, ex4, ex5, ex6

The worked answers are in ``solutions/05-async-io.ipynb``.  Each exercise has a module
of its own here, its scenario, mistakes and checker read together:

* :mod:`~asyncio_tutorial.checkers.lesson05.line_client`: exercise 1, ``ask``, a client
  for a line protocol over asyncio's streams;
* :mod:`~asyncio_tutorial.checkers.lesson05.watch`: exercise 2, ``watch``, a program's
  output passed on as it comes;
* :mod:`~asyncio_tutorial.checkers.lesson05.fetcher`: exercise 3, ``fetch_all``, a
  polite, patient HTTP fetcher;
* :mod:`~asyncio_tutorial.checkers.lesson05.backpressure`: exercise 4, ``send_chunks``,
  2 MiB to a slow reader, with ``drain()`` keeping the writer at the reader's pace;
* :mod:`~asyncio_tutorial.checkers.lesson05.slow_files`: exercise 5, ``read_files``,
  slow files (named pipes) read at once in threads, the loop free meanwhile;
* :mod:`~asyncio_tutorial.checkers.lesson05.many_clients`: exercise 6, ``serve``, a
  server that answers twenty clients at once, on one thread, with no thread started.

These checkers run the answers against real servers and programs
(:mod:`asyncio_tutorial.servers`) and judge them by what the *server* saw: how many
requests were in flight at once, which client program asked, which connections were
still open afterwards; and by what the answer did with its connections, its
subprocesses and its session.  The servers run on a thread of their own, so that an
answer that blocks its event loop with a plain socket or ``urllib`` still gets its
answers, and is told what it did, instead of waiting for a server that cannot answer.
Exercises 4 and 5 look at the answer's own process too: the bytes waiting in its
writer's buffer after each write, and whether a ticker task on its loop kept ticking
while its files were read.  Exercise 6 turns it round: the answer is the server, and
the check's clients, on a thread of their own, judge it by how many of them it answered
while all of them waited, and by the threads it started (none are needed).
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson05.backpressure import ex4
from asyncio_tutorial.checkers.lesson05.fetcher import ex3
from asyncio_tutorial.checkers.lesson05.line_client import QUESTIONS, ex1
from asyncio_tutorial.checkers.lesson05.many_clients import ex6
from asyncio_tutorial.checkers.lesson05.slow_files import ex5
from asyncio_tutorial.checkers.lesson05.watch import COMMAND, ex2

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3, ex4, ex5, ex6])

__all__ = ["COMMAND", "EXERCISES", "QUESTIONS", "ex1", "ex2", "ex3", "ex4", "ex5", "ex6"]
