"""Laying the external sessions of a finished plan out again with CP-SAT (solvers/sessions.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings

from models.checker import check_plan
from models.generate import generate_scenario
from models.plan import Plan
from models.scenario import EventKind, Scenario
from models.score import score_plan
from solvers.base import SolveOptions
from solvers.greedy import GreedySolver
from solvers.sessions import _groups, _Kind, _teachers, replan_sessions
from tests.test_properties import small_scenarios


def _greedy(scenario: Scenario) -> Plan:
    return GreedySolver(start_dates=True).solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))


@pytest.fixture(scope="module")
def area() -> Scenario:
    return generate_scenario(practices=60, networks=9, seed=3)


def _external(plan: Plan) -> set[tuple[str, int]]:
    return {(a.event, w.number) for a in plan.afternoons if a.kind is EventKind.external for w in a.waves}


def test_greedy_s_sessions_laid_out_again_score_better_and_keep_every_rule(area: Scenario) -> None:
    greedy = _greedy(area)
    done = replan_sessions(area, greedy, 3, workers=1)
    assert check_plan(area, done.plan) == []
    # greedy opens runs course by course and block by block: here CP-SAT finds better layouts
    assert done.changed > 0 and done.after < done.before == score_plan(area, greedy).total
    assert score_plan(area, done.plan).total == done.after
    assert done.label().startswith(f"{done.before:,} -> {done.after:,} ({done.changed} of {done.sessions} sessions")
    # only the external sessions' runs change: dates, waves, cover and visits stay
    assert done.plan.model_dump(include={"afternoons", "cover", "on_site"}) == \
        greedy.model_dump(include={"afternoons", "cover", "on_site"})
    assert done.sessions == len(_external(greedy))
    changed = {(r.event, r.wave) for r in done.plan.runs if r not in greedy.runs} | \
        {(r.event, r.wave) for r in greedy.runs if r not in done.plan.runs}
    assert len(changed) == done.changed and changed <= _external(greedy)
    # one worker: the same plan again (deterministic time, not the clock)
    assert replan_sessions(area, greedy, 3, workers=1).plan == done.plan


def test_laid_out_twice_it_never_scores_worse(area: Scenario) -> None:
    greedy = _greedy(area)
    first = replan_sessions(area, greedy, 3, workers=1).plan
    again = replan_sessions(area, first, 3, workers=1)
    assert again.before == score_plan(area, first).total
    assert score_plan(area, again.plan).total == again.after <= again.before
    assert (again.changed == 0) == (again.plan == first)
    assert check_plan(area, again.plan) == []


def test_a_stop_before_the_first_session_leaves_the_plan_as_it_was(area: Scenario) -> None:
    from solvers.sessions import Stop

    greedy = _greedy(area)
    stop = Stop()
    stop()
    done = replan_sessions(area, greedy, 3, workers=2, stop=stop)
    assert done.plan == greedy and done.changed == 0 and done.after == done.before
    assert f"{done.sessions} not tried: time spent or stopped" in done.label()


def test_groups_hold_whole_networks() -> None:
    scenario = generate_scenario(practices=40, networks=7, seed=1)
    for size in (1, 10, 100):
        group_of = _groups(scenario, size)
        assert set(group_of) == {p.id for p in scenario.practices}
        for network in {p.network for p in scenario.practices}:  # a network never split between groups
            assert len({group_of[p.id] for p in scenario.practices if p.network == network}) == 1
        if size == 1:
            assert len(set(group_of.values())) == len({p.network for p in scenario.practices})
        if size == 100:
            assert len(set(group_of.values())) == 1


def _trainer(i: int, cost: int = 10) -> SimpleNamespace:
    return SimpleNamespace(id=f"t{i:02}", cost_per_run=cost, max_runs_per_afternoon=2,
                           breaks_weekday=lambda day: False)


def test_trainers_are_found_when_the_cheapest_first_would_run_out() -> None:
    """11 trainers of two runs each for 4, 7 and 11 one-block runs: those already teaching first
    gives the first four a second run in the second block and leaves the third short; the
    fallback gives each trainer the third block and one of the others."""
    kinds = [_Kind(frozenset({"fire"}), 2, [_trainer(i) for i in range(11)])]
    courses = {"fire": SimpleNamespace(blocks=1)}
    teach = {(0, "fire", 0): 4, (0, "fire", 1): 7, (0, "fire", 2): 11}
    weights = SimpleNamespace(cost=1, preferences=1)
    out = _teachers(teach, kinds, courses, dt.date(2027, 9, 1), weights)
    assert out is not None
    assert [len(out["fire", b]) for b in range(3)] == [4, 7, 11]
    for b in range(3):
        assert len(set(out["fire", b])) == len(out["fire", b])  # one place per block
    assert max(Counter(t for b in range(3) for t in out["fire", b]).values()) <= 2


def test_trainers_beyond_what_the_kind_has_are_not_found() -> None:
    kinds = [_Kind(frozenset({"fire"}), 2, [_trainer(i) for i in range(3)])]
    courses = {"fire": SimpleNamespace(blocks=1)}
    weights = SimpleNamespace(cost=1, preferences=1)
    assert _teachers({(0, "fire", 0): 4}, kinds, courses, dt.date(2027, 9, 1), weights) is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_any_plan_laid_out_again_keeps_every_rule_and_never_scores_worse(scenario: Scenario) -> None:
    greedy = _greedy(scenario)
    if greedy.solver.status not in ("OPTIMAL", "FEASIBLE"):
        return
    done = replan_sessions(scenario, greedy, 1, workers=1)
    assert check_plan(scenario, done.plan) == []
    assert done.before == score_plan(scenario, greedy).total
    assert score_plan(scenario, done.plan).total == done.after <= done.before
    assert (done.changed == 0) == (done.plan == greedy)
