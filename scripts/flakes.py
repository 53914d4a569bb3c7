"""Run the notebook validation many times and report which cells ever failed.

A timing-annotated course must not flake: a stamp that reads ``[1.0s]`` on one run
and ``[1.1s]`` on the next fails validation for no reason a learner could fix.  This
script runs the same validation as ``make test`` (nbval over ``notebooks/`` and
``solutions/``, then the tests, as two phases like ``make test``'s, on the course as
published in ``.published/``) N times, collects the failed test ids
of every run, and prints how often each cell failed, with the cell's first line::

    python scripts/flakes.py              # 10 runs
    python scripts/flakes.py -n 3 --load  # 3 runs with one core kept busy meanwhile
    python scripts/flakes.py -n 3 --load 2 tests/checkers   # the checkers, both cores busy

``--load N`` starts N processes that each spin on a core for the whole session: a
stand-in for a slow, shared CI runner (``--load 2`` on a 2-core machine: the checkers'
verdicts must hold even then).  The browser test is left out (it checks the
page, not timing); ``--with-browser`` keeps it, to see whether it disturbs the timing
of the cells validated beside it.  Each run's full output is kept in a log folder,
printed at the end, so the diff of a failed cell can be read.

Exit status: 0 when every run passed, 1 otherwise.  Run it with the project's
interpreter (``.venv/bin/python``): the validation runs under the same one.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / ".published"  # what make test validates: the course as published
SUMMARY_LINE = re.compile(r"^(FAILED|ERROR) (\S.*?)(?: - (.*))?$")
FINAL_LINE = re.compile(r"\b\d+ (passed|failed|errors?|skipped)\b.* in [\d.]+s")
COMPUTING = (  # as in the Makefile: validated first, the two of them alone
    "notebooks/07-concurrency-vs-parallelism.ipynb",
    "solutions/07-concurrency-vs-parallelism.ipynb",
)
# make test's tests phase leaves these out (each has a make target of its own)
MAKE_TEST_MARKS = "not browser and not contamination and not site and not grade_class"
NBVAL_ID = re.compile(r"^(?P<path>.+\.ipynb)::Cell (?P<number>\d+)$")


@dataclass
class Run:
    number: int
    status: int
    seconds: float
    failures: dict[str, str]  # test id -> first line of the reason
    summary: str  # pytest's last line, e.g. "2 failed, 40 passed in 31.2s"
    log: Path


def validation_commands(
    workers: int,
    paths: list[str],
    extra: list[str],
    with_browser: bool = False,
    test_workers: int | None = None,
) -> list[list[str]]:
    """``make test``'s phases: lesson 07's computing notebooks, the other notebooks, the tests.

    The tests get ``test_workers`` workers (``workers`` if not given), as ``make test``
    gives them ``TEST_WORKERS``.
    """
    notebooks = [path for path in paths if not path.startswith("tests")]
    tests = [path for path in paths if path.startswith("tests")]
    computing = [path for path in COMPUTING if path.split("/")[0] in notebooks]
    others = notebooks + [f"--ignore={path}" for path in computing]
    phases = [
        (min(workers, 2), computing),
        (workers, others if notebooks else []),
        (test_workers or workers, tests),
    ]
    return [
        validation_command(count, phase, extra, with_browser) for count, phase in phases if phase
    ]


def validation_command(
    workers: int, paths: list[str], extra: list[str], with_browser: bool = False
) -> list[str]:
    """A ``make test`` command (without the browser test), plus a readable failure list."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-n",
        str(workers),
        "--dist",
        "loadscope",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/sanitize.cfg",
        "-p",
        "no:randomly",  # same order every run: differences come from timing alone
        "-p",
        "no:cacheprovider",
        *([] if with_browser else ["-m", MAKE_TEST_MARKS]),
        "-rfE",  # one "FAILED id - reason" line per failure
        "-q",
        "--color=no",
        *extra,
        *paths,
    ]


