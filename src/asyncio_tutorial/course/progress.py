"""How the exercises stand: ``python -m asyncio_tutorial progress`` and ``check FILE``.

Each workbook is run top to bottom in a fresh kernel, exactly as *Run All* would, but
on a **copy**: the notebook is read from disk, executed in memory in a temporary
folder, and thrown away.  The learner's file is never written to, so running the
command cannot lose work or clutter the notebook with outputs.

What runs is not the file as it is, but the workbook as the course publishes it with
the learner's **answer cells** put in (:func:`asyncio_tutorial.course.submissions.assemble`):
a check cell edited, or a cell added to make the checks pass, is not run.  A file that
is no workbook (empty, broken, a lesson, worked answers) is reported as such, with what
to do, never with a traceback.

To learn how each check went, a cell is added after every check cell of the copy.  It
asks the kernel for the last result of every exercise checked there (see
:func:`print_report`), and for a digest of the checking code
(:func:`~asyncio_tutorial.course.submissions.fingerprint`), which must be the one this process
computes: an answer that changed the checks makes its exercises *tampered*, as does an
answer cell that :func:`~asyncio_tutorial.course.submissions.screen` finds changing what no
answer needs to.  An exercise whose check cell never ran (because the cell before it
failed, or the kernel died) is listed as *not checked*, and the failing cell is named.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import re
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
TAMPERED = "tampered"

_MARKER = "asyncio-tutorial-progress "
_FINGERPRINT = "asyncio-tutorial-fingerprint "
_REPORT_CELL = (
    "from asyncio_tutorial.course.progress import print_report\n\nprint_report({lesson!r})"
)
_CHECK_CELL = re.compile(r"^ex\d+\.check\(", re.MULTILINE)


@dataclass
class ExerciseStatus:
    """One exercise's line in the table."""

    name: str
    title: str
    status: str
    message: str = ""
    mistake: str = ""
    """For a wrong answer, the checker's name for the mistake (``forgot_await``...)."""
    seconds: float = 0.0
    """How long its check took."""


@dataclass
class WorkbookReport:
    """How the exercises of one workbook stand, and which of its cells failed."""

    path: Path
    exercises: list[ExerciseStatus] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    problem: str = ""
    """Why the file could not be checked at all (then ``exercises`` is empty)."""
    notes: list[str] = field(default_factory=list)
    """What the learner should know about how it was checked (cells left out...)."""
    lesson: str = ""
    """The lesson the workbook belongs to ("" when it is no workbook)."""

    @property
    def all_passed(self) -> bool:
        return bool(self.exercises) and all(e.status == PASSED for e in self.exercises)


def print_report(lesson: str) -> None:
    """Print, one JSON line each, the last result of every exercise in this kernel, then
    the digest of lesson ``lesson``'s checking code as it stands here.

    This runs inside the kernel, in the cells added after the check cells of the copy.
    """
    from asyncio_tutorial.checkers.core import CORRECT, registered
    from asyncio_tutorial.course.submissions import fingerprint

    for exercise in registered():
        result = exercise.last_result
        if result is None:
            status, message = NOT_CHECKED, "its check cell did not run"
        else:
            status = PASSED if result.status == CORRECT else result.status
            message = result.message
        line = {"id": exercise.id, "name": exercise.name, "title": exercise.title}
        line.update(status=status, message=message)
        if result is not None:
            line.update(mistake=result.mistake or "", seconds=round(exercise.last_seconds, 2))
        print(_MARKER + json.dumps(line))
    print(_FINGERPRINT + fingerprint(lesson))


