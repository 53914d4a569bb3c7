"""The course's website, read as a reader would: every page in headless Chromium.

``make site`` builds ``site/`` from the notebooks as recorded (scripts/build_site.py);
``make test`` builds it in its published copy and runs this file (``-m site``).  The
site is served on 127.0.0.1 on a free port, nothing else: a page that needs the internet
fails here.  Each page must load with no console error and no failed request, every
internal link and image must resolve (to the anchor, when there is one), search must
find ``TaskGroup`` in the lessons that teach it, axe-core must find no serious or
critical accessibility problem in the light or the dark theme, and a phone-sized window
must not scroll sideways.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import socketserver
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_setup import CHROMIUM_ARGS, find_chromium

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ID = re.compile(r'\bid="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: ``$ASYNCIO_TUTORIAL_SITE`` (make test's), or built here."""
    given = os.environ.get("ASYNCIO_TUTORIAL_SITE")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_site.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def pages(site: Path) -> list[str]:
    """Every page a reader can reach, as paths relative to the site's root."""
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if not p.relative_to(site).parts[0].startswith("_")
    )


def visit(browser: Any, url: str, viewport: dict[str, int], scheme: str = "light") -> Any:
    """Open ``url``; return the page, with the problems it reported in ``page.problems``."""
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    page.problems = problems
    return page


def test_the_site_has_every_lesson_workbook_and_worked_answer(site: Path) -> None:
    for folder in ("notebooks", "exercises", "solutions"):
        sources = {p.stem for p in (REPO / folder).glob("*[0-9][0-9]-*.ipynb")}
        built = {p.stem for p in (site / folder).glob("*.html")}
        assert sources and sources == built, folder
    assert (site / "README.html").exists() and (site / "index.html").exists()


def site_pages() -> list[str]:
    """The pages the site must have, known from the course's files (for parametrizing)."""
    found = ["README.html", "index.html", "search.html", "genindex.html"]
    for folder in ("notebooks", "exercises", "solutions"):
        found += [
            f"{folder}/{p.stem}.html" for p in sorted((REPO / folder).glob("*[0-9][0-9]-*.ipynb"))
        ]
    return found


# axe-core takes seconds over a long page's code: thousands of highlighted spans. The
# code's colours, like the dark theme's, are the same on every page of a kind, so every
# page is checked without its code cells and outputs, and one page of each kind whole,
# in both themes.
WHOLE = (
    "README.html",
    "notebooks/03-tasks.html",
    "exercises/workbook-03-tasks.html",
    "solutions/03-tasks.html",
)


@functools.cache
def anchors(file: Path) -> frozenset[str]:
    return frozenset(ID.findall(file.read_text("utf-8")))


