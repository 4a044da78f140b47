"""The independent checker: every hard rule tested on a plan, without the solver's model.

`check_plan(scenario, plan)` re-reads the plan's decisions and returns every `Violation` found,
sorted; an empty list means the plan keeps every hard rule. Dates and waves (H1) and cover
(H2) live here; rooms, trainers, seats and mandatory training (H3 to H6) live in
`models.checker_rules`. Each rule is one function named for the breach it looks for.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

from .calendar import judge
from .checker_rules import RULES
from .checker_view import PlanView, Violation, day, session_id, violation
from .plan import Plan
from .scenario import Scenario

__all__ = ["Violation", "check_plan"]


def check_plan(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every hard rule the plan breaks, sorted by rule, code and message; [] when it is valid."""
    view = PlanView(scenario, plan)
    rules = (
        afternoons_match_programme, afternoon_on_excluded_date, practice_closes_on_blocked_date,
        practice_closes_once_per_event, waves_in_order_within_window, afternoons_too_close,
        pinned_date_moved,
        closed_practice_covered_once, cover_for_open_practice, provider_unavailable, cover_over_capacity,
        *RULES,
    )
    found: set[Violation] = set()
    for rule in rules:
        found.update(rule(view))
    return sorted(found)


# H1: dates and waves -------------------------------------------------------------------------


def afternoons_match_programme(view: PlanView) -> list[Violation]:
    """Hard: the afternoons are exactly the programme's events, each of its kind, with waves."""
    out: list[Violation] = []
    listed = Counter(a.event for a in view.plan.afternoons)
    for event, kind in view.kinds.items():
        if not listed[event]:
            out.append(violation("H1", "missing_afternoon",
                                 f"{event} ({kind.value}) is in the programme but has no afternoon in the plan", event))
        elif listed[event] > 1:
            out.append(violation("H1", "duplicate_afternoon",
                                 f"{event} is listed {listed[event]} times; list each afternoon once", event))
    for afternoon in view.plan.afternoons:
        event = afternoon.event
        if event not in view.kinds:
            out.append(violation("H1", "unknown_event",
                                 f"afternoon {event} is not in the programme (it has {len(view.kinds)} afternoons)",
                                 event))
            continue
        if afternoon.kind is not view.kinds[event]:
            out.append(violation("H1", "wrong_event_kind",
                                 f"{event} is planned as {afternoon.kind.value} but the programme makes it "
                                 f"{view.kinds[event].value}", event))
        if not afternoon.waves:
            out.append(violation("H1", "afternoon_without_waves", f"{event} has no wave, so no date", event))
        numbers = [w.number for w in afternoon.waves]
        if numbers != list(range(1, len(numbers) + 1)):
            out.append(violation("H1", "wave_numbering",
                                 f"{event} numbers its waves {numbers}; number them 1, 2, ... in order", event))
        for wave in afternoon.waves:
            if not wave.practices:
                out.append(violation("H1", "empty_wave",
                                     f"{event} wave {wave.number} on {day(wave.date)} closes no practice",
                                     session_id(event, wave.number), wave.date))
    return out


_DATE_CODES = (
    ("outside the period", "afternoon_outside_period"),
    ("before the programme", "afternoon_before_earliest"),
    ("after the programme", "afternoon_after_latest"),
    ("not an allowed weekday", "afternoon_on_disallowed_weekday"),
    ("bank holiday", "afternoon_on_bank_holiday"),
    ("blackout month", "afternoon_in_blackout_month"),
    ("blackout", "afternoon_in_blackout"),
)


def afternoon_on_excluded_date(view: PlanView) -> list[Violation]:
    """Hard: no wave on a date the calendar rules out (period, programme window, weekday,
    bank holiday, blackout); one violation per reason the calendar gives."""
    out: list[Violation] = []
    for afternoon in view.plan.afternoons:
        for wave in afternoon.waves:
            for reason in judge(view.scenario, wave.date).reasons:
                code = next((c for key, c in _DATE_CODES if key in reason), "afternoon_date_not_allowed")
                out.append(violation("H1", code, f"{afternoon.event} wave {wave.number} is on "
                                     f"{day(wave.date)}: {reason}",
                                     session_id(afternoon.event, wave.number), wave.date))
    return out


