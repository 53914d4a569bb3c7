"""The course's commands in a folder a learner has worked in.

The folder is a clone of the course, used the way JupyterLab and a learner use it:
``.ipynb_checkpoints/`` in every folder, a lesson run and saved (outputs of its own,
execution counts in the order the learner ran cells, the kernel's version in the
metadata), a workbook with an answer, and a notebook of the learner's own.  Then:

* ``published`` copies the course without any of that, so ``make test`` validates the
  course, not the learner (the hygiene and workbook tests pass on the copy);
* ``exercises`` regenerates workbooks without losing the answer;
* ``progress`` and ``check`` report on the answered workbook and change nothing;
* ``record`` re-records a lesson and leaves the checkpoints alone;
* ``update`` brings in a new version of the course with ``git pull``, keeps the
  answer, and keeps a copy of everything the learner changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import asyncio_tutorial
from asyncio_tutorial.checkers import solutions as marks
from asyncio_tutorial.course import published

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = "exercises/workbook-01-coroutines.ipynb"
LESSON = "notebooks/00-start-here.ipynb"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(folder),
            "-c",
            "user.name=Course",
            "-c",
            "user.email=course@localhost",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def course(folder: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python -m asyncio_tutorial ARGS`` run in ``folder``."""
    return subprocess.run(
        [sys.executable, "-m", "asyncio_tutorial", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def answer_greet(workbook_path: Path) -> str:
    """Put the worked answer to 01 ex1 into the workbook, as a learner would type it."""
    answer = marks.solution_source(ROOT / "solutions" / "01-coroutines.ipynb", "greet")
    notebook = nbformat.read(workbook_path, as_version=4)
    (cell,) = [c for c in notebook.cells if "def greet(" in c.source]
    cell.source = answer
    nbformat.write(notebook, workbook_path)
    return answer


def run_and_save(lesson: Path) -> None:
    """What JupyterLab leaves after a learner ran the lesson with Run All and saved: cells
    numbered in order, as a recording's are, no Python version in the metadata (the
    course's kernels leave it out, as make record does), outputs of their own."""
    notebook = nbformat.read(lesson, as_version=4)
    for number, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), 1):
        cell.execution_count = number
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = output["text"].replace("[0.", "[1.")  # a slower machine
    notebook.metadata.get("language_info", {}).pop("version", None)
    nbformat.write(notebook, lesson)


def course_checkout() -> Path:
    """The git checkout of the course: this one, or (when ``make test`` runs these tests in
    its published copy, which is no checkout) the one the course is installed from."""
    for folder in (ROOT, Path(asyncio_tutorial.__file__).resolve().parents[2]):
        if published.is_checkout(folder):
            return folder
    pytest.fail("these tests clone the course: run them in a git checkout of it")


