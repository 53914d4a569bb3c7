"""How the exercises stand: ``python -m asyncio_tutorial progress`` and ``check FILE``.

Each workbook is run top to bottom in a fresh kernel, exactly as *Run All* would, but
on a **copy**: the notebook is read from disk, executed in memory in a temporary
folder, and thrown away.  The learner's file is never written to, so running the
command cannot lose work or clutter the notebook with outputs.

To learn how each check went, one cell is added at the end of the copy.  It asks the
kernel for the last result of every exercise that was checked there (see
:func:`print_report`).  An exercise whose check cell never ran (because the cell
before it failed, say) is listed as *not checked*, and the failing cell is named.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

PASSED = "passed"
WRONG = "wrong"
NOT_ATTEMPTED = "not attempted"
NOT_CHECKED = "not checked"

_MARKER = "asyncio-tutorial-progress "
_REPORT_CELL = "from asyncio_tutorial.progress import print_report\n\nprint_report()"


@dataclass
class ExerciseStatus:
    """One exercise's line in the table."""

    name: str
    title: str
    status: str
    message: str = ""


@dataclass
class WorkbookReport:
    """How the exercises of one workbook stand, and which of its cells failed."""

    path: Path
    exercises: list[ExerciseStatus] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        return bool(self.exercises) and all(e.status == PASSED for e in self.exercises)


def print_report() -> None:
    """Print, one JSON line each, the last result of every exercise in this kernel.

    This runs inside the kernel, in the cell added to the end of the copy.
    """
    from asyncio_tutorial.checkers.core import CORRECT, registered

    for exercise in registered():
        result = exercise.last_result
        if result is None:
            status, message = NOT_CHECKED, "its check cell did not run"
        else:
            status = PASSED if result.status == CORRECT else result.status
            message = result.message
        line = {"id": exercise.id, "name": exercise.name, "title": exercise.title}
        line.update(status=status, message=message)
        print(_MARKER + json.dumps(line))


def check_workbook(path: Path) -> WorkbookReport:
    """Run a copy of the workbook at ``path`` and report on its exercises."""
    return read_report(path, run_copy(path))


def check_workbooks(paths: list[Path], workers: int | None = None) -> Iterator[WorkbookReport]:
    """Reports on several workbooks, in order, running ``workers`` at a time.

    Each runs in its own process (and kernel), like ``record`` does: most of the time
    goes to starting kernels and waiting, so a few at a time finish sooner.
    """
    workers = min(workers or os.cpu_count() or 1, len(paths))
    if workers <= 1:
        yield from map(check_workbook, paths)
        return
    # "spawn": forking a process that runs threads (a test runner, say) is unsafe.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(check_workbook, paths)


def run_copy(path: Path) -> nbformat.NotebookNode:
    """Execute a copy of the notebook at ``path``, plus the report cell; return the copy.

    The copy runs in a temporary folder, so files the learner's code writes land there.
    Notebooks are read and run here, not at import: the kernel imports this module for
    :func:`print_report` and needs neither nbformat nor nbclient.
    """
    from asyncio_tutorial.quick_nbformat import nbformat
    from asyncio_tutorial.recording import WORKBOOK_CELL_TIMEOUT, execute

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_REPORT_CELL))
    with tempfile.TemporaryDirectory(prefix="progress-") as folder:
        # allow_errors: keep going, later exercises may still pass
        execute(notebook, folder, allow_errors=True, timeout=WORKBOOK_CELL_TIMEOUT)
    return notebook


def read_report(path: Path, executed: nbformat.NotebookNode) -> WorkbookReport:
    """The report on a copy that :func:`run_copy` executed."""
    report = WorkbookReport(path)
    found: dict[str, ExerciseStatus] = {}
    for number, cell in enumerate(executed.cells[:-1], start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                report.cell_errors.append(f"cell {number}: {output.ename}: {output.evalue}")
    for output in executed.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(_MARKER):
                data = json.loads(line[len(_MARKER) :])
                found[data["id"]] = ExerciseStatus(
                    data["name"], data["title"], data["status"], data["message"]
                )
    report.exercises = _in_lesson_order(path, found)
    return report


def _in_lesson_order(path: Path, found: dict[str, ExerciseStatus]) -> list[ExerciseStatus]:
    """Every exercise of the workbook's lesson, including those the kernel never saw."""
    from asyncio_tutorial.workbooks import lesson_number

    lesson = lesson_number(path.name)
    expected = _lesson_exercises(lesson) if lesson else []
    statuses = []
    for exercise in expected:
        status = found.pop(exercise.id, None)
        statuses.append(
            status
            or ExerciseStatus(
                exercise.name, exercise.title, NOT_CHECKED, "its check cell did not run"
            )
        )
    # Exercises of other lessons the notebook happened to import are left out.
    if not expected:
        statuses.extend(found.values())
    return statuses


def _lesson_exercises(lesson: str) -> list:
    try:
        module = importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson}")
    except ModuleNotFoundError:
        return []
    return list(getattr(module, "EXERCISES", []))


_SYMBOLS = {PASSED: "✓", WRONG: "✗", NOT_ATTEMPTED: "○", NOT_CHECKED: "?"}


def format_report(report: WorkbookReport) -> str:
    """The table for one workbook, e.g. ``ex1  Greet after a pause  ✓ passed``."""
    lines = [str(report.path)]
    width = max((len(e.title) for e in report.exercises), default=0)
    for exercise in report.exercises:
        symbol = _SYMBOLS.get(exercise.status, " ")
        lines.append(f"  {exercise.name:<4} {exercise.title:<{width}}  {symbol} {exercise.status}")
        if exercise.status in (WRONG, NOT_CHECKED):
            lines.append(f"       {exercise.message}")
    if not report.exercises:
        lines.append("  no exercises found: does the notebook import them in its first cells?")
    for error in report.cell_errors:
        lines.append(f"  note: {error}")
    counts = _counts(report.exercises, (PASSED, WRONG, NOT_ATTEMPTED, NOT_CHECKED))
    lines.append(f"  {len(report.exercises)} exercises: " + ", ".join(counts))
    return "\n".join(lines)


def format_total(reports: list[WorkbookReport]) -> str:
    """The course's line under the tables, e.g. ``course: 5 of 46 exercises passed ...``."""
    exercises = [e for report in reports for e in report.exercises]
    passed = sum(e.status == PASSED for e in exercises)
    rest = _counts(exercises, (WRONG, NOT_ATTEMPTED, NOT_CHECKED))
    workbooks = f"{len(reports)} workbook{'s' if len(reports) != 1 else ''}"
    line = f"course: {passed} of {len(exercises)} exercises passed in {workbooks}"
    return line + (" (" + ", ".join(rest) + ")" if rest else "")


def _counts(exercises: list[ExerciseStatus], statuses: tuple[str, ...]) -> list[str]:
    """``["2 passed", "1 wrong"]``: how many exercises have each status, those with any."""
    found = [(sum(e.status == status for e in exercises), status) for status in statuses]
    return [f"{count} {status}" for count, status in found if count]
