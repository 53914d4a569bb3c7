"""Exercises that check themselves: ``ex1.check(answer)``, ``ex1.hint()``, ``ex1.solution()``.

An :class:`Exercise` pairs a *checker* (a function that runs the learner's answer and
returns a :class:`Result`) with a few hints.  A result is one of three things:

* **not attempted**: the answer is still the stub that raises ``NotImplementedError``
  (an untouched exercise is not a wrong one);
* **correct**: with what the answer demonstrated, such as how long it took;
* **wrong**: with what is wrong, and a ``mistake`` name that says which mistake it
  was (``"forgot_await"``, ``"blocking"``, ...), so tests can tell mistakes apart.

A checker reads as a list of questions asked in order.  When one finds a mistake it
*raises* it, ``raise Wrong("forgot_await", "...")``, and the check ends there with that
verdict: no step needs to pass a verdict back up by hand.  A checker that gets to its
end returns ``correct("...")``.  "Not attempted" is decided here too, in one place: an
answer that raises ``NotImplementedError`` (the stub's line) is not attempted, wherever
the checker happened to run it.

Each lesson's module makes its exercises and binds them at its end::

    EXERCISES = bind_exercises(globals(), [ex1, ex2, ex3])

which numbers them (``ex1`` is number 1 of its lesson, the lesson taken from the
module's name) and registers them.  While a check runs, :func:`exercise` says which
exercise it is, so a message can name ``ex2.hint()`` without anyone typing it.

Worked answers are not stored here.  ``solution()`` shows the answer cell from the
lesson's notebook in ``solutions/``: that notebook is the one place answers are kept.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from asyncio_tutorial.checkers.solutions import solution_source

Status = Literal["correct", "wrong", "not attempted"]

CORRECT: Status = "correct"
WRONG: Status = "wrong"
NOT_ATTEMPTED: Status = "not attempted"

_SYMBOLS = {CORRECT: "✓ Correct", WRONG: "✗ Not yet", NOT_ATTEMPTED: "○ Not attempted"}

TIME_LIMIT = 3.0
"""Seconds one run of an answer may take before it counts as a hang and is stopped.

