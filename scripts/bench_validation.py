"""How long does validation take, and how much of that is the notebooks' own waiting?

A benchmark, not a test: it prints a table and never fails on a figure.  It measures,
on the notebooks in ``notebooks/`` and ``solutions/`` (found by globbing):

* **validation**: ``pytest --nbval`` over the notebooks, as ``make test`` runs it but
  without ``tests/`` (so the comparison below is notebook against notebook), serially
  (``-n 0``) and with two workers (``-n 2 --dist loadscope``);
* **plain execution**: the same notebooks executed by nbclient with no comparison,
  one after the other and two at a time (each in a fresh kernel, in its own folder);
* **the floor**: during the serial plain run every cell is timed, from the moment it
  is sent to the kernel until its reply.  Their sum is the *cell time*: what the
  notebooks cost on this machine however clever the runner, dominated by the
  deliberate waits (``asyncio.sleep``) the lessons make.  The kernel start-ups are
  timed too.  The sum of the last timing stamp of each cell's recorded output is
  shown beside it as a cross-check: it counts only the waits the outputs show.

From those: the speed-up of two workers, nbval's overhead over plain execution, and
how close parallel validation comes to its ideal,
``(cell time + kernel start-ups) / workers`` (a notebook never splits across workers,
so the longest notebook is a floor of its own; the ideal is the larger of the two).

Then **make test, phase by phase**: each of its four pytest runs (lesson 07 alone, the
other notebooks, the tests, the browser test), with the Makefile's worker counts, timed
on the wall and, through pytest's JUnit XML, item by item.  Each phase's *item time*
(the sum of its tests' setup, call and teardown) is what it would cost run serially,
measured while they shared the machine; its floor is the larger of item time over
workers and its largest indivisible unit (a notebook or test module under
``--dist loadscope``, one test otherwise).  The slowest modules of the tests phase are
listed: where the time goes.

    .venv/bin/python scripts/bench_validation.py [--workers 2] [--test-workers 6] [--repeat 1]
        [--only make-test]

Run it with the project's interpreter: validation and kernels use the same one.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from asyncio_tutorial.course import recording

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from flakes import validation_commands  # noqa: E402  (make test's phases, one copy)

COURSE = ROOT / ".published"  # what make test validates: the course as published
FOLDERS = ("notebooks", "solutions")
STAMP = re.compile(r"^\[(\d+\.\d)s\]", re.MULTILINE)


@dataclass
class NotebookTiming:
    path: Path
    startup: float  # kernel start-up, seconds
    cells: list[float]  # each code cell, seconds
    total: float  # wall time for this notebook, start-up to shutdown

    @property
    def cell_time(self) -> float:
        return sum(self.cells)


def recorded_stamp_seconds(path: Path) -> float:
    """Sum over code cells of the last stamp in the cell's recorded output."""
    total = 0.0
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if "text" in o)
        stamps = [float(s) for s in STAMP.findall(text)]
        total += max(stamps, default=0.0)
    return total


def execute_plain(path_name: str) -> NotebookTiming:
    """Execute one notebook with nbclient, no comparison, timing the kernel and each cell."""
    from nbclient import NotebookClient

    from asyncio_tutorial.course.kernels import AsyncUnixSocketKernelManager

    path = Path(path_name)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        kernel_manager_class=AsyncUnixSocketKernelManager,
        timeout=recording.CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    cells: list[float] = []
    client.reset_execution_trackers()
    began = time.perf_counter()
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # no kernel log lines in the table
        startup = time.perf_counter() - began
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            started = time.perf_counter()
            client.execute_cell(cell, index)
            cells.append(time.perf_counter() - started)
    return NotebookTiming(path, startup, cells, time.perf_counter() - began)


def plain_serial(paths: list[Path]) -> tuple[float, list[NotebookTiming]]:
    started = time.perf_counter()
    timings = [execute_plain(str(path)) for path in paths]
    return time.perf_counter() - started, timings


def plain_parallel(paths: list[Path], workers: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(execute_plain, map(str, paths)))
    return time.perf_counter() - started


def validation(workers: int, collect_only: bool = False) -> float:
    """Wall time of pytest --nbval over the notebook folders; fails loudly if it fails.

    ``collect_only``: pytest's fixed cost alone (start-up, workers, collection).
    """
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += ["--collect-only"] if collect_only else []
    command += ["-n", str(workers)] + (["--dist", "loadscope"] if workers else [])
    command += ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg"]
    command += [folder for folder in FOLDERS if any((COURSE / folder).glob("*.ipynb"))]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=COURSE, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"validation failed ({' '.join(command[1:])}); a benchmark of a failing run "
            f"means nothing:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return seconds


