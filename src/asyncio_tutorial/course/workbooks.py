"""Workbooks: the learner's exercise notebooks, generated from the solutions notebooks.

``solutions/NN-topic.ipynb`` is the one place an exercise's answer is written.  Answer
code sits between two marker lines (nbgrader's)::

    async def greet(name: str) -> str:
        \"\"\"Wait 0.1 s, then return a greeting.\"\"\"
        ### BEGIN SOLUTION
        await asyncio.sleep(0.1)
        return f"Hello, {name}!"
        ### END SOLUTION

``make exercises`` (``python -m asyncio_tutorial exercises``) writes
``exercises/workbook-NN-topic.ipynb`` from it: each marked region becomes a stub, indented
like the markers, that an untouched exercise reports as *not attempted*::

    async def greet(name: str) -> str:
        \"\"\"Wait 0.1 s, then return a greeting.\"\"\"
        # Your code here
        raise NotImplementedError

Everything else is copied, except that outputs and execution counts are cleared and
markdown cells tagged ``solutions-only`` are left out.  Markers go inside a function
body (keep the ``def`` line and the docstring outside them): a stub at the top level
of a cell would stop *Run All*.  The output is the same bytes on every run, so a test
can tell when a committed workbook is out of date.

A learner's answers are never overwritten.  When a workbook in ``exercises/`` holds
answers (a stub replaced by code), regenerating it carries each answer over into the
new workbook (see :func:`carry_answers`), and the learner's file as it was is kept in
``backups/``.  ``python -m asyncio_tutorial update`` does the same after fetching a new
version of the course.

A workbook's file name starts with ``workbook-`` (:func:`workbook_name`) so that a
lesson and its workbook, open side by side in JupyterLab, have tabs that can be told
apart even when a long name is cut short.  Workbooks of course versions that named them
like their lessons (``exercises/NN-topic.ipynb``) are renamed by ``make exercises`` and
``make update``, answers and all (:func:`adopt_old_workbook`).
"""

from __future__ import annotations

import copy
import datetime
import re
import shutil
from pathlib import Path

from asyncio_tutorial.checkers.solutions import (  # the marks, shared with solution()
    BEGIN,
    END,
)
from asyncio_tutorial.course.quick_nbformat import nbformat

STUB = ("# Your code here", "raise NotImplementedError")
SOLUTIONS_ONLY_TAG = "solutions-only"


WORKBOOK_PREFIX = "workbook-"
_LESSON_FILE = re.compile(r"^(?:workbook-)?(?P<lesson>(?P<number>\d\d)-[^/]*)$")


def workbook_name(lesson_file: str) -> str:
    """``03-tasks.ipynb`` (a lesson's or a solutions notebook's name) -> its workbook's."""
    return WORKBOOK_PREFIX + lesson_name(lesson_file)


def lesson_name(file_name: str) -> str:
    """``workbook-03-tasks.ipynb`` (or an older ``03-tasks.ipynb``) -> ``03-tasks.ipynb``."""
    match = _LESSON_FILE.match(file_name)
    return match["lesson"] if match else file_name


def lesson_number(file_name: str) -> str | None:
    """``"03"`` for a lesson, solutions notebook or workbook of lesson 03; else None."""
    match = _LESSON_FILE.match(file_name)
    return match["number"] if match else None


class MarkerError(ValueError):
    """Solution markers that do not pair up, or sit where a stub cannot go."""


