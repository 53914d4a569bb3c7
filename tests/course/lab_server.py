"""Start JupyterLab for the browser test, the way ``make lab`` does, and always stop it.

The server listens on 127.0.0.1 on a free port, with a token made up for the run, and
uses the environment's JupyterLab, which ``make`` gives the course's default settings
(``jupyterlab/asyncio-tutorial.json``, in ``share/jupyter/lab/settings/overrides.d``).
User settings, workspaces and runtime files go to a temporary folder, so a run neither
depends on nor leaves a trace in the home folder of whoever runs it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asyncio_tutorial.course.kernels import TRANSPORT

START_TIMEOUT = 120  # seconds; a cold start on a busy 2-core machine takes ~10 s
SHUTDOWN_TIMEOUT = 30  # seconds for every session and kernel to be gone after a lesson


class ServerFailed(RuntimeError):
    """JupyterLab did not start, or stopped answering."""


@dataclass(frozen=True)
class JupyterLab:
    """A running JupyterLab: where it listens and how to talk to its REST API."""

    port: int
    token: str
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """``path`` on the server with the token attached, e.g. ``/lab/tree/x.ipynb``."""
        joiner = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{joiner}token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        """Call the REST API at ``/api/...`` and return the decoded JSON (or ``None``)."""
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """End every session and kernel, so lessons do not pile up kernels.

        JupyterLab may be ending the same session or kernel at that moment (the page
        closed its notebook): the server then answers a DELETE with an error (404, 410,
        and once a 500 in validation).  What matters is that none is left, so the lists
        are read again until both are empty; only if they are not within ``timeout`` is
        that a failure, with the last error and the server's log.
        """
        deadline = time.monotonic() + timeout
        left: dict[str, object] = {}
        last_error = "none"
        while time.monotonic() < deadline:
            try:
                left = {kind: self.api(f"/api/{kind}") for kind in ("sessions", "kernels")}
            except urllib.error.HTTPError as error:  # listing while one ends
                last_error = f"GET {error.url}: HTTP {error.code}"
            else:
                if not any(left.values()):
                    return
                for kind, items in left.items():
                    for item in items:  # type: ignore[attr-defined]
                        try:
                            self.api(f"/api/{kind}/{item['id']}", method="DELETE")
                        except urllib.error.HTTPError as error:
                            last_error = f"DELETE /api/{kind}/{item['id']}: HTTP {error.code}"
            time.sleep(0.2)
        raise ServerFailed(
            f"still there after {timeout:.0f} s: {left} (last error: {last_error}); "
            f"server log:\n{self.log()[-3000:]}"
        )

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_jupyterlab(root_dir: Path) -> Iterator[JupyterLab]:
    """Run JupyterLab serving ``root_dir`` until the ``with`` block ends, even on error."""
    port, token = free_port(), secrets.token_hex(24)
    with tempfile.TemporaryDirectory(prefix="jupyterlab-") as scratch_name:
        scratch = Path(scratch_name)
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(scratch / "user-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        command = [
            sys.executable,
            "-m",
            "asyncio_tutorial.course.lab",  # jupyter lab, without 4 s of jsonschema start-up
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            "--ServerApp.open_browser=False",
            f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
            # window.jupyterapp: lets the test read each output's type (an error and a
            # stream on stderr render alike) and the kernel's status from the page
            "--LabApp.expose_app_in_browser=True",
            # kernels on Unix sockets, as in the rest of make test: a lesson's server
            # cannot take a kernel's port (src/asyncio_tutorial/course/kernels.py)
            f"--KernelManager.transport={TRANSPORT}",
        ]
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")
        log_path = scratch / "server.log"
        server = JupyterLab(port=port, token=token, log_path=log_path)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=root_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stopping it also stops its kernels
            )
        try:
            _wait_until_ready(server, process)
            yield server
        finally:
            _stop(process)


def _wait_until_ready(server: JupyterLab, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(
                f"JupyterLab exited with status {process.returncode} before answering.\n"
                f"Its output:\n{server.log()}"
            )
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise ServerFailed(
        f"JupyterLab did not answer on {server.base_url} within {START_TIMEOUT} s.\n"
        f"Its output:\n{server.log()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (kernels run in its process group)."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # kernels may outlive the server by a moment; they share its process group
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
