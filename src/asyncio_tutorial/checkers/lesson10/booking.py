"""Exercise 2: a test that catches the double booking.

The checker runs the learner's test three times, each time handed a class to test: the
correct ``Booking``, a racy one whose payment takes 0.05 s, and a racy one whose payment
answers at once (it still pauses once).  Each is the checker's own subclass, which notes
what the test did with it: how many Booking objects it made, which seats it booked, who
got them, whether two bookings of one seat were in progress at once, and whether
``asyncio.sleep`` was still asyncio's own.  A test that passes against a racy Booking is
told why, from that record: it never had two bookings of one seat in progress at once,
or it made the double booking happen and its assertions did not notice, or it caught
its own AssertionError, asserts nothing, replaced ``asyncio.sleep``, or used the
Booking imported at the top instead of the class it was handed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import expect_coroutine_function
from asyncio_tutorial.checkers.lesson10.judging_tests import (
    NO_CHECKS,
    SWALLOWED,
    checks_in,
    failure,
    judge_test_run,
    run_test,
    sleep_is_patched,
    times,
)
from asyncio_tutorial.checkers.runner import Outcome
from asyncio_tutorial.checkers.scenario import names_used

PAYMENT_SECONDS = 0.05
"""How long ``book`` waits for the payment service, in the checker's Booking."""
SLOW_TEST = 0.8  # a test of these components that takes longer waits for nothing


class Booking:
    """Seats on a flight.  ``await book(seat, person)`` is True if ``person`` got it.

    Booking takes a payment round trip, an ``await``; a lock makes sure that a seat is
    checked, paid for and given in one piece, so no seat is ever sold twice.
    """

    payment_seconds = PAYMENT_SECONDS

    def __init__(self, seats: list[str]) -> None:
        self.owners: dict[str, str | None] = dict.fromkeys(seats)
        self.lock = asyncio.Lock()

    async def book(self, seat: str, person: str) -> bool:
        async with self.lock:
            return await self._book(seat, person)

    async def _book(self, seat: str, person: str) -> bool:
        if self.owners[seat] is not None:
            return False
        await asyncio.sleep(self.payment_seconds)  # the payment service
        self.owners[seat] = person
        return True

    def owner(self, seat: str) -> str | None:
        """Who has ``seat`` (None while it is free)."""
        return self.owners[seat]


class RacyBooking(Booking):
    """The bug: no lock, so two bookings can both see a seat free across the payment."""

    async def book(self, seat: str, person: str) -> bool:
        return await self._book(seat, person)


class RacyQuickBooking(RacyBooking):
    """The same bug with a payment that answers at once (it still pauses once)."""

    payment_seconds = 0


# --- What a test did with the class it was handed -----------------------------------------


@dataclass
class _Record:
    """What a test did with the Booking class the checker handed it."""

    instances: int = 0
    booked: list[tuple[str, str, bool]] = field(default_factory=list)
    """(seat, person, whether they got it), for every booking that ended."""
    in_progress: dict[str, int] = field(default_factory=dict)
    at_once: set[str] = field(default_factory=set)
    """Seats that had two bookings in progress at the same moment."""
    sleep_patched: bool = False

    def reset(self) -> None:
        self.instances, self.sleep_patched = 0, False
        self.booked, self.in_progress, self.at_once = [], {}, set()

    def seats(self) -> list[str]:
        """The seats booked, each once, in the order first booked."""
        return list(dict.fromkeys(seat for seat, _, _ in self.booked))

    def sold(self, seat: str) -> int:
        """How many bookings of ``seat`` got it."""
        return sum(got for booked, _, got in self.booked if booked == seat)

    def sold_twice(self) -> bool:
        return any(self.sold(seat) > 1 for seat in self.seats())


_RECORD = _Record()


class _Recorded:
    """Notes in ``_RECORD`` what a test does with the Booking class it was handed."""

    def __init__(self, seats: list[str]) -> None:
        super().__init__(seats)  # type: ignore[call-arg]
        _RECORD.instances += 1

    async def book(self, seat: str, person: str) -> bool:
        _RECORD.sleep_patched |= sleep_is_patched()
        _RECORD.in_progress[seat] = _RECORD.in_progress.get(seat, 0) + 1
        if _RECORD.in_progress[seat] > 1:
            _RECORD.at_once.add(seat)
        try:
            got: bool = await super().book(seat, person)  # type: ignore[misc]
        finally:
            _RECORD.in_progress[seat] -= 1
        _RECORD.booked.append((seat, person, got))
        return got


