"""Grade a whole class: ``python -m asyncio_tutorial grade`` (or ``asyncio-tutorial grade``).

An instructor collects the workbooks (a folder of them, a folder per learner, or the zip
file a learning platform exports) and runs::

    asyncio-tutorial grade handed-in/ --out grades/

Every workbook is checked as ``check`` checks one (:mod:`asyncio_tutorial.course.progress`):
only its answer cells, put into the workbook as the course publishes it, in a fresh
kernel, on a copy in a folder of its own; an answer that interferes with its checking is
*tampered*, never passed.  Each runs in a process of its own under limits (wall time,
CPU time, memory, processes, file size), so that an answer that hangs, spins, forks,
fills the memory or the disk, or ends its kernel costs one row, not the run.  Out come:

* ``grades.csv``: a row per learner and exercise (learner, file, lesson, exercise,
  title, status, mistake, message, seconds), a row for a file that could not be graded,
  and a ``total`` row per learner;
* ``feedback/LEARNER.md``: each exercise's verdict and message, for that learner;
* ``common-mistakes.md`` (also printed): per exercise, how many passed and which mistakes
  (the checkers' names for them) were most frequent: what to go over in class.

Grading is **resumable**: each workbook's report is kept in ``.graded/`` under the
digest of the file and of the course's checking code, as soon as it is done; a run that
is stopped or crashes loses nothing, and the next one grades only what is missing (and
gives the same CSV).  It runs ``--workers`` workbooks at once (default: twice the cores,
since most of grading is waiting), or on a **Dask distributed** cluster
(``--scheduler tcp://host:8786``, or ``--cluster local`` to try it with a
``LocalCluster``): each workbook is one task, sent as bytes, graded on a worker that has
the course installed.

The limits protect the run, not the machine's files: learner code runs as the
instructor's user.  Grading an untrusted class, run the workers as a user of their own
(or in containers), with no access to anything but the course.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CSV_NAME = "grades.csv"
COMMON_NAME = "common-mistakes.md"
FEEDBACK_FOLDER = "feedback"
CACHE_FOLDER = ".graded"
COLUMNS = (
    "learner",
    "file",
    "lesson",
    "exercise",
    "title",
    "status",
    "mistake",
    "message",
    "seconds",
)
NOT_GRADED = "not graded"
STOPPED = "the grader stopped"
DUPLICATE = "duplicate"
MAX_ZIP_MEMBER = 10 * 2**20  # submissions.MAX_BYTES: a workbook is well under 1 MiB
_WORKBOOK_IN_NAME = re.compile(r"(?:^|[^0-9])(\d\d)-[a-z]")


@dataclass(frozen=True)
class Limits:
    """What one workbook's grading may use."""

    seconds: float = 600.0
    """Wall-clock time for the whole workbook, kernel start included."""
    cpu_seconds: int = 900
    """CPU time of each process (the grader, its kernel, what they start)."""
    memory: int = 8 * 2**30
    """Address space of each process, in bytes."""
    processes: int = 512
    """Processes (and threads) the grading may run at once: a fork bomb stops there."""
    file_size: int = 64 * 2**20
    """The largest file it may write, in bytes."""

    def apply(self, group: Path | None = None) -> None:
        """Set the limits on this process (in the child, before the grader starts).

        Processes are limited by ``group``, a pids cgroup, where there is one (the only
        way for root, whom ``RLIMIT_NPROC`` does not bind), else by ``RLIMIT_NPROC``.
        """
        import resource

        os.setsid()
        limits = [
            (resource.RLIMIT_CPU, self.cpu_seconds),
            (resource.RLIMIT_AS, self.memory),
            (resource.RLIMIT_FSIZE, self.file_size),
        ]
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        else:
            limits.append((resource.RLIMIT_NPROC, _user_processes() + self.processes))
        for kind, value in limits:
            hard = resource.getrlimit(kind)[1]
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, hard))


