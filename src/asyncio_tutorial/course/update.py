"""Get a new version of the course without losing anything: ``make update``.

A learner's work lives in the course's own files: answers in the workbooks of
``exercises/``, outputs in the lessons they ran and saved.  ``git pull`` refuses to
update a file that has local changes, and merging notebooks by hand is no fun.  So
``python -m asyncio_tutorial update``:

1. copies every course notebook the learner changed into ``backups/<date-time>/``;
2. puts those notebooks back as published (``git checkout``), so nothing is in the way;
3. fetches the new version (``git pull --ff-only``);
4. carries the learner's answers over into the new workbooks: each exercise's answer
   cell goes back in place of its stub (:func:`asyncio_tutorial.course.workbooks.carry_answers`),
   also when the new version renamed the workbook (older versions named a workbook like
   its lesson, ``exercises/03-tasks.ipynb``; it is ``workbook-03-tasks.ipynb`` now);
5. says what it kept, and where the old files are.

Lessons come back fresh: run them again.  The learner's own copy of each (with any notes
added to it) stays in the backup folder, like everything else they changed.  If the pull
fails (no network, say), the answers go back into the workbooks as they were.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from asyncio_tutorial.course import workbooks
from asyncio_tutorial.course.published import git, is_checkout
from asyncio_tutorial.course.quick_nbformat import nbformat

COURSE_FOLDERS = ("notebooks", "exercises", "solutions")


def changed_notebooks(root: Path) -> list[str]:
    """Course notebooks with local changes, as paths relative to ``root``."""
    listing = git(root, "diff", "--name-only", "-z", "HEAD", "--", *COURSE_FOLDERS)
    return sorted(n for n in listing.stdout.decode().split("\0") if n.endswith(".ipynb"))


def update(root: Path, pull: tuple[str, ...] = ("pull", "--ff-only")) -> int:
    """Update the course in ``root`` as the module's description says; 0 if it worked."""
    root = root.resolve()
    if not is_checkout(root):
        print(
            "This folder is not a git checkout, so there is nothing to update it from.\n"
            "Unpack the new version of the course into a new folder, then copy your\n"
            "workbooks into its exercises/ folder and run `make exercises` there: it keeps\n"
            "your answers and brings in the new exercises."
        )
        return 1
    changed = changed_notebooks(root)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    kept: dict[str, Path] = {}
    for name in changed:
        target = root / "backups" / stamp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
        kept[name] = target
    if changed:
        print(f"your changed notebooks are copied to backups/{stamp}/:")
        for name in changed:
            print(f"  {name}")
        git(root, "checkout", "HEAD", "--", *changed)
    fetched = git(root, *pull)
    print((fetched.stdout + fetched.stderr).decode().strip())
    if fetched.returncode != 0:
        print("could not fetch the new version (see above); your work is put back as it was")
    for name, copy in kept.items():
        if name.startswith("exercises/"):
            _put_answers_back(_current_workbook(root / name), copy)
    return fetched.returncode


def _current_workbook(path: Path) -> Path:
    """Where the workbook once at ``path`` is now: older versions named it like its lesson."""
    renamed = path.with_name(workbooks.workbook_name(path.name))
    return renamed if not path.exists() and renamed.exists() else path


def _put_answers_back(workbook_path: Path, old_copy: Path) -> None:
    if not workbook_path.exists():
        print(f"{workbook_path.name} is no longer part of the course; yours is in {old_copy}")
        return
    old = nbformat.read(old_copy, as_version=4)
    new = nbformat.read(workbook_path, as_version=4)
    merged, carried = workbooks.carry_answers(old, new)
    if carried:
        nbformat.write(merged, workbook_path)
        where = f"{workbook_path.parent.name}/{workbook_path.name}"
        print(f"{where}: kept your answers ({', '.join(carried)})")
