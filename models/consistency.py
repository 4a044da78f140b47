"""Cross-checks that span several parts of a scenario.

Field validators see one value; these see the whole document: ids that must exist or be
unique, audiences naming roles, courses that no trainer can teach or no room can host, dates
outside the period, counts that cannot add up. Each problem names its field path, the
offending value and the fix, so a coordinator can mend the file without reading code.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scenario import Scenario


@dataclass(frozen=True)
class Problem:
    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.path} = {shown(self.value)}: {self.message}"


def shown(value: Any) -> str:
    """A value as the user wrote it: a date as 2027-05-12 and a time as '13:00', as YAML and JSON
    spell them, not datetime.date(2027, 5, 12); lists and mappings item by item; anything else as
    its repr (text quoted), but true, false and null as YAML spells them."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, dt.datetime):  # before date: a datetime is a date too
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return f"'{value:%H:%M}'" if not (value.second or value.microsecond) else f"'{value.isoformat()}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    return repr(value)


class ScenarioInconsistent(ValueError):
    """Raised with every cross-check problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _duplicates(kind: str, path: str, ids: list[str]) -> list[Problem]:
    counts = Counter(ids)
    return [
        Problem(f"{path}[{ids.index(i)}].id", i, f"{kind} id {i!r} is used {n} times; give each {kind} its own id")
        for i, n in counts.items()
        if n > 1
    ]


def listed(ids: set[str], most: int = 12) -> str:
    """The first `most` ids in order, and how many more there are."""
    shown = sorted(ids)[:most]
    return ", ".join(shown) + (f" and {len(ids) - len(shown)} more" if len(ids) > len(shown) else "")


def _unknown(path: str, value: str, kind: str, known: set[str]) -> Problem:
    return Problem(path, value, f"no {kind} has this id; use one of: {listed(known) or 'none defined'}")


def _check_pins(s: Scenario) -> list[Problem]:
    """A pinned date the calendar allows, one pin per afternoon, and pins that leave the
    afternoons room for their waves and spacing (`_pins_room_for_waves`): otherwise `solve` found
    no plan while `explain` saw no conflict."""
    from .calendar import judge

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, pin in enumerate(s.pins):
        if pin.event in seen and s.pins[seen[pin.event]].date != pin.date:
            problems.append(Problem(f"pins[{i}].event", pin.event, f"pinned already by pins[{seen[pin.event]}]; "
                                    "keep one pin per afternoon"))
        seen.setdefault(pin.event, i)
        if s.period.contains(pin.date):
            try:
                reasons = judge(s, pin.date).reasons
            except (KeyError, NotImplementedError):  # an unknown bank-holiday region, reported elsewhere
                reasons = ()
            if reasons:
                problems.append(Problem(f"pins[{i}].date", pin.date.isoformat(), f"{'; '.join(reasons)}: no "
                                        "afternoon can be held then; pin a date `plt-scheduler calendar` lists"))
            else:
                problems += _pin_closes_whole_area(s, i)
    known = {e for e, _ in s.event_ids()}
    if not problems and all(s.period.contains(p.date) and p.event in known for p in s.pins):
        try:
            problems += _pins_room_for_waves(s)
        except (KeyError, NotImplementedError):  # an unknown bank-holiday region, reported elsewhere
            pass
    return problems


def _pin_closes_whole_area(s: Scenario, i: int) -> list[Problem]:
    """With one wave every practice closes on the pinned afternoon, so it needs every practice free
    and cover for the whole area (the solvers keep a one-wave afternoon to such dates): validate
    passed a pin on a day the only cover provider was away, and `solve` found no plan while
    `explain` isolated no cause. With several waves a practice or provider away that day can
    take another wave, so the pin stands."""
    pin = s.pins[i]
    stops = whole_area_cannot_close(s, pin.date)
    if not stops or not closes_in_one_wave(s):
        return []
    fixes = ["pin a date the whole area can close (`plt-scheduler calendar` marks those it cannot)"]
    blocked = {p.id for p in s.practices if pin.date in p.cannot_close}
    if blocked:
        fixes.append(f"take {pin.date} out of the cannot_close of {listed(blocked, 6)}, or allow a second wave "
                     "(programme.max_waves: 2) to close on another day")
    if cover_on(s, pin.date) < sum(p.list_size for p in s.practices):
        away = any(pin.date in c.unavailable for c in s.cover_providers)
        fixes.append(f"shorten the unavailable dates of the providers away on {pin.date}, or add a provider" if away
                     else "raise a provider's capacity, or add a provider")
    return [Problem(f"pins[{i}].date", pin.date.isoformat(),
                    f"{'; '.join(stops)}, and the area closes in one wave (every practice on the same afternoon), "
                    f"so {pin.event} cannot be held on {pin.date}; {'; or '.join(fixes)}")]


def whole_area_cannot_close(s: Scenario, day: dt.date) -> list[str]:
    """Why every practice cannot close on a day, in domain words (none: it can): practices that
    cannot close then, and cover below the area's patients."""
    why: list[str] = []
    blocked = {p.id for p in s.practices if day in p.cannot_close}
    if blocked:
        who = f"practice {listed(blocked)}" if len(blocked) == 1 else f"practices {listed(blocked, 6)}"
        why.append(f"{who} cannot close then")
    patients, cover = sum(p.list_size for p in s.practices), cover_on(s, day)
    away = listed({c.id for c in s.cover_providers if day in c.unavailable}, 6)
    if cover == 0:
        why.append(f"no cover provider is available on {day} ({away} away)")
    elif cover < patients:
        why.append(f"the cover providers free on {day} take {cover:,} of the area's {patients:,} patients"
                   + (f" ({away} away)" if away else ""))
    return why


