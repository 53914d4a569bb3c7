"""For every lesson's exercises: the worked answer passes and the untouched stub is
"not attempted", both loaded from the notebooks (see ``exercise_tools``).

The realistic wrong answers, each with its own mistake, are listed in the per-lesson
files ``tests/checkers/test_lessonNN.py`` (``WRONG_ANSWERS``, at least ten an exercise:
checked here) and tested by ``wrong_answers.py``.
"""

from __future__ import annotations

import importlib

import nbformat
import pytest
from exercise_tools import ROOT, checkers, lessons_with_exercises, stubs, worked
from wrong_answers import MINIMUM, count_per_exercise

from asyncio_tutorial.checkers import NOT_ATTEMPTED, Exercise

CASES = [
    (lesson, exercise)
    for lesson in lessons_with_exercises()
    for exercise in checkers(lesson).EXERCISES
]


def case_id(case: tuple[str, Exercise]) -> str:
    return f"{case[0][:2]}-{case[1].name}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_worked_answer_is_correct(case: tuple[str, Exercise]) -> None:
    lesson, exercise = case
    result = exercise.evaluate(worked(lesson)[exercise.answer])
    assert result.status == "correct", result.message


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_stub_is_not_attempted_and_points_to_the_hints(case: tuple[str, Exercise]) -> None:
    lesson, exercise = case
    result = exercise.evaluate(stubs(lesson)[exercise.answer])
    assert result.status == NOT_ATTEMPTED, result.message
    assert f"{exercise.name}.hint()" in result.message


@pytest.mark.parametrize("lesson", lessons_with_exercises())
def test_every_exercise_has_a_check_cell_and_hints(lesson: str) -> None:
    notebook = nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    exercises = checkers(lesson).EXERCISES
    assert 3 <= len(exercises) <= 6
    for number, exercise in enumerate(exercises, start=1):
        assert exercise.name == f"ex{number}"
        assert any(s.startswith(f"{exercise.name}.check({exercise.answer})") for s in sources)
        assert 2 <= len(exercise.hint_texts) <= 3


@pytest.mark.parametrize("lesson", lessons_with_exercises())
def test_every_exercise_has_ten_realistic_wrong_answers_with_their_mistakes(lesson: str) -> None:
    tests = importlib.import_module(f"test_lesson{lesson[:2]}")
    wrong = tests.WRONG_ANSWERS
    exercises = checkers(lesson).EXERCISES
    assert set(wrong) == set(exercises), "every exercise needs its wrong answers"
    counts = count_per_exercise(wrong)
    assert all(count >= MINIMUM for count in counts.values()), counts
    for pairs in wrong.values():
        answers = [answer for answer, _ in pairs]
        assert len(set(map(id, answers))) == len(answers), "an answer is listed twice"
