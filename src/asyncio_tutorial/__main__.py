"""``python -m asyncio_tutorial``: see :mod:`asyncio_tutorial.cli`."""

from asyncio_tutorial.cli import main

raise SystemExit(main())
