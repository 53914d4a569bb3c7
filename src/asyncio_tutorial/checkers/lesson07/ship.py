"""Exercise 5, ``primes_between``: a function another interpreter can run.

``InterpreterPoolExecutor`` (Python 3.14 and newer) copies a *self-contained* function
to its interpreters as code: one that reads no globals but the builtins, has no closure
and no default values, and imports what it needs inside.  Anything else must be pickled,
which fails for a function defined in a notebook.  The verdict is decided the same way
on every Python: by reading the function's code (:func:`globals_read`,
:func:`modules_imported`), then by running it, here and then for real in a pool of two:
an ``InterpreterPoolExecutor`` where this Python has one, and on older Pythons a
process pool that is sent the function's code the same way (:func:`call_copied`), since
a process pool would otherwise need the function to be importable (lesson 07, section 5).
"""

from __future__ import annotations

import builtins
import concurrent.futures
import dis
import inspect
import marshal
import pickle
import sys
import types
from collections.abc import Iterator
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import error_text, expect_plain_function, hang
from asyncio_tutorial.checkers.lesson07.watching import WORKERS, process_pool
from asyncio_tutorial.checkers.runner import run_function

HERE = [(0, 30), (30, 61)]
"""The ranges the check first runs here, to see the values before sending them anywhere
(from 0, where 0 and 1 are not primes; and up to 61, a prime that stop leaves out)."""
CHUNKS = [(0, 15_000), (15_000, 30_000)]
"""The ranges the check sends to the pool, one to each of its two workers."""

_GLOBAL_READS = {"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"}


def _primes(start: int, stop: int) -> list[int]:
    return [n for n in range(max(start, 2), stop) if all(n % d for d in range(2, int(n**0.5) + 1))]


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (comprehensions, inner functions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


def globals_read(function: types.FunctionType) -> list[str]:
    """The global names ``function``'s code uses that are not builtins, in order."""
    names: dict[str, None] = {}
    for code in _codes(function.__code__):
        instructions = list(dis.get_instructions(code))
        stored = {each.argval for each in instructions if each.opname == "STORE_NAME"}
        for instruction in instructions:  # (a class body's own names are STORE_NAME'd)
            name = instruction.argval
            if instruction.opname in _GLOBAL_READS and isinstance(name, str):
                if name not in builtins.__dict__ and name not in stored:
                    names[name] = None
    return list(names)


def modules_imported(function: types.FunctionType) -> list[str]:
    """The top-level modules ``function`` imports inside itself, in order."""
    names: dict[str, None] = {}
    for code in _codes(function.__code__):
        for instruction in dis.get_instructions(code):
            if instruction.opname == "IMPORT_NAME" and isinstance(instruction.argval, str):
                names[instruction.argval.split(".")[0]] = None
    return list(names)


def copied(function: types.FunctionType) -> types.FunctionType:
    """``function`` as another interpreter receives it: its code, the builtins, nothing else."""
    return types.FunctionType(function.__code__, {"__builtins__": builtins}, function.__name__)


def call_copied(code: bytes, name: str, *args: Any) -> Any:
    """In a worker process: rebuild a function from its marshalled code, and call it."""
    globals_ = {"__builtins__": builtins}
    return types.FunctionType(marshal.loads(code), globals_, name)(*args)


def check_primes_between(primes_between: Any) -> Result:
    """``primes_between(start, stop)``: self-contained, right here, and right elsewhere."""
    if isinstance(primes_between, partial):
        raise Wrong(
            "not_a_function",
            "primes_between is a functools.partial, which is pickled, not copied as code: "
            "another interpreter would need to import what it wraps. Write a plain `def`.",
        )
    expect_plain_function(primes_between)
    if not isinstance(primes_between, types.FunctionType):
        raise Wrong(
            "not_a_function",
            f"primes_between is a {type(primes_between).__name__}, not a function written "
            "with `def`: only a function's code can be copied to another interpreter.",
        )
    _judge_self_contained(primes_between)
    for bounds in HERE:
        call = f"primes_between{bounds}"
        outcome = run_function(partial(primes_between, *bounds))
        if outcome.timed_out:
            raise hang(outcome, call)
        if outcome.error is not None:
            raise Wrong("raised", f"{call} raised {error_text(outcome.error)}.")
        _judge_value(outcome.value, call, _primes(*bounds))
    elsewhere = run_function(partial(_run_elsewhere, primes_between))
    if elsewhere.timed_out:
        raise hang(elsewhere, f"primes_between in a pool of {WORKERS}")
    if elsewhere.error is not None:
        raise Wrong(
            "failed_elsewhere",
            f"primes_between ran here, but in {_pool_name()} it raised "
            f"{error_text(elsewhere.error)}. Everything it needs must be imported inside it.",
        )
    expected = [_primes(*chunk) for chunk in CHUNKS]
    if elsewhere.value != expected:
        raise Wrong(
            "wrong_value",
            f"in {_pool_name()}, primes_between{CHUNKS[0]} and primes_between{CHUNKS[1]} "
            "gave other primes than they should.",
        )
    found = sum(len(chunk) for chunk in expected)
    return correct(
        f"primes_between reads no global but the builtins, has no closure and no default "
        f"values, and imports {_imports_text(primes_between)}. It was right here "
        f"(primes_between{HERE[0]} and {HERE[1]}), and the {found} primes below "
        f"{CHUNKS[-1][1]:,} came back right from a pool of {WORKERS} workers, one range "
        "each, sent the function's code and nothing else (interpreters of an "
        "InterpreterPoolExecutor on Python 3.14+, worker processes before)."
    )


def _imports_text(function: types.FunctionType) -> str:
    modules = modules_imported(function)
    return " and ".join(modules) + " inside" if modules else "nothing: it needs nothing"


def _pool_name() -> str:
    if hasattr(concurrent.futures, "InterpreterPoolExecutor"):
        return f"an InterpreterPoolExecutor of {WORKERS} interpreters"
    return (
        f"a pool of {WORKERS} worker processes sent its code (this Python has no "
        "InterpreterPoolExecutor: that is 3.14+)"
    )


def _judge_self_contained(function: types.FunctionType) -> None:
    """Nothing from the notebook goes with the function: it must need nothing."""
    if function.__closure__:
        outer = ", ".join(function.__code__.co_freevars)
        raise Wrong(
            "closure",
            f"primes_between is defined inside another function and uses its variable "
            f"{outer}: a closure, which cannot be copied as code (its variables live in "
            "this interpreter). Define it at the top level of a cell, needing nothing "
            "from outside.",
        )
    if function.__defaults__ or function.__kwdefaults__:
        raise Wrong(
            "default_values",
            "primes_between has default values for its parameters: objects of this "
            "interpreter, which cannot go with its code (InterpreterPoolExecutor then "
            "tries to pickle the function, and fails for one defined in a notebook). "
            "Drop the defaults; import or compute what you need inside.",
        )
    for name in globals_read(function):
        value = function.__globals__.get(name, _MISSING)
        if name == function.__name__:
            raise Wrong(
                "uses_a_global",
                "primes_between calls itself by its global name, primes_between, which "
                "another interpreter does not have. Write it without calling itself (a "
                "loop or a comprehension).",
            )
        if isinstance(value, types.ModuleType):
            raise Wrong(
                "imported_outside",
                f"primes_between uses the module {name}, imported in the notebook, not in "
                "the function: another interpreter receives only the function's code. Put "
                f"`import {value.__name__.split('.')[0]}` inside primes_between.",
            )
        if isinstance(value, types.FunctionType):
            raise Wrong(
                "helper_outside",
                f"primes_between calls {name}, a function defined outside it: another "
                "interpreter receives only primes_between's code, and has no "
                f"{name}. Define {name} inside primes_between, or write its code there.",
            )
        raise Wrong(
            "uses_a_global",
            f"primes_between reads the global name {name}, which another interpreter "
            "does not have: it receives only the function's code. Use a local variable "
            "or a parameter instead.",
        )
    outside = [name for name in modules_imported(function) if name not in _stdlib()]
    if outside:
        raise Wrong(
            "third_party_import",
            f"primes_between imports {outside[0]}, which is not in the standard library. "
            "Another interpreter must load every module it imports, and many libraries "
            "with C code cannot be loaded there (NumPy: 'does not support loading in "
            "subinterpreters'). This one needs the standard library only.",
        )


_MISSING = object()


def _stdlib() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names)


