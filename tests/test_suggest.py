"""`suggest`: ranked places for one more run, each score change matching the plan with it."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from models import parse_scenario
from models.checker import check_plan
from models.plan import Plan
from models.scenario import EventKind, Scenario
from models.score import score_plan
from scheduler.cli import main
from solvers.base import SolveOptions, get_solver
from solvers.cpsat.suggest import suggest_afternoons, suggest_runs


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


def test_one_more_afternoon_is_ranked_and_each_change_matches_its_plan(
        norwich_doc: Callable[[], dict[str, Any]], norwich_plan: Plan, tmp_path: Path) -> None:
    # The plan keeps Norwich's six weeks between afternoons; with three, a new afternoon has room
    # in the middle of any gap (four weeks left it only where the plan's gaps were wide).
    doc = norwich_doc()
    doc["calendar"]["min_weeks_between"] = 3
    scenario = parse_scenario(doc)
    plan = norwich_plan
    options = suggest_afternoons(scenario, plan, EventKind.internal)
    assert len(options) >= 2, "with three weeks' spacing more than one place must fit"
    assert [o.change for o in options] == sorted(o.change for o in options)
    base = score_plan(scenario, plan).total
    old = {a.event: a.date for a in plan.afternoons}
    for option in options:
        assert check_plan(option.scenario, option.plan) == []
        assert score_plan(option.scenario, option.plan).total - base == option.change
        assert len(option.scenario.event_ids()) == len(scenario.event_ids()) + 1
        new = {a.event: a for a in option.plan.afternoons}
        assert new[option.event].kind is EventKind.internal
        assert tuple(w.date for w in new[option.event].waves) == option.dates
        # every old afternoon keeps its date; those after the new one are renumbered
        number = int(option.event.split("-")[1])
        for event, date in old.items():
            k = int(event.split("-")[1])
            assert new[f"plt-{k + 1 if k >= number else k}"].date == date
        # nothing else moved: the old afternoons' runs and visits are the plan's, renamed
        renamed = {f"plt-{k}": f"plt-{k + 1 if k >= number else k}" for k in range(1, len(old) + 1)}
        assert sorted((renamed[r.event], r.course, r.trainer, r.blocks) for r in plan.runs) == sorted(
            (r.event, r.course, r.trainer, r.blocks) for r in option.plan.runs if r.event != option.event)
    assert options[0].change < 0, "one more afternoon of training must meet more demand"
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["suggest", str(scenario_file), str(plan_file), "--add", "afternoon=internal"])
    assert result.exit_code == 0, result.output
    assert f"{options[0].change:+,}" in result.output and options[0].event in result.output
    bad = CliRunner().invoke(main, ["suggest", str(scenario_file), str(plan_file), "--add", "afternoon=weekly"])
    assert bad.exit_code == 2 and "afternoon=external|internal" in bad.output


def test_an_afternoon_fits_only_where_the_spacing_leaves_room(
        norwich_doc: Callable[[], dict[str, Any]], norwich_plan: Plan, tmp_path: Path) -> None:
    # The tightest spacing the plan keeps, and no date before its first or after its last afternoon.
    dates = sorted(a.date for a in norwich_plan.afternoons)
    gaps = [(b - a).days for a, b in pairwise(dates)]
    weeks = min(gaps) // 7
    doc = norwich_doc()
    doc["calendar"]["min_weeks_between"] = weeks
    doc["programme"]["earliest"], doc["programme"]["latest"] = str(dates[0]), str(dates[-1])
    scenario = parse_scenario(doc)
    options = suggest_afternoons(scenario, norwich_plan, EventKind.external)
    room = [(a, b) for a, b in pairwise(dates) if (b - a).days >= 14 * weeks]
    for option in options:  # each lies in a gap wide enough for two spacings
        assert any(a + dt.timedelta(weeks=weeks) <= option.dates[0] <= b - dt.timedelta(weeks=weeks) for a, b in room)
    if not room:
        assert options == []
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(norwich_plan.model_dump_json())
        scenario_file = tmp_path / "scenario.json"
        scenario_file.write_text(json.dumps(doc))
        result = CliRunner().invoke(main, ["suggest", str(scenario_file), str(plan_file), "--add", "afternoon=external"])
        assert result.exit_code == 0 and "No place fits one more external afternoon" in result.output


def test_a_run_of_a_course_nobody_can_teach_or_an_on_site_course_is_answered_in_words(
        norwich_path: Path, norwich_plan: Plan, tmp_path: Path) -> None:
    """Not "every suitable room, trainer or group is taken": the course's trainer left (the
    what-if that leaves it untaught is valid), or the course never runs as a run at all."""
    plan_file, without = tmp_path / "plan.json", tmp_path / "without.json"
    plan_file.write_text(norwich_plan.model_dump_json())
    kept = norwich_plan.model_copy(deep=True)
    kept.runs = [r for r in kept.runs if r.trainer != "t-conflict"]
    without.write_text(kept.model_dump_json())
    gone = CliRunner().invoke(main, ["suggest", str(norwich_path), str(without), "--drop", "trainers.t-conflict",
                                     "--add", "run=conflict-resolution"])
    assert gone.exit_code == 0, gone.output
    assert ("No place fits one more run of conflict-resolution: no trainer has skill 'conflict-resolution' "
            "(courses[3].id); add the skill to a trainer") in gone.output
    on_site = CliRunner().invoke(main, ["suggest", str(norwich_path), str(plan_file), "--add", "run=fire-safety"])
    assert on_site.exit_code == 2
    assert "fire-safety is delivered on site at practices' internal afternoons, not in runs" in on_site.output


def test_a_run_of_a_course_whose_demand_is_met_says_so(norwich: Scenario, norwich_plan: Plan, norwich_path: Path,
                                                       tmp_path: Path) -> None:
    """Cancer early diagnosis met in full (67 of 67 seats) was answered "every suitable room,
    trainer or group is taken" though its trainer and an AV room were free (found by a new
    user's review): one more run has nobody to seat, and the answer says that."""
    plan = norwich_plan.model_copy(deep=True)
    by_course = score_plan(norwich, plan).by_course
    met = [c.id for c in norwich.courses if c.external and by_course[c.id].demand and
           by_course[c.id].met >= by_course[c.id].demand]
    assert met, "a course the plan meets in full"
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    result = CliRunner().invoke(main, ["suggest", str(norwich_path), str(plan_file), "--add", f"run={met[0]}"])
    assert result.exit_code == 0, result.output
    assert (f"One more run of {met[0]} would have nobody to seat: all its demand "
            f"({by_course[met[0]].demand:,} seats) is met already.") in result.output
