"""An afternoon whose date an edit rules out, mended by the fewest changes (for `repair.py`).

- An afternoon whose date an edit rules out while taking nothing out (a trainer, room or cover
  provider unavailable that day, a blackout over it, a practice that cannot close then) is
  mended where it is, or by moving the waves named (three changes a wave) or the whole
  afternoon (every wave by the same days) to one of the nearest dates; either way a practice
  that cannot close on its wave's date moves to another wave of the afternoon
  (`closing_elsewhere`), the runs of trainers away that day go to trainers free then
  (`handed_over`), the runs in a room or venue closed then to rooms free then (`rehoused`) and
  the cover of providers away, or over a capacity an edit lowered, to providers with room
  (`covered_again`): whichever changes least and leaves the afternoon's own decisions breaking
  no rule (`with_dates_moved`). When none of that mends it, what nobody free can teach or house
  on the date is taken out (below). Norfolk and Waveney's Norwich venue closed on a wave's date
  of greedy's plan: greedy's re-plan took the plan's place (a reviewer's case: 419 changes);
  moving the afternoon with its neighbours, 40 changes; now its 7 runs there are taken out, a
  room elsewhere not being worth two changes each at a what-if's weight (7 changes). At 430 generated practices, lowering one
  provider's capacity from 109,000 to 80,000 (`whatif --time-limit 15`): greedy's re-plan,
  9,180,144, was kept; now the published plan with 11-12 practices' cover moved in every
  afternoon, 8,580,893. When no date keeps the spacing to the afternoons on either side as they
  stand, those are moved away as far as it needs (`_pushed`), each mended on its new date too.

Measured with `whatif --time-limit 5` on Norwich (the model and its first plan took 3.9-4.8 s,
no search ran), from a CP-SAT plan of 610,694: a BLS trainer unavailable on plt-1's date, the
clinical skills room unavailable on plt-3's, a blackout over plt-3, a practice unable to close
on plt-4's ended at 2,129,354 / 2,140,134 / 2,142,876 / 1,848,660 (greedy's re-plan, 6-43 runs
changed) and now at 670,746 / 670,744 / 670,784 / 670,694 (the afternoon moved, nothing else),
where a 15 s re-plan's search ends too (670,694-670,738).

At 430 generated practices (two waves) moving dates alone mended a blackout over 3 of the 12
waves: at every date within reach some trainer of the afternoon was away, a provider or a
practice. With the runs, cover and practices handed over it mends 8 of 12, in 0.2-0.6 s each
(`/work/prof15/rep430.py`); `whatif --time-limit 15` with a blackout over plt-1's first wave
kept greedy's re-plan (9,318,356, 37 changes) and now starts from the repaired plan. At 1,500
practices (three waves) 10 of 18 against 1 of 18, in 1.4-3.4 s each, most of it handing over
(every date tried is staffed and covered before the fewest changes are checked). The rest failed
on the spacing between afternoons or on the window of an afternoon's waves. With the neighbours
moved for the spacing, 11 of 12 at 430 (0.3-0.5 s) and 11 of 18 at 1,500 (1.4-3.5 s); what is
left fails on trainers nobody can replace on every date within reach, the neighbours' included.
So, when nothing else mends an afternoon, the runs and visits nobody free on its date can take are
taken out (one change each, and their seats unmet; ranked in the score's units): greedy's re-plan,
the fallback, had changed 2,749-3,094 decisions at 1,500 practices (a plan of two waves per
afternoon, 30,793,725; scores 86-93 million) where the repair now changes 5-8 (30,850,938-30,929,226),
mending all 12 waves' blackouts (1.5-3.4 s each); at 430 practices (three waves) all 18, two of them
by taking a visit out (`/work/prof18/rep.py`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

from models.calendar import candidate_dates
from models.checker import (
    Violation,
    afternoons_too_close,
    check_plan,
    practice_closes_on_blocked_date,
    provider_unavailable,
    waves_in_order_within_window,
)
from models.checker_rules import mandatory_training_unmet, room_unavailable, trainer_unavailable
from models.checker_view import PlanView
from models.plan import CourseRun, Cover, OnSiteCourse, Plan
from models.scenario import CoverProvider, Scenario

from .handing import (
    counted,
    days_worked,
    handed_count,
    handed_over,
    seated,
    teaching,
    unmet_rise,
    without,
)

# Dates tried for each afternoon to move, nearest first: each is one check of that afternoon's
# decisions (Norwich: a few milliseconds), and a move far from the published date is a poor repair.
DATES_TRIED = 30


def covered_again(scenario: Scenario, plan: Plan, event: str) -> tuple[Plan, int, int]:
    """The plan with the practices of `event` covered by a provider unavailable on their wave's
    date, or over its capacity in that wave, handed to providers available then with room in
    that wave (`_with_room`), the largest practice first (from a provider over capacity, only
    until it is within); should that leave one without, again packing each into the provider it
    fills most (two providers with room for all but the largest and for the largest alone).
    Returns the plan, how many practices changed provider and how many no provider could take
    (they keep theirs)."""
    dates = {w.number: w.date for a in plan.afternoons if a.event == event for w in a.waves}
    providers = {c.id: c for c in scenario.cover_providers}
    sizes = {p.id: p.list_size for p in scenario.practices}
    first = _loads(plan, event, sizes)
    leaving = [(i, c) for i, c in enumerate(plan.cover) if c.event == event and c.provider in providers
               and c.wave in dates and (dates[c.wave] in providers[c.provider].unavailable
                    or first[c.wave, c.provider] > providers[c.provider].capacity)]
    leaving.sort(key=lambda item: (-sizes.get(item[1].practice, 0), item[0]))
    for tight in (False, True):
        load = first.copy()
        cover, moved, left = list(plan.cover), 0, 0
        for i, c in leaving:
            size, provider = sizes.get(c.practice, 0), providers[c.provider]
            away = dates[c.wave] in provider.unavailable
            if not away and load[c.wave, c.provider] <= provider.capacity:
                continue  # over capacity no more
            best = _with_room(scenario, load, c.wave, dates[c.wave], size, tight)
            if best is None:
                left += away  # from a provider over capacity, a smaller practice may do instead
                continue
            load[c.wave, c.provider] -= size
            load[c.wave, best.id] += size
            cover[i] = c.model_copy(update={"provider": best.id})
            moved += 1
        left += sum(1 for wave, pid in {(c.wave, c.provider) for _, c in leaving}
                    if dates[wave] not in providers[pid].unavailable and load[wave, pid] > providers[pid].capacity)
        if not left:
            break
    return (plan.model_copy(update={"cover": cover}) if moved else plan), moved, left


def _loads(plan: Plan, event: str, sizes: dict[str, int]) -> Counter[tuple[int, str]]:
    """Patients each provider covers in each wave of `event`."""
    load: Counter[tuple[int, str]] = Counter()
    for c in plan.cover:
        if c.event == event:
            load[c.wave, c.provider] += sizes.get(c.practice, 0)
    return load


def _with_room(scenario: Scenario, load: Counter[tuple[int, str]], wave: int, day: dt.date,
               size: int, tight: bool = False) -> CoverProvider | None:
    """A provider available on `day` with room for `size` more patients in the wave: one already
    covering there before a new one, then the cheapest for it, then by id; `tight`: the one left
    with the least room, then by id. None if none has room."""
    free = [p for p in scenario.cover_providers if day not in p.unavailable and load[wave, p.id] + size <= p.capacity]
    if tight:
        return min(free, default=None, key=lambda p: (p.capacity - load[wave, p.id] - size, p.id))
    return min(free, default=None, key=lambda p: (not load[wave, p.id], p.cost_for(size)
                                                  + (0 if load[wave, p.id] else p.cost_per_afternoon), p.id))


def closing_elsewhere(scenario: Scenario, plan: Plan, event: str) -> tuple[Plan, Counter[str]]:
    """The plan with each practice of `event` that cannot close on its wave's date moved to the
    nearest other wave of the afternoon it can close in (a change), covered there by its provider
    if that one is available with room, else as `_with_room` chooses. Its seats in the old wave's
    runs are taken out, and a run left below its course's minimum group with them (a change); its
    on-site visit goes with it, or is taken out (a change) when its trainer teaches in the new
    wave. Returns the plan and `Counter(practices=, dropped=, left=)`: practices moved, runs and
    visits taken out, practices no wave could take (they stay)."""
    count: Counter[str] = Counter()
    afternoon = next(a for a in plan.afternoons if a.event == event)
    practices = {p.id: p for p in scenario.practices}
    dates = {w.number: w.date for w in afternoon.waves}
    blocked = [(w.number, pid) for w in afternoon.waves for pid in w.practices
               if pid in practices and w.date in practices[pid].cannot_close]
    if not blocked:
        return plan, count
    providers = {c.id: c for c in scenario.cover_providers}
    load = _loads(plan, event, {p.id: p.list_size for p in scenario.practices})
    covering = {(c.wave, c.practice): i for i, c in enumerate(plan.cover) if c.event == event}
    cover, to = list(plan.cover), {}
    for number, pid in blocked:
        size, i = practices[pid].list_size, covering.get((number, pid))
        now = providers.get(cover[i].provider) if i is not None else None
        for other in sorted(dates, key=lambda n: (abs((dates[n] - dates[number]).days), n)):
            if other == number or dates[other] in practices[pid].cannot_close:
                continue
            keeps = now is not None and dates[other] not in now.unavailable and load[other, now.id] + size <= now.capacity
            provider = now if keeps else _with_room(scenario, load, other, dates[other], size)
            if provider is None:
                continue
            if now is not None:
                load[number, now.id] -= size
            load[other, provider.id] += size
            if i is None:  # not covered where it was (the checker says so too): covered where it goes
                cover.append(Cover(event=event, wave=other, practice=pid, provider=provider.id))
            else:
                cover[i] = cover[i].model_copy(update={"wave": other, "provider": provider.id})
            to[pid] = other
            break
        else:
            count["left"] += 1
    if not to:
        return plan, count
    count["practices"] = len(to)
    waves = [w.model_copy(update={"practices": [p for p in w.practices if to.get(p, w.number) == w.number]
                                  + [p for p in to if to[p] == w.number]}) for w in afternoon.waves]
    afternoons = [a.model_copy(update={"waves": waves}) if a.event == event else a for a in plan.afternoons]
    least = {c.id: c.min_group for c in scenario.courses}
    runs = []
    for run in plan.runs:
        if run.event != event:  # another afternoon's: as it is (at 6,300 practices most of the plan)
            runs.append(run)
            continue
        kept = seated(run, [s for s in run.seats if s.practice not in to], least)
        if kept is None:
            count["dropped"] += 1
        else:
            runs.append(kept)
    busy = {(r.trainer, r.wave) for r in runs if r.event == event} | \
        {(o.trainer, o.wave) for o in plan.on_site if o.event == event and o.practice not in to}
    away = {t.id: set(t.unavailable) for t in scenario.trainers}
    on_site = []
    for visit in plan.on_site:
        if visit.event != event or visit.practice not in to:
            on_site.append(visit)
        elif (visit.trainer, to[visit.practice]) in busy or dates[to[visit.practice]] in away.get(visit.trainer, ()):
            count["dropped"] += 1
        else:
            busy.add((visit.trainer, to[visit.practice]))
            on_site.append(visit.model_copy(update={"wave": to[visit.practice]}))
    return plan.model_copy(update={"afternoons": afternoons, "cover": cover, "runs": runs, "on_site": on_site}), count


# What moving a date (and handing runs, cover and practices over) can mend: the calendar, spacing,
# whoever or whatever is unavailable then, and a cover provider over its capacity. Other rules (a
# trainer's runs per afternoon, seats over headcount) name sessions too, and would only spend
# checks (5.5 s at 1,500 practices) on dates that cannot help.
MOVABLE = {"afternoon_outside_period", "afternoon_before_earliest", "afternoon_after_latest",
           "afternoon_on_disallowed_weekday", "afternoon_on_bank_holiday", "afternoon_in_blackout_month",
           "afternoon_in_blackout", "afternoon_date_not_allowed", "afternoons_too_close", "practice_cannot_close",
           "provider_unavailable", "room_unavailable", "venue_unavailable", "trainer_unavailable",
           "cover_over_capacity"}


# The checker's rules a date breaks most often, read before the whole checker (`_fits`).
ON_THE_DATE = (practice_closes_on_blocked_date, provider_unavailable, room_unavailable, trainer_unavailable,
               afternoons_too_close, waves_in_order_within_window)


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


def with_dates_moved(scenario: Scenario, plan: Plan, found: list[Violation],
                     published: Plan | None = None) -> tuple[Plan, list[str]] | None:
    """The plan with each afternoon that the violations `found` name mended by the fewest changes
    (`_nearest_fit`): where it is, with the waves named moved to one of the DATES_TRIED nearest
    dates, or with every wave moved by the same days (three changes a wave); on that date its
    practices that cannot close move wave (`closing_elsewhere`), the runs and visits of trainers
    away go to others (`handed_over`) and the cover of providers away or over capacity to others
    (`covered_again`; no change the score counts). Of equal changes, the fewest cover moves, then
    the nearest date. A candidate counts only when the afternoon's own decisions then break no
    rule; 2 x DATES_TRIED are checked at most. Returns the plan and what was done, or None unless
    the whole plan then keeps every rule (what these cannot mend: the spacing to both neighbours,
    seats over headcount, mandatory training left unmet). An afternoon that fits where it is by
    then (two too close: moving one mends both) stays."""
    allowed = set(candidate_dates(scenario))
    broken = _waves_in(found, plan, MOVABLE)
    done = []
    for event, named in sorted(broken.items()):
        if _fits(scenario, plan, event, allowed):
            continue
        mended = _nearest_fit(scenario, plan, event, named, allowed, published or plan)
        if mended is not None:
            plan, what = mended
            done.append(what)
    return (plan, done) if done and not check_plan(scenario, plan) else None


def _nearest_fit(scenario: Scenario, plan: Plan, event: str, named: set[int], allowed: set[dt.date],
                 published: Plan) -> tuple[Plan, str] | None:
    """The afternoon mended by the fewest changes (see `with_dates_moved`), and what was done. A
    run or visit handed over counts as a change unless an earlier repair (a trainer who left) had
    already handed it over: the score counts it once, against the `published` plan. When no date
    fits as the neighbours stand, the same dates are tried again with the afternoons on either
    side moved away as far as the spacing needs (`_pushed`; three changes a wave), each mended
    on its new date as this one is."""
    taught = {r.id: r.trainer for r in published.runs} | \
        {(o.event, o.practice, o.course): o.trainer for o in published.on_site}
    dates = {w.number: w.date for a in plan.afternoons if a.event == event for w in a.waves}
    every = set(dates)
    tries: list[tuple[set[int], int]] = [(set(), 0)]  # in place: trainers and cover handed over only
    for waves in ([named, every] if named != every else [every]):
        if not waves:  # an afternoon listed twice, once without waves: the checker says so
            continue
        first = min(dates[n] for n in waves)
        nearest = sorted((d for d in allowed if d != first), key=lambda d: (abs((d - first).days), d))
        tries += [(waves, (day - first).days) for day in nearest[:DATES_TRIED]]
    weights, hard = scenario.policy.weights, scenario.policy.mandatory == "hard"
    elsewhere = {(event,): days_worked(plan, event)}  # the same for every date tried
    for taking, pushing in ((False, False), (False, True), (True, False), (True, True)):
        ranked = []
        rise = unmet_rise(scenario, plan) if taking else None
        # another room is two changes (a run gone and a new one), taking a run out one and its seats
        worth = (lambda run, rise=rise: weights.stability < weights.unmet * rise(run)) if taking else None
        for order, (waves, shift) in enumerate(tries):
            moved = _moved(plan, event, waves, dt.timedelta(days=shift)) if waves else plan
            others: dict[str, int] = {}
            if pushing:
                pushed = _pushed(scenario, moved, event, allowed) if waves else None
                if pushed is None or not pushed[1]:  # none to move, or tried as they stand
                    continue
                moved, others = pushed
            events = (event, *sorted(others))
            if events not in elsewhere:
                elsewhere[events] = days_worked(plan, *events)
            moved, staffed, done, left, out = _mend_on(scenario, moved, events, elsewhere[events], worth)
            total = sum(done.values(), Counter())
            if left or not (waves or total["practices"] or handed_count(total) or total["covers"] or total["rooms"] or out):
                continue
            moves = len(waves) + sum(len(_waves_of(plan, e)) for e in others)
            changes = 3 * moves + total["practices"] + total["dropped"] + 2 * total["rooms"] + len(out) + \
                _first_handed(moved, staffed, events, taught, out)
            unmet = sum(rise(item) for item in _items(staffed, out)) if out else 0
            ranked.append((weights.stability * changes + weights.unmet * unmet, changes, total["covers"], abs(shift),
                           order, bool(out), without(staffed, out), waves, done, others))
        # the least the score counts (changes, and unmet seats of what is taken out), then the fewest
        # changes, the fewest practices' cover moved, the nearest
        ranked.sort(key=lambda r: r[:5])
        for *_, taken, staffed, waves, done, others in ranked[:2 * DATES_TRIED]:
            if taken and hard and mandatory_training_unmet(PlanView(scenario, staffed)):
                continue  # what was taken out is training everyone due must have (a rule of the whole plan)
            if all(_fits(scenario, staffed, e, allowed) for e in (event, *others)):
                said = _mended(event, waves, every, done[event])
                for e in sorted(others):  # moved whole
                    far, whole = f"{counted(abs(others[e]), 'day')} {_way(others[e])}", _waves_of(plan, e)
                    said += f", with {_mended(e, whole, whole, done[e], far)}"
                return staffed, said + (" to keep the spacing" if others else "")
    return None


def _mend_on(scenario: Scenario, plan: Plan, events: tuple[str, ...], elsewhere: dict[str, set[dt.date]],
             worth: Callable[[CourseRun], bool] | None = None,
             ) -> tuple[Plan, Plan, dict[str, Counter[str]], int, set[tuple[str, int]]]:
    """`events` mended on their dates as they now stand: practices that cannot close then to
    another wave (`closing_elsewhere`), the runs and visits of trainers away to others
    (`handed_over`), the runs in rooms closed then to rooms free (`rehoused`), the cover of
    providers away or over capacity to others (`covered_again`). Returns the plan with practices
    moved, the plan mended, what was done at each afternoon as `Counter(practices=, dropped=,
    runs=, visits=, rooms=, covers=, runs_out=, visits_out=, rooms_out=)`, how many nothing could
    mend, and, when taking out (`worth`: whether a run is worth another room rather than taken
    out), the runs and visits nobody free could teach or house, as ("runs" or "visits", index in
    the plan mended), to take out (then they are not counted as left)."""
    done = {e: Counter() for e in events}
    left = 0
    for e in events:
        plan, moved = closing_elsewhere(scenario, plan, e)
        done[e].update(practices=moved["practices"], dropped=moved["dropped"])
        left += moved["left"]
    staffed, count = handed_over(scenario, plan, set(events), gone=False, elsewhere=elsewhere)
    out: set[tuple[str, int]] = set()
    if worth is not None:  # taking out what nobody free can teach, first: its rooms are free for the rest
        dates = {(a.event, w.number): w.date for a in staffed.afternoons if a.event in done for w in a.waves}
        away = {t.id: t.unavailable for t in scenario.trainers}
        for kind, items in (("runs", staffed.runs), ("visits", staffed.on_site)):
            for i, item in enumerate(items):
                if item.event in done and dates.get((item.event, item.wave)) in away.get(item.trainer, ()):
                    out.add((kind, i))
                    done[item.event][f"{kind}_out"] += 1
    staffed, homeless = rehoused(scenario, staffed, done, worth, {i for kind, i in out if kind == "runs"})
    if worth is not None:
        for i in homeless:
            out.add(("runs", i))
            done[staffed.runs[i].event]["rooms_out"] += 1
    else:
        left += count["left"] + len(homeless)
    for kind, before, after in (("runs", plan.runs, staffed.runs), ("visits", plan.on_site, staffed.on_site)):
        for i, (was, now) in enumerate(zip(before, after, strict=True)):
            if was.event in done and was.trainer != now.trainer and (kind, i) not in out:  # handed over, and kept
                done[was.event][kind] += 1
    for e in events:
        staffed, moved, uncovered = covered_again(scenario, staffed, e)
        done[e]["covers"] += moved
        left += uncovered
    return plan, staffed, done, left, out


def rehoused(scenario: Scenario, plan: Plan, done: dict[str, Counter[str]],
             worth: Callable[[CourseRun], bool] | None = None, going: set[int] = frozenset(),
             ) -> tuple[Plan, set[int]]:
    """The plan with each run of the afternoons `done` names whose room or venue is unavailable on
    its wave's date moved to another room free then: the features the course needs, room for its
    seats, in none of its blocks booked; one booked in the session already first (no new room to
    pay for), then one at the same venue, then the cheapest, then by id. Counted in `done` as
    `rooms` (the score counts a run in another room as two changes: one run gone, one new). Only
    the runs `worth` it, when given; the runs `going` (indices: to be taken out) neither move nor
    hold their rooms. Returns the plan and the indices of the runs not moved (they keep their
    room), `going` aside."""
    dates = {(a.event, w.number): w.date for a in plan.afternoons if a.event in done for w in a.waves}
    where = {room.id: (venue, room) for venue, room in scenario.all_rooms()}
    if not set(dates.values()) & {day for venue, room in where.values() for day in (*venue.unavailable, *room.unavailable)}:
        return plan, set()  # no room closed on these dates: the runs are not read (at each date tried)

    def closed(room_id: str, day: dt.date) -> bool:
        venue, room = where[room_id]
        return day in room.unavailable or day in venue.unavailable

    moving = [i for i, r in enumerate(plan.runs) if r.event in done and r.room in where and i not in going
              and (r.event, r.wave) in dates and closed(r.room, dates[r.event, r.wave])]
    if not moving:
        return plan, set()
    features = {c.id: set(c.room_features) for c in scenario.courses}
    booked = {(r.event, r.wave, r.room, b) for i, r in enumerate(plan.runs) if i not in moving and i not in going
              for b in r.blocks}
    in_use = {(event, wave, room) for event, wave, room, _ in booked}
    runs, homeless = list(plan.runs), set()
    for i in moving:
        run = runs[i]
        if worth is not None and not worth(run):
            homeless.add(i)
            continue
        day, (venue, _) = dates[run.event, run.wave], where[run.room]
        free = [room for v, room in scenario.all_rooms() if not closed(room.id, day)
                and features.get(run.course, set()) <= set(room.features) and room.capacity >= run.size
                and not any((run.event, run.wave, room.id, b) in booked for b in run.blocks)]
        if not free:
            homeless.add(i)
            continue
        best = min(free, key=lambda room: ((run.event, run.wave, room.id) not in in_use, where[room.id][0].id != venue.id,
                                           room.cost_per_afternoon, room.id))
        booked |= {(run.event, run.wave, best.id, b) for b in run.blocks}
        in_use.add((run.event, run.wave, best.id))
        runs[i] = run.model_copy(update={"room": best.id, "id": f"{run.id.rsplit('/', 1)[0]}/{best.id}"})
        done[run.event]["rooms"] += 1
    if len(homeless) == len(moving):
        return plan, homeless
    return plan.model_copy(update={"runs": runs}), homeless


def _items(plan: Plan, which: set[tuple[str, int]]) -> list[CourseRun | OnSiteCourse]:
    return [plan.runs[i] if kind == "runs" else plan.on_site[i] for kind, i in sorted(which)]


def _waves_of(plan: Plan, event: str) -> set[int]:
    return {w.number for a in plan.afternoons if a.event == event for w in a.waves}


# Days past the spacing's need tried for a neighbour pushed away (`_pushed`): its waves keep
# their weekdays a week further on.
PUSH_DAYS = 14


def _pushed(scenario: Scenario, plan: Plan, event: str, allowed: set[dt.date]) -> tuple[Plan, dict[str, int]] | None:
    """The plan with the afternoons after `event` moved later, and those before it earlier, each
    by the fewest days that keep the spacing (max(1, 7 x min_weeks_between) days from the last wave
    of one to the first of the next) to the one moved before it, every wave by the same days and
    onto dates the calendar allows; none past one that needs no move. Returns the plan and the days
    each afternoon moved, or None when one cannot move so (or is pinned)."""
    gap = max(1, 7 * scenario.calendar.min_weeks_between)
    waves = {a.event: [w.date for w in a.waves] for a in plan.afternoons if a.waves}
    order = [e for e, _ in scenario.event_ids() if e in waves]
    pinned = {pin.event for pin in scenario.pins}
    if event not in order:  # an afternoon the programme no longer has: the checker names it
        return None
    shifts: dict[str, int] = {}
    at = order.index(event)
    for later, side in ((True, order[at + 1:]), (False, order[:at][::-1])):
        edge = max(waves[event]) if later else min(waves[event])
        for e in side:
            need = (edge - min(waves[e])).days + gap if later else (max(waves[e]) - edge).days + gap
            if need <= 0:
                break
            shift = next((d for d in range(need, need + PUSH_DAYS + 1)
                          if all(day + dt.timedelta(days=d if later else -d) in allowed for day in waves[e])), None)
            if shift is None or e in pinned:
                return None
            shifts[e] = shift if later else -shift
            edge = max(waves[e]) + dt.timedelta(days=shift) if later else min(waves[e]) - dt.timedelta(days=shift)
    for e, shift in shifts.items():
        plan = _moved(plan, e, {w.number for a in plan.afternoons if a.event == e for w in a.waves},
                      dt.timedelta(days=shift))
    return plan, shifts


def _mended(event: str, waves: set[int], every: set[int], done: Counter[str], far: str = "") -> str:
    """What `_nearest_fit` did at one afternoon, in words: 'plt-3 kept (2 runs handed to trainers
    free that day)', 'plt-1 wave 1 moved (1 practice moved to a wave it can close in)', 'plt-4
    moved 7 days later (1 run handed to trainers free then)'."""
    also = []
    if moved := done["practices"]:
        out = f", taking {counted(done['dropped'], 'run or visit', 'runs or visits')} out" if done["dropped"] else ""
        also.append(f"{counted(moved, 'practice')} moved to a wave {'it' if moved == 1 else 'they'} can close in{out}")
    if handed_count(done):
        also.append(f"{teaching(done)} handed to trainers free {'then' if waves else 'that day'}")
    if rooms := done["rooms"]:
        also.append(f"{counted(rooms, 'run')} moved to rooms free {'then' if waves else 'that day'}")
    if covers := done["covers"]:
        also.append(f"the cover of {counted(covers, 'practice')} to other providers")
    when = "then" if waves else "that day"
    if out := done["runs_out"] + done["visits_out"]:
        taken = teaching(Counter(runs=done["runs_out"], visits=done["visits_out"]))
        also.append(f"{taken} taken out, nobody free {when} to teach " + ("it" if out == 1 else "them"))
    if out := done["rooms_out"]:
        also.append(f"{counted(out, 'run')} in rooms closed {when} taken out")
    said = f" ({' and '.join(also)})" if also else ""
    if not waves:
        return f"{event} kept{said}"
    which = event if waves == every else f"{event} wave{'s' if len(waves) > 1 else ''} {', '.join(map(str, sorted(waves)))}"
    return f"{which} moved{' ' + far if far else ''}{said}"


