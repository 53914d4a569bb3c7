"""Lesson 08 is about exception groups, so it must never pass validation with one that
escaped by accident.

IPython prints an uncaught ``ExceptionGroup`` to stderr only, as if the cell had worked;
the course's extension turns it into a real error (``test_validation_catches.py`` shows
both on a small notebook).  Here the promise is checked on the lesson itself: every cell
of lesson 08 that lets a group out is tagged ``raises-exception``, and untagging those
cells makes validation fail on exactly them.  These tests execute the lesson (up to its
last such cell) in a kernel, twice: run them under the timing lock.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from notebook_tools import ROOT, run_nbval

LESSON = ROOT / "notebooks" / "08-errors-and-cancellation.ipynb"
GROUPS = ("ExceptionGroup", "BaseExceptionGroup")


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def lets_a_group_out(cell: nbformat.NotebookNode) -> bool:
    return any(out.get("ename") in GROUPS for out in cell.get("outputs", []))


def up_to_the_last_group(folder: Path, untag: bool) -> tuple[Path, list[int]]:
    """A copy of the lesson, cut after its last cell that lets a group out.

    Returns the copy and the indexes (among code cells, as nbval counts them) of the
    cells that let a group out; with ``untag`` their ``raises-exception`` tag is removed.
    """
    notebook = nbformat.read(LESSON, as_version=4)
    last = max(i for i, cell in enumerate(notebook.cells) if lets_a_group_out(cell))
    notebook.cells = notebook.cells[: last + 1]
    group_cells = [i for i, cell in enumerate(code_cells(notebook)) if lets_a_group_out(cell)]
    if untag:
        for index in group_cells:
            cell = code_cells(notebook)[index]
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "raises-exception"]
    path = folder / LESSON.name
    nbformat.write(notebook, path)
    return path, group_cells


def test_the_lesson_shows_exception_groups_only_in_tagged_cells() -> None:
    cells = code_cells(nbformat.read(LESSON, as_version=4))
    shown = [cell for cell in cells if lets_a_group_out(cell)]
    assert len(shown) >= 3  # a failing TaskGroup, a plain except, an except* that leaves some
    for cell in shown:
        assert "raises-exception" in cell.metadata.get("tags", []), cell.source


@pytest.mark.parametrize("untag", [False, True], ids=["as published", "tags removed"])
def test_an_untagged_exception_group_in_lesson_08_fails_validation(
    tmp_path: Path, untag: bool
) -> None:
    path, group_cells = up_to_the_last_group(tmp_path, untag)
    result = run_nbval(path)
    failed = sorted(int(n) for n in re.findall(r"FAILED \S*::Cell (\d+)", result.stdout))
    if not untag:
        assert result.returncode == 0, result.stdout
        return
    assert result.returncode == 1
    assert failed == group_cells, result.stdout
    assert "ExceptionGroup" in result.stdout
