"""The environment holds exactly the known-good versions, and the lock covers the project.

``make test`` installs every dependency at the version ``requirements.lock.txt`` names for
the running Python (``make latest`` at the newest: the lock it validates is given in
``ASYNCIO_TUTORIAL_LOCK``), so the validation checks the course against the versions a
learner's ``make lab`` installs, whatever PyPI released since.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock.txt"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)\s*(?:;\s*(.*))?$")
NOT_LOCKED = {"pip", "setuptools", "wheel", "asyncio-tutorial"}  # the tools and the course


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_here(lock: Path) -> dict[str, str]:
    """``{name: version}`` the lock names for this interpreter and platform."""
    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line.strip())
        if match and (not match[3] or Marker(match[3]).evaluate()):
            found[normal(match[1])] = match[2]
    return found


def installed() -> dict[str, str]:
    return {
        normal(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()
    }


@pytest.mark.skipif(
    "ASYNCIO_TUTORIAL_LOCK" not in os.environ,
    reason="run by make test, which installs from the lock and names it",
)
def test_the_environment_holds_exactly_the_locked_versions() -> None:
    wanted = locked_here(Path(os.environ["ASYNCIO_TUTORIAL_LOCK"]))
    have = installed()
    wrong = {name: (have.get(name), version) for name, version in wanted.items()}
    wrong = {name: pair for name, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong, f"installed, locked: {wrong}"
    extra = set(have) - set(wanted) - NOT_LOCKED
    assert not extra, f"installed but not locked: {sorted(extra)}"


def test_the_lock_satisfies_every_requirement_of_the_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for extra in ("test", "browser"):
        requirements += project["optional-dependencies"][extra]
    pinned: dict[str, list[str]] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pinned.setdefault(normal(match[1]), []).append(match[2])
    for text in requirements:
        requirement = Requirement(text)
        versions = pinned.get(normal(requirement.name))
        assert versions, f"{requirement.name} is not in the lock: run make lock"
        for version in versions:
            assert Version(version) in requirement.specifier, (
                f"the lock has {requirement.name} {version}, the project asks {text}"
            )
