"""Decomposition for large areas: a master for what the networks share, then one subproblem per
part (a network, or neighbouring networks together), solved in parallel and joined.

Master. What every network shares is the cover providers' capacity on each afternoon, the
trainer pool and the venues. The master decides the afternoons' dates, the waves and which
provider covers each practice for the whole area (the greedy plan's packing, first fit or kept
even, which keeps H1 and H2 everywhere, on the dates the trainers can come to: start_dates.py;
then its cover booked again at less cost, cheaper_cover.py: at 6,300 practices 27,192,037 ->
25,457,044 in 27 s, 1.5 % of the plan's score),
then divides the pool afternoon by afternoon: on each afternoon every trainer and every room
works for one part at most. What the master's plan used stays with the part whose practices held
most of its seats; the rest is apportioned by the demand of the part's practices closing then
for what the trainer teaches or the room hosts (Sainte-Lague highest averages; a trainer's
yearly limit of afternoons holds across parts). The full model ignores travel, and so does the
division.

Subproblems. Each part is the CP-SAT model of its practices, trainers and rooms with the dates
and waves fixed (its waves renumbered 1..k), started from greedy's plan for those dates and
waves, so a plan is always in hand and no part is worse than greedy would be on its share. Parts run in processes or as Ray tasks, each with one
worker on deterministic time, so the joined plan depends on the scenario, the seed and
`workers` only, not on the machine's load; with several workers a part whose deterministic time
runs slow is also stopped on the clock (PART_CLOCK_PACE), so that the solve keeps its limit.

Time. The time limit covers the master, building the parts' models (PART_BUILD_SECONDS per
practice, an estimate) and the parts' search; when that leaves under MIN_PART_SECONDS a part, no
part is solved and the master's plan is kept, with the reason. What is left after that goes to
choosing the trainers again (below). With one worker the master counts as MASTER_SECONDS per
practice whatever the clock says, so the parts' deterministic seconds and the plan repeat on a
loaded machine (and the solve may run over its limit).

Join. Waves are numbered back by date, virtual runs renamed per part, and the joined plan is
scored as a whole; when the master's own greedy plan scores better (small areas, where dividing
the pool splits groups), that plan is kept instead and the report says so (stats.kept). Either
way the plan is held to the checker. Because the pool was divided before the parts were
solved, no valid bound comes out of the parts: the report leaves the bound empty.

Sessions again. Then the kept plan (join or master) has its external sessions laid out again by
CP-SAT, one session at a time with everything else fixed, with SESSIONS_SHARE of the time left
(sessions.py): greedy opens runs course by course and block by block, and the parts laid theirs
out from a divided pool. At 6,300 practices, where no part is solved, CP-SAT finds no better
layout than greedy's (its staff are all in runs in two of three blocks); the gain there is the
cheapest trainers of each kind (see sessions.py).

Trainers again. Last, the kept plan has its trainers chosen again for the whole area with what
is left of the time (restaff.py): greedy never looks at a trainer's cost, and the parts chose
theirs from a divided pool. With one worker HiGHS's node limit, not the clock,
ends each of its parts (at 6,300 practices each is proven at its root), so the plan repeats.

A part holds whole networks, about PART_PRACTICES practices (`part_practices=1` gives one
subproblem per network); fewer, larger parts pool staff across
networks into fuller groups, smaller ones solve faster.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from models.plan import CourseRun, Cover, Plan, SolverReport, scenario_digest
from models.scenario import Scenario

from .base import Progress, SolveOptions
from .cheaper_cover import with_cheaper_cover
from .instance import build_instance
from .parallel import run_tasks

# `solve` decomposes areas above this many practices (documented in the README). At 430
# practices the full model still beats the decomposition, narrowly now that greedy plans visits
# for the year (60 s: 9,593,261 with the neighbourhood search, 9,555,801 without, against the
# master's kept 9,593,311; all with greedy's first-fit waves) in 2.3-2.7 GiB; at 6,300 it cannot be
# built in memory.
DECOMPOSE_ABOVE = 500
# Whole networks are grouped into parts of about this many practices.
PART_PRACTICES = 50
# Below this many deterministic seconds per part (after building them, below), the parts are not
# solved: the time limit is spent, and the master's plan is returned.
MIN_PART_SECONDS = 0.5
# The parts' deterministic seconds are rounded down to a multiple of this (see solve_decomposed).
PART_SECONDS_STEP = 0.5
# Building a part's model (greedy's start for its share, the model, its hint), per practice of the
# part; the time limit covers it. An estimate: a part's build time grows with the area too, about
# 2.5 s for a part of 48 practices at 430 practices (this over-counts) and 5.5 s for one of 50 at
# 6,300 (this under-counts). Before it was counted, 6,300 practices with a 300 s limit took 652 s
# (126 parts after a 115 s master) and kept the master's plan all the same.
PART_BUILD_SECONDS = 0.1
# With one worker the master's time counted against the limit is this per practice of the area,
# an estimate, rather than the clock's. Measured (greedy on start dates and its cover booked
# again): 1.7 ms per practice at Norwich, 3.2 at Norfolk and Waveney, 3.6 at 430 practices and
# 12-14.5 at 6,300 (76-91 s; this over-counts smaller areas). Counted on the clock, a loaded
# machine's slower master left the parts less deterministic time, and the same seed gave
# another plan (tests/test_decompose.py: 3 s more of master, 1.5 -> 0.5 s a part).
MASTER_SECONDS = 0.015
# With several workers, a part's search also stops on the clock at its deterministic seconds
# divided by this, plus PART_CLOCK_SLACK. CP-SAT's deterministic time runs at 0.69-1.04 s per
# clock second on these parts (Norfolk and Waveney's three parts, 4 s and 20 s) but at 0.58 on
# Norwich's one part of 45.5 s, which made a 60 s decomposed solve take 80-88 s; with the clock
# stop it ends near its limit. Parts whose deterministic time keeps up end on it, so the join
# repeats for the same seed and workers unless the machine is loaded; with one worker only
# deterministic time stops a part (the plan repeats, the solve may run over its limit).
PART_CLOCK_PACE, PART_CLOCK_SLACK = 0.8, 1.0
# Below this many seconds left, the kept plan's trainers are not chosen again (with two or more
# workers; with one they always are, and restaff.py's node limit ends it, so the plan repeats).
MIN_TRAINER_SECONDS = 1.0
# Of the time left after the parts, this much goes to laying the kept plan's external sessions
# out again (sessions.py), the rest to choosing its trainers. At 6,300 practices with a 300 s
# limit the benchmark's master plan came at 75.7 s and the whole solve ended at 268.2 s
# (restaff.py takes about 31 s of HiGHS there).
SESSIONS_SHARE = 0.7
# Below this many seconds for all the sessions, none is laid out again.
MIN_SESSIONS_SECONDS = 2.0
STRATEGIES = ("auto", "full", "decomposed")


def chooses_decomposition(scenario: Scenario, strategy: str) -> bool:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    return strategy == "decomposed" or (strategy == "auto" and len(scenario.practices) > DECOMPOSE_ABOVE)


@dataclass(frozen=True)
class Part:
    name: str
    networks: tuple[str, ...]
    practices: tuple[str, ...]
    trainers: dict[str, frozenset[dt.date]]  # trainer -> the afternoons it works for this part
    rooms: dict[str, frozenset[dt.date]]  # room -> the afternoons this part books it on


# One afternoon of the master: (event, wave, date, practices closing).
Session = tuple[str, int, dt.date, tuple[str, ...]]


def parts_of(scenario: Scenario, size: int = PART_PRACTICES) -> list[tuple[str, ...]]:
    """Whole networks in id order, cut into about practices/size parts of similar size."""
    by_network: dict[str, int] = Counter(p.network for p in scenario.practices)
    total = len(scenario.practices)
    count = max(1, min(len(by_network), math.ceil(total / max(1, size))))
    networks = sorted(by_network)
    groups: list[list[str]] = [[]]
    seen = 0
    for i, network in enumerate(networks):
        # a new part once this one holds its share, or when each part left needs a network
        full = seen >= total * len(groups) / count or len(networks) - i <= count - len(groups)
        if groups[-1] and full and len(groups) < count:
            groups.append([])
        groups[-1].append(network)
        seen += by_network[network]
    return [tuple(g) for g in groups]


def _share(items: list[tuple[str, set[dt.date], int]], sessions: list[Session], weight: list[list[float]],
           used: dict[tuple[str, dt.date], int]) -> list[dict[str, set[dt.date]]]:
    """Each (item, afternoon) to one part. What the master's plan used stays with the part whose
    practices it served most (`used`); the rest goes by Sainte-Lague highest averages of the
    parts' weights on that afternoon; an item with a yearly cap (trainers) is given at most `cap`
    afternoons in all.

    items: (id, dates it is unavailable, cap); weight[part][session]."""
    parts = len(weight)
    given = Counter()
    out: list[dict[str, set[dt.date]]] = [defaultdict(set) for _ in range(parts)]
    for item, unavailable, cap in items:
        offers = []
        for k, (_, _, day, _) in enumerate(sessions):
            if (item, day) in used:
                part = used[item, day]
                given[part, k] += 1
                out[part][item].add(day)
                cap -= 1
            elif day not in unavailable:
                best = max(range(parts), key=lambda p: (weight[p][k] / (2 * given[p, k] + 1), -p))
                if weight[best][k] > 0:
                    offers.append((-weight[best][k] / (2 * given[best, k] + 1), k, best))
        for _, k, best in sorted(offers)[:max(0, cap)]:
            given[best, k] += 1
            out[best][item].add(sessions[k][2])
    return out


def _used_by(master: Plan | None, part_of: dict[str, int]) -> dict[tuple[str, dt.date], int]:
    """(trainer or room, afternoon) -> the part whose practices held most of its seats in the
    master's plan, so each part can keep the master's runs that were mostly its own."""
    if master is None:
        return {}
    votes: dict[tuple[str, dt.date], Counter[int]] = defaultdict(Counter)
    for run in master.runs:
        day = master.session_date(run.event, run.wave)
        for seat in run.seats:
            votes[run.trainer, day][part_of[seat.practice]] += seat.count
            if run.room:
                votes[run.room, day][part_of[seat.practice]] += seat.count
    for visit in master.on_site:
        votes[visit.trainer, master.session_date(visit.event, visit.wave)][part_of[visit.practice]] += 1
    return {key: max(count, key=lambda k: (count[k], -k)) for key, count in votes.items()}


def divide(scenario: Scenario, sessions: list[Session], size: int = PART_PRACTICES,
           master: Plan | None = None) -> list[Part]:
    """Split the area into parts of whole networks and share out the pool afternoon by afternoon:
    on each of the master's afternoons, every trainer and every room works for one part at most,
    in proportion to the demand of the part's practices closing then for what it teaches or hosts.
    A trainer's yearly limit of afternoons is respected across parts."""
    from models.demand import compute_demand

    groups = parts_of(scenario, size)
    part_of_network = {n: k for k, g in enumerate(groups) for n in g}
    part_of = {p.id: part_of_network[p.network] for p in scenario.practices}
    used = _used_by(master, part_of)
    demand: dict[str, Counter[str]] = defaultdict(Counter)  # practice -> course -> seats
    for (practice, _, course), n in compute_demand(scenario).items():
        demand[practice][course] += n
    courses = list(scenario.courses)

    def weights(wanted: set[str]) -> list[list[float]]:
        w = [[0.0] * len(sessions) for _ in groups]
        for k, (_, _, _, members) in enumerate(sessions):
            for p in members:
                w[part_of[p]][k] += sum(n for c, n in demand[p].items() if c in wanted)
        return w

    trainers: list[dict[str, set[dt.date]]] = [{} for _ in groups]
    by_kind: dict[tuple, list] = defaultdict(list)
    for t in sorted(scenario.trainers, key=lambda t: t.id):
        by_kind[tuple(sorted(t.skills)), t.on_site].append(t)
    for (skills, _), kind in sorted(by_kind.items()):
        wanted = {c.id for c in courses if c.needed_skill in skills}
        shared = _share([(t.id, set(t.unavailable), t.max_afternoons_per_year) for t in kind], sessions,
                        weights(wanted), used)
        for k, got in enumerate(shared):
            trainers[k].update(got)

    rooms: list[dict[str, set[dt.date]]] = [{} for _ in groups]
    by_features: dict[tuple, list] = defaultdict(list)
    for venue, room in scenario.all_rooms():
        by_features[tuple(sorted(room.features))].append((venue, room))
    for features, kind in sorted(by_features.items()):
        wanted = {c.id for c in courses if set(c.room_features) <= set(features)}
        items = [(r.id, set(r.unavailable) | set(v.unavailable), len(sessions))
                 for v, r in sorted(kind, key=lambda vr: (vr[0].id, vr[1].id))]
        for k, got in enumerate(_share(items, sessions, weights(wanted), used)):
            rooms[k].update(got)

    return [Part(name=f"part-{k + 1}", networks=g,
                 practices=tuple(p.id for p in scenario.practices if part_of[p.id] == k),
                 trainers={t: frozenset(d) for t, d in sorted(trainers[k].items())},
                 rooms={r: frozenset(d) for r, d in sorted(rooms[k].items())}) for k, g in enumerate(groups)]


