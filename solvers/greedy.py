"""The greedy baseline: the plan a coordinator would make by hand, in one deterministic pass.

Each event takes the earliest candidate date that keeps the spacing after the previous event
and on which its practices may close and be covered; with several waves, practices go into
waves and cover by first-fit decreasing on list size, and again kept even (largest first into
the wave with the fewest patients so far); the even plan is kept when it wins by more than the
cover it adds (`_better_start`). First fit fills the first waves and leaves the last nearly
empty, so at 430 generated practices (waves of 146, 275 and 9 practices) the rooms and trainers
of the last afternoon stood idle: 9,593,311 against 8,608,336 kept even, which pays 88,515 more
for cover. On Norfolk and Waveney the two are within 420 and first fit is kept. Visits are planned for the whole year at
once: every (internal afternoon, practice, on-site course) is ranked by the priority-weighted
staff a visit would reach and taken in that order while the practice is free that afternoon,
still needs the course and an on-site trainer is free with an afternoon of the year left (the
one with fewest other skills). Courses that run only on site go first; external afternoons
then open course runs in date order, by course priority, block by block, while demand, a room
and a trainer remain (the one whose other skills are least in demand, and not one a scarcer
skill cannot spare), seating practices first
come first served; the courses that run both ways are visited last, with the trainers and
demand left. Nothing is revisited, so the plan is a yardstick for the other back ends: its
status is FEASIBLE at best, and INFEASIBLE means only that greedy found no plan (the reason is
in the report's stats), not that none exists.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from models.plan import (
    Afternoon,
    CourseRun,
    Cover,
    OnSiteCourse,
    Plan,
    Seat,
    SolverReport,
    Wave,
    scenario_digest,
)
from models.scenario import Course, Delivery, EventKind, Practice, Room, Scenario, Trainer
from models.score import score_plan

from .base import SolveOptions
from .instance import Instance, build_instance
from .start_dates import even_dates

DemandKey = tuple[str, str, str]  # practice id, role id, course id
Waves = list[tuple[dt.date, list[tuple[str, str]]]]  # per wave: date, (practice, provider) pairs


RESERVE = 1.25  # see `_Planner.spared`


class NoPlan(Exception):
    """Greedy got stuck; the message says where, in domain words."""


@dataclass(frozen=True)
class Session:
    """One wave of one event: the afternoon on which some of the practices close."""

    event: str
    kind: EventKind
    wave: int
    date: dt.date
    practices: tuple[str, ...]  # scenario order


# Visits made so far: (date, wave, visit), sortable into the plan's order.
Visits = list[tuple[dt.date, int, OnSiteCourse]]


@dataclass
class _Book:
    """What one session has used so far, per block index."""

    rooms: set[tuple[str, int]] = field(default_factory=set)
    trainers: set[tuple[str, int]] = field(default_factory=set)
    runs: Counter[str] = field(default_factory=Counter)
    people: Counter[tuple[str, str, int]] = field(default_factory=Counter)


@dataclass
class Decisions:
    """Everything the planner decided, ready to go into a Plan."""

    afternoons: list[Afternoon]
    runs: list[CourseRun]
    on_site: list[OnSiteCourse]
    cover: list[Cover]


class _Planner:
    """Walks the year once, using up demand, trainer afternoons, rooms and cover as it goes."""

    def __init__(self, instance: Instance, even_waves: bool = False, before: Plan | None = None,
                 first_dates: dict[str, dt.date] | None = None, keep_dates: int | None = None) -> None:
        """`before`: a published plan whose dates, waves and cover are kept where they still fit
        (its dates for the first `keep_dates` events only, when given).
        `first_dates`: a first-wave date per event to try before the earliest (start_dates.py)."""
        self.inst = instance
        self.even_waves = even_waves
        self.first_dates = first_dates or {}
        scenario = instance.scenario
        self.days_before = {a.event: [w.date for w in a.waves] for a in before.afternoons if a.waves} if before else {}
        if keep_dates is not None:
            kept = {e for e, _ in instance.events[:keep_dates]}
            self.days_before = {e: days for e, days in self.days_before.items() if e in kept}
        self.spot_before = {(c.event, c.practice): (c.wave - 1, c.provider) for c in before.cover} if before else {}
        self.room_after = self._latest_next_dates()
        self.practices = {p.id: p for p in scenario.practices}
        self.cannot_close = {p.id: set(p.cannot_close) for p in scenario.practices}
        self.bank = {r.id for r in scenario.roles if r.bank}
        self.trainers = sorted(scenario.trainers, key=lambda t: t.id)
        # Indexes, so that each run looks only at who could teach it and who still needs it
        # (scanning everyone took 270 of 350 s at 6,300 practices; pyinstrument).
        self.by_skill: dict[str, list[Trainer]] = defaultdict(list)
        for t in self.trainers:
            for skill in t.skills:
                self.by_skill[skill].append(t)
        self.needing: dict[str, set[str]] = defaultdict(set)  # course -> practices with demand left
        for (pid, _, course), n in instance.demand.items():
            if n:
                self.needing[course].add(pid)
        self.rooms = sorted((room for _, room in scenario.all_rooms()), key=lambda r: r.id)
        self.room_closed = {room.id: set(room.unavailable) | set(venue.unavailable)
                            for venue, room in scenario.all_rooms()}
        self.remaining: dict[DemandKey, int] = dict(instance.demand)
        self.worked: Counter[str] = Counter()  # trainer id -> sessions worked this year
        self.later: list[Session] = []  # the external afternoons after the one being planned
        # How much each skill still needs its trainers (`pressure`), kept up to date as seats are
        # taken and afternoons worked: recounting per run took minutes at 6,300 practices.
        skill_of = {c.id: c.needed_skill for c in scenario.courses}
        self.need: Counter[str] = Counter()  # skill -> seats still needed in its courses
        for (_, _, course), n in instance.demand.items():
            self.need[skill_of[course]] += n
        group: dict[str, int] = {}  # skill -> the largest group of its courses
        for course in scenario.courses:
            group[course.needed_skill] = max(group.get(course.needed_skill, 0), course.max_group)
        self.seats_a_day = {t.id: {s: t.max_runs_per_afternoon * group.get(s, 0) for s in t.skills}
                            for t in self.trainers}
        self.can: Counter[str] = Counter()  # skill -> seats its trainers can still teach
        for t in self.trainers:
            for skill, seats in self.seats_a_day[t.id].items():
                self.can[skill] += t.max_afternoons_per_year * seats
        # skill -> the other skills of its trainers -> those trainers, by id
        self.alike: dict[str, dict[tuple[str, ...], list[Trainer]]] = defaultdict(dict)
        for t in self.trainers:
            for skill in t.skills:
                others = tuple(sorted(s for s in t.skills if s != skill))
                self.alike[skill].setdefault(others, []).append(t)

    def plan(self, given: tuple[list[Session], list[Cover]] | None = None) -> Decisions:
        """`given`: the sessions and cover decided elsewhere (a decomposed area's master)."""
        sessions, cover = given or self.choose_sessions()
        internal = [s for s in sessions if s.kind is EventKind.internal]
        # Visits planned for the year, not afternoon by afternoon in date order: the trainers'
        # afternoons go to the largest needs, not to whichever practices close first. Courses
        # that also run externally are visited after the external afternoons: a trainer can
        # seat more people in runs at a venue than at one practice. Norfolk and Waveney's greedy
        # plan (first free room) scored 2,269,044 with visits in date order, 2,948,394 with every
        # visit before the external afternoons, 1,977,224 with the on-site-only ones first and the
        # rest in date order, 1,514,944 so. Runs chosen for the year too (the run seating most
        # priority-weighted demand first, anywhere; best-fit rooms) were better on Norwich
        # (701,474 against 709,334) but worse on Norfolk (1,766,854 against 1,474,214) and at 430
        # practices (10,514,836 against 9,593,311). Tried and not kept: visiting first the
        # practices where one visit reaches a full run (25 for basic life support on Norfolk,
        # as the LP relaxation and a 300 s search of the clinical courses do) while the skill's
        # capacity left covers the rest: Norwich 695,434, but Norfolk 1,527,584 (107 life
        # support seats short: the external afternoons seat less than that capacity counts) and
        # 1,431,422 after CP-SAT's 60 s (about 1,350,000 from this plan); with the capacity
        # discounted to 75 %, 4 visits and 1,414,704.
        busy = self.visits_for_the_year(internal, [c for c in self.inst.on_site_courses if not c.external])
        runs: list[CourseRun] = []
        external = [s for s in sessions if s.kind is EventKind.external]
        for i, session in enumerate(external):
            self.later = external[i + 1:]
            runs += self.external_session(session)
        busy += self.visits_for_the_year(internal, self.inst.on_site_courses, busy)
        on_site = [v for _, _, v in sorted(busy, key=lambda b: b[:2])]
        self.check_mandatory()
        return Decisions(_afternoons(self.inst, sessions), runs, on_site, cover)

    # Dates, waves and cover (H1, H2)

    def choose_sessions(self) -> tuple[list[Session], list[Cover]]:
        sessions: list[Session] = []
        cover: list[Cover] = []
        not_before: dt.date | None = None
        for event, kind in self.inst.events:
            waves = self.first_fitting_date(event, not_before)
            if waves is None:
                after = f" on or after {not_before}" if not_before else ""
                raise NoPlan(f"no candidate date for {event}{after} on which every practice "
                             "can close in a wave and be covered")
            for number, (day, placed) in enumerate(waves, start=1):
                sessions.append(Session(event, kind, number, day, tuple(p for p, _ in placed)))
                cover += [Cover(event=event, wave=number, practice=p, provider=prov)
                          for p, prov in placed]
            not_before = waves[-1][0] + dt.timedelta(days=self.inst.gap_days)
        return sessions, cover

    def first_fitting_date(self, event: str, not_before: dt.date | None) -> Waves | None:
        """The earliest first-wave date (with the next dates in the wave window) that fits."""
        dates = self.inst.dates[event]
        firsts = set(self.inst.first_dates(event))
        window = dt.timedelta(days=self.inst.scenario.programme.wave_window_days)
        before = self.days_before.get(event)
        if (before and set(before) <= set(dates) and before[0] in firsts and before[-1] <= before[0] + window
                and (not_before is None or before[0] >= not_before) and self.everyone_can_close(before)
                and self.leaves_room(event, before)):
            waves = self.pack_waves(before, self.even_waves, event)
            if waves is not None:
                return waves
        preferred = self.first_dates.get(event)
        order = list(enumerate(dates))
        if preferred in dates:
            order = [(dates.index(preferred), preferred), *[(i, d) for i, d in order if d != preferred]]
        for i, first in order:
            if first not in firsts or (not_before is not None and first < not_before):
                continue
            later = [d for d in dates[i + 1:] if d <= first + window]
            # The next dates first; other dates in the window when some practice cannot close
            # on any of those (a week's closure spans three consecutive candidates).
            for rest in itertools.combinations(later, min(self.inst.waves - 1, len(later))):
                days = [first, *rest]
                if not self.everyone_can_close(days) or not self.leaves_room(event, days):
                    continue
                waves = (self.even_waves and self.pack_waves(days, True, event)) or self.pack_waves(days, event=event)
                if waves is not None:
                    return waves
        return None

    def leaves_room(self, event: str, days: list[dt.date]) -> bool:
        """Whether every later event can still have a first wave, spaced, after these wave dates:
        an event's candidate dates assume one-day waves, so a wave late in its window, or a
        kept baseline date (an event added after a published plan whose dates ran to the end of
        the year), could leave a later one none."""
        after = self.room_after.get(event)
        return after is None or days[-1] + dt.timedelta(days=self.inst.gap_days) <= after

    def _latest_next_dates(self) -> dict[str, dt.date]:
        """Event -> the latest first-wave date of the next event from which every later one can
        still have a first wave, spaced (`leaves_room`)."""
        gap = dt.timedelta(days=self.inst.gap_days)
        room_after: dict[str, dt.date] = {}
        latest: dt.date | None = None  # of the event after this one
        for event, _ in reversed(self.inst.events):
            if latest is not None:
                room_after[event] = latest
            fitting = [d for d in self.inst.first_dates(event) if latest is None or d + gap <= latest]
            if not fitting:
                break
            latest = max(fitting)
        return room_after

    def everyone_can_close(self, days: list[dt.date]) -> bool:
        return not any(blocked.issuperset(days) for blocked in self.cannot_close.values() if blocked)

    def pack_waves(self, days: list[dt.date], even: bool = False, event: str | None = None) -> Waves | None:
        """Largest practice first into a (wave, provider) that it may close in and fits: the
        first such, or with `even` the first in the wave with the fewest registered patients so
        far, so that every wave's afternoon gets a like share of the area's demand for the same
        rooms and trainers. When re-planning, each practice first keeps its wave and provider
        of the plan before in `event` where that still fits, and the rest are packed around them.

        Returns each used wave's date with its (practice, provider) pairs in scenario order,
        or None when a practice fits nowhere.
        """
        providers = self.inst.scenario.cover_providers
        free = {(w, c.id): c.capacity for w, day in enumerate(days) for c in providers if day not in c.unavailable}
        bins = list(free)  # (wave, provider), in order
        load = [0] * len(days)
        placed: dict[str, tuple[int, str]] = {}
        smallest = min(p.list_size for p in self.practices.values())
        largest_first = sorted(self.practices.values(), key=lambda p: -p.list_size)

        def place(practice: Practice, spot: tuple[int, str]) -> None:
            free[spot] -= practice.list_size
            load[spot[0]] += practice.list_size
            placed[practice.id] = spot

        for practice in largest_first:
            spot = self.spot_before.get((event, practice.id))
            if spot in free and days[spot[0]] not in self.cannot_close[practice.id] \
                    and free[spot] >= practice.list_size:
                place(practice, spot)
        for practice in largest_first:
            if practice.id in placed:
                continue
            fits = (b for b in bins if days[b[0]] not in self.cannot_close[practice.id]
                    and free[b] >= practice.list_size)
            # min keeps the first of equal loads, so `even` on one wave is first fit
            spot = min(fits, key=lambda b: load[b[0]], default=None) if even else next(fits, None)
            if spot is None:
                return None
            place(practice, spot)
            if free[spot] < smallest:  # full: no later practice fits, stop looking at it
                bins = [b for b in bins if b != spot]
        # Empty waves are dropped and the rest renumbered, so wave numbers stay contiguous.
        used = sorted({w for w, _ in placed.values()})
        return [(days[w], [(p, placed[p][1]) for p in self.practices if placed[p][0] == w])
                for w in used]

    # External afternoons (H3, H4, H5)

    def external_session(self, session: Session) -> list[CourseRun]:
        book = _Book()
        runs: list[CourseRun] = []
        for course in sorted(self.inst.external_courses, key=lambda c: (-c.priority, c.id)):
            for start in range(len(self.inst.blocks) - course.blocks + 1):
                span = range(start, start + course.blocks)
                waiting = [p for p in session.practices if p in self.needing[course.id]]
                opened = 0
                while (run := self.open_run(session, book, course, span, opened + 1, waiting)) is not None:
                    runs.append(run)
                    opened += 1
        return runs

    def open_run(self, session: Session, book: _Book, course: Course, span: range,
                 number: int, waiting: list[str]) -> CourseRun | None:
        """A run with the first free room and trainer, kept only if it reaches the minimum group."""
        virtual = course.delivery is Delivery.virtual
        room = None if virtual else self.free_room(session, book, course, span)
        if room is None and not virtual:
            return None
        trainer = self.free_trainer(session, book, course, span)
        if trainer is None:
            return None
        capacity = course.max_group if room is None else min(course.max_group, room.capacity)
        seats = self.first_come_seats(book, course, span, capacity, waiting)
        if sum(s.count for s in seats) < course.min_group:
            return None
        self.book_run(book, course, span, room, trainer, seats)
        blocks = [self.inst.blocks[b] for b in span]
        where = room.id if room else f"virtual-{number}"
        return CourseRun(id=f"{session.event}/w{session.wave}/{course.id}/{blocks[0]}/{where}",
                         event=session.event, wave=session.wave, course=course.id, blocks=blocks,
                         room=room.id if room else None, trainer=trainer.id, seats=seats)

    def free_room(self, session: Session, book: _Book, course: Course, span: range) -> Room | None:
        """The free room with the fewest features the course does not need (a computer suite
        is kept for the courses that need computers), then the smallest that seats a full
        group, else the largest."""
        need = set(course.room_features)
        free = [room for room in self.rooms
                if need <= set(room.features) and room.capacity >= course.min_group
                and session.date not in self.room_closed[room.id]
                and not any((room.id, b) in book.rooms for b in span)]
        return min(free, key=lambda r: (len(set(r.features) - need), r.capacity < course.max_group,
                                        abs(r.capacity - course.max_group), r.id), default=None)

    def free_trainer(self, session: Session, book: _Book, course: Course,
                     span: range) -> Trainer | None:
        """A free trainer with the skill, the one whose other skills are least in demand first: a
        resuscitation instructor who also teaches infection control is kept for life support
        when a nurse educator can take the infection control run. Norfolk and Waveney's greedy
        plan, first free trainer by id: basic life support met 1,470 of 1,529 seats, score
        1,474,214; so 1,526 and 1,418,294 (Norwich unchanged, 430 practices 240 worse)."""
        skill = course.needed_skill

        def free(t: Trainer) -> bool:
            return (session.date not in t.unavailable and book.runs[t.id] < t.max_runs_per_afternoon
                    and self.may_work(t, book.runs) and not any((t.id, b) in book.trainers for b in span)
                    and (book.runs[t.id] > 0 or self.spared(t, skill)))

        def pressed(others: tuple[str, ...]) -> float:
            return max((self.pressure(s) for s in others), default=0.0)

        kinds = sorted(self.alike[skill].items(), key=lambda kv: pressed(kv[0]))
        for _, same in itertools.groupby(kinds, key=lambda kv: pressed(kv[0])):
            # equally pressed: first by id, as before the pressure counted
            found = next((t for t in heapq.merge(*(ts for _, ts in same), key=lambda t: t.id) if free(t)), None)
            if found is not None:
                return found
        return None

    def spared(self, trainer: Trainer, skill: str) -> bool:
        """Can the trainer's other skills spare one of their afternoons for `skill`? Not when one
        of them is more pressed than `skill` and would be left less than RESERVE times the seats
        it still needs, unless the trainer has more afternoons left than external afternoons to
        teach on. Norfolk and Waveney: the five leadership coaches also teach wellbeing; in the
        three waves of the first external afternoon no leadership run opened, so three coaches
        spent all their afternoons on wellbeing there and leadership was 90 of 207 seats short. Kept for it: 8 short, wellbeing 44 short (6), the
        plan 1,389,814 against 1,418,294; Norwich (one coach, three afternoons, two external
        afternoons after the first) and 430 practices unchanged (709,334; 8,608,576). Without the
        exemption Norwich's coach sat out the first afternoon and wellbeing went unmet (711,414)."""
        left = trainer.max_afternoons_per_year - self.worked[trainer.id]
        if left > sum(1 for s in self.later if s.date not in trainer.unavailable):
            return True  # more afternoons left than external afternoons to teach them on
        mine = self.pressure(skill)
        return all(self.can[s] - seats >= RESERVE * self.need[s]
                   for s, seats in self.seats_a_day[trainer.id].items()
                   if s != skill and self.need[s] > 0 and self.pressure(s) > mine)

    def pressure(self, skill: str) -> float:
        """Seats still needed in the courses of a skill per seat its trainers can still teach."""
        if self.need[skill] <= 0:
            return 0.0
        return self.need[skill] / self.can[skill] if self.can[skill] > 0 else float("inf")

    def start_afternoon(self, trainer: Trainer) -> None:
        """The trainer works one more afternoon of the year: their skills can teach less."""
        self.worked[trainer.id] += 1
        for skill, seats in self.seats_a_day[trainer.id].items():
            self.can[skill] -= seats

    def may_work(self, trainer: Trainer, this_session: Counter[str]) -> bool:
        """Already working this session, or an afternoon of the year left."""
        if this_session[trainer.id] > 0:
            return True
        return self.worked[trainer.id] < trainer.max_afternoons_per_year

    def first_come_seats(self, book: _Book, course: Course, span: range, capacity: int,
                         waiting: list[str]) -> list[Seat]:
        """Practices in scenario order, roles in audience order, within demand and headcount.

        `waiting`: the session's practices that may still take seats in this course and span, in
        scenario order. A practice passed over whole has no one left who needs the course and is
        free in the span, and people only get busier as runs open, so it leaves the list:
        rescanning the whole session for every run took 120 of 210 s at 6,300 practices
        (pyinstrument)."""
        seats: list[Seat] = []
        for i, pid in enumerate(waiting):
            heads = self.practices[pid].headcount
            for role in course.audience:
                want = self.remaining.get((pid, role, course.id), 0)
                if not want:
                    continue
                idle = min(heads.get(role, 0) - book.people[pid, role, b] for b in span)
                count = min(want, idle, capacity)
                if count > 0:
                    seats.append(Seat(practice=pid, role=role, count=count))
                    capacity -= count
                if capacity == 0:
                    del waiting[:i]
                    return seats
        waiting.clear()
        return seats

    def book_run(self, book: _Book, course: Course, span: range, room: Room | None,
                 trainer: Trainer, seats: list[Seat]) -> None:
        if book.runs[trainer.id] == 0:
            self.start_afternoon(trainer)
        book.runs[trainer.id] += 1
        for b in span:
            book.trainers.add((trainer.id, b))
            if room is not None:
                book.rooms.add((room.id, b))
            for seat in seats:
                book.people[seat.practice, seat.role, b] += seat.count
        for seat in seats:
            self.remaining[seat.practice, seat.role, course.id] -= seat.count
            self.need[course.needed_skill] -= seat.count
            self.forget_if_done(seat.practice, course)

    def forget_if_done(self, pid: str, course: Course) -> None:
        if not any(self.remaining.get((pid, role, course.id), 0) for role in course.audience):
            self.needing[course.id].discard(pid)

    # Internal afternoons (H4)

    def visits_for_the_year(self, sessions: list[Session], courses: list[Course],
                            before: Visits | None = None) -> Visits:
        """Visits on these internal afternoons, largest priority-weighted reach first, while the
        practice is free that afternoon, still needs the course and an on-site trainer is free
        (`before`: visits already made)."""
        candidates = []
        for session in sessions:
            for pid in session.practices:
                for index, course in enumerate(courses):
                    value = course.priority * self.reachable(pid, course)
                    if value:
                        candidates.append((-value, session.date, session.wave, index, pid, session, course))
        before = before or []
        visited = {(v.event, v.wave, v.practice) for *_, v in before}
        visiting = {(v.event, v.wave, v.trainer) for *_, v in before}
        out: Visits = []
        for *_, pid, session, course in sorted(candidates, key=lambda c: c[:5]):
            here = (session.event, session.wave)
            if (*here, pid) in visited or not self.reachable(pid, course):
                continue
            trainer = self.visitor(session, course, visiting)
            if trainer is None:
                continue
            visited.add((*here, pid))
            visiting.add((*here, trainer.id))
            self.start_afternoon(trainer)
            self.reach(self.practices[pid], course)
            out.append((session.date, session.wave, OnSiteCourse(
                event=session.event, wave=session.wave, practice=pid, course=course.id, trainer=trainer.id)))
        return out

    def reachable(self, pid: str, course: Course) -> int:
        """Staff of the practice who still need the course and would be there (not bank)."""
        heads = self.practices[pid].headcount
        return sum(min(self.remaining.get((pid, r, course.id), 0), heads.get(r, 0))
                   for r in course.audience if r not in self.bank)

    def visitor(self, session: Session, course: Course, busy: set[tuple[str, int, str]]) -> Trainer | None:
        """A free on-site trainer with an afternoon of the year left, fewest other skills first
        (a trainer who also teaches something else is kept for it)."""
        fit = [t for t in self.by_skill[course.needed_skill]
               if t.on_site and session.date not in t.unavailable
               and (session.event, session.wave, t.id) not in busy
               and self.worked[t.id] < t.max_afternoons_per_year]
        return min(fit, key=lambda t: (len(t.skills), t.id), default=None)

    def reach(self, practice: Practice, course: Course) -> None:
        """Everyone of a substantive audience role at the practice takes the course on site."""
        for role in course.audience:
            key = (practice.id, role, course.id)
            if role not in self.bank and key in self.remaining:
                taken = min(self.remaining[key], practice.headcount.get(role, 0))
                self.remaining[key] -= taken
                self.need[course.needed_skill] -= taken
        self.forget_if_done(practice.id, course)

    # Mandatory training (H6)

    def check_mandatory(self) -> None:
        if self.inst.scenario.policy.mandatory != "hard":
            return
        mandatory = {c.id for c in self.inst.scenario.courses if c.mandatory}
        short = sum(n for (_, _, c), n in self.remaining.items() if c in mandatory)
        if short:
            raise NoPlan(f"{short} mandatory seats left unmet; greedy cannot meet the hard "
                         "mandatory policy (H6)")

    def unmet(self) -> int:
        return sum(self.remaining.values())


def _afternoons(inst: Instance, sessions: list[Session]) -> list[Afternoon]:
    return [Afternoon(event=event, kind=kind,
                      waves=[Wave(number=s.wave, date=s.date, practices=list(s.practices))
                             for s in sessions if s.event == event])
            for event, kind in inst.events]


def _better_start(plan: Plan, cover: int, than: Plan, than_cover: int) -> bool:
    """Whether `plan` (waves kept even, paying `cover` for cover) is the better plan to return
    than `than` (first fit): a plan beats none, and between two the even one must win by more
    than the cover it adds. For a large area the waves and cover of this plan are fixed before
    CP-SAT models the rest (solvers/cpsat, FIXED_WAVES_ABOVE), so its cover cost stays while the
    rest is what the search improves: on Norfolk and Waveney, even waves scored 420 better in
    greedy's plan and paid 5,400 more for cover, and CP-SAT after 60 s (two workers, seeds 0 and
    1) reached 1,396,812 and 1,387,584 from them against 1,387,432 and 1,367,574 from first fit."""
    if plan.solver.objective is None:
        return False
    if than.solver.objective is None:
        return True
    return plan.solver.objective + max(0, cover - than_cover) < than.solver.objective


def plan_given_sessions(instance: Instance, sessions: list[Session], cover: list[Cover]) -> Plan:
    """Greedy's runs, visits and seats for dates, waves and cover decided elsewhere."""
    scenario = instance.scenario
    planner = _Planner(instance)
    decisions = planner.plan((sessions, cover))
    return Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario),
                afternoons=decisions.afternoons, runs=decisions.runs, on_site=decisions.on_site,
                cover=decisions.cover, solver=SolverReport(name="greedy", status="FEASIBLE"))


