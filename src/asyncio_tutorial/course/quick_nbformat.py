"""nbformat, imported in a fraction of a second instead of four.

nbformat validates notebooks with jsonschema, and importing jsonschema (4.25 and newer)
imports rfc3987-syntax when it is installed, to check the ``iri`` formats.
JupyterLab installs it (jupyter-events asks for ``jsonschema[format-nongpl]``), and
rfc3987-syntax 1.1.0 builds its 38 grammars when it is imported: 4 s of CPU on a
2-core machine, paid by every process that reads a notebook. Those are ``progress``,
``check``, ``record``, the ``make test`` runs and their workers, and the first
``exN.solution()`` in a kernel. (The maintained fork, rfc3987-syntax2, loads lazily;
jsonschema does not use it yet.)

nbformat's schemas check no formats, so these processes import jsonschema once with
rfc3987-syntax hidden; jsonschema then leaves the two ``iri`` checks out in this process
and nothing else changes. rfc3987-syntax is put back at once, so code that imports it
itself still gets it. ::

    from asyncio_tutorial.course.quick_nbformat import nbformat

``make test`` loads this module first in every pytest process (``-p
asyncio_tutorial.course.quick_nbformat`` in ``pyproject.toml``), before nbval imports nbformat.
"""

from __future__ import annotations

import sys


def import_jsonschema_without_iri_checks() -> None:
    """Import jsonschema without rfc3987-syntax, unless one of them is imported already."""
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        del sys.modules["rfc3987_syntax"]


import_jsonschema_without_iri_checks()

import nbformat  # noqa: E402  (after jsonschema, on purpose)

__all__ = ["nbformat", "import_jsonschema_without_iri_checks"]
