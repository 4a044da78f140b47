"""`python -m benchmarks [--quick] [--time-limit S] [--only NAME]`: solve each instance with each
back end in a fresh process and print one table: instance, practices, staff, back end, status,
objective, bound, gap, seconds, peak memory, and the checker's verdict.

Each run is a separate process so that peak memory (ru_maxrss) belongs to that run alone.
Timings on 2-core machines are noisy: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse

from .runner import INSTANCES, run_one


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    head = (f"{'instance':<10} {'practices':>9} {'staff':>7} {'solver':<7} {'status':<10} {'objective':>11} "
            f"{'bound':>11} {'gap %':>7} {'first s':>7} {'seconds':>8} {'peak MiB':>9} {'check':>5}")
    print(head)
    print("-" * len(head))
    for r in rows:
        gap = None if r["gap"] is None else 100 * r["gap"]
        print(f"{r['instance']:<10} {r['practices']:>9} {r['staff']:>7} {r['solver']:<7} {r['status']:<10} "
              f"{_fmt(r['objective'], ',d'):>11} {_fmt(r['bound'], ',.0f'):>11} {_fmt(gap, '.2f'):>7} "
              f"{_fmt(r['first'], '.1f'):>7} {r['seconds']:>8.1f} {r['peak_mib']:>9.0f} {r['check']:>5}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short limits and small instances (CI smoke use)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per CP-SAT run (default 60)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", action="append", choices=list(INSTANCES), help="run only these instances")
    parser.add_argument("--solver", action="append", choices=["cpsat", "greedy"], help="run only these back ends")
    args = parser.parse_args()
    instances = args.only or (["norwich", "gen-100"] if args.quick else list(INSTANCES))
    limit = 10.0 if args.quick else args.time_limit
    rows = []
    for instance in instances:
        for solver in args.solver or ["greedy", "cpsat"]:
            rows.append(run_one(instance, solver, limit, args.workers))
    print_table(rows)


if __name__ == "__main__":
    main()
