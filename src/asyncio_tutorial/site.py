"""The capstone's website: a few hundred linked pages, some of them awkward.

Lesson 11 builds a crawler, and a crawler needs a site to walk that behaves like the
web: most pages answer in a moment, some are slow, some fail, some never answer, some
have moved, links point to pages that do not exist, and every page links to pages
already linked from elsewhere.  :func:`site_pages` describes such a site for
:func:`asyncio_tutorial.servers.local_site`, which serves it on 127.0.0.1::

    async with local_site(site_pages()) as site:
        ...  # crawl site.url_for("/")

From a terminal, ``python -m asyncio_tutorial.site`` serves it until Ctrl-C, for
``python -m asyncio_tutorial.crawler URL`` to crawl.

Every wait on this site is a whole number of tenths of a second, like every wait in the
course, so that a crawl's timing stamps and charts read the same on every run.  The
awkward pages are all linked from the front page, at fixed places, so a crawl meets
them at the same moments every time; the pages found only deeper in the site
(``/archive/N``) are ordinary ones.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence

from asyncio_tutorial.servers import Page, Traffic, local_site

ARTICLES = 200
"""Ordinary pages linked from the front page: ``/article/1`` to ``/article/200``."""

ARCHIVE = 100
"""Ordinary pages found only through articles: ``/archive/1`` to ``/archive/100``."""

DELAY = 0.1
"""Seconds an ordinary page takes to answer."""

SLOW_DELAY = 0.3
"""Seconds a slow page takes: slower than the rest, still within a sensible timeout."""

# Where the awkward pages sit among the front page's links: each right after the article
# of that number.  The pages that never answer follow articles 16, 17 and 18, so they are
# links 17, 19 and 21: a crawler with 20 workers starts links 1 to 20 together and meets
# two of them at once, the third as soon as a worker is free; a crawler that goes one
# page at a time meets 16 ordinary articles first.
AWKWARD: dict[int, str] = {
    16: "/stuck/1",
    17: "/stuck/2",
    18: "/stuck/3",
    19: "/slow/1",
    30: "/flaky/1",
    35: "/error/1",
    40: "/old/1",
    45: "/missing/1",
    50: "/slow/2",
    60: "/flaky/2",
    70: "/error/2",
    80: "/old/2",
    90: "/missing/2",
    100: "/slow/3",
    110: "/flaky/3",
    120: "/error/3",
    130: "/old/3",
    140: "/missing/3",
    150: "/slow/4",
    160: "/flaky/4",
    170: "/old/4",
    180: "/missing/4",
    190: "/old/5",
    200: "/missing/5",
}

KINDS: dict[str, str] = {
    "/": "the front page: links to every article and to each awkward page",
    "/article/": f"an article: {DELAY} s; links to 3 articles, the front page, some archive",
    "/archive/": f"an archive page: {DELAY} s, found only through articles",
    "/slow/": f"a slow page: {SLOW_DELAY} s",
    "/flaky/": f"answers 503 (try again) twice, then the page; {DELAY} s",
    "/error/": f"answers 500 (server error), every time; {DELAY} s",
    "/stuck/": "never answers",
    "/old/": f"has moved: answers 302, redirecting to an article; {DELAY} s",
    "/missing/": f"does not exist: answers 404; {DELAY} s",
}
"""What each kind of address does, by the start of its path."""


def site_pages(articles: int = ARTICLES, archive: int = ARCHIVE) -> dict[str, Page]:
    """The capstone's site, as ``local_site`` serves it: path to :class:`Page`.

    Every answer takes a tenth of a second or more, errors and redirects included (a
    real server takes time to say "not found" too); only ``/stuck/N`` never answers.
    """
    front: list[str] = []
    for number in range(1, articles + 1):
        front.append(f"/article/{number}")
        if number in AWKWARD:
            front.append(AWKWARD[number])
    pages: dict[str, Page] = {"/": Page("front page", links=tuple(front), delay=DELAY)}
    for number in range(1, articles + 1):
        links = [_article(number + 1, articles), _article(number + 7, articles), "/"]
        links.append(_article(number * 13, articles))
        if number % 2 == 0 and number // 2 <= archive:
            links.append(f"/archive/{number // 2}")
        pages[f"/article/{number}"] = Page(f"article {number}", links=tuple(links), delay=DELAY)
    for number in range(1, archive + 1):
        links = [f"/archive/{number % archive + 1}", _article(number, articles)]
        pages[f"/archive/{number}"] = Page(f"archive {number}", links=tuple(links), delay=DELAY)
    for path in AWKWARD.values():
        kind, number = path.rsplit("/", 1)
        if kind == "/stuck":
            pages[path] = Page(hang=True)
        elif kind == "/slow":
            pages[path] = Page(f"slow page {number}", links=("/",), delay=SLOW_DELAY)
        elif kind == "/flaky":
            pages[path] = Page(f"flaky page {number}", links=("/",), delay=DELAY, fail_first=2)
        elif kind == "/error":
            pages[path] = Page(status=500, delay=DELAY)
        elif kind == "/old":
            pages[path] = Page(redirect=_article(int(number) * 3, articles), delay=DELAY)
        elif kind == "/missing":
            pages[path] = Page(status=404, delay=DELAY)
    return pages


def _article(number: int, articles: int) -> str:
    return f"/article/{(number - 1) % articles + 1}"


def kind_of(path: str) -> str:
    """The kind of a path on this site: ``"/article/"``, ``"/stuck/"``, ``"/"``..."""
    if path == "/":
        return "/"
    return path.rsplit("/", 1)[0] + "/"


def describe(pages: dict[str, Page]) -> str:
    """A table of the site: how many addresses of each kind, and what they do."""
    linked = {link for page in pages.values() for link in page.links} | {"/"}
    counts = Counter(kind_of(path) for path in linked)
    links = sum(len(page.links) for page in pages.values())
    lines = [f"{len(linked)} addresses:"]
    for kind, what in KINDS.items():
        lines.append(f"  {counts[kind]:>4}  {kind + ('N' if kind != '/' else ''):<12}{what}")
    lines.append(f"{links} links in all: most lead to a page already linked from elsewhere")
    return "\n".join(lines)


# --- Practice sites for the exercises' checkers ------------------------------------------


def practice_pages(articles: int = 24, *, awkward: bool = True) -> dict[str, Page]:
    """A small site in the same style, for checking a crawler: ``articles`` of 0.1 s.

    The front page links to every article; each article links to the next one and the
    one seven further on (pages already linked: a crawler must not fetch them again).
    With ``awkward``, the front page also links to a page that fails (500), one that
    never answers, a flaky one (503 twice), one that has moved and one that does not
    exist.
    """
    front = [f"/article/{n}" for n in range(1, articles + 1)]
    pages: dict[str, Page] = {}
    for n in range(1, articles + 1):
        links = (_article(n + 1, articles), _article(n + 7, articles), "/")
        pages[f"/article/{n}"] = Page(f"article {n}", links=links, delay=DELAY)
    if awkward:
        front += ["/error/1", "/stuck/1", "/flaky/1", "/old/1", "/missing/1"]
        pages["/error/1"] = Page(status=500, delay=DELAY)
        pages["/stuck/1"] = Page(hang=True)
        pages["/flaky/1"] = Page("flaky page", links=("/",), delay=DELAY, fail_first=2)
        pages["/old/1"] = Page(redirect="/article/2", delay=DELAY)
        pages["/missing/1"] = Page(status=404, delay=DELAY)
    pages["/"] = Page("front page", links=tuple(front), delay=DELAY)
    return pages


def retry_pages() -> dict[str, Page]:
    """For checking a retry policy: pages that answer, fail, hang, or fail twice first.

    The failures answer at once, so that the pauses a client makes between requests are
    its own waits, as the server measures them (:class:`RequestLog`).
    """
    pages = {
        "/ok": Page("ok", delay=DELAY),
        "/missing": Page(status=404, delay=DELAY),
        "/error": Page(status=500),
        "/stuck": Page(hang=True),
    }
    pages.update({f"/flaky/{n}": Page(f"flaky {n}", fail_first=2) for n in range(1, 9)})
    return pages


def worker_pages() -> dict[str, Page]:
    """For checking a worker: 16 articles, one page that fails (500), one missing (404)."""
    pages = practice_pages(16, awkward=False)
    front = pages["/"]
    pages["/"] = Page(front.body, links=(*front.links, "/error/1", "/missing/1"), delay=DELAY)
    pages["/error/1"] = Page(status=500, delay=DELAY)
    pages["/missing/1"] = Page(status=404, delay=DELAY)
    return pages


class RequestLog(Traffic):
    """:class:`~asyncio_tutorial.servers.Traffic` that also notes when each request came.

    ``log.times["/flaky/1"]`` lists the moments (``time.monotonic()``) the server
    received each request for that path, so a checker can measure the pauses a client
    made between retries, on the server's side.
    """

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[str, list[float]] = {}
        self._times_lock = threading.Lock()

    def request_started(self, path: str, client: str = "") -> None:
        with self._times_lock:
            self.times.setdefault(path, []).append(time.monotonic())
        super().request_started(path, client)

    def gaps(self, path: str) -> list[float]:
        """The pauses between successive requests for ``path``, in seconds."""
        moments = self.times.get(path, [])
        return [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]


# --- As a program ------------------------------------------------------------------------


async def serve() -> None:
    """Serve :func:`site_pages` on 127.0.0.1 until cancelled (Ctrl-C) or SIGTERM.

    The port is a free one the system picks; the first line printed gives the address.
    """
    pages = site_pages()
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with local_site(pages) as site:
        print(f"serving {len(pages)} pages at {site.url}/ (Ctrl-C to stop)", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m asyncio_tutorial.site``: serve the capstone's site until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m asyncio_tutorial.site",
        description="Serve lesson 11's website on 127.0.0.1, on a free port, until Ctrl-C.",
    )
    parser.parse_args(argv)
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
