"""A workbook handed in, read with care and put together for checking.

``check`` and ``progress`` (and an instructor's grading) run a learner's workbook.  The
file may be anything: half-written, truncated by a crashed upload, a lesson instead of a
workbook, or an answer that tries to make its own checks pass.  This module decides what
is run, and how to tell that the checking was not interfered with:

* :func:`read` refuses, with a reason a learner can act on, what is not a workbook of
  this course: an empty, huge or broken file, a lesson, a notebook of worked answers;
* :func:`assemble` takes **only the answer cells** from it, the cells that define the
  exercises' answers, and puts them into the workbook as the course publishes it (made
  from ``solutions/`` the way ``make exercises`` makes it): check cells, imports and
  anything else a learner added or changed are the course's own again;
* :func:`screen` reads each answer cell's code, without running it, for what no answer
  needs: importing the course's modules, changing the exercises or the objects the
  workbook imports, ``builtins`` or ``sys.modules``, printing a verdict;
* :func:`fingerprint` is a digest of the checking code as it stands in a process.  The
  kernel prints it after the answers ran, and the checking side compares it with its own:
  an answer that replaced a check, or the course's functions, or a builtin, changes it.

An answer flagged by either is reported as *tampered*, for a person to look at, never as
passing.  (Code that runs in the same process as its checker can always hide from a
determined search; these catch the ways that are easy to write, and name them.)
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import importlib
import json
import pkgutil
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import nbformat

MAX_BYTES = 10 * 2**20
"""The largest workbook read (10 MiB; a workbook with outputs is well under 1 MiB)."""

TAMPERED = "tampered"
"""The status of an exercise whose checking was interfered with, or may have been."""

CHECKING_MODULES = (
    "asyncio_tutorial.checkers",
    "asyncio_tutorial.checkers.core",
    "asyncio_tutorial.checkers.diagnose",
    "asyncio_tutorial.checkers.held",
    "asyncio_tutorial.checkers.runner",
    "asyncio_tutorial.checkers.scenario",
    "asyncio_tutorial.course.progress",
    "asyncio_tutorial.course.submissions",
)
"""The modules whose code decides and reports a verdict, for every lesson."""

TRUSTED_BUILTINS = (
    "print", "isinstance", "issubclass", "type", "getattr", "setattr", "hasattr", "len",
    "id", "repr", "str", "open", "__import__", "compile", "exec", "eval", "sorted", "vars",
)  # fmt: skip
"""Builtins a verdict depends on; each must still be Python's own."""

VERDICT_WORDS = ("asyncio-tutorial-progress", "✓ Correct", "✓ correct")
"""Text no answer prints: the report's marker and the verdict's words."""


