"""The structured neighbourhood search (solvers/cpsat/lns.py) and how the CP-SAT back end uses it."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from ortools.sat.python import cp_model

from models.checker import check_plan
from models.score import score_plan
from solvers.base import SolveOptions
from solvers.cpsat import CpSatSolver, prepare_model
from solvers.cpsat.hints import complete_hint_values
from solvers.cpsat.lns import Parts, SessionLns, course_clusters
from tests.test_properties import small_area


def whole_model_objective(m, values: np.ndarray) -> float | None:
    """The whole model's objective with every variable fixed at these values (one per variable),
    None when they break one of its constraints."""
    copy = m.model.clone()
    copy.clear_hints()
    for i, v in enumerate(values.tolist()):
        domain = copy.proto.variables[i].domain
        domain.clear()
        domain.extend((v, v))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.objective_value if solver.solve(copy) == cp_model.OPTIMAL else None


@pytest.fixture(scope="module")
def norwich_model(norwich):
    m, terms = prepare_model(norwich, SolveOptions(time_limit=10, workers=1, seed=0))
    return m, terms


def test_parts_hold_every_decision_once_by_session(norwich_model):
    m, _ = norwich_model
    parts = Parts.of(m)
    counts: dict[int, int] = {}
    for indices in parts.by_session.values():
        for i in indices.tolist():
            counts[i] = counts.get(i, 0) + 1
    assert set(counts.values()) == {1}
    decisions = {v.index for group in (m.runs, m.teaches, m.seats, m.on_site, m.visits, m.on_date)
                 for v in group.values() if isinstance(v, cp_model.IntVar)}
    assert decisions <= set(counts)
    assert set(parts.decisions.tolist()) == set(counts)
    # A (session, cluster) part lies inside its session.
    for (session, _), indices in parts.by_group.items():
        assert set(indices.tolist()) <= set(parts.by_session[session].tolist())


def test_course_clusters_keep_each_trainers_skills_together(norwich):
    m, _ = prepare_model(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    clusters = course_clusters(m)
    where = {c: k for k, members in enumerate(clusters) for c in members}
    assert sorted(where) == sorted(c.id for c in norwich.courses)
    assert sum(len(c) for c in clusters) == len(norwich.courses)
    for trainer in norwich.trainers:
        assert len({where[s] for s in trainer.skills}) == 1
    assert len(clusters) > 1  # Norwich's trainers do not join every course


def test_steps_never_worsen_and_the_best_plan_satisfies_the_model(norwich_model):
    m, _ = norwich_model
    start = complete_hint_values(m)
    assert start is not None
    lns = SessionLns(m, start, seed=3, workers=1)
    before = lns.objective
    seen = [before]
    for _ in range(6):
        lns.step(1.0, deterministic=True)
        seen.append(lns.objective)
    assert all(b <= a for a, b in pairwise(seen))
    assert lns.objective < before  # the greedy start is far from optimal: some step improves it
    # The best plan, fixed in a fresh copy of the model, is a solution with that objective.
    assert whole_model_objective(m, lns.best) == pytest.approx(lns.objective)


def test_a_tiny_area_is_proven_and_the_search_ends_early():
    scenario = small_area(practices=2, seed=5, courses=3, days=120, spacing=3, external=1, internal=1)
    m, _ = prepare_model(scenario, SolveOptions(time_limit=5, workers=1, seed=0))
    start = complete_hint_values(m)
    lns = SessionLns(m, start, seed=0, workers=1)
    lns.run(1000.0, deterministic=True, step_seconds=5.0)
    assert lns.proven
    assert lns.charged_time < 1000.0


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_norwich_plan_with_the_search_is_checked_and_scored_as_reported(norwich):
    plan = CpSatSolver().solve(norwich, SolveOptions(time_limit=8, workers=2, seed=0))
    assert plan.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(norwich, plan) == []
    assert score_plan(norwich, plan).total == plan.solver.objective
    assert plan.solver.bound is not None and plan.solver.bound <= plan.solver.objective
    assert plan.solver.stats["lns_steps"] > 0
    # The seats step (reseat.py) may add ", seats shared out again".
    assert plan.solver.stats["found_by"].split(", ")[0] in ("full model", "neighbourhood search")
    assert plan.solver.stats["search"] == "full model with steps beside it"


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_above_the_size_limit_two_workers_run_the_portfolio_alone_and_one_worker_still_steps(norwich, monkeypatch):
    import solvers.cpsat

    variables = CpSatSolver().solve(norwich, SolveOptions(time_limit=1, workers=1, seed=0)).solver.stats["variables"]
    monkeypatch.setattr(solvers.cpsat, "STEPS_BESIDE_UP_TO", variables - 1)
    two = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=2, seed=0))
    assert two.solver.stats["search"] == "portfolio"
    assert "lns_steps" not in two.solver.stats
    assert check_plan(norwich, two) == []
    one = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=1, seed=0))
    assert one.solver.stats["search"] == "steps, then the full model"
    assert one.solver.stats["lns_steps"] > 0
    monkeypatch.setattr(solvers.cpsat, "STEPS_BESIDE_UP_TO", variables)  # at the limit the steps run beside
    beside = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=2, seed=0))
    assert beside.solver.stats["lns_steps"] > 0


def test_one_worker_with_the_search_gives_the_same_plan_twice(norwich):
    options = SolveOptions(time_limit=4, workers=1, seed=7)
    first = CpSatSolver().solve(norwich, options)
    second = CpSatSolver().solve(norwich, options)
    assert first.solver.objective == second.solver.objective
    assert first.model_dump(include={"afternoons", "runs", "on_site", "cover"}) == \
        second.model_dump(include={"afternoons", "runs", "on_site", "cover"})
    assert first.solver.stats["lns_steps"] > 0


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_without_the_search_no_steps_are_taken(norwich):
    plan = CpSatSolver().solve(norwich, SolveOptions(time_limit=3, workers=2, seed=0, lns=False))
    assert "lns_steps" not in plan.solver.stats
    assert plan.solver.stats["search"] == "portfolio"
    assert check_plan(norwich, plan) == []


def test_the_search_beats_the_greedy_start_on_norwich(norwich):
    from solvers.greedy import GreedySolver

    greedy = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    m, _ = prepare_model(norwich, SolveOptions(time_limit=5, workers=1, seed=0))
    lns = SessionLns(m, complete_hint_values(m), seed=0, workers=1)
    assert lns.objective == greedy.solver.objective  # the start is the greedy plan on the start dates
    lns.run(3.0, deterministic=True, step_seconds=1.0)
    assert lns.objective < greedy.solver.objective


def test_settled_neighbourhoods_wait_until_the_best_plan_changes(norwich_model):
    """A course cluster solved to optimality over the whole year without a better plan is not
    drawn again while the plan stands; once every cluster is settled another kind takes the turn;
    a better plan unsettles those with an afternoon in the change."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=1, workers=1)
    courses = next(h for h in lns.neighbourhoods if h.kind == "courses")
    groups = range(len(lns.parts.groups))
    lns.settled = {("courses", k) for k in groups if k != 0}
    assert {lns._choose(courses)[1] for _ in range(30)} == {0}
    lns.settled.add(("courses", 0))
    lns.steps = 1
    tried = {h.kind: h.tried for h in lns.neighbourhoods}
    lns.step(1.0, deterministic=True)
    assert courses.tried == tried["courses"]  # the afternoons kind went instead
    improvements = 0
    chosen = []
    choose = lns._choose
    lns._choose = lambda hood: chosen.append(choose(hood)) or chosen[-1]
    for _ in range(8):  # the greedy start is far from optimal: some step improves it
        lns.settled.add(("courses", 0))
        before = set(lns.settled)
        if lns.step(1.0, deterministic=True):
            improvements += 1
            # group 0 runs on every afternoon, so any change unsettles it; groups with no
            # afternoon in the change stay settled
            changed = set(chosen[-1][2])
            assert changed & set(lns.parts.group_sessions[0])
            assert lns.settled == {(kind, k) for kind, k in before
                                   if kind == "courses" and not changed & set(lns.parts.group_sessions[k])}
    assert improvements > 0


