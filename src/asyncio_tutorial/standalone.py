"""Run a cell as a standalone Python program: the ``%%standalone`` cell magic.

A notebook kernel already runs an event loop, so ``asyncio.run(main())`` raises there.
Programs that *are about* ``asyncio.run`` (or ``loop.run_until_complete``) are run the
way they would be from a terminal instead::

    %%standalone hello.py
    import asyncio

    async def hello():
        print("Hello")
        await asyncio.sleep(1)
        print("World")

    asyncio.run(hello())

The cell is saved as ``hello.py`` in a fresh temporary folder and run by the same
interpreter as the notebook (``sys.executable``), in the notebook's folder.  Its output
is shown while it runs.  Each printed line carries a timing stamp counted from the
moment the program started.  Tracebacks and warnings name the file as ``hello.py``,
whatever the temporary folder was, so the output reads the same on every machine.

Options for the interpreter go before the file name, as in a terminal:
``%%standalone -W ignore::DeprecationWarning old_style.py`` runs
``python -W ignore::DeprecationWarning old_style.py``.

If the program exits with a non-zero status, the cell fails with
:class:`ProgramFailed`, just as a failing command would fail a build.

``%%standalone --allow-failure name.py`` is for the rare program whose outcome depends on
the Python that runs it (the founding text's ``get_event_loop()`` example runs on 3.13 and
stops with ``RuntimeError`` on 3.14): a non-zero exit is then reported in the output
instead of failing the cell.  Either way :func:`last_run` returns what the program did,
so the next cell can check it against the lesson's table of versions.
"""

from __future__ import annotations

import codecs
import os
import re
import selectors
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# Put on the child's PYTHONPATH: Python imports ``sitecustomize`` at start-up, before
# the program, so the program's own prints are stamped from its own start.
_SITECUSTOMIZE = """\
from asyncio_tutorial.childstamps import install
install()
"""


ALLOW_FAILURE = "--allow-failure"


class ProgramFailed(Exception):
    """A ``%%standalone`` program exited with a non-zero status."""


@dataclass(frozen=True)
class ProgramRun:
    """What a ``%%standalone`` program did: its exit status and everything it printed.

    ``stdout`` and ``stderr`` are the text as the cell showed it, timing stamps
    included, colour codes left out (Python 3.13 and later colour their tracebacks when
    the notebook asks for colour); :attr:`printed` is the program's own lines, without
    the stamps.
    """

    filename: str
    status: int
    stdout: str
    stderr: str

    @property
    def printed(self) -> list[str]:
        """The lines the program printed, stamps taken off: ``["Hello", "World"]``."""
        return [re.sub(r"^\[\d+\.\ds\] ", "", line) for line in self.stdout.splitlines()]


_last_run: ProgramRun | None = None


def last_run() -> ProgramRun:
    """The most recent ``%%standalone`` program run in this kernel."""
    if _last_run is None:
        raise LookupError("no %%standalone program has run in this kernel yet")
    return _last_run


def parse_arguments(line: str) -> tuple[list[str], str]:
    """Split a ``%%standalone`` line into interpreter options and the program's file name.

    >>> parse_arguments("-W ignore::DeprecationWarning old.py")
    (['-W', 'ignore::DeprecationWarning'], 'old.py')
    >>> parse_arguments("")
    ([], 'main.py')
    """
    words = shlex.split(line)
    if words and words[-1].endswith(".py"):
        return words[:-1], words[-1]
    return words, "main.py"


def run_cell(line: str, cell: str, cwd: str | os.PathLike[str] | None = None) -> ProgramRun:
    """Run a ``%%standalone`` cell: the magic's line, then the program; return what it did.

    Raises :class:`ProgramFailed` for a non-zero exit, unless the line says
    ``--allow-failure`` (then the status is printed on stderr, and the cell goes on).
    """
    global _last_run
    words = shlex.split(line)
    allow_failure = ALLOW_FAILURE in words
    options, filename = parse_arguments(shlex.join(w for w in words if w != ALLOW_FAILURE))
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    status = run_program(cell, filename, python_options=options, stdout=out, stderr=err, cwd=cwd)
    _last_run = ProgramRun(filename, status, _no_colour(out.text()), _no_colour(err.text()))
    if status != 0:
        if not allow_failure:
            raise ProgramFailed(f"{filename} exited with status {status}")
        print(f"({filename} exited with status {status})", file=sys.stderr, flush=True)
    return _last_run