def check_workbook(path: Path) -> WorkbookReport:
    """Run a copy of the workbook at ``path`` and report on its exercises.

    A file that is no workbook gets a report with its ``problem`` and no exercises.
    """
    from asyncio_tutorial.course.submissions import BadWorkbook, assemble

    try:
        submission = assemble(path)
    except BadWorkbook as bad:
        return WorkbookReport(path, problem=bad.message)
    executed, stopped = run_submission(submission.notebook, submission.lesson)
    report = read_report(path, executed, lesson=submission.lesson)
    report.lesson = submission.lesson
    if stopped:
        report.cell_errors.append(stopped)
        for exercise in report.exercises:
            if exercise.status == NOT_CHECKED:
                exercise.message = stopped
    for exercise in report.exercises:
        found = submission.flagged.get(_answer_of(submission.lesson, exercise.name))
        if found and exercise.status != NOT_ATTEMPTED:
            exercise.status = TAMPERED
            exercise.message = (
                f"its answer cell {'; '.join(found)}: no answer needs that, and it may "
                "change how answers are checked, so this one is not judged (a person should "
                "look at it)"
            )
    if submission.dropped:
        report.notes.append(
            f"{submission.dropped} code cell{'s' if submission.dropped != 1 else ''} of yours "
            "defining no answer left out: only the answer cells are checked (put a helper "
            "in the cell of the answer that uses it)"
        )
    return report


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
    """Execute a copy of the workbook at ``path`` as :func:`check_workbook` does."""
    from asyncio_tutorial.course.submissions import assemble

    submission = assemble(path)
    return run_submission(submission.notebook, submission.lesson)[0]


def run_submission(
    notebook: nbformat.NotebookNode, lesson: str
) -> tuple[nbformat.NotebookNode, str]:
    """Execute ``notebook`` with a report cell after each check cell; return it, and what
    stopped the run early ("" when it ran to the end).

    The copy runs in a temporary folder, so files the learner's code writes land there.
    Notebooks are read and run here, not at import: the kernel imports this module for
    :func:`print_report` and needs neither nbformat nor nbclient.
    """
    from nbclient.exceptions import DeadKernelError

    from asyncio_tutorial.course.recording import WORKBOOK_CELL_TIMEOUT, execute

    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type == "code" and _CHECK_CELL.search(cell.source):
            cells.append(_report_cell(lesson))
    cells.append(_report_cell(lesson))
    notebook.cells = cells
    stopped = ""
    with tempfile.TemporaryDirectory(prefix="progress-") as folder:
        try:
            # allow_errors: keep going, later exercises may still pass
            execute(notebook, folder, allow_errors=True, timeout=WORKBOOK_CELL_TIMEOUT)
        except DeadKernelError:
            ran = [i for i, c in enumerate(notebook.cells, 1) if c.get("execution_count")]
            where = f"cell {ran[-1]}" if ran else "the first cell"
            stopped = (
                f"the kernel stopped while {where} ran: code that exits the process "
                "(os._exit, sys.exit in a thread...), crashes it or fills its memory; the "
                "exercises after it were not checked"
            )
    return notebook, stopped


def _report_cell(lesson: str) -> nbformat.NotebookNode:
    from asyncio_tutorial.course.quick_nbformat import nbformat

    cell = nbformat.v4.new_code_cell(_REPORT_CELL.format(lesson=lesson))
    cell.metadata["asyncio_tutorial_report"] = True
    return cell


def read_report(
    path: Path, executed: nbformat.NotebookNode, lesson: str | None = None
) -> WorkbookReport:
    """The report on a copy that :func:`run_submission` executed.

    Each exercise's status is the last one a report cell printed.  From the first report
    whose digest of the checking code differs from this process's (or is missing, when
    the cell ran), every verdict is *tampered* but those an earlier report gave, unchanged.
    """
    from asyncio_tutorial.course.submissions import fingerprint

    report = WorkbookReport(path)
    found: dict[str, ExerciseStatus] = {}
    trusted: dict[str, ExerciseStatus] = {}  # as the last report before any mismatch said
    expected = fingerprint(lesson) if lesson else None
    tampered_at = ""
    number = 0
    for cell in executed.cells:
        is_report = cell.get("metadata", {}).get("asyncio_tutorial_report", False)
        number += 0 if is_report else 1
        outputs = cell.get("outputs", [])
        if not is_report:
            for output in outputs:
                if output.output_type == "error":
                    report.cell_errors.append(f"cell {number}: {output.ename}: {output.evalue}")
            continue
        lines = [line for o in outputs for line in o.get("text", "").splitlines()]
        prints = [line[len(_FINGERPRINT) :] for line in lines if line.startswith(_FINGERPRINT)]
        if cell.get("execution_count") and expected is not None and prints != [expected]:
            tampered_at = tampered_at or f"after cell {number}"
        for line in lines:
            if line.startswith(_MARKER):
                data = json.loads(line[len(_MARKER) :])
                found[data["id"]] = ExerciseStatus(
                    data["name"],
                    data["title"],
                    data["status"],
                    data["message"],
                    data.get("mistake", ""),
                    data.get("seconds", 0.0),
                )
        if not tampered_at:
            trusted = dict(found)
    if tampered_at:
        # A verdict reported before the checking code changed stands, if nothing changed
        # it since; every later one is not to be trusted.
        for key, status in found.items():
            if trusted.get(key) == status and status.status != NOT_CHECKED:
                continue
            status.status = TAMPERED
            status.message = (
                f"the course's checking code was not as the course ships it {tampered_at}: "
                "an answer changed a check, the course's functions or a builtin, so no "
                "verdict can be trusted (a person should look at this workbook)"
            )
    report.exercises = _in_lesson_order(path, found, lesson)
    return report