def test_a_better_plan_unsettles_only_the_groups_on_its_afternoons(norwich_model):
    """Fire safety, settled over the internal afternoons, stays settled when the plan changes
    on an external one (none of its decisions is on that afternoon); the groups at that
    afternoon, the afternoons and the visits open again."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=1, workers=1)
    parts = lns.parts
    fire = next(k for k, g in enumerate(parts.groups) if g == ("fire-safety",))
    external = next(s for s in parts.sessions if s not in parts.group_sessions[fire])
    everything = {("courses", k) for k in range(len(parts.groups))} | {("afternoons", s) for s in parts.sessions}
    lns.settled = set(everything) | {("visits", 0)}
    lns._unsettle({external})
    assert lns.settled == {("courses", k) for k, own in enumerate(parts.group_sessions) if external not in own}
    assert ("courses", fire) in lns.settled
    assert len(lns.settled) < len(parts.groups)  # the groups running on that afternoon are open
    lns._unsettle({parts.group_sessions[fire][0]})
    assert ("courses", fire) not in lns.settled


def test_a_step_that_runs_out_of_time_without_a_better_plan_halves_its_size(norwich_model):
    """A neighbourhood too big to solve in a step's time shrinks to half at once (a step that
    found nothing wastes its whole time), not by one session."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=3, workers=1)
    courses = next(h for h in lns.neighbourhoods if h.kind == "courses")
    big = 0  # bls and its cluster, on all six afternoons
    assert len(lns.parts.group_sessions[big]) == 6
    lns.settled = {("courses", k) for k in range(len(lns.parts.groups)) if k != big}
    lns.neighbourhoods = [courses]
    lns.step(0.001, deterministic=True)  # far too little time for the whole cluster's year
    assert courses.improved == 0
    assert courses.sizes[big] == 3


