"""`explain` names the planted cause of five infeasible scenarios, in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main

PLANTED = [
    (["--drop", "trainers.t-bls-1", "--drop", "trainers.t-bls-2", "--set", "policy.mandatory=hard"],
     ["no trainer", "'bls'"]),
    (["--set", "cover_providers.ooh.capacity=15000"], ["no cover provider can take", "Uea Medical Centre"]),
    (["--set", "calendar.blackouts=[{name: Whole year, start: 2027-04-01, end: 2028-03-31}]"],
     ["No date can hold a PLT afternoon", "Whole year"]),
    (["--set", "courses.bls.min_group=20", "--set", "courses.bls.max_group=24", "--set", "courses.bls.on_site=false",
      "--set", "policy.mandatory=hard"], ["no room", "minimum group of 20"]),
    (["--set", "calendar.min_weeks_between=10"], ["needs 6 afternoons at least 10 weeks apart", "hold only"]),
    # conflict resolution runs only at external afternoons: internal ones, which it cannot use, went
    # into the count and "more afternoons" (found by a new user's review)
    (["--set", "policy.mandatory=hard"],
     ["is mandatory for", "at most", "3 external afternoons. Add a trainer or room, more external afternoons"]),
]


@pytest.mark.parametrize(("edits", "words"), PLANTED,
                         ids=["no-trainer", "cover-below-largest", "all-blacked-out", "room-too-small",
                              "spacing", "mandatory-hard"])
def test_explain_names_the_planted_cause(norwich_path: Path, edits: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, ["explain", str(norwich_path), *edits, "--time-limit", "20"])
    assert result.exit_code == 1, result.output  # it cannot be planned: as `check` with violations
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output
    assert len([line for line in result.output.splitlines() if line.startswith("  - ")]) <= 3


def test_explain_says_when_a_plan_exists(norwich_path: Path) -> None:
    result = CliRunner().invoke(main, ["explain", str(norwich_path)])
    assert result.exit_code == 0
    assert "A plan exists" in result.output


def _cannot_close(norwich_path: Path, practices: dict[int, slice]) -> list[str]:
    """--set edits giving practice i the candidate afternoons in its slice as cannot_close."""
    import json

    from models.calendar import candidate_dates
    from models.loading import load_scenario

    scenario = load_scenario(norwich_path)
    days = [d.isoformat() for d in candidate_dates(scenario)]
    return [arg for i, part in practices.items()
            for arg in ("--set", f"practices.{scenario.practices[i].id}.cannot_close={json.dumps(days[part])}")]


@pytest.mark.parametrize(("practices", "half_cover", "words"), [
    ({0: slice(None, None, 2), 1: slice(1, None, 2)}, False,
     ["With one wave all 21 practices close on the same afternoon", "only 0 of the 105", "D82008 on 53"]),
    ({0: slice(3, None)}, True, ["(D82008) closes for each of the 6 afternoons", "leaves 3 of the 105",
                                 "Shorten its cannot_close"]),
], ids=["one-wave-no-common-afternoon", "one-practice-never-free"])
def test_explain_names_practices_that_cannot_close(norwich_path: Path, practices: dict[int, slice],
                                                   half_cover: bool, words: list[str], tmp_path: Path) -> None:
    """Explain said "A plan exists" for both, and solve found none."""
    edits = _cannot_close(norwich_path, practices)
    if half_cover:  # two waves: each practice alone must find its afternoons
        edits += ["--set", "cover_providers.ooh.capacity=130000", "--set", "programme.max_waves=null"]
    runner = CliRunner()
    result = runner.invoke(main, ["explain", str(norwich_path), *edits])
    assert result.exit_code == 1, result.output
    assert "No plan can keep every hard rule; 1 conflict(s)" in result.output
    for word in words:
        assert word in result.output, result.output
    solved = runner.invoke(main, ["solve", str(norwich_path), *edits, "--time-limit", "5", "--quiet", "--out",
                                  str(tmp_path / "o")])
    assert solved.exit_code == 1 and "INFEASIBLE" in solved.output, solved.output


def test_a_plan_exists_only_when_one_is_found(norwich_path: Path) -> None:
    """With the causes' own checks out of the way, the model proves there is no plan, and the
    answer says so rather than "A plan exists"."""
    from models.loading import load_scenario
    from scheduler.cli import read_scenario
    from scheduler.explain import plan_found

    edits = _cannot_close(norwich_path, {0: slice(None, None, 2), 1: slice(1, None, 2)})
    sets = tuple(edits[1::2])
    found = plan_found(read_scenario(str(norwich_path), sets), 20.0)
    assert found is not None and len(found) == 1 and "No plan keeps every hard rule" in found[0]
    assert plan_found(load_scenario(norwich_path), 20.0) == []


def test_explain_of_a_scenario_not_valid_as_written_explains_it_and_exits_1(norwich_path: Path) -> None:
    """It exited 0, as if a plan existed."""
    result = CliRunner().invoke(main, ["explain", str(norwich_path), "--set", "cover_providers.ooh.capacity=-5"])
    assert result.exit_code == 1, result.output
    assert "cannot be planned as written" in result.output and "capacity" in result.output


@pytest.mark.parametrize(("practices", "half_cover", "words"), [
    ({0: slice(None, None, 2), 1: slice(1, None, 2)}, False,
     ["practices.cannot_close, cover_providers = '0 of 105 candidate afternoons': With one wave all 21 practices",
      "allow more waves (programme.max_waves)"]),
    ({0: slice(3, None)}, True, [("practices[0].cannot_close = '102 date(s)': St Stephens Gate Medical "
                                  "Partnership (D82008) closes for each of the 6 afternoons"), "Shorten its cannot_close"]),
], ids=["one-wave-no-common-afternoon", "one-practice-never-free"])
def test_validate_refuses_practices_that_cannot_close_often_enough(norwich_path: Path, practices: dict[int, slice],
                                                                   half_cover: bool, words: list[str]) -> None:
    """Validate said "valid" where explain, with the same check, answered at once that no plan exists."""
    edits = _cannot_close(norwich_path, practices)
    if half_cover:
        edits += ["--set", "cover_providers.ooh.capacity=130000", "--set", "programme.max_waves=null"]
    result = CliRunner().invoke(main, ["validate", str(norwich_path), *edits])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {norwich_path} (edited): the scenario is not valid (1 problem(s))")
    for word in words:
        assert word in result.output, result.output


def test_explain_names_trainers_away_on_every_afternoon(norwich_path: Path, norwich, tmp_path: Path) -> None:
    """Both BLS trainers away all year under hard mandatory training: explain said at most 0 of the
    staff due could be reached and advised adding a trainer or room (found by a new user's review).
    It names the trainers away, as validate does; the scenario still loads."""
    import yaml

    from models.calendar import candidate_dates

    days = [d.isoformat() for d in candidate_dates(norwich)]
    patch = tmp_path / "away.yaml"
    patch.write_text(yaml.safe_dump({"set": {"trainers.t-bls-1.unavailable": days, "trainers.t-bls-2.unavailable": days,
                                             "policy.mandatory": "hard"}}), encoding="utf-8")
    result = CliRunner().invoke(main, ["explain", str(norwich_path), "--patch", str(patch), "--time-limit", "20"])
    assert result.exit_code == 1, result.output
    assert ("every trainer with skill 'bls' (t-bls-1, t-bls-2) is unavailable on every candidate afternoon, so "
            "mandatory course bls can never run") in result.output
    assert "at most 0" not in result.output
