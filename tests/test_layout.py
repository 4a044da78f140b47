"""The house rules a glance can check: where the packages live and which way imports go."""

from __future__ import annotations

import ast
from pathlib import Path

import models
import scheduler
import solvers

ROOT = Path(__file__).resolve().parent.parent


def test_packages_come_from_this_repository() -> None:
    # Other PyPI distributions also ship packages named models, solvers and scheduler.
    for package in (models, scheduler, solvers):
        assert Path(package.__file__).resolve().is_relative_to(ROOT), package.__file__


def _imported_top_levels(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_models_import_neither_solvers_nor_scheduler() -> None:
    offenders = {f: n & {"solvers", "scheduler"} for f, n in _imported_top_levels("models").items()}
    assert not {f: n for f, n in offenders.items() if n}


def test_solvers_do_not_import_scheduler() -> None:
    offenders = {f: n & {"scheduler"} for f, n in _imported_top_levels("solvers").items()}
    assert not {f: n for f, n in offenders.items() if n}


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert ci_lines, ".ci/run must run pytest"
    assert ci_lines[-1].strip() in (ROOT / "README.md").read_text()
