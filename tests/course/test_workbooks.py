"""Workbooks: generated from the solutions, in sync with them, and run by ``progress``
on copies that leave the learner's files untouched.

The last two tests execute notebooks in a kernel (a few seconds each); the rest are quick.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from asyncio_tutorial.checkers import solutions as marks
from asyncio_tutorial.checkers.lesson01 import EXERCISES, ex1
from asyncio_tutorial.course import cli, progress, workbooks
from asyncio_tutorial.course.recording import WORKBOOK_CELL_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_stub_keeps_the_signature_and_docstring_and_indents_like_the_markers() -> None:
    source = (
        "async def greet(name):\n"
        '    """Say hello."""\n'
        "    ### BEGIN SOLUTION\n"
        "    await asyncio.sleep(0.1)\n"
        '    return f"Hello, {name}!"\n'
        "    ### END SOLUTION\n"
        "\n"
        "\n"
        "def other():\n"
        "    return 1"
    )
    assert workbooks.stub_out(source) == (
        "async def greet(name):\n"
        '    """Say hello."""\n'
        "    # Your code here\n"
        "    raise NotImplementedError\n"
        "\n"
        "\n"
        "def other():\n"
        "    return 1"
    )


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "inside a function body"),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1", "never ended"),
        ("def f():\n    return 1\n    ### END SOLUTION", "without"),
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "inside another"),
    ],
)
def test_misplaced_markers_are_refused_with_a_reason(source: str, complaint: str) -> None:
    with pytest.raises(workbooks.MarkerError, match=complaint):
        workbooks.stub_out(source)


def test_without_markers_shows_the_answer_as_written() -> None:
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    assert marks.without_markers(source) == "def f():\n    return 1"


@pytest.mark.parametrize("solutions", SOLUTIONS, ids=lambda path: path.name)
def test_committed_workbook_is_what_the_generator_makes(solutions: Path, tmp_path: Path) -> None:
    generated = tmp_path / solutions.name
    workbooks.generate(solutions, generated)
    committed = ROOT / "exercises" / workbooks.workbook_name(solutions.name)
    assert committed.exists(), "run `make exercises` and commit exercises/"
    assert committed.read_bytes() == generated.read_bytes(), "run `make exercises`"
    assert not workbooks.generate(solutions, generated), "the generator is not deterministic"


@pytest.mark.parametrize("solutions", SOLUTIONS, ids=lambda path: path.name)
def test_workbook_has_no_answers_outputs_or_counts(solutions: Path) -> None:
    workbook = nbformat.read(
        ROOT / "exercises" / workbooks.workbook_name(solutions.name), as_version=4
    )
    text = json.dumps(workbook)
    assert workbooks.BEGIN not in text and workbooks.END not in text
    for cell in workbook.cells:
        assert workbooks.SOLUTIONS_ONLY_TAG not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_every_exercise_has_exactly_one_worked_answer_to_show() -> None:
    notebook = ROOT / "solutions" / "01-coroutines.ipynb"
    for exercise in EXERCISES:
        source = marks.solution_source(notebook, exercise.answer)
        assert f"def {exercise.answer}(" in source
        assert workbooks.BEGIN not in source


def test_solution_shows_the_cell_from_the_solutions_notebook(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "exercises")
    EXERCISES[0].solution()
    shown = capsys.readouterr().out
    assert "Worked answer to ex1 (01-coroutines.ipynb):" in shown
    assert "await asyncio.sleep(0.1)" in shown


def test_exercises_command_writes_every_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exercises"
    assert cli.main(["exercises", "--solutions", str(ROOT / "solutions"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == [f"workbook-{p.name}" for p in SOLUTIONS]
    assert "wrote" in capsys.readouterr().out


def test_check_exits_with_1_unless_every_exercise_passed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def report(statuses: list[str]) -> progress.WorkbookReport:
        exercises = [progress.ExerciseStatus(f"ex{i}", "t", s) for i, s in enumerate(statuses)]
        return progress.WorkbookReport(Path("x.ipynb"), exercises)

    workbook = str(ROOT / "exercises" / "workbook-01-coroutines.ipynb")
    for statuses, code in [
        ([progress.PASSED, progress.PASSED], 0),
        ([progress.PASSED, progress.NOT_ATTEMPTED], 1),
        ([progress.WRONG, progress.PASSED], 1),
        ([progress.NOT_CHECKED], 1),
        ([], 1),
    ]:
        monkeypatch.setattr(progress, "check_workbook", lambda path, s=statuses: report(s))
        assert cli.main(["check", workbook]) == code
    capsys.readouterr()


def test_the_course_total_counts_every_workbooks_exercises() -> None:
    def report(*statuses: str) -> progress.WorkbookReport:
        exercises = [progress.ExerciseStatus(f"ex{i}", "t", s) for i, s in enumerate(statuses)]
        return progress.WorkbookReport(Path("x.ipynb"), exercises)

    P, W, N = progress.PASSED, progress.WRONG, progress.NOT_ATTEMPTED
    reports = [report(P, P, W), report(N, P, N, N)]
    assert progress.format_total(reports) == (
        "course: 3 of 7 exercises passed in 2 workbooks (1 wrong, 3 not attempted)"
    )
    assert progress.format_total([report(P)]) == "course: 1 of 1 exercises passed in 1 workbook"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.ipynb")}


def test_progress_runs_every_workbook_on_a_copy_and_all_are_not_attempted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    before = _hashes(ROOT / "exercises")
    assert cli.main(["progress"]) == 0
    table = capsys.readouterr().out
    assert _hashes(ROOT / "exercises") == before
    assert "note:" not in table, table  # no cell raised: each workbook runs top to bottom
    summaries = [line.strip() for line in table.splitlines() if " exercises: " in line]
    assert len(summaries) == len(list((ROOT / "exercises").glob("*.ipynb"))), table
    for summary in summaries:
        assert re.fullmatch(r"(\d+) exercises: \1 not attempted", summary), table
    for exercise in EXERCISES:
        assert f"{exercise.name:<4} {exercise.title}" in table
    total = table.strip().splitlines()[-1]
    count = sum(int(summary.split()[0]) for summary in summaries)
    assert count >= 3 * len(summaries)
    assert total == (
        f"course: 0 of {count} exercises passed in {len(summaries)} workbooks "
        f"({count} not attempted)"
    ), table


def test_a_hang_is_reported_within_its_limit_and_later_cells_still_run(tmp_path: Path) -> None:
    """A filled-in workbook: the first answer spins forever, the second forgets an await."""
    solutions = nbformat.read(ROOT / "solutions" / "01-coroutines.ipynb", as_version=4)
    for cell in solutions.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = marks.without_markers(cell.source)
            if "async def greet" in cell.source:
                cell.source = "async def greet(name):\n    while True:\n        pass"
            if "async def fetch_profile" in cell.source:  # forgets an await
                cell.source = cell.source.replace("team = await", "team =")
    workbook = tmp_path / "workbook-01-coroutines.ipynb"
    nbformat.write(solutions, workbook)

    started = time.perf_counter()
    executed = progress.run_copy(workbook)
    took = time.perf_counter() - started
    report = progress.read_report(workbook, executed, lesson="01")

    # The check's own limit stopped the spinning answer, long before the cell's timeout.
    assert took < WORKBOOK_CELL_TIMEOUT / 2
    assert [e.status for e in report.exercises] == ["wrong", "wrong", "passed", "passed"]
    assert f"had not finished after {ex1.time_limit:.1f} s" in report.exercises[0].message
    assert "never awaited" in report.exercises[1].message
    assert report.cell_errors == []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", output.text  # no warnings leaked


def test_workbook_names_start_with_workbook_so_tabs_differ_from_lessons() -> None:
    assert workbooks.workbook_name("06-synchronization-and-queues.ipynb") == (
        "workbook-06-synchronization-and-queues.ipynb"
    )
    for name in ("workbook-03-tasks.ipynb", "03-tasks.ipynb"):  # older courses: the latter
        assert workbooks.lesson_name(name) == "03-tasks.ipynb"
        assert workbooks.lesson_number(name) == "03"
    assert workbooks.lesson_number("Untitled.ipynb") is None
    lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for workbook in (ROOT / "exercises").glob("*.ipynb"):
        assert workbook.name.startswith("workbook-"), workbook.name
        assert workbook.name not in lessons


def test_exercises_renames_an_older_versions_workbook_and_keeps_its_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A course folder from before the ``workbook-`` names, updated by unpacking."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", course / "solutions")
    (course / "exercises").mkdir()
    old = course / "exercises" / "01-coroutines.ipynb"
    shutil.copy(ROOT / "exercises" / "workbook-01-coroutines.ipynb", old)
    notebook = nbformat.read(old, as_version=4)
    (cell,) = [c for c in notebook.cells if "def greet(" in c.source]
    cell.source = marks.solution_source(course / "solutions" / "01-coroutines.ipynb", "greet")
    nbformat.write(notebook, old)
    untouched = course / "exercises" / "02-event-loop.ipynb"  # no answers in this one
    shutil.copy(ROOT / "exercises" / "workbook-02-event-loop.ipynb", untouched)

    workbooks.generate_all(course / "solutions", course / "exercises")
    shown = capsys.readouterr().out
    assert not old.exists() and not untouched.exists()
    assert sorted(p.name for p in (course / "exercises").glob("*.ipynb")) == [
        f"workbook-{p.name}" for p in SOLUTIONS
    ]
    renamed = course / "exercises" / "workbook-01-coroutines.ipynb"
    assert "await asyncio.sleep(0.1)" in renamed.read_text(encoding="utf-8")
    assert "01-coroutines.ipynb is now called workbook-01-coroutines.ipynb" in shown
    kept = list((course / "backups").glob("*/exercises/01-coroutines.ipynb"))
    assert len(kept) == 1 and "await asyncio.sleep(0.1)" in kept[0].read_text(encoding="utf-8")
    assert (course / "exercises" / "workbook-02-event-loop.ipynb").read_bytes() == (
        ROOT / "exercises" / "workbook-02-event-loop.ipynb"
    ).read_bytes()


def test_an_older_workbook_beside_the_current_one_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "exercises", course / "exercises")
    old = course / "exercises" / "03-tasks.ipynb"
    old.write_bytes(b"a learner's own file")
    workbooks.generate_all(course / "solutions", course / "exercises")
    assert old.read_bytes() == b"a learner's own file"
    assert "03-tasks.ipynb is a workbook of an older version" in capsys.readouterr().out
