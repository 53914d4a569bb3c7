"""Lesson 05's exercises: a line-protocol client, a subprocess watcher, an HTTP fetcher.

The workbook ``exercises/workbook-05-async-io.ipynb`` starts with::

    from asyncio_tutorial.checkers.lesson05 import ex1, ex2, ex3

The worked answers are in ``solutions/05-async-io.ipynb``.  Each exercise has a module
of its own here, its scenario, mistakes and checker read together:

* :mod:`~asyncio_tutorial.checkers.lesson05.line_client`: exercise 1, ``ask``, a client
  for a line protocol over asyncio's streams;
* :mod:`~asyncio_tutorial.checkers.lesson05.watch`: exercise 2, ``watch``, a program's
  output passed on as it comes;
* :mod:`~asyncio_tutorial.checkers.lesson05.fetcher`: exercise 3, ``fetch_all``, a
  polite, patient HTTP fetcher.

These checkers run the answers against real servers and programs
(:mod:`asyncio_tutorial.servers`) and judge them by what the *server* saw: how many
requests were in flight at once, which client program asked, which connections were
still open afterwards; and by what the answer did with its connections, its
subprocesses and its session.  The servers run on a thread of their own, so that an
answer that blocks its event loop with a plain socket or ``urllib`` still gets its
answers, and is told what it did, instead of waiting for a server that cannot answer.
"""

from __future__ import annotations

from asyncio_tutorial.checkers.core import bind_exercises
from asyncio_tutorial.checkers.lesson05.fetcher import ex3
from asyncio_tutorial.checkers.lesson05.line_client import QUESTIONS, ex1
from asyncio_tutorial.checkers.lesson05.watch import COMMAND, ex2

EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

__all__ = ["COMMAND", "EXERCISES", "QUESTIONS", "ex1", "ex2", "ex3"]