class BadWorkbook(Exception):
    """A file that cannot be checked as a workbook; ``reason`` names why in a word or two."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Submission:
    """A workbook put together for checking."""

    path: Path
    lesson: str
    notebook: nbformat.NotebookNode
    """The published workbook with the learner's answer cells in it."""
    answered: list[str] = field(default_factory=list)
    """The answers taken from the learner's file."""
    flagged: dict[str, list[str]] = field(default_factory=dict)
    """Answer name: what :func:`screen` found in its cell."""
    dropped: int = 0
    """How many of the learner's code cells were not answers, and were left out."""


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or :class:`BadWorkbook` saying why it cannot be one."""
    from asyncio_tutorial.course.quick_nbformat import nbformat

    try:
        size = path.stat().st_size
    except OSError as error:
        raise BadWorkbook("unreadable", f"cannot read {path}: {error.strerror}") from None
    if size == 0:
        raise BadWorkbook("empty", f"{path.name} is empty (0 bytes): save the workbook again")
    if size > MAX_BYTES:
        raise BadWorkbook(
            "too large",
            f"{path.name} is {size / 2**20:.0f} MiB; a workbook is well under 1 MiB "
            "(clear the outputs: Edit > Clear Outputs of All Cells, then save)",
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadWorkbook("unreadable", f"{path.name} is not UTF-8 text: {error}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise BadWorkbook(
            "not a notebook",
            f"{path.name} is not a notebook: its JSON breaks off or is broken at line "
            f"{error.lineno}, column {error.colno} ({error.msg}). Was it saved completely? "
            "JupyterLab's File > Revert Notebook to Checkpoint may give back the last good copy.",
        ) from None
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat's validation errors have no common base
        raise BadWorkbook(
            "not a notebook", f"{path.name} is JSON but not a notebook: {str(error)[:200]}"
        ) from None
    return notebook


def lesson_of(path: Path, notebook: nbformat.NotebookNode) -> str:
    """The lesson a workbook belongs to (``"06"``), or :class:`BadWorkbook`.

    From the file name where it says (``workbook-06-….ipynb``, or an older course's
    ``06-….ipynb``), otherwise from the checkers its cells import.
    """
    from asyncio_tutorial.checkers.solutions import has_solution
    from asyncio_tutorial.course.workbooks import lesson_number

    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    if any(has_solution(source) for source in code):
        raise BadWorkbook(
            "worked answers",
            f"{path.name} is a notebook of worked answers (solutions/), not a workbook: "
            "check your own workbook, in exercises/",
        )
    imported = sorted(
        set(re.findall(r"asyncio_tutorial\.checkers\.lesson(\d\d)\b", "\n".join(code)))
    )
    if not imported:
        kind = "a lesson" if any("%load_ext asyncio_tutorial" in s for s in code) else "other"
        raise BadWorkbook(
            "not a workbook",
            f"{path.name} has no exercises: it is "
            + ("a lesson, " if kind == "a lesson" else "not a workbook of this course, ")
            + "and workbooks are the files in exercises/, named workbook-NN-topic.ipynb",
        )
    named = lesson_number(path.name)
    return named if named in imported else imported[0]


def published_workbook(lesson: str) -> nbformat.NotebookNode:
    """Lesson ``lesson``'s workbook as the course publishes it, made from its solutions."""
    from asyncio_tutorial.checkers.core import find_solutions_notebook
    from asyncio_tutorial.course.quick_nbformat import nbformat
    from asyncio_tutorial.course.workbooks import make_workbook

    solutions = find_solutions_notebook(lesson)
    if solutions is None:
        raise BadWorkbook("unknown lesson", f"no lesson {lesson} in this course")
    return make_workbook(nbformat.read(solutions, as_version=4), name=str(solutions))


def assemble(path: Path) -> Submission:
    """The published workbook of ``path``'s lesson, with the answers ``path`` holds.

    An answer is the learner's code cell that defines an exercise's answer (the first
    one, as ``make update`` carries answers over); every other cell is the course's.
    """
    from asyncio_tutorial.course.workbooks import carry_answers, defined_names, is_stub

    learner = read(path)
    lesson = lesson_of(path, learner)
    published = published_workbook(lesson)
    merged, answered = carry_answers(learner, published)
    course_names = imported_names(published)
    submission = Submission(path, lesson, merged, answered)
    for cell, stub in zip(merged.cells, published.cells, strict=True):
        names = defined_names(cell.source) if cell.cell_type == "code" else []
        if names and names[0] in answered:
            # What the course's own cell does (an import beside the stub, say) is fine.
            ours = set(screen(stub.source, course_names))
            found = [each for each in screen(cell.source, course_names) if each not in ours]
            if found:
                submission.flagged[names[0]] = found
    taken = {cell.source for cell in merged.cells}
    submission.dropped = sum(
        cell.cell_type == "code"
        and cell.source.strip()
        and cell.source not in taken
        and not is_stub(cell.source)
        for cell in learner.cells
    )
    return submission


def imported_names(workbook: nbformat.NotebookNode) -> set[str]:
    """The names a workbook's own cells import from the course (``ex1``, ``Account``…)."""
    names = {"asyncio_tutorial"}
    for cell in workbook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "asyncio_tutorial"
            ):
                names.update(alias.asname or alias.name for alias in node.names)
    return names


_GUARDED = {"builtins", "__builtins__", "sys", "asyncio_tutorial"}


