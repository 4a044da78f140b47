"""Synthetic scenarios: deterministic, the size asked for, valid, and round-trip through JSON."""

from __future__ import annotations

import json

import pytest

from models.generate import generate_scenario
from models.loading import dump_scenario, parse_scenario
from models.scenario import Delivery, Scenario

SIZES = [(1, 1), (21, 1), (30, 3), (45, 6), (400, 40)]


@pytest.fixture(scope="module")
def ics() -> Scenario:
    """An integrated care system: 400 practices in 40 networks."""
    return generate_scenario(400, 40, seed=7)


def test_same_seed_gives_an_identical_scenario() -> None:
    assert generate_scenario(120, 15, 3).model_dump() == generate_scenario(120, 15, 3).model_dump()


def test_another_seed_gives_another_scenario() -> None:
    assert generate_scenario(120, 15, 3).model_dump() != generate_scenario(120, 15, 4).model_dump()


@pytest.mark.parametrize(("practices", "networks"), SIZES)
def test_sizes_are_as_asked(practices: int, networks: int) -> None:
    scenario = generate_scenario(practices, networks, seed=1)
    assert len(scenario.practices) == practices
    assert len({p.network for p in scenario.practices}) == networks
    assert len({p.ods_code for p in scenario.practices}) == practices


def test_more_networks_than_practices_is_refused() -> None:
    with pytest.raises(ValueError, match="networks"):
        generate_scenario(5, 6, seed=1)


def test_the_integrated_care_system_validates(ics: Scenario) -> None:
    again = Scenario.model_validate(ics.model_dump())
    assert again == ics
    assert len(ics.venues) == 4
    assert {r.id for r in ics.roles} == {
        "gp", "nurse", "hca", "pharmacist", "admin", "manager", "bank-gp", "bank-nurse"
    }
    assert ics.policy.mandatory == "soft"


def test_round_trips_through_json(ics: Scenario) -> None:
    document = json.loads(json.dumps(dump_scenario(ics)))
    assert parse_scenario(document) == ics


@pytest.mark.parametrize(("practices", "networks"), SIZES)
def test_every_practice_can_be_covered(practices: int, networks: int) -> None:
    scenario = generate_scenario(practices, networks, seed=2)
    for practice in scenario.practices:
        assert any(c.capacity >= practice.list_size for c in scenario.cover_providers), practice.id


@pytest.mark.parametrize("practices", [1, 10, 30])
def test_a_small_area_fits_in_one_wave(practices: int) -> None:
    scenario = generate_scenario(practices, 1, seed=5)
    patients = sum(p.list_size for p in scenario.practices)
    assert sum(c.capacity for c in scenario.cover_providers) >= patients


def test_a_large_area_needs_several_waves(ics: Scenario) -> None:
    patients = sum(p.list_size for p in ics.practices)
    share = sum(c.capacity for c in ics.cover_providers) / patients
    assert 0.35 <= share <= 0.65


def test_headcount_follows_list_size(ics: Scenario) -> None:
    for practice in ics.practices:
        size, head = practice.list_size, practice.headcount
        assert 2000 <= size <= 30000
        assert head["gp"] == max(1, round(size / 1800))
        assert head["admin"] == round(size / 700)
        assert head["manager"] == 1


def test_dates_lie_inside_the_period_on_working_days(ics: Scenario) -> None:
    dates = [d for p in ics.practices for d in p.cannot_close]
    dates += [d for t in ics.trainers for d in t.unavailable]
    assert dates
    assert all(ics.period.contains(d) and d.weekday() in (1, 2, 3) for d in dates)


def test_on_site_courses_have_on_site_trainers(ics: Scenario) -> None:
    on_site = [c for c in ics.courses if c.delivery is Delivery.on_site]
    assert len(on_site) >= 2
    for course in on_site:
        assert any(t.on_site and course.needed_skill in t.skills for t in ics.trainers), course.id
