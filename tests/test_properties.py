"""Property tests: on generated small scenarios every back end returns a plan the independent
checker accepts, or says INFEASIBLE; greedy never beats a CP-SAT plan proven optimal."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from models import Scenario, parse_scenario
from models.checker import check_plan
from models.generate import generate_scenario
from models.score import score_plan
from solvers.base import SolveOptions, get_solver, solver_names


def small_area(practices: int, seed: int, courses: int, days: int, spacing: int, external: int, internal: int,
               mandatory: str = "soft") -> Scenario:
    """A generated area cut down to a few practices, courses and afternoons in a short period
    from 1 September 2027, with every date-bound item inside it and no venue closures."""
    doc = generate_scenario(practices, 1, seed).model_dump(mode="json")
    doc["courses"] = doc["courses"][:courses]
    kept = {c["id"] for c in doc["courses"]}
    doc["demand"]["development_targets"] = [t for t in doc["demand"]["development_targets"] if t["course"] in kept]
    skills = {c.get("skill") or c["id"] for c in doc["courses"]}
    doc["trainers"] = [t for t in doc["trainers"] if set(t["skills"]) & skills]
    start = dt.date(2027, 9, 1)
    doc["period"] = {"start": start.isoformat(), "end": (start + dt.timedelta(days=days)).isoformat(),
                     "timezone": "Europe/London"}
    doc["calendar"]["blackouts"] = []
    doc["calendar"]["min_weeks_between"] = spacing
    doc["programme"] = {"external_afternoons": external, "internal_afternoons": internal}
    doc["policy"]["mandatory"] = mandatory
    for key, field in (("trainers", "unavailable"), ("cover_providers", "unavailable"), ("practices", "cannot_close")):
        for item in doc[key]:
            item[field] = [d for d in item[field] if doc["period"]["start"] <= d <= doc["period"]["end"]]
    for venue in doc["venues"]:
        venue["unavailable"] = []
        for room in venue["rooms"]:
            room["unavailable"] = []
    return parse_scenario(doc)


@st.composite
def small_scenarios(draw: st.DrawFn) -> Scenario:
    external = draw(st.integers(0, 2))
    return small_area(practices=draw(st.integers(1, 4)), seed=draw(st.integers(0, 10_000)),
                      courses=draw(st.integers(2, 5)), days=draw(st.integers(40, 120)),
                      spacing=draw(st.integers(1, 4)), external=external,
                      internal=draw(st.integers(1 if external == 0 else 0, 1)),
                      mandatory=draw(st.sampled_from(["soft", "hard"])))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_every_back_end_returns_a_checked_plan_or_infeasible(scenario: Scenario) -> None:
    scores = {}
    for name in solver_names():
        plan = get_solver(name).solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))
        assert plan.solver.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE"), (name, plan.solver.status)
        if plan.solver.status == "INFEASIBLE":
            assert not plan.runs and not plan.afternoons
            continue
        assert check_plan(scenario, plan) == [], name
        scores[name] = (plan.solver.status, score_plan(scenario, plan).total)
        event(f"{name} {plan.solver.status}")
        assert scores[name][1] == plan.solver.objective or name == "greedy"
    if scores.get("cpsat", ("",))[0] == "OPTIMAL" and "greedy" in scores:
        assert scores["greedy"][1] >= scores["cpsat"][1]
    proven = {scores[n][1] for n in scores if scores[n][0] == "OPTIMAL" and n != "greedy"}
    assert len(proven) <= 1, f"back ends proved different optima: {scores}"
    if "greedy" in scores:  # greedy found a plan, so one exists: CP-SAT must not call it infeasible
        assert "cpsat" in scores
