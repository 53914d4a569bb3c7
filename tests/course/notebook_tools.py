"""Helpers for tests that build small notebooks and validate them with nbval."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
SANITIZE = ROOT / "tests" / "sanitize.cfg"


def make_notebook(path: Path, *cells: str | tuple[str, list[str]]) -> Path:
    """Write a notebook of code cells; a ``(source, tags)`` pair gives a cell tags."""
    notebook = new_notebook(cells=[new_markdown_cell("# fixture")])
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        code = new_code_cell(source)
        if tags:
            code.metadata["tags"] = tags
        notebook.cells.append(code)
    notebook.metadata.kernelspec = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def replace_in_source(path: Path, old: str, new: str) -> None:
    """Edit the code of a notebook (not its outputs), as an author would."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace(old, new)
    nbformat.write(notebook, path)


def run_nbval(path: Path) -> subprocess.CompletedProcess[str]:
    """Validate one notebook the way the README's test command does."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "asyncio_tutorial.course.kernels",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(SANITIZE),
            str(path),
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )
