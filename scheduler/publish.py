"""Publishing a plan: feeds, spreadsheets and the report, in one call shared by `solve` and
`export`. Parts whose module is not there yet are skipped, never half written."""

from __future__ import annotations

import importlib
from pathlib import Path

from models.plan import Plan
from models.scenario import Scenario

from .ical import export_feeds


def publish(scenario: Scenario, plan: Plan, out_dir: Path) -> list[Path]:
    written = export_feeds(scenario, plan, out_dir)
    for module, function in (("scheduler.tables", "write_csv"), ("scheduler.report", "write_report")):
        try:
            writer = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
        result = writer(scenario, plan, out_dir)
        written += result if isinstance(result, list) else [result]
    return written
