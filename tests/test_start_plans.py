"""The plans a solve holds before its model is built (solvers/cpsat StartPlans): reported as
progress at once, kept when Ctrl-C or the time limit stops the building, and never beaten by a
worse end."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import solvers.cpsat
from models.checker import check_plan
from models.generate import generate_scenario
from models.plan import Plan
from models.scenario import Scenario
from models.score import score_plan
from scheduler.cli import main
from solvers.base import Progress, SolveOptions, get_solver
from solvers.cheaper_cover import with_cheaper_cover
from solvers.cpsat import StartPlans
from solvers.greedy import GreedySolver
from solvers.restaff import restaff_into


def _greedy(scenario: Scenario, earliest: bool = False) -> Plan:
    return GreedySolver(start_dates=not earliest).solve(scenario, SolveOptions(time_limit=5, workers=1, seed=0))


def test_a_large_area_s_start_plans_come_first_as_progress_and_the_solve_ends_below_them() -> None:
    """Sixty practices in three waves (waves fixed before modelling): greedy's plan, then with its
    cover booked again, then with its trainers chosen again, each reported before the model's own
    first plan; the model starts from the last and the solve ends no worse."""
    area = generate_scenario(60, 6, 3)
    greedy = _greedy(area)
    cover = with_cheaper_cover(area, greedy, 0)
    trainers = cover.model_copy(deep=True)
    restaff_into(area, trainers, 10, 1)
    expected = [greedy.solver.objective, cover.solver.objective, trainers.solver.objective]
    assert expected == sorted(set(expected), reverse=True)  # each step gains here, so each is reported
    events: list[Progress] = []
    plan = get_solver("cpsat").solve(area, SolveOptions(time_limit=3, workers=1, seed=0, on_progress=events.append))
    assert [e.objective for e in events[:3]] == expected
    objectives = [e.objective for e in events]
    assert objectives == sorted(objectives, reverse=True)
    assert "its trainers chosen again: " in plan.solver.stats["start"]
    assert check_plan(area, plan) == [] and score_plan(area, plan).total == plan.solver.objective


def test_a_large_area_s_start_plan_has_its_sessions_laid_out_again_by_cp_sat_only(monkeypatch) -> None:
    """After its trainers, the start plan's external sessions are laid out again one at a time
    (sessions.py), reported before the model's first plan; the MIP back end, whose comparison
    with CP-SAT the benchmark makes, and a re-plan (stability uncounted there) do not."""
    import solvers.sessions

    monkeypatch.setattr(solvers.cpsat, "START_SESSIONS_PER_PRACTICE", 0.05)  # 3 s for 60 practices
    calls: list[str] = []
    laid_out = solvers.sessions.sessions_into
    monkeypatch.setattr(solvers.sessions, "sessions_into", lambda *args: calls.append("x") or laid_out(*args))
    area = generate_scenario(60, 6, 3)
    trainers = with_cheaper_cover(area, _greedy(area), 0)
    restaff_into(area, trainers, 10, 1)
    events: list[Progress] = []
    options = SolveOptions(time_limit=6, workers=1, seed=0, on_progress=events.append)
    plan = get_solver("cpsat").solve(area, options)
    assert "its sessions laid out again: " in plan.solver.stats["start"]
    objectives = [e.objective for e in events]
    assert objectives[2] == trainers.solver.objective and objectives[3] < objectives[2]
    assert plan.solver.objective <= objectives[3]
    assert check_plan(area, plan) == [] and score_plan(area, plan).total == plan.solver.objective
    assert len(calls) == 1
    # 2 s would still give the step 1.1 s (0.55 of the limit, above MIN_START_SESSIONS_SECONDS).
    get_solver("highs").solve(area, SolveOptions(time_limit=2, workers=1, seed=0))
    get_solver("cpsat").solve(area, SolveOptions(time_limit=2, workers=1, seed=0, baseline=plan))
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["cpsat", "highs"])
def test_ctrl_c_while_the_model_is_built_keeps_the_start_plan(norwich: Scenario, monkeypatch, name: str) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(solvers.cpsat, "build_model", interrupted)
    plan = get_solver(name).solve(norwich, SolveOptions(time_limit=60, workers=2, seed=0))
    assert plan.solver.name == name and plan.solver.status == "FEASIBLE"
    assert plan.solver.stats["interrupted"] and plan.solver.bound is None
    assert plan.solver.stats["search"].startswith("none: Ctrl-C came before the search")
    assert check_plan(norwich, plan) == []
    assert plan.solver.objective == score_plan(norwich, plan).total == _greedy(norwich).solver.objective


def test_ctrl_c_before_any_start_plan_still_ends_the_solve(norwich: Scenario, monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(solvers.cpsat, "_greedy_start", lambda scenario, options: None)
    monkeypatch.setattr(solvers.cpsat, "build_model", interrupted)
    with pytest.raises(KeyboardInterrupt):
        get_solver("cpsat").solve(norwich, SolveOptions(time_limit=60, workers=2, seed=0))


def test_the_cli_says_a_ctrl_c_stopped_the_building_and_publishes_the_start_plan(
        norwich_path: Path, tmp_path: Path, monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(solvers.cpsat, "build_model", interrupted)
    result = CliRunner().invoke(main, ["solve", str(norwich_path), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert "no bound: no search ran (Ctrl-C came before the search" in result.output
    assert "raise --time-limit" not in result.output
    assert (tmp_path / "plan.json").exists()


def test_with_one_worker_the_clock_never_stops_the_building(norwich: Scenario) -> None:
    """One worker stops on deterministic time so that a seed repeats: a limit shorter than the
    model's building still builds it and searches."""
    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=0.1, workers=1, seed=0))
    assert not plan.solver.stats["search"].startswith("none") and plan.solver.bound is not None


