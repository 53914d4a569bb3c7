"""The small library behind the course *Async Python, hands-on*.

Lessons start with ``%load_ext asyncio_tutorial``, which turns on timing stamps, the
``%%standalone`` cell magic and error reporting for exception groups (see
:mod:`asyncio_tutorial.extension`).  The helpers lessons import are re-exported here::

    from asyncio_tutorial import timed, timeline
"""

from __future__ import annotations

from typing import Any

from asyncio_tutorial.claims import timed
from asyncio_tutorial.timeline import timeline

__all__ = ["timed", "timeline", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext asyncio_tutorial``: see :mod:`asyncio_tutorial.extension`."""
    from asyncio_tutorial import extension  # IPython is only needed inside a notebook

    extension.load_ipython_extension(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext asyncio_tutorial``."""
    from asyncio_tutorial import extension

    extension.unload_ipython_extension(shell)