def run_once(number: int, commands: list[list[str]], log_dir: Path) -> Run:
    """Every phase, one after the other, into one log; the worst exit status counts."""
    log = log_dir / f"run-{number:02d}.log"
    started = time.monotonic()
    status = 0
    with log.open("w") as out:
        for command in commands:
            out.flush()
            code = subprocess.run(
                command, cwd=COURSE, stdout=out, stderr=subprocess.STDOUT, check=False
            ).returncode
            status = status or code
    seconds = time.monotonic() - started
    failures: dict[str, str] = {}
    summaries = []
    for line in log.read_text(errors="replace").splitlines():
        match = SUMMARY_LINE.match(line)
        if match:
            failures[match.group(2)] = (match.group(3) or match.group(1)).strip()
        if FINAL_LINE.search(line):
            summaries.append(line.strip("= "))
    return Run(number, status, seconds, failures, "; ".join(summaries), log)


def describe(test_id: str) -> str:
    """``nb.ipynb::Cell 3`` -> the same, with the first line of that code cell."""
    match = NBVAL_ID.match(test_id)
    if not match:
        return test_id
    try:
        import nbformat

        notebook = nbformat.read(COURSE / match["path"], as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        first = code[int(match["number"])].source.strip().splitlines()[0]
    except Exception:  # the notebook changed meanwhile; the id alone will do
        return test_id
    return f"{test_id}  ({first[:50]})"


def start_load(cores: int) -> list[subprocess.Popen[bytes]]:
    """Processes that keep ``cores`` cores busy until they are stopped."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=10, help="how many runs (10)")
    parser.add_argument(
        "--load",
        nargs="?",
        type=int,
        const=1,
        default=0,
        metavar="CORES",
        help="keep CORES cores (1 if not given) busy with spinning processes",
    )
    parser.add_argument(
        "--with-browser",
        action="store_true",
        help="keep the browser test in, as make test does (it loads the machine meanwhile)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="pytest-xdist workers for the notebooks (2)"
    )
    parser.add_argument(
        "--test-workers", type=int, help="pytest-xdist workers for the tests (as --workers)"
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["notebooks", "solutions", "tests"],
        help="what to validate (default: notebooks solutions tests)",
    )
    parser.add_argument("--pytest-args", default="", help="more pytest options, one string")
    args = parser.parse_args(argv)

    from asyncio_tutorial.course import published

    for note in published.export(ROOT, COURSE):  # as make test does
        print(f"note: {note}")
    commands = validation_commands(
        args.workers, args.paths, args.pytest_args.split(), args.with_browser, args.test_workers
    )
    log_dir = Path(tempfile.mkdtemp(prefix="flakes-"))
    load = start_load(args.load)
    print(f"{args.runs} runs of: {' && '.join(' '.join(c[1:]) for c in commands)}")
    if load:
        pids = ", ".join(str(process.pid) for process in load)
        print(f"load: {len(load)} core(s) kept busy by process(es) {pids}")
    runs: list[Run] = []
    try:
        for number in range(1, args.runs + 1):
            run = run_once(number, commands, log_dir)
            runs.append(run)
            verdict = "ok" if run.status == 0 else f"FAILED (exit {run.status})"
            print(f"run {number:2d}/{args.runs}: {verdict:18s} {run.seconds:6.1f} s  {run.summary}")
            for test_id, reason in run.failures.items():
                print(f"        {test_id}: {reason[:100]}")
    finally:
        for process in load:
            process.terminate()
            process.wait()

    counts = collections.Counter(test_id for run in runs for test_id in run.failures)
    failed_runs = [run for run in runs if run.status != 0]
    unexplained = [run for run in failed_runs if not run.failures]
    times = sorted(run.seconds for run in runs)
    print()
    print(f"Failures per test over {len(runs)} runs{' under load' if load else ''}:")
    if counts:
        for test_id, count in counts.most_common():
            kind = "every run" if count == len(runs) else "FLAKY"
            print(f"  {count:3d}/{len(runs)} {kind:9s}  {describe(test_id)}")
    else:
        print("  none")
    for run in unexplained:
        print(f"  run {run.number} exited with status {run.status} without a failed test")
    flaky = sum(1 for count in counts.values() if count < len(runs))
    print(
        f"Summary: {len(runs) - len(failed_runs)}/{len(runs)} runs passed; "
        f"{len(counts)} distinct failing tests, {flaky} of them flaky; "
        f"run time min {times[0]:.1f} s, median {times[len(times) // 2]:.1f} s, "
        f"max {times[-1]:.1f} s"
    )
    print(f"Logs: {log_dir}")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
