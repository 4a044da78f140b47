"""The CP-SAT back end: builds the model, solves it with progress reports, extracts the plan.

The solve runs in a worker thread so that Ctrl-C in the main thread can stop the search and
keep the best plan found so far.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

from models.checker import check_plan
from models.plan import Plan, SolverReport, scenario_digest
from models.scenario import Scenario

from ..base import (
    NOT_ASKED,
    STEPS_BESIDE_UP_TO,
    Progress,
    SolveOptions,
    cpsat_limit,
    cpsat_solve,
    cpu_net,
    normalise_status,
    run_interruptibly,
)
from ..cheaper_cover import with_cheaper_cover
from ..instance import Instance, build_instance
from ..repair import repaired
from . import extract, pooled
from .build import build_model
from .hints import (
    add_hints,
    complete_hint_values,
    complete_hints,
    hint_every_variable,
    nearest_to_hint,
    plan_objective,
)
from .lns import SessionLns, lns_step_seconds
from .model import PltModel
from .probe import add_unmet_floor
from .reseat import seats_step_seconds, share_seats_again
from .retrain import TRAINERS_SHARE, choose_trainers_again

# Above this many (practice, wave) pairs, wave membership and cover come from the starting plan
# and the model chooses everything else: seats then exist only for the wave a practice closes
# in, which divides the largest group of variables by the number of waves.
FIXED_WAVES_ABOVE = 100
# Seconds a model variable kept from a search for what follows it (`finish_seconds`): 6.1 us a
# variable at 430 practices, with some room.
FINISH_SECONDS_PER_VARIABLE = 7e-6
# Share of the time limit kept from a search with steps for choosing the plan's trainers again
# after it (restaff.py): 1.2 s of a 60 s limit on Norfolk and Waveney, where it takes 0.3 s.
RESTAFF_SHARE = 0.02
# With one worker, the share of the time limit the neighbourhood search has before the full model.
LNS_SHARE = 0.7
# When re-planning and the baseline no longer fits, the share of the time limit the search for the
# plan nearest to it has (see _first_solution).
NEAREST_SHARE = 0.6
# Below this many seconds left on the clock for the search, there is none: the model's complete
# first plan is the plan (a search that short on a large model spends it loading the model).
MIN_SEARCH_SECONDS = 1.0


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, options: SolveOptions) -> None:
        super().__init__()
        self.options = options
        self.found = 0
        self.stopping = threading.Event()
        self.plans_to: SessionLns | None = None  # where better plans go (the steps beside this search)

    def stop(self, solver: cp_model.CpSolver) -> None:
        """Stop the search from another thread, whenever it comes: a callback's own stop_search
        raises before the first solution, and a solver's is lost before its search starts, so
        the next solution stops it then."""
        self.stopping.set()
        solver.stop_search()

    def on_solution_callback(self) -> None:
        self.found += 1
        if self.stopping.is_set():
            self.stop_search()
        if self.plans_to is not None and self.plans_to.wants(self.objective_value):
            self.plans_to.offer(self.objective_value, list(self.response_proto.solution))
        if self.options.on_progress:
            self.options.on_progress(Progress(self.wall_time, self.objective_value, self.best_objective_bound))


# Root LP iterations on small models searched for at least ROOT_LP_FROM seconds (CP-SAT's
# default is 2,000). On Norwich the full search's root LP stopped short of the LP relaxation
# (609,962) in some seeds, and the bound stayed there for the whole run (609,708 for seed 0 in
# every run; one full worker, 20 s, from the earliest dates' start: 609,648 for seed 1); with
# 20,000 it reached 609,962 after 2.8-4.3 s in every seed tried. Norwich 30 s, seeds 0 to 3:
# 610,694 / 610,304 / 610,304 / 610,524 (every bound 609,962) against 610,754 / 610,504 /
# 610,304 / 620,604 (bounds 609,708 / 609,962 / 609,208 / 609,962). At 10 s the full search
# started later and handed the steps fewer plans: seeds 0 to 5, mean 626,704 against 614,877.
ROOT_LP_UP_TO, ROOT_LP_FROM, ROOT_LP_ITERATIONS = 20_000, 20.0, 20_000


def _parameters(solver: cp_model.CpSolver, options: SolveOptions, variables: int | None = None,
                presolve: bool = False) -> float | None:
    """`variables`: the model's, for the settings that depend on its size. `presolve`: CP-SAT's
    presolve on, for a model held to given totals (`pooled.lay_out`); the search's own is off.
    Returns the CPU net of a one-worker solve (solvers.base.cpsat_limit)."""
    params = solver.parameters
    if variables is not None and variables <= ROOT_LP_UP_TO and options.time_limit >= ROOT_LP_FROM:
        params.root_lp_iterations = ROOT_LP_ITERATIONS
    params.num_workers = max(1, int(options.workers))
    # One worker: stop on deterministic time so the same seed gives the same plan on any
    # machine load, with a safety net in CPU time; several: on the clock.
    net = cpsat_limit(params, float(options.time_limit), params.num_workers == 1)
    params.random_seed = int(options.seed)
    # Ctrl-C is ours: the main thread stops the search and keeps the best plan (see run_solver).
    params.catch_sigint_signal = False
    # Measured on Norwich (2 workers, 20 s): with CP-SAT's presolve the root LP splits into
    # components and the bound stalls at 86k against an LP relaxation of 609k; without it the
    # bound reaches 603k and the best plan is 9 % better. See the engine issue's note.
    params.cp_model_presolve = presolve
    # All LP rows from the start (not lazily as cuts): bound 609k and best plan 626k at 20 s,
    # against 653k with lazy rows.
    params.add_lp_constraints_lazily = False
    for name, raw in options.extra.items():  # expert overrides, e.g. linearization_level=2
        if name == "t":
            continue
        current = getattr(params, name)
        setattr(params, name, type(current)(raw) if not isinstance(current, bool) else str(raw).lower() in ("1", "true"))
    return net


def run_solver(model: cp_model.CpModel, options: SolveOptions, on_start: Callable[[], None] | None = None,
               presolve: bool = False) -> tuple[cp_model.CpSolver, int, bool]:
    """Solve, letting Ctrl-C stop the search. Returns the solver, its status and whether it was interrupted."""
    solver = cp_model.CpSolver()
    net = _parameters(solver, options, len(model.proto.variables), presolve)
    reporter = _Reporter(options)
    result: dict[str, int] = {}
    with cpu_net(net, solver.stop_search):
        interrupted = run_interruptibly(lambda: result.setdefault("status", solver.solve(model, reporter)),
                                        lambda: reporter.stop(solver), on_start)
    return solver, result["status"], interrupted


class CpSatSolver:
    name = "cpsat"

    def solve(self, scenario: Scenario, options: SolveOptions, instance: Instance | None = None) -> Plan:
        """`instance`, when given, is used as it is (decomposition fixes its dates and waves)."""
        started = time.perf_counter()
        prepared = model_from_start(self.name, scenario, options, started, instance, sessions=options.lns)
        if isinstance(prepared, Plan):  # Ctrl-C, or the limit, while the model was being built: the start plan
            return prepared
        m, terms, options, announce, starts = prepared
        built = time.perf_counter() - started
        proof = None
        if instance is None and pooled.worth_proving(m, options):  # a given instance is a part of an area
            announce()  # the model's first plan, shown while the relaxation is solved
            proof = pooled.prove(m, terms, options, started)
            if proof.optimal or (proof.interrupted and proof.values is not None):
                return self._proven(scenario, m, terms, options, started, built, proof, starts)
            if proof.interrupted:
                return starts.kept(self.name, scenario, options, started, interrupted=True)
        try:  # Ctrl-C before the search (the steps' set-up takes seconds at 430 practices): the start plan
            steps = options.lns and (options.workers <= 1 or len(m.model.proto.variables) <= STEPS_BESIDE_UP_TO)
            start = complete_hint_values(m) if steps else None
            seats_seconds = seats_step_seconds(m, options)  # kept from the search (reseat.py)
            kept = seats_seconds + finish_seconds(m, options)
            if _no_search(options.time_limit - kept - search_spent(m, options, started), options):
                steps = False  # no time for a search: none for the steps' set-up either
            lns = SessionLns(m, start, options.seed, workers=1) if steps and start is not None else None
            spent = search_spent(m, options, started)
            search = replace(options, time_limit=options.time_limit - kept - spent)
            if lns is not None and lns.useful:  # the trainers of the plan are chosen again after (restaff.py)
                search = replace(search, time_limit=search.time_limit - restaff_seconds(options.time_limit))
            else:
                lns = None  # no steps: the trainers are chosen again after the search (retrain.py)
                search = replace(search, time_limit=search.time_limit * (1 - TRAINERS_SHARE))
            start_plan = None
            if _no_search(search.time_limit, options):
                start_plan = start if start is not None else complete_hint_values(m)
                # without a first plan there is nothing to keep: the search has the least time instead
                search = replace(search, time_limit=max(MIN_SEARCH_SECONDS, search.time_limit))
        except KeyboardInterrupt:
            return starts.kept(self.name, scenario, options, started, interrupted=True)
        status_name = "UNKNOWN"  # a one-worker Ctrl-C in the steps leaves no solver (their plan is kept below)
        if start_plan is not None:  # the limit went on building the model: its first plan it is
            announce()
            solver, status_name, interrupted, lns, seats_seconds = None, "FEASIBLE", False, None, 0.0
        elif lns is not None:
            solver, status, interrupted = search_with_lns(m, search, lns, announce)
        else:
            solver, status, interrupted = run_solver(m.model, search, announce)
        if solver is not None:
            status_name = normalise_status(solver.status_name(status))
        report = SolverReport(
            name=self.name, status=status_name, seconds=0.0,
            time_limit=options.time_limit, workers=options.workers, seed=options.seed,
            stats=_stats(m, solver, built, interrupted),
        )
        plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
        if start_plan is not None:
            value = array_valuer(start_plan.tolist())
            report.stats["search"] = f"none: the model and its first plan took {spent:.1f} s of the {options.time_limit:g} s limit"
        else:
            value = _valuer(solver) if status_name in ("OPTIMAL", "FEASIBLE") else None
            report.stats["search"] = _arrangement(options, lns is not None)
        if lns is not None:
            report.stats.update(lns_steps=lns.steps, lns_improved=lns.improvements, lns_adopted=lns.adopted,
                                lns_neighbourhoods=lns.summary(), found_by="full model")
            full = solver.objective_value if value is not None else math.inf
            if status_name != "OPTIMAL" and lns.objective < full - 0.5:
                value, status_name = array_valuer(lns.best.tolist()), "FEASIBLE"
                report.status, report.stats["found_by"] = status_name, "neighbourhood search"
        if lns is None and solver is not None and status_name == "FEASIBLE" and not interrupted:
            value, interrupted = _trainers_again(m, solver, options, report)
            report.stats["interrupted"] = interrupted
        if seats_seconds and status_name == "FEASIBLE" and not interrupted:
            value, interrupted = _seats_again(m, value, solver, options, seats_seconds, report)
            report.stats["interrupted"] = interrupted
        if value is not None:
            if status_name == "FEASIBLE" and not (start_plan is not None and m.hint_exact):
                value = _polish(m, value, options) or value
            _complete(plan, m, terms, value)
            bound = solver.best_objective_bound if solver is not None else math.nan
            if proof is not None:  # the relaxation's bound, when it is the better one
                report.stats["proof"] = proof.note
                bound = max(bound, proof.bound if proof.bound is not None else -math.inf)
                if report.objective <= bound + 0.5:
                    report.status = "OPTIMAL"
            if math.isfinite(bound):
                report.bound = bound
                report.gap = _gap(report.objective, bound)
            if lns is not None and report.status == "FEASIBLE" and not interrupted and options.baseline is None:
                _restaffed(scenario, plan, options)  # not re-planning: it does not count the trainers it changes
        starts.keep_if_better(plan)
        if instance is None and m.instance.fixed_waves is not None:
            _given_the_waves(report, options.baseline is not None)
        report.seconds = round(time.perf_counter() - started, 3)
        return plan

    def _proven(self, scenario: Scenario, m: PltModel, terms: dict, options: SolveOptions, started: float,
                built: float, proof: pooled.Proof, starts: StartPlans) -> Plan:
        """The plan laid out at the relaxation's totals (pooled.py), with no search: optimal, or the
        best plan so far when Ctrl-C came during the lay-out (or the start plan, if better)."""
        report = SolverReport(name=self.name, status="OPTIMAL" if proof.optimal else "FEASIBLE", seconds=0.0,
                              time_limit=options.time_limit, workers=options.workers, seed=options.seed,
                              stats=_stats(m, None, built, proof.interrupted))
        report.stats["search"] = "none: " + proof.note + ("" if proof.optimal else "; Ctrl-C came before the search")
        plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
        _complete(plan, m, terms, array_valuer(proof.values.tolist()))
        report.bound, report.gap = proof.bound, _gap(report.objective, proof.bound)  # shown by the lay-out
        starts.keep_if_better(plan)
        report.seconds = round(time.perf_counter() - started, 3)
        return plan


def _complete(plan: Plan, m: PltModel, terms: dict, value: Callable[[object], int]) -> None:
    """The plan's decisions, objective and terms from the model's values. The objective reported
    is the plan's score, which can differ from the model's objective both ways:
    - above it when re-planning: the model counts a class's rooms as the most runs at once and
      the changes per room class, and runs that keep baseline rooms of one class at different
      blocks book more rooms than that (extract.py). The model's objective stays a bound (no
      plan books fewer rooms or changes less than the model counts), so the plan is not
      claimed OPTIMAL;
    - below it when the model's penalties were not at their least for the plan's decisions (a
      plan kept at Ctrl-C during the proof's lay-out, which `_polish` never saw).
    stats.above_model then gives the score less the model's objective (`solve` and `whatif` print
    both and why); choosing trainers again afterwards changes both by the same."""
    from models.score import score_plan

    report = plan.solver
    modelled = sum(weight * value(expr) for weight, expr in terms.values())
    report.stats["model_terms"] = ", ".join(
        f"{name}={value(expr) if not isinstance(expr, int) else expr}" for name, (_, expr) in terms.items())
    _fill(plan, m, value)
    report.objective = score_plan(m.instance.scenario, plan, m.baseline).total
    if report.objective != modelled:
        report.stats["above_model"] = report.objective - modelled
        if report.objective > modelled and report.status == "OPTIMAL":
            report.status = "FEASIBLE"


def _given_the_waves(report: SolverReport, replanning: bool = False) -> None:
    """Above FIXED_WAVES_ABOVE the model never chose the waves and cover (the greedy plan did;
    when `replanning`, greedy's re-plan, which keeps the published ones where they fit), so its
    bound and any proof hold for plans with those waves only: say so, and claim no more than
    FEASIBLE. At 430 generated practices greedy's plan with even waves scores 8,608,336 while the
    bound of the model with its first-fit waves was 9,188,474."""
    given = ("the waves of greedy's re-plan (the published ones where they fit) and their cover" if replanning
             else "the waves of the greedy plan and their cover")
    report.stats["bound_given"] = given
    if report.status == "OPTIMAL":
        report.status = "FEASIBLE"
        report.stats["optimal_given"] = given


def _trainers_again(m: PltModel, solver: cp_model.CpSolver, options: SolveOptions,
                    report: SolverReport) -> tuple[Callable[[object], int], bool]:
    """The search's plan with its trainers chosen again in the time kept for it (retrain.py)."""
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)
    started = time.perf_counter()
    values, interrupted = choose_trainers_again(m, values, _decisions(m), options,
                                                options.time_limit * TRAINERS_SHARE)
    objective = plan_objective(m.model.proto, values)
    report.stats["trainers_again"] = (f"{solver.objective_value:,.0f} -> {objective:,.0f} "
                                      f"in {time.perf_counter() - started:.1f} s")
    if objective < solver.objective_value - 0.5 and options.on_progress:
        options.on_progress(Progress(0.0, objective, solver.best_objective_bound))  # timed by the wrapper
    return array_valuer(values.tolist()), interrupted