def test_a_solve_that_ends_worse_than_its_start_plan_takes_the_start_plan(norwich: Scenario) -> None:
    start, worse = _greedy(norwich), _greedy(norwich, earliest=True)
    assert start.solver.objective < worse.solver.objective
    starts = StartPlans()
    starts.offer(worse)
    starts.offer(start)
    starts.offer(worse)  # not better: the best stays
    assert starts.best is not None and starts.best.solver.objective == start.solver.objective
    plan = worse.model_copy(deep=True)
    plan.solver.bound = start.solver.objective - 1000
    plan.solver.stats |= {"model_terms": "...", "above_model": 80}  # the search's own
    starts.keep_if_better(plan)
    assert plan.solver.objective == start.solver.objective == score_plan(norwich, plan).total
    assert check_plan(norwich, plan) == [] and "start plan" in plan.solver.stats["kept_start"]
    assert not {"model_terms", "above_model"} & plan.solver.stats.keys()  # they described the search's plan
    assert plan.solver.gap == pytest.approx(1000 / start.solver.objective, abs=1e-6)


def test_a_solve_that_found_no_plan_takes_the_start_plan(norwich: Scenario) -> None:
    start = _greedy(norwich)
    starts = StartPlans()
    starts.offer(start)
    plan = start.model_copy(update={"runs": [], "on_site": [], "afternoons": [], "cover": []}, deep=True)
    plan.solver.status, plan.solver.objective = "UNKNOWN", None
    starts.keep_if_better(plan)
    assert plan.solver.status == "FEASIBLE" and plan.solver.objective == start.solver.objective
    assert check_plan(norwich, plan) == [] and "no plan (UNKNOWN)" in plan.solver.stats["kept_start"]


def test_a_re_plan_whose_limit_is_spent_building_keeps_the_published_plan(norwich: Scenario,
                                                                          norwich_plan: Plan) -> None:
    """Re-planning, the baseline is a start plan when it still keeps every rule: a limit spent
    building the model returns it (no change, no stability cost), not greedy's re-plan."""
    options = SolveOptions(time_limit=0.1, workers=2, seed=0, baseline=norwich_plan)
    plan = get_solver("cpsat").solve(norwich, options)
    assert plan.solver.stats["search"].startswith("none: the limit was spent building the model")
    assert plan.solver.stats["start"] == "the baseline"
    assert plan.runs == norwich_plan.runs and plan.cover == norwich_plan.cover
    assert plan.solver.objective == score_plan(norwich, plan, norwich_plan).total
    assert score_plan(norwich, plan, norwich_plan).terms["stability"].weighted == 0
    assert check_plan(norwich, plan) == []


def test_the_completion_stops_at_the_deadline_and_the_start_plan_is_kept(norwich: Scenario, monkeypatch) -> None:
    """With several workers the model's completion of the start plan (complete_hints) gets the
    clock left to the deadline, and when it stops there the start plan is the plan, not a hint
    taken for one that does not fit (cleared, and the search started from nothing)."""
    clocks: list[float | None] = []

    def clock_runs_out(m, seconds: float = 10.0, clock: float | None = None) -> bool:
        clocks.append(clock)
        solvers.cpsat.time.sleep(clock or 0)  # the deadline passes while it completes
        return False

    monkeypatch.setattr(solvers.cpsat, "complete_hints", clock_runs_out)
    limit = 20.0
    hint = _greedy(norwich, earliest=True)  # a hint first, then greedy's plan: two starts to complete
    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=limit, workers=2, seed=0, hint=hint))
    assert len(clocks) == 1 and 0 < clocks[0] < limit  # the clock left, then no other start tried
    assert plan.solver.stats["search"].startswith("none: the limit was spent building the model: ")
    assert plan.solver.status == "FEASIBLE" and check_plan(norwich, plan) == []
    assert plan.solver.objective == score_plan(norwich, plan).total <= _greedy(norwich).solver.objective
    clocks.clear()
    one = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=0.5, workers=1, seed=0))
    # one worker: no deadline, the completion stops on deterministic time only; a start that does
    # not complete is not kept, and the search starts from nothing
    assert clocks == [None] and not one.solver.stats["search"].startswith("none")
