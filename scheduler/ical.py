"""iCal feeds (RFC 5545) for everyone who subscribes: the master feed, one per practice,
trainer, room and cover provider.

UIDs are derived from the scenario and the decision, never random. Each feed folder keeps a
`state.json` of what it last published: an event whose content changed gets its SEQUENCE
raised and LAST-MODIFIED set to this export; an event that disappeared stays in its feeds with
STATUS:CANCELLED, and so does an event in a feed it has left (a run given to another trainer).
DTSTAMP is the plan's own time stamp, so the same plan exports to the same bytes. Times carry
TZID with a VTIMEZONE covering the planning period.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from models.plan import Plan
from models.scenario import Scenario

from .io import inside, write_atomic

REFRESH = "PT12H"
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class FeedEvent:
    uid: str
    summary: str
    start: dt.datetime
    end: dt.datetime
    location: str = ""
    description: str = ""
    categories: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)  # relative feed paths, e.g. practices/D82008.ics

    def digest(self) -> str:
        body = [self.summary, self.start.isoformat(), self.end.isoformat(), self.location, self.description]
        return hashlib.sha256("\x1f".join(body).encode()).hexdigest()[:16]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Builder:
    """Turns a plan into feed events, each listing the feeds it belongs to."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.s = scenario
        self.plan = plan
        self.tz = ZoneInfo(scenario.period.timezone)
        self.prefix = _slug(scenario.name)
        self.blocks = {b.id: b for b in scenario.calendar.blocks}
        self.dates = {(a.event, w.number): w.date for a in plan.afternoons for w in a.waves}
        self.rooms = {room.id: (venue, room) for venue, room in scenario.all_rooms()}
        self.kinds = {a.event: a.kind.value for a in plan.afternoons}
        self.venue = {v.id: v for v in scenario.venues}
        self.venue_order = {v.id: i for i, v in enumerate(scenario.venues)}.__getitem__
        self.practice = {p.id: p for p in scenario.practices}.__getitem__  # Scenario.practice scans the list

    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.tz)

    def uid(self, *parts: str) -> str:
        return "-".join([self.prefix, *(_slug(p) for p in parts)]) + "@plt-scheduler"

    def events(self) -> list[FeedEvent]:
        return self.afternoons() + self.closures() + self.runs() + self.on_site() + self.cover()

    def afternoons(self) -> list[FeedEvent]:
        out = []
        window = self.s.calendar.window
        for a in self.plan.afternoons:
            for w in a.waves:
                names = ", ".join(self.practice(p).name for p in w.practices)
                out.append(FeedEvent(
                    self.uid("afternoon", a.event, f"w{w.number}"),
                    f"PLT {a.kind.value} afternoon ({a.event}, wave {w.number}): {len(w.practices)} practices closed",
                    self.at(w.date, window.start), self.at(w.date, window.end),
                    location=self.gone_to(a.event, w.number, None),
                    description=f"Practices closed: {names}", categories=["PLT", a.kind.value],
                    feeds=["master.ics"]))
        return out

    def closures(self) -> list[FeedEvent]:
        out = []
        window = self.s.calendar.window
        for a in self.plan.afternoons:
            for w in a.waves:
                for pid in w.practices:
                    practice = self.practice(pid)
                    out.append(FeedEvent(
                        self.uid("closure", pid, a.event),
                        f"PLT {a.kind.value} afternoon: {practice.name} closed ({a.event})",
                        self.at(w.date, window.start), self.at(w.date, window.end),
                        location=self.gone_to(a.event, w.number, pid),
                        description=self.practice_day(pid, a.event, w.number), categories=["PLT", "closure"],
                        feeds=[f"practices/{practice.ods_code}.ics"]))
        return out

    def practice_day(self, pid: str, event: str, wave: int) -> str:
        return "\n".join(self.days.get((event, wave, pid), ())) or "Practice-led learning on site."

    @functools.cached_property
    def days(self) -> dict[tuple[str, int, str], list[str]]:
        """(event, wave, practice) -> its staff's seats, runs in time order, then its on-site course:
        one pass over the plan. Scanning every run for every practice's afternoon took 2.1 of the
        export's 14.6 s at 430 practices (pyinstrument), and grows with the square of the area."""
        days: dict[tuple[str, int, str], list[str]] = {}
        for run in sorted(self.plan.runs, key=lambda r: (r.blocks[0], r.course)):
            for seat in run.seats:
                days.setdefault((run.event, run.wave, seat.practice), []).append(
                    f"{self.s.role(seat.role).name} x{seat.count}: {self.s.course(run.course).name}, "
                    f"{self.span(run.blocks)}, {self.where(run.room)}")
        for o in self.plan.on_site:
            days.setdefault((o.event, o.wave, o.practice), []).append(
                f"On site: {self.s.course(o.course).name} with {self.trainer_name(o.trainer)}")
        return days

    @functools.cached_property
    def destinations(self) -> dict[tuple[str, int, str | None], set[str]]:
        """(event, wave, practice) -> the ids of the venues its staff go to that afternoon, and
        (event, wave, None) -> those of every practice closed in the wave; a virtual run is
        nowhere to go."""
        out: dict[tuple[str, int, str | None], set[str]] = {}
        for run in self.plan.runs:
            if run.room is None:
                continue
            venue = self.rooms[run.room][0].id
            for seat in run.seats:
                out.setdefault((run.event, run.wave, seat.practice), set()).add(venue)
                out.setdefault((run.event, run.wave, None), set()).add(venue)
        return out

    def gone_to(self, event: str, wave: int, practice: str | None) -> str:
        """The LOCATION of an afternoon's closure: the venue with its postcode where its staff go
        to one, how many and their names (in the scenario's order) where they go to several,
        nothing where they go nowhere."""
        ids = sorted(self.destinations.get((event, wave, practice), ()), key=self.venue_order)
        venues = [self.venue[v] for v in ids]
        if len(venues) == 1:
            return f"{venues[0].name}, {venues[0].postcode}".rstrip(", ")
        return f"{len(venues)} venues: {', '.join(v.name for v in venues)}" if venues else ""

    def span(self, blocks: list[str]) -> str:
        return f"{self.blocks[blocks[0]].start:%H:%M}-{self.blocks[blocks[-1]].end:%H:%M}"

    def where(self, room: str | None) -> str:
        if room is None:
            return "online (virtual)"
        venue, r = self.rooms[room]
        return f"{r.name}, {venue.name}, {venue.postcode}".rstrip(", ")

    def trainer_name(self, tid: str) -> str:
        return self.trainer_names.get(tid, tid)

    @functools.cached_property
    def trainer_names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.s.trainers}

    def runs(self) -> list[FeedEvent]:
        out = []
        for run in self.plan.runs:
            day = self.dates[run.event, run.wave]
            course = self.s.course(run.course)
            by_practice = ", ".join(f"{self.practice(x.practice).name} {self.s.role(x.role).name} x{x.count}"
                                    for x in run.seats)
            feeds = ["master.ics", f"trainers/{run.trainer}.ics"] + ([f"rooms/{run.room}.ics"] if run.room else [])
            out.append(FeedEvent(
                self.uid("run", run.id), f"{course.name} ({self.where(run.room).split(',')[0] if run.room else 'online'})",
                self.at(day, self.blocks[run.blocks[0]].start), self.at(day, self.blocks[run.blocks[-1]].end),
                location=self.where(run.room),
                description=(f"Trainer: {self.trainer_name(run.trainer)}\nExpected group: {run.size}\n"
                             f"Attending: {by_practice}"),
                categories=["PLT", "course"], feeds=feeds))
        return out

    def on_site(self) -> list[FeedEvent]:
        out = []
        window = self.s.calendar.window
        for o in self.plan.on_site:
            practice = self.practice(o.practice)
            day = self.dates[o.event, o.wave]
            out.append(FeedEvent(
                self.uid("on-site", o.event, o.practice), f"On site: {self.s.course(o.course).name} at {practice.name}",
                self.at(day, window.start), self.at(day, window.end), location=f"{practice.name}, {practice.postcode}",
                description=f"Trainer: {self.trainer_name(o.trainer)}", categories=["PLT", "on-site"],
                feeds=["master.ics", f"trainers/{o.trainer}.ics"]))
        return out

    def cover(self) -> list[FeedEvent]:
        out = []
        window = self.s.calendar.window
        providers = {c.id: c for c in self.s.cover_providers}
        grouped: dict[tuple[str, int, str], list[str]] = {}
        for c in self.plan.cover:
            grouped.setdefault((c.event, c.wave, c.provider), []).append(c.practice)
        for (event, wave, pid), practices in sorted(grouped.items()):
            provider = providers[pid]
            day = self.dates[event, wave]
            load = sum(self.practice(p).list_size for p in practices)
            lines = [f"{self.practice(p).name} ({self.practice(p).ods_code}), {self.practice(p).list_size:,} "
                     f"patients, {self.practice(p).contact or 'no contact given'}" for p in practices]
            out.append(FeedEvent(
                self.uid("cover", pid, event, f"w{wave}"),
                f"PLT cover: {len(practices)} practices closed, {load:,} of {provider.capacity:,} patients",
                self.at(day, window.start), self.at(day, window.end),
                description="\n".join(lines + [f"Cover desk: {provider.contact}"]), categories=["PLT", "cover"],
                feeds=[f"cover/{pid}.ics"]))
        return out