def closes_in_one_wave(s: Scenario) -> bool:
    """Whether every practice closes on the same afternoon, as the solvers decide it."""
    return wave_count(s) == 1


def wave_count(s: Scenario) -> int:
    """The waves an afternoon has (the solvers' instance): programme.max_waves, or, unset, the
    fewest in which the providers free on the candidate afternoon with the most cover take every
    practice, placed largest first with the first provider that has room (at most MOST_WAVES)."""
    if s.programme.max_waves is not None:
        return s.programme.max_waves
    sizes = [p.list_size for p in s.practices]
    day = best_cover_day(s)
    caps = [c.capacity for c in s.cover_providers if day is None or day not in c.unavailable]
    waves = least_waves(s, sum(caps))  # the capacity's lower bound, as validation holds pins to it
    while not _fits_in_waves(sizes, caps, waves) and waves < MOST_WAVES:
        waves += 1
    return waves


def _fits_in_waves(list_sizes: list[int], capacities: list[int], waves: int) -> bool:
    """First-fit decreasing of practices into `waves` copies of the providers' capacities."""
    free = sorted(capacities * waves, reverse=True)
    for size in sorted(list_sizes, reverse=True):
        for i, room in enumerate(free):
            if size <= room:
                free[i] -= size
                break
        else:
            return False
    return True


def cover_on(s: Scenario, day: dt.date) -> int:
    """Patients the cover providers can take on a day: those away that day do not count."""
    return sum(c.capacity for c in s.cover_providers if day not in c.unavailable)


def best_cover_day(s: Scenario) -> dt.date | None:
    """The candidate afternoon with the most cover, the earliest of equals (None with no candidate
    afternoon, or when the calendar cannot be read: an unknown bank-holiday region is reported
    elsewhere)."""
    from .calendar import candidate_dates

    try:
        dates = candidate_dates(s)
    except (KeyError, NotImplementedError):
        return None
    return max(dates, key=lambda d: (cover_on(s, d), -d.toordinal()), default=None)


def most_cover(s: Scenario) -> int:
    """The most cover any candidate afternoon has (every provider's, without a candidate afternoon)."""
    day = best_cover_day(s)
    return sum(c.capacity for c in s.cover_providers) if day is None else cover_on(s, day)