def _restaffed(scenario: Scenario, plan: Plan, options: SolveOptions) -> None:
    """The steps choose trainers with each course cluster they free, never for the whole plan at
    once: the finished plan's trainers are chosen again, everything else kept (restaff.py, in
    the time kept for it). Norfolk and Waveney, 60 s: 1,335,224 -> 1,334,084 in 0.3 s (gap
    0.46 % -> 0.38 %); Norwich 30 s: nothing to gain. `model_terms` stays the model's."""
    from ..restaff import restaff_into

    report = plan.solver
    saved, _ = restaff_into(scenario, plan, restaff_seconds(options.time_limit), options.workers)
    if not saved:
        return
    if report.bound is not None:
        report.gap = _gap(report.objective, report.bound)
    if options.on_progress:  # progress_from_start's wrapper: it times the report itself
        options.on_progress(Progress(0.0, report.objective, report.bound if report.bound is not None else -math.inf))


def search_spent(m: PltModel, options: SolveOptions, started: float) -> float:
    """Seconds of the time limit spent before the search. With several workers the limit counts
    on the clock from the solve's start, so building the model counts: at 430 practices a 10 s
    limit ran 30 s (12 s to build the model and its first plan, then 10 s of search, then the
    steps after it). With one worker the search stops on deterministic time, so that the same seed
    gives the same plan, and only the nearest plan's deterministic share counts (the solve then
    runs over its limit by the time the model takes to build)."""
    if options.workers <= 1:
        return m.start_seconds
    return time.perf_counter() - started


