"""Recommended fit: where one more item would do most good, moving nothing else.

One more run of a course: every decision of the plan is fixed; for each place (afternoon, wave,
start block, room class, or virtual) one more run of the course is required, its trainer and its
seats are left free, and the model is solved to optimality. The change in the objective is that
place's score.

One more afternoon: for each place in the sequence (before the first afternoon, between two, after
the last) the programme gains an afternoon of the kind asked for there; later afternoons are
renumbered, every decision of the plan is fixed, and the new afternoon's date, waves, cover, runs,
trainers and seats are chosen to optimality. The change is again the objective's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from models.plan import Plan, SolverReport
from models.scenario import EventKind, Pin, Scenario

from ..instance import build_instance
from . import extract
from .build import build_model
from .external import VIRTUAL
from .hints import fixed_except
from .model import PltModel


@dataclass(frozen=True)
class Option:
    event: str
    wave: int
    block: str
    room_class: tuple[str, ...]  # rooms it could use; empty when virtual
    objective: int
    change: int  # objective with the extra run minus the plan's objective
    plan: Plan  # the plan with the extra run, everything else as before


def _plan_values(m: PltModel, plan: Plan) -> dict[object, int]:
    """Each decision variable's value in the plan."""
    inst = m.instance
    block = {b: i for i, b in enumerate(inst.blocks)}
    room_class = {room: k.index for k in inst.room_classes for room in k.rooms}
    runs, teaches, seats = Counter(), Counter(), Counter()
    for run in plan.runs:
        key = (run.event, run.wave, run.course, block[run.blocks[0]])
        runs[(*key, VIRTUAL if run.room is None else room_class[run.room])] += 1
        teaches[run.event, run.wave, run.trainer, run.course, key[3]] += 1
        for s in run.seats:
            seats[run.event, run.wave, s.practice, s.role, run.course, key[3]] += s.count
    dates = {(a.event, w.number): w.date for a in plan.afternoons for w in a.waves}
    members = {(a.event, p, w.number) for a in plan.afternoons for w in a.waves for p in w.practices}
    visits = {(o.event, o.wave, o.practice, o.course, o.trainer) for o in plan.on_site}
    cover = {(c.event, c.wave, c.practice, c.provider) for c in plan.cover}
    values: dict[object, int] = {}
    values.update({v: int(dates.get((e, w)) == d) for (e, w, d), v in m.on_date.items()})
    values.update({v: int(k in members) for k, v in m.in_wave.items() if not isinstance(v, int)})
    values.update({v: int(k in cover) for k, v in m.covers.items() if not isinstance(v, int)})
    values.update({v: runs[k] for k, v in m.runs.items()})
    values.update({v: teaches[k] for k, v in m.teaches.items()})
    values.update({v: seats[k] for k, v in m.seats.items()})
    values.update({v: int(k in visits) for k, v in m.visits.items()})
    values.update({v: int(any(x[:4] == k for x in visits)) for k, v in m.on_site.items()})
    return values


def _solve(m: PltModel, seconds: float) -> cp_model.CpSolver | None:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    # As in the full solve, presolve weakens the root LP: one more external afternoon on Norwich
    # (everything else fixed) is proven optimal in 1.5 s without it and not in 15 s with it.
    solver.parameters.cp_model_presolve = False
    solver.parameters.max_time_in_seconds = seconds
    return solver if solver.solve(m.model) == cp_model.OPTIMAL else None


def _plan_of(m: PltModel, solver: cp_model.CpSolver, plan: Plan) -> Plan:
    def value(x: object) -> int:
        return x if isinstance(x, int) else int(solver.value(x))

    new = plan.model_copy(deep=True)
    new.afternoons, new.runs = extract.afternoons(m, value), extract.course_runs(m, value)
    new.on_site, new.cover, new.score = extract.on_site(m, value), extract.cover(m, value), None
    new.solver = SolverReport(name="cpsat-suggest", status="OPTIMAL", objective=round(solver.objective_value),
                              bound=solver.best_objective_bound, gap=0.0)
    return new


def _fixed_values(m: PltModel, plan: Plan) -> tuple[list, np.ndarray]:
    """The plan's decision variables and one value per model variable (the decisions' set)."""
    plan_values = _plan_values(m, plan)
    values = np.zeros(len(m.model.proto.variables), dtype=np.int64)
    for var, value in plan_values.items():
        values[var.index] = value
    return list(plan_values), values


def _objective_of(m: PltModel, decisions: list, values: np.ndarray, seconds: float) -> int:
    """The model's objective for the plan (as `_fixed_values` gives it) as it stands."""
    with fixed_except(m.model.proto, decisions, set(), values):
        solved = _solve(m, seconds)
    if solved is None:
        raise ValueError("the plan does not fit this scenario; re-solve it first")
    return round(solved.objective_value)


