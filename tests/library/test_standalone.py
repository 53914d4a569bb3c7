"""``%%standalone``: running a cell as its own program."""

from __future__ import annotations

import io
import sys
import sysconfig
import textwrap

import pytest

from asyncio_tutorial.standalone import parse_arguments, run_program

HELLO = textwrap.dedent(
    """\
    import asyncio

    async def hello():
        print("Hello")
        await asyncio.sleep(0.3)
        print("World")

    asyncio.run(hello())
    """
)


def run(source: str, filename: str = "main.py") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_program(source, filename, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_program_output_is_stamped_from_the_program_start() -> None:
    status, out, err = run(HELLO, "hello.py")
    assert (status, out, err) == (0, "[0.0s] Hello\n[0.3s] World\n", "")


def test_tracebacks_name_the_file_without_its_temporary_folder() -> None:
    status, out, err = run("print('before')\nraise RuntimeError('nope')\n", "bad.py")
    assert status == 1
    assert out == "[0.0s] before\n"
    assert 'File "bad.py", line 2, in <module>' in err
    assert err.endswith("RuntimeError: nope\n")
    assert "standalone-" not in err


def test_tracebacks_name_the_standard_library_without_this_machines_folders() -> None:
    status, out, err = run("import asyncio\n\nasyncio.run(42)\n", "bad.py")
    assert status == 1
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert f'File "…/{version}/asyncio/runners.py", line ' in err, err
    assert sysconfig.get_path("stdlib") not in err


def test_warnings_name_the_file_too() -> None:
    source = "import warnings\nwarnings.warn('careful', DeprecationWarning)\n"
    status, _, err = run(source, "warn.py")
    assert status == 0
    assert err.startswith("warn.py:2: DeprecationWarning: careful")


def test_interpreter_options_come_before_the_file_name() -> None:
    assert parse_arguments("-W ignore::DeprecationWarning seed.py") == (
        ["-W", "ignore::DeprecationWarning"],
        "seed.py",
    )
    assert parse_arguments("") == ([], "main.py")
    out, err = io.StringIO(), io.StringIO()
    source = "import warnings\nwarnings.warn('careful', DeprecationWarning)\nprint('ok')\n"
    status = run_program(
        source, python_options=["-W", "ignore::DeprecationWarning"], stdout=out, stderr=err
    )
    assert (status, out.getvalue(), err.getvalue()) == (0, "[0.0s] ok\n", "")


def test_unstamped_when_asked() -> None:
    out, err = io.StringIO(), io.StringIO()
    run_program("print('x')\n", stdout=out, stderr=err, stamps=False)
    assert out.getvalue() == "x\n"


def test_child_processes_share_the_program_clock() -> None:
    # The program waits 0.5 s before starting a child process, which prints at once.
    # On the program's clock that line comes at 0.5 s or later; a child counting from
    # its own start would say [0.0s] or [0.1s].
    source = textwrap.dedent(
        """\
        import multiprocessing
        import time
        from concurrent.futures import ProcessPoolExecutor

        def work(n):
            print(f"child {n}", flush=True)
            return n

        if __name__ == "__main__":
            time.sleep(0.5)
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                print(list(pool.map(work, [1])))
        """
    )
    status, out, err = run(source, "pool.py")
    assert status == 0, err
    child_line = next(line for line in out.splitlines() if line.endswith("child 1"))
    seconds = float(child_line[1 : child_line.index("s]")])
    assert seconds >= 0.5, out
    assert out.splitlines()[-1].endswith("] [1]")


def test_file_name_must_be_a_plain_python_file() -> None:
    with pytest.raises(ValueError, match="plain file name"):
        run("pass\n", "../escape.py")
