"""Progress while solving: a bar on a terminal, one line per better plan in a log, nothing when quiet."""

from __future__ import annotations

import threading

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
