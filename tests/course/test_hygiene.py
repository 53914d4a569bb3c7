"""Every notebook has the anatomy the course promises, and every link leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from asyncio_tutorial import workbooks

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
TABLE_VERDICT = re.compile(r"the table says[^\n]*: True\b")


def _is_unchecked_kind(cell: nbformat.NotebookNode) -> bool:
    """The two kinds of cell whose output validation may leave alone (see versions.py)."""
    source = cell.source.strip()
    report_only = re.fullmatch(
        r"(from asyncio_tutorial import versions\s+)?versions\.report\([^)]*\)", source
    )
    return bool(report_only) or source.startswith("%%standalone --allow-failure")


def _verdict(cell: nbformat.NotebookNode) -> bool:
    text = "".join(out.get("text", "") for out in cell.get("outputs", []))
    return IGNORE_OUTPUT not in cell.metadata.get("tags", []) and bool(TABLE_VERDICT.search(text))


@pytest.mark.parametrize("path", RECORDED, ids=ids(RECORDED))
def test_every_unchecked_output_is_proved_by_a_checked_neighbour(path: Path) -> None:
    """A cell whose output differs between Pythons is not compared by validation; it is
    allowed only as a plain report of this interpreter, or a program allowed to fail, and
    only next to a compared cell that checks the same behaviour against the lesson's
    table ("... the table says ...: True")."""
    cells = code_cells(read(path))
    for index, cell in enumerate(cells):
        if IGNORE_OUTPUT not in cell.metadata.get("tags", []):
            continue
        where = f"code cell {index} ({cell.source.strip().splitlines()[0][:60]!r})"
        assert _is_unchecked_kind(cell), f"{where}: only versions.report(...) or a program"
        neighbours = cells[max(index - 1, 0) : index] + cells[index + 1 : index + 2]
        if cell.source.strip().startswith("%%standalone"):
            neighbours = cells[index + 1 : index + 2]  # the proof needs last_run(): after it
        assert any(_verdict(n) for n in neighbours), f"{where}: no table verdict next to it"
