"""A step's small model (solvers/cpsat/submodel.py): every plan of it, put back into the best
plan, is a plan of the whole model with the objective the step counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from solvers.base import SolveOptions
from solvers.cpsat import prepare_model
from solvers.cpsat.hints import complete_hint_values, plan_objective
from solvers.cpsat.lns import Parts, SessionLns
from solvers.cpsat.submodel import SubModels
from tests.test_lns import whole_model_objective
from tests.test_properties import small_area


@pytest.fixture(scope="module")
def norwich_parts(norwich):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    start = complete_hint_values(m)
    assert start is not None
    parts = Parts.of(m)
    return m, start, parts, SubModels(m.model, parts.decisions)


def _solve_back(sub_models: SubModels, free: np.ndarray, best: np.ndarray, seconds: float = 2.0):
    sub, variables = sub_models.build(free, best)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(sub)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)  # the best plan is a plan of it (hinted)
    merged = best.copy()
    merged[variables] = np.asarray(solver.response_proto.solution, dtype=np.int64)
    return sub, variables, solver, merged


def test_the_norwich_model_is_rewritten_and_small_models_are_small(norwich_parts):
    m, start, parts, sub_models = norwich_parts
    assert sub_models.supported
    session = parts.sessions[0]
    sub, variables = sub_models.build(parts.by_session[session], start)
    whole = m.model.proto
    assert len(sub.proto.variables) < len(whole.variables) / 2
    assert len(sub.proto.constraints) < len(whole.constraints)
    # The freed decisions come first, each once; helpers follow; nothing else is free.
    assert set(parts.by_session[session].tolist()) <= set(variables.tolist())
    assert len(set(variables.tolist())) == len(variables)
    decisions = set(parts.decisions.tolist())
    extra = [v for v in variables.tolist() if v in decisions and v not in set(parts.by_session[session].tolist())]
    for v in extra:  # a decision outside the step is there only fixed (for a boolean constraint)
        i = variables.tolist().index(v)
        assert list(sub.proto.variables[i].domain) == [int(start[v])] * 2


@pytest.mark.parametrize("what", ["afternoon", "course"])
def test_a_plan_of_the_small_model_put_back_is_a_plan_of_the_whole_model(norwich_parts, what):
    m, start, parts, sub_models = norwich_parts
    if what == "afternoon":
        free = parts.by_session[parts.sessions[0]]
    else:
        k = max(range(len(parts.courses)), key=lambda k: len(parts.course_sessions[k]))
        free = np.unique(np.concatenate([parts.by_course[s, parts.courses[k]] for s in parts.course_sessions[k]]))
    _, variables, solver, merged = _solve_back(sub_models, free, start)
    whole = whole_model_objective(m, merged)
    assert whole is not None
    assert whole == pytest.approx(plan_objective(m.model.proto, merged))
    assert sub_models.whole_objective(merged) == pytest.approx(whole)
    # The small model's objective is the whole one's part on its variables.
    assert solver.objective_value == pytest.approx(sub_models.objective[variables] @ merged[variables])
    assert plan_objective(m.model.proto, merged) <= plan_objective(m.model.proto, start)
    # Outside the small model nothing moved.
    outside = np.setdiff1d(np.arange(len(start)), variables)
    assert np.array_equal(merged[outside], start[outside])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), share=st.floats(0.05, 1.0), pick=st.integers(0, 2**32 - 1))
def test_any_freed_decisions_give_a_small_model_whose_plans_fit_the_whole_one(seed, share, pick):
    scenario = small_area(practices=3, seed=seed, courses=4, days=150, spacing=3, external=1, internal=1)
    m, _ = prepare_model(scenario, SolveOptions(time_limit=5, workers=1, seed=0))
    start = complete_hint_values(m)
    assert start is not None
    parts = Parts.of(m)
    rng = np.random.default_rng(pick)
    free = np.sort(rng.choice(parts.decisions, size=max(1, int(share * len(parts.decisions))), replace=False))
    _, _, _, merged = _solve_back(SubModels(m.model, parts.decisions), free, start)
    assert whole_model_objective(m, merged) == pytest.approx(plan_objective(m.model.proto, merged))


def test_a_model_with_a_constraint_it_does_not_rewrite_steps_on_the_whole_model(norwich):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    start = complete_hint_values(m)
    some = m.model.get_int_var_from_proto_index(int(Parts.of(m).decisions[0]))
    top = m.model.new_int_var(0, 10, "top")
    m.model.add_max_equality(top, [some])  # lin_max: not rewritten
    start = np.append(start, start[some.index])
    assert not SubModels(m.model, Parts.of(m).decisions).supported
    lns = SessionLns(m, start, seed=1, workers=1)
    assert lns.model is None  # read when the steps start
    lns.ready()
    assert lns.sub is None and lns.model is not None
    before = lns.objective
    for _ in range(4):
        lns.step(1.0, deterministic=True)
    assert lns.objective < before  # the whole-model steps still improve greedy's plan
    assert whole_model_objective(m, lns.best) == pytest.approx(lns.objective)
