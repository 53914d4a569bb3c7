"""Kernels started by the course's commands listen on Unix sockets (course.kernels).

On TCP a kernel's ports are chosen before it starts, and a lesson's server asking for a
free port in the meantime can be given one of them; on Unix sockets nothing is shared.
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path

import pytest
from nbval.kernel import RunningKernel

from asyncio_tutorial.course import kernels
from asyncio_tutorial.course.quick_nbformat import nbformat
from asyncio_tutorial.course.recording import execute

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no Unix sockets for ZeroMQ")

WHERE = (
    "import json, os, ipykernel.connect\n"
    "info = json.loads(ipykernel.connect.get_connection_info())\n"
    "print(info['transport'], info['ip'], os.getcwd())"
)


def test_this_pytest_process_hands_nbval_the_unix_socket_manager() -> None:
    """pyproject.toml's addopts load the plugin in every pytest process (xdist workers too)."""
    import nbval.kernel

    assert nbval.kernel.KernelManager is kernels.UnixSocketKernelManager


def test_nbval_kernels_listen_on_sockets_of_their_own_and_leave_none_behind(
    tmp_path: Path,
) -> None:
    first = RunningKernel("python3", cwd=str(tmp_path))
    second = RunningKernel("python3", cwd=str(tmp_path))
    addresses = [first.km.ip, second.km.ip]
    try:
        outputs: list[str] = []
        first.kc.execute_interactive(
            WHERE,
            timeout=60,
            output_hook=lambda msg: outputs.append(msg["content"].get("text", "")),
        )
        transport, address, cwd = "".join(outputs).split()
        # the kernel runs in the notebook's folder, its sockets are named absolutely
        assert (transport, cwd) == ("ipc", str(tmp_path))
        assert Path(address).is_absolute() and address == addresses[0]
        assert len(glob.glob(address + "-*")) == 5
        assert addresses[1] != addresses[0]
    finally:
        first.stop()
        second.stop()
    assert [glob.glob(address + "-*") for address in addresses] == [[], []]


def test_the_course_runs_notebooks_on_unix_sockets(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WHERE)])
    execute(notebook, tmp_path)
    transport, address, _cwd = notebook.cells[0].outputs[0]["text"].split()
    assert transport == "ipc" and Path(address).is_absolute()


def test_a_tcp_manager_keeps_its_usual_address() -> None:
    manager = kernels.UnixSocketKernelManager(transport="tcp")
    assert manager.ip == "127.0.0.1"
