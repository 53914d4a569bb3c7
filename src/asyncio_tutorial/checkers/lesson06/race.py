"""Lesson 06, exercise 4: ready, set, go, with a ``Barrier`` and an ``Event``.

The ``Track`` notes, for the checker, everything the race does on it: which task warmed
up which runner, when the starter's ``get_set()`` began and ended, and for every runner
that started running, how many runners had finished warming up by then, whether
``get_set()`` was over, and whether another runner had already finished.  The verdict
rests on that order of events, not on the clock: a busy machine makes everything
late, but it cannot make a runner start before the gun.

Two races are run: three runners who need 0.1, 0.3 and 0.2 s to warm up, then two
runners, so that a barrier sized for one race of three deadlocks the other.  A race
that never ends is asked where its tasks wait, and on what: the barrier (its size and
how many wait at it) or the events (one, or one per runner).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asyncio_tutorial.checkers.core import Exercise, Result, Wrong, correct
from asyncio_tutorial.checkers.diagnose import (
    blocking,
    common_mistakes,
    expect_coroutine_function,
    hang,
    judge_duration,
    took,
)
from asyncio_tutorial.checkers.lesson06.waiting import Stuck, never_awaited, run_scenario
from asyncio_tutorial.checkers.scenario import names_used

GET_SET = 0.1  # seconds the starter's "on your marks... get set" takes
RUN = 0.1  # seconds a runner runs
GIVE_UP = 1.2  # seconds the scenario waits for a race (a right one takes 0.5 s)
SLACK = 0.25  # how much later than planned an answer with waits of its own may finish
RACES = ({"a": 0.1, "b": 0.3, "c": 0.2}, {"x": 0.2, "y": 0.1})
"""The check's races: each runner's name and the seconds it needs to warm up."""


@dataclass
class _Start:
    """One runner's start, as the track saw it."""

    name: str
    warm: int
    """How many runners had finished warming up when it started running."""
    after_get_set: bool
    """Whether the starter's get_set() had ended by then."""
    after_a_finish: bool
    """Whether some runner had already finished running by then."""


@dataclass
class Track:
    """A race track: ``warm_up(name)``, then ``get_set()`` by the starter, then ``run(name)``.

    Each runner warms up for its own time (in the check, 0.1 to 0.3 s; here 0.1 s
    unless told), the starter's "on your marks... get set" takes 0.1 s, and a run takes
    0.1 s.  The track notes when each happens, in what order, and in which task.
    """

    warm_ups: dict[str, float] = field(default_factory=dict)
    warmed: list[str] = field(default_factory=list)
    warm_tasks: dict[str, Any] = field(default_factory=dict)
    get_set_began: list[int] = field(default_factory=list)
    """For each get_set() call, how many runners were warmed up when it began."""
    get_set_ended: int = 0
    starts: list[_Start] = field(default_factory=list)
    run_tasks: dict[str, Any] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)

    async def warm_up(self, name: str) -> None:
        """Runner ``name`` warms up (0.1 s unless the track says otherwise)."""
        self.warm_tasks.setdefault(name, asyncio.current_task())
        await asyncio.sleep(self.warm_ups.get(name, 0.1))
        self.warmed.append(name)

    async def get_set(self) -> None:
        """The starter: "on your marks... get set" (0.1 s).  Fire the gun after it."""
        self.get_set_began.append(len(self.warmed))
        await asyncio.sleep(GET_SET)
        self.get_set_ended += 1

    async def run(self, name: str) -> None:
        """Runner ``name`` runs (0.1 s)."""
        self.run_tasks.setdefault(name, asyncio.current_task())
        self.starts.append(
            _Start(name, len(self.warmed), self.get_set_ended > 0, bool(self.finished))
        )
        await asyncio.sleep(RUN)
        self.finished.append(name)


