"""Large-neighbourhood search by the plan's own structure, beside the full model's search.

CP-SAT's own neighbourhoods are generic (random variables, random constraints, the constraint
graph); they do not know that the year falls apart into afternoons and courses. An afternoon's
runs, seats and visits meet the rest of the year only through demand still unmet and the
trainers' yearly limits, and courses meet each other only through trainers who teach several of
them. Each step here frees one such part of the best plan and fixes the rest:

- afternoons: every decision of a few sessions (date, waves, cover, runs, trainers, seats,
  visits). Two sessions together can hand a trainer's afternoon from one to the other;
- courses: one group of courses on some of the sessions where it has decisions. A group is a
  cluster (courses joined by a trainer who teaches both), e.g. fire safety on every internal
  afternoon, which chooses which practices the few fire trainers visit over the whole year at
  once; or two courses one trainer teaches, e.g. leadership and wellbeing, which can hand a
  leadership coach's afternoon from a wellbeing run (that a conflict resolution trainer takes
  over) to a leadership run without freeing the seats of conflict resolution, the cluster's
  largest course. Norfolk and Waveney, 60 s, two workers, seeds 0 to 3, the sessions drawn from
  the group's own (not from all, half of which free nothing for external courses): 1,361,472,
  1,358,244, 1,361,884, 1,356,704 against 1,365,592, 1,360,872, 1,360,854, 1,361,262; with
  the pairs too: 1,354,364, 1,349,232, 1,355,444, 1,353,064 (bound 1,329,028).

- course: one course alone (not its cluster) on some of the sessions where it has decisions,
  all of them at first, the course drawn uniformly among those not settled. This consolidates a
  course's runs across afternoons: from a 60 s plan (1,346,234) information governance alone over
  its year found 720 less in 1.1 s, cancer early diagnosis 600, safeguarding level 3 1,560, the
  courses drawn by unmet demand rarely being these. Norfolk and Waveney, 60 s, two workers, seeds
  0 to 7, one session, with the halving and `_unsettle` below: 1,339,194 / 1,341,194 / 1,340,284
  / 1,339,784 / 1,340,384 / 1,339,964 / 1,340,024 / 1,339,364 (mean 1,340,024, every gap under
  0.92 %) against 1,341,253 (mean) without it; without the halving it was within the spread
  (mean 1,342,826, against 1,342,540 and 1,344,970 for the code before it in two sessions), its
  big courses wasting whole steps.

- visits: one course on one practice's own afternoons, where one visit reaches a full run of a
  course that also runs externally (Norfolk and Waveney: 25 practices for basic life support, one
  for infection control): the course alone, freed on the internal afternoons where the practice
  can be visited and the external ones where it has seats, so the practice's seats can move from
  runs to a visit (the LP relaxation teaches life support so at 25 practices; the 60 s plans
  without this kind at none).

The kind of each step is drawn by its recent gain per second (`_kind`), the usual adaptive
choice of neighbourhoods in LNS. Norfolk and Waveney, 60 s, two workers, seeds 0 to 7, with greedy's
leadership reserve (solvers/greedy.py): 1,347,494 / 1,351,604 / 1,356,734 / 1,355,182 /
1,357,092 / 1,347,854 / 1,355,514 / 1,367,044 (mean 1,354,815), against 1,354,714 / 1,356,204 /
1,356,384 / 1,360,414 / 1,368,644 / 1,364,904 / 1,368,914 / 1,383,608 (mean 1,364,224) before
both, in the same session; greedy's reserve alone 1,358,526 (mean). Norwich, seeds 0 to 2:
613,820 / 611,702 / 610,998 against 612,092 / 616,634 (seeds 0, 1) before.

CP-SAT solves the freed part exactly or until the step's time runs out, starting from the best
plan. A neighbourhood that was solved to optimality grows by one session next time; one that ran
out of time shrinks by one if it found a better plan and to half if it found none (the
adaptation CP-SAT's own LNS does by variable counts). One solved to optimality without a better
plan (a group over all its sessions, or a single afternoon) is settled: it is not freed again
until the best plan changes (Norfolk and Waveney, 60 s, seeds 0 and 1: 1,401,354 and 1,378,194
with this, 1,455,864 and 1,447,074 without), and a settled course group only when the change
is on one of its own sessions (`_unsettle`).

Both of those last rules were measured together, Norfolk and Waveney, 60 s, two workers, seeds 0
to 7, one session: 1,341,554 / 1,340,434 / 1,342,194 / 1,339,794 / 1,342,024 / 1,341,554 /
1,342,564 / 1,339,904 (mean 1,341,253) against 1,343,734 / 1,342,524 / 1,346,354 / 1,343,414 /
1,344,264 / 1,342,814 / 1,345,004 / 1,351,654 (mean 1,344,970) when every step out of time shrank
by one and every better plan unsettled everything; halving alone 1,342,015, unsettling by
session alone 1,343,395 (means). Without the halving about half of a run's step time went on
steps that ran out of time with nothing better (28 of 57 s, seed 7), shrinking a cluster by one
session per wasted second. With every better plan unsettling everything, the courses steps drew
fire safety again after each (its unmet seats weigh most) and solved it to the same optimum: 26
times in one run (seed 1), 8 times with `_unsettle`.

Each step solves a small model of its own (submodel.py): its freed decisions, the helper
variables next to them and only their constraints, the rest of the best plan moved into their
right-hand sides. Before, the steps fixed decisions on a private copy of the whole model's
domains, and CP-SAT loaded the whole model at every step: 0.15 s for one internal Norfolk
afternoon; at 430 practices the quickest steps solved to the end took 0.58 s, on the small
models (two hops) 0.13 s (0.2-0.4 s with building the small model), and the steps' thread no
longer holds a copy of the model. Norfolk and Waveney, 60 s, two workers, seeds 0 to 3, one
session: 1,339,804 (mean) against 1,339,846 with the whole model; seeds 0 to 7 in a later run
1,339,554 / 1,340,254 / 1,339,264 / 1,338,644 / 1,338,964 / 1,338,284 / 1,339,044 / 1,339,554
(mean 1,339,195, gaps 0.69-0.84 %). No presolve on either (at 430 practices, 14 steps from
greedy's plan gained 52,340 without it and 5,580 with it, on small models with helpers two
constraints away then). Measured on Norfolk and Waveney (LP bound 1.32 M): from the old greedy
start (2.27 M) the full model alone reached 1.92-1.97 M in 60 s, the steps 1.5-1.7 M.
From the greedy start that plans visits for the year (1.47 M) the full model alone on two workers
(CP-SAT's own portfolio: one full search, its generic neighbourhoods on the other) reaches
1.365-1.367 M in 60 s and 1,353,444 in 300 s; one full search with these steps beside it
1.38-1.40 M and 1,339,874. At 430 practices the portfolio is ahead at both (9,469,226 against
9,575,551 at 300 s). With one worker the steps are far ahead (1,377,254 against greedy's plan
unchanged at 60 s). So on two workers the steps ran beside CP-SAT's portfolio rather than
beside its single full search, taking up its better plans (`offer`); with the visits steps and
greedy's reserve one full search beside them is ahead again, by 1,345,085 against 1,354,815
(mean of eight 60 s runs): see `search_with_lns` in solvers/cpsat. Above `STEPS_BESIDE_UP_TO`
model variables (solvers/base.py) the portfolio runs alone.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from models.scenario import Course

from ..base import cpsat_limit, cpsat_solve
from .hints import hint_every_variable, plan_objective
from .internal import on_site_values
from .model import PltModel, Session
from .submodel import SubModels

# Deterministic seconds charged per step on top of the solver's own (model loading is not counted there).
STEP_CHARGE = 0.01

# Seconds per step: a share of the time limit, within bounds. Norfolk and Waveney, 40
# deterministic seconds of steps, two seeds each: 0.5 s steps 1.50-1.60 M, 1 s 1.49-1.61 M,
# 2 s 1.73 M, 5 s 1.71 M (many short steps beat few long ones). Again from greedy's plan with
# its reserve (1.39 M), 60 s, seeds 0 to 7, mean: 0.5 s steps 1,346,366, 1 s 1,343,322, 2 s
# 1,344,209 (within the spread of 1 s; 0.5 s worse on seven of eight seeds). At most 1 s (it was
# 5 s, reached at 300 s): at 430 practices the steps alone on one thread from greedy's plan
# (8,608,576) reached 8,334,746 in 240 s with 1 s steps (270 steps, 150 of them out of time)
# and 8,480,236 with 5 s steps (77 steps, 39 out of time; one session each);
# beside one full worker, 300 s, seeds 0 to 2: 8,327,681 / 8,317,406 / 8,343,951 (1.46-1.80 %
# from the bound) against 8,344,301 / 8,383,816 / 8,460,806 with 5 s steps (1.74-3.15 %, an
# earlier session). Norfolk and Waveney, 300 s, seeds 0 and 1: 1,337,324 / 1,337,504 with 1 s
# steps, 1,337,144 / 1,337,464 with 5 s steps (same session; the same within the spread).
# 1 s from a 30 s limit (it was from 60 s): Norwich's 30 s plans, seeds 0 to 11, ended near
# 640k in 4 of 12 runs with 0.5 s steps (mean 620,411) and in none with 1 s steps (mean 611,810).
# Those plans leave tissue viability untaught: the way out moves the fifth afternoon to a date
# when both life support trainers can come, so that one of them takes infection control from the
# nurse educator, who then teaches tissue viability; CP-SAT finds it by freeing that afternoon
# alone (every other decision fixed in the whole model) in 1.3 s, not within a 0.5 s step. At
# 10 s 1 s steps were worse (seeds 0 to 5: mean 650,934 against 631,681); at 20 s (0.67 s
# steps) 623,109 against 617,871, within the spread.
STEP_SHARE, STEP_MIN, STEP_MAX = 1 / 30, 0.5, 1.0
# A courses step frees a group drawn with weight 1 + its unmet demand x priority in the best
# plan (1.49-1.61 M in the runs above; drawn uniformly 1.60-1.68 M, by each cluster's record of
# improvements 1.70-1.72 M). Drawn by the group's whole share of the objective (its unmet seats'
# and its runs' and visits' costs, so that groups with nothing unmet but unconsolidated runs are
# drawn more), Norfolk and Waveney, 60 s, seeds 0 to 7: mean 1,352,169 against 1,342,540 (the
# unmet-weighted draw, same session).


# The kinds of step: each is tried WARM_UP times in turn, then drawn by its recent gain per
# second (decayed by DECAY per step), never less often than FLOOR of the best kind's weight.
# Drawn so without the visits kind (one of each in turn before), Norfolk and Waveney, 60 s,
# seeds 0 to 3: 1,356,356 against 1,356,929 (mean; the same within the spread). The visits kind
# lost both in the fixed turn (one step in three: mean 1,356,797 against 1,350,874, an earlier
# session) and drawn so from greedy's plan before its reserve (1,369,055 against 1,356,929): it
# starved the pair steps that repair greedy's leadership shortfall (90 seats then, 8 now).
# Norfolk and Waveney, 60 s, seeds 0 to 7, one session, mean: DECAY 0.95 1,343,322, 0.8
# 1,345,553, 0.98 1,343,983. Also tried there and not kept: courses groups drawn uniformly
# (1,349,743: the unmet-weighted draw below is worth keeping), a group of every on-site course on
# the internal afternoons (1,347,448), visits steps freeing several practices of one course at
# a time, their number grown and shrunk like the sessions (1,343,666). Nor a seats kind (every
# seat of a few practices, 8 at first, on every afternoon, the rest fixed): Norfolk and Waveney
# 1,339,376 against 1,339,086 (seeds 0 to 7, same session); Norwich, seeds 0 to 3, 613,532
# against 612,674. On Norwich it grew to all 21 practices and settled: the seeds that end with
# poor equity (seed 2: worst practice 403, worst role 421 per mille, against 258 and 219 in the
# best plans, with the same unmet seats and costs) are not held there by the seats.
WARM_UP, DECAY, FLOOR = 2, 0.95, 0.2


def lns_step_seconds(time_limit: float) -> float:
    return min(STEP_MAX, max(STEP_MIN, time_limit * STEP_SHARE))


# (group of decision variables, where its session sits in the key, where its course sits)
_GROUPS = (
    ("on_date", (0, 1), None),
    ("in_wave", (0, 2), None),
    ("covers", (0, 1), None),
    ("runs", (0, 1), 2),
    ("teaches", (0, 1), 3),
    ("seats", (0, 1), 4),
    ("on_site", (0, 1), 3),
    ("visits", (0, 1), 3),
)


@dataclass
class Parts:
    """Decision variable indices by session and by (session, course group). The groups are the
    course clusters, then every pair of courses one trainer teaches both of (not already a
    cluster): a step on a pair moves a trainer between two courses without freeing the seats
    of the cluster's other courses."""

    sessions: list[Session]
    groups: list[tuple[str, ...]]
    by_session: dict[Session, np.ndarray]
    by_group: dict[tuple[Session, int], np.ndarray]
    decisions: np.ndarray
    # per group: its unmet-demand variables and their courses' priorities
    unmet: list[tuple[np.ndarray, np.ndarray]]
    # per group: the sessions where it has decisions (external courses: external afternoons)
    group_sessions: list[list[Session]]
    # per (session, course): the course's own decisions there; every course with decisions
    # and the sessions where it has them
    by_course: dict[tuple[Session, str], np.ndarray] = field(default_factory=dict)
    courses: list[str] = field(default_factory=list)
    course_sessions: list[list[Session]] = field(default_factory=list)
    # (practice, course) where one visit reaches a full run of a course that also runs
    # externally; per such pair its seat variables (session, index) and the internal sessions
    # where it can be visited
    targets: list[tuple[str, str]] = field(default_factory=list)
    target_seats: list[list[tuple[Session, int]]] = field(default_factory=list)
    target_visits: list[list[Session]] = field(default_factory=list)

    @classmethod
    def of(cls, m: PltModel) -> Parts:
        clusters = course_clusters(m)
        groups = clusters + [p for p in course_pairs(m) if not any(set(p) == set(c) for c in clusters)]
        groups_of: dict[str, list[int]] = {}
        for k, members in enumerate(groups):
            for c in members:
                groups_of.setdefault(c, []).append(k)
        both = _both_ways(m)
        by_session: dict[Session, list[int]] = {}
        by_group: dict[tuple[Session, int], list[int]] = {}
        by_course: dict[tuple[Session, str], list[int]] = {}
        for name, (si, wi), ci in _GROUPS:
            for key, var in getattr(m, name).items():
                if not isinstance(var, cp_model.IntVar):
                    continue  # fixed before modelling (a constant or an expression of others)
                session = (key[si], key[wi])
                by_session.setdefault(session, []).append(var.index)
                if ci is not None:
                    for k in groups_of[key[ci]]:
                        by_group.setdefault((session, k), []).append(var.index)
                    by_course.setdefault((session, key[ci]), []).append(var.index)
        sessions = [s for s in m.sessions() if s in by_session]
        decisions = np.unique(np.concatenate([np.asarray(v, dtype=np.int64) for v in by_session.values()])) \
            if by_session else np.zeros(0, dtype=np.int64)
        priority = {c.id: c.priority for c in m.instance.scenario.courses}
        unmet: list[tuple[list[int], list[int]]] = [([], []) for _ in groups]
        for (_, _, course), var in m.unmet.items():
            if isinstance(var, cp_model.IntVar):
                for k in groups_of[course]:
                    unmet[k][0].append(var.index)
                    unmet[k][1].append(priority[course])
        group_sessions = [[s for s in sessions if (s, k) in by_group] for k in range(len(groups))]
        courses = [c.id for c in m.instance.scenario.courses]
        course_sessions = [[s for s in sessions if (s, c) in by_course] for c in courses]
        parts = cls(sessions=sessions, groups=groups, group_sessions=group_sessions,
                    by_session={s: np.asarray(v, dtype=np.int64) for s, v in by_session.items()},
                    by_group={k: np.asarray(v, dtype=np.int64) for k, v in by_group.items()},
                    decisions=decisions,
                    unmet=[(np.asarray(i, dtype=np.int64), np.asarray(w, dtype=np.int64)) for i, w in unmet],
                    by_course={k: np.asarray(v, dtype=np.int64) for k, v in by_course.items()},
                    courses=courses, course_sessions=course_sessions)
        parts._add_targets(m, both)
        return parts

    def _add_targets(self, m: PltModel, both: dict[str, Course]) -> None:
        value = on_site_values(m)
        self.targets = sorted((p, c) for (p, c), v in value.items() if c in both and v >= both[c].max_group)
        index = {t: i for i, t in enumerate(self.targets)}
        self.target_seats = [[] for _ in self.targets]
        self.target_visits = [[] for _ in self.targets]
        for (e, w, p, _, c, _), var in m.seats.items():
            if (p, c) in index and isinstance(var, cp_model.IntVar):
                self.target_seats[index[p, c]].append(((e, w), var.index))
        for (e, w, p, c), var in m.on_site.items():
            if (p, c) in index and isinstance(var, cp_model.IntVar):
                self.target_visits[index[p, c]].append((e, w))


