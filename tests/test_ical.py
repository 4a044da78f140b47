"""iCal feeds: they parse (icalendar, vobject with validation, recurring-ical-events) with the
right local times, export to identical bytes, and re-planning raises SEQUENCE only where an
event changed, keeping removed events as cancelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from models import Scenario, parse_scenario
from models.plan import Plan
from scheduler.ical import export_feeds
from solvers.base import SolveOptions, get_solver

STAMP = dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def plan(norwich: Scenario) -> Plan:
    plan = get_solver("greedy").solve(norwich, SolveOptions())
    plan.solver.finished = STAMP
    return plan


@pytest.fixture(scope="module")
def feeds(norwich: Scenario, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds")
    export_feeds(norwich, plan, out)
    return out / "feeds"


def _events(path: Path) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_every_subscriber_has_a_feed(norwich: Scenario, plan: Plan, feeds: Path) -> None:
    assert (feeds / "master.ics").exists()
    assert {p.stem for p in (feeds / "practices").glob("*.ics")} == {p.ods_code for p in norwich.practices}
    assert {p.stem for p in (feeds / "trainers").glob("*.ics")} == {t.id for t in norwich.trainers}
    assert {p.stem for p in (feeds / "rooms").glob("*.ics")} == {room.id for _, room in norwich.all_rooms()}
    assert [p.stem for p in (feeds / "cover").glob("*.ics")] == ["ooh"]


NEW = {"trainers": "trainers/t-new.ics", "rooms": "rooms/annexe.ics", "cover": "cover/ooh-2.ics",
       "practices": "practices/Y99999.ics"}


@pytest.fixture(scope="module")
def with_new(norwich_doc: Callable[[], dict[str, Any]]) -> Scenario:
    """Norwich with a trainer, a room, a cover provider and a practice that Norwich's plan never
    names: subscribers with nothing scheduled yet."""
    doc = norwich_doc()
    doc["trainers"].append({**doc["trainers"][0], "id": "t-new", "name": "New BLS instructor"})
    doc["venues"][0]["rooms"].append({**doc["venues"][0]["rooms"][0], "id": "annexe", "name": "Annexe"})
    doc["cover_providers"].append({**doc["cover_providers"][0], "id": "ooh-2", "name": "Second provider"})
    doc["practices"].append({**doc["practices"][0], "id": "Y99999", "ods_code": "Y99999", "name": "New practice"})
    return parse_scenario(doc)


def test_a_subscriber_with_nothing_yet_has_an_empty_valid_feed_that_later_plans_continue(
        norwich: Scenario, with_new: Scenario, plan: Plan, tmp_path: Path) -> None:
    """A trainer (room, cover provider, practice) given nothing had no feed, so could not
    subscribe before a plan gave them work. Now the feed is there, empty, valid and saying so;
    a plan that gives the trainer a run fills the same feed, and once the trainer leaves the
    scenario the run stays in it, cancelled."""
    export_feeds(with_new, plan, tmp_path)
    for feed in NEW.values():
        path = tmp_path / "feeds" / feed
        assert path.is_file(), feed
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        assert not list(cal.walk("VEVENT")) and [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/London"]
        assert "Nothing is scheduled here yet" in str(cal["X-WR-CALDESC"]), feed
        assert cal.to_ical() == path.read_bytes()
        assert vobject.readOne(path.read_text(encoding="utf-8"), validate=True).contents.get("vevent", []) == []
        assert recurring_ical_events.of(cal).between(dt.date(2027, 4, 1), dt.date(2028, 4, 1)) == []
    given = plan.model_copy(deep=True)
    run = next(r for r in given.runs if r.course == "bls")
    run.trainer = "t-new"
    given.solver.finished = STAMP + dt.timedelta(days=1)
    export_feeds(with_new, given, tmp_path)
    cal = icalendar.Calendar.from_ical((tmp_path / "feeds" / NEW["trainers"]).read_bytes())
    events = list(cal.walk("VEVENT"))
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED"] and run.id.split("/")[2] in str(events[0]["UID"])
    assert "X-WR-CALDESC" not in cal
    gone = given.model_copy(deep=True)
    gone.runs.remove(run)
    gone.solver.finished = STAMP + dt.timedelta(days=2)
    export_feeds(norwich, gone, tmp_path)  # the trainer dropped from the scenario, and the run
    events = _events(tmp_path / "feeds" / NEW["trainers"])
    assert [(str(e["STATUS"]), int(e["SEQUENCE"])) for e in events] == [("CANCELLED", 2)]  # 1: re-staffed


def test_feeds_parse_in_three_libraries(feeds: Path) -> None:
    for path in sorted(feeds.rglob("*.ics")):
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        assert cal["METHOD"] == "PUBLISH" and cal["X-WR-TIMEZONE"] == "Europe/London"
        assert list(cal.walk("VTIMEZONE")), path
        parsed = vobject.readOne(path.read_text(encoding="utf-8"), validate=True)
        assert len(parsed.contents.get("vevent", [])) == len(list(cal.walk("VEVENT")))
        between = recurring_ical_events.of(cal).between(dt.date(2027, 4, 1), dt.date(2028, 4, 1))
        assert len(between) == len(list(cal.walk("VEVENT"))), path


def test_local_times_are_right_in_summer_and_winter(norwich: Scenario, plan: Plan, feeds: Path) -> None:
    london = ZoneInfo("Europe/London")
    seen_offsets = set()
    for event in _events(feeds / "master.ics"):
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and start.tzinfo.key == "Europe/London"
        if str(event["SUMMARY"]).startswith("PLT "):
            assert start.time() == norwich.calendar.window.start  # 13:00 local, BST or GMT
            seen_offsets.add(start.astimezone(london).utcoffset())
            utc_hour = start.astimezone(dt.UTC).hour
            assert utc_hour == (12 if start.utcoffset() == dt.timedelta(hours=1) else 13)
    assert seen_offsets == {dt.timedelta(hours=1), dt.timedelta(0)}, "the year has BST and GMT afternoons"


def test_uids_are_stable_and_derived_from_decisions(norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    export_feeds(norwich, plan, tmp_path / "a")
    uids = {str(e["UID"]) for e in _events(tmp_path / "a" / "feeds" / "master.ics")}
    assert all(uid.startswith("norwich-plt-2027-28-") and uid.endswith("@plt-scheduler") for uid in uids)
    assert any(r.id.split("/")[2] in uid for r in plan.runs for uid in uids)


def test_same_plan_exports_to_identical_bytes(norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    export_feeds(norwich, plan, tmp_path / "one")
    export_feeds(norwich, plan, tmp_path / "two")
    export_feeds(norwich, plan, tmp_path / "two")  # again into the same folder: nothing changed
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*.ics")}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*.ics")}
    assert one == two


def test_moving_one_afternoon_raises_sequence_only_where_events_changed(
        norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    export_feeds(norwich, plan, tmp_path)
    before = {str(e["UID"]): e for p in (tmp_path / "feeds").rglob("*.ics") for e in _events(p)}
    moved = plan.model_copy(deep=True)
    last = moved.afternoons[-1]
    last.waves[0].date = last.waves[0].date + dt.timedelta(days=7)
    moved.solver.finished = STAMP + dt.timedelta(days=1)
    export_feeds(norwich, moved, tmp_path)
    after = {str(e["UID"]): e for p in (tmp_path / "feeds").rglob("*.ics") for e in _events(p)}
    assert before.keys() == after.keys()
    changed = {uid for uid in after if after[uid].decoded("DTSTART") != before[uid].decoded("DTSTART")}
    assert changed, "moving an afternoon must move its events"
    assert all(last.event in uid or last.event.replace("-", "") in uid.replace("-", "") for uid in changed)
    for uid, event in after.items():
        expected = int(before[uid]["SEQUENCE"]) + (1 if uid in changed else 0)
        assert int(event["SEQUENCE"]) == expected, uid


def test_removed_events_stay_as_cancelled(norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    export_feeds(norwich, plan, tmp_path)
    fewer = plan.model_copy(deep=True)
    dropped = fewer.runs.pop(0)
    export_feeds(norwich, fewer, tmp_path)
    trainer_feed = _events(tmp_path / "feeds" / "trainers" / f"{dropped.trainer}.ics")
    cancelled = [e for e in trainer_feed if str(e["STATUS"]) == "CANCELLED"]
    assert len(cancelled) == 1 and dropped.id.split("/")[2] in str(cancelled[0]["UID"])
    assert int(cancelled[0]["SEQUENCE"]) == 1


def test_each_feed_is_what_icalendar_writes_for_it(norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    """Events are serialised once for all their feeds and spliced in with the time zones they
    name: every feed must still be byte for byte what icalendar writes for the calendar it reads,
    with a VTIMEZONE for each zone an event names (a run dropped since the last publication
    stays, cancelled, with the time its state recorded)."""
    export_feeds(norwich, plan, tmp_path)
    fewer = plan.model_copy(deep=True)
    fewer.runs = [r for r in fewer.runs if r.trainer != fewer.runs[0].trainer]  # one trainer's runs: cancelled
    export_feeds(norwich, fewer, tmp_path)
    feeds = sorted((tmp_path / "feeds").rglob("*.ics"))
    assert len(feeds) > 20
    for path in feeds:
        raw = path.read_bytes()
        calendar = icalendar.Calendar.from_ical(raw)
        assert calendar.to_ical() == raw, path
        assert calendar.get_missing_tzids() == set(), path
        zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
        assert zones == sorted(calendar.get_used_tzids()), path
        kinds = [c.name for c in calendar.subcomponents]
        assert kinds == sorted(kinds, key=lambda k: k != "VTIMEZONE"), path  # zones before events
    runs = [e for e in _events(tmp_path / "feeds" / "trainers" / f"{plan.runs[0].trainer}.ics")
            if "-run-" in str(e["UID"])]
    assert runs and all(str(e["STATUS"]) == "CANCELLED" for e in runs)
    assert all(e.decoded("DTSTART").tzinfo == ZoneInfo(norwich.period.timezone) for e in runs)


def test_a_virtual_run_s_summary_says_online_once(norwich: Scenario, plan: Plan, feeds: Path) -> None:
    """It read 'MS Teams (online (virtual))'."""
    virtual = [r for r in plan.runs if r.room is None]
    assert virtual, "Norwich's plan should hold a virtual run"
    summaries = {str(e["summary"]) for e in _events(feeds / "trainers" / f"{virtual[0].trainer}.ics")}
    name = norwich.course(virtual[0].course).name
    assert f"{name} (online)" in summaries and not any("((" in s or "))" in s for s in summaries)


def test_a_run_given_to_another_trainer_stays_cancelled_in_the_first_trainer_s_feed(
        norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    """A re-staffed run keeps its UID and moved to the new trainer's feed: it vanished from the
    first trainer's feed without a cancellation, and when that trainer had left the scenario their
    feed was not rewritten at all, so it still showed every run as confirmed."""
    export_feeds(norwich, plan, tmp_path)
    gone = plan.runs[0].trainer
    other = next(t.id for t in norwich.trainers if t.id != gone and set(t.skills) >= {r.course for r in plan.runs
                                                                                     if r.trainer == gone})
    restaffed = plan.model_copy(deep=True)
    for r in restaffed.runs:
        r.trainer = other if r.trainer == gone else r.trainer
    restaffed.on_site = [o.model_copy(update={"trainer": other}) if o.trainer == gone else o for o in restaffed.on_site]
    restaffed.solver.finished = STAMP + dt.timedelta(days=1)
    without = norwich.model_copy(deep=True)
    without.trainers = [t for t in without.trainers if t.id != gone]
    export_feeds(without, restaffed, tmp_path)
    theirs = _events(tmp_path / "feeds" / "trainers" / f"{gone}.ics")
    assert theirs and {(str(e["STATUS"]), int(e["SEQUENCE"])) for e in theirs} == {("CANCELLED", 1)}
    moved = {str(e["UID"]) for e in theirs}
    confirmed = {str(e["UID"]): e for e in _events(tmp_path / "feeds" / "trainers" / f"{other}.ics")
                 if str(e["STATUS"]) == "CONFIRMED"}
    assert moved <= confirmed.keys() and all(int(confirmed[u]["SEQUENCE"]) == 1 for u in moved)
    export_feeds(norwich, plan, tmp_path)  # given back: confirmed in their feed again, once each
    back = _events(tmp_path / "feeds" / "trainers" / f"{gone}.ics")
    assert sorted(str(e["UID"]) for e in back) == sorted(moved)
    assert {(str(e["STATUS"]), int(e["SEQUENCE"])) for e in back} == {("CONFIRMED", 2)}


def _calendar_name(path: Path) -> str:
    return str(icalendar.Calendar.from_ical(path.read_bytes())["X-WR-CALNAME"])


def test_each_feed_is_named_for_its_subscriber_and_a_dropped_one_for_its_id(
        norwich: Scenario, with_new: Scenario, plan: Plan, tmp_path: Path) -> None:
    """Calendar lists showed the feeds' ids ("Norwich PLT 2027/28: room seminar-a", "...: cover
    ooh"), which a subscriber sees nowhere else. A feed kept for an entity dropped from the scenario
    (its events cancelled) has no name there any more: it keeps the id."""
    export_feeds(norwich, plan, tmp_path)
    feeds = tmp_path / "feeds"
    practice, trainer = norwich.practices[0], norwich.trainers[0]
    assert _calendar_name(feeds / "rooms" / "seminar-a.ics") == (
        "Norwich PLT 2027/28: Seminar room A, City education centre")
    assert _calendar_name(feeds / "cover" / "ooh.ics") == "Norwich PLT 2027/28: Out-of-hours provider (IC24)"
    assert _calendar_name(feeds / "practices" / f"{practice.ods_code}.ics") == f"Norwich PLT 2027/28: {practice.name}"
    assert _calendar_name(feeds / "trainers" / f"{trainer.id}.ics") == f"Norwich PLT 2027/28: {trainer.name}"
    assert _calendar_name(feeds / "master.ics") == "Norwich PLT 2027/28: PLT"
    names = [_calendar_name(p) for p in feeds.rglob("*.ics")]
    assert len(set(names)) == len(names), "two calendars a subscriber cannot tell apart"
    given = plan.model_copy(deep=True)
    next(r for r in given.runs if r.course == "bls").trainer = "t-new"
    export_feeds(with_new, given, tmp_path)
    assert _calendar_name(feeds / NEW["trainers"]) == "Norwich PLT 2027/28: New BLS instructor"
    export_feeds(norwich, plan, tmp_path)  # t-new dropped, its run given back: kept there, cancelled
    assert [str(e["STATUS"]) for e in _events(feeds / NEW["trainers"])] == ["CANCELLED"]
    assert _calendar_name(feeds / NEW["trainers"]) == "Norwich PLT 2027/28: trainer t-new"


@pytest.fixture(scope="module")
def two_venues(norwich_doc: Callable[[], dict[str, Any]]) -> Scenario:
    """Norwich with a second venue, one room, which Norwich's plan never books."""
    doc = norwich_doc()
    first = doc["venues"][0]
    doc["venues"].append({**first, "id": "riverside", "name": "Riverside centre", "postcode": "NR3 1AB",
                          "rooms": [{**first["rooms"][3], "id": "riverside-a", "name": "Riverside room"}]})
    return parse_scenario(doc)


