"""The least unmet demand any plan can reach, bounded by probing the LP relaxation, and added to
the model as a valid inequality (a cut) on the unmet-demand term.

The LP relaxation of "minimise the unmet term alone" meets a scarce course's last seats with a
fraction of a run. Each course whose unmet seats come out fractional there is probed: the LP is
solved twice more, with that course's unmet seats at most the value rounded down, and at least
rounded up. Every plan lies on one side, so the lower of the two LP values bounds the unmet term
of every plan; the best such bound over the probed courses, rounded up (the term is a whole
number), becomes `unmet term >= floor`. On Norwich the LP gives 5,116.07 (tissue viability,
21 seats wanted in groups of at most 20, 0.27 unmet); with tissue viability met in full it rises
to 5,137.67 (basic life support then leaves 2.27 more seats unmet: they share trainers through
infection control), so no plan leaves less than 5,119 unmet, which the best known plans do.
The LP of the whole objective rises from 609,872 to 609,922 with the cut (HiGHS); CP-SAT's bound
after 60 s on two workers was 609,924 in two runs of three (a third, 609,656, had not finished
its LP), against 609,872 and 609,898 without.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .model import PltModel

# Only where the LPs are quick: Norwich (12,485 variables) probes in 0.7 s.
PROBE_UP_TO = 20_000
# At most this many courses are probed, the largest fractional priority-weighted unmet first.
MOST_COURSES = 8
# LP values are floating point; a bound this close under a whole number rounds to it.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class UnmetFloor:
    lp: float  # the LP relaxation of the unmet term alone
    floor: int  # the least unmet term any plan can have, after probing
    course: str | None  # the course whose probe gave it (None: the LP alone)


def unmet_floor(m: PltModel, unmet_term: cp_model.LinearExprT) -> UnmetFloor | None:
    """The probed lower bound on the unmet term, or None for a model too large to probe or
    with no unmet term; the model is left unchanged."""
    if isinstance(unmet_term, int) or len(m.model.proto.variables) > PROBE_UP_TO:
        return None
    from ..highs.translate import translate  # lazily: the HiGHS back end imports this package

    copy = m.model.clone()
    copy.clear_hints()
    copy.minimize(unmet_term)
    try:
        mip = translate(copy.proto)
    except NotImplementedError:
        return None
    lp = Relaxation(mip)
    value, x = lp.solve()
    if x is None:
        return None
    best, course = value, None
    for c, columns, total in _fractional_courses(m, x):
        lower = min(lp.solve_with(columns, -math.inf, math.floor(total)),
                    lp.solve_with(columns, math.ceil(total), math.inf))
        if lower > best:
            best, course = lower, c
    return UnmetFloor(lp=value, floor=math.ceil(best - TOLERANCE * max(1.0, abs(best))), course=course)


def add_unmet_floor(m: PltModel, unmet_term: cp_model.LinearExprT) -> UnmetFloor | None:
    """Probe, and add `unmet term >= floor` when it lifts the LP's own rounded value."""
    found = unmet_floor(m, unmet_term)
    if found is not None and found.course is not None:
        m.model.add(unmet_term >= found.floor)
    return found


def _fractional_courses(m: PltModel, x: np.ndarray) -> list[tuple[str, list[int], float]]:
    """(course, its unmet columns, their LP total) for courses with a fractional total."""
    priority = {c.id: c.priority for c in m.instance.scenario.courses}
    columns: dict[str, list[int]] = defaultdict(list)
    for (_, _, c), u in sorted(m.unmet.items()):
        columns[c].append(u.index)
    found = []
    for c, cols in sorted(columns.items()):
        total = float(x[cols].sum())
        if abs(total - round(total)) > TOLERANCE * max(1.0, abs(total)):
            found.append((c, cols, total))
    found.sort(key=lambda item: -(item[2] - math.floor(item[2])) * priority[item[0]])
    return found[:MOST_COURSES]


class Relaxation:
    """The LP relaxation of a translated model, solved again with one extra row at a time
    (here) or rounded (reseat.py)."""

    def __init__(self, mip) -> None:
        import highspy

        from ..highs import _load, _new_highs  # lazily: the HiGHS back end imports this package

        self.highs = _new_highs()
        _load(self.highs, mip, relaxed=True)
        self.kinf = highspy.kHighsInf
        self.optimal = highspy.HighsModelStatus.kOptimal
        self.infeasible = highspy.HighsModelStatus.kInfeasible
        self.rows = mip.rows

    def solve(self) -> tuple[float, np.ndarray | None]:
        """The LP's value (inf when infeasible, -inf when it did not solve) and its solution."""
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == self.infeasible:
            return math.inf, None
        if status != self.optimal:
            return -math.inf, None  # no proof either way: the probe gives nothing
        return self.highs.getInfo().objective_function_value, np.asarray(self.highs.getSolution().col_value)

    def solve_with(self, columns: list[int], lower: float, upper: float) -> float:
        """The LP's value with `lower <= sum of columns <= upper` added, then the row removed."""
        lo = -self.kinf if math.isinf(lower) else lower
        hi = self.kinf if math.isinf(upper) else upper
        self.highs.addRow(lo, hi, len(columns), np.asarray(columns, dtype=np.int32),
                          np.ones(len(columns), dtype=np.float64))
        # From scratch, with presolve: warm-started from the last basis each Norwich probe took
        # 0.9 s (2.1 s for the whole probe, against 0.7 s now).
        self.highs.clearSolver()
        value, _ = self.solve()
        self.highs.deleteRows(1, np.array([self.rows], dtype=np.int32))
        return value
