"""What every checker test module shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asyncio_tutorial.checkers import core


@pytest.fixture(autouse=True, scope="module")
def long_lived_objects_frozen() -> Iterator[None]:
    """Everything alive when a module's tests begin (pytest, the course's modules, the
    module's own objects) is left out of garbage collections until the module ends.

    Each check collects garbage as it starts and the tests collect after each check, so
    that nothing an answer left behind is blamed on the next one.  In a test process a full
    collection walks a few hundred thousand objects, a tenth of a second, two or three times
    per test: most of the tests' computing.  Frozen, those objects are skipped, and what
    the answers leave behind, all made later, is still collected.  It is what a check does
    as it starts (collect, then freeze), kept for the whole module: inside
    ``frozen_for_checks`` a check leaves the freezing alone (in a learner's kernel the
    check freezes and unfreezes itself: test_machinery shows both).
    """
    with core.frozen_for_checks():
        yield