def least_waves(s: Scenario, most: int | None = None) -> int:
    """The fewest waves any afternoon can have: the area's patients over the most cover a
    candidate afternoon has (`most`, when the caller has it; each wave on a day of its own). With
    no cover on any candidate afternoon, one more than the most waves a solve tries
    (`_check_cover` refuses the scenario)."""
    most = most_cover(s) if most is None else most
    if most == 0:
        return MOST_WAVES + 1
    return max(1, math.ceil(sum(p.list_size for p in s.practices) / most))


# The most waves an afternoon can have when programme.max_waves is not set (solvers.instance.wave_count).
MOST_WAVES = 12


def _check_cover(s: Scenario) -> list[Problem]:
    """Cover for the waves an afternoon may have: with too little, validate passed, `explain` said
    a plan exists, and `solve` found none (Norwich at half its cover with one wave; Norfolk and
    Waveney with its smaller provider away every weekday, four waves needed and three allowed)."""
    if not s.practices or not s.cover_providers:
        return []
    if max(p.list_size for p in s.practices) > max(c.capacity for c in s.cover_providers):
        return []  # no number of waves helps: `_check_counts` names the practice
    most = most_cover(s)
    waves = least_waves(s, most)
    limit = s.programme.max_waves or MOST_WAVES
    if waves <= limit:
        return []
    patients = sum(p.list_size for p in s.practices)
    if most == 0:
        return [Problem("cover_providers", [c.id for c in s.cover_providers],
                        "no cover provider is free on any candidate afternoon; shorten a provider's "
                        "unavailable dates or add a provider")]
    away = ""
    if most < sum(c.capacity for c in s.cover_providers):
        from .calendar import candidate_dates

        dates = candidate_dates(s)  # readable: `most` came from them
        gone = [c.id for c in s.cover_providers if c.unavailable and set(dates) <= set(c.unavailable)]
        away = (f" ({', '.join(gone)} away on every candidate afternoon)" if gone
                else " (no candidate afternoon has every provider)")
    need = f"the area's {patients:,} patients need {waves} waves an afternoon, as the most cover a candidate afternoon has is {most:,}{away}"
    if s.programme.max_waves is None:
        return [Problem("cover_providers", [c.id for c in s.cover_providers],
                        f"{need}, and a solve tries at most {MOST_WAVES}; raise a provider's capacity or add a provider")]
    return [Problem("programme.max_waves", s.programme.max_waves,
                    f"{need}; raise programme.max_waves to {waves}, raise a provider's capacity or "
                    "shorten its unavailable dates")]


