"""Hard rules H3 to H6 of the independent checker: rooms, trainers, seats, mandatory training.

Each function takes a `PlanView` and returns the violations of one rule. A run that names an
unknown id is reported once, by the rule that owns that id, and skipped by the rules that
need it; `RULES` lists them all in rule order for `models.checker.check_plan`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import pairwise

from .checker_view import PlanView, Session, Violation, session_id, violation
from .scenario import Delivery, EventKind
from .score import unmet_demand

# H3: rooms -----------------------------------------------------------------------------------


def runs_at_external_waves(view: PlanView) -> list[Violation]:
    """Hard: course runs only at external afternoons, in waves the plan holds."""
    out: list[Violation] = []
    for run in view.plan.runs:
        kind = view.kinds.get(run.event)
        if kind is None:
            out.append(violation("H3", "unknown_event", f"run {run.id} is at afternoon {run.event}, "
                                 "which is not in the programme", run.id, run.event))
        elif kind is EventKind.internal:
            out.append(violation("H3", "run_at_internal_afternoon", f"run {run.id} ({run.course}) is at "
                                 f"{run.event}, an internal afternoon; courses there run on site", run.id, run.event))
        elif view.date(run.event, run.wave) is None:
            out.append(violation("H3", "run_in_missing_wave", f"run {run.id} is in {run.event} wave {run.wave}, "
                                 "which the plan does not hold", run.id, session_id(run.event, run.wave)))
    return out


def room_fits_delivery(view: PlanView) -> list[Violation]:
    """Hard: a face-to-face run has a room that exists; a virtual run has none."""
    out: list[Violation] = []
    for run in view.plan.runs:
        course = view.courses.get(run.course)
        if run.room is not None and run.room not in view.rooms:
            out.append(violation("H3", "unknown_room", f"run {run.id} is in room {run.room}, "
                                 "which is not in the scenario", run.id, run.room))
        if course is None:
            continue
        if course.delivery is Delivery.face_to_face and run.room is None:
            out.append(violation("H3", "room_missing", f"run {run.id} of {course.id} is face to face "
                                 "but has no room", run.id, course.id))
        elif course.delivery is Delivery.virtual and run.room is not None:
            out.append(violation("H3", "virtual_run_in_room", f"run {run.id} of {course.id} is virtual "
                                 f"but books room {run.room}", run.id, run.room))
    return out


def room_double_booked(view: PlanView) -> list[Violation]:
    """Hard: at most one run per room per block in each wave."""
    out: list[Violation] = []
    booked: dict[tuple[str, int, str, str], list[str]] = defaultdict(list)
    for run in view.plan.runs:
        if run.room in view.rooms:
            for block in view.run_blocks(run):
                booked[run.event, run.wave, run.room, block].append(run.id)
    for (event, wave, room, block), runs in sorted(booked.items()):
        if len(runs) > 1:
            out.append(violation("H3", "room_double_booked", f"room {room} holds runs {', '.join(runs)} in "
                                 f"block {block} of {view.when(event, wave)}; one run per room per block",
                                 session_id(event, wave), room, block, *runs))
    return out


def room_over_capacity(view: PlanView) -> list[Violation]:
    """Hard: a run seats no more people than its room holds."""
    out: list[Violation] = []
    for run in view.plan.runs:
        if run.room in view.rooms:
            room = view.rooms[run.room][1]
            if run.size > room.capacity:
                out.append(violation("H3", "room_over_capacity", f"run {run.id} seats {run.size} in room "
                                     f"{room.id}, which holds {room.capacity}", run.id, room.id))
    return out


def room_lacks_features(view: PlanView) -> list[Violation]:
    """Hard: the room has every feature the course needs."""
    out: list[Violation] = []
    for run in view.plan.runs:
        course = view.courses.get(run.course)
        if run.room in view.rooms and course is not None:
            room = view.rooms[run.room][1]
            missing = sorted(set(course.room_features) - set(room.features))
            if missing:
                out.append(violation("H3", "room_lacks_features", f"run {run.id} of {course.id} needs "
                                     f"{', '.join(missing)}, which room {room.id} lacks", run.id, room.id))
    return out


def room_unavailable(view: PlanView) -> list[Violation]:
    """Hard: neither the room nor its venue is unavailable on the run's date."""
    out: list[Violation] = []
    for run in view.plan.runs:
        date = view.date(run.event, run.wave)
        if run.room not in view.rooms or date is None:
            continue
        venue, room = view.rooms[run.room]
        if date in room.unavailable:
            out.append(violation("H3", "room_unavailable", f"run {run.id} is in room {room.id} in "
                                 f"{view.when(run.event, run.wave)}, when the room is unavailable",
                                 run.id, room.id, date))
        if date in venue.unavailable:
            out.append(violation("H3", "venue_unavailable", f"run {run.id} is at {venue.name} ({venue.id}) in "
                                 f"{view.when(run.event, run.wave)}, when the venue is unavailable",
                                 run.id, venue.id, date))
    return out