class GreedySolver:
    name = "greedy"

    def __init__(self, start_dates: bool = False) -> None:
        """`start_dates`: as the CP-SAT search's start, try first the dates `even_dates` prefers
        (when the trainers can come, evenly spread) rather than the earliest; not when re-planning."""
        self.start_dates = start_dates

    def solve(self, scenario: Scenario, options: SolveOptions) -> Plan:
        """With several waves, the plan is made twice, waves packed first fit and kept even, and
        the better one is returned (`stats.waves_packed`). With a baseline (re-planning) both keep
        its dates, waves and cover where they still fit, and the score counts what changed."""
        started = time.perf_counter()
        instance = build_instance(scenario)
        candidates = sum(len(d) for d in instance.dates.values())
        best: tuple[Plan, int] | None = None
        first_dates = even_dates(instance) if self.start_dates and options.baseline is None else None
        for even in (False, True) if instance.waves > 1 else (False,):
            planner = _Planner(instance, even_waves=even, before=options.baseline, first_dates=first_dates)
            plan, cover = self._plan(scenario, instance, planner, options.baseline)
            if first_dates and plan.solver.status != "FEASIBLE":  # the earliest dates may still fit
                planner = _Planner(instance, even_waves=even, before=options.baseline)
                plan, cover = self._plan(scenario, instance, planner, options.baseline)
                plan.solver.stats["start_dates"] = "the earliest (the preferred left an event no date)"
            elif first_dates:
                kept = sum(a.waves[0].date == first_dates.get(a.event) for a in plan.afternoons if a.waves)
                plan.solver.stats["start_dates"] = f"preferred, {kept} of {len(first_dates)} kept"
            if options.baseline is not None and plan.solver.status != "FEASIBLE":  # as in an added event
                plan, cover = self._fewer_dates_kept(scenario, instance, even, options.baseline, (plan, cover))
            plan.solver.stats |= {"waves": instance.waves, "candidate_dates": candidates,
                                  "waves_packed": "even" if even else "first fit"}
            if best is None or _better_start(plan, cover, *best):
                best = plan, cover
        plan = best[0]
        plan.solver.time_limit, plan.solver.workers, plan.solver.seed = options.time_limit, options.workers, options.seed
        plan.solver.seconds = round(time.perf_counter() - started, 3)
        return plan

    def _fewer_dates_kept(self, scenario: Scenario, instance: Instance, even: bool, baseline: Plan,
                          failed: tuple[Plan, int]) -> tuple[Plan, int]:
        """Keeping every published date left some afternoon none: the better scoring (changes
        counted) of the plan keeping the dates of the most first afternoons that leave a plan (and
        each practice's wave and cover where they fit) and the plan made afresh; the failed plan,
        with its reason, when neither has a plan. On c-0002 (55 practices, an afternoon added)
        keeping the first date scored 2,901,388 and afresh 2,673,229; elsewhere keeping wins."""
        events = len(instance.events)
        found: list[tuple[Plan, int]] = []
        for keep in range(events - 1, -1, -1):
            planner = _Planner(instance, even_waves=even, before=baseline, keep_dates=keep)
            kept = self._plan(scenario, instance, planner, baseline)
            if kept[0].solver.status == "FEASIBLE":
                kept[0].solver.stats["baseline_dates"] = f"kept for the first {keep} of {events} afternoons"
                found.append(kept)
                break
        afresh = self._plan(scenario, instance, _Planner(instance, even_waves=even), baseline)
        if afresh[0].solver.status == "FEASIBLE":
            afresh[0].solver.stats["baseline_dates"] = "not kept, nor its waves and cover"
            found.append(afresh)
        if not found:
            return failed
        plan, cover = min(found, key=lambda pc: pc[0].solver.objective)
        plan.solver.stats["baseline_dates"] += " (keeping them all left an afternoon no date)"
        return plan, cover

    def _plan(self, scenario: Scenario, instance: Instance, planner: _Planner,
              baseline: Plan | None = None) -> tuple[Plan, int]:
        """The planner's plan, scored, with what it pays for cover (0 without a plan)."""
        report = SolverReport(name=self.name, status="FEASIBLE")
        plan = Plan(scenario_name=scenario.name, scenario_digest=scenario_digest(scenario), solver=report)
        try:
            decisions = planner.plan()
        except NoPlan as exc:
            report.status = "INFEASIBLE"
            report.stats["reason"] = str(exc)
            return plan, 0
        plan.afternoons, plan.runs = decisions.afternoons, decisions.runs
        plan.on_site, plan.cover = decisions.on_site, decisions.cover
        report.stats["unmet_seats"] = planner.unmet()
        score = score_plan(scenario, plan, baseline)
        report.objective = score.total
        return plan, score.terms["cost_cover"].weighted