class _CheckedBooking(_Recorded, Booking):
    """The correct Booking, noting what the test does with it."""


class _CheckedRacyBooking(_Recorded, RacyBooking):
    """The racy Booking (a 0.05 s payment), noting what the test does with it."""


class _CheckedRacyQuickBooking(_Recorded, RacyQuickBooking):
    """The racy Booking whose payment answers at once, noting what the test does with it."""


FRESH = (
    "Call `booking.book(seat, person)` once for each booking you await: each call gives a "
    "fresh coroutine."
)
RUNS = [
    (_CheckedBooking, "with a correct Booking", False),
    (_CheckedRacyBooking, "with the racy Booking", True),
    (_CheckedRacyQuickBooking, "with the racy Booking whose payment answers at once", True),
]


# --- The checker -------------------------------------------------------------------------


def check_booking_test(test: Any) -> Result:
    """The learner's test passes against ``Booking`` and fails against the racy ones."""
    expect_coroutine_function(test)
    name = "test_seat_is_booked_once"
    seen: list[tuple[_Record, BaseException | None]] = []
    for implementation, label, buggy in RUNS:
        call = f"{name}(Booking) {label}"
        _RECORD.reset()
        outcome, run = run_test(test, implementation, fake_clock=False)
        record = replace(_RECORD, sleep_patched=_RECORD.sleep_patched or run.sleep_patched)
        judge_test_run(outcome, call, fresh=FRESH, names={"_Recorded.book": "booking.book"})
        if not buggy:
            _judge_on_good_code(test, outcome, run.loop_time, record, call)
        elif outcome.error is None:
            raise _missed_the_race(test, implementation, record, call)
        seen.append((record, outcome.error))
    return correct(_what_it_showed(seen))


def _judge_on_good_code(
    test: Any, outcome: Outcome, took: float, record: _Record, call: str
) -> None:
    """Against the correct Booking the test must pass, and soon."""
    if took > SLOW_TEST and "sleep" in names_used(test):
        raise Wrong(
            "slow_test",
            f"{call} took {took:.2f} s. The bookings take {PAYMENT_SECONDS} s; a test that "
            "sleeps to 'let things happen' is slow and proves nothing. Await the "
            "operations themselves instead.",
        )
    error = outcome.error
    if error is None:
        return
    if record.sleep_patched:
        raise _patched_sleep(call, "failed against a correct implementation")
    if record.instances > 1 and record.sold_twice():  # only across two Booking objects
        raise Wrong(
            "separate_instances",
            f"{call} failed ({failure(error)}): your test made {record.instances} Booking "
            "objects, and each has seats of its own, so a booking on one never competes "
            "with a booking on another. Make one Booking, and book the same seat on it "
            "twice.",
        )
    raise Wrong(
        "fails_against_correct",
        f"{call} failed against a correct implementation ({failure(error)}), so it would "
        "fail on good code too.",
    )


def _missed_the_race(test: Any, implementation: Any, record: _Record, call: str) -> Wrong:
    """The test passed against a racy Booking: why it missed the race, by its record."""
    if record.sleep_patched:
        return _patched_sleep(call, "passed")
    if record.instances == 0 and "Booking" in getattr(test, "__code__", test).co_names:
        return Wrong(
            "ignored_the_parameter",
            f"{call} passed: your test never made a Booking from the class it was handed. "
            "It used the Booking imported at the top of the notebook, which is always the "
            "correct one. Use the test's parameter: `booking = Booking(['12A'])`, with "
            "Booking the name of the parameter.",
        )
    checks = checks_in(test)
    if checks == NO_CHECKS:
        happened = " (the seat was sold twice)" if record.sold_twice() else ""
        return Wrong(
            "asserts_nothing",
            f"{call} passed{happened}: your test asserts nothing, so it passes whatever "
            "the code does. Check what the bookings returned: `assert sorted(results) == "
            "[False, True]`.",
            suggests="assert",
        )
    if record.sold_twice():
        sold = [seat for seat in record.seats() if record.sold(seat) > 1]
        if checks == SWALLOWED:
            return Wrong(
                "swallowed_assertion",
                f"{call} passed, although seat {sold[0]} was sold twice: your test caught "
                "the AssertionError of its own `assert` (an `except AssertionError:` or "
                "`except Exception:` around it), so it can never fail. A test fails by "
                "letting that error out: take the try/except away.",
            )
        return Wrong(
            "weak_assertion",
            f"{call} passed, although seat {sold[0]} was sold twice (both bookings "
            "returned True): your assertions do not check that only one booking got it. "
            "Assert on what both returned: `assert sorted(results) == [False, True]`.",
            suggests="sorted(results) == [False, True]",
        )
    return _never_raced(test, implementation, record, call)


