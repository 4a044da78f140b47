"""The external afternoons of a finished plan laid out again one session at a time with CP-SAT,
without the whole model: for the areas where it cannot be built (the decomposition's kept plan
at 6,300 practices, where no part is solved).

Greedy opens runs course by course in priority order and block by block, so by the time a
low-priority course that needs a special room comes (Excel: computers, two blocks) the suites are
taken, one block here and one there, by courses that could have gone elsewhere. At 6,300
generated practices greedy's plan leaves 20,970 Excel seats unmet while 1,151 computer-room
blocks stand idle; at 430 practices the whole model doubles the Excel runs (18 -> 40) by laying
the afternoons out differently, and that is most of what it gains on unmet demand.

For one external session (an afternoon's wave) every other decision stays: the dates, waves and
cover, the other sessions' runs and seats, the visits. What the session's practices still need
after them is its demand. The session is then modelled in counts only:

- runs per course, start block and room class (rooms open that day with the same features,
  capacity and cost), with at most the class's rooms in use in any block;
- trainers by kind (the same external skills and runs per afternoon), counting those free that
  day with an afternoon of the year left: per block a kind teaches at most as many runs as it has
  trainers, and in the afternoon at most that many times its runs per afternoon;
- seats per group of practices (each network: GROUP_PRACTICES), role, course and start block:
  within the runs' seats and the group's demand, at least the minimum group per run, and per
  block no more of a role in runs than the group's staff who still need something. Seats per
  practice were too many at 6,300 practices (a session holds about 2,100): CP-SAT had not loaded
  the model in 11-14 s. Seats per role alone, for the whole session, were far too loose (plt-1's
  first wave at 430 practices: 823,550 promised, 1,354,650 realised).

The objective is the plan's own: unmet seats by priority, rooms, and trainers (at the cheapest of
their kind; restaff.py chooses who afterwards). CP-SAT solves it from the session as it was (its
hint, complete: without the rooms in use hinted it returned worse plans than the hint), then the
counts are turned into a session: rooms by interval colouring within a class, trainers of each
kind (_teachers), each group's seats to its practices, multi-block courses first, then by
priority, each to the practices with most still needed and staff of the role free in the run's
blocks (a run left under its minimum group is dropped). A group's staff are not one pool, so the
practices can take fewer seats than the model promised; the session is kept only when its unmet
seats, rooms, trainers and broken weekday preferences cost less than before, counted exactly. The
whole plan is scored and held to the checker's room, trainer and seat rules at the end, and comes
back as it was should it score worse (the equity terms are not in the sessions' models) or break
a rule.

Measured (greedy's plan on its start dates, two workers):
- 6,300 practices, 180 s: 113,500,272 -> 112,456,892, 9 of 9 sessions laid out again (about
  20 s a session), 112,157,652 after restaff.py against 112,304,322 with restaff.py alone. But
  CP-SAT found nothing better than its hint there (plt-1's first wave, 30 s: with groups of 1,
  10 or 50 networks' practices, up to 15,037 variables, or 8 workers; bound 9,520,935 against
  10,125,220): every staff member of the session's 2,100 practices is already in a run in blocks
  1 and 2, and what stays unmet is life support and wound care (one clinical-skills room a venue)
  and Excel (two blocks of admin staff). The gain there is from realising the same counts with
  the cheapest trainers of each kind and small moves of seats.
- 430 practices, 45 s: 8,556,088 -> 8,496,778, 3 of 9; there the promised seats of plt-1's
  sessions were realised about 350,000 worse than the model said (a practice's staff busy in
  one block cannot stand in for another's), and those sessions stayed as they were. The whole
  model runs at that size.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.checker_rules import RULES
from models.checker_view import PlanView
from models.demand import compute_demand
from models.plan import CourseRun, Plan, Seat
from models.scenario import Course, Delivery, EventKind, Scenario, Trainer
from models.score import demand_met, score_plan

from .base import cpsat_limit, cpsat_solve
from .cpsat.external import VIRTUAL
from .decompose import parts_of

Session = tuple[str, int]


@dataclass(frozen=True)
class _RoomClass:
    rooms: tuple[str, ...]
    capacity: int
    features: frozenset[str]
    cost: int


@dataclass
class _Kind:
    """Trainers free on the session's date with the same external skills and runs per afternoon."""
    skills: frozenset[str]
    max_runs: int
    trainers: list[Trainer] = field(default_factory=list)


