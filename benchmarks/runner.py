"""One benchmark run in a fresh process, so that its peak memory (ru_maxrss) is its own.

Lives outside `__main__` because spawned processes must import the function they run.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INSTANCES = {
    "norwich": lambda: _load(ROOT / "examples" / "norwich" / "scenario.yaml"),
    "norfolk-waveney": lambda: _load(ROOT / "examples" / "norfolk-waveney" / "scenario.yaml"),
    "gen-430": lambda: _generate(430, 67, 7),
    "gen-6300": lambda: _generate(6300, 1250, 7),
}
# Back ends and strategies: a registered solver on the whole model, CP-SAT's full model alone
# (cpsat-plain: no structured neighbourhood search beside it), or CP-SAT decomposed.
METHODS = ("greedy", "cpsat", "cpsat-plain", "highs", "decomposed")
# Instances too large for one model: only the decomposed strategy (and its greedy master) runs.
DECOMPOSED_ONLY = {"gen-6300"}
CHECKPOINTS = (10, 60, 300)


def _load(path: Path):
    from models import load_scenario

    return load_scenario(path)


def _generate(practices: int, networks: int, seed: int):
    from models.generate import generate_scenario

    return generate_scenario(practices, networks, seed)


def _run(instance: str, method: str, time_limit: float, workers: int, queue: mp.Queue) -> None:
    from models.checker import check_plan
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver
    from solvers.decompose import solve_decomposed

    scenario = INSTANCES[instance]()
    started = time.perf_counter()
    trajectory: list[tuple[float, float]] = []  # (seconds since start, incumbent objective)

    def progress(p) -> None:
        trajectory.append((time.perf_counter() - started, p.objective))

    options = SolveOptions(time_limit=time_limit, workers=workers, seed=0, on_progress=progress)
    if method == "decomposed":
        plan = solve_decomposed(scenario, options)
    elif method == "cpsat-plain":
        options.lns = False
        plan = get_solver("cpsat").solve(scenario, options)
    else:
        plan = get_solver(method).solve(scenario, options)
    seconds = time.perf_counter() - started
    row = {"instance": instance, "practices": len(scenario.practices), "staff": scenario.staff_count,
           "method": method, "status": plan.solver.status, "objective": None, "bound": plan.solver.bound,
           "gap": plan.solver.gap, "bound_given": "bound_given" in plan.solver.stats,
           "seconds": seconds, "first": None, "check": "-",
           "at": {t: None for t in CHECKPOINTS}}
    if plan.solver.status in ("OPTIMAL", "FEASIBLE"):
        row["objective"] = score_plan(scenario, plan).total
        row["check"] = "ok" if not check_plan(scenario, plan) else "FAIL"
        trajectory.append((seconds, row["objective"]))  # the checked final plan
        row["first"] = trajectory[0][0]
        for t in CHECKPOINTS:  # the best plan in hand t seconds after the start
            if t > time_limit:
                continue
            seen = [obj for s, obj in trajectory if s <= t]
            row["at"][t] = row["objective"] if seconds <= t else (round(min(seen)) if seen else None)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # decomposed parts' processes
    row["peak_mib"] = max(own, children) / 1024
    queue.put(row)


def run_one(instance: str, method: str, time_limit: float, workers: int) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(instance, method, time_limit, workers, queue))
    proc.start()
    row = queue.get()
    proc.join()
    return row
