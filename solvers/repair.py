"""A published plan repaired for an edited scenario by taking out what the edits removed: the runs
and on-site visits of a dropped trainer, course or room, the seats, waves and cover of a dropped
practice or role, the cover of a dropped provider. Everything else stays where it was.

When a re-plan's limit is spent before its search (`whatif --time-limit 5` on Norwich: the model
and its first plan took 4 s of 5), the solve keeps its best start plan. The published plan
itself breaks a rule once a trainer is dropped, so greedy's plan was kept: 2,341,314 with 70
changes against the published 610,364, after dropping one BLS trainer. The repaired plan keeps
all but that trainer's runs and visits."""

from __future__ import annotations

from models.plan import Plan
from models.scenario import Scenario


def without_removed(scenario: Scenario, plan: Plan) -> Plan | None:
    """The plan less what names an id the scenario no longer has (and runs left below their
    course's minimum group by a dropped practice or role), when something was taken out; else
    None. Not checked here: the caller checks it (a wave left empty, for one, breaks a rule)."""
    trainers = {t.id for t in scenario.trainers}
    courses = {c.id for c in scenario.courses}
    rooms = {room.id for _, room in scenario.all_rooms()}
    practices = {p.id for p in scenario.practices}
    roles = {r.id for r in scenario.roles}
    providers = {c.id for c in scenario.cover_providers}
    least = {c.id: c.min_group for c in scenario.courses}
    runs = []
    for run in plan.runs:
        if run.trainer not in trainers or run.course not in courses or (run.room is not None and run.room not in rooms):
            continue
        seats = [s for s in run.seats if s.practice in practices and s.role in roles]
        if len(seats) == len(run.seats):
            runs.append(run)
        elif sum(s.count for s in seats) >= least[run.course]:
            runs.append(run.model_copy(update={"seats": seats}))
    on_site = [o for o in plan.on_site if o.trainer in trainers and o.course in courses and o.practice in practices]
    cover = [c for c in plan.cover if c.provider in providers and c.practice in practices]
    afternoons = []
    for a in plan.afternoons:
        waves = [w.model_copy(update={"practices": [p for p in w.practices if p in practices]}) for w in a.waves]
        afternoons.append(a.model_copy(update={"waves": waves}))
    repaired = plan.model_copy(update={"runs": runs, "on_site": on_site, "cover": cover, "afternoons": afternoons})
    return None if repaired == plan else repaired