def pids_group(limit: int) -> Path | None:
    """A new cgroup that holds at most ``limit`` tasks (threads count), or ``None``.

    Where the pids controller can be written to (cgroup v1 or v2), every process of one
    workbook's grading goes in a group of its own: a fork bomb stops at the limit, and
    :func:`end_group` ends whatever is left, even a process that left the session.
    """
    import uuid

    name = f"asyncio-tutorial-grade-{uuid.uuid4().hex[:12]}"
    for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
            continue
        try:
            group = base / name
            group.mkdir()
            try:
                (group / "pids.max").write_text(str(limit))
                return group
            except OSError:
                group.rmdir()
        except OSError:
            continue
    return None


def process_limit_available() -> bool:
    """Whether the processes of a grading can be limited here: by ``RLIMIT_NPROC`` (any
    user but root) or by a pids cgroup (root too, where one can be made)."""
    if os.geteuid() != 0:
        return True
    group = pids_group(1)
    if group is None:
        return False
    end_group(group)
    return True


def end_group(group: Path) -> None:
    """Kill every process left in ``group``, then remove it."""
    for _ in range(50):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    try:
        group.rmdir()
    except OSError:
        pass


def _user_processes() -> int:
    """How many processes (threads count too, for the limit) this user runs now."""
    try:
        import psutil

        uid = os.getuid()
        return sum(p.num_threads() for p in psutil.process_iter() if _uid(p) == uid)
    except Exception:
        return 4096


def _uid(process: Any) -> int | None:
    try:
        return int(process.uids().real)
    except Exception:
        return None


@dataclass(frozen=True)
class HandedIn:
    """One file a learner handed in."""

    learner: str
    name: str
    """As handed in: its path in the folder or the zip file, for the CSV."""
    path: Path
    """Where it is now (unpacked from its zip file, if it came in one)."""


@dataclass
class Graded:
    """What grading one file found: its exercises, or why it could not be graded."""

    handed: HandedIn
    lesson: str = ""
    exercises: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""
    notes: list[str] = field(default_factory=list)


# --- what was handed in --------------------------------------------------------------------


def collect(inputs: Iterable[Path], unpack_to: Path) -> tuple[list[HandedIn], list[str]]:
    """Every notebook in ``inputs`` (files, folders, zip files), and notes on what was left.

    Checkpoints (``.ipynb_checkpoints/``), hidden folders and files that are not
    notebooks are left out, and said once each in the notes.
    """
    found: list[HandedIn] = []
    skipped: Counter[str] = Counter()
    for source in inputs:
        if source.is_dir():
            found += _in_folder(source, source.name, skipped)
        elif zipfile.is_zipfile(source):
            folder = unpack_to / _safe(source.stem)
            skipped.update(_unzip(source, folder))
            found += _in_folder(folder, source.name, skipped)
        elif source.suffix == ".ipynb" and source.is_file():
            found.append(HandedIn(_learner(source.name, source.parent.name), source.name, source))
        elif source.exists():
            skipped["files that are not notebooks"] += 1
        else:
            raise FileNotFoundError(f"{source}: no such file or folder")
    notes = [f"left out: {count} {what}" for what, count in sorted(skipped.items())]
    return sorted(found, key=lambda h: (h.learner, h.name)), notes


def _in_folder(folder: Path, label: str, skipped: Counter[str]) -> list[HandedIn]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file():
            continue
        if ".ipynb_checkpoints" in relative.parts:
            skipped["checkpoint copies (.ipynb_checkpoints)"] += 1
        elif any(part.startswith((".", "__MACOSX")) for part in relative.parts):
            skipped["hidden files"] += 1
        elif path.suffix != ".ipynb":
            skipped["files that are not notebooks"] += 1
        else:
            owner = relative.parts[0] if len(relative.parts) > 1 else ""
            found.append(HandedIn(_learner(path.name, owner), f"{label}/{relative}", path))
    return found


