"""What changed between two plans, in a coordinator's terms: afternoons moved, practices moved
between waves, runs added, removed, moved or re-staffed, seats per practice and role, cover,
on-site visits added, removed or re-staffed, and the score terms side by side."""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.plan import Plan

RunKey = tuple[str, int, str, str]  # event, wave, course, first block


def _dates(plan: Plan) -> dict[tuple[str, int], str]:
    return {(a.event, w.number): w.date.isoformat() for a in plan.afternoons for w in a.waves}


def _waves(plan: Plan) -> dict[tuple[str, str], int]:
    return {(a.event, p): w.number for a in plan.afternoons for w in a.waves for p in w.practices}


def _runs(plan: Plan) -> dict[RunKey, list[tuple[str | None, str]]]:
    out: dict[RunKey, list[tuple[str | None, str]]] = {}
    for r in plan.runs:
        out.setdefault((r.event, r.wave, r.course, r.blocks[0]), []).append((r.room, r.trainer))
    return {k: sorted(v, key=lambda x: (x[0] or "", x[1])) for k, v in out.items()}


def _seats(plan: Plan) -> Counter:
    seats: Counter = Counter()
    for r in plan.runs:
        for s in r.seats:
            seats[s.practice, s.role, r.course] += s.count
    return seats


def _visits(plan: Plan) -> dict[tuple[str, str, str], list[str]]:
    out: dict[tuple[str, str, str], list[str]] = {}
    for o in plan.on_site:
        out.setdefault((o.event, o.practice, o.course), []).append(o.trainer)
    return {k: sorted(v) for k, v in out.items()}


def plan_diff(a: Plan, b: Plan) -> dict[str, Any]:
    dates_a, dates_b = _dates(a), _dates(b)
    waves_a, waves_b = _waves(a), _waves(b)
    runs_a, runs_b = _runs(a), _runs(b)
    seats_a, seats_b = _seats(a), _seats(b)
    visits_a, visits_b = _visits(a), _visits(b)
    cover_a = {(c.event, c.wave, c.practice): c.provider for c in a.cover}
    cover_b = {(c.event, c.wave, c.practice): c.provider for c in b.cover}
    terms = sorted(set(a.score.terms if a.score else {}) | set(b.score.terms if b.score else {}))
    return {
        "afternoons": [{"event": e, "wave": w, "from": dates_a.get((e, w)), "to": dates_b.get((e, w))}
                       for e, w in sorted(set(dates_a) | set(dates_b)) if dates_a.get((e, w)) != dates_b.get((e, w))],
        "waves": [{"event": e, "practice": p, "from": waves_a.get((e, p)), "to": waves_b.get((e, p))}
                  for e, p in sorted(set(waves_a) | set(waves_b)) if waves_a.get((e, p)) != waves_b.get((e, p))],
        "runs": [{"event": k[0], "wave": k[1], "course": k[2], "block": k[3],
                  "from": [f"{room or 'virtual'} / {t}" for room, t in runs_a.get(k, [])],
                  "to": [f"{room or 'virtual'} / {t}" for room, t in runs_b.get(k, [])]}
                 for k in sorted(set(runs_a) | set(runs_b)) if runs_a.get(k) != runs_b.get(k)],
        "seats": [{"practice": k[0], "role": k[1], "course": k[2], "from": seats_a[k], "to": seats_b[k]}
                  for k in sorted(set(seats_a) | set(seats_b)) if seats_a[k] != seats_b[k]],
        "cover": [{"event": k[0], "wave": k[1], "practice": k[2], "from": cover_a.get(k), "to": cover_b.get(k)}
                  for k in sorted(set(cover_a) | set(cover_b)) if cover_a.get(k) != cover_b.get(k)],
        "visits": [{"event": k[0], "practice": k[1], "course": k[2], "from": visits_a.get(k, []),
                    "to": visits_b.get(k, [])}
                   for k in sorted(set(visits_a) | set(visits_b)) if visits_a.get(k) != visits_b.get(k)],
        "score": {t: {"a": _weighted(a, t), "b": _weighted(b, t)} for t in terms}
        | {"total": {"a": a.score.total if a.score else None, "b": b.score.total if b.score else None}},
    }


def _weighted(plan: Plan, term: str) -> int | None:
    return plan.score.terms[term].weighted if plan.score and term in plan.score.terms else None


def render(diff: dict[str, Any]) -> str:
    """The difference in words: 'none' where one plan has no date, run, cover or visit, and 'not
    closing' for a practice in no wave of an afternoon (never Python's None)."""
    lines = []
    for d in diff["afternoons"]:
        lines.append(f"afternoon {d['event']} wave {d['wave']}: {d['from'] or 'none'} -> {d['to'] or 'none'}")
    for d in diff["waves"]:
        lines.append(f"wave of {d['practice']} at {d['event']}: {_wave(d['from'])} -> {_wave(d['to'])}")
    for d in diff["runs"]:
        lines.append(f"runs of {d['course']} at {d['event']} w{d['wave']} {d['block']}: "
                     f"{', '.join(d['from']) or 'none'} -> {', '.join(d['to']) or 'none'}")
    for d in diff["seats"]:
        lines.append(f"seats {d['practice']} {d['role']} {d['course']}: {d['from']} -> {d['to']}")
    for d in diff["cover"]:
        lines.append(f"cover of {d['practice']} at {d['event']} w{d['wave']}: "
                     f"{d['from'] or 'none'} -> {d['to'] or 'none'}")
    for d in diff["visits"]:
        lines.append(f"on-site {d['course']} at {d['practice']} for {d['event']}: "
                     f"{', '.join(d['from']) or 'none'} -> {', '.join(d['to']) or 'none'}")
    counts = ", ".join(f"{len(diff[k])} {k}" for k in ("afternoons", "waves", "runs", "seats", "cover", "visits"))
    lines.append(f"changes: {counts}")
    lines.append(f"{'score term':<18}{'A':>12}{'B':>12}{'B - A':>12}")
    for term, v in diff["score"].items():
        delta = v["b"] - v["a"] if v["a"] is not None and v["b"] is not None else None
        lines.append(f"{term:<18}{_n(v['a']):>12}{_n(v['b']):>12}{_n(delta):>12}")
    return "\n".join(lines)


def _wave(number: int | None) -> str:
    return "not closing" if number is None else f"wave {number}"


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
