"""A published plan repaired for an edited scenario (solvers/repair.py): what the edits removed
is taken out, the rest stays, and a re-plan whose limit is spent before its search keeps it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from models import Scenario, parse_scenario
from models.checker import check_plan
from models.plan import Plan
from models.score import score_plan
from scheduler.cli import MINIMAL_CHANGE
from scheduler.edits import apply_edits
from solvers import cpsat
from solvers.base import SolveOptions
from solvers.cpsat import CpSatSolver
from solvers.repair import without_removed


@pytest.fixture(scope="module")
def without_bls_1(norwich_doc: Callable[[], dict[str, Any]]) -> Scenario:
    """Norwich less one BLS trainer, each change weighed as `whatif` weighs it."""
    scenario = parse_scenario(apply_edits(norwich_doc(), drops=("trainers.t-bls-1",)))
    scenario.policy.weights.stability = MINIMAL_CHANGE
    return scenario


def test_a_dropped_trainer_s_runs_and_visits_are_taken_out_and_nothing_else(
        norwich: Scenario, norwich_plan: Plan, without_bls_1: Scenario) -> None:
    assert without_removed(norwich, norwich_plan) is None  # nothing to take out
    assert check_plan(without_bls_1, norwich_plan), "the published plan names the dropped trainer"
    repaired = without_removed(without_bls_1, norwich_plan)
    assert repaired is not None and check_plan(without_bls_1, repaired) == []
    assert repaired.runs == [r for r in norwich_plan.runs if r.trainer != "t-bls-1"]
    assert repaired.on_site == [o for o in norwich_plan.on_site if o.trainer != "t-bls-1"]
    assert (repaired.afternoons, repaired.cover) == (norwich_plan.afternoons, norwich_plan.cover)
    removed = len(norwich_plan.runs) - len(repaired.runs) + len(norwich_plan.on_site) - len(repaired.on_site)
    assert removed > 0
    assert score_plan(without_bls_1, repaired, norwich_plan).terms["stability"].raw == removed


def test_a_re_plan_with_no_time_for_its_search_keeps_the_repaired_plan(
        norwich_plan: Plan, without_bls_1: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """`whatif --drop trainers.t-bls-1 --time-limit 5` on Norwich spent its limit building the
    model and kept greedy's re-plan: 2,341,314 with 70 changes; the repaired plan scored
    1,053,364."""
    monkeypatch.setattr(cpsat, "build_deadline", lambda options, started: started)  # spent at once
    plan = CpSatSolver().solve(without_bls_1, SolveOptions(time_limit=5, workers=2, baseline=norwich_plan))
    assert plan.solver.stats["start"] == "the baseline less what the edits removed"
    assert "the limit was spent building the model" in plan.solver.stats["search"]
    repaired = without_removed(without_bls_1, norwich_plan)
    assert (plan.runs, plan.on_site) == (repaired.runs, repaired.on_site)
    assert plan.solver.objective == score_plan(without_bls_1, plan, norwich_plan).total
    assert check_plan(without_bls_1, plan) == []


def test_a_dropped_practice_takes_its_seats_and_the_runs_they_leave_too_small(norwich: Scenario) -> None:
    """Dropping D82008 left a BLS run with no seats, which the checker refused, so there was no
    repaired plan at all."""
    from models import dump_scenario
    from solvers.base import get_solver

    plan = get_solver("greedy").solve(norwich, SolveOptions())
    edited = parse_scenario(apply_edits(dump_scenario(norwich), drops=("practices.D82008",)))
    repaired = without_removed(edited, plan)
    assert repaired is not None and check_plan(edited, repaired) == []
    least = {c.id: c.min_group for c in norwich.courses}
    kept = [r for r in plan.runs if sum(s.count for s in r.seats if s.practice != "D82008") >= least[r.course]]
    assert len(kept) < len(plan.runs)  # some runs were D82008's mostly
    assert [r.id for r in repaired.runs] == [r.id for r in kept]
    assert all(s.practice != "D82008" for r in repaired.runs for s in r.seats)
    assert all("D82008" not in w.practices for a in repaired.afternoons for w in a.waves)