def _learner(file_name: str, folder: str = "") -> str:
    """Who handed a file in: its folder (a folder per learner), else its name's start.

    Learning platforms name files or folders after the learner, with ids around the
    original name: ``Ada Lovelace_1234_assignsubmission_file_`` (Moodle),
    ``lovelaceada_1234_5678_workbook-06-….ipynb`` (Canvas).
    """
    if folder:
        name = re.sub(r"_assignsubmission_\w*$", "", folder)
        return re.sub(r"(_\d+)+_?$", "", name).strip(" _-") or folder
    stem = file_name.removesuffix(".ipynb")
    prefix = stem.split("workbook-")[0] if "workbook-" in stem else ""
    prefix = re.sub(r"(_\d+)+[_-]*$", "", prefix).strip(" _-.")
    return prefix or stem


def _unzip(archive: Path, folder: Path) -> Counter[str]:
    """Unpack the notebooks of a zip file into ``folder``, safely; what was left out."""
    skipped: Counter[str] = Counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            parts = [p for p in Path(member.filename).parts if p not in ("", ".", "/")]
            if member.is_dir() or not parts:
                continue
            if ".." in parts or Path(member.filename).is_absolute():
                skipped["zip entries pointing outside the zip"] += 1
                continue
            if not member.filename.endswith(".ipynb"):
                skipped["files that are not notebooks"] += 1
                continue
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with opened.open(member) as data:
                # No more than one byte over the limit: enough to be graded as too large.
                target.write_bytes(data.read(MAX_ZIP_MEMBER + 1))
    return skipped


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "file"


def lesson_in_name(name: str) -> str:
    """The lesson a file's name says (``workbook-06-…``: ``"06"``), or ``""``."""
    found = _WORKBOOK_IN_NAME.findall(Path(name).name)
    return found[-1] if found else ""


def duplicates(handed: list[HandedIn]) -> dict[HandedIn, HandedIn]:
    """Files of one learner for one lesson beyond the one graded, each with that one.

    The one graded is the last in name order (``…-v2.ipynb`` after ``….ipynb``), so
    that a second run over the same files picks the same.
    """
    groups: dict[tuple[str, str], list[HandedIn]] = defaultdict(list)
    for each in handed:
        lesson = lesson_in_name(each.name)
        if lesson:
            groups[(each.learner, lesson)].append(each)
    extra = {}
    for group in groups.values():
        kept = max(group, key=lambda h: (Path(h.name).stem, h.name))
        extra.update({each: kept for each in group if each is not kept})
    return extra


# --- grading one workbook --------------------------------------------------------------------


