"""Hard rule H4 (trainers) and the trainer terms: availability per date, one place per block,
runs per afternoon and afternoons per year; cost per run; broken weekday preferences."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from .model import PltModel


def _work_of(m: PltModel) -> dict[tuple[str, int, str], tuple[list, list]]:
    """(event, wave, trainer) -> (run assignments as (course, start, var), on-site visit vars)."""
    work: dict[tuple[str, int, str], tuple[list, list]] = {}
    for (e, w, t, c, b), var in m.teaches.items():
        work.setdefault((e, w, t), ([], []))[0].append((c, b, var))
    for (e, w, p, c, t), var in m.visits.items():
        work.setdefault((e, w, t), ([], []))[1].append(var)
    return work


def trainer_limits(m: PltModel) -> None:
    """Hard: trainer available that afternoon, in one place per block, within per-afternoon and per-year limits."""
    inst = m.instance
    trainers = {t.id: t for t in inst.scenario.trainers}
    lengths = {c.id: c.blocks for c in inst.scenario.courses}
    for (event, wave, tid), (teach, visits) in sorted(_work_of(m).items()):
        trainer = trainers[tid]
        works = m.model.new_bool_var(f"works({tid},{event},w{wave})")
        m.works[event, wave, tid] = works
        m.model.add(works <= m.available(event, wave, set(trainer.unavailable)))
        for block in range(len(inst.blocks)):
            here = [var for c, b, var in teach if m.covering(lengths[c], b, block)] + visits
            if here:
                m.model.add(sum(here) <= works)
        all_work = [var for _, _, var in teach] + visits
        m.model.add(sum(all_work) <= trainer.max_runs_per_afternoon * works)
        m.model.add(works <= sum(all_work))
    afternoons: dict[str, list[cp_model.IntVar]] = defaultdict(list)  # by trainer, in m.works' order
    for (_, _, tid), works in m.works.items():
        afternoons[tid].append(works)
    for trainer in inst.scenario.trainers:
        sessions = afternoons[trainer.id]
        if len(sessions) > trainer.max_afternoons_per_year:
            m.model.add(sum(sessions) <= trainer.max_afternoons_per_year)


def trainer_cost(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each trainer's cost per run, on-site visits included."""
    cost = {t.id: t.cost_per_run for t in m.instance.scenario.trainers}
    return (sum(cost[t] * var for (e, w, t, c, b), var in m.teaches.items())
            + sum(cost[t] * var for (e, w, p, c, t), var in m.visits.items()))


def trainer_weekday_broken(m: PltModel) -> cp_model.LinearExpr:
    """Soft: each afternoon a trainer works on a weekday they do not prefer."""
    trainers = {t.id: t for t in m.instance.scenario.trainers}
    terms = []
    for (event, wave, tid), works in m.works.items():
        off = {d for d in m.instance.dates[event] if trainers[tid].breaks_weekday(d)}
        if not off:
            continue
        broken = m.model.new_bool_var(f"trainer_weekday_broken({tid},{event},w{wave})")
        m.model.add(broken >= works + m.on_any(event, wave, off) - 1)
        terms.append(broken)
    return sum(terms)
