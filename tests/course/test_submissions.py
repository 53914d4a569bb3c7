"""Workbooks handed in to ``check`` and ``progress``: what is run, what is refused, and
how an answer that interferes with its own checking is caught, never called correct.
"""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from asyncio_tutorial.checkers import lesson01
from asyncio_tutorial.checkers.core import Exercise
from asyncio_tutorial.checkers.solutions import has_solution, without_markers
from asyncio_tutorial.course import cli, progress, submissions
from asyncio_tutorial.course.submissions import BadWorkbook, assemble, fingerprint, read, screen

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))


def answered(solutions: Path) -> nbformat.NotebookNode:
    """A workbook as a learner who wrote the worked answers has it: no markers, no outputs."""
    notebook = nbformat.read(solutions, as_version=4)
    notebook.cells = [
        cell for cell in notebook.cells if "solutions-only" not in cell.metadata.get("tags", [])
    ]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if has_solution(cell.source):
                cell.source = without_markers(cell.source)
    return notebook


def write(folder: Path, name: str, notebook: nbformat.NotebookNode) -> Path:
    path = folder / name
    nbformat.write(notebook, path)
    return path


def lesson01_with(folder: Path, change: str, name: str = "workbook-01-coroutines.ipynb") -> Path:
    """Lesson 01's worked answers, with ``change`` added to the end of greet's cell."""
    notebook = answered(ROOT / "solutions" / "01-coroutines.ipynb")
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and "async def greet" in c.source]
    cell.source += "\n\n" + change
    return write(folder, name, notebook)


# --- files that are no workbook ---------------------------------------------------------------


def _lesson(folder: Path) -> Path:
    return write(
        folder,
        "01-coroutines.ipynb",
        nbformat.read(ROOT / "notebooks" / "01-coroutines.ipynb", as_version=4),
    )


def _worked(folder: Path) -> Path:
    return write(
        folder,
        "01-coroutines.ipynb",
        nbformat.read(ROOT / "solutions" / "01-coroutines.ipynb", as_version=4),
    )


def _truncated(folder: Path) -> Path:
    path = lesson01_with(folder, "")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    return path


def _huge(folder: Path) -> Path:
    path = folder / "workbook-01-coroutines.ipynb"
    with path.open("wb") as file:
        file.truncate(submissions.MAX_BYTES + 1)  # sparse: no disk used
    return path


def _plain(folder: Path, content: bytes) -> Path:
    path = folder / "workbook-01-coroutines.ipynb"
    path.write_bytes(content)
    return path


NOT_WORKBOOKS = {
    "empty": (lambda folder: _plain(folder, b""), "empty", "is empty (0 bytes)"),
    "truncated": (_truncated, "not a notebook", "its JSON breaks off or is broken at line"),
    "binary": (lambda folder: _plain(folder, b"\x89PNG\r\n\x1a\n\xff"), "unreadable", "not UTF-8"),
    "json, no notebook": (
        lambda folder: _plain(folder, b"[1, 2]"),
        "not a notebook",
        "JSON but not a notebook",
    ),
    "huge": (_huge, "too large", "a workbook is well under 1 MiB"),
    "a lesson": (_lesson, "not a workbook", "it is a lesson"),
    "worked answers": (_worked, "worked answers", "a notebook of worked answers"),
}


