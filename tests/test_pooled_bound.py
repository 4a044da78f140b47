"""The pooled relaxation (benchmarks/pooled_bound.py) is a relaxation: its bound is never above
a plan's score, on small areas drawn from Norwich where HiGHS proves its optimum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.pooled_bound import pooled_bound
from models import parse_scenario
from models.checker import check_plan
from models.score import score_plan
from solvers.base import SolveOptions, get_solver


@pytest.mark.parametrize(("practices", "external"), [(4, 3), (3, 2)])  # HiGHS proves each in 2-10 s
def test_the_pooled_bound_is_under_every_plan_s_score(norwich_doc: Callable[[], dict[str, Any]],
                                                      practices: int, external: int) -> None:
    doc = norwich_doc()
    doc["practices"] = doc["practices"][:practices]
    doc["programme"]["external_afternoons"] = external
    scenario = parse_scenario(doc)
    pooled = pooled_bound(scenario, 60.0)
    assert pooled.status == "kOptimal", pooled
    assert pooled.best is not None and abs(pooled.best - pooled.bound) < 1e-6 * max(1.0, abs(pooled.best))
    for solver in ("greedy", "cpsat"):
        plan = get_solver(solver).solve(scenario, SolveOptions(time_limit=3, workers=1))
        assert not check_plan(scenario, plan)
        assert pooled.bound <= score_plan(scenario, plan).total + 1e-6, (solver, pooled)


def test_an_area_of_several_waves_is_refused(norwich_doc: Callable[[], dict[str, Any]]) -> None:
    doc = norwich_doc()
    doc["cover_providers"][0]["capacity"] = 130_000
    doc["programme"]["max_waves"] = None
    with pytest.raises(ValueError, match="one wave only"):
        pooled_bound(parse_scenario(doc), 5.0)
