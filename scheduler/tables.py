"""CSV for spreadsheets: the plan's decisions and attainment as flat tables in `out_dir/csv/`.

One file per kind of row: afternoons (one row per wave), course runs, seats, on-site courses,
cover, attainment (per practice, role and course) and costs (who is paid what, per wave). Each file is UTF-8 with a header row,
rows sorted so the same plan always gives the same bytes, dates in ISO form and times as
HH:MM. Ids sit beside names so a coordinator can filter by either; each file is written
atomically, so a spreadsheet never opens half of one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from models.plan import CourseRun, Plan
from models.scenario import Scenario
from models.score import payments, score_plan

from .io import write_atomic

Row = list[str | int]

HEADERS = {
    "afternoons": ["event", "kind", "wave", "date", "weekday", "practices_closing",
                   "patients_covered"],
    "runs": ["run_id", "event", "wave", "date", "course_id", "course_name", "blocks", "start_time",
             "end_time", "room", "venue", "trainer", "seats"],
    "seats": ["run_id", "date", "course", "practice_id", "practice_name", "role", "count"],
    "on_site": ["event", "wave", "date", "practice_id", "practice_name", "course_id", "course_name",
                "trainer"],
    "cover": ["event", "wave", "date", "practice", "ods_code", "list_size", "provider"],
    "attainment": ["scope", "id", "name", "demand", "met", "unmet", "share_met_pct"],
    "costs": ["payee", "id", "name", "event", "wave", "date", "for", "amount"],
}


def _csv(header: list[str], rows: Iterable[Row]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _date(plan: Plan, event: str, wave: int) -> str:
    day = plan.session_date(event, wave)
    return day.isoformat() if day else ""


def _afternoons(scenario: Scenario, plan: Plan) -> list[Row]:
    sizes = {p.id: p.list_size for p in scenario.practices}
    covered: dict[tuple[str, int], int] = {}
    for c in plan.cover:
        covered[c.event, c.wave] = covered.get((c.event, c.wave), 0) + sizes.get(c.practice, 0)
    rows: list[Row] = [
        [a.event, a.kind.value, w.number, w.date.isoformat(), f"{w.date:%A}", len(w.practices),
         covered.get((a.event, w.number), 0)]
        for a in plan.afternoons for w in a.waves]
    return sorted(rows, key=lambda r: (r[3], r[0], r[2]))


def _run_order(scenario: Scenario, plan: Plan) -> list[CourseRun]:
    """Runs by date, event, wave, first block and id."""
    index = {b.id: i for i, b in enumerate(scenario.calendar.blocks)}

    def key(run: CourseRun) -> tuple[str, str, int, int, str]:
        first = min((index.get(b, len(index)) for b in run.blocks), default=0)
        return _date(plan, run.event, run.wave), run.event, run.wave, first, run.id

    return sorted(plan.runs, key=key)


def _runs(scenario: Scenario, plan: Plan) -> list[Row]:
    blocks = {b.id: b for b in scenario.calendar.blocks}
    courses = {c.id: c.name for c in scenario.courses}
    rooms = {room.id: (room.name, venue.name) for venue, room in scenario.all_rooms()}
    trainers = {t.id: t.name for t in scenario.trainers}
    rows: list[Row] = []
    for run in _run_order(scenario, plan):
        known = [blocks[b] for b in run.blocks if b in blocks]
        start = min((b.start for b in known), default=None)
        end = max((b.end for b in known), default=None)
        room, venue = rooms.get(run.room, (run.room, "")) if run.room else ("virtual", "")
        rows.append([run.id, run.event, run.wave, _date(plan, run.event, run.wave), run.course,
                     courses.get(run.course, run.course), " ".join(run.blocks),
                     f"{start:%H:%M}" if start else "", f"{end:%H:%M}" if end else "",
                     room, venue, trainers.get(run.trainer, run.trainer), run.size])
    return rows


def _seats(scenario: Scenario, plan: Plan) -> list[Row]:
    courses = {c.id: c.name for c in scenario.courses}
    practices = {p.id: p.name for p in scenario.practices}
    roles = {r.id: r.name for r in scenario.roles}
    rows: list[Row] = []
    for run in _run_order(scenario, plan):
        date = _date(plan, run.event, run.wave)
        for seat in sorted(run.seats, key=lambda s: (s.practice, s.role)):
            rows.append([run.id, date, courses.get(run.course, run.course), seat.practice,
                         practices.get(seat.practice, ""), roles.get(seat.role, seat.role),
                         seat.count])
    return rows


def _on_site(scenario: Scenario, plan: Plan) -> list[Row]:
    courses = {c.id: c.name for c in scenario.courses}
    practices = {p.id: p.name for p in scenario.practices}
    trainers = {t.id: t.name for t in scenario.trainers}
    rows: list[Row] = [
        [o.event, o.wave, _date(plan, o.event, o.wave), o.practice, practices.get(o.practice, ""),
         o.course, courses.get(o.course, o.course), trainers.get(o.trainer, o.trainer)]
        for o in plan.on_site]
    return sorted(rows, key=lambda r: (r[2], r[0], r[1], r[3], r[5]))


def _cover(scenario: Scenario, plan: Plan) -> list[Row]:
    practices = {p.id: p for p in scenario.practices}
    providers = {c.id: c.name for c in scenario.cover_providers}
    rows: list[Row] = []
    for c in plan.cover:
        p = practices.get(c.practice)
        name, ods, size = (p.name, p.ods_code, p.list_size) if p else (c.practice, "", 0)
        rows.append([c.event, c.wave, _date(plan, c.event, c.wave), name, ods, size,
                     providers.get(c.provider, c.provider)])
    return sorted(rows, key=lambda r: (r[2], r[0], r[1], r[4], r[3]))


def _attainment(scenario: Scenario, plan: Plan) -> list[Row]:
    score = plan.score or score_plan(scenario, plan)
    scopes = [
        ("practice", score.by_practice, {p.id: p.name for p in scenario.practices}),
        ("role", score.by_role, {r.id: r.name for r in scenario.roles}),
        ("course", score.by_course, {c.id: c.name for c in scenario.courses}),
    ]
    rows: list[Row] = []
    for scope, attainment, names in scopes:
        for ident in sorted(attainment):
            a = attainment[ident]
            share = f"{100 * a.met / a.demand:.1f}" if a.demand else ""
            rows.append([scope, ident, names.get(ident, ident), a.demand, a.met, a.unmet, share])
    return rows


def _costs(scenario: Scenario, plan: Plan) -> list[Row]:
    """Who is paid what, per afternoon's wave: each cover provider, trainer and room (the score's
    cost terms are these amounts' sums, by payee)."""
    names = {("cover", c.id): c.name for c in scenario.cover_providers} | \
        {("trainer", t.id): t.name for t in scenario.trainers} | \
        {("room", room.id): f"{room.name}, {venue.name}" for venue, room in scenario.all_rooms()}
    rows: list[Row] = [[p.kind, p.payee, names.get((p.kind, p.payee), p.payee), p.event, p.wave,
                        _date(plan, p.event, p.wave), p.what, p.amount] for p in payments(scenario, plan)]
    return sorted(rows, key=lambda r: (r[0], r[1], r[5], r[3], r[4]))


TABLES = {
    "afternoons": _afternoons,
    "runs": _runs,
    "seats": _seats,
    "on_site": _on_site,
    "cover": _cover,
    "attainment": _attainment,
    "costs": _costs,
}


def write_csv(scenario: Scenario, plan: Plan, out_dir: str | Path) -> list[Path]:
    """Write every table to `out_dir/csv/<name>.csv` and return the paths in a fixed order."""
    folder = Path(out_dir) / "csv"
    return [write_atomic(folder / f"{name}.csv", _csv(HEADERS[name], rows(scenario, plan)))
            for name, rows in TABLES.items()]
