"""Exercise 5: a ``unittest.IsolatedAsyncioTestCase`` for a shop that must be opened.

The learner's ``shop_tests(Shop)`` returns a test case class.  The checker runs it with
unittest three times, each time handed a different ``Shop``: the correct one (every test
must pass, and every shop opened must be closed), one that never runs out and one that
is sold out from the start (at least one test must fail against each).  Each ``Shop``
is the checker's own, which notes what the tests did with it: the shops made, opened
(on which loop) and closed, and every reservation and its answer.  A test case that
passes against a broken shop is told why from that record; one that fails against the
correct shop, from the record and from what unittest reported.

Each test runs under a limit of its own (``TEST_LIMIT``), so a test that waits for
nothing is stopped without stopping the rest: unittest catches whatever a test raises,
even the runner's own interruption.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import unittest
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import common_mistakes, expect_plain_function
from asyncio_tutorial.checkers.runner import Outcome, run_function

TEST_LIMIT = 0.8
"""Seconds one test (or its asyncSetUp, or asyncTearDown) may take: a right one takes
a hundredth of that."""
WAREHOUSE_SECONDS = 0.01


class Shop:
    """A shop's stock, kept behind a connection that must be opened and closed::

        shop = Shop({"lamp": 1})
        await shop.open()              # on the loop that will use it
        await shop.reserve("lamp")     # True: one lamp taken out of stock
        await shop.reserve("lamp")     # False: none left
        await shop.close()

    Like a real client (a database pool, an HTTP session), an open shop belongs to the
    event loop that opened it: using it from another loop is an error.
    """

    def __init__(self, stock: dict[str, int]) -> None:
        self.stock = dict(stock)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    async def open(self) -> None:
        """Connect to the shop, on the running loop."""
        await asyncio.sleep(0)
        self.loop = asyncio.get_running_loop()

    async def reserve(self, item: str) -> bool:
        """Take one ``item`` out of stock: True, or False if there is none left."""
        if self.loop is None or self.closed:
            raise RuntimeError("Shop.reserve: the shop is not open")
        if asyncio.get_running_loop() is not self.loop:
            raise RuntimeError("Shop.reserve: the shop was opened on another event loop")
        await asyncio.sleep(WAREHOUSE_SECONDS)  # the warehouse confirms
        return self._take(item)

    def _take(self, item: str) -> bool:
        if self.stock.get(item, 0) == 0:
            return False
        self.stock[item] -= 1
        return True

    async def close(self) -> None:
        """Disconnect."""
        await asyncio.sleep(0)
        self.closed = True


class NeverSoldOutShop(Shop):
    """The bug: it says yes, and forgets to take the item out of stock."""

    def _take(self, item: str) -> bool:
        return self.stock.get(item, 0) > 0


class SoldOutShop(Shop):
    """The bug: an off-by-one that keeps the last item back, so one lamp is none."""

    def _take(self, item: str) -> bool:
        if self.stock.get(item, 0) <= 1:
            return False
        self.stock[item] -= 1
        return True


# --- What the tests did with the shops ----------------------------------------------------


@dataclass
class _Record:
    shops: list[Any] = field(default_factory=list)
    reservations: list[tuple[int, bool]] = field(default_factory=list)
    """(which shop, what reserve answered), in order."""
    other_loop: bool = False
    """A shop was used from another loop than the one it was opened on."""

    def reset(self) -> None:
        vars(self).update(vars(_Record()))

    def opened(self) -> list[Any]:
        return [shop for shop in self.shops if shop.loop is not None]

    def reserved_twice(self) -> bool:
        counts = [shop for shop, _ in self.reservations]
        return any(counts.count(shop) > 1 for shop in counts)


_RECORD = _Record()


class _Recorded:
    """Notes in ``_RECORD`` what the tests do with the shop they were handed."""

    def __init__(self, stock: dict[str, int]) -> None:
        super().__init__(stock)  # type: ignore[call-arg]
        _RECORD.shops.append(self)

    async def reserve(self, item: str) -> bool:
        loop = getattr(self, "loop", None)
        if loop is not None and asyncio.get_running_loop() is not loop:
            _RECORD.other_loop = True
        answer: bool = await super().reserve(item)  # type: ignore[misc]
        _RECORD.reservations.append((_RECORD.shops.index(self), answer))
        return answer


class _CheckedShop(_Recorded, Shop):
    """The correct Shop, noting what the tests do with it."""


class _CheckedNeverSoldOut(_Recorded, NeverSoldOutShop):
    """The Shop that never runs out, noting what the tests do with it."""


class _CheckedSoldOut(_Recorded, SoldOutShop):
    """The Shop sold out from the start, noting what the tests do with it."""


RUNS = [
    (_CheckedShop, "the correct Shop", None),
    (_CheckedNeverSoldOut, "a Shop that never runs out", "never_sold_out"),
    (_CheckedSoldOut, "a Shop sold out from the start", "sold_out"),
]


# --- Running the test case ----------------------------------------------------------------


@dataclass
class _Report:
    """What unittest said about one run of the test case."""

    run: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(test method, the last line of its traceback), for each failure and error."""
    timed_out: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.run > 0 and not self.problems


