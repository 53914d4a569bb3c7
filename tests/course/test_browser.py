"""Every lesson runs top to bottom with *Run All* in JupyterLab, as a learner sees it.

nbval proves the recorded outputs are right; this proves the learner's path works:
JupyterLab starts with the course's settings, each lesson in ``notebooks/`` opens in a
real browser (headless Chromium driven by Playwright), *Run > Run All Cells* runs every
cell without stopping, and the page shows what the lesson promises:

* every code cell ran (its prompt shows ``[n]``, none is left at ``[*]`` or ``[ ]``);
* errors appear only in cells tagged ``raises-exception``, and every such cell whose
  recorded output is an error shows one;
* text on stderr appears only where the recorded output has it too;
* cells whose recorded output carries timing stamps (``[1.0s] World``) show stamps;
  (both checks skip the cells tagged ``nbval-ignore-output``, whose output depends on the
  Python running the lesson: see ``asyncio_tutorial.versions``)
* no notification pop-up (news, update check) covers the lesson.

The lessons are opened from a temporary copy of ``notebooks/``, so nothing the browser
does (autosave included) can touch the committed notebooks; the test also checks
their hashes before and after.  A screenshot of each lesson after Run All is saved in
``screenshots/latest/``.

Needs Playwright for Python and a Chromium: ``make test`` runs ``tests/course/browser_setup.py``
first, which finds one or installs one.  Without them the test fails with instructions
rather than skipping, so CI cannot pass without having run it.
``CHROMIUM=/path/to/chromium`` picks another browser binary.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_setup import CHROMIUM_ARGS, HOW_TO_GET_ONE, find_chromium
from lab_server import JupyterLab, running_jupyterlab

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
# The longest lessons first (measured with --durations, 3 pages at once: Run All of 07
# takes about 55 s here, of 03 about 32 s, of the others 14 to 24 s), so that the run
# does not end waiting for a long lesson started last.
SLOWEST = ("07-concurrency-vs-parallelism", "03-tasks", "02-event-loop")
LESSONS = sorted(
    (REPO / "notebooks").glob("[0-9]*.ipynb"),
    key=lambda path: (
        path.stem not in SLOWEST,
        SLOWEST.index(path.stem) if path.stem in SLOWEST else 0,
        path.name,
    ),
)
SCREENSHOTS = REPO / "screenshots" / "latest"
COMMITTED_NOTEBOOKS = ("notebooks", "exercises")  # what the test opens (copies of)

STAMP = re.compile(r"\[\d+\.\ds\]")
PAGE_LOAD_TIMEOUT = 90  # s: JupyterLab's page and the lesson's kernel, on a busy machine
LESSON_TIMEOUT = float(os.environ.get("BROWSER_LESSON_TIMEOUT", 300))  # s: Run All, one lesson
VIEWPORT = {"width": 1280, "height": 900}

install_hint = (
    "`make test` (or `python tests/course/browser_setup.py`) finds or installs one.\n"
    + HOW_TO_GET_ONE
)


# --- what the notebook file says -------------------------------------------------------


@dataclass
class ExpectedCell:
    """One code cell of the lesson as recorded in the .ipynb file."""

    index: int  # position among all cells (markdown included), as in the page
    source: str
    raises: bool  # tagged raises-exception
    recorded_error: bool
    recorded_stderr: bool
    recorded_stamps: bool
    unchecked: bool  # tagged nbval-ignore-output: what it shows depends on the Python

    @property
    def label(self) -> str:
        first_line = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return f"cell {self.index + 1} ({first_line[:60]!r})"  # counted as the status bar does


def expected_cells(lesson: Path) -> tuple[int, list[ExpectedCell]]:
    """How many cells the lesson has, and what its code cells should show."""
    notebook = nbformat.read(lesson, as_version=4)
    code: list[ExpectedCell] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        text = "".join(
            output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for output in outputs
        )
        code.append(
            ExpectedCell(
                index=index,
                source=cell.source,
                raises="raises-exception" in cell.metadata.get("tags", []),
                recorded_error=any(o.output_type == "error" for o in outputs),
                recorded_stderr=any(o.get("name") == "stderr" for o in outputs),
                recorded_stamps=bool(STAMP.search(text)),
                unchecked="nbval-ignore-output" in cell.metadata.get("tags", []),
            )
        )
    return len(notebook.cells), code


# --- what the page shows ----------------------------------------------------------------

# Reads the open notebook from the page: for each cell its prompt and rendered outputs
# from the DOM, and each output's type from JupyterLab's model (an error and a stream
# on stderr are both rendered as application/vnd.jupyter.stderr; only the model can
# tell them apart).  Brief: prompts and the kernel's status only, for polling while the
# lesson runs (reading every output five times a second costs the browser CPU).
READ_NOTEBOOK_JS = """
(brief) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const cells = panel.content.widgets.map((cell) => {
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    let promptText = prompt ? prompt.textContent.trim() : '';
    // A cell whose input is collapsed shows no prompt: its model still has the count.
    if (!promptText && cell.model.type === 'code' && cell.inputHidden
        && cell.model.executionCount !== null) {
      promptText = `[${cell.model.executionCount}]:`;
    }
    if (brief) return {type: cell.model.type, prompt: promptText, outputs: [], rendered: []};
    const outputs = [];
    if (cell.model.type === 'code') {
      for (let i = 0; i < cell.model.outputs.length; i++) {
        const json = cell.model.outputs.get(i).toJSON();
        outputs.push({type: json.output_type, name: json.name || null,
                      ename: json.ename || null, evalue: json.evalue || null});
      }
    }
    const rendered = [...cell.node.querySelectorAll('.jp-OutputArea-output')].map((el) => ({
      mime: el.getAttribute('data-mime-type'), text: el.textContent,
    }));
    return {type: cell.model.type, prompt: promptText, outputs, rendered};
  });
  const toasts = [...document.querySelectorAll('.Toastify__toast')].map((t) => t.textContent);
  return {status: panel.sessionContext.kernelDisplayStatus, cells, toasts};
}
"""

EXECUTED = re.compile(r"^\[\d+\]:?$")


@dataclass
class PageState:
    status: str
    cells: list[dict[str, Any]]
    toasts: list[str] = field(default_factory=list)

    def prompt(self, index: int) -> str:
        return str(self.cells[index]["prompt"])

    @property
    def running(self) -> bool:
        return any("*" in cell["prompt"] for cell in self.cells if cell["type"] == "code")


def read_page(page: Any, brief: bool = False) -> PageState | None:
    """The open notebook as the page shows it (brief: prompts and kernel status only)."""
    state = page.evaluate(READ_NOTEBOOK_JS, brief)
    return PageState(**state) if state else None


# --- fixtures -----------------------------------------------------------------------------


def notebook_hashes() -> dict[str, str]:
    return {
        str(path.relative_to(REPO)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in COMMITTED_NOTEBOOKS
        for path in sorted((REPO / folder).glob("**/*.ipynb"))
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"Playwright for Python is not installed.\n{install_hint}", pytrace=False)
    executable = find_chromium()
    if executable is None:
        pytest.fail(f"Chromium was not found.\n{install_hint}", pytrace=False)
    with sync_playwright() as playwright:
        problem = None
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
        except Exception as error:  # a broken install: say so, with the cause
            problem = f"Chromium ({executable}) did not start: {error}"
        if problem:
            pytest.fail(f"{problem}\n{install_hint}", pytrace=False)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the lessons and workbooks, for JupyterLab to serve."""
    root = tmp_path_factory.mktemp("course")
    for folder in COMMITTED_NOTEBOOKS:
        shutil.copytree(
            REPO / folder,
            root / folder,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    return root


@pytest.fixture(scope="module")
def lab(lab_root: Path) -> Iterator[JupyterLab]:
    """JupyterLab serving a copy of the lessons and workbooks, with the course's settings."""
    before = notebook_hashes()
    try:
        with running_jupyterlab(lab_root) as server:
            yield server
    finally:
        after = notebook_hashes()
        changed = sorted(name for name in before if after.get(name) != before[name])
        # JupyterLab served a copy, so it cannot have written these; a change means
        # someone edited the lessons during the run (or this test has a bug)
        assert not changed, f"committed lessons changed during the browser test: {changed}"


@pytest.fixture(scope="module")
def jupyterlab_page(browser: Any, lab: JupyterLab) -> Iterator[Any]:
    """One JupyterLab page per worker, in which lessons are opened one after another.

    Loading JupyterLab costs Chromium about 7 s of CPU on this machine; a learner loads
    it once and opens lesson after lesson in it, and so does the test (each lesson then
    costs 2 s to open instead of 9).
    """
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PAGE_LOAD_TIMEOUT * 1000)
    page = context.new_page()
    try:
        load_jupyterlab(page, lab)
        yield page
    finally:
        context.close()