def _never_raced(test: Any, implementation: Any, record: _Record, call: str) -> Wrong:
    """The test passed because the race never happened: why it did not."""
    seats = record.seats()
    if len(seats) > 1 and all(len([b for b in record.booked if b[0] == s]) == 1 for s in seats):
        return Wrong(
            "different_seats",
            f"{call} passed: your test booked {', '.join(seats)}, each seat once, so no two "
            "bookings ever wanted the same seat and the racy Booking had nothing to get "
            "wrong. Book one seat twice, at the same time.",
        )
    if implementation is _CheckedRacyQuickBooking:
        return Wrong(
            "timing_dependent",
            f"{call} passed. It caught the race only while the payment was slow: your "
            "test relies on timing (a sleep between the two bookings?). Start both at "
            "the same moment with `asyncio.gather(...)`, so the overlap does not depend "
            "on how long anything takes.",
        )
    if "sleep" in names_used(test):
        return Wrong(
            "timing_dependent",
            f"{call} passed: the two bookings were not in progress at the same time. Your "
            "test sleeps between them, so whether they overlap depends on how long "
            "everything takes. Start both at the same moment with `asyncio.gather(...)`.",
        )
    return Wrong(
        "passes_against_buggy",
        f"{call} passed, so it does not catch the bug: two bookings of the same seat "
        "never overlapped. Start them together (`await asyncio.gather(book(...), "
        "book(...))`) and assert that exactly one of them got the seat.",
        suggests="asyncio.gather",
    )


def _patched_sleep(call: str, what: str) -> Wrong:
    return Wrong(
        "patched_sleep",
        f"{call} {what}: your test replaced asyncio.sleep, which Booking's payment uses. "
        "Without its pause the two bookings never interleave, so the race cannot happen "
        "and the test cannot catch it; and a test must not change the code it tests. "
        "Leave asyncio.sleep alone, and start the two bookings together with gather.",
    )


def _what_it_showed(seen: list[tuple[_Record, BaseException | None]]) -> str:
    """The correct message, from what the three runs recorded."""
    (good, _), (racy, racy_error), (quick, quick_error) = seen
    failures = list(dict.fromkeys(failure(e) for e in (racy_error, quick_error) if e))
    if not good.booked:  # it judged the class some other way: say only what it did
        return (
            "your test passed against the correct Booking and failed against both racy "
            f"ones ({'; '.join(failures)})."
        )
    seat = max(good.seats(), key=lambda s: len([b for b in good.booked if b[0] == s]))
    booked = len([b for b in good.booked if b[0] == seat])
    winners = "one of them" if good.sold(seat) == 1 else f"{good.sold(seat)} of them"
    return (
        f"your test booked seat {seat} {times(booked)} at once: the correct Booking gave it "
        f"to {winners}, and your test passed; the racy one sold it "
        f"{times(racy.sold(seat))} when the payment took {PAYMENT_SECONDS} s, and "
        f"{times(quick.sold(seat))} when it answered at once, and your test failed both "
        f"times ({'; '.join(failures)}). It starts the bookings together, so it catches "
        "the double booking every time, not by luck."
    )


ex2 = Exercise(
    title="A test that catches the double booking",
    answer="test_seat_is_booked_once",
    checker=check_booking_test,
    hints=[
        "A race needs two bookings in progress at once: awaiting one after the other "
        "never overlaps them.",
        "`results = await asyncio.gather(booking.book('12A', 'Ada'), "
        "booking.book('12A', 'Bob'))` starts both before either finishes.",
        "Then `assert sorted(results) == [False, True]`: exactly one got the seat.",
    ],
)
