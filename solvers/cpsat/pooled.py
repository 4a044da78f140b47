"""A lower bound on a one-wave area's optimum from a relaxation that pools its external
afternoons, and the plan laid out from its optimum: how `solve` proves a small area's plan optimal
(`prove`), and what `python -m benchmarks.pooled_bound` prints.

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
version kept each run's start block (8,748 variables) and took 214 s. `lay_out` then finds a plan
of 610,264 in 3-30 s (a median 15 s with CP-SAT's presolve, see LAY_OUT_PRESOLVE), which is
optimal: `plt-scheduler solve examples/norwich/scenario.yaml --time-limit 120` (2 workers) ended
OPTIMAL after 41.8-58.4 s in 13 of 14 runs (the other: 610,364, gap 0.016 %), and `check` passed
each plan. The search alone, in 60 s, ends at 610,264 to 610,634 (seeds differ) against its bound of
609,962.

Where the time goes: with the two equity terms weighted 0, the relaxation's optimum (600,884) is
proven at the root in 2.3 s; the optimum with them is that plus 20 x (252 + 217). Each worst
share alone goes lower (the role's to 211, the practice's to 219-223, the two together to 435-449),
so the bound must weigh them against runs and rooms: given floors of 252 and 217 on them, HiGHS
proves the optimum at the root in 2.2 s. The LP's own optimum (609,962) is not short on the
practices: its worst practice share is 254.5, above the optimum's 252, though it shares the
on-site visits out in fractions. It is short on the roles and the rooms: every role at 208.8 per
mille (the optimum leaves admin at 216.9), rooms 2,130 against 2,380; trainers 17,811 against
17,750. Cuts on the visits alone would not close it. Tried and slower: seats continuous (the
same bound, 26-37 s); unmet continuous (HiGHS no longer sees a whole-number objective: 58 s,
66 s, and no proof in 120 s); pooled over blocks only, per afternoon (8,853 variables: 117 s, the
same bound); CP-SAT on it (bound 593,168 after 90 s). The unmet-demand floor the model adds
(`probe.py`) is added here too.
Without the trainers' weekday term the optimum was 610,260: a Tuesday spreads the afternoons
better, but trainer t-it, who prefers Wednesdays and Thursdays, would teach Excel on it, and the
term charges for that.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

from models.scenario import Delivery, Scenario

from ..base import Progress, SolveOptions, run_interruptibly
from ..instance import Instance, build_instance
from . import cover, dates, demand, internal, trainers
from .build import build_model
from .external import VIRTUAL, seats_per_run
from .model import PltModel, grouped
from .objective import set_objective
from .probe import unmet_floor

POOLED = ("pooled", 1)  # the session key every pooled variable carries
ANY_BLOCK = 0  # the block key every pooled run, seat and trainer carries: blocks are summed too


class SeveralWaves(ValueError):
    """The area closes in several waves: the relaxation pools one wave's afternoons."""


@dataclass(frozen=True)
class Totals:
    """What a plan laid out from the relaxation's optimum keeps (`lay_out`): its dates and on-site
    visits as they are, each practice's seats per role and course for the year, and each room
    class's afternoons used."""

    exact: dict[str, dict[tuple, int]]  # "on_date", "on_site" -> key -> value
    seats: dict[tuple[str, str, str], int]
    rooms: dict[int, int]


@dataclass(frozen=True)
class PooledBound:
    status: str  # HiGHS's model status
    bound: float  # HiGHS's dual bound: no plan of the scenario scores less
    best: float | None  # the relaxation's best solution (not a plan)
    seconds: float
    variables: int
    totals: Totals | None = None  # the relaxation's optimum, when proven


def pooled_model(instance: Instance, floor: int | None = None) -> tuple[PltModel, dict]:
    """The relaxation as a CP-SAT model (for HiGHS to solve), with the objective's terms.
    `floor`: the whole model's probed floor on the unmet term (probe.py), probed here when not given."""
    if instance.waves != 1:
        raise SeveralWaves(f"{instance.scenario.name}: {instance.waves} waves; the pooled relaxation is for one wave only")
    m = PltModel(instance)
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
    if floor is None:
        full, full_terms = build_model(instance)
        found = unmet_floor(full, full_terms["unmet"][1])
        floor = found.floor if found is not None else None
    if floor is not None:
        m.model.add(terms["unmet"][1] >= floor)
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