@pytest.fixture(scope="module")
def used(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An upstream copy of the course, and a learner's clone of it that has been used."""
    top = tmp_path_factory.mktemp("used")
    upstream, learner = top / "upstream", top / "learner"
    subprocess.run(["git", "clone", "-q", str(course_checkout()), str(upstream)], check=True)
    subprocess.run(["git", "clone", "-q", str(upstream), str(learner)], check=True)
    for folder in ("notebooks", "exercises", "solutions"):
        checkpoints = learner / folder / ".ipynb_checkpoints"
        checkpoints.mkdir()
        for notebook in (learner / folder).glob("*.ipynb"):
            shutil.copy(notebook, checkpoints / f"{notebook.stem}-checkpoint.ipynb")
    answer_greet(learner / WORKBOOK)
    run_and_save(learner / LESSON)
    nbformat.write(nbformat.v4.new_notebook(), learner / "notebooks" / "Untitled.ipynb")
    return {"upstream": upstream, "learner": learner}


def test_published_copy_leaves_the_learners_work_out(used: dict[str, Path], tmp_path: Path) -> None:
    learner = used["learner"]
    done = course(learner, "published", str(tmp_path / "course"))
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "course"
    for name in (WORKBOOK, LESSON):
        assert (copy / name).read_bytes() == (used["upstream"] / name).read_bytes(), name
        assert name in done.stdout  # the note says what was taken as committed
    assert not (copy / "notebooks" / "Untitled.ipynb").exists()
    assert not list(copy.glob("**/.ipynb_checkpoints"))
    # the learner's files are untouched
    assert "def greet" in (learner / WORKBOOK).read_text(encoding="utf-8")


def test_hygiene_and_workbook_tests_pass_on_the_published_copy(
    used: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "course"
    assert course(used["learner"], "published", str(copy)).returncode == 0
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "tests/course/test_hygiene.py",
            "tests/course/test_workbooks.py",
            "-k",
            "not progress and not hang",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_exercises_keeps_the_answer_when_the_workbook_changes(used: dict[str, Path]) -> None:
    learner = used["learner"]
    solutions = learner / "solutions" / "01-coroutines.ipynb"
    original = solutions.read_bytes()
    notebook = nbformat.read(solutions, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added by a new version of the course."
    nbformat.write(notebook, solutions)
    checkpoints = learner / "exercises" / ".ipynb_checkpoints"
    checkpoint = checkpoints / "workbook-01-coroutines-checkpoint.ipynb"
    before = digest(checkpoint)
    try:
        done = course(learner, "exercises")
        assert done.returncode == 0, done.stderr
        assert "kept your answers (greet)" in done.stdout
        workbook = (learner / WORKBOOK).read_text(encoding="utf-8")
        assert "A sentence added by a new version" in workbook  # the new workbook...
        assert "await asyncio.sleep(0.1)" in workbook  # ...with the answer in it
        backups = list((learner / "backups").glob("*/exercises/workbook-01-coroutines.ipynb"))
        assert len(backups) == 1 and "def greet" in backups[0].read_text(encoding="utf-8")
        assert digest(checkpoint) == before
        again = course(learner, "exercises")  # nothing new: nothing written, no new backup
        assert "wrote" not in again.stdout
        assert len(list((learner / "backups").glob("*/exercises/*"))) == 1
    finally:
        solutions.write_bytes(original)


def test_progress_and_check_report_the_answer_and_change_nothing(used: dict[str, Path]) -> None:
    learner = used["learner"]
    before = {p: digest(p) for p in (learner / "exercises").rglob("*.ipynb")}
    done = course(learner, "check", WORKBOOK)
    assert done.returncode == 1, done.stdout  # only ex1 is answered
    assert "ex1" in done.stdout and "✓ passed" in done.stdout
    assert "not attempted" in done.stdout
    assert {p: digest(p) for p in (learner / "exercises").rglob("*.ipynb")} == before


def test_record_in_a_used_folder_leaves_the_checkpoints_alone(used: dict[str, Path]) -> None:
    learner = used["learner"]
    checkpoint = learner / "notebooks" / ".ipynb_checkpoints" / "00-start-here-checkpoint.ipynb"
    before = digest(checkpoint)
    done = course(learner, "record", LESSON)
    assert done.returncode == 0, done.stderr
    recorded = nbformat.read(learner / LESSON, as_version=4)
    counts = [c.execution_count for c in recorded.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert digest(checkpoint) == before
    # A recording made here is the author's: the published copy takes it, not the
    # committed lesson (a learner's Run All, just as numbered, is left out: see above).
    copy = learner.parent / "published-after-record"
    assert course(learner, "published", str(copy)).returncode == 0
    assert (copy / LESSON).read_bytes() == (learner / LESSON).read_bytes()
    run_and_save(learner / LESSON)  # back to the learner's run for the next test


def test_update_brings_the_new_version_and_keeps_the_answer(used: dict[str, Path]) -> None:
    upstream, learner = used["upstream"], used["learner"]
    # a new version of the course: a workbook reworded, and a new lesson
    notebook = nbformat.read(upstream / WORKBOOK, as_version=4)
    notebook.cells[0].source += "\n\nReworded in the new version."
    nbformat.write(notebook, upstream / WORKBOOK)
    shutil.copy(upstream / LESSON, upstream / "notebooks" / "99-new-lesson.ipynb")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "A new version of the course")

    done = course(learner, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    workbook = (learner / WORKBOOK).read_text(encoding="utf-8")
    assert "Reworded in the new version." in workbook
    assert "await asyncio.sleep(0.1)" in workbook, done.stdout
    assert (learner / "notebooks" / "99-new-lesson.ipynb").exists()
    # the saved lesson is back as published; the learner's run is in the backup
    assert (learner / LESSON).read_bytes() == (upstream / LESSON).read_bytes()
    saved = list((learner / "backups").glob(f"*/{LESSON}"))
    assert saved and "[1." in saved[-1].read_text()  # the learner's own outputs, kept
    assert (learner / "notebooks" / "Untitled.ipynb").exists()  # their own notebook stays
    assert "kept your answers (greet)" in done.stdout


def test_update_carries_answers_into_workbooks_the_new_version_renamed(tmp_path: Path) -> None:
    """Older versions named a workbook like its lesson (exercises/01-coroutines.ipynb)."""
    upstream, learner = tmp_path / "upstream", tmp_path / "learner"
    subprocess.run(["git", "clone", "-q", str(course_checkout()), str(upstream)], check=True)
    old_name = "exercises/01-coroutines.ipynb"
    git(upstream, "mv", WORKBOOK, old_name)
    git(upstream, "commit", "-q", "-m", "An older version: workbooks named like lessons")
    subprocess.run(["git", "clone", "-q", str(upstream), str(learner)], check=True)
    answer_greet(learner / old_name)
    git(upstream, "mv", old_name, WORKBOOK)
    git(upstream, "commit", "-q", "-m", "The new version: workbook- names")

    done = course(learner, "update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (learner / old_name).exists()
    workbook = (learner / WORKBOOK).read_text(encoding="utf-8")
    assert "await asyncio.sleep(0.1)" in workbook, done.stdout
    assert "workbook-01-coroutines.ipynb: kept your answers (greet)" in done.stdout
    (kept,) = (learner / "backups").glob(f"*/{old_name}")
    assert "await asyncio.sleep(0.1)" in kept.read_text(encoding="utf-8")
    assert git(learner, "status", "--porcelain", "--", "exercises") == f" M {WORKBOOK}\n"
