"""Lesson 11's crawler and its site: the crawl is complete, polite and stoppable, the
progress bar is live where it can be and leaves one stable line, the chart and the
retry waits repeat from run to run, and the programs work from a terminal, Ctrl-C
included (a real SIGINT).
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import datetime
import email.utils
import inspect
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import aiohttp
import nbformat
import pytest

from asyncio_tutorial import crawler
from asyncio_tutorial.course.kernels import start_new_kernel
from asyncio_tutorial.crawler import (
    INTERRUPTED,
    RETRY,
    Crawl,
    ProgressBar,
    Request,
    Retry,
    Speedup,
    crawl_site,
    server_timing,
)
from asyncio_tutorial.servers import Page, local_site
from asyncio_tutorial.site import RequestLog, describe, practice_pages, site_pages

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "11-capstone.ipynb"


# --- the site -------------------------------------------------------------------------


def test_the_site_has_several_hundred_addresses_of_every_kind() -> None:
    text = describe(site_pages())
    assert text.startswith("325 addresses:")
    for kind in ("/stuck/N", "/flaky/N", "/error/N", "/old/N", "/missing/N", "/slow/N"):
        assert re.search(rf"\s[1-9]\d*\s+{re.escape(kind)}", text), kind


def test_request_log_notes_when_each_request_came() -> None:
    log = RequestLog()
    log.request_started("/a")
    time.sleep(0.05)
    log.request_started("/a")
    assert log.total == 2 and len(log.gaps("/a")) == 1 and log.gaps("/a")[0] >= 0.05


# --- the retry policy -------------------------------------------------------------------


def test_retry_waits_back_off_exponentially_with_a_jitter_that_repeats_per_page() -> None:
    for n in range(30):
        first, second = RETRY.delay(f"/p/{n}", 1), RETRY.delay(f"/p/{n}", 2)
        assert 0.1 <= first <= 0.2 and 0.2 <= second <= 0.4
    assert len({RETRY.delay(f"/p/{n}", 2) for n in range(30)}) > 1  # pages differ
    # The same page waits the same, whatever port the site happens to be on.
    assert RETRY.delay("http://127.0.0.1:4001/flaky/1", 2) == RETRY.delay(
        "http://127.0.0.1:4002/flaky/1", 2
    )
    assert Retry(cap=0.4).delay("/p/1", 10) <= 0.8


# --- the crawl ----------------------------------------------------------------------------


def test_a_crawl_visits_every_page_once_and_never_exceeds_its_workers() -> None:
    async def scenario() -> tuple[Crawl, Any]:
        async with local_site(practice_pages()) as site:
            crawl = Crawl()
            await crawl_site(site.url_for("/"), crawl, workers=4)
            return crawl, site

    crawl, site = asyncio.run(scenario())
    paths = {path: count for path, count in site.traffic.by_path.items()}
    assert len(crawl.pages) == 26  # the front page, 24 articles, the flaky page
    assert sorted(crawl.failures.values()) == ["HTTP 404", "HTTP 500", "timeout"]
    assert list(crawl.redirects.values()) == [site.url_for("/article/2")]
    assert all(paths[f"/article/{n}"] == 1 for n in range(1, 25))
    assert paths["/flaky/1"] == paths["/error/1"] == paths["/stuck/1"] == 3
    assert paths["/missing/1"] == paths["/old/1"] == 1
    assert site.traffic.peak == 4
    assert crawl.retries == 6 and len(crawl.requests) == site.traffic.total
    # Every answer says how long the page is set to wait; a timeout has no answer.
    took = {(crawler.urlsplit(r.url).path, r.server_time) for r in crawl.requests}
    assert ("/article/1", 0.1) in took and ("/stuck/1", None) in took
    assert ("/flaky/1", 0.1) in took and ("/old/1", 0.1) in took


def test_server_timing_reads_the_longest_duration_in_seconds() -> None:
    assert server_timing("delay;dur=100") == pytest.approx(0.1)
    assert server_timing('db;dur=53.2, app;desc="all";dur=147') == pytest.approx(0.147)
    assert server_timing("") is None
    assert server_timing("cache;desc=hit") is None


def test_a_stopped_crawl_keeps_its_pages_and_leaves_nothing_running() -> None:
    async def scenario() -> tuple[Crawl, bool, set[asyncio.Task[Any]]]:
        async with local_site(practice_pages()) as site:
            crawl = Crawl()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.35):
                    await crawl_site(site.url_for("/"), crawl, workers=4)
            workers = {t for t in asyncio.all_tasks() if t.get_name().startswith("worker-")}
            return crawl, await site.traffic.settle(), workers

    crawl, settled, left = asyncio.run(scenario())
    # Pages take 0.1 s: the front page, then waves of four; two waves by 0.35 s on an
    # idle machine, one at least when a loaded machine makes each wave late.
    answered = {r.url for r in crawl.requests if r.outcome == "200"}
    stopped = [r for r in crawl.requests if r.outcome == "cancelled"]
    assert len(answered) >= 5 and set(crawl.pages) == answered
    # the requests in flight (one a worker, unless it was between two) noted as cancelled
    assert 1 <= len(stopped) <= 4 and len(answered) + len(stopped) == len(crawl.requests)
    assert settled and not left


def test_only_passing_faults_are_tried_again_and_a_bad_address_fails_at_once() -> None:
    """429, 503 and the like get more tries; 501 and 404 are answers; an address that is
    not http, or has no host, fails on the first try (no second try could mend it)."""
    quick = Retry(attempts=3, timeout=0.5, base=0.0)
    pages = {
        "/busy": Page(status=503),
        "/slow-down": Page(status=429),
        "/not-implemented": Page(status=501),
        "/missing": Page(status=404),
    }

    async def scenario() -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        async with local_site(pages) as site, aiohttp.ClientSession() as session:
            addresses = {path: site.url_for(path) for path in pages}
            addresses |= {"ftp": "ftp://127.0.0.1/file", "no host": "http:///nowhere"}
            for name, url in addresses.items():
                crawl = Crawl()
                try:
                    status, _, _ = await crawler.fetch_with_retries(session, url, quick, crawl)
                    outcome = f"answered {status}"
                except crawler.Failed as failure:
                    outcome = f"failed: {failure.cause}"
                found[name] = (outcome, len(crawl.requests))
        return found

    found = asyncio.run(scenario())
    assert found["/busy"] == ("failed: HTTP 503", 3)
    assert found["/slow-down"] == ("failed: HTTP 429", 3)
    assert found["/not-implemented"] == ("answered 501", 1)
    assert found["/missing"] == ("answered 404", 1)
    assert found["ftp"] == ("failed: NonHttpUrlClientError", 1)
    assert found["no host"][1] == 1 and found["no host"][0].startswith("failed: InvalidUrl")


def test_a_retry_after_is_honoured_and_one_too_long_gives_the_page_up() -> None:
    """A 429 asking for 1 s is tried again after 1 s, not after the backoff's 0.1 s; one
    asking for longer than ``longest_wait`` fails at once, without holding the worker."""
    policy = Retry(attempts=3, timeout=0.5, base=0.1, longest_wait=2.0)
    pages = {
        "/later": Page("later", fail_first=1, fail_status=429, retry_after=1),
        "/much-later": Page("much later", fail_first=1, fail_status=503, retry_after=60),
    }

    async def scenario() -> dict[str, tuple[str, list[float]]]:
        found: dict[str, tuple[str, list[float]]] = {}
        async with local_site(pages) as site, aiohttp.ClientSession() as session:
            for path in pages:
                crawl = Crawl()
                try:
                    status, _, _ = await crawler.fetch_with_retries(
                        session, site.url_for(path), policy, crawl
                    )
                    outcome = f"answered {status}"
                except crawler.Failed as failure:
                    outcome = f"failed: {failure.cause}"
                found[path] = (outcome, [r.started for r in crawl.requests])
        return found

    found = asyncio.run(scenario())
    outcome, starts = found["/later"]
    assert outcome == "answered 200" and len(starts) == 2
    assert starts[1] - starts[0] >= 1.0  # the backoff alone would have waited 0.1 or 0.2 s
    assert found["/much-later"] == (
        "failed: HTTP 503, asked to wait 60 s",
        [pytest.approx(0, abs=1)],
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), (" 0 ", 0.0), ("", None), ("soon", None), ("-5", None), ("1.5", None)],
)
def test_retry_after_reads_seconds_and_nothing_else(header: str, seconds: float | None) -> None:
    assert crawler.retry_after(header) == seconds


def test_retry_after_reads_an_http_date_as_seconds_from_now() -> None:
    later = email.utils.format_datetime(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30), usegmt=True
    )
    earlier = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert 28 <= (crawler.retry_after(later) or 0) <= 30
    assert crawler.retry_after(earlier) == 0.0


def test_fewer_than_one_worker_is_refused_not_left_waiting_for_ever() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        asyncio.run(asyncio.wait_for(crawl_site("http://127.0.0.1:9/", Crawl(), workers=0), 5))
    done = subprocess.run(
        [sys.executable, "-m", "asyncio_tutorial.crawler", "http://127.0.0.1:9/", "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--workers: must be at least 1, not 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_program_exits_1_when_it_fetched_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert crawler.main(["ftp://127.0.0.1/file", "--workers", "2"]) == 1
    shown = capsys.readouterr().out
    assert "no page fetched: NonHttpUrlClientError" in shown
    assert "pages fetched: 0" in shown


def test_the_program_runs_the_same_functions_the_lesson_builds() -> None:
    """The lesson's cells define the crawler step by step; the module must be that code."""
    defined = {}
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith(("async def", "def")):
            tree = ast.parse(cell.source)
            for node in tree.body:
                if isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)):
                    defined[node.name] = node
    names = ["fetch", "fetch_with_retries", "visit", "worker", "crawl_site"]
    for name in names:
        module_node = ast.parse(textwrap.dedent(inspect.getsource(getattr(crawler, name))))
        assert _code_of(defined[name]) == _code_of(module_node.body[0]), name


