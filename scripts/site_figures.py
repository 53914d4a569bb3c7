"""Draw the lessons' Mermaid diagrams as JupyterLab draws them, for the website.

    python scripts/site_figures.py        (make site-figures)

JupyterLab renders a Markdown cell's ```` ```mermaid ```` block as a diagram with the
Mermaid library it bundles, shown as an image (an SVG in a ``data:`` URL). The website
must show the same figure and must not load anything from the internet, so this script
opens the diagrams in a real JupyterLab, in headless Chromium, and keeps each rendered
SVG in ``website/figures/<key>.svg``, where ``<key>`` is a hash of the diagram's source.
Those files are committed: ``make site`` uses them and fails, naming this script, when a
lesson's diagram has none (it was added or changed since).
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "website" / "figures"
MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.MULTILINE | re.DOTALL)
FOLDERS = ("notebooks", "exercises", "solutions")


def key(source: str) -> str:
    """The file name of a diagram's drawing: a hash of its Mermaid source."""
    return hashlib.sha256(source.strip().encode()).hexdigest()[:16]


def diagrams() -> dict[str, str]:
    """Every Mermaid diagram in the course's notebooks, by key."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).glob("*[0-9][0-9]-*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "markdown":
                    for source in MERMAID.findall(cell.source):
                        found[key(source)] = source
    return found


def draw(sources: dict[str, str]) -> dict[str, str]:
    """Render each diagram in JupyterLab and return its SVG, by key."""
    sys.path.insert(0, str(ROOT / "tests" / "course"))
    from browser_setup import CHROMIUM_ARGS, find_chromium
    from lab_server import running_jupyterlab
    from playwright.sync_api import sync_playwright

    keys = list(sources)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_markdown_cell(f"```mermaid\n{sources[k]}```") for k in keys]
    drawn: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        nbformat.write(notebook, Path(folder) / "diagrams.ipynb")
        with running_jupyterlab(Path(folder)) as lab, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=find_chromium(),
                args=CHROMIUM_ARGS,
            )
            page = browser.new_page()
            page.goto(lab.url("/lab/tree/diagrams.ipynb?reset"))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                svgs = page.evaluate(
                    "() => [...document.querySelectorAll('.jp-MarkdownCell')].map("
                    "c => { const i = c.querySelector('.jp-RenderedMermaid img');"
                    " return i ? i.getAttribute('src') : null; })"
                )
                if len(svgs) == len(keys) and all(svgs):
                    # JupyterLab shows each diagram as an <img> of a data: URL
                    prefix = "data:image/svg+xml,"
                    drawn = {
                        k: urllib.parse.unquote(s.removeprefix(prefix))
                        for k, s in zip(keys, svgs, strict=True)
                    }
                    break
                time.sleep(0.5)
            browser.close()
    missing = [k for k in keys if k not in drawn]
    if missing:
        raise SystemExit(f"JupyterLab did not draw {len(missing)} diagram(s) within 120 s")
    return drawn


def main() -> int:
    sources = diagrams()
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name, svg in draw(sources).items():
        (FIGURES / f"{name}.svg").write_text(svg + "\n", encoding="utf-8")
        print(f"drew website/figures/{name}.svg")
    for old in FIGURES.glob("*.svg"):
        if old.stem not in sources:
            old.unlink()
            print(f"removed website/figures/{old.name} (no lesson draws it now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