def check_race(race: Any) -> Result:
    """``race(track, runners)``: every runner warms up, all wait until all are ready
    (the starter too), the starter says get set, fires the gun, and all run."""
    expect_coroutine_function(race)
    elapsed, last = [], ""
    for warm_ups in RACES:
        track = Track(dict(warm_ups))
        runners = list(warm_ups)
        call = f"race(track, {runners})"
        stuck = Stuck()
        outcome, ending = run_scenario(partial(race, track, list(runners)), GIVE_UP, stuck)
        if outcome.blocked and (outcome.sleeps or not outcome.timed_out):
            raise blocking(outcome, call)
        if outcome.timed_out:
            raise hang(outcome, call)
        never_awaited(outcome, call)
        if not ending.finished:
            _never_finished(race, call, track, runners, stuck)
        common_mistakes(outcome, call)
        _judge_race(race, call, track, runners, outcome)
        if outcome.waits:
            slowest = max(warm_ups.values())
            judge_duration(ending.elapsed, slowest + GET_SET + RUN, call, tolerance=SLACK)
        elapsed.append(ending.elapsed)
        last = last or track.warmed[-1]
    return correct(
        f"race(track, ['a', 'b', 'c']): all 3 runners warmed up ({last} last), "
        "the starter began get_set() only once all were ready, and all 3 started running "
        "after it had ended, together (none after another had finished); the race took "
        f"{took(elapsed[0])}. With 2 runners, the same, in {took(elapsed[1])}."
    )


def _never_finished(race: Any, call: str, track: Track, runners: list[str], stuck: Stuck) -> None:
    """The race never ended: say what its tasks were waiting at."""
    where = stuck.describe()
    barriers = stuck.distinct(asyncio.Barrier)
    if len(barriers) > 1:
        raise Wrong(
            "barrier_per_task",
            f"{call} never ended: its tasks waited at {len(barriers)} different "
            "barriers, each alone. A barrier created inside the runner is a new one for "
            "every runner: create one `asyncio.Barrier` in race, before starting the "
            "tasks, and let every runner (and the starter) wait at that one.",
        )
    if barriers:
        barrier = barriers[0]
        parties = len(runners) + 1
        if barrier.parties != parties:
            raise Wrong(
                "barrier_size",
                f"{call} never ended: it waited at an asyncio.Barrier({barrier.parties}), "
                f"where {barrier.n_waiting} task(s) waited for the rest ({where}). A "
                f"barrier lets its tasks go when `parties` of them have arrived; here "
                f"{len(runners)} runners and the starter meet there: "
                f"`asyncio.Barrier(len(runners) + 1)`, whatever the number of runners.",
                suggests="len(runners) + 1",
            )
        if len(track.warm_tasks) < len(runners):
            raise Wrong(
                "runners_not_concurrent",
                f"{call} never ended: only {len(track.warm_tasks)} of the {len(runners)} "
                f"runners had started warming up, and they waited at the barrier for the "
                "others, who were never started. Start every runner (and the starter) as "
                "a task at once, with `asyncio.gather` or a TaskGroup, rather than one "
                "after another.",
            )
        if len(track.warmed) == len(runners):
            raise Wrong(
                "party_missing",
                f"{call} never ended: every runner had warmed up, but only "
                f"{barrier.n_waiting} of the barrier's {barrier.parties} parties waited at "
                f"it ({where}): someone never came. Every runner waits at the barrier "
                "after warming up, and the starter waits there before get_set(): "
                "`await ready.wait()` in both.",
            )
    events = stuck.distinct(asyncio.Event)
    if len(events) > 1:
        raise Wrong(
            "event_per_runner",
            f"{call} never ended: {len(stuck.waiting_on(asyncio.Event))} tasks waited in "
            f"Event.wait(), on {len(events)} different events, so setting one woke nobody "
            "else. Create one `asyncio.Event` in race, and let every runner wait for that "
            "one, the one the starter sets.",
        )
    if events and track.get_set_ended:
        raise Wrong(
            "gun_never_fired",
            f"{call} never ended: the starter's get_set() was over, but the runners still "
            "waited in Event.wait(): nobody set the event. The gun is `gun.set()`, "
            "after `await track.get_set()`.",
            suggests="set()",
        )
    raise Wrong(
        "hang",
        f"{call} had not ended after {GIVE_UP:g} s (a race takes 0.5 s): it was still "
        f"waiting in {where or 'race'}. It has been stopped.",
    )


