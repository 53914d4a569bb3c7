"""The course as published, apart from a learner's work: what ``make test`` validates.

A course folder that has been used holds more than the course: JupyterLab's
``.ipynb_checkpoints/``, lessons a learner ran and saved (their own outputs, execution
counts in the order they ran cells), workbooks with answers, notebooks of their own
(``Untitled.ipynb``).  Validating those would test the learner, not the course, and
fail.  So ``make test`` copies the course into a separate folder first, with
``python -m asyncio_tutorial published DIR``, and validates the copy.

What goes into the copy, file by file (git tells which files the course has):

* every file git tracks (``git add`` a new lesson before testing it), as it is in the
  folder, so that a course author's edits are what gets tested;
* except a notebook in ``notebooks/`` or ``solutions/`` whose code is as committed but
  whose outputs are not a recording: a learner ran it.  The committed version goes in.
  (``make record`` notes what it writes in a ledger, ``.recordings.json``: a notebook
  whose content is there is a recording.  Nothing in the file tells: JupyterLab's Run
  All numbers cells in order too, and the course's kernels leave the Python version
  out, as ``make record`` does);
* except a workbook in ``exercises/`` that is not exactly what ``make exercises`` makes
  from the solutions: a learner's answers.  The committed version goes in.
* untracked files (a learner's own notebooks) and ``.ipynb_checkpoints/`` stay out.

In a folder that is not a git checkout (a downloaded archive), everything is copied
except checkpoints, environments and caches.  Nothing in the course folder is changed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

from asyncio_tutorial.course.quick_nbformat import nbformat

LESSON_FOLDERS = ("notebooks", "solutions")
WORKBOOK_FOLDER = "exercises"
LEFT_OUT = (
    ".ipynb_checkpoints",
    "__pycache__",
    ".venv",
    ".git",
    ".pytest_cache",
    ".published",
    "site",  # make site's output, and its staging folder
    ".site-build",
)


def git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def is_checkout(root: Path) -> bool:
    """Whether ``root`` is the top of a git checkout with at least one commit."""
    top = git(root, "rev-parse", "--show-toplevel")
    return (
        top.returncode == 0
        and Path(top.stdout.decode().strip()).resolve() == root.resolve()
        and git(root, "rev-parse", "--verify", "-q", "HEAD").returncode == 0
    )


def tracked_files(root: Path) -> list[str]:
    """Files git knows (committed or added), as POSIX paths relative to ``root``."""
    listing = git(root, "ls-files", "-z").stdout.decode()
    return [name for name in listing.split("\0") if name]


def committed(root: Path, name: str) -> bytes | None:
    """The committed content of ``name``, or None if it is new (added, not committed)."""
    shown = git(root, "show", f"HEAD:{name}")
    return shown.stdout if shown.returncode == 0 else None


def _code(notebook: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in notebook.cells]


def learner_ran_it(root: Path, name: str, current: bytes, published: bytes) -> bool:
    """A lesson or solutions notebook: same code as committed, outputs not a recording."""
    from asyncio_tutorial.course.recording import recorded_here

    if current == published or recorded_here(root, name, current):
        return False
    now = nbformat.reads(current.decode("utf-8"), as_version=4)
    then = nbformat.reads(published.decode("utf-8"), as_version=4)
    return _code(now) == _code(then)


def learner_answered_it(root: Path, name: str, current: bytes) -> bool:
    """A workbook that is not what the generator makes from the solutions: answers."""
    from asyncio_tutorial.course import workbooks

    solutions = root / "solutions" / workbooks.lesson_name(PurePosixPath(name).name)
    if not solutions.exists():
        return True
    return workbooks.render(solutions) != current.decode("utf-8")


def export(root: Path, target: Path) -> list[str]:
    """Copy the course as published from ``root`` to ``target``; return notes on what
    was left out or taken as committed (for the learner's work found in ``root``)."""
    root, notes = root.resolve(), []
    if target.exists():
        shutil.rmtree(target)
    if not is_checkout(root):
        shutil.copytree(root, target, ignore=shutil.ignore_patterns(*LEFT_OUT, ".venv-*"))
        return ["not a git checkout: copied the folder as it is (checkpoints left out)"]
    for name in tracked_files(root):
        source = root / name
        if not source.is_file():
            continue  # deleted in the folder: deleted in the copy too
        content = source.read_bytes()
        folder = PurePosixPath(name).parts[0]
        if name.endswith(".ipynb") and folder in (*LESSON_FOLDERS, WORKBOOK_FOLDER):
            published = committed(root, name)
            if published is not None:
                if folder == WORKBOOK_FOLDER and learner_answered_it(root, name, content):
                    notes.append(f"{name}: answered in this folder; testing the committed one")
                    content = published
                elif folder in LESSON_FOLDERS and learner_ran_it(root, name, content, published):
                    notes.append(f"{name}: run and saved in this folder; testing the committed one")
                    content = published
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
        shutil.copymode(source, destination)
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z").stdout.decode()
    for name in sorted(n for n in untracked.split("\0") if n.endswith(".ipynb")):
        notes.append(f"{name}: not part of the course (untracked); left out")
    return notes
