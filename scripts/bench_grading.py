"""How fast ``grade`` grades a class, for 1, 2, 4 and 8 workers and on a Dask LocalCluster.

``make bench`` runs it after the validation benchmark.  The class is built from the
course: the worked answers of lessons 01 to 03 (every check passes, so every check's
deliberate waits are spent), their stubs (nothing to wait for) and answers that forget an
``await``, ``--learners`` learners of three workbooks each.  Each way is timed from a
clean cache, and compared with its **floor**: the checks' own time (the ``seconds`` of
every exercise, measured in one run) and a kernel start-up per workbook, divided by the
workers.  Grading cannot go faster than that; what it costs above it is the price of
processes, kernels and the machine's two cores.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "course"))

from test_submissions import answered  # noqa: E402  (the course's own worked answers)

from asyncio_tutorial.course import grade  # noqa: E402

LESSONS = ["01-coroutines", "02-event-loop", "03-tasks"]


def build_class(folder: Path, learners: int) -> int:
    """``learners`` folders of three workbooks: worked, stub, or forgetting an await."""
    count = 0
    for number in range(learners):
        kind = ("worked", "stub", "forgot")[number % 3]
        mine = folder / f"learner{number:02d}"
        mine.mkdir(parents=True)
        for lesson in LESSONS:
            target = mine / f"workbook-{lesson}.ipynb"
            if kind == "stub":
                shutil.copy(ROOT / "exercises" / target.name, target)
            else:
                notebook = answered(ROOT / "solutions" / f"{lesson}.ipynb")
                if kind == "forgot":
                    for cell in notebook.cells:
                        if cell.cell_type == "code" and "await asyncio.sleep(" in cell.source:
                            cell.source = cell.source.replace(
                                "await asyncio.sleep(", "asyncio.sleep(", 1
                            )
                            break
                nbformat.write(notebook, target)
            count += 1
    return count


def kernel_start() -> float:
    """Seconds to start a course kernel and run one cell in it (the median of three)."""
    from asyncio_tutorial.course.recording import execute

    times = []
    for _ in range(3):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            execute(notebook, folder)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timed_grading(handed: list[grade.HandedIn], out: Path, **where: object) -> tuple[float, list]:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    results = grade.grade_class(handed, out, **where)  # type: ignore[arg-type]
    return time.perf_counter() - started, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--cluster-workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as temporary:
        folder = Path(temporary)
        count = build_class(folder / "class", args.learners)
        handed, _ = grade.collect([folder / "class"], folder / "unpacked")
        start_up = kernel_start()
        print(f"a class of {args.learners} learners, {count} workbooks (lessons 01 to 03)")
        print(f"kernel start-up: {start_up:.2f} s (median of 3)")
        rows = []
        checks = None
        for workers in args.workers:
            took, results = timed_grading(handed, folder / f"out{workers}", workers=workers)
            if checks is None:  # the checks' own time, from the first way's reports
                checks = sum(float(e.get("seconds", 0)) for r in results for e in r.exercises)
            rows.append((f"{workers} worker{'s' * (workers > 1)}", workers, took))
        cluster_workers = args.cluster_workers
        took, _ = timed_grading(
            handed, folder / "cluster", workers=cluster_workers, local_cluster=True
        )
        rows.append((f"LocalCluster, {cluster_workers} workers", cluster_workers, took))
        assert checks is not None
        print(f"the checks' own time, all workbooks: {checks:.1f} s")
        print(f"{'way':<26}{'took':>8}{'workbooks/min':>15}{'floor':>8}{'× floor':>9}")
        for name, workers, took in rows:
            floor = (checks + count * start_up) / workers
            print(
                f"{name:<26}{took:>7.1f}s{count / took * 60:>15.1f}{floor:>7.1f}s"
                f"{took / floor:>9.2f}"
            )
        local = {workers: took for name, workers, took in rows if not name.startswith("Local")}
        if cluster_workers in local:
            ratio = rows[-1][2] / local[cluster_workers]
            print(f"LocalCluster ÷ the local pool at {cluster_workers} workers: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