def sub_scenario(scenario: Scenario, part: Part, sessions: list[Session]) -> Scenario:
    """The part's practices with the trainers and rooms it was given, each unavailable on the
    master's afternoons it works for another part."""
    days = {day for _, _, day, _ in sessions}
    venues = []
    for venue in scenario.venues:
        kept = [r.model_copy(update={"unavailable": sorted(set(r.unavailable) | (days - part.rooms[r.id]))})
                for r in venue.rooms if r.id in part.rooms]
        if kept:
            venues.append(venue.model_copy(update={"rooms": kept}))
    trainers = [t.model_copy(update={"unavailable": sorted(set(t.unavailable) | (days - part.trainers[t.id]))})
                for t in scenario.trainers if t.id in part.trainers]
    practices = set(part.practices)
    return scenario.model_copy(update={
        "name": f"{scenario.name} / {part.name}",
        "practices": [p for p in scenario.practices if p.id in practices],
        "trainers": trainers,
        "venues": venues,
        "pins": [],
    })


@dataclass(frozen=True)
class _Task:
    part: str
    scenario: Scenario  # pickled as it is: a part alone may fail the whole-area cross-checks
    # (event, wave in the part, date, {practice: provider})
    sessions: tuple[tuple[str, int, dt.date, tuple[tuple[str, str], ...]], ...]
    seconds: float
    seed: int
    clock: float | None = None  # the part's search stops here on the clock too (several workers)


