"""Soft: stability when re-planning. Each decision changed against the baseline costs, a moved
published date (of any wave) three times, as `models.score` counts them: afternoons, practices'
waves, runs per (afternoon, wave, course, start block, room class), runs re-staffed, and on-site
courses with their trainers. The score counts runs per room: extraction keeps baseline rooms
first, and where kept runs of a class sit in rooms the model cannot see, the plan's score is
reported (`solvers.cpsat._complete`)."""

from __future__ import annotations

from collections import Counter

from ortools.sat.python import cp_model

from models.plan import Plan

from .external import VIRTUAL
from .model import PltModel, grouped


def changes_against(m: PltModel, baseline: Plan | None) -> cp_model.LinearExpr:
    if baseline is None:
        return 0
    return 3 * _moved_dates(m, baseline) + _moved_waves(m, baseline) + _changed_runs(m, baseline) + \
        _restaffed_runs(m, baseline) + _changed_on_site(m, baseline)


def _moved_dates(m: PltModel, baseline: Plan) -> cp_model.LinearExpr:
    """Per published wave date (event, wave): 1 unless that wave keeps it (its practices and their
    cover were told that date; counting only the first wave's let a re-plan move later waves for a
    few points); per afternoon the baseline did not have, 1."""
    was = {(a.event, w.number): w.date for a in baseline.afternoons for w in a.waves}
    published = {a.event for a in baseline.afternoons}
    terms = [1 - m.on_date[e, w, d] if (e, w, d) in m.on_date else 1 for (e, w), d in sorted(was.items())]
    return sum(terms) + sum(1 for e, _ in m.instance.events if e not in published)


def _moved_waves(m: PltModel, baseline: Plan) -> cp_model.LinearExpr:
    """Per (event, practice) now, 1 unless it keeps its wave; plus one per baseline pair whose
    event or practice the scenario no longer has (an edit dropped it: that change is certain)."""
    was = {(a.event, p): w.number for a in baseline.afternoons for w in reversed(a.waves) for p in w.practices}
    events = [e for e, _ in m.instance.events]
    practices = [p.id for p in m.instance.scenario.practices]
    terms = []
    for e in events:
        for practice in practices:
            wave = was.get((e, practice))
            terms.append(1 - m.in_wave[e, practice, wave] if (e, practice, wave) in m.in_wave else 1)
    gone = set(was) - {(e, p) for e in events for p in practices}
    return sum(terms) + len(gone)


def _changed_runs(m: PltModel, baseline: Plan) -> cp_model.LinearExpr:
    """|runs now - runs before| per key; rooms are then assigned keeping baseline rooms first."""
    block = {b: i for i, b in enumerate(m.instance.blocks)}
    room_class = {room: k.index for k in m.instance.room_classes for room in k.rooms}
    before: Counter = Counter()
    for run in baseline.runs:
        cls = VIRTUAL if run.room is None else room_class.get(run.room, -2)
        before[run.event, run.wave, run.course, block.get(run.blocks[0], -1), cls] += 1
    terms = []
    for key in sorted(set(before) | set(m.runs), key=str):
        now = m.runs.get(key, 0)
        if isinstance(now, int):
            terms.append(abs(now - before[key]))
            continue
        dev = m.model.new_int_var(0, max(before[key], now.proto.domain[1]), f"runs_changed{key}")
        m.model.add(dev >= now - before[key])
        m.model.add(dev >= before[key] - now)
        terms.append(dev)
    return sum(terms)


def _restaffed_runs(m: PltModel, baseline: Plan) -> cp_model.LinearExpr:
    """Per (afternoon, wave, course, start block) the baseline ran: its runs kept, the fewer of
    then and now, less those kept by a trainer who taught one there then, i.e. runs re-staffed
    (a change in the feeds of both trainers; a run moved, added or taken out is counted apart,
    `_changed_runs`). Before, a re-plan handed 13 of Norfolk and Waveney's runs to other
    trainers, or to their own at other blocks, for nothing. The fewer of the two counts takes a
    Boolean where there can be more runs now than then (`min(now, then)` has no linear form)."""
    block = {b: i for i, b in enumerate(m.instance.blocks)}
    before: dict[tuple[str, int, str, int], set[str]] = {}
    for r in baseline.runs:
        before.setdefault((r.event, r.wave, r.course, block.get(r.blocks[0], -1)), set()).add(r.trainer)
    now = grouped(m.teaches, lambda k: (k[0], k[1], k[3], k[4]))  # (event, wave, course, block)
    terms = []
    for key, had in sorted(before.items()):
        teach = {k[2]: var for k, var in now.get(key, {}).items()}  # by trainer
        runs, kept = sum(teach.values()), sum(var for t, var in teach.items() if t in had)
        if len(teach) <= len(had):  # never more runs than then: the fewer is now's
            terms.append(runs - kept)
            continue
        fewer = m.model.new_int_var(0, len(had), f"runs_kept{key}")  # minimised: the fewer of the two
        now_fewer = m.model.new_bool_var(f"fewer_runs_now{key}")
        m.model.add(fewer >= runs - (len(teach) - len(had)) * (1 - now_fewer))
        m.model.add(fewer >= len(had) * (1 - now_fewer))
        m.model.add(fewer >= kept)  # always so; it keeps the LP from counting less than nothing
        terms.append(fewer - kept)
    return sum(terms)


def _changed_on_site(m: PltModel, baseline: Plan) -> cp_model.LinearExpr:
    """Per on-site course (event, practice, course): 1 unless the baseline's trainer visits for
    it again (another trainer is a change for both trainers and the practice), or it was not
    there and is not now."""
    before = {(o.event, o.practice, o.course): o.trainer for o in baseline.on_site}
    chosen: dict[tuple[str, str, str], list] = {}
    for (e, w, p, c), var in m.on_site.items():
        chosen.setdefault((e, p, c), []).append(var)
    same: dict[tuple[str, str, str], list] = {}
    for (e, w, p, c, t), var in m.visits.items():
        if before.get((e, p, c)) == t:
            same.setdefault((e, p, c), []).append(var)
    terms = [(1 - sum(same.get(key, []))) if key in before else sum(vs) for key, vs in chosen.items()]
    return sum(terms) + sum(1 for key in before if key not in chosen)