def practice_closes_on_blocked_date(view: PlanView) -> list[Violation]:
    """Hard: no practice closes on one of its cannot-close dates."""
    out: list[Violation] = []
    for afternoon in view.plan.afternoons:
        for wave in afternoon.waves:
            for pid in wave.practices:
                practice = view.practices.get(pid)
                if practice and wave.date in practice.cannot_close:
                    out.append(violation("H1", "practice_cannot_close",
                                         f"{pid} closes in {afternoon.event} wave {wave.number} on "
                                         f"{day(wave.date)}, a date it cannot close",
                                         session_id(afternoon.event, wave.number), pid, wave.date))
    return out


def practice_closes_once_per_event(view: PlanView) -> list[Violation]:
    """Hard: every practice closes in exactly one wave of every event; no unknown practices."""
    out: list[Violation] = []
    for afternoon in view.plan.afternoons:
        event = afternoon.event
        waves_of: dict[str, list[int]] = defaultdict(list)
        for wave in afternoon.waves:
            for pid in wave.practices:
                waves_of[pid].append(wave.number)
                if pid not in view.practices:
                    out.append(violation("H1", "unknown_practice",
                                         f"{event} wave {wave.number} closes practice {pid}, which is not in "
                                         "the scenario", session_id(event, wave.number), pid))
        for pid in view.practices:
            if not waves_of[pid]:
                out.append(violation("H1", "practice_not_closing",
                                     f"{pid} closes in no wave of {event}; every practice closes once per event",
                                     event, pid))
            elif len(waves_of[pid]) > 1:
                out.append(violation("H1", "practice_closes_twice",
                                     f"{pid} closes {len(waves_of[pid])} times in {event} (waves "
                                     f"{', '.join(map(str, waves_of[pid]))}); it must close exactly once",
                                     event, pid))
    return out


def waves_in_order_within_window(view: PlanView) -> list[Violation]:
    """Hard: an event's waves fall on later and later dates, all within the wave window of wave 1."""
    out: list[Violation] = []
    window = view.scenario.programme.wave_window_days
    for afternoon in view.plan.afternoons:
        event, waves = afternoon.event, afternoon.waves
        for before, wave in pairwise(waves):
            if wave.date <= before.date:
                out.append(violation("H1", "waves_out_of_order",
                                     f"{event} wave {wave.number} is on {day(wave.date)}, not after wave "
                                     f"{before.number} on {day(before.date)}",
                                     session_id(event, wave.number), wave.date))
        for wave in waves[1:]:
            if (wave.date - waves[0].date).days > window:
                out.append(violation("H1", "wave_outside_window",
                                     f"{event} wave {wave.number} on {day(wave.date)} is "
                                     f"{(wave.date - waves[0].date).days} days after wave {waves[0].number}; "
                                     f"the wave window is {window} days",
                                     session_id(event, wave.number), wave.date))
    return out


def afternoons_too_close(view: PlanView) -> list[Violation]:
    """Hard: events in programme order, the next one's wave 1 at least the minimum spacing
    (max(1, 7 x min_weeks_between) days) after this one's last wave."""
    out: list[Violation] = []
    gap = max(1, 7 * view.scenario.calendar.min_weeks_between)
    planned = [a for a in (view.afternoon(e) for e in view.kinds) if a is not None and a.waves]
    for this, following in pairwise(planned):
        last = max(w.date for w in this.waves)
        first = following.waves[0].date
        if first <= last:
            out.append(violation("H1", "afternoons_out_of_order",
                                 f"{following.event} starts on {day(first)}, not after {this.event} ends "
                                 f"on {day(last)}", this.event, following.event))
        elif (first - last).days < gap:
            out.append(violation("H1", "afternoons_too_close",
                                 f"{following.event} on {day(first)} is {(first - last).days} days after "
                                 f"{this.event} on {day(last)}; afternoons must be at least {gap} days apart",
                                 this.event, following.event))
    return out


