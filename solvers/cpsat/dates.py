"""Hard rules H1 (dates, waves, spacing) and the spread and preference terms of the date choice."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from ortools.sat.python import cp_model

from models.scenario import Practice

from .model import PltModel


def choose_dates(m: PltModel) -> None:
    """Hard: each event's first wave on exactly one candidate date; later waves optional, ordered."""
    inst = m.instance
    for event, _ in inst.events:
        for wave in range(1, inst.waves + 1):
            dates = inst.wave_dates(event, wave)
            xs = []
            for d in dates:
                x = m.model.new_bool_var(f"afternoon({event},w{wave})={d}")
                m.on_date[event, wave, d] = x
                xs.append(x)
            if wave == 1:
                m.model.add_exactly_one(xs)
                m.active[event, wave] = 1
            else:
                used = m.model.new_bool_var(f"wave_used({event},w{wave})")
                m.model.add(sum(xs) == used)
                if wave > 2:
                    m.model.add_implication(used, m.active[event, wave - 1])
                m.active[event, wave] = used
            m.day[event, wave] = sum(inst.day(d) * m.on_date[event, wave, d] for d in dates)


def waves_in_order(m: PltModel) -> None:
    """Hard: waves of one event on later, distinct dates within the wave window of the first."""
    inst = m.instance
    window = inst.scenario.programme.wave_window_days
    for event, _ in inst.events:
        for wave in range(2, inst.waves + 1):
            used = m.active[event, wave]
            m.model.add(m.day[event, wave] >= m.day[event, wave - 1] + 1).only_enforce_if(used)
            m.model.add(m.day[event, wave] <= m.day[event, 1] + window).only_enforce_if(used)


def afternoons_too_close(m: PltModel) -> None:
    """Hard: the next event's first wave at least the minimum spacing after this event's last wave."""
    inst = m.instance
    for (event, _), (following, _) in zip(inst.events, inst.events[1:]):
        for wave in range(1, inst.waves + 1):
            m.model.add(m.day[following, 1] >= m.day[event, wave] + inst.gap_days * m.active[event, wave])


def practices_close_once_per_event(m: PltModel) -> None:
    """Hard: every practice closes in exactly one wave of every event, never on a date it cannot."""
    inst = m.instance
    for event, _ in inst.events:
        for practice in inst.scenario.practices:
            if inst.member(event, practice.id, 1) is not None:
                _fixed_membership(m, event, practice)
                continue
            ws = [m.model.new_bool_var(f"closes({practice.id},{event},w{w})") for w in range(1, inst.waves + 1)]
            m.model.add_exactly_one(ws)
            for w, var in enumerate(ws, start=1):
                m.in_wave[event, practice.id, w] = var
                if w > 1:
                    m.model.add_implication(var, m.active[event, w])
                blocked = set(practice.cannot_close)
                for d in inst.wave_dates(event, w):
                    if d in blocked:
                        m.model.add_bool_or([var.Not(), m.on_date[event, w, d].Not()])
        for w in range(2, inst.waves + 1):
            members = [m.in_wave[event, p.id, w] for p in inst.scenario.practices]
            m.model.add(sum(members) >= m.active[event, w])
            if inst.fixed_waves is not None and any(members):
                m.model.add(m.active[event, w] == 1)


def _fixed_membership(m: PltModel, event: str, practice: Practice) -> None:
    """Membership decided before modelling: constants, and the wave avoids the practice's dates."""
    inst = m.instance
    blocked = set(practice.cannot_close)
    for w in range(1, inst.waves + 1):
        member = bool(inst.member(event, practice.id, w))
        m.in_wave[event, practice.id, w] = int(member)
        if member:
            for d in inst.wave_dates(event, w):
                if d in blocked:
                    m.model.add(m.on_date[event, w, d] == 0)


def _even_gap(m: PltModel) -> int:
    """Days between afternoons spread evenly over the period."""
    return m.instance.scenario.period.even_gap(len(m.instance.events))


def spread_of_afternoons(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each day a gap between consecutive afternoons differs from the even gap."""
    inst = m.instance
    period = inst.scenario.period
    n = len(inst.events)
    if n < 2:
        return 0
    ideal = _even_gap(m)
    horizon = (period.end - period.start).days + 1
    deviations = []
    for (event, _), (following, _) in zip(inst.events, inst.events[1:]):
        dev = m.model.new_int_var(0, horizon, f"spread({event}->{following})")
        gap = m.day[following, 1] - m.day[event, 1]
        m.model.add(dev >= gap - ideal)
        m.model.add(dev >= ideal - gap)
        deviations.append(dev)
    return sum(deviations)


def broken_date_preferences(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each afternoon on a weekday or in a month the policy does not prefer."""
    policy = m.instance.scenario.policy
    terms = []
    for (event, wave, d), x in m.on_date.items():
        broken = policy.breaks(d)
        if broken:
            terms.append(broken * x)
    return sum(terms)


def spread_as_paths(m: PltModel, spread: cp_model.LinearExprT) -> None:
    """Valid inequality (cut) for the spread term: the first waves' dates as a path, event by event.

    An arc joins a candidate date of one event to one of the next at least the minimum spacing
    later, and costs its gap's days off the even gap. Flow conservation ties the arcs to the date
    booleans, so in the LP relaxation the spread is at least that of a mixture of whole date
    sequences, no longer the 0 that fractional days averaging to the even gap give. Once the
    dates are chosen every arc is fixed, so no plan is lost. Norwich: LP bound 609,922 -> 609,962
    (spread 0 -> 20 days; the dates alone allow no less than 15), with 3,205 arcs."""
    inst = m.instance
    events = [event for event, _ in inst.events]
    if len(events) < 2:
        return
    ideal = _even_gap(m)
    costs = []
    for event, following in pairwise(events):
        leaving: dict = defaultdict(list)
        arriving: dict = defaultdict(list)
        for d1 in inst.wave_dates(event, 1):
            for d2 in inst.wave_dates(following, 1):
                gap = (d2 - d1).days
                if gap < inst.gap_days:
                    continue
                arc = m.model.new_bool_var(f"path({event}={d1}->{following}={d2})")
                leaving[d1].append(arc)
                arriving[d2].append(arc)
                costs.append(abs(gap - ideal) * arc)
        for d in inst.wave_dates(event, 1):
            m.model.add(sum(leaving[d]) == m.on_date[event, 1, d])
        for d in inst.wave_dates(following, 1):
            m.model.add(sum(arriving[d]) == m.on_date[following, 1, d])
    m.model.add(spread >= sum(costs))
