"""Why a scenario has no plan, in a coordinator's words.

Checks go from cheap to dear: the scenario's own cross-checks (a course no trainer can teach,
a room too small, cover below the largest practice); the calendar (no candidate afternoon, or
too few once spaced, also where one wave closes the whole area together); then the CP-SAT model
with one assumption literal per mandatory course (rule H6), reduced with
`sufficient_assumptions_for_infeasibility` and then one by one, so that the list is small; for
each course left, what the year can reach at most. "A plan exists" is said only of a plan found:
greedy's, passing the checker, or else the model's without an objective.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from models import Scenario
from models.consistency import calendar_room, closing_room, trainers_away
from solvers.cpsat.build import build_model
from solvers.instance import build_instance


def calendar_conflicts(s: Scenario) -> list[str]:
    """No candidate afternoon, or too few the spacing apart: the check `validate` makes."""
    return [f"{p.message}." for p in calendar_room(s)]


def closing_conflicts(s: Scenario) -> list[str]:
    """A practice, or with one wave the whole area, that cannot close often enough, or a mandatory
    course whose trainers are away on every candidate afternoon: the checks `validate` makes."""
    return [p.message for p in closing_room(s) + trainers_away(s)]


def mandatory_conflicts(s: Scenario, seconds: float = 30.0) -> list[str] | None:
    """Courses whose mandatory demand cannot all be met together; None when no plan is found either way."""
    if s.policy.mandatory != "hard":
        return []
    soft = s.model_copy(deep=True)
    soft.policy.mandatory = "soft"
    m, _ = build_model(build_instance(soft))
    m.model.clear_objective()
    literals: dict[int, str] = {}
    for course in (c for c in s.courses if c.mandatory):
        unmet = [u for (p, r, c), u in m.unmet.items() if c == course.id]
        if unmet:
            lit = m.model.new_bool_var(f"all_due_trained({course.id})")
            m.model.add(sum(unmet) == 0).only_enforce_if(lit)
            literals[lit.index] = course.id
    core = _core(m.model, list(literals), seconds)
    if core is None:
        return None
    return [_shortfall(soft, literals[i], seconds) for i in core]


def _solver(seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = seconds
    return solver


def _core(model: cp_model.CpModel, literals: list[int], seconds: float) -> list[int] | None:
    def infeasible(subset: list[int]) -> bool | None:
        model.clear_assumptions()
        model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in subset])
        status = _solver(seconds).solve(model)
        return None if status == cp_model.UNKNOWN else status == cp_model.INFEASIBLE

    model.add_assumptions([model.get_bool_var_from_proto_index(i) for i in literals])
    solver = _solver(seconds)
    status = solver.solve(model)
    if status != cp_model.INFEASIBLE:
        return [] if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    core = [i for i in literals if i in set(solver.sufficient_assumptions_for_infeasibility())]
    for i in list(core):  # drop what the conflict does not need
        rest = [j for j in core if j != i]
        if rest and infeasible(rest):
            core = rest
    return core


def _shortfall(s: Scenario, course_id: str, seconds: float) -> str:
    m, _ = build_model(build_instance(s))
    course = s.course(course_id)
    due = sum(d for (p, r, c), d in m.instance.demand.items() if c == course_id)
    m.model.maximize(sum(met for (p, r, c), met in m.met.items() if c == course_id))
    solver = _solver(seconds)
    solver.solve(m.model)
    reach = int(min(solver.best_objective_bound, due))
    rooms = [r.name for _, r in s.all_rooms() if set(course.room_features) <= set(r.features)]
    trainers = [t.name for t in s.trainers if course.needed_skill in t.skills]
    where = f" in {len(rooms)} suitable room(s)" if course.delivery.value == "face_to_face" else ""
    # only the afternoons it can run at: runs at external ones, visits at internal ones
    kinds = [(n, kind) for n, kind, runs in ((s.programme.external_afternoons, "external", course.external),
                                             (s.programme.internal_afternoons, "internal", course.runs_on_site)) if runs]
    total = sum(n for n, _ in kinds)
    afternoons = (" and ".join(f"{n} {kind}" for n, kind in kinds) + f" afternoon{'s' * (total != 1)}" if kinds
                  else "no afternoon it can run at")
    more = f"more {' or '.join(kind for _, kind in kinds)} afternoons" if kinds else "more afternoons"
    return (f"{course.name} is mandatory for {due:,} staff this year, but at most {reach:,} can be reached: "
            f"{len(trainers)} trainer(s) with the skill{where}, {afternoons}. Add a trainer or room, {more}, "
            "or make mandatory training soft (policy.mandatory: soft).")


def plan_found(s: Scenario, seconds: float) -> list[str] | None:
    """[] when a plan keeps every hard rule: greedy's, if the checker passes it, or else the
    model's without an objective; a line when the model has none; None when the search could not
    tell in time."""
    from models.checker import check_plan
    from solvers.base import SolveOptions
    from solvers.greedy import GreedySolver

    plan = GreedySolver().solve(s, SolveOptions(time_limit=seconds, workers=1))
    if plan.solver.status == "FEASIBLE" and not check_plan(s, plan):
        return []
    m, _ = build_model(build_instance(s))
    m.model.clear_objective()
    status = _solver(seconds).solve(m.model)
    if status == cp_model.INFEASIBLE:
        return [("No plan keeps every hard rule (H1 to H6), and no single cause was isolated: try the scenario "
                 "without its latest edits, one at a time, to find the one that breaks it.")]
    return [] if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def explain(s: Scenario, seconds: float = 30.0) -> list[str] | None:
    """The conflicting rules ([] when a plan exists; None when the search could not tell in time)."""
    found = calendar_conflicts(s) or closing_conflicts(s) or mandatory_conflicts(s, seconds)
    return found if found is None or found else plan_found(s, seconds)