@dataclass
class Replanned:
    plan: Plan
    before: int  # the plan's score
    after: int
    sessions: int  # external sessions
    changed: int  # sessions whose new layout was kept
    note: str = ""

    def label(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"{self.before:,} -> {self.after:,} ({self.changed} of {self.sessions} sessions laid out again{note})"


class Stop:
    """Ends the search: no session is started after it is called, and the one being solved keeps
    what CP-SAT has found so far."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.solver: cp_model.CpSolver | None = None

    def __call__(self) -> None:
        self.event.set()
        if self.solver is not None:
            self.solver.stop_search()


def replan_sessions(scenario: Scenario, plan: Plan, seconds: float, workers: int = 2, seed: int = 0,
                    stop: Stop | None = None) -> Replanned:
    """The plan with its external sessions laid out again within about `seconds`, everything else
    as it was. With two or more workers each session has its share of what is left on the clock,
    building its model included; with one, each has `seconds` / sessions of CP-SAT's
    deterministic time, so the plan repeats (and the clock may run over)."""
    started = time.perf_counter()
    before = score_plan(scenario, plan).total
    out = plan.model_copy(deep=True)
    state = _State(scenario, out)
    view = state.view  # the dates and who closes when: the same for the copy
    sessions = sorted((s for s in view.dates if view.kinds.get(s[0]) is EventKind.external), key=view.dates.get)
    changed, skipped = 0, 0
    for k, session in enumerate(sessions):
        left = seconds - (time.perf_counter() - started)
        if (left <= 0 and workers > 1) or (stop is not None and stop.event.is_set()):
            skipped += 1
            continue
        share = left / (len(sessions) - k) if workers > 1 else seconds / len(sessions)
        changed += state.replan(session, view.dates[session], time.perf_counter() + share, share, workers, seed,
                                stop)
    note = f"{skipped} not tried: time spent or stopped" if skipped else ""
    if not changed:
        return Replanned(plan, before, before, len(sessions), 0, note)
    after = score_plan(scenario, out).total
    broken = _broken(scenario, out)
    if broken or after >= before:
        why = f"not kept: {broken[0]}" if broken else f"not kept: the whole plan scored {after:,}"
        return Replanned(plan, before, before, len(sessions), 0, "; ".join(filter(None, (note, why))))
    return Replanned(out, before, after, len(sessions), changed, note)


# Practices are modelled in groups of whole networks of about this many practices (1: each
# network alone); their seats are shared out to the practices after solving.
GROUP_PRACTICES = 1


def _groups(scenario: Scenario, size: int) -> dict[str, str]:
    """Practice -> its group: whole networks, about `size` practices a group (decompose.py's parts)."""
    network_group = {n: f"g{k}" for k, part in enumerate(parts_of(scenario, size)) for n in part}
    return {p.id: network_group[p.network] for p in scenario.practices}


def _broken(scenario: Scenario, plan: Plan) -> list[str]:
    """The checker's room, trainer and seat rules (H3 to H6) the plan breaks, in words."""
    view = PlanView(scenario, plan)
    return [v.message for rule in RULES for v in rule(view)]


class _State:
    """The plan being improved, with what every session's layout depends on kept up to date."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.scenario, self.plan = scenario, plan
        self.weights = scenario.policy.weights
        self.demand = compute_demand(scenario)
        self.met = Counter(demand_met(scenario, plan))
        self.courses = [c for c in scenario.courses if c.external]
        self.capacity = {room.id: room.capacity for _, room in scenario.all_rooms()}
        self.priority = {c.id: c.priority for c in scenario.courses}
        self.blocks = [b.id for b in scenario.calendar.blocks]
        self.practices = {p.id: p for p in scenario.practices}
        self.view = PlanView(scenario, plan)
        self.group_of = _groups(scenario, GROUP_PRACTICES)

    # -- one session ------------------------------------------------------------------------------

    def replan(self, session: Session, day: dt.date, deadline: float, seconds: float, workers: int, seed: int,
               stop: Stop | None) -> bool:
        """Lay `session` out again (by `deadline` on the clock with two or more workers, in
        `seconds` of deterministic time with one); whether its new layout was kept."""
        old = [r for r in self.plan.runs if (r.event, r.wave) == session]
        for run in old:
            for seat in run.seats:
                self.met[seat.practice, seat.role, run.course] -= seat.count
        practices = [p for p in self.view.closing.get(session, []) if p in self.practices]
        need = self._need(practices)
        kinds = self._kinds(session, day)
        classes = self._room_classes(day)
        layout = _Layout(self, need, practices, kinds, classes, self.group_of)
        if workers > 1:
            seconds = deadline - time.perf_counter()
        counts = layout.solve(old, max(0.05, seconds), workers, seed, stop)
        new = self._realise(session, counts, need, practices, kinds, classes, day) if counts else None
        if new is not None and self._cost(new, need, day) < self._cost(old, need, day):
            kept = new
            others = [r for r in self.plan.runs if (r.event, r.wave) != session]
            self.plan.runs = others + new
        else:
            kept = old
        for run in kept:
            for seat in run.seats:
                self.met[seat.practice, seat.role, run.course] += seat.count
        return kept is not old

    def _need(self, practices: list[str]) -> dict[tuple[str, str, str], int]:
        """(practice, role, course) -> seats still needed after the rest of the plan."""
        need = {}
        for pid in practices:
            heads = self.practices[pid].headcount
            for course in self.courses:
                for role in course.audience:
                    d = self.demand.get((pid, role, course.id), 0) - self.met[pid, role, course.id]
                    if d > 0 and heads.get(role, 0) > 0:
                        need[pid, role, course.id] = d
        return need

    def _kinds(self, session: Session, day: dt.date) -> list[_Kind]:
        """Trainers free on `day` (nowhere else that day, an afternoon of the year left) by kind."""
        skills = {c.needed_skill for c in self.courses}
        dates: dict[str, set[dt.date]] = defaultdict(set)
        for r in self.plan.runs:
            if (r.event, r.wave) != session:
                dates[r.trainer].add(self.view.dates[r.event, r.wave])
        for o in self.plan.on_site:
            dates[o.trainer].add(self.view.dates[o.event, o.wave])
        kinds: dict[tuple[frozenset[str], int], _Kind] = {}
        for t in self.scenario.trainers:
            own = frozenset(skills.intersection(t.skills))
            worked = dates.get(t.id, set())
            if not own or day in t.unavailable or day in worked or len(worked) >= t.max_afternoons_per_year:
                continue
            kinds.setdefault((own, t.max_runs_per_afternoon), _Kind(own, t.max_runs_per_afternoon)).trainers.append(t)
        return [kinds[k] for k in sorted(kinds, key=lambda k: (sorted(k[0]), k[1]))]

    def _room_classes(self, day: dt.date) -> list[_RoomClass]:
        groups: dict[tuple, list[str]] = defaultdict(list)
        for venue, room in self.scenario.all_rooms():
            if day in venue.unavailable or day in room.unavailable:
                continue
            groups[frozenset(room.features), room.capacity, room.cost_per_afternoon].append(room.id)
        return [_RoomClass(tuple(ids), cap, feats, cost) for (feats, cap, cost), ids in sorted(
            groups.items(), key=lambda kv: (sorted(kv[0][0]), kv[0][1], kv[0][2]))]

    # -- counts into runs -------------------------------------------------------------------------

    def _realise(self, session: Session, counts: _Counts, need: dict, practices: list[str],
                 kinds: list[_Kind], classes: list[_RoomClass], day: dt.date) -> list[CourseRun] | None:
        courses = {c.id: c for c in self.courses}
        rooms = _colour(counts.runs, classes, courses)
        teachers = _teachers(counts.teach, kinds, courses, day, self.weights)
        if rooms is None or teachers is None:
            return None
        slots: dict[tuple[str, int], list[tuple[str | None, int, str]]] = defaultdict(list)
        for course_id, start, room, trainer in _slots(sorted(rooms), rooms, teachers):
            course = courses[course_id]
            capacity = course.max_group if room is None else min(course.max_group, self.capacity[room])
            slots[course_id, start].append((room, capacity, trainer))
        seats = self._to_practices(counts.seats, need, practices, courses)
        runs = []
        for (course_id, start), held in sorted(slots.items()):
            course = courses[course_id]
            blocks = [self.blocks[b] for b in range(start, start + course.blocks)]
            given_seats = seats.get((course_id, start), [])
            total = sum(n for _, _, n in given_seats)
            held = held[:total // course.min_group]  # runs left under their minimum group go
            if not held:
                continue
            given_seats = _trim(given_seats, sum(cap for _, cap, _ in held))
            for n, ((room, _, trainer), given) in enumerate(zip(held, _pour(held, given_seats, course),
                                                              strict=True)):
                where = room or f"virtual-{n + 1}"
                runs.append(CourseRun(id=f"{session[0]}/w{session[1]}/{course_id}/{blocks[0]}/{where}",
                                      event=session[0], wave=session[1], course=course_id, blocks=blocks,
                                      room=room, trainer=trainer, seats=given))
        return runs

    def _to_practices(self, seats: dict[tuple[str, int], list[tuple[str, str, int]]], need: dict,
                      practices: list[str], courses: dict[str, Course]) -> dict[tuple[str, int], list[tuple[str, str, int]]]:
        """Each group's seats to its practices: highest priority first, each to the practices with
        most still needed and staff of the role free in every block of the run."""
        members: dict[str, list[str]] = defaultdict(list)
        for p in practices:
            members[self.group_of[p]].append(p)
        left = dict(need)
        busy: Counter[tuple[str, str, int]] = Counter()
        out: dict[tuple[str, int], list[tuple[str, str, int]]] = defaultdict(list)
        for (course_id, start), held in sorted(seats.items(), key=lambda kv: (-courses[kv[0][0]].blocks, -courses[kv[0][0]].priority, kv[0])):
            span = range(start, start + courses[course_id].blocks)
            for g, r, n in held:
                for p in sorted(members[g], key=lambda p: (-left.get((p, r, course_id), 0), p)):
                    if n == 0:
                        break
                    heads = self.practices[p].headcount.get(r, 0)
                    take = min(n, left.get((p, r, course_id), 0), heads - max(busy[p, r, b] for b in span))
                    if take <= 0:
                        continue
                    out[course_id, start].append((p, r, take))
                    left[p, r, course_id] -= take
                    for b in span:
                        busy[p, r, b] += take
                    n -= take
        return out

    def _cost(self, runs: list[CourseRun], need: dict, day: dt.date) -> int:
        """The session's part of the score: unmet seats of its practices, rooms, trainers and
        broken weekday preferences."""
        w = self.weights
        seats: Counter[tuple[str, str, str]] = Counter()
        for run in runs:
            for seat in run.seats:
                seats[seat.practice, seat.role, run.course] += seat.count
        unmet = sum(self.priority[c] * max(0, d - seats[p, r, c]) for (p, r, c), d in need.items())
        rooms = {r.room for r in runs if r.room is not None}
        trainers = {t.id: t for t in self.scenario.trainers}
        room_cost = {room.id: room.cost_per_afternoon for _, room in self.scenario.all_rooms()}
        cost = sum(room_cost[r] for r in rooms) + sum(trainers[r.trainer].cost_per_run for r in runs)
        broken = sum(trainers[t].breaks_weekday(day) for t in {r.trainer for r in runs})
        return w.unmet * unmet + w.cost * cost + w.preferences * broken


@dataclass
class _Counts:
    runs: dict[tuple[str, int, int], int]  # (course, start, class index or VIRTUAL) -> runs
    teach: dict[tuple[int, str, int], int]  # (kind index, course, start) -> runs
    seats: dict[tuple[str, int], list[tuple[str, str, int]]]  # (course, start) -> (practice, role, seats)


class _Layout:
    """One session's CP-SAT model (see the module's docstring)."""

    def __init__(self, state: _State, need: dict, practices: list[str], kinds: list[_Kind],
                 classes: list[_RoomClass], group_of: dict[str, str]) -> None:
        self.state, self.kinds, self.classes, self.group_of = state, kinds, classes, group_of
        w = state.weights
        m = self.model = cp_model.CpModel()
        nblocks = len(state.blocks)
        self.runs: dict[tuple[str, int, int], cp_model.IntVar] = {}
        self.teach: dict[tuple[int, str, int], cp_model.IntVar] = {}
        self.seats: dict[tuple[str, str, str, int], cp_model.IntVar] = {}
        # Groups of practices: their need, and per block their staff of a role who can be in runs
        # (each practice's staff of the role who still need something, at most its headcount).
        gneed: Counter[tuple[str, str, str]] = Counter()
        gtop: Counter[tuple[str, str, str]] = Counter()  # one block's seats of one course
        wanting_role: Counter[tuple[str, str]] = Counter()
        heads_of = {p: state.practices[p].headcount for p in practices}
        for (p, r, c), d in need.items():
            g = group_of[p]
            gneed[g, r, c] += d
            gtop[g, r, c] += min(d, heads_of[p].get(r, 0))
            wanting_role[p, r] += d
        gheads: Counter[tuple[str, str]] = Counter()
        for (p, r), d in wanting_role.items():
            gheads[group_of[p], r] += min(d, heads_of[p].get(r, 0))
        self.need = dict(gneed)
        by_course: dict[str, list[tuple[str, str, int, int]]] = defaultdict(list)
        for (g, r, c), d in gneed.items():
            by_course[c].append((g, r, d, min(d, gtop[g, r, c])))
        occupying_room: dict[tuple[int, int], list] = defaultdict(list)
        occupying_kind: dict[tuple[int, int], list] = defaultdict(list)
        occupying_person: dict[tuple[str, str, int], list] = defaultdict(list)
        unmet, cost = [], []
        for course in state.courses:
            wanting = by_course.get(course.id, [])
            able = [i for i, k in enumerate(kinds) if course.needed_skill in k.skills]
            if course.delivery is Delivery.virtual:
                fits = [(VIRTUAL, course.max_group)]
            else:
                fits = [(i, min(course.max_group, k.capacity)) for i, k in enumerate(classes)
                        if set(course.room_features) <= k.features and k.capacity >= course.min_group]
            if not wanting or not able or not fits:
                continue
            seats_of: dict[tuple[str, str], list] = defaultdict(list)
            for b in range(nblocks - course.blocks + 1):
                span = range(b, b + course.blocks)
                runs, capacity = [], []
                for cls, size in fits:
                    top = sum(len(kinds[i].trainers) for i in able) if cls == VIRTUAL else len(classes[cls].rooms)
                    var = m.new_int_var(0, top, f"runs({course.id},b{b},{cls})")
                    self.runs[course.id, b, cls] = var
                    runs.append(var)
                    capacity.append(size * var)
                    if cls != VIRTUAL:
                        for block in span:
                            occupying_room[cls, block].append(var)
                teachers = []
                for i in able:
                    var = m.new_int_var(0, len(kinds[i].trainers), f"teach({i},{course.id},b{b})")
                    self.teach[i, course.id, b] = var
                    teachers.append(var)
                    cost.append(min(t.cost_per_run for t in kinds[i].trainers) * var)
                    for block in span:
                        occupying_kind[i, block].append(var)
                m.add(sum(teachers) == sum(runs))
                seats = []
                for g, r, d, top in wanting:
                    var = m.new_int_var(0, top, f"seats({g},{r},{course.id},b{b})")
                    self.seats[g, r, course.id, b] = var
                    seats.append(var)
                    seats_of[g, r].append(var)
                    for block in span:
                        occupying_person[g, r, block].append((var, top))
                m.add(sum(seats) <= sum(capacity))
                m.add(sum(seats) >= course.min_group * sum(runs))
            for (g, r), vs in seats_of.items():
                d = gneed[g, r, course.id]
                if len(vs) > 1:
                    m.add(sum(vs) <= d)
                unmet.append(course.priority * (d - sum(vs)))
        used = self.used = {}
        self.occupying = occupying_room
        for (cls, _), vs in occupying_room.items():
            if cls not in used:
                used[cls] = m.new_int_var(0, len(classes[cls].rooms), f"used({cls})")
                cost.append(classes[cls].cost * used[cls])
            m.add(sum(vs) <= used[cls])
        for (i, _), vs in occupying_kind.items():
            m.add(sum(vs) <= len(kinds[i].trainers))
        per_kind: dict[int, list] = defaultdict(list)
        for (i, _, _), var in self.teach.items():
            per_kind[i].append(var)
        for i, vs in per_kind.items():
            m.add(sum(vs) <= kinds[i].max_runs * len(kinds[i].trainers))
        for (g, r, _), entries in occupying_person.items():
            heads = gheads[g, r]
            if sum(top for _, top in entries) > heads:
                m.add(sum(var for var, _ in entries) <= heads)
        m.minimize(w.unmet * sum(unmet) + w.cost * sum(cost))

    def solve(self, old: list[CourseRun], seconds: float, workers: int, seed: int,
              stop: Stop | None = None) -> _Counts | None:
        self._hint(old)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        net = cpsat_limit(solver.parameters, seconds, workers == 1)
        if stop is not None:
            stop.solver = solver
            if stop.event.is_set():
                return None
        try:
            status = cpsat_solve(solver, self.model, net)
        finally:
            if stop is not None:
                stop.solver = None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        runs = {k: solver.value(v) for k, v in self.runs.items() if solver.value(v)}
        teach = {k: solver.value(v) for k, v in self.teach.items() if solver.value(v)}
        seats: dict[tuple[str, int], list[tuple[str, str, int]]] = defaultdict(list)
        for (p, r, c, b), var in self.seats.items():
            if (n := solver.value(var)) > 0:
                seats[c, b].append((p, r, n))
        return _Counts(runs, teach, seats)

    def _hint(self, old: list[CourseRun]) -> None:
        """The session as it was, in counts (a hint only: CP-SAT repairs what does not fit)."""
        state = self.state
        index = {b: i for i, b in enumerate(state.blocks)}
        room_class = {room: i for i, k in enumerate(self.classes) for room in k.rooms}
        kind_of = {t.id: i for i, k in enumerate(self.kinds) for t in k.trainers}
        runs: Counter = Counter()
        teach: Counter = Counter()
        for run in old:
            b = index[run.blocks[0]]
            runs[run.course, b, VIRTUAL if run.room is None else room_class.get(run.room)] += 1
            teach[kind_of.get(run.trainer), run.course, b] += 1
        for key, var in self.runs.items():
            self.model.add_hint(var, runs[key])
        values = dict(zip(self.runs.values(), (runs[k] for k in self.runs), strict=True))
        for cls, var in self.used.items():
            self.model.add_hint(var, max(sum(values[v] for v in vs) for (k, _), vs in self.occupying.items()
                                         if k == cls))
        for key, var in self.teach.items():
            self.model.add_hint(var, teach[key])
        seats: Counter = Counter()
        for run in old:
            for seat in run.seats:
                seats[self.group_of[seat.practice], seat.role, run.course, index[run.blocks[0]]] += seat.count
        for key, var in self.seats.items():
            self.model.add_hint(var, seats[key])


def _colour(runs: dict[tuple[str, int, int], int], classes: list[_RoomClass],
            courses: dict[str, Course]) -> dict[tuple[str, int, int], list[str | None]] | None:
    """(course, start, class) -> its rooms: interval colouring, earliest start first, which needs
    no more rooms of a class than its busiest block (None for virtual runs)."""
    busy: dict[str, set[int]] = defaultdict(set)
    out: dict[tuple[str, int, int], list[str | None]] = {}
    for (course, start, cls), n in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        if cls == VIRTUAL:
            out[course, start, cls] = [None] * n
            continue
        span = set(range(start, start + courses[course].blocks))
        free = [room for room in classes[cls].rooms if not busy[room] & span][:n]
        if len(free) < n:
            return None
        for room in free:
            busy[room].update(span)
        out[course, start, cls] = free
    return out


def _teachers(teach: dict[tuple[int, str, int], int], kinds: list[_Kind], courses: dict[str, Course],
              day: dt.date, weights) -> dict[tuple[str, int], list[str]] | None:
    """(course, start) -> trainer ids: each kind's runs, earliest start first, each to the
    cheapest of its trainers free in the blocks and under their runs per afternoon, those already
    teaching that afternoon first; when that leaves a run without a trainer (11 trainers of two
    runs each for 4, 7 and 11 runs in the three blocks: the first four taught twice by the
    second block), those with the most runs left first."""
    return _teachers_by(teach, kinds, courses, day, weights, balanced=False) or \
        _teachers_by(teach, kinds, courses, day, weights, balanced=True)


def _teachers_by(teach: dict[tuple[int, str, int], int], kinds: list[_Kind], courses: dict[str, Course],
                 day: dt.date, weights, balanced: bool) -> dict[tuple[str, int], list[str]] | None:
    busy: dict[str, set[int]] = defaultdict(set)
    taught: Counter[str] = Counter()
    out: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (i, course, start), n in sorted(teach.items(), key=lambda kv: (kv[0][2], -courses[kv[0][1]].blocks,
                                                                        kv[0][0], kv[0][1])):
        kind = kinds[i]
        span = set(range(start, start + courses[course].blocks))
        order = sorted(kind.trainers, key=lambda t: (
            taught[t.id] - t.max_runs_per_afternoon if balanced else taught[t.id] == 0,
            t.cost_per_run * weights.cost + weights.preferences * t.breaks_weekday(day), t.id))
        for t in order:
            if n == 0:
                break
            if taught[t.id] < t.max_runs_per_afternoon and not busy[t.id] & span:
                busy[t.id].update(span)
                taught[t.id] += 1
                out[course, start].append(t.id)
                n -= 1
        if n:
            return None
    return out


def _slots(order: list[tuple[str, int, int]], rooms: dict, teachers: dict):
    """(course, start, room, trainer) for every run, in `order`."""
    handed: Counter[tuple[str, int]] = Counter()
    for course, start, cls in order:
        for room in rooms[course, start, cls]:
            who = teachers[course, start][handed[course, start]]
            handed[course, start] += 1
            yield course, start, room, who


def _trim(seats: list[tuple[str, str, int]], capacity: int) -> list[tuple[str, str, int]]:
    """The seats, the last ones dropped beyond `capacity`."""
    out = []
    for p, r, n in seats:
        take = min(n, capacity)
        if take > 0:
            out.append((p, r, take))
        capacity -= take
    return out


def _pour(held: list[tuple[str | None, int, str]], seats: list[tuple[str, str, int]],
          course: Course) -> list[list[Seat]]:
    """The seats of one course and start shared out over its runs: each at least the minimum
    group, the rest one seat at a time up to each run's capacity, practices in order."""
    caps = [cap for _, cap, _ in held]
    sizes = [min(course.min_group, cap) for cap in caps]
    left = sum(n for _, _, n in seats) - sum(sizes)
    while left > 0:
        for i, cap in enumerate(caps):
            if left and sizes[i] < cap:
                sizes[i] += 1
                left -= 1
    out: list[list[Seat]] = [[] for _ in held]
    queue = [[p, r, n] for p, r, n in seats]
    i = 0
    for k, size in enumerate(sizes):
        while size > 0:
            p, r, n = queue[i]
            take = min(n, size)
            out[k].append(Seat(practice=p, role=r, count=take))
            size -= take
            queue[i][2] -= take
            if queue[i][2] == 0:
                i += 1
    return out


def sessions_into(scenario: Scenario, plan: Plan, seconds: float, workers: int, seed: int) -> tuple[int, bool]:
    """`replan_sessions` in a worker thread (Ctrl-C ends the session being solved, keeping what
    CP-SAT found, and starts no other), and the plan takes its result in place: its runs, its
    objective and `stats.sessions_again`. Returns what was saved and whether Ctrl-C came."""
    from .base import run_interruptibly

    stop = Stop()
    result: list[Replanned] = []
    interrupted = run_interruptibly(lambda: result.append(replan_sessions(scenario, plan, seconds, workers, seed, stop)),
                                    stop)
    done = result[0]
    report = plan.solver
    report.stats["sessions_again"] = done.label()
    if interrupted:
        report.stats["interrupted"] = True
    saved = done.before - done.after
    if saved <= 0:
        return 0, interrupted
    plan.runs = done.plan.runs
    report.objective = done.after
    return saved, interrupted
