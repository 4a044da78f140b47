"""A step's own small model: the freed decisions, the helper variables next to them, and only the
constraints they are in, with every other variable replaced by its value in the best plan.

A step on the whole model with most domains fixed still makes CP-SAT load every variable and
put every constraint in its LP: at 430 practices (361,246 variables, 120,778 constraints) a step
freeing one afternoon took 4 s of which 0.95 deterministic seconds of search. CP-SAT's own LNS
builds such a reduced model for each of its neighbourhoods; this does the same for ours.

Which variables are free: the step's decisions and the helper variables (anything not a
decision: unmet seats, rooms used) in a constraint with one of them. Helpers further away (the
worst practice's and role's shares) keep their values: a restriction of the step, as fixing the
other decisions is; the best plan satisfies it, so it is always a plan of the small model.
Constraints whose variables are all fixed are left out (the best plan satisfies them); fixed
terms of the others move to their right-hand side.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model

_INT_MIN, _INT_MAX = cp_model.INT_MIN, cp_model.INT_MAX
# How far from the freed decisions helper variables are freed too, in constraints. Norfolk and
# Waveney, 60 s, two workers, seeds 0 to 3, one session: one 1,339,574 / 1,340,754 / 1,339,554 /
# 1,339,334 (mean 1,339,804), two 1,340,914 (mean: the worst shares pull in every practice's
# unmet seats, 6,000 of the 6,887 helpers for any step), the whole model with fixed domains
# 1,339,846 (mean).
HOPS = 1
_BOOLEAN = ("exactly_one", "at_most_one", "bool_or", "bool_and")


def _var(ref: int) -> int:
    return ref if ref >= 0 else -ref - 1


def _rows(ptr: np.ndarray, items: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The items of the given rows of a compressed sparse row table, concatenated."""
    starts, ends = ptr[rows], ptr[rows + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=items.dtype)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return items[offsets + np.arange(total)]


