"""A table of measured speedups, and the claims about them, checked on every run.

Lesson 07 runs the same work several ways and compares them::

    table = Speedups()
    await table.measure("I/O-bound", "one by one", run_blocking, expect=BASELINE, seconds=1.0)
    await table.measure("I/O-bound", "asyncio", run_async, expect=overlap(5))
    table.show()   # what was measured, this run
    table.check()  # what the lesson claims about it, ✓ or ✗

Each row records the wall-clock time the work took, the **CPU time** it used wherever it
ran (this process's own, plus what worker processes report: a run returns the CPU
seconds its workers used, since this process's clock cannot see them), and the CPU time
*other programs* used meanwhile (the whole machine's busy time, less this run's).  From
them come the **cores busy** (CPU time over wall time: how many processors computed at
once, on average) and the **cores free** (the machine's cores, less what other programs
kept busy).  Waiting keeps no core busy; Python code in threads one at most (the GIL);
worker processes as many as the machine had free for them.

:meth:`Speedups.show` prints the figures.  They differ from run to run and from machine
to machine: on an idle 2-core machine two worker processes keep 2 cores busy and finish
about twice as soon; with another program keeping one core busy, the workers get about
one core between them and gain next to nothing.  Both are true.  So what is *compared*
is :meth:`Speedups.check`: one line per claim, ✓ when the measurement bears it out and ✗
with the figures when it does not.  A claim is stated so that it holds on the idle and
on the busy machine alike, and still fails when the work does something else:

* waiting (``BASELINE`` with no computing, ``overlap(n)``): as long as the waits add up
  to, or ``n`` times sooner, with no core busy;
* computing in this process (``ONE_CORE``): no gain, one core busy at most;
* computing in ``n`` workers (``parallel(n)``): **in parallel**, at least 80 % of as many
  cores busy at once as there were workers *and free cores* for them (1.6 for two
  workers on two free cores; a pool of one worker, threads running Python code, or
  workers that wait for each other fail it on an idle machine), and **no computing lost**:
  the speedup equals that gain in cores busy, within ``SPEEDUP_TOLERANCE`` (nothing went
  to the GIL's turn-taking, to sending work to the workers, or to workers that spin).
  Together they make the speedup.  The speedup itself is not what is compared: where
  virtual CPUs share a physical core, each computes more slowly while the other does, so
  the same two workers keeping 1.7 cores busy finished ×1.30 sooner in one run here and
  ×1.9 in another, with no program doing anything else wrong.

Computing is timed as the best of a few runs (``repeat``), as ``timeit`` does: other
programs only ever slow a run down, so the fastest run is the best estimate of what
the work itself costs.  :meth:`Speedups.compare` runs the ways of one workload in
rounds, so that each way meets the same interference, and checks "no computing lost"
within a round, on the round where the ways agree best.  A CPU second is not a fixed
amount of work when two programs share a physical core (virtual CPUs are often two
hyper-threads of one): on this course's 2-core machine the same work's CPU time in one
round differed from another's by up to 44 %, while within a round of three the ways
agreed to within a few per cent at least once.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

BASELINE = "baseline"
"""The row every other row of its workload is compared with (run one after another)."""

ONE_CORE = "one core"
"""Computing in this process: no gain over the baseline, never more than one core busy."""

SPEEDUP_TOLERANCE = 0.3
"""How far a speedup may stray from the gain in cores busy (a fraction of it, either way):
two runs never meet exactly the same interference from other programs."""

PARALLEL_SHARE = 0.8
"""The share of the ideal parallel speedup (as many times sooner as there were workers and
free cores for them) that computing in workers must reach."""

LATE_TOLERANCE = 0.3
"""How much later than expected a row may finish (a fraction, or 0.05 s at least)."""


def available_cores() -> int:
    """The cores this process may run on (``os.process_cpu_count()``, new in 3.13)."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parallel(workers: int) -> str:
    """The claim for computing in ``workers`` worker processes (or interpreters): no
    computing lost, and at least :data:`PARALLEL_SHARE` of the ideal speedup."""
    return f"parallel {workers}"


FREE_CORES = parallel(available_cores())
"""Computing in as many workers as this process has cores."""


def overlap(waits: int) -> str:
    """The claim for ``waits`` equal waits done at the same time: ``waits`` times faster."""
    return f"overlap {waits}"


