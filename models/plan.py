"""The plan: every decision of a PLT year, its score and the solver's report (`plan.json`).

Decisions are plain data keyed by domain ids: afternoons with their waves (date and closing
practices), external course runs (room, block, trainer, seats per practice and role), on-site
courses at internal afternoons, and cover. The checker and the score calculator read a plan
with its scenario and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .scenario import EventKind, Scenario, readable_version

PLAN_SCHEMA_VERSION = "1.0"

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]


class _Plain(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Wave(_Plain):
    """One afternoon on which some of the practices close for an event."""

    number: int = Field(ge=1)
    date: dt.date
    practices: list[str]


class Afternoon(_Plain):
    """A PLT event (plt-1, plt-2, ... in date order); its practices close in one or more waves."""

    event: str
    kind: EventKind
    waves: list[Wave]

    @property
    def date(self) -> dt.date:
        return self.waves[0].date


class Seat(_Plain):
    """`count` staff of one role from one practice in a course run."""

    practice: str
    role: str
    count: int = Field(ge=1)


class CourseRun(_Plain):
    """One run of a course at an external afternoon: a room (none when virtual), blocks, a trainer."""

    id: str
    event: str
    wave: int = Field(ge=1)
    course: str
    blocks: list[str] = Field(min_length=1)
    room: str | None = None
    trainer: str
    seats: list[Seat] = Field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(seat.count for seat in self.seats)


class OnSiteCourse(_Plain):
    """At an internal afternoon, a practice runs one course on site with a visiting trainer."""

    event: str
    wave: int = Field(ge=1)
    practice: str
    course: str
    trainer: str


class Cover(_Plain):
    event: str
    wave: int = Field(ge=1)
    practice: str
    provider: str


class TermScore(_Plain):
    raw: int
    weight: int
    weighted: int


class Attainment(_Plain):
    demand: int
    met: int
    unmet: int


class Score(_Plain):
    total: int
    terms: dict[str, TermScore]
    by_practice: dict[str, Attainment] = Field(default_factory=dict)
    by_role: dict[str, Attainment] = Field(default_factory=dict)
    by_course: dict[str, Attainment] = Field(default_factory=dict)


class SolverReport(_Plain):
    name: str
    status: Status
    objective: int | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    time_limit: float | None = None
    workers: int | None = None
    seed: int | None = None
    finished: dt.datetime | None = Field(None, description="When the solve ended (UTC); feeds stamp events with it.")
    stats: dict[str, bool | int | float | str] = Field(default_factory=dict)


class Plan(_Plain):
    schema_version: str = PLAN_SCHEMA_VERSION
    scenario_name: str
    scenario_digest: str
    revision: int = 1
    afternoons: list[Afternoon] = Field(default_factory=list)
    runs: list[CourseRun] = Field(default_factory=list)
    on_site: list[OnSiteCourse] = Field(default_factory=list)
    cover: list[Cover] = Field(default_factory=list)
    score: Score | None = None
    solver: SolverReport

    @field_validator("schema_version")
    @classmethod
    def _readable(cls, value: str) -> str:
        return readable_version(value, PLAN_SCHEMA_VERSION, "solve or re-plan it with this plt-scheduler")

    def session_date(self, event: str, wave: int) -> dt.date | None:
        for afternoon in self.afternoons:
            if afternoon.event == event:
                for w in afternoon.waves:
                    if w.number == wave:
                        return w.date
        return None


def scenario_digest(scenario: Scenario) -> str:
    """Stable fingerprint of a scenario's content (for UIDs and to match plans to scenarios)."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# The stat in which a re-plan (`whatif`) records the stability weight it solved with: it raises
# the scenario's own weight for its search, so the scenario it solved differs from the one the
# planner has in that weight alone.
REPLAN_STABILITY = "stability_weight"


def made_for(plan: Plan, scenario: Scenario) -> bool:
    """Whether the plan was made for this scenario (its digest), a re-plan's raised stability
    weight aside."""
    if plan.scenario_digest == scenario_digest(scenario):
        return True
    weight = plan.solver.stats.get(REPLAN_STABILITY)
    if not isinstance(weight, int) or isinstance(weight, bool) or weight == scenario.policy.weights.stability:
        return False
    solved = scenario.model_copy(deep=True)
    solved.policy.weights.stability = weight
    return plan.scenario_digest == scenario_digest(solved)
