"""The small library behind the course *Async Python, hands-on*.

Lessons start with ``%load_ext asyncio_tutorial``, which turns on timing stamps, the
``%%standalone`` cell magic and error reporting for exception groups (see
:mod:`asyncio_tutorial.extension`).  The helpers lessons use most are re-exported here::

    from asyncio_tutorial import timed, timeline

The library's layout, for a reader who wants to know where to look.

**What lessons and workbooks import** (:data:`LESSON_MODULES`; a test keeps notebooks to
these):

* :mod:`~asyncio_tutorial.claims`: ``timed``, the measured claim ("took 1.0 s");
* :mod:`~asyncio_tutorial.timeline`: task timelines drawn as text charts;
* :mod:`~asyncio_tutorial.cpu`: calibrated CPU work, the same amount on any machine;
* :mod:`~asyncio_tutorial.speedups`: lesson 07's table of measured speedups;
* :mod:`~asyncio_tutorial.servers` and :mod:`~asyncio_tutorial.site`: real local
  servers (TCP, HTTP) and the capstone's website, on 127.0.0.1;
* :mod:`~asyncio_tutorial.crawler`: the capstone's crawler, as a module and a program;
* :mod:`~asyncio_tutorial.versions`: what changed in which Python release;
* :mod:`~asyncio_tutorial.standalone`: ``%%standalone`` programs and their last run;
* ``asyncio_tutorial.checkers.lessonNN``: each workbook's exercises and the helpers
  they use (the rest of :mod:`~asyncio_tutorial.checkers` is the checking machinery).

**Machinery** (no lesson imports it): :mod:`~asyncio_tutorial.extension`,
:mod:`~asyncio_tutorial.stamps` and :mod:`~asyncio_tutorial.childstamps` (the IPython
extension and its stamps), :mod:`~asyncio_tutorial.course_kernel` (what the course's
kernels do as they start), and :mod:`asyncio_tutorial.course`, the course's own tools:
``course.recording`` (``make record``), ``course.workbooks`` (``make exercises``),
``course.progress`` (``make progress``, ``check``), ``course.submissions`` (what
``check``, ``progress`` and grading run of a workbook handed in), ``course.grade`` (a
whole class), ``course.published`` (what ``make test`` validates), ``course.update``
(``make update``) and ``course.cli``, their command line; ``course.kernels``,
``course.lab`` and ``course.quick_nbformat``, how the course starts kernels and
JupyterLab.
"""

from __future__ import annotations

from typing import Any

from asyncio_tutorial.claims import timed
from asyncio_tutorial.timeline import timeline

__all__ = ["timed", "timeline", "load_ipython_extension", "unload_ipython_extension"]

LESSON_MODULES = (
    "asyncio_tutorial",
    "asyncio_tutorial.claims",
    "asyncio_tutorial.timeline",
    "asyncio_tutorial.cpu",
    "asyncio_tutorial.speedups",
    "asyncio_tutorial.servers",
    "asyncio_tutorial.site",
    "asyncio_tutorial.crawler",
    "asyncio_tutorial.versions",
    "asyncio_tutorial.standalone",
)
"""The modules a lesson or a workbook may import, besides ``checkers.lessonNN``."""


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext asyncio_tutorial``: see :mod:`asyncio_tutorial.extension`."""
    from asyncio_tutorial import extension  # IPython is only needed inside a notebook

    extension.load_ipython_extension(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext asyncio_tutorial``."""
    from asyncio_tutorial import extension

    extension.unload_ipython_extension(shell)