def suggest_runs(scenario: Scenario, plan: Plan, course: str, seconds: float = 10.0) -> list[Option]:
    """Places for one more run of `course`, best first (most negative change).

    One model serves every place: for each place in turn the plan's decisions are fixed on the
    model's own domains (`hints.fixed_except`), the run count there one higher, and the trainers
    and seats of that course and session left free. Building the model again for each place took
    most of the time (Norwich, 64 places: 42 s, of which 26 s building and 6 s solving; now 4 s)."""
    instance = build_instance(scenario)
    m, _ = build_model(instance)
    decisions, values = _fixed_values(m, plan)
    base = _objective_of(m, decisions, values, seconds)
    places = {}
    for key in [k for k in m.runs if k[2] == course]:
        event, wave, _, start, _ = key
        extra = m.runs[key]
        if values[extra.index] + 1 > max(m.model.proto.variables[extra.index].domain):
            continue  # every room of that class, or every trainer of the course, already runs it
        free = {v.index for k, v in m.teaches.items() if (k[0], k[1], k[3], k[4]) == (event, wave, course, start)}
        free |= {v.index for k, v in m.seats.items() if (k[0], k[1], k[4], k[5]) == (event, wave, course, start)}
        places[key] = free
    # Fixing every decision takes longer than solving, so the decisions no place frees are fixed
    # once, and only the few that some place frees are fixed again for each place.
    moving = {m.runs[key].index for key in places}.union(*places.values())
    some = [var for var in decisions if var.index in moving]
    options = []
    with fixed_except(m.model.proto, decisions, moving, values):
        for key, free in places.items():
            event, wave, _, start, cls = key
            more = values.copy()
            more[m.runs[key].index] += 1
            with fixed_except(m.model.proto, some, free, more):
                solver = _solve(m, seconds)
            if solver is not None:
                rooms = () if cls == VIRTUAL else instance.room_classes[cls].rooms
                objective = round(solver.objective_value)
                options.append(Option(event, wave, instance.blocks[start], rooms, objective, objective - base,
                                      _plan_of(m, solver, plan)))
    return sorted(options, key=lambda o: (o.change, o.event, o.wave, o.block, o.room_class))


@dataclass(frozen=True)
class AfternoonOption:
    event: str  # the new afternoon's id once later afternoons are renumbered
    after: str | None  # the afternoon (old id) it follows; None when it comes first
    dates: tuple[dt.date, ...]  # its waves' dates
    objective: int
    change: int
    scenario: Scenario  # the scenario with the afternoon added
    plan: Plan  # the plan with the afternoon added, everything else as before


def with_afternoon(scenario: Scenario, kind: EventKind, position: int) -> tuple[Scenario, dict[str, str]]:
    """The scenario with one more afternoon of `kind` at `position` in the sequence, and the
    renaming of the old afternoon ids (later ones move up by one)."""
    kinds = scenario.programme.kinds()
    renamed = {f"plt-{i + 1}": f"plt-{i + 2 if i >= position else i + 1}" for i in range(len(kinds))}
    kinds.insert(position, kind)
    programme = scenario.programme.model_copy(update={
        "sequence": kinds,
        "external_afternoons": kinds.count(EventKind.external),
        "internal_afternoons": kinds.count(EventKind.internal),
    })
    pins = [Pin(event=renamed.get(p.event, p.event), date=p.date) for p in scenario.pins]
    return scenario.model_copy(update={"programme": programme, "pins": pins}), renamed


def _renamed(plan: Plan, renamed: dict[str, str]) -> Plan:
    new = plan.model_copy(deep=True)
    for item in (*new.afternoons, *new.runs, *new.on_site, *new.cover):
        item.event = renamed.get(item.event, item.event)
    return new


def _variables_of(m: PltModel, event: str) -> set[int]:
    groups = (m.on_date, m.in_wave, m.covers, m.runs, m.teaches, m.seats, m.on_site, m.visits)
    return {var.index for group in groups for key, var in group.items()
            if key[0] == event and not isinstance(var, int)}


def suggest_afternoons(scenario: Scenario, plan: Plan, kind: EventKind, seconds: float = 20.0) -> list[AfternoonOption]:
    """Places for one more afternoon of `kind`, best first (most negative change); places where
    no date keeps the spacing to the plan's fixed afternoons are left out."""
    base_model, _ = build_model(build_instance(scenario))
    base = _objective_of(base_model, *_fixed_values(base_model, plan), seconds)
    events = [event for event, _ in scenario.event_ids()]
    options = []
    for position in range(len(events) + 1):
        bigger, renamed = with_afternoon(scenario, kind, position)
        new_event = f"plt-{position + 1}"
        instance = build_instance(bigger)
        if not instance.dates.get(new_event):
            continue
        m, _ = build_model(instance)
        decisions, values = _fixed_values(m, _renamed(plan, renamed))
        with fixed_except(m.model.proto, decisions, _variables_of(m, new_event), values):
            solver = _solve(m, seconds)
        if solver is None:
            continue
        new_plan = _plan_of(m, solver, plan)
        afternoon = next(a for a in new_plan.afternoons if a.event == new_event)
        objective = round(solver.objective_value)
        options.append(AfternoonOption(new_event, events[position - 1] if position else None,
                                       tuple(w.date for w in afternoon.waves), objective, objective - base,
                                       bigger, new_plan))
    return sorted(options, key=lambda o: (o.change, o.dates))
