"""The HiGHS back end: the CP-SAT back end's own model, translated row for row into a MIP.

The rules are not written twice. The model is built exactly as `cpsat` builds it (the same
instance, fixed waves for a large area, the same hint), its proto is translated into a
mixed-integer program (`translate.py`) and solved by HiGHS from the hinted plan. HiGHS's values
of the decision variables are then fixed in the CP-SAT model and polished there, so the plan
comes out through the same extraction and is reported with its score, as cpsat's: the two back
ends differ only in the search, which is what a side-by-side comparison should measure.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import highspy
import numpy as np

from models.plan import Plan, SolverReport, scenario_digest
from models.scenario import Scenario

from ..base import Progress, SolveOptions, normalise_status, run_interruptibly
from ..cpsat import (
    _complete,
    _decisions,
    _gap,
    _given_the_waves,
    _polish,
    array_valuer,
    model_from_start,
    search_spent,
)
from ..cpsat.model import PltModel
from .translate import Mip, start_values, translate

Value = Callable[[object], int]
# HiGHS stopped early: the plan is FEASIBLE when it holds one, UNKNOWN when not.
_STOPPED = {"kTimeLimit", "kInterrupt", "kHighsInterrupt", "kIterationLimit", "kSolutionLimit",
            "kObjectiveBound", "kObjectiveTarget", "kMemoryLimit", "kUnknown"}
_FEASIBLE_SOLUTION = 2  # HiGHS's kSolutionStatusFeasible
HIGHS_LEAST_SECONDS = 0.1

_banner_lock = threading.Lock()
_banner_shown = False


class HighsSolver:
    name = "highs"

    def solve(self, scenario: Scenario, options: SolveOptions) -> Plan:
        started = time.perf_counter()
        # Without the cuts on unmet demand: HiGHS's root LP on Norfolk and Waveney did not finish
        # in 60 s with them (bound 301,770 against 1,324,708 without; one core each, side by side).
        prepared = model_from_start(self.name, scenario, options, started, cuts=False)
        if isinstance(prepared, Plan):  # Ctrl-C while the model was being built: the start plan
            return prepared
        m, terms, options, announce, starts = prepared
        try:  # Ctrl-C before the search (translating the model takes seconds at 430 practices): the start plan
            mip = translate(m.model.proto)
            columns, values = start_values(m.model.proto)
            built = time.perf_counter() - started
            # The limit counts from the solve's start, as CP-SAT's (search_spent); HiGHS always gets
            # a moment to take up the start plan.
            left = max(HIGHS_LEAST_SECONDS, options.time_limit - search_spent(m, options, started))
            run = _Run(mip, replace(options, time_limit=left))
        except KeyboardInterrupt:
            return starts.kept(self.name, scenario, options, started, interrupted=True)
        run.solve(columns, values, announce)
        wrong = None
        if not run.stop.is_set() and (wrong := _objective_mismatch(run.highs, mip)) is not None:
            run = _without_presolve(run, mip, options, started)
        status = _status(run.highs, mip)
        at_odds = wrong is not None and _objective_mismatch(run.highs, mip) is not None  # after the second run too
        if at_odds and status == "OPTIMAL":
            status = "FEASIBLE"  # no proof from a model HiGHS scores other than we do (its bound is not reported)
        report = SolverReport(
            name=self.name, status=status, seconds=round(time.perf_counter() - started, 3),
            time_limit=options.time_limit, workers=options.workers, seed=options.seed,
            stats=_stats(m, mip, run, built, len(columns)),
        )
        if wrong is not None:
            report.stats["presolve_off"] = (f"HiGHS's presolved model scored its plan {wrong[0]:,.0f} where the "
                                            f"model scores it {wrong[1]:,.0f}: solved again without presolve")
        plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
        if status in ("OPTIMAL", "FEASIBLE"):
            found = _mip_valuer(run.highs.getSolution().col_value)
            value = _polish(m, found, options)  # exact penalty values, and CP-SAT's own check of the plan
            report.stats["polished"] = value is not None
            _complete(plan, m, terms, value or found)  # the plan's score, as cpsat reports it
            report.bound = None if at_odds else _bound(run.highs, mip)
            report.gap = _gap(report.objective, report.bound) if report.bound is not None else None
            report.stats["mip_objective"] = run.highs.getInfo().objective_function_value
            if report.status == "OPTIMAL" and report.objective - (report.bound or -math.inf) >= 1:  # no proof of it
                report.status = "FEASIBLE"
        starts.keep_if_better(plan)
        if m.instance.fixed_waves is not None:
            _given_the_waves(report, options.baseline is not None)
        return plan


class _Run:
    """One HiGHS solve in a worker thread, so that Ctrl-C in the main thread can stop it and
    keep the best plan; improving plans are reported as progress."""

    def __init__(self, mip: Mip, options: SolveOptions) -> None:
        self.options = options
        self.highs = _new_highs()
        self.stop = threading.Event()  # Ctrl-C
        self.halt = threading.Event()  # a one-worker solve's CPU net (solvers.base.cpu_net)
        self.first_solution: float | None = None
        self.solutions = 0
        _load(self.highs, mip)
        _set_options(self.highs, mip, options)
        self.highs.cbMipImprovingSolution += self._on_solution
        self.highs.cbMipInterrupt += self._on_interrupt_check

    def _on_solution(self, event: highspy.highs.HighsCallbackEvent) -> None:
        out = event.data_out
        self.solutions += 1
        if self.first_solution is None:
            self.first_solution = out.running_time
        if self.options.on_progress:
            self.options.on_progress(Progress(out.running_time, out.objective_function_value, out.mip_dual_bound))

    def _on_interrupt_check(self, event: highspy.highs.HighsCallbackEvent) -> None:
        if self.stop.is_set() or self.halt.is_set():
            event.interrupt()

    def solve(self, columns: np.ndarray, values: np.ndarray, on_start: Callable[[], None] | None = None) -> None:
        if len(columns):
            self.highs.setSolution(len(columns), columns, values)

        def work() -> None:
            try:
                self.highs.run()
            finally:
                # HiGHS keeps a task scheduler per thread; this one ends here.
                highspy.Highs.resetThreadScheduler(False)

        run_interruptibly(work, self.stop.set, on_start)


def _new_highs() -> highspy.Highs:
    """A silent HiGHS. Its first construction in a process prints a copyright banner straight to
    file descriptor 1, before any option can turn output off; a plan or report written to stdout
    must not carry it, so that one construction writes to /dev/null."""
    global _banner_shown
    with _banner_lock:
        if not _banner_shown:
            _construct_quietly()
            _banner_shown = True
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def _construct_quietly() -> None:
    sys.stdout.flush()
    try:
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no stdout to protect
        highspy.Highs()
        return
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _load(highs: highspy.Highs, mip: Mip, relaxed: bool = False) -> None:
    """Pass the MIP to HiGHS; `relaxed`: every column continuous (its LP relaxation)."""
    integer = np.full(mip.columns, 0 if relaxed else 1, dtype=np.int32)  # 1: HiGHS's kInteger
    status = highs.passModel(
        mip.columns, mip.rows, mip.nonzeros, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
        mip.offset, mip.cost, mip.col_lower, mip.col_upper, mip.row_lower, mip.row_upper,
        mip.start[:-1], mip.index, mip.value, integer)
    if status != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS rejected the translated model ({status.name}); this is a bug, please report it")


def _set_options(highs: highspy.Highs, mip: Mip, options: SolveOptions) -> None:
    settings: dict[str, object] = {
        "time_limit": float(options.time_limit),
        "threads": max(1, int(options.workers)),
        "random_seed": int(options.seed),
        "mip_rel_gap": 0.0,
        # With whole-number costs every plan's score is whole, so a gap below 1 proves optimality.
        "mip_abs_gap": 0.999 if mip.integral_objective else 1e-6,
    }
    settings.update(options.extra)  # expert overrides, e.g. mip_heuristic_effort=0.3
    for name, raw in settings.items():
        if highs.setOptionValue(name, raw) != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS does not take option {name}={raw!r}")


def _status(highs: highspy.Highs, mip: Mip) -> str:
    model_status = highs.getModelStatus().name
    if model_status == "kOptimal":
        return "OPTIMAL"
    if model_status == "kInfeasible":
        return "INFEASIBLE"
    if model_status == "kUnboundedOrInfeasible" and np.isfinite(mip.col_lower).all() and np.isfinite(mip.col_upper).all():
        return "INFEASIBLE"  # every column is bounded, so the MIP cannot be unbounded
    if model_status in _STOPPED:
        return "FEASIBLE" if highs.getInfo().primal_solution_status == _FEASIBLE_SOLUTION else "UNKNOWN"
    return normalise_status(f"HIGHS_{model_status}")  # raises: never mapped to a guess


def _without_presolve(run: _Run, mip: Mip, options: SolveOptions, started: float) -> _Run:
    """HiGHS solved again without presolve, from the first run's plan, in what is left of the
    limit on the clock: its presolve scored its plan other than the model does (seen with 1.16.0
    on a two-practice area: 71,118 claimed optimal for a plan of 71,608, where 71,578 is the
    optimum), so its status and bound cannot be trusted. Ctrl-C while it is set up keeps the
    first run (marked stopped)."""
    first = run
    plan = np.asarray(first.highs.getSolution().col_value, dtype=np.float64)
    left = max(HIGHS_LEAST_SECONDS, options.time_limit - (time.perf_counter() - started))
    try:
        run = _Run(mip, replace(options, time_limit=left, extra={**options.extra, "presolve": "off"}))
    except KeyboardInterrupt:
        first.stop.set()
        return first
    run.solve(np.arange(mip.columns, dtype=np.int32), plan)
    return run


def _objective_mismatch(highs: highspy.Highs, mip: Mip) -> tuple[float, float] | None:
    """(HiGHS's objective, the MIP's own objective of HiGHS's solution) when they differ by a
    point or more, else None (no solution, or they agree)."""
    if highs.getInfo().primal_solution_status != _FEASIBLE_SOLUTION:
        return None
    claimed = highs.getInfo().objective_function_value
    actual = float(mip.cost @ np.asarray(highs.getSolution().col_value) + mip.offset)
    return (claimed, actual) if abs(claimed - actual) >= 0.5 else None


def _bound(highs: highspy.Highs, mip: Mip) -> float:
    bound = highs.getInfo().mip_dual_bound
    # Whole-number scores: a bound of 608,812.3 proves 608,813.
    return float(math.ceil(bound - 1e-6)) if mip.integral_objective and math.isfinite(bound) else bound


def _mip_valuer(col_value: list[float]) -> Value:
    """Values of CP-SAT variables and expressions in HiGHS's solution, rounded to integers."""
    return array_valuer([round(v) for v in col_value])


def _stats(m: PltModel, mip: Mip, run: _Run, built: float, hinted: int) -> dict:
    info = run.highs.getInfo()
    stats: dict[str, float | int | str] = {
        "variables": len(m.model.proto.variables),
        "constraints": len(m.model.proto.constraints),
        "decisions": len(_decisions(m)),
        "mip_rows": mip.rows,
        "mip_columns": mip.columns,
        "mip_nonzeros": mip.nonzeros,
        "mip_start_values": hinted,
        "build_seconds": round(built, 3),
        "waves": m.instance.waves,
        "nodes": info.mip_node_count,
        "solutions": run.solutions,
        "highs_status": run.highs.getModelStatus().name,
        "interrupted": run.stop.is_set(),
    }
    if run.first_solution is not None:
        stats["first_solution_seconds"] = round(run.first_solution, 3)
    return stats