@dataclass
class _Published:
    digest: str
    sequence: int
    modified: str
    cancelled: bool
    event: dict


class StateError(ValueError):
    """feeds/state.json is not the published state export wrote."""


def _load_state(path: Path) -> dict[str, _Published]:
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = {uid: _Published(**item) for uid, item in raw.items()}
        for published in state.values():  # every value as export_feeds will use it
            if not isinstance(published.sequence, int) or isinstance(published.sequence, bool):
                raise TypeError(f"sequence {published.sequence!r} is not a whole number")
            dt.datetime.fromisoformat(published.modified)
            event = _from_dict(published.event)
            if not all(inside(path.parent, f) for f in event.feeds):
                raise ValueError(f"feeds {event.feeds!r} are not all inside {path.parent}")
        return state
    except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise StateError(f"{path}: not the feeds' published state ({exc}); restore it from the last "
                         "publication, or delete it to publish every event afresh (subscribers then "
                         "see removed events disappear rather than cancelled)") from None


def check_state(folder: Path) -> None:
    """Raise StateError now when FOLDER/feeds/state.json is damaged (before a solve, not after)."""
    _load_state(folder / "feeds" / "state.json")


def _stamp(plan: Plan) -> dt.datetime:
    return plan.solver.finished or EPOCH


