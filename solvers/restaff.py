"""The trainers of a finished plan chosen again, without the whole model.

Greedy picks trainers by how pressed their other skills are, then by id, and never by cost; on
the areas where only greedy's plan is in hand (the decomposed master at 6,300 practices, where
the whole model does not fit) that leaves money on the table. With every other decision of the
plan fixed (dates, waves, cover, runs, their rooms and seats, on-site courses), choosing who
teaches each run and makes each visit is an assignment problem of its own. Its rows are written
with CP-SAT's modelling layer from the plan alone (cpsat/retrain.py does the same inside the whole
model) and solved by HiGHS through the MIP back end's translation (see `_solve_mip` for why not
CP-SAT).

Counts, not runs: the runs of one session, course and blocks are interchangeable for a trainer
(a trainer teaches at most one of them, being in one place per block), so a trainer gets one
Boolean per such group, and the group's runs are handed to the trainers chosen afterwards, each
run keeping its trainer where that trainer is still chosen. The same for the on-site visits of
one session and course. The rules are those of H4: the skill (on-site trainers for visits), the
dates a trainer is unavailable, one place per block (a visit takes the whole afternoon), runs
per afternoon, afternoons per year (distinct dates). The objective is the plan's trainer terms:
cost per run and afternoons worked on a weekday the trainer does not prefer.

Trainers who share no skill share nothing here, so the problem splits into independent parts
(one per set of skills linked by trainers), solved one after another, largest first, each with
its share of the time; a part's new choice is kept only when it costs less than the plan's,
counted from the trainers handed out.

At 6,300 generated practices, on greedy's plan: 9 parts, every one proven optimal by HiGHS at
its root, about 31 s in all; the trainer terms fall from 5,427,250 to 4,231,300 (cost and broken
weekdays), 1.05 % of the plan's score. At 430 practices 358,840 -> 278,310 in 1.4 s.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.checker_rules import (
    trainer_in_two_places,
    trainer_lacks_skill,
    trainer_over_afternoons_per_year,
    trainer_over_runs_per_afternoon,
    trainer_unavailable,
)
from models.checker_view import PlanView
from models.plan import Plan
from models.scenario import Scenario, Trainer, Weights

from .base import cpu_net, highs_limit

Session = tuple[str, int]  # (event, wave)
# HiGHS's branch-and-bound nodes per part. At 6,300 practices every part is proven at the root
# (the largest after 12 s); the limit stops a search that would run on at the same place on any
# machine. With two or more workers the clock (each part's share of the time) stops a long
# root too, and a part stopped by it can end elsewhere on a slower machine.
MAX_NODES = 5_000


@dataclass
class _Group:
    """Runs of one session, course and blocks (or the visits of one session and course)."""
    session: Session
    course: str
    blocks: tuple[int, ...]  # block indices it occupies; a visit occupies them all
    items: list[int]  # indices into plan.runs, or into plan.on_site for visits
    visit: bool
    trainers: list[Trainer] = field(default_factory=list)  # who may take it


@dataclass
class Restaffed:
    plan: Plan
    before: int  # the trainer terms (cost, weighted broken weekdays) of the plan given
    after: int
    parts: int
    status: str  # OPTIMAL when HiGHS proved every part, FEASIBLE otherwise
    note: str = ""  # parts left as they were, and why

    def label(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"{self.before:,} -> {self.after:,} ({self.parts} parts, {self.status}{note})"


def restaff(scenario: Scenario, plan: Plan, seconds: float, workers: int = 2,
            stop: threading.Event | None = None) -> Restaffed:
    """The plan with its trainers chosen again within about `seconds`; everything else as it was.

    With `workers` 1, HiGHS's node limit ends each part rather than the clock (with a safety net
    of CPU time, solvers.base.highs_limit, as reseat.py has) and every part is solved, so the
    same plan comes back on any machine; with more, once the time is spent the parts left keep the
    plan's trainers. So do they once `stop` is set (Ctrl-C).
    The result is held to the checker's H4 rules; should it break one, the plan comes back as
    it was."""
    started = time.perf_counter()
    view = PlanView(scenario, plan)  # the checker's reading of the plan: dates, blocks, ids
    dates, trainers, weight = view.dates, view.trainers, scenario.policy.weights
    runs = [r.trainer for r in plan.runs]
    visits = [o.trainer for o in plan.on_site]
    parts = _parts(_groups(view))
    sizes = [sum(len(g.trainers) for g in part) for part in parts]
    before = after = 0
    proven, skipped = True, 0
    for k, part in enumerate(parts):
        old = _cost(part, runs, visits, dates, trainers, weight)
        before += old
        left = seconds - (time.perf_counter() - started)
        # With one worker the clock never decides (the node limit does), so the plan repeats: the
        # sweep's 0.5 s variants keep 0.05 s for this, and a loaded machine skipped parts there.
        out_of_time = left <= 0 and workers > 1
        if out_of_time or (stop is not None and stop.is_set()):
            proven, skipped = False, skipped + 1
            after += old
            continue
        if workers > 1:  # what the clock leaves, shared by the parts left
            share = max(0.0, left) * sizes[k] / max(1, sum(sizes[k:]))
        else:  # the whole time, shared by every part: the clock does not decide, not even the net's size
            share = seconds * sizes[k] / max(1, sum(sizes))
        chosen, optimal = _solve(part, dates, weight, share, workers, stop)
        proven &= optimal
        if chosen is not None:
            # The part's terms counted again from the trainers handed out, not taken from HiGHS
            # (see _solve_mip for a presolve that reported a wrong objective).
            tried_runs, tried_visits = list(runs), list(visits)
            for group, who in zip(part, chosen, strict=True):
                _hand_out(group, who, tried_visits if group.visit else tried_runs)
            new = _cost(part, tried_runs, tried_visits, dates, trainers, weight)
            if new < old:
                runs, visits, old = tried_runs, tried_visits, new
        after += old
    note = f"{skipped} left as they were: time spent or stopped" if skipped else ""
    out = plan.model_copy(deep=True)
    for run, tid in zip(out.runs, runs, strict=True):
        run.trainer = tid
    for visit, tid in zip(out.on_site, visits, strict=True):
        visit.trainer = tid
    broken = _broken_h4(scenario, out) if after < before else []
    if broken:  # not expected: every H4 rule is a row of the assignment
        return Restaffed(plan, before, before, len(parts), "FEASIBLE", f"not kept: {broken[0]}")
    return Restaffed(out, before, after, len(parts), "OPTIMAL" if proven else "FEASIBLE", note)


def restaff_interruptibly(scenario: Scenario, plan: Plan, seconds: float, workers: int) -> tuple[Restaffed, bool]:
    """`restaff` in a worker thread: Ctrl-C ends the part HiGHS is on and leaves the rest as they
    were, and the plan is kept. Returns the result and whether Ctrl-C came."""
    import highspy

    from .base import run_interruptibly

    stop = threading.Event()
    result: list[Restaffed] = []

    def work() -> None:
        try:
            result.append(restaff(scenario, plan, seconds, workers, stop))
        finally:
            highspy.Highs.resetThreadScheduler(False)  # HiGHS keeps a scheduler per thread; this one ends

    interrupted = run_interruptibly(work, stop.set)
    return result[0], interrupted


def restaff_into(scenario: Scenario, plan: Plan, seconds: float, workers: int) -> tuple[int, bool]:
    """`restaff_interruptibly`, and the plan takes its result in place: its runs' and visits'
    trainers, its objective (lower by what the trainer terms saved, the only terms that change)
    and `stats.trainers_again`. Returns what was saved and whether Ctrl-C came."""
    done, interrupted = restaff_interruptibly(scenario, plan, seconds, workers)
    report = plan.solver
    report.stats["trainers_again"] = done.label()
    if interrupted:
        report.stats["interrupted"] = True
    saved = done.before - done.after
    if saved <= 0 or report.objective is None:
        return 0, interrupted
    plan.runs, plan.on_site = done.plan.runs, done.plan.on_site
    report.objective -= saved
    return saved, interrupted


def _broken_h4(scenario: Scenario, plan: Plan) -> list[str]:
    """The checker's trainer rules (H4) the plan breaks, in words."""
    view = PlanView(scenario, plan)
    rules = (trainer_lacks_skill, trainer_unavailable, trainer_in_two_places, trainer_over_runs_per_afternoon,
             trainer_over_afternoons_per_year)
    return [v.message for rule in rules for v in rule(view)]


