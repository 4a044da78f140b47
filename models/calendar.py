"""Candidate afternoons: which dates the calendar rules allow, and why the others are out.

Bank holidays of England and Wales come from the `holidays` package (substitute days
included); blackouts, months and weekdays come from the scenario. Per-practice, trainer, room
and cover dates are not filtered here: they restrict who can take part, not the date itself,
and the solver ties them to dates through per-date sets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

from .scenario import Scenario

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


@dataclass(frozen=True)
class DateVerdict:
    day: dt.date
    allowed: bool
    reasons: tuple[str, ...]


@lru_cache(maxsize=64)
def bank_holidays(country: str, subdivision: str | None, first_year: int, last_year: int) -> dict[dt.date, str]:
    years = range(first_year, last_year + 1)
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=years).items())


def _bank_holidays_of(scenario: Scenario) -> dict[dt.date, str]:
    rule = scenario.calendar.bank_holidays
    return bank_holidays(rule.country, rule.subdivision, scenario.period.start.year, scenario.period.end.year)


def judge(scenario: Scenario, day: dt.date) -> DateVerdict:
    """Every reason a date cannot hold a PLT afternoon (none means it can)."""
    cal, prog = scenario.calendar, scenario.programme
    reasons: list[str] = []
    if not scenario.period.contains(day):
        reasons.append("outside the period")
    if prog.earliest and day < prog.earliest:
        reasons.append(f"before the programme's earliest date {prog.earliest}")
    if prog.latest and day > prog.latest:
        reasons.append(f"after the programme's latest date {prog.latest}")
    if day.weekday() not in {w.number for w in cal.weekdays}:
        reasons.append(f"a {day.strftime('%A')}, not an allowed weekday")
    name = _bank_holidays_of(scenario).get(day)
    if name:
        reasons.append(f"bank holiday: {name}")
    for blackout in cal.blackouts:
        if blackout.start <= day <= blackout.end:
            reasons.append(f"blackout: {blackout.name}")
    if day.month in cal.blackout_months:
        reasons.append(f"blackout month: {MONTHS[day.month - 1]}")
    return DateVerdict(day, not reasons, tuple(reasons))


def all_days(scenario: Scenario) -> list[dt.date]:
    start, end = scenario.period.start, scenario.period.end
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def verdicts(scenario: Scenario) -> list[DateVerdict]:
    return [judge(scenario, day) for day in all_days(scenario)]


def candidate_dates(scenario: Scenario) -> list[dt.date]:
    """Dates the calendar rules allow, in order."""
    return [v.day for v in verdicts(scenario) if v.allowed]
