"""Choosing the trainers of a finished plan again without the whole model (solvers/restaff.py)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from models import load_scenario
from models.checker import check_plan
from models.plan import Plan
from models.scenario import Scenario, Weekday
from models.score import score_plan
from solvers.base import SolveOptions
from solvers.cpsat import _decisions, prepare_model
from solvers.cpsat.hints import complete_hint_values, plan_objective
from solvers.cpsat.retrain import choose_trainers_again
from solvers.greedy import GreedySolver
from solvers.restaff import _Group, _hand_out, restaff
from tests.test_properties import small_area


def _greedy(scenario: Scenario) -> Plan:
    return GreedySolver(start_dates=True).solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))


def _trainer_weekdays(area: Scenario, plan: Plan) -> int:
    """Weighted afternoons worked on a weekday the trainer does not prefer."""
    trainers = {t.id: t for t in area.trainers}
    working = {(r.event, r.wave, r.trainer) for r in plan.runs} | {(o.event, o.wave, o.trainer) for o in plan.on_site}
    broken = sum(bool(trainers[t].preferred_weekdays) and plan.session_date(e, w).weekday()
                 not in {d.number for d in trainers[t].preferred_weekdays} for e, w, t in working)
    return area.policy.weights.preferences * broken


def _all_but_trainers(plan: Plan) -> dict:
    return plan.model_dump(include={"afternoons", "cover"}) | {
        "runs": [r.model_dump(exclude={"trainer"}) for r in plan.runs],
        "on_site": [o.model_dump(exclude={"trainer"}) for o in plan.on_site]}


def test_on_norfolk_and_waveney_only_the_trainers_change_and_the_score_falls_by_what_it_says():
    scenario = load_scenario("examples/norfolk-waveney/scenario.yaml")
    greedy = _greedy(scenario)
    done = restaff(scenario, greedy, 20)
    assert done.status == "OPTIMAL" and done.parts > 1
    assert check_plan(scenario, done.plan) == []
    assert _all_but_trainers(done.plan) == _all_but_trainers(greedy)
    before, after = score_plan(scenario, greedy), score_plan(scenario, done.plan)
    assert {k for k in before.terms if before.terms[k].raw != after.terms[k].raw} <= {"cost_trainers", "preferences"}
    # greedy picks trainers by pressure and id, never by cost: here there is money to save
    assert done.after < done.before
    assert after.total - before.total == done.after - done.before
    # the same plan again: the same choice, and nothing left to gain
    assert restaff(scenario, greedy, 20).plan == done.plan
    again = restaff(scenario, done.plan, 20)
    assert again.before == again.after == done.after and again.plan == done.plan


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), practices=st.integers(2, 5), courses=st.integers(2, 5))
def test_it_finds_the_same_optimum_as_the_whole_model_over_the_trainers(seed, practices, courses):
    """The whole CP-SAT model with every decision but the trainers fixed at greedy's plan
    (cpsat/retrain.py; 10 deterministic seconds, far more than a model this small needs) and this
    step's assignment built from the plan alone give the same score: the two write H4 and the
    trainer terms independently, so a rule or term either one got wrong shows here."""
    scenario = small_area(practices=practices, seed=seed, courses=courses, days=90, spacing=2, external=2,
                          internal=1)
    # One trainer per skill in a small area: a dearer twin and a cheaper twin with a weekday
    # preference and one afternoon a year give the step choices, limits and preferences to weigh.
    twins = [t.model_copy(update={"id": f"{t.id}-dear", "cost_per_run": 2 * t.cost_per_run}) for t in scenario.trainers]
    twins += [t.model_copy(update={"id": f"{t.id}-cheap", "cost_per_run": t.cost_per_run // 2,
                                   "max_afternoons_per_year": 1, "preferred_weekdays": [Weekday.mon]})
              for t in scenario.trainers]
    scenario = scenario.model_copy(update={"trainers": [*scenario.trainers, *twins]})
    greedy = _greedy(scenario)
    assume(greedy.solver.status == "FEASIBLE")
    m, _ = prepare_model(scenario, SolveOptions(time_limit=5, workers=1, seed=0))
    values = complete_hint_values(m)
    assert values is not None and plan_objective(m.model.proto, values) == score_plan(scenario, greedy).total
    whole, interrupted = choose_trainers_again(m, values, _decisions(m), SolveOptions(workers=1, seed=0), 10)
    assert not interrupted
    done = restaff(scenario, greedy, 10)
    assert done.status == "OPTIMAL"
    assert check_plan(scenario, done.plan) == []
    assert score_plan(scenario, done.plan).total == plan_objective(m.model.proto, whole)


def _twinned(practices: int, seed: int) -> Scenario:
    """A small area whose every trainer has a dearer twin (same skills, dates and limits)."""
    scenario = small_area(practices=practices, seed=seed, courses=4, days=90, spacing=2, external=2, internal=1)
    twins = [t.model_copy(update={"id": f"{t.id}-dear", "cost_per_run": 2 * t.cost_per_run + 10})
             for t in scenario.trainers]
    return scenario.model_copy(update={"trainers": [*scenario.trainers, *twins]})


def _dear(scenario: Scenario, plan: Plan) -> Plan:
    """The same plan with every trainer swapped with its twin (identical but for cost): it keeps
    every rule, and as the plan used mostly the cheap ones, it costs more."""
    dear = plan.model_copy(deep=True)
    for item in [*dear.runs, *dear.on_site]:
        item.trainer = item.trainer.removesuffix("-dear") if item.trainer.endswith("-dear") else f"{item.trainer}-dear"
    dear.solver.objective = score_plan(scenario, dear).total
    return dear


def _dear_items(plan: Plan) -> int:
    return sum(item.trainer.endswith("-dear") for item in [*plan.runs, *plan.on_site])


def test_from_the_dear_twins_it_goes_back_to_the_cheap_ones():
    scenario = _twinned(4, 11)
    greedy = _greedy(scenario)
    dear = _dear(scenario, greedy)
    assert check_plan(scenario, dear) == [] and dear.solver.objective > greedy.solver.objective
    done = restaff(scenario, dear, 10)
    assert check_plan(scenario, done.plan) == []
    assert score_plan(scenario, done.plan).total == dear.solver.objective - (done.before - done.after)
    assert score_plan(scenario, done.plan).total <= greedy.solver.objective  # greedy's choice fits the same plan
    assert _dear_items(done.plan) <= _dear_items(greedy) < _dear_items(dear)


def test_once_stopped_the_parts_left_keep_their_trainers():
    scenario = _twinned(4, 11)
    dear = _dear(scenario, _greedy(scenario))
    stop = threading.Event()
    stop.set()
    done = restaff(scenario, dear, 10, stop=stop)
    assert done.plan == dear and done.before == done.after and done.status == "FEASIBLE"
    assert f"{done.parts} left as they were" in done.note


def test_a_choice_that_breaks_a_trainer_rule_is_not_kept(monkeypatch):
    """Should the assignment ever come back breaking H4 (here: a free trainer without the skill
    handed every item), the checker's trainer rules catch it and the plan stays as it was."""
    from solvers import restaff as module

    scenario = _twinned(4, 11)
    free = scenario.trainers[0].model_copy(update={"id": "t-free", "skills": ["no-such-skill"], "cost_per_run": 0})
    scenario = scenario.model_copy(update={"trainers": [*scenario.trainers, free]})
    plan = _greedy(scenario)
    monkeypatch.setattr(module, "_solve", lambda part, *rest: ([["t-free"] * len(g.items) for g in part], True))
    done = restaff(scenario, plan, 10)
    assert done.plan == plan and done.after == done.before
    assert "not kept" in done.label() and "t-free" in done.note