def _groups(view: PlanView) -> list[_Group]:
    block = {b: i for i, b in enumerate(view.block_ids)}
    every = tuple(range(len(block)))
    found: dict[tuple, _Group] = {}
    for i, run in enumerate(view.plan.runs):
        blocks = tuple(block[b] for b in view.run_blocks(run))
        key = ((run.event, run.wave), run.course, blocks, False)
        found.setdefault(key, _Group((run.event, run.wave), run.course, blocks, [], False)).items.append(i)
    for i, visit in enumerate(view.plan.on_site):
        key = ((visit.event, visit.wave), visit.course, every, True)
        found.setdefault(key, _Group((visit.event, visit.wave), visit.course, every, [], True)).items.append(i)
    groups = []
    for key in sorted(found):
        group = found[key]
        course = view.courses.get(group.course)
        if course is None:  # the checker reports it; its items keep their trainers
            continue
        day, skill = view.dates.get(group.session), course.needed_skill
        group.trainers = [t for t in view.scenario.trainers if skill in t.skills and day not in t.unavailable
                          and (t.on_site or not group.visit)]
        groups.append(group)
    return groups


def _parts(groups: list[_Group]) -> list[list[_Group]]:
    """Groups linked by a trainer who may take both, largest part first."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in groups:
        for t in g.trainers[1:]:
            parent[root(t.id)] = root(g.trainers[0].id)
    by_root: dict[str, list[_Group]] = defaultdict(list)
    for g in groups:
        by_root[root(g.trainers[0].id) if g.trainers else f"\0{g.course}"].append(g)
    return sorted(by_root.values(), key=lambda p: (-sum(len(g.trainers) for g in p), p[0].session, p[0].course))


def _broken(trainer: Trainer, day: dt.date | None) -> bool:
    return day is not None and trainer.breaks_weekday(day)


def _cost(part: list[_Group], runs: list[str], visits: list[str], dates: dict[Session, dt.date],
          trainers: dict[str, Trainer], weight: Weights) -> int:
    """The part's trainer terms in the plan as it is."""
    working: set[tuple[Session, str]] = set()
    cost = 0
    for g in part:
        for i in g.items:
            tid = (visits if g.visit else runs)[i]
            cost += weight.cost * trainers[tid].cost_per_run if tid in trainers else 0
            working.add((g.session, tid))
    return cost + weight.preferences * sum(_broken(trainers[t], dates.get(s)) for s, t in working if t in trainers)


