"""What the course's own kernels do when they start (``make lab``'s, and validation's).

``make lab`` and ``make test`` put an IPython kernel configuration into the course's
environment (``.venv/etc/ipython/ipython_kernel_config.py``) that loads this module as
an extension when a kernel starts.  It does two things:

* **Stamps from the start, and after every restart.**  It loads the course's extension
  (:mod:`asyncio_tutorial.extension`), so a kernel restarted from the Kernel menu stamps
  its output at once: the learner need not remember to run the setup cell again.  The
  setup cell, ``%load_ext asyncio_tutorial``, still runs first in every lesson (a kernel
  started elsewhere needs it), and finds the extension loaded: it changes nothing.
* **An opened lesson stays unchanged.**  JupyterLab writes the kernel's
  ``language_info`` into every notebook it opens, and a notebook whose metadata changed
  asks "Save changes?" when closed, and is rewritten by autosave.  The course's
  notebooks are recorded without the Python version (``make record`` leaves it out, so
  a recording does not depend on the Python that made it), so these kernels leave it
  out of ``language_info`` too: the rest (``python``, its file extension, its lexer)
  is what JupyterLab needs, and it is the same for every supported Python.
"""

from __future__ import annotations

from typing import Any

KERNEL_CONFIG = 'c.InteractiveShellApp.extensions.append("asyncio_tutorial.course_kernel")\n'
"""The kernel configuration line that loads this module (``make`` writes it)."""


def load_ipython_extension(shell: Any) -> None:
    """Called by IPython as the kernel starts (through the kernel configuration)."""
    from asyncio_tutorial import extension

    extension.load_ipython_extension(shell)
    kernel = getattr(shell, "kernel", None)
    info = getattr(kernel, "language_info", None)
    if isinstance(info, dict) and "version" in info:
        kernel.language_info = {key: value for key, value in info.items() if key != "version"}


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext asyncio_tutorial.course_kernel``: plain output and tracebacks again."""
    from asyncio_tutorial import extension

    extension.unload_ipython_extension(shell)
