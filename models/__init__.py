"""The domain of PLT Scheduler: scenario and plan types, loading, calendar, demand, checker, score.

Needs nothing from `solvers` or `scheduler`; both build on it.
"""

from .consistency import Problem, ScenarioInconsistent
from .loading import ScenarioError, dump_scenario, load_scenario, parse_scenario
from .scenario import SCHEMA_VERSION, Scenario

__all__ = [
    "SCHEMA_VERSION",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScenarioInconsistent",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]