def _pins_room_for_waves(s: Scenario) -> list[Problem]:
    """Pins that leave the afternoons around them no dates, in the calendar's candidate dates: an
    afternoon's `least_waves` waves on different days within the wave window, the next afternoon
    the spacing after its last wave (as the checker holds them). Validate once passed a pin six
    weeks after the one before it in an area of three waves, the earlier afternoon's last wave
    then two days too close to it, and `solve` found no plan while `explain` saw none missing."""
    from .calendar import candidate_dates

    allowed = candidate_dates(s)
    if closes_in_one_wave(s):  # as the solvers keep a one-wave afternoon to dates the whole area can close
        allowed = [d for d in allowed if not whole_area_cannot_close(s, d)]
    waves, window = least_waves(s), dt.timedelta(days=s.programme.wave_window_days)
    if waves > (s.programme.max_waves or MOST_WAVES):
        return []  # too little cover for any dates: `_check_cover` says so
    gap = max(dt.timedelta(days=1), dt.timedelta(weeks=s.calendar.min_weeks_between))  # as the solvers space them
    pinned = {p.event: (i, p.date) for i, p in enumerate(s.pins)}
    events = [e for e, _ in s.event_ids()]
    each = (f"each afternoon {waves} wave(s) on different days (cover capacity) within "
            f"programme.wave_window_days, and {gap.days} day(s) from its last wave to the next afternoon "
            "(calendar.min_weeks_between)")

    def last_wave(start: dt.date) -> dt.date | None:
        """The earliest an afternoon first held on `start` can hold its last wave, if it can."""
        later = [d for d in allowed if start < d <= start + window][:waves - 1]
        return (later[-1] if later else start) if len(later) == waves - 1 else None

    earliest: dt.date | None = allowed[0] if allowed else None
    last_pin: tuple[str, int, dt.date] | None = None
    for k, event in enumerate(events):
        end = None
        if event in pinned:
            i, day = pinned[event]
            if earliest is not None and day < earliest:
                before = (f"{last_pin[0]} is pinned to {last_pin[2]}" if last_pin else
                          f"{k} afternoon(s) come before it")
                return [Problem(f"pins[{i}].date", day.isoformat(),
                                f"{event} cannot start before {earliest}: {before}, with {each}; pin the afternoons "
                                f"in order and spaced, {event} on or after {earliest}")]
            last_pin, end = (event, i, day), last_wave(day)
        elif earliest is not None:  # the first date from which its waves fit (a later first wave ends later)
            end = next((e for e in (last_wave(d) for d in allowed if d >= earliest) if e is not None), None)
        following = next((d for d in allowed if end is not None and d >= end + gap), None)
        if end is None or (following is None and k + 1 < len(events)):
            if last_pin is None:  # unpinned afternoons with no date: the calendar's fault, not a pin's
                return []
            what = (f"{event}'s later waves" if end is None and event == last_pin[0] else
                    event if end is None else events[k + 1])
            return [Problem(f"pins[{last_pin[1]}].date", last_pin[2].isoformat(),
                            f"from {last_pin[0]} on {last_pin[2]} the calendar's candidate dates leave no room for "
                            f"{what}, with {each}; pin {last_pin[0]} earlier")]
        earliest = following
    return []


def spaced(s: Scenario, dates: list[dt.date]) -> int:
    """The most afternoons the dates hold with the spacing (earliest first is the most)."""
    gap = max(1, 7 * s.calendar.min_weeks_between)
    placed, last = 0, None
    for day in dates:
        if last is None or (day - last).days >= gap:
            placed, last = placed + 1, day
    return placed


def calendar_room(s: Scenario) -> list[Problem]:
    """Room in the calendar for the programme's afternoons: a candidate date at all, and as many
    candidate afternoons the minimum spacing apart as the programme has. `validate` and
    `explain` report it. It is not a cross-check: such a scenario still loads, so that `solve`
    answers INFEASIBLE (and points to `explain`) and a sweep or what-if can try it."""
    from .calendar import candidate_dates, verdicts

    dates = candidate_dates(s)
    wanted = s.programme.external_afternoons + s.programme.internal_afternoons
    if not wanted:
        return []
    if not dates:
        allowed_days = {w.number for w in s.calendar.weekdays}
        reasons = Counter(r if r.startswith("blackout:") else r.split(":")[0]  # name blackouts, count the rest
                          for v in verdicts(s) if v.day.weekday() in allowed_days for r in v.reasons)
        top = ", ".join(f"{n} by {why}" for why, n in reasons.most_common(4))
        return [Problem("calendar", "no candidate afternoon",
                        f"No date can hold a PLT afternoon: every allowed weekday in the period is excluded ({top}); "
                        "shorten a blackout, allow another weekday or widen the period")]
    placed = spaced(s, dates)
    if placed >= wanted:
        return []
    prog = s.programme
    return [Problem("programme", f"{prog.external_afternoons} external + {prog.internal_afternoons} internal afternoons",
                    f"The programme needs {wanted} afternoons at least {s.calendar.min_weeks_between} weeks apart "
                    f"(calendar.min_weeks_between), but the candidate afternoons ({dates[0]:%d %b %Y} to "
                    f"{dates[-1]:%d %b %Y}) hold only {placed} that far apart; plan at most {placed} afternoons "
                    "(programme.external_afternoons plus internal_afternoons) or lower calendar.min_weeks_between")]


