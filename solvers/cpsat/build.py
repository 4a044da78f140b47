"""Builds the whole CP-SAT model for an instance: rules in dependency order, then the objective."""

from __future__ import annotations

from ortools.sat.python import cp_model

from models.plan import Plan

from ..instance import Instance
from . import cover, dates, demand, external, internal, trainers
from .model import PltModel
from .objective import set_objective


def build_model(instance: Instance, baseline: Plan | None = None,
                cuts: bool = True) -> tuple[PltModel, dict[str, tuple[int, cp_model.LinearExpr]]]:
    """`cuts`: add the valid inequalities that only tighten the LP relaxation (tests compare without)."""
    m = PltModel(instance, baseline)
    dates.choose_dates(m)
    dates.waves_in_order(m)
    dates.afternoons_too_close(m)
    dates.practices_close_once_per_event(m)
    cover.every_closed_practice_covered(m)
    cover.cover_over_capacity(m)
    external.course_runs(m)
    external.room_double_booked(m)
    external.trainer_for_every_run(m)
    external.seats_in_runs(m)
    external.person_in_two_runs(m)
    internal.on_site_courses(m)
    trainers.trainer_limits(m)
    demand.demand_met(m)
    if cuts:
        demand.runs_or_unmet(m)
    terms = set_objective(m)
    if cuts:
        dates.spread_as_paths(m, terms["spread"][1])
    return m, terms
