"""Calibrated CPU work: the same *amount of computing* on any machine.

Lesson 07 compares ways of running work that keeps a processor busy.  A fixed loop
count ("add up ten million numbers") takes 0.3 s on one machine and 2 s on another, so
a lesson built on it could not say how long anything takes.  Instead the work comes in
small, identical **work units**, and the module measures how many units this machine
computes per second of CPU time::

    >>> from asyncio_tutorial import cpu
    >>> units = cpu.units_for(0.2)   # as many units as 0.2 s of computing here
    >>> checksum = cpu.crunch(units)  # computes for about 0.2 s, on any machine

The measurement counts *CPU time* (``time.thread_time``), not the clock on the wall:
a machine busy with other programs gives this thread fewer turns, which makes the wall
clock run on, but the CPU time one unit takes stays much the same.  Not exactly: where
two virtual CPUs share one physical core, as on most cloud machines, and where programs
take turns on a processor often enough to spoil each other's caches, a unit costs more
CPU time while the machine is busy (the same work measured 0.64 to 1.16 times as long in
paired runs here, and a calibration done while the course's whole validation ran was
once slow by almost half).  So the speed is measured once per process, the first time
it is needed, in about a tenth of a second, and raised whenever a later computation
runs faster (:func:`units_per_second`): calibrated work can end sooner than asked only
if the machine was busier when it was measured.

Everything here is plain Python in an importable module, on purpose: a worker process
or another interpreter can run :func:`crunch` only if it can import it (lesson 07, "the
trap of a function defined in a notebook").
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from concurrent.futures import Executor

UNIT_STEPS = 2_000
"""How many steps of arithmetic one work unit does (about 0.2 ms on a 2020s laptop)."""

CALIBRATION_SECONDS = 0.1
"""About how much CPU time the calibration spends, in all its samples together."""

SAMPLES = 5
"""How many samples the calibration takes; the fastest one counts."""

MIN_OBSERVATION = 0.02
"""A computation at least this long (CPU seconds) is timed precisely enough to count."""

_rate: float | None = None


def crunch(units: int) -> int:
    """Compute for ``units`` work units and return a checksum of the computation.

    Pure computation: no waiting, no I/O, no memory to speak of.  The checksum depends
    only on ``units``, so results can be compared wherever they were computed.  Each call
    long enough to time also refines this process's measure of the machine's speed
    (see :func:`units_per_second`).
    """
    started = time.thread_time()
    value = 1
    for _ in range(units):
        for _ in range(UNIT_STEPS):
            value = (value * 1_103_515_245 + 12_345) & 0x7FFF_FFFF
    _observe(units, time.thread_time() - started)
    return value


def _observe(units: int, spent: float) -> None:
    """Keep the fastest speed seen: a busy machine slows computing down, an idle one does not."""
    global _rate
    if _rate is not None and spent >= MIN_OBSERVATION:
        _rate = max(_rate, units / spent)


def units_per_second() -> float:
    """How many work units this machine computes per second of CPU time.

    Measured the first time it is needed (:func:`_measure_rate`), then raised whenever
    a longer computation in this process runs faster than that: the first measurement
    may have been slowed down by other programs, a later one never makes it slower.
    """
    global _rate
    if _rate is None:
        _rate = _measure_rate()
    return _rate


def _measure_rate() -> float:
    """The fastest of a few short samples: the speed of this machine when nothing interferes.

    Other programs (and, on a virtual machine, other machines on the same host) slow a
    computation down now and then; nothing makes it faster than the machine itself.
    Taking the fastest sample means calibrated work takes the time asked for, or more,
    like a timer that only ever fires late, unless the whole calibration ran on a busy
    machine (see the module's introduction).
    """
    crunch(5)  # warm up: the first steps of a fresh process are slower
    units = 5
    while True:  # find a sample size that takes about a fiftieth of a second
        started = time.thread_time()
        crunch(units)
        if time.thread_time() - started >= CALIBRATION_SECONDS / SAMPLES:
            break
        units *= 2
    best = 0.0
    for _ in range(SAMPLES):
        started = time.thread_time()
        crunch(units)
        best = max(best, units / max(time.thread_time() - started, 1e-9))
    return best


def units_for(seconds: float) -> int:
    """How many work units make ``seconds`` of computing on this machine (at least 1)."""
    return max(1, round(seconds * units_per_second()))


def compute(seconds: float) -> int:
    """Compute for ``seconds`` of CPU time (calibrated), return the checksum.

    The same as ``crunch(units_for(seconds))``.  Call it in the process that
    calibrated: a fresh worker process would calibrate again first.
    """
    return crunch(units_for(seconds))


def compute_for(seconds: float) -> int:
    """Compute until ``seconds`` have passed on the wall clock; return the units done.

    :func:`crunch` does a fixed amount of work, which takes longer when other programs
    get in the way.  This one computes for a fixed *time* instead, one work unit at a
    time (a fraction of a millisecond each), however much that is: use it where what
    matters is how long a thread is kept busy (a chart of the event loop held by a
    computation), not how much it computes.  It needs no calibration, so the first call
    in a process ends on time too: calibrating inside it (a tenth of a second of CPU,
    several tenths on a busy machine) once made a computation of 0.3 s last 0.4 s.
    """
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        crunch(1)
        done += 1
    return done


def timed_crunch(units: int) -> tuple[int, float]:
    """:func:`crunch`, also returning the CPU time it took: ``(checksum, cpu_seconds)``.

    The CPU time is this thread's own (``time.thread_time``), so it is right in a
    worker process, in a worker thread and in another interpreter alike.  A worker
    reports it because the caller's CPU clock cannot see work done in another process.
    """
    started = time.thread_time()
    checksum = crunch(units)
    return checksum, time.thread_time() - started


def pause(seconds: float) -> None:
    """Sleep in a worker: start a pool's workers before timing anything with them."""
    time.sleep(seconds)


def warm_up(pool: Executor, workers: int) -> None:
    """Start ``workers`` workers of ``pool`` and have each import this module.

    A process pool starts its workers when work first arrives, and each worker then
    imports what it runs: tenths of a second that belong to no measurement.
    """
    for future in [pool.submit(pause, 0.05) for _ in range(workers)]:
        future.result()


class WorkerErrors:
    """A file that worker processes write their error output to, read back here.

    A worker that fails prints its traceback on its own stderr, which in a notebook
    lands in whatever cell is running, worded differently by each Python version.
    Pass ``initializer=errors.capture`` to the pool to collect it here instead.
    """

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(prefix="worker-errors-", suffix=".txt")
        os.close(handle)

    def capture(self) -> None:
        """Pool initializer, run in each worker: send its stderr to the file."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        os.dup2(descriptor, 2)
        os.close(descriptor)
        sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, closefd=False)

    def text(self) -> str:
        """Everything the workers wrote so far."""
        with open(self.path, encoding="utf-8", errors="replace") as file:
            return file.read()

    def kind(self) -> str:
        """The type of the last error a worker reported (``"AttributeError"``), or ``""``."""
        for line in reversed(self.text().splitlines()):
            name = line.split(":", 1)[0]
            if name.isidentifier() and (name.endswith("Error") or name.endswith("Exception")):
                return name
        return ""

    def remove(self) -> None:
        """Delete the file."""
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)
