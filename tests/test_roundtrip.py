"""Round trips: scenario -> dump_scenario -> JSON (or YAML) text -> parse_scenario gives an
equal scenario, for scenarios hypothesis builds from Norwich and from scratch."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models import Scenario, dump_scenario, parse_scenario

Doc = dict[str, Any]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PERIOD = (dt.date(2027, 4, 1), dt.date(2028, 3, 31))
IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,11}\Z")
FAST = settings(max_examples=30, deadline=None)


def through_json(scenario: Scenario) -> Scenario:
    return parse_scenario(json.loads(json.dumps(dump_scenario(scenario))))


def through_yaml(scenario: Scenario) -> Scenario:
    return parse_scenario(yaml.safe_load(yaml.safe_dump(dump_scenario(scenario), sort_keys=False)))


@st.composite
def blackouts(draw: st.DrawFn) -> list[Doc]:
    found = []
    for name in draw(st.lists(st.text(max_size=20), max_size=4)):
        start = draw(st.dates(*PERIOD))
        end = start + dt.timedelta(days=draw(st.integers(0, 40)))
        found.append({"name": name, "start": start.isoformat(), "end": end.isoformat()})
    return found


@st.composite
def from_norwich(draw: st.DrawFn, fresh: Callable[[], Doc]) -> Doc:
    """Norwich with fewer practices and other sizes, group sizes, weekdays and blackouts."""
    doc = fresh()
    doc["practices"] = doc["practices"][: draw(st.integers(1, 21))]
    for practice in doc["practices"]:
        practice["name"] = draw(st.text(min_size=1, max_size=30))
        practice["list_size"] = draw(st.integers(0, 400_000))
        for role in practice["headcount"]:
            named = sum(1 for member in practice.get("staff", []) if member["role"] == role)
            practice["headcount"][role] = draw(st.integers(max(named, role == "gp"), 80))
    largest = max(p["list_size"] for p in doc["practices"])
    total = sum(p["list_size"] for p in doc["practices"])
    # Cover for the waves allowed, on every candidate afternoon (validation refuses less).
    capacity = draw(st.integers(max(largest, -(-total // 12), 1), max(largest, -(-total // 12), 500_000)))
    doc["cover_providers"][0]["capacity"] = capacity
    doc["cover_providers"][0]["unavailable"] = []
    least_waves = max(1, -(-total // capacity))
    for course in doc["courses"]:
        # Every room that a Norwich course needs seats at least 16.
        course["max_group"] = draw(st.integers(1, 200))
        course["min_group"] = draw(st.integers(1, min(course["max_group"], 16)))
    doc["calendar"]["weekdays"] = draw(
        st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)
    )
    doc["calendar"]["blackouts"] = draw(blackouts())
    doc["calendar"]["blackout_months"] = draw(
        st.lists(st.integers(1, 12), max_size=12, unique=True)
    )
    doc["calendar"]["min_weeks_between"] = draw(st.integers(0, 52))
    for target in doc["demand"]["development_targets"]:
        target["share"] = draw(st.floats(min_value=0.001, max_value=1.0))
    external, internal = draw(st.integers(0, 6)), draw(st.integers(1, 6))
    kinds = ["external"] * external + ["internal"] * internal
    doc["programme"] = {
        "external_afternoons": external,
        "internal_afternoons": internal,
        "sequence": draw(st.none() | st.permutations(kinds)),
        "max_waves": draw(st.none() | st.integers(least_waves, 12)),
    }
    doc["policy"]["mandatory"] = draw(st.sampled_from(["hard", "soft"]))
    doc["policy"]["weights"] = {
        "unmet": draw(st.integers(0, 1000)),
        "cost": draw(st.integers(0, 10)),
    }
    return doc


@given(data=st.data())
@FAST
def test_norwich_variants_survive_json(data: st.DataObject, norwich_doc: Callable[[], Doc]) -> None:
    doc = data.draw(from_norwich(norwich_doc))
    original = parse_scenario(doc)
    again = through_json(original)
    assert again == original
    assert dump_scenario(again) == dump_scenario(original)
    # The drawn values really are in the scenario, so equality compared something.
    assert [p.list_size for p in again.practices] == [p["list_size"] for p in doc["practices"]]
    assert [w.value for w in again.calendar.weekdays] == doc["calendar"]["weekdays"]
    assert [b.name for b in again.calendar.blackouts] == [
        b["name"] for b in doc["calendar"]["blackouts"]
    ]


@given(data=st.data())
@FAST
def test_norwich_variants_survive_yaml(data: st.DataObject, norwich_doc: Callable[[], Doc]) -> None:
    original = parse_scenario(data.draw(from_norwich(norwich_doc)))
    assert through_yaml(original) == original


@st.composite
def times_in_order(draw: st.DrawFn, count: int) -> list[dt.time]:
    minutes = sorted(
        draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=count, max_size=count, unique=True))
    )
    seconds = draw(st.integers(0, 59))
    return [dt.time(m // 60, m % 60, seconds) for m in minutes]


@st.composite
def hand_made(draw: st.DrawFn) -> Doc:
    """A small scenario from scratch: odd ids, dates anywhere, times with seconds."""
    start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)))
    end = start + dt.timedelta(days=draw(st.integers(0, 800)))
    in_period = st.dates(start, end).map(dt.date.isoformat)
    n_blocks = draw(st.integers(1, 3))
    times = draw(times_in_order(2 * n_blocks + 2))
    roles = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    course_ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    practice_ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    ods = draw(
        st.lists(
            st.from_regex(r"\A[A-Z0-9]{3,8}\Z"),
            min_size=len(practice_ids),
            max_size=len(practice_ids),
            unique=True,
        )
    )
    practices = []
    for pid, code in zip(practice_ids, ods, strict=True):
        practices.append(
            {
                "id": pid,
                "ods_code": code,
                "name": draw(st.text(max_size=20)),
                "network": draw(IDS),
                "postcode": draw(st.text(max_size=10)),
                "list_size": draw(st.integers(0, 50_000)),
                "kind": draw(st.sampled_from(["gp_practice", "pharmacy", "care_home", "other"])),
                "headcount": {role: draw(st.integers(1, 40)) for role in roles},
                "cannot_close": draw(st.lists(in_period, max_size=3)),
            }
        )
    courses = []
    for cid in course_ids:
        top = draw(st.integers(1, 100))
        courses.append(
            {
                "id": cid,
                "name": draw(st.text(max_size=20)),
                "delivery": "virtual",
                "audience": draw(st.lists(st.sampled_from(roles), min_size=1, unique=True)),
                "blocks": draw(st.integers(1, n_blocks)),
                "max_group": top,
                "min_group": draw(st.integers(1, top)),
                "refresh_months": draw(st.none() | st.integers(1, 60)),
                "priority": draw(st.integers(1, 10)),
            }
        )
    return {
        "name": draw(st.text(max_size=30)),
        "period": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "timezone": draw(st.sampled_from(["Europe/London", "UTC", "America/New_York"])),
        },
        "calendar": {
            "weekdays": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True)),
            "window": {"start": times[0].isoformat(), "end": times[-1].isoformat()},
            "blocks": [
                {
                    "id": f"b{i}",
                    "start": times[2 * i + 1].isoformat(),
                    "end": times[2 * i + 2].isoformat(),
                }
                for i in range(n_blocks)
            ],
            "blackout_months": draw(st.lists(st.integers(1, 12), unique=True)),
        },
        "roles": [
            {"id": r, "name": r, "clinical": draw(st.booleans()), "bank": draw(st.booleans())}
            for r in roles
        ],
        "practices": practices,
        "courses": courses,
        "trainers": [
            {
                "id": "t",
                "name": "Trainer",
                "skills": course_ids,
                "unavailable": draw(st.lists(in_period, max_size=3)),
                "cost_per_run": draw(st.integers(0, 1000)),
            }
        ],
        "cover_providers": [
            {"id": "c", "name": "Cover", "capacity": max(1, *(p["list_size"] for p in practices))}
        ],
        "programme": {
            "external_afternoons": draw(st.integers(1, 4)),
            "internal_afternoons": draw(st.integers(0, 4)),
        },
    }


@given(doc=hand_made())
@FAST
def test_hand_made_scenarios_survive_json(doc: Doc) -> None:
    original = parse_scenario(doc)
    again = through_json(original)
    assert again == original
    assert [b.start for b in again.calendar.blocks] == [
        dt.time.fromisoformat(b["start"]) for b in doc["calendar"]["blocks"]
    ]
    assert [p.id for p in again.practices] == [p["id"] for p in doc["practices"]]


def test_equality_notices_a_changed_field(norwich: Scenario) -> None:
    # Guards the round-trip tests: pydantic equality must see one changed number deep inside.
    data = dump_scenario(norwich)
    data["practices"][-1]["headcount"]["gp"] += 1
    assert parse_scenario(data) != norwich
    assert through_json(norwich) == norwich


def test_dump_is_plain_json(norwich: Scenario) -> None:
    data = dump_scenario(norwich)
    assert json.loads(json.dumps(data)) == data
    assert data["calendar"]["window"]["start"] == "13:00:00"
    assert data["period"]["start"] == "2027-04-01"
    assert data["calendar"]["weekdays"] == ["tue", "wed", "thu"]