The one time-limit policy of the course.  A right answer to any exercise finishes one
run in well under a second; the rest is room for a busy machine, where everything runs
late.  An exercise whose right answer truly needs longer states its own limit, with
the reason, as ``Exercise(..., time_limit=...)``; the runner and the messages take the
limit of the exercise being checked, never a number of their own.
"""


@dataclass(frozen=True)
class Result:
    """The verdict on one answer.  ``str(result)`` is the line ``check`` prints."""

    status: Status
    message: str
    mistake: str | None = None
    """For a wrong answer, which mistake: a short name such as ``"forgot_await"``."""
    recheck: bool = field(default=False, compare=False, repr=False)
    """The verdict rests on evidence a busy machine can fake now and then (the loop held
    for a few hundredths of a second while the clocks said this thread computed):
    :meth:`Exercise.evaluate` confirms it by the best two of three runs."""
    suggests: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """The code the message tells the learner to add (``"asyncio.Semaphore"``,
    ``"finally:"``): an answer that already has it must get another message, which the
    tests check for every wrong answer."""

    def __str__(self) -> str:
        return f"{_SYMBOLS[self.status]}: {self.message}"


class Wrong(Exception):
    """A wrong answer, raised by a checker: the check ends with this verdict.

    ``mistake`` names the mistake for tests and for a class's list of common mistakes;
    ``message`` explains it to the learner.  ``recheck``: the verdict rests on the loop
    seeming held (by computing, or by a blocking read), which a pause of the whole process
    can fake: :meth:`Exercise.evaluate` confirms it by the best two of three runs.
    ``suggests``: the code the message tells the learner to add, as it would appear in
    the answer's source (see :attr:`Result.suggests`).
    """

    def __init__(
        self,
        mistake: str,
        message: str,
        *,
        recheck: bool = False,
        suggests: tuple[str, ...] | str = (),
    ) -> None:
        super().__init__(message)
        suggested = (suggests,) if isinstance(suggests, str) else tuple(suggests)
        self.result = Result(WRONG, message, mistake, recheck, suggested)

    @property
    def mistake(self) -> str:
        return self.result.mistake or ""

    @property
    def message(self) -> str:
        return self.result.message


class NotAttempted(Exception):
    """The answer is still the stub: it raised ``NotImplementedError``.

    The runner raises this as soon as an answer it ran raised ``NotImplementedError``;
    :meth:`Exercise.evaluate` turns it into the "not attempted" verdict.
    """


def correct(message: str) -> Result:
    """A right answer; ``message`` says what it demonstrated in this run."""
    return Result(CORRECT, message)


Checker = Callable[[Any], Result]

_registry: dict[str, Exercise] = {}
_checking: contextvars.ContextVar[Exercise | None] = contextvars.ContextVar(
    "asyncio_tutorial_checking", default=None
)


def exercise() -> Exercise:
    """The exercise whose check is running now (for messages: ``exercise().hint_call``).

    Outside a check (a checker called directly, say) it is an error: a checker is run
    through :meth:`Exercise.evaluate`, which sets it.
    """
    current = _checking.get()
    if current is None:
        raise RuntimeError("no exercise is being checked: run the checker through evaluate()")
    return current


def time_limit() -> float:
    """The time limit of the exercise being checked, or :data:`TIME_LIMIT` outside one."""
    current = _checking.get()
    return TIME_LIMIT if current is None else current.time_limit


class Exercise:
    """One exercise: check an answer, give hints one at a time, show the worked answer.

    Parameters
    ----------
    title:
        A few words, shown by ``progress``.
    answer:
        The name the learner's answer is defined under, e.g. ``"greet"``; used in
        messages and to find the worked answer in the solutions notebook.
    checker:
        Runs an answer and returns its :class:`Result` (or raises :class:`Wrong`).
    hints:
        Shown one per ``hint()`` call, gentlest first (kept as :attr:`hint_texts`).
    time_limit:
        Seconds one run of the answer may take (see :data:`TIME_LIMIT`).

    The lesson and the exercise's number are set by :func:`bind_exercises`.
    """

    def __init__(
        self,
        title: str,
        answer: str,
        checker: Checker,
        hints: Sequence[str],
        *,
        time_limit: float = TIME_LIMIT,
    ) -> None:
        self.lesson = ""
        self.number = 0
        self.title = title
        self.answer = answer
        self.checker = checker
        self.hint_texts = list(hints)
        self.time_limit = time_limit
        self.hints_shown = 0
        self.last_result: Result | None = None
        self.last_seconds = 0.0
        """How long the last check took, in seconds (its reruns included)."""

    @property
    def name(self) -> str:
        """The name the exercise has in its notebook: ``ex1``."""
        return f"ex{self.number}"

    @property
    def id(self) -> str:
        """Unique across the course: ``01.1`` is lesson 01, exercise 1."""
        return f"{self.lesson}.{self.number}"

    @property
    def hint_call(self) -> str:
        """``ex1.hint()``: what a message tells the learner to run for a hint."""
        return f"{self.name}.hint()"

    def evaluate(self, answer: Any) -> Result:
        """Check ``answer`` and return the :class:`Result` without printing it.

        A verdict marked ``recheck`` (the loop seemed held by computing, not by
        ``time.sleep``, or by a blocking read) is confirmed by the best two of three
        runs: on a loaded machine a pause of the whole process can look like computing,
        and a computing answer can get so little of the processor that it looks idle,
        but neither happens twice in a row at the same moment, while an answer that
        really holds the loop does it every time.
        """
        started = time.perf_counter()
        result = self._run_checker(answer)
        if result.recheck:
            second = self._run_checker(answer)
            if second.mistake != result.mistake:
                third = self._run_checker(answer)
                result = third if third.mistake == result.mistake else second
        self.last_result = result
        self.last_seconds = time.perf_counter() - started
        return result

    def not_attempted(self) -> Result:
        """The verdict on the untouched stub."""
        return Result(
            NOT_ATTEMPTED,
            f"{self.answer} still raises NotImplementedError. Replace that line with your "
            f"code, run the cell, then run this one again. {self.hint_call} gives a hint.",
        )

    def _run_checker(self, answer: Any) -> Result:
        _start_clean()
        frozen = _freeze_the_rest()
        token = _checking.set(self)
        try:
            return self.checker(answer)
        except Wrong as verdict:
            return verdict.result
        except (NotAttempted, NotImplementedError):  # the stub, run by the checker itself
            return self.not_attempted()
        except Exception as error:  # a bug in the checker must not look like the learner's
            return Result(
                WRONG,
                f"the checker itself failed ({type(error).__name__}: {error}). "
                "This is a bug in the course, not in your answer: please report it.",
                "checker_failed",
            )
        finally:
            _checking.reset(token)
            if frozen:
                gc.unfreeze()

    def check(self, answer: Any) -> None:
        """Run your answer and say whether it is right, and if not, what is wrong."""
        print(wrap(str(self.evaluate(answer))))

    def hint(self, number: int | None = None) -> None:
        """Print the next hint; ``hint(2)`` prints hint 2 again (or for the first time).

        ``hints()`` prints every hint shown so far, so none is lost once read.
        """
        if not self.hint_texts:
            print(f"No hints for this one. {self.name}.solution() shows the worked answer.")
            return
        if number is None:
            index = min(self.hints_shown, len(self.hint_texts) - 1)
        elif isinstance(number, int) and 1 <= number <= len(self.hint_texts):
            index = number - 1
        else:
            print(
                f"{self.name} has hints 1 to {len(self.hint_texts)}: {self.name}.hint(1) shows the "
                f"first, {self.name}.hint() the next one, {self.name}.hints() all you have seen."
            )
            return
        self.hints_shown = max(self.hints_shown, index + 1)
        print(self._hint_text(index))

    def hints(self) -> None:
        """Print every hint shown so far, in order (the first one if none was)."""
        if not self.hint_texts:
            self.hint()
            return
        shown = max(self.hints_shown, 1)
        self.hints_shown = shown
        print("\n".join(self._hint_text(index) for index in range(shown)))

    def _hint_text(self, index: int) -> str:
        text = wrap(f"Hint {index + 1} of {len(self.hint_texts)}: {self.hint_texts[index]}")
        if index == len(self.hint_texts) - 1:
            text += f"\n(That was the last hint. {self.name}.solution() shows the worked answer.)"
        elif index + 1 == self.hints_shown:
            text += f"\n({self.name}.hint() gives the next one.)"
        return text

    def solution(self) -> None:
        """Show the worked answer, read from the lesson's notebook in ``solutions/``."""
        notebook = find_solutions_notebook(self.lesson)
        if notebook is None:
            print(
                f"The worked answers are in solutions/{self.lesson}-*.ipynb, which was not "
                "found from here. Open it from the course folder."
            )
            return
        source = solution_source(notebook, self.answer)
        _show_code(f"Worked answer to {self.name} ({notebook.name}):", source)

    def __repr__(self) -> str:
        return (
            f"<{self.name}: {self.title}. Use {self.name}.check({self.answer}), "
            f"{self.name}.hint(), {self.name}.solution()>"
        )