def _no_colour(text: str) -> str:
    """``text`` without ANSI colour codes (``\x1b[35m`` and the like)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


class _Tee:
    """Passes text on to a stream and keeps a copy of it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.pieces: list[str] = []

    def write(self, text: str) -> int:
        self.pieces.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def text(self) -> str:
        return "".join(self.pieces)


def run_program(
    source: str,
    filename: str = "main.py",
    *,
    python_options: list[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stamps: bool = True,
) -> int:
    """Run ``source`` as the program ``filename`` and stream its output; return its status.

    ``stdout`` and ``stderr`` default to this process's ``sys.stdout`` and ``sys.stderr``
    (in a notebook: the cell's output).  Interrupting (the kernel's stop button) stops
    the program too.
    """
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    if os.sep in filename or not filename.endswith(".py"):
        raise ValueError(f"give a plain file name ending in .py, not {filename!r}")
    with tempfile.TemporaryDirectory(prefix="standalone-") as folder:
        script = Path(folder) / filename
        script.write_text(source, encoding="utf-8")
        # PYTHON_COLORS=0: tracebacks in plain text (3.13+ colours them when FORCE_COLOR is set).
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHON_COLORS="0")
        env.pop("ASYNCIO_TUTORIAL_T0", None)
        if stamps:
            hooks = Path(folder) / "_hooks"
            hooks.mkdir()
            (hooks / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(hooks), env.get("PYTHONPATH", "")) if p
            )
        process = subprocess.Popen(
            [sys.executable, *(python_options or []), str(script)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        try:
            _relay(process, {process.stdout: out, process.stderr: err}, folder + os.sep)
            return process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _relay(process: subprocess.Popen[bytes], targets: dict, prefix: str) -> None:
    """Copy the child's output line by line to ``targets`` until both pipes close."""
    selector = selectors.DefaultSelector()
    pending: dict[object, str] = {}
    decoders = {}
    for pipe, target in targets.items():
        selector.register(pipe, selectors.EVENT_READ, target)
        pending[pipe] = ""
        decoders[pipe] = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        while selector.get_map():
            for key, _ in selector.select():
                pipe, target = key.fileobj, key.data
                chunk = os.read(pipe.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    selector.unregister(pipe)
                    text = pending[pipe] + decoders[pipe].decode(b"", final=True)
                    _emit(target, text, prefix)
                    continue
                text = pending[pipe] + decoders[pipe].decode(chunk)
                # Pass on whole lines only, so the folder can be cut out of each one.
                cut = max(text.rfind("\n"), text.rfind("\r")) + 1
                pending[pipe] = text[cut:]
                _emit(target, text[:cut], prefix)
    finally:
        selector.close()


def _stdlib_forms() -> list[tuple[str, str]]:
    """Where this Python's standard library is, as tracebacks write it, and its short name."""
    stdlib = sysconfig.get_path("stdlib").rstrip(os.sep) + os.sep
    short = f"…{os.sep}python{sys.version_info[0]}.{sys.version_info[1]}{os.sep}"
    forms = [(stdlib, short)]
    home = os.path.expanduser("~").rstrip(os.sep) + os.sep
    if home != os.sep and stdlib.startswith(home):  # IPython writes the home folder as ~
        forms.append(("~" + os.sep + stdlib[len(home) :], short))
    return forms


_STDLIB_FORMS = _stdlib_forms()


def short_paths(text: str) -> str:
    """Tracebacks name the standard library's files without this machine's folders.

    ``/root/.pyenv/versions/3.15.2/lib/python3.15/asyncio/runners.py`` becomes
    ``…/python3.15/asyncio/runners.py``: the same on every machine with that Python, and
    all a reader needs (the module and its line).
    """
    for long, short in _STDLIB_FORMS:
        text = text.replace(long, short)
    return text


def _emit(target: TextIO, text: str, prefix: str) -> None:
    if text:
        target.write(short_paths(text.replace(prefix, "")))
        target.flush()
