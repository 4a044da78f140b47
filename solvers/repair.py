"""A published plan repaired for an edited scenario by taking out what the edits removed: the runs
and on-site visits of a dropped trainer, course or room, the seats, waves and cover of a dropped
practice or role, the cover of a dropped provider. Everything else stays where it was.

When a re-plan's limit is spent before its search (`whatif --time-limit 5` on Norwich: the model
and its first plan took 4 s of 5), the solve keeps its best start plan. The published plan
itself breaks a rule once a trainer is dropped, so greedy's plan was kept: 2,341,314 with 70
changes against the published 610,364, after dropping one BLS trainer. The repaired plan keeps
all but that trainer's runs and visits.

An edit can also make a published date wrong while taking nothing out: a trainer or a room
unavailable that afternoon, a blackout over it, a practice that cannot close then. The plan is
then repaired by moving the waves named, with all their decisions, to the nearest date where the
checker finds nothing wrong with the afternoon, or failing that the whole afternoon, every wave
by the same days (`with_dates_moved`): a moved published date is three changes a wave, against
greedy's re-plan of many. Each date tried is one check of the afternoon's own decisions: 10
checks took 0.6 s at 430 generated practices and 3.3 s at 1,500, where no date within reach
suited every trainer and provider of a two-wave afternoon (moving trainers as well is not tried).

Measured with `whatif --time-limit 5` on Norwich (the model and its first plan took 3.9-4.8 s,
no search ran), from a CP-SAT plan of 610,694: a BLS trainer unavailable on plt-1's date, the
clinical skills room unavailable on plt-3's, a blackout over plt-3, a practice unable to close
on plt-4's ended at 2,129,354 / 2,140,134 / 2,142,876 / 1,848,660 (greedy's re-plan, 6-43 runs
changed) and now at 670,746 / 670,744 / 670,784 / 670,694 (the afternoon moved, nothing else),
where a 15 s re-plan's search ends too (670,694-670,738).

The repaired plan is also the search's first hint, before greedy's (`_first_solution`). One
worker, 10 s, Norwich: dropping t-bls-1 1,053,194 either way; dropping t-safeguarding-1 (the
published plan still fits) the same; the three dates above 670,684 / 670,718 / 670,702 against
670,746 / 670,744 / 670,740 without the hint. Norfolk and Waveney (three waves), two workers,
20 s, blackouts over plt-3's first wave, plt-4's second and plt-1's first: 1,516,264 /
1,516,034 / 1,395,924 against 1,516,434 / 1,516,434 / 1,516,428, where the search from greedy's
plan ended above the repaired start and kept it; the last is plt-1's first wave moved alone."""

from __future__ import annotations

import datetime as dt
import re

from models.calendar import candidate_dates
from models.checker import Violation, check_plan
from models.plan import Plan
from models.scenario import Scenario

# Dates tried for each afternoon to move, nearest first: each is one check of that afternoon's
# decisions (Norwich: a few milliseconds), and a move far from the published date is a poor repair.
DATES_TRIED = 30


def repaired(scenario: Scenario, plan: Plan, found: list[Violation]) -> tuple[Plan, str] | None:
    """The published plan mended for the edited scenario, checked, with what was done to it; None
    when these repairs do not make it keep every rule. `found`: what the plan breaks now."""
    less = without_removed(scenario, plan)
    mended, done = (less, ["less what the edits removed"]) if less is not None else (plan, [])
    found = check_plan(scenario, mended) if less is not None else found
    if found:
        moved = with_dates_moved(scenario, mended, found)
        if moved is None:
            return None
        mended, events = moved
        done.append(f"with {', '.join(events)} moved")
    return (mended, "the baseline " + " and ".join(done)) if done else None


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
        seats = [s for s in run.seats if s.practice in practices and s.role in roles]
        if len(seats) == len(run.seats):
            runs.append(run)
        elif sum(s.count for s in seats) >= least[run.course]:
            runs.append(run.model_copy(update={"seats": seats}))
    on_site = [o for o in plan.on_site if o.trainer in trainers and o.course in courses and o.practice in practices]
    cover = [c for c in plan.cover if c.provider in providers and c.practice in practices]
    afternoons = []
    for a in plan.afternoons:
        waves = [w.model_copy(update={"practices": [p for p in w.practices if p in practices]}) for w in a.waves]
        afternoons.append(a.model_copy(update={"waves": waves}))
    repaired = plan.model_copy(update={"runs": runs, "on_site": on_site, "cover": cover, "afternoons": afternoons})
    return None if repaired == plan else repaired


