"""The cuts (solvers/cpsat/demand.py, runs_or_unmet): valid for every plan, tighter LP bound."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from ortools.sat.python import cp_model

from models import Scenario
from solvers.base import SolveOptions
from solvers.cpsat import prepare_model
from solvers.cpsat.build import build_model
from solvers.cpsat.hints import complete_hint_values
from solvers.instance import build_instance
from tests.test_properties import small_scenarios


def _solve(model: cp_model.CpModel, seconds: float) -> tuple[cp_model.CpSolver, str]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = seconds
    solver.parameters.cp_model_presolve = False
    solver.parameters.add_lp_constraints_lazily = False
    return solver, solver.status_name(solver.solve(model))


def _feasible_with_cuts(scenario: Scenario, values: list[int]) -> bool:
    """Is this solution of the model without cuts a solution of the model with them? (The cuts add
    no variables, so the indices are the same.)"""
    m, _ = build_model(build_instance(scenario), cuts=True)
    model = m.model
    for i, v in enumerate(values):
        model.add(model.get_int_var_from_proto_index(i) == v)
    return _solve(model, 10)[1] in ("OPTIMAL", "FEASIBLE")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_the_cuts_keep_every_plan_and_the_optimum(scenario: Scenario) -> None:
    plain, _ = build_model(build_instance(scenario), cuts=False)
    with_cuts, _ = build_model(build_instance(scenario), cuts=True)
    assert len(with_cuts.model.proto.variables) == len(plain.model.proto.variables)
    solver, status = _solve(plain.model, 10)
    if status not in ("OPTIMAL", "FEASIBLE"):
        return
    assert _feasible_with_cuts(scenario, list(solver.response_proto.solution))
    other, other_status = _solve(with_cuts.model, 10)
    if status == "OPTIMAL" and other_status == "OPTIMAL":
        assert other.objective_value == solver.objective_value
    if other_status in ("OPTIMAL", "FEASIBLE"):  # and the bound never passes a plan's score
        assert other.best_objective_bound <= solver.objective_value + 1e-6


def test_on_norwich_the_cuts_raise_the_bound_and_keep_the_greedy_plan(norwich):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0), cuts=False)
    assert _feasible_with_cuts(norwich, complete_hint_values(m).tolist())  # greedy's plan, every variable
    plain, _ = build_model(build_instance(norwich), cuts=False)
    with_cuts, _ = build_model(build_instance(norwich), cuts=True)
    added = len(with_cuts.model.proto.constraints) - len(plain.model.proto.constraints)
    assert added > 0
    bounds = [_solve(x.model, 5)[0].best_objective_bound for x in (plain, with_cuts)]
    assert bounds[1] > bounds[0]


def test_above_the_size_limit_no_cuts_are_added(norwich, monkeypatch):
    import solvers.cpsat.demand

    plain, _ = build_model(build_instance(norwich), cuts=False)
    monkeypatch.setattr(solvers.cpsat.demand, "CUTS_UP_TO", 1000)  # Norwich has 12,485 variables
    above, _ = build_model(build_instance(norwich), cuts=True)
    assert len(above.model.proto.constraints) == len(plain.model.proto.constraints)
