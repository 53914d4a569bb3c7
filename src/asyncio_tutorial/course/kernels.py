"""The kernels the course starts listen on Unix sockets, not TCP ports.

jupyter_client chooses a kernel's five TCP ports by binding port 0 and letting go of
the port at once; the kernel binds them when it has started, a second or two later on
a busy machine.  Meanwhile any program that asks the system for a free port may be
given one of them (jupyter_client issue #487, open since 2019).  The lessons do exactly
that, hundreds of times a validation run: every server they start listens on port 0.
Under load it happened: a kernel that nbval started found its port taken by a lesson's
HTTP server in another notebook, died, and nbval's client read the HTTP server's
``400 Bad Request`` as a kernel message (``ValueError: b'<IDS|MSG>' is not in list``).

A Unix socket has a file name instead of a port, so there is nothing to collide with:
each kernel gets names of its own in Jupyter's runtime folder, which the kernel and
jupyter_client remove when it stops.  ``make test`` loads this module into every
pytest process (``-p asyncio_tutorial.course.kernels`` in ``pyproject.toml``), where it hands
nbval this manager; ``record``, ``check`` and ``progress`` run notebooks with it too.
On Windows, where ZeroMQ has no Unix sockets, kernels keep TCP as usual.
"""

from __future__ import annotations

import os
import sys
import uuid

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.connect import ConnectionFileMixin
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

TRANSPORT = "tcp" if sys.platform == "win32" else "ipc"


class UnixSockets(ConnectionFileMixin):
    """Connection settings: ``ipc`` transport, in socket files named for this kernel alone."""

    @default("transport")
    def _unix_transport_default(self) -> str:
        return TRANSPORT

    @default("ip")
    def _unix_socket_name_default(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        # jupyter_client's own default, "kernel-ipc", is relative to each process's
        # working folder (nbval starts kernels in the notebook's folder) and the same
        # for every kernel: an absolute name of this kernel's own avoids both.
        folder = jupyter_runtime_dir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.path.join(folder, f"kernel-{uuid.uuid4().hex[:12]}-ipc")


class UnixSocketKernelManager(UnixSockets, KernelManager):
    """A ``KernelManager`` whose kernel listens on Unix sockets."""


class AsyncUnixSocketKernelManager(UnixSockets, AsyncKernelManager):
    """An ``AsyncKernelManager`` (nbclient's) whose kernel listens on Unix sockets."""


def start_new_kernel(
    kernel_name: str = "python3", startup_timeout: float = 60
) -> tuple[KernelManager, BlockingKernelClient]:
    """``jupyter_client.manager.start_new_kernel``, over Unix sockets: ``(manager, client)``."""
    manager = UnixSocketKernelManager(kernel_name=kernel_name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=startup_timeout)
    except RuntimeError:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        raise
    return manager, client


def pytest_configure(config: object) -> None:
    """pytest hook: the kernels nbval starts listen on Unix sockets too."""
    try:
        import nbval.kernel
    except ImportError:  # pytest without nbval: nothing to do
        return
    nbval.kernel.KernelManager = UnixSocketKernelManager  # looked up at each kernel start