def readable(model: cp_model.CpModel) -> cp_model_pb2.CpModelProto:
    """The model's proto as a protobuf message, through its binary form (a temporary file). Read
    field by field it is quicker than through the solver's own wrappers: at 430 practices
    `SubModels` took 5.5 s to set up that way and 1.9 s this way (writing and parsing 0.2 s)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pb"
        if not model.export_to_file(str(path)):
            raise OSError(f"could not write the model to {path}")
        message = cp_model_pb2.CpModelProto()
        message.ParseFromString(path.read_bytes())
    return message


class SubModels:
    """Builds the small model of a step from the whole model, read once."""

    def __init__(self, model: cp_model.CpModel, decisions: np.ndarray) -> None:
        proto = readable(model)
        n = len(proto.variables)
        self.domains = [list(v.domain) for v in proto.variables]
        self.is_decision = np.zeros(n, dtype=bool)
        self.is_decision[decisions] = True
        self.supported = True
        self.kinds: list[str] = []  # "linear" or a boolean kind, per constraint
        self.enforcement: list[list[int]] = []
        self.coeffs: list[list[int]] = []  # linear only
        self.domain: list[list[int]] = []  # linear only
        refs: list[list[int]] = []
        for c in proto.constraints:
            enforcement = list(c.enforcement_literal)
            which = c.WhichOneof("constraint")
            if which == "linear":
                kind, these = "linear", list(c.linear.vars)
                if any(v < 0 for v in these):  # negated references are not moved to the right-hand side
                    self.supported = False
                    return
                self.coeffs.append(list(c.linear.coeffs))
                self.domain.append(list(c.linear.domain))
            else:
                kind = which if which in _BOOLEAN else None
                if kind is None:
                    self.supported = False  # a kind of constraint this does not rewrite: whole-model steps
                    return
                these = list(getattr(c, kind).literals)
                self.coeffs.append([])
                self.domain.append([])
            self.kinds.append(kind)
            self.enforcement.append(enforcement)
            refs.append(these)
        self.refs = refs
        lengths = np.asarray([len(r) + len(e) for r, e in zip(refs, self.enforcement, strict=True)], dtype=np.int64)
        self.cons_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = [_var(r) for these, enforced in zip(refs, self.enforcement, strict=True) for r in (*these, *enforced)]
        self.cons_vars = np.asarray(flat, dtype=np.int64)
        owners = np.repeat(np.arange(len(refs), dtype=np.int64), lengths)
        order = np.argsort(self.cons_vars, kind="stable")
        self.var_cons = owners[order]
        counts = np.bincount(self.cons_vars, minlength=n)
        self.var_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.term_coeffs = np.asarray(
            [a for these, coeffs, enforced in zip(refs, self.coeffs, self.enforcement, strict=True)
             for a in (*(coeffs or [0] * len(these)), *[0] * len(enforced))], dtype=np.int64)
        # linear constraints without enforcement and with one interval: built in bulk
        self.simple = np.asarray([k == "linear" and not e and len(d) == 2
                                  for k, e, d in zip(self.kinds, self.enforcement, self.domain, strict=True)], dtype=bool)
        self.lo = np.asarray([d[0] if s else 0 for d, s in zip(self.domain, self.simple, strict=True)], dtype=np.int64)
        self.hi = np.asarray([d[1] if s else 0 for d, s in zip(self.domain, self.simple, strict=True)], dtype=np.int64)
        self._where = np.full(n, -1, dtype=np.int64)
        self.objective = np.zeros(n, dtype=np.int64)
        objective = np.asarray(list(proto.objective.vars), dtype=np.int64)
        if (objective < 0).any():
            self.supported = False
            return
        self.objective[objective] = list(proto.objective.coeffs)
        self.offset = proto.objective.offset

    def whole_objective(self, values: np.ndarray) -> float:
        """The whole model's objective at a plan (one value per variable); as
        hints.plan_objective, without reading the objective through the solver's wrappers at
        each step (54 ms a call at 430 practices, against steps of at most 1 s)."""
        return float(self.objective @ values + self.offset)

    def free_variables(self, decisions: np.ndarray) -> np.ndarray:
        """The decisions and the helpers within HOPS constraints of them."""
        free = decisions
        for _ in range(HOPS):
            near = _rows(self.var_ptr, self.var_cons, np.unique(free))
            touched = _rows(self.cons_ptr, self.cons_vars, np.unique(near))
            free = np.union1d(free, touched[~self.is_decision[touched]])
        return free

    def build(self, decisions: np.ndarray, best: np.ndarray) -> tuple[cp_model.CpModel, np.ndarray]:
        """The step's model and the whole model's index of each of its variables (the first
        len(free) are the free ones, in order; any after them are fixed, for boolean constraints)."""
        free = self.free_variables(decisions)
        n_free = len(free)
        where = self._where
        where[free] = np.arange(n_free)
        try:
            return self._build(free, best, where)
        finally:
            where[free] = -1

    def _build(self, free: np.ndarray, best: np.ndarray, where: np.ndarray) -> tuple[cp_model.CpModel, np.ndarray]:
        sub = cp_model.CpModel()
        proto = sub.proto
        for v in free.tolist():
            proto.variables.add().domain.extend(self.domains[v])
        rows = np.unique(_rows(self.var_ptr, self.var_cons, free))
        simple = rows[self.simple[rows]]
        # simple linear constraints, all at once: fixed terms moved to the right-hand side
        lengths = self.cons_ptr[simple + 1] - self.cons_ptr[simple]
        terms = _rows(self.cons_ptr, np.arange(len(self.cons_vars), dtype=np.int64), simple)
        variables, coeffs = self.cons_vars[terms], self.term_coeffs[terms]
        owner = np.repeat(np.arange(len(simple)), lengths)
        local = where[variables]
        fixed = local < 0
        constant = np.zeros(len(simple), dtype=np.int64)
        np.add.at(constant, owner[fixed], coeffs[fixed] * best[variables[fixed]])
        lo, hi = _shift_bounds(self.lo[simple], constant), _shift_bounds(self.hi[simple], constant)
        kept = ~fixed
        counts = np.bincount(owner[kept], minlength=len(simple))
        ends = np.cumsum(counts).tolist()
        local_vars, local_coeffs = local[kept].tolist(), coeffs[kept].tolist()
        start = 0
        for end, low, high in zip(ends, lo.tolist(), hi.tolist(), strict=True):
            if end > start:  # else every variable is fixed: the best plan satisfies it
                linear = proto.constraints.add().linear
                linear.vars.extend(local_vars[start:end])
                linear.coeffs.extend(local_coeffs[start:end])
                linear.domain.extend((low, high))
            start = end
        order = free.tolist()
        extra: dict[int, int] = {}

        def ref_of(ref: int) -> int:
            var = _var(ref)
            i = int(where[var])
            if i < 0:  # a fixed variable a boolean or enforced constraint needs
                if var not in extra:
                    extra[var] = len(order)
                    order.append(var)
                    value = int(best[var])
                    proto.variables.add().domain.extend((value, value))
                i = extra[var]
            return i if ref >= 0 else -i - 1

        for k in rows[~self.simple[rows]].tolist():
            kind, refs = self.kinds[k], self.refs[k]
            c = proto.constraints.add()
            if kind == "linear":
                keep = [(int(where[v]), a) for v, a in zip(refs, self.coeffs[k], strict=True) if where[v] >= 0]
                constant = sum(a * int(best[v]) for v, a in zip(refs, self.coeffs[k], strict=True) if where[v] < 0)
                c.linear.vars.extend([v for v, _ in keep])
                c.linear.coeffs.extend([a for _, a in keep])
                c.linear.domain.extend(_shift(self.domain[k], constant))
            else:
                getattr(c, kind).literals.extend([ref_of(r) for r in refs])
            if self.enforcement[k]:
                c.enforcement_literal.extend([ref_of(r) for r in self.enforcement[k]])
        coefficients = self.objective[free]
        used = np.nonzero(coefficients)[0]
        proto.objective.vars.extend(used.tolist())
        proto.objective.coeffs.extend(coefficients[used].tolist())
        variables = np.asarray(order, dtype=np.int64)
        proto.solution_hint.vars.extend(range(len(order)))
        proto.solution_hint.values.extend(best[variables].tolist())
        return sub, variables


def _shift(domain: list[int], constant: int) -> list[int]:
    """A linear constraint's domain after moving a constant term to its right-hand side."""
    return [b if b in (_INT_MIN, _INT_MAX) else min(_INT_MAX - 1, max(_INT_MIN + 1, b - constant)) for b in domain]


def _shift_bounds(bounds: np.ndarray, constant: np.ndarray) -> np.ndarray:
    infinite = (bounds == _INT_MIN) | (bounds == _INT_MAX)
    shifted = np.clip(bounds - constant, _INT_MIN + 1, _INT_MAX - 1)
    return np.where(infinite, bounds, shifted)
