"""Solve, score and check in one place, so that every command that makes a plan holds it to
the independent checker and reports the same score."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.checker import Violation, check_plan
from models.plan import Plan
from models.scenario import Scenario
from models.score import score_plan
from solvers.base import SolveOptions, get_solver
from solvers.decompose import PART_PRACTICES, solve_decomposed


@dataclass
class Outcome:
    plan: Plan
    violations: list[Violation]

    @property
    def solved(self) -> bool:
        return self.plan.solver.status in ("OPTIMAL", "FEASIBLE")


def solve_and_check(scenario: Scenario, solver: str, options: SolveOptions, baseline: Plan | None = None,
                    decomposed: bool = False, engine: str = "local", part_practices: int = PART_PRACTICES) -> Outcome:
    if decomposed:
        plan = solve_decomposed(scenario, options, engine, part_practices=part_practices)
    else:
        plan = get_solver(solver).solve(scenario, options)
    plan.solver.finished = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if plan.solver.status not in ("OPTIMAL", "FEASIBLE"):
        return Outcome(plan, [])
    plan.score = score_plan(scenario, plan, baseline)
    return Outcome(plan, check_plan(scenario, plan))
