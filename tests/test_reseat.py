"""Sharing out the seats again after the search (solvers/cpsat/reseat.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.checker import check_plan
from models.plan import Plan, SolverReport, scenario_digest
from models.score import score_plan
from solvers.base import SolveOptions
from solvers.cpsat import CpSatSolver, _decisions, _fill, array_valuer, prepare_model
from solvers.cpsat import reseat as reseat_module
from solvers.cpsat.hints import complete_hint_values, plan_objective, solve_fixed
from solvers.cpsat.reseat import seat_decisions, seats_step_seconds, share_seats_again
from tests.test_properties import small_area
from tests.test_retrain import after_step


def _worst_seats(m, values: np.ndarray) -> np.ndarray | None:
    """The same plan with as few seats as its runs allow (every other decision fixed), then its
    penalties at their exact values."""
    fewest = solve_fixed(m, _decisions(m), values, seat_decisions(m), sum(m.seats.values()))
    return None if fewest is None else solve_fixed(m, _decisions(m), fewest)


def _plan(scenario, m, values: np.ndarray) -> Plan:
    plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario),
                solver=SolverReport(name="cpsat", status="FEASIBLE"))
    _fill(plan, m, array_valuer(values.tolist()))
    return plan


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), practices=st.integers(2, 5), courses=st.integers(2, 5),
       whole=st.booleans())
def test_from_the_worst_seats_it_finds_a_checked_plan_no_worse(seed, practices, courses, whole):
    """With time for HiGHS over every seat, at least as good as greedy's seats; with time for the
    rounding alone, no worse than where it started."""
    scenario = small_area(practices=practices, seed=seed, courses=courses, days=90, spacing=2, external=2,
                          internal=1)
    m, _ = prepare_model(scenario, SolveOptions(time_limit=5, workers=1, seed=0))
    greedy = complete_hint_values(m)
    if greedy is None:
        return
    worst = _worst_seats(m, greedy)
    assert worst is not None
    seconds = reseat_module.WHOLE_FROM if whole else reseat_module.ROUNDING
    again = after_step(m, share_seats_again, worst, seat_decisions(m), greedy, seconds)
    proto = m.model.proto
    assert plan_objective(proto, again) <= plan_objective(proto, worst)
    if whole:  # greedy's seats fit the same runs, so the optimum over seats is no worse than them
        assert plan_objective(proto, again) <= plan_objective(proto, greedy)
    plan = _plan(scenario, m, again)
    assert check_plan(scenario, plan) == []
    assert score_plan(scenario, plan).total == plan_objective(proto, again)


def test_norwich_greedy_seats_get_better_and_one_worker_repeats(norwich):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    first = complete_hint_values(m)
    assert first is not None
    options = SolveOptions(workers=1, seed=0)
    again = [share_seats_again(m, first, _decisions(m), options, 10)[0] for _ in range(2)]
    assert (again[0] == again[1]).all()  # one worker: a node limit, not the clock
    assert plan_objective(m.model.proto, again[0]) < plan_objective(m.model.proto, first)
    assert check_plan(norwich, _plan(norwich, m, again[0])) == []


def test_the_step_is_only_kept_time_for_on_small_models_and_long_enough_limits(norwich, monkeypatch):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    assert seats_step_seconds(m, SolveOptions(time_limit=60)) == 60 * reseat_module.SEATS_SHARE  # both passes
    assert seats_step_seconds(m, SolveOptions(time_limit=30)) == reseat_module.ROUNDING  # the rounding alone
    assert seats_step_seconds(m, SolveOptions(time_limit=10)) == reseat_module.ROUNDING
    assert seats_step_seconds(m, SolveOptions(time_limit=6)) == 0  # the rounding would take over 15 %
    assert seats_step_seconds(m, SolveOptions(time_limit=60, lns=False)) == 0
    monkeypatch.setattr(reseat_module, "SEATS_UP_TO", len(m.model.proto.variables) - 1)
    assert seats_step_seconds(m, SolveOptions(time_limit=60)) == 0


def test_the_rounding_alone_betters_norwich_greedy_seats_and_hands_on_to_highs_only_with_time(norwich, monkeypatch):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    first = complete_hint_values(m)
    assert first is not None
    calls = []
    solved = reseat_module._solved
    monkeypatch.setattr(reseat_module, "_solved", lambda mip, *rest: calls.append(mip) or solved(mip, *rest))
    options = SolveOptions(workers=1, seed=0)
    rounded = share_seats_again(m, first, _decisions(m), options, reseat_module.ROUNDING)[0]
    assert len(calls) == 1  # the rounding's box only
    box = calls[0]
    seats = sorted(seat_decisions(m))
    assert (box.col_upper[seats] - box.col_lower[seats] <= 1).all()  # each seat rounded down or up
    assert plan_objective(m.model.proto, rounded) < plan_objective(m.model.proto, first)
    assert check_plan(norwich, _plan(norwich, m, rounded)) == []
    calls.clear()
    share_seats_again(m, first, _decisions(m), options, reseat_module.WHOLE_FROM)
    assert len(calls) == 2 and (calls[1].col_upper[seats] - calls[1].col_lower[seats] > 1).any()


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_a_solve_with_the_step_reports_it_and_its_plan_checks(norwich, monkeypatch):
    plan = CpSatSolver().solve(norwich, SolveOptions(time_limit=8, workers=2, seed=0))
    before, after = plan.solver.stats["seats_again"].split(" in ")[0].split(" -> ")
    assert int(after.replace(",", "")) <= int(before.replace(",", ""))
    assert plan.solver.objective <= int(after.replace(",", ""))  # the polish can only lower penalties
    assert check_plan(norwich, plan) == []
    assert score_plan(norwich, plan).total == plan.solver.objective