def _judge_race(race: Any, call: str, track: Track, runners: list[str], outcome: Any) -> None:
    """The order of events: warm-ups, get set, the gun, the starts."""
    missing = [name for name in runners if name not in track.warm_tasks]
    not_run = [name for name in runners if name not in track.run_tasks]
    if missing or not_run:
        skipped = sorted(set(missing) | set(not_run))
        raise Wrong(
            "runner_skipped",
            f"{call} ended, but runners {skipped} did not both warm up "
            "(`await track.warm_up(name)`) and run (`await track.run(name)`). Every "
            "runner does both, in that order.",
        )
    split = [name for name in runners if track.warm_tasks[name] is not track.run_tasks[name]]
    if split:
        raise Wrong(
            "runner_not_one_task",
            f"{call}: runners {split} warmed up in one task and ran in another. Each "
            "runner is one task, from warm-up to finish, which waits for the others at "
            "the barrier and for the gun: `async def runner(name)` doing both, one task "
            "per runner.",
        )
    if not track.get_set_began:
        raise Wrong(
            "step_skipped",
            f"{call}: the starter never called `await track.get_set()`. The starter waits "
            "until every runner is ready, then says get set, then fires the gun.",
        )
    if len(track.get_set_began) > 1:
        raise Wrong(
            "get_set_twice",
            f"{call}: get_set() was called {len(track.get_set_began)} times. There is one "
            "starter, one task, which calls it once, then fires the gun.",
        )
    if track.get_set_began[0] < len(runners):
        raise Wrong(
            "gun_before_ready",
            f"{call}: the starter began get_set() when only {track.get_set_began[0]} of the "
            f"{len(runners)} runners had warmed up. The starter must wait until every "
            "runner is ready: let it wait at the same barrier as the runners, one party "
            "more, `asyncio.Barrier(len(runners) + 1)`.",
        )
    early = [start.name for start in track.starts if not start.after_get_set]
    if early and "Event" in names_used(race):
        raise Wrong(
            "gun_too_early",
            f"{call}: runners {early} started running before the starter's get_set() had "
            "ended: the gun went off too early. Set the event after "
            "`await track.get_set()`, not before it.",
        )
    if early:
        raise Wrong(
            "false_start",
            f"{call}: runners {early} started running before the starter's get_set() had "
            "ended: a false start. The barrier says everyone is ready; the gun is a "
            "second signal: an `asyncio.Event` the starter sets after get_set(), and every "
            "runner waits for (`await gun.wait()`) before running.",
            suggests="asyncio.Event",
        )
    apart = [start.name for start in track.starts if start.after_a_finish]
    if apart:
        raise Wrong(
            "not_together",
            f"{call}: runners {apart} started running only after another runner had "
            "finished: the runners did not start together. When the gun goes off, every "
            "runner waiting for it goes on at once.",
        )
    polls = [wait for wait in outcome.waits if wait <= 0.05]
    if len(polls) >= 3:
        raise Wrong(
            "polling",
            f"{call} waited for the others by polling: {len(polls)} short sleeps "
            f"(asyncio.sleep({polls[0]:g})). `await barrier.wait()` and `await gun.wait()` "
            "wake exactly when the last runner is ready and when the gun goes off, with "
            "no polling.",
        )


ex4 = Exercise(
    title="Ready, set, go",
    answer="race",
    checker=check_race,
    hints=[
        "Create both once, in race: `ready = asyncio.Barrier(len(runners) + 1)` (the "
        "runners and the starter meet there) and `gun = asyncio.Event()`.",
        "A runner: `await track.warm_up(name)`, `await ready.wait()`, `await gun.wait()`, "
        "`await track.run(name)`. The starter: `await ready.wait()`, "
        "`await track.get_set()`, `gun.set()`.",
        "Run them all at once: `await asyncio.gather(starter(), *(runner(name) for name "
        "in runners))`.",
    ],
)
