"""Reading a notebook costs a fraction of a second, not four (asyncio_tutorial.quick_nbformat).

Each check runs a fresh interpreter, since what is measured is what an import does.
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
        from asyncio_tutorial import notebooks, progress, published, update, workbooks
        from asyncio_tutorial.quick_nbformat import nbformat
        nbformat.validate(nbformat.v4.new_notebook())
        print("rfc3987_syntax" in sys.modules, "nbformat" in sys.modules)
        """
    )
    assert out == "False True"


def test_rfc3987_syntax_can_still_be_imported_afterwards() -> None:
    out = run(
        """
        import asyncio_tutorial.quick_nbformat
        try:
            import rfc3987_syntax
        except ImportError:
            print("not installed")  # then there was nothing to hide either
        else:
            print(rfc3987_syntax.is_valid_syntax("iri", "http://example.org/é"))
        """
    )
    assert out in ("True", "not installed")


def test_every_pytest_process_loads_it_before_nbval() -> None:
    out = run(
        """
        import sys, pytest
        pytest.main(["--collect-only", "-q", "-p", "no:randomly", "tests/test_stamps.py"])
        print("rfc3987_syntax" in sys.modules, "nbval.plugin" in sys.modules)
        """
    )
    assert out.splitlines()[-1] == "False True", out


def test_the_kernel_reports_progress_without_importing_nbformat() -> None:
    """The cell ``progress`` adds to a workbook imports only what the report needs."""
    out = run(
        """
        import sys
        from asyncio_tutorial import progress
        exec(progress._REPORT_CELL)
        print("nbformat" in sys.modules, "jsonschema" in sys.modules, "nbclient" in sys.modules)
        """
    )
    assert out.splitlines()[-1] == "False False False", out
