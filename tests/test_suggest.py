"""`suggest`: ranked places for one more run, each score change matching the plan with it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from models import parse_scenario
from models.checker import check_plan
from models.plan import Plan
from models.score import score_plan
from scheduler.cli import main
from solvers.base import SolveOptions, get_solver
from solvers.cpsat.suggest import suggest_runs


def _room_for_more(doc: dict[str, Any]) -> dict[str, Any]:
    """Norwich with a spare seminar room and a second conflict resolution trainer."""
    doc["venues"][0]["rooms"].append({"id": "seminar-c", "name": "Seminar room C", "capacity": 30,
                                      "cost_per_afternoon": 90})
    doc["trainers"].append({"id": "t-conflict-2", "name": "Conflict resolution trainer 2",
                            "skills": ["conflict-resolution"], "cost_per_run": 200})
    return doc


def test_options_are_ranked_and_match_the_plan_with_the_extra_run(norwich_doc: Callable[[], dict[str, Any]],
                                                                   norwich_plan: Plan, tmp_path: Path) -> None:
    # The published plan was made before the room and the trainer were added: they are free.
    scenario = parse_scenario(_room_for_more(norwich_doc()))
    plan = norwich_plan
    options = suggest_runs(scenario, plan, "conflict-resolution")
    assert options, "a spare room and trainer must leave a place for one more run"
    assert [o.change for o in options] == sorted(o.change for o in options)
    base = score_plan(scenario, plan).total
    for option in options[:3]:
        assert check_plan(scenario, option.plan) == []
        assert score_plan(scenario, option.plan).total - base == option.change
        before = Counter((r.event, r.course) for r in plan.runs)
        after = Counter((r.event, r.course) for r in option.plan.runs)
        assert after - before == Counter({(option.event, "conflict-resolution"): 1})
        assert [a.date for a in option.plan.afternoons] == [a.date for a in plan.afternoons]
    assert options[0].change < 0, "more conflict resolution seats should improve the score"
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    scenario_file = tmp_path / "scenario.json"
    import json

    scenario_file.write_text(json.dumps(_room_for_more(norwich_doc())))
    result = CliRunner().invoke(main, ["suggest", str(scenario_file), str(plan_file), "--add",
                                       "run=conflict-resolution", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert f"{options[0].change:+,}" in result.output
    bad = CliRunner().invoke(main, ["suggest", str(scenario_file), str(plan_file), "--add", "run=nope"])
    assert bad.exit_code == 2 and "run=COURSE" in bad.output


def test_a_full_plan_says_no_place_fits(norwich_doc: Callable[[], dict[str, Any]]) -> None:
    scenario = parse_scenario(norwich_doc())
    plan: Plan = get_solver("greedy").solve(scenario, SolveOptions())
    for option in suggest_runs(scenario, plan, "ms-teams"):
        assert score_plan(scenario, option.plan).total - score_plan(scenario, plan).total == option.change
