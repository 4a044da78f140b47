"""Training demand d(practice, role, course): who needs which course within the period.

For a mandatory course, named staff with a completion date are due exactly when their refresh
falls due before the period ends (no record means due now); the unnamed rest of a role's
headcount is estimated as headcount x 12 / refresh months, rounded up. Development targets add
a share of the role's headcount. Demand for one practice, role and course never exceeds the
headcount: a person needs a course once.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

from .scenario import Course, Practice, Scenario

DemandKey = tuple[str, str, str]  # practice id, role id, course id


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def refresh_due(last_completed: dt.date, refresh_months: int) -> dt.date:
    return _add_months(last_completed, refresh_months)


def mandatory_due(practice: Practice, role: str, course: Course, period_end: dt.date) -> int:
    assert course.refresh_months is not None
    named = [m for m in practice.staff if m.role == role]
    due = sum(
        1 for m in named
        if course.id not in m.last_completed or refresh_due(m.last_completed[course.id], course.refresh_months) <= period_end
    )
    unnamed = max(0, practice.headcount.get(role, 0) - len(named))
    return due + min(unnamed, math.ceil(unnamed * 12 / course.refresh_months))


def compute_demand(scenario: Scenario) -> dict[DemandKey, int]:
    """Positive demand only, keyed by (practice, role, course), in scenario order."""
    targets: dict[tuple[str, str], float] = {}
    for t in scenario.demand.development_targets:
        targets[t.course, t.role] = targets.get((t.course, t.role), 0.0) + t.share
    demand: dict[DemandKey, int] = {}
    for practice in scenario.practices:
        for course in scenario.courses:
            for role in course.audience:
                head = practice.headcount.get(role, 0)
                if head == 0:
                    continue
                need = 0
                if course.mandatory:
                    need += mandatory_due(practice, role, course, scenario.period.end)
                share = targets.get((course.id, role), 0.0)
                if share:
                    need += math.ceil(round(share * head, 9))
                need = min(need, head)
                if need:
                    demand[practice.id, role, course.id] = need
    return demand


def is_mandatory_demand(scenario: Scenario, course_id: str) -> bool:
    return scenario.course(course_id).mandatory
