"""Every notebook has the anatomy the course promises, and every link leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from asyncio_tutorial.course import workbooks

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
WORKBOOKS = sorted((ROOT / "exercises").glob("*.ipynb"))
RECORDED = LESSONS + SOLUTIONS
ALL = RECORDED + WORKBOOKS
SETUP = "%load_ext asyncio_tutorial"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_there_are_lessons() -> None:
    assert [p.name for p in LESSONS][:2] == ["00-start-here.ipynb", "01-coroutines.ipynb"]


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_is_valid_and_uses_the_python3_kernel(path: Path) -> None:
    notebook = read(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_notebook_opens_with_navigation_and_a_numbered_title(path: Path) -> None:
    first = read(path).cells[0]
    assert first.cell_type == "markdown"
    number = workbooks.lesson_number(path.name)
    assert re.search(rf"^# {number} · \S", first.source, re.MULTILINE), first.source[:200]
    assert LINK.search(first.source), "no navigation links in the first cell"


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_setup_cell_comes_first_and_only_once(path: Path) -> None:
    cells = code_cells(read(path))
    assert cells[0].source.strip() == SETUP
    assert not any("%load_ext" in cell.source for cell in cells[1:])


@pytest.mark.parametrize("path", LESSONS, ids=ids(LESSONS))
def test_lesson_states_objectives_time_and_takeaways(path: Path) -> None:
    notebook = read(path)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "**You will learn to**" in text
    assert "**Time:**" in text
    assert "## Key takeaways" in text
    last = notebook.cells[-1]
    assert last.cell_type == "markdown" and LINK.search(last.source.splitlines()[-1])


@pytest.mark.parametrize("path", RECORDED, ids=ids(RECORDED))
def test_recorded_notebook_ran_top_to_bottom_in_order(path: Path) -> None:
    counts = [cell.execution_count for cell in code_cells(read(path))]
    assert counts == list(range(1, len(counts) + 1)), "re-record it with `make record`"


@pytest.mark.parametrize("path", RECORDED, ids=ids(RECORDED))
def test_errors_appear_exactly_in_cells_tagged_raises_exception(path: Path) -> None:
    for index, cell in enumerate(code_cells(read(path))):
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert tagged == bool(errors), f"code cell {index}: tagged={tagged}, errors={errors}"


@pytest.mark.parametrize("path", WORKBOOKS, ids=ids(WORKBOOKS))
def test_workbook_is_clean(path: Path) -> None:
    for cell in code_cells(read(path)):
        assert cell.outputs == [] and cell.execution_count is None


def test_lessons_solutions_and_workbooks_match_by_name() -> None:
    lessons = {p.name for p in LESSONS}
    solutions = {p.name for p in SOLUTIONS}
    assert {p.name for p in WORKBOOKS} == {workbooks.workbook_name(name) for name in solutions}
    assert solutions <= lessons, solutions - lessons


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *ALL]


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    return "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")


def anchors(path: Path) -> set[str]:
    """GitHub/JupyterLab-style anchors of the headings in a Markdown file or notebook."""
    found = set()
    for line in markdown_of(path).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.name)
def test_relative_links_lead_to_files_and_headings_that_exist(path: Path) -> None:
    for target in LINK.findall(markdown_of(path)):
        if re.match(r"[a-z]+:", target):
            continue  # web links are not followed; the course needs no internet
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        assert destination.exists(), f"{path.name}: broken link {target}"
        if anchor:
            assert anchor in anchors(destination), f"{path.name}: no heading for {target}"


def test_readme_course_map_links_every_lesson() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f"notebooks/{lesson.name}" in readme, f"{lesson.name} missing from the course map"


IGNORE_OUTPUT = "nbval-ignore-output"
VERSION_TESTS = ROOT / "tests" / "library" / "test_versions.py"
REPORT = re.compile(r"(from asyncio_tutorial import versions\s+)?versions\.report\(([^)]*)\)")
PROGRAM = re.compile(r"%%standalone --allow-failure (?:.* )?(\S+\.py)\n")
FIGURES = re.compile(r"(\w+)\.show\(\)")  # a Speedups table's figures (lesson 07)


def _tested_by(cell: nbformat.NotebookNode) -> list[str]:
    """What must be tried in test_versions.py for this cell's output to be left unchecked:
    the features a ``versions.report(...)`` reports, or the program's file name."""
    source = cell.source.strip()
    report = REPORT.fullmatch(source)
    if report:
        return [f'"{key}"' for key in re.findall(r'"([^"]+)"', report[2])]
    program = PROGRAM.match(source + "\n")
    return [f'"{program[1]}"'] if program else []


@pytest.mark.parametrize("path", RECORDED, ids=ids(RECORDED))
def test_every_unchecked_output_is_tried_on_every_python_by_the_tests(path: Path) -> None:
    """A cell whose output differs between Pythons is not compared by validation; it is
    allowed only as a plain report of this interpreter (``versions.report``) or a program
    allowed to fail, and only when tests/library/test_versions.py tries what it reports
    (or runs the program, read from the lesson) on every Python; or as a table of
    measured figures (``table.show()``) whose claims the very next cell checks, compared.
    The checking stays out of the learner's way: no lesson prints "the table says" or asks
    ``versions.has``."""
    tests = VERSION_TESTS.read_text(encoding="utf-8")
    cells = code_cells(read(path))
    for index, cell in enumerate(cells):
        where = f"code cell {index} ({cell.source.strip().splitlines()[0][:60]!r})"
        assert "versions.has(" not in cell.source, f"{where}: ask Python itself (hasattr, ...)"
        printed = "".join(out.get("text", "") for out in cell.get("outputs", []))
        assert "the table says" not in printed, f"{where}: a check in the learner's way"
        if IGNORE_OUTPUT not in cell.metadata.get("tags", []):
            continue
        figures = FIGURES.fullmatch(cell.source.strip())
        if figures:  # measured figures, whose claims the next cell checks (compared)
            following = cells[index + 1].source.strip() if index + 1 < len(cells) else ""
            assert following.startswith(f"{figures[1]}.check()"), (
                f"{where}: measured figures go unchecked only when the next cell checks "
                f"their claims with {figures[1]}.check()"
            )
            continue
        needed = _tested_by(cell)
        assert needed, f"{where}: only versions.report(...) or a program allowed to fail"
        missing = [name for name in needed if name not in tests]
        assert not missing, f"{where}: {missing} not tried in {VERSION_TESTS.name}"
