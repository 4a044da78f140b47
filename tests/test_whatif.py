"""Re-planning with `whatif`: minimal change against a published plan, and `diff` of the two."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from models import Scenario
from models.checker import check_plan
from models.plan import Plan
from scheduler.cli import main
from scheduler.edits import apply_edits


def _publish(plan: Plan, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text(plan.model_dump_json())
    return folder / "plan.json"


def test_dropping_a_trainer_changes_only_what_involved_them(norwich: Scenario, norwich_plan: Plan, norwich_path: Path,
                                                             tmp_path: Path) -> None:
    baseline = _publish(norwich_plan, tmp_path / "base")
    result = CliRunner().invoke(main, ["whatif", str(norwich_path), "--baseline", str(baseline), "--drop",
                                       "trainers.t-bls-1", "--out", str(tmp_path / "new"), "--time-limit", "10",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    new = Plan.model_validate_json((tmp_path / "new" / "plan.json").read_text())
    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != "t-bls-1"]
    assert check_plan(edited, new) == []
    # The stated bound: each run or on-site visit t-bls-1 had is at worst removed and replaced
    # elsewhere (2 changes); nothing else needs to move, so afternoons and waves stay put.
    involved = sum(r.trainer == "t-bls-1" for r in norwich_plan.runs) + sum(
        o.trainer == "t-bls-1" for o in norwich_plan.on_site)
    assert [a.waves[0].date for a in new.afternoons] == [a.waves[0].date for a in norwich_plan.afternoons]
    assert new.score is not None and new.score.terms["stability"].raw <= 2 * involved
    assert new.score.total == new.solver.objective
    assert "above_model" not in new.solver.stats  # the model counted the changes as the score does
    assert "changes: 0 afternoons, 0 waves" in result.output
    assert new.revision == norwich_plan.revision + 1


def test_halving_cover_capacity_gives_waves_and_diff_shows_the_added_afternoons(
        norwich_plan: Plan, norwich_path: Path, norwich_doc, tmp_path: Path) -> None:
    baseline = _publish(norwich_plan, tmp_path / "base")
    half = sum(p["list_size"] for p in norwich_doc()["practices"]) // 2
    edits = ["--set", f"cover_providers.ooh.capacity={half}", "--set", "programme.max_waves=null"]
    result = CliRunner().invoke(main, ["whatif", str(norwich_path), "--baseline", str(baseline), *edits,
                                       "--out", str(tmp_path / "half"), "--time-limit", "8", "--quiet"])
    assert result.exit_code == 0, result.output
    new = Plan.model_validate_json((tmp_path / "half" / "plan.json").read_text())
    doc = apply_edits(norwich_doc(), sets=(f"cover_providers.ooh.capacity={half}", "programme.max_waves=null"))
    from models import parse_scenario

    assert check_plan(parse_scenario(doc), new) == []
    assert all(len(a.waves) >= 2 for a in new.afternoons)
    # `check` takes the what-if's edits, and the plan is then the edited scenario's own (its raised
    # stability weight aside); without them it is another scenario's plan
    checked = CliRunner().invoke(main, ["check", str(norwich_path), str(tmp_path / "half" / "plan.json"), *edits])
    assert checked.exit_code == 0, checked.output
    assert "different version" not in checked.output
    unedited = CliRunner().invoke(main, ["check", str(norwich_path), str(tmp_path / "half" / "plan.json")])
    assert "different version" in unedited.output
    exported = CliRunner().invoke(main, ["export", str(norwich_path), str(tmp_path / "half" / "plan.json"), *edits,
                                         "--out", str(tmp_path / "again")])
    assert exported.exit_code == 0, exported.output
    assert "another version" not in (tmp_path / "again" / "report.html").read_text()
    diff = CliRunner().invoke(main, ["diff", str(baseline), str(tmp_path / "half" / "plan.json")])
    assert diff.exit_code == 0
    added = [line for line in diff.output.splitlines() if line.startswith("afternoon ") and "none ->" in line]
    assert len(added) >= len(new.afternoons)  # every event gained at least one wave's afternoon


def test_replanning_a_large_area_keeps_the_published_waves_and_cover(tmp_path: Path) -> None:
    """Sixty practices in three waves: above FIXED_WAVES_ABOVE the waves and cover are decided
    before modelling. Dropping a trainer must not move them: they come from the published plan
    (here packed first fit, where greedy afresh would pack even), not from a fresh greedy plan."""
    import json
    import re

    from models import dump_scenario
    from models.generate import generate_scenario
    from solvers.greedy import GreedySolver, _Planner
    from solvers.instance import build_instance

    area = generate_scenario(60, 6, 3)
    instance = build_instance(area)
    published, _ = GreedySolver()._plan(area, instance, _Planner(instance))
    path = tmp_path / "area.json"
    path.write_text(json.dumps(dump_scenario(area)), encoding="utf-8")
    baseline = _publish(published, tmp_path / "base")
    dropped = area.trainers[0].id
    result = CliRunner().invoke(main, ["whatif", str(path), "--baseline", str(baseline), "--drop",
                                       f"trainers.{dropped}", "--out", str(tmp_path / "new"), "--time-limit", "10",
                                       "--quiet"])  # two workers: wall-clock time (one ran 27 s on deterministic time)
    assert result.exit_code == 0, result.output
    new = Plan.model_validate_json((tmp_path / "new" / "plan.json").read_text())
    edited = area.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != dropped]
    assert check_plan(edited, new) == []
    changes = re.search(r"changes: (\d+) afternoons, (\d+) waves, \d+ runs, \d+ seats, (\d+) cover", result.output)
    assert changes is not None, result.output
    assert (changes[2], changes[3]) == ("0", "0")
    assert sorted((c.event, c.wave, c.practice, c.provider) for c in new.cover) == \
        sorted((c.event, c.wave, c.practice, c.provider) for c in published.cover)
    if new.solver.bound is not None:  # the bound holds for these waves: the re-plan's, not a fresh greedy plan's
        assert new.solver.stats["bound_given"].startswith("the waves of greedy's re-plan (the published ones")


def test_a_replan_starts_from_the_plan_nearest_the_baseline(norwich: Scenario, norwich_plan: Plan) -> None:
    """The baseline no longer fits (a trainer dropped): the first solution is the plan nearest to
    it, fewer changes away than greedy's plan, even where greedy's scores lower at the start."""
    from solvers.base import SolveOptions
    from solvers.cpsat import _greedy_start, array_valuer, prepare_model
    from solvers.cpsat.hints import add_hints, complete_hint_values, complete_hints

    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != "t-bls-1"]
    options = SolveOptions(time_limit=10, workers=1, seed=0, baseline=norwich_plan)
    m, terms = prepare_model(edited, options)
    first = complete_hint_values(m)
    m.model.clear_hints()
    add_hints(m, _greedy_start(edited, options))
    greedy = complete_hint_values(m) if complete_hints(m) else None
    assert first is not None and greedy is not None
    changes = terms["stability"][1]
    assert array_valuer(first.tolist())(changes) < array_valuer(greedy.tolist())(changes)


def test_an_afternoon_added_to_a_published_year_keeps_the_dates_that_leave_room(norwich: Scenario) -> None:
    """The published dates run to the year's end (spread evenly, as CP-SAT's plans and greedy's
    start dates do: the last on 15 March), so keeping all of them leaves an added afternoon no
    date (greedy found no plan at all): the re-plan keeps the early dates, moves the later ones."""
    import datetime as dt

    from models import dump_scenario, parse_scenario
    from solvers.base import SolveOptions
    from solvers.greedy import GreedySolver

    norwich_plan = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    last = max(w.date for a in norwich_plan.afternoons for w in a.waves)
    assert last + dt.timedelta(weeks=norwich.calendar.min_weeks_between) > norwich.period.end
    doc = dump_scenario(norwich)
    doc["programme"]["internal_afternoons"] += 1
    edited = parse_scenario(doc)
    plan = GreedySolver().solve(edited, SolveOptions(time_limit=10, workers=1, seed=0, baseline=norwich_plan))
    assert plan.solver.status == "FEASIBLE", plan.solver.stats
    assert check_plan(edited, plan) == []
    assert len(plan.afternoons) == len(norwich_plan.afternoons) + 1
    published = {a.event: a.waves[0].date for a in norwich_plan.afternoons}
    kept = [a.event for a in plan.afternoons if published.get(a.event) == a.waves[0].date]
    assert kept and kept[0] == "plt-1"
    assert "baseline_dates" not in plan.solver.stats  # the published plan was kept where it left room


def _two_practice_area() -> Scenario:
    from tests.test_properties import small_area

    return small_area(practices=2, seed=1, courses=2, days=90, spacing=2, external=1, internal=1)


@pytest.mark.parametrize("backend", ["cpsat", "highs"])
@pytest.mark.parametrize("edit", ["drop a practice", "drop an afternoon"])
def test_a_replan_that_drops_a_practice_or_an_afternoon_reports_the_objective_it_scores(
        backend: str, edit: str) -> None:
    """What the dropped practice or afternoon had in the published plan changed for certain:
    the model's stability term counts it, as `score_plan` does (it was left out: the reported
    objective was short by the weight per dropped wave place)."""
    from models import dump_scenario, parse_scenario
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    area = _two_practice_area()
    published = get_solver("greedy").solve(area, SolveOptions(time_limit=5, workers=1, seed=0))
    doc = dump_scenario(area)
    if edit == "drop a practice":
        doc["practices"] = doc["practices"][1:]
    else:
        doc["programme"]["internal_afternoons"] = 0
    edited = parse_scenario(doc)
    plan = get_solver(backend).solve(edited, SolveOptions(time_limit=10, workers=1, seed=0, baseline=published))
    assert plan.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(edited, plan) == []
    score = score_plan(edited, plan, published)
    assert score.terms["stability"].raw > 0
    assert plan.solver.objective == score.total


def test_dropping_a_course_s_only_trainer_counts_its_demand_unmet_and_keeps_the_rest(
        norwich: Scenario, norwich_plan: Plan, norwich_path: Path, tmp_path: Path) -> None:
    """"What if our conflict resolution trainer leaves?" was refused as an invalid scenario (the
    course could never run). Under soft mandatory training it is a plan with the course's demand
    unmet, and a note saying so; the visits, which the trainer never made, keep their trainers
    (a visit's trainer was free to change: re-plans swapped the fire safety trainers' visits)."""
    baseline = _publish(norwich_plan, tmp_path / "base")
    result = CliRunner().invoke(main, ["whatif", str(norwich_path), "--baseline", str(baseline), "--drop",
                                       "trainers.t-conflict", "--out", str(tmp_path / "new"), "--time-limit", "10",
                                       "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert ("note: courses[3].id = 'conflict-resolution': no trainer has skill 'conflict-resolution', so course "
            "conflict-resolution cannot run and its demand (374 seats this year) counts as unmet") in result.output
    new = Plan.model_validate_json((tmp_path / "new" / "plan.json").read_text())
    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != "t-conflict"]
    assert check_plan(edited, new) == []
    assert not [r for r in new.runs if r.course == "conflict-resolution"]
    assert new.score is not None and new.score.by_course["conflict-resolution"].met == 0
    assert new.score.by_course["conflict-resolution"].demand == 374
    assert {(o.event, o.practice, o.course): o.trainer for o in new.on_site} == \
        {(o.event, o.practice, o.course): o.trainer for o in norwich_plan.on_site}
    assert ", 0 visits" in result.output


def test_a_visit_s_trainer_is_a_decision_a_re_plan_keeps(norwich: Scenario, norwich_plan: Plan) -> None:
    """The trainer of an on-site visit counts as a change, in the score and in the model: a
    re-plan kept the practice's on-site course but handed it to whichever trainer suited, and
    two trainers' and a practice's calendars changed for nothing the score saw. Here the
    published visit is by a new trainer who costs 100 more than the one free again; moving it
    back saves 100 and costs one change (200), so the re-plan keeps it."""
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    scenario = norwich.model_copy(deep=True)
    old = next(t for t in scenario.trainers if t.id == "t-fire-2")
    scenario.trainers.append(old.model_copy(update={"id": "t-fire-3", "name": "Third fire trainer",
                                                    "cost_per_run": old.cost_per_run + 100}))
    baseline = norwich_plan.model_copy(deep=True)
    visit = next(o for o in baseline.on_site if o.trainer == "t-fire-2")
    visit.trainer = "t-fire-3"
    assert check_plan(scenario, baseline) == []
    assert score_plan(scenario, baseline, norwich_plan).terms["stability"].raw == 1
    plan = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0, baseline=baseline))
    assert check_plan(scenario, plan) == []
    again = [o for o in plan.on_site if (o.event, o.practice, o.course) == (visit.event, visit.practice, visit.course)]
    assert [o.trainer for o in again] == ["t-fire-3"]


def test_two_trainers_of_one_course_and_block_keep_their_rooms_in_a_re_plan(norwich: Scenario) -> None:
    """Trainers and rooms of one course and start are paired after the search; paired by sorted
    id, a re-plan that changed nothing there swapped the two trainers' rooms (a change in both
    their feeds that the score, which counts runs by room, does not see)."""
    from collections import defaultdict

    from solvers.base import SolveOptions, get_solver

    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    runs_at = defaultdict(list)
    for run in plan.runs:
        runs_at[run.event, run.wave, run.course, run.blocks[0]].append(run)
    pair = next(runs for runs in runs_at.values() if len({r.trainer for r in runs}) == 2 and all(r.room for r in runs))
    pair[0].trainer, pair[1].trainer = pair[1].trainer, pair[0].trainer  # the published plan pairs them the other way
    assert check_plan(norwich, plan) == []
    again = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=5, workers=1, seed=0, baseline=plan))
    assert check_plan(norwich, again) == []
    kept = {(r.event, r.wave, r.course, r.blocks[0], r.room): r.trainer for r in again.runs}
    assert [kept.get((r.event, r.wave, r.course, r.blocks[0], r.room)) for r in pair] == [r.trainer for r in pair]


def test_a_run_given_to_another_trainer_is_a_change_a_re_plan_avoids(norwich: Scenario) -> None:
    """A run re-staffed counted nothing (runs were counted by room and block), and the trainers
    were chosen again after a re-plan's search (restaff.py) as if nothing were published: a
    Norfolk and Waveney re-plan handed 13 runs to other trainers, changing their feeds. Here
    the published run is by a trainer who now costs 100 more than the one who could take it
    back; that saves 100 and costs one change (200), so the re-plan keeps the run's trainer.
    The published plan is one worker's, which repeats: the session's two-worker plan differs on
    a loaded machine, and on one such plan the 10 s re-plan took the run out instead."""
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    norwich_plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=15, workers=1, seed=0))

    skills = {t.id: set(t.skills) for t in norwich.trainers}
    busy = {(r.event, r.wave, b, r.trainer) for r in norwich_plan.runs for b in r.blocks}
    busy |= {(o.event, o.wave, b.id, o.trainer) for o in norwich_plan.on_site for b in norwich.calendar.blocks}
    for run in norwich_plan.runs:
        others = [t for t in sorted(skills) if t != run.trainer and norwich.course(run.course).needed_skill in skills[t]
                  and not any((run.event, run.wave, b, t) in busy for b in run.blocks)]
        baseline = norwich_plan.model_copy(deep=True)
        moved = next(r for r in baseline.runs if r.id == run.id)
        for other in others:
            moved.trainer = other
            if check_plan(norwich, baseline) == []:
                break
        else:
            continue
        break
    else:
        raise AssertionError("no run of the plan can be handed to another trainer")
    scenario = norwich.model_copy(deep=True)
    taker = next(t for t in scenario.trainers if t.id == moved.trainer)
    taker.cost_per_run = next(t.cost_per_run for t in scenario.trainers if t.id == run.trainer) + 100
    assert check_plan(scenario, baseline) == []
    assert score_plan(scenario, baseline, norwich_plan).terms["stability"].raw == 1
    plan = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0, baseline=baseline))
    assert check_plan(scenario, plan) == []
    assert plan.solver.objective == score_plan(scenario, plan, baseline).total
    assert [r.trainer for r in plan.runs if (r.event, r.wave, r.course, r.blocks) ==
            (moved.event, moved.wave, moved.course, moved.blocks)].count(moved.trainer) == 1


def test_a_later_wave_s_published_date_is_a_change_a_re_plan_avoids(
        norwich_doc, norwich_plan: Plan) -> None:
    """Only the first wave's date counted: a Norfolk and Waveney re-plan moved the third wave of
    three afternoons (their practices and cover told another date) to gain 550. Here a second
    wave is published on a date that scores worse than the one the solver chose; moving it back
    is three changes, so the re-plan keeps it."""
    from models import parse_scenario
    from models.calendar import candidate_dates
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    half = sum(p["list_size"] for p in norwich_doc()["practices"]) // 2
    scenario = parse_scenario(apply_edits(norwich_doc(), sets=(f"cover_providers.ooh.capacity={half}",
                                                                "programme.max_waves=null")))
    published = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))
    assert check_plan(scenario, published) == []
    best = score_plan(scenario, published).total
    baseline = None
    for event in (i for i, a in enumerate(published.afternoons) if len(a.waves) > 1):
        for day in candidate_dates(scenario):
            trial = published.model_copy(deep=True)
            trial.afternoons[event].waves[1].date = day
            if day != published.afternoons[event].waves[1].date and check_plan(scenario, trial) == [] \
                    and score_plan(scenario, trial).total > best:
                baseline = trial
                break
        if baseline is not None:
            break
    assert baseline is not None, "no second wave can move to a worse date"
    assert score_plan(scenario, baseline, published).terms["stability"].raw == 3
    plan = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0, baseline=baseline))
    assert check_plan(scenario, plan) == []
    assert [w.date for a in plan.afternoons for w in a.waves] == [w.date for a in baseline.afternoons for w in a.waves]


def test_runs_re_staffed_after_a_trainer_leaves_are_counted_by_the_model_as_by_the_score(norwich: Scenario) -> None:
    """Dropping the nurse educator hands infection control to the other trainer with its skill:
    each run given is a change in the model as in the score (else the plan scores above the
    model's objective, `above_model`)."""
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    published = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != "t-nurse-educator"]
    edited.policy.weights.stability = 20_000
    plan = get_solver("cpsat").solve(edited, SolveOptions(time_limit=5, workers=1, seed=0, baseline=published))
    assert check_plan(edited, plan) == []
    from models.score import _restaffed

    assert _restaffed(plan, published) > 0, "no run was handed to another trainer: the test shows nothing"
    assert "above_model" not in plan.solver.stats, plan.solver.stats["above_model"]
    assert plan.solver.objective == score_plan(edited, plan, published).total