def _limited(method: Callable[..., Any], name: str, report: _Report) -> Callable[..., Any]:
    """``method`` (a coroutine function) under :data:`TEST_LIMIT`."""

    async def limited(self: Any) -> Any:
        try:
            return await asyncio.wait_for(method(self), TEST_LIMIT)
        except TimeoutError:
            report.timed_out.append(name)
            raise

    return limited


def _guarded(case: type) -> type:
    """A subclass of ``case`` whose coroutine methods each run under :data:`TEST_LIMIT`."""
    report = _Report()
    names = [*unittest.defaultTestLoader.getTestCaseNames(case), "asyncSetUp", "asyncTearDown"]
    methods = {
        name: _limited(getattr(case, name), name, report)
        for name in names
        if inspect.iscoroutinefunction(getattr(case, name, None))
    }
    guarded = type(case.__name__, (case,), methods)
    guarded.report = report  # type: ignore[attr-defined]
    return guarded


def _run_case(case: type) -> _Report:
    """Run every test of ``case`` with unittest, quietly; what it reported."""
    guarded = _guarded(case)
    report: _Report = guarded.report  # type: ignore[attr-defined]
    result = unittest.TestResult()
    quiet = logging.NullHandler()  # IsolatedAsyncioTestCase runs in debug mode: its
    logging.getLogger("asyncio").addHandler(quiet)  # reports stay out of the notebook
    try:
        unittest.defaultTestLoader.loadTestsFromTestCase(guarded).run(result)
    finally:
        logging.getLogger("asyncio").removeHandler(quiet)
    report.run = result.testsRun
    for test, text in [*result.failures, *result.errors]:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        report.problems.append((getattr(test, "_testMethodName", str(test)), lines[-1]))
    return report


# --- The checker -------------------------------------------------------------------------


def check_shop_tests(shop_tests: Any) -> Result:
    """``shop_tests(Shop)``'s test case passes on the correct Shop, fails on broken ones."""
    expect_plain_function(shop_tests)
    made = run_function(lambda: shop_tests(_CheckedShop))
    common_mistakes(made, "shop_tests(Shop)")
    case = made.value
    _judge_the_class(case)
    failed: dict[str, list[str]] = {}
    shops_opened = loops = 0
    for implementation, label, bug in RUNS:
        _RECORD.reset()
        outcome = run_function(
            lambda implementation=implementation: _run_case(shop_tests(implementation)),
            on_loop=True,
        )
        call = f"{case.__name__}, run with {label},"
        report = _judge_the_run(outcome, call)
        if bug is None:
            _judge_on_the_correct_shop(report, call)
            shops_opened = len(_RECORD.opened())
            loops = len({id(shop.loop) for shop in _RECORD.opened()})
        elif report.passed:
            raise _missed_the_bug(bug, call)
        else:
            failed[label] = [name for name, _ in report.problems]
    tests = len(unittest.defaultTestLoader.getTestCaseNames(case))
    caught = "; ".join(f"against {label}, {', '.join(names)}" for label, names in failed.items())
    return correct(
        f"unittest ran the {tests} tests of {case.__name__}. Against the correct Shop all "
        f"passed: {shops_opened} shops were opened, each on the new loop of "
        f"its own test ({loops} loops), and all were closed. They failed where they should: "
        f"{caught}."
    )


