"""The Norfolk and Waveney example: 103 real practices in derived networks, cover for three waves.

Holds the committed scenario to its CSV and to its builder (byte for byte), the network sizes
to the range its header states, and the greedy plan to the independent checker. CP-SAT is left
to the benchmark and the README's figures: it needs a minute here.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from models import Scenario, load_scenario
from models.checker import check_plan
from models.plan import Plan
from solvers.base import SolveOptions, get_solver

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "norfolk-waveney"
SCENARIO = EXAMPLE / "scenario.yaml"
AREAS = ["great-yarmouth-waveney", "north-norfolk", "norwich", "south-norfolk", "west-norfolk"]
# The range the YAML header states for a network.
PRACTICES_PER_NETWORK = (4, 8)
PATIENTS_PER_NETWORK = (30_000, 100_000)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with (EXAMPLE / "practices.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def area() -> Scenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("norfolk_waveney_build_scenario", EXAMPLE / "build_scenario.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def greedy_plan(area: Scenario) -> Plan:
    return get_solver("greedy").solve(area, SolveOptions(time_limit=30, workers=1, seed=0))


def test_every_practice_of_the_csv_is_in_the_scenario_with_its_list_size(
    area: Scenario, rows: list[dict[str, str]]
) -> None:
    assert len(area.practices) == 103
    sizes = {r["ods_code"]: int(r["registered_patients_2026-04-01"]) for r in rows}
    assert {p.ods_code: p.list_size for p in area.practices} == sizes
    assert sum(p.list_size for p in area.practices) == sum(sizes.values())


def test_unnamed_rows_get_a_neutral_name(area: Scenario, rows: list[dict[str, str]]) -> None:
    unnamed = {r["ods_code"] for r in rows if not r["practice_name"].strip()}
    # The data README says six; the file has five.
    assert unnamed == {"D83608", "Y00297", "Y01690", "Y03222", "Y06275"}
    names = {p.ods_code: p.name for p in area.practices}
    for ods in unnamed:
        assert names[ods] == f"Practice {ods}"
    assert all(name.strip() for name in names.values())
    header = SCENARIO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    for ods in unnamed:
        assert f'named "Practice {ods}"' in header


def test_every_network_is_one_former_ccg_area_within_the_stated_size(area: Scenario) -> None:
    members: dict[str, list[int]] = defaultdict(list)
    for practice in area.practices:
        assert re.fullmatch(rf"({'|'.join(AREAS)})-\d+", practice.network), practice.network
        members[practice.network].append(practice.list_size)
    assert 14 <= len(members) <= 22  # about 17 real PCNs in Norfolk and Waveney
    for network, sizes in members.items():
        assert PRACTICES_PER_NETWORK[0] <= len(sizes) <= PRACTICES_PER_NETWORK[1], network
        assert PATIENTS_PER_NETWORK[0] <= sum(sizes) <= PATIENTS_PER_NETWORK[1], network
    assert {re.sub(r"-\d+$", "", n) for n in members} == set(AREAS)


def test_cover_cannot_take_the_area_in_fewer_than_three_waves(area: Scenario) -> None:
    capacity = sum(c.capacity for c in area.cover_providers)
    patients = sum(p.list_size for p in area.practices)
    assert 2 * capacity < patients <= 3 * capacity
    assert area.programme.max_waves is None or area.programme.max_waves >= 3


def test_the_builder_reproduces_the_committed_yaml(builder: ModuleType, tmp_path: Path) -> None:
    committed = SCENARIO.read_bytes()
    assert builder.render().encode("utf-8") == committed
    out = tmp_path / "scenario.yaml"
    builder.main(["--out", str(out)])
    assert out.read_bytes() == committed


def test_the_greedy_plan_keeps_every_hard_rule_in_several_waves(area: Scenario, greedy_plan: Plan) -> None:
    assert greedy_plan.solver.status == "FEASIBLE"
    assert check_plan(area, greedy_plan) == []
    assert len(greedy_plan.afternoons) == 6
    assert max(len(a.waves) for a in greedy_plan.afternoons) >= 3
    for afternoon in greedy_plan.afternoons:
        closed = [p for wave in afternoon.waves for p in wave.practices]
        assert sorted(closed) == sorted(p.id for p in area.practices)