def _locations(path: Path, kind: str) -> dict[str, str | None]:
    """Summary -> LOCATION (None without one) of the feed's events whose UIDs are of KIND."""
    return {str(e["SUMMARY"]): (str(e["LOCATION"]) if "LOCATION" in e else None)
            for e in _events(path) if f"-{kind}-" in str(e["UID"])}


def test_an_external_closure_is_located_where_the_practice_s_staff_go(
        two_venues: Scenario, plan: Plan, tmp_path: Path) -> None:
    """A practice's afternoon at an external event, and the master feed's afternoon, had no
    LOCATION: only the description named the venue. Now the venue with its postcode where staff
    go to one, how many and which where they go to several, and none where they go nowhere
    (virtual runs only, or an internal afternoon on site)."""
    external = next(a for a in plan.afternoons if a.kind.value == "external")
    runs = [r for r in plan.runs if r.event == external.event and r.room]
    moved, stays = runs[0], runs[0].seats[0].practice
    online = next(p for p in external.waves[0].practices if all(s.practice != p for s in moved.seats))
    changed = plan.model_copy(deep=True)
    for run in changed.runs:
        if run.id == moved.id:
            run.room = "riverside-a"
        elif run.event == external.event and run.room:
            run.seats = [s for s in run.seats if s.practice != online]
    export_feeds(two_venues, plan, tmp_path / "one")
    export_feeds(two_venues, changed, tmp_path / "two")
    one, two = tmp_path / "one" / "feeds", tmp_path / "two" / "feeds"
    city, both = "City education centre, NR1 1PH", "2 venues: City education centre, Riverside centre"
    for feed, kind in [("master.ics", "afternoon"), (f"practices/{stays}.ics", "closure")]:
        before, after = _locations(one / feed, kind), _locations(two / feed, kind)
        assert {loc for s, loc in before.items() if f"({external.event}" in s} == {city}, feed
        assert {loc for s, loc in after.items() if f"({external.event}" in s} == {both}, feed
        assert {before[s] for s in before if "internal" in s} == {None}, feed
    virtual = _locations(two / f"practices/{online}.ics", "closure")
    assert [loc for s, loc in virtual.items() if f"({external.event})" in s] == [None]
    day = next(str(e["DESCRIPTION"]) for e in _events(two / f"practices/{online}.ics")
               if f"({external.event})" in str(e["SUMMARY"]))
    assert "online (virtual)" in day and "City education centre" not in day
