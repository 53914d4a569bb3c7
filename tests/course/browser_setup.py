"""Find a browser for the browser test, or get one: ``make test`` runs this first.

``python tests/course/browser_setup.py`` makes sure ``tests/course/test_browser.py`` will have a
Chromium to drive, so that the README's one test command works on a fresh machine:

1. ``$CHROMIUM``, if set; else a Chromium or Chrome on the ``PATH``; else the Chromium
   that ``playwright install chromium`` downloaded earlier.
2. None of those: download Playwright's own Chromium (``python -m playwright install
   chromium``), where downloads from Playwright's servers work.
3. That failed: when running as root on Debian, install Debian's ``chromium`` package
   (``apt-get install chromium``), which is how CI machines without those downloads get
   one.
4. Still nothing: say which one command would get a browser, and exit with status 1, so
   that ``make test`` stops before spending minutes on the rest.

It prints the browser it settled on.  It needs Playwright for Python, which ``make``
installs into the course's environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# How the course's tests and scripts start Chromium: no sandbox (containers, root), no
# GPU, and nothing fetched from the internet behind the test's back.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """``$CHROMIUM``, else a Chromium or Chrome on the ``PATH``, else Playwright's own.

    ``None`` when there is none.  (Playwright's own is what ``launch()`` uses when given
    no ``executable_path``.)
    """
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    found = next((path for path in map(shutil.which, NAMES) if path), None)
    return found or playwright_chromium()


def playwright_chromium() -> str | None:
    """The Chromium that ``playwright install chromium`` downloaded, if it did."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).exists() else None


def _run(command: list[str], env: dict[str, str] | None = None) -> bool:
    print("$ " + " ".join(command), flush=True)
    try:
        return subprocess.run(command, env=env, check=False).returncode == 0
    except OSError as error:
        print(f"  {error}")
        return False


def _debian_as_root() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    try:
        release = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return False
    return "ID=debian" in release.splitlines()


def obtain() -> str | None:
    """Get a browser as the module's description says; return its path, or None."""
    if _run([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = playwright_chromium()
        if found:
            return found
    print("Playwright's own Chromium could not be downloaded here.", flush=True)
    if _debian_as_root():
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if _run(["apt-get", "update", "-q"], env) and _run(
            ["apt-get", "install", "-y", "-q", "chromium"], env
        ):
            return find_chromium()
    return None


HOW_TO_GET_ONE = """\
The browser test needs Chromium, and none could be found or installed.
Install one with ONE of these, then run `make test` again:
    sudo apt-get install chromium                      # Debian (Ubuntu: chromium-browser)
    .venv/bin/python -m playwright install --with-deps chromium   # where downloads work
or point CHROMIUM=/path/to/chromium at a Chromium or Chrome you already have."""


def main() -> int:
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("Playwright for Python is missing: run `make venv` (it installs it).")
        return 1
    browser = find_chromium() or obtain()
    if browser is None:
        print(HOW_TO_GET_ONE)
        return 1
    print(f"browser for the browser test: {browser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
