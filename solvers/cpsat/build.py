"""Builds the whole CP-SAT model for an instance: rules in dependency order, then the objective."""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from models.plan import Plan

from ..instance import Instance
from . import cover, dates, demand, external, internal, trainers
from .model import PltModel
from .objective import objective_terms, set_objective

RULES = (
    dates.choose_dates,
    dates.waves_in_order,
    dates.afternoons_too_close,
    dates.practices_close_once_per_event,
    cover.every_closed_practice_covered,
    cover.cover_over_capacity,
    external.course_runs,
    external.room_double_booked,
    external.trainer_for_every_run,
    external.seats_in_runs,
    external.person_in_two_runs,
    internal.on_site_courses,
    trainers.trainer_limits,
    demand.demand_met,
)


def build_model(instance: Instance, baseline: Plan | None = None, cuts: bool = True,
                between: Callable[[], None] | None = None,
                ) -> tuple[PltModel, dict[str, tuple[int, cp_model.LinearExpr]]]:
    """`cuts`: add the valid inequalities that only tighten the LP relaxation (tests compare
    without). `between` runs after each rule; it may raise to stop the building (a solve whose
    time limit is spent, StartPlans.check)."""
    m = PltModel(instance, baseline)
    between = between or (lambda: None)
    for rule in RULES:
        rule(m)
        between()
    if cuts:
        demand.runs_or_unmet(m)
        between()
    # the objective's terms and the objective itself: at 1,500 practices 7.6 s and 5.0 s (with
    # pyinstrument), where a re-plan's limit ran out and was passed by 6.8-11 s without a look
    # at the clock in between
    terms = objective_terms(m)
    between()
    set_objective(m, terms)
    between()
    if cuts:
        dates.spread_as_paths(m, terms["spread"][1])
    return m, terms
