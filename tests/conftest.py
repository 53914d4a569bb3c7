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
