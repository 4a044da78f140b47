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
    "gen-100": lambda: _generate(100, 10, 7),
    "gen-400": lambda: _generate(400, 40, 7),
}


def _load(path: Path):
    from models import load_scenario

    return load_scenario(path)


def _generate(practices: int, networks: int, seed: int):
    from models.generate import generate_scenario

    return generate_scenario(practices, networks, seed)


def _run(instance: str, solver: str, time_limit: float, workers: int, queue: mp.Queue) -> None:
    from models.checker import check_plan
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver

    scenario = INSTANCES[instance]()
    started = time.perf_counter()
    first: list[float] = []
    options = SolveOptions(time_limit=time_limit, workers=workers, seed=0,
                           on_progress=lambda p: first.append(p.seconds) if not first else None)
    plan = get_solver(solver).solve(scenario, options)
    seconds = time.perf_counter() - started
    row = {"instance": instance, "practices": len(scenario.practices), "staff": scenario.staff_count,
           "solver": solver, "status": plan.solver.status, "objective": None, "bound": plan.solver.bound,
           "gap": plan.solver.gap, "seconds": seconds, "first": first[0] if first else None, "check": "-"}
    if plan.solver.status in ("OPTIMAL", "FEASIBLE"):
        row["objective"] = score_plan(scenario, plan).total
        row["check"] = "ok" if not check_plan(scenario, plan) else "FAIL"
    row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(row)

def run_one(instance: str, solver: str, time_limit: float, workers: int) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(instance, solver, time_limit, workers, queue))
    proc.start()
    row = queue.get()
    proc.join()
    return row
