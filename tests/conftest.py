"""Shared test configuration.

The command line passes ``--nbval`` with ``tests/`` on it, so nbval would also collect
any notebook a test writes under ``tests/``; tests build their notebooks in temporary
folders instead, and nothing below ``tests/`` is collected as a notebook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

collect_ignore_glob = ["*.ipynb", "**/*.ipynb"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    """The repository's top folder."""
    return ROOT


# The modules that take longest, first (seconds of test time each in the tests phase of
# make test on 3.11.7, 8 workers: lesson 11 about 260, 05 180, 03 155, 07 125): with
# --dist loadscope a module runs on one worker, and one started last would leave the
# others idle while it ends.
SLOWEST = (
    "tests/checkers/test_lesson11.py",
    "tests/checkers/test_lesson05.py",
    "tests/checkers/test_lesson03.py",
    "tests/checkers/test_lesson07.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::")[0]
        return SLOWEST.index(module) if module in SLOWEST else len(SLOWEST)

    items.sort(key=rank)  # stable: each module's own order is kept