def solve_part(task: _Task) -> str:
    """One subproblem (module level, so processes and Ray can run it). Returns the plan as JSON."""
    from .cpsat import CpSatSolver
    from .greedy import NoPlan, Session, plan_given_sessions

    scenario = task.scenario
    instance = build_instance(scenario)
    instance.waves = max((w for _, w, _, _ in task.sessions), default=1)
    instance.fixed_dates = {(e, w): d for e, w, d, _ in task.sessions}
    instance.fixed_waves = {(e, p): (w, provider) for e, w, _, members in task.sessions for p, provider in members}
    instance.dates = {e: sorted({d for x, _, d, _ in task.sessions if x == e}) for e, _ in instance.events}
    kinds = dict(instance.events)
    order = {p.id: i for i, p in enumerate(scenario.practices)}
    sessions = [Session(e, kinds[e], w, d, tuple(sorted((p for p, _ in members), key=order.__getitem__)))
                for e, w, d, members in task.sessions]
    cover = [Cover(event=e, wave=w, practice=p, provider=provider)
             for e, w, _, members in task.sessions for p, provider in members]
    try:  # greedy's plan for these dates and waves is the part's first solution
        start = plan_given_sessions(instance, sessions, cover)
    except NoPlan:  # hard mandatory training it cannot meet: CP-SAT starts from nothing
        start = None
    # No neighbourhood search in a part: its steps' model loading is not deterministic time, and
    # with it the 6,300-practice benchmark took 635 s instead of 598 s for the same kept plan.
    extra = {"max_time_in_seconds": task.clock} if task.clock is not None else {}
    options = SolveOptions(time_limit=task.seconds, workers=1, seed=task.seed, hint=start, lns=False, extra=extra)
    return CpSatSolver().solve(scenario, options, instance).model_dump_json()