def finish_seconds(m: PltModel, options: SolveOptions) -> float:
    """Kept from a search with several workers for what follows it on the clock: fixing the
    plan's decisions and solving again (`_polish`) and reading the plan out (`_complete`). At
    430 generated practices (359,826 variables) they took 1.7 s and 0.5 s after a 30 s search,
    which reported 32.5 s. With one worker the search stops on deterministic time and none is kept
    (see search_spent)."""
    return FINISH_SECONDS_PER_VARIABLE * len(m.model.proto.variables) if options.workers > 1 else 0.0


def build_deadline(options: SolveOptions, started: float) -> float | None:
    """When building the model stops, a start plan in hand (perf_counter time): with several
    workers at the limit on the clock from the solve's start (see search_spent); with one, never."""
    return started + options.time_limit if options.workers > 1 else None


def _no_search(seconds: float, options: SolveOptions) -> bool:
    """Too little time for a search: on the clock (several workers) under MIN_SEARCH_SECONDS; in
    deterministic time (one worker) none."""
    return seconds < (MIN_SEARCH_SECONDS if options.workers > 1 else 1e-9)


def restaff_seconds(time_limit: float) -> float:
    """Kept from a search with steps for restaff.py: RESTAFF_SHARE of the limit, at least half a
    second but never over a tenth of the limit (3 s: 0.3 s; 60 s: 1.2 s; 300 s: 6 s)."""
    return min(max(RESTAFF_SHARE * time_limit, 0.5), 0.1 * time_limit)


