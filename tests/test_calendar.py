"""Candidate afternoons against the published bank holidays of England and Wales for 2027 and
2028, and the scenario's own rules: named blackouts, whole months, weekdays, earliest/latest.

The expected dates are typed in from the published calendar, reasoned from the weekday each
fixed holiday falls on, not read back from the `holidays` package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from models import Scenario, parse_scenario
from models.calendar import candidate_dates, judge, verdicts

Doc = dict[str, Any]
D = dt.date
WORKING_WEEK = ["mon", "tue", "wed", "thu", "fri"]

# England and Wales, https://www.gov.uk/bank-holidays: Christmas Day 2027 is a Saturday and
# Boxing Day a Sunday, so their substitutes are Mon 27 and Tue 28 Dec; New Year's Day 2028 is
# a Saturday, substitute Mon 3 Jan. Easter Sunday is 28 Mar 2027 and 16 Apr 2028. Each value is
# a word of the holiday's name that the reason must contain.
PUBLISHED = {
    D(2027, 1, 1): "New Year's Day",
    D(2027, 3, 26): "Good Friday",
    D(2027, 3, 29): "Easter Monday",
    D(2027, 5, 3): "May",  # Early May bank holiday
    D(2027, 5, 31): "Spring",
    D(2027, 8, 30): "Summer",
    D(2027, 12, 27): "Christmas Day",
    D(2027, 12, 28): "Boxing Day",
    D(2028, 1, 3): "New Year's Day",
    D(2028, 4, 14): "Good Friday",
    D(2028, 4, 17): "Easter Monday",
    D(2028, 5, 1): "May",
    D(2028, 5, 29): "Spring",
    D(2028, 8, 28): "Summer",
    D(2028, 12, 25): "Christmas Day",
    D(2028, 12, 26): "Boxing Day",
}


@pytest.fixture
def plain_calendar(norwich_doc: Callable[[], Doc]) -> Callable[..., Scenario]:
    """Norwich over the two calendar years 2027-2028, with no blackouts, months or bounds,
    unless the keyword arguments say otherwise (they replace `calendar` or `programme` keys)."""

    def build(
        weekdays: list[str] | None = None, subdivision: str = "ENG", **rules: Any
    ) -> Scenario:
        doc = norwich_doc()
        doc["period"].update(start="2027-01-01", end="2028-12-31")
        cal = doc["calendar"]
        cal.update(weekdays=weekdays or WORKING_WEEK, blackouts=[], blackout_months=[])
        cal["bank_holidays"] = {"country": "GB", "subdivision": subdivision}
        for key in ("earliest", "latest"):
            if key in rules:
                doc["programme"][key] = rules.pop(key)
        cal.update(rules)
        return parse_scenario(doc)

    return build


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize("subdivision", ["ENG", "WLS"])
def test_weekday_bank_holidays_are_exactly_the_published_ones(
    plain_calendar: Callable[..., Scenario], subdivision: str
) -> None:
    scenario = plain_calendar(subdivision=subdivision)
    flagged = {
        v.day: v.reasons
        for v in verdicts(scenario)
        if v.day.weekday() < 5 and any(r.startswith("bank holiday") for r in v.reasons)
    }
    assert set(flagged) == set(PUBLISHED)
    for day, name in PUBLISHED.items():
        assert len(flagged[day]) == 1, flagged[day]
        assert name in flagged[day][0], (day, flagged[day])
    weekdays = [d for d in days_between(D(2027, 1, 1), D(2028, 12, 31)) if d.weekday() < 5]
    assert candidate_dates(scenario) == [d for d in weekdays if d not in PUBLISHED]


def test_boxing_day_substitute_excludes_tuesday_28_december_2027(
    plain_calendar: Callable[..., Scenario],
) -> None:
    scenario = plain_calendar(weekdays=["tue"])
    verdict = judge(scenario, D(2027, 12, 28))
    assert not verdict.allowed
    assert len(verdict.reasons) == 1
    assert verdict.reasons[0].startswith("bank holiday") and "Boxing Day" in verdict.reasons[0]
    # The Tuesdays either side are ordinary working days.
    assert judge(scenario, D(2027, 12, 21)).allowed
    assert judge(scenario, D(2028, 1, 4)).allowed


def test_christmas_and_new_year_substitutes_fall_on_mondays(
    plain_calendar: Callable[..., Scenario],
) -> None:
    scenario = plain_calendar(weekdays=["mon", "fri"])
    christmas = judge(scenario, D(2027, 12, 27))
    assert "Christmas Day" in christmas.reasons[0] and christmas.reasons[0].startswith(
        "bank holiday"
    )
    new_year = judge(scenario, D(2028, 1, 3))
    assert "New Year's Day" in new_year.reasons[0] and not new_year.allowed
    # New Year's Day 2028 is moved forward to Monday, never back to Friday 31 December.
    assert judge(scenario, D(2027, 12, 31)).allowed
    # Saturday 1 January 2028 is out for being a Saturday, and is New Year's Day itself.
    saturday = judge(scenario, D(2028, 1, 1))
    assert "a Saturday, not an allowed weekday" in saturday.reasons


def test_easter_2028_excludes_good_friday_and_easter_monday_only(
    plain_calendar: Callable[..., Scenario],
) -> None:
    scenario = plain_calendar()
    april = [d for d in candidate_dates(scenario) if D(2028, 4, 10) <= d <= D(2028, 4, 21)]
    assert april == [
        D(2028, 4, 10),
        D(2028, 4, 11),
        D(2028, 4, 12),
        D(2028, 4, 13),
        D(2028, 4, 18),
        D(2028, 4, 19),
        D(2028, 4, 20),
        D(2028, 4, 21),
    ]
    assert "Good Friday" in judge(scenario, D(2028, 4, 14)).reasons[0]
    assert "Easter Monday" in judge(scenario, D(2028, 4, 17)).reasons[0]


def test_may_and_august_mondays(plain_calendar: Callable[..., Scenario]) -> None:
    scenario = plain_calendar(weekdays=["mon"])
    for day in (
        D(2027, 5, 3),
        D(2027, 5, 31),
        D(2027, 8, 30),
        D(2028, 5, 1),
        D(2028, 5, 29),
        D(2028, 8, 28),
    ):
        assert day.weekday() == 0
        assert not judge(scenario, day).allowed, day
    # Scotland's summer bank holiday (first Monday in August) is not one in England.
    assert judge(scenario, D(2027, 8, 2)).allowed
    assert judge(scenario, D(2027, 5, 24)).allowed


def test_scottish_rules_are_not_english_ones(plain_calendar: Callable[..., Scenario]) -> None:
    # St Andrew's Day, Tuesday 30 November 2027, is a bank holiday in Scotland only.
    assert judge(plain_calendar(weekdays=["tue"]), D(2027, 11, 30)).allowed
    scottish = judge(plain_calendar(weekdays=["tue"], subdivision="SCT"), D(2027, 11, 30))
    assert not scottish.allowed and scottish.reasons[0].startswith("bank holiday")


def test_named_blackout_excludes_its_dates_with_its_name(
    plain_calendar: Callable[..., Scenario],
) -> None:
    half_term = {"name": "October half term", "start": "2027-10-25", "end": "2027-10-29"}
    scenario = plain_calendar(blackouts=[half_term])
    for day in days_between(D(2027, 10, 25), D(2027, 10, 29)):
        assert judge(scenario, day).reasons == ("blackout: October half term",)
    # Both ends are included, and nothing either side is touched.
    assert judge(scenario, D(2027, 10, 22)).allowed
    assert judge(scenario, D(2027, 11, 1)).allowed


def test_blackout_spanning_new_year_gives_every_reason(
    plain_calendar: Callable[..., Scenario],
) -> None:
    christmas = {"name": "Christmas and New Year", "start": "2027-12-20", "end": "2028-01-03"}
    scenario = plain_calendar(blackouts=[christmas], blackout_months=[12])
    reasons = judge(scenario, D(2027, 12, 28)).reasons
    assert len(reasons) == 3
    assert reasons[0].startswith("bank holiday")
    assert "blackout: Christmas and New Year" in reasons
    assert "blackout month: December" in reasons
    # The blackout runs into January, where the December rule does not reach.
    assert judge(scenario, D(2028, 1, 3)).reasons[1:] == ("blackout: Christmas and New Year",)
    assert judge(scenario, D(2028, 1, 4)).allowed


def test_blackout_month_excludes_all_of_august_in_both_years(
    plain_calendar: Callable[..., Scenario],
) -> None:
    scenario = plain_calendar(blackout_months=[8])
    candidates = candidate_dates(scenario)
    assert not [d for d in candidates if d.month == 8]
    for day in days_between(D(2027, 8, 2), D(2027, 8, 6)):
        assert "blackout month: August" in judge(scenario, day).reasons
    late_summer = judge(scenario, D(2028, 8, 28)).reasons
    assert len(late_summer) == 2 and "blackout month: August" in late_summer
    assert D(2027, 7, 30) in candidates and D(2027, 9, 1) in candidates
    assert D(2028, 7, 31) in candidates and D(2028, 9, 1) in candidates


def test_only_allowed_weekdays_are_candidates(plain_calendar: Callable[..., Scenario]) -> None:
    scenario = plain_calendar(weekdays=["tue"])
    candidates = candidate_dates(scenario)
    assert {d.weekday() for d in candidates} == {1}
    tuesdays = [d for d in days_between(D(2027, 1, 1), D(2028, 12, 31)) if d.weekday() == 1]
    # Two Tuesday bank holidays in the two years: 28 Dec 2027 and Boxing Day 26 Dec 2028.
    assert len(candidates) == len(tuesdays) - 2
    assert judge(scenario, D(2027, 6, 2)).reasons == ("a Wednesday, not an allowed weekday",)


def test_programme_earliest_and_latest_bound_candidates(
    plain_calendar: Callable[..., Scenario],
) -> None:
    scenario = plain_calendar(earliest="2027-06-01", latest="2027-06-30")
    june = [d for d in days_between(D(2027, 6, 1), D(2027, 6, 30)) if d.weekday() < 5]
    assert candidate_dates(scenario) == june
    assert june[0] == D(2027, 6, 1) and june[-1] == D(2027, 6, 30)
    spring = judge(scenario, D(2027, 5, 31)).reasons
    assert spring[0] == "before the programme's earliest date 2027-06-01"
    assert spring[1].startswith("bank holiday")
    assert judge(scenario, D(2027, 7, 1)).reasons == (
        "after the programme's latest date 2027-06-30",
    )


def test_dates_outside_the_period_are_never_candidates(norwich: Scenario) -> None:
    assert "outside the period" in judge(norwich, D(2027, 3, 31)).reasons
    assert "outside the period" in judge(norwich, D(2028, 4, 4)).reasons
    candidates = candidate_dates(norwich)
    assert candidates == sorted(candidates)
    assert norwich.period.start <= candidates[0] and candidates[-1] <= norwich.period.end


def test_norwich_candidates_respect_its_rules(norwich: Scenario) -> None:
    candidates = candidate_dates(norwich)
    assert candidates
    assert {d.strftime("%a") for d in candidates} <= {"Tue", "Wed", "Thu"}
    assert not [d for d in candidates if d.month in (8, 12)]
    assert not [d for d in candidates if d in PUBLISHED]
    for blackout in norwich.calendar.blackouts:
        assert not [d for d in candidates if blackout.start <= d <= blackout.end], blackout.name
    # Every allowed weekday that is not a candidate has at least one reason, and vice versa.
    for verdict in verdicts(norwich):
        assert verdict.allowed == (not verdict.reasons)