@pytest.fixture
def page(jupyterlab_page: Any, lab: JupyterLab) -> Iterator[Any]:
    """The page with nothing open; the lesson and its kernel are closed after the test."""
    if not page_is_clean(jupyterlab_page):  # a lesson before this one left something
        load_jupyterlab(jupyterlab_page, lab)
    try:
        yield jupyterlab_page
    finally:
        close_everything(jupyterlab_page)
        lab.shut_down_kernels()


def load_jupyterlab(page: Any, lab: JupyterLab) -> None:
    """JupyterLab, loaded afresh (?reset: an empty workspace) and ready for commands."""
    page.goto(lab.url("/lab?reset"))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")


def page_is_clean(page: Any) -> bool:
    """JupyterLab is loaded, with no document or dialog open (False if the page broke)."""
    try:
        return bool(
            page.evaluate(
                """() => !!window.jupyterapp
                    && [...window.jupyterapp.shell.widgets('main')].length === 0
                    && !document.querySelector('.jp-Dialog')"""
            )
        )
    except Exception:  # a crashed or closed page: the next lesson loads JupyterLab again
        return False


def close_everything(page: Any) -> None:
    """Close what the lesson opened, without JupyterLab asking to save the outputs.

    If that fails, the page is left as it is: the next lesson finds it unclean and
    loads JupyterLab again.
    """
    with contextlib.suppress(Exception):
        page.evaluate(
            """() => {
              for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
                if (widget.context) widget.context.model.dirty = false;
                widget.dispose();
              }
              return true;
            }"""
        )


