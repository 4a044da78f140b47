"""Training demand on tiny hand-made scenarios, one rule each, and a few facts of Norwich.

d(practice, role, course): for a mandatory course, named staff due before the period ends
plus the unnamed rest times 12 / refresh months, rounded up; plus development targets
(share of headcount, rounded up); never more than the headcount.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Scenario, parse_scenario
from models.demand import compute_demand, refresh_due

PERIOD_END = dt.date(2028, 3, 31)


def tiny(
    headcount: dict[str, int],
    refresh_months: int | None = 12,
    audience: tuple[str, ...] = ("gp",),
    staff: list[dict[str, Any]] | None = None,
    targets: Sequence[tuple[str, float]] = (),
) -> Scenario:
    """One practice, roles gp and admin, one virtual course `c`, mandatory with refresh_months."""
    course: dict[str, Any] = {
        "id": "c",
        "name": "Course",
        "audience": list(audience),
        "delivery": "virtual",
        "max_group": 100,
    }
    if refresh_months is not None:
        course["refresh_months"] = refresh_months
    return parse_scenario(
        {
            "name": "tiny",
            "period": {"start": "2027-04-01", "end": PERIOD_END.isoformat()},
            "calendar": {
                "weekdays": ["tue"],
                "window": {"start": "13:00", "end": "17:00"},
                "blocks": [{"id": "b1", "start": "13:00", "end": "15:00"}],
            },
            "roles": [
                {"id": "gp", "name": "GP", "clinical": True},
                {"id": "admin", "name": "Admin", "clinical": False},
            ],
            "practices": [
                {
                    "id": "P1",
                    "ods_code": "P00001",
                    "name": "Practice one",
                    "network": "n1",
                    "postcode": "NR1 1AA",
                    "list_size": 5000,
                    "headcount": headcount,
                    "staff": staff or [],
                }
            ],
            "courses": [course],
            "trainers": [{"id": "t1", "name": "Trainer", "skills": ["c"]}],
            "cover_providers": [{"id": "ooh", "name": "Cover", "capacity": 10000}],
            "programme": {"external_afternoons": 1, "internal_afternoons": 0},
            "demand": {
                "development_targets": [
                    {"course": "c", "role": role, "share": share} for role, share in targets
                ]
            },
        }
    )


def named(role: str, completed: str | None) -> dict[str, Any]:
    return {
        "name": f"{role} {completed}",
        "role": role,
        "last_completed": {"c": completed} if completed else {},
    }


@pytest.mark.parametrize("head", [1, 2, 7, 30])
def test_yearly_mandatory_course_is_due_for_the_whole_headcount(head: int) -> None:
    assert compute_demand(tiny({"gp": head})) == {("P1", "gp", "c"): head}


@pytest.mark.parametrize(
    ("head", "due"), [(1, 1), (2, 1), (3, 1), (4, 2), (7, 3), (9, 3), (10, 4), (30, 10)]
)
def test_three_yearly_course_is_due_for_a_third_rounded_up(head: int, due: int) -> None:
    assert compute_demand(tiny({"gp": head}, refresh_months=36)) == {("P1", "gp", "c"): due}


@pytest.mark.parametrize(
    ("months", "head", "due"), [(24, 5, 3), (24, 6, 3), (18, 3, 2), (6, 5, 5), (1, 4, 4)]
)
def test_other_refresh_intervals_scale_and_never_exceed_headcount(
    months: int, head: int, due: int
) -> None:
    # 24 months: half the headcount a year; 18: two thirds; 6 or 1: more than once a year,
    # still one seat each.
    assert compute_demand(tiny({"gp": head}, refresh_months=months)) == {("P1", "gp", "c"): due}


def test_named_staff_refreshing_after_the_period_are_not_due() -> None:
    # Completed 2 June 2027, yearly refresh falls on 2 June 2028, after the period ends.
    scenario = tiny({"gp": 1}, staff=[named("gp", "2027-06-02")])
    assert compute_demand(scenario) == {}


def test_named_staff_refreshing_before_the_period_ends_are_due() -> None:
    # Completed 15 March 2027, due 15 March 2028, inside the period.
    scenario = tiny({"gp": 1}, staff=[named("gp", "2027-03-15")])
    assert compute_demand(scenario) == {("P1", "gp", "c"): 1}


def test_refresh_due_on_the_last_day_of_the_period_counts() -> None:
    scenario = tiny({"gp": 1}, staff=[named("gp", "2027-03-31")])
    assert refresh_due(dt.date(2027, 3, 31), 12) == PERIOD_END
    assert compute_demand(scenario) == {("P1", "gp", "c"): 1}


def test_unnamed_estimate_counts_only_the_unnamed() -> None:
    # Six-monthly course, 4 GPs: the two named finished on 15 Oct 2027, next due 15 Apr 2028,
    # after the period. The two unnamed are due (twice a year, but each is one person).
    staff = [named("gp", "2027-10-15"), named("gp", "2027-10-15")]
    scenario = tiny({"gp": 4}, refresh_months=6, staff=staff)
    assert compute_demand(scenario) == {("P1", "gp", "c"): 2}


def test_named_staff_without_a_record_are_due() -> None:
    scenario = tiny({"gp": 2}, refresh_months=36, staff=[named("gp", None), named("gp", None)])
    # Both named, both without a completion date: both due, though 36 months would estimate 1.
    assert compute_demand(scenario) == {("P1", "gp", "c"): 2}


def test_named_and_unnamed_staff_add_up() -> None:
    # 10 GPs, 36-month course: one named GP done in 2026 (due 2029, not due), one named GP done
    # in 2025 (due 2028-02-10, due); the 8 unnamed are estimated at ceil(8 / 3) = 3.
    staff = [named("gp", "2026-01-20"), named("gp", "2025-02-10")]
    scenario = tiny({"gp": 10}, refresh_months=36, staff=staff)
    assert compute_demand(scenario) == {("P1", "gp", "c"): 1 + 3}


def test_a_named_record_only_counts_for_its_own_role() -> None:
    staff = [named("gp", "2027-06-02")]
    scenario = tiny({"gp": 1, "admin": 3}, audience=("gp", "admin"), staff=staff)
    assert compute_demand(scenario) == {("P1", "admin", "c"): 3}


@pytest.mark.parametrize(
    ("share", "head", "due"),
    [
        (0.1, 7, 1),  # 0.7 seats rounds up to 1
        (0.25, 8, 2),  # exactly 2
        (0.28, 25, 7),  # 0.28 * 25 is 7.000000000000001 in floating point: still 7
        (0.56, 25, 14),  # 14.000000000000002 in floating point: still 14
        (0.5, 3, 2),  # 1.5 rounds up
        (1.0, 4, 4),
    ],
)
def test_development_target_share_rounds_up(share: float, head: int, due: int) -> None:
    scenario = tiny({"gp": head}, refresh_months=None, targets=[("gp", share)])
    assert compute_demand(scenario) == {("P1", "gp", "c"): due}


def test_targets_for_the_same_course_and_role_add_up() -> None:
    scenario = tiny({"gp": 10}, refresh_months=None, targets=[("gp", 0.3), ("gp", 0.3)])
    assert compute_demand(scenario) == {("P1", "gp", "c"): 6}
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; three tenths of 10 is still 3 seats.
    scenario = tiny({"gp": 10}, refresh_months=None, targets=[("gp", 0.1), ("gp", 0.2)])
    assert compute_demand(scenario) == {("P1", "gp", "c"): 3}


def test_target_on_a_mandatory_course_is_capped_at_headcount() -> None:
    # Mandatory yearly: all 5 due; the target asks for 3 more; a person needs the course once.
    scenario = tiny({"gp": 5}, refresh_months=12, targets=[("gp", 0.5)])
    assert compute_demand(scenario) == {("P1", "gp", "c"): 5}


def test_target_on_a_three_yearly_course_adds_to_the_refresh_demand() -> None:
    scenario = tiny({"gp": 9}, refresh_months=36, targets=[("gp", 0.2)])
    assert compute_demand(scenario) == {("P1", "gp", "c"): 3 + 2}


def test_non_mandatory_course_without_target_has_no_demand() -> None:
    assert compute_demand(tiny({"gp": 9}, refresh_months=None)) == {}


def test_roles_outside_the_audience_get_no_demand() -> None:
    scenario = tiny({"gp": 4, "admin": 12})
    assert compute_demand(scenario) == {("P1", "gp", "c"): 4}


def test_zero_headcount_gives_no_entry() -> None:
    assert compute_demand(tiny({"gp": 0, "admin": 2}, audience=("gp", "admin"))) == {
        ("P1", "admin", "c"): 2
    }


@pytest.mark.parametrize(
    ("done", "months", "due"),
    [
        (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),  # no 31 February: last day of the month
        (dt.date(2027, 11, 30), 3, dt.date(2028, 2, 29)),  # 2028 is a leap year
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 3, 11), 36, dt.date(2028, 3, 11)),
        (dt.date(2027, 12, 15), 1, dt.date(2028, 1, 15)),  # across the year end
    ],
)
def test_refresh_due_adds_calendar_months(done: dt.date, months: int, due: dt.date) -> None:
    assert refresh_due(done, months) == due


@settings(max_examples=40, deadline=None)
@given(
    gp=st.integers(0, 60),
    admin=st.integers(1, 60),
    months=st.one_of(st.none(), st.integers(1, 60)),
    share=st.one_of(st.none(), st.floats(0.01, 1.0)),
    completions=st.lists(
        st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2028, 3, 31))), max_size=5
    ),
)
def test_demand_never_exceeds_headcount(
    gp: int, admin: int, months: int | None, share: float | None, completions: list[dt.date | None]
) -> None:
    gp = max(gp, len(completions))
    staff = [named("gp", day.isoformat() if day else None) for day in completions]
    targets = [("gp", share)] if share else []
    scenario = tiny({"gp": gp, "admin": admin}, refresh_months=months, staff=staff, targets=targets)
    demand = compute_demand(scenario)
    assert set(demand) <= {("P1", "gp", "c")}
    assert all(0 < seats <= gp for seats in demand.values())
    if months is not None and gp:
        # At least the unnamed share, and at least every named person with no record.
        unnamed = gp - len(completions)
        floor = math.ceil(unnamed * min(12, months) / months) + completions.count(None)
        assert demand.get(("P1", "gp", "c"), 0) >= min(floor, gp)  # no key: nobody is due


def test_norwich_demand_within_headcount_and_audience(norwich: Scenario) -> None:
    demand = compute_demand(norwich)
    assert demand
    for (practice_id, role, course_id), seats in demand.items():
        assert role in norwich.course(course_id).audience
        assert 0 < seats <= norwich.practice(practice_id).headcount[role]


def test_norwich_named_staff_at_st_stephens_gate(norwich: Scenario) -> None:
    demand = compute_demand(norwich)
    # 15 GPs. BLS is yearly: A. Patel's June 2026 BLS falls due June 2027, B. Okafor has no
    # record, and the 13 unnamed GPs are all due: all 15.
    assert demand["D82008", "gp", "bls"] == 15
    # Safeguarding level 3 is three-yearly: A. Patel (Jan 2026) is due only in 2029, B. Okafor
    # (Mar 2025) falls due 11 Mar 2028, and ceil(13 / 3) = 5 of the unnamed: 6.
    assert demand["D82008", "gp", "safeguarding-l3"] == 6
    # 4 nurses, infection control yearly: C. Jones (Feb 2027) due Feb 2028, 3 unnamed: 4.
    assert demand["D82008", "nurse", "infection-control"] == 4
    # Safeguarding level 3 for nurses: C. Jones (Sep 2026) not due until 2029; ceil(3 / 3) = 1.
    assert demand["D82008", "nurse", "safeguarding-l3"] == 1
