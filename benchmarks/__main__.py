"""`python -m benchmarks [--quick] [--time-limit S] [--only NAME] [--method M]`: solve each
instance with each back end and strategy in a fresh process and print one table.

Columns: instance, practices, method, status, time to the first feasible plan, the best plan's
objective 10, 60 and 300 s after the start (the solver's incumbent; "-" beyond the time limit),
the final checked score, best bound, gap, seconds, peak memory, and the checker's verdict.
Methods: greedy (the coordinator's baseline), cpsat (the full model with the structured
neighbourhood search beside it), cpsat-plain (the full model alone), highs, decomposed
(a greedy master, CP-SAT per group of networks in parallel processes). The 6,300-practice area
runs decomposed only. Each run is a separate process so that peak memory (ru_maxrss, the larger
of the run and its child processes) belongs to that run alone. Timings on 2-core machines are
noisy: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse

from . import first_paragraph
from .runner import CHECKPOINTS, DECOMPOSED_ONLY, INSTANCES, METHODS, run_one

QUICK = [("norwich", m) for m in METHODS] + [("norfolk-waveney", "decomposed")]


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    at = "".join(f"{f'at {t} s':>12}" for t in CHECKPOINTS)
    head = (f"{'instance':<16}{'practices':>9} {'method':<12}{'status':<10}{'first s':>8}{at}{'final':>12}"
            f"{'bound':>12}{'gap %':>7}{'seconds':>8}{'peak MiB':>9}{'check':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        gap = None if r["gap"] is None else 100 * r["gap"]
        ats = "".join(f"{_fmt(r['at'][t], ',d'):>12}" for t in CHECKPOINTS)
        print(f"{r['instance']:<16}{r['practices']:>9} {r['method']:<12}{r['status']:<10}{_fmt(r['first'], '.1f'):>8}"
              f"{ats}{_fmt(r['objective'], ',d'):>12}{_bound(r):>12}{_fmt(gap, '.2f'):>7}"
              f"{r['seconds']:>8.1f}{r['peak_mib']:>9.0f}{r['check']:>6}", flush=True)
    if any(r.get("bound_given") for r in rows):
        print("* bound and gap for plans with the greedy plan's waves and cover, fixed before modelling")


def _bound(row: dict) -> str:
    return _fmt(row["bound"], ",.0f") + ("*" if row.get("bound_given") and row["bound"] is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=first_paragraph(__doc__))
    parser.add_argument("--quick", action="store_true",
                        help="Norwich with every method and Norfolk and Waveney decomposed, 10 s each (CI smoke use)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per run (default 300)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", action="append", choices=list(INSTANCES), help="run only these instances")
    parser.add_argument("--method", action="append", choices=list(METHODS), help="run only these methods")
    args = parser.parse_args()
    if args.quick:
        runs, limit = QUICK, 10.0
    else:
        runs = [(i, m) for i in INSTANCES for m in METHODS
                if i not in DECOMPOSED_ONLY or m in ("greedy", "decomposed")]
        limit = args.time_limit
    runs = [(i, m) for i, m in runs if (not args.only or i in args.only) and (not args.method or m in args.method)]
    rows = []
    for instance, method in runs:
        rows.append(run_one(instance, method, limit, args.workers))
        print(f"  done {instance} {method}", flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()