# --- the test -------------------------------------------------------------------------------


def test_course_settings_turn_off_news_and_update_checks(lab: JupyterLab) -> None:
    settings = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {
        name: spec["default"]
        for name, spec in settings["schema"]["properties"].items()  # type: ignore[index]
        if name in ("fetchNews", "checkForUpdates")
    }
    assert defaults == {"fetchNews": "false", "checkForUpdates": False}, (
        "JupyterLab did not pick up the course's defaults: `make venv` copies "
        "jupyterlab/asyncio-tutorial.json to share/jupyter/lab/settings/overrides.d/"
    )


# Every open notebook: its path, kernel status, whether its kernel's info has come in,
# and whether JupyterLab thinks it has unsaved changes.
OPEN_NOTEBOOKS_JS = """
() => [...window.jupyterapp.shell.widgets('main')].map((w) => {
  const session = w.sessionContext && w.sessionContext.session;
  return {
    path: w.context ? w.context.path : null,
    status: w.sessionContext ? w.sessionContext.kernelDisplayStatus : null,
    dirty: w.context ? w.context.model.dirty : null,
    language: w.context ? (w.context.model.getMetadata('language_info') || null) : null,
    kernel: !!(session && session.kernel),
  };
})
"""
OPENED_TOGETHER = 8  # notebooks opened at once (each starts a kernel)


def _batches(paths: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(paths), size):
        yield paths[start : start + size]