def stub_out(source: str, where: str = "cell") -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region with a stub."""
    lines = source.split("\n")
    result: list[str] = []
    begin_line: int | None = None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line is not None:
                raise MarkerError(f"{where}, line {number}: {BEGIN} inside another one")
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                raise MarkerError(
                    f"{where}, line {number}: put {BEGIN} inside a function body; a stub "
                    "at the top level of a cell would raise as soon as the cell runs"
                )
            result.extend(indent + text for text in STUB)
            begin_line = number
        elif marker == END:
            if begin_line is None:
                raise MarkerError(f"{where}, line {number}: {END} without {BEGIN}")
            begin_line = None
        elif begin_line is None:
            result.append(line)
    if begin_line is not None:
        raise MarkerError(f"{where}, line {begin_line}: {BEGIN} is never ended")
    return "\n".join(result)


def make_workbook(
    solutions: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """The workbook for a solutions notebook (which is left unchanged)."""
    workbook = copy.deepcopy(solutions)
    cells = []
    for index, cell in enumerate(workbook.cells):
        if SOLUTIONS_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = stub_out(cell.source, where=f"{name}, cell {index + 1}")
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    workbook.cells = cells
    return workbook


def render(solutions_path: Path) -> str:
    """The text of the workbook for ``solutions_path``, exactly as it is written to disk."""
    solutions = nbformat.read(solutions_path, as_version=4)
    workbook = make_workbook(solutions, name=str(solutions_path))
    nbformat.validate(workbook)
    text = nbformat.writes(workbook)
    return text + ("" if text.endswith("\n") else "\n")  # as nbformat.write does


def generate(solutions_path: Path, workbook_path: Path) -> bool:
    """Write the workbook for ``solutions_path``; return whether the file changed.

    If the workbook already there holds a learner's answers, they are carried over into
    the new one and the old file is kept in ``backups/`` (see :func:`keep_answers`).
    """
    text = render(solutions_path)
    old = workbook_path.read_text(encoding="utf-8") if workbook_path.exists() else None
    if text == old:
        return False
    if old is not None:
        text = keep_answers(workbook_path, text) or text
        if text == old:
            return False
    workbook_path.parent.mkdir(parents=True, exist_ok=True)
    workbook_path.write_text(text, encoding="utf-8")
    return True


def is_stub(source: str) -> bool:
    """Whether a cell still holds an untouched stub (its ``raise NotImplementedError``)."""
    return any(line.strip() == STUB[1] for line in source.split("\n"))


def defined_names(source: str) -> list[str]:
    """The functions and classes a cell defines at its top level, in order."""
    return re.findall(r"^(?:async\s+def|def|class)\s+(\w+)", source, re.MULTILINE)


def carry_answers(
    old: nbformat.NotebookNode, new: nbformat.NotebookNode
) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of the workbook ``new`` with the learner's answers from ``old`` put back.

    An answer cell is one that holds a stub in ``new``; its answer in ``old`` is the cell
    defining the same function or class, if the learner replaced the stub there.  Returns
    the merged workbook and the names of the answers carried over.
    """
    answered: dict[str, str] = {}
    for cell in old.cells:
        if cell.cell_type == "code" and not is_stub(cell.source):
            for name in defined_names(cell.source):
                answered.setdefault(name, cell.source)
    merged = copy.deepcopy(new)
    carried = []
    for cell in merged.cells:
        if cell.cell_type != "code" or not is_stub(cell.source):
            continue
        names = [name for name in defined_names(cell.source) if name in answered]
        if names:
            cell.source = answered[names[0]]
            carried.append(names[0])
    return merged, carried


def backup(path: Path, root: Path | None = None) -> Path:
    """Copy ``path`` into ``backups/`` (beside the course's folders), stamped with the time."""
    root = root or path.resolve().parent.parent
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    target = root / "backups" / stamp / path.parent.name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)
    return target


def keep_answers(workbook_path: Path, new_text: str) -> str | None:
    """``new_text`` with the answers of the workbook at ``workbook_path`` carried over.

    None if that workbook holds no answers.  When it does, it is first copied to
    ``backups/`` and a line says what was kept.  If nothing but the answers differs (the
    course did not change), the workbook's own text comes back: nothing to write.
    """
    old_text = workbook_path.read_text(encoding="utf-8")
    old = nbformat.reads(old_text, as_version=4)
    merged, carried = carry_answers(old, nbformat.reads(new_text, as_version=4))
    if not carried:
        return None
    if [(c.cell_type, c.source) for c in merged.cells] == [
        (c.cell_type, c.source) for c in old.cells
    ]:
        return old_text
    kept = backup(workbook_path)
    print(f"{workbook_path}: kept your answers ({', '.join(carried)}); the file as it was: {kept}")
    text = nbformat.writes(merged)
    return text + ("" if text.endswith("\n") else "\n")


def generate_all(solutions_folder: Path, exercises_folder: Path) -> list[tuple[Path, bool]]:
    """Write a workbook for every notebook in ``solutions_folder``; (path, changed) pairs."""
    if not solutions_folder.is_dir():
        raise FileNotFoundError(
            f"no folder {solutions_folder}: run this from the course's top folder, "
            "or say where the solutions are with --solutions"
        )
    done = []
    for path in sorted(solutions_folder.glob("*.ipynb")):
        target = exercises_folder / workbook_name(path.name)
        adopt_old_workbook(exercises_folder / lesson_name(path.name), target)
        done.append((target, generate(path, target)))
    return done


def adopt_old_workbook(old_path: Path, workbook_path: Path) -> bool:
    """Move a workbook named as older course versions named it to its current name.

    ``exercises/03-tasks.ipynb`` becomes ``exercises/workbook-03-tasks.ipynb`` (when no
    file has that name yet), so that the learner's answers in it are carried over into
    the new workbook by :func:`generate` as usual.  A copy of the old file is kept in
    ``backups/`` first.  Returns whether a file was moved.
    """
    if old_path == workbook_path or not old_path.is_file():
        return False
    if workbook_path.exists():
        print(
            f"{old_path.parent.name}/{old_path.name} is a workbook of an older version of "
            f"the course, left as it is: {workbook_path.name} is the current one"
        )
        return False
    kept = backup(old_path)
    old_path.rename(workbook_path)
    print(
        f"{old_path.parent.name}/{old_path.name} is now called {workbook_path.name} "
        f"(a copy of the file as it was: {kept})"
    )
    return True
