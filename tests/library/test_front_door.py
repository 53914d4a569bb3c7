"""The package's front door: what it exports stays exported, and lessons import only the
modules it names as theirs (the rest is machinery, free to change)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import nbformat

import asyncio_tutorial

ROOT = Path(__file__).resolve().parents[2]
CHECKER_MODULE = re.compile(r"asyncio_tutorial\.checkers\.lesson\d\d$")


def test_everything_the_front_door_exports_is_there() -> None:
    for name in asyncio_tutorial.__all__:
        assert callable(getattr(asyncio_tutorial, name)), name


def test_the_lesson_modules_exist() -> None:
    for module in asyncio_tutorial.LESSON_MODULES:
        importlib.import_module(module)


def test_the_front_door_names_every_module_of_the_package() -> None:
    doc = asyncio_tutorial.__doc__ or ""
    for module in pkgutil.iter_modules(asyncio_tutorial.__path__):
        if module.name != "__main__":
            assert f"asyncio_tutorial.{module.name}" in doc, module.name


def imported_modules(source: str) -> set[str]:
    """The asyncio_tutorial modules a cell imports (a submodule imported by name counts)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with magics: its Python lines are enough
        lines = [line for line in source.splitlines() if not line.lstrip().startswith("%")]
        tree = ast.parse("\n".join(lines))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("asyncio_tutorial"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "asyncio_tutorial"
        ):
            assert node.module is not None
            found.add(node.module)
            if node.module == "asyncio_tutorial":  # ``from asyncio_tutorial import versions``
                names = (f"asyncio_tutorial.{alias.name}" for alias in node.names)
                found.update(name for name in names if _is_module(name))
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_lessons_and_workbooks_import_only_the_lesson_modules() -> None:
    allowed = set(asyncio_tutorial.LESSON_MODULES)
    for folder in ("notebooks", "solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = nbformat.read(path, as_version=4).cells
            for cell in cells:
                if cell.cell_type != "code" or "asyncio_tutorial" not in cell.source:
                    continue
                for module in imported_modules(cell.source):
                    assert module in allowed or CHECKER_MODULE.match(module), (
                        f"{folder}/{path.name} imports {module}, which is machinery: add it "
                        "to LESSON_MODULES (and the front door's list) if lessons need it"
                    )
