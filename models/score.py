"""The score of a plan, term by term, calculated from its decisions alone.

`score_plan(scenario, plan, baseline)` follows the objective's definitions literally (unmet
demand by priority, max-min equity per practice and role in per mille, cover, trainer and
room cost, spread, broken preferences, changes against a baseline). The solvers report this
total as a plan's objective; CP-SAT's model counts the same terms, rooms and changes per room
class rather than per room. Every term is an integer; weighted = raw x weight.
Ids the scenario does not know are skipped here: the checker reports them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

from .checker_view import first_wave_date
from .demand import DemandKey, compute_demand
from .plan import Attainment, Plan, Score, TermScore
from .scenario import Scenario


def demand_met(scenario: Scenario, plan: Plan) -> dict[DemandKey, int]:
    """m(p, r, c): external seats, plus the whole non-bank audience headcount of a practice
    for each on-site course it runs."""
    met: dict[DemandKey, int] = defaultdict(int)
    for run in plan.runs:
        for seat in run.seats:
            met[seat.practice, seat.role, run.course] += seat.count
    practices = {p.id: p for p in scenario.practices}
    courses = {c.id: c for c in scenario.courses}
    bank = {r.id for r in scenario.roles if r.bank}
    for visit in plan.on_site:
        practice, course = practices.get(visit.practice), courses.get(visit.course)
        if practice is None or course is None:
            continue
        for role in course.audience:
            if role not in bank:
                met[practice.id, role, course.id] += practice.headcount.get(role, 0)
    return dict(met)


def unmet_demand(scenario: Scenario, plan: Plan) -> dict[DemandKey, int]:
    """u(p, r, c) = max(0, d - m) for every key with positive demand."""
    met = demand_met(scenario, plan)
    return {key: max(0, d - met.get(key, 0)) for key, d in compute_demand(scenario).items()}


def _attainment(demand: dict[DemandKey, int], met: dict[DemandKey, int], index: int,
                ids: list[str]) -> dict[str, Attainment]:
    totals = {i: [0, 0, 0] for i in ids}
    for key, d in demand.items():
        m = met.get(key, 0)
        total = totals[key[index]]
        total[0] += d
        total[1] += min(d, m)
        total[2] += max(0, d - m)
    return {i: Attainment(demand=d, met=m, unmet=u) for i, (d, m, u) in totals.items()}


def _worst_share(attainment: dict[str, Attainment]) -> int:
    """Per mille of demand unmet for the worst-served group, rounded up; 0 with no demand."""
    shares = [(1000 * a.unmet + a.demand - 1) // a.demand for a in attainment.values() if a.demand > 0]
    return max(shares, default=0)


@dataclass(frozen=True)
class Payment:
    """What one payee is owed for one afternoon's wave: a cover provider (its fee for the
    afternoon and its rate for each practice's patients), a trainer (per run or on-site visit)
    or a room (per afternoon booked). The cost terms of the score are their sums."""

    kind: str  # "cover", "trainer" or "room"
    payee: str  # its id
    event: str
    wave: int
    what: str  # in words: "3 practices, 41,200 patients", "2 runs, 1 visit", "booked"
    amount: int


def payments(scenario: Scenario, plan: Plan) -> list[Payment]:
    """Every payment the plan makes, in plan order; ids the scenario lacks are paid nothing."""
    out: list[Payment] = []
    providers = {c.id: c for c in scenario.cover_providers}
    sizes = {p.id: p.list_size for p in scenario.practices}
    covered: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    for c in plan.cover:
        covered[c.event, c.wave, c.provider].add(c.practice)
    for (event, wave, pid), practices in covered.items():
        if (provider := providers.get(pid)) is not None:
            known = [p for p in practices if p in sizes]
            out.append(Payment("cover", pid, event, wave,
                               f"{len(known)} practices, {sum(sizes[p] for p in known):,} patients",
                               provider.cost_per_afternoon + sum(provider.cost_for(sizes[p]) for p in known)))
    rate = {t.id: t.cost_per_run for t in scenario.trainers}
    taught: dict[tuple[str, str, int], Counter[str]] = defaultdict(Counter)
    for r in plan.runs:
        taught[r.trainer, r.event, r.wave]["runs"] += 1
    for o in plan.on_site:
        taught[o.trainer, o.event, o.wave]["visits"] += 1
    for (tid, event, wave), count in taught.items():
        if tid in rate:
            what = ", ".join(f"{n} {kind[:-1] if n == 1 else kind}" for kind in ("runs", "visits") if (n := count[kind]))
            out.append(Payment("trainer", tid, event, wave, what, rate[tid] * (count["runs"] + count["visits"])))
    fee = {room.id: room.cost_per_afternoon for _, room in scenario.all_rooms()}
    for event, wave, room in dict.fromkeys((r.event, r.wave, r.room) for r in plan.runs if r.room is not None):
        if room in fee:
            out.append(Payment("room", room, event, wave, "booked", fee[room]))
    return out


def _cost_of(kind: str, paid: list[Payment]) -> int:
    return sum(p.amount for p in paid if p.kind == kind)


def _spread(scenario: Scenario, plan: Plan) -> int:
    """Days each gap between consecutive events' first waves is off the even gap."""
    events = scenario.event_ids()
    firsts = {a.event: first_wave_date(a) for a in plan.afternoons}
    dates = [d for d in (firsts.get(event) for event, _ in events) if d is not None]
    if len(events) < 2:
        return 0
    ideal = scenario.period.even_gap(len(events))
    return sum(abs((later - earlier).days - ideal) for earlier, later in pairwise(dates))


