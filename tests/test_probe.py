"""The probed least unmet demand (solvers/cpsat/probe.py): never above what a plan reaches, and on
Norwich above the LP's own rounded value."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from models.score import score_plan
from scheduler.cli import print_summary
from solvers.base import SolveOptions
from solvers.cpsat import array_valuer, prepare_model
from solvers.cpsat.build import build_model
from solvers.cpsat.hints import complete_hint_values
from solvers.cpsat.probe import unmet_floor
from solvers.instance import build_instance
from tests.test_properties import small_area


def _least_unmet(scenario) -> tuple[str, float]:
    """CP-SAT's status and best value minimising the unmet term alone (a plan's unmet term), on
    the model without probing."""
    m, terms = build_model(build_instance(scenario))
    m.model.minimize(terms["unmet"][1])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 4
    status = solver.solve(m.model)
    return solver.status_name(status), solver.objective_value


def test_norwich_tissue_viability_probe_lifts_the_floor_above_the_lp(norwich):
    m, terms = build_model(build_instance(norwich))
    found = unmet_floor(m, terms["unmet"][1])
    assert found is not None
    assert found.course == "tissue-viability"
    assert math.ceil(found.lp) < found.floor == 5119


def test_the_cut_keeps_the_hinted_plan(norwich):
    """The floor is added to the model, and the complete first solution still satisfies it."""
    m, terms = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    assert m.unmet_floor is not None and m.unmet_floor.floor == 5119
    values = complete_hint_values(m)
    assert values is not None
    assert array_valuer(values.tolist())(terms["unmet"][1]) >= m.unmet_floor.floor


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), courses=st.integers(2, 5))
def test_the_floor_never_exceeds_the_least_unmet_of_any_plan(seed, courses):
    scenario = small_area(practices=3, seed=seed, courses=courses, days=150, spacing=3, external=1, internal=1)
    m, terms = build_model(build_instance(scenario))
    found = unmet_floor(m, terms["unmet"][1])
    status, least = _least_unmet(scenario)
    if status == "INFEASIBLE":
        return
    assert status in ("OPTIMAL", "FEASIBLE")
    assert found is not None
    assert found.lp - 1e-6 <= found.floor <= round(least)  # the unmet term is a whole number


def test_the_summary_says_when_the_plans_unmet_demand_is_the_least_possible(norwich, norwich_plan, capsys):
    norwich_plan = norwich_plan.model_copy(deep=True)
    norwich_plan.score = score_plan(norwich, norwich_plan)
    stats = norwich_plan.solver.stats
    assert stats["unmet_floor"] == 5119 and stats["unmet_floor_probe"] == "tissue-viability"
    assert norwich_plan.score.terms["unmet"].raw >= stats["unmet_floor"]
    print_summary(norwich_plan)
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith("unmet      "))
    if norwich_plan.score.terms["unmet"].raw == 5119:
        assert "5,119 (seats by priority) is the least any plan can reach" in line and "tissue-viability" in line
    else:
        assert line.endswith("(seats by priority); no plan goes below 5,119")


@pytest.mark.parametrize("limit", [0])
def test_a_model_above_the_limit_is_not_probed(norwich, monkeypatch, limit):
    from solvers.cpsat import probe

    monkeypatch.setattr(probe, "PROBE_UP_TO", limit)
    m, terms = build_model(build_instance(norwich))
    assert unmet_floor(m, terms["unmet"][1]) is None