def _way(days: int) -> str:
    return "later" if days > 0 else "earlier"


def _first_handed(before: Plan, after: Plan, events: tuple[str, ...], taught: dict,
                  out: set[tuple[str, int]] = frozenset()) -> int:
    """Runs and visits of `events` whose trainer `after` changed and `before` still had as
    published, those taken out (`out`, indices in `after`) aside: they are counted as such."""
    pairs = [(r.id, r.trainer, s.trainer) for i, (r, s) in enumerate(zip(before.runs, after.runs, strict=True))
             if r.event in events and ("runs", i) not in out]
    pairs += [((o.event, o.practice, o.course), o.trainer, v.trainer)
              for i, (o, v) in enumerate(zip(before.on_site, after.on_site, strict=True))
              if o.event in events and ("visits", i) not in out]
    return sum(then != now and taught.get(key) == then for key, then, now in pairs)


def _fits(scenario: Scenario, plan: Plan, event: str, allowed: set[dt.date]) -> bool:
    """The afternoon's waves are on dates the calendar allows, and its own decisions (checked
    alone, with every afternoon's cover: milliseconds on Norwich) break no rule. The rules a date
    breaks most often are read first, and the whole checker only when they find nothing: at 430
    generated practices a check is 0.2 s and most dates tried fail on a practice that cannot
    close, a provider, a room or the spacing."""
    afternoon = next(a for a in plan.afternoons if a.event == event)
    if any(w.date not in allowed for w in afternoon.waves):
        return False
    alone = plan.model_copy(update={
        "runs": [r for r in plan.runs if r.event == event],
        "on_site": [o for o in plan.on_site if o.event == event]})
    view = PlanView(scenario, alone)
    if any(event in _waves_in(rule(view), alone) for rule in ON_THE_DATE):
        return False
    return event not in _waves_in(check_plan(scenario, alone), alone)
