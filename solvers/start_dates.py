"""First-wave dates for a start plan: when the trainers can come, then evenly spread.

The greedy baseline takes each event's earliest fitting date. On Norwich that puts the third and
fifth afternoons on days one of the two life support trainers is away (6 July and 13 October
2027), and the search started there stays near 640,000 in 10 s: with one life support trainer,
the nurse educator teaches infection control all afternoon and tissue viability goes untaught,
and the way out needs a whole afternoon moved at once. From greedy's plan on the dates below,
Norwich 10 s, two workers, seeds 0 to 11: mean 618,119 against 638,283 from the earliest dates
(same session; 6 of 12 runs within 0.15 % of the best plan known, 610,264, against 1 of 12,
and 3 at 629k to 637k against 10 at 639k to 652k); at 30 s, seeds 0 to 3, 612,232 against
612,313 (the same within the spread). Norfolk and Waveney (three waves; 5 of the 6 preferred
dates kept, start 1,381,974 against 1,389,814), 60 s, seeds 0 and 1: 1,335,994 and 1,333,824
against 1,338,374 and 1,340,444. At 430 generated practices the 300 s benchmark ended within
1.32 % of its bound (first plan at 25.5 s), as before within the spread.

`even_dates` picks one first-wave date per event by dynamic programming over the candidate
dates in event order: fewest trainer afternoons lost (a trainer who teaches at that kind of
afternoon is away, or a room is closed), then the spread and the date preferences (the
policy's, and the weekdays of trainers who teach at that kind of afternoon) at their weights.
With several waves an event's dates are its first and the next candidates within the wave
window (as greedy tries them first), each counted; a first date without room for every wave
there is passed over, and the next event comes the spacing after the last. It is a preference
for the start only: greedy still checks every date, takes the earliest that fits where a
preferred one does not, and plans from the earliest dates alone when the preferred ones leave a
later event no date (the CP-SAT plan's `solver.stats.start` says which). Every eligible trainer
counts, not only those the plan will use.
"""

from __future__ import annotations

import datetime as dt

from models.scenario import EventKind

from .instance import Instance


def even_dates(inst: Instance) -> dict[str, dt.date]:
    """Event id -> preferred first-wave date; empty when some event has no candidate date with
    room for all its waves, or no sequence keeps the spacing."""
    events = inst.events
    if not events:
        return {}
    scenario = inst.scenario
    period = scenario.period
    policy = scenario.policy
    weights = policy.weights
    lost, choosy = _trainers_lost(inst)
    window = dt.timedelta(days=scenario.programme.wave_window_days)
    days = (period.end - period.start).days + 1
    # A trainer afternoon lost outweighs the whole spread and every preference: it costs seats,
    # and a seat unmet costs more than either.
    most_broken = 2 + max((len(c) for c in choosy.values()), default=0)
    away = (weights.spread * days + weights.preferences * most_broken * inst.waves) * len(events) + 1

    def waves(event: str, i: int) -> list[dt.date] | None:
        """The event's wave dates from its i-th candidate as greedy tries them first (the next
        candidates within the wave window); None when the window holds too few."""
        dates = inst.dates[event]
        d = dates[i]
        found = [d, *[x for x in dates[i + 1:] if x <= d + window][:inst.waves - 1]]
        return found if len(found) == inst.waves else None

    def own(kind: EventKind, wave_dates: list[dt.date]) -> int:
        total = 0
        for x in wave_dates:
            # the policy's preferences, then each trainer's own weekdays
            broken = policy.breaks(x) + sum(x.weekday() not in chosen for chosen in choosy[kind])
            total += away * lost[kind].get(x, 0) + weights.preferences * broken
        return total

    # Per event: first date -> its wave dates, for the dates with room for every wave.
    firsts = [set(inst.first_dates(e)) for e, _ in events]
    spans = [{d: span for i, d in enumerate(inst.dates[e]) if d in first and (span := waves(e, i))}
             for (e, _), first in zip(events, firsts, strict=True)]
    if not all(spans):
        return {}
    ideal = period.even_gap(len(events))
    cost = {d: own(events[0][1], span) for d, span in spans[0].items()}
    back: list[dict[dt.date, dt.date]] = []
    for k, (_, kind) in enumerate(events[1:], start=1):
        nxt: dict[dt.date, int] = {}
        came: dict[dt.date, dt.date] = {}
        for d2, span in spans[k].items():
            for d1, c in cost.items():
                if (d2 - spans[k - 1][d1][-1]).days < inst.gap_days:
                    continue
                total = c + weights.spread * abs((d2 - d1).days - ideal)
                if d2 not in nxt or total < nxt[d2]:
                    nxt[d2], came[d2] = total, d1
            if d2 in nxt:
                nxt[d2] += own(kind, span)
        if not nxt:
            return {}
        cost = nxt
        back.append(came)
    day = min(cost, key=lambda d: (cost[d], d))
    chosen = [day]
    for came in reversed(back):
        day = came[day]
        chosen.append(day)
    return {event: d for (event, _), d in zip(events, reversed(chosen), strict=True)}


def _trainers_lost(inst: Instance) -> tuple[dict[EventKind, dict[dt.date, int]], dict[EventKind, list[set[int]]]]:
    """Per kind of afternoon and date: the trainers who teach there and are away, and (external)
    the rooms closed; and per kind the weekdays of each trainer there who prefers some."""
    scenario = inst.scenario
    skills = {EventKind.external: {c.needed_skill for c in inst.external_courses},
              EventKind.internal: {c.needed_skill for c in inst.on_site_courses}}
    lost: dict[EventKind, dict[dt.date, int]] = {kind: {} for kind in skills}
    choosy: dict[EventKind, list[set[int]]] = {kind: [] for kind in skills}
    for t in scenario.trainers:
        for kind, wanted in skills.items():
            if wanted.intersection(t.skills) and (kind is EventKind.external or t.on_site):
                for d in t.unavailable:
                    lost[kind][d] = lost[kind].get(d, 0) + 1
                if t.preferred_weekdays:
                    choosy[kind].append({w.number for w in t.preferred_weekdays})
    for venue, room in scenario.all_rooms():
        for d in set(room.unavailable) | set(venue.unavailable):
            lost[EventKind.external][d] = lost[EventKind.external].get(d, 0) + 1
    return lost, choosy
