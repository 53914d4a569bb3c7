"""Mutation testing of the checkers: ``make mutants``.

A checker is only as good as the wrong answers it rejects.  Here the worked answer is
the program and the checker is its test, as in mutmut or cosmic-ray: each *mutant* is
the worked answer with one small edit a learner could make (an ``await`` dropped, work
made sequential, a lock or a ``finally`` removed, an ``except`` widened, a constant
changed, a blocking call instead of an awaited one), and the checker must call it
wrong.  A mutant it calls correct *survives*: either the checker has a gap, or the edit
changes nothing that matters (an *equivalent* mutant), which is listed with its reason
in ``tests/checkers/mutants/equivalent.txt``.

Only the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is mutated: the
learner's part.  Each mutant is checked in a worker process of its own, so one that
hangs or leaks cannot disturb the next.  The report, ``tests/checkers/mutants/report.md``,
gives the kill rate per exercise and lists the survivors::

    make mutants                                # every lesson
    .venv/bin/python scripts/mutants.py 03 05   # lessons 03 and 05
    .venv/bin/python scripts/mutants.py 03 --list   # the mutants, without running them
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import multiprocessing
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tests" / "checkers" / "mutants"
EQUIVALENT = MUTANTS / "equivalent.txt"
REPORT = MUTANTS / "report.md"
TARGET = 0.95  # killed share of the non-equivalent mutants, per lesson

SPAWNS = {"create_task", "ensure_future"}
BLOCKING = {"to_thread", "run_in_executor"}


@dataclass(frozen=True)
class Mutant:
    """One edit of one worked answer."""

    exercise: str  # "03.1"
    answer: str  # the answer's name, e.g. "fetch_all"
    operator: str  # "drop-await", ...
    original: str  # the code that was edited, as written
    occurrence: int  # which of the identical edits of that code (1, 2, ...)
    source: str  # the whole mutated answer cell

    @property
    def key(self) -> str:
        """Names the mutant in the equivalents file without line numbers, which move."""
        return f"{self.exercise} {self.operator} #{self.occurrence}: {self.original}"


# --- Making mutants --------------------------------------------------------------------------


def solution_lines(source: str) -> set[int]:
    """The line numbers (1-based) between the solution markers: the learner's part."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _in_solution(node: ast.AST, lines: set[int]) -> bool:
    return getattr(node, "lineno", 0) in lines


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _edits(tree: ast.Module, lines: set[int]) -> Iterator[tuple[str, ast.AST, Any]]:
    """Every (operator, node, replacement) the answer's learner part allows.

    ``replacement`` is a function of a *copy* of the node, returning the node (or list
    of statements) to put in its place.
    """
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value
        if _in_solution(node, lines) and "\n" not in node.value
    }
    for node in ast.walk(tree):
        if not _in_solution(node, lines):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string: nothing to mutate
        if isinstance(node, ast.Await):
            yield "drop-await", node, lambda n: n.value
            inner = node.value
            if isinstance(inner, ast.Call) and _called_name(inner) == "gather":
                yield "gather-made-sequential", node, _sequential_gather
            if isinstance(inner, ast.Call) and _called_name(inner) == "sleep":
                yield "blocking-sleep", node, _blocking_sleep
            if isinstance(inner, ast.Call) and _called_name(inner) in BLOCKING:
                yield "called-on-the-loop", node, _call_directly
            if isinstance(inner, ast.Call) and _called_name(inner) == "shield":
                yield "drop-shield", node, lambda n: ast.Await(n.value.args[0])
        if isinstance(node, ast.Call) and _called_name(node) in SPAWNS and node.args:
            yield "no-task", node, lambda n: n.args[0]
        if isinstance(node, ast.Call) and _called_name(node) in BLOCKING and len(node.args) > 1:
            yield "called-on-the-loop", node, _call_directly_unawaited
        if isinstance(node, ast.Call) and _called_name(node) == "call_soon_threadsafe":
            yield "thread-unsafe", node, lambda n: ast.Call(n.args[0], n.args[1:], [])
        if isinstance(node, ast.Call):
            for index, _keyword in enumerate(node.keywords):
                yield "drop-keyword", node, _drop_keyword(index)
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in _POOLS:
                yield "other-pool", node, lambda n, other=_POOLS[name]: _renamed(n, other)
        if isinstance(node, (ast.AsyncWith, ast.With)) and not any(
            item.optional_vars for item in node.items
        ):
            yield "drop-with", node, lambda n: n.body
        if isinstance(node, (ast.If, ast.While)) and not (
            isinstance(node.test, ast.Constant) and node.test.value is True
        ):
            yield "negate-condition", node, _negate
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
            others = sorted(strings - {node.value})[:2]
            for other in others:
                yield f"string-{other!r}", node, lambda n, o=other: ast.Constant(o)
        if isinstance(node, (ast.Try, ast.TryStar)):
            if node.finalbody:
                yield "drop-finally", node, _drop_finally
            for index, _handler in enumerate(node.handlers):
                yield "widen-except", node, _widen(index, "BaseException")
                yield "except-exception", node, _widen(index, "Exception")
        if isinstance(node, ast.Raise):
            yield "drop-raise", node, lambda n: ast.Pass()
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await)):
            yield "drop-statement", node, lambda n: ast.Pass()
        if isinstance(node, ast.Return) and node.value is not None:
            yield "return-none", node, lambda n: ast.Return(ast.Constant(None))
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = node.value
            changes = [value + 1, value - 1] if isinstance(value, int) else [value * 2, value / 2]
            if value == 0:
                changes = [1]
            for changed in changes:
                yield f"constant-{changed!r}", node, lambda n, c=changed: ast.Constant(c)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            flipped = _FLIPS.get(type(node.ops[0]))
            if flipped is not None:
                yield (
                    "flip-compare",
                    node,
                    lambda n, f=flipped: ast.Compare(n.left, [f()], n.comparators),
                )
        if isinstance(node, (ast.Break, ast.Continue)):
            yield "drop-" + type(node).__name__.lower(), node, lambda n: ast.Pass()


_FLIPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _sequential_gather(node: ast.Await) -> ast.AST:
    """``await asyncio.gather(*coros)`` -> ``[await c for c in coros]``, one at a time."""
    call = node.value
    assert isinstance(call, ast.Call)
    if len(call.args) == 1 and isinstance(call.args[0], ast.Starred):
        return ast.ListComp(
            elt=ast.Await(ast.Name("_each", ast.Load())),
            generators=[
                ast.comprehension(
                    target=ast.Name("_each", ast.Store()),
                    iter=call.args[0].value,
                    ifs=[],
                    is_async=0,
                )
            ],
        )
    return ast.List([ast.Await(arg) for arg in call.args], ast.Load())


def _blocking_sleep(node: ast.Await) -> ast.AST:
    """``await asyncio.sleep(x)`` -> ``time.sleep(x)``: the loop held."""
    call = node.value
    assert isinstance(call, ast.Call)
    return ast.Call(
        func=ast.Attribute(ast.Name("time", ast.Load()), "sleep", ast.Load()),
        args=call.args[:1],
        keywords=[],
    )


def _call_directly(node: ast.Await) -> ast.AST:
    """``await asyncio.to_thread(f, *args)`` (or ``run_in_executor(pool, f, ...)``) ->
    ``f(*args)``: the blocking call made on the loop itself."""
    call = node.value
    assert isinstance(call, ast.Call)
    args = call.args[1:] if _called_name(call) == "to_thread" else call.args[2:]
    function = call.args[0] if _called_name(call) == "to_thread" else call.args[1]
    return ast.Call(func=function, args=args, keywords=call.keywords)


def _call_directly_unawaited(node: ast.Call) -> ast.AST:
    """``asyncio.to_thread(f, *args)`` -> ``f(*args)``, wherever it stands."""
    return _call_directly(ast.Await(node))


_POOLS = {"ProcessPoolExecutor": "ThreadPoolExecutor", "ThreadPoolExecutor": "ProcessPoolExecutor"}


def _renamed(node: ast.AST, name: str) -> ast.AST:
    if isinstance(node, ast.Name):
        return ast.Name(name, node.ctx)
    assert isinstance(node, ast.Attribute)
    return ast.Attribute(node.value, name, node.ctx)


def _drop_keyword(index: int) -> Any:
    def drop(node: ast.Call) -> ast.Call:
        del node.keywords[index]
        return node

    return drop


def _negate(node: ast.If | ast.While) -> ast.AST:
    node.test = ast.UnaryOp(ast.Not(), node.test)
    return node


def _drop_finally(node: ast.Try) -> Any:
    if node.handlers or node.orelse:
        return type(node)(node.body, node.handlers, node.orelse, [])
    return node.body


def _widen(index: int, name: str) -> Any:
    def widen(node: ast.Try) -> ast.Try:
        handler = node.handlers[index]
        handler.type = ast.Name(name, ast.Load())
        return node

    return widen


def _paths(tree: ast.AST) -> dict[int, tuple[tuple[str, int | None], ...]]:
    """Each node's path from the root (field, index), by the node's id: the same path
    finds the same node in a copy of the tree."""
    paths: dict[int, tuple[tuple[str, int | None], ...]] = {id(tree): ()}
    stack = [tree]
    while stack:
        node = stack.pop()
        for name, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if isinstance(child, ast.AST):
                    step = (name, index if isinstance(value, list) else None)
                    paths[id(child)] = (*paths[id(node)], step)
                    stack.append(child)
    return paths


