"""The course's IPython extension: ``%load_ext asyncio_tutorial`` at the top of a lesson.

It does four things, and nothing else:

1. **Timing stamps.**  Lines printed by a cell that awaits at top level get a stamp
   with the time since the cell started (see :mod:`asyncio_tutorial.stamps`).
2. **``%%standalone``.**  A cell magic that runs the cell as its own Python program
   (see :mod:`asyncio_tutorial.standalone`), for examples built on ``asyncio.run``.
3. **Exception groups shown as errors.**  IPython prints an uncaught
   ``ExceptionGroup`` (what a failing ``TaskGroup`` raises) as plain text on stderr, so
   the notebook would look as if the cell had succeeded.  The extension shows it as
   a real error instead: red in JupyterLab, and a failure for notebook validation
   unless the cell is tagged ``raises-exception``.
4. **Tracebacks without this machine's folders.**  A frame in the standard library is
   shown as ``…/python3.15/asyncio/runners.py``, not under the folder where this
   Python happens to be installed (see :func:`asyncio_tutorial.standalone.short_paths`).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from types import TracebackType
from typing import Any

from asyncio_tutorial.stamps import StampedStream
from asyncio_tutorial.standalone import ProgramFailed, run_cell, short_paths

_state: dict[str, Any] = {}


def load_ipython_extension(shell: Any) -> None:
    """Called by ``%load_ext asyncio_tutorial``.  Loading twice changes nothing."""
    if _state.get("shell") is shell:
        return
    _state["shell"] = shell
    stream = sys.stdout if isinstance(sys.stdout, StampedStream) else StampedStream(sys.stdout)
    sys.stdout = stream
    _state["stream"] = stream
    shell.events.register("pre_run_cell", _pre_run_cell)
    shell.events.register("post_run_cell", _post_run_cell)
    shell.register_magic_function(standalone, magic_kind="cell", magic_name="standalone")
    shell.set_custom_exc((BaseException,), _show_exception)
    _state["showtraceback"] = shell._showtraceback
    shell._showtraceback = _shown_with_short_paths(shell._showtraceback)


def _shown_with_short_paths(show: Any) -> Any:
    """Tracebacks name the standard library without this machine's folders."""

    def _showtraceback(etype: Any, evalue: Any, stb: list[str]) -> Any:
        return show(etype, evalue, [short_paths(line) for line in stb])

    return _showtraceback


def unload_ipython_extension(shell: Any) -> None:
    """Called by ``%unload_ext asyncio_tutorial``: plain output and tracebacks again."""
    if _state.get("shell") is not shell:
        return
    shell.events.unregister("pre_run_cell", _pre_run_cell)
    shell.events.unregister("post_run_cell", _post_run_cell)
    shell.set_custom_exc((), None)
    shell._showtraceback = _state.pop("showtraceback")
    stream = _state.pop("stream")
    stream.stop()
    if sys.stdout is stream:
        sys.stdout = stream.stream
    _state.clear()


def awaits_at_top_level(shell: Any, cell: str) -> bool:
    """Whether IPython will run ``cell`` on the event loop (the stamping rule)."""
    try:
        transformed = shell.transform_cell(cell)
        return bool(shell.should_run_async(cell, transformed_cell=transformed))
    except Exception:  # a cell that does not even parse: no stamps
        return False


def _pre_run_cell(info: Any) -> None:
    stream: StampedStream = _state["stream"]
    if sys.stdout is not stream:  # something replaced it; wrap the new one
        stream.stream = sys.stdout
        sys.stdout = stream
    if awaits_at_top_level(_state["shell"], info.raw_cell or ""):
        stream.start()
    else:
        stream.stop()


def _post_run_cell(result: Any) -> None:
    _state["stream"].stop()


def standalone(line: str, cell: str) -> None:
    """Run this cell as a standalone Python program: ``%%standalone [options] [name.py]``.

    The program is run by the notebook's own interpreter in the notebook's folder,
    with any interpreter ``options`` (``-W error``, ``-X dev``...) given before the
    name; its printed lines are stamped from the moment it started.  A program that
    exits with an error fails the cell with ``ProgramFailed``, unless the options
    include ``--allow-failure``.  ``asyncio_tutorial.standalone.last_run()`` tells
    what the program did.
    """
    run_cell(line, cell, cwd=os.getcwd())


def _involves_group(error: BaseException | None) -> bool:
    """True for an exception group, or an error raised while handling one."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, BaseExceptionGroup):
            return True
        seen.add(id(error))
        error = error.__context__
    return False


def _show_exception(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> list[str] | None:
    """IPython's custom exception handler: everything but exception groups goes the usual way."""
    if isinstance(value, ProgramFailed):
        # The program's own traceback is already on stderr; one line says the rest.
        shell._showtraceback(etype, value, [f"ProgramFailed: {value}"])
        return None
    if not _involves_group(value):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return None
    # Skip IPython's own frames above the cell's code.
    while tb is not None and "IPython" + os.sep in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    text = "".join(traceback.format_exception(etype, value, tb))
    stb = [_name_cells(shell, line) for line in text.splitlines()]
    shell._showtraceback(etype, value, stb)
    return stb


def _name_cells(shell: Any, line: str) -> str:
    """``File "/tmp/ipykernel_1/123.py", line 3`` becomes ``Cell In[4], line 3``."""

    def rename(match: re.Match[str]) -> str:
        name = shell.compile.format_code_name(match[1])
        return f"{name[0]} {name[1]}" if name else match[0]

    return re.sub(r'File "([^"]+)"', rename, line)
