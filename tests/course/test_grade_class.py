"""A class of some two hundred workbooks built from the course, graded, each verdict checked.

``make grade-class`` (not part of ``make test``: it starts a kernel per workbook, some
minutes on two cores).  The learners are made from what the checkers' own tests hold:
every lesson's worked answers, its stubs, and its realistic wrong answers
(``tests/checkers/test_lessonNN.py``), dealt out so that each workbook holds one wrong
answer per exercise at most, the other exercises answered right or left as stubs; and
the bad and hostile files of ``test_grade``.  A wrong answer goes in only when its
function needs nothing the workbook does not have (its source is all there is in a
workbook's answer cell).  The CSV must give every exercise the verdict, and every wrong
answer the mistake, that the checkers' tests give it in-process; nothing is passed that
is not right.
"""

from __future__ import annotations

import ast
import builtins
import csv
import importlib
import inspect
import io
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_submissions import answered, lesson01_with

from asyncio_tutorial.course import cli, grade
from asyncio_tutorial.course.workbooks import defined_names

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "checkers"))
pytestmark = pytest.mark.grade_class

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))


def _imports(source: str) -> list[ast.stmt]:
    """The import statements at the top level of a cell."""
    try:
        return [n for n in ast.parse(source).body if isinstance(n, ast.Import | ast.ImportFrom)]
    except SyntaxError:
        return []


def _namespace_names(workbook: nbformat.NotebookNode, answers: set[str]) -> set[str]:
    """The names the workbook's cells that hold no answer import (an answer cell's own
    imports are kept with the wrong answer put in its place: see :func:`_cell_for`)."""
    names = set(dir(builtins))
    for cell in workbook.cells:
        if cell.cell_type != "code" or cell.source.startswith("%"):
            continue
        if set(defined_names(cell.source)) & answers:
            continue
        for node in _imports(cell.source):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _cell_for(worked_cell: str, answer_source: str) -> tuple[str, set[str]]:
    """A wrong answer's cell: the worked cell's own imports, then the wrong answer; and
    the names those imports give."""
    imports = _imports(worked_cell)
    names = {(a.asname or a.name).split(".")[0] for node in imports for a in node.names}
    lines = [ast.unparse(node) for node in imports]
    return "\n".join([*lines, answer_source]), names


def _self_contained(function: Any, available: set[str]) -> str | None:
    """The function's source if every global name it reads is ``available`` or a module
    (imported at the top of the cell, as a learner would), else None."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    if not source.lstrip().startswith(("def ", "async def ")):
        return None  # a decorated, nested or lambda answer: not one cell's worth
    tree = _unannotated(ast.parse(source))
    source = ast.unparse(tree)  # as a learner writes it: no type annotations
    (node,) = tree.body
    local = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    local |= {h.name for h in ast.walk(node) if isinstance(h, ast.ExceptHandler) and h.name}
    local |= {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    local |= {
        n.name
        for n in ast.walk(node)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    for imported in ast.walk(node):
        if isinstance(imported, ast.Import | ast.ImportFrom):
            local |= {(a.asname or a.name).split(".")[0] for a in imported.names}
    # a name declared ``global`` is the module's, even where the function assigns it
    declared = {name for g in ast.walk(node) if isinstance(g, ast.Global) for name in g.names}
    local -= declared
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    missing = (read | declared) - local - available
    modules = {name: function.__globals__.get(name) for name in missing - declared}
    if not all(inspect.ismodule(module) for module in modules.values()):
        return None
    flags = [_module_assignment(function, name) for name in sorted(declared - available)]
    if None in flags:
        return None
    imports = [
        f"import {module.__name__}" + (f" as {name}" if module.__name__ != name else "")
        for name, module in sorted(modules.items())
    ]
    imports += sorted(_submodules_used(node, function.__globals__) - set(imports))
    return "\n".join([*imports, *flags, source])  # type: ignore[list-item]


def _module_assignment(function: Any, name: str) -> str | None:
    """``name = ...`` as the function's module first assigns it (a module-level flag the
    function declares ``global``), or None if it has no such line."""
    module = ast.parse(inspect.getsource(inspect.getmodule(function)))
    for statement in module.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if statement.value is None:
                    return None
                return f"{name} = {ast.unparse(statement.value)}"
    return None


def _submodules_used(node: ast.AST, namespace: dict[str, Any]) -> set[str]:
    """``import unittest.mock`` for ``unittest.mock.patch(...)``: a submodule reached by
    attribute is importable only once imported (the test module had imported it)."""
    found = set()
    for attribute in ast.walk(node):
        chain: list[str] = []
        while isinstance(attribute, ast.Attribute):
            chain.insert(0, attribute.attr)
            attribute = attribute.value
        if not chain or not isinstance(attribute, ast.Name):
            continue
        top = namespace.get(attribute.id)
        if not inspect.ismodule(top):
            continue
        for depth in range(len(chain), 0, -1):
            dotted = ".".join([top.__name__, *chain[:depth]])
            if dotted in sys.modules and inspect.ismodule(sys.modules[dotted]):
                if top.__name__ == attribute.id:
                    found.add(f"import {dotted}")
                break
    return found


def _unannotated(tree: ast.Module) -> ast.Module:
    """``tree`` without its type annotations (the tests' answers have them, for mypy)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                setattr(
                    node,
                    name,
                    [
                        ast.Assign([item.target], item.value, lineno=item.lineno)
                        if isinstance(item, ast.AnnAssign) and item.value is not None
                        else item
                        for item in value
                    ],
                )
    return ast.fix_missing_locations(tree)


