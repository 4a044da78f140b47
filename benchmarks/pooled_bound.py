"""`python -m benchmarks.pooled_bound [SCENARIO] [--time-limit S] [--cutoff OBJECTIVE]`: a lower
bound on a one-wave area's optimum from a relaxation that pools its external afternoons.

The CP-SAT model's own bound on Norwich stops at its LP relaxation (609,962-609,964, against
plans of 610,264): the LP fills every room's odd block with a fraction of a run, afternoon by
afternoon. This relaxation keeps the dates, the cover, the internal afternoons and every
objective term as the model has them (`solvers/cpsat`'s own rules), but sums each external
course's runs, seats and trainers over the external afternoons and their blocks:
- runs per (course, room class) for the year; a class's runs fill at most its rooms' blocks on
  the afternoons it is used (length x runs <= blocks x room-afternoons), and a run longer than
  half the afternoon holds the middle block, so those runs are at most the room-afternoons;
- a trainer's runs at most their runs per afternoon times the afternoons they work (each on a
  date they are free), their blocks at most those afternoons' blocks, one long run each;
- a practice's staff of a role fill at most their headcount times the afternoons' blocks, and
  each takes at most one long course an afternoon.
Every plan maps onto it with the same objective or less (rooms used are counted per afternoon
over the year, the trainers' weekday term on the afternoons they work), so its optimum bounds
every plan's score from below. It is small (Norwich: 6,469 variables), and whole runs for the
year are what the LP lacked.

Measured on Norwich (this 2-core machine): optimum 610,264, proven (gap 0) in 29.4 s; a first
version kept each run's start block (8,748 variables) and took 214 s. `plt-scheduler solve
examples/norwich/scenario.yaml --seed 2` found a plan of 610,264 that `check` passes, so that
plan is optimal. Where the time goes: with the two equity terms weighted 0, the relaxation's
optimum (600,884) is proven at the root in 2.3 s. The optimum with them is that plus 20 x (252 +
217), but the worst shares alone reach 448 (HiGHS, 120 s, not proven), so the search must weigh
them against runs and rooms. The unmet-demand floor the model adds (`probe.py`) is added here
too. Without the trainers' weekday term the optimum was 610,260: Tuesdays spread the afternoons
better, and that term is what makes t-it's Tuesday Excel cost.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import highspy
from ortools.sat.python import cp_model

from models.loading import load_scenario
from models.scenario import Delivery, Scenario
from solvers.cpsat import cover, dates, demand, internal, trainers
from solvers.cpsat.build import build_model
from solvers.cpsat.external import VIRTUAL, seats_per_run
from solvers.cpsat.model import PltModel
from solvers.cpsat.objective import set_objective
from solvers.cpsat.probe import unmet_floor
from solvers.highs import _load, _new_highs
from solvers.highs.translate import translate
from solvers.instance import build_instance

POOLED = ("pooled", 1)  # the session key every pooled variable carries
ANY_BLOCK = 0  # the block key every pooled run, seat and trainer carries: blocks are summed too


@dataclass(frozen=True)
class PooledBound:
    status: str  # HiGHS's model status
    bound: float  # HiGHS's dual bound: no plan of the scenario scores less
    best: float | None  # the relaxation's best solution (not a plan)
    seconds: float
    variables: int


def pooled_model(scenario: Scenario) -> tuple[PltModel, dict]:
    """The relaxation as a CP-SAT model (for HiGHS to solve), with the objective's terms."""
    inst = build_instance(scenario)
    if inst.waves != 1:
        raise ValueError(f"{scenario.name}: {inst.waves} waves; the pooled relaxation is for one wave only")
    m = PltModel(inst)
    for rule in (dates.choose_dates, dates.waves_in_order, dates.afternoons_too_close,
                 dates.practices_close_once_per_event, cover.every_closed_practice_covered,
                 cover.cover_over_capacity, internal.on_site_courses):
        rule(m)
    _pooled_runs_and_rooms(m)
    _pooled_trainers(m)
    _pooled_seats(m)
    demand.demand_met(m)
    demand.runs_or_unmet(m)
    terms = set_objective(m)
    dates.spread_as_paths(m, terms["spread"][1])
    # The whole model's probed floor on unmet demand holds for every plan, so it may bound this too.
    full, full_terms = build_model(inst)
    floor = unmet_floor(full, full_terms["unmet"][1])
    if floor is not None:
        m.model.add(terms["unmet"][1] >= floor.floor)
    return m, terms


def _long(course_blocks: int, blocks: int) -> bool:
    """A run longer than half the afternoon holds its middle block, wherever it starts, so two
    such runs never share a room, a trainer or a person on one afternoon."""
    return 2 * course_blocks > blocks


def _pooled_runs_and_rooms(m: PltModel) -> None:
    inst, n, blocks = m.instance, len(m.sessions("external")), len(m.instance.blocks)
    for course in inst.external_courses:
        taught = len(inst.trainers_for(course))
        if course.delivery is Delivery.virtual:
            m.runs[(*POOLED, course.id, ANY_BLOCK, VIRTUAL)] = m.model.new_int_var(
                0, n * blocks * taught, f"runs({course.id},virtual)")
            continue
        for k in inst.classes_for(course):
            m.runs[(*POOLED, course.id, ANY_BLOCK, k.index)] = m.model.new_int_var(
                0, n * blocks * min(len(k.rooms), taught), f"runs({course.id},class{k.index})")
    lengths = {c.id: c.blocks for c in inst.external_courses}
    for k in inst.room_classes:
        free = sum(m.available(e, w, set(k.unavailable)) for e, w in m.sessions("external"))
        used = m.model.new_int_var(0, n * len(k.rooms), f"rooms_used(class{k.index})")
        m.model.add(used <= len(k.rooms) * free)
        m.rooms_used[(*POOLED, k.index)] = used
        here = [(lengths[c], v) for (_, _, c, _, cls), v in m.runs.items() if cls == k.index]
        if here:
            m.model.add(sum(length * v for length, v in here) <= blocks * used)  # blocks a room offers
            long = [v for length, v in here if _long(length, blocks)]
            if long:
                m.model.add(sum(long) <= used)