def closing_room(s: Scenario) -> list[Problem]:
    """Every practice closes once each afternoon, on a date outside its cannot_close; with one
    wave all on the same afternoon, so only candidate afternoons that no practice has in
    cannot_close and whose cover takes the whole area count. Explain said a plan exists for
    Norwich with two practices' cannot_close covering every candidate afternoon between them,
    while solve found none. Like `calendar_room`, `validate` and `explain` report it, and such a
    scenario still loads."""
    from .calendar import candidate_dates

    dates = candidate_dates(s)
    wanted = s.programme.external_afternoons + s.programme.internal_afternoons
    for i, p in enumerate(s.practices):
        if not p.cannot_close:
            continue
        free = [d for d in dates if d not in p.cannot_close]
        held = spaced(s, free)
        if held < wanted:
            return [Problem(f"practices[{i}].cannot_close", f"{len(p.cannot_close)} date(s)",
                            f"{p.name} ({p.id}) closes for each of the {wanted} afternoons, but its cannot_close "
                            f"(practices[{i}]) leaves {len(free)} of the {len(dates)} candidate afternoons, which hold only "
                            f"{held} at least {s.calendar.min_weeks_between} weeks apart. Shorten its "
                            "cannot_close dates or plan fewer afternoons.")]
    if not closes_in_one_wave(s):
        return []
    whole = [d for d in dates if not whole_area_cannot_close(s, d)]
    placed = spaced(s, whole)
    if placed >= wanted:
        return []
    blockers = Counter(p.id for d in dates for p in s.practices if d in p.cannot_close)
    patients = sum(p.list_size for p in s.practices)
    short = sum(1 for d in dates if cover_on(s, d) < patients)
    why = []
    if blockers:
        most = ", ".join(f"{p} on {n}" for p, n in blockers.most_common(3))
        blocked = sum(1 for d in dates if any(d in p.cannot_close for p in s.practices))
        why.append(f"practices' cannot_close rules out {blocked} (most: {most})")
    if short:
        why.append(f"on {short} the cover providers free that day cannot take all {patients:,} patients")
    return [Problem("practices.cannot_close, cover_providers", f"{len(whole)} of {len(dates)} candidate afternoons",
                    f"With one wave all {len(s.practices)} practices close on the same afternoon, but only {len(whole)} of the "
                    f"{len(dates)} candidate afternoons allow that ({'; '.join(why)}), and they hold {placed} afternoon(s) "
                    f"at least {s.calendar.min_weeks_between} weeks apart; the programme needs {wanted}. Shorten "
                    "practices' cannot_close dates, allow more waves (programme.max_waves) or plan fewer afternoons.")]


def _check_ids(s: Scenario) -> list[Problem]:
    problems = _duplicates("role", "roles", [r.id for r in s.roles])
    problems += _duplicates("practice", "practices", [p.id for p in s.practices])
    problems += _duplicates("course", "courses", [c.id for c in s.courses])
    problems += _duplicates("trainer", "trainers", [t.id for t in s.trainers])
    problems += _duplicates("venue", "venues", [v.id for v in s.venues])
    problems += _duplicates("room", "rooms", [r.id for _, r in s.all_rooms()])
    problems += _duplicates("cover provider", "cover_providers", [c.id for c in s.cover_providers])
    problems += _duplicates("teaching block", "calendar.blocks", [b.id for b in s.calendar.blocks])
    ods = [p.ods_code for p in s.practices]
    problems += [
        Problem(f"practices[{ods.index(code)}].ods_code", code, "ODS code used by two practices; each needs its own")
        for code, n in Counter(ods).items()
        if n > 1
    ]
    return problems