def test_every_lesson_and_workbook_closes_untouched(
    page: Any, lab: JupyterLab, lab_root: Path
) -> None:
    """Open each notebook as a learner does, let its kernel start, close it: no "Save
    changes?" question and no file changed (the kernel's language_info must not differ
    from the notebook's, or JupyterLab marks it unsaved and autosave rewrites it)."""
    names = sorted(
        str(path.relative_to(lab_root))
        for folder in COMMITTED_NOTEBOOKS
        for path in (lab_root / folder).glob("*.ipynb")
    )
    assert len(names) >= 23, names  # 12 lessons, 11 workbooks
    before = {name: (lab_root / name).read_bytes() for name in names}
    problems: list[str] = []
    for batch in _batches(names, OPENED_TOGETHER):
        for name in batch:
            page.evaluate(
                "(path) => { window.jupyterapp.commands.execute('docmanager:open', "
                "{path, factory: 'Notebook'}); return true; }",
                name,
            )
        deadline = time.monotonic() + PAGE_LOAD_TIMEOUT
        while True:
            opened = page.evaluate(OPEN_NOTEBOOKS_JS)
            ready = [o for o in opened if o["status"] == "idle" and o["kernel"]]
            if len(ready) == len(batch):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"kernels not idle within {PAGE_LOAD_TIMEOUT} s: {opened}")
            time.sleep(0.25)
        # the kernel's info reply (language_info) is applied once it has come in
        page.evaluate(
            """() => Promise.all([...window.jupyterapp.shell.widgets('main')]
                 .filter((w) => w.sessionContext)
                 .map((w) => w.sessionContext.session.kernel.info)).then(() => true)"""
        )
        time.sleep(1.0)
        for notebook in page.evaluate(OPEN_NOTEBOOKS_JS):
            if notebook["dirty"]:
                problems.append(
                    f"{notebook['path']} is marked unsaved as soon as it opened "
                    f"(language_info now {notebook['language']})"
                )
        page.evaluate(  # as clicking each tab's close button does
            "() => { for (const w of [...window.jupyterapp.shell.widgets('main')])"
            " if (w.context) w.close(); return true; }"
        )
        deadline = time.monotonic() + 15
        while True:
            dialog = page.evaluate(
                "() => { const d = document.querySelector('.jp-Dialog');"
                " return d ? d.textContent : null; }"
            )
            if dialog:
                problems.append(f"closing {batch} asked: {dialog!r}")
                break
            if not page.evaluate(  # (JupyterLab opens a Launcher when the last tab closes)
                "() => [...window.jupyterapp.shell.widgets('main')].filter((w) => w.context).length"
            ):
                break
            if time.monotonic() > deadline:
                left = page.evaluate(
                    "() => [...window.jupyterapp.shell.widgets('main')]"
                    ".filter((w) => w.context).map((w) => w.title.label)"
                )
                problems.append(f"closing {batch} left {left} open after 15 s")
                break
            time.sleep(0.2)
        lab.shut_down_kernels()
        if problems:
            break
    changed = [name for name in names if (lab_root / name).read_bytes() != before[name]]
    if changed:
        problems.append(f"files changed by opening and closing them: {changed}")
    assert not problems, "\n".join(problems)


# The text a tab label shows: all of it, or as much as fits before its ellipsis.
VISIBLE_TAB_LABELS_JS = """
() => {
  const context = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tabLabel')].map((el) => {
    const style = getComputedStyle(el);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = el.textContent;
    let shown = text.length;
    if (el.scrollWidth > el.clientWidth) {
      const room = el.clientWidth - context.measureText('…').width;
      shown = 0;
      while (shown < text.length && context.measureText(text.slice(0, shown + 1)).width <= room) {
        shown++;
      }
    }
    return {text, visible: text.slice(0, shown)};
  });
}
"""


def test_a_lesson_and_its_workbook_have_tabs_that_can_be_told_apart(
    page: Any, lab: JupyterLab
) -> None:
    """Side by side, as a learner works: the lesson with the longest name and its workbook."""
    lesson = "notebooks/06-synchronization-and-queues.ipynb"
    workbook = "exercises/workbook-06-synchronization-and-queues.ipynb"
    for path, mode in ((lesson, "tab-after"), (workbook, "split-right")):
        page.evaluate(
            "([path, mode]) => window.jupyterapp.commands.execute('docmanager:open', "
            "{path, factory: 'Notebook', options: {mode}}).then(() => true)",
            [path, mode],
        )
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.wait_for_function(
        "() => document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tabLabel').length == 2"
    )
    time.sleep(0.5)  # layout settles after the split
    labels = page.evaluate(VISIBLE_TAB_LABELS_JS)
    assert sorted(label["text"] for label in labels) == [
        "06-synchronization-and-queues.ipynb",
        "workbook-06-synchronization-and-queues.ipynb",
    ], labels
    visible = [label["visible"] for label in labels]
    assert all(len(v) >= 10 for v in visible), labels
    assert visible[0] != visible[1], f"the two tabs read the same: {labels}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "lesson-and-workbook-tabs.png"),
        clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": 160},
    )