def pooled_bound(scenario: Scenario | Instance, seconds: float, cutoff: float | None = None,
                 floor: int | None = None, stop: threading.Event | None = None) -> PooledBound:
    """Solve the relaxation with HiGHS (gap 0) for at most `seconds`; `stop`, once set, ends it
    early with the bound it has. `floor`: see `pooled_model`."""
    from ..highs import _load, _new_highs  # lazily: the HiGHS back end imports this package
    from ..highs.translate import translate

    start = time.monotonic()
    instance = scenario if isinstance(scenario, Instance) else build_instance(scenario)
    m, _ = pooled_model(instance, floor)
    highs = _new_highs()
    _load(highs, translate(m.model.proto))
    # No "threads": HiGHS refuses to run once its scheduler has started with another count (the
    # floor's probe starts it).
    for name, value in (("time_limit", float(seconds)), ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.0)):
        highs.setOptionValue(name, value)
    if cutoff is not None:
        highs.setOptionValue("objective_bound", float(cutoff))
    if stop is not None:
        def on_check(event: highspy.highs.HighsCallbackEvent) -> None:
            if stop.is_set():
                event.interrupt()
        highs.cbMipInterrupt += on_check
    if highs.run() == highspy.HighsStatus.kError:  # kWarning: stopped by the limit or `stop`
        raise RuntimeError(f"HiGHS did not run ({highs.getModelStatus().name})")
    info, status = highs.getInfo(), highs.getModelStatus().name
    best = info.objective_function_value if math.isfinite(info.objective_function_value) else None
    totals = _totals(m, np.asarray(highs.getSolution().col_value)) if status == "kOptimal" else None
    return PooledBound(status, info.mip_dual_bound, best, time.monotonic() - start, len(m.model.proto.variables),
                       totals)


def _totals(m: PltModel, x: np.ndarray) -> Totals:
    from . import array_valuer  # lazily: the package imports this module

    value = array_valuer(np.rint(x).astype(np.int64).tolist())  # HiGHS's columns, whole within tolerance
    exact = {name: {key: value(expr) for key, expr in group.items()}
             for name, group in (("on_date", m.on_date), ("on_site", m.on_site))}
    seats = {(p, r, c): value(v) for (_, _, p, r, c, _), v in m.seats.items()}
    rooms = {k: value(v) for (_, _, k), v in m.rooms_used.items()}
    return Totals(exact, seats, rooms)


def lay_out(m: PltModel, totals: Totals) -> cp_model.CpModel:
    """The whole model `m` held to the relaxation's totals, one value per variable as in `m`.
    The relaxation's optimum need not be a plan's, so it may have no plan of that score, or none.

    What to hold, measured (CP-SAT, two workers, 30 s, with the score held to the bound): on
    Norwich holding the dates, visits, seats per practice, role and course and rooms used per
    class, a plan came in 10.2 s; with the trainers' afternoons held too, in 12.2 s, but on the
    4-practice area of the tests there was none (infeasible in 0.9 s) where without them one came
    in 11.3 s; with the runs and trainers per course held too, none on Norwich; holding only the
    dates and seats, none within 30 s on either."""
    copy = m.model.clone()
    copy.clear_hints()
    var = copy.get_int_var_from_proto_index

    def on_copy(expr: object) -> cp_model.LinearExprT:
        flat = cmh.FlatIntExpr(expr)
        return flat.offset + sum(c * var(v.index) for v, c in zip(flat.vars, flat.coeffs, strict=True))

    for name, group in (("on_date", m.on_date), ("on_site", m.on_site)):
        for key, expr in group.items():
            if key in totals.exact[name] and not isinstance(expr, int):
                copy.add(on_copy(expr) == totals.exact[name][key])
    for variables, key, held in ((m.seats, lambda k: k[2:5], totals.seats), (m.rooms_used, lambda k: k[2], totals.rooms)):
        for group, vs in grouped(variables, key).items():  # seats per (practice, role, course); rooms per class
            if group in held:
                copy.add(sum(var(v.index) for v in vs.values()) == held[group])
    return copy


# `solve` tries the proof (`prove`) on areas of one wave whose model has at most POOLED_UP_TO
# variables, with several workers (HiGHS's limit is on the clock, so one worker's plan would not
# repeat) and a limit of at least POOLED_FROM seconds. Norwich (12,485 variables), two cores: the
# relaxation took 20-35 s (HiGHS seeds 0 to 3), and each of the four optima lays out at 610,264
# (the lay-out's first plan at the bound, before it presolved, came after 6.8, 9.9, 10.0 and
# 34.5 s; in `solve`, 13.1 and 16.8 s). With a 60 s limit, a lay-out that had not reached it in
# 15 s left the search 10 s: 615,814, where the search alone reaches 610,384-610,634; from 120 s
# on the search keeps at least 40 % of the limit, from the laid-out plan.
POOLED_FROM = 120.0
POOLED_UP_TO = 20_000
# Shares of the limit, on the clock from the solve's start: the relaxation until RELAXATION_SHARE,
# the lay-out for LAY_OUT_SHARE after it; the search has what is left.
RELAXATION_SHARE = 0.35
LAY_OUT_SHARE = 0.25


