"""The course's command line: ``python -m asyncio_tutorial COMMAND``.

``record``
    Execute notebooks in place so their outputs are real (behind ``make record``).
``exercises``
    Regenerate every workbook in ``exercises/`` from ``solutions/`` (``make exercises``).
``progress``
    A table of every exercise in every workbook: passed, wrong or not attempted
    (``make progress``).  Workbooks are run on copies and never modified.  It is a
    report, so it exits with 0 whatever the exercises' state.
``check FILE``
    The same for one workbook, for scripts: exits with 0 only when every exercise in
    it passes, with 1 when any is wrong, not attempted, not checked or tampered, and
    with 2 when the file is no workbook (empty, broken, a lesson...).
``update``
    Fetch a new version of the course (``git pull``) keeping the learner's answers and
    a copy of everything they changed (``make update``).
``grade INPUTS``
    Grade a class's workbooks (folders, files, zip files): ``grades.csv``, a feedback file
    per learner and the class's common mistakes (see :mod:`asyncio_tutorial.course.grade`).
``published DIR``
    Copy the course as published into ``DIR``, leaving out a learner's work: what
    ``make test`` validates (see :mod:`asyncio_tutorial.course.published`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asyncio_tutorial.course import recording


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

    gen = commands.add_parser("exercises", help="regenerate the workbooks from the solutions")
    gen.add_argument(
        "only", nargs="*", help="just these solutions notebooks (default: all in --solutions)"
    )
    gen.add_argument("--solutions", default="solutions", help="folder of solutions notebooks")
    gen.add_argument("--out", default="exercises", help="folder to write the workbooks to")
    gen.set_defaults(run=_exercises)

    prog = commands.add_parser("progress", help="how every exercise stands (changes nothing)")
    prog.add_argument("paths", nargs="*", default=["exercises"], help="workbooks or folders")
    prog.add_argument("-j", "--jobs", type=int, default=None, help="workbooks at a time")
    prog.set_defaults(run=_progress)

    check = commands.add_parser(
        "check", help="how one workbook's exercises stand; exit 1 unless all pass"
    )
    check.add_argument("file", help="a workbook, e.g. exercises/workbook-01-coroutines.ipynb")
    check.set_defaults(run=_check)

    upd = commands.add_parser(
        "update", help="get the new version of the course, keeping your answers"
    )
    upd.set_defaults(run=_update)

    grade = commands.add_parser(
        "grade", help="grade a class's workbooks: grades.csv, feedback, common mistakes"
    )
    from asyncio_tutorial.course import grade as grading

    grading.add_arguments(grade)
    grade.set_defaults(run=grading.run)

    pub = commands.add_parser(
        "published", help="copy the course as published (without a learner's work) to DIR"
    )
    pub.add_argument("target", help="the folder to create (replaced if it exists)")
    pub.set_defaults(run=_published)
    return parser


def _record(args: argparse.Namespace) -> int:
    recording.record_all(recording.find_notebooks(args.paths), workers=args.jobs)
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from asyncio_tutorial.course import workbooks

    if args.only:
        targets = [(Path(path), Path(args.out) / Path(path).name) for path in args.only]
        done = [(target, workbooks.generate(source, target)) for source, target in targets]
    else:
        done = workbooks.generate_all(Path(args.solutions), Path(args.out))
    for path, changed in done:
        print(f"{'wrote' if changed else 'unchanged'} {path}")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from asyncio_tutorial.course import progress

    paths = recording.find_notebooks(args.paths)
    reports = []
    for report in progress.check_workbooks(paths, workers=args.jobs):
        print(progress.format_report(report), flush=True)
        reports.append(report)
    if len(reports) > 1:
        print(progress.format_total(reports))
    return 0


def _check(args: argparse.Namespace) -> int:
    from asyncio_tutorial.course import progress

    if Path(args.file).is_dir():
        print(f"error: check takes one notebook; for folders use progress {args.file}")
        return 2
    (path,) = recording.find_notebooks([args.file])
    report = progress.check_workbook(path)
    print(progress.format_report(report))
    if report.problem:
        return 2  # not a workbook: nothing was checked
    return 0 if report.all_passed else 1


def _update(args: argparse.Namespace) -> int:
    from asyncio_tutorial.course import update

    return update.update(Path.cwd())


def _published(args: argparse.Namespace) -> int:
    from asyncio_tutorial.course import published

    for note in published.export(Path.cwd(), Path(args.target)):
        print(f"note: {note}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
