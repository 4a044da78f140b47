"""The scenario: everything a coordinator tells the engine about one PLT year.

One pydantic document (YAML or JSON) holds the period, calendar rules, practices, roles, the
course catalogue, trainers, venues and rooms, cover providers, the programme, demand targets,
the objective policy and pins. Field validators check one value; `Scenario` checks that ids
refer to things that exist and that the pieces can fit together. Loading and the error
messages that name file, field, value and fix live in `models.loading`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1.0"


def readable_version(value: str, current: str, fix: str) -> str:
    """`value` when it is `current` or an older minor version of it; else a ValueError with `fix`
    (a newer version's new fields would be refused one by one, without a word of versions)."""
    def parts(version: str) -> tuple[int, int] | None:
        found = re.fullmatch(r"(\d+)(?:\.(\d+))?", version, flags=re.ASCII)
        return (int(found[1]), int(found[2] or 0)) if found else None

    given, now = parts(value), parts(current)
    if given is None or now is None or given[0] != now[0] or given[1] > now[1]:
        raise ValueError(f"schema version {value!r}, but this plt-scheduler reads version {current} and "
                         f"older; {fix}")
    return value

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[int, Field(ge=0, description="Pounds sterling, whole pounds.")]


class Weekday(str, Enum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def number(self) -> int:
        """Python's weekday number: Monday is 0."""
        return _WEEKDAY_NUMBERS[self]


# Looked up, not searched for: the list search was 0.8 s of the 11 s the model took to build at
# 430 practices (pyinstrument; trainers.trainer_weekday_broken asks for every trainer and date).
_WEEKDAY_NUMBERS = {day: number for number, day in enumerate(Weekday)}


class Delivery(str, Enum):
    face_to_face = "face_to_face"
    virtual = "virtual"
    on_site = "on_site"


class EventKind(str, Enum):
    external = "external"
    internal = "internal"


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not silently drop a setting."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


class Period(Strict):
    start: dt.date
    end: dt.date
    timezone: str = "Europe/London"

    def even_gap(self, events: int) -> int:
        """Days between afternoons when `events` of them are spread evenly over the period."""
        return ((self.end - self.start).days + 1) // events

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Europe/London") from exc
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start}); swap them")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _sexagesimal_time(value: object) -> object:
    """YAML 1.1 reads an unquoted 13:00 as the number 780 (minutes); take it back as a time."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 24 * 60:  # 24:00 or later, or a bare number: pydantic made a time of it
            raise ValueError(f"{value} is not a time of day (YAML reads an unquoted 24:00 as 1440, and 13:00:00 as 46800); write it quoted, from '00:00' to '23:59'")
        return dt.time(value // 60, value % 60)
    return value


class TimeWindow(Strict):
    start: dt.time
    end: dt.time

    _times = field_validator("start", "end", mode="before")(_sexagesimal_time)

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(f"window ends at {self.end} but starts at {self.start}; the end must be later")
        return self


class Block(Strict):
    """A teaching block inside the afternoon window; a course lasts whole blocks."""

    id: Id
    start: dt.time
    end: dt.time

    _times = field_validator("start", "end", mode="before")(_sexagesimal_time)

    @model_validator(mode="after")
    def _ordered(self) -> Block:
        if self.end <= self.start:
            raise ValueError(f"block {self.id} ends at {self.end} but starts at {self.start}")
        return self


class Blackout(Strict):
    """A named stretch of dates on which no PLT afternoon may fall (both ends included)."""

    name: str
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Blackout:
        if self.end < self.start:
            raise ValueError(f"blackout {self.name!r} ends ({self.end}) before it starts ({self.start})")
        return self


class BankHolidays(Strict):
    """Bank holidays come from the `holidays` package, never typed in."""

    country: str = "GB"
    subdivision: str | None = Field("ENG", description="ENG or WLS for England and Wales")

    @model_validator(mode="after")
    def _known_to_holidays(self) -> BankHolidays:
        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:
            raise ValueError(
                f"the holidays package has no calendar for country {self.country!r}, subdivision "
                f"{self.subdivision!r} ({exc}); use country GB with subdivision ENG or WLS"
            ) from None
        return self


class CalendarRules(Strict):
    weekdays: list[Weekday] = Field(min_length=1)
    window: TimeWindow
    blocks: list[Block] = Field(min_length=1)
    bank_holidays: BankHolidays = Field(default_factory=BankHolidays)
    blackouts: list[Blackout] = Field(default_factory=list)
    blackout_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=list, description="Whole months excluded every year, 1 = January."
    )
    min_weeks_between: Annotated[int, Field(ge=0, le=52)] = 6

    @model_validator(mode="after")
    def _blocks_inside_window(self) -> CalendarRules:
        previous_end: dt.time | None = None
        for block in self.blocks:
            if block.start < self.window.start or block.end > self.window.end:
                raise ValueError(
                    f"block {block.id} ({block.start}-{block.end}) lies outside the afternoon window "
                    f"{self.window.start}-{self.window.end}; move the block or widen the window"
                )
            if previous_end is not None and block.start < previous_end:
                raise ValueError(
                    f"block {block.id} starts at {block.start}, before the previous block ends "
                    f"({previous_end}); list blocks in time order without overlap"
                )
            previous_end = block.end
        return self


class Role(Strict):
    id: Id
    name: str
    clinical: bool
    bank: bool = Field(False, description="Bank (temporary) staff: not on site for internal afternoons.")


class StaffMember(Strict):
    """A named member of staff; `last_completed` maps course id to the date last completed."""

    name: str
    role: Id
    last_completed: dict[Id, dt.date] = Field(default_factory=dict)


class Practice(Strict):
    id: Id
    ods_code: str = Field(pattern=r"^[A-Z0-9]{3,8}$")
    name: str
    kind: Literal["gp_practice", "pharmacy", "care_home", "other"] = "gp_practice"
    network: Id
    postcode: str
    list_size: Annotated[int, Field(ge=0, description="Registered patients, covered when closed.")]
    headcount: dict[Id, Count] = Field(description="Staff per role id.")
    staff: list[StaffMember] = Field(default_factory=list)
    cannot_close: list[dt.date] = Field(default_factory=list)
    contact: str | None = None

    @property
    def staff_count(self) -> int:
        return sum(self.headcount.values())


class Course(Strict):
    id: Id
    name: str
    audience: list[Id] = Field(min_length=1, description="Role ids that may attend.")
    blocks: Annotated[int, Field(ge=1)] = 1
    delivery: Delivery = Delivery.face_to_face
    on_site: bool = Field(
        False, description="Can also run on site at a practice's internal afternoon (trainer visits)."
    )
    min_group: Annotated[int, Field(ge=1)] = 1
    max_group: Annotated[int, Field(ge=1)]
    skill: Id | None = Field(None, description="Trainer skill needed; defaults to the course id.")
    room_features: list[str] = Field(default_factory=list)
    refresh_months: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Mandatory refresh interval; None means the course is not mandatory."
    )
    priority: Annotated[int, Field(ge=1, le=10)] = 1
    description: str = ""

    @model_validator(mode="after")
    def _group_sizes(self) -> Course:
        if self.min_group > self.max_group:
            raise ValueError(
                f"course {self.id}: min_group {self.min_group} is above max_group {self.max_group}; "
                "lower min_group or raise max_group"
            )
        return self

    @property
    def mandatory(self) -> bool:
        return self.refresh_months is not None

    @property
    def needed_skill(self) -> str:
        return self.skill or self.id

    @property
    def external(self) -> bool:
        """Runs at external afternoons (face to face in a room, or virtual)."""
        return self.delivery is not Delivery.on_site

    @property
    def runs_on_site(self) -> bool:
        return self.delivery is Delivery.on_site or self.on_site


class Trainer(Strict):
    id: Id
    name: str
    skills: list[Id] = Field(min_length=1)
    unavailable: list[dt.date] = Field(default_factory=list)
    max_runs_per_afternoon: Annotated[int, Field(ge=1)] = 3
    max_afternoons_per_year: Annotated[int, Field(ge=1)] = 6
    cost_per_run: Money = 0
    on_site: bool = Field(False, description="Delivers on-site courses at practices' internal afternoons.")
    preferred_weekdays: list[Weekday] = Field(default_factory=list)
    email: str | None = None

    def breaks_weekday(self, day: dt.date) -> bool:
        """Working on this day breaks the trainer's weekday preference (none: never)."""
        return bool(self.preferred_weekdays) and day.weekday() not in {w.number for w in self.preferred_weekdays}


