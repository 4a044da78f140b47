"""The CP-SAT model's variables, keyed by domain tuples, and the order in which rules are added.

Counts, not people: runs are counted per (event, wave, course, start block, room class); seats
are integers per (event, wave, practice, role, course, start block). Each rule family lives in
its own module and returns its penalty terms; `objective.py` assembles them in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from models.plan import Plan

from ..instance import Instance

if TYPE_CHECKING:  # probe.py imports this module
    from .probe import UnmetFloor

Session = tuple[str, int]  # event id, wave number (from 1)


def grouped(variables: dict[tuple, object], key: Callable[[tuple], tuple]) -> dict[tuple, dict[tuple, object]]:
    """Variables grouped by part of their key, so rules and extraction never rescan every variable."""
    out: dict[tuple, dict[tuple, object]] = {}
    for k, var in variables.items():
        out.setdefault(key(k), {})[k] = var
    return out
LinearExpr = cp_model.LinearExprT


@dataclass
class PltModel:
    instance: Instance
    baseline: Plan | None = None
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    # dates and waves
    on_date: dict[tuple[str, int, dt.date], cp_model.IntVar] = field(default_factory=dict)
    active: dict[Session, LinearExpr] = field(default_factory=dict)
    day: dict[Session, LinearExpr] = field(default_factory=dict)
    in_wave: dict[tuple[str, str, int], LinearExpr] = field(default_factory=dict)
    # cover
    covers: dict[tuple[str, int, str, str], LinearExpr] = field(default_factory=dict)
    provider_used: dict[tuple[str, int, str], LinearExpr] = field(default_factory=dict)
    # external afternoons
    runs: dict[tuple[str, int, str, int, int], cp_model.IntVar] = field(default_factory=dict)  # class -1: virtual
    teaches: dict[tuple[str, int, str, str, int], cp_model.IntVar] = field(default_factory=dict)
    seats: dict[tuple[str, int, str, str, str, int], cp_model.IntVar] = field(default_factory=dict)
    rooms_used: dict[tuple[str, int, int], cp_model.IntVar] = field(default_factory=dict)
    # internal afternoons
    on_site: dict[tuple[str, int, str, str], cp_model.IntVar] = field(default_factory=dict)
    visits: dict[tuple[str, int, str, str, str], cp_model.IntVar] = field(default_factory=dict)
    # trainers
    works: dict[tuple[str, int, str], LinearExpr] = field(default_factory=dict)
    # demand
    met: dict[tuple[str, str, str], LinearExpr] = field(default_factory=dict)
    unmet: dict[tuple[str, str, str], cp_model.IntVar] = field(default_factory=dict)
    unmet_floor: UnmetFloor | None = None  # the least unmet term any plan can have (probe.py)
    start_seconds: float = 0.0  # of the time limit, spent on the first solution (the nearest plan)
    start: str | None = None  # where the first solution came from, when greedy's (its start dates)
    # The complete hint's penalty variables are the least its decisions allow (its completion was
    # proven optimal), so that plan's objective is its score as it stands.
    hint_exact: bool = False

    def available(self, event: str, wave: int, unavailable: set[dt.date] | frozenset[dt.date]) -> LinearExpr:
        """1 when the session falls on a date outside `unavailable` (0 when inactive)."""
        if not unavailable.intersection(self.instance.dates[event]):
            return self.active[event, wave]
        return sum(v for (e, w, d), v in self._dates_of(event, wave) if d not in unavailable)

    def on_any(self, event: str, wave: int, dates: set[dt.date]) -> LinearExpr:
        """1 when the session falls on one of `dates`."""
        return sum(v for (e, w, d), v in self._dates_of(event, wave) if d in dates)

    def _dates_of(self, event: str, wave: int) -> list[tuple[tuple[str, int, dt.date], cp_model.IntVar]]:
        return [((event, wave, d), self.on_date[event, wave, d]) for d in self.instance.dates[event]
                if (event, wave, d) in self.on_date]

    def sessions(self, kind: str | None = None) -> list[Session]:
        return [(e, w) for e, k in self.instance.events for w in range(1, self.instance.waves + 1)
                if kind is None or k.value == kind]

    def covering(self, course_blocks: int, start: int, block: int) -> bool:
        """Does a run of `course_blocks` blocks starting at `start` occupy `block`?"""
        return start <= block < start + course_blocks
