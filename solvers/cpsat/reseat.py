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

from dataclasses import replace

import numpy as np
from ortools.sat.python import cp_model

from ..base import SolveOptions
from .hints import fixed_except, plan_objective, solve_fixed
from .model import PltModel

# Share of the time limit kept from the search for the seats, when it is at least SEATS_FROM
# seconds: HiGHS's root on Norwich's seats takes about 5 s before its first better plan.
SEATS_SHARE = 0.15
SEATS_FROM = 6.0
# Only small models: Norwich has 12,485 variables. Norfolk and Waveney (72,098) leaves its seats
# at their optimum for its runs after 60 s (HiGHS proves it in 1.1 s), so the time is better
# spent searching there.
SEATS_UP_TO = 20_000
# With one worker, HiGHS stops after this many branch-and-bound nodes rather than on the clock,
# so that the same seed still gives the same plan (on Norwich its better plans come at the root).
NODES_ONE_WORKER = 20


def seats_step_seconds(m: PltModel, options: SolveOptions) -> float:
    """Seconds kept from the search for the seats (0: no seats step on this model)."""
    seconds = SEATS_SHARE * options.time_limit
    if not options.lns or len(m.model.proto.variables) > SEATS_UP_TO or not m.seats or seconds < SEATS_FROM:
        return 0.0
    return seconds


def seat_decisions(m: PltModel) -> set[int]:
    return {var.index for var in m.seats.values()}


def share_seats_again(m: PltModel, values: np.ndarray, decisions: list[cp_model.IntVar],
                      options: SolveOptions, seconds: float) -> tuple[np.ndarray, bool]:
    """The plan `values` (one per variable) with its seats shared out again within `seconds`
    (with one worker: NODES_ONE_WORKER nodes). Returns the values, better or the same, and
    whether Ctrl-C came."""
    from ..highs import _FEASIBLE_SOLUTION, _Run  # lazily: the HiGHS back end imports this package
    from ..highs.translate import translate

    proto = m.model.proto
    before = plan_objective(proto, values)
    with fixed_except(proto, decisions, seat_decisions(m), values):
        mip = translate(proto)  # one column per variable
    one = options.workers <= 1
    run = _Run(mip, replace(options, time_limit=4 * seconds + 10 if one else seconds, workers=1,
                            extra={}, on_progress=None))
    if one:
        run.highs.setOptionValue("mip_max_nodes", NODES_ONE_WORKER)
    run.solve(np.arange(len(values), dtype=np.int32), values.astype(np.float64))  # the plan as MIP start
    interrupted = run.stop.is_set()
    if run.highs.getInfo().primal_solution_status != _FEASIBLE_SOLUTION:
        return values, interrupted
    found = np.rint(np.asarray(run.highs.getSolution().col_value)).astype(np.int64)
    # CP-SAT's own values for HiGHS's decisions (rounded floating point); None if it breaks a rule.
    accepted = solve_fixed(m, decisions, found)
    if accepted is None or plan_objective(proto, accepted) >= before - 0.5:
        return values, interrupted
    return accepted, interrupted
