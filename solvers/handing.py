"""Work handed over in a published plan: a trainer's runs and on-site visits given to trainers
free to take them, the dates each trainer works, and what taking a run or visit out costs the
score's unmet term; shared by the repairs of `repair.py` and `repair_dates.py`."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable

from models.checker_view import Session
from models.demand import compute_demand
from models.plan import CourseRun, OnSiteCourse, Plan, Seat
from models.scenario import Scenario, Trainer
from models.score import demand_met


def handed_over(scenario: Scenario, plan: Plan, events: set[str] | None = None, gone: bool = True,
                away: bool = True, elsewhere: dict[str, set[dt.date]] | None = None,
                also: set[tuple[str, int]] = frozenset()) -> tuple[Plan, Counter[str]]:
    """The plan with the runs and on-site visits (of `events`, or every afternoon) whose trainer
    has left the scenario (`gone`) or is unavailable on their wave's date (`away`) handed to another
    trainer who may take them: the skill (and on site, for a visit), free that day, in no other
    place in those blocks, within their runs per afternoon and afternoons per year; the cheapest
    first (cost per run, then a weekday they prefer), then by id. Returns the plan and how many
    were handed over, as `Counter(runs=, visits=)`, and, as `left`, how many nobody could take:
    those keep their trainer. Those fewest trainers may take go first, then in the plan's order.
    `elsewhere`: the dates each trainer works outside `events` (`days_worked`), when the caller
    tries many dates for one afternoon: the rest of the plan is then not read again. `also`:
    more to hand over, as ("runs", index) and ("visits", index) (`within_limits`)."""
    dates = {(a.event, w.number): w.date for a in plan.afternoons for w in a.waves}
    trainers = {t.id: t for t in scenario.trainers}
    skill = {c.id: c.needed_skill for c in scenario.courses}
    every = frozenset(b.id for b in scenario.calendar.blocks)
    ours = elsewhere is not None and events is not None
    work = [("runs", i, (r.event, r.wave), r.course, frozenset(r.blocks), r.trainer) for i, r in enumerate(plan.runs)
            if not ours or r.event in events]
    work += [("visits", i, (o.event, o.wave), o.course, every, o.trainer) for i, o in enumerate(plan.on_site)
             if not ours or o.event in events]
    busy: dict[tuple[str, Session], set[str]] = defaultdict(set)
    taught: Counter[tuple[str, Session]] = Counter()
    days: dict[str, set[dt.date | None]] = defaultdict(set)
    for tid, worked in (elsewhere.items() if ours else ()):
        days[tid] = set(worked)
    for _, _, session, _, blocks, tid in work:
        busy[tid, session] |= blocks
        taught[tid, session] += 1
        days[tid].add(dates.get(session))
    weights = scenario.policy.weights
    able: dict[str, list[tuple[Trainer, set[dt.date]]]] = defaultdict(list)  # by skill, with their days away
    for t in scenario.trainers:
        for held in t.skills:
            able[held].append((t, set(t.unavailable)))
    rooms = {room.id for _, room in scenario.all_rooms()}
    practices = {p.id for p in scenario.practices}
    items = {"runs": list(plan.runs), "visits": list(plan.on_site)}

    def kept(kind: str, i: int) -> bool:  # not taken out with a dropped room or practice anyway
        item = items[kind][i]
        return item.room is None or item.room in rooms if kind == "runs" else item.practice in practices

    def leaves(tid: str, day: dt.date | None) -> bool:
        trainer = trainers.get(tid)
        return (gone and trainer is None) or (away and trainer is not None and day in trainer.unavailable)

    def able_for(kind: str, course: str, day: dt.date) -> list[Trainer]:
        return [t for t, off in able[skill[course]] if (t.on_site or kind == "runs") and day not in off]

    # the items with the fewest trainers able to take them first: one trainer with two skills
    # taking the runs of the skill others have too can leave the other skill's runs to nobody
    leaving = [(kind, i, session, course, blocks, tid) for kind, i, session, course, blocks, tid in work
               if (events is None or session[0] in events) and course in skill and dates.get(session) is not None
               and (leaves(tid, dates[session]) or (kind, i) in also) and kept(kind, i)]
    leaving.sort(key=lambda w: len(able_for(w[0], w[3], dates[w[2]])))  # stable: the plan's order among equals
    # a trainer giving work up on a date (`also`: over a lowered limit) takes none there
    giving = {(tid, dates[session]) for kind, i, session, _, _, tid in leaving if (kind, i) in also}
    count: Counter[str] = Counter()
    for kind, i, session, course, blocks, _ in leaving:
        day = dates[session]
        free = [t for t in able_for(kind, course, day)
                if (t.id, day) not in giving and not busy[t.id, session] & blocks
                and taught[t.id, session] < t.max_runs_per_afternoon
                and (day in days[t.id] or len(days[t.id]) < t.max_afternoons_per_year)]
        if not free:
            count["left"] += 1
            continue
        best = min(free, key=lambda t: (weights.cost * t.cost_per_run
                                        + weights.preferences * (not taught[t.id, session] and t.breaks_weekday(day)),
                                        t.id))
        busy[best.id, session] |= blocks
        taught[best.id, session] += 1
        days[best.id].add(day)
        items[kind][i] = items[kind][i].model_copy(update={"trainer": best.id})
        count[kind] += 1
    if not handed_count(count):
        return plan, count
    return plan.model_copy(update={"runs": items["runs"], "on_site": items["visits"]}), count


def days_worked(plan: Plan, *but: str) -> dict[str, set[dt.date]]:
    """The dates each trainer works, at every afternoon but those named."""
    dates = {(a.event, w.number): w.date for a in plan.afternoons if a.event not in but for w in a.waves}
    worked: dict[str, set[dt.date]] = defaultdict(set)
    for tid, session in [(r.trainer, (r.event, r.wave)) for r in plan.runs if r.event not in but] + \
            [(o.trainer, (o.event, o.wave)) for o in plan.on_site if o.event not in but]:
        if session in dates:
            worked[tid].add(dates[session])
    return worked


def handed_count(count: Counter[str]) -> int:
    return count["runs"] + count["visits"]


def counted(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def teaching(count: Counter[str]) -> str:
    """'2 runs', '1 visit', '2 runs and 1 visit'."""
    return " and ".join(counted(n, kind[:-1]) for kind in ("runs", "visits") if (n := count[kind]))


def unmet_rise(scenario: Scenario, plan: Plan) -> Callable[[CourseRun | OnSiteCourse], int]:
    """The rise in the score's unmet term, times the course's priority, were one run or visit of
    `plan` alone taken out: its seats, or a visit's non-bank audience headcount (as
    `models.score.demand_met` counts them), each only as far as it meets demand."""
    demand, met = compute_demand(scenario), demand_met(scenario, plan)
    courses = {c.id: c for c in scenario.courses}
    practices = {p.id: p for p in scenario.practices}
    bank = {r.id for r in scenario.roles if r.bank}

    def rise(course: str, gives: list[tuple[str, str, int]]) -> int:
        priority = courses[course].priority if course in courses else 1
        return priority * sum(max(0, d - met.get((p, r, course), 0) + n) - max(0, d - met.get((p, r, course), 0))
                              for p, r, n in gives if (d := demand.get((p, r, course), 0)))

    def of(item: CourseRun | OnSiteCourse) -> int:
        if isinstance(item, CourseRun):
            return rise(item.course, [(s.practice, s.role, s.count) for s in item.seats])
        practice, course = practices.get(item.practice), courses.get(item.course)
        gives = [(item.practice, r, practice.headcount.get(r, 0)) for r in course.audience if r not in bank] \
            if practice is not None and course is not None else []
        return rise(item.course, gives)

    return of


def without(plan: Plan, which: set[tuple[str, int]]) -> Plan:
    """The plan less the runs and visits `which` names, as ("runs" or "visits", index)."""
    if not which:
        return plan
    return plan.model_copy(update={"runs": [r for i, r in enumerate(plan.runs) if ("runs", i) not in which],
                                   "on_site": [o for i, o in enumerate(plan.on_site) if ("visits", i) not in which]})


def seated(run: CourseRun, seats: list[Seat], least: dict[str, int]) -> CourseRun | None:
    """The run with only these of its seats: itself when none went, None when they leave it below
    its course's minimum group."""
    if len(seats) == len(run.seats):
        return run
    return run.model_copy(update={"seats": seats}) if sum(s.count for s in seats) >= least.get(run.course, 1) else None
