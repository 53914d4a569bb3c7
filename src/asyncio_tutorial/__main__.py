"""``python -m asyncio_tutorial``: see :mod:`asyncio_tutorial.course.cli`."""

from asyncio_tutorial.course.cli import main

raise SystemExit(main())
