"""A pinned date is refused exactly where the solvers could not hold the pinned afternoon there:
with one wave, a date on which a practice cannot close or cover cannot take the whole area.
Validate once passed such pins, and `solve` found no plan while `explain` isolated no cause."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from models import Scenario, parse_scenario
from models.calendar import candidate_dates
from models.consistency import find_problems
from models.generate import generate_scenario
from models.scenario import Pin
from scheduler.cli import main
from solvers.instance import event_dates, wave_count, whole_area_can_close

Doc = dict[str, Any]
D = dt.date
AWAY = D(2027, 4, 27)  # Norwich's only cover provider (ooh) is away


def _variants(norwich_doc: Callable[[], Doc]) -> dict[str, Scenario]:
    """Areas of one wave and of several, by max_waves and by cover alone."""
    def area(**edits: Any) -> Scenario:
        doc = norwich_doc()
        doc["programme"]["max_waves"] = edits.pop("max_waves", doc["programme"]["max_waves"])
        doc["cover_providers"] = edits.pop("providers", doc["cover_providers"])
        return parse_scenario(doc)

    ooh = norwich_doc()["cover_providers"][0]
    return {
        "norwich": area(),
        "two waves set": area(max_waves=2),
        "one provider, waves unset": area(max_waves=None),
        "two halves, first fit fails": area(max_waves=None, providers=[{**ooh, "capacity": 130_000},
                                                                       {**ooh, "id": "b", "capacity": 130_000}]),
        "one big, one small": area(max_waves=None, providers=[{**ooh, "capacity": 250_000},
                                                              {**ooh, "id": "b", "capacity": 20_000}]),
        "too little cover for one": area(max_waves=None, providers=[{**ooh, "capacity": 200_000}]),
        "generated, 55 practices": generate_scenario(55, 3, 61964),
    }


def test_one_wave_is_decided_as_the_solvers_decide_it(norwich_doc: Callable[[], Doc]) -> None:
    from models.consistency import closes_in_one_wave

    seen = set()
    for name, scenario in _variants(norwich_doc).items():
        one = wave_count(scenario) == 1
        assert closes_in_one_wave(scenario) is one, name
        seen.add(one)
    assert seen == {True, False}


def test_why_the_whole_area_cannot_close_agrees_with_the_solvers(norwich: Scenario) -> None:
    from models.consistency import whole_area_cannot_close

    days = candidate_dates(norwich)
    blocked = [d for d in days if whole_area_cannot_close(norwich, d)]
    assert blocked == [d for d in days if not whole_area_can_close(norwich, d)]
    assert AWAY in blocked and len(blocked) < len(days)


def _pinned(s: Scenario, day: dt.date) -> Scenario:
    """The scenario with plt-1 pinned to `day`, not validated (as the solvers would get it)."""
    return s.model_copy(update={"pins": [Pin(event="plt-1", date=day)]})


def _solver_dates(s: Scenario) -> list[dt.date]:
    """The dates the solvers let the pinned plt-1's first wave take."""
    gap = max(1, 7 * s.calendar.min_weeks_between)
    waves = wave_count(s)
    first = event_dates(s, waves, gap)["plt-1"]
    return [d for d in first if d == s.pins[0].date]


def _refused_for_one_wave(norwich_doc: Callable[[], Doc], max_waves: int) -> tuple[Scenario, list[dt.date]]:
    """Norwich with D82008 unable to close on 19 May 2027, and plt-1 pinned to each candidate
    date in turn: the dates refused because the area closes in one wave. Every date the
    solvers cannot hold the pin on is refused, and none is refused for a reason they lack."""
    doc = norwich_doc()
    doc["programme"]["max_waves"] = max_waves
    doc["practices"][0]["cannot_close"] = ["2027-05-19"]
    s = parse_scenario(doc)
    refused = []
    for day in candidate_dates(s):
        pinned = _pinned(s, day)
        problems = [p for p in find_problems(pinned) if p.path == "pins[0].date"]
        if not _solver_dates(pinned):
            assert problems, day  # the solver could not hold it: validate must say so
        if any("closes in one wave" in p.message for p in problems):
            assert not _solver_dates(pinned), day
            refused.append(day)
    return s, refused


def test_a_pin_is_refused_where_the_solvers_cannot_hold_it(norwich_doc: Callable[[], Doc]) -> None:
    _, refused = _refused_for_one_wave(norwich_doc, max_waves=1)
    assert {AWAY, D(2027, 5, 19)} <= set(refused)
    # With two waves the practice closes in the other one: the pin is held (a 30 s solve found a plan).
    two, refused = _refused_for_one_wave(norwich_doc, max_waves=2)
    assert refused == [] and _solver_dates(_pinned(two, D(2027, 5, 19))) == [D(2027, 5, 19)]


PIN = "pins=[{event: plt-1, date: %s}]"


@pytest.mark.parametrize(("day", "edits", "words"), [
    ("2027-04-27", ["--set", PIN % "2027-04-27"],
     ["no cover provider is available on 2027-04-27 (ooh away)", "the area closes in one wave",
      "shorten the unavailable dates of the providers away on 2027-04-27"]),
    ("2027-05-19", ["--set", PIN % "2027-05-19", "--set", "practices.D82008.cannot_close=[2027-05-19]"],
     ["practice D82008 cannot close then", "the area closes in one wave",
      "take 2027-05-19 out of the cannot_close of D82008", "programme.max_waves: 2"]),
], ids=["no-cover", "practice-cannot-close"])
def test_validate_and_explain_name_the_pin(norwich_path: Path, day: str, edits: list[str], words: list[str]) -> None:
    """Validate said "valid", explain that no single cause was isolated, and solve INFEASIBLE."""
    runner = CliRunner()
    for command, code in (("validate", 2), ("explain", 1)):
        result = runner.invoke(main, [command, str(norwich_path), *edits])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        assert f"{norwich_path} (edited): the scenario is not valid" in result.output
        assert f"pins[0].date = '{day}'" in result.output
        assert "pin a date the whole area can close" in result.output
        for word in words:
            assert word in result.output, (command, result.output)