def _seats_again(m: PltModel, value: Callable[[object], int], solver: cp_model.CpSolver | None,
                 options: SolveOptions, seconds: float,
                 report: SolverReport) -> tuple[Callable[[object], int], bool]:
    """The search's plan with its seats shared out again in the time kept for it (reseat.py)."""
    n = len(m.model.proto.variables)
    values = np.fromiter((value(m.model.get_int_var_from_proto_index(i)) for i in range(n)), dtype=np.int64, count=n)
    before = plan_objective(m.model.proto, values)
    started = time.perf_counter()
    values, interrupted = share_seats_again(m, values, _decisions(m), options, seconds)
    objective = plan_objective(m.model.proto, values)
    report.stats["seats_again"] = f"{before:,.0f} -> {objective:,.0f} in {time.perf_counter() - started:.1f} s"
    if objective < before - 0.5:
        if report.stats.get("found_by"):
            report.stats["found_by"] += ", seats shared out again"
        if options.on_progress:
            bound = solver.best_objective_bound if solver is not None else -math.inf
            options.on_progress(Progress(0.0, objective, bound))  # timed by progress_from_start's wrapper
    return array_valuer(values.tolist()), interrupted


def _arrangement(options: SolveOptions, steps: bool) -> str:
    """What searched, for the report."""
    if options.workers <= 1:
        return "steps, then the full model" if steps else "full model"
    if not steps:
        return "portfolio"
    return "full model with steps beside it" if _full_workers(options) == 1 else "portfolio with steps beside it"


def _full_workers(options: SolveOptions) -> int:
    """Workers of the full model's search beside the steps, which take one core."""
    return max(1, options.workers - 1)


def search_with_lns(m: PltModel, options: SolveOptions, lns: SessionLns,
                    on_start: Callable[[], None] | None = None) -> tuple[cp_model.CpSolver | None, int, bool]:
    """The full model's search and the structured neighbourhood search (lns.py), both from the
    complete first plan. The full search keeps the bound; the better plan of the two is kept.

    With one worker they run one after the other on deterministic time (LNS_SHARE of the limit
    first), so the same seed still gives the same plan. With more, side by side until the limit:
    the steps on one thread and the full model's search on the other workers (on two, one full
    search with the LP bound; on more, CP-SAT's portfolio), which hands every plan better than
    the steps' own to them before their next step.

    One worker for the full model on two cores (it had two, so three threads shared them), with
    the visits steps and greedy's reserve, Norfolk and Waveney, 60 s, seeds 0 to 7: 1,344,444 /
    1,343,654 / 1,344,724 / 1,344,164 / 1,343,834 / 1,342,584 / 1,345,624 / 1,351,654 (mean
    1,345,085) against 1,347,494 / 1,351,604 / 1,356,734 / 1,355,182 / 1,357,092 / 1,347,854 /
    1,355,514 / 1,367,044 (mean 1,354,815), better on every seed; the bound was 1,329,028 in six
    runs, 1,328,900 and 1,328,296 in two (the root LP had not finished on one worker). Norwich,
    seeds 0 to 2: 611,216 / 611,014 / 611,272 against 613,820 / 611,702 / 610,998. Before the visits steps
    the same change was within the spread (mean 1,349,549 against 1,350,874, an earlier session).

    Measured on Norfolk and Waveney (two workers, seeds 0 and 1): at 60 s the portfolio alone
    1,359,402 / 1,364,394, this 1,359,744 / 1,388,550 (5 s steps: 1,365,062 / 1,364,322), the
    full search on one worker with the steps beside it (the arrangement before; run again with
    the take-up, which took up nothing) 1,421,524 / 1,395,904; at 300 s this 1,343,002 /
    1,342,954, the one before 1,339,874 / 1,339,454, the portfolio alone 1,353,444 (one run).
    The benchmark at 300 s (seed 0): Norfolk 1,344,084 against the portfolio's 1,353,484. Above
    STEPS_BESIDE_UP_TO variables the solver does not call this with two or more workers (see
    solvers/base.py for the measurements at 430 practices, now below it)."""
    progress = _SharedProgress(options.on_progress)
    step = lns_step_seconds(options.time_limit)
    if options.workers <= 1:
        share = LNS_SHARE * options.time_limit
        if run_interruptibly(lambda: lns.run(share, True, step, progress.from_plan), lns.stop, on_start):
            return None, cp_model.UNKNOWN, True
        hint_every_variable(m.model.proto, lns.best)
        rest = max(0.1, options.time_limit - lns.charged_time)
        return run_solver(m.model, replace(options, time_limit=rest, on_progress=progress.from_full))
    solver = cp_model.CpSolver()
    _parameters(solver, options, len(m.model.proto.variables))
    solver.parameters.num_workers = _full_workers(options)
    reporter = _Reporter(replace(options, on_progress=progress.from_full))
    reporter.plans_to = lns
    solver.best_bound_callback = progress.from_bound
    result: dict[str, int] = {}

    def work() -> None:
        side = threading.Thread(target=lns.run, args=(options.time_limit, False, step, progress.from_plan), daemon=True)
        side.start()
        try:
            result["status"] = solver.solve(m.model, reporter)
        finally:
            lns.stop()
            side.join()

    def stop() -> None:
        reporter.stop(solver)
        lns.stop()

    interrupted = run_interruptibly(work, stop, on_start)
    return solver, result.get("status", cp_model.UNKNOWN), interrupted