def screen(source: str, course_names: set[str]) -> list[str]:
    """What an answer cell does that no answer needs, in words (empty: nothing found)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # running it reports the error
    guarded = course_names | _GUARDED
    found: list[str] = []

    def names_in(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
            found += [f"imports {m}" for m in modules if m.startswith("asyncio_tutorial")]
            if isinstance(node, ast.ImportFrom) and node.module == "builtins":
                found.append("imports from builtins")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in course_names:
                    found.append(f"replaces {target.id}")
                elif isinstance(target, ast.Attribute | ast.Subscript):
                    if names_in(target.value) & guarded:
                        found.append(f"changes {ast.unparse(target)}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name in course_names:
                found.append(f"replaces {node.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("setattr", "delattr") and node.args:
                if names_in(node.args[0]) & guarded:
                    found.append(f"calls {node.func.id} on {ast.unparse(node.args[0])}")
            elif node.func.id in ("__import__",) or (
                node.func.id == "getattr" and node.args and names_in(node.args[0]) & _GUARDED
            ):
                found.append(f"calls {ast.unparse(node.func)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"writes {word!r}" for word in VERDICT_WORDS if word in node.value]
        elif isinstance(node, ast.Global):
            found += [f"rebinds {name}" for name in node.names if name in course_names]
    return list(dict.fromkeys(found))


def checking_modules(lesson: str) -> list[str]:
    """The modules that check lesson ``lesson``'s exercises, and report on them."""
    names = list(CHECKING_MODULES)
    package = f"asyncio_tutorial.checkers.lesson{lesson}"
    names.append(package)
    module = importlib.import_module(package)
    if hasattr(module, "__path__"):
        names += [f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__)]
    return names


def fingerprint(lesson: str) -> str:
    """A digest of the checking code of lesson ``lesson`` as it stands in this process.

    Every function, method and exercise of :func:`checking_modules` (the code of each,
    compiled), and whether the :data:`TRUSTED_BUILTINS` are still Python's own.  Two
    processes that imported the same files get the same digest; a process where an
    answer replaced any of them gets another.
    """
    digest = hashlib.sha256()
    for name in checking_modules(lesson):
        module = importlib.import_module(name)
        for attribute, value in sorted(vars(module).items()):
            for where, code in _codes(value, f"{name}.{attribute}", module):
                digest.update(where.encode())
                digest.update(code)
    for name in TRUSTED_BUILTINS:
        value = getattr(builtins, name, None)
        own = isinstance(value, types.BuiltinFunctionType | type) and (
            getattr(value, "__module__", "builtins") == "builtins"
        )
        digest.update(f"{name}:{own}".encode())
    digest.update(str(sys.modules.get("builtins") is builtins).encode())
    return digest.hexdigest()


def _codes(value: Any, where: str, module: types.ModuleType) -> list[tuple[str, bytes]]:
    """``(where, compiled code)`` for a function, a class's methods or an exercise."""
    from asyncio_tutorial.checkers.core import Exercise

    if isinstance(value, types.FunctionType):
        return [(where, _code_bytes(value.__code__))]
    if isinstance(value, type) and value.__module__ == module.__name__:
        found = []
        for name, member in sorted(vars(value).items()):
            function = getattr(member, "__func__", member)
            if isinstance(member, property):
                function = member.fget
            if isinstance(function, types.FunctionType):
                found.append((f"{where}.{name}", _code_bytes(function.__code__)))
        return found
    if isinstance(value, Exercise):
        found = [(f"{where}:type", type(value).__qualname__.encode())]
        for name, member in sorted(vars(value).items()):
            if callable(member):
                code = getattr(member, "__code__", None)
                body = _code_bytes(code) if code is not None else repr(type(member)).encode()
                found.append((f"{where}.{name}", body))
        return found
    return []


def _code_bytes(code: types.CodeType) -> bytes:
    """What a code object computes, as bytes that are the same in every process.

    Not ``marshal.dumps``: its output depends on reference counts, which running the
    code changes.  The bytecode, names and constants (code in them too) are enough.
    """
    parts = [code.co_code, repr((code.co_names, code.co_varnames, code.co_freevars)).encode()]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            parts.append(_code_bytes(constant))
        elif isinstance(constant, frozenset):  # its order varies with string hashing
            parts.append(repr(sorted(map(repr, constant))).encode())
        else:
            parts.append(repr(constant).encode())
    return b"\0".join(parts)