# H4: trainers --------------------------------------------------------------------------------

Work = tuple[str, Session, tuple[str, ...], str]  # trainer, session, blocks busy, what (run id / on-site)


def _work(view: PlanView) -> list[Work]:
    """Every place a trainer teaches; an on-site visit fills the whole afternoon."""
    items: list[Work] = [(r.trainer, (r.event, r.wave), tuple(view.run_blocks(r)), f"run {r.id}")
                         for r in view.plan.runs]
    items += [(o.trainer, (o.event, o.wave), tuple(view.all_blocks()), f"on-site {o.course} at {o.practice}")
              for o in view.plan.on_site]
    return items


def trainer_lacks_skill(view: PlanView) -> list[Violation]:
    """Hard: the trainer exists and has the course's skill; on-site trainers deliver on site."""
    out: list[Violation] = []
    taught = [(r.trainer, r.course, f"run {r.id}", False) for r in view.plan.runs]
    taught += [(o.trainer, o.course, f"on-site {o.course} at {o.practice} in {o.event}", True)
               for o in view.plan.on_site]
    for tid, cid, what, on_site in taught:
        trainer, course = view.trainers.get(tid), view.courses.get(cid)
        if trainer is None:
            out.append(violation("H4", "unknown_trainer", f"{what} names trainer {tid}, who is not in the "
                                 "scenario", tid))
            continue
        if course is not None and course.needed_skill not in trainer.skills:
            out.append(violation("H4", "trainer_lacks_skill", f"{tid} teaches {what} but lacks skill "
                                 f"{course.needed_skill}", tid, cid))
        if on_site and not trainer.on_site:
            out.append(violation("H4", "trainer_not_on_site", f"{tid} is sent to {what} but does not "
                                 "deliver on site", tid, cid))
    return out


def trainer_unavailable(view: PlanView) -> list[Violation]:
    """Hard: a trainer teaches only on dates they are available."""
    out: list[Violation] = []
    for tid, (event, wave), _, what in _work(view):
        trainer, date = view.trainers.get(tid), view.date(event, wave)
        if trainer and date and date in trainer.unavailable:
            out.append(violation("H4", "trainer_unavailable", f"{tid} teaches {what} in "
                                 f"{view.when(event, wave)} but is unavailable that day", tid, date))
    return out


def trainer_in_two_places(view: PlanView) -> list[Violation]:
    """Hard: a trainer is in one place per block; an on-site visit takes the whole afternoon."""
    out: list[Violation] = []
    busy: dict[tuple[str, Session, str], list[str]] = defaultdict(list)
    for tid, session, blocks, what in _work(view):
        for block in blocks:
            busy[tid, session, block].append(what)
    for (tid, (event, wave), block), whats in sorted(busy.items()):
        if len(whats) > 1:
            out.append(violation("H4", "trainer_in_two_places", f"{tid} is booked for {' and '.join(whats)} "
                                 f"in block {block} of {view.when(event, wave)}",
                                 tid, session_id(event, wave), block))
    return out


def trainer_over_runs_per_afternoon(view: PlanView) -> list[Violation]:
    """Hard: runs plus on-site visits per trainer per wave within max_runs_per_afternoon."""
    out: list[Violation] = []
    count = Counter((tid, session) for tid, session, _, _ in _work(view))
    for (tid, (event, wave)), n in sorted(count.items()):
        trainer = view.trainers.get(tid)
        if trainer and n > trainer.max_runs_per_afternoon:
            out.append(violation("H4", "trainer_over_runs_per_afternoon", f"{tid} teaches {n} times in "
                                 f"{view.when(event, wave)}; the limit is {trainer.max_runs_per_afternoon}",
                                 tid, session_id(event, wave)))
    return out