@dataclass
class Phase:
    label: str
    workers: int
    by_scope: bool  # --dist loadscope: a module (or class) never splits across workers
    wall: float
    items: dict[str, float]  # test id -> seconds (setup + call + teardown)
    scopes: dict[str, float]  # notebook, module or class -> seconds

    @property
    def item_time(self) -> float:
        return sum(self.items.values())

    @property
    def floor(self) -> float:
        unit = max((self.scopes if self.by_scope else self.items).values(), default=0.0)
        return max(self.item_time / self.workers, unit)


def make_test_phases(
    workers: int, test_workers: int, browser_workers: int
) -> list[tuple[str, int, list[str]]]:
    """make test's four pytest runs, as the Makefile has them: label, workers, command."""
    paths = ["notebooks", "solutions", "tests"]
    nbval, others, tests = validation_commands(workers, paths, [], test_workers=test_workers)
    browser = [sys.executable, "-m", "pytest", "-n", str(browser_workers), "-p", "no:randomly"]
    browser += ["-p", "no:cacheprovider", "-m", "browser", "-q", "tests/course/test_browser.py"]
    return [
        ("lesson 07 and its solutions (nbval)", 2, nbval),
        ("the other notebooks (nbval)", workers, others),
        ("the tests", test_workers, tests),
        ("the browser test", browser_workers, browser),
    ]


