"""The one solver interface: a scenario and options in, a plan out, with a normalised status.

Back ends register by name (`cpsat` first, then `greedy`); optional ones are imported lazily.
An unknown status from a back end raises: it is never mapped to a guess.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from models.plan import Plan
from models.scenario import Scenario

STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")


@dataclass(frozen=True)
class Progress:
    """One report while solving: a better plan was found (or the bound moved)."""

    seconds: float
    objective: float
    bound: float


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    on_progress: Callable[[Progress], None] | None = None
    hint: Plan | None = None
    baseline: Plan | None = None  # re-planning: changes against it cost (stability)
    extra: dict[str, object] = field(default_factory=dict)


class Solver(Protocol):
    name: str

    def solve(self, scenario: Scenario, options: SolveOptions) -> Plan: ...


class UnknownStatus(RuntimeError):
    pass


def normalise_status(name: str) -> str:
    if name in STATUSES:
        return name
    if name == "MODEL_INVALID":
        raise UnknownStatus("the solver rejected its own model as invalid; this is a bug, please report it")
    raise UnknownStatus(f"unknown solver status {name!r}")


# name -> "module:attribute"; imported only when asked for.
_REGISTRY = {
    "cpsat": "solvers.cpsat:CpSatSolver",
    "greedy": "solvers.greedy:GreedySolver",
    "highs": "solvers.highs:HighsSolver",
}


def solver_names() -> list[str]:
    return list(_REGISTRY)


def get_solver(name: str) -> Solver:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown solver {name!r}; choose one of: {', '.join(_REGISTRY)}") from None
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"solver {name!r} needs a package that is not installed ({exc.name}); "
                          f"install it with: pip install {exc.name}") from exc
    return getattr(module, attribute)()
