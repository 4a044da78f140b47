"""`explain` names the planted cause of five infeasible scenarios, in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import main

PLANTED = [
    (["--drop", "trainers.t-bls-1", "--drop", "trainers.t-bls-2"], ["no trainer", "'bls'"]),
    (["--set", "cover_providers.ooh.capacity=15000"], ["no cover provider can take", "Uea Medical Centre"]),
    (["--set", "calendar.blackouts=[{name: Whole year, start: 2027-04-01, end: 2028-03-31}]"],
     ["No date can hold a PLT afternoon", "Whole year"]),
    (["--set", "courses.bls.min_group=20", "--set", "courses.bls.max_group=24"], ["no room", "minimum group of 20"]),
    (["--set", "calendar.min_weeks_between=10"], ["needs 6 afternoons at least 10 weeks apart", "hold only"]),
    (["--set", "policy.mandatory=hard"], ["is mandatory for", "at most"]),
]


@pytest.mark.parametrize(("edits", "words"), PLANTED,
                         ids=["no-trainer", "cover-below-largest", "all-blacked-out", "room-too-small",
                              "spacing", "mandatory-hard"])
def test_explain_names_the_planted_cause(norwich_path: Path, edits: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, ["explain", str(norwich_path), *edits, "--time-limit", "20"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output
    assert len([line for line in result.output.splitlines() if line.startswith("  - ")]) <= 3


def test_explain_says_when_a_plan_exists(norwich_path: Path) -> None:
    result = CliRunner().invoke(main, ["explain", str(norwich_path)])
    assert result.exit_code == 0
    assert "A plan exists" in result.output
