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


@st.composite
def small_scenarios(draw: st.DrawFn) -> Scenario:
    """A generated area cut down to a few practices, courses and afternoons in a short period."""
    practices = draw(st.integers(1, 4))
    base = generate_scenario(practices, 1, draw(st.integers(0, 10_000)))
    doc = base.model_dump(mode="json")
    keep = draw(st.integers(2, 5))
    courses = doc["courses"][:keep]
    kept = {c["id"] for c in courses}
    doc["courses"] = courses
    doc["demand"]["development_targets"] = [t for t in doc["demand"]["development_targets"] if t["course"] in kept]
    skills = {c.get("skill") or c["id"] for c in courses}
    doc["trainers"] = [t for t in doc["trainers"] if set(t["skills"]) & skills]
    start = dt.date(2027, 9, 1)
    doc["period"] = {"start": start.isoformat(), "end": (start + dt.timedelta(days=draw(st.integers(40, 120)))).isoformat(),
                     "timezone": "Europe/London"}
    doc["calendar"]["blackouts"] = []
    doc["calendar"]["min_weeks_between"] = draw(st.integers(1, 4))
    external = draw(st.integers(0, 2))
    doc["programme"] = {"external_afternoons": external, "internal_afternoons": draw(st.integers(1 if external == 0 else 0, 1))}
    doc["policy"]["mandatory"] = draw(st.sampled_from(["soft", "hard"]))
    for key in ("trainers", "cover_providers", "practices"):
        for item in doc[key]:
            field = "cannot_close" if key == "practices" else "unavailable"
            item[field] = [d for d in item[field] if doc["period"]["start"] <= d <= doc["period"]["end"]]
    for venue in doc["venues"]:
        venue["unavailable"] = []
        for room in venue["rooms"]:
            room["unavailable"] = []
    return parse_scenario(doc)


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
