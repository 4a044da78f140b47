"""Publishing a plan: feeds, spreadsheets and the report, in one call shared by `solve` and
`export`."""

from __future__ import annotations

from pathlib import Path

from models.plan import Plan
from models.scenario import Scenario

from .ical import export_feeds
from .report import write_report
from .tables import write_csv


def publish(scenario: Scenario, plan: Plan, out_dir: Path, state_from: Path | None = None) -> list[Path]:
    """`state_from`: the published feeds' state.json to continue (export_feeds)."""
    return export_feeds(scenario, plan, out_dir, state_from) + write_csv(scenario, plan, out_dir) + [
        write_report(scenario, plan, out_dir)]
