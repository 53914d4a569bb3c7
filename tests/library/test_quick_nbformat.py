"""Reading a notebook costs a fraction of a second, not four (course.quick_nbformat).

What an import does is seen in a fresh interpreter, or in this pytest process itself.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_course_reads_notebooks_without_building_rfc3987_grammars() -> None:
    out = run(
        """
        import sys
        from asyncio_tutorial.course import recording, progress, published, update, workbooks
        from asyncio_tutorial.course.quick_nbformat import nbformat
        nbformat.validate(nbformat.v4.new_notebook())
        print("rfc3987_syntax" in sys.modules, "nbformat" in sys.modules)
        """
    )
    # not in sys.modules at all: no placeholder is left behind, so code that imports
    # rfc3987_syntax itself afterwards gets the real module
    assert out == "False True"


def test_this_pytest_process_loaded_it_before_nbval() -> None:
    """pyproject.toml's addopts load it first in every pytest process (xdist workers too)."""
    assert "nbval.plugin" in sys.modules
    assert "rfc3987_syntax" not in sys.modules


def test_the_kernel_reports_progress_without_importing_nbformat() -> None:
    """The cell ``progress`` adds to a workbook imports only what the report needs."""
    out = run(
        """
        import sys
        from asyncio_tutorial.course import progress
        exec(progress._REPORT_CELL.format(lesson="01"))
        print("nbformat" in sys.modules, "jsonschema" in sys.modules, "nbclient" in sys.modules)
        """
    )
    assert out.splitlines()[-1] == "False False False", out  # after the report's lines