WIDTH = 88
"""Verdicts and hints are printed in lines of at most this many characters: narrower than
JupyterLab's output area at its default size, which would otherwise break a long line
wherever it reaches the edge, in the middle of a word."""


def wrap(text: str) -> str:
    """``text`` in lines of at most :data:`WIDTH` characters, broken between words
    (never inside a backticked piece of code shorter than a line)."""
    lines = []
    for paragraph in text.split("\n"):
        if len(paragraph) <= WIDTH or paragraph[:1].isspace():  # short, or laid out already
            lines.append(paragraph)
        else:
            lines.extend(_wrap_paragraph(paragraph))
    return "\n".join(lines)


def _wrap_paragraph(paragraph: str) -> list[str]:
    # Words, keeping `code spans` whole where they fit on a line.
    pieces = re.findall(r"`[^`]*`\S*|\S+", paragraph)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if line and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    if line:
        lines.append(line)
    return lines


def _start_clean() -> None:
    """Collect what earlier checks left behind, now, and drop what that says.

    An answer that left an aiohttp session or a transport open leaves garbage that Python
    collects whenever it sees fit, warning as it does.  Collected during a later check,
    the warning would be blamed on that answer; collected here, before the check starts,
    it is nobody's.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()


_held_frozen = False
"""Whether :func:`frozen_for_checks` is in force (checks then leave the freezing alone)."""


def _freeze_the_rest() -> bool:
    """Leave everything that exists before the answer runs out of garbage collections, until
    the check ends (``gc.freeze``); whether it did (not inside :func:`frozen_for_checks`).

    The check collects garbage after each run of the answer, so that a coroutine it never
    awaited warns while warnings are watched.  A full collection looks at every object
    of the process: a tenth of a second in a kernel that has run many cells or in a test
    run, several times per check, and most of a check's computing.  What the answer leaves
    behind is all made after this point, and those collections still find all of it.

    Whether something is frozen already is kept here, not read from
    ``gc.get_freeze_count()``: on Python 3.12 each collection moves the immortal objects
    it meets into the frozen generation (375 in a fresh 3.12.1), so that count is never 0
    there.  A ``gc.freeze()`` of the learner's own is undone when the check ends: it only
    ever changes how long collections take.
    """
    if _held_frozen:
        return False
    gc.freeze()
    return True


@contextlib.contextmanager
def frozen_for_checks() -> Iterator[None]:
    """Collect, then keep everything alive now frozen until the block ends; the checks
    run inside leave it so instead of freezing and unfreezing each time (the course's
    checker tests hold a module's objects frozen this way)."""
    global _held_frozen
    if _held_frozen:
        yield
        return
    _start_clean()
    gc.freeze()
    _held_frozen = True
    try:
        yield
    finally:
        _held_frozen = False
        gc.unfreeze()


def bind_exercises(module: Mapping[str, Any], exercises: Sequence[Exercise]) -> list[Exercise]:
    """Number a lesson module's exercises and register them; return them in order.

    Called at the end of a lesson's ``lessonNN/__init__.py`` as
    ``EXERCISES = bind_exercises(globals(), [ex1, ex2, ...])``: the lesson is the ``NN``
    of the module's name, and each exercise
    is numbered by its place in the list, which must match the name it has in the
    module (``ex2`` second), so that what a message says and what the learner imported
    cannot disagree.
    """
    match = re.search(r"lesson(\d\d)$", str(module.get("__name__", "")))
    if match is None:
        raise ValueError("bind_exercises needs the globals() of a module named lessonNN")
    lesson = match[1]
    for number, each in enumerate(exercises, start=1):
        if module.get(f"ex{number}") is not each:
            raise ValueError(f"lesson {lesson}: exercise {number} is not named ex{number}")
        each.lesson, each.number = lesson, number
        _registry[each.id] = each  # so that ``progress`` can ask a kernel how each did
    return list(exercises)


def registered() -> list[Exercise]:
    """Every exercise bound so far in this Python process, in lesson order."""
    return sorted(_registry.values(), key=lambda each: (each.lesson, each.number))


def find_solutions_notebook(lesson: str) -> Path | None:
    """The solutions notebook of ``lesson``, looked for where a course checkout keeps it.

    A workbook runs in ``exercises/``, so ``../solutions`` is tried first; then
    ``solutions/`` under the current folder; then the checkout this package lives in.
    """
    package_checkout = Path(__file__).resolve().parents[3]
    for folder in (Path.cwd().parent, Path.cwd(), package_checkout):
        found = sorted((folder / "solutions").glob(f"{lesson}-*.ipynb"))
        if found:
            return found[0]
    return None


def _show_code(title: str, source: str) -> None:
    """Show code highlighted in a notebook, as plain text elsewhere."""
    if "IPython" in sys.modules:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(f"{title}\n\n```python\n{source}\n```"))
            return
    print(title)
    print(source)