def _judge_the_class(case: Any) -> None:
    """A TestCase class, an isolated asyncio one, with tests in it."""
    call = "shop_tests(Shop)"
    if not inspect.isclass(case):
        raise Wrong(
            "wrong_type",
            f"{call} returned {case!r}: return the test case class itself (`return "
            "TestShop`), not an instance or a result.",
            suggests="return" if case is None else (),
        )
    if not issubclass(case, unittest.TestCase):
        raise Wrong(
            "wrong_type",
            f"{call} returned the class {case.__name__}, which is not a unittest test "
            "case: subclass `unittest.IsolatedAsyncioTestCase`.",
        )
    names = unittest.defaultTestLoader.getTestCaseNames(case)
    methods = [getattr(case, name, None) for name in [*names, "setUp", "asyncSetUp"]]
    if not issubclass(case, unittest.IsolatedAsyncioTestCase):
        if any(inspect.iscoroutinefunction(method) for method in methods):
            raise Wrong(
                "plain_testcase",
                f"{case.__name__} is a plain unittest.TestCase, which calls an `async def` "
                "method without awaiting it: the method only makes a coroutine, which is "
                "thrown away, and the test passes without running a line (with a "
                "RuntimeWarning that it was never awaited). Subclass "
                "`unittest.IsolatedAsyncioTestCase`, which runs them on an event loop.",
                suggests="unittest.IsolatedAsyncioTestCase",
            )
        raise Wrong(
            "not_isolated",
            f"{case.__name__} is a plain unittest.TestCase: each test would need a loop "
            "of its own with asyncio.run. Subclass `unittest.IsolatedAsyncioTestCase`, "
            "and write the tests, asyncSetUp and asyncTearDown with `async def`.",
            suggests="unittest.IsolatedAsyncioTestCase",
        )
    if not names:
        raise Wrong(
            "no_tests",
            f"{case.__name__} has no tests: unittest runs only the methods whose names "
            "start with `test`, such as `test_reserving_the_lamp_succeeds`.",
        )


def _judge_the_run(outcome: Outcome, call: str) -> _Report:
    """What any run can show: a hang, blocking, asyncio.run in a test, a coroutine never
    awaited.  (unittest catches what the tests raise: ``outcome.error`` is the checker's.)"""
    unawaited = [name.rpartition(".")[2] for name in outcome.never_awaited]
    outcome.never_awaited = []
    common_mistakes(outcome, call)
    report: _Report = outcome.value
    nested = [(name, line) for name, line in report.problems if "running event loop" in line]
    if nested:
        raise Wrong(
            "nested_run",
            f"{call} failed: {nested[0][0]} raised {nested[0][1]}. The test already runs on "
            "the test case's event loop: `await` the coroutine instead of asyncio.run.",
        )
    if any(name in ("setUp", "tearDown") for name in unawaited):
        which = "setUp" if "setUp" in unawaited else "tearDown"
        raise Wrong(
            "async_setup_misnamed",
            f"{call}: your `async def {which}` was never awaited. unittest calls setUp and "
            "tearDown without await, so they only made a coroutine, and nothing in them "
            f"ran. Name it `async{which[0].upper()}{which[1:]}`: IsolatedAsyncioTestCase "
            "awaits that one, on the test's loop.",
            suggests=f"async{which[0].upper()}{which[1:]}",
        )
    shop_calls = [name for name in unawaited if name in ("reserve", "open", "close")]
    if shop_calls:
        raise Wrong(
            "forgot_await",
            f"{call}: shop.{shop_calls[0]}(...) was called but never awaited, so it never "
            "ran (and a coroutine object is always true to assertTrue). Put `await` in "
            f"front of `self.shop.{shop_calls[0]}(...)`.",
        )
    if unawaited:
        raise Wrong(
            "forgot_await",
            f"{call}: the coroutine {unawaited[0]}(...) was created but never awaited, so "
            f"it never ran. Put `await` in front of the call to {unawaited[0]}.",
        )
    if report.timed_out:
        raise Wrong(
            "hang",
            f"{call} had a test still running after {TEST_LIMIT:g} s: "
            f"{report.timed_out[0]}. A reservation takes {WAREHOUSE_SECONDS:g} s; the test "
            "waits for something else, which never comes. It has been stopped.",
        )
    return report