class _SharedProgress:
    """Progress from two searches at once (and, from `progress_from_start`, from the first plan
    to the last of a solve): only a better plan than either found so far is shown,
    with the full search's bound as it stands then. The bound comes from CP-SAT's bound callback
    too, not only with the full search's own plans: on Norwich the root LP gives 609,872 after
    1 s, but the steps found the better plans and the progress lines showed the trivial bound
    (68,814, the cover's cost) until the full search's first better plan at 15 s."""

    def __init__(self, sink: Callable[[Progress], None] | None, started: float | None = None) -> None:
        self.sink = sink
        self.started = time.perf_counter() if started is None else started
        self.best = math.inf
        self.bound = -math.inf
        self.lock = threading.Lock()

    def _offer(self, objective: float, bound: float | None) -> None:
        with self.lock:
            if bound is not None:
                self.bound = max(self.bound, bound)
            if objective < self.best - 0.5:
                self.best = objective
                if self.sink:
                    self.sink(Progress(time.perf_counter() - self.started, objective, self.bound))

    def from_full(self, p: Progress) -> None:
        self._offer(p.objective, p.bound)

    def from_plan(self, objective: float) -> None:
        """A plan without a bound of its own: a step's, or the model's complete first solution."""
        self._offer(objective, None)

    def from_bound(self, bound: float) -> None:
        """A better bound, shown with the next better plan."""
        with self.lock:
            self.bound = max(self.bound, bound)


def progress_from_start(m: PltModel, options: SolveOptions,
                        progress: _SharedProgress) -> tuple[SolveOptions, Callable[[], None]]:
    """The options with progress through `progress` (timed from the solve's start, so from the
    model's building on, and only ever better plans, the start plans' included); and `announce`,
    which reports the model's complete first solution, a plan that fits every rule (the hint was
    completed by CP-SAT). The search calls `announce` as it starts, once Ctrl-C keeps the best
    plan (run_interruptibly): at 430 practices CP-SAT's own first report of that plan came 12 s
    after the model was built (the steps' parts and CP-SAT's loading of 367,121 variables)."""
    if options.on_progress is None:
        return options, lambda: None
    values = complete_hint_values(m)
    objective = plan_objective(m.model.proto, values) if values is not None else None

    def announce() -> None:
        if objective is not None:
            progress.from_plan(objective)

    return replace(options, on_progress=progress.from_full), announce


def array_valuer(values: list[int]) -> Callable[[object], int]:
    """Values of the model's variables and expressions in a plan given as one value per variable."""
    def value(x: object) -> int:
        if isinstance(x, int):
            return x
        if isinstance(x, cp_model.IntVar):
            return values[x.index]
        flat = cmh.FlatIntExpr(x)
        return flat.offset + sum(c * values[v.index] for v, c in zip(flat.vars, flat.coeffs, strict=True))
    return value


class LimitSpent(Exception):
    """The time limit passed while the model was being built, with a start plan in hand."""


class NoSearch(Exception):
    """A re-plan asked for no search (SolveOptions.search): the best start plan is the plan."""


class StartPlans:
    """The complete plans a solve holds before its model is built: greedy's, then (large areas)
    with its cover booked again and its trainers chosen again. Each better one is reported as
    progress at once, so a short or interrupted solve shows the plan it has: at 430 practices
    (2 workers, 30 s) progress showed greedy's plan at 2.5 s, with its cheaper cover at 3.1 s and
    its trainers chosen again at 4.2 s; the search's first better plan came at 25 s. A Ctrl-C
    before the search keeps the best (`kept`), and a solve never ends worse than it
    (`keep_if_better`)."""

    def __init__(self, on_plan: Callable[[float], None] | None = None, deadline: float | None = None) -> None:
        self.on_plan = on_plan
        self.deadline = deadline  # perf_counter time after which the building stops (`check`)
        self.best: Plan | None = None

    def check(self) -> None:
        """Raise LimitSpent when the deadline has passed and a start plan is in hand: with
        several workers the limit counts on the clock from the solve's start, and at 430
        practices a 10 s limit ran 14 s, its model built for no search (12.8 s, with restaff)."""
        if self.deadline is not None and self.best is not None and time.perf_counter() > self.deadline:
            raise LimitSpent

    def seconds_left(self) -> float | None:
        """Clock seconds to the deadline while a start plan is in hand (None: no deadline, or
        nothing to keep yet): the most a step of the building may take (complete_hints)."""
        if self.deadline is None or self.best is None:
            return None
        return max(0.0, self.deadline - time.perf_counter())

    def offer(self, plan: Plan) -> None:
        objective = plan.solver.objective
        if plan.solver.status != "FEASIBLE" or objective is None:
            return
        if self.best is None or objective < self.best.solver.objective - 0.5:
            # its report copied, since restaff_into changes the plan's report and rebinds its lists
            # in place; a deep copy of a 430-practice plan took 0.2 s
            self.best = plan.model_copy(update={"solver": plan.solver.model_copy(deep=True)})
            if self.on_plan is not None:
                self.on_plan(objective)

    def kept(self, name: str, scenario: Scenario, options: SolveOptions, started: float,
             interrupted: bool) -> Plan:
        """The best start plan as the solve's plan, after Ctrl-C (`interrupted`) or the time
        limit stopped the solve before its search; re-raises the Ctrl-C when there is none yet."""
        seconds = time.perf_counter() - started
        if self.best is None and not options.search and not interrupted:
            report = SolverReport(name=name, status="UNKNOWN", seconds=round(seconds, 3), time_limit=options.time_limit,
                                  workers=options.workers, seed=options.seed,
                                  stats={"search": f"none: {NOT_ASKED}; the published plan could not be mended "
                                                   "and greedy's re-plan found no plan"})
            return Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
        if self.best is None:
            raise KeyboardInterrupt
        if interrupted:
            why = "Ctrl-C came before the search"
        elif options.search:
            why = f"the limit was spent building the model: {seconds:.1f} s of {options.time_limit:g} s"
        elif "start_given" in self.best.solver.stats:  # the published plan, else greedy's re-plan
            why = f"{NOT_ASKED}: the published plan, as it stands or mended, with no model built"
        else:
            why = f"{NOT_ASKED}: the published plan could not be mended, so greedy's re-plan, with no model built"
        report = SolverReport(
            name=name, status="FEASIBLE", objective=self.best.solver.objective,
            seconds=round(seconds, 3), time_limit=options.time_limit, workers=options.workers, seed=options.seed,
            stats={"interrupted": interrupted, "start": _start_label(self.best),
                   "search": f"none: {why}; the start plan is the plan"},
        )
        return self.best.model_copy(update={"solver": report, "score": None, "scenario_name": scenario.name,
                                            "scenario_digest": scenario_digest(scenario)})

    def keep_if_better(self, plan: Plan) -> None:
        """The start plan's decisions in place of the solve's when the start scores lower or the
        solve found no plan (not expected: the model starts from it; it would take a start the
        model cannot complete). The solve's own terms then no longer describe the plan."""
        best = self.best
        report = plan.solver
        if best is None or (report.objective is not None and report.objective <= best.solver.objective):
            return
        found = f"the search's {report.objective:,.0f}" if report.objective is not None else f"no plan ({report.status})"
        report.stats["kept_start"] = f"the start plan, {_start_label(best)} ({best.solver.objective:,.0f} against {found})"
        for stale in ("model_terms", "above_model", "found_by", "trainers_again", "seats_again", "mip_objective"):
            report.stats.pop(stale, None)
        plan.afternoons, plan.runs, plan.on_site, plan.cover = best.afternoons, best.runs, best.on_site, best.cover
        report.objective, report.status = best.solver.objective, "FEASIBLE"
        if report.bound is not None:
            report.gap = _gap(report.objective, report.bound)


