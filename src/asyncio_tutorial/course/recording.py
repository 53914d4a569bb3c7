"""Authoring: execute notebooks in place so their recorded outputs are real ones.

``make record`` (``python -m asyncio_tutorial record``) runs here.  Each notebook is
executed top to bottom in a fresh kernel, in its own folder, by the same interpreter as
this command, exactly as validation will re-execute it.  A cell that raises without
the ``raises-exception`` tag stops the recording with an error: outputs are never
written from a run that went wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from asyncio_tutorial.course.quick_nbformat import nbformat

KERNEL_NAME = "python3"

# How long one cell may run before nbclient interrupts it, in seconds: the course's two
# cell timeouts, side by side.  A lesson's cell takes at most a few seconds (its Run All
# at most 45), so 120 s is room for a slow machine, never a limit a lesson meets.  A
# workbook's cell is the learner's: a check cell ends within its exercise's time limit
# (checkers.core.TIME_LIMIT, three runs at the most), but a cell the learner wrote may
# wait for ever, and ``progress`` interrupts it after a minute and goes on.
CELL_TIMEOUT = 120
WORKBOOK_CELL_TIMEOUT = 60


def find_notebooks(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """The notebooks named by ``paths`` (files, or folders searched one level deep)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(path.glob("*.ipynb")))
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        else:
            raise FileNotFoundError(
                f"{path} is neither a notebook nor a folder: give one such as "
                "exercises/workbook-01-coroutines.ipynb, or run this from the course's top folder"
            )
    return found


def execute(
    notebook: nbformat.NotebookNode,
    folder: str | os.PathLike[str],
    *,
    allow_errors: bool = False,
    timeout: int = CELL_TIMEOUT,
) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in a fresh kernel with ``folder`` as working folder.

    With ``allow_errors=False`` the first cell that raises without the
    ``raises-exception`` tag stops the run with nbclient's ``CellExecutionError``; with
    ``True`` every cell runs and errors stay in the outputs.  A cell running longer
    than ``timeout`` seconds is interrupted.
    """
    from nbclient import NotebookClient

    from asyncio_tutorial.course.kernels import AsyncUnixSocketKernelManager

    client = NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        kernel_manager_class=AsyncUnixSocketKernelManager,  # no TCP port to lose: kernels.py
        timeout=timeout,
        interrupt_on_timeout=True,
        allow_errors=allow_errors,
        record_timing=False,  # no timestamps in the metadata: clean diffs
        resources={"metadata": {"path": str(folder)}},
    )
    # The kernel process's own start-up chatter (not the cells' output) is only noise.
    client.execute(stderr=subprocess.DEVNULL)
    return notebook


def merge_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Join consecutive pieces of the same stream into one output.

    The kernel sends printed text in chunks whose boundaries depend on timing, so two
    recordings of the same cell would differ in how their text is split while saying
    exactly the same thing.  Joining the pieces keeps re-recorded files free of such
    noise; validation compares the joined text anyway.
    """
    merged: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def record(path: Path) -> Path:
    """Execute the notebook at ``path`` and write it back with its fresh outputs."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    execute(notebook, path.parent.resolve())
    # The kernel notes its exact Python version here; leaving it out means recording on
    # another supported Python changes nothing but outputs (which must not change).
    notebook.metadata.get("language_info", {}).pop("version", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return path


LEDGER = ".recordings.json"
"""The file, at the course's top (git ignores it), where ``make record`` notes what it
wrote: each notebook's path and the SHA-256 of the file it saved.  ``published`` asks it
whether a lesson that differs from the committed one is a fresh recording (an author's,
to be validated) or a learner's run (left out): nothing in a notebook tells them apart,
since the course's kernels leave the Python version out of both."""


def note_recording(path: Path) -> None:
    """Note in the course's ledger that ``path`` holds what ``make record`` wrote."""
    path = path.resolve()
    root = path.parents[1]  # notebooks/NN-topic.ipynb -> the course's top
    ledger = root / LEDGER
    known = json.loads(ledger.read_text()) if ledger.exists() else {}
    known[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    ledger.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


def recorded_here(root: Path, name: str, content: bytes) -> bool:
    """Whether ``content`` is what ``make record`` last wrote to ``name`` under ``root``."""
    ledger = root / LEDGER
    if not ledger.exists():
        return False
    try:
        known = json.loads(ledger.read_text())
    except ValueError:
        return False
    return known.get(name) == hashlib.sha256(content).hexdigest()


def record_all(paths: list[Path], workers: int | None = None) -> None:
    """Record several notebooks, ``workers`` at a time (default: one per core)."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) == 1:
        for path in paths:
            print(f"recording {path}", flush=True)
            note_recording(record(path))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {path: pool.submit(record, path) for path in paths}
        for path, future in futures.items():
            note_recording(future.result())
            print(f"recorded {path}", flush=True)


if __name__ == "__main__":  # pragma: no cover - convenience
    record_all(find_notebooks(sys.argv[1:]))