def _renamed(source: str, old: str, new: str) -> str:
    """``source`` with its function renamed ``new`` (calls to itself too)."""
    tree = ast.parse(source)  # (its imports first, then the function)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == old:
            node.name = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return ast.unparse(tree)


def build_class(folder: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Write the class into ``folder``; return ``(learner, lesson, exercise)``: the expected
    ``(status, mistake)`` for every exercise of every workbook."""
    expected: dict[tuple[str, str, str], tuple[str, str]] = {}
    learner = 0
    for solutions in SOLUTIONS:
        lesson = solutions.name[:2]
        module = importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson}")
        tests = importlib.import_module(f"test_lesson{lesson}")
        worked = answered(solutions)
        answers = {e.answer for e in module.EXERCISES}
        available = _namespace_names(worked, answers)
        queues: dict[str, list[tuple[str, str]]] = {}
        for exercise, wrongs in tests.WRONG_ANSWERS.items():
            (worked_cell,) = [
                c.source
                for c in worked.cells
                if c.cell_type == "code" and exercise.answer in defined_names(c.source)
            ]
            usable = []
            for answer, mistake in wrongs:
                cell, names = _cell_for(worked_cell, "")
                source = _self_contained(answer, available | names)
                if source is not None:
                    renamed = _renamed(source, answer.__name__, exercise.answer)
                    usable.append((_cell_for(worked_cell, renamed)[0], mistake))
            queues[exercise.name] = usable
        exercises = {e.name: e for e in module.EXERCISES}
        rounds = max((len(q) for q in queues.values()), default=0)
        for index in range(-2, rounds):  # two more: all worked answers, all stubs
            notebook = answered(solutions)
            for name, exercise in exercises.items():
                cell = next(
                    c
                    for c in notebook.cells
                    if c.cell_type == "code" and exercise.answer in defined_names(c.source)
                )
                key = (f"learner{learner:03d}", lesson, name)
                if index == -2:
                    expected[key] = ("passed", "")
                elif index == -1:
                    stub = nbformat.read(
                        ROOT / "exercises" / f"workbook-{solutions.name}", as_version=4
                    )
                    (stub_cell,) = [
                        c
                        for c in stub.cells
                        if c.cell_type == "code" and exercise.answer in defined_names(c.source)
                    ]
                    cell.source = stub_cell.source
                    expected[key] = ("not attempted", "")
                elif index < len(queues.get(name, [])):
                    source, mistake = queues[name][index]
                    cell.source = source
                    expected[key] = ("wrong", mistake)
                else:
                    expected[key] = ("passed", "")
            mine = folder / f"learner{learner:03d}"
            mine.mkdir(parents=True)
            nbformat.write(notebook, mine / f"workbook-{solutions.name}")
            learner += 1
    return expected


def test_a_class_of_two_hundred_gets_the_verdict_every_answer_deserves(tmp_path: Path) -> None:
    handed = tmp_path / "class"
    expected = build_class(handed)
    hostile = {
        "tampers": "import sys\ncore = sys.modules['asyncio_tutorial.checkers.core']\n"
        "setattr(core.Exercise, 'evaluate', lambda self, a: core.Result(core.CORRECT, 'ok'))",
        "exits": "import os\nos._exit(0)",
        "prints a verdict": "print('✓ Correct')",
    }
    for name, change in hostile.items():
        (handed / name).mkdir()
        lesson01_with(handed / name, change)
    (handed / "cut").mkdir()
    (handed / "cut" / "workbook-01-coroutines.ipynb").write_text('{"cells": [', encoding="utf-8")
    (handed / "lesson").mkdir()
    shutil.copy(ROOT / "notebooks" / "01-coroutines.ipynb", handed / "lesson")
    files = len(list(handed.rglob("*.ipynb")))
    assert files >= 200, files

    out = tmp_path / "grades"
    assert cli.main(["grade", str(handed), "--out", str(out), "--time-limit", "300"]) == 0
    rows = list(csv.DictReader(io.StringIO((out / grade.CSV_NAME).read_text(encoding="utf-8"))))
    got = {
        (r["learner"], r["lesson"], r["exercise"]): (r["status"], r["mistake"])
        for r in rows
        if r["exercise"] not in ("", "total")
    }
    wrong_verdicts = {
        key: (got.get(key), want) for key, want in expected.items() if got.get(key) != want
    }
    assert not wrong_verdicts, f"{len(wrong_verdicts)} of {len(expected)}: {wrong_verdicts}"
    by_learner = {r["learner"]: r for r in rows if r["exercise"] == "total"}
    assert by_learner["tampers"]["status"] == "0/4 passed"
    assert by_learner["exits"]["status"] == "0/4 passed"
    assert by_learner["prints a verdict"]["status"] == "3/4 passed"
    assert by_learner["cut"]["status"] == by_learner["lesson"]["status"] == "0/0 passed"
    # nothing passed that is not right: every pass is an expected pass
    passes = {key for key, (status, _) in got.items() if status == "passed"}
    assert passes <= {key for key, want in expected.items() if want[0] == "passed"} | {
        ("prints a verdict", "01", f"ex{n}") for n in (2, 3, 4)
    }
