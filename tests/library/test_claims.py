"""The measured-claim helper ``timed``."""

from __future__ import annotations

import asyncio
import io
import time

from asyncio_tutorial import timed


def test_within_tolerance_prints_the_expected_figure() -> None:
    out = io.StringIO()
    with timed(expected=0.2, file=out) as measurement:
        time.sleep(0.2)
    assert out.getvalue() == "took 0.2 s (expected ≈ 0.2 s)\n"
    assert 0.2 <= measurement.elapsed < 0.35


def test_outside_tolerance_prints_the_real_figure() -> None:
    out = io.StringIO()
    with timed(expected=1.0, file=out) as measurement:
        time.sleep(0.2)
    assert not measurement.as_expected
    assert out.getvalue().startswith("took 0.2")
    assert "outside 1.0 s ± 0.15 s" in out.getvalue()


def test_async_with_measures_awaited_work() -> None:
    out = io.StringIO()

    async def main() -> None:
        async with timed(expected=0.3, label="gathered", file=out):
            await asyncio.gather(asyncio.sleep(0.3), asyncio.sleep(0.3))

    asyncio.run(main())
    assert out.getvalue() == "gathered: took 0.3 s (expected ≈ 0.3 s)\n"


def test_without_expectation_reports_the_measurement() -> None:
    out = io.StringIO()
    with timed(file=out):
        pass
    assert out.getvalue() == "took 0.00 s\n"


def test_an_error_inside_prints_nothing_and_propagates() -> None:
    out = io.StringIO()
    try:
        with timed(expected=0.1, file=out):
            raise KeyError("boom")
    except KeyError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the error was swallowed")
    assert out.getvalue() == ""