WRONG_GREET = '''async def greet(name):
    """Wait 0.1 s, then return a greeting for name."""
    asyncio.sleep(0.1)  # a first try
    return f"Hello, {name}!"'''

# For each output of the cells given: its text, and how many lines the page shows it in
# (more lines than the text has: the output area broke a line at its edge).
RENDERED_LINES_JS = """
(indexes) => indexes.map((i) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  return [...cell.node.querySelectorAll('.jp-OutputArea-output pre')].map((pre) => {
    const style = getComputedStyle(pre);
    const lineHeight = parseFloat(style.lineHeight);
    const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    return {text: pre.textContent, shown: Math.round((pre.clientHeight - padding) / lineHeight),
            sideways: pre.scrollWidth > pre.clientWidth + 1};
  });
})
"""


def run_cell(page: Any, index: int) -> None:
    """Select the cell at ``index`` and run it (Shift+Enter); wait until it has run."""
    before = page.evaluate(
        """(i) => { const notebook = window.jupyterapp.shell.currentWidget.content;
             const count = notebook.widgets[i].model.executionCount;
             notebook.activeCellIndex = i;
             window.jupyterapp.commands.execute('notebook:run-cell');
             return count; }""",
        index,
    )
    page.wait_for_function(
        """([i, before]) => { const panel = window.jupyterapp.shell.currentWidget;
             const count = panel.content.widgets[i].model.executionCount;
             return count !== null && count !== before
               && panel.sessionContext.kernelDisplayStatus === 'idle'; }""",
        arg=[index, before],
    )


