"""The figures of the HTML report, drawn as inline SVG: the year at a glance and bar charts.

Each function returns one `<svg>` element as text, with a `<title>` and `<desc>` for screen
readers and a `<title>` on every mark for hover. The marks carry `data-*` attributes holding
the figures they draw, so a test (or a curious coordinator) can read them back exactly. No
scripts, fonts or links: the page must open from a USB stick on a practice PC.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from html import escape

from models.calendar import MONTHS, verdicts
from models.plan import Attainment, Plan
from models.scenario import EventKind, Scenario

CELL = 24  # one calendar day, in px
MONTH_GAP = 22
MONTHS_PER_ROW = 6
MONTH_HEAD = 38  # month name and weekday initials above the days

# The page includes these rules in its one <style> element.
SVG_CSS = """
svg.figure{max-width:100%;height:auto;font-size:12px;display:block;margin:8px 0}
svg text{font-family:inherit;fill:var(--ink)}
svg .month{font-weight:700;font-size:13px}
svg .wd{fill:var(--muted);font-size:10px;text-anchor:middle}
svg .day{fill:#fff;stroke:#9dbbdc}svg .day.off{fill:#eef1f4;stroke:#e3e7ec}
svg .day.outside{fill:none;stroke:none}
svg .day.bank{fill:var(--bank)}svg .day.blackout{fill:var(--blackout)}
svg .day.external{fill:var(--ext)}svg .day.internal{fill:var(--int)}
svg .day+text{text-anchor:middle;font-size:11px}svg .outside+text{fill:#c5ccd3}
svg g[data-event] text{fill:#fff;font-weight:700}
svg .label{text-anchor:end}svg .tick{text-anchor:middle;fill:var(--muted);font-size:11px}
svg .track{fill:#eef1f4}svg .grid{stroke:#e3e7ec}
svg .ok .fill{fill:var(--ok)}svg .warn .fill{fill:var(--warn)}svg .bad .fill{fill:var(--bad)}
svg .marker{stroke:var(--ink);stroke-width:2;stroke-dasharray:4 3}
"""


@dataclass(frozen=True)
class PltDay:
    """A wave of a PLT afternoon, as the calendar marks it."""

    event: str
    kind: EventKind
    wave: int
    practices: int


@dataclass
class Bar:
    """One row of a horizontal bar chart: `value` against the chart's scale, an optional
    marker line (a capacity, say), a note printed after the bar, and data-* attributes."""

    label: str
    value: float
    note: str
    tone: str = "ok"
    marker: float | None = None
    data: dict[str, str] = field(default_factory=dict)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def short_date(day: dt.date) -> str:
    """Wed 3 Nov 2027 (strftime cannot portably drop the zero)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def long_date(day: dt.date) -> str:
    """Wednesday 3 November 2027."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _data(data: dict[str, str]) -> str:
    return "".join(f' data-{_e(key)}="{_e(value)}"' for key, value in data.items())


def _svg_open(width: int, height: int, ident: str, title: str, desc: str) -> str:
    return (
        f'<svg class="figure" viewBox="0 0 {width} {height}" width="{width}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{_e(title)}</title><desc id="{ident}-desc">{_e(desc)}</desc>'
    )


# The year at a glance ------------------------------------------------------------------------


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _shade(reasons: tuple[str, ...]) -> str:
    """The calendar class of a date that holds no PLT afternoon."""
    if any(r.startswith("bank holiday") for r in reasons):
        return "bank"
    if any(r.startswith("blackout") for r in reasons):
        return "blackout"
    return "off" if reasons else "free"


def _day(day: dt.date, x: int, y: int, shade: str, title: str, data: dict[str, str]) -> str:
    text = f'<text x="{x + CELL // 2}" y="{y + CELL // 2 + 4}">{day.day}</text>'
    size = CELL - 2
    rect = f'<rect class="day {shade}" x="{x + 1}" y="{y + 1}" width="{size}" height="{size}"/>'
    if not title:
        return rect + text
    return f'<g{_data(data)}><title>{_e(title)}</title>{rect}{text}</g>'


def _day_mark(day: dt.date, reasons: tuple[str, ...] | None,
              plt: PltDay | None) -> tuple[str, str, dict[str, str]]:
    """Class, hover title and data attributes of one day (reasons None: outside the period)."""
    label = short_date(day)
    if plt is not None:
        title = (f"{label}: {plt.event}, {plt.kind.value} PLT afternoon, wave {plt.wave} "
                 f"({plt.practices} practices close)")
        data = {"date": day.isoformat(), "event": plt.event, "kind": plt.kind.value,
                "wave": str(plt.wave)}
        return plt.kind.value, title, data
    if reasons is None:
        return "outside", "", {}
    shade = _shade(reasons)
    if shade in ("bank", "blackout"):
        wanted = [r for r in reasons if r.startswith(("bank holiday", "blackout"))]
        return shade, f"{label}: {'; '.join(wanted)}", {"date": day.isoformat(), "shade": shade}
    return shade, "", {}


def _month(year: int, month: int, x0: int, y0: int, reasons: dict[dt.date, tuple[str, ...]],
           plt: dict[dt.date, PltDay]) -> str:
    parts = [f'<text class="month" x="{x0}" y="{y0 + 14}">{MONTHS[month - 1]} {year}</text>']
    for col, initial in enumerate("MTWTFSS"):
        x = x0 + col * CELL + CELL // 2
        parts.append(f'<text class="wd" x="{x}" y="{y0 + 32}">{initial}</text>')
    first_col = dt.date(year, month, 1).weekday()
    for number in range(1, calendar.monthrange(year, month)[1] + 1):
        day = dt.date(year, month, number)
        row, col = divmod(first_col + number - 1, 7)
        shade, title, data = _day_mark(day, reasons.get(day), plt.get(day))
        parts.append(_day(day, x0 + col * CELL, y0 + MONTH_HEAD + row * CELL, shade, title, data))
    return "".join(parts)


def calendar_svg(scenario: Scenario, plt: dict[dt.date, PltDay]) -> str:
    """Every month of the period, Monday first; PLT afternoons filled by kind, bank holidays
    and blackouts shaded, days the calendar rules allow left white."""
    reasons = {v.day: v.reasons for v in verdicts(scenario)}
    months = _months(scenario.period.start, scenario.period.end)
    per_row = min(MONTHS_PER_ROW, len(months))
    month_w, month_h = 7 * CELL + MONTH_GAP, MONTH_HEAD + 6 * CELL + MONTH_GAP
    rows = -(-len(months) // per_row)
    width, height = per_row * month_w - MONTH_GAP, rows * month_h - MONTH_GAP
    desc = (f"{len(plt)} PLT afternoon waves between {long_date(scenario.period.start)} and "
            f"{long_date(scenario.period.end)}; hover a day for details.")
    parts = [_svg_open(width, height, "year", "The year at a glance", desc)]
    for i, (year, month) in enumerate(months):
        row, col = divmod(i, per_row)
        parts.append(_month(year, month, col * month_w, row * month_h, reasons, plt))
    parts.append("</svg>")
    return "".join(parts)


# Horizontal bar charts -----------------------------------------------------------------------

BAR_W, NOTE_W, ROW_H = 420, 200, 24
CHAR_W = 6.8  # a generous average width of a 12 px character, to size the label column


@dataclass(frozen=True)
class _Axis:
    """Where the bars start (after the labels) and the value that fills a whole bar."""

    left: int
    scale: float

    def x(self, value: float) -> float:
        share = min(value, self.scale) / self.scale if self.scale else 0.0
        return round(self.left + BAR_W * share, 1)


def _bar_row(bar: Bar, y: int, axis: _Axis) -> str:
    left, height = axis.left, ROW_H - 8
    parts = [
        f'<g class="bar {_e(bar.tone)}"{_data(bar.data)}>',
        f"<title>{_e(bar.label)}: {_e(bar.note)}</title>",
        f'<text class="label" x="{left - 8}" y="{y + 16}">{_e(bar.label)}</text>',
        f'<rect class="track" x="{left}" y="{y + 4}" width="{BAR_W}" height="{height}"/>',
        f'<rect class="fill" x="{left}" y="{y + 4}" height="{height}" '
        + f'width="{round(axis.x(bar.value) - left, 1)}"/>',
    ]
    if bar.marker is not None:
        x = axis.x(bar.marker)
        parts.append(f'<line class="marker" x1="{x}" x2="{x}" y1="{y}" y2="{y + ROW_H}"/>')
    x = left + BAR_W + 8
    parts.append(f'<text class="note" x="{x}" y="{y + 16}">{_e(bar.note)}</text></g>')
    return "".join(parts)


def _ticks(axis: _Axis, y: int, ticks: list[tuple[float, str]]) -> str:
    return "".join(f'<line class="grid" x1="{axis.x(v)}" x2="{axis.x(v)}" y1="0" y2="{y}"/>'
                   f'<text class="tick" x="{axis.x(v)}" y="{y + 14}">{_e(text)}</text>'
                   for v, text in ticks)


def bar_chart(ident: str, title: str, desc: str, bars: list[Bar], scale: float,
              ticks: list[tuple[float, str]]) -> str:
    """Bars on one scale, one per row, with vertical grid lines at the ticks; the label
    column is as wide as the longest label."""
    axis = _Axis(int(16 + CHAR_W * max([len(b.label) for b in bars] + [12])), scale)
    height = len(bars) * ROW_H
    parts = [_svg_open(axis.left + BAR_W + NOTE_W, height + 22, ident, title, desc)]
    parts.append(_ticks(axis, height, ticks))
    parts.extend(_bar_row(bar, i * ROW_H, axis) for i, bar in enumerate(bars))
    parts.append("</svg>")
    return "".join(parts)


def percent_ticks() -> list[tuple[float, str]]:
    return [(float(p), f"{p} %") for p in range(0, 101, 25)]


def number_ticks(scale: float, steps: int = 4) -> list[tuple[float, str]]:
    return [(scale * i / steps, f"{round(scale * i / steps):,}") for i in range(steps + 1)]


# The two charts of the report -----------------------------------------------------------------


def _tone(share: float) -> str:
    return "ok" if share >= 90 else "warn" if share >= 70 else "bad"


def equity_svg(scope: str, names: dict[str, str], attainment: dict[str, Attainment]) -> str:
    """Share of demand met per practice (or role), worst served first; the dashed line is the
    share met across the whole area."""
    demand = sum(a.demand for a in attainment.values())
    overall = 100.0 * sum(a.met for a in attainment.values()) / demand if demand else 100.0
    bars = []
    for ident, a in attainment.items():
        share = 100.0 * a.met / a.demand if a.demand else 100.0
        note = "no demand"
        if a.demand:  # rounded down: 100 % only when every seat needed is met
            note = f"{100 * a.met // a.demand} % ({a.met:,} of {a.demand:,})"
        data = {scope: ident, "met": str(a.met), "demand": str(a.demand)}
        bars.append(Bar(names.get(ident, ident), share, note, _tone(share), overall, data))
    bars.sort(key=lambda b: (b.value, b.label))
    desc = (f"Share of training demand met per {scope}, worst served first; the dashed line is "
            f"the area's share, {overall:.0f} %.")
    title = f"Demand met per {scope}"
    return bar_chart(f"equity-{scope}", title, desc, bars, 100.0, percent_ticks())


def cover_loads(scenario: Scenario, plan: Plan) -> dict[tuple[str, int, str], int]:
    """Registered patients each provider covers per event and wave."""
    sizes = {p.id: p.list_size for p in scenario.practices}
    loads: dict[tuple[str, int, str], int] = {}
    for c in plan.cover:
        key = (c.event, c.wave, c.provider)
        loads[key] = loads.get(key, 0) + sizes.get(c.practice, 0)
    return loads


def cover_svg(scenario: Scenario, plan: Plan) -> str:
    """Patients covered per afternoon and wave against the provider's capacity (the line)."""
    providers = {p.id: p for p in scenario.cover_providers}
    several = len({key[2] for key in cover_loads(scenario, plan)}) > 1
    bars = []
    for (event, wave, pid), load in cover_loads(scenario, plan).items():
        date = plan.session_date(event, wave)
        capacity = providers[pid].capacity if pid in providers else 0
        label = f"{event} wave {wave} · {short_date(date)}" if date else f"{event} wave {wave}"
        if several:
            label += f" · {providers[pid].name if pid in providers else pid}"
        # Rounded down, so a wave just under capacity never reads 100 %.
        share = f" ({1000 * load // capacity / 10:.1f} %)" if capacity else ""
        data = {"cover-event": event, "cover-wave": str(wave), "cover-provider": pid,
                "cover-load": str(load), "cover-capacity": str(capacity), "cover-date": str(date)}
        bars.append(Bar(label, load, f"{load:,} of {capacity:,}{share}",
                        "bad" if load > capacity else "ok", capacity, data))
    bars.sort(key=lambda b: (b.data["cover-date"], b.data["cover-event"], int(b.data["cover-wave"]),
                             b.data["cover-provider"]))
    scale = max([b.value for b in bars] + [b.marker or 0 for b in bars] + [1])
    desc = "Registered patients covered while practices close, per afternoon and wave; " \
           "the line marks the provider's capacity."
    return bar_chart("cover", "Cover load against capacity", desc, bars, scale, number_ticks(scale))
