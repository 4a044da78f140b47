"""Progress while solving: a bar on a terminal, one line per better plan in a log, nothing when quiet."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from scheduler.progress import solve_progress
from solvers.base import Progress


def test_quiet_gives_no_callback() -> None:
    with solve_progress("solving", 10, quiet=True) as report:
        assert report is None


def test_a_log_gets_one_line_per_better_plan(capsys: pytest.CaptureFixture[str]) -> None:
    with solve_progress("solving x", 10, quiet=False, terminal=False) as report:
        assert report is not None
        report(Progress(1.5, 829374, 68814))
        report(Progress(3.0, 700000, 608830))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "solving x (10 s limit)..."
    assert "better plan 829,374" in err[1] and "bound 68,814" in err[1]
    assert "better plan 700,000" in err[2] and "bound 608,830" in err[2]


def test_the_terminal_bar_takes_reports_and_stops_its_clock() -> None:
    before = threading.active_count()
    with solve_progress("solving", 0.5, quiet=False, terminal=True) as report:
        assert report is not None and threading.active_count() > before
        report(Progress(0.1, 100, 90))
    assert threading.active_count() == before


def test_the_steps_plans_carry_the_full_searchs_latest_bound() -> None:
    """Plans found by the steps beside the full search are shown with the bound CP-SAT reported
    last (its bound callback), never with an older, lower bound from one of its own plans."""
    from solvers.cpsat import _SharedProgress

    got: list[Progress] = []
    shared = _SharedProgress(got.append)
    shared.from_plan(700)
    shared.from_bound(600)
    shared.from_plan(650)
    shared.from_full(Progress(1.0, 640, 590))
    shared.from_plan(645)  # not better than 640: not shown
    shared.from_bound(620)
    shared.from_plan(630)
    assert [(p.objective, p.bound) for p in got] == [(700, float("-inf")), (650, 600), (640, 600), (630, 620)]


def test_a_plan_before_any_bound_says_so_instead_of_minus_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    """With one worker the steps report plans before the full model has a bound."""
    with solve_progress("solving", 10, quiet=False, terminal=False) as report:
        assert report is not None
        report(Progress(0.3, 680814, float("-inf")))
        report(Progress(8.0, 644982, 609872))
    err = capsys.readouterr().err.splitlines()
    assert "better plan 680,814" in err[1] and err[1].endswith("bound none yet") and "inf" not in err[1]
    assert err[2].endswith("bound 609,872")


@pytest.mark.parametrize("method", ["cpsat", "highs"])
def test_a_solve_reports_its_first_plan_before_the_search_and_then_only_better_ones(norwich, method: str) -> None:
    """The complete first solution (greedy's plan on the start dates) is a plan in hand as soon as
    the model is built: it is the first report, then each report is better than the one before,
    timed on one clock from the solve's start."""
    from models.score import score_plan
    from solvers.base import SolveOptions, get_solver
    from solvers.cpsat import _greedy_start

    got: list[Progress] = []
    options = SolveOptions(time_limit=4, workers=1, seed=0, on_progress=got.append)
    plan = get_solver(method).solve(norwich, options)
    start = _greedy_start(norwich, SolveOptions(time_limit=4, workers=1, seed=0))
    assert got and got[0].objective == score_plan(norwich, start).total
    assert all(b.objective < a.objective for a, b in pairwise(got))
    assert all(b.seconds >= a.seconds for a, b in pairwise(got))
    assert got[-1].objective >= plan.solver.objective
