"""The benchmark table: a bound for fixed waves is marked and explained under the table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import print_table

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _row(instance: str, bound: float | None, given: bool) -> dict:
    return {"instance": instance, "practices": 1, "method": "cpsat", "status": "FEASIBLE", "first": 1.0,
            "at": {10: 5, 60: 4, 300: None}, "objective": 4, "bound": bound,
            "gap": None if bound is None else 0.25, "seconds": 1.0, "peak_mib": 10, "check": "ok",
            "bound_given": given}


def test_a_bound_given_the_waves_is_starred_with_a_footnote(capsys) -> None:
    print_table([_row("fixed", 3.0, True), _row("chosen", 3.0, False)])
    lines = capsys.readouterr().out.splitlines()
    fixed = next(line for line in lines if line.startswith("fixed"))
    chosen = next(line for line in lines if line.startswith("chosen"))
    assert "3*" in fixed and "3*" not in chosen
    assert lines[-1].startswith("* bound and gap for plans with the greedy plan's waves")


def test_no_footnote_without_such_a_bound(capsys) -> None:
    print_table([_row("chosen", 3.0, False), _row("greedy", None, False)])
    out = capsys.readouterr().out
    assert "*" not in out


def test_the_pooled_bound_names_a_missing_or_several_wave_scenario_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file ended in ScenarioError's traceback."""
    from benchmarks import pooled_bound

    for scenario, words in (("nowhere.yaml", "nowhere.yaml: the scenario is not valid"),
                            (EXAMPLES / "norfolk-waveney" / "scenario.yaml", "the pooled relaxation is for one wave only")):
        monkeypatch.setattr(sys, "argv", ["pooled_bound", str(scenario)])
        with pytest.raises(SystemExit) as ended:
            pooled_bound.main()
        assert ended.value.code == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