def trainer_over_afternoons_per_year(view: PlanView) -> list[Violation]:
    """Hard: distinct afternoons a trainer works within max_afternoons_per_year."""
    out: list[Violation] = []
    days: dict[str, set[dt.date | Session]] = defaultdict(set)
    for tid, (event, wave), _, _ in _work(view):
        days[tid].add(view.date(event, wave) or (event, wave))
    for tid, worked in sorted(days.items()):
        trainer = view.trainers.get(tid)
        if trainer and len(worked) > trainer.max_afternoons_per_year:
            out.append(violation("H4", "trainer_over_afternoons_per_year", f"{tid} works {len(worked)} "
                                 f"afternoons; the limit is {trainer.max_afternoons_per_year} a year", tid))
    return out


# H5: seats and on-site courses ---------------------------------------------------------------


def run_course_not_external(view: PlanView) -> list[Violation]:
    """Hard: runs have their own ids and teach known courses that run at external afternoons."""
    out: list[Violation] = []
    for rid, n in Counter(r.id for r in view.plan.runs).items():
        if n > 1:
            out.append(violation("H5", "duplicate_run_id", f"{n} runs share the id {rid}; give each its own", rid))
    for run in view.plan.runs:
        course = view.courses.get(run.course)
        if course is None:
            out.append(violation("H5", "unknown_course", f"run {run.id} teaches course {run.course}, "
                                 "which is not in the catalogue", run.id, run.course))
        elif not course.external:
            out.append(violation("H5", "course_not_external", f"run {run.id} teaches {course.id}, which only "
                                 "runs on site at internal afternoons", run.id, course.id))
    return out


def seat_not_allowed(view: PlanView) -> list[Violation]:
    """Hard: seats go to known practices closing in the run's wave, for audience roles."""
    out: list[Violation] = []
    for run in view.plan.runs:
        course = view.courses.get(run.course)
        for seat in run.seats:
            if seat.practice not in view.practices:
                out.append(violation("H5", "unknown_practice", f"run {run.id} seats practice {seat.practice}, "
                                     "which is not in the scenario", run.id, seat.practice))
            elif not view.closes(run.event, run.wave, seat.practice):
                out.append(violation("H5", "practice_not_in_wave", f"run {run.id} seats staff of "
                                     f"{seat.practice}, which does not close in {view.when(run.event, run.wave)}",
                                     run.id, seat.practice))
            if seat.role not in view.roles:
                out.append(violation("H5", "unknown_role", f"run {run.id} seats role {seat.role}, "
                                     "which is not in the scenario", run.id, seat.role))
            elif course is not None and seat.role not in course.audience:
                out.append(violation("H5", "role_not_in_audience", f"run {run.id} seats {seat.count} "
                                     f"{seat.role} from {seat.practice}, but {course.id} is for "
                                     f"{', '.join(course.audience)}", run.id, seat.practice, seat.role))
    return out


def run_size_outside_group_limits(view: PlanView) -> list[Violation]:
    """Hard: a run's size lies within the course's minimum and maximum group."""
    out: list[Violation] = []
    for run in view.plan.runs:
        course = view.courses.get(run.course)
        if course is None:
            continue
        if run.size < course.min_group:
            out.append(violation("H5", "run_below_min_group", f"run {run.id} of {course.id} seats {run.size}; "
                                 f"the course needs at least {course.min_group}", run.id, course.id))
        if run.size > course.max_group:
            out.append(violation("H5", "run_over_max_group", f"run {run.id} of {course.id} seats {run.size}; "
                                 f"the course takes at most {course.max_group}", run.id, course.id))
    return out


def run_blocks_wrong(view: PlanView) -> list[Violation]:
    """Hard: a run fills as many consecutive, existing blocks as its course lasts."""
    out: list[Violation] = []
    for run in view.plan.runs:
        unknown = [b for b in run.blocks if b not in view.block_ids]
        if unknown:
            out.append(violation("H5", "unknown_block", f"run {run.id} uses block(s) {', '.join(unknown)}, "
                                 f"not among {', '.join(view.block_ids)}", run.id, *unknown))
            continue
        course = view.courses.get(run.course)
        if course is not None and len(run.blocks) != course.blocks:
            out.append(violation("H5", "run_wrong_length", f"run {run.id} of {course.id} fills "
                                 f"{len(run.blocks)} block(s); the course lasts {course.blocks}", run.id, course.id))
        index = [view.block_ids.index(b) for b in run.blocks]
        if any(b != a + 1 for a, b in pairwise(index)):
            out.append(violation("H5", "run_blocks_not_consecutive", f"run {run.id} fills blocks "
                                 f"{', '.join(run.blocks)}, which are not consecutive in order", run.id))
    return out


