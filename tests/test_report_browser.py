"""The report in headless Chromium: it renders without console errors, the figures read back
from the rendered page equal plan.json, and a screenshot is written for people to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from models import Scenario
from models.score import score_plan
from scheduler.report import write_report
from solvers.base import SolveOptions, get_solver

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.practices: dict[str, tuple[int, int]] = {}
        self.runs: set[str] = set()
        self.objective: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-practice" in a and "data-met" in a:
            self.practices[a["data-practice"] or ""] = (int(a["data-met"] or 0), int(a["data-demand"] or 0))
        if a.get("data-run"):
            self.runs.add(a["data-run"] or "")
        if a.get("id") == "objective":
            self.objective = a.get("data-value")


def test_report_renders_in_chromium_and_its_figures_match_the_plan(norwich: Scenario, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (CI must install it: see .ci/run)")
        pytest.skip("chromium is not installed")
    plan = get_solver("greedy").solve(norwich, SolveOptions())
    plan.score = score_plan(norwich, plan)
    page = write_report(norwich, plan, tmp_path)
    profile = ["--user-data-dir=" + str(tmp_path / "profile"), "--enable-logging=stderr", "--v=0"]
    dumped = subprocess.run([chromium, *FLAGS, *profile, "--dump-dom", page.as_uri()],
                            check=False, capture_output=True, text=True, timeout=120)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    console = [line for line in dumped.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    assert not console, console
    figures = _Figures()
    figures.feed(dumped.stdout)
    assert figures.runs == {r.id for r in plan.runs}
    assert figures.objective is not None and int(float(figures.objective)) == plan.score.total
    for pid, attainment in plan.score.by_practice.items():
        assert figures.practices[pid] == (attainment.met, attainment.demand)
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *FLAGS, *profile, f"--screenshot={shot}", "--window-size=1400,3000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
    keep = Path(os.environ.get("PLT_SCREENSHOT_DIR", tmp_path))
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "norwich-report.png")
