"""The objective, assembled once: every rule family's penalty term with its policy weight.

The term names and definitions match `models.score` exactly, so the score calculated from
the plan equals the solver's objective.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from . import cover, dates, demand, external, stability, trainers
from .model import PltModel

TERMS = ("unmet", "equity_practice", "equity_role", "cost_cover", "cost_trainers", "cost_rooms",
         "spread", "preferences", "stability")


def objective_terms(m: PltModel) -> dict[str, tuple[int, cp_model.LinearExpr]]:
    """term name -> (weight, raw expression)."""
    w = m.instance.scenario.policy.weights
    return {
        "unmet": (w.unmet, demand.unmet_demand(m)),
        "equity_practice": (w.equity_practice, demand.worst_practice_share(m)),
        "equity_role": (w.equity_role, demand.worst_role_share(m)),
        "cost_cover": (w.cost, cover.cost_of_cover(m)),
        "cost_trainers": (w.cost, trainers.trainer_cost(m)),
        "cost_rooms": (w.cost, external.room_cost(m)),
        "spread": (w.spread, dates.spread_of_afternoons(m)),
        "preferences": (w.preferences, dates.broken_date_preferences(m) + trainers.trainer_weekday_broken(m)),
        "stability": (w.stability, stability.changes_against(m, m.baseline)),
    }


def set_objective(m: PltModel, terms: dict[str, tuple[int, cp_model.LinearExpr]] | None = None,
                  ) -> dict[str, tuple[int, cp_model.LinearExpr]]:
    """Minimise the weighted sum of the terms (`objective_terms` unless given)."""
    terms = terms if terms is not None else objective_terms(m)
    m.model.minimize(sum(weight * expr for weight, expr in terms.values()))
    return terms