def seats_over_headcount(view: PlanView) -> list[Violation]:
    """Hard: per wave, practice, role and block, seats over all runs within the headcount
    (nobody is in two runs at once)."""
    out: list[Violation] = []
    seated: dict[tuple[str, int, str, str, str], int] = defaultdict(int)
    runs: dict[tuple[str, int, str, str, str], list[str]] = defaultdict(list)
    for run in view.plan.runs:
        for block in view.run_blocks(run):
            for seat in run.seats:
                key = (run.event, run.wave, seat.practice, seat.role, block)
                seated[key] += seat.count
                runs[key].append(run.id)
    for (event, wave, pid, role, block), n in sorted(seated.items()):
        practice = view.practices.get(pid)
        if practice is None or role not in view.roles:
            continue
        head = practice.headcount.get(role, 0)
        if n > head:
            out.append(violation("H5", "seats_over_headcount", f"{n} {role} staff of {pid} are seated in block "
                                 f"{block} of {view.when(event, wave)} (runs "
                                 f"{', '.join(dict.fromkeys(runs[event, wave, pid, role, block]))}), "
                                 f"but {pid} has {head}", session_id(event, wave), pid, role, block))
    return out


def on_site_course_not_allowed(view: PlanView) -> list[Violation]:
    """Hard: an on-site course is a known on-site course at a closing practice's internal wave."""
    out: list[Violation] = []
    for visit in view.plan.on_site:
        what = f"on-site {visit.course} at {visit.practice} in {visit.event} wave {visit.wave}"
        kind, course = view.kinds.get(visit.event), view.courses.get(visit.course)
        if kind is None:
            out.append(violation("H5", "unknown_event", f"{what}: {visit.event} is not in the programme",
                                 visit.event))
        elif kind is EventKind.external:
            out.append(violation("H5", "on_site_at_external_afternoon", f"{what}: {visit.event} is external; "
                                 "on-site courses run at internal afternoons", visit.event, visit.practice))
        if course is None:
            out.append(violation("H5", "unknown_course", f"{what}: course {visit.course} is not in the catalogue",
                                 visit.course))
        elif not course.runs_on_site:
            out.append(violation("H5", "course_not_on_site", f"{what}: {course.id} does not run on site",
                                 visit.course, visit.practice))
        if visit.practice not in view.practices:
            out.append(violation("H5", "unknown_practice", f"{what}: practice {visit.practice} is not in the "
                                 "scenario", visit.practice))
        elif kind is not None and not view.closes(visit.event, visit.wave, visit.practice):
            out.append(violation("H5", "practice_not_in_wave", f"{what}: the practice does not close in that wave",
                                 session_id(visit.event, visit.wave), visit.practice))
    return out


def two_on_site_courses(view: PlanView) -> list[Violation]:
    """Hard: at most one on-site course per practice per wave."""
    out: list[Violation] = []
    courses: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for visit in view.plan.on_site:
        courses[visit.event, visit.wave, visit.practice].append(visit.course)
    for (event, wave, pid), listed in sorted(courses.items()):
        if len(listed) > 1:
            out.append(violation("H5", "two_on_site_courses", f"{pid} runs {len(listed)} on-site courses "
                                 f"({', '.join(listed)}) in {view.when(event, wave)}; one per afternoon",
                                 session_id(event, wave), pid))
    return out


# H6: mandatory training ----------------------------------------------------------------------


def mandatory_training_unmet(view: PlanView) -> list[Violation]:
    """Hard (when policy.mandatory is "hard"): everyone due a mandatory course gets it."""
    if view.scenario.policy.mandatory != "hard":
        return []
    out: list[Violation] = []
    for (pid, role, cid), unmet in unmet_demand(view.scenario, view.plan).items():
        if unmet and view.courses[cid].mandatory:
            out.append(violation("H6", "mandatory_training_unmet", f"{unmet} {role} staff of {pid} due "
                                 f"{cid} ({view.courses[cid].name}) go without it this year", pid, role, cid))
    return out


RULES: tuple[Callable[[PlanView], list[Violation]], ...] = (
    runs_at_external_waves, room_fits_delivery, room_double_booked, room_over_capacity,
    room_lacks_features, room_unavailable,
    trainer_lacks_skill, trainer_unavailable, trainer_in_two_places, trainer_over_runs_per_afternoon,
    trainer_over_afternoons_per_year,
    run_course_not_external, seat_not_allowed, run_size_outside_group_limits, run_blocks_wrong,
    seats_over_headcount, on_site_course_not_allowed, two_on_site_courses,
    mandatory_training_unmet,
)
