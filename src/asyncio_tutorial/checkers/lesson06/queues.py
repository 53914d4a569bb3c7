"""``Queue`` and ``QueueShutDown``: ``asyncio``'s own on Python 3.13+, an equivalent before.

``asyncio.Queue.shutdown()`` and ``asyncio.QueueShutDown`` are new in Python 3.13.  So
that exercise 6 can use them on every Python the course runs on, the workbook imports
them from here::

    from asyncio_tutorial.checkers.lesson06 import Queue, QueueShutDown

On 3.13 and later they *are* ``asyncio.Queue`` and ``asyncio.QueueShutDown``.  On 3.11
and 3.12, ``Queue`` is ``BackportedQueue``: ``asyncio.Queue`` with 3.13's shutdown added,
following 3.13's own code line by line (it is defined on every Python, so that the
tests can hold it to ``asyncio``'s own where both exist):

* ``shutdown()``: from then on ``put()`` and ``put_nowait()`` raise ``QueueShutDown``;
  ``get()`` and ``get_nowait()`` go on giving the items left, and raise
  ``QueueShutDown`` once the queue is empty.  Every task waiting in ``put()`` or
  ``get()`` is woken to find that out.
* ``shutdown(immediate=True)``: the same, and the items still in the queue are thrown
  away (each counted as done, for ``join()``), so ``get()`` raises at once.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

__all__ = ["Queue", "QueueShutDown"]


class BackportedQueueShutDown(Exception):
    """Raised when putting on to or getting from a shut-down Queue."""


class BackportedQueue(asyncio.Queue):  # type: ignore[type-arg]
    """``asyncio.Queue`` with Python 3.13's ``shutdown()`` (the ``Queue`` of 3.11 and 3.12)."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._is_shutdown = False

    async def put(self, item: Any) -> None:
        """Put an item into the queue, waiting while it is full.

        Raises QueueShutDown if the queue has been shut down.
        """
        while self.full():
            if self._is_shutdown:
                raise BackportedQueueShutDown
            putter = self._get_loop().create_future()
            self._putters.append(putter)
            try:
                await putter
            except:  # noqa: E722 - as asyncio's own: cancelled, or anything
                putter.cancel()
                try:
                    self._putters.remove(putter)
                except ValueError:
                    pass
                if not self.full() and not putter.cancelled():
                    self._wakeup_next(self._putters)
                raise
        return self.put_nowait(item)

    def put_nowait(self, item: Any) -> None:
        """Put an item into the queue at once; QueueFull if it is full.

        Raises QueueShutDown if the queue has been shut down.
        """
        if self._is_shutdown:
            raise BackportedQueueShutDown
        super().put_nowait(item)

    async def get(self) -> Any:
        """Remove and return an item, waiting while the queue is empty.

        Raises QueueShutDown if the queue has been shut down and is empty.
        """
        while self.empty():
            if self._is_shutdown and self.empty():
                raise BackportedQueueShutDown
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except:  # noqa: E722 - as asyncio's own: cancelled, or anything
                getter.cancel()
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                if not self.empty() and not getter.cancelled():
                    self._wakeup_next(self._getters)
                raise
        return self.get_nowait()

    def get_nowait(self) -> Any:
        """Remove and return an item at once; QueueEmpty if there is none.

        Raises QueueShutDown if the queue has been shut down and is empty.
        """
        if self.empty() and self._is_shutdown:
            raise BackportedQueueShutDown
        return super().get_nowait()

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down: puts raise BackportedQueueShutDown, and gets too once the
        queue is empty (at once with ``immediate=True``, which drops the items left).

        Every task waiting in put() or get() is woken.
        """
        self._is_shutdown = True
        if immediate:
            while not self.empty():
                self._get()
                if self._unfinished_tasks > 0:
                    self._unfinished_tasks -= 1
            if self._unfinished_tasks == 0:
                self._finished.set()
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
        while self._putters:
            putter = self._putters.popleft()
            if not putter.done():
                putter.set_result(None)


if sys.version_info >= (3, 13):
    Queue = asyncio.Queue
    QueueShutDown = asyncio.QueueShutDown
else:
    Queue = BackportedQueue
    QueueShutDown = BackportedQueueShutDown