def pinned_date_moved(view: PlanView) -> list[Violation]:
    """Hard: a pinned event keeps its published date for wave 1."""
    out: list[Violation] = []
    for pin in view.scenario.pins:
        date = view.date(pin.event, 1)
        if date is not None and date != pin.date:
            out.append(violation("H1", "pinned_date_moved",
                                 f"{pin.event} is pinned to {day(pin.date)} but wave 1 is on {day(date)}",
                                 pin.event, pin.date))
    return out


# H2: cover -----------------------------------------------------------------------------------


def closed_practice_covered_once(view: PlanView) -> list[Violation]:
    """Hard: every practice closing in a wave has exactly one cover entry for that wave."""
    out: list[Violation] = []
    entries = Counter((c.event, c.wave, c.practice) for c in view.plan.cover)
    for (event, wave), practices in view.closing.items():
        for pid in dict.fromkeys(practices):
            n = entries[event, wave, pid]
            if n == 0:
                out.append(violation("H2", "practice_without_cover",
                                     f"{pid} closes in {view.when(event, wave)} but no provider covers it",
                                     session_id(event, wave), pid))
            elif n > 1:
                out.append(violation("H2", "practice_covered_twice",
                                     f"{pid} has {n} cover entries in {view.when(event, wave)}; give it one",
                                     session_id(event, wave), pid))
    return out


def cover_for_open_practice(view: PlanView) -> list[Violation]:
    """Hard: cover only for known practices closing in that wave, by known providers."""
    out: list[Violation] = []
    for cover in view.plan.cover:
        where = session_id(cover.event, cover.wave)
        if cover.event not in view.kinds:
            out.append(violation("H2", "unknown_event", f"cover for {cover.practice} names afternoon "
                                 f"{cover.event}, which is not in the programme", cover.event, cover.practice))
        elif cover.practice not in view.practices:
            out.append(violation("H2", "unknown_practice", f"{view.when(cover.event, cover.wave)} covers "
                                 f"practice {cover.practice}, which is not in the scenario", where, cover.practice))
        elif not view.closes(cover.event, cover.wave, cover.practice):
            out.append(violation("H2", "cover_for_open_practice",
                                 f"{cover.provider} covers {cover.practice} in {view.when(cover.event, cover.wave)}, "
                                 "but the practice does not close in that wave", where, cover.practice))
        if cover.provider not in view.providers:
            out.append(violation("H2", "unknown_provider", f"{view.when(cover.event, cover.wave)}: cover provider "
                                 f"{cover.provider} is not in the scenario", where, cover.provider))
    return out


def provider_unavailable(view: PlanView) -> list[Violation]:
    """Hard: a provider covers only on afternoons it is available."""
    out: list[Violation] = []
    for event, wave, pid in sorted({(c.event, c.wave, c.provider) for c in view.plan.cover}):
        provider, date = view.providers.get(pid), view.date(event, wave)
        if provider and date and date in provider.unavailable:
            out.append(violation("H2", "provider_unavailable",
                                 f"{pid} covers in {view.when(event, wave)} but is unavailable that day",
                                 session_id(event, wave), pid, date))
    return out


def cover_over_capacity(view: PlanView) -> list[Violation]:
    """Hard: per wave and provider, the covered practices' list sizes within its capacity."""
    out: list[Violation] = []
    covered: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    for c in view.plan.cover:
        if c.practice in view.practices:
            covered[c.event, c.wave, c.provider].add(c.practice)
    for (event, wave, pid), practices in sorted(covered.items()):
        provider = view.providers.get(pid)
        load = sum(view.practices[p].list_size for p in practices)
        if provider and load > provider.capacity:
            out.append(violation("H2", "cover_over_capacity",
                                 f"{pid} covers {load} patients ({', '.join(sorted(practices))}) in "
                                 f"{view.when(event, wave)}; its capacity is {provider.capacity}",
                                 session_id(event, wave), pid))
    return out