class Room(Strict):
    id: Id
    name: str
    capacity: Annotated[int, Field(ge=1)]
    features: list[str] = Field(default_factory=list)
    unavailable: list[dt.date] = Field(default_factory=list)
    cost_per_afternoon: Money = 0


class Venue(Strict):
    id: Id
    name: str
    address: str = ""
    postcode: str = ""
    rooms: list[Room] = Field(min_length=1)
    unavailable: list[dt.date] = Field(default_factory=list)


class CoverProvider(Strict):
    id: Id
    name: str
    capacity: Annotated[int, Field(ge=1, description="Registered patients it can cover per afternoon.")]
    unavailable: list[dt.date] = Field(default_factory=list)
    cost_per_afternoon: Money = 0
    cost_per_1000_patients: Money = 0
    contact: str = ""

    def cost_for(self, patients: int) -> int:
        """Its rate for covering a practice of `patients` registered patients, rounded to the pound."""
        return (patients * self.cost_per_1000_patients + 500) // 1000


class Programme(Strict):
    external_afternoons: Count = 3
    internal_afternoons: Count = 3
    sequence: list[EventKind] | None = Field(
        None, description="Kinds of the afternoons in date order; default alternates, external first."
    )
    earliest: dt.date | None = None
    latest: dt.date | None = None
    max_waves: Annotated[int, Field(ge=1, le=12)] | None = Field(
        None, description="Most waves one PLT event may be split into; None chooses from cover capacity."
    )
    wave_window_days: Annotated[int, Field(ge=0, le=60)] = 14

    @model_validator(mode="after")
    def _sequence_matches_counts(self) -> Programme:
        if self.sequence is not None:
            ext = sum(1 for kind in self.sequence if kind is EventKind.external)
            if ext != self.external_afternoons or len(self.sequence) - ext != self.internal_afternoons:
                raise ValueError(
                    f"sequence has {ext} external and {len(self.sequence) - ext} internal afternoons, "
                    f"but the counts say {self.external_afternoons} and {self.internal_afternoons}; "
                    "make them agree"
                )
        if self.external_afternoons + self.internal_afternoons == 0:
            raise ValueError("the programme has no afternoons; set external_afternoons or internal_afternoons")
        return self

    def kinds(self) -> list[EventKind]:
        """Kinds of the afternoons in date order."""
        if self.sequence is not None:
            return list(self.sequence)
        kinds: list[EventKind] = []
        ext, inte = self.external_afternoons, self.internal_afternoons
        while ext or inte:
            if ext:
                kinds.append(EventKind.external)
                ext -= 1
            if inte:
                kinds.append(EventKind.internal)
                inte -= 1
        return kinds


