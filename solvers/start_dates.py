"""First-wave dates for a start plan: when the trainers can come, then evenly spread.

The greedy baseline takes each event's earliest fitting date. On Norwich that puts the third and
fifth afternoons on days one of the two life support trainers is away (6 July and 13 October
2027), and the search started there stays near 640,000 in 10 s: with one life support trainer,
the nurse educator teaches infection control all afternoon and tissue viability goes untaught,
and the way out needs a whole afternoon moved at once. From greedy's plan on the dates below,
Norwich 10 s, two workers, seeds 0 to 11: mean 618,119 against 638,283 from the earliest dates
(same session; 6 of 12 runs within 0.15 % of the best plan known, 610,264, against 1 of 12,
and 3 at 629k to 637k against 10 at 639k to 652k); at 30 s, seeds 0 to 3, 612,232 against
612,313 (the same within the spread).

`even_dates` picks one first-wave date per event by dynamic programming over the candidate
dates in event order: fewest trainer afternoons lost (a trainer who teaches at that kind of
afternoon is away, or a room is closed), then the spread and the date preferences (the
policy's, and the weekdays of trainers who teach at that kind of afternoon) at their weights.
With several waves an event's dates are its first and the next candidates within the wave
window (as greedy tries them first), each counted, and the next event comes the spacing after
the last. It is a preference for the start only: greedy still checks every date it fits, and
plans from the earliest dates when the preferred ones leave a later event no date. On Norfolk
and Waveney (three waves) they do: some practices cannot close on the next candidates, so the
waves of the third afternoon spread further and the fourth has no date left; its start is
greedy's own.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from models.scenario import EventKind

from .instance import Instance


def even_dates(inst: Instance) -> dict[str, dt.date]:
    """Event id -> preferred first-wave date (events without candidates are left out)."""
    events = inst.events
    scenario = inst.scenario
    if not events or any(not inst.wave_dates(e, 1) for e, _ in events):
        return {}
    period = scenario.period
    ideal = ((period.end - period.start).days + 1) // len(events)
    weights = scenario.policy.weights
    lost, choosy = _trainers_lost(inst)
    # A trainer afternoon lost outweighs any spread: it costs seats, and a seat unmet costs more.
    away = (weights.spread + 1) * ((period.end - period.start).days + 1) * len(events)
    policy = scenario.policy
    weekdays = {w.number for w in policy.preferred_weekdays}
    months = set(policy.preferred_months)
    window = dt.timedelta(days=scenario.programme.wave_window_days)

    def waves(event: str, d: dt.date) -> list[dt.date]:
        """The event's wave dates from first date d as greedy tries them first: the next
        candidates within the wave window."""
        dates = inst.wave_dates(event, 1)
        i = dates.index(d)
        return [d, *[x for x in dates[i + 1:] if x <= d + window][:inst.waves - 1]]

    def own(event: str, kind: EventKind, d: dt.date) -> int:
        total = 0
        for x in waves(event, d):
            broken = (bool(weekdays) and x.weekday() not in weekdays) + (bool(months) and x.month not in months)
            broken += sum(x.weekday() not in days for days in choosy[kind])  # trainers' own weekdays
            total += away * lost[kind].get(x, 0) + weights.preferences * broken
        return total

    first, kind = events[0]
    cost = {d: own(first, kind, d) for d in inst.wave_dates(first, 1)}
    back: list[dict[dt.date, dt.date]] = []
    for (before, _), (event, kind) in pairwise(events):
        last = {d1: waves(before, d1)[-1] for d1 in cost}
        nxt: dict[dt.date, int] = {}
        came: dict[dt.date, dt.date] = {}
        for d2 in inst.wave_dates(event, 1):
            for d1, c in cost.items():
                if (d2 - last[d1]).days < inst.gap_days:
                    continue
                gap = (d2 - d1).days
                total = c + weights.spread * abs(gap - ideal)
                if d2 not in nxt or total < nxt[d2]:
                    nxt[d2], came[d2] = total, d1
            if d2 in nxt:
                nxt[d2] += own(event, kind, d2)
        if not nxt:
            return {}
        cost, back = nxt, [*back, came]
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
