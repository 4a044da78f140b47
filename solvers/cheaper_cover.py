"""A plan's cover booked again at less cost: the same practices close on the same afternoons, with
providers chosen for what they charge, afternoon by afternoon.

Greedy packs practices into waves and providers first fit, largest practice first, and never looks
at what a provider charges (H2 only asks that every closed practice is covered once, by a provider
available that afternoon, within its capacity). Above FIXED_WAVES_ABOVE practice-waves the CP-SAT
model takes greedy's waves and cover as given (solvers/cpsat), and the decomposition's master is
greedy's plan, so that cost stayed in every large plan: at 6,300 generated practices greedy's
cover costs 27,192,037 against an LP bound of 25,391,029 for the same closures (24 % of the
plan's score), and at 430 practices 1,838,008.

Each afternoon is booked on its own, since a provider's capacity is per afternoon and nothing
else in the plan depends on who covers a practice. Two ways of booking are tried and the cheaper
kept:

- CP-SAT chooses which providers to book and how many patients each takes, in patients rather
  than practices (a 6,300-practice afternoon has 2,100 practices and about 415 providers);
- no provider booked beforehand: each is booked when needed, in order of cost per patient at full
  use (its fee over its capacity plus its rate).

Either way the practices then go largest first to the booked provider with the lowest rate that
still fits them, the fullest of those, and the next provider by cost per patient is booked when
none does. CP-SAT's booking assumes its patients pack exactly, so packing whole practices spills
over into extra providers: at 430 practices it alone gives 1,618,694, the ranking alone
1,596,356, the cheaper of the two per afternoon 1,596,080. A model with one Boolean per practice
and provider, started from CP-SAT's booking, gained little more in far more time (430 practices:
1,614,293 in 33 s; a 60-practice area with 4 providers: 260,346 in 9.4 s against 260,592 in
0.06 s).

An afternoon keeps its new cover only when it costs less, counted as the score counts it. CP-SAT
runs on one worker and deterministic time, so the same plan gives the same cover on any machine.
An afternoon with two waves (their practices would share the providers' capacity) keeps its cover.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.checker_view import PlanView
from models.plan import Cover, Plan
from models.scenario import CoverProvider, Scenario

from .base import cpsat_limit, cpsat_solve

# CP-SAT's deterministic seconds per afternoon.
SECONDS_PER_AFTERNOON = 0.5


@dataclass
class Recovered:
    plan: Plan
    before: int  # the plan's cover cost (the score's cost_cover term)
    after: int
    afternoons: int  # afternoons with cover
    changed: int  # afternoons whose cover was booked again

    def label(self) -> str:
        return f"{self.before:,} -> {self.after:,} ({self.changed} of {self.afternoons} afternoons booked again)"


def cheaper_cover(scenario: Scenario, plan: Plan, seed: int = 0) -> Recovered:
    """The plan with each afternoon's cover booked again where that costs less; the rest as it was."""
    view = PlanView(scenario, plan)
    sizes = {p.id: p.list_size for p in scenario.practices}
    providers = {c.id: c for c in scenario.cover_providers}
    by_day: dict[dt.date, list[Cover]] = defaultdict(list)
    for c in plan.cover:
        by_day[view.dates[c.event, c.wave]].append(c)
    before = after = changed = 0
    out = plan.model_copy(deep=True)
    chosen: dict[tuple[str, int, str], str] = {}
    for day, covers in sorted(by_day.items()):
        current = {(c.event, c.wave, c.practice): c.provider for c in covers}
        available = [c for c in scenario.cover_providers if day not in c.unavailable]
        old = _cost(current, sizes, providers)
        # two waves on one afternoon would share the providers' capacity: not modelled, cover stays
        one_wave = len({(e, w) for e, w, _ in current}) == 1
        new_choice, new = None, old
        # CP-SAT's booking, then none booked beforehand (_pack books by cost per patient as needed)
        for booked in (_by_model(list(current), available, sizes, seed), []) if one_wave else ():
            choice = _pack(list(current), booked, available, sizes) if booked is not None else None
            cost = _cost(choice, sizes, providers) if choice is not None else old
            if cost < new:
                new_choice, new = choice, cost
        before += old
        if new_choice is not None and new < old:
            chosen.update(new_choice)
            changed += 1
            after += new
        else:
            after += old
    for c in out.cover:
        c.provider = chosen.get((c.event, c.wave, c.practice), c.provider)
    return Recovered(out if changed else plan, before, after, len(by_day), changed)


