"""Hints: a previous plan (a baseline, or the greedy plan) given to CP-SAT as a starting point.

Every decision variable gets the value the plan implies, so a complete, feasible plan becomes
CP-SAT's first solution and re-planning starts from what was published.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

from models.plan import Plan

from ..base import cpsat_limit, cpsat_solve, cpu_net, run_interruptibly
from .external import VIRTUAL
from .model import PltModel


def add_hints(m: PltModel, plan: Plan) -> None:
    """Hint every decision the plan implies. The pairs go onto the proto in one call at the end:
    at 430 practices (328,725 hints) `CpModel.add_hint` one by one took 2 s."""
    inst = m.instance
    block_index = {b: i for i, b in enumerate(inst.blocks)}
    room_class = {room: k.index for k in inst.room_classes for room in k.rooms}
    dates = {(a.event, w.number): w.date for a in plan.afternoons for w in a.waves}
    members = {(a.event, p, w.number) for a in plan.afternoons for w in a.waves for p in w.practices}
    hints: list[tuple[cp_model.IntVar, int]] = []
    hints += [(var, dates.get((event, wave)) == day) for (event, wave, day), var in m.on_date.items()]
    hints += [(var, key in members) for key, var in m.in_wave.items() if not isinstance(var, int)]
    runs: Counter = Counter()
    teaches: set = set()
    seats: Counter = Counter()
    for run in plan.runs:
        start = block_index.get(run.blocks[0])
        cls = VIRTUAL if run.room is None else room_class.get(run.room)
        runs[run.event, run.wave, run.course, start, cls] += 1
        teaches.add((run.event, run.wave, run.trainer, run.course, start))
        for seat in run.seats:
            seats[run.event, run.wave, seat.practice, seat.role, run.course, start] += seat.count
    hints += [(var, runs[key]) for key, var in m.runs.items()]
    hints += [(var, key in teaches) for key, var in m.teaches.items()]
    hints += [(var, seats[key]) for key, var in m.seats.items()]
    visits = {(o.event, o.wave, o.practice, o.course, o.trainer) for o in plan.on_site}
    visited = {v[:4] for v in visits}
    hints += [(var, key in visits) for key, var in m.visits.items()]
    hints += [(var, key in visited) for key, var in m.on_site.items()]
    cover = {(c.event, c.wave, c.practice, c.provider) for c in plan.cover}
    if len(inst.scenario.cover_providers) > 1:  # with one provider, cover is the wave itself
        hints += [(var, key in cover) for key, var in m.covers.items() if not isinstance(var, int)]
    hint = m.model.proto.solution_hint
    for var, value in hints:  # as `CpModel.add_hint`: a negated Boolean's hint goes on the variable
        if var.index >= 0:
            hint.vars.append(var.index)
            hint.values.append(int(value))
        else:
            hint.vars.append(-var.index - 1)
            hint.values.append(int(not value))


def complete_hints(m: PltModel, seconds: float = 10.0, clock: float | None = None) -> bool:
    """Turn a hint on the decisions into a hint on every variable.

    CP-SAT takes a complete, feasible hint as its first solution at once; a partial one it must
    complete by search, which on a model of this size may not finish. The model is solved with
    its hinted variables fixed at their hints (CP-SAT's fix_variables_to_their_hinted_value), so
    the solve is propagation and the least objective for those decisions. Returns False (and
    leaves the partial hint) when the hinted plan does not fit the model.

    Before, the 328,725 decisions at 430 practices were fixed on the domains of a copy of the
    model: that completion took 4.1-4.3 s, this one 1.7-2.2 s, with the same objective, proven.
    `clock`: it also stops after that many seconds on the clock (a solve's deadline), and then
    returns False."""
    proto = m.model.proto
    hinted = np.asarray(proto.solution_hint.vars, dtype=np.int64)
    if not len(hinted):
        return False
    if hinted.min() < 0 or hinted.max() >= len(proto.variables):  # the proto's list does not check its indices
        return False
    solver, net = _completion_solver(seconds)
    if clock is not None:
        solver.parameters.max_time_in_seconds = min(solver.parameters.max_time_in_seconds, max(clock, 0.01))
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = _solve(solver, m.model, net)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    hint_every_variable(proto, np.asarray(solver.response_proto.solution, dtype=np.int64))
    m.hint_exact = status == cp_model.OPTIMAL
    return True


def _solve(solver: cp_model.CpSolver, model: cp_model.CpModel, net: float | None) -> int:
    """Solve, within the CPU net `net` (solvers.base.cpu_net); Ctrl-C stops the solve and is
    raised after it as KeyboardInterrupt, for the solve around it to keep its start plan
    (StartPlans): the nearest plan to a baseline can take most of a what-if's limit."""
    result: dict[str, int] = {}
    with cpu_net(net, solver.stop_search):
        if run_interruptibly(lambda: result.setdefault("status", solver.solve(model)), solver.stop_search):
            raise KeyboardInterrupt
    return result["status"]


def _completion_solver(seconds: float, workers: int = 1) -> tuple[cp_model.CpSolver, float | None]:
    """The solver and its CPU net: one worker stops on deterministic time, so that the same plan
    comes back on any machine load, with CPU time only as a safety net (solvers.base.cpu_net);
    more workers stop on wall-clock time. Ctrl-C is the solve's (`_solve`), so CP-SAT does not catch it."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.catch_sigint_signal = False
    return solver, cpsat_limit(solver.parameters, seconds, workers == 1)


def _hint_from_copy(m: PltModel, copy: cp_model.CpModel, seconds: float, workers: int = 1) -> int | None:
    """Solve the copy; if it has a plan, hint every variable of the model with its value there
    and return the solve's status (None: no plan).

    One worker stops on deterministic time, so that the same plan comes back on any machine load
    (the nearest plan is often not proven within it), with CPU time only as a safety net
    (`_completion_solver`); more workers stop on wall-clock time. The values go onto the hint in one call (at 430
    practices, reading and hinting them one variable at a time took 3.4 s)."""
    solver, net = _completion_solver(seconds, workers)
    status = _solve(solver, copy, net)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    solution = np.asarray(solver.response_proto.solution, dtype=np.int64)
    hint_every_variable(m.model.proto, solution[:len(m.model.proto.variables)])
    return status


def nearest_to_hint(m: PltModel, distance: cp_model.LinearExprT, seconds: float = 10.0, workers: int = 1) -> bool:
    """When the baseline no longer fits (a trainer dropped, cover halved), find the plan nearest
    to it, by `distance`, from the model's hint, and hint that one completely instead."""
    copy = m.model.clone()
    copy.minimize(distance)  # the copy keeps variable indices, so the expression reads the same
    found = _hint_from_copy(m, copy, seconds, workers) is not None
    if found:
        m.hint_exact = False  # the hint is now the nearest plan, not the least for its decisions
    return found


def complete_hint_values(m: PltModel) -> np.ndarray | None:
    """The hinted plan as one value per variable, when the hint is complete."""
    hint = m.model.proto.solution_hint
    n = len(m.model.proto.variables)
    if len(hint.vars) != n:
        return None
    values = np.zeros(n, dtype=np.int64)
    values[np.asarray(list(hint.vars), dtype=np.int64)] = np.asarray(list(hint.values), dtype=np.int64)
    return values


def hint_every_variable(proto: cmh.CpModelProto, values: np.ndarray) -> None:
    """Replace the hint by a plan given as one value per variable (written on the proto at once)."""
    hint = proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend(range(len(proto.variables)))
    hint.values.extend(values.tolist())


def plan_objective(proto: cmh.CpModelProto, values: np.ndarray) -> float:
    """The model's objective at a plan given as one value per variable."""
    objective = proto.objective
    variables = np.asarray(list(objective.vars), dtype=np.int64)
    coeffs = np.asarray(list(objective.coeffs), dtype=np.int64)
    return float(values[variables] @ coeffs + objective.offset)


@contextmanager
def fixed_except(proto: cmh.CpModelProto, decisions: list[cp_model.IntVar], free: set[int],
                 values: np.ndarray) -> Iterator[None]:
    """Every decision but those in `free` fixed at its value in `values`, on the proto's own
    domains (no copy of the model), and the domains restored on leaving."""
    kept: dict[int, list[int]] = {}
    for var in decisions:
        i = var.index
        if i not in free:
            domain = proto.variables[i].domain
            kept[i] = list(domain)
            domain.clear()
            domain.extend((int(values[i]), int(values[i])))
    try:
        yield
    finally:
        for i, domain in kept.items():
            proto.variables[i].domain.clear()
            proto.variables[i].domain.extend(domain)


def solve_fixed(m: PltModel, decisions: list[cp_model.IntVar], values: np.ndarray,
                free: set[int] | frozenset[int] = frozenset(),
                objective: cp_model.LinearExprT | None = None, seconds: float = 10.0) -> np.ndarray | None:
    """One value per variable: CP-SAT's optimum, on a copy of the model, with every decision but
    those in `free` fixed at its value in `values`, of the model's objective or of `objective`
    (minimised); None unless proven optimal in `seconds` (deterministic time)."""
    copy = m.model.clone()  # same variable indices
    copy.clear_hints()
    for var in decisions:
        if var.index not in free:
            copy.add(copy.get_int_var_from_proto_index(var.index) == int(values[var.index]))
    if objective is not None:
        copy.minimize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if cpsat_solve(solver, copy, cpsat_limit(solver.parameters, seconds, True)) != cp_model.OPTIMAL:
        return None
    return np.asarray(solver.response_proto.solution, dtype=np.int64)