def run_phase(label: str, workers: int, command: list[str], report: Path) -> Phase:
    """One phase, timed on the wall and, from its JUnit XML, item by item."""
    started = time.perf_counter()
    result = subprocess.run(
        [*command, f"--junitxml={report}"], cwd=COURSE, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(
            f"{label} failed; a benchmark of a failing run means nothing:\n"
            f"{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    items: dict[str, float] = {}
    scopes: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        seconds = float(case.get("time", 0.0))
        scope = case.get("classname", "")
        items[f"{scope}::{case.get('name')}"] = seconds
        scopes[scope] += seconds
    return Phase(label, workers, "loadscope" in command, wall, items, dict(scopes))


def bench_make_test(workers: int, test_workers: int, browser_workers: int) -> None:
    """make test's phases one after the other, each against its floor."""
    setup = subprocess.run([sys.executable, "tests/course/browser_setup.py"], cwd=ROOT, check=False)
    if setup.returncode != 0:
        sys.exit("no browser for the browser test (see tests/course/browser_setup.py's message)")
    phases: list[Phase] = []
    print("\nmake test, phase by phase (item time: its tests' own durations, summed):")
    heading = ("phase", "workers", "wall", "items", "floor", "wall/floor")
    print("  {:<38s} {:>7s} {:>7s} {:>7s} {:>7s} {:>10s}".format(*heading))
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        for number, (label, count, command) in enumerate(
            make_test_phases(workers, test_workers, browser_workers)
        ):
            phase = run_phase(label, count, command, Path(folder) / f"phase-{number}.xml")
            phases.append(phase)
            print(
                f"  {label:<38s} {count:7d} {phase.wall:6.1f}s {phase.item_time:6.1f}s "
                f"{phase.floor:6.1f}s {phase.wall / phase.floor if phase.floor else 0:10.2f}",
                flush=True,
            )
    wall = sum(p.wall for p in phases)
    items = sum(p.item_time for p in phases)
    floor = sum(p.floor for p in phases)
    print(
        f"  {'all four':<38s} {'':7s} {wall:6.1f}s {items:6.1f}s {floor:6.1f}s {wall / floor:10.2f}"
    )
    print(f"  make test's pytest runs take {wall / 60:.1f} min on the wall (the target: 6 min)")
    tests = phases[2]
    print("\nWhere the tests phase's time goes (slowest modules, then slowest tests):")
    for scope, seconds in sorted(tests.scopes.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {seconds:7.1f} s  {scope}")
    for test_id, seconds in sorted(tests.items.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {seconds:7.1f} s  {test_id}")


def measure(repeat: int, run: Callable[[], float]) -> float:
    """Median wall time over ``repeat`` runs."""
    return statistics.median(run() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, median kept (1)")
    parser.add_argument(
        "--test-workers", type=int, help="workers for the tests, as make test (as --workers)"
    )
    parser.add_argument(
        "--browser-workers", type=int, default=3, help="browser pages at once, as make test (3)"
    )
    parser.add_argument(
        "--only", choices=["notebooks", "make-test"], help="one of the two parts (both)"
    )
    args = parser.parse_args(argv)
    workers, repeat = args.workers, args.repeat

    from asyncio_tutorial.course import published

    published.export(ROOT, COURSE)  # as make test does
    if args.only != "make-test":
        bench_notebooks(workers, repeat)
    if args.only != "notebooks":
        bench_make_test(workers, args.test_workers or workers, args.browser_workers)
    print(f"\nAt the end: {load_average()}")
    return 0


def bench_notebooks(workers: int, repeat: int) -> None:
    """The notebooks' validation, serial and parallel, against plain execution and the floor."""
    paths = recording.find_notebooks([COURSE / folder for folder in FOLDERS])
    if not paths:
        sys.exit("no notebooks in notebooks/ or solutions/")
    names = ", ".join(str(p.relative_to(COURSE)) for p in paths)
    print(
        f"{len(paths)} notebooks ({names}); {os.cpu_count()} cores; Python {sys.version.split()[0]}"
    )
    print(f"each measurement: median of {repeat} run(s); {load_average()}\n", flush=True)

    rows: list[tuple[str, float]] = []

    def step(label: str, seconds: float) -> float:
        rows.append((label, seconds))
        print(f"  {label:<50s} {seconds:7.1f} s", flush=True)
        return seconds

    serial_timings: list[NotebookTiming] = []

    def timed_plain_serial() -> float:
        seconds, timings = plain_serial(paths)
        serial_timings[:] = timings
        return seconds

    nbval_serial = step(
        "validation, serial (pytest --nbval -n 0)", measure(repeat, lambda: validation(0))
    )
    nbval_parallel = step(
        f"validation, parallel (-n {workers} --dist loadscope)",
        measure(repeat, lambda: validation(workers)),
    )
    step(
        "  pytest's fixed cost, serial (--collect-only)",
        measure(repeat, lambda: validation(0, collect_only=True)),
    )
    step(
        f"  pytest's fixed cost, -n {workers} (--collect-only)",
        measure(repeat, lambda: validation(workers, collect_only=True)),
    )
    plain_1 = step("plain nbclient execution, serial", measure(repeat, timed_plain_serial))
    plain_n = step(
        f"plain nbclient execution, {workers} at a time",
        measure(repeat, lambda: plain_parallel(paths, workers)),
    )

    cell_time = sum(t.cell_time for t in serial_timings)
    startups = sum(t.startup for t in serial_timings)
    stamped = sum(recorded_stamp_seconds(p) for p in paths)
    longest = max(t.total for t in serial_timings)
    ideal = max((cell_time + startups) / workers, longest)

    print("\nPer notebook (serial plain run):")
    print(f"  {'notebook':<36s} {'start-up':>9s} {'cells':>7s} {'cell time':>10s} {'stamps':>8s}")
    for t in serial_timings:
        print(
            f"  {str(t.path.relative_to(COURSE)):<36s} {t.startup:8.1f}s {len(t.cells):7d} "
            f"{t.cell_time:9.1f}s {recorded_stamp_seconds(t.path):7.1f}s"
        )

    print("\nThe floor:")
    print(f"  {'cell time (sum of timed cells)':<50s} {cell_time:7.1f} s")
    print(f"  {'  of which shown by recorded stamps':<50s} {stamped:7.1f} s")
    print(f"  {'kernel start-ups (sum)':<50s} {startups:7.1f} s")
    print(f"  {'longest notebook (start-up + cells)':<50s} {longest:7.1f} s")
    print(f"  {f'ideal parallel: max((cells+start-ups)/{workers}, longest)':<50s} {ideal:7.1f} s")

    def ratio(label: str, value: float) -> None:
        print(f"  {label:<50s} {value:7.2f}")

    print("\nRatios:")
    ratio(f"speed-up of validation with {workers} workers", nbval_serial / nbval_parallel)
    ratio(f"speed-up of plain execution with {workers} workers", plain_1 / plain_n)
    ratio("nbval overhead, serial (validation / plain)", nbval_serial / plain_1)
    ratio("nbval overhead, parallel (validation / plain)", nbval_parallel / plain_n)
    ratio("serial validation / cell time", nbval_serial / cell_time if cell_time else 0.0)
    ratio("parallel validation / ideal parallel", nbval_parallel / ideal)


def load_average() -> str:
    """The machine's load, to judge whether the figures were taken on a quiet machine."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


if __name__ == "__main__":
    sys.exit(main())
