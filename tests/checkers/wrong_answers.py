"""Every lesson's realistic wrong answers, and what checking each of them must show.

A lesson's test module lists its wrong answers, each with the mistake it must get::

    WRONG_ANSWERS = {
        ex1: [(greet_plain, "not_async"), (greet_time_sleep, "blocking"), ...],
        ex2: [...],
    }
    test_wrong_answer = wrong_answer_test(WRONG_ANSWERS, "01-coroutines")

and ``wrong_answer_test`` makes the test that checks each one: that it gets its mistake
(a wrong verdict, never "correct"), that the message does not suggest code the answer
already has (:attr:`Result.suggests`), that the kernel is still usable after it (a full
garbage collection returns within a second, and no answer thread keeps running unless
the message says it could not be stopped), and that the *next* check starts clean:
right after it, in the same process, a worked answer of the same lesson is correct.
That last check follows every third wrong answer (it doubles a check's cost), and which
worked answer rotates through the lesson's exercises, so each follows several different
wrong answers; ``make contamination`` runs every worked answer right after every wrong
answer (:func:`contamination_test`).
"""

from __future__ import annotations

import gc
import inspect
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from exercise_tools import checkers, worked

from asyncio_tutorial.checkers.core import CORRECT, WRONG, Exercise

WrongAnswers = Mapping[Exercise, Sequence[tuple[Any, str]]]
MINIMUM = 10  # realistic wrong answers per exercise, at the least
FOLLOW_EVERY = 3  # in make test, a worked answer is checked after every third wrong answer
COLLECTION_LIMIT = 1.0  # seconds a full garbage collection may take after a check


def label(answer: Any) -> str:
    return getattr(answer, "__name__", type(answer).__name__)


def source_of(answer: Any) -> str:
    """The answer's source, as the learner wrote it ('' where there is none to read)."""
    try:
        return inspect.getsource(answer)
    except (OSError, TypeError):
        return ""


def answer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "asyncio-tutorial-answer"]


def collect_within(seconds: float) -> bool:
    """Run a full garbage collection; whether it returned within ``seconds``."""
    done = threading.Event()

    def collect() -> None:
        gc.collect()
        done.set()

    threading.Thread(target=collect, name="collect", daemon=True).start()
    return done.wait(seconds)


def assert_wrong(exercise: Exercise, answer: Any, mistake: str) -> None:
    """Check ``answer``: it gets ``mistake``, suggests nothing it has, leaves nothing behind."""
    result = exercise.evaluate(answer)
    assert (result.status, result.mistake) == (WRONG, mistake), result.message
    source = " ".join(source_of(answer).split())
    for code in result.suggests:
        written = rf"(?<!\w){re.escape(' '.join(code.split()))}(?!\w)"
        assert not re.search(written, source), (
            f"the message suggests `{code}`, which the answer already has: {result.message}"
        )
    assert collect_within(COLLECTION_LIMIT), "a full garbage collection did not return"
    if answer_threads():
        assert "could not be stopped" in result.message, "an answer thread is still running"


def wrong_answer_test(wrong: WrongAnswers, lesson: str) -> Callable[..., None]:
    """The test of a lesson's wrong answers (see the module's description)."""
    exercises = list(checkers(lesson).EXERCISES)
    listed = [
        (exercise, answer, mistake)
        for exercise, pairs in wrong.items()
        for answer, mistake in pairs
    ]
    cases = []
    for index, (exercise, answer, mistake) in enumerate(listed):
        # Every FOLLOW_EVERY-th wrong answer is followed by a worked answer, the
        # exercises in turn: each worked answer comes after a few different mistakes.
        turn, rest = divmod(index, FOLLOW_EVERY)
        after = exercises[turn % len(exercises)] if rest == 0 else None
        cases.append(
            pytest.param(exercise, answer, mistake, after, id=f"{exercise.name}-{label(answer)}")
        )

    @pytest.mark.parametrize(("exercise", "answer", "mistake", "after"), cases)
    def test_wrong_answer(
        exercise: Exercise, answer: Any, mistake: str, after: Exercise | None
    ) -> None:
        assert_wrong(exercise, answer, mistake)
        if after is None:
            return
        result = after.evaluate(worked(lesson)[after.answer])
        assert result.status == CORRECT, (
            f"{after.name}'s worked answer, checked right after this wrong answer: {result.message}"
        )

    return test_wrong_answer


def contamination_test(wrong: WrongAnswers, lesson: str) -> Callable[..., None]:
    """Every worked answer of the lesson, each right after every wrong answer (slow)."""
    exercises = list(checkers(lesson).EXERCISES)
    cases = [
        pytest.param(exercise, answer, mistake, id=f"{exercise.name}-{label(answer)}")
        for exercise, pairs in wrong.items()
        for answer, mistake in pairs
    ]

    @pytest.mark.contamination
    @pytest.mark.parametrize(("exercise", "answer", "mistake"), cases)
    def test_every_worked_answer_after_it(exercise: Exercise, answer: Any, mistake: str) -> None:
        for after in exercises:
            assert exercise.evaluate(answer).mistake == mistake
            result = after.evaluate(worked(lesson)[after.answer])
            assert result.status == CORRECT, (
                f"{after.name}'s worked answer, right after this wrong answer: {result.message}"
            )

    return test_every_worked_answer_after_it


def count_per_exercise(wrong: WrongAnswers) -> dict[str, int]:
    return {exercise.name: len(pairs) for exercise, pairs in wrong.items()}
