"""A published plan repaired for an edited scenario, by the fewest changes this module and
`repair_dates.py` know.

- The runs and on-site visits of a trainer the edits dropped go to a trainer free to take them
  (`handed_over`: one change each); what nobody can take is taken out with the rest of what
  the edits removed: the runs and visits of a dropped course or room, the seats, waves and cover
  of a dropped practice or role, the cover of a dropped provider (`without_removed`).
- A trainer's runs per afternoon or afternoons per year an edit lowered: the runs and visits over
  the limit go to trainers free to take them, or are taken out (`within_limits`), the runs and
  dates given up chosen for what they cost the score. On greedy's Norfolk and Waveney plan, one
  trainer's limit lowered (251 edits): choosing by fewest items and the plan's order took out
  more than another choice would in 57; now 92 score better and none worse, in at most 0.09 s a
  repair (3 take out one more run than the fewest possible, whose seats are fewer).
- An afternoon whose date an edit rules out is mended there (`repair_dates.with_dates_moved`).
- Last, the places in runs that a practice moved or dropped left free go to staff still wanting
  the course (`seats_filled`; seats are no change the score counts). At 430 practices a
  blackout over plt-1's first or second wave: 24 seats, 8,684,068 -> 8,659,788 and 8,822,908 ->
  8,798,628 (0.1 s); greedy's plans have none free.

When a re-plan's limit is spent before its search (`whatif --time-limit 5` on Norwich: the model
and its first plan took 4 s of 5), the solve keeps its best start plan. The published plan
itself breaks a rule once a trainer is dropped, so greedy's plan was kept: 2,341,314 with 70
changes against the published 610,364, after dropping one BLS trainer. The repaired plan keeps
all but that trainer's runs and visits.

The repaired plan is also the search's first hint, before greedy's (`_first_solution`). One
worker, 10 s, Norwich: dropping t-bls-1 1,053,194 either way; dropping t-safeguarding-1 (the
published plan still fits) the same; the three dates above 670,684 / 670,718 / 670,702 against
670,746 / 670,744 / 670,740 without the hint. Norfolk and Waveney (three waves), two workers,
20 s, blackouts over plt-3's first wave, plt-4's second and plt-1's first: 1,516,264 /
1,516,034 / 1,395,924 against 1,516,434 / 1,516,434 / 1,516,428, where the search from greedy's
plan ended above the repaired start and kept it; the last is plt-1's first wave moved alone."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable

from models.checker import (
    Violation,
    check_plan,
)
from models.checker_view import Session
from models.demand import compute_demand
from models.plan import Plan, Seat
from models.scenario import Scenario
from models.score import demand_met

from .handing import counted, handed_count, handed_over, seated, teaching, unmet_rise, without
from .repair_dates import with_dates_moved


def repaired(scenario: Scenario, plan: Plan, found: list[Violation]) -> tuple[Plan, str] | None:
    """The published plan mended for the edited scenario, checked, with what was done to it; None
    when these repairs do not make it keep every rule. `found`: what the plan breaks now."""
    done, published = [], plan
    handed, count = handed_over(scenario, plan, away=False)
    if handed_count(count):
        plan = handed
        done.append(f"with {teaching(count)} of dropped trainers handed to others")
    less = without_removed(scenario, plan)
    if less is not None:
        plan = less
        done.append("less what the edits removed")
    found = check_plan(scenario, plan) if done else found
    if any(v.code in OVER_LIMITS for v in found):
        plan, count = within_limits(scenario, plan)
        out = counted(count["dropped"], "run or visit", "runs and visits")
        if handed_count(count):
            done.append(f"with {teaching(count)} of trainers over a lowered limit handed to others"
                        + (f", {out} taken out" if count["dropped"] else ""))
        else:
            done.append(f"less {out} of trainers over a lowered limit")
        found = check_plan(scenario, plan)
    if found:
        moved = with_dates_moved(scenario, plan, found, published)
        if moved is None:
            return None
        plan, events = moved
        done.append(f"with {' and '.join(events)}")
    if not done:
        return None
    plan, seats = seats_filled(scenario, plan)  # the places a practice moved or dropped left free
    if seats:
        done.append(f"with {counted(seats, 'seat')} given to staff still wanting the course")
    return plan, "the baseline " + " and ".join(done)


# A trainer's limits an edit lowered, mended by handing runs and visits over (`within_limits`).
OVER_LIMITS = {"trainer_over_runs_per_afternoon", "trainer_over_afternoons_per_year"}


# Choices of what a trainer over a limit gives up, each tried with `handed_over` (Norfolk and
# Waveney: about a millisecond a try): every choice when there are no more than this, else one
# date (or run) at a time.
CHOICES_TRIED = 200


def within_limits(scenario: Scenario, plan: Plan) -> tuple[Plan, Counter[str]]:
    """The plan with each trainer back within their runs per afternoon and afternoons per year:
    as many of their runs and visits in a session as are over the first, and all of theirs on as
    many dates as are over the second, handed to trainers free to take them (`handed_over`); what
    nobody can take is taken out. Which runs and which dates: those that cost the score least,
    each run or visit given up one change (the stability weight) and each taken out its seats
    unmet (times the course's priority; a visit, its practice's demand for the course); among
    equals the last runs in the plan's order and the dates where they teach least, then the
    latest (`_fewest_left`). Each trainer's
    dates are chosen first, in the plan's order, then each session's runs on the dates they keep,
    each with the others' choices as they stand (a trainer giving a date up takes no work on it).
    Returns the plan and `Counter(runs=, visits=, dropped=)`."""
    trainers = {t.id: t for t in scenario.trainers}
    dates = {(a.event, w.number): w.date for a in plan.afternoons for w in a.waves}
    work = [("runs", i, r.trainer, (r.event, r.wave)) for i, r in enumerate(plan.runs)]
    work += [("visits", i, o.trainer, (o.event, o.wave)) for i, o in enumerate(plan.on_site)]
    by_session: dict[tuple[str, Session], list[tuple[str, int]]] = defaultdict(list)
    by_date: dict[str, dict[dt.date, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for kind, i, tid, session in work:
        if tid in trainers and session in dates:
            by_session[tid, session].append((kind, i))
            by_date[tid][dates[session]].append((kind, i))

    def trainer(p: Plan, kind: str, i: int) -> str:
        return (p.runs if kind == "runs" else p.on_site)[i].trainer

    # what each gives up, as it stands: at first the last runs of a session and the dates where
    # they teach least, then the latest; the choices are tried in that order, so among equals it stays
    runs = {key: items[trainers[key[0]].max_runs_per_afternoon:] for key, items in by_session.items()}
    days = {tid: sorted(worked, key=lambda d: (len(worked[d]), -d.toordinal())) for tid, worked in by_date.items()}
    shed = {tid: days[tid][:max(0, len(worked) - trainers[tid].max_afternoons_per_year)]
            for tid, worked in by_date.items()}

    def given_up(runs: dict, shed: dict) -> set[tuple[str, int]]:  # what they give up, as these stand
        return {item for items in runs.values() for item in items} | \
            {item for tid, chosen in shed.items() for day in chosen for item in by_date[tid][day]}

    weights = scenario.policy.weights
    seats = _unmet_without(scenario, plan)

    def outcome(over: set[tuple[str, int]]) -> tuple[int, int]:  # the score's cost, then taken out
        handed, _ = handed_over(scenario, plan, gone=False, away=False, also=over)
        out = [item for item in over if trainer(handed, *item) == trainer(plan, *item)]
        return weights.stability * len(over) + weights.unmet * sum(seats[item] for item in out), len(out)

    for tid, chosen in shed.items():
        if chosen:
            shed[tid] = _fewest_left(days[tid], len(chosen),
                                     lambda these, tid=tid: outcome(given_up(runs, {**shed, tid: list(these)})))
    for key, items in by_session.items():
        if runs[key] and dates[key[1]] not in shed[key[0]]:
            runs[key] = _fewest_left(items[::-1], len(runs[key]),  # the last first
                                     lambda these, key=key: outcome(given_up({**runs, key: list(these)}, shed)))
    over = given_up(runs, shed)
    handed, count = handed_over(scenario, plan, gone=False, away=False, also=over)
    kept = {(kind, i) for kind, i in over if trainer(handed, kind, i) == trainer(plan, kind, i)}  # nobody took it
    count["dropped"] = len(kept)
    del count["left"]
    return without(handed, kept), count


def _unmet_without(scenario: Scenario, plan: Plan) -> dict[tuple[str, int], int]:
    """("runs" or "visits", index) -> the rise in the score's unmet term, times each course's
    priority, were that run or visit alone taken out (`unmet_rise`)."""
    rise = unmet_rise(scenario, plan)
    return {(kind, i): rise(item) for kind, items in (("runs", plan.runs), ("visits", plan.on_site))
            for i, item in enumerate(items)}


def _fewest_left(options: list, n: int, outcome: Callable[[tuple], tuple[int, int]]) -> list:
    """The `n` of `options` whose `outcome` (cost, taken out) is least: of every choice of `n`,
    when there are no more than CHOICES_TRIED, else one at a time. The first among equals, in the
    order of `options` (`min` keeps the first). The first `n` are kept outright when they leave
    none taken out: no choice gives up fewer (the callers list the dates with fewer items first),
    so none costs less."""
    if outcome(tuple(options[:n]))[1] == 0:
        return options[:n]
    if math.comb(len(options), n) <= CHOICES_TRIED:
        return list(min(itertools.combinations(options, n), key=outcome))
    chosen: tuple = ()
    for _ in range(n):
        chosen = min((chosen + (option,) for option in options if option not in chosen), key=outcome)
    return list(chosen)


def seats_filled(scenario: Scenario, plan: Plan) -> tuple[Plan, int]:
    """The plan with its runs' free places given to staff whose demand for the course is still
    unmet: of a practice closing in the run's wave and a role of the course's audience, with
    someone free in each of the run's blocks; within the room's capacity and the course's largest
    group. The highest priority course first, then the practice with the most of its demand unmet
    as the plan stands (the score's equity), then by id. No decision the stability score counts changes, and no
    term rises. Returns the plan and the seats added."""
    demand = compute_demand(scenario)
    met = Counter(demand_met(scenario, plan))
    courses = {c.id: c for c in scenario.courses}
    practices = {p.id: p for p in scenario.practices}
    capacity = {room.id: room.capacity for _, room in scenario.all_rooms()}
    wanted: Counter[str] = Counter()
    unmet: Counter[str] = Counter()
    keys: dict[str, list[tuple[str, str]]] = defaultdict(list)  # practice -> (role, course) still wanted
    for (p, r, c), d in demand.items():
        wanted[p] += d
        unmet[p] += max(0, d - met[p, r, c])
        if d > met[p, r, c]:
            keys[p].append((r, c))
    # (event, wave, course) -> (practice, role) wanting it there, the worst-served practice first
    wants: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
    for a in plan.afternoons:
        for w in a.waves:
            for p in sorted((p for p in w.practices if p in practices), key=lambda p: (-unmet[p] / max(1, wanted[p]), p)):
                for r, c in keys.get(p, ()):
                    wants[a.event, w.number, c].append((p, r))
    seated: Counter[tuple[str, int, str, str, str]] = Counter()  # (event, wave, practice, role, block)
    for run in plan.runs:
        for block in run.blocks:
            for seat in run.seats:
                seated[run.event, run.wave, seat.practice, seat.role, block] += seat.count
    runs, added = list(plan.runs), 0
    order = sorted(range(len(runs)), key=lambda i: (-courses[runs[i].course].priority if runs[i].course in courses
                                                    else 0, i))
    for i in order:
        run, course = runs[i], courses.get(runs[i].course)
        if course is None:
            continue
        room = capacity.get(run.room, course.max_group) if run.room is not None else course.max_group
        free = min(room, course.max_group) - run.size
        if free <= 0:
            continue
        seats = {(s.practice, s.role): s.count for s in run.seats}
        for p, r in wants.get((run.event, run.wave, course.id), ()):
            if free <= 0:
                break
            if r not in course.audience:
                continue
            head = practices[p].headcount.get(r, 0)
            n = min(free, demand[p, r, course.id] - met[p, r, course.id],
                    *(head - seated[run.event, run.wave, p, r, b] for b in run.blocks))
            if n <= 0:
                continue
            seats[p, r] = seats.get((p, r), 0) + n
            met[p, r, course.id] += n
            for b in run.blocks:
                seated[run.event, run.wave, p, r, b] += n
            free -= n
            added += n
        if len(seats) != len(run.seats) or sum(seats.values()) != run.size:
            runs[i] = run.model_copy(update={"seats": [Seat(practice=p, role=r, count=n)
                                                       for (p, r), n in seats.items()]})
    return (plan.model_copy(update={"runs": runs}) if added else plan), added


def without_removed(scenario: Scenario, plan: Plan) -> Plan | None:
    """The plan less what names an id the scenario no longer has (and runs left below their
    course's minimum group by a dropped practice or role), when something was taken out; else
    None. Not checked here: the caller checks it (a wave left empty, for one, breaks a rule)."""
    trainers = {t.id for t in scenario.trainers}
    courses = {c.id for c in scenario.courses}
    rooms = {room.id for _, room in scenario.all_rooms()}
    practices = {p.id for p in scenario.practices}
    roles = {r.id for r in scenario.roles}
    providers = {c.id for c in scenario.cover_providers}
    least = {c.id: c.min_group for c in scenario.courses}
    runs = []
    for run in plan.runs:
        if run.trainer not in trainers or run.course not in courses or (run.room is not None and run.room not in rooms):
            continue
        kept = seated(run, [s for s in run.seats if s.practice in practices and s.role in roles], least)
        if kept is not None:
            runs.append(kept)
    on_site = [o for o in plan.on_site if o.trainer in trainers and o.course in courses and o.practice in practices]
    cover = [c for c in plan.cover if c.provider in providers and c.practice in practices]
    afternoons = []
    for a in plan.afternoons:
        waves = [w.model_copy(update={"practices": [p for p in w.practices if p in practices]}) for w in a.waves]
        afternoons.append(a.model_copy(update={"waves": waves}))
    repaired = plan.model_copy(update={"runs": runs, "on_site": on_site, "cover": cover, "afternoons": afternoons})
    return None if repaired == plan else repaired