def _replaced(tree: ast.Module, path: tuple[tuple[str, int | None], ...], replacement: Any) -> Any:
    """A copy of ``tree`` with the node at ``path`` replaced by ``replacement(node)``."""
    copied = copy.deepcopy(tree)
    parent: Any = copied
    for name, index in path[:-1]:
        parent = getattr(parent, name) if index is None else getattr(parent, name)[index]
    name, index = path[-1]
    old = getattr(parent, name) if index is None else getattr(parent, name)[index]
    new = replacement(old)
    if index is None:
        setattr(parent, name, new)
    else:
        siblings = getattr(parent, name)
        siblings[index : index + 1] = new if isinstance(new, list) else [new]
    return ast.fix_missing_locations(copied)


def mutants_of(exercise_id: str, answer: str, source: str) -> list[Mutant]:
    """Every mutant of one worked answer cell (``source`` with its solution markers)."""
    lines = solution_lines(source)
    tree = ast.parse(source)
    paths = _paths(tree)
    found: list[Mutant] = []
    seen: dict[tuple[str, str], int] = {}
    originals: set[str] = {ast.unparse(tree)}  # an edit that changes nothing is no mutant
    for operator, node, replacement in list(_edits(tree, lines)):
        try:
            mutated = ast.unparse(_replaced(tree, paths[id(node)], replacement))
            compile(mutated, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if mutated in originals:  # two edits giving the same program are one mutant
            continue
        originals.add(mutated)
        original = " ".join(ast.unparse(node).split())[:70].rstrip()
        count = seen[(operator, original)] = seen.get((operator, original), 0) + 1
        found.append(Mutant(exercise_id, answer, operator, original, count, mutated))
    return found


# --- Running them ----------------------------------------------------------------------------


def lesson_notebook(lesson: str) -> Path:
    (path,) = sorted((ROOT / "solutions").glob(f"{lesson}-*.ipynb"))
    return path


def notebook_cells(path: Path) -> list[str]:
    from asyncio_tutorial.course.quick_nbformat import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def lesson_mutants(lesson: str) -> list[Mutant]:
    from asyncio_tutorial.checkers import solutions

    checkers = importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson}")
    cells = notebook_cells(lesson_notebook(lesson))
    found: list[Mutant] = []
    for exercise in checkers.EXERCISES:
        defines = re.compile(rf"^\s*(async\s+def|def|class)\s+{exercise.answer}\b", re.M)
        (cell,) = [c for c in cells if solutions.has_solution(c) and defines.search(c)]
        found.extend(mutants_of(exercise.id, exercise.answer, cell))
    return found


_namespaces: dict[str, dict[str, Any]] = {}


def _namespace(lesson: str) -> dict[str, Any]:
    """What the solutions notebook defines before any answer: imports and helpers."""
    if lesson not in _namespaces:
        namespace: dict[str, Any] = {"time": time}
        for source in notebook_cells(lesson_notebook(lesson)):
            if source.startswith("%") or ".check(" in source:
                continue
            exec(compile(source, f"solutions/{lesson}", "exec"), namespace)
        _namespaces[lesson] = namespace
    return _namespaces[lesson]


def judge(mutant: Mutant) -> tuple[Mutant, str, str, float]:
    """Run the checker on one mutant, in this worker process: (mutant, status, mistake, s)."""
    lesson = mutant.exercise[:2]
    checkers = importlib.import_module(f"asyncio_tutorial.checkers.lesson{lesson}")
    namespace = dict(_namespace(lesson))
    started = time.perf_counter()
    try:
        exec(compile(mutant.source, f"<mutant {mutant.key}>", "exec"), namespace)
    except Exception as error:  # the mutant cannot even be defined: a learner sees that
        return mutant, "wrong", f"definition failed: {type(error).__name__}", 0.0
    exercise = checkers.EXERCISES[int(mutant.exercise.split(".")[1]) - 1]
    result = exercise.evaluate(namespace[mutant.answer])
    return mutant, result.status, result.mistake or "", time.perf_counter() - started


