"""Shared test configuration.

The command line passes ``--nbval`` with ``tests/`` on it, so nbval would also collect
any notebook a test writes under ``tests/``; tests build their notebooks in temporary
folders instead, and nothing below ``tests/`` is collected as a notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

collect_ignore_glob = ["*.ipynb", "**/*.ipynb"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    """The repository's top folder."""
    return ROOT


# --- spreading one lesson's wrong answers over the test workers ----------------------------
#
# ``--dist loadscope`` sends a module's tests to one worker (its module fixtures are built
# once).  A lesson's wrong answers are one parametrized test, and lesson 11's took 235 s:
# that one worker ended long after the others.  Their cases are split by exercise
# (``test_wrong_answer[ex2-...]`` is a scope of its own per exercise); everything else is
# grouped as loadscope groups it.  Lesson 07's stay together: its checks run process
# pools that need the cores, and two of them at once could leave a check too little.

KEPT_TOGETHER = {"tests/checkers/test_lesson07.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist", None) != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByExercise(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module, _, test = nodeid.partition("::")
            name, _, case = test.partition("[")
            if (
                name == "test_wrong_answer"
                and case.startswith("ex")
                and module not in KEPT_TOGETHER
            ):
                return f"{module}::{case.split('-', 1)[0]}"
            return super()._split_scope(nodeid)

    return ByExercise(config, log)