def _code_of(node: ast.AST) -> str:
    """The code of a function, without its docstring and type annotations."""
    node = _Plain().visit(ast.parse(ast.unparse(node)))
    return ast.dump(node)


class _Plain(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:  # noqa: N802
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:  # noqa: N802
        node.returns = None
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            node.body = body[1:]
        self.generic_visit(node)
        return node


# --- the chart and the claims ------------------------------------------------------------


def _requests(lateness: float, answers_late: float = 0.0) -> list[Request]:
    """A crawl's requests on the 0.1 s grid, each step late by ``lateness`` seconds.

    Answers (not timeouts) come ``answers_late`` seconds later still, and carry the
    server's own figure (``Server-Timing``), as the course's site sends it.
    """
    requests = [Request("/", 0.0, 0.1 + lateness + answers_late, "200", "w1", 0.1)]
    clock = {"w1": requests[0].ended, "w2": requests[0].ended}  # w2 waits for the front page
    plan = {  # worker: its requests, as (pause before, duration, outcome)
        "w1": [(0.0, 0.1, "200"), (0.0, 0.1, "500"), (0.2, 0.1, "500")],
        "w2": [(0.0, 0.5, "timeout"), (0.1, 0.3, "200")],
    }
    for name, steps in plan.items():
        for number, (pause, duration, outcome) in enumerate(steps):
            started = clock[name] + pause + lateness
            answered = outcome != "timeout"
            ended = started + duration + lateness + (answers_late if answered else 0.0)
            server_time = duration if answered else None
            requests.append(
                Request(f"/{name}/{number}", started, ended, outcome, name, server_time)
            )
            clock[name] = ended
    return requests


def test_the_chart_cuts_each_step_down_so_a_late_crawl_draws_the_same() -> None:
    on_time = Crawl(requests=_requests(0.0))
    for lateness in (0.03, 0.06, 0.09):  # a busy machine: every step up to 90 ms late
        assert Crawl(requests=_requests(lateness)).chart(1.0) == on_time.chart(1.0), lateness
    # Twenty answers at once on a busy machine: each read 0.15 s late.  The server's
    # figure keeps them their columns; the clock alone would not.
    late_answers = _requests(0.03, answers_late=0.15)
    assert Crawl(requests=late_answers).chart(1.0) == on_time.chart(1.0)
    by_the_clock = [dataclasses.replace(request, server_time=None) for request in late_answers]
    assert Crawl(requests=by_the_clock).chart(1.0) != on_time.chart(1.0)
    rows = on_time.chart(1.0).splitlines()
    assert rows[0] == "time (s)  0.0       0.5       1.0"
    assert rows[2] == "2           ────────✗"  # a timeout: its last column marked
    assert len(rows) == 2 + 2  # axis, two rows (never more than two in flight), legend


def test_speedup_states_the_claim_or_the_real_figure() -> None:
    assert Speedup(30.0, 2.0).claim() == "✓ at least 5× faster than one request at a time"
    assert Speedup(6.0, 2.0).claim() == "✗ only 3.0× faster than one request at a time, not 5×"
    assert Speedup(33.4, 2.31).figures() == (
        "2.31 s, against 33.4 s one request at a time: 14.5× faster"
    )


# --- the progress bar ----------------------------------------------------------------------


def test_the_progress_bar_leaves_one_stable_line_and_draws_nothing_without_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def scenario() -> None:
        async with local_site(practice_pages(awkward=False)) as site:
            crawl = Crawl()
            async with ProgressBar(crawl):
                await crawl_site(site.url_for("/"), crawl, workers=4)

    asyncio.run(scenario())
    captured = capsys.readouterr()
    assert captured.out == "pages: 100%|████████████████████| 25/25\n"
    assert captured.err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_live_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    crawl = Crawl(seen={"a", "b", "c", "d"})
    out = io.StringIO()

    async def scenario() -> None:
        async with ProgressBar(crawl, file=out):
            for page in "abcd":
                crawl.pages[page] = ""
                await asyncio.sleep(0.15)

    asyncio.run(scenario())
    redraws = terminal.getvalue().split("\r")
    assert sum("pages:" in redraw for redraw in redraws) >= 3  # drawn again and again
    assert redraws[-1].strip() == ""  # and erased at the end
    assert out.getvalue() == "pages: 100%|████████████████████| 4/4\n"


def test_the_progress_bar_in_a_notebook_is_a_live_display_that_ends_empty() -> None:
    """What nbval compares (the display as first shown) is what a recording keeps (the
    display as last updated): both empty; the final line is printed, without a stamp."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive("%load_ext asyncio_tutorial", timeout=30)
        messages: list[dict[str, Any]] = []
        cell = """
from asyncio_tutorial.crawler import Crawl, ProgressBar, crawl_site
from asyncio_tutorial.servers import Page, local_site
from asyncio_tutorial.site import practice_pages
crawl = Crawl()
async with local_site(practice_pages(awkward=False)) as site:
    async with ProgressBar(crawl):
        await crawl_site(site.url_for("/"), crawl, workers=4)
"""
        reply = client.execute_interactive(cell, timeout=30, output_hook=messages.append)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    kinds = [message["msg_type"] for message in messages]
    shown = [m["content"] for m in messages if m["msg_type"] == "display_data"]
    updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert len(shown) == 1 and shown[0]["data"] == {"text/plain": ""}
    assert any("pages:" in update["data"]["text/plain"] for update in updates), kinds
    assert updates[-1]["data"] == {"text/plain": ""}
    assert {u["transient"]["display_id"] for u in updates} == {shown[0]["transient"]["display_id"]}
    assert printed == "pages: 100%|████████████████████| 25/25\n"


# --- the programs ----------------------------------------------------------------------------


def _start(*arguments: str) -> subprocess.Popen[str]:
    """Start ``python -m ...`` as from a terminal, where Ctrl-C reaches the program."""
    return subprocess.Popen(
        [sys.executable, "-m", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A test run started in the background inherits SIGINT ignored; a terminal's
        # foreground program does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _site_program() -> tuple[subprocess.Popen[str], str]:
    site = _start("asyncio_tutorial.site")
    assert site.stdout is not None
    line = site.stdout.readline()
    match = re.fullmatch(
        r"serving 325 pages at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)\n", line
    )
    assert match, line
    return site, match[1]


def _stop(program: subprocess.Popen[str]) -> tuple[str, str]:
    program.send_signal(signal.SIGINT)
    return program.communicate(timeout=10)


def test_the_crawler_program_crawls_the_site_program_to_the_end() -> None:
    site, url = _site_program()
    try:
        crawl = _start("asyncio_tutorial.crawler", url)
        out, err = crawl.communicate(timeout=30)
    finally:
        site_out, site_err = _stop(site)
    assert crawl.returncode == 0, err
    assert out.splitlines()[1:3] == [
        "pages: 100%|████████████████████| 325/325",
        "pages fetched: 309; moved: 5; failed: 11 (325 addresses found)",
    ]
    assert err == ""
    assert site.returncode == 0 and site_out == "stopped\n" and site_err == ""


def test_ctrl_c_stops_the_crawler_cleanly_and_it_reports_what_it_got() -> None:
    site, url = _site_program()
    try:
        crawl = _start("asyncio_tutorial.crawler", url, "--workers", "4")
        assert crawl.stdout is not None
        assert crawl.stdout.readline().startswith(f"crawling {url} with 4 workers")
        # Long enough for a few pages on a loaded machine (0.35 s gave 0 to 2 pages in
        # validation runs), far from the end of the crawl (seconds with 4 workers).
        time.sleep(1.5)
        out, err = _stop(crawl)
    finally:
        _stop(site)
    assert crawl.returncode == INTERRUPTED
    lines = out.splitlines()  # after the first line, read above
    assert lines[0].startswith("pages: ") and "|" in lines[0]
    assert lines[1] == "interrupted: the workers have stopped; this is what they fetched"
    fetched = int(re.match(r"pages fetched: (\d+);", lines[2])[1])  # type: ignore[index]
    assert fetched >= 5 and "not reached" in lines[2]
    assert err == ""  # no traceback, no warning about anything left open


def test_demo_mode_serves_the_site_and_crawls_it_in_one_command() -> None:
    demo = _start("asyncio_tutorial.crawler", "--demo")
    out, err = demo.communicate(timeout=30)
    assert demo.returncode == 0 and err == ""
    assert "pages fetched: 309; moved: 5; failed: 11 (325 addresses found)" in out


def test_the_crawler_program_needs_a_url_or_demo() -> None:
    program = _start("asyncio_tutorial.crawler")
    out, err = program.communicate(timeout=30)
    assert program.returncode == 2 and "give the URL to start from, or --demo" in err


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")
def test_the_site_program_stops_on_sigterm_too() -> None:
    site, _ = _site_program()
    site.send_signal(signal.SIGTERM)
    out, err = site.communicate(timeout=10)
    assert site.returncode == 0 and err == ""
