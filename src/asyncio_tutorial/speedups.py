"""A table of measured speedups, whose recorded output holds on a busy machine too.

Lesson 07 runs the same work several ways and compares them::

    table = Speedups()
    await table.measure("I/O-bound", "one by one", run_blocking, expect=BASELINE, seconds=1.0)
    await table.measure("I/O-bound", "asyncio", run_async, expect=overlap(5))
    table.show()

Each row records the wall-clock time the work took and the **CPU time** it used,
wherever it ran: this process's own, plus what worker processes report (a run returns
the CPU seconds its workers used, since this process's clock cannot see them).  Their
ratio is the number of **cores busy**: how many processors computed at once, on
average.  Waiting uses none (0.0); Python code in threads at most one (the GIL); worker
processes as many as the machine had free for them.

Why not just print the speedups?  A parallel speedup depends on how many cores are
free.  On an idle 2-core machine two worker processes keep 2 cores busy; with another
program keeping one core busy, the three programs share the two cores and the workers
get about 1.3 between them; on a virtual machine whose host is busy, less again.  All
are true, and a recorded "×1.9" would be false on the busy machine.  So the table
checks each row against what the lesson claims, like
:class:`~asyncio_tutorial.claims.timed`:

* a row within its claim prints the *claimed* figure, the same on every run;
* a row outside it prints the measured figures, marked ✗, so validation fails instead
  of quietly recording a wrong claim.

For the CPU-bound rows the claim is what holds however busy the machine is: **the
speedup equals the cores busy** (compared with one after another), which says that no
computing was lost on the way: not to the GIL's turn-taking, not to sending work to
worker processes.  For threads that is one core at most, so no gain; for worker
processes it is ``n``, the cores they kept busy, which the table names without printing
it: about 2 on an idle 2-core machine, nearer 1 when another program keeps a core busy.
The CPU-bound rows' times are given as ``T``, the time one after another took in this
run, rather than as seconds: calibrated work is only as exact as its calibration, which
other programs disturb now and then.  ``table.raw()`` shows every measured figure.

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BASELINE = "baseline"
"""The row every other row of its workload is compared with (run one after another)."""

ONE_CORE = "one core"
"""Computing in this process: no gain over the baseline, never more than one core busy."""

FREE_CORES = "free cores"
"""Computing in worker processes: the speedup equals the cores they kept busy."""

SPEEDUP_TOLERANCE = 0.3
"""How far a speedup may stray from the gain in cores busy (a fraction of it, either way):
two runs never meet exactly the same interference from other programs."""

LATE_TOLERANCE = 0.3
"""How much later than expected a row may finish (a fraction, or 0.05 s at least)."""


def overlap(waits: int) -> str:
    """The claim for ``waits`` equal waits done at the same time: ``waits`` times faster."""
    return f"overlap {waits}"


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
    cpu_ratio: float | None = None
    """The baseline's CPU time over this row's, both from the same round of
    :meth:`Speedups.compare` (the round where they agreed best); ``None``: from the
    rows themselves."""

    @property
    def cores_busy(self) -> float:
        """CPU seconds per wall-clock second: how many cores computed at once."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


class Speedups:
    """Measure ways of running work, then print them as a table of checked claims."""

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
        ``overlap(n)``, ``ONE_CORE``, ``FREE_CORES``); a baseline also says how many
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
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        if inspect.isawaitable(result):
            result = await result
        row.wall = time.perf_counter() - wall
        row.cpu = time.process_time() - cpu + (result if isinstance(result, float) else 0.0)

    def baseline(self, row: Row) -> Row:
        """The baseline row of ``row``'s workload."""
        for other in self.rows:
            if other.workload == row.workload and other.expect == BASELINE:
                return other
        raise LookupError(f"measure a baseline for {row.workload!r} first")

    def cells(self, row: Row) -> tuple[str, str, str]:
        """``(took, speedup, cores busy)`` for one row: the claim, or the measured figures."""
        base = self.baseline(row)
        speedup = base.wall / row.wall if row.wall > 0 else float("inf")
        cores = row.cores_busy
        if row.expect == BASELINE:
            # Waiting keeps no core busy, and takes what the waits add up to.
            if cores < 0.1 and _within(row.wall, row.seconds):
                return f"{row.seconds:.1f} s", "×1", "0.0"
            # Computing keeps one core busy (less when others compete), and takes what
            # one core needs, T: calibrated work is only as exact as its calibration.
            if cores >= 0.1 and 0.5 <= cores <= 1.05:
                return "T", "×1", "1.0 at most"
        elif row.expect.startswith("overlap"):
            waits = int(row.expect.split()[1])
            expected = base.seconds / waits
            if _within(row.wall, expected) and cores < 0.1:
                return f"{expected:.1f} s", f"×{waits}", "0.0"
        elif row.expect in (ONE_CORE, FREE_CORES):
            # No computing lost: the speedup is the gain in cores busy over the baseline.
            # (speedup / gain reduces to base.cpu / row.cpu: the same CPU time both ways.)
            gain = cores / max(base.cores_busy, 1e-9)
            ratio = row.cpu_ratio if row.cpu_ratio is not None else speedup / gain
            if abs(ratio - 1) <= SPEEDUP_TOLERANCE:
                if row.expect == FREE_CORES:
                    return "T ÷ n", "×n", "n"
                if cores <= 1.05:
                    return "T", "none", "1.0 at most"
        return f"{row.wall:.2f} s ✗", f"×{speedup:.2f} ✗", f"{cores:.2f} ✗"

    def show(self) -> None:
        """Print the table; rows outside their claim show their real figures, marked ✗."""
        print(self.table())

    def table(self) -> str:
        """The table as text."""
        header = ("workload", "way", "took", "speedup", "cores busy")
        lines = [header]
        for row in self.rows:
            lines.append((row.workload, row.way, *self.cells(row)))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        text = [
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in lines
        ]
        if any(row.expect in (ONE_CORE, FREE_CORES) for row in self.rows):
            text.append("T: the time the computing took one after another, on one core")
        if any(row.expect == FREE_CORES for row in self.rows):
            text.append("n: the cores the workers kept busy, measured in this run")
        return "\n".join(text)

    def raw(self) -> str:
        """Every measured figure (these vary from run to run and machine to machine)."""
        lines = []
        for row in self.rows:
            speedup = self.baseline(row).wall / row.wall if row.wall > 0 else float("inf")
            lines.append(
                f"{row.workload}, {row.way}: {row.wall:.3f} s wall, {row.cpu:.3f} s CPU, "
                f"{row.cores_busy:.2f} cores busy, speedup ×{speedup:.2f}"
            )
        return "\n".join(lines)


def _within(measured: float, expected: float) -> bool:
    """A wait as expected: never sooner, later by at most ``LATE_TOLERANCE`` or 0.05 s."""
    return expected - 0.01 <= measured <= expected + max(0.05, LATE_TOLERANCE * expected)
