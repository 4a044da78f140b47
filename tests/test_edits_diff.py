"""Scenario edits from the command line (--set, --drop, --patch) and `diff` between plans."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from models import Scenario, ScenarioError, parse_scenario
from models.plan import Wave
from models.score import score_plan
from scheduler.cli import main
from scheduler.diff import plan_diff
from scheduler.edits import EditError, apply_edits
from solvers.base import SolveOptions, get_solver


def test_set_addresses_list_items_by_id_and_parses_yaml(norwich_doc: Callable[[], dict[str, Any]]) -> None:
    doc = apply_edits(norwich_doc(), sets=("cover_providers.ooh.capacity=120000", "programme.max_waves=null",
                                           "trainers.t-bls-1.unavailable=[2027-05-12, 2027-06-09]"))
    s = parse_scenario(doc)
    assert next(c for c in s.cover_providers if c.id == "ooh").capacity == 120000
    assert next(t for t in s.trainers if t.id == "t-bls-1").unavailable == [dt.date(2027, 5, 12), dt.date(2027, 6, 9)]


def test_drop_removes_an_entity(norwich_doc: Callable[[], dict[str, Any]]) -> None:
    s = parse_scenario(apply_edits(norwich_doc(), drops=("trainers.t-bls-1",)))
    assert "t-bls-1" not in {t.id for t in s.trainers}
    assert len(s.trainers) == 12


def test_patch_file_sets_and_drops(norwich_doc: Callable[[], dict[str, Any]], tmp_path: Path) -> None:
    patch = tmp_path / "patch.yaml"
    patch.write_text("set:\n  calendar.min_weeks_between: 8\n  practices.D82008.headcount.gp: 12\n"
                     "drop:\n  - venues.kings-centre.rooms.meeting-2\n")
    s = parse_scenario(apply_edits(norwich_doc(), patch=str(patch)))
    assert s.calendar.min_weeks_between == 8
    assert s.practice("D82008").headcount["gp"] == 12
    assert "meeting-2" not in {r.id for _, r in s.all_rooms()}


@pytest.mark.parametrize(("assignment", "nearest"), [
    ("cover_providers.oh.capacity=1", "cover_providers.ooh"),
    ("cover_providers.ooh.capacityy=1", "cover_providers.ooh.capacity"),
    ("calender.min_weeks_between=2", "calendar"),
    ("trainers.t-bls-9.skills=[bls]", "trainers.t-bls-1"),
])
def test_a_wrong_path_names_the_nearest_valid_ones(norwich_doc: Callable[[], dict[str, Any]], assignment: str,
                                                   nearest: str) -> None:
    with pytest.raises(EditError, match=nearest.replace(".", r"\.")):
        apply_edits(norwich_doc(), sets=(assignment,))


def test_cli_edits_are_input_errors_with_exit_2(norwich_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(norwich_path), "--set", "cover_providers.oh.capacity=1"])
    assert result.exit_code == 2
    assert "nearest valid: cover_providers.ooh" in result.output and "Traceback" not in result.output
    edited = CliRunner().invoke(main, ["validate", str(norwich_path), "--drop", "trainers.t-bls-1"])
    assert edited.exit_code == 0 and "trainers             12" in edited.output


def test_diff_names_moved_afternoons_and_score_terms(norwich: Scenario, tmp_path: Path) -> None:
    a = get_solver("greedy").solve(norwich, SolveOptions())
    a.score = score_plan(norwich, a)
    b = a.model_copy(deep=True)
    b.afternoons[-1].waves[0].date += dt.timedelta(days=7)
    b.runs.pop(0)
    gone = b.on_site.pop(0)  # an on-site visit dropped, and another given to another trainer
    j, other = next((j, t.id) for j, o in enumerate(b.on_site) for t in norwich.trainers
                    if o.course in t.skills and t.id != o.trainer and o.practice != gone.practice)
    was = b.on_site[j]
    b.on_site[j] = was.model_copy(update={"trainer": other})
    b.score = score_plan(norwich, b)
    d = plan_diff(a, b)
    assert d["visits"] == sorted([
        {"event": gone.event, "practice": gone.practice, "course": gone.course, "from": [gone.trainer], "to": []},
        {"event": was.event, "practice": was.practice, "course": was.course, "from": [was.trainer], "to": [other]}],
        key=lambda v: (v["event"], v["practice"], v["course"]))
    assert d["afternoons"] == [{"event": "plt-6", "wave": 1, "from": a.afternoons[-1].date.isoformat(),
                                "to": b.afternoons[-1].date.isoformat()}]
    assert len(d["runs"]) == 1 and d["runs"][0]["course"] == a.runs[0].course
    assert sum(x["from"] - x["to"] for x in d["seats"]) == a.runs[0].size
    assert d["score"]["total"] == {"a": a.score.total, "b": b.score.total}
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(a.model_dump_json())
    pb.write_text(b.model_dump_json())
    text = CliRunner().invoke(main, ["diff", str(pa), str(pb)])
    assert text.exit_code == 0 and "afternoon plt-6 wave 1" in text.output and "unmet" in text.output
    assert f"on-site {gone.course} at {gone.practice} for {gone.event}: {gone.trainer} -> none" in text.output
    assert ", 2 visits" in text.output
    as_json = CliRunner().invoke(main, ["diff", str(pa), str(pb), "--json"])
    assert json.loads(as_json.output)["afternoons"] == d["afternoons"]


def test_diff_says_in_words_where_one_plan_has_no_wave_or_cover(norwich: Scenario, tmp_path: Path) -> None:
    """A practice in no wave of an afternoon, or with no cover in a wave, printed as Python's None
    ('wave of D82001 at plt-1: None -> 2')."""
    a = get_solver("greedy").solve(norwich, SolveOptions())
    b = a.model_copy(deep=True)
    first, second = b.afternoons[0], b.afternoons[1]
    moved, dropped = first.waves[0].practices.pop(), second.waves[0].practices.pop()
    first.waves.append(Wave(number=2, date=first.waves[0].date + dt.timedelta(days=7), practices=[moved]))
    b.cover = [c for c in b.cover if (c.event, c.practice) != (second.event, dropped)]
    cover = next(c for c in b.cover if (c.event, c.practice) == (first.event, moved))
    cover.wave = 2
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(a.model_dump_json())
    pb.write_text(b.model_dump_json())
    forward = CliRunner().invoke(main, ["diff", str(pa), str(pb)])
    backward = CliRunner().invoke(main, ["diff", str(pb), str(pa)])
    assert forward.exit_code == 0 and backward.exit_code == 0
    for line in (f"wave of {moved} at {first.event}: wave 1 -> wave 2",
                 f"wave of {dropped} at {second.event}: wave 1 -> not closing",
                 f"cover of {moved} at {first.event} w1: {cover.provider} -> none",
                 f"cover of {moved} at {first.event} w2: none -> {cover.provider}",
                 f"cover of {dropped} at {second.event} w1: {cover.provider} -> none"):
        assert line in forward.output.splitlines()
    assert f"wave of {dropped} at {second.event}: not closing -> wave 1" in backward.output.splitlines()
    assert f"afternoon {first.event} wave 2: {first.waves[1].date.isoformat()} -> none" in backward.output.splitlines()
    assert "None" not in forward.output + backward.output


@pytest.mark.parametrize(("assignment", "line"), [
    ("trainers.t-bls-1.unavailable=2027-05-12",
     "trainers[0](t-bls-1).unavailable = 2027-05-12: Input should be a valid list; give a list: write [2027-05-12]"),
    ("trainers.t-bls-1.skills=[2027-05-12]", "trainers[0](t-bls-1).skills[0] = 2027-05-12: "),
    ("period.start=2027-05-12 13:00:00", "period.start = 2027-05-12 13:00:00: "),
    ("trainers.t-bls-1.unavailable=", "trainers[0](t-bls-1).unavailable = null: Input should be a valid list; give a list: write [] for none"),
    # items without the brackets: the fix gives them as a list, not one quoted text (found by review)
    ("trainers.t-bls-1.unavailable=2027-05-12, 2027-05-19",
     ("trainers[0](t-bls-1).unavailable = '2027-05-12, 2027-05-19': Input should be a valid list; give a list: "
      "write [2027-05-12, 2027-05-19]")),
])
def test_a_date_in_a_message_is_written_as_the_user_writes_it(norwich_path: Path, assignment: str, line: str) -> None:
    """The value read 'datetime.date(2027, 5, 12)', and the fix only 'give a list'."""
    result = CliRunner().invoke(main, ["validate", str(norwich_path), "--set", assignment])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"  - {line}" in result.output and "datetime" not in result.output
    assert "write" in result.output.splitlines()[-1]  # the fix


def test_a_time_or_a_date_in_a_patch_is_written_as_the_user_writes_it(
        norwich_doc: Callable[[], dict[str, Any]], tmp_path: Path) -> None:
    doc = norwich_doc()
    doc["period"]["start"] = dt.time(13, 0)  # a caller's own value, where a date belongs
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(doc, "area.yaml")
    assert "period.start = '13:00': Input should be a valid date; write the date as YYYY-MM-DD" in str(caught.value)
    patch = tmp_path / "patch.yaml"
    patch.write_text("drop: 2027-05-12\n")
    with pytest.raises(EditError, match=r"'drop' is 2027-05-12; write it as a list of paths"):
        apply_edits(norwich_doc(), patch=str(patch))
