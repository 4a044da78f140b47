"""Internal afternoons: which course each practice runs on site, and which trainer visits.

A practice runs at most one visiting-trainer course per internal afternoon; it reaches every
substantive member of the course's audience at that practice (bank staff are not on site).
A trainer visits at most one practice per afternoon.
"""

from __future__ import annotations

from collections import Counter

from .model import PltModel


def on_site_values(m: PltModel) -> Counter[tuple[str, str]]:
    """(practice, course) -> staff an on-site run would reach who need it (bank staff are not on
    site). One pass over the demand: asking per practice and course took 13.5 of the 21.6 s of
    model building at 430 practices (pyinstrument)."""
    inst = m.instance
    bank = {r.id for r in inst.scenario.roles if r.bank}
    values: Counter[tuple[str, str]] = Counter()
    for (p, r, c), d in inst.demand.items():
        if r not in bank:
            values[p, c] += d
    return values


def on_site_courses(m: PltModel) -> None:
    """Hard: at most one on-site course per practice per internal afternoon, each with a visiting trainer."""
    inst = m.instance
    value = on_site_values(m)
    for event, wave in m.sessions("internal"):
        for practice in inst.scenario.practices:
            if inst.member(event, practice.id, wave) is False:
                continue
            chosen = []
            for course in inst.on_site_courses:
                if value[practice.id, course.id] == 0:
                    continue
                trainers = inst.trainers_for(course, on_site=True)
                if not trainers:
                    continue
                var = m.model.new_bool_var(f"on_site({practice.id},{course.id},{event},w{wave})")
                m.on_site[event, wave, practice.id, course.id] = var
                chosen.append(var)
                visits = []
                for trainer in trainers:
                    v = m.model.new_bool_var(f"visit({trainer.id},{practice.id},{course.id},{event},w{wave})")
                    m.visits[event, wave, practice.id, course.id, trainer.id] = v
                    visits.append(v)
                m.model.add(sum(visits) == var)
            if chosen:
                m.model.add(sum(chosen) <= m.in_wave[event, practice.id, wave])