def read_equivalents() -> dict[str, str]:
    """``{mutant key: reason}`` from the equivalents file (``key | reason`` per line)."""
    found = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, reason = line.partition(" | ")
                found[key.strip()] = reason.strip()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers, e.g. 03 (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=4, help="mutants checked at once")
    parser.add_argument("--list", action="store_true", help="list the mutants, run none")
    parser.add_argument("--no-report", action="store_true", help="do not write report.md")
    args = parser.parse_args()
    lessons = args.lessons or [p.name[:2] for p in sorted((ROOT / "solutions").glob("*.ipynb"))]
    mutants = [m for lesson in lessons for m in lesson_mutants(lesson)]
    if args.list:
        for mutant in mutants:
            print(mutant.key)
        print(f"{len(mutants)} mutants")
        return 0
    equivalents = read_equivalents()
    started = time.perf_counter()
    results: list[tuple[Mutant, str, str, float]] = []
    context = multiprocessing.get_context("spawn")
    done = 0
    for lesson in lessons:  # fresh worker processes for each lesson
        mine = [mutant for mutant in mutants if mutant.exercise[:2] == lesson]
        with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            for result in pool.map(judge, mine):
                done += 1
                results.append(result)
                mutant, status, mistake, seconds = result
                mark = "killed" if status != "correct" else "SURVIVED"
                if status == "correct" and mutant.key in equivalents:
                    mark = "equivalent"
                print(f"[{done}/{len(mutants)}] {mark:10} {mistake or status:24} {mutant.key}")
    report = make_report(results, equivalents, time.perf_counter() - started)
    print(report)
    if not args.no_report and not args.lessons:
        REPORT.write_text(report)
    stale = set(equivalents) - {m.key for m in mutants}
    killed = {m.key for m, status, _, _ in results if status != "correct"} & set(equivalents)
    for key in sorted(stale):
        if key[:2] in lessons:
            print(f"stale entry in {EQUIVALENT.name} (no such mutant now): {key}")
    for key in sorted(killed):
        print(f"stale entry in {EQUIVALENT.name} (the checker kills it now): {key}")
    return 0 if _all_on_target(results, equivalents) else 1


def _rates(
    results: list[tuple[Mutant, str, str, float]], equivalents: dict[str, str], exercise: str
) -> tuple[int, int, int, int]:
    mine = [r for r in results if r[0].exercise.startswith(exercise)]
    killed = sum(status != "correct" for _, status, _, _ in mine)
    equivalent = sum(status == "correct" and m.key in equivalents for m, status, _, _ in mine)
    survived = len(mine) - killed - equivalent
    return len(mine), killed, equivalent, survived


def _all_on_target(results: list[Any], equivalents: dict[str, str]) -> bool:
    lessons = sorted({m.exercise[:2] for m, *_ in results})
    for lesson in lessons:
        total, killed, equivalent, _ = _rates(results, equivalents, lesson)
        if total - equivalent and killed / (total - equivalent) < TARGET:
            return False
    return True


def make_report(
    results: list[tuple[Mutant, str, str, float]], equivalents: dict[str, str], seconds: float
) -> str:
    lines = [
        "# Mutants of the worked answers (`make mutants`)",
        "",
        "Each mutant is a worked answer with one small edit in the learner's part; the "
        "checker must call it wrong. *Equivalent*: the edit changes nothing a checker can "
        "or should see (reasons in `equivalent.txt`). Kill rate = killed ÷ (mutants − "
        f"equivalent); the target is {TARGET:.0%} in every lesson.",
        "",
        "| exercise | mutants | killed | equivalent | survived | kill rate |",
        "|---|---|---|---|---|---|",
    ]
    exercises = sorted(
        {m.exercise for m, *_ in results}, key=lambda e: tuple(map(int, e.split(".")))
    )
    lessons = sorted({e[:2] for e in exercises})
    for lesson in lessons:
        for exercise in [e for e in exercises if e.startswith(lesson + ".")]:
            total, killed, equivalent, survived = _rates(results, equivalents, exercise + "")
            rate = killed / (total - equivalent) if total - equivalent else 1.0
            lines.append(
                f"| {exercise} | {total} | {killed} | {equivalent} | {survived} | {rate:.0%} |"
            )
        total, killed, equivalent, survived = _rates(results, equivalents, lesson)
        rate = killed / (total - equivalent) if total - equivalent else 1.0
        lines.append(
            f"| **{lesson}** | **{total}** | **{killed}** | **{equivalent}** | **{survived}** "
            f"| **{rate:.0%}** |"
        )
    survivors = [
        m for m, status, _, _ in results if status == "correct" and m.key not in equivalents
    ]
    lines += ["", f"{len(results)} mutants in {seconds:.0f} s.", ""]
    if survivors:
        lines += ["## Survivors", ""] + [f"- `{m.key}`" for m in survivors]
    else:
        lines.append("No survivors: every mutant was killed or is listed as equivalent.")
    mistakes: dict[str, int] = {}
    for _, status, mistake, _ in results:
        if status != "correct":
            mistakes[mistake or status] = mistakes.get(mistake or status, 0) + 1
    lines += ["", "## What killed them", ""]
    lines += [f"- {name}: {count}" for name, count in sorted(mistakes.items(), key=lambda x: -x[1])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
