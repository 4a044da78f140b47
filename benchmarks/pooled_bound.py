"""`python -m benchmarks.pooled_bound [SCENARIO] [--time-limit S] [--cutoff OBJECTIVE]`: the pooled
relaxation's bound on a one-wave area's optimum (solvers/cpsat/pooled.py, which `solve` uses to
prove a small area's plan optimal), on its own, with HiGHS's time and status."""

from __future__ import annotations

import argparse

from benchmarks import first_paragraph
from models.loading import ScenarioError, load_scenario
from solvers.cpsat.pooled import SeveralWaves, pooled_bound


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pooled_bound",
                                     description=first_paragraph(__doc__))
    parser.add_argument("scenario", nargs="?", default="examples/norwich/scenario.yaml")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--cutoff", type=float, help="prune below this objective (the best plan known, less 0.5)")
    args = parser.parse_args()
    try:
        result = pooled_bound(load_scenario(args.scenario), args.time_limit, args.cutoff)
    except ScenarioError as exc:  # a missing or invalid file: named, exit 2, as the CLI does
        parser.error(exc.render())
    except SeveralWaves as exc:
        parser.error(str(exc))
    best = "-" if result.best is None else f"{result.best:,.0f}"
    print(f"{args.scenario}: {result.variables:,} variables, {result.status}, best {best}, "
          f"bound {result.bound:,.1f}, {result.seconds:.1f} s")


if __name__ == "__main__":
    main()