def solve_decomposed(scenario: Scenario, options: SolveOptions, engine: str = "local",
                     keep_better: bool = True, part_practices: int = PART_PRACTICES,
                     trainers_again: bool = True, sessions_again: bool = True) -> Plan:
    """The master's dates, waves and cover; the parts solved in parallel; the joined plan, or
    (with `keep_better`) the master's own complete plan when that scores better: dividing the
    pool splits groups, and in a small area that can cost more than the parts' search gains.
    Then (with `sessions_again`) the kept plan's external sessions laid out again, and (with
    `trainers_again`) its trainers chosen again, both for the whole area."""
    from .greedy import GreedySolver

    started = time.perf_counter()
    # Greedy on the dates the trainers can come to (start_dates.py), as CP-SAT's own start: at
    # 6,300 practices 113,500,272 against 113,774,876 on the earliest dates, in the same time.
    master = GreedySolver(start_dates=True).solve(
        scenario, SolveOptions(time_limit=options.time_limit, workers=1, seed=options.seed))
    if master.solver.status in ("OPTIMAL", "FEASIBLE"):
        if options.on_progress and master.solver.objective is not None:  # greedy's plan is complete
            options.on_progress(Progress(time.perf_counter() - started, master.solver.objective,
                                         float("-inf")))
        try:
            master = with_cheaper_cover(scenario, master, options.seed)
        except KeyboardInterrupt:  # greedy's plan is complete: it is kept
            master.solver.stats["interrupted"] = True
    report = SolverReport(name="cpsat-decomposed", status=master.solver.status, time_limit=options.time_limit,
                          workers=options.workers, seed=options.seed, stats={"master": _master_label(master)})
    plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
    if master.solver.status not in ("OPTIMAL", "FEASIBLE"):
        report.status = "UNKNOWN" if master.solver.status != "INFEASIBLE" else "INFEASIBLE"
        report.stats["reason"] = master.solver.stats.get("reason", "the master found no dates and waves")
        report.seconds = round(time.perf_counter() - started, 3)
        return plan
    plan.afternoons, plan.cover = master.afternoons, master.cover  # the master's whatever is kept
    if master.solver.stats.get("interrupted"):
        report.status = "FEASIBLE"
        _keep_master(plan, master, reason="Ctrl-C came while the master's cover was booked again", interrupted=True)
        report.seconds = round(time.perf_counter() - started, 3)
        return plan
    sessions = master_sessions(master)
    parts = divide(scenario, sessions, part_practices, master)
    master_seconds = time.perf_counter() - started
    if options.on_progress and "cover_again" in master.solver.stats:  # and with its cover booked again
        options.on_progress(Progress(master_seconds, master.solver.objective, float("-inf")))
    # Deterministic seconds per part: the time left, shared by `workers` part solves at a time.
    # With one worker the master's time is MASTER_SECONDS' estimate, not the clock's, so that the
    # parts' seconds, and with them the plan, do not follow the machine's load.
    rounds = math.ceil(len(parts) / max(1, options.workers))
    building = rounds * PART_BUILD_SECONDS * max((len(part.practices) for part in parts), default=0)
    spent = master_seconds if options.workers > 1 else MASTER_SECONDS * len(scenario.practices)
    seconds = (0.8 * (options.time_limit - spent) - building) / rounds
    # Down to whole PART_SECONDS_STEP: with several workers the master's time is measured on the
    # clock, and the parts' deterministic limits should follow the machine's load as little as
    # they can (the same seed gave different joins in a loaded test run once the master also
    # booked its cover again; with one worker the estimate above keeps them fixed).
    seconds = math.floor(seconds / PART_SECONDS_STEP) * PART_SECONDS_STEP
    if seconds < MIN_PART_SECONDS:  # no time for the parts: the master's plan is complete
        report.status = "FEASIBLE"
        report.stats |= {"parts": len(parts), "master_seconds": round(master_seconds, 3)}
        took = f"took {spent:.1f} s" if options.workers > 1 else f"counts as {spent:.1f} s (one worker)"
        _keep_master(plan, master, reason=f"the master {took} of the {options.time_limit:g} s "
                                          f"limit, too little left for {len(parts)} parts "
                                          f"(building their models takes about {building:.0f} s)")
        if sessions_again:
            _sessions_again(scenario, plan, options, started)
        if trainers_again:
            _trainers_again(scenario, plan, options, started)
        report.seconds = round(time.perf_counter() - started, 3)
        return plan
    provider = {(c.event, c.wave, c.practice): c.provider for c in master.cover}
    tasks, waves_of = [], []
    for part in parts:
        members = set(part.practices)
        own, renumber = [], {}
        for a in master.afternoons:
            k = 0
            for w in a.waves:
                inside = [p for p in w.practices if p in members]
                if inside:
                    k += 1
                    renumber[a.event, k] = w.number
                    own.append((a.event, k, w.date, tuple((p, provider[a.event, w.number, p]) for p in inside)))
        waves_of.append(renumber)
        tasks.append(_Task(part.name, sub_scenario(scenario, part, sessions), tuple(own), seconds,
                           options.seed, part_clock(seconds, options.workers)))
    results = run_tasks(solve_part, tasks, options.workers, engine)
    statuses = Counter()
    failed = []
    for part, renumber, raw in zip(parts, waves_of, results, strict=True):
        sub = Plan.model_validate_json(raw)
        statuses[sub.solver.status] += 1
        if sub.solver.status not in ("OPTIMAL", "FEASIBLE"):
            failed.append(f"{part.name}: {sub.solver.status}")
            continue
        for run in sub.runs:
            plan.runs.append(_renamed(run, renumber[run.event, run.wave], part.name))
        for visit in sub.on_site:
            plan.on_site.append(visit.model_copy(update={"wave": renumber[visit.event, visit.wave]}))
    # Each part is solved for its share of the pool only: never OPTIMAL for the area.
    report.status = "FEASIBLE"
    clock = part_clock(seconds, options.workers)
    report.stats |= {"parts": len(parts), "part_seconds": round(seconds, 2), "master_seconds": round(master_seconds, 3),
                     **({"part_clock_seconds": round(clock, 2)} if clock is not None else {}),
                     "part_status": ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())), "engine": engine}
    from models.score import score_plan

    report.objective = score_plan(scenario, plan).total
    report.stats["kept"] = "join"
    if failed:  # a part without a plan: the master's own plan is complete and keeps every rule
        _keep_master(plan, master, reason="; ".join(failed))
    elif keep_better and master.solver.objective is not None and master.solver.objective < report.objective:
        _keep_master(plan, master, join_objective=report.objective)
    if options.on_progress and report.stats["kept"] == "join" and report.objective < (master.solver.objective or math.inf):
        options.on_progress(Progress(time.perf_counter() - started, plan.solver.objective, float("-inf")))
    if sessions_again:
        _sessions_again(scenario, plan, options, started)
    if trainers_again:
        _trainers_again(scenario, plan, options, started)
    report.seconds = round(time.perf_counter() - started, 3)
    return plan