def test_a_better_plan_from_the_full_search_is_taken_up_before_the_next_step(norwich_model):
    """The full model's search hands its better plans to the steps (beside it on two workers):
    the next step starts from the offered plan; a plan no better
    than the steps' own is ignored."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=2, workers=1)
    start = lns.objective
    # Another search's better plan: here a second run of steps from the same start.
    other = SessionLns(m, complete_hint_values(m), seed=5, workers=1)
    other.run(3.0, deterministic=True, step_seconds=1.0)
    better = other.best.tolist()
    assert other.objective < start
    lns.offer(start + 1000, [0] * len(better))  # worse than the steps' own plan: ignored
    assert lns._offered is None
    lns.offer(other.objective, better)
    lns.step(0.5, deterministic=True)
    assert lns.adopted == 1
    assert lns.objective <= other.objective
    # The next step's small model was built on the offered plan: what it returned is a plan of
    # the whole model, with the objective the steps count.
    assert whole_model_objective(m, lns.best) == pytest.approx(lns.objective)
    assert lns.model is None and lns.sub is not None  # small models, no private copy of the whole model


def test_a_course_cluster_is_freed_only_on_the_afternoons_where_it_runs(norwich_model):
    """Courses taught only externally have no decisions at internal afternoons (and fire safety
    none at external ones): a courses step draws its sessions from its cluster's own, so its size
    counts afternoons that free something, and the whole year is its own sessions."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=2, workers=1)
    parts = lns.parts
    external = {s for s in parts.sessions if dict(m.instance.events)[s[0]].value == "external"}
    kinds = set()
    for k, own in enumerate(parts.group_sessions):
        assert own == [s for s in parts.sessions if (s, k) in parts.by_group]
        kinds.add(set(own) <= external)
    assert kinds == {True, False}  # some clusters run only at external afternoons, some not
    courses = next(h for h in lns.neighbourhoods if h.kind == "courses")
    assert courses.sizes == [len(own) for own in parts.group_sessions]
    for _ in range(40):
        free, k, sessions = lns._choose(courses)
        assert sessions and set(sessions) <= set(parts.group_sessions[k])
        assert len(sessions) == min(courses.sizes[k], len(parts.group_sessions[k]))
        own = set().union(*(parts.by_group[s, k].tolist() for s in sessions))
        assert set(free.tolist()) == own and own


