"""``python -m asyncio_tutorial.course.lab [options]``: ``jupyter lab``, started 4 s of CPU sooner.

The same JupyterLab with the same options; only jsonschema is imported first, the way
:mod:`asyncio_tutorial.course.quick_nbformat` does it (Jupyter's server checks no ``iri``
formats).  ``make lab`` and the browser test start JupyterLab this way.
"""

from __future__ import annotations

import sys

from asyncio_tutorial.course.quick_nbformat import import_jsonschema_without_iri_checks


def main() -> int:
    import_jsonschema_without_iri_checks()
    from jupyterlab.labapp import main as jupyter_lab

    return jupyter_lab() or 0


if __name__ == "__main__":
    sys.exit(main())
