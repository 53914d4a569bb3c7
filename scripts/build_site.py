"""Build the course's website into ``site/`` from the notebooks as recorded (``make site``).

    python scripts/build_site.py [--out site]

The pages are the committed notebooks with the outputs validation compared, never
re-executed: Sphinx with MyST-NB renders each stored output (ANSI colours of tracebacks
included), and the Furo theme gives navigation, a table of contents per page, search,
light and dark themes and a layout that reads on a phone (``website/conf.py``).

Before Sphinx runs, the sources are copied to ``.site-build/`` and given what a reader
of the website needs and a reader in JupyterLab has already:

* at the top of every page, how to run it for real (``make lab`` and the file's name),
  and, for a lesson whose outputs depend on the Python version, which Python the
  recording came from;
* under each exercise of a workbook, its hints (the checkers hold them), folded, and a
  link to its worked answer, one click away so that a learner can try first;
* each Mermaid diagram as the picture JupyterLab draws of it (``website/figures/``,
  made by ``scripts/site_figures.py``), with a text alternative;
* a table of contents: lesson, then its workbook, in course order; the worked answers
  last.

Nothing in ``notebooks/``, ``exercises/`` or ``solutions/`` is modified.
"""

from __future__ import annotations

import argparse
import html
import importlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_figures  # noqa: E402  (scripts/site_figures.py: the diagrams' drawings)

from asyncio_tutorial.course.workbooks import lesson_name, lesson_number, workbook_name  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / ".site-build"
FOLDERS = ("notebooks", "exercises", "solutions")
CHECK = re.compile(r"^(ex\d+)\.check\(", re.MULTILINE)
RECORDED_WITH = re.compile(r"This notebook runs Python (3\.\d+\.\d+)")
STDLIB_PATH = re.compile(r"…/python(3\.\d+)/")