def _vevent(e: FeedEvent, published: _Published, stamp: dt.datetime) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", e.uid)
    ev.add("dtstamp", stamp)
    ev.add("last-modified", dt.datetime.fromisoformat(published.modified))
    ev.add("sequence", published.sequence)
    ev.add("dtstart", e.start)
    ev.add("dtend", e.end)
    ev.add("summary", e.summary)
    if e.location:
        ev.add("location", e.location)
    if e.description:
        ev.add("description", e.description)
    if e.categories:
        ev.add("categories", e.categories)
    ev.add("status", "CANCELLED" if published.cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    return ev


@dataclass(frozen=True)
class _Serialised:
    """One VEVENT as icalendar writes it, and the time zones its start and end name."""

    ical: bytes
    tzids: frozenset[str]


def _serialised(e: FeedEvent, published: _Published, stamp: dt.datetime) -> _Serialised:
    zones = frozenset(t.tzinfo.key for t in (e.start, e.end) if isinstance(t.tzinfo, ZoneInfo))
    return _Serialised(_vevent(e, published, stamp).to_ical(), zones)


class _Zones:
    """VTIMEZONE components as `Calendar.add_missing_timezones` writes them for the period, one
    per time zone, made once for every feed."""

    def __init__(self, scenario: Scenario) -> None:
        self.first = scenario.period.start - dt.timedelta(days=1)
        self.last = scenario.period.end + dt.timedelta(days=1)
        self.made: dict[str, bytes] = {}

    def ical(self, tzid: str) -> bytes:
        if tzid not in self.made:
            try:
                zone = icalendar.Timezone.from_tzid(tzid, first_date=self.first, last_date=self.last)
                self.made[tzid] = zone.to_ical()
            except ValueError:  # a zone icalendar does not know is left out, as add_missing_timezones does
                self.made[tzid] = b""
        return self.made[tzid]


END = b"END:VCALENDAR\r\n"


def _calendar(name: str, scenario: Scenario, events: list[_Serialised], zones: _Zones) -> bytes:
    """The feed: its properties, the time zones its events name, then the events. Each event is
    serialised once for all its feeds (the master and its practice, trainer, room or cover feed):
    at 430 practices icalendar's `to_ical` of every feed whole took 8.0 of the export's 14.6 s
    (pyinstrument). A feed with no event yet says so in its description and holds the area's
    time zone, since RFC 5545 wants at least one component in a calendar."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//PLT Scheduler//plt-scheduler//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", scenario.period.timezone)
    cal.add("refresh-interval", dt.timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    if not events:
        cal.add("x-wr-caldesc", NOTHING_YET)
    head = cal.to_ical()
    if not head.endswith(END):
        raise ValueError(f"icalendar ended a calendar with {head[-40:]!r}, not END:VCALENDAR")
    tzids = sorted(frozenset().union(*(e.tzids for e in events))) if events else [scenario.period.timezone]
    return b"".join([head[:-len(END)], *(zones.ical(t) for t in tzids), *(e.ical for e in events), END])


NOTHING_YET = ("Nothing is scheduled here yet. Stay subscribed: when a plan gives this calendar PLT "
               "events, they appear here, at this same address.")
MASTER_NAME = "{}: PLT"  # the master feed's calendar name, for the scenario's name
HEAD_BYTES = 8192  # a feed's properties come first, before its time zones and events


def subscribers(scenario: Scenario) -> list[str]:
    """Every feed the scenario has a subscriber for, events or not: the master feed and one per
    practice, trainer, room and cover provider, so that each can subscribe before a plan gives it
    work, and a later plan continues the same feed (serve keeps its URL by its path)."""
    return (["master.ics"] + [f"practices/{p.ods_code}.ics" for p in scenario.practices]
            + [f"trainers/{t.id}.ics" for t in scenario.trainers]
            + [f"rooms/{room.id}.ics" for _, room in scenario.all_rooms()]
            + [f"cover/{c.id}.ics" for c in scenario.cover_providers])


def _feed_names(scenario: Scenario) -> dict[str, str]:
    """The name a subscriber's calendar list shows for each feed of the scenario: the practice's,
    trainer's or cover provider's name, the room's with its venue's."""
    named = ({f"practices/{p.ods_code}.ics": p.name for p in scenario.practices}
             | {f"trainers/{t.id}.ics": t.name for t in scenario.trainers}
             | {f"rooms/{room.id}.ics": ", ".join(n for n in (room.name, venue.name) if n)
                for venue, room in scenario.all_rooms()}
             | {f"cover/{c.id}.ics": c.name for c in scenario.cover_providers})
    return {feed: f"{scenario.name}: {name}" for feed, name in named.items() if name}


def _feed_name(scenario: Scenario, feed: str, names: dict[str, str]) -> str:
    """NAMES' name for FEED; a feed the scenario no longer names (kept in state.json for an entity
    dropped from it, its events cancelled) is named for its id."""
    kind, _, key = feed.removesuffix(".ics").partition("/")
    labels = {"practices": "practice", "trainers": "trainer", "rooms": "room", "cover": "cover"}
    if kind == "master":
        return MASTER_NAME.format(scenario.name)
    return names.get(feed) or f"{scenario.name}: {labels[kind]} {key}"


def published_name(folder: Path) -> str | None:
    """The name of the scenario whose calendars FOLDER/feeds holds, from its master feed's name;
    None when there is none (or it cannot be read: nothing to protect then)."""
    try:
        with (folder / "feeds" / "master.ics").open("rb") as feed:
            head = feed.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    prefix, suffix = MASTER_NAME.split("{}")
    for line in re.sub(r"\r?\n[ \t]", "", head).splitlines():  # unfolded
        if line.upper().startswith("X-WR-CALNAME:"):
            name = str(icalendar.vText.from_ical(line.split(":", 1)[1]))
            return name.removeprefix(prefix).removesuffix(suffix)
    return None


def export_feeds(scenario: Scenario, plan: Plan, out_dir: str | Path, state_from: Path | None = None) -> list[Path]:
    """Write DIR/feeds/... and DIR/feeds/state.json; returns the feed files written. The state
    continued is DIR's own, or `state_from` (a baseline's, when DIR has none yet)."""
    feeds_dir = Path(out_dir) / "feeds"
    state_path = feeds_dir / "state.json"
    state = _load_state(state_from or state_path)
    stamp = _stamp(plan)
    current = {e.uid: e for e in _Builder(scenario, plan).events()}
    for uid, e in current.items():
        before = state.get(uid)
        if before is None:
            state[uid] = _Published(e.digest(), 0, stamp.isoformat(), False, _as_dict(e))
        elif before.digest != e.digest() or before.cancelled or before.event["feeds"] != e.feeds:
            for feed in set(before.event["feeds"]) - set(e.feeds):
                state[_left(uid, feed)] = _Published(before.digest, before.sequence + 1, stamp.isoformat(), True,
                                                     {**before.event, "feeds": [feed]})
            state[uid] = _Published(e.digest(), before.sequence + 1, stamp.isoformat(), False, _as_dict(e))
        for feed in e.feeds:  # back in a feed it had left: there it is the event itself again
            state.pop(_left(uid, feed), None)
    for uid, before in state.items():
        if uid not in current and not before.cancelled:
            state[uid] = _Published(before.digest, before.sequence + 1, stamp.isoformat(), True, before.event)
    zone = ZoneInfo(scenario.period.timezone)
    by_feed: dict[str, list[_Serialised]] = {feed: [] for feed in subscribers(scenario)}
    for uid in sorted(state):
        published = state[uid]
        e = current.get(uid) or _from_dict(published.event, zone)
        serialised = _serialised(e, published, stamp)
        for feed in e.feeds:
            by_feed.setdefault(feed, []).append(serialised)
    for feed in by_feed:  # names come from ids in the plan and state.json: never outside feeds/
        if not inside(feeds_dir, feed):
            raise ValueError(f"feed {feed!r} would be written outside {feeds_dir}; its id is not a plain name")
    zones, names = _Zones(scenario), _feed_names(scenario)
    written = [write_atomic(feeds_dir / feed, _calendar(_feed_name(scenario, feed, names), scenario, events, zones))
               for feed, events in sorted(by_feed.items())]
    # vars(), not asdict(): asdict deep-copies every event's dict (8.6 of 175 s profiled at 6,300 practices)
    write_atomic(state_path, json.dumps({u: vars(p) for u, p in sorted(state.items())}, indent=1) + "\n")
    return written


def _left(uid: str, feed: str) -> str:
    """The state key of an event that is still published but has left FEED (a run re-staffed keeps
    its UID and moves to another trainer's feed): kept there cancelled, as a removed event is,
    rather than vanishing, or, in a feed nothing else rewrites (a dropped trainer's), staying
    confirmed."""
    return f"{uid}#{feed}"


def _as_dict(e: FeedEvent) -> dict:
    d = {f.name: getattr(e, f.name) for f in fields(e)}  # its lists are only read (json.dumps), not copied
    d["start"], d["end"] = e.start.isoformat(), e.end.isoformat()
    return d


def _from_dict(d: dict, tz: ZoneInfo | None = None) -> FeedEvent:
    """An event as state.json holds it. `tz`: the area's zone, into which its times (stored with a
    fixed offset) go back; without it a cancelled event was written with TZID "UTC+01:00", which no
    VTIMEZONE in the feed defines."""
    start, end = dt.datetime.fromisoformat(d["start"]), dt.datetime.fromisoformat(d["end"])
    if tz is not None:
        start, end = start.astimezone(tz), end.astimezone(tz)
    return FeedEvent(**{**d, "start": start, "end": end})