def part_clock(seconds: float, workers: int) -> float | None:
    """The clock stop of a part's search with `seconds` of deterministic time (PART_CLOCK_PACE)."""
    return seconds / PART_CLOCK_PACE + PART_CLOCK_SLACK if workers > 1 else None


def _sessions_again(scenario: Scenario, plan: Plan, options: SolveOptions, started: float) -> None:
    """The kept plan's external sessions laid out again by CP-SAT, one at a time, with
    SESSIONS_SHARE of what is left of the time limit (sessions.py; kept only when the whole plan
    scores better and keeps the checker's room, trainer and seat rules). With one worker it has
    SESSIONS_SHARE of the whole limit in CP-SAT's deterministic time, whatever the clock says, so
    the plan repeats (and the solve can run over its limit). stats.sessions_again says what
    happened; Ctrl-C keeps the plan as it stands."""
    from .sessions import sessions_into

    if options.workers > 1:
        seconds = SESSIONS_SHARE * (options.time_limit - (time.perf_counter() - started))
    else:
        seconds = SESSIONS_SHARE * options.time_limit
    if seconds < MIN_SESSIONS_SECONDS:
        plan.solver.stats["sessions_again"] = f"not tried: {max(0.0, seconds):.1f} s for it"
        return
    saved, _ = sessions_into(scenario, plan, seconds, options.workers, options.seed)
    if saved and options.on_progress:
        options.on_progress(Progress(time.perf_counter() - started, plan.solver.objective, float("-inf")))


