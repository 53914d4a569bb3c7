"""Timing stamps: the format, the cut-down rule, and line handling."""

from __future__ import annotations

import io

import pytest

from asyncio_tutorial.stamps import StampedStream, format_stamp


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("seconds", "stamp"),
    [
        (0.0, "[0.0s] "),
        (0.004, "[0.0s] "),
        (0.094, "[0.0s] "),
        (0.096, "[0.1s] "),
        (0.998, "[1.0s] "),  # a hair early still counts as the whole tenth
        (1.0, "[1.0s] "),
        (1.094, "[1.0s] "),  # late work never moves up to the next tenth...
        (1.1, "[1.1s] "),  # ...until it is a full tenth late
        (12.34, "[12.3s] "),
        (-0.01, "[0.0s] "),
    ],
)
def test_stamps_cut_down_to_the_tenth(seconds: float, stamp: str) -> None:
    assert format_stamp(seconds) == stamp


def make_stream() -> tuple[StampedStream, io.StringIO, FakeClock]:
    clock = FakeClock()
    target = io.StringIO()
    stream = StampedStream(target, clock=clock)
    return stream, target, clock


def test_inactive_stream_passes_text_through_untouched() -> None:
    stream, target, _ = make_stream()
    stream.write("plain\n")
    assert target.getvalue() == "plain\n"


def test_each_line_is_stamped_with_the_moment_it_began() -> None:
    stream, target, clock = make_stream()
    stream.start()
    print("Hello", file=stream)
    clock.now += 1.02
    print("World", end="", file=stream)
    clock.now += 0.5  # finishing the line later does not change its stamp
    print("!", file=stream)
    assert target.getvalue() == "[0.0s] Hello\n[1.0s] World!\n"


def test_several_lines_in_one_write_each_get_a_stamp() -> None:
    stream, target, _ = make_stream()
    stream.start()
    stream.write("a\nb\n")
    assert target.getvalue() == "[0.0s] a\n[0.0s] b\n"


def test_carriage_return_starts_a_new_stamped_line() -> None:
    stream, target, clock = make_stream()
    stream.start()
    stream.write("10%\r")
    clock.now += 0.3
    stream.write("20%\n")
    assert target.getvalue() == "[0.0s] 10%\r[0.3s] 20%\n"


def test_start_resets_the_clock_and_stop_ends_stamping() -> None:
    stream, target, clock = make_stream()
    clock.now += 5
    stream.start()
    stream.write("x\n")
    stream.stop()
    stream.write("y\n")
    assert target.getvalue() == "[0.0s] x\ny\n"
