"""What every back end needs before it models: the scenario reduced to indices and sets.

Candidate dates are filtered here (calendar rules, spacing room at either end, dates on which
the whole area cannot close in the waves available), rooms that are interchangeable are
grouped into classes, and availability is precomputed per date so that a model ties trainers,
rooms and cover to dates through these sets rather than per-run implications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.calendar import candidate_dates
from models.consistency import wave_count, whole_area_cannot_close
from models.demand import compute_demand
from models.scenario import Course, EventKind, Room, Scenario, Trainer, Venue


@dataclass(frozen=True)
class RoomClass:
    """Rooms with the same capacity, features, unavailable dates and cost: interchangeable."""

    index: int
    rooms: tuple[str, ...]
    capacity: int
    features: frozenset[str]
    unavailable: frozenset[dt.date]
    cost: int


@dataclass
class Instance:
    scenario: Scenario
    events: list[tuple[str, EventKind]]
    waves: int
    gap_days: int
    dates: dict[str, list[dt.date]]  # event id -> candidate dates
    demand: dict[tuple[str, str, str], int]
    room_classes: list[RoomClass]
    room_venue: dict[str, Venue]
    rooms: dict[str, Room]
    blocks: list[str]
    external_courses: list[Course] = field(default_factory=list)
    on_site_courses: list[Course] = field(default_factory=list)
    # (event, practice) -> (wave, provider) when wave membership and cover are decided before
    # modelling (large areas); None when the model decides them.
    fixed_waves: dict[tuple[str, str], tuple[int, str]] | None = None
    # (event, wave) -> date when the dates are decided before modelling (a decomposed area's
    # subproblems); a wave missing from it is not used.
    fixed_dates: dict[tuple[str, int], dt.date] | None = None
    pinned: dict[str, dt.date] = field(default_factory=dict)  # event -> its first wave's date (pins)

    def first_dates(self, event: str) -> list[dt.date]:
        """Candidate dates of an event's first wave: only the pinned date, when pinned (its later
        waves may follow within the wave window)."""
        pin = self.pinned.get(event)
        return self.dates[event] if pin is None else [d for d in self.dates[event] if d == pin]

    def wave_dates(self, event: str, wave: int) -> list[dt.date]:
        """Candidate dates of one wave."""
        if self.fixed_dates is None:
            return self.first_dates(event) if wave == 1 else self.dates[event]
        day = self.fixed_dates.get((event, wave))
        return [day] if day is not None else []

    def member(self, event: str, practice: str, wave: int) -> bool | None:
        """Does the practice close in this wave? None when the model decides."""
        if self.waves == 1:
            return wave == 1
        if self.fixed_waves is None:
            return None
        return self.fixed_waves[event, practice][0] == wave

    @property
    def scenario_start(self) -> dt.date:
        return self.scenario.period.start

    def day(self, date: dt.date) -> int:
        return (date - self.scenario.period.start).days

    def classes_for(self, course: Course) -> list[RoomClass]:
        need = set(course.room_features)
        return [k for k in self.room_classes if need <= k.features and k.capacity >= course.min_group]

    def trainers_for(self, course: Course, on_site: bool = False) -> list[Trainer]:
        skill = course.needed_skill
        return [t for t in self.scenario.trainers if skill in t.skills and (t.on_site or not on_site)]

    def session_ids(self) -> list[tuple[str, int]]:
        return [(e, w) for e, _ in self.events for w in range(1, self.waves + 1)]


def _room_classes(scenario: Scenario) -> list[RoomClass]:
    groups: dict[tuple, list[str]] = {}
    for venue, room in scenario.all_rooms():
        key = (room.capacity, frozenset(room.features), frozenset(room.unavailable) | frozenset(venue.unavailable),
               room.cost_per_afternoon)
        groups.setdefault(key, []).append(room.id)
    return [RoomClass(i, tuple(sorted(ids)), *key) for i, (key, ids) in enumerate(sorted(
        groups.items(), key=lambda kv: (-kv[0][0], sorted(kv[0][1]), sorted(kv[0][2]), kv[0][3], kv[1])))]


def whole_area_can_close(scenario: Scenario, day: dt.date) -> bool:
    """With one wave every practice closes on the date: nobody may object, cover must suffice."""
    return not whole_area_cannot_close(scenario, day)


def event_dates(scenario: Scenario, waves: int, gap_days: int) -> dict[str, list[dt.date]]:
    """Candidate dates per event, leaving room for the spacing of the events before and after."""
    allowed = candidate_dates(scenario)
    if waves == 1:
        allowed = [d for d in allowed if whole_area_can_close(scenario, d)]
    events = scenario.event_ids()
    if not allowed:
        return {e: [] for e, _ in events}
    first, last = allowed[0], allowed[-1]
    # Event k's first wave is at least k gaps after the first candidate, and leaves room for
    # the gaps of the events after it (their waves may follow on consecutive days).
    span = gap_days
    out: dict[str, list[dt.date]] = {}
    for k, (event, _) in enumerate(events):
        lo = first + dt.timedelta(days=k * span)
        hi = last - dt.timedelta(days=(len(events) - 1 - k) * span)
        out[event] = [d for d in allowed if lo <= d <= hi]
    # A pin fixes the first wave's date; later waves may follow within the wave window (keeping
    # the pinned date alone left a pinned event of an area with several waves no second wave,
    # and the scenario no plan).
    window = dt.timedelta(days=scenario.programme.wave_window_days if waves > 1 else 0)
    for pin in scenario.pins:
        if pin.event in out:
            dates = out[pin.event]
            out[pin.event] = [d for d in dates if pin.date <= d <= pin.date + window] if pin.date in dates else []
    return out


def build_instance(scenario: Scenario) -> Instance:
    waves = wave_count(scenario)
    gap = max(1, 7 * scenario.calendar.min_weeks_between)
    demand = compute_demand(scenario)
    wanted = {c for (_, _, c) in demand}
    return Instance(
        scenario=scenario,
        events=scenario.event_ids(),
        waves=waves,
        gap_days=gap,
        dates=event_dates(scenario, waves, gap),
        pinned={pin.event: pin.date for pin in scenario.pins},
        demand=demand,
        room_classes=_room_classes(scenario),
        room_venue={room.id: venue for venue, room in scenario.all_rooms()},
        rooms={room.id: room for _, room in scenario.all_rooms()},
        blocks=[b.id for b in scenario.calendar.blocks],
        external_courses=[c for c in scenario.courses if c.external and c.id in wanted],
        on_site_courses=[c for c in scenario.courses if c.runs_on_site and c.id in wanted],
    )
