"""External afternoons: course runs, rooms (H3), trainers (H4) and seats (H5).

Runs are counted per (event, wave, course, start block, room class); class -1 means virtual
(no room). Trainers are booleans per (event, wave, trainer, course, start block) and their
number equals the runs. Seats are integer counts per practice and role. Concrete rooms are
assigned after solving (interval colouring within a class), so identical rooms cause no
symmetry.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from models.scenario import Course, Delivery

from ..instance import RoomClass
from .model import PltModel, grouped

VIRTUAL = -1


def seats_per_run(course: Course, cls: int, classes: dict[int, RoomClass]) -> int:
    """A run's seats: the course's largest group, within its room class's capacity (virtual: no room)."""
    return course.max_group if cls == VIRTUAL else min(course.max_group, classes[cls].capacity)


def _starts(m: PltModel, blocks: int) -> range:
    return range(len(m.instance.blocks) - blocks + 1)


def course_runs(m: PltModel) -> None:
    """Hard: runs only in rooms whose class has the features and holds the minimum group."""
    inst = m.instance
    for event, wave in m.sessions("external"):
        for course in inst.external_courses:
            trainers = inst.trainers_for(course)
            for b in _starts(m, course.blocks):
                if course.delivery is Delivery.virtual:
                    var = m.model.new_int_var(0, len(trainers), f"runs({course.id},{event},w{wave},b{b},virtual)")
                    m.runs[event, wave, course.id, b, VIRTUAL] = var
                    continue
                for k in inst.classes_for(course):
                    top = min(len(k.rooms), len(trainers))
                    var = m.model.new_int_var(0, top, f"runs({course.id},{event},w{wave},b{b},class{k.index})")
                    m.runs[event, wave, course.id, b, k.index] = var


def room_double_booked(m: PltModel) -> None:
    """Hard: per block, runs in a room class never exceed its rooms available that afternoon."""
    inst = m.instance
    courses = {c.id: c for c in inst.external_courses}
    occupying: dict[tuple[str, int, int, int], list] = {}
    for (e, w, c, b, cls), var in m.runs.items():
        for block in range(b, b + courses[c].blocks):
            occupying.setdefault((e, w, cls, block), []).append(var)
    for event, wave in m.sessions("external"):
        for k in inst.room_classes:
            available = m.available(event, wave, set(k.unavailable))
            used = m.model.new_int_var(0, len(k.rooms), f"rooms_used(class{k.index},{event},w{wave})")
            m.rooms_used[event, wave, k.index] = used
            for block in range(len(inst.blocks)):
                runs = occupying.get((event, wave, k.index, block))
                if runs:
                    m.model.add(sum(runs) <= len(k.rooms) * available)
                    m.model.add(sum(runs) <= used)


def trainer_for_every_run(m: PltModel) -> None:
    """Hard: each run has one trainer with the skill; a trainer is in one place per block."""
    inst = m.instance
    runs_of = grouped(m.runs, lambda k: k[:4])
    for event, wave in m.sessions("external"):
        for course in inst.external_courses:
            for b in _starts(m, course.blocks):
                runs = list(runs_of.get((event, wave, course.id, b), {}).values())
                teachers = []
                for trainer in inst.trainers_for(course):
                    var = m.model.new_bool_var(f"teaches({trainer.id},{course.id},{event},w{wave},b{b})")
                    m.teaches[event, wave, trainer.id, course.id, b] = var
                    teachers.append(var)
                m.model.add(sum(teachers) == sum(runs))


def seats_in_runs(m: PltModel) -> None:
    """Hard: seats only for audience roles of practices closing in the wave, run sizes in bounds."""
    inst = m.instance
    by_course: dict[str, list[tuple[str, str, int]]] = {}
    for (p, r, c), d in inst.demand.items():
        by_course.setdefault(c, []).append((p, r, d))
    heads = {p.id: p.headcount for p in inst.scenario.practices}
    classes = {k.index: k for k in inst.room_classes}
    runs_of = grouped(m.runs, lambda k: k[:4])
    for event, wave in m.sessions("external"):
        for course in inst.external_courses:
            for b in _starts(m, course.blocks):
                runs = {k[4]: var for k, var in runs_of.get((event, wave, course.id, b), {}).items()}
                if not runs:
                    continue
                seats = []
                for p, r, d in by_course.get(course.id, []):
                    member = inst.member(event, p, wave)
                    if member is False:
                        continue
                    top = min(d, heads[p][r])
                    var = m.model.new_int_var(0, top, f"seats({p},{r},{course.id},{event},w{wave},b{b})")
                    m.seats[event, wave, p, r, course.id, b] = var
                    if member is None:
                        m.model.add(var <= top * m.in_wave[event, p, wave])
                    seats.append(var)
                capacity = [seats_per_run(course, cls, classes) * n for cls, n in runs.items()]
                m.model.add(sum(seats) <= sum(capacity))
                m.model.add(sum(seats) >= course.min_group * sum(runs.values()))


def person_in_two_runs(m: PltModel) -> None:
    """Hard: per block, a practice's staff of one role in runs never exceed its headcount."""
    inst = m.instance
    lengths = {c.id: c.blocks for c in inst.external_courses}
    heads = {p.id: p.headcount for p in inst.scenario.practices}
    grouped: dict[tuple[str, int, str, str, int], list[tuple[cp_model.IntVar, int]]] = {}
    for (e, w, p, r, c, b), var in m.seats.items():
        top = min(inst.demand[p, r, c], heads[p][r])  # the seat variable's upper bound
        for block in range(b, b + lengths[c]):
            grouped.setdefault((e, w, p, r, block), []).append((var, top))
    for (e, w, p, r, block), entries in grouped.items():
        if sum(top for _, top in entries) > heads[p][r]:  # otherwise the sum cannot exceed it
            m.model.add(sum(var for var, _ in entries) <= heads[p][r])


# Where Norwich's bound stops (/work/prof7/lpsplit.py): CP-SAT's bound, 609,962-609,964, is this
# model's LP relaxation with the cuts (HiGHS: 609,961.8). The LP books no hall (60 seats, 250 an
# afternoon): its runs fill exactly the other six rooms' 54 blocks of the three external afternoons,
# with fractions of runs in the odd blocks; the 60 s plan (610,514) books the hall twice (rooms 2,630
# against the LP's 2,130) and leaves the worst role 215 per mille against 208.83. Whether the hall
# can be left empty with unmet demand at its floor was neither shown nor refuted in 300 s (CP-SAT
# without an objective, and HiGHS); a full solve with the objective held under the best plan known
# (610,264) found none in 1,200 s, its bound still 609,964. With seats and unmet continuous and
# every other variable whole (HiGHS, 400 s, 1,029 nodes) the bound stayed at 609,961.8 too, so
# whole-afternoon layouts in the relaxation (a configuration bound) may not be enough alone; the
# seats' whole numbers may matter too. Closing it needs a stronger formulation, not more time.
# benchmarks/pooled_bound.py is one: the external afternoons' runs, seats and trainers summed
# over the year, solved by HiGHS, bound Norwich at 610,264, which a plan reaches (optimal).
def room_cost(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each room's cost per afternoon it is used."""
    costs = {k.index: k.cost for k in m.instance.room_classes}
    return sum(costs[cls] * var for (e, w, cls), var in m.rooms_used.items())
