"""CP-SAT model proto -> mixed-integer program: the same variables, rules and objective as rows.

Every proto variable becomes one integer column with its domain's bounds; every constraint
becomes one or two rows. Boolean constraints (`bool_or`, `bool_and`, `at_most_one`,
`exactly_one`) are sums of literals, a literal being the variable or, for a negative reference
`r`, one minus variable `-r - 1`. Enforcement literals become a big-M term computed from the
column bounds, so the row binds exactly when every enforcement literal is true. Only what the
PLT model uses is translated; anything else raises `NotImplementedError` naming it, so the MIP
never silently solves a different problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model_helper as cmh

INF = float("inf")
# CP-SAT writes unbounded sides as the int64 extremes; anything this large is "no bound".
_UNBOUNDED = 2**62
_BOOLEAN_KINDS = ("bool_or", "bool_and", "at_most_one", "exactly_one")
_OTHER_KINDS = ("all_diff", "automaton", "bool_xor", "circuit", "cumulative", "element", "int_div",
                "int_mod", "int_prod", "interval", "inverse", "lin_max", "no_overlap", "no_overlap_2d",
                "reservoir", "routes", "table", "dummy_constraint")

Terms = dict[int, float]  # column -> coefficient


@dataclass
class Mip:
    """A minimisation over integer columns, rows in compressed sparse row form."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    cost: np.ndarray
    offset: float
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray  # row i's entries are index/value[start[i]:start[i + 1]]
    index: np.ndarray
    value: np.ndarray
    integral_objective: bool  # integer costs and offset: every objective value is a whole number

    @property
    def columns(self) -> int:
        return len(self.col_lower)

    @property
    def rows(self) -> int:
        return len(self.row_lower)

    @property
    def nonzeros(self) -> int:
        return len(self.index)


class _Rows:
    """Rows collected as (terms, lower, upper), with big-M enforcement applied on the way in."""

    def __init__(self, lower: list[float], upper: list[float]) -> None:
        self.col_lower = lower
        self.col_upper = upper
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.start: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []

    def add(self, terms: Terms, lo: float, hi: float, enforcement: list[int]) -> None:
        """Add `lo <= terms <= hi`, binding only when every enforcement literal is true."""
        if not enforcement:
            self._append(terms, lo, hi)
            return
        least, most = self._range(terms)
        if lo > least:  # terms + (lo - least) * (number of false enforcement literals) >= lo
            self._append(*_plus_false_count(terms, lo, enforcement, lo - least), INF)
        if hi < most:  # terms - (most - hi) * (number of false enforcement literals) <= hi
            bumped, shifted = _plus_false_count(terms, hi, enforcement, hi - most)
            self._append(bumped, -INF, shifted)

    def _range(self, terms: Terms) -> tuple[float, float]:
        least = most = 0.0
        for col, coeff in terms.items():
            low, high = coeff * self.col_lower[col], coeff * self.col_upper[col]
            least += min(low, high)
            most += max(low, high)
        if not (abs(least) < INF and abs(most) < INF):
            raise NotImplementedError("an enforced constraint over an unbounded variable has no big-M")
        return least, most

    def _append(self, terms: Terms, lo: float, hi: float) -> None:
        items = [(col, coeff) for col, coeff in terms.items() if coeff != 0]
        self.index.extend(col for col, _ in items)
        self.value.extend(coeff for _, coeff in items)
        self.start.append(len(self.index))
        self.lower.append(lo)
        self.upper.append(hi)


def _plus_false_count(terms: Terms, bound: float, enforcement: list[int], big_m: float) -> tuple[Terms, float]:
    """terms + big_m * sum(1 - literal), with the constants moved into `bound`."""
    out = dict(terms)
    for ref in enforcement:
        if ref >= 0:  # 1 - x
            out[ref] = out.get(ref, 0.0) - big_m
            bound -= big_m
        else:  # 1 - (1 - x) = x
            col = -ref - 1
            out[col] = out.get(col, 0.0) + big_m
    return out, bound


def _literal_sum(literals: list[int]) -> tuple[Terms, int]:
    """sum(literals) as terms plus a constant (each negated literal adds 1 - x)."""
    terms: Terms = {}
    constant = 0
    for ref in literals:
        if ref >= 0:
            terms[ref] = terms.get(ref, 0.0) + 1
        else:
            col = -ref - 1
            terms[col] = terms.get(col, 0.0) - 1
            constant += 1
    return terms, constant


def _side(raw: int) -> float:
    return INF if raw >= _UNBOUNDED else -INF if raw <= -_UNBOUNDED else float(raw)