def test_pairs_of_courses_a_trainer_teaches_are_groups_of_their_own(norwich_model):
    """Besides the clusters, every two courses one trainer teaches (leadership and wellbeing:
    the leadership coach) are a group, so a step can hand that trainer's afternoon from one to
    the other without freeing the rest of the cluster (conflict resolution's seats). A pair that
    is a whole cluster (the two safeguarding levels) is not repeated."""
    m, _ = norwich_model
    parts = Parts.of(m)
    clusters = course_clusters(m)
    assert parts.groups[:len(clusters)] == clusters
    pairs = parts.groups[len(clusters):]
    taught = {frozenset((a, b)) for t in m.instance.scenario.trainers for a in t.skills for b in t.skills if a != b}
    assert {frozenset(p) for p in pairs} == {p for p in taught if not any(p == set(c) for c in clusters)}
    assert ("leadership", "wellbeing") in pairs
    assert not any(set(p) == {"safeguarding-l2", "safeguarding-l3"} for p in pairs)
    k = pairs.index(("leadership", "wellbeing")) + len(clusters)
    whole = next(i for i, c in enumerate(clusters) if "leadership" in c)
    course_of = {v.index: key[4] for key, v in m.seats.items() if isinstance(v, cp_model.IntVar)}
    assert parts.group_sessions[k]
    for session in parts.group_sessions[k]:
        freed = set(parts.by_group[session, k].tolist())
        assert freed < set(parts.by_group[session, whole].tolist())
        assert {course_of[i] for i in freed if i in course_of} <= {"leadership", "wellbeing"}


def test_a_group_with_nothing_to_free_does_not_keep_the_courses_steps_going(norwich_model):
    """A group with no decisions on any afternoon (e.g. a course nobody needs) is never drawn and
    never settles: the courses kind counts as settled once every other group is."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=1, workers=1)
    courses = next(h for h in lns.neighbourhoods if h.kind == "courses")
    lns.parts.group_sessions[0] = []
    lns.settled = {("courses", k) for k in range(1, len(lns.parts.groups))}
    assert lns._all_settled(courses)
    lns.settled.discard(("courses", 1))
    assert not lns._all_settled(courses)
    assert {lns._choose(courses)[1] for _ in range(20)} == {1}


def _course_of(m) -> dict[int, str]:
    """Variable index -> course, for every decision that belongs to one course."""
    where = {"runs": 2, "teaches": 3, "seats": 4, "on_site": 3, "visits": 3}
    return {v.index: key[i] for name, i in where.items() for key, v in getattr(m, name).items()
            if isinstance(v, cp_model.IntVar)}


def test_a_visits_step_frees_one_course_where_a_practice_could_move_between_runs_and_a_visit(norwich_model):
    """The targets are the (practice, course) pairs where one visit reaches a full run of a
    course that also runs externally; a visits step frees that course alone, on the internal
    afternoons where the practice can be visited and the external ones where it has seats."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=4, workers=1)
    parts = lns.parts
    visits = next(h for h in lns.neighbourhoods if h.kind == "visits")
    courses = {c.id: c for c in m.instance.scenario.courses}
    reach: dict[tuple[str, str], int] = {}
    bank = {r.id for r in m.instance.scenario.roles if r.bank}
    for (p, r, c), d in m.instance.demand.items():
        if r not in bank:
            reach[p, c] = reach.get((p, c), 0) + d
    assert parts.targets
    assert parts.targets == sorted(t for t, n in reach.items() if courses[t[1]].runs_on_site
                                   and courses[t[1]].external and n >= courses[t[1]].max_group)
    course_of = _course_of(m)
    for _ in range(20):
        free, k, sessions = lns._choose(visits)
        practice, course = parts.targets[k]
        internal = {(e, w) for (e, w, p, c), v in m.on_site.items()
                    if (p, c) == (practice, course) and isinstance(v, cp_model.IntVar)}
        seated = {(e, w) for (e, w, p, _, c, _), v in m.seats.items()
                  if (p, c) == (practice, course) and isinstance(v, cp_model.IntVar) and lns.best[v.index] > 0}
        assert internal and set(sessions) == internal | seated
        assert len(free) and {course_of[i] for i in free.tolist()} == {course}
        assert set(free.tolist()) == {i for i, c in course_of.items() if c == course} & \
            set().union(*(parts.by_session[s].tolist() for s in sessions))