def _trainers_again(scenario: Scenario, plan: Plan, options: SolveOptions, started: float) -> None:
    """The kept plan's trainers (the join's or the master's) chosen again with what is left of
    the time limit (restaff.py, held to the checker's trainer rules there): the master's greedy
    plan never looks at cost, and the parts chose from a divided pool. stats.trainers_again
    says what happened; Ctrl-C keeps the plan as it stands."""
    from .restaff import restaff_into

    left = options.time_limit - (time.perf_counter() - started)
    if left < MIN_TRAINER_SECONDS and options.workers > 1:  # with one worker the clock does not decide
        plan.solver.stats["trainers_again"] = f"not tried: {max(0.0, left):.1f} s left"
        return
    saved, _ = restaff_into(scenario, plan, 0.9 * left, options.workers)
    if saved and options.on_progress:
        options.on_progress(Progress(time.perf_counter() - started, plan.solver.objective, float("-inf")))


def _master_label(master: Plan) -> str:
    dates = master.solver.stats.get("start_dates")
    label = f"greedy on dates: {dates}" if dates else "greedy"
    cover = master.solver.stats.get("cover_again")
    return f"{label}; its cover booked again: {cover}" if cover else label


def _keep_master(plan: Plan, master: Plan, **stats: object) -> None:
    """The master's own plan (complete, every rule kept) in place of the parts' join."""
    plan.solver.stats |= {"kept": "master", **stats}
    plan.runs, plan.on_site, plan.solver.objective = master.runs, master.on_site, master.solver.objective


def master_sessions(master: Plan) -> list[Session]:
    return [(a.event, w.number, w.date, tuple(w.practices)) for a in master.afternoons for w in a.waves]


def _renamed(run: CourseRun, wave: int, part: str) -> CourseRun:
    where = run.room or f"{part}-{run.id.rsplit('/', 1)[-1]}"
    return run.model_copy(update={"wave": wave, "id": f"{run.event}/w{wave}/{run.course}/{run.blocks[0]}/{where}"})
