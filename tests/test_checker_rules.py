"""The independent checker, rule by rule, and the score, term by term, on one tiny hand-built year.

Three practices, two roles, three courses (basic life support face to face and mandatory, a
virtual information governance course, conflict resolution that can also run on site), two
trainers, one venue with two rooms and one cover provider that cannot take all three
practices at once, so each of the two afternoons (one external, one internal) has two waves.
The hand-built plan keeps every hard rule; each breakage changes one thing and must be named
by its rule id and code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from models import Scenario, parse_scenario
from models.checker import Violation, check_plan
from models.plan import Plan
from models.score import score_plan

Doc = dict[str, Any]


def _practice(pid: str, list_size: int, gp: int, admin: int, **extra: Any) -> Doc:
    return {"id": pid, "ods_code": f"X0000{pid[-1]}", "name": f"Practice {pid}", "network": "n1",
            "postcode": "NR1 1AA", "list_size": list_size, "headcount": {"gp": gp, "admin": admin}, **extra}


def scenario_doc() -> Doc:
    return {
        "name": "tiny",
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "calendar": {
            "weekdays": ["tue", "wed", "thu"],
            "window": {"start": "13:00", "end": "18:30"},
            "blocks": [{"id": "b1", "start": "13:00", "end": "14:30"},
                       {"id": "b2", "start": "14:45", "end": "16:15"},
                       {"id": "b3", "start": "16:30", "end": "18:00"}],
            "blackouts": [{"name": "summer holidays", "start": "2027-08-01", "end": "2027-08-31"}],
            "min_weeks_between": 4,
        },
        "roles": [{"id": "gp", "name": "GP", "clinical": True},
                  {"id": "admin", "name": "Admin and clerical", "clinical": False}],
        "practices": [_practice("P1", 6000, 2, 3), _practice("P2", 4020, 1, 2, cannot_close=["2027-05-11"]),
                      _practice("P3", 3050, 1, 2)],
        "courses": [
            {"id": "bls", "name": "Basic life support", "audience": ["gp", "admin"], "max_group": 8,
             "min_group": 2, "room_features": ["clinical_skills"], "refresh_months": 12, "priority": 3},
            {"id": "ig", "name": "Information governance", "audience": ["admin"], "blocks": 2,
             "delivery": "virtual", "max_group": 30},
            {"id": "conflict", "name": "Conflict resolution", "audience": ["gp", "admin"], "on_site": True,
             "max_group": 10, "priority": 2},
        ],
        "trainers": [
            {"id": "t1", "name": "Ann", "skills": ["bls", "ig"], "max_afternoons_per_year": 3,
             "cost_per_run": 100, "preferred_weekdays": ["tue"]},
            {"id": "t2", "name": "Ben", "skills": ["conflict", "ig"], "max_runs_per_afternoon": 2,
             "max_afternoons_per_year": 4, "cost_per_run": 80, "on_site": True},
        ],
        "venues": [{"id": "hall", "name": "Training hall", "rooms": [
            {"id": "lab", "name": "Skills lab", "capacity": 6, "features": ["clinical_skills"],
             "cost_per_afternoon": 120},
            {"id": "seminar", "name": "Seminar room", "capacity": 12, "features": ["av"],
             "cost_per_afternoon": 60}]}],
        "cover_providers": [{"id": "ooh", "name": "Out of hours", "capacity": 10000,
                             "cost_per_afternoon": 300, "cost_per_1000_patients": 15}],
        "programme": {"external_afternoons": 1, "internal_afternoons": 1},
        "demand": {"development_targets": [{"course": "ig", "role": "admin", "share": 0.5},
                                           {"course": "conflict", "role": "gp", "share": 1.0},
                                           {"course": "conflict", "role": "admin", "share": 1.0}]},
        "policy": {"preferred_weekdays": ["wed"], "preferred_months": [5, 6, 9]},
    }


def _run(rid: str, wave: int, course: str, blocks: list[str], room: str | None, trainer: str,
         *seats: tuple[str, str, int]) -> Doc:
    return {"id": rid, "event": "plt-1", "wave": wave, "course": course, "blocks": blocks, "room": room,
            "trainer": trainer, "seats": [{"practice": p, "role": r, "count": n} for p, r, n in seats]}


def plan_doc() -> Doc:
    sessions = [("plt-1", 1, ["P1", "P3"]), ("plt-1", 2, ["P2"]), ("plt-2", 1, ["P1", "P3"]), ("plt-2", 2, ["P2"])]
    return {
        "scenario_name": "tiny", "scenario_digest": "hand-built",
        "solver": {"name": "hand", "status": "FEASIBLE"},
        "afternoons": [
            {"event": "plt-1", "kind": "external", "waves": [
                {"number": 1, "date": "2027-05-11", "practices": ["P1", "P3"]},   # Tuesday
                {"number": 2, "date": "2027-05-19", "practices": ["P2"]}]},       # Wednesday
            {"event": "plt-2", "kind": "internal", "waves": [
                {"number": 1, "date": "2027-10-06", "practices": ["P1", "P3"]},   # Wednesday
                {"number": 2, "date": "2027-10-12", "practices": ["P2"]}]},       # Tuesday
        ],
        "runs": [
            _run("r1", 1, "bls", ["b1"], "lab", "t1", ("P3", "gp", 1), ("P3", "admin", 2), ("P1", "gp", 2)),
            _run("r2", 1, "bls", ["b3"], "lab", "t1", ("P1", "admin", 3)),
            _run("r3", 1, "ig", ["b1", "b2"], None, "t2", ("P1", "admin", 2)),
            _run("r4", 2, "bls", ["b1"], "lab", "t1", ("P2", "gp", 1), ("P2", "admin", 2)),
            _run("r5", 2, "ig", ["b2", "b3"], None, "t2", ("P2", "admin", 1)),
        ],
        "on_site": [{"event": "plt-2", "wave": 1, "practice": "P1", "course": "conflict", "trainer": "t2"},
                    {"event": "plt-2", "wave": 2, "practice": "P2", "course": "conflict", "trainer": "t2"}],
        "cover": [{"event": e, "wave": w, "practice": p, "provider": "ooh"} for e, w, ps in sessions for p in ps],
    }


def put(doc: Doc, path: str, value: Any) -> None:
    """Set a value by dotted path; list items by index (`runs.0.room`)."""
    *parents, last = path.split(".")
    for part in parents:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


def build(s: Doc, p: Doc) -> tuple[Scenario, Plan]:
    return parse_scenario(s), Plan.model_validate(p)


def test_the_hand_built_plan_keeps_every_hard_rule() -> None:
    assert check_plan(*build(scenario_doc(), plan_doc())) == []


Edit = Callable[[Doc, Doc], Any]
VISIT = {"event": "plt-2", "wave": 1, "practice": "P3", "course": "conflict", "trainer": "t2"}
COVER = {"event": "plt-1", "wave": 1, "practice": "P2", "provider": "ooh"}

BREAKAGES: list[tuple[str, str, Edit]] = [
    # H1 dates and waves
    ("H1", "afternoon_on_bank_holiday", lambda s, p: (put(p, "afternoons.1.waves.0.date", "2027-12-28"),
                                                      put(p, "afternoons.1.waves.1.date", "2027-12-29"))),
    ("H1", "afternoon_in_blackout", lambda s, p: (put(p, "afternoons.1.waves.0.date", "2027-08-11"),
                                                  put(p, "afternoons.1.waves.1.date", "2027-08-17"))),
    ("H1", "afternoon_on_disallowed_weekday", lambda s, p: put(p, "afternoons.0.waves.0.date", "2027-05-10")),
    ("H1", "practice_cannot_close", lambda s, p: put(s["practices"][0], "cannot_close", ["2027-10-06"])),
    ("H1", "practice_not_closing", lambda s, p: put(p, "afternoons.1.waves.0.practices", ["P1"])),
    ("H1", "practice_closes_twice", lambda s, p: p["afternoons"][1]["waves"][0]["practices"].append("P2")),
    ("H1", "unknown_practice", lambda s, p: p["afternoons"][1]["waves"][0]["practices"].append("P9")),
    ("H1", "missing_afternoon", lambda s, p: p["afternoons"].pop()),
    ("H1", "wrong_event_kind", lambda s, p: put(p, "afternoons.1.kind", "external")),
    ("H1", "waves_out_of_order", lambda s, p: put(p, "afternoons.0.waves.1.date", "2027-05-05")),
    ("H1", "wave_outside_window", lambda s, p: put(p, "afternoons.0.waves.1.date", "2027-06-01")),
    ("H1", "afternoons_too_close", lambda s, p: (put(p, "afternoons.1.waves.0.date", "2027-06-01"),
                                                 put(p, "afternoons.1.waves.1.date", "2027-06-02"))),
    ("H1", "pinned_date_moved", lambda s, p: put(s, "pins", [{"event": "plt-1", "date": "2027-05-12"}])),
    # H2 cover
    ("H2", "practice_without_cover", lambda s, p: p["cover"].pop(1)),
    ("H2", "practice_covered_twice", lambda s, p: p["cover"].append(dict(p["cover"][0]))),
    ("H2", "cover_for_open_practice", lambda s, p: p["cover"].append(COVER)),
    ("H2", "unknown_provider", lambda s, p: put(p, "cover.0.provider", "nhs111")),
    ("H2", "provider_unavailable", lambda s, p: put(s["cover_providers"][0], "unavailable", ["2027-05-19"])),
    ("H2", "cover_over_capacity", lambda s, p: put(s["cover_providers"][0], "capacity", 8000)),
    # H3 rooms
    ("H3", "run_at_internal_afternoon", lambda s, p: put(p, "runs.4.event", "plt-2")),
    ("H3", "run_in_missing_wave", lambda s, p: put(p, "runs.4.wave", 3)),
    ("H3", "room_missing", lambda s, p: put(p, "runs.0.room", None)),
    ("H3", "virtual_run_in_room", lambda s, p: put(p, "runs.2.room", "seminar")),
    ("H3", "unknown_room", lambda s, p: put(p, "runs.0.room", "attic")),
    ("H3", "room_double_booked", lambda s, p: put(p, "runs.1.blocks", ["b1"])),
    ("H3", "room_over_capacity", lambda s, p: put(s["venues"][0]["rooms"][0], "capacity", 4)),
    ("H3", "room_lacks_features", lambda s, p: put(p, "runs.1.room", "seminar")),
    ("H3", "room_unavailable", lambda s, p: put(s["venues"][0]["rooms"][0], "unavailable", ["2027-05-19"])),
    ("H3", "venue_unavailable", lambda s, p: put(s["venues"][0], "unavailable", ["2027-05-11"])),
    # H4 trainers
    ("H4", "unknown_trainer", lambda s, p: put(p, "runs.0.trainer", "t9")),
    ("H4", "trainer_lacks_skill", lambda s, p: put(p, "runs.0.trainer", "t2")),
    ("H4", "trainer_unavailable", lambda s, p: put(s["trainers"][0], "unavailable", ["2027-05-11"])),
    ("H4", "trainer_in_two_places", lambda s, p: put(p, "runs.2.trainer", "t1")),
    ("H4", "trainer_in_two_places", lambda s, p: p["on_site"].append(VISIT)),  # t2 at P1 and P3
    ("H4", "trainer_over_runs_per_afternoon", lambda s, p: put(s["trainers"][0], "max_runs_per_afternoon", 1)),
    ("H4", "trainer_over_afternoons_per_year", lambda s, p: put(s["trainers"][1], "max_afternoons_per_year", 3)),
    ("H4", "trainer_not_on_site", lambda s, p: (s["trainers"][0]["skills"].append("conflict"),
                                                put(p, "on_site.0.trainer", "t1"))),
    # H5 seats and on-site courses
    ("H5", "role_not_in_audience", lambda s, p: p["runs"][2]["seats"].append({"practice": "P1", "role": "gp",
                                                                               "count": 1})),
    ("H5", "unknown_role", lambda s, p: put(p, "runs.2.seats.0.role", "nurse")),
    ("H5", "unknown_practice", lambda s, p: put(p, "runs.2.seats.0.practice", "P9")),
    ("H5", "practice_not_in_wave", lambda s, p: put(p, "runs.3.seats.0.practice", "P1")),
    ("H5", "run_below_min_group", lambda s, p: put(p, "runs.1.seats.0.count", 1)),
    ("H5", "run_over_max_group", lambda s, p: put(s["courses"][0], "max_group", 4)),
    ("H5", "run_wrong_length", lambda s, p: put(p, "runs.2.blocks", ["b1"])),
    ("H5", "run_blocks_not_consecutive", lambda s, p: put(p, "runs.2.blocks", ["b1", "b3"])),
    ("H5", "unknown_block", lambda s, p: put(p, "runs.0.blocks", ["b9"])),
    ("H5", "seats_over_headcount", lambda s, p: put(p, "runs.1.seats.0.count", 4)),
    ("H5", "seats_over_headcount", lambda s, p: put(p, "runs.4.blocks", ["b1", "b2"])),
    ("H5", "unknown_course", lambda s, p: put(p, "runs.2.course", "excel")),
    ("H5", "course_not_external", lambda s, p: put(s["courses"][2], "delivery", "on_site")
     or p["runs"].append(_run("r6", 2, "conflict", ["b1"], "seminar", "t2", ("P2", "gp", 1)))),
    ("H5", "duplicate_run_id", lambda s, p: put(p, "runs.4.id", "r3")),
    ("H5", "course_not_on_site", lambda s, p: put(p, "on_site.1.course", "ig")),
    ("H5", "on_site_at_external_afternoon", lambda s, p: put(p, "on_site.1.event", "plt-1")),
    ("H5", "practice_not_in_wave", lambda s, p: put(p, "on_site.1.wave", 1)),
    ("H5", "two_on_site_courses", lambda s, p: p["on_site"].append(dict(p["on_site"][0], course="bls"))),
    # H6 mandatory training (policy "hard" is the default)
    ("H6", "mandatory_training_unmet", lambda s, p: p["runs"].pop(1)),
]


@pytest.mark.parametrize(("rule", "code", "edit"), [pytest.param(*b, id=f"{b[0]}-{b[1]}") for b in BREAKAGES])
def test_each_breakage_is_named_by_its_rule_and_code(rule: str, code: str, edit: Edit) -> None:
    s, p = scenario_doc(), plan_doc()
    edit(s, p)
    found = check_plan(*build(s, p))
    assert (rule, code) in {(v.rule, v.code) for v in found}, found


def test_violations_name_the_entities_and_read_like_a_coordinator() -> None:
    s, p = scenario_doc(), plan_doc()
    put(p, "afternoons.1.waves.0.date", "2027-12-28")
    put(p, "afternoons.1.waves.1.date", "2027-12-29")
    holiday = next(v for v in check_plan(*build(s, p)) if v.code == "afternoon_on_bank_holiday")
    assert holiday == Violation("H1", "afternoon_on_bank_holiday",
                                "plt-2 wave 1 is on Tuesday 28 December 2027: bank holiday: Boxing Day (observed)",
                                ("plt-2/w1", "2027-12-28"))


def test_violations_are_sorted_and_repeatable() -> None:
    s, p = scenario_doc(), plan_doc()
    put(p, "runs.0.room", None)
    put(p, "runs.2.trainer", "t1")
    p["cover"].pop(1)
    found = check_plan(*build(s, p))
    assert found == sorted(found) == check_plan(*build(s, p))
    assert [v.rule for v in found] == sorted(v.rule for v in found)


def test_mandatory_shortfall_is_not_a_hard_rule_under_a_soft_policy() -> None:
    s, p = scenario_doc(), plan_doc()
    s["policy"]["mandatory"] = "soft"
    p["runs"].pop(1)
    assert check_plan(*build(s, p)) == []
    put(s["policy"], "mandatory", "hard")
    [unmet] = check_plan(*build(s, p))
    assert unmet.entities == ("P1", "admin", "bls") and unmet.message.startswith("3 admin staff of P1")


# Score --------------------------------------------------------------------------------------
#
# Demand (bls mandatory every 12 months, so all of the headcount; ig: half the admin staff,
# rounded up; conflict: everyone):
#   P1 (gp 2, admin 3): bls 2+3, ig 2, conflict 2+3 = 12   all met (r1, r2, r3, on site)
#   P2 (gp 1, admin 2): bls 1+2, ig 1, conflict 1+2 = 7    all met (r4, r5, on site)
#   P3 (gp 1, admin 2): bls 1+2, ig 1, conflict 1+2 = 7    bls met (r1); ig 1 and conflict 3 unmet
# unmet: ig 1 x priority 1 + conflict (1 + 2) x priority 2 = 7; weight 100.
# equity_practice: only P3 falls short: ceil(1000 x 4 / 7) = ceil(571.4) = 572; weight 20.
# equity_role: gp demand 4 (bls) + 4 (conflict) = 8, unmet 1 -> 125;
#   admin 7 (bls) + 4 (ig) + 7 (conflict) = 18, unmet 3 -> ceil(166.7) = 167; worst 167; weight 20.
# cost_cover per wave: 300 fixed + rounded rate of 15 per 1000 patients per practice:
#   wave 1: P1 6000 -> 90, P3 3050 -> 45.75 -> 46, so 436; wave 2: P2 4020 -> 60.3 -> 60, so 360;
#   two events: 2 x (436 + 360) = 1592.
# cost_trainers: t1 runs r1, r2, r4 at 100 = 300; t2 runs r3, r5 and two on-site visits at 80 = 320.
# cost_rooms: the lab in plt-1 wave 1 and in wave 2 at 120 = 240; virtual runs use no room.
# spread: 2027 has 365 days, two events, ideal gap 182; 11 May to 6 Oct is 148 days: 34; weight 2.
# preferences (policy: Wednesdays, May, June, September):
#   Tue 11 May 1, Wed 19 May 0, Wed 6 Oct 1 (October), Tue 12 Oct 2; t1 prefers Tuesdays and
#   teaches on Wed 19 May: 1; t2 has no preference. 5 in all; weight 50.
EXPECTED = {"unmet": (7, 100), "equity_practice": (572, 20), "equity_role": (167, 20),
            "cost_cover": (1592, 1), "cost_trainers": (620, 1), "cost_rooms": (240, 1),
            "spread": (34, 2), "preferences": (5, 50), "stability": (0, 200)}


def test_score_terms_by_hand() -> None:
    score = score_plan(*build(scenario_doc(), plan_doc()))
    assert list(score.terms) == list(EXPECTED)
    assert {k: (t.raw, t.weight) for k, t in score.terms.items()} == EXPECTED
    assert all(t.weighted == t.raw * t.weight for t in score.terms.values())
    # 700 + 11440 + 3340 + 1592 + 620 + 240 + 68 + 250 + 0
    assert score.total == 18250


def test_attainment_per_practice_role_and_course() -> None:
    score = score_plan(*build(scenario_doc(), plan_doc()))
    as_tuples = {k: (a.demand, a.met, a.unmet) for k, a in score.by_practice.items()}
    assert as_tuples == {"P1": (12, 12, 0), "P2": (7, 7, 0), "P3": (7, 3, 4)}
    assert {k: (a.demand, a.met, a.unmet) for k, a in score.by_role.items()} == {
        "gp": (8, 7, 1), "admin": (18, 15, 3)}
    assert {k: (a.demand, a.met, a.unmet) for k, a in score.by_course.items()} == {
        "bls": (11, 11, 0), "ig": (4, 3, 1), "conflict": (11, 8, 3)}


def test_on_site_courses_reach_substantive_staff_only() -> None:
    # With admin as bank staff, P1's and P2's on-site conflict courses reach only their GPs:
    # conflict admin unmet becomes 3 + 2 + 2 = 7, so unmet = 1 (ig) + 2 x (1 + 7) = 17.
    s = scenario_doc()
    s["roles"][1]["bank"] = True
    score = score_plan(*build(s, plan_doc()))
    assert score.terms["unmet"].raw == 17
    assert score.by_course["conflict"].unmet == 8


def test_stability_counts_changes_against_the_baseline() -> None:
    scenario, baseline = build(scenario_doc(), plan_doc())
    assert score_plan(scenario, baseline, baseline).terms["stability"].raw == 0
    p = copy.deepcopy(plan_doc())
    put(p, "afternoons.1.waves.0.date", "2027-10-07")      # published date moved: 3
    put(p, "afternoons.1.waves.0.practices", ["P1"])       # P3 moves to wave 2 of plt-2: 1
    p["afternoons"][1]["waves"][1]["practices"].append("P3")
    put(p, "runs.1.blocks", ["b2"])                       # r2 moved: old and new key, 2
    p["on_site"].pop()                                     # P2's visit dropped: 1
    changed = score_plan(scenario, Plan.model_validate(p), baseline).terms["stability"]
    assert (changed.raw, changed.weighted) == (7, 1400)
