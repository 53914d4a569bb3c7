"""The exercise machinery: running answers under a time limit and naming the classic mistakes.

The answers here are synthetic, one per mistake, so that every kind of mistake a later
lesson needs (sequential work, tasks left running) is pinned down even where lesson
01's exercises do not use it.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from asyncio_tutorial.checkers import core, diagnose, runner
from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, bind_exercises, correct

LIMIT = 1.0  # seconds: short, so that the hang tests stay quick


def check_fetch_all(fetch_all: Any) -> Result:
    """A lesson-03-style checker: three 0.2 s downloads that should overlap."""
    diagnose.expect_coroutine_function(fetch_all)
    outcome = runner.run_coroutine(fetch_all)
    diagnose.common_mistakes(outcome, "fetch_all()")
    if not isinstance(outcome.value, list):
        raise Wrong("wrong_type", f"fetch_all() returned {outcome.value!r}, not a list")
    if outcome.value != [0, 1, 2]:
        raise Wrong("wrong_value", f"fetch_all() returned {outcome.value!r}")
    diagnose.judge_duration(outcome.elapsed, 0.2, "fetch_all()", sequential=0.6)
    return correct("fetch_all() took 0.2 s")


def check_waiter(wait: Any) -> Result:
    """A checker for an answer that should just wait 0.1 s, with a short time limit."""
    diagnose.expect_coroutine_function(wait)
    diagnose.common_mistakes(runner.run_coroutine(wait), "wait()")
    return correct("waited")


fetch_exercise = Exercise("Fetch all", "fetch_all", check_fetch_all, ["one", "two"])
wait_exercise = Exercise("Wait", "wait", check_waiter, [], time_limit=LIMIT)
bind_exercises(
    {"__name__": "lesson99", "ex1": fetch_exercise, "ex2": wait_exercise},
    [fetch_exercise, wait_exercise],
)


@pytest.fixture(autouse=True)
def no_stray_warnings(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Nothing a check does may show up as a warning or on stderr afterwards."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    # (looptime's pytest plugin warns once per process, in whichever test comes first.)
    assert [str(w.message) for w in caught if "looptime" not in w.filename] == []
    assert capsys.readouterr().err == ""
    assert not [t for t in threading.enumerate() if t.name == "asyncio-tutorial-answer"]
    assert time.sleep is runner._sleep_watch.original


# --- the right answer, and the stub ---------------------------------------------------


async def fetch_all_concurrently() -> list[int]:
    return list(await asyncio.gather(*(asyncio.sleep(0.2, i) for i in range(3))))


async def fetch_all_stub() -> list[int]:
    raise NotImplementedError


def test_concurrent_answer_is_correct() -> None:
    assert fetch_exercise.evaluate(fetch_all_concurrently) == correct("fetch_all() took 0.2 s")


def test_stub_is_not_attempted_rather_than_wrong() -> None:
    result = fetch_exercise.evaluate(fetch_all_stub)
    assert result.status == core.NOT_ATTEMPTED
    assert "fetch_all still raises NotImplementedError" in result.message
    assert "ex1.hint()" in result.message


def test_the_stub_is_not_attempted_wherever_the_checker_runs_it() -> None:
    # Deep in a scenario, in a plain function the checker calls itself, or in a task
    # the scenario watches: the machinery decides, not each checker.
    def scenario_checker(answer: Any) -> Result:
        from asyncio_tutorial.checkers.scenario import watch_answer

        watch_answer(lambda: answer(), cancel_after=0.05)
        raise Wrong("unreachable", "the stub should have ended the check")

    def calling_checker(answer: Any) -> Result:
        answer()
        raise Wrong("unreachable", "the stub should have ended the check")

    def plain_stub() -> None:
        raise NotImplementedError

    for checker, answer in ((scenario_checker, fetch_all_stub), (calling_checker, plain_stub)):
        exercise = Exercise("Stub", "f", checker, [])
        bind_exercises({"__name__": "lesson98", "ex1": exercise}, [exercise])
        result = exercise.evaluate(answer)
        assert result.status == core.NOT_ATTEMPTED, result.message
        assert "f still raises NotImplementedError" in result.message


def test_a_raised_verdict_ends_the_check_with_it() -> None:
    steps: list[str] = []

    def checker(answer: Any) -> Result:
        steps.append("first")
        raise Wrong("first_mistake", "the first question found it")

    exercise = Exercise("Raised", "f", checker, [])
    bind_exercises({"__name__": "lesson98", "ex1": exercise}, [exercise])
    result = exercise.evaluate(sleeps_briefly)
    assert (result.status, result.mistake) == (core.WRONG, "first_mistake")
    assert steps == ["first"]


def test_a_checker_knows_its_exercise_and_time_limit_while_it_runs() -> None:
    seen: list[tuple[str, str, float]] = []

    def checker(answer: Any) -> Result:
        current = core.exercise()
        seen.append((current.id, current.hint_call, runner.run_coroutine(answer).time_limit))
        return correct("seen")

    first = Exercise("First", "g", checker, [])
    exercise = Exercise("Knows", "f", checker, [], time_limit=0.7)
    bind_exercises({"__name__": "lesson97", "ex1": first, "ex2": exercise}, [first, exercise])
    assert exercise.evaluate(sleeps_briefly).status == core.CORRECT
    assert seen == [("97.2", "ex2.hint()", 0.7)]
    with pytest.raises(RuntimeError):
        core.exercise()


def test_exercises_are_bound_under_the_names_they_are_numbered_by() -> None:
    first, second = (Exercise(t, "f", check_waiter, []) for t in ("A", "B"))
    with pytest.raises(ValueError, match="exercise 2 is not named ex2"):
        bind_exercises({"__name__": "lesson96", "ex1": first, "ex2": first}, [first, second])
    with pytest.raises(ValueError, match="lessonNN"):
        bind_exercises({"__name__": "helpers", "ex1": first}, [first])


# --- forgot await ---------------------------------------------------------------------


async def fetch_all_returning_a_coroutine() -> Any:
    return asyncio.gather(*(asyncio.sleep(0.2, i) for i in range(3)))


async def sleeps_without_await() -> None:
    asyncio.sleep(0.1)  # noqa: RUF006 - the mistake under test


async def fetch_all_returning_coroutines() -> list[Any]:
    return [asyncio.sleep(0.2, i) for i in range(3)]


def test_returned_coroutines_are_forgot_await_and_get_closed() -> None:
    result = fetch_exercise.evaluate(fetch_all_returning_coroutines)
    assert result.mistake == "forgot_await"
    assert "sleep" in result.message


def test_coroutine_never_awaited_is_forgot_await() -> None:
    result = wait_exercise.evaluate(sleeps_without_await)
    assert result.mistake == "forgot_await"
    assert "never awaited" in result.message


def test_returned_future_that_is_not_a_list_is_a_wrong_type() -> None:
    # gather() returns a future, not a coroutine: awaiting was forgotten all the same,
    # and the value check catches it (the future is cancelled with the loop).
    result = fetch_exercise.evaluate(fetch_all_returning_a_coroutine)
    assert result.mistake in {"wrong_type", "tasks_left_running"}


def test_passing_a_coroutine_object_instead_of_the_function_is_explained() -> None:
    result = fetch_exercise.evaluate(fetch_all_concurrently())
    assert result.mistake == "not_callable"
    assert "without parentheses" in result.message


def test_using_a_coroutine_as_its_result_is_forgot_await() -> None:
    async def wait() -> Any:
        return asyncio.sleep(0.1, {"a": 1})["a"]

    assert wait_exercise.evaluate(wait).mistake == "forgot_await"


# --- plain def, sequential, blocking --------------------------------------------------


def test_plain_def_is_told_to_use_async_def() -> None:
    def fetch_all() -> list[int]:
        return [0, 1, 2]

    result = fetch_exercise.evaluate(fetch_all)
    assert result.mistake == "not_async"
    assert "async def" in result.message


def test_sequential_answer_is_told_to_start_them_all_first() -> None:
    async def fetch_all() -> list[int]:
        return [await asyncio.sleep(0.2, i) for i in range(3)]

    result = fetch_exercise.evaluate(fetch_all)
    assert result.mistake == "sequential"
    assert "0.6 s" in result.message


def test_time_sleep_on_the_loop_is_blocking() -> None:
    async def wait() -> None:
        time.sleep(0.1)

    result = wait_exercise.evaluate(wait)
    assert result.mistake == "blocking"
    assert "time.sleep(0.1)" in result.message


def test_busy_loop_on_the_loop_is_blocking() -> None:
    async def wait() -> None:
        end = time.perf_counter() + 0.2
        while time.perf_counter() < end:
            pass

    result = wait_exercise.evaluate(wait)
    assert result.mistake == "blocking"
    assert "busy" in result.message


def test_a_busy_loop_verdict_is_confirmed_by_two_of_three_runs() -> None:
    # The first run stands for a machine that paused at a bad moment (the clocks can
    # take such a pause for computing); the second run shows what the answer does.
    runs = []

    async def wait() -> None:
        runs.append(1)
        if len(runs) == 1:
            end = time.perf_counter() + 0.2
            while time.perf_counter() < end:
                pass
        await asyncio.sleep(0.1)

    assert wait_exercise.evaluate(wait).mistake is None
    assert len(runs) == 3  # blocking, then not, then not: two of three say not


def test_a_busy_loop_missed_once_on_a_loaded_machine_is_still_blocking() -> None:
    # The second run stands for a busy loop that got so little of the processor that
    # it looked idle; the first and third show what the answer does.
    runs = []

    async def wait() -> None:
        runs.append(1)
        if len(runs) != 2:
            end = time.perf_counter() + 0.2
            while time.perf_counter() < end:
                pass
        await asyncio.sleep(0.1)

    assert wait_exercise.evaluate(wait).mistake == "blocking"
    assert len(runs) == 3


def test_a_busy_loop_seen_twice_needs_no_third_run() -> None:
    runs = []

    async def wait() -> None:
        runs.append(1)
        end = time.perf_counter() + 0.2
        while time.perf_counter() < end:
            pass

    assert wait_exercise.evaluate(wait).mistake == "blocking"
    assert len(runs) == 2


@pytest.mark.parametrize(
    ("step", "cpu", "blocked"),
    [
        (0.2, 0.045, True),  # a fifth of a processor
        (0.2, 0.025, True),  # an eighth, on a crowded machine: still computing for 25 ms
        (0.2, 0.01, False),  # a short step, delayed by other programs
        (0.06, 0.013, True),
        (0.06, 0.01, False),
        (0.04, 0.04, False),  # a step under BUSY_STALL holds nothing up
    ],
)
def test_a_step_is_busy_when_it_computed_a_share_of_its_time_or_enough_in_all(
    step: float, cpu: float, blocked: bool
) -> None:
    outcome = runner.Outcome(on_loop=True, longest_step=step, step_cpu=cpu)
    assert outcome.blocked is blocked


def test_a_collection_on_another_thread_is_not_taken_from_this_threads_cpu_time() -> None:
    # It stops this thread too (its wall time is left out of a step), but it computed in
    # none of this thread's CPU time: taking it off made a spinning step look idle.
    here = runner._collections.cpu_here()
    seconds = runner._collections.seconds
    worker = threading.Thread(target=gc.collect)
    worker.start()
    worker.join()
    assert runner._collections.seconds > seconds
    assert runner._collections.cpu_here() == here
    gc.collect()
    assert runner._collections.cpu_here() > here


def test_a_check_freezes_what_exists_only_when_nothing_else_did() -> None:
    # In a learner's kernel nothing is frozen: the check freezes what exists before the
    # answer runs (its collections then skip it) and unfreezes it at its end.  Here the
    # module's fixture holds the test process frozen: the check leaves that alone.
    seen: list[int] = []

    def check(answer: Any) -> Result:
        seen.append(gc.get_freeze_count())
        return correct("ran")

    exercise = Exercise("Freeze", "freeze", check, [])
    assert core._held_frozen
    core._held_frozen = False
    gc.unfreeze()
    try:
        exercise.evaluate(None)
        # (3.12's collections move immortal objects into the frozen generation: a few
        # hundred stay frozen there, against some hundred thousand while checking)
        assert seen[-1] > 10_000 and gc.get_freeze_count() < 1_000
    finally:
        gc.freeze()
        core._held_frozen = True
    exercise.evaluate(None)
    assert seen[-1] > 10_000 and gc.get_freeze_count() > 10_000  # (left frozen)


def test_a_time_sleep_verdict_needs_no_second_run() -> None:
    runs = []

    async def wait() -> None:
        runs.append(1)
        time.sleep(0.1)

    assert wait_exercise.evaluate(wait).mistake == "blocking"
    assert len(runs) == 1


def test_short_awaits_are_not_blocking() -> None:
    async def wait() -> None:
        for _ in range(10):
            await asyncio.sleep(0.01)

    assert wait_exercise.evaluate(wait).status == core.CORRECT


# --- hangs ----------------------------------------------------------------------------


STOPPED_WITHIN = LIMIT + runner.POLITE_GRACE + runner.FIRM_GRACE + 1
"""How soon a hanging answer's verdict comes: the limit, the two graces it is given to stop,
and a second for a loaded machine (under validation, 2.1 to 2.5 s against a bound of
LIMIT + 1): bounded, never waiting for the answer."""


def _timed_evaluate(exercise: Exercise, answer: Any) -> tuple[Result, float]:
    started = time.perf_counter()
    result = exercise.evaluate(answer)
    return result, time.perf_counter() - started


def test_an_answer_that_returned_in_time_is_no_hang_when_the_clean_up_after_it_is_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Under a full validation on 2 cores, a 10 ms answer was once called a hang: the
    # garbage collection after it, in a big test process, outlasted the 1 s limit.
    collect = gc.collect
    slowed: list[int] = []

    def slow_collect(*args: Any) -> int:
        if threading.current_thread().name == "asyncio-tutorial-answer" and not slowed:
            slowed.append(1)
            threading.Event().wait(LIMIT + 0.3)  # (time.sleep would be judged)
        return collect(*args)

    monkeypatch.setattr(gc, "collect", slow_collect)

    async def wait() -> None:
        await asyncio.sleep(0.01)

    result, took = _timed_evaluate(wait_exercise, wait)
    assert result.mistake is None, result.message
    assert slowed and took < LIMIT + 1.5


def test_busy_hang_is_stopped_within_the_limit_and_the_next_check_works() -> None:
    async def wait() -> None:
        while True:
            pass

    result, took = _timed_evaluate(wait_exercise, wait)
    assert result.mistake == "hang"
    assert "blocked the whole time" in result.message
    assert took < STOPPED_WITHIN
    assert wait_exercise.evaluate(sleeps_briefly).status == core.CORRECT


async def sleeps_briefly() -> None:
    await asyncio.sleep(0.01)


def test_awaiting_forever_is_a_hang_and_its_cleanup_runs() -> None:
    cleaned_up = threading.Event()

    async def wait() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()

    result, took = _timed_evaluate(wait_exercise, wait)
    assert result.mistake == "hang"
    assert "It was still waiting in asyncio.Event.wait." in result.message
    assert "It has been stopped" in result.message
    assert took < STOPPED_WITHIN
    assert cleaned_up.is_set()


def test_an_answer_that_swallows_cancellation_is_still_stopped() -> None:
    async def wait() -> None:
        while True:
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                pass

    result, took = _timed_evaluate(wait_exercise, wait)
    assert result.mistake == "hang"
    assert took < STOPPED_WITHIN


def test_hanging_plain_function_is_stopped() -> None:
    def spin() -> None:
        while True:
            pass

    outcome = runner.run_function(spin, LIMIT)
    assert outcome.timed_out and not outcome.stuck


def test_answer_stuck_in_c_code_is_reported_and_the_kernel_is_not_frozen() -> None:
    release = threading.Event()

    async def wait() -> None:
        release.wait()  # blocks in C: nothing can interrupt it

    try:
        result, took = _timed_evaluate(wait_exercise, wait)
        assert result.mistake == "hang"
        assert "restart the kernel" in result.message
        assert took < STOPPED_WITHIN
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "asyncio-tutorial-answer":
                thread.join(2)


# --- tasks left running ----------------------------------------------------------------


def test_tasks_left_running_are_reported_and_cancelled() -> None:
    started: list[asyncio.Task[None]] = []

    async def worker() -> None:
        await asyncio.sleep(10)

    async def wait() -> None:
        started.append(asyncio.create_task(worker()))
        started.append(asyncio.create_task(worker()))
        await asyncio.sleep(0.01)

    result, took = _timed_evaluate(wait_exercise, wait)
    assert result.mistake == "tasks_left_running"
    assert "(worker (2 of them, in asyncio.sleep))" in result.message
    assert all(task.cancelled() for task in started)
    assert took < 1


def test_where_a_task_left_running_waited_is_what_the_answers_code_awaited() -> None:
    async def consumer(queue: asyncio.Queue[int]) -> None:
        await queue.get()

    async def waits_for_a_future(future: asyncio.Future[None]) -> None:
        await future

    async def wait() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        asyncio.create_task(consumer(queue))  # noqa: RUF006 - the mistake under test
        asyncio.create_task(  # noqa: RUF006
            waits_for_a_future(asyncio.get_running_loop().create_future())
        )
        await asyncio.sleep(0.01)

    outcome = runner.run_coroutine(wait, LIMIT)
    assert outcome.left_waiting == {
        "consumer": "asyncio.Queue.get",
        "waits_for_a_future": "a Future",
    }


# --- wrong values, errors, checker failures -------------------------------------------


def test_wrong_value_and_wrong_type_are_told_apart() -> None:
    async def as_tuple() -> tuple[int, ...]:
        return tuple(await asyncio.gather(*(asyncio.sleep(0.2, i) for i in range(3))))

    async def off_by_one() -> list[int]:
        return list(await asyncio.gather(*(asyncio.sleep(0.2, i) for i in range(1, 4))))

    assert fetch_exercise.evaluate(as_tuple).mistake == "wrong_type"
    assert fetch_exercise.evaluate(off_by_one).mistake == "wrong_value"


def test_an_exception_is_reported_with_its_type_and_message() -> None:
    async def wait() -> None:
        raise ValueError("no such user")

    result = wait_exercise.evaluate(wait)
    assert result.mistake == "raised"
    assert "ValueError: no such user" in result.message


def test_an_error_without_text_or_ending_in_a_full_stop_reads_as_one_sentence() -> None:
    async def silent() -> None:
        raise TimeoutError

    async def polite() -> None:
        raise ValueError("no such user.")

    assert wait_exercise.evaluate(silent).message == "wait() raised TimeoutError."
    assert wait_exercise.evaluate(polite).message == "wait() raised ValueError: no such user."


def test_asyncio_run_inside_a_coroutine_is_nested_run() -> None:
    async def wait() -> None:
        asyncio.run(sleeps_briefly())

    assert wait_exercise.evaluate(wait).mistake == "nested_run"


def test_a_failing_checker_is_not_blamed_on_the_learner() -> None:
    def broken(answer: Any) -> Result:
        raise KeyError("oops")

    exercise = Exercise("Broken", "f", broken, [])
    assert exercise.evaluate(sleeps_briefly).mistake == "checker_failed"


def test_check_prints_the_verdict_and_remembers_it(capsys: pytest.CaptureFixture[str]) -> None:
    wait_exercise.check(sleeps_briefly)
    assert capsys.readouterr().out == "✓ Correct: waited\n"
    assert wait_exercise.last_result == correct("waited")


# --- timing verdicts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "mistake"),
    [(0.05, "too_fast"), (0.2, None), (0.3, None), (0.45, "sequential"), (0.6, "sequential")],
)
def test_durations_are_judged_against_expected_and_sequential(
    elapsed: float, mistake: str | None
) -> None:
    try:
        diagnose.judge_duration(elapsed, 0.2, "f()", sequential=0.6)
    except Wrong as verdict:
        assert verdict.mistake == mistake
    else:
        assert mistake is None


def test_too_slow_without_a_sequential_figure() -> None:
    with pytest.raises(Wrong) as verdict:
        diagnose.judge_duration(0.5, 0.1, "f()")
    assert verdict.value.mistake == "too_slow"


# --- hints --------------------------------------------------------------------------------


def test_hints_come_one_at_a_time_then_point_to_the_solution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exercise = Exercise("Hinted", "f", check_waiter, ["first", "second"])
    bind_exercises({"__name__": "lesson98", "ex1": exercise}, [exercise])
    exercise.hint()
    assert capsys.readouterr().out == "Hint 1 of 2: first\n(ex1.hint() gives the next one.)\n"
    exercise.hint()
    second = capsys.readouterr().out
    assert second.startswith("Hint 2 of 2: second\n")
    assert "ex1.solution()" in second
    exercise.hint()
    assert capsys.readouterr().out == second


def test_earlier_hints_can_be_seen_again(capsys: pytest.CaptureFixture[str]) -> None:
    exercise = Exercise("Hinted", "f", check_waiter, ["first", "second", "third"])
    bind_exercises({"__name__": "lesson98", "ex1": exercise}, [exercise])
    exercise.hint()
    exercise.hint()
    capsys.readouterr()
    exercise.hints()
    both = capsys.readouterr().out
    assert both.startswith("Hint 1 of 3: first\nHint 2 of 3: second\n")
    assert "third" not in both
    exercise.hint(1)
    assert capsys.readouterr().out == "Hint 1 of 3: first\n"
    exercise.hint(3)  # asking for a later one shows it, and counts as seen
    assert capsys.readouterr().out.startswith("Hint 3 of 3: third\n(That was the last hint.")
    exercise.hint(7)
    assert "has hints 1 to 3" in capsys.readouterr().out


def test_verdicts_and_hints_are_printed_in_lines_jupyterlab_does_not_break(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def long_winded(answer: Any) -> Result:
        raise Wrong("wordy", "the answer " + "waited for an attribute and a worker " * 8)

    exercise = Exercise("Wordy", "f", long_winded, ["a hint " * 30])
    bind_exercises({"__name__": "lesson98", "ex1": exercise}, [exercise])
    exercise.check(sleeps_briefly)
    exercise.hint()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 3
    assert all(len(line) <= core.WIDTH for line in lines)
    assert not any(line.endswith(("attribut", "work")) for line in lines)
