"""`sweep`: every variant of a grid solved and tabled, the same with one or two jobs, and on Ray."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scheduler.cli import main

GRID = """
variants:
  - name: no second BLS instructor
    drop: [trainers.t-bls-2]
  - name: no cover at all
    set: {cover_providers.ooh.capacity: -1}
axes:
  calendar.min_weeks_between: [4, 6]
  policy.weights.equity_practice: [20, 200]
  cover_providers.ooh.cost_per_afternoon: [1500, 3000]
"""


@pytest.fixture(scope="module")
def small(norwich_doc: Callable[[], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    doc = norwich_doc()
    doc["practices"] = doc["practices"][:6]
    scenario = folder / "small.json"
    scenario.write_text(json.dumps(doc))
    grid = folder / "grid.yaml"
    grid.write_text(GRID)
    return scenario, grid


@pytest.fixture(scope="module")
def two_jobs(small: tuple[Path, Path]) -> list[dict[str, Any]]:
    """The grid's table from two local processes, which the other engines and job counts must match."""
    return _rows(*small, "--jobs", "2")


def _rows(scenario: Path, grid: Path, *extra: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["sweep", str(scenario), "--grid", str(grid), "--time-limit", "0.5",
                                       "--json", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # Ray logs to stderr


def test_sweep_gives_the_same_table_with_one_and_two_jobs(small: tuple[Path, Path],
                                                         two_jobs: list[dict[str, Any]]) -> None:
    one = _rows(*small, "--jobs", "1")
    assert one == two_jobs
    assert len(one) == 1 + 2 + 8  # base, two named variants, 2 x 2 x 2 axes
    assert {r["status"] for r in one} <= {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "INVALID"}
    invalid = next(r for r in one if r["variant"] == "no cover at all")
    assert invalid["status"] == "INVALID" and "capacity" in invalid["error"]
    solved = [r for r in one if "objective" in r]
    assert len(solved) >= 8
    assert all(r["objective"] == sum(r["terms"].values()) for r in solved)
    base = one[0]
    assert base["variant"] == "base" and base["changes"] == 0


def test_sweep_table_names_the_columns(small: tuple[Path, Path], tmp_path: Path) -> None:
    grid = tmp_path / "one.yaml"  # the base and one variant: the table's columns, not the grid's size
    grid.write_text("variants:\n  - name: no second BLS instructor\n    drop: [trainers.t-bls-2]\n")
    result = CliRunner().invoke(main, ["sweep", str(small[0]), "--grid", str(grid), "--time-limit", "0.5", "--quiet"])
    assert result.exit_code == 0
    for column in ("variant", "status", "objective", "unmet", "cost", "met %", "worst practice", "changes"):
        assert column in result.output
    assert "no second BLS instructor" in result.output


def test_sweep_on_a_local_ray_instance_matches_processes(small: tuple[Path, Path],
                                                        two_jobs: list[dict[str, Any]]) -> None:
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI"):
            pytest.fail("ray is not installed (the test extra installs it)")
        pytest.skip("ray is not installed")
    assert _rows(*small, "--engine", "ray", "--jobs", "2") == two_jobs


def test_sweep_table_shows_whole_variant_names() -> None:
    """Names were cut to 33 characters, and these two read alike."""
    from scheduler.sweep import render

    names = ["min_weeks_between=4, equity_practice=20, cost_per_afternoon=1500",
             "min_weeks_between=4, equity_practice=200, cost_per_afternoon=1500"]
    lines = render([{"variant": n, "status": "INVALID", "error": "why"} for n in names]).splitlines()
    assert [line.split(" INVALID")[0].rstrip() for line in lines[2:]] == names


def test_a_variant_validate_refuses_is_invalid_with_the_reason(small: tuple[Path, Path], tmp_path: Path) -> None:
    """Six external afternoons in the 6-practice area cannot fit 6 weeks apart: validate refuses
    it, naming the spacing, and the sweep's row said INFEASIBLE with no reason (found by a new
    user's review)."""
    scenario, _ = small
    grid = tmp_path / "grid.yaml"
    grid.write_text("variants:\n  - name: too many afternoons\n    set: {programme.external_afternoons: 6}\n")
    (base, crowded) = _rows(scenario, grid, "--jobs", "1")
    assert base["status"] in ("OPTIMAL", "FEASIBLE")
    assert crowded["status"] == "INVALID" and "that far apart" in crowded["error"] and "programme" in crowded["error"]
    refused = CliRunner().invoke(main, ["validate", str(scenario), "--set", "programme.external_afternoons=6"])
    assert refused.exit_code == 2 and "that far apart" in refused.output
