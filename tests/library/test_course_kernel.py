"""The course's kernels: stamps from the start and after a restart, and no Python version
in the ``language_info`` JupyterLab copies into every notebook it opens.

The kernel configuration is in the environment's ``etc/ipython`` (``make`` writes it);
these tests start a kernel with the same configuration, in a folder of their own, as
``make lab`` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from asyncio_tutorial import course_kernel

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets: kernels.py")

PROGRAM = r"""
import json, sys
from asyncio_tutorial.course.kernels import UnixSocketKernelManager

manager = UnixSocketKernelManager(kernel_name="python3")
manager.start_kernel()
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
found = {"language_info": client.kernel_info(reply=True)["content"]["language_info"]}

def printed(code):
    lines = []
    def keep(message):
        if message["msg_type"] == "stream":
            lines.append(message["content"]["text"])
    client.execute_interactive(code, timeout=60, output_hook=keep)
    return "".join(lines)

CELL = "import asyncio\nawait asyncio.sleep(0.1)\nprint('after a pause')"
def traceback_of(code):
    lines = []
    def keep(message):
        if message["msg_type"] == "error":
            lines.extend(message["content"]["traceback"])
    client.execute_interactive(code, timeout=60, output_hook=keep)
    return "\n".join(lines)

found["first"] = printed(CELL)
found["traceback"] = traceback_of("import asyncio\nasyncio.run(asyncio.sleep(0))")
found["setup cell"] = printed("%load_ext asyncio_tutorial")
manager.restart_kernel(now=True)
client.wait_for_ready(timeout=60)
found["after restart"] = printed(CELL)
client.stop_channels()
manager.shutdown_kernel(now=True)
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What a kernel started with the course's kernel configuration said and printed."""
    config = tmp_path_factory.mktemp("ipython")
    (config / "ipython_kernel_config.py").write_text(course_kernel.KERNEL_CONFIG)
    # IPython reads the environment's etc/ipython; IPYTHONDIR's profile is read as well,
    # and is where a test can put the configuration without touching the environment.
    profile = config / "profile_default"
    profile.mkdir()
    (profile / "ipython_kernel_config.py").write_text(course_kernel.KERNEL_CONFIG)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={**os.environ, "IPYTHONDIR": str(config)},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=config,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_language_info_names_no_python_version(seen: dict[str, object]) -> None:
    info = seen["language_info"]
    assert isinstance(info, dict)
    assert info["name"] == "python" and "version" not in info


def test_the_committed_notebooks_have_the_same_language_info(seen: dict[str, object]) -> None:
    # JupyterLab writes the kernel's language_info into each notebook it opens; when it
    # is the same, the notebook stays unchanged (no "Save changes?", no autosave).
    for folder in ("notebooks", "exercises", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            metadata = json.loads(path.read_text())["metadata"]
            assert metadata["language_info"] == seen["language_info"], path.name


def test_stamps_from_the_start_and_after_a_restart(seen: dict[str, object]) -> None:
    assert seen["first"] == "[0.1s] after a pause\n"
    assert seen["after restart"] == "[0.1s] after a pause\n"


def test_tracebacks_name_the_standard_library_without_this_machines_folders(
    seen: dict[str, object],
) -> None:
    # asyncio.run refuses to run inside the kernel's loop: the error is raised in runners.py.
    shown = str(seen["traceback"])
    stdlib = sysconfig.get_path("stdlib")
    assert f"…/python{sys.version_info[0]}.{sys.version_info[1]}/asyncio/runners.py" in shown
    assert stdlib not in shown and stdlib.replace(str(Path.home()), "~") not in shown


def test_the_setup_cell_changes_nothing_in_such_a_kernel(seen: dict[str, object]) -> None:
    assert seen["setup cell"] == ""
