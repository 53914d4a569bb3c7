"""What every checker test module shares."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def long_lived_objects_frozen() -> Iterator[None]:
    """Everything alive when a module's tests begin (pytest, the course's modules, the
    module's own objects) is left out of garbage collections until the module ends.

    Each check collects garbage as it starts and the tests collect after each check, so
    that nothing an answer left behind is blamed on the next one.  In a test process a full
    collection walks a few hundred thousand objects, a tenth of a second, two or three times
    per test: most of the tests' computing.  Frozen, those objects are skipped, and what
    the answers leave behind, all made later, is still collected.  (A check freezes what
    exists by itself when nothing is frozen, as in a learner's kernel: test_machinery shows
    it.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