def _pooled_trainers(m: PltModel) -> None:
    inst, n, blocks = m.instance, len(m.sessions("external")), len(m.instance.blocks)
    lengths = {c.id: c.blocks for c in inst.external_courses}
    for course in inst.external_courses:
        runs = [v for key, v in m.runs.items() if key[2] == course.id]
        teachers = []
        for t in inst.trainers_for(course):
            v = m.model.new_int_var(0, n * blocks, f"teaches({t.id},{course.id})")
            m.teaches[(*POOLED, t.id, course.id, ANY_BLOCK)] = v
            teachers.append(v)
        m.model.add(sum(teachers) == sum(runs))
    for t in inst.scenario.trainers:
        teach = [(lengths[c], v) for (_, _, tid, c, _), v in m.teaches.items() if tid == t.id]
        if not teach:
            continue
        works = []
        for e, w in m.sessions("external"):
            x = m.model.new_bool_var(f"works({t.id},{e},w{w})")
            m.model.add(x <= m.available(e, w, set(t.unavailable)))
            m.works[e, w, t.id] = x  # the weekday term and the afternoons per year count it
            works.append(x)
        m.model.add(sum(length * v for length, v in teach) <= blocks * sum(works))
        long = [v for length, v in teach if _long(length, blocks)]
        if long:
            m.model.add(sum(long) <= sum(works))
        m.model.add(sum(v for _, v in teach) <= t.max_runs_per_afternoon * sum(works))
        m.model.add(sum(works) <= sum(v for _, v in teach))
    # The internal afternoons' visits and the afternoons per year (counting the external ones
    # above), as the model has them: with no runs to see, trainer_limits adds only those.
    m.teaches, pooled = {}, m.teaches
    trainers.trainer_limits(m)
    m.teaches = pooled


def _pooled_seats(m: PltModel) -> None:
    inst, n, blocks = m.instance, len(m.sessions("external")), len(m.instance.blocks)
    heads = {p.id: p.headcount for p in inst.scenario.practices}
    classes = {k.index: k for k in inst.room_classes}
    lengths = {c.id: c.blocks for c in inst.external_courses}
    by_course: dict[str, list[tuple[str, str, int]]] = {}
    for (p, r, c), d in inst.demand.items():
        by_course.setdefault(c, []).append((p, r, d))
    for course in inst.external_courses:
        runs = {key[4]: v for key, v in m.runs.items() if key[2] == course.id}
        seats = []
        for p, r, d in by_course.get(course.id, []):
            v = m.model.new_int_var(0, min(d, n * heads[p][r]), f"seats({p},{r},{course.id})")
            m.seats[(*POOLED, p, r, course.id, ANY_BLOCK)] = v
            seats.append(v)
        m.model.add(sum(seats) <= sum(seats_per_run(course, cls, classes) * v for cls, v in runs.items()))
        m.model.add(sum(seats) >= course.min_group * sum(runs.values()))
    staff: dict[tuple[str, str], list[tuple[int, cp_model.IntVar]]] = {}
    for (_, _, p, r, c, _), v in m.seats.items():
        staff.setdefault((p, r), []).append((lengths[c], v))
    for (p, r), seats in staff.items():
        m.model.add(sum(length * v for length, v in seats) <= n * blocks * heads[p][r])  # person-blocks
        long = [v for length, v in seats if _long(length, blocks)]
        if long:
            m.model.add(sum(long) <= n * heads[p][r])


def pooled_bound(scenario: Scenario, seconds: float, cutoff: float | None = None) -> PooledBound:
    """Solve the relaxation with HiGHS (one thread, gap 0) for at most `seconds`."""
    start = time.monotonic()
    m, _ = pooled_model(scenario)
    highs = _new_highs()
    _load(highs, translate(m.model.proto))
    # No "threads": HiGHS refuses to run once its scheduler has started with another count (the
    # floor's probe above starts it). Its branch and bound is one thread either way.
    for name, value in (("time_limit", float(seconds)), ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.0)):
        highs.setOptionValue(name, value)
    if cutoff is not None:
        highs.setOptionValue("objective_bound", float(cutoff))
    if highs.run() != highspy.HighsStatus.kOk:
        raise RuntimeError(f"HiGHS did not run ({highs.getModelStatus().name})")
    info = highs.getInfo()
    best = info.objective_function_value if math.isfinite(info.objective_function_value) else None
    return PooledBound(highs.getModelStatus().name, info.mip_dual_bound, best, time.monotonic() - start,
                       len(m.model.proto.variables))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pooled_bound", description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="examples/norwich/scenario.yaml")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--cutoff", type=float, help="prune below this objective (the best plan known, less 0.5)")
    args = parser.parse_args()
    result = pooled_bound(load_scenario(args.scenario), args.time_limit, args.cutoff)
    best = "-" if result.best is None else f"{result.best:,.0f}"
    print(f"{args.scenario}: {result.variables:,} variables, {result.status}, best {best}, "
          f"bound {result.bound:,.1f}, {result.seconds:.1f} s")


if __name__ == "__main__":
    main()