def test_a_wrong_answer_gets_its_verdict_and_hints_readable_at_the_default_width(
    page: Any, lab: JupyterLab
) -> None:
    """A learner's first try at 01 ex1, checked in the workbook; then two hints and
    hints(), which shows both.  With the file browser open (JupyterLab's default
    layout), every line of the verdict and the hints fits: none is broken at the edge."""
    workbook = REPO / "exercises" / "workbook-01-coroutines.ipynb"
    cell_count, code_cells = expected_cells(workbook)
    open_lesson(page, lab, workbook, cell_count)
    page.evaluate(  # the file browser open beside the workbook, as JupyterLab starts
        """() => { const shell = window.jupyterapp.shell; const panel = shell.currentWidget;
             shell.activateById('filebrowser'); shell.activateById(panel.id); return true; }"""
    )
    answer = next(c.index for c in code_cells if "async def greet(" in c.source)
    check = next(c.index for c in code_cells if c.source.startswith("ex1.check(greet)"))
    page.evaluate(
        """([answer, check, source]) => {
             const model = window.jupyterapp.shell.currentWidget.content.model.sharedModel;
             model.getCell(answer).setSource(source);
             model.insertCell(check + 1, {cell_type: 'code', source: 'ex1.hint()'});
             model.insertCell(check + 2, {cell_type: 'code', source: 'ex1.hints()'});
             return true; }""",
        [answer, check, WRONG_GREET],
    )
    setup = [c.index for c in code_cells if c.index < answer and c.source.strip()]
    for index in (*setup, answer, check, check + 1, check + 1, check + 2):
        run_cell(page, index)  # the hint cell twice: hint 1, then hint 2
    verdict, hint, hints = page.evaluate(RENDERED_LINES_JS, [check, check + 1, check + 2])
    text = lambda outputs: "".join(o["text"] for o in outputs)  # noqa: E731
    assert "✗ Not yet" in text(verdict) and "never awaited" in text(verdict), verdict
    assert text(hint).startswith("Hint 2 of 3"), hint
    assert "Hint 1 of 3" in text(hints) and "Hint 2 of 3" in text(hints), hints
    for output in (*verdict, *hint, *hints):
        lines = len(output["text"].rstrip("\n").split("\n"))
        assert output["shown"] == lines and not output["sideways"], (
            f"shown in {output['shown']} lines, written in {lines}: {output['text']!r}"
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    scroll_to_cell(page, answer - 1)
    page.screenshot(path=str(SCREENSHOTS / "verdict-and-hints.png"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[path.stem for path in LESSONS])
def test_lesson_runs_all_cells_in_jupyterlab(lesson: Path, page: Any, lab: JupyterLab) -> None:
    cell_count, code_cells = expected_cells(lesson)
    open_lesson(page, lab, lesson, cell_count)
    run_all_cells(page)
    state = wait_until_finished(page, lesson, code_cells)
    save_screenshot(page, lesson, state)
    problems = check_lesson(state, code_cells) + check_late_lines(lesson, state, code_cells)
    if problems:
        pytest.fail(f"{lesson.name} in JupyterLab:\n  " + "\n  ".join(problems), pytrace=False)


# Lines the lesson says JupyterLab shows under the cell that started a task, though the
# task printed them while a later cell ran (and a recording does not keep them).
LATE_LINES = {"00-start-here": ("task = asyncio.create_task(report_later())", "the task's line")}


def check_late_lines(lesson: Path, state: PageState, code_cells: list[ExpectedCell]) -> list[str]:
    """Lesson 00 §3's claim, as a learner sees it: the late line lands under its cell."""
    if lesson.stem not in LATE_LINES:
        return []
    source, line = LATE_LINES[lesson.stem]
    starter = next(cell for cell in code_cells if source in cell.source)
    shown = "".join(r["text"] for r in state.cells[starter.index]["rendered"])
    if line not in shown:
        return [f"{starter.label} does not show {line!r} under it: {shown!r}"]
    later = [c for c in code_cells if c.index > starter.index]
    if any(line in "".join(r["text"] for r in state.cells[c.index]["rendered"]) for c in later):
        return [f"{line!r} appeared under a later cell, not under {starter.label}"]
    return []


def open_lesson(page: Any, lab: JupyterLab, lesson: Path, cell_count: int) -> None:
    """Open a lesson (or a workbook: any notebook of the course) and wait for its kernel."""
    # as a double click in the file browser does
    page.evaluate(
        "(path) => window.jupyterapp.commands"
        ".execute('docmanager:open', {path, factory: 'Notebook'}).then(() => true)",
        lesson.relative_to(REPO).as_posix(),
    )
    deadline = time.monotonic() + PAGE_LOAD_TIMEOUT
    state = None
    dead_since: float | None = None
    while time.monotonic() < deadline:
        state = read_page(page, brief=True)
        if state and len(state.cells) == cell_count and state.status == "idle":
            break
        # "unknown" and "starting" are normal while the page connects; "dead" for
        # seconds on end is not
        if state and state.status == "dead":
            dead_since = dead_since or time.monotonic()
            if time.monotonic() - dead_since > 10:
                pytest.fail(
                    f"{lesson.name}: the kernel did not start.\n{lab.log()[-3000:]}",
                    pytrace=False,
                )
        else:
            dead_since = None
        time.sleep(0.25)
    else:
        seen = "nothing" if state is None else f"{len(state.cells)} cells, kernel {state.status}"
        pytest.fail(
            f"{lesson.name} did not open with an idle kernel within {PAGE_LOAD_TIMEOUT} s "
            f"(expected {cell_count} cells; the page shows {seen}).\n"
            f"Server log:\n{lab.log()[-3000:]}",
            pytrace=False,
        )
    # the lesson takes the whole width, as it does for a learner who hides the file browser
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")


def run_all_cells(page: Any) -> None:
    """*Run > Run All Cells*, through the menu bar as a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def wait_until_finished(page: Any, lesson: Path, code_cells: list[ExpectedCell]) -> PageState:
    """Wait until no cell is queued or running and the kernel is idle.

    Run All stops at the first unexpected error; the wait then ends too (nothing is
    queued any more), and the checks report which cell stopped it.
    """
    started = time.monotonic()
    seen_running = False
    settled_since: float | None = None
    state: PageState | None = None
    to_run = [cell.index for cell in code_cells if cell.source.strip()]
    while time.monotonic() - started < LESSON_TIMEOUT:
        state = read_page(page, brief=True)
        assert state is not None, f"{lesson.name}: the notebook is no longer the current tab"
        seen_running = seen_running or state.running or state.status == "busy"
        all_ran = all(EXECUTED.match(state.prompt(i)) for i in to_run)
        if state.status == "idle" and not state.running and (all_ran or seen_running):
            settled_since = settled_since or time.monotonic()
            # all cells numbered: done; stopped early: make sure it stays stopped
            if all_ran or time.monotonic() - settled_since > 2:
                finished = read_page(page)  # now with every output
                assert finished is not None, f"{lesson.name}: the notebook tab closed"
                return finished
        else:
            settled_since = None
        if state.status == "dead":
            pytest.fail(f"{lesson.name}: the kernel died during Run All", pytrace=False)
        time.sleep(0.2)
    assert state is not None
    stuck = [c.label for c in code_cells if "*" in state.prompt(c.index)]
    pytest.fail(
        f"{lesson.name}: Run All did not finish within {LESSON_TIMEOUT:.0f} s "
        f"(kernel {state.status}; still running or queued: {', '.join(stuck) or 'none'})",
        pytrace=False,
    )


def check_lesson(state: PageState, code_cells: list[ExpectedCell]) -> list[str]:
    """Everything wrong with the page after Run All, one sentence each."""
    problems: list[str] = []
    for cell in code_cells:
        shown = state.cells[cell.index]
        if cell.source.strip() and not EXECUTED.match(shown["prompt"]):
            problems.append(f"{cell.label} did not run (prompt {shown['prompt'] or 'empty'!r})")
            continue
        errors = [o for o in shown["outputs"] if o["type"] == "error"]
        stderr = [o for o in shown["outputs"] if o["type"] == "stream" and o["name"] == "stderr"]
        texts = "".join(r["text"] for r in shown["rendered"])
        if errors and not cell.raises:
            first = errors[0]
            problems.append(
                f"{cell.label} raised {first['ename']}: {first['evalue']} "
                "but is not tagged raises-exception"
            )
        if cell.raises and cell.recorded_error and not errors:
            problems.append(f"{cell.label} is tagged raises-exception but showed no error")
        if errors and not any(
            r["mime"] == "application/vnd.jupyter.stderr" for r in shown["rendered"]
        ):
            problems.append(f"{cell.label} has an error the page does not display")
        # an unchecked cell shows this Python's own output: nothing to compare it with
        if stderr and not cell.recorded_stderr and not cell.unchecked:
            problems.append(f"{cell.label} wrote to stderr, unlike its recorded output")
        if cell.recorded_stamps and not STAMP.search(texts) and not cell.unchecked:
            problems.append(f"{cell.label} shows no timing stamps (its recorded output has them)")
        if len(shown["rendered"]) < len(shown["outputs"]):
            problems.append(f"{cell.label}: some outputs are not rendered")
    if state.toasts:
        problems.append(f"notification pop-ups on the page: {state.toasts}")
    return problems


def save_screenshot(page: Any, lesson: Path, state: PageState) -> None:
    """``screenshots/latest/<lesson>.png``, scrolled to where timing stamps show best.

    That is the first output with two stamped lines or more (else with one, else the
    top), with the cell before it (usually its explanation) at the top of the view.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stamps = [sum(len(STAMP.findall(r["text"])) for r in cell["rendered"]) for cell in state.cells]
    best = next(
        (i for i, n in enumerate(stamps) if n >= 2), next((i for i, n in enumerate(stamps) if n), 0)
    )
    scroll_to_cell(page, best - 1)
    page.screenshot(path=str(SCREENSHOTS / f"{lesson.stem}.png"))
    if lesson.stem == TRAP_CELL[0]:
        scroll_to_cell(
            page,
            next(
                i
                for i, c in enumerate(nbformat.read(lesson, as_version=4).cells)
                if TRAP_CELL[1] in c.source
            )
            - 1,
        )
        page.screenshot(path=str(SCREENSHOTS / "trap-cell.png"))


# The screenshot of a "trap" cell, failing on purpose: its lesson, and a line of it.
TRAP_CELL = ("01-coroutines", "with closing(hello()) as coro:")


def scroll_to_cell(page: Any, index: int) -> None:
    """The cell at ``index`` at the top of the view."""
    # twice: cells skipped by content-visibility get their real height once painted,
    # which moves the target after the first scroll
    for _ in range(2):
        page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
            ".node.scrollIntoView({block: 'start'})",
            max(index, 0),
        )
        time.sleep(0.5)