def test_kinds_are_drawn_by_their_recent_gain_per_second_and_none_starves(norwich_model):
    """Each kind is tried in turn at first; then the kind that gained most per second lately is
    drawn most, the others still now and then (FLOOR), and a settled kind not at all."""
    from solvers.cpsat import lns as lns_module

    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=6, workers=1)
    hoods = {h.kind: h for h in lns.neighbourhoods}
    assert set(hoods) == {"afternoons", "courses", "course", "visits"}
    hoods["courses"].tried = lns_module.WARM_UP
    assert lns._kind() is not hoods["courses"]  # the others have not had their turns yet
    for h in hoods.values():
        h.tried = lns_module.WARM_UP
    hoods["afternoons"].gained, hoods["afternoons"].spent = 1000.0, 1.0
    hoods["courses"].gained, hoods["courses"].spent = 0.0, 5.0
    hoods["visits"].gained, hoods["visits"].spent = 100.0, 1.0
    drawn = Counter(lns._kind().kind for _ in range(2000))
    assert drawn["afternoons"] > drawn["visits"] > 0 and drawn["afternoons"] > drawn["courses"] > 0
    lns.settled = {("visits", t) for t in range(len(lns.parts.targets))}
    assert "visits" not in {lns._kind().kind for _ in range(200)}


def test_a_course_step_frees_one_course_alone_on_its_own_afternoons(norwich_model):
    """The course kind frees one course's runs, trainers, seats and visits (not its cluster's
    other courses, nor dates or waves) on some of the afternoons where it has decisions, all of
    them at first; a course settled over all of them is not drawn again."""
    m, _ = norwich_model
    lns = SessionLns(m, complete_hint_values(m), seed=4, workers=1)
    parts = lns.parts
    hood = next(h for h in lns.neighbourhoods if h.kind == "course")
    assert hood.sizes == [len(own) for own in parts.course_sessions]
    where = {"runs": 2, "teaches": 3, "seats": 4, "on_site": 3, "visits": 3}  # the course in each key

    def own(course: str, sessions: list) -> set[int]:
        return {var.index for name, at in where.items() for key, var in getattr(m, name).items()
                if isinstance(var, cp_model.IntVar) and key[at] == course and (key[0], key[1]) in sessions}

    drawn = set()
    for _ in range(60):
        free, k, sessions = lns._choose(hood)
        course = parts.courses[k]
        drawn.add(course)
        assert len(sessions) == len(parts.course_sessions[k])
        assert set(free.tolist()) == own(course, sessions) and len(free) > 0
    assert len(drawn) > 3
    bls = parts.courses.index("bls")
    lns.settled = {("course", k) for k in range(len(parts.courses)) if k != bls}
    assert {parts.courses[lns._choose(hood)[1]] for _ in range(10)} == {"bls"}
    lns.settled.add(("course", bls))
    assert lns._all_settled(hood)