def recorded_with(notebook: nbformat.NotebookNode) -> str | None:
    """The Python a lesson was recorded with, as its outputs say (None if they do not)."""
    texts = [
        str(output.get("text", "")) + "".join(output.get("traceback", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    for pattern in (RECORDED_WITH, STDLIB_PATH):
        for text in texts:
            if found := pattern.search(text):
                return found[1]
    return None


FIGURES = re.compile(r"\w+\.show\(\)")
"""A cell printing measured figures (lesson 07's table, lesson 11's speedup): not compared,
because they differ from run to run, not because they depend on the Python."""


def depends_on_python(notebook: nbformat.NotebookNode) -> bool:
    """Whether some output is allowed to differ between Pythons (not compared)."""
    return any(
        "nbval-ignore-output" in cell.metadata.get("tags", [])
        and not FIGURES.fullmatch(cell.source.strip())
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def banner(folder: str, path: Path, notebook: nbformat.NotebookNode) -> str:
    """The note at the top of a page: what the file is, and how to run it for real."""
    name = f"{folder}/{path.name}"
    run = (
        f"To run it for real: `make lab` in the course's folder, then open `{name}` in JupyterLab."
    )
    if folder == "notebooks":
        text = (
            f"This page is the lesson `{name}`, with the outputs recorded when it was last "
            f"run. {run}"
        )
        if depends_on_python(notebook):
            version = recorded_with(notebook)
            if version is None:
                raise SystemExit(f"{name}: its outputs depend on the Python, but do not say which")
            text += (
                f" Some of its outputs depend on the Python version: they show what Python "
                f"{version} did, and the lesson says what yours does."
            )
        title = "Run this lesson"
    elif folder == "exercises":
        text = (
            f"This page is the workbook `{name}`. Its checks run your answers for real, so they "
            f"work in JupyterLab, not on this page. {run} Each exercise's hints are below it; the "
            f"[worked answers](../solutions/{lesson_name(path.name)}) are one click away, after "
            "you have tried."
        )
        title = "Try these exercises"
    else:
        text = (
            f"This page is `{name}`: the worked answers, checked, with their outputs. "
            f"Try the [exercises](../exercises/{workbook_name(path.name)}) first. {run}"
        )
        title = "Worked answers"
    return f":::{{admonition}} {title}\n:class: tip\n\n{text}\n:::"


def inline_code(text: str) -> str:
    """A hint's Markdown code spans as HTML (hints go in an HTML <details> element)."""
    parts = text.split("`")
    return "".join(
        f"<code>{html.escape(part)}</code>" if i % 2 else html.escape(part)
        for i, part in enumerate(parts)
    )


def hints_cell(exercise: object, solutions: str) -> nbformat.NotebookNode:
    hints = "".join(f"<li>{inline_code(h)}</li>" for h in exercise.hint_texts)  # type: ignore[attr-defined]
    name = exercise.name  # type: ignore[attr-defined]
    return nbformat.v4.new_markdown_cell(
        f"<details><summary>Hints for {name}</summary><ol>{hints}</ol></details>\n\n"
        f"[Worked answer to {name}]({solutions})"
    )


def lesson_exercises(path: Path) -> dict[str, object]:
    """The exercises of a workbook, by name, from its lesson's checkers."""
    number = lesson_number(path.name)
    module = importlib.import_module(f"asyncio_tutorial.checkers.lesson{number}")
    return {e.name: e for e in module.EXERCISES}


def diagram_text(source: str) -> str:
    """A diagram's text alternative, from its Mermaid source: the labels and arrows."""
    body = source.strip().splitlines()[1:]
    labels = dict(re.findall(r'(\w+)\["([^"]*)"\]', source))
    lines = []
    for line in body:
        line = line.strip()
        if not line or line.startswith("direction"):
            continue
        line = re.sub(r'(\w+)\["[^"]*"\]', r"\1", line)  # W["label"] -> W
        line = re.sub(r"\b\w+\b", lambda m: labels.get(m[0], m[0]), line)  # W -> its label
        line = line.replace("<br/>", " ").replace("[*]", "start").replace("-->", "→")
        lines.append(line)
    return "; ".join(lines)


def figures(cell: nbformat.NotebookNode, where: str) -> None:
    """Each Mermaid block becomes the picture JupyterLab draws of it (site_figures.py)."""

    def picture(match: re.Match[str]) -> str:
        source = match[1]
        name = site_figures.key(source)
        if not (ROOT / "website" / "figures" / f"{name}.svg").exists():
            raise SystemExit(
                f"{where}: a diagram has no drawing in website/figures/ (new or changed): "
                "run `make site-figures` and commit website/figures/"
            )
        alt = html.escape(f"Diagram: {diagram_text(source)}", quote=True)
        return f'<img class="diagram" src="../_static/figures/{name}.svg" alt="{alt}">\n'

    cell.source = site_figures.MERMAID.sub(picture, cell.source)


def stage_notebook(folder: str, path: Path, target: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    cells = [nbformat.v4.new_markdown_cell(banner(folder, path, notebook))]
    exercises = lesson_exercises(path) if folder == "exercises" else {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            figures(cell, f"{folder}/{path.name}")
        cells.append(cell)
        found = CHECK.search(cell.source) if cell.cell_type == "code" else None
        if found and found[1] in exercises:
            answers = f"../solutions/{lesson_name(path.name)}"
            cells.append(hints_cell(exercises[found[1]], answers))
    # The heading with the lesson's title must come first, for the page's title.
    first_heading = next(
        i for i, c in enumerate(cells) if c.cell_type == "markdown" and "\n# " in "\n" + c.source
    )
    if first_heading == 1:
        cells[0], cells[1] = cells[1], cells[0]
        cells[0], cells[1] = _split_title(cells[0], cells[1])
    notebook.cells = cells
    nbformat.write(notebook, target)


def _split_title(heading: nbformat.NotebookNode, note: nbformat.NotebookNode):
    """Keep the navigation line and the title first, then the note, then the rest."""
    lines = heading.source.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("# "))
    head = nbformat.v4.new_markdown_cell("\n".join(lines[: title + 1]))
    rest = "\n".join(lines[title + 1 :]).strip()
    note.source = note.source + ("\n\n" + rest if rest else "")
    return head, note


def toctree(caption: str, entries: list[str]) -> str:
    body = "\n".join(entries)
    return f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{body}\n```\n"


def stage(staging: Path) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    source = staging / "src"
    source.mkdir(parents=True)
    shutil.copytree(
        ROOT / "website", source, dirs_exist_ok=True, ignore=shutil.ignore_patterns("figures")
    )
    shutil.copytree(ROOT / "website" / "figures", source / "_static" / "figures")
    (source / "screenshots").mkdir()
    for image in (ROOT / "screenshots").glob("*.png"):
        shutil.copy2(image, source / "screenshots" / image.name)
    for folder in FOLDERS:
        (source / folder).mkdir()
        for path in sorted((ROOT / folder).glob("*[0-9][0-9]-*.ipynb")):
            stage_notebook(folder, path, source / folder / path.name)
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    workbooks = {p.stem for p in (ROOT / "exercises").glob("workbook-[0-9][0-9]-*.ipynb")}
    course = []
    for lesson in lessons:
        course.append(f"notebooks/{lesson}")
        workbook = Path(workbook_name(lesson + ".ipynb")).stem
        if workbook in workbooks:
            course.append(f"Exercises {lesson[:2]} <exercises/{workbook}>")
    answers = [
        f"solutions/{p.stem}" for p in sorted((ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme += toctree("Lessons and exercises", course) + toctree("Worked answers", answers)
    (source / "README.md").write_text(readme, encoding="utf-8")


def build(out: Path) -> int:
    started = time.perf_counter()
    stage(STAGING)
    if out.exists():
        shutil.rmtree(out)
    # Built inside the staging folder, then moved: MyST-NB writes output files beside
    # Sphinx's output folder (in its parent), which must not be the course's folder.
    html_dir = STAGING / "html"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-j",
        "auto",
        "-d",
        str(STAGING / "doctrees"),
        str(STAGING / "src"),
        str(html_dir),
    ]
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode == 0:
        shutil.move(html_dir, out)
        (out / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ as it is
        shutil.copy2(out / "README.html", out / "index.html")  # the home page, at /
        pages = len(list(out.rglob("*.html")))
        print(f"site: {pages} pages in {out} ({time.perf_counter() - started:.1f} s)")
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "site"), help="where to write the website")
    args = parser.parse_args(argv)
    return build(Path(args.out))


if __name__ == "__main__":
    sys.exit(main())
