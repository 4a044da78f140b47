"""After the search: the plan's seats shared out again by HiGHS, every other decision kept.

On Norwich the search leaves its plans furthest from the best in the seats, not in the runs:
every 60 s plan measured meets the least unmet demand any plan can (5,119, probe.py), and what
separates one seed's plan from another's is the max-min equity of who gets the seats. Seed 1's
60 s plan (614,994: worst practice 371 per mille, worst role 334) and seed 0's (610,942: 276 and
226) paid the same for cover, trainers and rooms. With their dates, runs, trainers and visits
fixed, sharing out the seats is a MIP whose LP relaxation is tight (seed 1: 610,331 against
its optimum 610,394), and HiGHS's root heuristics (a sub-MIP) find 610,394 and 610,282 in 5.4 s
and 4.9 s on one thread. CP-SAT on the same seats on two workers improved seed 0's earlier plan
(610,434) only after 13 s; HiGHS proved 610,274 optimal for its runs in 47 s.

HiGHS spends those 5 s on cutting planes at the root before its sub-MIP runs, so the step first
rounds the seats' LP itself: with every other decision fixed the LP takes 0.3 s and leaves about
100 of Norwich's 9,729 seat columns fractional; HiGHS then searches only the plans whose seats
are the LP's rounded down or up (RENS), a MIP it solves at its root. From four plans of 10 s
and 30 s searches (619,712 / 616,162 / 615,954 / 614,262) that gave 615,672 / 610,942 / 610,834
/ 610,682 in 0.6-1.0 s each; HiGHS over every seat took 6.5 s to reach 610,834 from the third.
So the step now runs at shorter limits too: the rounding alone when less than WHOLE_FROM
seconds would be kept, HiGHS over every seat after it when more.

The step keeps its share of the time limit from the search, on models up to SEATS_UP_TO
variables, and keeps the plan it finds only when CP-SAT, with every decision fixed at it,
accepts the plan and scores it better. Norwich, 60 s, two workers, seeds 0 to 3 (the search
51 s, then the seats 9 s): 610,394 / 610,374 / 610,264 / 610,274 (mean 610,327; from 610,954 /
619,974 / 610,344 / 619,874 after the search) against 610,942 / 614,894 / 610,344 / 616,414
(mean 613,149) with the whole 60 s for the search; again in a later run 610,394 / 610,524 /
610,266 / 610,274. At 300 s (seed 0) 610,274, from 610,954 after the search. 610,264 is the best
Norwich plan known.

Measured and not kept (Norwich, 60 s, two workers, seeds 0 to 3, one session):
- the steps (lns.py) sharing out the seats with HiGHS on their own thread whenever they had
  found nothing better for a tenth of their time, beside the full search, as well as this step
  after it: 610,338 / 610,374 / 610,494 / 610,282, no better; the step after the search then
  found nothing in any run;
- the same without the step after it (the search had all 60 s, and the steps shared out the
  seats once more in their last 9 s): 610,684 / 639,922 / 610,494 / 610,394. Seed 1's plan
  ended with an unmet term of 5,415 (5,119 in every other run), its steps having run HiGHS
  three times (one better);
- CP-SAT's lower-bound tree search (optimize_with_lb_tree_search) for the full model beside the
  steps, to lift the bound: 609,964 / 609,932 / 609,660 / 609,956 against 609,924 / 609,656 /
  609,924 / 609,922, and 609,964 against 609,924 at 300 s (seed 0). Alone on one worker from a
  610,394 plan it reached 610,076 in 120 s: nowhere near a proof in the time a coordinator waits.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from ortools.sat.python import cp_model

from ..base import SolveOptions, cpu_net, highs_limit
from .hints import fixed_except, plan_objective, solve_fixed
from .model import PltModel
from .probe import TOLERANCE, Relaxation

# Time kept from the search for the seats: SEATS_SHARE of the limit when that is at least
# WHOLE_FROM seconds (the rounding, then HiGHS over every seat: its root on Norwich's seats takes
# about 5 s before its first better plan); else ROUNDING seconds for the rounding alone (0.5 to
# 1.5 s in whole Norwich solves, with CP-SAT's check of the plan), when they are at most
# SEATS_SHARE of the limit.
SEATS_SHARE = 0.15
WHOLE_FROM = 6.0
ROUNDING = 1.0
# Only small models: Norwich has 12,485 variables. Norfolk and Waveney (72,098) leaves its seats
# at their optimum for its runs after 60 s (HiGHS proves it in 1.1 s), so the time is better
# spent searching there.
SEATS_UP_TO = 20_000
# With one worker, HiGHS stops after this many branch-and-bound nodes rather than on the clock,
# so that the same seed still gives the same plan (on Norwich its better plans come at the root).
NODES_ONE_WORKER = 20


def seats_step_seconds(m: PltModel, options: SolveOptions) -> float:
    """Seconds kept from the search for the seats (0: no seats step on this model)."""
    share = SEATS_SHARE * options.time_limit
    if not options.lns or len(m.model.proto.variables) > SEATS_UP_TO or not m.seats or share < ROUNDING:
        return 0.0
    return share if share >= WHOLE_FROM else ROUNDING


def seat_decisions(m: PltModel) -> set[int]:
    return {var.index for var in m.seats.values()}


def share_seats_again(m: PltModel, values: np.ndarray, decisions: list[cp_model.IntVar],
                      options: SolveOptions, seconds: float) -> tuple[np.ndarray, bool]:
    """The plan `values` (one per variable) with its seats shared out again within `seconds`
    (with one worker: NODES_ONE_WORKER nodes a MIP): first the seats' LP rounded, then, when
    WHOLE_FROM seconds are kept, HiGHS over every seat from the better plan. Returns the values,
    better or the same, and whether Ctrl-C came."""
    from ..highs.translate import translate  # lazily: the HiGHS back end imports this package

    started = time.perf_counter()
    proto = m.model.proto
    free = seat_decisions(m)
    with fixed_except(proto, decisions, free, values):
        mip = translate(proto)  # one column per variable
    before = plan_objective(proto, values)
    best, objective = values, before
    seats = np.fromiter(sorted(free), dtype=np.int64)
    found, interrupted = _rounded(mip, seats, values, options, seconds)
    if found is not None and found[1] < objective - 0.5:
        best, objective = found
    if seconds >= WHOLE_FROM and not interrupted:
        # one worker: the node limit stops it, so the clock does not decide its share either
        left = seconds - (time.perf_counter() - started) if options.workers > 1 else seconds
        found, interrupted = _solved(mip, best, options, left)
        if found is not None and found[1] < objective - 0.5:
            best, objective = found
    if best is values:
        return values, interrupted
    # CP-SAT's own values for HiGHS's decisions (rounded floating point); None if it breaks a rule.
    accepted = solve_fixed(m, decisions, best)
    if accepted is None or plan_objective(proto, accepted) >= before - 0.5:
        return values, interrupted
    return accepted, interrupted


def _rounded(mip, seats: np.ndarray, values: np.ndarray, options: SolveOptions,
             seconds: float) -> tuple[tuple[np.ndarray, float] | None, bool]:
    """The best plan whose seats are the LP relaxation's, each rounded down or up (HiGHS over
    that box; in the literature, RENS). On Norwich about 100 of the 9,729 seat columns come out
    fractional, so the box is a small MIP that HiGHS solves at its root."""
    _, x = Relaxation(mip).solve()
    if x is None:
        return None, False
    lower, upper = mip.col_lower.copy(), mip.col_upper.copy()
    lower[seats] = np.maximum(lower[seats], np.floor(x[seats] + TOLERANCE))
    upper[seats] = np.minimum(upper[seats], np.ceil(x[seats] - TOLERANCE))
    return _solved(replace(mip, col_lower=lower, col_upper=upper), values, options, seconds)


def _solved(mip, start: np.ndarray, options: SolveOptions,
            seconds: float) -> tuple[tuple[np.ndarray, float] | None, bool]:
    """HiGHS on `mip` from the plan `start` (ignored by HiGHS where it leaves the MIP's bounds):
    its best plan, rounded, with its objective, or None; and whether Ctrl-C came."""
    from ..highs import _FEASIBLE_SOLUTION, _Run  # lazily: the HiGHS back end imports this package

    one = options.workers <= 1  # then stopped by its nodes, with a net of CPU time
    limit, net = highs_limit(max(0.1, seconds), one)
    run = _Run(mip, replace(options, time_limit=limit, workers=1, extra={}, on_progress=None))
    if one:
        run.highs.setOptionValue("mip_max_nodes", NODES_ONE_WORKER)
    with cpu_net(net, run.halt.set):
        run.solve(np.arange(len(start), dtype=np.int32), start.astype(np.float64))
    interrupted = run.stop.is_set()
    info = run.highs.getInfo()
    if info.primal_solution_status != _FEASIBLE_SOLUTION:
        return None, interrupted
    found = np.rint(np.asarray(run.highs.getSolution().col_value)).astype(np.int64)
    return (found, info.objective_function_value), interrupted
