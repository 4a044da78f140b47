"""Booking a plan's cover again at less cost (solvers/cheaper_cover.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.checker import check_plan
from models.generate import generate_scenario
from models.loading import parse_scenario
from models.plan import Plan
from models.scenario import Scenario
from models.score import score_plan
from solvers.base import SolveOptions, get_solver
from solvers.cheaper_cover import cheaper_cover, with_cheaper_cover
from solvers.greedy import GreedySolver


def _greedy(scenario: Scenario) -> Plan:
    return GreedySolver(start_dates=True).solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))


@pytest.fixture(scope="module")
def area() -> Scenario:
    return generate_scenario(practices=60, networks=9, seed=3)


def test_only_the_providers_change_and_the_cover_costs_less(area: Scenario) -> None:
    greedy = _greedy(area)
    done = cheaper_cover(area, greedy)
    assert check_plan(area, done.plan) == []  # every closed practice covered once, within capacity
    before, after = score_plan(area, greedy).terms, score_plan(area, done.plan).terms
    assert done.before == before["cost_cover"].raw and done.after == after["cost_cover"].raw
    # greedy packs first fit and never looks at what a provider charges
    assert done.after < done.before and done.changed > 0
    assert {k for k in before if before[k].raw != after[k].raw} == {"cost_cover"}
    assert done.plan.model_dump(exclude={"cover"}) == greedy.model_dump(exclude={"cover"})
    assert [(c.event, c.wave, c.practice) for c in done.plan.cover] == \
        [(c.event, c.wave, c.practice) for c in greedy.cover]
    assert cheaper_cover(area, greedy).plan == done.plan  # the same cover again
    again = cheaper_cover(area, done.plan)
    assert again.after <= again.before == done.after


def test_the_plan_it_returns_says_what_it_did_and_scores_itself(area: Scenario) -> None:
    doc = area.model_dump(mode="json")
    doc["policy"]["weights"]["cost"] = 3  # the saving counts at the cost weight
    area = parse_scenario(doc)
    greedy = _greedy(area)
    out = with_cheaper_cover(area, greedy)
    assert out.solver.objective == score_plan(area, out).total < greedy.solver.objective
    assert out.solver.stats["cover_again"] == cheaper_cover(area, greedy).label()
    assert "cover_again" not in greedy.solver.stats  # the plan given is left as it was


def test_a_large_cpsat_solve_starts_from_the_cheaper_cover(area: Scenario) -> None:
    """Above FIXED_WAVES_ABOVE the model takes the greedy plan's waves and cover as given: the
    cover it is given is booked again first, and the plan pays no more for cover than that."""
    plan = get_solver("cpsat").solve(area, SolveOptions(time_limit=3, workers=1, seed=0))
    cheaper = with_cheaper_cover(area, _greedy(area))
    assert "its cover booked again: " + cheaper.solver.stats["cover_again"] in plan.solver.stats["start"]
    assert plan.cover == cheaper.cover
    assert check_plan(area, plan) == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(20, 60), st.integers(2, 9), st.integers(0, 10_000))
def test_any_area_s_cover_booked_again_keeps_every_rule_and_never_costs_more(practices: int, networks: int,
                                                                             seed: int) -> None:
    """Generated areas of several providers (the small property areas have one, where nothing
    can change)."""
    scenario = generate_scenario(practices, networks, seed)
    greedy = _greedy(scenario)
    assert greedy.solver.status == "FEASIBLE"
    done = cheaper_cover(scenario, greedy)
    assert check_plan(scenario, done.plan) == []
    assert done.after <= done.before == score_plan(scenario, greedy).terms["cost_cover"].raw
    assert score_plan(scenario, done.plan).terms["cost_cover"].raw == done.after
    assert (done.changed == 0) == (done.plan == greedy)