def model_from_start(name: str, scenario: Scenario, options: SolveOptions, started: float,
                     instance: Instance | None = None, cuts: bool = True, sessions: bool = False,
                     ) -> Plan | tuple[PltModel, dict, SolveOptions, Callable[[], None], StartPlans]:
    """`prepare_model` with progress from the solve's start (`progress_from_start`), the start
    plans reported as they come; or, when Ctrl-C came while the model was being built, the best
    start plan as the solve's plan (StartPlans.kept). `sessions`: see `_large_area_start`."""
    progress = _SharedProgress(options.on_progress, started)
    starts = StartPlans(progress.from_plan if options.on_progress else None, build_deadline(options, started))
    try:
        m, terms = prepare_model(scenario, options, instance, cuts, starts, sessions)
    except KeyboardInterrupt:
        return starts.kept(name, scenario, options, started, interrupted=True)
    except (LimitSpent, NoSearch):
        return starts.kept(name, scenario, options, started, interrupted=False)
    options, announce = progress_from_start(m, options, progress)
    return m, terms, options, announce, starts


def prepare_model(scenario: Scenario, options: SolveOptions, instance: Instance | None = None,
                  cuts: bool = True, starts: StartPlans | None = None, sessions: bool = False,
                  ) -> tuple[PltModel, dict[str, tuple[int, cp_model.LinearExpr]]]:
    """The model of the rules with its complete first solution, as every back end of them builds it.

    Without a given instance, the greedy plan is the fallback first solution and, for large areas,
    decides wave membership and cover before modelling (`_large_area_start`). `cuts`: see
    `build_model`. `starts` hears of each complete plan as it comes, before the model is built.
    `sessions`: a large area's start plan has its external sessions laid out again by CP-SAT
    (`_large_area_start`; the CP-SAT back end with its structured steps only)."""
    starts = starts if starts is not None else StartPlans()
    greedy = mended = None
    if instance is None:
        for given in (options.hint, options.baseline):
            if given is not None:
                found = check_plan(scenario, given)
                starts.offer(_scored(scenario, given, options.baseline, keeps=not found))
                if given is options.baseline and found \
                        and (fixed := repaired(scenario, given, found)) is not None:  # it breaks a rule now
                    starts.offer(mended := _scored(scenario, fixed[0], given, keeps=True, label=fixed[1]))
        mend_only = not options.search and options.baseline is not None
        if mend_only and starts.best is not None:
            raise NoSearch
        instance = build_instance(scenario)
        greedy = _greedy_start(scenario, options)
        if greedy is not None:
            starts.offer(greedy)
        if mend_only:
            raise NoSearch  # the baseline could not be mended: greedy's re-plan, which keeps what fits of it, or none
        if greedy is not None and instance.waves > 1 and len(scenario.practices) * instance.waves > FIXED_WAVES_ABOVE:
            greedy = _large_area_start(scenario, greedy, options, starts, sessions)
            instance.fixed_waves = _membership(greedy)
    m, terms = build_model(instance, options.baseline, cuts, starts.check)
    if cuts:
        m.unmet_floor = add_unmet_floor(m, terms["unmet"][1])
    starts.check()
    _first_solution(m, terms, options, greedy, starts, mended)
    starts.check()  # past the limit: the start plan, without reading the model's back (1.2 s at 430)
    return m, terms


# Share of the time limit for choosing the trainers of a large area's start plan again
# (`_large_area_start`): at 430 practices that takes about 1.1 s.
START_TRAINERS_SHARE = 0.1
# Seconds a practice for laying a large area's start plan out again (`start_sessions_seconds`):
# at 430 practices, on the start plan of 8,233,630, 2 s saved 11,930, 4 s 45,310, 6 s 52,375 and
# 20 s 53,270 (/work/prof6/sess430.py). Below MIN_START_SESSIONS_SECONDS it is not tried.
START_SESSIONS_PER_PRACTICE = 0.014
MIN_START_SESSIONS_SECONDS = 1.0


