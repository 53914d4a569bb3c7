"""The table of releases (``asyncio_tutorial.versions``) against the running Python.

Lessons say what each Python does from this table, and the recorded outputs come from
one Python (3.15): these tests try each feature for real, so ``make pythons`` checks every
row on 3.11, 3.12, 3.13.0, the newest 3.13, 3.14 and 3.15.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from asyncio_tutorial import versions

EAGER_ORDER = ["job: first step", "create_task returned", "job: after its pause"]
DEFAULT_ORDER = ["create_task returned", "job: first step", "job: after its pause"]


async def job(log: list[str]) -> None:
    log.append("job: first step")
    await asyncio.sleep(0)  # a pause: the loop gets a turn
    log.append("job: after its pause")


async def order_of_events(create_task: Callable[..., Any], **options: Any) -> list[str] | None:
    """The order of events around ``create_task``, or None when it refuses ``options``."""
    log: list[str] = []
    coro = job(log)
    try:
        task = create_task(coro, **options)
    except TypeError:  # "got an unexpected keyword argument 'eager_start'"
        coro.close()
        return None
    log.append("create_task returned")
    await task
    return log


async def cached_value() -> int:
    return 42


def test_the_default_order_is_the_same_everywhere() -> None:
    assert asyncio.run(order_of_events(asyncio.create_task)) == DEFAULT_ORDER


def test_the_eager_task_factory() -> None:
    factory = getattr(asyncio, "eager_task_factory", None)
    assert (factory is not None) == versions.has("eager_task_factory")
    if factory is None:
        return

    async def main() -> tuple[list[str] | None, bool]:
        asyncio.get_running_loop().set_task_factory(factory)
        order = await order_of_events(asyncio.create_task)
        quick = asyncio.create_task(cached_value())
        return order, quick.done()

    assert asyncio.run(main()) == (EAGER_ORDER, True)


@pytest.mark.parametrize("key", ["loop.create_task eager_start", "asyncio.create_task eager_start"])
def test_eager_start(key: str) -> None:
    async def main() -> list[str] | None:
        if key.startswith("loop."):
            return await order_of_events(asyncio.get_running_loop().create_task, eager_start=True)
        return await order_of_events(asyncio.create_task, eager_start=True)

    assert asyncio.run(main()) == (EAGER_ORDER if versions.has(key) else None)


def test_eager_start_goes_to_a_custom_task_factory_from_3_13_3() -> None:
    """Lesson 03 §10: a factory without ``**kwargs`` fails, one that drops them is not eager."""

    def strict(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop)

    def dropping(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop)

    def passing(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def with_factory(factory: Any) -> list[str] | None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        try:
            return await order_of_events(loop.create_task, eager_start=True)
        finally:
            loop.set_task_factory(None)

    async def refusal() -> str:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(strict)
        coro = cached_value()
        try:
            loop.create_task(coro, eager_start=True)
        except TypeError as error:
            return str(error)
        finally:
            coro.close()
            loop.set_task_factory(None)
        return "accepted"

    found = {f.__name__: asyncio.run(with_factory(f)) for f in (strict, dropping, passing)}
    if not versions.has("loop.create_task eager_start"):
        # loop.create_task itself refuses the keyword, whatever the factory.
        assert found == {"strict": None, "dropping": None, "passing": None}
        return
    assert found["strict"] is None  # refused with TypeError, by the factory itself:
    assert asyncio.run(refusal()).startswith(f"{strict.__qualname__}() got an unexpected")
    assert found["dropping"] == DEFAULT_ORDER  # an ordinary task: not eager
    assert found["passing"] == EAGER_ORDER


def test_as_completed_with_async_for() -> None:
    async def main() -> bool:
        tasks = [asyncio.create_task(cached_value()) for _ in range(2)]
        try:
            finished = [task async for task in asyncio.as_completed(tasks)]  # type: ignore[attr-defined]
        except TypeError:  # before 3.13, as_completed is a plain iterator only
            await asyncio.gather(*tasks)
            return False
        return set(finished) == set(tasks)

    assert asyncio.run(main()) == versions.has("as_completed async for")
