"""The cuts (solvers/cpsat/demand.py, runs_or_unmet; solvers/cpsat/dates.py, spread_as_paths):
valid for every plan, tighter LP bound."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from models import Scenario
from models.generate import generate_scenario
from models.plan import Plan
from solvers.base import SolveOptions
from solvers.cpsat import prepare_model
from solvers.cpsat.build import build_model
from solvers.cpsat.hints import add_hints, complete_hint_values, complete_hints
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
    """Is this solution of the model without cuts a solution of the model with them? (The model
    with cuts has the same variables first, then the spread's arcs, which are left free.)"""
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
    names = [v.name for v in plain.model.proto.variables]
    assert [v.name for v in with_cuts.model.proto.variables][:len(names)] == names
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
    from solvers.cpsat.dates import spread_as_paths

    plain, terms = build_model(build_instance(norwich), cuts=False)
    spread_as_paths(plain, terms["spread"][1])  # the spread's cut does not grow with the area: always added
    monkeypatch.setattr(solvers.cpsat.demand, "CUTS_UP_TO", 1000)  # Norwich has 12,485 variables
    above, _ = build_model(build_instance(norwich), cuts=True)
    assert len(above.model.proto.constraints) == len(plain.model.proto.constraints)


def _lp(model: cp_model.CpModel) -> tuple[float, list[float]]:
    """The LP relaxation's optimum and its values: the HiGHS back end's translation and loading
    (one column per CP-SAT variable), solved as an LP."""
    import highspy

    from solvers.highs import _load, _new_highs
    from solvers.highs.translate import translate

    highs = _new_highs()
    _load(highs, translate(model.proto))
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value, list(highs.getSolution().col_value)


def _lp_bound(model: cp_model.CpModel) -> float:
    return _lp(model)[0]


def _fewest_days_off_even(instance) -> int:
    """The least spread any sequence of first-wave dates allows, by dynamic programming over the
    candidate dates alone (every other rule ignored)."""
    events = [event for event, _ in instance.events]
    period = instance.scenario.period
    even = ((period.end - period.start).days + 1) // len(events)
    best = {d: 0 for d in instance.wave_dates(events[0], 1)}
    for event in events[1:]:
        best = {d: min(v + abs((d - e).days - even) for e, v in best.items() if (d - e).days >= instance.gap_days)
                for d in instance.wave_dates(event, 1)
                if any((d - e).days >= instance.gap_days for e in best)}
    return min(best.values())


def test_the_spread_as_paths_lifts_the_lp_spread_to_what_the_dates_allow(norwich):
    from solvers.cpsat import array_valuer
    from solvers.cpsat.dates import spread_as_paths

    instance = build_instance(norwich)
    fewest = _fewest_days_off_even(instance)
    assert fewest > 0  # Tuesdays to Thursdays: no sequence of Norwich's dates has even gaps
    plain, plain_terms = build_model(instance, cuts=False)
    paths, terms = build_model(instance, cuts=False)
    spread_as_paths(paths, terms["spread"][1])
    (without, x), (with_paths, y) = _lp(plain.model), _lp(paths.model)
    assert array_valuer(x)(plain_terms["spread"][1]) < fewest  # fractional days average to the even gap
    assert array_valuer(y)(terms["spread"][1]) >= fewest - 1e-6
    assert with_paths > without


def _with_fixed_waves(scenario: Scenario, plan: Plan):
    """The instance with the plan's waves and cover fixed, as large areas are modelled."""
    from solvers.cpsat import _membership

    instance = build_instance(scenario)
    instance.fixed_waves = _membership(plan)
    return instance


def _greedy(scenario: Scenario) -> Plan:
    from solvers.greedy import GreedySolver

    return GreedySolver().solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))


def _year_cuts_only(scenario: Scenario, plan: Plan):
    """The model with the plan's waves fixed and the year's cuts only, as before the cuts per wave group."""
    import solvers.cpsat.demand

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solvers.cpsat.demand, "_wave_groups", lambda m: None)
        return build_model(_with_fixed_waves(scenario, plan), cuts=True)[0]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices=st.integers(min_value=36, max_value=48), seed=st.integers(min_value=0, max_value=50))
def test_with_fixed_waves_each_wave_rounds_up_its_own_runs(practices: int, seed: int) -> None:
    """Per group of practices closing in the same waves, the cuts are added and keep every plan
    of the model without them (greedy's, searched on for 2 s)."""
    scenario = generate_scenario(practices, max(2, practices // 7), seed)
    assume(build_instance(scenario).waves > 1)
    greedy = _greedy(scenario)
    plain, _ = build_model(_with_fixed_waves(scenario, greedy), cuts=False)
    add_hints(plain, greedy)
    assert complete_hints(plain)
    solver, status = _solve(plain.model, 2)
    assert status in ("OPTIMAL", "FEASIBLE")
    cut, _ = build_model(_with_fixed_waves(scenario, greedy), cuts=True)
    assert len(cut.model.proto.constraints) > len(_year_cuts_only(scenario, greedy).model.proto.constraints)
    for i, v in enumerate(solver.response_proto.solution):
        cut.model.add(cut.model.get_int_var_from_proto_index(i) == v)
    assert _solve(cut.model, 10)[1] in ("OPTIMAL", "FEASIBLE")


def test_with_fixed_waves_the_wave_cuts_raise_the_lp_bound() -> None:
    """A 40-practice area in two waves: rounding up each wave's runs costs the LP more than the
    year's (658,836 against 657,322 when written)."""
    scenario = generate_scenario(40, 5, 3)
    greedy = _greedy(scenario)
    waves, _ = build_model(_with_fixed_waves(scenario, greedy), cuts=True)
    assert _lp_bound(waves.model) > _lp_bound(_year_cuts_only(scenario, greedy).model) + 1