def _completed_unknown(s: Scenario, course: str, records: list[tuple[int, int]], courses: set[str]) -> Problem:
    """One problem per course that staff records name in last_completed but the scenario lacks
    (`--drop courses.bls` left each such entry as `last_completed.bls = 'bls'`, with no word of
    what to do)."""
    i, j = records[0]
    who = [f"{s.practices[p].staff[m].name} at {s.practices[p].id} (practices[{p}].staff[{m}])" for p, m in records]
    named = who[0] if len(who) == 1 else f"{len(who)} staff records: {', '.join(who[:5])}" + (
        f" and {len(who) - 5} more" if len(who) > 5 else "")
    return Problem(f"practices[{i}].staff[{j}].last_completed.{course}",
                   s.practices[i].staff[j].last_completed[course].isoformat(),
                   f"course {course!r} is named in the last_completed of {named}, but no course has this id (a "
                   f"dropped course, or a misspelt id); remove {course} from {'that' if len(who) == 1 else 'each'} "
                   f"last_completed or keep the course, or if misspelt use one of: {listed(courses) or 'none defined'}")


def _check_roles_and_courses(s: Scenario) -> list[Problem]:
    roles = {r.id for r in s.roles}
    courses = {c.id for c in s.courses}
    problems: list[Problem] = []
    for i, course in enumerate(s.courses):
        for j, role in enumerate(course.audience):
            if role not in roles:
                problems.append(_unknown(f"courses[{i}].audience[{j}]", role, "role", roles))
    naming: dict[str, list[tuple[int, int]]] = {}  # a course no longer there -> the staff records naming it
    for i, practice in enumerate(s.practices):
        for role in practice.headcount:
            if role not in roles:
                problems.append(_unknown(f"practices[{i}].headcount.{role}", role, "role", roles))
        for j, member in enumerate(practice.staff):
            if member.role not in roles:
                problems.append(_unknown(f"practices[{i}].staff[{j}].role", member.role, "role", roles))
            for course in member.last_completed:
                if course not in courses:
                    naming.setdefault(course, []).append((i, j))
        named = Counter(m.role for m in practice.staff)
        for role, n in named.items():
            if n > practice.headcount.get(role, 0):
                problems.append(
                    Problem(
                        f"practices[{i}].headcount.{role}",
                        practice.headcount.get(role, 0),
                        f"{n} named staff have this role but the headcount is lower; raise the headcount to at least {n}",
                    )
                )
    problems += [_completed_unknown(s, course, records, courses) for course, records in naming.items()]
    for i, target in enumerate(s.demand.development_targets):
        if target.course not in courses:
            problems.append(_unknown(f"demand.development_targets[{i}].course", target.course, "course", courses))
        elif target.role not in s.course(target.course).audience:
            problems.append(
                Problem(
                    f"demand.development_targets[{i}].role",
                    target.role,
                    f"course {target.course} is not for this role; add the role to the course's audience or drop the target",
                )
            )
        if target.role not in roles:
            problems.append(_unknown(f"demand.development_targets[{i}].role", target.role, "role", roles))
    return problems


@dataclass(frozen=True)
class Obstacle:
    """What stops a course running, as a field, its value, the reason and the fix."""

    path: str
    value: Any
    reason: str
    fix: str
    away: bool = False  # its trainers exist but none is free on a candidate afternoon (a date question)

    def problem(self, consequence: str) -> Problem:
        return Problem(self.path, self.value, f"{self.reason}, so {consequence}")


@dataclass(frozen=True)
class Reach:
    """Where a course can run with the scenario's trainers and rooms, and if nowhere, why."""

    external: bool  # at external afternoons: a trainer with the skill and, face to face, a room that fits
    on_site: bool  # at practices' internal afternoons: a trainer with the skill who delivers on site
    why: Obstacle | None  # the first thing that stops it running at external afternoons (or on site)

    @property
    def anywhere(self) -> bool:
        return self.external or self.on_site