def _judge_on_the_correct_shop(report: _Report, call: str) -> None:
    """Every test passes on the correct Shop, and every shop opened is closed."""
    if not report.passed:
        name, line = report.problems[0]
        if _RECORD.other_loop:
            raise Wrong(
                "another_loop",
                f"{call} failed: {name} used a shop opened on another event loop ({line}). "
                "asyncio.run starts a loop of its own, in setUp or in a test. Open the "
                "shop in `async def asyncSetUp(self)` with `await`: it runs on the loop "
                "of the test.",
            )
        if "not open" in line and not _RECORD.opened():
            raise Wrong(
                "not_opened",
                f"{call} failed: {name} raised {line}. No shop was ever opened: open it "
                "in `async def asyncSetUp(self)`, with `await self.shop.open()` (setUp is "
                "called without await: an `async def setUp` only makes a coroutine).",
                suggests="asyncSetUp",
            )
        raise Wrong(
            "fails_against_correct",
            f"{call} failed ({name}: {line}), so it would fail on good code too. With "
            "stock {'lamp': 1}, the first reservation of the lamp gets it, and the next "
            "does not.",
        )
    unclosed = [shop for shop in _RECORD.opened() if not shop.closed]
    if unclosed:
        raise Wrong(
            "not_closed",
            f"{call} passed, but left {len(unclosed)} of its {len(_RECORD.opened())} shops "
            "open: close each one after its test, in `async def asyncTearDown(self)` with "
            "`await self.shop.close()`.",
            suggests="asyncTearDown",
        )


def _missed_the_bug(bug: str, call: str) -> Wrong:
    """The tests passed against a broken Shop: why, by what they did with it."""
    answers = [answer for _, answer in _RECORD.reservations]
    if not answers:
        return Wrong(
            "passes_against_buggy",
            f"{call} passed: your tests never reserved anything, so no bug of reserve "
            "can make them fail. Await `self.shop.reserve('lamp')` and check its answer.",
        )
    if bug == "never_sold_out":
        if not _RECORD.reserved_twice():
            return Wrong(
                "passes_against_buggy",
                f"{call} passed: no test reserved the lamp twice on one shop, so none saw "
                "that the second reservation was granted too. Reserve it twice, and "
                "assert that the second answer is False.",
            )
        return Wrong(
            "weak_assertion",
            f"{call} passed, although it answered {answers} to your reservations: no "
            "test checked that the second reservation of the only lamp is refused "
            "(`self.assertFalse(...)`).",
        )
    return Wrong(
        "weak_assertion",
        f"{call} passed, although it answered {answers} to your reservations: no test "
        "checked that the first reservation of the lamp succeeds "
        "(`self.assertTrue(await self.shop.reserve('lamp'))`).",
    )


ex5 = Exercise(
    title="An IsolatedAsyncioTestCase",
    answer="shop_tests",
    checker=check_shop_tests,
    hints=[
        "Define `class TestShop(unittest.IsolatedAsyncioTestCase):` inside shop_tests and "
        "`return TestShop`. Its tests are `async def test_...(self)` methods.",
        "`async def asyncSetUp(self)`: `self.shop = Shop({'lamp': 1})`, then "
        "`await self.shop.open()`; `async def asyncTearDown(self)`: "
        "`await self.shop.close()`.",
        "One test: `self.assertTrue(await self.shop.reserve('lamp'))`. Another: reserve "
        "once, then `self.assertFalse(await self.shop.reserve('lamp'))`.",
    ],
)
