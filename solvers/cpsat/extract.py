"""Turns a CP-SAT solution into plan decisions: dates, waves, runs with concrete rooms and
trainers, seats split across runs within their bounds, on-site courses and cover."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from models.plan import Afternoon, CourseRun, Cover, OnSiteCourse, Seat, Wave
from models.score import counted_apart

from .external import VIRTUAL, seats_per_run
from .model import PltModel, grouped

Value = Callable[[object], int]


def afternoons(m: PltModel, value: Value) -> list[Afternoon]:
    inst = m.instance
    out = []
    for event, kind in inst.events:
        waves = []
        for wave in range(1, inst.waves + 1):
            chosen = [d for d in inst.wave_dates(event, wave) if value(m.on_date[event, wave, d])]
            if not chosen:
                continue
            members = [p.id for p in inst.scenario.practices if value(m.in_wave[event, p.id, wave])]
            waves.append(Wave(number=wave, date=chosen[0], practices=members))
        out.append(Afternoon(event=event, kind=kind, waves=waves))
    return out


def _assign_rooms(m: PltModel, value: Value, event: str, wave: int) -> dict[tuple[str, int, int], list[str]]:
    """(course, start, class) -> rooms. A run the baseline had keeps its baseline room where it
    can (so stability counts match); if keeping rooms blocks a longer run, plain colouring.

    The model counts a class's rooms as the most runs at once and a change per run moved from
    its (course, start, class), not its room. Kept runs in different rooms of one class at
    different blocks book more rooms than that count: then the colouring that costs the plan
    less, rooms and changes against the baseline as the score counts them, is taken, and the
    plan's score, not the model's objective, is reported (see `solvers.cpsat._complete`)."""
    kept = _baseline_rooms(m, event, wave)
    plain = _colour(m, value, event, wave, {})
    if not kept:
        return plain
    try:
        keeping = _colour(m, value, event, wave, kept)
    except _NoRoom:
        return plain
    return min((keeping, plain), key=lambda rooms: _cost(m, rooms, kept))  # keeping on a tie


def _cost(m: PltModel, rooms: dict[tuple[str, int, int], list[str]], kept: dict[tuple[str, int], list[str]]) -> int:
    """What one session's room assignment adds to the plan's score: its rooms booked, and its
    runs that are not in the baseline's (course, start, room), or the baseline's not in it."""
    cost = {room: k.cost for k in m.instance.room_classes for room in k.rooms}
    now = Counter((c, b, room) for (c, b, _), booked in rooms.items() for room in booked)
    before = Counter((c, b, room) for (c, b), booked in kept.items() for room in booked)
    weights = m.instance.scenario.policy.weights
    return weights.cost * sum(cost[room] for room in {room for _, _, room in now}) + \
        weights.stability * counted_apart(now, before)


class _NoRoom(Exception):
    pass


def _colour(m: PltModel, value: Value, event: str, wave: int,
            kept: dict[tuple[str, int], list[str]]) -> dict[tuple[str, int, int], list[str]]:
    """Interval colouring: earliest start takes the first free room (optimal without kept rooms),
    a room already in use before one that is not. The model counts a class's rooms used as the
    most runs at once; a run that kept its baseline room can leave that room free for others, and
    taking the next room in the list instead booked one more room than the model counted (a
    property test's re-plan: rooms 530 in the plan's score against 370 in the objective)."""
    inst = m.instance
    lengths = {c.id: c.blocks for c in inst.external_courses}
    rooms_of = {k.index: list(k.rooms) for k in inst.room_classes}
    busy: dict[str, set[int]] = {}
    out: dict[tuple[str, int, int], list[str]] = {}
    keys = sorted(((b, c, cls) for (e, w, c, b, cls), var in m.runs.items()
                   if (e, w) == (event, wave) and cls != VIRTUAL and value(var)))
    for first_pass in (True, False):  # baseline rooms first, then the rest
        for b, c, cls in keys:
            span = set(range(b, b + lengths[c]))
            wanted = value(m.runs[event, wave, c, b, cls]) - len(out.get((c, b, cls), []))
            if first_pass:
                candidates = [r for r in kept.get((c, b), []) if r in rooms_of[cls]]
            else:  # rooms already in use first: a kept room is no reason to open another (the model counts them)
                candidates = sorted(rooms_of[cls], key=lambda r: r not in busy)
            for room in candidates:
                if wanted == 0:
                    break
                if not busy.get(room, set()) & span:
                    busy.setdefault(room, set()).update(span)
                    out.setdefault((c, b, cls), []).append(room)
                    wanted -= 1
            if not first_pass and wanted:
                raise _NoRoom
    return out


def _baseline_rooms(m: PltModel, event: str, wave: int) -> dict[tuple[str, int], list[str]]:
    if m.baseline is None:
        return {}
    block = {b: i for i, b in enumerate(m.instance.blocks)}
    out: dict[tuple[str, int], list[str]] = {}
    for run in m.baseline.runs:
        if (run.event, run.wave) == (event, wave) and run.room and run.blocks[0] in block:
            out.setdefault((run.course, block[run.blocks[0]]), []).append(run.room)
    return out


def _targets(sizes_min: int, caps: list[int], total: int) -> list[int]:
    """Run sizes: every run at least the minimum, the rest spread one seat at a time."""
    sizes = [min(sizes_min, cap) for cap in caps]
    left = total - sum(sizes)
    while left > 0:
        progressed = False
        for i, cap in enumerate(caps):
            if left and sizes[i] < cap:
                sizes[i] += 1
                left -= 1
                progressed = True
        if not progressed:
            raise RuntimeError("seats exceed the runs' capacity; the model should have prevented this")
    return sizes


def _paired(slots: list[tuple[str | None, int]], teachers: list[str],
            before: list[tuple[str | None, str]]) -> list[str]:
    """The teachers in the order of the slots (rooms; None for a virtual run): a run the
    baseline had in a room keeps its trainer there where that trainer still teaches at this
    start, a virtual run likewise, and the rest go in order. Paired blindly, two trainers of one
    course and block could swap rooms, a change in both their feeds that nothing asked for."""
    if len(teachers) != len(slots):
        raise RuntimeError(f"{len(teachers)} trainers for {len(slots)} runs; the model should have prevented this")
    free = list(teachers)
    paired: list[str | None] = []
    for room, _ in slots:
        trainer = next((t for r, t in before if r == room and t in free), None)
        if trainer is not None:
            free.remove(trainer)
        paired.append(trainer)
    rest = iter(free)
    return [t if t is not None else next(rest) for t in paired]


def course_runs(m: PltModel, value: Value) -> list[CourseRun]:
    inst = m.instance
    classes = {k.index: k for k in inst.room_classes}
    runs_of = grouped(m.runs, lambda k: k[:4])
    teachers_of = grouped(m.teaches, lambda k: (k[0], k[1], k[3], k[4]))
    seats_of = grouped(m.seats, lambda k: (k[0], k[1], k[4], k[5]))
    taught: dict[tuple[str, int, str, str], list[tuple[str | None, str]]] = {}  # the baseline's (room, trainer)
    for run in m.baseline.runs if m.baseline is not None else []:
        taught.setdefault((run.event, run.wave, run.course, run.blocks[0]), []).append((run.room, run.trainer))
    out: list[CourseRun] = []
    for event, wave in m.sessions("external"):
        rooms = _assign_rooms(m, value, event, wave)
        for course in inst.external_courses:
            for b in range(len(inst.blocks) - course.blocks + 1):
                slots: list[tuple[str | None, int]] = []
                here = (event, wave, course.id, b)
                for cls in sorted(k[4] for k in runs_of.get(here, {})):
                    n = value(m.runs[event, wave, course.id, b, cls])
                    cap = seats_per_run(course, cls, classes)
                    if cls == VIRTUAL:
                        slots += [(None, cap)] * n
                    else:
                        slots += [(room, cap) for room in rooms.get((course.id, b, cls), [])]
                if not slots:
                    continue
                teachers = _paired(slots, sorted(k[2] for k, var in teachers_of.get(here, {}).items() if value(var)),
                                   taught.get((event, wave, course.id, inst.blocks[b]), []))
                seats = [(k[2], k[3], value(var)) for k, var in seats_of.get(here, {}).items() if value(var)]
                sizes = _targets(course.min_group, [cap for _, cap in slots], sum(n for _, _, n in seats))
                block_ids = inst.blocks[b:b + course.blocks]
                for i, ((room, _), trainer, size) in enumerate(zip(slots, teachers, sizes, strict=True)):
                    taken: list[Seat] = []
                    while size > 0:
                        p, r, n = seats[0]
                        take = min(n, size)
                        taken.append(Seat(practice=p, role=r, count=take))
                        size -= take
                        seats[0] = (p, r, n - take)
                        if seats[0][2] == 0:
                            seats.pop(0)
                    where = room or f"virtual-{i + 1}"
                    out.append(CourseRun(id=f"{event}/w{wave}/{course.id}/{block_ids[0]}/{where}", event=event,
                                         wave=wave, course=course.id, blocks=block_ids, room=room,
                                         trainer=trainer, seats=_merge(taken)))
    return out


def _merge(seats: list[Seat]) -> list[Seat]:
    merged: dict[tuple[str, str], int] = {}
    for s in seats:
        merged[s.practice, s.role] = merged.get((s.practice, s.role), 0) + s.count
    return [Seat(practice=p, role=r, count=n) for (p, r), n in merged.items()]


def on_site(m: PltModel, value: Value) -> list[OnSiteCourse]:
    return [OnSiteCourse(event=e, wave=w, practice=p, course=c, trainer=t)
            for (e, w, p, c, t), var in m.visits.items() if value(var)]


def cover(m: PltModel, value: Value) -> list[Cover]:
    return [Cover(event=e, wave=w, practice=p, provider=prov)
            for (e, w, p, prov), var in m.covers.items() if value(var)]