def start_sessions_seconds(time_limit: float, practices: int) -> float:
    """Seconds for laying a large area's start plan out again, session by session (sessions.py):
    START_SESSIONS_PER_PRACTICE a practice, at most 0.55 of the limit. At 430 practices (6 s) the
    model's search starts about 15 s after the solve, so the steps' time is mostly time it would
    not have; on Norfolk and Waveney (103 practices, 1.4 s) it starts within a few seconds and
    5.5 s of a 10 s limit for the steps left a worse plan (1,365,754 against 1,354,844). By the
    area's size, not the clock, so that one worker still repeats its plan.

    Measured with and without (/work/prof6/ab_sessions.py, two workers): 430 practices, 60 s,
    seeds 0 and 1: 8,179,422 / 8,168,925 against 8,218,920 / 8,188,140; 200 practices, 10 s:
    4,196,537 against 4,217,237; 200 practices, 60 s, seeds 0 to 4: 4,138,262 / 4,142,142 /
    4,109,182 / 4,119,812 / 4,150,377 against 4,091,002 / 4,145,362 / 4,105,802 / 4,111,554 /
    4,155,637 (mean 0.24 % worse, most of it seed 0; two seeds better)."""
    return min(0.55 * time_limit, START_SESSIONS_PER_PRACTICE * practices)


def _large_area_start(scenario: Scenario, greedy: Plan, options: SolveOptions, starts: StartPlans,
                      sessions: bool = False) -> Plan:
    """Greedy's plan as a large area's start, whose waves and cover the model then keeps: its
    cover booked again at less cost (cheaper_cover.py) and, unless re-planning (where a changed
    trainer or run costs stability, which restaff.py and sessions.py do not count), its trainers
    chosen again (restaff.py), in START_TRAINERS_SHARE of the limit. Greedy never looks at a
    trainer's cost, so the model's search spent its time finding what restaff finds at once, and
    at a short limit never did: at 430 practices, 10 s, the plan was greedy's with its cover
    booked again, 8,314,160, where restaff makes it 8,233,630 in about 1.1 s more.

    With `sessions`, its external sessions are then laid out again one at a time by CP-SAT
    (sessions.py) in `start_sessions_seconds`, at most what is left of the limit. At 430
    practices the model is built and completed about 10 s after the start, and its search's
    first step comes at about 15 s: a 10 s solve returned the restaffed start, level with the
    MIP back end's, and 60 s solves reached only 8,220,975. A Ctrl-C in either step keeps its
    plan and stops the solve there."""
    from ..restaff import restaff_into
    from ..sessions import sessions_into

    if options.baseline is None:  # re-planning keeps the baseline's cover where it fits
        greedy = with_cheaper_cover(scenario, greedy, options.seed)
        starts.offer(greedy)
        _, interrupted = restaff_into(scenario, greedy, START_TRAINERS_SHARE * options.time_limit, options.workers)
        starts.offer(greedy)
        if interrupted:
            raise KeyboardInterrupt
        if sessions:
            seconds = start_sessions_seconds(options.time_limit, len(scenario.practices))
            left = starts.seconds_left()
            if left is not None:
                seconds = min(seconds, left)
            if seconds >= MIN_START_SESSIONS_SECONDS:
                _, interrupted = sessions_into(scenario, greedy, seconds, options.workers, options.seed)
                starts.offer(greedy)
                if interrupted:
                    raise KeyboardInterrupt
    return greedy


def _scored(scenario: Scenario, given: Plan, baseline: Plan | None, keeps: bool, label: str | None = None) -> Plan:
    """A given plan (the hint, or the baseline when re-planning, or the baseline repaired:
    solvers/repair.py) as a start plan: scored against the baseline when it `keeps` every rule
    of the scenario, else with no objective (never kept). A re-plan whose limit is spent
    building keeps the published plan where it still fits, rather than greedy's re-plan, which
    pays stability for every change."""
    from models.score import score_plan

    report = SolverReport(name="given", status="UNKNOWN")
    if keeps:
        report.status, report.objective = "FEASIBLE", score_plan(scenario, given, baseline).total
        report.stats["start_given"] = label or ("the hint" if given is not baseline else "the baseline")
    return given.model_copy(update={"solver": report})


def _start_label(plan: Plan) -> str:
    """What the start plan is, for the report: greedy's, on which dates, and what was done to it."""
    stats = plan.solver.stats
    if "start_given" in stats:
        return str(stats["start_given"])
    dates = stats.get("start_dates")  # none when re-planning (the baseline's first)
    label = f"greedy plan on dates: {dates}" if dates else "greedy plan"
    if "cover_again" in stats:
        label += f"; its cover booked again: {stats['cover_again']}"
    if "trainers_again" in stats:
        label += f"; its trainers chosen again: {stats['trainers_again']}"
    if "sessions_again" in stats:
        label += f"; its sessions laid out again: {stats['sessions_again']}"
    return label


