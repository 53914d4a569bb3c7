"""The GitHub Actions workflows are valid and safe to copy into a course that learners fork.

Two kept tools, both offline: GitHub's workflow schema (as SchemaStore publishes it,
vendored in check-jsonschema) and zizmor, a static analyser of workflows (actions
pinned to commits, no credentials left behind, least-privilege tokens, template
injection, ...).  A finding fails the suite.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_there_are_workflows() -> None:
    assert WORKFLOWS


@functools.cache
def schema_check() -> subprocess.CompletedProcess[str]:
    """check-jsonschema on every workflow at once (it reads its schema once: 3 s each)."""
    return subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid_against_githubs_schema(workflow: Path) -> None:
    done = schema_check()
    report = done.stdout + done.stderr
    assert done.returncode == 0 or str(workflow) not in report, report
    assert done.returncode == 0, f"another workflow is invalid: {report}"


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    done = zizmor(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    workflow = tmp_path / "unpinned.yml"
    workflow.write_text(
        (ROOT / ".github" / "workflows" / "validate.yml")
        .read_text()
        .replace(
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1",
            "actions/checkout@v7",
        )
    )
    assert "actions/checkout@v7" in workflow.read_text()
    done = zizmor(workflow)
    assert done.returncode != 0
    assert "unpinned-uses" in done.stdout + done.stderr
