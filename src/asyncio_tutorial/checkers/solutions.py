"""The worked answers, as the solutions notebooks mark them.

A solutions notebook marks each worked answer between two comment lines::

    ### BEGIN SOLUTION
    async def greet(name): ...
    ### END SOLUTION

An exercise's ``solution()`` shows the marked cell that defines its answer, markers
removed (:func:`solution_source`); the course's tools make workbooks from the same
marks (:mod:`asyncio_tutorial.course.workbooks`).  Plain JSON is read here, so that
showing a worked answer needs nothing the checks do not already import.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


def without_markers(source: str) -> str:
    """The answer as a learner should read it: the marker lines taken out."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def has_solution(source: str) -> bool:
    """Whether a cell holds a marked answer."""
    return any(line.strip() == BEGIN for line in source.split("\n"))


def solution_source(notebook_path: Path, answer: str) -> str:
    """The worked answer defining ``answer`` in a solutions notebook, markers removed.

    It is the code cell with solution markers that defines ``answer``
    (``def answer(``, ``async def answer(`` or ``class answer``).
    """
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    defines = re.compile(rf"^\s*(async\s+def|def|class)\s+{re.escape(answer)}\b", re.MULTILINE)
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "code" and has_solution(source) and defines.search(source):
            return without_markers(source)
    raise LookupError(f"{notebook_path} has no marked answer cell that defines {answer}")