def test_hand_out_keeps_each_item_with_its_trainer_when_still_chosen():
    group = _Group(("plt-1", 1), "bls", (0,), [0, 1, 2], False)
    assigned = ["a", "b", "c"]
    _hand_out(group, ["c", "d", "a"], assigned)
    assert assigned == ["a", "d", "c"]  # a and c stay where they were; b's run goes to d


@pytest.mark.usefixtures("search_off_the_clock")  # how it searches, not its time budget
def test_after_a_search_with_steps_the_objective_and_gap_follow_what_it_saved():
    """cpsat/__init__.py's `_restaffed` on a finished plan made dear: the reported objective is
    the plan's score, the gap is taken against the same bound, and the bound still holds."""
    from solvers.cpsat import CpSatSolver, _gap, _restaffed

    scenario = _twinned(4, 11)
    options = SolveOptions(time_limit=3, workers=2, seed=0)
    plan = CpSatSolver().solve(scenario, options)
    assert plan.solver.stats["search"] == "full model with steps beside it" and plan.solver.bound is not None
    dear = _dear(scenario, plan)
    paid = dear.solver.objective
    _restaffed(scenario, dear, options)
    assert dear.solver.objective == score_plan(scenario, dear).total < paid
    assert dear.solver.gap == _gap(dear.solver.objective, dear.solver.bound)
    assert dear.solver.objective >= dear.solver.bound
    assert check_plan(scenario, dear) == []


def test_with_one_worker_the_clock_never_skips_a_part():
    """No time at all: with two workers every part keeps the plan's trainers, with one every part
    is still solved (HiGHS's node limit ends it), so a one-worker plan repeats on a loaded machine."""
    scenario = _twinned(4, 11)
    dear = _dear(scenario, _greedy(scenario))
    hurried = restaff(scenario, dear, 0, workers=2)
    assert hurried.plan == dear and hurried.before == hurried.after and "time spent" in hurried.note
    one = restaff(scenario, dear, 0, workers=1)
    assert one.status == "OPTIMAL" and one.after < one.before and one.note == ""
    assert one.plan == restaff(scenario, dear, 10, workers=1).plan