def reach(s: Scenario, i: int) -> Reach:
    # lazily: the calendar reads scenarios, which cross-check here
    from .calendar import candidate_dates

    course = s.courses[i]
    skill = course.needed_skill
    trainers = [t for t in s.trainers if skill in t.skills]
    dates = set(candidate_dates(s)) if trainers else set()
    # away on every candidate afternoon: no use (with no candidate afternoon at all, the calendar is what to say)
    free = [t for t in trainers if not dates <= set(t.unavailable)] if dates else trainers
    on_site = course.runs_on_site and any(t.on_site for t in free)
    onsite_only = course.delivery.value == "on_site"
    why = None
    if not trainers or (onsite_only and not any(t.on_site for t in trainers)):
        who = " who delivers on site" if onsite_only else ""
        why = Obstacle(f"courses[{i}].skill" if course.skill else f"courses[{i}].id", skill,
                       f"no trainer{who} has skill {skill!r}", "add the skill to a trainer or remove the course")
    elif not free or (onsite_only and not on_site):
        away = {t.id for t in trainers if not onsite_only or t.on_site}
        fields = [f"trainers[{k}].unavailable" for k, t in enumerate(s.trainers) if t.id in away]
        who = " who delivers on site" if onsite_only else ""
        why = Obstacle(f"courses[{i}].skill" if course.skill else f"courses[{i}].id", skill,
                       f"every trainer{who} with skill {skill!r} ({listed(away, 6)}) is unavailable on every "
                       f"candidate afternoon", f"shorten their unavailable dates ({', '.join(fields[:6])}), add a "
                       "trainer with the skill or remove the course", away=True)
    elif course.delivery.value == "face_to_face" and not any(
            set(course.room_features) <= set(r.features) and r.capacity >= course.min_group for _, r in s.all_rooms()):
        need = f" with features {course.room_features}" if course.room_features else ""
        visits = " and no trainer with its skill delivers on site" if course.on_site and not on_site else ""
        why = Obstacle(f"courses[{i}].room_features", course.room_features,
                       f"no room{need} holds the minimum group of {course.min_group}{visits}",
                       "add such a room, lower min_group or change the features")
    return Reach(course.external and why is None, on_site, why)


def _check_teachable(s: Scenario) -> list[Problem]:
    """A course no trainer or room lets run is an error only where its mandatory demand must be
    met (policy.mandatory hard): otherwise its demand counts as unmet (`untaught`). Trainers away
    on every candidate afternoon are `validate`'s and `explain`'s to say (`trainers_away`)."""
    problems: list[Problem] = []
    for i, course in enumerate(s.courses):
        if (never := _never_runs(s, i)) is not None and not never.away:
            problems.append(never.problem(
                f"mandatory course {course.id} can never run; {never.fix}, or make mandatory training soft "
                "(policy.mandatory: soft) to count its demand as unmet"))
        if course.blocks > len(s.calendar.blocks):
            problems.append(
                Problem(
                    f"courses[{i}].blocks",
                    course.blocks,
                    f"the afternoon has only {len(s.calendar.blocks)} blocks; shorten the course or add blocks",
                )
            )
    return problems


def _never_runs(s: Scenario, i: int) -> Obstacle | None:
    """Why mandatory course i can never run where its demand must be met (hard), if it cannot."""
    course = s.courses[i]
    if not (course.mandatory and s.policy.mandatory == "hard"):
        return None
    where = reach(s, i)
    return None if where.anywhere else where.why


def trainers_away(s: Scenario) -> list[Problem]:
    """Mandatory courses (hard) whose trainers are away on every candidate afternoon: no plan
    meets their demand. `validate` and `explain` report it, like `calendar_room`; the scenario
    still loads (a what-if or sweep may try it, and solve answers INFEASIBLE)."""
    return [never.problem(f"mandatory course {s.courses[i].id} can never run; {never.fix}, or make mandatory "
                          "training soft (policy.mandatory: soft) to count its demand as unmet")
            for i in range(len(s.courses)) if (never := _never_runs(s, i)) is not None and never.away]


def unplannable(s: Scenario) -> list[Problem]:
    """What `validate` refuses, and a sweep marks INVALID, though the scenario loads (so that
    `solve` answers INFEASIBLE and points to `explain`): too little room in the calendar, practices
    that cannot close often enough, mandatory courses whose trainers are always away."""
    return calendar_room(s) or closing_room(s) or trainers_away(s)


