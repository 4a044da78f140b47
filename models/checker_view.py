"""What every rule of the independent checker reads: the violation record and a plan view.

A `Violation` names the hard rule it breaks (H1 to H6), a short code, a sentence a
coordinator can act on, and the ids involved. `PlanView` indexes one plan against its
scenario (lookups by id, session dates, who closes in which wave) so each rule stays a short
function; it trusts nothing in the plan, so unknown ids simply miss in its lookups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .plan import Afternoon, CourseRun, Plan
from .scenario import (
    Course,
    CoverProvider,
    EventKind,
    Practice,
    Role,
    Room,
    Scenario,
    Trainer,
    Venue,
)

Session = tuple[str, int]  # event id, wave number


@dataclass(frozen=True, order=True)
class Violation:
    """One broken hard rule: `rule` is H1..H6, `code` a short snake_case name for the breach."""

    rule: str
    code: str
    message: str
    entities: tuple[str, ...]


def violation(rule: str, code: str, message: str, *entities: str | int | dt.date | None) -> Violation:
    """A violation whose entities are the given ids as text, empty ones left out."""
    named = tuple(e.isoformat() if isinstance(e, dt.date) else str(e) for e in entities if e is not None)
    return Violation(rule, code, message, named)


def day(date: dt.date) -> str:
    """A date as a coordinator reads it: Tuesday 11 May 2027."""
    return f"{date:%A} {date.day} {date:%B %Y}"


def session_id(event: str, wave: int) -> str:
    return f"{event}/w{wave}"


def first_wave_date(afternoon: Afternoon) -> dt.date | None:
    """The date of wave 1 (the event's published date); the first listed wave if none is 1."""
    for wave in afternoon.waves:
        if wave.number == 1:
            return wave.date
    return afternoon.waves[0].date if afternoon.waves else None


class PlanView:
    """A plan indexed against its scenario; every lookup returns None for an unknown id."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.scenario = scenario
        self.plan = plan
        self.kinds: dict[str, EventKind] = dict(scenario.event_ids())
        self.practices: dict[str, Practice] = {p.id: p for p in scenario.practices}
        self.roles: dict[str, Role] = {r.id: r for r in scenario.roles}
        self.courses: dict[str, Course] = {c.id: c for c in scenario.courses}
        self.trainers: dict[str, Trainer] = {t.id: t for t in scenario.trainers}
        self.rooms: dict[str, tuple[Venue, Room]] = {r.id: (v, r) for v, r in scenario.all_rooms()}
        self.providers: dict[str, CoverProvider] = {c.id: c for c in scenario.cover_providers}
        self.block_ids: list[str] = [b.id for b in scenario.calendar.blocks]
        self.dates: dict[Session, dt.date] = {}
        self.closing: dict[Session, list[str]] = {}
        self._closes: dict[Session, set[str]] | None = None
        for afternoon in plan.afternoons:
            for wave in afternoon.waves:
                key = (afternoon.event, wave.number)
                self.dates.setdefault(key, wave.date)
                self.closing.setdefault(key, []).extend(wave.practices)

    def date(self, event: str, wave: int) -> dt.date | None:
        return self.dates.get((event, wave))

    def closes(self, event: str, wave: int, practice: str) -> bool:
        if self._closes is None:  # a set per wave: at 6,300 practices (2,100 a wave) lists took 4 s of a 7.5 s check
            self._closes = {key: set(practices) for key, practices in self.closing.items()}
        return practice in self._closes.get((event, wave), ())

    def when(self, event: str, wave: int) -> str:
        """`plt-1 wave 2 (Wednesday 19 May 2027)`, without the date if the wave is not planned."""
        date = self.date(event, wave)
        return f"{event} wave {wave}" + (f" ({day(date)})" if date else "")

    def run_blocks(self, run: CourseRun) -> list[str]:
        """The run's blocks that exist, each once, in calendar order."""
        listed = set(run.blocks)
        return [b for b in self.block_ids if b in listed]

    def all_blocks(self) -> list[str]:
        return list(self.block_ids)

    def afternoon(self, event: str) -> Afternoon | None:
        return next((a for a in self.plan.afternoons if a.event == event), None)