def link_problems(site: Path, base_url: str, url: str) -> list[str]:
    """What is wrong with a link or image address on the site, if anything."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not url.startswith(base_url):
        if parsed.scheme == "file" or "127.0.0.1" in url or "localhost" in url:
            return [f"{url} points to a local path"]
        return []  # mailto:, or a page elsewhere on the web (not followed)
    relative = urllib.parse.unquote(parsed.path[len(urllib.parse.urlsplit(base_url).path) :])
    file = site / (relative or "index.html")
    if file.is_dir():
        file = file / "index.html"
    if relative.endswith((".ipynb", ".md")):
        return [f"{url} links to a source file, not a page"]
    if not file.is_file():
        return [f"{url} does not exist"]
    if parsed.fragment and file.suffix == ".html":
        if urllib.parse.unquote(parsed.fragment) not in anchors(file):
            return [f"{url}: no #{parsed.fragment} there"]
    return []


def serious(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_the_site_has_exactly_the_pages_it_should(site: Path) -> None:
    assert set(pages(site)) == set(site_pages())


@pytest.mark.parametrize("path", site_pages())
def test_a_page_as_a_reader_meets_it(site: Path, base_url: str, browser: Any, path: str) -> None:
    """It loads with no console error and no failed request, its links and images
    resolve, axe-core finds nothing serious, and a phone does not scroll sideways."""
    from axe_playwright_python.sync_playwright import Axe

    problems: list[str] = []
    page = visit(browser, base_url + path, DESKTOP, "light")
    page.wait_for_timeout(100)  # late requests: fonts, the search index
    links = page.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"
        ".concat([...document.querySelectorAll('img[src]')].map(i => i.src))"
    )
    for url in sorted(set(links)):
        problems += link_problems(site, base_url, url)
    if path not in ("genindex.html", "search.html"):
        context = None if path in WHOLE else {"exclude": [["div.highlight"], ["div.cell_output"]]}
        checked = Axe().run(page, context=context).response["violations"]
        problems += [f"light theme: {p}" for p in serious(checked)]
    problems += page.problems
    page.context.close()

    page = visit(browser, base_url + path, PHONE, "dark")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"on a phone, the page is {overflow}px too wide: it scrolls sideways")
    if path in WHOLE:
        contrast = Axe().run(page, options={"runOnly": ["color-contrast"]})
        problems += [f"dark theme: {p}" for p in serious(contrast.response["violations"])]
    problems += page.problems
    page.context.close()
    assert not problems, f"{path}:\n" + "\n".join(problems)


def test_search_finds_taskgroup_in_the_lessons_that_teach_it(base_url: str, browser: Any) -> None:
    page = visit(browser, base_url + "search.html?q=TaskGroup", DESKTOP)
    page.wait_for_selector("#search-results li", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('#search-results .search-summary')"
        " || document.querySelector('#search-results .search-summary').textContent.trim() !== ''"
    )
    found = page.evaluate(
        "() => [...document.querySelectorAll('#search-results li a')].map(a => a.href)"
    )
    page.context.close()
    for lesson in ("notebooks/03-tasks.html", "notebooks/08-errors-and-cancellation.html"):
        assert any(lesson in url for url in found), found


def test_pages_say_how_to_run_them_and_which_python_recorded_them(site: Path) -> None:
    for folder in ("notebooks", "exercises", "solutions"):
        for page in (site / folder).glob("*.html"):
            text = text_of(page)
            assert "make lab" in text and f"{folder}/{page.stem}.ipynb" in text, page.name
    # lessons whose outputs depend on the Python say which one they were recorded with
    lesson = text_of(site / "notebooks" / "03-tasks.html")
    assert re.search(r"what Python 3\.1\d(\.\d+)? did", lesson)


def text_of(page: Path) -> str:
    """A page's text, without its tags (highlighted code is split into many spans)."""
    return re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))


def test_a_lesson_page_shows_the_recorded_outputs_as_jupyterlab_does(site: Path) -> None:
    lesson = text_of(site / "notebooks" / "08-errors-and-cancellation.html")
    assert re.search(r"\[\d\.\ds\] ", lesson)  # timing stamps
    assert "ExceptionGroup: unhandled errors in a TaskGroup" in lesson  # a traceback
    assert "██" in lesson and "── waiting" in lesson  # a task timeline chart
    tasks = (site / "notebooks" / "03-tasks.html").read_text(encoding="utf-8")
    assert 'class="output traceback highlight-ipythontb' in tasks  # in colour
    figures = (site / "notebooks" / "02-event-loop.html").read_text(encoding="utf-8")
    assert re.search(r'<img class="diagram" src="[^"]+\.svg" alt="Diagram: [^"]+"', figures)


def test_workbooks_show_their_hints_and_keep_the_answers_a_click_away(site: Path) -> None:
    page = site / "exercises" / "workbook-03-tasks.html"
    workbook = page.read_text(encoding="utf-8")
    assert workbook.count("<summary>Hints for ex") == 6
    assert 'href="../solutions/03-tasks.html' in workbook
    assert text_of(page).count("# Your code here") >= 6  # the stubs, not the worked answers
    assert "# Your code here" not in text_of(site / "solutions" / "03-tasks.html")


def test_previous_and_next_follow_the_course(site: Path) -> None:
    lesson = (site / "notebooks" / "03-tasks.html").read_text(encoding="utf-8")
    # the page before lesson 03 is the workbook of 02; the page after it, its own workbook
    assert '<a class="prev-page" href="../exercises/workbook-02-event-loop.html"' in lesson
    assert '<a class="next-page" href="../exercises/workbook-03-tasks.html"' in lesson