def _solve(part: list[_Group], dates: dict[Session, dt.date], weight: Weights, seconds: float, workers: int,
           stop: threading.Event | None) -> tuple[list[list[str]] | None, bool]:
    """Who takes each group's items (trainer ids, one per item) and whether HiGHS proved it
    optimal. None when no assignment was found in time (or none exists)."""
    model = cp_model.CpModel()
    take: list[dict[str, cp_model.IntVar]] = []
    busy: dict[tuple[Session, str], list[tuple[tuple[int, ...], cp_model.IntVar]]] = defaultdict(list)
    trainers: dict[str, Trainer] = {}
    for g in part:
        chosen = {}
        for t in g.trainers:
            var = model.new_bool_var(f"take({t.id},{g.session},{g.course},{g.blocks})")
            chosen[t.id] = var
            busy[g.session, t.id].append((g.blocks, var))
            trainers[t.id] = t
        if len(chosen) < len(g.items):
            return None, False  # fewer trainers than items: the plan given breaks H4
        model.add(sum(chosen.values()) == len(g.items))
        take.append(chosen)
    works: dict[tuple[Session, str], cp_model.IntVar] = {}
    for (session, tid), entries in sorted(busy.items()):
        on = model.new_bool_var(f"works({tid},{session})")
        works[session, tid] = on
        if len(entries) == 1:
            model.add(entries[0][1] <= on)
        else:
            for b in sorted({b for blocks, _ in entries for b in blocks}):
                model.add(sum(var for blocks, var in entries if b in blocks) <= on)
        # x works, not the bare limit: with it the LP of the largest part at 6,300 practices is
        # the optimum (1,287,140; 1,235,153 without), and HiGHS needs 12 s instead of 33 s
        model.add(sum(var for _, var in entries) <= trainers[tid].max_runs_per_afternoon * on)
    days: dict[str, dict[dt.date, list[cp_model.IntVar]]] = defaultdict(lambda: defaultdict(list))
    for (session, tid), on in works.items():
        days[tid][dates.get(session, session)].append(on)
    for tid, by_day in sorted(days.items()):
        if len(by_day) <= trainers[tid].max_afternoons_per_year:
            continue
        worked = []
        for day, ons in sorted(by_day.items()):
            if len(ons) == 1:
                worked.append(ons[0])
            else:
                d = model.new_bool_var(f"works({tid},{day})")  # at least the sessions that day
                for on in ons:
                    model.add_implication(on, d)
                worked.append(d)
        model.add(sum(worked) <= trainers[tid].max_afternoons_per_year)
    objective = [weight.cost * trainers[t].cost_per_run * var for chosen in take for t, var in chosen.items()]
    objective += [weight.preferences * on for (s, t), on in works.items() if _broken(trainers[t], dates.get(s))]
    model.minimize(sum(objective))
    return _solve_mip(model, take, [len(g.items) for g in part], seconds, workers, stop)


