"""Sweeps: many variants of one scenario, solved in parallel, compared in one table.

A grid file lists named `variants` (each with `set` and `drop` edits) and/or `axes` (a path and
its values; every combination becomes a variant). Each variant is solved with one worker and
CP-SAT's deterministic time, so results do not depend on how many run at once; locally they
run in processes, and with `--engine ray` the same function runs as Ray tasks.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models import ScenarioError, dump_scenario, parse_scenario
from models.consistency import unplannable
from models.loading import load_yaml, read_document, reading_fix, yaml_problem
from models.plan import Plan
from models.score import score_plan
from solvers.base import SolveOptions, get_solver
from solvers.parallel import EngineUnavailable, run_tasks

from .edits import EditError, apply_edits


@dataclass(frozen=True)
class Variant:
    name: str
    sets: dict[str, Any] = field(default_factory=dict)
    drops: tuple[str, ...] = ()


def read_grid(path: str | Path) -> list[Variant]:
    shape = "a grid holds 'variants' (a list of name, set, drop) and/or 'axes' (a mapping of path: [values])"
    try:
        grid = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise EditError(f"{path}: cannot read the grid ({yaml_problem(exc)}); {reading_fix(exc)}") from None
    if not isinstance(grid, dict) or not (grid.get("variants") or grid.get("axes")) or set(grid) - {"variants", "axes"}:
        raise EditError(f"{path}: {shape}")
    variants_given, axes = grid.get("variants") or [], grid.get("axes") or {}
    if not isinstance(variants_given, list) or not all(isinstance(v, dict) for v in variants_given):
        raise EditError(f"{path}: 'variants' is {variants_given!r}; {shape}")
    if not isinstance(axes, dict) or not all(isinstance(v, list) for v in axes.values()):
        raise EditError(f"{path}: 'axes' is {axes!r}; {shape}, e.g. cover_providers.ooh.capacity: [90000, 120000]")
    variants = [Variant("base")]
    for i, v in enumerate(variants_given):
        sets, drops = v.get("set") or {}, v.get("drop") or []
        if set(v) - {"name", "set", "drop"}:
            raise EditError(f"{path}: variants[{i}] has {sorted(set(v) - {'name', 'set', 'drop'})}; a variant holds "
                            "name, set and drop only")
        if not isinstance(sets, dict) or not isinstance(drops, list):
            raise EditError(f"{path}: variants[{i}]: 'set' is a mapping of PATH: VALUE and 'drop' a list of paths")
        variants.append(Variant(str(v.get("name", f"variant-{i + 1}")), dict(sets), tuple(drops)))
    for combo in itertools.product(*axes.values()) if axes else ():  # no axes: no empty combination
        sets = dict(zip(axes, combo, strict=True))
        variants.append(Variant(", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in sets.items()), sets))
    return variants


def _summary(scenario, plan: Plan, base: Plan | None) -> dict[str, Any]:
    score = score_plan(scenario, plan, base)
    met = sum(a.met for a in score.by_course.values())
    demand = sum(a.demand for a in score.by_course.values())
    worst = min(score.by_practice.items(), key=lambda kv: (kv[1].met / kv[1].demand if kv[1].demand else 1, kv[0]))
    cost = sum(score.terms[t].raw for t in ("cost_cover", "cost_trainers", "cost_rooms"))
    return {"objective": score.total - score.terms["stability"].weighted, "terms": {t: v.weighted for t, v in
            score.terms.items() if t != "stability"}, "cost": cost, "met": met, "demand": demand,
            "worst_practice": worst[0], "worst_share": round(100 * worst[1].met / max(1, worst[1].demand), 1),
            "changes": score.terms["stability"].raw if base else 0}


def _edited(doc: dict[str, Any], variant: Variant) -> dict[str, Any]:
    return apply_edits(doc, tuple(f"{k}={json.dumps(v, default=str)}" for k, v in variant.sets.items()),
                       variant.drops)


def check_edits(scenario_path: str, variants: list[Variant], grid: str | Path) -> None:
    """Raise EditError, before any solve, for a variant whose edits name a path the scenario
    lacks (a typo in the grid), naming the grid and the variant. A variant whose values make the
    scenario invalid is a result of the sweep: its row says INVALID and why."""
    try:
        doc = dump_scenario(parse_scenario(read_document(scenario_path), scenario_path))
    except ScenarioError:
        return  # the base row says why
    for variant in variants:
        try:
            _edited(doc, variant)
        except EditError as exc:
            raise EditError(f"{grid}: variant {variant.name!r}: {exc}") from None


def run_variant(task: tuple[str, Variant, float, int, str | None]) -> dict[str, Any]:
    """Solve one variant (top level, so processes and Ray can run it)."""
    scenario_path, variant, time_limit, seed, base_json = task
    row: dict[str, Any] = {"variant": variant.name}
    try:
        doc = _edited(dump_scenario(parse_scenario(read_document(scenario_path), scenario_path)), variant)
        scenario = parse_scenario(doc, f"{scenario_path} ({variant.name})")
    except (EditError, ScenarioError) as exc:  # a bad variant is a row, not the end of the sweep
        return row | {"status": "INVALID", "error": " ".join(line.strip() for line in str(exc).splitlines()[:3])}
    if no_room := unplannable(scenario):  # what validate refuses, with why
        return row | {"status": "INVALID", "error": str(no_room[0])}
    plan = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=time_limit, workers=1, seed=seed))
    row["status"] = plan.solver.status
    if plan.solver.status in ("OPTIMAL", "FEASIBLE"):
        base = Plan.model_validate_json(base_json) if base_json else None
        row |= _summary(scenario, plan, base)
        row["plan"] = plan.model_dump_json()
    return row


def sweep(scenario_path: str, variants: list[Variant], time_limit: float, seed: int, jobs: int,
          engine: str = "local", quiet: bool = True) -> list[dict[str, Any]]:
    """The base first (its plan is what the others are compared with), then every other variant."""
    base_row = run_variant((scenario_path, variants[0], time_limit, seed, None))
    tasks = [(scenario_path, v, time_limit, seed, base_row.get("plan")) for v in variants[1:]]
    try:
        rows = run_tasks(run_variant, tasks, jobs, engine, None if quiet else _progress)
    except EngineUnavailable as exc:
        raise EditError(str(exc)) from None
    return [{k: v for k, v in r.items() if k != "plan"} for r in [base_row, *rows]]


def _progress(rows, total: int):
    from rich.progress import track

    return track(rows, total=total, description="variants", transient=True)


def render(rows: list[dict[str, Any]]) -> str:
    width = max([34, *(len(r["variant"]) + 1 for r in rows)])  # whole names: cut, two could read alike
    head = (f"{'variant':<{width}}{'status':<11}{'objective':>12}{'unmet':>11}{'equity':>9}{'cost':>9}"
            f"{'met %':>7}{'worst practice':>17}{'changes':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if "objective" not in r:
            lines.append(f"{r['variant']:<{width}}{r['status']:<11}{r.get('error', '')}")
            continue
        equity = r["terms"]["equity_practice"] + r["terms"]["equity_role"]
        lines.append(f"{r['variant']:<{width}}{r['status']:<11}{r['objective']:>12,}{r['terms']['unmet']:>11,}"
                     f"{equity:>9,}{r['cost']:>9,}{100 * r['met'] / max(1, r['demand']):>7.1f}"
                     f"{r['worst_practice'] + ' ' + str(r['worst_share']) + '%':>17}{r['changes']:>9}")
    return "\n".join(lines)
