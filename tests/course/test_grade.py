"""Grading a class: ``python -m asyncio_tutorial grade``.

A small class built from the course itself (worked answers, a stub, a wrong answer, and
the bad and hostile cases) is graded for real; what grading keeps, and how it resumes,
is tested with a stand-in for the grading of one workbook.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_submissions import answered, lesson01_with

from asyncio_tutorial.course import cli, grade
from asyncio_tutorial.course.grade import HandedIn, Limits, collect, duplicates, grade_class

ROOT = Path(__file__).resolve().parents[2]


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- what was handed in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "folder", "learner"),
    [
        ("workbook-06-synchronization-and-queues.ipynb", "ada", "ada"),
        ("workbook-06-x.ipynb", "Ada Lovelace_1234_assignsubmission_file_", "Ada Lovelace"),
        ("lovelaceada_1234_5678_workbook-06-synchronization.ipynb", "", "lovelaceada"),
        ("ada-workbook-06-x.ipynb", "", "ada"),
        ("ada.ipynb", "", "ada"),
    ],
)
def test_a_learner_is_named_by_their_folder_or_the_start_of_the_file_name(
    file_name: str, folder: str, learner: str
) -> None:
    assert grade._learner(file_name, folder) == learner


def test_collect_leaves_out_checkpoints_hidden_and_other_files_and_says_so(
    tmp_path: Path,
) -> None:
    class_ = tmp_path / "class"
    for path in [
        "ada/workbook-01-coroutines.ipynb",
        "ada/.ipynb_checkpoints/workbook-01-coroutines-checkpoint.ipynb",
        "bob/workbook-01-coroutines.ipynb",
        "bob/notes.txt",
        ".hidden/workbook-01-coroutines.ipynb",
    ]:
        (class_ / path).parent.mkdir(parents=True, exist_ok=True)
        (class_ / path).write_text("{}", encoding="utf-8")
    handed, notes = collect([class_], tmp_path / "unpacked")
    assert [(h.learner, h.name) for h in handed] == [
        ("ada", "class/ada/workbook-01-coroutines.ipynb"),
        ("bob", "class/bob/workbook-01-coroutines.ipynb"),
    ]
    assert notes == [
        "left out: 1 checkpoint copies (.ipynb_checkpoints)",
        "left out: 1 files that are not notebooks",
        "left out: 1 hidden files",
    ]


def test_a_zip_export_is_unpacked_keeping_nothing_outside_it(tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr(
            "Ada Lovelace_12_assignsubmission_file_/workbook-01-coroutines.ipynb", "{}"
        )
        archive.writestr("../escaped.ipynb", "{}")
        archive.writestr("/absolute.ipynb", "{}")
        archive.writestr("huge/workbook-01-coroutines.ipynb", b" " * (grade.MAX_ZIP_MEMBER + 1))
    handed, notes = collect([export], tmp_path / "unpacked")
    assert [h.learner for h in handed] == ["Ada Lovelace", "huge"]
    assert notes == ["left out: 2 zip entries pointing outside the zip"]
    assert not (tmp_path / "escaped.ipynb").exists() and not Path("/absolute.ipynb").exists()
    assert handed[1].path.stat().st_size == grade.MAX_ZIP_MEMBER + 1  # no more is unpacked
    (result,) = grade_class(handed[1:], tmp_path / "out", workers=1)
    assert "is 10 MiB; a workbook is well under 1 MiB" in result.problem


def test_of_two_files_for_one_lesson_the_last_in_name_order_is_graded() -> None:
    first = HandedIn("ada", "c/ada/workbook-01-coroutines.ipynb", Path("a"))
    second = HandedIn("ada", "c/ada/workbook-01-coroutines-v2.ipynb", Path("b"))
    other = HandedIn("ada", "c/ada/workbook-03-tasks.ipynb", Path("c"))
    assert duplicates([first, second, other]) == {first: second}


# --- keeping what was graded: resuming, the same CSV ---------------------------------------------


@pytest.fixture
def fixed_course(monkeypatch: pytest.MonkeyPatch) -> None:
    """The course as it is now: edits made to it meanwhile would rightly regrade all."""
    monkeypatch.setattr(grade, "course_digest", lambda: "the course")


def fake_report(name: str, data: bytes, limits: Limits | None = None) -> dict[str, Any]:
    """A stand-in for grading one workbook: passed when its bytes say so."""
    status = "passed" if b"right" in data else "wrong"
    exercise = {"name": "ex1", "title": "Greet", "status": status, "message": "m"}
    exercise |= {"mistake": "" if status == "passed" else "forgot_await", "seconds": 0.1}
    return {"lesson": "01", "problem": "", "notes": [], "exercises": [exercise]}


def small_class(folder: Path, learners: int = 6) -> list[HandedIn]:
    handed = []
    for number in range(learners):
        path = folder / f"learner{number}" / "workbook-01-coroutines.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"right" if number % 2 else b"wrong")
        handed.append(HandedIn(f"learner{number}", f"c/learner{number}/{path.name}", path))
    return handed


def test_a_run_stopped_half_way_loses_nothing_and_the_next_grades_only_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_course: None
) -> None:
    handed = small_class(tmp_path / "class")
    calls: list[str] = []

    def counted(name: str, data: bytes, limits: Limits | None = None) -> dict[str, Any]:
        calls.append(name)
        return fake_report(name, data, limits)

    monkeypatch.setattr(grade, "grade_bytes", counted)
    done: list[str] = []

    def stop_after_two(result: grade.Graded) -> None:
        done.append(result.handed.name)
        if len(done) == 2:
            raise KeyboardInterrupt  # the instructor's Ctrl-C, half-way

    with pytest.raises(KeyboardInterrupt):
        grade_class(handed, tmp_path / "out", workers=1, on_done=stop_after_two)
    calls.clear()
    results = grade_class(handed, tmp_path / "out", workers=2)
    assert sorted(calls) == sorted(h.name for h in handed if h.name not in done)
    assert [r.exercises[0]["status"] for r in results] == ["wrong", "passed"] * 3


def test_a_second_run_grades_nothing_and_writes_the_same_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_course: None
) -> None:
    handed = small_class(tmp_path / "class")
    monkeypatch.setattr(grade, "grade_bytes", fake_report)
    grade.write_outputs(grade_class(handed, tmp_path / "out", workers=3), tmp_path / "out")
    first = (tmp_path / "out" / grade.CSV_NAME).read_bytes()

    def never(*args: Any) -> dict[str, Any]:
        raise AssertionError("graded again")

    monkeypatch.setattr(grade, "grade_bytes", never)
    grade.write_outputs(grade_class(handed, tmp_path / "out", workers=3), tmp_path / "out")
    assert (tmp_path / "out" / grade.CSV_NAME).read_bytes() == first
    totals = [r for r in read_csv(tmp_path / "out" / grade.CSV_NAME) if r["exercise"] == "total"]
    assert [t["status"] for t in totals] == ["0/1 passed", "1/1 passed"] * 3


def test_the_common_mistakes_count_each_exercises_passes_and_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grade, "grade_bytes", fake_report)
    results = grade_class(small_class(tmp_path / "class"), tmp_path / "out", workers=2)
    assert "| 01.1 Greet | 3 of 6 | forgot_await (3) |" in grade.common_mistakes(results)


# --- a class graded for real ---------------------------------------------------------------------

# Each learner's file, made from the course, and the status every exercise of it must get
# (a single status: the whole file).
HOSTILE = {
    "worked answers": ("", ["passed"] * 4),
    "tampers with its checks": (
        "import sys\ncore = sys.modules['asyncio_tutorial.checkers.core']\n"
        "setattr(core.Exercise, 'evaluate', lambda self, a: core.Result(core.CORRECT, 'ok'))",
        ["tampered"] * 4,
    ),
    "prints a verdict": ("print('✓ Correct')", ["tampered", "passed", "passed", "passed"]),
    "ends its kernel": ("import os\nos._exit(0)", ["not checked"] * 4),
    # greet is right, and defined before the line fails with a MemoryError: as in JupyterLab
    "fills the memory": ("hog = bytearray(64 * 2**30)", ["passed"] * 4),
    # the write stops at the file size limit with OSError (Python ignores SIGXFSZ)
    "fills the disk": ("open('big', 'wb').write(b'0' * 2**27)", ["passed"] * 4),
    "forks": (
        "import os, time\n"
        "for _ in range(100_000):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "    except OSError:\n"
        "        break",
        None,  # whatever its checks make of a kernel out of processes: a row of its own
    ),
    "never returns": ("while True:\n    pass", "time limit"),
}


def test_a_class_gets_the_verdict_each_workbook_deserves_and_nothing_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handed = tmp_path / "handed"
    cases = {
        case: value
        for case, value in HOSTILE.items()
        if case != "forks" or grade.process_limit_available()  # never a free fork bomb
    }
    for number, change in enumerate(change for change, _ in cases.values()):
        (handed / f"l{number}").mkdir(parents=True)
        lesson01_with(handed / f"l{number}", change)
    (handed / "stub").mkdir()
    shutil.copy(ROOT / "exercises" / "workbook-01-coroutines.ipynb", handed / "stub")
    (handed / "cut").mkdir()
    (handed / "cut" / "workbook-01-coroutines.ipynb").write_text('{"cells": [', encoding="utf-8")
    (handed / "lesson").mkdir()
    shutil.copy(ROOT / "notebooks" / "01-coroutines.ipynb", handed / "lesson")
    (handed / "twice").mkdir()
    nbformat.write(
        answered(ROOT / "solutions" / "01-coroutines.ipynb"),
        handed / "twice" / "workbook-01-coroutines.ipynb",
    )
    shutil.copy(
        handed / "twice" / "workbook-01-coroutines.ipynb",
        handed / "twice" / "workbook-01-coroutines-v2.ipynb",
    )

    out = tmp_path / "out"
    assert (
        cli.main(["grade", str(handed), "--out", str(out), "--workers", "4", "--time-limit", "40"])
        == 0
    )
    table = read_csv(out / grade.CSV_NAME)
    by_learner: dict[str, list[dict[str, str]]] = {}
    for row in table:
        if row["exercise"] != "total":
            by_learner.setdefault(row["learner"], []).append(row)

    for number, (case, (_, expected)) in enumerate(cases.items()):
        statuses = [row["status"] for row in by_learner[f"l{number}"]]
        if expected is None:
            assert len(statuses) in (1, 4), (case, statuses)
        elif isinstance(expected, str):
            assert statuses == ["not graded"] and by_learner[f"l{number}"][0]["mistake"] == expected
        else:
            assert statuses == expected, (case, by_learner[f"l{number}"])
    assert [r["status"] for r in by_learner["stub"]] == ["not attempted"] * 4
    assert [(r["status"], r["mistake"]) for r in by_learner["cut"]] == [
        ("not graded", "not a notebook")
    ]
    assert [(r["status"], r["mistake"]) for r in by_learner["lesson"]] == [
        ("not graded", "not a workbook")
    ]
    twice = {r["file"].rsplit("/", 1)[1]: r["status"] for r in by_learner["twice"]}
    assert twice == {
        "workbook-01-coroutines-v2.ipynb": "passed",
        "workbook-01-coroutines.ipynb": "not graded",
    }
    # worked answers, the verdict printer's other three, memory, disk, and twice's last file
    assert sum(r["status"] == "passed" for r in table) == 4 + 3 + 4 + 4 + 4
    shown = capsys.readouterr().out
    assert "| 01.1 Greet after a pause |" in shown and "Files not graded:" in shown
    assert (out / "feedback" / "stub.md").read_text().count("not attempted") == 4
    for case, error in [("fills the memory", "MemoryError"), ("fills the disk", "File too large")]:
        assert error in (out / "feedback" / f"l{list(cases).index(case)}.md").read_text()


def test_a_dask_cluster_gives_the_same_grades_as_the_local_pool(tmp_path: Path) -> None:
    """Each workbook one Dask task, sent as bytes: the same CSV but for the seconds."""
    handed = tmp_path / "handed"
    (handed / "ada").mkdir(parents=True)
    lesson01_with(handed / "ada", "")
    (handed / "bob").mkdir()
    shutil.copy(ROOT / "exercises" / "workbook-01-coroutines.ipynb", handed / "bob")
    tables = []
    for where in (["--workers", "2"], ["--workers", "2", "--cluster", "local"]):
        out = tmp_path / where[-1]
        assert cli.main(["grade", str(handed), "--out", str(out), *where]) == 0
        tables.append([dict(row, seconds="") for row in read_csv(out / grade.CSV_NAME)])
    assert tables[0] == tables[1]
    assert [r["status"] for r in tables[0]] == ["passed"] * 4 + ["4/4 passed"] + [
        "not attempted"
    ] * 4 + ["0/4 passed"]