def machine_cores() -> int:
    """The cores of the whole machine, which other programs share with this one."""
    return psutil.cpu_count() or available_cores()


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since it started, all cores together."""
    times = psutil.cpu_times()
    # Linux counts guest time inside user time already; idle and waiting for disks are idle.
    idle = sum(getattr(times, name, 0.0) for name in ("idle", "iowait", "guest", "guest_nice"))
    return sum(times) - idle


@dataclass
class Row:
    """One way of running one workload, as measured (the fastest of its runs)."""

    workload: str
    way: str
    expect: str
    seconds: float = 0.0
    """How long a baseline should take (the other rows are compared with it)."""
    wall: float = 0.0
    """Seconds from start to finish, on the clock on the wall."""
    cpu: float = 0.0
    """Seconds of CPU time the work used, in this process and in workers."""
    others: float = 0.0
    """Seconds of CPU time other programs used meanwhile, on the whole machine."""
    cpu_ratio: float | None = None
    """The baseline's CPU time over this row's, both from the same round of
    :meth:`Speedups.compare` (the round where they agreed best); ``None``: from the
    rows themselves."""

    @property
    def cores_busy(self) -> float:
        """CPU seconds per wall-clock second: how many cores computed at once."""
        return self.cpu / self.wall if self.wall > 0 else 0.0

    @property
    def cores_free(self) -> float:
        """The cores other programs left to this run, on average."""
        taken = self.others / self.wall if self.wall > 0 else 0.0
        return max(0.0, min(float(available_cores()), machine_cores() - taken))

    @property
    def workers(self) -> int:
        """How many workers computed, for a ``parallel(n)`` row (0 for the others)."""
        kind, _, count = self.expect.partition(" ")
        return int(count) if kind == "parallel" else 0


class Speedups:
    """Measure ways of running work; show the figures; check the claims about them."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    async def measure(
        self,
        workload: str,
        way: str,
        run: Callable[[], Any],
        *,
        expect: str,
        seconds: float | None = None,
        repeat: int = 1,
    ) -> None:
        """Call ``run()`` (awaiting what it returns, if anything) ``repeat`` times.

        ``expect`` is the claim the row is checked against (``BASELINE``,
        ``overlap(n)``, ``ONE_CORE``, ``parallel(n)``); a baseline also says how many
        ``seconds`` it should take.  ``run`` may return the CPU seconds that worker
        processes used for it.  The fastest run is kept, as a row of the table.
        """
        if expect == BASELINE and seconds is None:
            raise ValueError("a baseline says how long it should take: seconds=...")
        best: Row | None = None
        for _ in range(repeat):
            row = Row(workload, way, expect, seconds or 0.0)
            await self._run(row, run)
            if best is None or row.wall < best.wall:
                best = row
        if best is not None:
            self.rows.append(best)

    async def compare(
        self,
        workload: str,
        ways: list[tuple[str, Callable[[], Any], str]],
        *,
        seconds: float,
        repeat: int = 3,
    ) -> None:
        """Measure several ways of running one workload, in ``repeat`` rounds.

        ``ways`` is a list of ``(way, run, expect)``, the baseline first (it should take
        ``seconds``).  Each round runs every way once, one after the other, and each way
        keeps its fastest run: a burst of work by other programs then slows down one
        round of every way alike, instead of all the runs of one way.
        """
        best: dict[str, Row] = {}
        rounds: list[dict[str, Row]] = []
        for _ in range(repeat):
            rounds.append({})
            for way, run, expect in ways:
                row = Row(workload, way, expect, seconds if expect == BASELINE else 0.0)
                await self._run(row, run)
                rounds[-1][way] = row
                if way not in best or row.wall < best[way].wall:
                    best[way] = row
        baseline_way = ways[0][0]
        for way, _, _ in ways[1:]:
            ratios = [r[baseline_way].cpu / r[way].cpu for r in rounds if r[way].cpu > 0]
            if ratios:
                best[way].cpu_ratio = min(ratios, key=lambda ratio: abs(ratio - 1))
        self.rows.extend(best[way] for way, _, _ in ways)

    @staticmethod
    async def _run(row: Row, run: Callable[[], Any]) -> None:
        busy = machine_busy()
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        if inspect.isawaitable(result):
            result = await result
        row.wall = time.perf_counter() - wall
        row.cpu = time.process_time() - cpu + (result if isinstance(result, float) else 0.0)
        row.others = max(0.0, machine_busy() - busy - row.cpu)

    def baseline(self, row: Row) -> Row:
        """The baseline row of ``row``'s workload."""
        for other in self.rows:
            if other.workload == row.workload and other.expect == BASELINE:
                return other
        raise LookupError(f"measure a baseline for {row.workload!r} first")

    def speedup(self, row: Row) -> float:
        """How many times sooner than its baseline ``row`` finished."""
        return self.baseline(row).wall / row.wall if row.wall > 0 else float("inf")

    def waiting(self, row: Row) -> bool:
        """Whether ``row``'s workload is claimed to be waiting (its other rows overlap)."""
        return any(
            other.workload == row.workload and other.expect.startswith("overlap")
            for other in self.rows
        )

    def claims(self, row: Row) -> list[tuple[bool, str]]:
        """What the lesson claims about ``row``: ``(holds, the claim)`` for each claim.

        The claim's words are the same on every run; whether it held is measured."""
        speedup, cores = self.speedup(row), row.cores_busy
        if row.expect == BASELINE:
            if self.waiting(row):
                held = cores < 0.1 and _within(row.wall, row.seconds)
                return [(held, f"{row.seconds:.1f} s, and no core busy: it waits")]
            # Computing keeps a core busy, or at least half of what other programs left
            # free (on a busy machine that is less than a core), and never more than one.
            computes = 0.5 * min(1.0, row.cores_free) <= cores <= 1.05
            return [(computes, "one core busy at most: it computes")]
        if row.expect.startswith("overlap"):
            waits = int(row.expect.split()[1])
            expected = self.baseline(row).seconds / waits
            held = cores < 0.1 and _within(row.wall, expected)
            return [(held, f"×{waits} ({expected:.1f} s): the waits overlap, no core busy")]
        # Computing: no computing lost, that is the speedup is the gain in cores busy over
        # the baseline (speedup / gain reduces to base.cpu / row.cpu: the same CPU time).
        gain = cores / max(self.baseline(row).cores_busy, 1e-9)
        ratio = row.cpu_ratio if row.cpu_ratio is not None else speedup / gain
        lost_none = abs(ratio - 1) <= SPEEDUP_TOLERANCE
        if row.expect == ONE_CORE:
            return [(lost_none and cores <= 1.05, "no gain: one core busy at most (the GIL)")]
        workers = row.workers
        ideal = min(float(workers), row.cores_free)
        return [
            (lost_none, "the speedup is the gain in cores busy: no computing lost"),
            (
                cores >= PARALLEL_SHARE * ideal,
                f"in parallel: {PARALLEL_SHARE * workers:.1f} cores or more busy at once with "
                f"{workers} cores free, {round(PARALLEL_SHARE * 100)} % of the cores free "
                "with fewer",
            ),
        ]

    def figures(self, row: Row) -> tuple[str, str, str, str]:
        """``(took, speedup, cores busy, cores free)`` for one row, as measured."""
        return (
            f"{row.wall:.2f} s",
            f"×{self.speedup(row):.2f}",
            f"{row.cores_busy:.2f}",
            f"{row.cores_free:.1f}",
        )

    def show(self) -> None:
        """Print the measured figures (they differ from run to run)."""
        print(self.table())

    def table(self) -> str:
        """The measured figures as a table of text."""
        header = ("workload", "way", "took", "speedup", "cores busy", "cores free")
        lines = [header] + [(row.workload, row.way, *self.figures(row)) for row in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in lines
        )

    def check(self) -> None:
        """Print each claim, ✓ where this run bears it out, ✗ with the figures where not."""
        print(self.verdict())

    def verdict(self) -> str:
        """The claims as text, one line each (the same on every run where they hold)."""
        lines = []
        for row in self.rows:
            for held, claim in self.claims(row):
                line = f"{'✓' if held else '✗'} {row.workload}, {row.way}: {claim}"
                if not held:
                    took, speedup, busy, free = self.figures(row)
                    line += f"; measured {took}, {speedup}, {busy} cores busy, {free} cores free"
                lines.append(line)
        return "\n".join(lines)

    def raw(self) -> str:
        """Every measured figure, to the millisecond."""
        return "\n".join(
            f"{row.workload}, {row.way}: {row.wall:.3f} s wall, {row.cpu:.3f} s CPU, "
            f"{row.cores_busy:.2f} cores busy, {row.cores_free:.2f} cores free, "
            f"speedup ×{self.speedup(row):.2f}"
            for row in self.rows
        )


def _within(measured: float, expected: float) -> bool:
    """A wait as expected: never sooner, later by at most ``LATE_TOLERANCE`` or 0.05 s."""
    return expected - 0.01 <= measured <= expected + max(0.05, LATE_TOLERANCE * expected)