# CP-SAT's presolve for the lay-out (the search runs without it): with the dates, visits, seats and
# rooms held it shrinks the model first. Norwich, four HiGHS optima x five CP-SAT seeds, two
# workers, 40 s each, the score held at or above the bound: the first plan at the bound came after
# a median 15 s with presolve (2.8-27.0 s; one run of twenty found none) against 24 s without
# (7.4-39.8 s; four found none); within the lay-out's 30 s at --time-limit 120, 19 of 20 against 14.
# Its time goes to the trainers' cost alone: the first plan (2.9 s) already has every other term at
# the optimum's, with trainers at 18,370; 17,750 came at 17.3 s. Tried and not better (two optima x
# three seeds, 40 s): the score held at the bound too (7.0-33.0 s), linearization_level=2
# (9.4-18.9 s, against 8.3-26.9 s), symmetry_level=4 (no plan in three runs of six).
LAY_OUT_PRESOLVE = True


@dataclass(frozen=True)
class Proof:
    bound: int | None  # the relaxation's bound on every plan's score (None: none yet)
    values: np.ndarray | None  # the lay-out's plan, one value per variable of the model
    optimal: bool  # that plan scores the bound
    note: str  # what was done, for the report
    interrupted: bool


def worth_proving(m: PltModel, options: SolveOptions) -> bool:
    return (m.instance.waves == 1 and m.baseline is None and m.instance.fixed_waves is None
            and options.workers > 1 and options.time_limit >= POOLED_FROM
            and len(m.model.proto.variables) <= POOLED_UP_TO)


def prove(m: PltModel, terms: dict, options: SolveOptions, started: float) -> Proof:
    """The relaxation's optimum (HiGHS), then the best plan of `m` laid out at its totals
    (CP-SAT): one that scores the relaxation's bound is optimal. When none does, the search goes
    on from `m` with the bound added (`objective >= bound`, so that it stops on reaching it) and,
    when better than its start, the lay-out's plan as its start. Ctrl-C stops either step."""
    from . import run_solver  # lazily: the package imports this module
    from .hints import complete_hint_values, hint_every_variable, plan_objective

    stop, result = threading.Event(), {}
    seconds = RELAXATION_SHARE * options.time_limit - (time.perf_counter() - started)
    floor = m.unmet_floor.floor if m.unmet_floor is not None else None

    def relax() -> None:
        try:
            result["pooled"] = pooled_bound(m.instance, max(0.1, seconds), floor=floor, stop=stop)
        except (NotImplementedError, RuntimeError) as exc:  # a rule HiGHS's translation lacks, or HiGHS failed
            result["error"] = exc
        finally:
            highspy.Highs.resetThreadScheduler(False)  # HiGHS keeps a task scheduler per thread

    interrupted = run_interruptibly(relax, stop.set)
    if "error" in result:  # the search goes on as if there were no proof
        return Proof(None, None, False, f"pooled relaxation: not solved ({result['error']})", interrupted)
    pooled: PooledBound = result["pooled"]
    # Every plan's score is a whole number (whole weights and terms), so the bound rounds up; less
    # a half, so that HiGHS's tolerance (610,263.9999999988 on Norwich) never lifts it a whole unit.
    bound = math.ceil(pooled.bound - 0.5) if math.isfinite(pooled.bound) else None
    note = f"pooled relaxation: {pooled.status[1:]} in {pooled.seconds:.1f} s, bound {pooled.bound:,.0f}"
    if bound is not None:
        m.model.add(sum(weight * expr for weight, expr in terms.values()) >= bound)
    if interrupted or pooled.totals is None or bound is None:
        return Proof(bound, None, False, note, interrupted)
    clock = time.perf_counter()
    sink = options.on_progress

    def shown(p: Progress) -> None:
        """The lay-out's plans are plans of `m`, shown as they come, with the relaxation's bound:
        the lay-out's own bound holds only for plans held to the totals."""
        sink(replace(p, bound=bound))

    solver, status, interrupted = run_solver(lay_out(m, pooled.totals),
                                             replace(options, time_limit=LAY_OUT_SHARE * options.time_limit,
                                                     on_progress=shown if sink else None), presolve=LAY_OUT_PRESOLVE)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        note += f"; no plan laid out at its totals in {time.perf_counter() - clock:.1f} s"
        return Proof(bound, None, False, note, interrupted)
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)
    objective = plan_objective(m.model.proto, values)
    optimal = objective <= bound + 0.5
    note += f"; plan laid out at its totals: {objective:,.0f} in {time.perf_counter() - clock:.1f} s"
    start = complete_hint_values(m)
    if not optimal and (start is None or objective < plan_objective(m.model.proto, start) - 0.5):
        hint_every_variable(m.model.proto, values)  # the search's start
        m.hint_exact = False
        note += ", the search's start"
    return Proof(bound, values, optimal, note, interrupted)
