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


@dataclass(frozen=True)
class DateLimits:
    """What limits a candidate afternoon beyond the calendar rules: who can close, cover, rooms.

    `afternoon` is False where no afternoon can be held (no practice can close, or with one wave
    not all of them), `face_to_face` False where no room is free; `reasons` say why, and may
    also hold notes that limit nothing (with several waves, a practice that cannot close that day
    closes in another wave)."""

    day: dt.date
    afternoon: bool
    face_to_face: bool
    reasons: tuple[str, ...]

    def note(self, scenario: Scenario) -> str:
        """The limits as `plt-scheduler calendar` shows them after "candidate" ("" when none)."""
        if not self.afternoon:
            return ", but no afternoon can be held: " + "; ".join(self.reasons)
        if not self.face_to_face:
            virtual = any(c.delivery.value == "virtual" for c in scenario.courses)
            only = "internal afternoons, and virtual courses at external ones" if virtual else "internal afternoons only"
            return f", but no face-to-face course: {'; '.join(self.reasons)}; {only}"
        return f"; {'; '.join(self.reasons)}" if self.reasons else ""


def usable(limits: list[DateLimits]) -> str:
    """What a count of candidate afternoons counts: dates the calendar rules allow, of which
    so many can hold no afternoon and so many no face-to-face course."""
    none = sum(not lim.afternoon for lim in limits)
    roomless = sum(lim.afternoon and not lim.face_to_face for lim in limits)
    if not none and not roomless:
        return "(by the calendar rules; each can hold an afternoon)"
    held = [f"{none} can hold no afternoon (no cover, or not every practice can close)"] * bool(none)
    held += [f"{roomless} no face-to-face course (no room free)"] * bool(roomless)
    return f"by the calendar rules; of them {' and '.join(held)}"


def candidate_limits(scenario: Scenario) -> list[DateLimits]:
    """What limits each candidate afternoon, in order. The candidate dates themselves stay the
    calendar's (`candidate_dates`, which the solvers filter further): this is for reading."""
    from .consistency import closes_in_one_wave, cover_on, listed, whole_area_cannot_close

    one_wave = closes_in_one_wave(scenario)
    closed = {venue.id: venue.name for venue in scenario.venues}
    needs_room = any(c.delivery.value == "face_to_face" for c in scenario.courses)
    out = []
    for day in candidate_dates(scenario):
        reasons: list[str] = []
        afternoon = cover_on(scenario, day) > 0
        if not afternoon:
            away = listed({c.id for c in scenario.cover_providers if day in c.unavailable}, 6)
            reasons.append(f"no cover provider available ({away} away)")
        elif one_wave and (stops := whole_area_cannot_close(scenario, day)):
            afternoon = False
            reasons += [f"{why}, and the area closes in one wave" for why in stops]
        else:
            blocked = {p.id for p in scenario.practices if day in p.cannot_close}
            if blocked:
                reasons.append(f"{listed(blocked, 6)} cannot close (another wave takes them)")
        rooms = [(venue, room) for venue, room in scenario.all_rooms()
                 if day not in venue.unavailable and day not in room.unavailable]
        # an area with no venue, or no course in a room, has no day without one to say
        roomless = not rooms and bool(scenario.venues) and needs_room
        if roomless:
            shut = [closed[v.id] for v in scenario.venues if day in v.unavailable]
            reasons.append("no room free" + (f" ({', '.join(shut)} closed)" if shut else ""))
        out.append(DateLimits(day, afternoon, not roomless, tuple(reasons)))
    return out
