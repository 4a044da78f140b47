"""After the search: the trainers of the plan chosen again, everything else kept.

Trainer cost weighs little in the objective next to unmet demand, and on a large model CP-SAT's
portfolio spends its time on the rest: at 430 generated practices a plan after 300 s paid
315,860 for trainers where the same runs and visits could be taught for 271,260 (and broke
fewer weekday preferences). With the plan's dates, waves, cover, runs, seats and on-site
courses fixed, choosing who teaches each run and makes each visit is a small assignment
problem (yearly and per-afternoon limits, one place per block, availability): CP-SAT solves it
to optimality in 14 s on one worker at 430 practices and in 0.5 s on Norfolk and Waveney.

The structured steps (lns.py) already choose trainers again with each course cluster they free,
so this runs when they did not: on two or more workers above STEPS_BESIDE_UP_TO model variables
(solvers/base.py; 430 practices were above it when this was measured), or with `--no-lns`. Its
share of the time limit is kept from the search.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ..base import SolveOptions, cpsat_limit, cpu_net, run_interruptibly
from .hints import fixed_except, hint_every_variable, plan_objective
from .model import PltModel

# Share of the time limit kept from the search for choosing trainers again (430 practices, 300 s:
# 30 s, of which the assignment to optimality took 14 s on one worker).
TRAINERS_SHARE = 0.1


def trainer_decisions(m: PltModel) -> set[int]:
    """Variable indices of who teaches each run and who makes each visit."""
    return {var.index for var in m.teaches.values()} | {var.index for var in m.visits.values()}


def choose_trainers_again(m: PltModel, values: np.ndarray, decisions: list[cp_model.IntVar],
                          options: SolveOptions, seconds: float) -> tuple[np.ndarray, bool]:
    """The plan `values` (one per variable) with its trainers chosen again within `seconds`:
    every other decision is fixed at its value there (on the variables' domains, restored
    after). Returns the values, better or the same, and whether Ctrl-C came."""
    proto = m.model.proto
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = options.seed
    params.cp_model_presolve = False  # 14 s to optimality at 430 practices; with presolve not in 60 s
    params.catch_sigint_signal = False
    net = cpsat_limit(params, seconds, params.num_workers == 1)  # one worker: deterministic, as the search before it
    result: dict[str, int] = {}
    with fixed_except(proto, decisions, trainer_decisions(m), values), cpu_net(net, solver.stop_search):
        hint_every_variable(proto, values)
        interrupted = run_interruptibly(lambda: result.setdefault("status", solver.solve(m.model)),
                                        solver.stop_search)
    before = plan_objective(proto, values)
    if result.get("status") in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = np.asarray(solver.response_proto.solution, dtype=np.int64)
        if plan_objective(proto, found) < before - 0.5:
            return found, interrupted
    return values, interrupted