def _whatif(norwich_path: Path, baseline: Path, out: Path, *extra: str) -> tuple[object, Plan]:
    result = CliRunner().invoke(main, ["whatif", str(norwich_path), "--baseline", str(baseline), "--out", str(out),
                                       "--time-limit", "10", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return result, Plan.model_validate_json((out / "plan.json").read_text())


def test_a_re_plan_above_the_decomposition_size_keeps_the_published_plan_mended_without_a_model(
        norwich: Scenario, norwich_plan: Plan, norwich_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At 6,300 practices the whole model took past 14 GB and 600 s to build, still unbuilt. Above
    DECOMPOSE_ABOVE (here lowered to 20, under Norwich's 21) `whatif` keeps the published plan with
    the dropped trainer's runs handed over, builds no model, and says how to search; `--strategy
    full` searches as below it."""
    import scheduler.cli
    from solvers import cpsat
    from solvers.repair import repaired

    baseline = _publish(norwich_plan, tmp_path / "base")
    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id != "t-bls-1"]
    edited.policy.weights.stability = max(edited.policy.weights.stability, scheduler.cli.MINIMAL_CHANGE)
    mended, label = repaired(edited, norwich_plan, check_plan(edited, norwich_plan))

    built = []
    real_build = cpsat.build_model
    monkeypatch.setattr(cpsat, "build_model", lambda *a, **k: built.append(1) or real_build(*a, **k))
    monkeypatch.setattr(scheduler.cli, "DECOMPOSE_ABOVE", 20)
    result, new = _whatif(norwich_path, baseline, tmp_path / "auto", "--drop", "trainers.t-bls-1")
    assert built == []
    assert check_plan(edited, new) == []
    assert (new.runs, new.on_site, new.afternoons, new.cover) == (mended.runs, mended.on_site, mended.afternoons,
                                                                  mended.cover)
    assert new.solver.stats["start"] == label and new.solver.stats["search"].startswith("none: not asked for")
    assert new.solver.bound is None and new.score is not None and new.score.total == new.solver.objective
    assert "--strategy full searches the whole model" in result.output
    assert "(no search ran, so no workers or seed)" in result.output and "(cpsat" not in result.output

    _, full = _whatif(norwich_path, baseline, tmp_path / "full", "--drop", "trainers.t-bls-1", "--strategy", "full")
    assert built and not full.solver.stats.get("search", "").startswith("none")
    assert check_plan(edited, full) == [] and full.solver.objective <= new.solver.objective


def test_a_re_plan_asked_for_no_search_whose_published_plan_keeps_every_rule_keeps_it_as_it_is(
        norwich: Scenario, norwich_plan: Plan, norwich_path: Path, tmp_path: Path) -> None:
    """An edit that breaks nothing (a weight): `--strategy repair` publishes the same decisions, no
    change to announce."""
    baseline = _publish(norwich_plan, tmp_path / "base")
    result, new = _whatif(norwich_path, baseline, tmp_path / "new", "--set", "policy.weights.spread=3",
                          "--strategy", "repair")
    assert (new.runs, new.on_site, new.afternoons, new.cover) == (norwich_plan.runs, norwich_plan.on_site,
                                                                  norwich_plan.afternoons, norwich_plan.cover)
    assert new.solver.stats["start"] == "the baseline" and new.solver.stats["search"].startswith("none: not asked for")
    assert "changes: 0 afternoons, 0 waves, 0 runs, 0 seats, 0 cover, 0 visits" in result.output
    # the weight each change cost, and why: the policy's was raised without a word (a new user's review)
    assert norwich.policy.weights.stability < 20_000
    assert f"changes    cost 20,000 each (a what-if's least; the policy's is {norwich.policy.weights.stability:,}, " \
           "--stability-weight sets another)" in result.output
    met = sum(a.met for a in new.score.by_course.values())
    demand = sum(a.demand for a in new.score.by_course.values())
    assert f"of {demand:,} seats ({100 * met / demand:.1f} %): {demand - met:,} unmet; the unmet term, " \
           f"{new.score.terms['unmet'].raw:,}, weighs each by its course's priority" in result.output
    result, _ = _whatif(norwich_path, baseline, tmp_path / "given", "--set", "policy.weights.spread=3",
                        "--strategy", "repair", "--stability-weight", "500")
    assert "changes    cost 500 each (--stability-weight)" in result.output


def test_a_re_plan_asked_for_no_search_whose_published_plan_cannot_be_mended_takes_greedy_s_and_says_so(
        norwich: Scenario, norwich_plan: Plan, norwich_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fourth internal afternoon is nothing the repair mends: greedy's re-plan (which keeps what
    fits of the published plan) is the plan, and the summary said the published plan was kept
    (found by review). When greedy finds none either, no model is built then: the command fails
    and names --strategy full."""
    from solvers import cpsat

    built = []
    real_build = cpsat.build_model
    monkeypatch.setattr(cpsat, "build_model", lambda *a, **k: built.append(1) or real_build(*a, **k))
    baseline = _publish(norwich_plan, tmp_path / "base")
    result, new = _whatif(norwich_path, baseline, tmp_path / "new", "--set", "programme.internal_afternoons=4",
                          "--strategy", "repair")
    assert built == []
    assert new.solver.stats["start"].startswith("greedy plan")
    assert "the published plan could not be mended, so greedy's re-plan" in new.solver.stats["search"]
    assert "could not be mended" in result.output and "--strategy full searches the whole model" in result.output
    edited = norwich.model_copy(deep=True)
    edited.programme.internal_afternoons = 4
    assert check_plan(edited, new) == [] and len(new.afternoons) == 7

    monkeypatch.setattr(cpsat, "_greedy_start", lambda scenario, options: None)  # as under hard mandatory training
    failed = CliRunner().invoke(main, ["whatif", str(norwich_path), "--baseline", str(baseline), "--out",
                                       str(tmp_path / "none"), "--time-limit", "10", "--quiet", "--set",
                                       "programme.internal_afternoons=4", "--strategy", "repair"])
    assert failed.exit_code != 0 and built == []
    assert "without a search" in failed.output and "--strategy full" in failed.output
    assert "Traceback" not in failed.output and not (tmp_path / "none" / "plan.json").exists()


def test_a_re_plan_into_a_new_folder_keeps_the_subscribers_feed_urls(norwich_plan: Plan, norwich_path: Path,
                                                                      tmp_path: Path) -> None:
    """The re-plan continued the published feeds' events (state.json) but not their tokens, so
    serving the new folder gave every practice, trainer and provider a new URL and their
    subscriptions saw nothing more (found by review). A folder's own tokens are left as they are."""
    from scheduler.serve import feed_tokens

    base = tmp_path / "base"
    published = CliRunner().invoke(main, ["export", str(norwich_path), str(_publish(norwich_plan, base)),
                                          "--out", str(base)])
    assert published.exit_code == 0, published.output
    urls = feed_tokens(base)  # as `serve` makes them
    _whatif(norwich_path, base / "plan.json", tmp_path / "new", "--set", "policy.weights.spread=3",
            "--strategy", "repair")
    assert feed_tokens(tmp_path / "new") == urls
    _whatif(norwich_path, base / "plan.json", tmp_path / "new", "--drop", "trainers.t-bls-1", "--strategy", "repair")
    assert feed_tokens(tmp_path / "new") == urls
