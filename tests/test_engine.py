"""End-to-end engine tests: solve, check, score, determinism, waves, and the CLI around them.

CP-SAT runs here use short limits: these tests hold plans to the checker, not to a speed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from models import Scenario, parse_scenario
from models.checker import check_plan
from models.plan import Plan
from models.score import score_plan
from scheduler.cli import main
from solvers.base import SolveOptions, get_solver

Doc = dict[str, Any]


def small_norwich(doc: Doc, practices: int = 6) -> Scenario:
    """Norwich cut down to its first practices, with cover and demand to match."""
    doc["practices"] = doc["practices"][:practices]
    return parse_scenario(doc)


def test_norwich_plan_is_found_and_keeps_every_hard_rule(norwich: Scenario, norwich_plan: Plan) -> None:
    assert norwich_plan.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(norwich, norwich_plan) == []
    assert len(norwich_plan.afternoons) == 6
    assert [a.kind.value for a in norwich_plan.afternoons] == ["external", "internal"] * 3


def test_score_calculated_from_the_plan_equals_the_solver_objective(norwich: Scenario, norwich_plan: Plan) -> None:
    score = score_plan(norwich, norwich_plan)
    assert score.total == norwich_plan.solver.objective
    assert score.total == sum(term.weighted for term in score.terms.values())
    assert norwich_plan.solver.bound is not None and norwich_plan.solver.bound <= score.total + 1e-6


def test_greedy_never_beats_cpsat_on_norwich(norwich: Scenario, norwich_plan: Plan) -> None:
    greedy = get_solver("greedy").solve(norwich, SolveOptions(time_limit=5, workers=1))
    assert check_plan(norwich, greedy) == []
    assert score_plan(norwich, greedy).total >= score_plan(norwich, norwich_plan).total


def test_half_the_cover_capacity_gives_two_waves_that_pass_the_checker(norwich_doc: Callable[[], Doc]) -> None:
    doc = norwich_doc()
    total = sum(p["list_size"] for p in doc["practices"])
    doc["cover_providers"][0]["capacity"] = total // 2
    doc["programme"]["max_waves"] = None
    scenario = parse_scenario(doc)
    plan = get_solver("cpsat").solve(scenario, SolveOptions(time_limit=10, workers=2, seed=0))
    assert plan.solver.status in ("OPTIMAL", "FEASIBLE")
    assert check_plan(scenario, plan) == []
    assert all(len(a.waves) >= 2 for a in plan.afternoons)
    for afternoon in plan.afternoons:
        for wave in afternoon.waves:
            load = sum(scenario.practice(p).list_size for p in wave.practices)
            assert load <= total // 2


def _without_solver(path: Path) -> Doc:
    data = json.loads(path.read_text())
    data.pop("solver")
    return data


def test_same_seed_and_one_worker_give_the_same_plan(norwich_doc: Callable[[], Doc], tmp_path: Path) -> None:
    scenario_file = tmp_path / "small.json"
    doc = norwich_doc()
    doc["practices"] = doc["practices"][:8]
    scenario_file.write_text(json.dumps(doc))
    runner = CliRunner()
    outputs = []
    for run in ("a", "b"):
        result = runner.invoke(main, ["solve", str(scenario_file), "--out", str(tmp_path / run), "--seed", "1",
                                      "--workers", "1", "--time-limit", "3", "--quiet"])
        assert result.exit_code == 0, result.output
        outputs.append(_without_solver(tmp_path / run / "plan.json"))
    assert outputs[0] == outputs[1]
    assert outputs[0]["runs"], "the plan should hold course runs"


def test_cli_solve_then_check_passes(norwich_doc: Callable[[], Doc], tmp_path: Path) -> None:
    scenario_file = tmp_path / "small.json"
    doc = norwich_doc()
    doc["practices"] = doc["practices"][:5]
    scenario_file.write_text(json.dumps(doc))
    runner = CliRunner()
    solved = runner.invoke(main, ["solve", str(scenario_file), "--out", str(tmp_path / "out"), "--time-limit", "5"])
    assert solved.exit_code == 0, solved.output
    assert "status" in solved.output and "objective" in solved.output and "plt-1" in solved.output
    checked = runner.invoke(main, ["check", str(scenario_file), str(tmp_path / "out" / "plan.json")])
    assert checked.exit_code == 0, checked.output
    assert "ok" in checked.output


def test_check_reports_a_broken_plan_with_exit_code_1(norwich_doc: Callable[[], Doc], tmp_path: Path) -> None:
    scenario_file = tmp_path / "small.json"
    doc = norwich_doc()
    doc["practices"] = doc["practices"][:5]
    scenario_file.write_text(json.dumps(doc))
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(scenario_file), "--out", str(tmp_path), "--time-limit", "3",
                                "--quiet"]).exit_code == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["afternoons"][0]["waves"][0]["date"] = "2027-05-31"  # Spring bank holiday
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(plan))
    result = runner.invoke(main, ["check", str(scenario_file), str(broken)])
    assert result.exit_code == 1
    assert "H1" in result.output and "Spring" in result.output


def test_check_rejects_a_file_that_is_not_a_plan(norwich_path: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "plan.json"
    bogus.write_text('{"afternoons": 3}')
    result = CliRunner().invoke(main, ["check", str(norwich_path), str(bogus)])
    assert result.exit_code == 2
    assert "not a valid plan" in result.output and "Traceback" not in result.output


def test_infeasible_scenario_says_so_and_points_to_explain(norwich_doc: Callable[[], Doc], tmp_path: Path) -> None:
    # Basic life support is due yearly for all 347 clinical staff, but one clinical skills room
    # (16 seats x 3 blocks x 3 external afternoons = 144) and two on-site instructors (6 practice
    # visits) cannot reach them all: with mandatory training hard (H6), no plan exists.
    doc = norwich_doc()
    doc["policy"]["mandatory"] = "hard"
    scenario_file = tmp_path / "hard.json"
    scenario_file.write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["solve", str(scenario_file), "--out", str(tmp_path / "o"),
                                       "--time-limit", "20", "--quiet"])
    assert result.exit_code == 1, result.output
    assert "INFEASIBLE" in result.output and f"`plt-scheduler explain {scenario_file}`" in result.output
    assert not (tmp_path / "o" / "plan.json").exists()
    edited = CliRunner().invoke(main, ["solve", str(tmp_path / "hard.json"), "--set", "policy.mandatory=soft",
                                       "--set", "calendar.min_weeks_between=30", "--out", str(tmp_path / "o"),
                                       "--time-limit", "20", "--quiet"])
    assert edited.exit_code == 1, edited.output  # the command to explain it keeps the edits
    assert (f"`plt-scheduler explain {tmp_path / 'hard.json'} --set policy.mandatory=soft --set "
            "calendar.min_weeks_between=30`") in edited.output


def test_cli_greedy_solve_says_it_proves_no_bound_and_publishes(norwich_path: Path, tmp_path: Path) -> None:
    solved = CliRunner().invoke(main, ["solve", str(norwich_path), "--solver", "greedy", "--out", str(tmp_path)])
    assert solved.exit_code == 0, solved.output
    assert "no bound (greedy proves none)" in solved.output and "status     FEASIBLE" in solved.output
    assert "(greedy, seed 0)" in solved.output and "s limit" not in solved.output  # greedy has no limit
    assert (tmp_path / "report.html").exists() and (tmp_path / "feeds").is_dir()


def test_a_bound_for_waves_fixed_before_modelling_says_so(tmp_path: Path) -> None:
    """Sixty practices in three waves: above FIXED_WAVES_ABOVE greedy's waves are fixed, so the
    bound and any proof are for those waves only."""
    from models import dump_scenario
    from models.generate import generate_scenario

    area = generate_scenario(60, 6, 3)
    plan = get_solver("cpsat").solve(area, SolveOptions(time_limit=5, workers=2, seed=0))
    assert plan.solver.stats["bound_given"] == "the waves of the greedy plan and their cover"
    assert plan.solver.status == "FEASIBLE"  # never OPTIMAL for the scenario
    assert check_plan(area, plan) == []
    path = tmp_path / "area.json"
    path.write_text(json.dumps(dump_scenario(area)), encoding="utf-8")
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "3",
                                       "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert "(given the waves of the greedy plan and their cover)" in result.output


def test_a_bound_when_the_model_chooses_the_waves_has_no_proviso(norwich: Scenario) -> None:
    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=2, workers=1, seed=0))
    assert "bound_given" not in plan.solver.stats
    assert plan.solver.bound is not None


def test_a_limit_spent_building_the_model_gives_the_start_plan(norwich_path: Path, norwich: Scenario,
                                                                      tmp_path: Path) -> None:
    """With several workers the limit counts on the clock from the solve's start: when building
    the model and its first plan spent it, no search runs and that plan (greedy's, on the dates the
    trainers can come to) is the plan, without a bound; HiGHS still takes up the same plan. With
    one worker the search stops on deterministic time, so the same limit still searches."""
    from solvers.greedy import GreedySolver

    first = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=1, workers=1, seed=0))
    short = SolveOptions(time_limit=0.1, workers=2, seed=0)
    cpsat, highs = (get_solver(name).solve(norwich, short) for name in ("cpsat", "highs"))
    for plan in (cpsat, highs):
        assert plan.solver.status == "FEASIBLE" and check_plan(norwich, plan) == []
        assert plan.solver.objective == score_plan(norwich, plan).total <= first.solver.objective
    assert cpsat.solver.objective == first.solver.objective
    assert cpsat.solver.bound is None
    assert cpsat.solver.stats["search"].startswith("none: the limit was spent building the model: ")
    one = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=0.1, workers=1, seed=0))
    assert not one.solver.stats["search"].startswith("none") and one.solver.bound is not None
    result = CliRunner().invoke(main, ["solve", str(norwich_path), "--out", str(tmp_path / "out"),
                                       "--time-limit", "0.1", "--workers", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert "no bound: no search ran (the limit was spent building the model: " in result.output
    assert "; raise --time-limit" in result.output


def test_a_model_built_in_time_but_too_little_left_for_a_search_gives_its_first_plan(norwich: Scenario,
                                                                                     monkeypatch) -> None:
    """The building ended within the limit but left less than MIN_SEARCH_SECONDS: no search, and
    the model's first plan (greedy's, completed by CP-SAT) is the plan."""
    import solvers.cpsat
    from solvers.greedy import GreedySolver

    monkeypatch.setattr(solvers.cpsat, "MIN_SEARCH_SECONDS", 10_000.0)
    monkeypatch.setattr(solvers.cpsat.pooled, "POOLED_FROM", math.inf)  # no proof first (a long limit)
    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=600, workers=2, seed=0))
    assert plan.solver.stats["search"].startswith("none: the model and its first plan took ")
    assert plan.solver.status == "FEASIBLE" and plan.solver.bound is None and check_plan(norwich, plan) == []
    first = GreedySolver(start_dates=True).solve(norwich, SolveOptions(time_limit=1, workers=1, seed=0))
    assert plan.solver.objective == score_plan(norwich, plan).total <= first.solver.objective


def test_a_spent_limit_without_a_first_plan_still_searches(norwich: Scenario, monkeypatch) -> None:
    """No complete first plan to fall back on: the search gets MIN_SEARCH_SECONDS rather than a
    negative limit, which CP-SAT rejects as an invalid model."""
    import solvers.cpsat

    monkeypatch.setattr(solvers.cpsat, "complete_hint_values", lambda m: None)
    monkeypatch.setattr(solvers.cpsat.StartPlans, "offer", lambda self, plan: None)  # nor a start plan to keep
    plan = get_solver("cpsat").solve(norwich, SolveOptions(time_limit=0.1, workers=2, seed=0))
    assert plan.solver.status in ("FEASIBLE", "OPTIMAL") and check_plan(norwich, plan) == []
    assert not plan.solver.stats["search"].startswith("none")


def test_small_models_searched_long_enough_get_the_longer_root_lp() -> None:
    """CP-SAT's default root LP stopped short of Norwich's LP relaxation in some seeds; small
    models searched for ROOT_LP_FROM seconds or more get ROOT_LP_ITERATIONS, others the default."""
    from ortools.sat.python import cp_model

    from solvers.cpsat import ROOT_LP_FROM, ROOT_LP_ITERATIONS, ROOT_LP_UP_TO, _parameters

    default = cp_model.CpSolver().parameters.root_lp_iterations
    assert default != ROOT_LP_ITERATIONS

    def iterations(limit: float, variables: int | None) -> int:
        solver = cp_model.CpSolver()
        _parameters(solver, SolveOptions(time_limit=limit, workers=2, seed=0), variables)
        return solver.parameters.root_lp_iterations

    assert iterations(ROOT_LP_FROM, ROOT_LP_UP_TO) == ROOT_LP_ITERATIONS
    assert iterations(ROOT_LP_FROM - 1, ROOT_LP_UP_TO) == default
    assert iterations(ROOT_LP_FROM, ROOT_LP_UP_TO + 1) == default
    assert iterations(ROOT_LP_FROM, None) == default
