"""Choosing the trainers again after the search (solvers/cpsat/retrain.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.checker import check_plan
from models.score import score_plan
from solvers.base import SolveOptions
from solvers.cpsat import CpSatSolver, _decisions, prepare_model
from solvers.cpsat.hints import complete_hint_values, plan_objective, solve_fixed
from solvers.cpsat.retrain import choose_trainers_again, trainer_decisions
from tests.test_properties import small_area
from tests.test_restaff import _trainer_weekdays


def after_step(m, step, start: np.ndarray, free: set[int], reference: np.ndarray, seconds: float = 10) -> np.ndarray:
    """The step's plan from `start`, having checked that it left the model's domains as they were
    and changed only the decisions in `free` against `reference` (a plan with the same others)."""
    domains = [list(v.domain) for v in m.model.proto.variables]
    again, interrupted = step(m, start, _decisions(m), SolveOptions(workers=1, seed=0), seconds)
    assert not interrupted
    assert [list(v.domain) for v in m.model.proto.variables] == domains  # the model is left as it was
    kept = [v.index for v in _decisions(m) if v.index not in free]
    assert (again[kept] == reference[kept]).all()  # only the free decisions changed
    return again


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), practices=st.integers(2, 5), courses=st.integers(2, 5))
def test_from_the_dearest_trainers_it_finds_a_plan_at_least_as_good_as_greedys(seed, practices, courses):
    scenario = small_area(practices=practices, seed=seed, courses=courses, days=90, spacing=2, external=2,
                          internal=1)
    # A small area has one trainer per skill: a dearer twin of each gives the step a choice.
    twins = [t.model_copy(update={"id": f"{t.id}-twin", "cost_per_run": 2 * t.cost_per_run}) for t in scenario.trainers]
    scenario = scenario.model_copy(update={"trainers": [*scenario.trainers, *twins]})
    m, terms = prepare_model(scenario, SolveOptions(time_limit=5, workers=1, seed=0))
    greedy = complete_hint_values(m)
    if greedy is None:
        return
    # The same plan with the dearest trainers that fit it: every other decision fixed.
    worst = solve_fixed(m, _decisions(m), greedy, trainer_decisions(m), -terms["cost_trainers"][1])
    assert worst is not None
    again = after_step(m, choose_trainers_again, worst, trainer_decisions(m), greedy)
    # Greedy's trainers fit the same plan, so the optimum over trainers is no worse than them.
    assert plan_objective(m.model.proto, again) <= plan_objective(m.model.proto, greedy)
    dearest, cheapest, greedys = (sum(c * int(x[v.index]) for v, c in _linear(terms["cost_trainers"][1]))
                                  for x in (worst, again, greedy))
    if dearest > greedys:
        assert cheapest < dearest


def _linear(expr):
    from ortools.sat.python import cp_model_helper as cmh

    flat = cmh.FlatIntExpr(expr)
    return list(zip(flat.vars, flat.coeffs, strict=True))


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_without_the_steps_the_plan_has_its_trainers_chosen_again_and_checks(norwich):
    plan = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=2, seed=0, lns=False))
    assert plan.solver.stats["search"] == "portfolio"
    before, after = plan.solver.stats["trainers_again"].split(" in ")[0].split(" -> ")
    assert int(after.replace(",", "")) <= int(before.replace(",", ""))
    assert plan.solver.objective <= int(after.replace(",", ""))  # the polish can only lower penalties
    assert check_plan(norwich, plan) == []


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_with_the_steps_the_finished_plans_trainers_are_chosen_again_from_the_plan(norwich):
    """With the steps, not in the whole model (retrain.py) but from the plan alone (restaff.py),
    and the objective follows what it saved."""
    plan = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=2, seed=0))
    assert plan.solver.stats["search"] == "full model with steps beside it"
    after = plan.solver.stats["trainers_again"].split(" (")[0].split(" -> ")[1]
    # what it reports is the finished plan's trainer terms, counted here independently
    terms = score_plan(norwich, plan)
    assert int(after.replace(",", "")) == terms.terms["cost_trainers"].weighted + _trainer_weekdays(norwich, plan)
    assert plan.solver.objective == terms.total
    assert check_plan(norwich, plan) == []