def untaught(s: Scenario) -> list[Problem]:
    """A note on each course that cannot run, or not in every way the scenario offers it (valid:
    a trainer may have left). A course that cannot run under hard mandatory training is an error
    instead (`_check_teachable`)."""
    from .demand import compute_demand  # lazily: demand reads scenarios, which cross-check here

    notes: list[Problem] = []
    demand: dict[tuple[str, str, str], int] | None = None
    for i, course in enumerate(s.courses):
        where = reach(s, i)
        if not where.anywhere:
            if not (course.mandatory and s.policy.mandatory == "hard"):
                demand = compute_demand(s) if demand is None else demand
                seats = sum(n for (_, _, c), n in demand.items() if c == course.id)
                notes.append(where.why.problem(
                    f"course {course.id} cannot run and its demand ({seats:,} seats this year) counts as unmet; "
                    f"if that is not meant, {where.why.fix}"))
        elif course.external and course.on_site and not where.on_site:
            notes.append(Problem(f"courses[{i}].on_site", True, (
                f"no trainer with skill {course.needed_skill!r} delivers on site, so course {course.id} runs at "
                "external afternoons only; set on_site: true on such a trainer, or the course's on_site to false")))
        elif course.external and not where.external:
            notes.append(where.why.problem(f"course {course.id} runs on site only; {where.why.fix}"))
    return notes


def _check_dates(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    period = s.period

    def inside(path: str, day: dt.date) -> None:
        if not period.contains(day):
            problems.append(
                Problem(path, day.isoformat(), f"date lies outside the period {period.start} to {period.end}; remove or correct it")
            )

    dated = [("practices", "cannot_close"), ("trainers", "unavailable"), ("cover_providers", "unavailable"),
             ("venues", "unavailable")]
    for collection, field in dated:
        for i, item in enumerate(getattr(s, collection)):
            for j, d in enumerate(getattr(item, field)):
                inside(f"{collection}[{i}].{field}[{j}]", d)
    for i, venue in enumerate(s.venues):
        for k, room in enumerate(venue.rooms):
            for j, d in enumerate(room.unavailable):
                inside(f"venues[{i}].rooms[{k}].unavailable[{j}]", d)
    for i, pin in enumerate(s.pins):
        inside(f"pins[{i}].date", pin.date)
        known = {e for e, _ in s.event_ids()}
        if pin.event not in known:
            problems.append(Problem(f"pins[{i}].event", pin.event,
                                    f"no afternoon has this id; use plt-1 to plt-{len(known)}"))
    problems += _check_pins(s)
    prog = s.programme
    for name in ("earliest", "latest"):
        day = getattr(prog, name)
        if day is not None:
            inside(f"programme.{name}", day)
    if prog.earliest and prog.latest and prog.latest < prog.earliest:
        problems.append(Problem("programme.latest", prog.latest.isoformat(), "latest is before earliest; swap them"))
    return problems


def _check_counts(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    largest = max(s.practices, key=lambda p: p.list_size)
    biggest_cover = max(c.capacity for c in s.cover_providers)
    if largest.list_size > biggest_cover:
        i = s.practices.index(largest)
        problems.append(
            Problem(
                f"practices[{i}].list_size",
                largest.list_size,
                f"no cover provider can take {largest.name} (largest capacity {biggest_cover}); "
                "raise a provider's capacity or add a provider",
            )
        )
    if s.programme.external_afternoons and not any(c.delivery.value != "on_site" for c in s.courses):
        problems.append(
            Problem("programme.external_afternoons", s.programme.external_afternoons,
                    "external afternoons need face-to-face or virtual courses, and every course is on site; add one or set this to 0")
        )
    if s.staff_count == 0:
        problems.append(Problem("practices", len(s.practices), "no practice has any staff; fill in headcount per role"))
    return problems


def find_problems(s: Scenario) -> list[Problem]:
    problems = _check_ids(s)
    if problems:
        return problems  # later checks look things up by id
    return (_check_roles_and_courses(s) + _check_teachable(s) + _check_dates(s) + _check_counts(s)
            + _check_cover(s))


def cross_check(s: Scenario) -> None:
    problems = find_problems(s)
    if problems:
        raise ScenarioInconsistent(problems)
