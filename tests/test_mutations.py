"""The mutation suite: a solved Norwich plan, broken one way at a time; the checker must catch
each break and name the right hard rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from models import Scenario
from models.checker import check_plan
from models.plan import CourseRun, Plan

Mutation = Callable[[Scenario, Plan], tuple[Scenario, Plan, str, str]]


def _pair_in_one_block(plan: Plan, same_room: bool = False) -> tuple[CourseRun, CourseRun]:
    """Two face-to-face runs of one session that share a block."""
    runs = [r for r in plan.runs if r.room]
    for a in runs:
        for b in runs:
            if a is not b and (a.event, a.wave) == (b.event, b.wave) and set(a.blocks) & set(b.blocks):
                return a, b
    raise AssertionError("the plan has no two runs in one block")


def _run_of(plan: Plan, course: str) -> CourseRun:
    return next(r for r in plan.runs if r.course == course)


def room_double_booked(s: Scenario, p: Plan):
    a, b = _pair_in_one_block(p)
    b.room = a.room
    return s, p, "H3", "room"


def trainer_in_two_places(s: Scenario, p: Plan):
    a, b = _pair_in_one_block(p)
    b.trainer = a.trainer
    return s, p, "H4", a.trainer


def cover_over_capacity(s: Scenario, p: Plan):
    s = s.model_copy(deep=True)
    s.cover_providers[0].capacity = 200_000  # the city is 249,204 patients
    return s, p, "H2", "capacity"


def afternoon_on_bank_holiday(s: Scenario, p: Plan):
    p.afternoons[0].waves[0].date = dt.date(2027, 5, 3)  # Early May bank holiday (a Monday)
    return s, p, "H1", "bank holiday"


def afternoon_in_blackout(s: Scenario, p: Plan):
    p.afternoons[-1].waves[0].date = dt.date(2028, 2, 16)  # February half term, a Wednesday
    return s, p, "H1", "February half term"


def seat_for_role_outside_audience(s: Scenario, p: Plan):
    run = _run_of(p, "bls")
    run.seats[0].role = "admin"
    return s, p, "H5", "admin"


def run_above_room_capacity(s: Scenario, p: Plan):
    run = next(r for r in p.runs if r.course == "safeguarding-l3" and r.size > 16)
    run.room = "clinical-skills"  # 16 seats, and no AV either
    return s, p, "H3", "clinical-skills"


def practice_closes_twice_for_one_event(s: Scenario, p: Plan):
    wave = p.afternoons[1].waves[0]
    wave.practices.append(wave.practices[0])
    return s, p, "H1", wave.practices[0]


def practice_not_covered(s: Scenario, p: Plan):
    gone = p.cover.pop(0)
    return s, p, "H2", gone.practice


def trainer_without_the_skill(s: Scenario, p: Plan):
    _run_of(p, "bls").trainer = "t-it"
    return s, p, "H4", "t-it"


def afternoons_too_close(s: Scenario, p: Plan):
    first = p.afternoons[0].waves[0].date
    p.afternoons[1].waves[0].date = first + dt.timedelta(days=7)
    return s, p, "H1", "plt-2"


def room_without_features(s: Scenario, p: Plan):
    _run_of(p, "bls").room = "hall"
    return s, p, "H3", "hall"


def run_below_minimum_group(s: Scenario, p: Plan):
    run = next(r for r in p.runs if s.course(r.course).min_group > 1)
    run.seats = run.seats[:1]
    run.seats[0].count = 1
    return s, p, "H5", run.course


def more_attendees_than_headcount(s: Scenario, p: Plan):
    run = next(r for r in p.runs if r.seats)
    seat = run.seats[0]
    seat.count = s.practice(seat.practice).headcount[seat.role] + 1
    return s, p, "H5", seat.practice


def virtual_run_in_a_room(s: Scenario, p: Plan):
    _run_of(p, "information-governance").room = "seminar-a"
    return s, p, "H3", "information-governance"


def on_site_trainer_who_does_not_visit(s: Scenario, p: Plan):
    p.on_site[0].trainer = "t-safeguarding-2"
    return s, p, "H4", "t-safeguarding-2"


def mandatory_training_unmet_when_hard(s: Scenario, p: Plan):
    s = s.model_copy(deep=True)
    s.policy.mandatory = "hard"
    return s, p, "H6", "bls"


MUTATIONS = [room_double_booked, trainer_in_two_places, cover_over_capacity, afternoon_on_bank_holiday,
             afternoon_in_blackout, seat_for_role_outside_audience, run_above_room_capacity,
             practice_closes_twice_for_one_event, practice_not_covered, trainer_without_the_skill,
             afternoons_too_close, room_without_features, run_below_minimum_group,
             more_attendees_than_headcount, virtual_run_in_a_room, on_site_trainer_who_does_not_visit,
             mandatory_training_unmet_when_hard]


def test_the_unbroken_plan_passes(norwich: Scenario, norwich_plan: Plan) -> None:
    assert check_plan(norwich, norwich_plan) == []


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__)
def test_checker_catches_each_break(mutation: Mutation, norwich: Scenario, norwich_plan: Plan) -> None:
    scenario, plan, rule, word = mutation(norwich, norwich_plan.model_copy(deep=True))
    violations = check_plan(scenario, plan)
    named = [v for v in violations if v.rule == rule]
    assert named, f"{mutation.__name__}: expected {rule}, got {[(v.rule, v.code) for v in violations]}"
    assert any(word in v.message for v in named), [v.message for v in named]
