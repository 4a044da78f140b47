"""The start plan's dates: when the trainers who teach at each afternoon can come, then evenly
spread; the least such cost over every date sequence (checked by enumeration on a cut-down
year), kept by greedy's start plan, and dropped when re-planning."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from itertools import pairwise

from models import Scenario
from models.checker import check_plan
from models.generate import generate_scenario
from models.plan import Plan
from models.scenario import EventKind
from solvers.base import SolveOptions
from solvers.greedy import GreedySolver, _Planner
from solvers.instance import Instance, build_instance
from solvers.start_dates import even_dates


def _teaching_there(scenario: Scenario, inst: Instance, kind: EventKind) -> list:
    """Trainers with a skill of that kind of afternoon (on site: visiting trainers only)."""
    courses = inst.external_courses if kind is EventKind.external else inst.on_site_courses
    skills = {c.skill or c.id for c in courses}
    return [t for t in scenario.trainers
            if skills & set(t.skills) and (kind is EventKind.external or t.on_site)]


def _cost(scenario: Scenario, inst: Instance, days: list[dt.date]) -> tuple[int, int]:
    """(trainer afternoons lost and rooms closed, spread and preferences at their weights),
    computed here from the scenario, to be minimised in that order."""
    w = scenario.policy.weights
    period = scenario.period
    ideal = ((period.end - period.start).days + 1) // len(inst.events)
    lost, soft = 0, 0
    for (_, kind), d in zip(inst.events, days, strict=True):
        there = _teaching_there(scenario, inst, kind)
        lost += sum(d in t.unavailable for t in there)
        if kind is EventKind.external:
            lost += sum(d in set(room.unavailable) | set(venue.unavailable) for venue, room in scenario.all_rooms())
        soft += w.preferences * sum(d.weekday() not in {x.number for x in t.preferred_weekdays}
                                    for t in there if t.preferred_weekdays)
        policy = scenario.policy
        soft += w.preferences * (bool(policy.preferred_weekdays)
                                 and d.weekday() not in {x.number for x in policy.preferred_weekdays})
        soft += w.preferences * (bool(policy.preferred_months) and d.month not in policy.preferred_months)
    soft += w.spread * sum(abs((b - a).days - ideal) for a, b in pairwise(days))
    return lost, soft


def test_norwich_dates_keep_the_spacing_and_every_trainer_can_come(norwich: Scenario) -> None:
    inst = build_instance(norwich)
    chosen = even_dates(inst)
    assert list(chosen) == [e for e, _ in inst.events]
    days = list(chosen.values())
    assert all(d in inst.dates[e] for e, d in chosen.items())
    assert all((b - a).days >= inst.gap_days for a, b in pairwise(days))
    assert _cost(norwich, inst, days)[0] == 0
    # The earliest dates (greedy's own) lose two life support trainers' afternoons.
    earliest = [a.waves[0].date for a in GreedySolver().solve(norwich, SolveOptions(time_limit=5)).afternoons]
    assert _cost(norwich, inst, earliest)[0] > 0


def test_the_dates_are_the_least_cost_sequence_on_a_cut_down_year(norwich: Scenario) -> None:
    """Three events, every fourth candidate date, some of them blocked for trainers: the dynamic
    programme's sequence costs no more than the best one found by trying every sequence."""
    inst = build_instance(norwich)
    events = inst.events[:3]
    dates = {e: inst.dates[e][::4] for e, _ in events}
    away = [dates["plt-1"][1], dates["plt-2"][2], dates["plt-3"][0]]
    trainers = [t.model_copy(update={"unavailable": [*t.unavailable, *away]}) if t.id == "t-ig" else t
                for t in norwich.trainers]
    scenario = norwich.model_copy(update={"trainers": trainers})
    cut = dataclasses.replace(inst, scenario=scenario, events=events, dates=dates)
    chosen = list(even_dates(cut).values())
    best = min(_cost(scenario, cut, list(days)) for days in itertools.product(*dates.values())
               if all((b - a).days >= cut.gap_days for a, b in pairwise(days)))
    assert _cost(scenario, cut, chosen) == best
    assert not set(chosen) & set(away)


