"""Hard rule H6 (mandatory training) and the demand terms: unmet demand weighted by priority,
and max-min equity for the worst-served practice and role (per mille of their demand); and the
cuts that tighten the LP bound on unmet demand."""

from __future__ import annotations

from collections import Counter, defaultdict

from ortools.sat.python import cp_model

from .external import seats_per_run
from .model import PltModel, grouped


def demand_met(m: PltModel) -> None:
    """Met seats per practice, role and course: external seats plus on-site reach."""
    inst = m.instance
    parts: dict[tuple[str, str, str], list] = {key: [] for key in inst.demand}
    for (e, w, p, r, c, b), var in m.seats.items():
        parts[p, r, c].append(var)
    # Seats go to staff who need the course: never more external seats than the demand.
    for key, seats in parts.items():
        if len(seats) > 1:
            m.model.add(sum(seats) <= inst.demand[key])
    heads = {p.id: p.headcount for p in inst.scenario.practices}
    for (e, w, p, c), var in m.on_site.items():
        for r in inst.scenario.course(c).audience:
            if (p, r, c) in parts and not inst.scenario.role(r).bank:
                parts[p, r, c].append(heads[p][r] * var)
    mandatory_hard = inst.scenario.policy.mandatory == "hard"
    for key, d in inst.demand.items():
        met = sum(parts[key])
        m.met[key] = met
        top = 0 if mandatory_hard and inst.scenario.course(key[2]).mandatory else d
        u = m.model.new_int_var(0, top, f"unmet(practice={key[0]},role={key[1]},course={key[2]})")
        m.model.add(u >= d - met)
        m.unmet[key] = u


# Up to this many model variables only. At 430 generated practices (361,246 variables) CP-SAT's
# root LP with these rows (each spans a course's runs and unmet seats across the whole area) did
# not finish in 300 s on two workers: bound 3,704,250 against 9,188,474 without them (twice).
# Norwich (12,485) and Norfolk and Waveney (72,098) reach the root LP within seconds either way.
# Again with the rows per wave group too: bound 3,223,591 at 300 s against 8,211,458 without;
# with the rows per wave group only (sparser), 6,438,597: the root LP still did not finish.
CUTS_UP_TO = 200_000


def runs_or_unmet(m: PltModel) -> None:
    """Valid inequalities (cuts) that tighten the LP relaxation: per course taught only in runs,
    the year's runs hold at most `a` seats each (its largest room class or virtual group), so
    `a x runs + unmet >= demand`; with `f` = demand mod `a` > 0, mixed-integer rounding gives
    `f x runs + unmet >= f x ceil(demand / a)`. The LP can no longer meet the last `f` seats with
    a fraction of a run. Norwich: LP bound 608,748 -> 609,870 (best plan known 610,384);
    Norfolk and Waveney 1,324,606 -> 1,326,020.

    Where the waves are fixed before modelling, the same holds for each group of practices that
    close in the same wave of every external event: their seats are only in the runs of those
    sessions, so each group must round up its own runs (a course a little over a run's worth in
    each of three waves needs four runs, not the year's two). Norfolk and Waveney, LP with the
    greedy plan's waves (HiGHS): 1,326,020 -> 1,329,028, trainers' cost 97,677 -> 100,617; CP-SAT's
    root LP reaches the new bound within the 60 s limit."""
    if len(m.model.proto.variables) > CUTS_UP_TO:
        return
    inst = m.instance
    classes = {k.index: k for k in inst.room_classes}
    runs_of = grouped(m.runs, lambda k: k[2])
    on_site = {c for (e, w, p, c) in m.on_site}
    groups = _wave_groups(m)
    demand: dict[str, Counter[tuple]] = defaultdict(Counter)  # course -> a group's sessions (() the year) -> seats
    unmet: dict[tuple[str, tuple], list] = defaultdict(list)
    for (p, r, c), d in inst.demand.items():
        for sessions in ((), groups[p]) if groups else ((),):
            demand[c][sessions] += d
            unmet[c, sessions].append(m.unmet[p, r, c])
    for course in inst.external_courses:
        runs = runs_of.get(course.id)
        if not runs or course.id in on_site:
            continue
        a = max(seats_per_run(course, key[4], classes) for key in runs)
        for sessions, d in demand[course.id].items():
            f = d % a
            if f:
                within = [var for key, var in runs.items() if not sessions or key[:2] in sessions]
                m.model.add(sum(unmet[course.id, sessions]) + f * sum(within) >= f * (-(-d // a)))


# No such cut lifts the bound for an on-site course alone. Norfolk and Waveney: the LP leaves
# 1,294.01 fire-safety seats unmet, the plans 1,301 (7 seats x priority 7 x 100 = 4,900 of the
# best known plan's gap), but fire safety alone, with the same waves and cover, has integer
# optimum 1,294 (HiGHS, 0.5 s), so the valid bound on its unmet seats is the LP's. The 7 seats
# are a trade-off with the rest of the plan (1,337,074 after 300 s): with its dates fire safety
# alone reaches only 1,301, and with every decision of the nine internal afternoons and every
# date freed (10,890 variables) CP-SAT's optimum, 1,336,790, still leaves 1,301 unmet.


def _wave_groups(m: PltModel) -> dict[str, tuple] | None:
    """Practice -> the external sessions it closes in, when the waves are fixed before modelling
    and there is more than one wave (else None: one group, the year's runs)."""
    inst = m.instance
    external = [e for e, kind in inst.events if kind.value == "external"]
    if inst.waves == 1 or inst.fixed_waves is None or not external:
        return None
    return {p.id: tuple((e, inst.fixed_waves[e, p.id][0]) for e in external) for p in inst.scenario.practices}


def unmet_demand(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each unmet seat, times its course's priority."""
    priority = {c.id: c.priority for c in m.instance.scenario.courses}
    return sum(priority[c] * u for (p, r, c), u in m.unmet.items())


def _worst_share(m: PltModel, name: str, index: int) -> cp_model.LinearExpr:
    groups: dict[str, tuple[int, list]] = {}
    for key, u in m.unmet.items():
        total, us = groups.get(key[index], (0, []))
        groups[key[index]] = (total + m.instance.demand[key], us + [u])
    if not groups:
        return 0
    worst = m.model.new_int_var(0, 1000, f"worst_{name}_unmet_per_mille")
    for group, (total, us) in sorted(groups.items()):
        m.model.add(total * worst >= 1000 * sum(us))
    return worst


def worst_practice_share(m: PltModel) -> cp_model.LinearExpr:
    """Soft: per mille of its demand unmet at the worst-served practice."""
    return _worst_share(m, "practice", 0)


def worst_role_share(m: PltModel) -> cp_model.LinearExpr:
    """Soft: per mille of its demand unmet for the worst-served role."""
    return _worst_share(m, "role", 1)
