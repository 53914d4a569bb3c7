"""Validation fails when a notebook's recorded outputs and its code disagree.

These pin the promises of the course's validation: timing stamps are compared (a
recorded ``[1.0s]`` is a claim the code must keep), and an uncaught exception group is
an error, not text on stderr.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from notebook_tools import make_notebook, replace_in_source, run_nbval

from asyncio_tutorial.course.recording import record

SETUP = "%load_ext asyncio_tutorial\nimport asyncio"
WAIT = "print('start')\nawait asyncio.sleep(1.0)\nprint('end')"
FAILING_TASKGROUP = (
    "async def fail():\n"
    "    raise ValueError('broken')\n"
    "\n"
    "async with asyncio.TaskGroup() as tg:\n"
    "    tg.create_task(fail())"
)


def test_stamps_that_match_the_code_pass_validation(tmp_path: Path) -> None:
    notebook = record(make_notebook(tmp_path / "waits.ipynb", SETUP, WAIT))
    assert "[1.0s] end" in notebook.read_text()
    result = run_nbval(notebook)
    assert result.returncode == 0, result.stdout


def test_stamps_that_do_not_match_the_code_fail_validation(tmp_path: Path) -> None:
    # Recorded while the code slept 1.0 s; then the code changed to 0.5 s.
    notebook = record(make_notebook(tmp_path / "waits.ipynb", SETUP, WAIT))
    replace_in_source(notebook, "sleep(1.0)", "sleep(0.5)")
    result = run_nbval(notebook)
    assert result.returncode == 1
    assert "Cell outputs differ" in result.stdout
    assert "[0.5s] end" in result.stdout


def test_an_uncaught_exception_group_fails_validation(tmp_path: Path) -> None:
    notebook = make_notebook(tmp_path / "group.ipynb", SETUP, FAILING_TASKGROUP)
    result = run_nbval(notebook)
    assert result.returncode == 1
    assert "Cell execution caused an exception" in result.stdout
    assert "ExceptionGroup" in result.stdout


def test_without_the_extension_an_exception_group_slips_through(tmp_path: Path) -> None:
    # Why the extension handles exception groups: IPython prints them to stderr only.
    # The course's kernels load the extension as they start: unloaded, a plain kernel.
    plain = "%unload_ext asyncio_tutorial.course_kernel\nimport asyncio"
    notebook = make_notebook(tmp_path / "group.ipynb", plain, FAILING_TASKGROUP)
    result = run_nbval(notebook)
    assert result.returncode == 0, result.stdout


def test_an_exception_group_in_a_tagged_cell_is_allowed(tmp_path: Path) -> None:
    notebook = make_notebook(
        tmp_path / "group.ipynb", SETUP, (FAILING_TASKGROUP, ["raises-exception"])
    )
    record(notebook)
    assert '"ename": "ExceptionGroup"' in notebook.read_text()
    result = run_nbval(notebook)
    assert result.returncode == 0, result.stdout


def test_recording_refuses_an_untagged_error(tmp_path: Path) -> None:
    notebook = make_notebook(tmp_path / "broken.ipynb", SETUP, "1 / 0")
    before = notebook.read_bytes()
    try:
        record(notebook)
    except Exception as error:  # nbclient's CellExecutionError
        assert "ZeroDivisionError" in str(error)
    else:  # pragma: no cover
        raise AssertionError("an untagged error was recorded")
    assert notebook.read_bytes() == before


def test_a_failing_standalone_program_fails_its_cell(tmp_path: Path) -> None:
    notebook = make_notebook(
        tmp_path / "program.ipynb", SETUP, "%%standalone bad.py\nraise SystemExit(3)"
    )
    result = run_nbval(notebook)
    assert result.returncode == 1
    assert "ProgramFailed" in result.stdout
    assert "bad.py exited with status 3" in result.stdout


def test_recording_joins_the_pieces_of_a_stream(tmp_path: Path) -> None:
    notebook = record(
        make_notebook(
            tmp_path / "chunks.ipynb",
            SETUP,
            "import sys\nfor n in range(3):\n    print(n)\n    await asyncio.sleep(0.1)\n"
            "print('warned', file=sys.stderr)",
        )
    )
    outputs = nbformat.read(notebook, as_version=4).cells[-1].outputs
    assert [(out.name, out.text) for out in outputs] == [
        ("stdout", "[0.0s] 0\n[0.1s] 1\n[0.2s] 2\n"),
        ("stderr", "warned\n"),
    ]
