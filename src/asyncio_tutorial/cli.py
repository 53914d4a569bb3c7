"""The course's command line: ``python -m asyncio_tutorial COMMAND``.

``record``
    Execute notebooks in place so their outputs are real (behind ``make record``).
"""

from __future__ import annotations

import argparse
import sys

from asyncio_tutorial import notebooks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m asyncio_tutorial",
        description="Tools for the course Async Python, hands-on.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    rec = commands.add_parser("record", help="re-execute notebooks and save their outputs")
    rec.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    rec.add_argument("-j", "--jobs", type=int, default=None, help="notebooks at a time")
    rec.set_defaults(run=_record)
    return parser


def _record(args: argparse.Namespace) -> int:
    notebooks.record_all(notebooks.find_notebooks(args.paths), workers=args.jobs)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
