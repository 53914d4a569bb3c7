"""Exercises that check themselves: ``ex1.check(answer)``, ``ex1.hint()``, ``ex1.solution()``.

An :class:`Exercise` pairs a *checker* (a function that runs the learner's answer and
returns a :class:`Result`) with a few hints.  A result is one of three things:

* **not attempted**: the answer is still the stub that raises ``NotImplementedError``
  (an untouched exercise is not a wrong one);
* **correct**: with what the answer demonstrated, such as how long it took;
* **wrong**: with what is wrong, and a ``mistake`` name that says which mistake it
  was (``"forgot_await"``, ``"blocking"``, ...), so tests can tell mistakes apart.

Worked answers are not stored here.  ``solution()`` shows the answer cell from the
lesson's notebook in ``solutions/``: that notebook is the one place answers are kept.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["correct", "wrong", "not attempted"]

CORRECT: Status = "correct"
WRONG: Status = "wrong"
NOT_ATTEMPTED: Status = "not attempted"

_SYMBOLS = {CORRECT: "✓ Correct", WRONG: "✗ Not yet", NOT_ATTEMPTED: "○ Not attempted"}


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

    def __str__(self) -> str:
        return f"{_SYMBOLS[self.status]}: {self.message}"


def correct(message: str) -> Result:
    """A right answer; ``message`` says what it demonstrated."""
    return Result(CORRECT, message)


def wrong(mistake: str, message: str, *, recheck: bool = False) -> Result:
    """A wrong answer: ``mistake`` names it for tests, ``message`` explains it to the learner.

    ``recheck``: the verdict rests on the loop seeming held by computing, which
    :meth:`Exercise.evaluate` confirms by the best two of three runs.
    """
    return Result(WRONG, message, mistake, recheck)


def not_attempted(name: str, hint_call: str) -> Result:
    """The stub is untouched (it raised ``NotImplementedError``)."""
    return Result(
        NOT_ATTEMPTED,
        f"{name} still raises NotImplementedError. Replace that line with your code, run "
        f"the cell, then run this one again. {hint_call} gives a hint.",
    )


Checker = Callable[[Any], Result]

_registry: dict[str, Exercise] = {}


class Exercise:
    """One exercise: check an answer, give hints one at a time, show the worked answer.

    Parameters
    ----------
    lesson:
        The lesson's number as written in file names, e.g. ``"01"``.
    number:
        The exercise's number within the lesson (``1`` for ``ex1``).
    title:
        A few words, shown by ``progress``.
    answer:
        The name the learner's answer is defined under, e.g. ``"greet"``; used in
        messages and to find the worked answer in the solutions notebook.
    checker:
        Runs an answer and returns its :class:`Result`.
    hints:
        Shown one per ``hint()`` call, gentlest first.
    """

    def __init__(
        self,
        lesson: str,
        number: int,
        title: str,
        answer: str,
        checker: Checker,
        hints: Sequence[str],
    ) -> None:
        self.lesson = lesson
        self.number = number
        self.title = title
        self.answer = answer
        self.checker = checker
        self.hints = list(hints)
        self.hints_shown = 0
        self.last_result: Result | None = None
        # Registered so that ``progress`` can ask a notebook's kernel how each did.
        _registry[self.id] = self

    @property
    def name(self) -> str:
        """The name the exercise has in its notebook: ``ex1``."""
        return f"ex{self.number}"

    @property
    def id(self) -> str:
        """Unique across the course: ``01.1`` is lesson 01, exercise 1."""
        return f"{self.lesson}.{self.number}"

    def evaluate(self, answer: Any) -> Result:
        """Check ``answer`` and return the :class:`Result` without printing it.

        A verdict marked ``recheck`` (the loop seemed held by computing, not by
        ``time.sleep``) is confirmed by the best two of three runs: on a loaded machine
        a pause of the whole process can look like computing, and a computing answer
        can get so little of the processor that it looks idle, but neither happens
        twice in a row at the same moment, while an answer that really holds the loop
        does it every time.
        """
        result = self._run_checker(answer)
        if result.recheck:
            second = self._run_checker(answer)
            if second.mistake != result.mistake:
                third = self._run_checker(answer)
                result = third if third.mistake == result.mistake else second
        self.last_result = result
        return result

    def _run_checker(self, answer: Any) -> Result:
        try:
            return self.checker(answer)
        except Exception as error:  # a bug in the checker must not look like the learner's
            return wrong(
                "checker_failed",
                f"the checker itself failed ({type(error).__name__}: {error}). "
                "This is a bug in the course, not in your answer: please report it.",
            )

    def check(self, answer: Any) -> None:
        """Run your answer and say whether it is right, and if not, what is wrong."""
        print(self.evaluate(answer))

    def hint(self) -> None:
        """Print the next hint (call again for another)."""
        if not self.hints:
            print(f"No hints for this one. {self.name}.solution() shows the worked answer.")
            return
        index = min(self.hints_shown, len(self.hints) - 1)
        self.hints_shown = index + 1
        text = f"Hint {index + 1} of {len(self.hints)}: {self.hints[index]}"
        if index == len(self.hints) - 1:
            text += f"\n(That was the last hint. {self.name}.solution() shows the worked answer.)"
        print(text)

    def solution(self) -> None:
        """Show the worked answer, read from the lesson's notebook in ``solutions/``."""
        from asyncio_tutorial import workbooks  # nbformat is only needed here

        notebook = find_solutions_notebook(self.lesson)
        if notebook is None:
            print(
                f"The worked answers are in solutions/{self.lesson}-*.ipynb, which was not "
                "found from here. Open it from the course folder."
            )
            return
        source = workbooks.solution_source(notebook, self.answer)
        _show_code(f"Worked answer to {self.name} ({notebook.name}):", source)

    def __repr__(self) -> str:
        return (
            f"<{self.name}: {self.title}. Use {self.name}.check({self.answer}), "
            f"{self.name}.hint(), {self.name}.solution()>"
        )


def registered() -> list[Exercise]:
    """Every exercise created so far in this Python process, in lesson order."""
    return sorted(_registry.values(), key=lambda exercise: (exercise.lesson, exercise.number))


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