def _both_ways(m: PltModel) -> dict[str, Course]:
    """The courses that run both at external afternoons and on site, by id."""
    external = {c.id for c in m.instance.external_courses}
    return {c.id: c for c in m.instance.on_site_courses if c.id in external}


def course_pairs(m: PltModel) -> list[tuple[str, ...]]:
    """Every pair of courses some trainer teaches both of."""
    courses = {c.id for c in m.instance.scenario.courses}
    pairs = set()
    for trainer in m.instance.scenario.trainers:
        skills = sorted(s for s in set(trainer.skills) if s in courses)
        pairs.update((a, b) for i, a in enumerate(skills) for b in skills[i + 1:])
    return sorted(pairs)


def course_clusters(m: PltModel) -> list[tuple[str, ...]]:
    """Courses joined when some trainer teaches both (union-find over the trainers' skills)."""
    courses = [c.id for c in m.instance.scenario.courses]
    parent = {c: c for c in courses}

    def root(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for trainer in m.instance.scenario.trainers:
        skills = [s for s in trainer.skills if s in parent]
        for other in skills[1:]:
            parent[root(other)] = root(skills[0])
    groups: dict[str, list[str]] = {}
    for c in courses:
        groups.setdefault(root(c), []).append(c)
    return [tuple(g) for g in groups.values()]


@dataclass
class Neighbourhood:
    kind: str  # "afternoons", "courses", "course" or "visits"
    sizes: list[int]  # sessions freed: one for afternoons, one per course group or course (visits: unused)
    tried: int = 0
    improved: int = 0
    # Objective gained and deterministic seconds spent, both decayed by DECAY at every step of
    # any kind: their ratio is the kind's recent gain per second, which sets how often it is drawn.
    gained: float = 0.0
    spent: float = 0.0

    @property
    def rate(self) -> float:
        return self.gained / self.spent if self.spent > 0 else 0.0


class SessionLns:
    """Steps of the search, each on a small model of its own (the full search keeps the whole one)."""

    def __init__(self, m: PltModel, start: np.ndarray, seed: int, workers: int = 1) -> None:
        self.parts = Parts.of(m)
        self.workers = workers
        self.rng = random.Random(seed)
        self.seed = seed
        self.best = start.astype(np.int64).copy()
        self._whole = m.model
        self.sub: SubModels | None = None
        self.model: cp_model.CpModel | None = None
        self.proto = m.model.proto  # read only, until `ready` gives a model of their own if they need one
        self._ready = False
        self._ready_lock = threading.Lock()
        self.objective = plan_objective(self.proto, self.best)
        self.neighbourhoods = [Neighbourhood("afternoons", [1]),
                               Neighbourhood("courses", [len(c) for c in self.parts.group_sessions])]
        if any(self.parts.course_sessions):
            self.neighbourhoods.append(Neighbourhood("course", [len(c) for c in self.parts.course_sessions]))
        if self.parts.targets:
            self.neighbourhoods.append(Neighbourhood("visits", [0]))
        self.steps = 0
        self.improvements = 0
        self.deterministic_time = 0.0
        self._solver: cp_model.CpSolver | None = None
        self._stopped = False
        self.proven = False  # every session freed at once and solved to optimality
        # Neighbourhoods solved to optimality without a better plan: ("courses", group) freed on
        # every session, or ("afternoons", session) alone. Freeing them again finds nothing until
        # the best plan changes, so they wait until then (Norfolk and Waveney, 120 s, before this:
        # 61 of 64 courses steps found nothing better, with most clusters' sizes still at all 18
        # sessions, i.e. solved to the end).
        self.settled: set[tuple[str, object]] = set()
        self._lock = threading.Lock()
        self._offered: tuple[float, np.ndarray] | None = None  # a better plan from another search
        self.adopted = 0  # offered plans taken up

    def ready(self) -> None:
        """Reads the whole model for the steps, once, before the first step. Each step builds its
        own small model (submodel.py); a model with a kind of constraint that does not rewrite
        steps on a private copy of the whole model instead, with the decisions it does not free
        fixed on their domains. Called from the steps' own thread, so that beside them the full
        search starts at once (at 430 practices `SubModels` takes 2-5 s)."""
        with self._ready_lock:
            if self._ready:
                return
            sub = SubModels(self._whole, self.parts.decisions)
            if sub.supported:
                self.sub = sub
            else:
                self.model = self._whole.clone()  # same variable indices
                self.proto = self.model.proto
                self._domains = {int(i): list(self.proto.variables[int(i)].domain) for i in self.parts.decisions}
                self._fix(self.parts.decisions)
            self._ready = True

    def score(self, values: np.ndarray) -> float:
        return self.sub.whole_objective(values) if self.sub is not None else plan_objective(self.proto, values)

    @property
    def useful(self) -> bool:
        return len(self.parts.decisions) > 0 and len(self.parts.sessions) > 0

    def wants(self, objective: float) -> bool:
        """Whether a plan with this objective, found by another search, is better than any the
        steps have or have been offered."""
        offered = self._offered
        return objective < self.objective - 0.5 and (offered is None or objective < offered[0] - 0.5)

    def offer(self, objective: float, values: list[int]) -> None:
        """A better plan of the same model from another search (one value per variable): the
        next step starts from it. Safe to call from another thread."""
        if self.wants(objective):
            with self._lock:
                self._offered = (objective, np.asarray(values, dtype=np.int64))

    def _take_up_offer(self) -> None:
        with self._lock:
            offered, self._offered = self._offered, None
        if offered is not None and offered[0] < self.objective - 0.5:
            decisions = self.parts.decisions
            changed = decisions[self.best[decisions] != offered[1][decisions]]
            self.best = offered[1]
            self.objective = self.score(self.best)
            self.adopted += 1
            self.settled.clear()
            if self.sub is None:
                self._fix(changed)  # the rest are fixed at the values they keep

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._solver is not None:
                self._solver.stop_search()

    def run(self, seconds: float, deterministic: bool, step_seconds: float,
            on_better: Callable[[float], None] | None = None) -> None:
        """Steps until `seconds` (deterministic time when `deterministic`) are spent, the search
        is stopped, or a step freed every session and proved the plan optimal."""
        started = time.perf_counter()
        self.ready()
        while not self._stopped and not self.proven:
            spent = self.charged_time if deterministic else time.perf_counter() - started
            left = seconds - spent
            if left < 0.2:
                break
            if self.step(min(step_seconds, left), deterministic) and on_better:
                on_better(self.objective)

    def step(self, seconds: float, deterministic: bool) -> bool:
        """One neighbourhood freed and solved. Returns whether the best plan improved."""
        self.ready()
        self._take_up_offer()
        hood = self._kind()
        free, group, sessions = self._choose(hood)
        self.steps += 1
        hood.tried += 1
        if len(free) == 0:
            return False
        sub, variables = (None, None)
        if self.sub is not None:
            sub, variables = self.sub.build(free, self.best)
        else:
            self._unfix(free)
            hint_every_variable(self.proto, self.best)
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = self.workers
        params.random_seed = self.seed + self.steps
        # No presolve, see solvers.cpsat._parameters; on the small models too: at 430 practices,
        # 14 steps from greedy's plan gained 52,340 without it and 5,580 with it (small models
        # with helpers two constraints away then).
        params.cp_model_presolve = False
        params.add_lp_constraints_lazily = False
        # CP-SAT's default LP. Norfolk and Waveney, 60 s, seeds 0 to 3: without it (level 0)
        # 1,372,394-1,384,334, with more of it (level 2, which adds more constraints to the LP)
        # 1,373,174-1,375,044, against 1,340,724-1,344,724 (same session).
        params.linearization_level = 1
        params.catch_sigint_signal = False
        net = cpsat_limit(params, seconds, deterministic)
        with self._lock:
            if self._stopped:
                if sub is None:
                    self._fix(free)
                return False
            self._solver = solver
        status = cpsat_solve(solver, sub if sub is not None else self.model, net)
        with self._lock:
            self._solver = None
        self.deterministic_time += solver.deterministic_time
        before = self.objective
        better = False
        found = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if sub is not None:
                found = self.best.copy()
                found[variables] = np.asarray(solver.response_proto.solution, dtype=np.int64)
            elif solver.objective_value < self.objective - 0.5:
                found = np.asarray(solver.response_proto.solution, dtype=np.int64)
        objective = self.score(found) if found is not None else self.objective
        if objective < self.objective - 0.5:
            self.best, self.objective = found, objective
            better = True
            hood.improved += 1
            self.improvements += 1
            self._unsettle(set(sessions))
        if sub is None:
            self._fix(free)
        for h in self.neighbourhoods:
            h.gained *= DECAY
            h.spent *= DECAY
        hood.gained += before - self.objective
        hood.spent += solver.deterministic_time + STEP_CHARGE
        # Grow what was solved to the end, shrink what ran out of time (not when stopped).
        if hood.kind == "visits":
            if status == cp_model.OPTIMAL and not better:
                self.settled.add(("visits", group))
            return better
        k = group or 0
        limit = len(self._pools(hood)[k]) if hood.kind != "afternoons" else len(self.parts.sessions)
        if status == cp_model.OPTIMAL:
            self.proven = self.proven or (hood.kind == "afternoons" and hood.sizes[k] == limit)
            if not better and hood.kind in ("courses", "course") and len(sessions) == limit:
                self.settled.add((hood.kind, k))
            elif not better and hood.kind == "afternoons" and len(sessions) == 1:
                self.settled.add(("afternoons", sessions[0]))
            hood.sizes[k] = min(limit, hood.sizes[k] + 1)
        elif not self._stopped:
            hood.sizes[k] = max(1, hood.sizes[k] - 1 if better else hood.sizes[k] // 2)
        return better

    @property
    def charged_time(self) -> float:
        """Deterministic time spent, with a small fixed charge per step so that tiny steps end too."""
        return self.deterministic_time + STEP_CHARGE * self.steps

    def summary(self) -> str:
        def now(h: Neighbourhood) -> str:
            if h.kind == "visits":
                return f"{len(self.parts.targets)} practices' courses to move"
            return f"sessions now {h.sizes}"

        return ", ".join(f"{h.kind} improved {h.improved} of {h.tried} ({now(h)})" for h in self.neighbourhoods)

    def _kind(self) -> Neighbourhood:
        """The kind of the next step: each in turn for the first WARM_UP steps of each, then
        drawn with weight its recent gain per second, at least FLOOR of the best kind's (so a
        kind that gained nothing lately is still tried now and then). Settled kinds wait."""
        open_ = [h for h in self.neighbourhoods if not self._all_settled(h)] or self.neighbourhoods
        fresh = [h for h in open_ if h.tried < WARM_UP]
        if fresh:
            return min(fresh, key=lambda h: h.tried)
        top = max(h.rate for h in open_)
        if top <= 0:
            return open_[self.steps % len(open_)]
        return self.rng.choices(open_, weights=[max(h.rate, FLOOR * top) for h in open_])[0]

    def _unsettle(self, changed: set[Session]) -> None:
        """After the best plan changed on these sessions: a course group settled over every
        session where it has decisions stays settled when the change is on none of them (fire
        safety on the internal afternoons after a change at an external one); everything else is
        open again. A heuristic: a cluster's trainers teach only its courses, so such a change
        reaches it only through the equity terms (worst practice and role), but a pair's
        trainers may teach a third course elsewhere and gain a free afternoon of their year."""
        self.settled = {(kind, k) for kind, k in self.settled
                        if kind == "courses" and changed.isdisjoint(self.parts.group_sessions[k])}

    def _all_settled(self, hood: Neighbourhood) -> bool:
        if hood.kind == "visits":
            return all(("visits", t) in self.settled for t in range(len(self.parts.targets)))
        if hood.kind in ("courses", "course"):
            return all((hood.kind, k) in self.settled or not sessions  # a group with nothing to free never settles
                       for k, sessions in enumerate(self._pools(hood)))
        return hood.sizes[0] == 1 and all(("afternoons", s) in self.settled for s in self.parts.sessions)

    def _choose(self, hood: Neighbourhood) -> tuple[np.ndarray, int | None, list[Session]]:
        """The decisions to free, the index of the course group, course or practice's course
        they belong to (None: whole sessions) and the sessions freed."""
        if hood.kind == "afternoons":
            pool = self.parts.sessions
            if hood.sizes[0] == 1:
                pool = [s for s in pool if ("afternoons", s) not in self.settled] or pool
            sessions = self.rng.sample(pool, min(hood.sizes[0], len(pool)))
            chosen = [self.parts.by_session[s] for s in sessions]
            k = None
        elif hood.kind == "visits":
            # One practice's course moved between its seats at external runs and a visit: the
            # course alone, on the sessions where the practice has its seats and where it can be visited.
            pool = [t for t in range(len(self.parts.targets)) if ("visits", t) not in self.settled]
            k = self.rng.choice(pool or range(len(self.parts.targets)))
            course = self.parts.targets[k][1]
            seated = {s for s, i in self.parts.target_seats[k] if self.best[i] > 0}
            sessions = sorted(seated.union(self.parts.target_visits[k]))
            chosen = [self.parts.by_course[s, course] for s in sessions if (s, course) in self.parts.by_course]
        elif hood.kind == "course":
            pools = self.parts.course_sessions
            open_ = [k for k, pool in enumerate(pools) if pool and ("course", k) not in self.settled]
            k = self.rng.choice(open_ or [k for k, pool in enumerate(pools) if pool])
            course, pool = self.parts.courses[k], pools[k]
            sessions = self.rng.sample(pool, min(hood.sizes[k], len(pool)))
            chosen = [self.parts.by_course[s, course] for s in sessions]
        else:
            weights = [0 if ("courses", k) in self.settled or not self.parts.group_sessions[k]
                       else 1 + int(self.best[i] @ w)  # unmet demand x priority
                       for k, (i, w) in enumerate(self.parts.unmet)]
            if not any(weights):
                weights = [1] * len(weights)
            k = self.rng.choices(range(len(self.parts.groups)), weights=weights)[0]
            pool = self.parts.group_sessions[k]
            sessions = self.rng.sample(pool, min(hood.sizes[k], len(pool)))
            chosen = [self.parts.by_group[s, k] for s in sessions if (s, k) in self.parts.by_group]
        return (np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)), k, sessions

    def _pools(self, hood: Neighbourhood) -> list[list[Session]]:
        return self.parts.course_sessions if hood.kind == "course" else self.parts.group_sessions

    def _fix(self, indices: np.ndarray) -> None:
        variables = self.proto.variables
        for i, v in zip(indices.tolist(), self.best[indices].tolist(), strict=True):
            domain = variables[i].domain
            domain.clear()
            domain.extend((v, v))

    def _unfix(self, indices: np.ndarray) -> None:
        variables = self.proto.variables
        for i in indices.tolist():
            domain = variables[i].domain
            domain.clear()
            domain.extend(self._domains[i])