def test_greedys_start_plan_takes_those_dates_and_passes_the_checker(norwich: Scenario) -> None:
    plan = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=5))
    assert plan.solver.status == "FEASIBLE"
    assert {a.event: a.waves[0].date for a in plan.afternoons} == even_dates(build_instance(norwich))
    assert check_plan(norwich, plan) == []


def test_a_preferred_date_too_soon_gives_way_to_the_earliest_that_fits(norwich: Scenario) -> None:
    """The second event's preferred date comes before the spacing after the first allows: the
    planner takes the first preferred date, then the earliest fitting date for the second."""
    inst = build_instance(norwich)
    first = inst.dates["plt-1"][10]
    too_soon = next(d for d in inst.dates["plt-2"] if d < first + dt.timedelta(days=inst.gap_days))
    sessions, _ = _Planner(inst, first_dates={"plt-1": first, "plt-2": too_soon}).choose_sessions()
    got = {s.event: s.date for s in sessions}
    assert got["plt-1"] == first
    assert got["plt-2"] == min(d for d in inst.dates["plt-2"] if d >= first + dt.timedelta(days=inst.gap_days))


def test_replanning_keeps_the_published_dates_and_asks_for_no_preferred_ones(
        norwich: Scenario, monkeypatch) -> None:
    published = GreedySolver().solve(norwich, SolveOptions(time_limit=5))

    def never(inst: Instance) -> dict:
        raise AssertionError("preferred dates asked for while re-planning")

    monkeypatch.setattr("solvers.greedy.even_dates", never)
    again: Plan = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=5, baseline=published))
    assert [a.waves[0].date for a in again.afternoons] == [a.waves[0].date for a in published.afternoons]
    assert "start_dates" not in again.solver.stats


def test_no_events_or_an_event_without_dates_give_no_preference(norwich: Scenario) -> None:
    inst = build_instance(norwich)
    assert even_dates(dataclasses.replace(inst, events=[])) == {}
    assert even_dates(dataclasses.replace(inst, dates={**inst.dates, "plt-3": []})) == {}


def test_with_several_waves_the_next_event_comes_the_spacing_after_the_last_wave() -> None:
    """A generated area whose cover needs several waves: each chosen date has room for every
    wave in its window (the next candidates), the next event starts the spacing after the last
    of them, and greedy's start plan keeps every chosen date and checks."""
    area = generate_scenario(60, 6, 3)
    inst = build_instance(area)
    assert inst.waves > 1
    chosen = even_dates(inst)
    assert list(chosen) == [e for e, _ in inst.events]
    window = dt.timedelta(days=area.programme.wave_window_days)
    last = {}
    for e, d in chosen.items():
        waves = [x for x in inst.dates[e] if d <= x <= d + window][:inst.waves]
        assert len(waves) == inst.waves
        last[e] = waves[-1]
    for (e1, _), (e2, _) in pairwise(inst.events):
        assert chosen[e2] >= last[e1] + dt.timedelta(days=inst.gap_days)
    plan = GreedySolver(start_dates=True).solve(area, SolveOptions(time_limit=5))
    assert plan.solver.status == "FEASIBLE"
    assert {a.event: a.waves[0].date for a in plan.afternoons} == chosen
    assert plan.solver.stats["start_dates"] == f"preferred, {len(chosen)} of {len(chosen)} kept"
    assert check_plan(area, plan) == []


def test_the_cpsat_plan_says_where_its_start_came_from(norwich: Scenario) -> None:
    from solvers.cpsat import prepare_model

    m, _ = prepare_model(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    assert m.start == "greedy plan on dates: preferred, 6 of 6 kept"
    published = GreedySolver().solve(norwich, SolveOptions(time_limit=5))
    again, _ = prepare_model(norwich, SolveOptions(time_limit=5, workers=1, seed=0, hint=published))
    assert again.start is None  # started from the given plan, not greedy's