# What moving a date can mend: the calendar, spacing, and whoever or whatever is unavailable then.
# Other rules (a trainer's runs per afternoon, seats over headcount) name sessions too, and would
# only spend checks (5.5 s at 1,500 practices) on dates that cannot help.
MOVABLE = {"afternoon_outside_period", "afternoon_before_earliest", "afternoon_after_latest",
           "afternoon_on_disallowed_weekday", "afternoon_on_bank_holiday", "afternoon_in_blackout_month",
           "afternoon_in_blackout", "afternoon_date_not_allowed", "afternoons_too_close", "practice_cannot_close",
           "provider_unavailable", "room_unavailable", "venue_unavailable", "trainer_unavailable"}


def _waves_in(found: list[Violation], plan: Plan, codes: set[str] | None = None) -> dict[str, set[int]]:
    """The waves the violations (of `codes`, or all) name, by afternoon: a session id ("plt-3/w2"),
    a run's id (its own afternoon and wave), or the date of a wave (a trainer unavailable names the
    trainer and the date); an afternoon named by its id alone has every wave named."""
    waves = {a.event: {w.number for w in a.waves} for a in plan.afternoons}
    on = {w.date.isoformat(): (a.event, w.number) for a in plan.afternoons for w in a.waves}
    runs = {r.id: (r.event, r.wave) for r in plan.runs}
    named: dict[str, set[int]] = {}
    for entity in (entity for v in found if codes is None or v.code in codes for entity in v.entities):
        event, _, wave = entity.partition("/")
        number = re.fullmatch(r"w(\d+)", wave, re.ASCII)
        if entity in runs:
            event, number = runs[entity][0], runs[entity][1]
        elif entity in on:
            event, number = on[entity]
        elif event in waves:
            number = int(number.group(1)) if number else None
        else:
            continue
        if event in waves:
            named.setdefault(event, set()).update(
                {number} & waves[event] if number in waves[event] else waves[event])
    return named


def _moved(plan: Plan, event: str, waves: set[int], shift: dt.timedelta) -> Plan:
    afternoons = [a.model_copy(update={"waves": [w.model_copy(update={"date": w.date + shift}) if w.number in waves
                                                 else w for w in a.waves]}) if a.event == event else a
                  for a in plan.afternoons]
    return plan.model_copy(update={"afternoons": afternoons})


def with_dates_moved(scenario: Scenario, plan: Plan, found: list[Violation]) -> tuple[Plan, list[str]] | None:
    """The plan with the waves that the violations `found` name moved to the nearest date (of
    DATES_TRIED candidates) where the afternoon's own decisions break no rule, or failing that the
    whole afternoon (every wave by the same days), and what was moved; None unless the whole plan
    then keeps every rule (what a move cannot mend: a trainer's afternoons per year, cover over
    capacity on every date). An afternoon that fits where it is by then (two too close: moving one
    mends both) stays. A wave moved alone is three changes; an afternoon of three waves, nine."""
    allowed = set(candidate_dates(scenario))
    broken = _waves_in(found, plan, MOVABLE)
    done = []
    for event, named in sorted(broken.items()):
        if _fits(scenario, plan, event, allowed):
            continue
        every = {w.number for a in plan.afternoons if a.event == event for w in a.waves}
        for waves in ([named, every] if named != every else [every]):
            first = min(w.date for a in plan.afternoons if a.event == event for w in a.waves if w.number in waves)
            nearest = sorted((d for d in allowed if d != first), key=lambda d: (abs((d - first).days), d))
            trial = next((t for t in (_moved(plan, event, waves, dt.timedelta(days=(day - first).days))
                                      for day in nearest[:DATES_TRIED]) if _fits(scenario, t, event, allowed)), None)
            if trial is not None:
                plan = trial
                done.append(event if waves == every else
                            f"{event} wave{'s' if len(waves) > 1 else ''} {', '.join(map(str, sorted(waves)))}")
                break
    return (plan, done) if done and not check_plan(scenario, plan) else None


def _fits(scenario: Scenario, plan: Plan, event: str, allowed: set[dt.date]) -> bool:
    """The afternoon's waves are on dates the calendar allows, and its own decisions (checked
    alone, with every afternoon's cover: milliseconds on Norwich) break no rule."""
    afternoon = next(a for a in plan.afternoons if a.event == event)
    if any(w.date not in allowed for w in afternoon.waves):
        return False
    alone = plan.model_copy(update={
        "runs": [r for r in plan.runs if r.event == event],
        "on_site": [o for o in plan.on_site if o.event == event]})
    return event not in _waves_in(check_plan(scenario, alone), alone)