def _broken_preferences(scenario: Scenario, plan: Plan) -> int:
    broken = 0
    dates: dict[tuple[str, int], dt.date] = {}
    for afternoon in plan.afternoons:
        for wave in afternoon.waves:
            dates.setdefault((afternoon.event, wave.number), wave.date)
            broken += scenario.policy.breaks(wave.date)
    trainers = {t.id: t for t in scenario.trainers}
    working = {(r.event, r.wave, r.trainer) for r in plan.runs}
    working |= {(o.event, o.wave, o.trainer) for o in plan.on_site}
    for event, wave, tid in working:
        trainer, date = trainers.get(tid), dates.get((event, wave))
        if trainer and date is not None:
            broken += trainer.breaks_weekday(date)
    return broken


def counted_apart(now: Counter, before: Counter) -> int:
    """Items in one count and not the other, each copy once: runs changed against a baseline."""
    return sum(((now - before) + (before - now)).values())


def _restaffed(plan: Plan, baseline: Plan) -> int:
    """Runs re-staffed: per (afternoon, wave, course, start block) the runs kept (the fewer of
    then and now) less those taught by a trainer who taught one there then. A run moved, added or
    taken out is counted as a run."""
    taught: list[dict[tuple, set[str]]] = [{}, {}]
    for side, p in zip(taught, (plan, baseline), strict=True):
        for r in p.runs:
            side.setdefault((r.event, r.wave, r.course, r.blocks[0]), set()).add(r.trainer)
    return sum(min(len(now), len(then)) - len(now & then)
               for key, then in taught[1].items() if (now := taught[0].get(key, set())))


def _changes(plan: Plan, baseline: Plan) -> int:
    """Decisions changed against the baseline; a moved published date (of any wave) counts three."""
    dates = [{(a.event, w.number): w.date for a in p.afternoons for w in a.waves} for p in (plan, baseline)]
    added = {a.event for a in plan.afternoons} - {a.event for a in baseline.afternoons}
    changed = 3 * (sum(dates[0].get(k) != d for k, d in dates[1].items()) + len(added))
    waves = [{(a.event, pid): w.number for a in p.afternoons for w in reversed(a.waves) for pid in w.practices}
             for p in (plan, baseline)]
    changed += sum(waves[0].get(k) != waves[1].get(k) for k in waves[0].keys() | waves[1].keys())
    runs = [Counter((r.event, r.wave, r.course, tuple(r.blocks), r.room) for r in p.runs) for p in (plan, baseline)]
    changed += counted_apart(*runs)
    changed += _restaffed(plan, baseline)
    visits = [{(o.event, o.practice, o.course): o.trainer for o in p.on_site} for p in (plan, baseline)]
    changed += sum(visits[0].get(k) != visits[1].get(k) for k in visits[0].keys() | visits[1].keys())
    return changed


def score_plan(scenario: Scenario, plan: Plan, baseline: Plan | None = None) -> Score:
    """Every term of the objective for this plan, per practice, role and course attainment,
    and the total (the sum of the weighted terms)."""
    w = scenario.policy.weights
    priority = {c.id: c.priority for c in scenario.courses}
    demand, met = compute_demand(scenario), demand_met(scenario, plan)  # once (430 practices: 0.6 s -> 0.2 s)
    paid = payments(scenario, plan)
    by_practice = _attainment(demand, met, 0, [p.id for p in scenario.practices])
    by_role = _attainment(demand, met, 1, [r.id for r in scenario.roles])
    by_course = _attainment(demand, met, 2, [c.id for c in scenario.courses])
    unmet = sum(priority[c] * max(0, d - met.get((p, r, c), 0)) for (p, r, c), d in demand.items())
    raw = {
        "unmet": (unmet, w.unmet),
        "equity_practice": (_worst_share(by_practice), w.equity_practice),
        "equity_role": (_worst_share(by_role), w.equity_role),
        "cost_cover": (_cost_of("cover", paid), w.cost),
        "cost_trainers": (_cost_of("trainer", paid), w.cost),
        "cost_rooms": (_cost_of("room", paid), w.cost),
        "spread": (_spread(scenario, plan), w.spread),
        "preferences": (_broken_preferences(scenario, plan), w.preferences),
        "stability": (0 if baseline is None else _changes(plan, baseline), w.stability),
    }
    terms = {name: TermScore(raw=r, weight=wt, weighted=r * wt) for name, (r, wt) in raw.items()}
    return Score(total=sum(t.weighted for t in terms.values()), terms=terms,
                 by_practice=by_practice, by_role=by_role, by_course=by_course)