def _solve_mip(model: cp_model.CpModel, take: list[dict[str, cp_model.IntVar]], sizes: list[int],
               seconds: float, workers: int, stop: threading.Event | None) -> tuple[list[list[str]] | None, bool]:
    """HiGHS on the model's rows. Not CP-SAT: on the 6,300-practice area's largest part (34,620
    variables: life support runs and visits, 788 trainers), with one worker and its LP's full
    linearization, it found no assignment in 30 deterministic seconds (52 s); given the plan as a
    hint (and the weaker row `runs <= limit` then in place of `runs <= limit x works`) it found
    nothing better than the plan in 20, and with two workers it had not ended 40 after over 4
    minutes. HiGHS proves that part at
    its root in 12-15 s (its LP, 1,287,140, is the optimum; the plan's choice costs 1,391,020).

    HiGHS runs with a fixed seed, and without the plan as a start: given it, HiGHS 1.16's
    presolve lost the optimum and still reported OPTIMAL (430 practices: 280,110 against
    278,310, which CP-SAT and HiGHS without the start both prove; on Norfolk and Waveney it
    reported 20,780 for a choice that costs 21,000). The plan's own choice stays when HiGHS
    finds nothing better."""
    from .highs import _load, _new_highs
    from .highs.translate import translate

    mip = translate(model.proto)
    highs = _new_highs()
    _load(highs, mip)
    # No "threads": HiGHS keeps one scheduler per thread, and once the seats' LP (reseat.py, probe.py)
    # has started it in the thread, asking for another count makes run() fail (kNotset, no plan).
    limit, net = highs_limit(seconds, workers <= 1)  # one worker: stopped by its nodes, a net of CPU time
    for name, value in (("random_seed", 0), ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.999),
                        ("mip_max_nodes", MAX_NODES), ("time_limit", limit)):
        highs.setOptionValue(name, value)
    halt = threading.Event()
    if net is not None or stop is not None:
        def on_check(event) -> None:
            if halt.is_set() or (stop is not None and stop.is_set()):
                event.interrupt()

        highs.cbMipInterrupt += on_check
    with cpu_net(net, halt.set):
        highs.run()
    if highs.getInfo().primal_solution_status != 2:  # HiGHS's kSolutionStatusFeasible
        return None, False
    x = highs.getSolution().col_value
    who = [sorted(t for t, var in chosen.items() if x[var.index] > 0.5) for chosen in take]
    if any(len(w) != size for w, size in zip(who, sizes, strict=True)):  # rounding gone wrong
        return None, False
    return who, highs.getModelStatus().name == "kOptimal"


def _hand_out(group: _Group, who: list[str], assigned: list[str]) -> None:
    """The group's items to the trainers chosen: an item keeps its trainer if still chosen."""
    held = {assigned[i] for i in group.items}
    free = [t for t in who if t not in held]
    kept = set(who)
    for i in group.items:
        if assigned[i] in kept:
            kept.discard(assigned[i])
        else:
            assigned[i] = free.pop(0)
