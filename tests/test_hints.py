"""Hints: a plan's decisions written onto the model, completed to a value for every variable.

The hints are written on the proto in bulk and completed on a copy whose domains are fixed, so
these tests hold the result to what it must mean: a complete solution of the model that keeps
every hinted decision, with the plan's score as its objective, or False when a value does not fit.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from ortools.sat.python import cp_model

from models.score import score_plan
from solvers.base import SolveOptions
from solvers.cpsat import _greedy_start
from solvers.cpsat.build import build_model
from solvers.cpsat.hints import add_hints, complete_hint_values, complete_hints, plan_objective
from solvers.instance import build_instance


def _solution_of(model: cp_model.CpModel, values: np.ndarray) -> str:
    """Status of the model with every variable fixed at `values`."""
    copy = model.clone()
    copy.clear_hints()
    for index, value in enumerate(values):
        copy.add(copy.get_int_var_from_proto_index(index) == int(value))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.status_name(solver.solve(copy))


def test_greedy_plan_completed_is_a_solution_scoring_as_the_plan(norwich) -> None:
    greedy = _greedy_start(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    m, _ = build_model(build_instance(norwich))
    domains = [list(v.domain) for v in m.model.proto.variables]
    add_hints(m, greedy)
    hint = m.model.proto.solution_hint
    hinted = dict(zip(hint.vars, hint.values, strict=True))
    assert 0 < len(hinted) < len(m.model.proto.variables)  # decisions only, before completing
    assert complete_hints(m)
    values = complete_hint_values(m)
    assert values is not None
    assert all(values[i] == v for i, v in hinted.items())  # every decision kept
    assert [list(v.domain) for v in m.model.proto.variables] == domains  # the model's own untouched
    assert _solution_of(m.model, values) == "OPTIMAL"
    assert plan_objective(m.model.proto, values) == score_plan(norwich, greedy).total


def _tiny() -> tuple[SimpleNamespace, cp_model.IntVar, cp_model.IntVar]:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 5, "x")
    y = model.new_int_var(0, 10, "y")
    flag = model.new_bool_var("flag")
    model.add(y == x + 1)
    model.add(x >= 3).only_enforce_if(flag)
    model.minimize(y + flag)
    return SimpleNamespace(model=model), x, flag


def test_a_hint_completes_the_other_variables() -> None:
    m, x, flag = _tiny()
    m.model.add_hint(x, 4)
    m.model.add_hint(~flag, True)  # written as flag = 0
    assert complete_hints(m)
    assert complete_hint_values(m).tolist() == [4, 5, 0]


def test_a_hint_outside_its_domain_is_refused_and_left_as_it_was() -> None:
    m, x, _ = _tiny()
    m.model.add_hint(x, 7)
    assert not complete_hints(m)
    assert list(m.model.proto.solution_hint.vars) == [x.index]
    assert list(m.model.proto.solution_hint.values) == [7]
    assert list(m.model.proto.variables[x.index].domain) == [0, 5]


def test_a_hint_the_constraints_rule_out_is_refused() -> None:
    m, x, flag = _tiny()
    m.model.add_hint(x, 1)
    m.model.add_hint(flag, True)  # x >= 3 when flag
    assert not complete_hints(m)


def test_a_domain_with_a_hole_takes_values_either_side_but_not_in_it() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var_from_domain(cp_model.Domain.from_intervals([[0, 2], [4, 5]]), "x")
    model.minimize(x)
    for value, fits in ((2, True), (3, False), (4, True)):
        m = SimpleNamespace(model=model.clone())
        m.model.add_hint(m.model.get_int_var_from_proto_index(x.index), value)
        assert complete_hints(m) is fits
        assert list(m.model.proto.variables[x.index].domain) == [0, 2, 4, 5]


def test_a_hint_on_an_index_outside_the_model_is_refused() -> None:
    m, _, _ = _tiny()
    m.model.proto.solution_hint.vars.append(-1)  # the proto's own list does not check its indices
    m.model.proto.solution_hint.values.append(0)
    assert not complete_hints(m)