def _first_solution(m: PltModel, terms: dict, options: SolveOptions, greedy: Plan | None,
                    starts: StartPlans | None = None, mended: Plan | None = None) -> None:
    """Hint a complete first solution: the given hint, or the baseline, when it fits the model;
    else the baseline repaired (`mended`, solvers/repair.py); else the greedy plan, which when
    re-planning keeps the baseline's dates, waves and cover where they fit; and when the baseline
    no longer fits, the plan nearest to it, searched from there.

    The nearest plan has NEAREST_SHARE of the time limit (deterministic time with one worker),
    which `m.start_seconds` takes from the search. Before, the search alone had the whole limit:
    halving Norwich's cover capacity with a 25 s limit ran 78 s (50 s to the nearest plan, one
    worker from the baseline's unfitting hint: first plan at 34 s, 80 changes; 77 at 64 s).
    From greedy's plan with the solve's two workers it comes sooner (69 changes at 24 s). The
    search alone, from greedy's plan, ended at 108 changes in 25 s and 101 in 60 s, so the nearest
    plan is worth most of the time: whole what-ifs of 25 s and 60 s ended at 3,129,658 and
    2,105,928 with 0.4 of the limit for it, 2,583,136 and 2,027,412 with 0.6 (before: 2,067,876
    in 78 s for "25 s").

    Where the waves are fixed before modelling the nearest plan is not looked for: dropping one
    trainer on Norfolk and Waveney, its search found 9,543,910 in 10 deterministic seconds (50 s
    of wall time) against the greedy plan's 5,909,674 (both with the what-if's stability weight).
    On Norwich the nearest plan stays first although greedy's scored lower in all 6 re-plans
    measured (the nearest plan's penalty variables are slack): started from greedy, 3 of those
    6 (dropping a trainer, 20 s) moved a date that the nearest start keeps (6 of 6 kept).

    With a deadline and a start plan in hand (`starts`), the completion stops on the clock there
    and the start plan is the plan (LimitSpent): at 430 practices a 10 s limit reached the
    completion at 8.5 s and ended at 11.4 s, the completion's 2 s past the limit included."""
    starts = starts if starts is not None else StartPlans()
    fitted = None
    for start in (options.hint, options.baseline, mended, greedy):
        if start is not None and not (start is options.baseline and mended is not None):  # it breaks a rule
            add_hints(m, start)
            starts.check()
            if complete_hints(m, clock=starts.seconds_left()):
                fitted = start
                break
            starts.check()  # stopped by the deadline, not a hint that does not fit
            m.model.clear_hints()
    if fitted is not None and (fitted is greedy or fitted is mended):
        m.start = _start_label(fitted)
    if (fitted is not None and fitted is not greedy) or options.baseline is None \
            or m.instance.fixed_waves is not None:
        return
    if fitted is None:
        add_hints(m, options.baseline)  # the nearest plan is then searched from the baseline's own
    seconds = NEAREST_SHARE * options.time_limit
    started = time.perf_counter()
    found = nearest_to_hint(m, terms["stability"][1], seconds, options.workers)
    m.start_seconds = seconds if options.workers == 1 else min(seconds, time.perf_counter() - started)
    if found:
        m.start = "the plan nearest the baseline"
    elif fitted is None:
        m.model.clear_hints()  # the baseline's partial hint, which no plan completes


def _membership(plan: Plan) -> dict[tuple[str, str], tuple[int, str]]:
    provider = {(c.event, c.wave, c.practice): c.provider for c in plan.cover}
    return {(a.event, p): (w.number, provider[a.event, w.number, p])
            for a in plan.afternoons for w in a.waves for p in w.practices}


def _greedy_start(scenario: Scenario, options: SolveOptions) -> Plan | None:
    """The greedy plan as a first hint: CP-SAT starts from a complete plan instead of nothing,
    on the dates the trainers can come to (solvers/start_dates.py). When re-planning it keeps the
    baseline's dates, waves and cover where they still fit, since above FIXED_WAVES_ABOVE its
    waves and cover are the model's: on Norfolk and Waveney, dropping one trainer moved 402
    waves and 924 cover bookings when greedy packed afresh."""
    from ..greedy import GreedySolver

    plan = GreedySolver(start_dates=True).solve(scenario, SolveOptions(
        time_limit=options.time_limit, workers=1, seed=options.seed, baseline=options.baseline))
    return plan if plan.solver.status == "FEASIBLE" else None


def _decisions(m: PltModel) -> list:
    groups = (m.on_date, m.in_wave, m.covers, m.runs, m.teaches, m.seats, m.on_site, m.visits)
    return [var for group in groups for var in group.values() if not isinstance(var, int)]


def _polish(m: PltModel, value, options: SolveOptions):
    """Fix every decision and minimise again, so that penalty variables that only bound their
    term from above (unmet, worst share, spread, rooms used) take their exact values: the
    reported objective is then the plan's true score, not an overestimate. The decisions are
    fixed as hints that CP-SAT's presolve fixes (`fix_variables_to_their_hinted_value`), written
    to the model in two lists: at 430 practices 0.3 s, where a constraint per decision took 1.4 s."""
    fixed = {var.index: value(var) for var in _decisions(m)}  # a variable can serve two groups; hinted once
    m.model.clear_hints()
    hint = m.model.proto.solution_hint
    hint.vars.extend(list(fixed))
    hint.values.extend(list(fixed.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    # on the clock as the search was; with one worker in deterministic time, so that it repeats
    net = cpsat_limit(solver.parameters, max(5.0, options.time_limit / 4), options.workers <= 1)
    if cpsat_solve(solver, m.model, net) != cp_model.OPTIMAL:
        return None
    return _valuer(solver)


def _valuer(solver: cp_model.CpSolver):
    def value(x: object) -> int:
        return x if isinstance(x, int) else int(solver.value(x))
    return value


def _fill(plan: Plan, m: PltModel, value) -> None:
    plan.afternoons = extract.afternoons(m, value)
    plan.runs = extract.course_runs(m, value)
    plan.on_site = extract.on_site(m, value)
    plan.cover = extract.cover(m, value)


def _gap(objective: float, bound: float) -> float:
    if abs(objective) < 1e-9:
        return 0.0 if abs(bound) < 1e-9 else 1.0
    return round(abs(objective - bound) / abs(objective), 6)


def _stats(m: PltModel, solver: cp_model.CpSolver | None, built: float, interrupted: bool) -> dict:
    proto = m.model.proto
    return {
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
        "build_seconds": round(built, 3),
        "waves": m.instance.waves,
        "candidate_dates": sum(len(d) for d in m.instance.dates.values()),
        "branches": solver.num_branches if solver is not None else 0,
        "conflicts": solver.num_conflicts if solver is not None else 0,
        "interrupted": interrupted,
        **({"start": m.start} if m.start else {}),
        **_floor_stats(m),
    }


def _floor_stats(m: PltModel) -> dict:
    """The probed least unmet term (probe.py), when it lifted the LP's own."""
    found = m.unmet_floor
    if found is None or found.course is None:
        return {}
    return {"unmet_floor": found.floor, "unmet_floor_probe": found.course}
