"""Shared fixtures: the Norwich example as a path, as a loaded scenario, and as a plain dict.

The dict comes through JSON on purpose: the example's YAML shares audience lists between
courses with anchors (&id001), so a dict straight from `yaml.safe_load` would let one edit
change several courses at once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import Scenario, load_scenario
from models.plan import Plan

ROOT = Path(__file__).resolve().parent.parent
NORWICH = ROOT / "examples" / "norwich" / "scenario.yaml"


@pytest.fixture(scope="session", autouse=True)
def _cpsat_plans_score_their_model_s_objective() -> Iterator[None]:
    """CP-SAT and HiGHS report a plan's score as its objective, and the model's objective where it
    differs (stats.above_model, the score less the model's): below the score only where a re-plan keeps baseline rooms,
    above it only where the model's penalties were not at their least (a plan kept at Ctrl-C
    before it was polished). So that the many tests holding `objective == score_plan(...)` still
    catch a plan the model mis-counts, every plan without a baseline, in every test of the
    session, must score its model's objective exactly unless the solve was interrupted (solves in
    other processes, such as decomposed parts, are not seen)."""
    from solvers import cpsat, highs

    real = cpsat._complete

    def held(plan: Plan, m: Any, terms: dict, value: Callable[[object], int]) -> None:
        real(plan, m, terms, value)
        stats = plan.solver.stats
        if m.baseline is None and not stats.get("interrupted"):
            assert "above_model" not in stats, (plan.solver.objective, stats["above_model"], stats["model_terms"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cpsat, "_complete", held)
        patch.setattr(highs, "_complete", held)  # HiGHS's plans come out the same way
        yield


@pytest.fixture(scope="session")
def norwich_path() -> Path:
    return NORWICH


@pytest.fixture(scope="session")
def norwich(norwich_path: Path) -> Scenario:
    """The loaded example; shared by the whole session, so never mutate it."""
    return load_scenario(norwich_path)


@pytest.fixture(scope="session")
def _norwich_plain(norwich_path: Path) -> dict[str, Any]:
    with norwich_path.open(encoding="utf-8") as handle:
        return json.loads(json.dumps(yaml.safe_load(handle)))


@pytest.fixture(scope="session")
def norwich_doc(_norwich_plain: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Call it for a fresh, unaliased copy of the Norwich document to mutate."""

    def fresh() -> dict[str, Any]:
        return copy.deepcopy(_norwich_plain)

    return fresh


@pytest.fixture(scope="session")
def norwich_plan(norwich: Scenario) -> Plan:
    """One CP-SAT plan of the Norwich example, shared by the engine and mutation tests."""
    from solvers.base import SolveOptions, get_solver

    return get_solver("cpsat").solve(norwich, SolveOptions(time_limit=15, workers=2, seed=0))


@pytest.fixture
def search_off_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search's limit as with one worker, building the model not counted and never stopped
    on the clock: for tests of how a solve searches, not of its time budget (on a loaded machine
    the clock could leave no search, or stop the building: "the limit was spent building the
    model: 3.1 s of 3 s")."""
    import solvers.cpsat

    monkeypatch.setattr(solvers.cpsat, "search_spent", lambda m, options, started: m.start_seconds)
    monkeypatch.setattr(solvers.cpsat, "build_deadline", lambda options, started: None)