class DevelopmentTarget(Strict):
    """A share of a role's headcount that should attend a course this year."""

    course: Id
    role: Id
    share: Annotated[float, Field(gt=0, le=1)]


class Demand(Strict):
    development_targets: list[DevelopmentTarget] = Field(default_factory=list)


# A weight past this makes the objective overflow CP-SAT's 64-bit arithmetic (10^15 on Norwich
# had the solver reject its own model).
Weight = Annotated[int, Field(ge=0, le=1_000_000_000)]


class Weights(Strict):
    """Objective weights. Defaults: a missed seat of priority 1 costs as much as 100 pounds."""

    unmet: Weight = Field(100, description="Per unmet seat, times the course priority.")
    equity_practice: Weight = Field(20, description="Per mille of demand unmet at the worst-served practice.")
    equity_role: Weight = Field(20, description="Per mille of demand unmet for the worst-served role.")
    cost: Weight = Field(1, description="Per pound of cover, trainer and room cost.")
    spread: Weight = Field(2, description="Per day a gap between afternoons is off the even gap.")
    preferences: Weight = Field(50, description="Per broken preference (weekday, month, trainer weekday).")
    stability: Weight = Field(200, description="Per decision changed against the baseline when re-planning.")


class Policy(Strict):
    weights: Weights = Field(default_factory=Weights)
    mandatory: Literal["hard", "soft"] = Field(
        "hard", description="hard: mandatory demand must be met or the scenario is infeasible (H6)."
    )
    preferred_weekdays: list[Weekday] = Field(default_factory=list)
    preferred_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(default_factory=list)

    def breaks(self, day: dt.date) -> int:
        """The preferences (weekday, month) an afternoon on this day breaks: 0, 1 or 2."""
        weekday = bool(self.preferred_weekdays) and day.weekday() not in {w.number for w in self.preferred_weekdays}
        return weekday + (bool(self.preferred_months) and day.month not in self.preferred_months)


class Pin(Strict):
    """A decision fixed from a published plan: the date of an afternoon (its first wave)."""

    event: Id
    date: dt.date


class Scenario(Strict):
    schema_version: str = SCHEMA_VERSION
    name: str
    period: Period
    calendar: CalendarRules
    roles: list[Role] = Field(min_length=1)
    practices: list[Practice] = Field(min_length=1)
    courses: list[Course] = Field(min_length=1)
    trainers: list[Trainer] = Field(default_factory=list)
    venues: list[Venue] = Field(default_factory=list)
    cover_providers: list[CoverProvider] = Field(min_length=1)
    programme: Programme = Field(default_factory=Programme)
    demand: Demand = Field(default_factory=Demand)
    policy: Policy = Field(default_factory=Policy)
    pins: list[Pin] = Field(default_factory=list)

    @field_validator("schema_version")
    @classmethod
    def _readable(cls, value: str) -> str:
        return readable_version(value, SCHEMA_VERSION, "write it in this version's schema (plt-scheduler schema)")

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        from .consistency import cross_check

        cross_check(self)
        return self

    # Lookups used everywhere; cheap enough to rebuild on demand.
    def role(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def course(self, course_id: str) -> Course:
        return next(c for c in self.courses if c.id == course_id)

    def practice(self, practice_id: str) -> Practice:
        return next(p for p in self.practices if p.id == practice_id)

    def all_rooms(self) -> list[tuple[Venue, Room]]:
        return [(venue, room) for venue in self.venues for room in venue.rooms]

    def event_ids(self) -> list[tuple[str, EventKind]]:
        """Afternoon ids in date order: plt-1, plt-2, ... with their kind."""
        return [(f"plt-{i + 1}", kind) for i, kind in enumerate(self.programme.kinds())]

    @property
    def staff_count(self) -> int:
        return sum(p.staff_count for p in self.practices)
