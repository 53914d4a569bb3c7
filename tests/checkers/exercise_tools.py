"""Load the exercises' worked answers and stubs from the notebooks themselves.

The worked answers live in ``solutions/NN-topic.ipynb`` and the stubs in the generated
``exercises/workbook-NN-topic.ipynb``: tests run exactly those, never copies kept here.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def definitions(notebook: Path) -> dict[str, Any]:
    """Run a notebook's code cells, except magics and checks, and return what they define."""
    namespace: dict[str, Any] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and not cell.source.startswith("%"):
            if ".check(" not in cell.source:
                exec(compile(cell.source, str(notebook), "exec"), namespace)
    return namespace


def worked(lesson: str) -> dict[str, Any]:
    """What ``solutions/<lesson>.ipynb`` defines, e.g. ``worked("01-coroutines")["greet"]``."""
    return definitions(ROOT / "solutions" / f"{lesson}.ipynb")


def stubs(lesson: str) -> dict[str, Any]:
    """What the learner's workbook ``exercises/workbook-<lesson>.ipynb`` defines unedited."""
    return definitions(ROOT / "exercises" / f"workbook-{lesson}.ipynb")


def lessons_with_exercises() -> list[str]:
    """``["01-coroutines", ...]``: every lesson that has a solutions notebook."""
    return [path.stem for path in sorted((ROOT / "solutions").glob("*.ipynb"))]


def checkers(lesson: str) -> ModuleType:
    """The checker module of a lesson, e.g. ``asyncio_tutorial.checkers.lesson01``."""
    return importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson[:2]}")


MEASURED = re.compile(r"\{(\d+\.\d)\}")


def says_measured(message: str, text: str, late: float = 0.2) -> bool:
    """Whether ``message`` holds ``text``, whose ``{0.4}`` is a duration the check measured.

    A right answer's message gives what the check measured, cut to the tenth
    (``diagnose.took``): the planned ``0.4`` on a machine that kept up, ``0.5`` when the
    loop's wake-ups came 0.1 s late in all (six test processes on two cores do that now
    and then).  A figure in braces may read up to ``late`` seconds more than written, never
    less; the rest of ``text`` must be there as written.
    """

    def figure(match: re.Match[str]) -> str:
        planned = round(float(match.group(1)) * 10)
        allowed = range(planned, planned + round(late * 10) + 1)
        return "(?:" + "|".join(rf"{tenths / 10:.1f}" for tenths in allowed) + ")"

    pattern, end = "", 0
    for match in MEASURED.finditer(text):
        pattern += re.escape(text[end : match.start()]) + figure(match)
        end = match.end()
    pattern += re.escape(text[end:])
    return re.search(pattern, message) is not None