def grade_bytes(name: str, data: bytes, limits: Limits = Limits()) -> dict[str, Any]:
    """Grade one workbook, given as its name and bytes, in a process of its own.

    This is what a Dask task runs on a worker: nothing but the bytes travels, and the
    report comes back as a plain dict.
    """
    with tempfile.TemporaryDirectory(prefix="grade-") as folder:
        path = Path(folder) / (_safe(Path(name).name) or "workbook.ipynb")
        if not path.name.endswith(".ipynb"):
            path = path.with_name(path.name + ".ipynb")
        path.write_bytes(data)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", HOME=folder)
        env.pop("PYTHONPATH", None)
        group = pids_group(limits.processes)
        process = subprocess.Popen(
            [sys.executable, "-m", "asyncio_tutorial.course.grade", "--one", str(path)],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=functools.partial(limits.apply, group),  # noqa: PLW1509
        )
        try:
            out, err = process.communicate(timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            return {
                "problem": f"grading took longer than {limits.seconds:g} s (an answer that "
                "never returns, at the top level of its cell, or a workbook that ends in a "
                "loop): not graded"
            }
        finally:
            _kill_group(process)  # a kernel or anything else it left running
            if group is not None:
                end_group(group)
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if process.returncode == 0 and lines:
        try:
            return dict(json.loads(lines[-1]))
        except json.JSONDecodeError:
            pass
    why = _signal_name(process.returncode)
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return {
        "problem": f"{STOPPED}{why}: an answer that exhausted a limit (memory, "
        f"processes, CPU time, file size) or broke its process; not graded. {tail[0][:200]}"
    }


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_name(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return f" ({signal.Signals(-returncode).name})"
        except ValueError:
            return f" (signal {-returncode})"
    return f" (exit status {returncode})" if returncode else ""


def _grade_here(path: Path) -> dict[str, Any]:
    """In the child: check the workbook at ``path``, as ``check`` does; the report."""
    from asyncio_tutorial.course import progress

    report = progress.check_workbook(path)
    return {
        "lesson": report.lesson,
        "problem": report.problem,
        "notes": report.notes + [f"failed: {error}" for error in report.cell_errors],
        "exercises": [dataclasses.asdict(exercise) for exercise in report.exercises],
    }


# --- grading a class ----------------------------------------------------------------------------


def course_digest() -> str:
    """A digest of everything a verdict depends on: the library and the worked answers."""
    import asyncio_tutorial
    from asyncio_tutorial.checkers.core import find_solutions_notebook

    digest = hashlib.sha256()
    package = Path(asyncio_tutorial.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    solutions = find_solutions_notebook("01")
    if solutions is not None:
        for path in sorted(solutions.parent.glob("[0-9][0-9]-*.ipynb")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def grade_class(
    handed: list[HandedIn],
    out: Path,
    *,
    workers: int,
    limits: Limits = Limits(),
    scheduler: str | None = None,
    local_cluster: bool = False,
    on_done: Callable[[Graded], None] | None = None,
) -> list[Graded]:
    """Grade every file of ``handed`` not graded before (kept in ``out/.graded/``)."""
    cache = out / CACHE_FOLDER
    cache.mkdir(parents=True, exist_ok=True)
    course = course_digest()
    extra = duplicates(handed)
    graded: dict[HandedIn, Graded] = {}
    todo: list[tuple[HandedIn, Path, bytes]] = []
    for each in handed:
        if each in extra:
            kept = extra[each]
            graded[each] = Graded(
                each,
                lesson=lesson_in_name(each.name),
                problem=f"{DUPLICATE}: another file of {each.learner} for this lesson, "
                f"{kept.name}, was graded instead (the last in name order)",
            )
            continue
        data = each.path.read_bytes()
        key = hashlib.sha256(course.encode() + each.name.encode() + data).hexdigest()[:32]
        kept_report = cache / f"{key}.json"
        if kept_report.exists():
            graded[each] = _graded(each, json.loads(kept_report.read_text(encoding="utf-8")))
        else:
            todo.append((each, kept_report, data))
    for each, report in _run(todo, workers, limits, scheduler, local_cluster):
        result = _graded(each, report)
        graded[each] = result
        if on_done is not None:
            on_done(result)
    # A workbook whose grader stopped may have been starved by a neighbour (a fork bomb
    # takes processes from every grading): it is graded again, alone.
    again = [t for t in todo if graded[t[0]].problem.startswith(STOPPED)]
    for each, report in _run(again, 1, limits, None, False):
        graded[each] = _graded(each, report)
    return [graded[each] for each in handed]


def _run(
    todo: list[tuple[HandedIn, Path, bytes]],
    workers: int,
    limits: Limits,
    scheduler: str | None,
    local_cluster: bool,
) -> Iterator[tuple[HandedIn, dict[str, Any]]]:
    """Grade ``todo``, yielding each report as it comes, after keeping it on disk."""
    if not todo:
        return
    if scheduler or local_cluster:
        yield from _on_dask(todo, workers, limits, scheduler)
        return
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = {
            pool.submit(grade_bytes, each.name, data, limits): (each, kept)
            for each, kept, data in todo
        }
        for future in as_completed(futures):
            each, kept = futures[future]
            report = future.result()
            _keep(kept, report)
            yield each, report


def _on_dask(
    todo: list[tuple[HandedIn, Path, bytes]],
    workers: int,
    limits: Limits,
    scheduler: str | None,
) -> Iterator[tuple[HandedIn, dict[str, Any]]]:
    """The same, each workbook one task on a Dask cluster (a LocalCluster if no scheduler)."""
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if scheduler is None:
        # Workers in this process (each grading runs in a process of its own anyway):
        # the cluster starts in a tenth of a second instead of several, talks in memory
        # and opens no port.
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        with Client(scheduler or cluster) as client:
            futures = {
                client.submit(grade_bytes, each.name, data, limits, pure=False): (each, kept)
                for each, kept, data in todo
            }
            for future in dask_completed(futures):
                each, kept = futures[future]
                report = future.result()
                _keep(kept, report)
                yield each, report
    finally:
        if cluster is not None:
            cluster.close()


def _keep(path: Path, report: dict[str, Any]) -> None:
    """Write a report atomically: a crash half-way leaves no half-written report."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(report, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def _graded(each: HandedIn, report: dict[str, Any]) -> Graded:
    return Graded(
        each,
        lesson=str(report.get("lesson", "") or lesson_in_name(each.name)),
        exercises=list(report.get("exercises", [])),
        problem=str(report.get("problem", "")),
        notes=list(report.get("notes", [])),
    )


# --- what comes out --------------------------------------------------------------------------


def rows(results: list[Graded]) -> list[dict[str, str]]:
    """The CSV's rows: one per learner and exercise, per file not graded, and totals."""
    table: list[dict[str, str]] = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        base = {
            "learner": result.handed.learner,
            "file": result.handed.name,
            "lesson": result.lesson,
        }
        if result.problem:
            table.append(
                base
                | {
                    "exercise": "",
                    "title": "",
                    "status": NOT_GRADED,
                    "mistake": _reason(result.problem),
                    "message": result.problem,
                    "seconds": "",
                }
            )
            totals[result.handed.learner]
            continue
        for exercise in result.exercises:
            table.append(
                base
                | {
                    "exercise": exercise["name"],
                    "title": exercise["title"],
                    "status": exercise["status"],
                    "mistake": exercise.get("mistake", ""),
                    "message": exercise["message"],
                    "seconds": f"{float(exercise.get('seconds', 0.0)):.2f}",
                }
            )
            totals[result.handed.learner][0] += exercise["status"] == "passed"
            totals[result.handed.learner][1] += 1
    for learner, (passed, count) in totals.items():
        table.append(
            {
                "learner": learner, "file": "", "lesson": "", "exercise": "total", "title": "",
                "status": f"{passed}/{count} passed", "mistake": "", "message": "", "seconds": "",
            }
        )  # fmt: skip
    return sorted(
        table,
        key=lambda r: (
            r["learner"],
            r["exercise"] == "total",
            r["lesson"],
            r["file"],
            r["exercise"],
        ),
    )


def _reason(problem: str) -> str:
    """A short name for why a file was not graded, for counting."""
    for words, reason in (
        (DUPLICATE, DUPLICATE),
        ("longer than", "time limit"),
        ("grader stopped", "limit or crash"),
        ("is empty", "empty"),
        ("too large", "too large"),
        ("JSON", "not a notebook"),
        ("not UTF-8", "not a notebook"),
        ("worked answers", "worked answers"),
        ("has no exercises", "not a workbook"),
    ):
        if words in problem:
            return reason
    return "not a workbook"


def write_csv(table: list[dict[str, str]], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def common_mistakes(results: list[Graded]) -> str:
    """Per exercise: how many passed, and the most frequent mistakes, as Markdown."""
    by_exercise: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        for exercise in result.exercises:
            by_exercise[(result.lesson, exercise["name"], exercise["title"])].append(exercise)
    lines = ["# The class's common mistakes", ""]
    lines += ["| exercise | passed | most frequent mistakes |", "|---|---|---|"]
    for (lesson, name, title), answers in sorted(by_exercise.items()):
        passed = sum(a["status"] == "passed" for a in answers)
        counted = Counter(
            a.get("mistake") or a["status"] for a in answers if a["status"] != "passed"
        )
        top = ", ".join(f"{mistake} ({count})" for mistake, count in counted.most_common(3))
        lines.append(f"| {lesson}.{name[2:]} {title} | {passed} of {len(answers)} | {top or '—'} |")
    not_graded = Counter(_reason(r.problem) for r in results if r.problem)
    if not_graded:
        lines += [
            "",
            "Files not graded: " + ", ".join(f"{n} {why}" for why, n in sorted(not_graded.items())),
        ]
    return "\n".join(lines) + "\n"


def feedback(learner: str, results: list[Graded]) -> str:
    """One learner's feedback, as Markdown."""
    lines = [f"# Feedback for {learner}", ""]
    for result in results:
        lines.append(f"## {result.handed.name}")
        lines.append("")
        if result.problem:
            lines += [f"Not graded: {result.problem}", ""]
            continue
        for exercise in result.exercises:
            lines.append(f"- **{exercise['name']} · {exercise['title']}**: {exercise['status']}")
            if exercise["status"] != "passed":
                lines.append(f"  {exercise['message']}")
        lines += [f"- note: {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


def write_outputs(results: list[Graded], out: Path) -> str:
    """grades.csv, the feedback files and common-mistakes.md; return the latter."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows(results), out / CSV_NAME)
    folder = out / FEEDBACK_FOLDER
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    mine: dict[str, list[Graded]] = defaultdict(list)
    for result in results:
        mine[result.handed.learner].append(result)
    for learner, theirs in sorted(mine.items()):
        (folder / f"{_safe(learner)}.md").write_text(feedback(learner, theirs), encoding="utf-8")
    common = common_mistakes(results)
    (out / COMMON_NAME).write_text(common, encoding="utf-8")
    return common


# --- the command ----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, help="workbooks, folders or zip files")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="where the grades go")
    parser.add_argument(
        "--workers", type=_at_least_one, default=2 * (os.cpu_count() or 1),
        help="workbooks graded at once (default: twice the cores: grading is mostly waiting)",
    )  # fmt: skip
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="grade on the Dask cluster at this address")
    where.add_argument("--cluster", choices=["local"], help="grade on a Dask LocalCluster")
    parser.add_argument(
        "--time-limit", type=float, default=Limits.seconds, help="seconds per workbook"
    )


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """``grade``: grade, write the outputs, print the common mistakes; exit status 0."""
    from tqdm import tqdm

    args.out.mkdir(parents=True, exist_ok=True)
    handed, notes = collect(args.inputs, args.out / CACHE_FOLDER / "unpacked")
    if not process_limit_available():
        notes.append(
            "running as root, with no pids cgroup to be made: the processes of a grading "
            "cannot be limited (RLIMIT_NPROC does not bind root); grade as another user"
        )
    for note in notes:
        print(f"note: {note}")
    if not handed:
        print("no notebooks found to grade", file=sys.stderr)
        return 1
    bar = tqdm(total=len(handed), unit="workbook", file=sys.stderr, disable=None)
    results = grade_class(
        handed,
        args.out,
        workers=args.workers,
        limits=dataclasses.replace(Limits(), seconds=args.time_limit),
        scheduler=args.scheduler,
        local_cluster=args.cluster == "local",
        on_done=lambda _: bar.update(),
    )
    bar.update(len(handed) - bar.n)
    bar.close()
    print(write_outputs(results, args.out), end="")
    learners = len({r.handed.learner for r in results})
    print(f"graded {len(results)} files of {learners} learners: {args.out / CSV_NAME}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m asyncio_tutorial.course.grade --one FILE``: grade one, print JSON."""
    parser = argparse.ArgumentParser(prog="python -m asyncio_tutorial.course.grade")
    parser.add_argument("--one", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(_grade_here(args.one)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