def _kind(ct: cmh.ConstraintProto) -> str | None:
    if ct.has_linear():
        return "linear"
    for kind in (*_BOOLEAN_KINDS, *_OTHER_KINDS):
        if getattr(ct, f"has_{kind}")():
            return kind
    return None


def _linear(rows: _Rows, ct: cmh.ConstraintProto, enforcement: list[int]) -> None:
    domain = list(ct.linear.domain)
    if len(domain) != 2:
        raise NotImplementedError(f"a linear constraint whose domain has holes ({domain}) is not translated")
    terms: Terms = {}
    for ref, coeff in zip(ct.linear.vars, ct.linear.coeffs, strict=True):
        col, sign = (ref, 1) if ref >= 0 else (-ref - 1, -1)  # a negative reference is -x here
        terms[col] = terms.get(col, 0.0) + sign * coeff
    rows.add(terms, _side(domain[0]), _side(domain[1]), enforcement)


def _boolean(rows: _Rows, kind: str, literals: list[int], enforcement: list[int]) -> None:
    if kind == "bool_and":  # every literal true: one row each
        for ref in literals:
            terms, constant = _literal_sum([ref])
            rows.add(terms, 1 - constant, INF, enforcement)
        return
    terms, constant = _literal_sum(literals)
    lo, hi = {"bool_or": (1, INF), "at_most_one": (-INF, 1), "exactly_one": (1, 1)}[kind]
    rows.add(terms, lo - constant, hi - constant, enforcement)


def _columns(proto: cmh.CpModelProto) -> tuple[list[float], list[float]]:
    lower: list[float] = []
    upper: list[float] = []
    for i, var in enumerate(proto.variables):
        domain = list(var.domain)
        if len(domain) != 2:
            raise NotImplementedError(f"variable {var.name or i} has a domain with holes ({domain}); "
                                      "the MIP translation takes single intervals only")
        lower.append(_side(domain[0]))
        upper.append(_side(domain[1]))
    return lower, upper


def _objective(proto: cmh.CpModelProto, columns: int, rows: _Rows) -> tuple[np.ndarray, float, bool]:
    cost = np.zeros(columns)
    if proto.has_floating_point_objective():
        raise NotImplementedError("a floating-point objective is not translated")
    if not proto.has_objective():
        return cost, 0.0, True
    objective = proto.objective
    scale = objective.scaling_factor or 1.0
    if scale < 0:
        raise NotImplementedError("a maximised objective (negative scaling factor) is not translated")
    terms: Terms = {}
    for ref, coeff in zip(objective.vars, objective.coeffs, strict=True):
        col, sign = (ref, 1) if ref >= 0 else (-ref - 1, -1)
        terms[col] = terms.get(col, 0.0) + sign * coeff
    for col, coeff in terms.items():
        cost[col] = coeff * scale
    domain = list(objective.domain)
    if len(domain) > 2:
        raise NotImplementedError(f"an objective domain with holes ({domain}) is not translated")
    if domain:  # the objective's own range, before offset and scaling
        rows.add(terms, _side(domain[0]), _side(domain[1]), [])
    offset = objective.offset * scale
    integral = bool(np.all(cost == np.round(cost))) and float(offset).is_integer()
    return cost, offset, integral


def translate(proto: cmh.CpModelProto) -> Mip:
    """The MIP of a CP-SAT model proto; raises NotImplementedError for what it cannot express."""
    lower, upper = _columns(proto)
    rows = _Rows(lower, upper)
    for number, ct in enumerate(proto.constraints):
        kind = _kind(ct)
        enforcement = list(ct.enforcement_literal)
        if kind == "linear":
            _linear(rows, ct, enforcement)
        elif kind in _BOOLEAN_KINDS:
            _boolean(rows, kind, list(getattr(ct, kind).literals), enforcement)
        elif kind is not None:
            raise NotImplementedError(f"constraint {number} ({ct.name or 'unnamed'}) is a {kind} constraint, "
                                      "which the MIP translation does not cover")
    cost, offset, integral = _objective(proto, len(lower), rows)
    return Mip(
        col_lower=np.array(lower, dtype=np.float64), col_upper=np.array(upper, dtype=np.float64),
        cost=cost, offset=offset,
        row_lower=np.array(rows.lower, dtype=np.float64), row_upper=np.array(rows.upper, dtype=np.float64),
        start=np.array(rows.start, dtype=np.int32), index=np.array(rows.index, dtype=np.int32),
        value=np.array(rows.value, dtype=np.float64), integral_objective=integral,
    )


def start_values(proto: cmh.CpModelProto) -> tuple[np.ndarray, np.ndarray]:
    """The proto's solution hint as (columns, values), for a MIP start."""
    hint = proto.solution_hint
    return np.array(list(hint.vars), dtype=np.int32), np.array(list(hint.values), dtype=np.float64)