@pytest.mark.parametrize("case", NOT_WORKBOOKS, ids=list(NOT_WORKBOOKS))
def test_a_file_that_is_no_workbook_is_refused_with_what_to_do(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, reason, words = NOT_WORKBOOKS[case]
    path = make(tmp_path)
    with pytest.raises(BadWorkbook) as refused:
        assemble(path)
    assert refused.value.reason == reason and words in refused.value.message
    assert cli.main(["check", str(path)]) == 2  # not a workbook: nothing was checked
    shown = capsys.readouterr()
    assert f"cannot check it: {refused.value.message}" in shown.out
    assert "Traceback" not in shown.out + shown.err


def test_read_gives_back_a_workbook_as_it_is(tmp_path: Path) -> None:
    path = lesson01_with(tmp_path, "")
    assert read(path) == nbformat.read(path, as_version=4)


# --- what is taken from a workbook --------------------------------------------------------------


@pytest.mark.parametrize("solutions", SOLUTIONS, ids=[p.name[:2] for p in SOLUTIONS])
def test_every_worked_answer_is_taken_and_none_is_flagged(solutions: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "workbook-" + solutions.name, answered(solutions))
    submission = assemble(path)
    module = __import__(f"asyncio_tutorial.checkers.lesson{solutions.name[:2]}", fromlist=["x"])
    assert sorted(submission.answered) == sorted(e.answer for e in module.EXERCISES)
    assert submission.flagged == {} and submission.dropped == 0


def test_only_answer_cells_are_taken_an_edited_check_cell_is_the_courses_again(
    tmp_path: Path,
) -> None:
    notebook = answered(ROOT / "solutions" / "01-coroutines.ipynb")
    for cell in notebook.cells:
        if cell.source.startswith("ex1.check("):
            cell.source = 'print("✓ Correct")'
    notebook.cells.insert(3, nbformat.v4.new_code_cell("print('an experiment of mine')"))
    submission = assemble(write(tmp_path, "workbook-01-coroutines.ipynb", notebook))
    sources = [cell.source for cell in submission.notebook.cells]
    assert any(source.startswith("ex1.check(greet)") for source in sources)
    assert not any("✓ Correct" in source or "experiment" in source for source in sources)
    assert submission.dropped == 2


SCREENED = [
    ("ex1 = None", ["replaces ex1"]),
    ("def ex1():\n    pass", ["replaces ex1"]),
    ("ex1.evaluate = print", ["changes ex1.evaluate"]),
    ("type(ex1).evaluate = print", ["changes type(ex1).evaluate"]),
    ("setattr(ex1, 'check', print)", ["calls setattr on ex1"]),
    ("import asyncio_tutorial.checkers.core", ["imports asyncio_tutorial.checkers.core"]),
    ("from asyncio_tutorial.checkers import core", ["imports asyncio_tutorial.checkers"]),
    ("import builtins\nbuiltins.print = len", ["changes builtins.print"]),
    ("__builtins__['print'] = len", ["changes __builtins__['print']"]),
    ("import sys\nsys.modules['json'] = None", ["changes sys.modules['json']"]),
    ("core = __import__('asyncio_tutorial')", ["calls __import__"]),
    ("print('✓ Correct: all of it')", ["writes '✓ Correct'"]),
    ("global ex1", ["rebinds ex1"]),
    # what right answers do every day
    ("account.balance = current + amount", []),
    ("results[job] = await handle(job)", []),
    ("self.items = []\nimport asyncio, time", []),
    ("class Stock:\n    def __init__(self):\n        self.level = 0", []),
]


@pytest.mark.parametrize(("code", "found"), SCREENED, ids=[code for code, _ in SCREENED])
def test_screen_names_what_no_answer_needs_and_nothing_an_answer_does(
    code: str, found: list[str]
) -> None:
    assert screen(code, {"asyncio_tutorial", "ex1", "ex2", "Account"}) == found


# --- the fingerprint of the checking code ---------------------------------------------------------


def test_the_fingerprint_is_the_same_in_every_process_and_after_a_check() -> None:
    here = fingerprint("01")
    elsewhere = subprocess.run(
        [
            sys.executable,
            "-c",
            "from asyncio_tutorial.course import submissions as s; print(s.fingerprint('01'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert elsewhere == here

    async def greet(name: str) -> str:
        import asyncio

        await asyncio.sleep(0.1)
        return f"Hello, {name}!"

    assert lesson01.ex1.evaluate(greet).status == "correct"
    assert fingerprint("01") == here  # running code changes nothing it digests


def test_the_fingerprint_changes_when_a_check_a_function_or_a_builtin_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = fingerprint("01")
    replacements = [
        (Exercise, "evaluate", lambda self, answer: None),
        (lesson01.ex1, "checker", lambda answer: None),
        (lesson01.ex1, "check", lambda answer: None),  # on the exercise, not its class
        (builtins, "print", lambda *args, **kwargs: None),
        (progress, "print_report", lambda lesson: None),
    ]
    for target, name, replacement in replacements:
        with monkeypatch.context() as patch:
            patch.setattr(target, name, replacement, raising=False)
            assert fingerprint("01") != original, name
    assert fingerprint("01") == original


# --- end to end, in a kernel ----------------------------------------------------------------------


@pytest.mark.parametrize("solutions", SOLUTIONS, ids=[p.name[:2] for p in SOLUTIONS])
def test_check_passes_every_lessons_worked_answers(solutions: Path, tmp_path: Path) -> None:
    """No right answer is called tampered: the kernel's digest is the checker's own."""
    report = progress.check_workbook(
        write(tmp_path, "workbook-" + solutions.name, answered(solutions))
    )
    assert [e.status for e in report.exercises] == [progress.PASSED] * len(report.exercises)
    assert report.exercises and not report.notes and not report.problem


TAMPERING = {
    # six lines that made every check pass, before answers were screened and digested
    "replaces Exercise.evaluate": (
        "from asyncio_tutorial.checkers.core import CORRECT, Exercise, Result\n"
        "Exercise.evaluate = lambda self, answer: Result(CORRECT, 'fine')",
        "its answer cell imports asyncio_tutorial.checkers.core",
    ),
    # the same, out of the screen's sight: only the digest of the checking code sees it
    "patches the checks by another way": (
        "import sys\n"
        "core = sys.modules['asyncio_tutorial.checkers.core']\n"
        "kind = core.Exercise\n"
        "setattr(kind, 'evaluate', lambda self, answer: core.Result(core.CORRECT, 'fine'))",
        "the course's checking code was not as the course ships it",
    ),
}


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_an_answer_that_changes_its_checking_is_tampered_never_correct(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, said = TAMPERING[case]
    path = lesson01_with(tmp_path, change)
    report = progress.check_workbook(path)
    assert [e.status for e in report.exercises] == [progress.TAMPERED] * 4
    assert said in report.exercises[0].message
    assert cli.main(["check", str(path)]) == 1
    assert "✓ passed" not in capsys.readouterr().out


def test_verdicts_given_before_the_checks_were_changed_stand(tmp_path: Path) -> None:
    """Tampering in the last answer's cell: the three checks before it were honest."""
    notebook = answered(ROOT / "solutions" / "01-coroutines.ipynb")
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and "def retry" in c.source]
    cell.source += "\n\n" + TAMPERING["patches the checks by another way"][0]
    report = progress.check_workbook(write(tmp_path, "workbook-01-coroutines.ipynb", notebook))
    assert [e.status for e in report.exercises] == ["passed"] * 3 + [progress.TAMPERED]


def test_an_answer_that_ends_the_kernel_is_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = lesson01_with(tmp_path, "import os\nos._exit(0)")
    assert cli.main(["check", str(path)]) == 1
    shown = capsys.readouterr()
    assert "the kernel stopped while cell" in shown.out and "not checked" in shown.out
    assert "Traceback" not in shown.out + shown.err


def test_progress_reports_a_broken_file_beside_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lesson01_with(tmp_path, "")
    (tmp_path / "workbook-02-event-loop.ipynb").write_text('{"cells": [', encoding="utf-8")
    assert cli.main(["progress", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "4 exercises: 4 passed" in shown
    assert "workbook-02-event-loop.ipynb\n  cannot check it:" in shown
    assert "Traceback" not in shown
