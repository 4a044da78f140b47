"""The HTML report: one self-contained page a coordinator would rather look at than plan.json.

`render_report(scenario, plan)` returns the page: the solver's verdict, the year at a glance,
each external afternoon as a rooms-by-blocks grid, internal afternoons, seats by practice and
role, equity and cover charts, the score term by term and the course catalogue. Styles and
charts are inline (see `report_svg`), there is no script and nothing is fetched, so the file
can be mailed or opened offline. Every text is escaped, and the figures carry data-* attributes
that a test reads back against the plan. `write_report` writes `report.html` atomically.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path

from models.consistency import Reach, reach
from models.plan import (
    Attainment,
    CourseRun,
    OnSiteCourse,
    Plan,
    Score,
    SolverReport,
    made_for,
)
from models.scenario import Course, Delivery, EventKind, Scenario
from models.score import score_plan

from .io import write_atomic
from .report_svg import SVG_CSS, PltDay, calendar_svg, cover_svg, equity_svg, long_date, short_date

CSS = """
:root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe3;--ext:#1f5fa8;--int:#2e7d32;--bank:#f3c25b;
--blackout:#b9c0c8;--ok:#2e7d32;--warn:#c77700;--bad:#c62828;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);
margin:0;background:#fff;line-height:1.4;font-size:15px}
main{max-width:1280px;margin:0 auto;padding:0 24px 48px}
header.top{background:var(--ink);color:#fff;padding:20px 24px;margin:0 -24px 16px}
header.top h1{margin:0 0 12px;font-size:26px}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0}
.facts div{display:flex;flex-direction:column}.facts dt{font-size:12px;opacity:.75}
.facts dd{margin:0;font-size:18px;font-weight:600}
.status{padding:1px 8px;border-radius:10px;background:#fff;color:var(--ink)}
.status.OPTIMAL{background:#c8e6c9}.status.FEASIBLE{background:#fff3c4}
.status.INFEASIBLE,.status.UNKNOWN{background:#ffcdd2}
nav{margin:8px 0 8px;font-size:14px}nav a{margin-right:14px;color:var(--ext)}
h2{margin:36px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--line);font-size:21px}
h3{margin:22px 0 6px;font-size:17px}
p.lead{color:var(--muted);margin:4px 0 12px;max-width:900px}
.warning{background:#ffebee;border-left:4px solid var(--bad);padding:8px 12px}
small.warn{color:var(--bad);font-weight:600}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13.5px}
caption{text-align:left;color:var(--muted);padding:4px 0;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;vertical-align:top;text-align:left}
thead th{background:var(--bg);font-weight:600}tbody th[scope=row]{min-width:170px}
tbody tr:nth-child(even) td{background:#fbfcfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
td.zero{color:#b0b8c1;text-align:right}
tfoot td,tfoot th{font-weight:700;background:var(--bg)}
.scroll{overflow-x:auto}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:13px;margin:8px 0}
.legend span::before{content:"";display:inline-block;width:14px;height:14px;margin-right:6px;
vertical-align:-2px;border:1px solid #8a949e;background:var(--sw)}
table.grid{table-layout:fixed;width:100%}
table.grid th.room{width:210px}table.grid th small{display:block;color:var(--muted);font-weight:400}
table.grid td{height:64px}
table.grid td.run{border-left:5px solid var(--c);background:#f7f9fb;
background:color-mix(in srgb,var(--c) 12%,#fff)}
table.grid td.run b{display:block}
table.grid td.run span{display:block;color:var(--muted);font-size:12.5px}
table.grid td.free{background:repeating-linear-gradient(45deg,#fff 0 6px,#f3f5f7 6px 12px)}
@media print{header.top{background:none;color:var(--ink)}nav{display:none}}
""" + SVG_CSS

# Soft, distinguishable course colours; a course keeps its colour on every grid.
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"]

TERMS = {
    "unmet": "Unmet seats, each times the course's priority",
    "equity_practice": "Per mille of demand unmet at the worst-served practice",
    "equity_role": "Per mille of demand unmet for the worst-served role",
    "cost_cover": "Cover cost in pounds",
    "cost_trainers": "Trainer cost in pounds",
    "cost_rooms": "Room cost in pounds",
    "spread": "Days the gaps between afternoons are off the even gap",
    "preferences": "Broken preferences (weekday, month, trainer weekday)",
    "stability": "Decisions changed against the baseline",
}

SECTIONS = [("year", "Year at a glance"), ("external", "External afternoons"),
            ("internal", "Internal afternoons"), ("seats", "Seats"), ("equity", "Equity"),
            ("cover", "Cover"), ("score", "Score"), ("catalogue", "Course catalogue")]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _data(**data: object) -> str:
    return "".join(f' data-{key.replace("_", "-")}="{_e(value)}"' for key, value in data.items())


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _blank(value: object) -> object:
    return "" if value is None else value


def _table(head: list[str], rows: list[str], caption: str = "", foot: str = "") -> str:
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    tfoot = f"<tfoot>{foot}</tfoot>" if foot else ""
    return (f'<div class="scroll"><table>{cap}<thead><tr>{th}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody>{tfoot}</table></div>')


def _section(ident: str, title: str, lead: str, body: str) -> str:
    return (f'<section id="{ident}" aria-labelledby="{ident}-h">'
            f'<h2 id="{ident}-h">{_e(title)}</h2><p class="lead">{_e(lead)}</p>{body}</section>')


def _fact(name: str, shown: str, ident: str = "", **data: object) -> str:
    """One figure of the header; `shown` is HTML, `data` the exact value for a reader."""
    attrs = (f' id="{ident}"' if ident else "") + _data(**data)
    return f"<div><dt>{_e(name)}</dt><dd{attrs}>{shown}</dd></div>"


def _given(report: SolverReport) -> str:
    """What a bound holds for, when the waves were fixed before modelling (solvers/cpsat)."""
    if report.bound is None or "bound_given" not in report.stats:
        return ""
    return f" <small>for plans with {_e(report.stats['bound_given'])}</small>"


def _header(scenario: Scenario, plan: Plan, score: Score) -> str:
    s = plan.solver
    demand = sum(a.demand for a in score.by_practice.values())
    met = sum(a.met for a in score.by_practice.values())
    share = f"{100 * met / demand:.1f} %" if demand else "—"
    facts = "".join([
        _fact("Solver", _e(f"{s.name}, {s.seconds:.1f} s")),
        _fact("Status", f'<span class="status {_e(s.status)}">{_e(s.status)}</span>', "status",
              value=s.status),
        _fact("Objective", _num(s.objective), "objective", value=_blank(s.objective)),
        _fact("Bound", _num(s.bound) + _given(s), "bound", value=_blank(s.bound),
              given=s.stats.get("bound_given", "") if s.bound is not None else ""),
        _fact("Gap", "—" if s.gap is None else f"{100 * s.gap:.2f} %", "gap", value=_blank(s.gap)),
        _fact("Demand met", _e(f"{met:,} of {demand:,} seats ({share})"), "demand",
              met=met, demand=demand),
    ])
    period = f"{long_date(scenario.period.start)} to {long_date(scenario.period.end)}"
    warning = ""
    if not made_for(plan, scenario):
        warning = ('<p class="warning" role="alert">This plan was made for another version of '
                   "the scenario (its digest differs), so some figures may not match.</p>")
    nav = "".join(f'<a href="#{ident}">{_e(title)}</a>' for ident, title in SECTIONS)
    return (f'<header class="top"><h1>{_e(scenario.name)}</h1>'
            f"<p>PLT plan, revision {plan.revision}, for {_e(period)}; "
            f"{len(scenario.practices)} practices, {scenario.staff_count:,} staff.</p>"
            f'<dl class="facts">{facts}</dl></header>'
            f'<nav aria-label="Sections">{nav}</nav>{warning}')


def _plt_days(plan: Plan) -> dict[dt.date, PltDay]:
    return {w.date: PltDay(a.event, a.kind, w.number, len(w.practices))
            for a in plan.afternoons for w in a.waves}


def _afternoon_rows(scenario: Scenario, plan: Plan) -> list[str]:
    sizes = {p.id: p.list_size for p in scenario.practices}
    waves = sorted(((w.date, a.event, w.number, a.kind, w.practices)
                    for a in plan.afternoons for w in a.waves), key=lambda t: t[:3])
    return [f"<tr{_data(event=event, wave=number)}><td>{_e(event)}</td><td>{_e(kind.value)}</td>"
            f"<td class=num>{number}</td><td>{long_date(date)}</td>"
            f"<td class=num>{len(practices)}</td>"
            f"<td class=num>{sum(sizes.get(p, 0) for p in practices):,}</td></tr>"
            for date, event, number, kind, practices in waves]


def _year(scenario: Scenario, plan: Plan) -> str:
    legend = "".join(f'<span style="--sw:{colour}">{_e(text)}</span>' for text, colour in [
        ("External PLT afternoon", "var(--ext)"), ("Internal PLT afternoon", "var(--int)"),
        ("Bank holiday", "var(--bank)"), ("Blackout", "var(--blackout)"),
        ("Other allowed date", "#fff"), ("Date not allowed", "#eef1f4")])
    head = ["Event", "Kind", "Wave", "Date", "Practices closing", "Patients covered"]
    caption = "Every PLT afternoon and wave in date order"
    table = _table(head, _afternoon_rows(scenario, plan), caption)
    lead = ("PLT afternoons are filled by kind; bank holidays and blackouts are shaded. Hover a "
            "marked day for its details.")
    figure = calendar_svg(scenario, _plt_days(plan))
    return _section("year", "The year at a glance", lead,
                    f'<div class="legend">{legend}</div>{figure}{table}')


def _span(run: CourseRun, index: dict[str, int]) -> tuple[int, int]:
    cols = [index[b] for b in run.blocks if b in index] or [0]
    return min(cols), max(cols)


def _lanes(runs: list[CourseRun], index: dict[str, int]) -> list[list[CourseRun]]:
    """Runs of one room in rows whose blocks do not overlap (a virtual 'room' needs several)."""
    lanes: list[tuple[set[int], list[CourseRun]]] = []
    for run in sorted(runs, key=lambda r: (_span(r, index), r.id)):
        lo, hi = _span(run, index)
        cols = set(range(lo, hi + 1))
        free = next((lane for lane in lanes if not lane[0] & cols), None)
        if free is None:
            lanes.append((cols, [run]))
        else:
            free[0].update(cols)
            free[1].append(run)
    return [members for _, members in lanes] or [[]]


@dataclass(frozen=True)
class _Names:
    """Courses (with their colour's index) and trainers by id, looked up once per report: built
    for every cell they took 25 of 33 s of the report at 6,300 practices (pyinstrument)."""

    courses: dict[str, tuple[int, Course]]
    trainers: dict[str, str]

    @classmethod
    def of(cls, scenario: Scenario) -> _Names:
        return cls({c.id: (i, c) for i, c in enumerate(scenario.courses)}, {t.id: t.name for t in scenario.trainers})


def _run_cell(names: _Names, run: CourseRun, width: int, limit: int | None) -> str:
    courses, trainers = names.courses, names.trainers
    i, course = courses.get(run.course, (len(PALETTE) - 1, None))
    limits = [x for x in (limit, course.max_group if course else None) if x]
    seats = f"{run.size} seats" + (f" of {min(limits)}" if limits else "")
    return (f'<td class="run" colspan="{width}" style="--c:{PALETTE[i % len(PALETTE)]}"'
            f"{_data(run=run.id)}><b>{_e(course.name if course else run.course)}</b>"
            f"<span>{_e(trainers.get(run.trainer, run.trainer))}</span>"
            f"<span>{_e(seats)}</span></td>")


def _lane_cells(names: _Names, lane: list[CourseRun], index: dict[str, int],
                limit: int | None) -> str:
    starts = {_span(run, index)[0]: run for run in lane}
    cells, col = [], 0
    while col < len(index):
        run = starts.get(col)
        if run is None:
            cells.append('<td class="free"><span class="sr">free</span></td>')
            col += 1
            continue
        lo, hi = _span(run, index)
        cells.append(_run_cell(names, run, hi - lo + 1, limit))
        col = hi + 1
    return "".join(cells)


def _grid(scenario: Scenario, names: _Names, runs: list[CourseRun], caption: str) -> str:
    """Rows are rooms (and virtual), columns blocks; a run spans the blocks it lasts."""
    blocks = scenario.calendar.blocks
    index = {b.id: i for i, b in enumerate(blocks)}
    places: list[tuple[str | None, str, int | None]] = [
        (room.id, f"{_e(room.name)}<small>{_e(venue.name)}, {room.capacity} places</small>",
         room.capacity) for venue, room in scenario.all_rooms()]
    places.append((None, "Virtual<small>online, no room</small>", None))
    rows = []
    in_room: dict[str | None, list[CourseRun]] = {}
    for r in runs:
        in_room.setdefault(r.room, []).append(r)
    for room_id, label, limit in places:
        lanes = _lanes(in_room.get(room_id, []), index)
        for n, lane in enumerate(lanes):
            th = f'<th scope="row" class="room" rowspan="{len(lanes)}">{label}</th>'
            cells = _lane_cells(names, lane, index, limit)
            rows.append(f"<tr>{th if n == 0 else ''}{cells}</tr>")
    head = "".join(f'<th scope="col">{_e(b.id)}<small>{b.start:%H:%M}–{b.end:%H:%M}</small></th>'
                   for b in blocks)
    return (f'<div class="scroll"><table class="grid"><caption>{_e(caption)}</caption><thead>'
            f'<tr><th scope="col" class="room">Room</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _external(scenario: Scenario, plan: Plan) -> str:
    parts = []
    names = _Names.of(scenario)
    in_session: dict[tuple[str, int], list[CourseRun]] = {}
    for r in plan.runs:
        in_session.setdefault((r.event, r.wave), []).append(r)
    for afternoon in plan.afternoons:
        if afternoon.kind is not EventKind.external:
            continue
        for wave in afternoon.waves:
            runs = in_session.get((afternoon.event, wave.number), [])
            title = f"{afternoon.event}, wave {wave.number}: {long_date(wave.date)}"
            caption = (f"{len(runs)} course runs, {sum(r.size for r in runs):,} seats, "
                       f"{len(wave.practices)} practices closing")
            parts.append(f"<h3>{_e(title)}</h3>{_grid(scenario, names, runs, caption)}")
    lead = ("Each external education afternoon as rooms by blocks: the course, its trainer and "
            "the seats taken. Hatched cells are free.")
    return _section("external", "External afternoons", lead,
                    "".join(parts) or "<p>None in this plan.</p>")


def _visit_cell(names: _Names, visit: OnSiteCourse | None, closing: bool) -> str:
    if visit is None:
        return "<td>—</td>" if closing else "<td class=zero>not in this wave</td>"
    course = names.courses.get(visit.course)
    return (f"<td{_data(onsite_event=visit.event, practice=visit.practice, course=visit.course)}>"
            f"{_e(course[1].name if course else visit.course)}<br>"
            f"<small>{_e(names.trainers.get(visit.trainer, visit.trainer))}</small></td>")


def _internal(scenario: Scenario, plan: Plan) -> str:
    sessions = [(a.event, w) for a in plan.afternoons if a.kind is EventKind.internal
                for w in a.waves]
    visits = {(o.event, o.wave, o.practice): o for o in plan.on_site}
    names = _Names.of(scenario)
    closing = {(e, w.number): set(w.practices) for e, w in sessions}
    head = ["Practice"] + [f"{_e(event)} wave {w.number}<br><small>{short_date(w.date)}</small>"
                           for event, w in sessions]
    rows = []
    for p in scenario.practices:
        cells = "".join(_visit_cell(names, visits.get((e, w.number, p.id)), p.id in closing[e, w.number])
                        for e, w in sessions)
        rows.append(f'<tr{_data(practice=p.id)}><th scope="row">{_e(p.name)}</th>{cells}</tr>')
    lead = ("At internal afternoons each practice trains its own team; a visiting trainer runs a "
            "course on site where shown, otherwise the practice plans its own session.")
    body = _table(head, rows, f"{len(plan.on_site)} on-site courses with a visiting trainer")
    return _section("internal", "Internal afternoons", lead,
                    body if sessions else "<p>None in this plan.</p>")


def _seat_cell(practice: str, role: str, count: int) -> str:
    data = _data(practice=practice, role=role, seats=count)
    return f"<td class=num{data}>{count:,}</td>" if count else f"<td class=zero{data}>·</td>"


def _seats(scenario: Scenario, plan: Plan) -> str:
    seats: Counter[tuple[str, str]] = Counter()
    for run in plan.runs:
        for seat in run.seats:
            seats[seat.practice, seat.role] += seat.count
    roles, rows = scenario.roles, []
    for p in scenario.practices:
        cells = "".join(_seat_cell(p.id, r.id, seats[p.id, r.id]) for r in roles)
        total = sum(seats[p.id, r.id] for r in roles)
        rows.append(f'<tr><th scope="row">{_e(p.name)} <small>{_e(p.id)}</small></th>{cells}'
                    f"<td class=num>{total:,}</td></tr>")
    by_role = "".join(f"<td class=num>{sum(n for (_, x), n in seats.items() if x == r.id):,}</td>"
                      for r in roles)
    total = sum(seats.values())
    foot = (f'<tr><th scope="row">All practices</th>{by_role}'
            f'<td class=num id="seats-total"{_data(value=total)}>{total:,}</td></tr>')
    head = ["Practice"] + [_e(r.name) for r in roles] + ["All roles"]
    lead = "Seats at external course runs (face to face and virtual), per practice and role."
    return _section("seats", "Seats by practice and role", lead, _table(head, rows, "", foot))


def _equity(scenario: Scenario, score: Score) -> str:
    practices = {p.id: p.name for p in scenario.practices}
    roles = {r.id: r.name for r in scenario.roles}
    body = (f'<h3>Per practice</h3>{equity_svg("practice", practices, score.by_practice)}'
            f'<h3>Per role</h3>{equity_svg("role", roles, score.by_role)}')
    lead = ("Share of training demand met (seats at external runs and on-site courses), worst "
            "served first. Green is 90 % or more, amber 70 % or more, red below.")
    return _section("equity", "Equity: who gets their training", lead, body)


def _cover(scenario: Scenario, plan: Plan) -> str:
    lead = ("Registered patients the cover provider takes on while practices close, against its "
            "capacity per afternoon (the dashed line). Red bars exceed it.")
    return _section("cover", "Cover load", lead, cover_svg(scenario, plan))


def _score(score: Score) -> str:
    rows = []
    for name, t in score.terms.items():
        share = f"{100 * t.weighted / score.total:.1f} %" if score.total else "—"
        rows.append(f"<tr{_data(term=name, raw=t.raw, weight=t.weight, weighted=t.weighted)}>"
                    f"<th scope=row>{_e(name)}</th><td>{_e(TERMS.get(name, ''))}</td>"
                    f"<td class=num>{t.raw:,}</td><td class=num>{t.weight:,}</td>"
                    f"<td class=num>{t.weighted:,}</td><td class=num>{share}</td></tr>")
    foot = (f'<tr><th scope="row">Total</th><td colspan="3">lower is better</td>'
            f'<td class=num id="score-total"{_data(value=score.total)}>{score.total:,}</td>'
            "<td></td></tr>")
    table = _table(["Term", "What it counts", "Raw", "Weight", "Weighted", "Share"], rows, "", foot)
    return _section("score", "Score breakdown", "Every term of the objective on its own; the "
                    "weighted terms sum to the total.", table)


def _delivery(course: Course) -> str:
    text = course.delivery.value.replace("_", " ")
    also = course.on_site and course.delivery is not Delivery.on_site
    return text + (", also on site" if also else "")


def _limit(course: Course, where: Reach) -> str:
    """Why a course cannot run, or not in every way it is offered (models.consistency.untaught)."""
    if not where.anywhere:
        return f"cannot run: {where.why.reason}"
    if course.external and not where.external:
        return f"on site only: {where.why.reason}"
    if course.external and course.on_site and not where.on_site:
        return "not on site: no trainer with its skill visits practices"
    return ""


def _course_row(course: Course, roles: dict[str, str], runs: int, met: Attainment | None, limit: str) -> str:
    c = course
    shown = f"{met.met:,} of {met.demand:,}" if met and met.demand else "—"
    refresh = f"every {c.refresh_months} months" if c.refresh_months else "not mandatory"
    limit = f"<br><small class=warn>{_e(limit)}</small>" if limit else ""
    return (f'<tr{_data(course=c.id)}><th scope="row">{_e(c.name)}<br><small>{_e(c.id)}</small>'
            f'</th><td>{_e(", ".join(roles.get(r, r) for r in c.audience))}</td>'
            f"<td>{_e(_delivery(c))}{limit}</td>"
            f'<td class=num>{c.blocks} block{"s" if c.blocks > 1 else ""}</td>'
            f"<td class=num>{c.min_group}–{c.max_group}</td><td>{_e(refresh)}</td>"
            f"<td class=num>{c.priority}</td><td>{_e(', '.join(c.room_features) or '—')}</td>"
            f"<td class=num>{runs}</td><td class=num>{shown}</td></tr>")


def _catalogue(scenario: Scenario, plan: Plan, score: Score) -> str:
    roles = {r.id: r.name for r in scenario.roles}
    runs = Counter(r.course for r in plan.runs) + Counter(o.course for o in plan.on_site)
    rows = [_course_row(c, roles, runs[c.id], score.by_course.get(c.id), _limit(c, reach(scenario, i)))
            for i, c in enumerate(scenario.courses)]
    head = ["Course", "Audience", "Delivery", "Length", "Group size", "Mandatory refresh",
            "Priority", "Room needs", "Runs and visits", "Demand met"]
    lead = "Everything on offer this year in one place; priority 10 matters most."
    return _section("catalogue", "Course catalogue", lead, _table(head, rows))


def render_report(scenario: Scenario, plan: Plan) -> str:
    """The whole report as one HTML page (the plan's score, or a fresh one if it has none)."""
    score = plan.score or score_plan(scenario, plan)
    body = "".join([
        _header(scenario, plan, score), _year(scenario, plan), _external(scenario, plan),
        _internal(scenario, plan), _seats(scenario, plan), _equity(scenario, score),
        _cover(scenario, plan), _score(score), _catalogue(scenario, plan, score),
    ])
    return ('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(scenario.name)}: PLT plan</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def write_report(scenario: Scenario, plan: Plan, out_dir: str | Path) -> Path:
    """Write `out_dir/report.html` atomically and return its path."""
    return write_atomic(Path(out_dir) / "report.html", render_report(scenario, plan))