def with_cheaper_cover(scenario: Scenario, plan: Plan, seed: int = 0) -> Plan:
    """`cheaper_cover`, the plan's objective lower by what the cover saved (the only term that
    changes) and stats.cover_again saying what happened (the plan itself when nothing was cheaper)."""
    done = cheaper_cover(scenario, plan, seed)
    if done.after >= done.before:
        return plan
    out = done.plan
    out.solver = plan.solver.model_copy(deep=True)
    out.solver.stats["cover_again"] = done.label()
    if out.solver.objective is not None:
        out.solver.objective -= scenario.policy.weights.cost * (done.before - done.after)
    return out


def _cost(choice: dict[tuple[str, int, str], str], sizes: dict[str, int],
          providers: dict[str, CoverProvider]) -> int:
    """What the score pays for this afternoon's cover: each provider's fee once per wave it
    covers in, and its rate per practice."""
    fees = {(e, w, c) for (e, w, _), c in choice.items()}
    return sum(providers[c].cost_per_afternoon for _, _, c in fees) + \
        sum(providers[c].cost_for(sizes[p]) for (_, _, p), c in choice.items())


def _solver(seed: int) -> tuple[cp_model.CpSolver, float | None]:
    """The solver and its CPU net (solvers.base.cpu_net)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    net = cpsat_limit(solver.parameters, SECONDS_PER_AFTERNOON, True)
    solver.parameters.random_seed = seed
    solver.parameters.catch_sigint_signal = False  # Ctrl-C is the solve's: it keeps the plan in hand
    return solver, net


def _by_model(closing: list[tuple[str, int, str]], available: list[CoverProvider], sizes: dict[str, int],
              seed: int) -> list[CoverProvider] | None:
    """The providers CP-SAT books for these practices' patients (None when it found nothing)."""
    patients = sum(sizes[p] for _, _, p in closing)
    m = cp_model.CpModel()
    used = {c.id: m.new_bool_var(f"used({c.id})") for c in available}
    load = {c.id: m.new_int_var(0, c.capacity, f"patients({c.id})") for c in available}
    for c in available:
        m.add(load[c.id] <= c.capacity * used[c.id])
    m.add(sum(load.values()) == patients)
    # in thousandths: the rate is per 1,000 patients
    m.minimize(sum(1000 * c.cost_per_afternoon * used[c.id] + c.cost_per_1000_patients * load[c.id]
                   for c in available))
    solver, net = _solver(seed)
    if cpsat_solve(solver, m, net) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [c for c in available if solver.value(used[c.id])]


def _per_patient(c: CoverProvider) -> tuple[float, str]:
    return c.cost_per_afternoon / c.capacity + c.cost_per_1000_patients / 1000, c.id


def _pack(closing: list[tuple[str, int, str]], booked: list[CoverProvider], available: list[CoverProvider],
          sizes: dict[str, int]) -> dict[tuple[str, int, str], str] | None:
    """Largest practice first to the booked provider with the lowest rate that still fits it, the
    fullest of those; when none fits, the next provider by cost per patient at full use is
    booked. None when a practice fits in no provider left."""
    held = {c.id for c in booked}
    spare = sorted((c for c in available if c.id not in held), key=_per_patient)
    free = {c.id: c.capacity for c in booked}
    open_ = list(booked)
    out = {}
    for key in sorted(closing, key=lambda k: (-sizes[k[2]], k[2])):
        size = sizes[key[2]]
        fits = [c for c in open_ if free[c.id] >= size]
        while not fits and spare:
            open_.append(spare.pop(0))
            free[open_[-1].id] = open_[-1].capacity
            fits = [open_[-1]] if open_[-1].capacity >= size else []
        if not fits:
            return None
        provider = min(fits, key=lambda c: (c.cost_per_1000_patients, free[c.id], c.id))
        free[provider.id] -= size
        out[key] = provider.id
    return out