def _in_lesson_order(
    path: Path, found: dict[str, ExerciseStatus], lesson: str | None = None
) -> list[ExerciseStatus]:
    """Every exercise of the workbook's lesson, including those the kernel never saw."""
    from asyncio_tutorial.course.workbooks import lesson_number

    lesson = lesson or lesson_number(path.name)
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


def _answer_of(lesson: str, name: str) -> str:
    """The answer's name of exercise ``name`` (``ex1``) of ``lesson``."""
    for exercise in _lesson_exercises(lesson):
        if exercise.name == name:
            return str(exercise.answer)
    return ""


def _lesson_exercises(lesson: str) -> list:
    try:
        module = importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson}")
    except ModuleNotFoundError:
        return []
    return list(getattr(module, "EXERCISES", []))


_SYMBOLS = {PASSED: "✓", WRONG: "✗", NOT_ATTEMPTED: "○", NOT_CHECKED: "?", TAMPERED: "!"}


def format_report(report: WorkbookReport) -> str:
    """The table for one workbook, e.g. ``ex1  Greet after a pause  ✓ passed``."""
    lines = [str(report.path)]
    if report.problem:
        return "\n".join([*lines, f"  cannot check it: {report.problem}"])
    width = max((len(e.title) for e in report.exercises), default=0)
    for exercise in report.exercises:
        symbol = _SYMBOLS.get(exercise.status, " ")
        lines.append(f"  {exercise.name:<4} {exercise.title:<{width}}  {symbol} {exercise.status}")
        if exercise.status in (WRONG, NOT_CHECKED, TAMPERED):
            lines.append(f"       {exercise.message}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if not report.exercises:
        lines.append("  no exercises found: does the notebook import them in its first cells?")
    for error in report.cell_errors:
        lines.append(f"  note: {error}")
    counts = _counts(report.exercises, (PASSED, WRONG, NOT_ATTEMPTED, NOT_CHECKED, TAMPERED))
    lines.append(f"  {len(report.exercises)} exercises: " + ", ".join(counts))
    return "\n".join(lines)


def format_total(reports: list[WorkbookReport]) -> str:
    """The course's line under the tables, e.g. ``course: 5 of 46 exercises passed ...``."""
    exercises = [e for report in reports for e in report.exercises]
    passed = sum(e.status == PASSED for e in exercises)
    rest = _counts(exercises, (WRONG, NOT_ATTEMPTED, NOT_CHECKED, TAMPERED))
    workbooks = f"{len(reports)} workbook{'s' if len(reports) != 1 else ''}"
    line = f"course: {passed} of {len(exercises)} exercises passed in {workbooks}"
    return line + (" (" + ", ".join(rest) + ")" if rest else "")


def _counts(exercises: list[ExerciseStatus], statuses: tuple[str, ...]) -> list[str]:
    """``["2 passed", "1 wrong"]``: how many exercises have each status, those with any."""
    found = [(sum(e.status == status for e in exercises), status) for status in statuses]
    return [f"{count} {status}" for count, status in found if count]