def _judge_value(value: Any, call: str, expected: list[int]) -> None:
    if inspect.isgenerator(value) or isinstance(value, (map, filter, zip, range)):
        raise Wrong(
            "not_a_list",
            f"{call} returned a {type(value).__name__} object, not a list. A result goes "
            "back from the other interpreter by being copied or pickled: a generator "
            "cannot be, and a lazy map or filter would compute here, not there. Return "
            "`list(...)` or a list comprehension.",
        )
    if not isinstance(value, list):
        raise Wrong(
            "not_a_list",
            f"{call} returned {value!r}, a {type(value).__name__}; it should return the "
            f"list of primes, {expected!r}.",
        )
    try:
        pickle.dumps(value)
    except Exception as error:
        raise Wrong(
            "not_a_list",
            f"{call} returned a list that cannot be sent back ({error_text(error)}).",
        ) from error
    if value != expected:
        raise Wrong(
            "wrong_value",
            f"{call} returned {value!r}; it should return {expected!r} (start included, "
            "stop left out; 0 and 1 are not primes).",
        )


def _run_elsewhere(function: types.FunctionType) -> list[Any]:
    """Run ``function`` on each of ``CHUNKS`` in a pool of ``WORKERS``, as it would be sent."""
    interpreters = getattr(concurrent.futures, "InterpreterPoolExecutor", None)
    if interpreters is not None:
        with interpreters(max_workers=WORKERS) as pool:
            futures = [pool.submit(copied(function), *chunk) for chunk in CHUNKS]
            return [future.result() for future in futures]
    code = marshal.dumps(function.__code__)
    with process_pool() as processes:
        futures = [
            processes.submit(call_copied, code, function.__name__, *chunk) for chunk in CHUNKS
        ]
        return [future.result() for future in futures]


ex5 = Exercise(
    title="A function for another interpreter",
    answer="primes_between",
    checker=check_primes_between,
    # a pool of interpreters or processes is started and stopped for the check
    time_limit=4.0,
    hints=[
        "Another interpreter receives the function's code and nothing else: no module "
        "the notebook imported, no helper it defined, no constant. What it needs, it "
        "imports or defines inside.",
        "`import math` as the first line of the function, then `math.isqrt(n)`; a helper "
        "such as is_prime can be a nested def inside primes_between.",
        "Return a list (a comprehension): a generator cannot be sent back to this interpreter.",
    ],
)
