"""Bad input beyond the scenario's fields, each found by fuzzing the CLI: impossible dates and
times, patch files, plans that do not fit the scenario, damaged published state, output paths
that cannot be folders, extreme numbers. Each gives a clear error and a non-zero exit, never a
traceback, and leaves what was published as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _clean(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


@pytest.fixture(scope="module")
def published(norwich_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Norwich planned by greedy and published: DIR/plan.json, feeds/ with state.json, csv/."""
    out = tmp_path_factory.mktemp("published")
    result = invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_an_impossible_unquoted_date_names_the_field_and_the_value(norwich_path: Path, tmp_path: Path) -> None:
    text = norwich_path.read_text(encoding="utf-8").replace("end: '2028-03-31'", "end: 2028-02-30", 1)
    assert "2028-02-30" in text
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    out = _clean(invoke("validate", str(tmp_path / "s.yaml")), 2)
    assert "period.end = '2028-02-30'" in out and "YYYY-MM-DD" in out
    out = _clean(invoke("validate", str(norwich_path), "--set", "trainers.t-bls-1.unavailable=[2027-02-30]"), 2)
    assert "unavailable[0] = '2027-02-30'" in out


@pytest.mark.parametrize("value", ["24:00", "1500"])
def test_a_time_past_midnight_or_a_bare_number_is_no_time_of_day(norwich_path: Path, value: str) -> None:
    out = _clean(invoke("validate", str(norwich_path), "--set", f"calendar.window.start={value}"), 2)
    assert "calendar.window.start" in out and "not a time of day" in out


def test_explain_of_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    out = _clean(invoke("explain", str(tmp_path / "nowhere.yaml")), 2)
    assert "nowhere.yaml" in out and "does not exist" in out


def test_two_teaching_blocks_with_one_id_are_refused(norwich_path: Path) -> None:
    out = _clean(invoke("validate", str(norwich_path), "--set", "calendar.blocks.1.id=b1"), 2)
    assert "calendar.blocks" in out and "teaching block id 'b1'" in out


@pytest.mark.parametrize(("patch", "words"), [
    ("set:\n  - [broken\n", ["cannot read the patch", "line", "check indentation and quotes"]),
    ("set:\n  - trainers.t-bls-1.max_runs_per_afternoon\n", ["'set' is list", "mapping"]),
    ("drop: trainers.t-bls-1\n", ["'drop' is 'trainers.t-bls-1'", "list of paths"]),
], ids=["yaml-error", "set-as-list", "drop-as-text"])
def test_a_bad_patch_file_is_named_with_its_fault(norwich_path: Path, tmp_path: Path, patch: str,
                                                  words: list[str]) -> None:
    (tmp_path / "edits.yaml").write_text(patch, encoding="utf-8")
    out = _clean(invoke("validate", str(norwich_path), "--patch", str(tmp_path / "edits.yaml")), 2)
    assert "edits.yaml" in out
    for word in words:
        assert word in out, out


def test_export_refuses_a_plan_that_names_ids_the_scenario_lacks(norwich_path: Path, published: Path,
                                                                  tmp_path: Path) -> None:
    """A trainer id of '../../../escaped' wrote its feed outside --out; an unknown block crashed."""
    plan = json.loads((published / "plan.json").read_text(encoding="utf-8"))
    plan["runs"][0]["trainer"] = "../../../escaped"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = _clean(invoke("export", str(norwich_path), str(tmp_path / "plan.json"), "--out", str(tmp_path / "a" / "b")), 2)
    assert "not exported" in out and "unknown_trainer" in out
    assert not list(tmp_path.rglob("*.ics")) and not (tmp_path / "a").exists()
    plan["runs"][0]["trainer"], plan["runs"][0]["blocks"] = json.loads(
        (published / "plan.json").read_text(encoding="utf-8"))["runs"][0]["trainer"], ["b9"]
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    _clean(invoke("export", str(norwich_path), str(tmp_path / "plan.json"), "--out", str(tmp_path / "c")), 2)
    _clean(invoke("suggest", str(norwich_path), str(tmp_path / "plan.json"), "--add", "afternoon=internal"), 2)


def test_a_damaged_published_state_stops_solve_before_it_writes(norwich_path: Path, tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "state.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "plan.json").write_text('{"old": true}', encoding="utf-8")
    out = _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(tmp_path)), 2)
    assert "state.json" in out and "delete it" in out
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == '{"old": true}'
    assert not (tmp_path / "csv").exists()


def test_damaged_feed_tokens_are_named(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "master.ics").write_text("BEGIN:VCALENDAR\n", encoding="utf-8")
    for damaged in ("{not json", '{"master.ics": {"x": 1}}'):
        (tmp_path / "feeds" / "tokens.json").write_text(damaged, encoding="utf-8")
        out = _clean(invoke("serve", str(tmp_path), "--list-urls"), 2)
        assert "tokens.json" in out


def test_an_output_path_below_a_file_is_an_error_before_solving(norwich_path: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out",
                        str(tmp_path / "afile" / "sub")), 2)
    assert "is a file, so this cannot be a folder" in out
    for command in (["generate", "--practices", "3", "--networks", "1"], ["schema"]):
        out = _clean(invoke(*command, "--out", str(tmp_path / "afile" / "x.yaml")), 2)
        assert "afile" in out and "check the path" in out


@pytest.mark.parametrize("args", [["--set", "policy.weights.unmet=1000000000000000"], ["--time-limit", "nan"]],
                         ids=["huge-weight", "nan-seconds"])
def test_extreme_numbers_are_refused_before_solving(norwich_path: Path, tmp_path: Path, args: list[str]) -> None:
    out = _clean(invoke("solve", str(norwich_path), "--quiet", "--out", str(tmp_path / "o"), *args), 2)
    assert "weights.unmet" in out or "not a number of seconds" in out
    assert not (tmp_path / "o" / "plan.json").exists()


@pytest.mark.parametrize(("pins", "words"), [
    ([{"event": "plt-1", "date": "2027-05-09"}], ["pins[0].date = '2027-05-09'", "Sunday"]),
    ([{"event": "plt-1", "date": "2027-05-11"}, {"event": "plt-1", "date": "2027-05-12"}], ["pinned already"]),
    ([{"event": "plt-1", "date": "2027-06-15"}, {"event": "plt-2", "date": "2027-05-11"}], ["pins[1].date",
                                                                                          "in order and spaced"]),
], ids=["sunday", "twice", "out-of-order"])
def test_a_pin_the_calendar_or_the_spacing_cannot_keep_is_refused(norwich_path: Path, tmp_path: Path,
                                                                   pins: list[dict], words: list[str]) -> None:
    """solve found no plan for these while explain said a plan exists: validate now says why."""
    import yaml

    doc = yaml.safe_load(norwich_path.read_text(encoding="utf-8"))
    doc["pins"] = pins
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = _clean(invoke("validate", str(tmp_path / "s.yaml")), 2)
    for word in words:
        assert word in out, out


@pytest.mark.parametrize("grid", ["variants: [a\n", "variants: [a, b]\n", "axes: [calendar.min_weeks_between]\n",
                                  "axes: {calendar.min_weeks_between: 4}\n"],
                         ids=["yaml-error", "variants-as-text", "axes-as-list", "axis-not-a-list"])
def test_a_bad_sweep_grid_is_named_before_any_solve(norwich_path: Path, tmp_path: Path, grid: str) -> None:
    (tmp_path / "grid.yaml").write_text(grid, encoding="utf-8")
    out = _clean(invoke("sweep", str(norwich_path), "--grid", str(tmp_path / "grid.yaml"), "--jobs", "1",
                        "--time-limit", "1", "--quiet"), 2)
    assert "grid.yaml" in out


def test_a_typo_in_a_sweep_variant_s_path_is_refused_before_any_solve(norwich_path: Path, tmp_path: Path) -> None:
    """It was a row of the table (INVALID), printed after every other variant had been solved,
    and the sweep exited 0."""
    (tmp_path / "grid.yaml").write_text("variants:\n  - name: a typo\n    set: {trainers.t-bls-9.cost_per_run: 1}\n"
                                        "axes:\n  calendar.min_weeks_betwen: [4, 6]\n", encoding="utf-8")
    out = _clean(invoke("sweep", str(norwich_path), "--grid", str(tmp_path / "grid.yaml"), "--jobs", "1",
                        "--time-limit", "1", "--quiet"), 2)
    assert "grid.yaml: variant 'a typo'" in out and "t-bls-1" in out
    assert "OPTIMAL" not in out and "FEASIBLE" not in out


def test_whatif_refuses_another_scenario_s_plan_as_its_baseline(norwich_path: Path, tmp_path: Path) -> None:
    """Its published feeds were continued into Norwich's: another area's cover and practice feeds."""
    other = tmp_path / "other"
    assert invoke("generate", "--practices", "8", "--networks", "2", "--seed", "3", "--out",
                  str(tmp_path / "other.yaml")).exit_code == 0
    assert invoke("solve", str(tmp_path / "other.yaml"), "--solver", "greedy", "--quiet", "--out",
                  str(other)).exit_code == 0
    out = _clean(invoke("whatif", str(norwich_path), "--baseline", str(other / "plan.json"), "--out",
                        str(tmp_path / "wi"), "--time-limit", "2", "--quiet"), 2)
    assert "not of 'Norwich PLT 2027/28'" in out
    assert not (tmp_path / "wi" / "feeds").exists()


@pytest.mark.parametrize("command", ["check", "export", "suggest"])
def test_a_plan_of_another_scenario_is_named_as_such(norwich_path: Path, tmp_path: Path, command: str) -> None:
    """check listed 1,325 violations under a note about another version of the scenario."""
    assert invoke("generate", "--practices", "8", "--networks", "2", "--seed", "3", "--out",
                  str(tmp_path / "other.yaml")).exit_code == 0
    assert invoke("solve", str(tmp_path / "other.yaml"), "--solver", "greedy", "--quiet", "--out",
                  str(tmp_path / "other")).exit_code == 0
    extra = {"check": [], "export": ["--out", str(tmp_path / "x")], "suggest": ["--add", "afternoon=internal"]}
    out = _clean(invoke(command, str(norwich_path), str(tmp_path / "other" / "plan.json"), *extra[command]), 2)
    assert "is a plan of 'Synthetic" in out and "not of 'Norwich PLT 2027/28'" in out
    assert len(out.splitlines()) <= 3 and not (tmp_path / "x").exists()


def test_a_plan_or_scenario_of_another_schema_version_is_refused(norwich_path: Path, published: Path,
                                                                   tmp_path: Path) -> None:
    """A plan.json of schema '9.9' passed check with ok."""
    plan = json.loads((published / "plan.json").read_text(encoding="utf-8"))
    plan["schema_version"] = "9.9"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = _clean(invoke("check", str(norwich_path), str(tmp_path / "plan.json")), 2)
    assert "schema_version: schema version '9.9', but this plt-scheduler reads version 1.0" in out
    plan["schema_version"] = "1.1"  # a newer version's fields would be refused without a word of versions
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    assert "reads version 1.0" in _clean(invoke("check", str(norwich_path), str(tmp_path / "plan.json")), 2)
    plan["schema_version"] = "1.0"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    _clean(invoke("check", str(norwich_path), str(tmp_path / "plan.json")), 0)
    text = norwich_path.read_text(encoding="utf-8")
    assert "\nschema_version: '1.0'\n" in text
    (tmp_path / "s.yaml").write_text(text.replace("\nschema_version: '1.0'\n", "\nschema_version: '2.0'\n"),
                                     encoding="utf-8")
    out = _clean(invoke("validate", str(tmp_path / "s.yaml")), 2)
    assert "schema_version = '2.0'" in out and "reads version 1.0" in out


def _files(folder: Path) -> dict[Path, bytes | None]:
    """Every file's bytes and every folder (None) under FOLDER."""
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def test_solve_and_export_refuse_to_publish_over_another_scenario_s_feeds(norwich_path: Path, published: Path,
                                                                          tmp_path: Path) -> None:
    """Before, solve published there: every Norwich event cancelled for its subscribers, and its
    practices' feeds renamed after the other area."""
    folder = tmp_path / "pub"
    shutil.copytree(published, folder)
    before = _files(folder)
    assert invoke("generate", "--practices", "8", "--networks", "2", "--seed", "3", "--out",
                  str(tmp_path / "other.yaml")).exit_code == 0
    out = _clean(invoke("solve", str(tmp_path / "other.yaml"), "--solver", "greedy", "--quiet", "--out",
                        str(folder)), 2)
    assert "its feeds are the published calendars of 'Norwich PLT 2027/28'" in out and "another folder" in out
    assert invoke("solve", str(tmp_path / "other.yaml"), "--solver", "greedy", "--quiet", "--out",
                  str(tmp_path / "other")).exit_code == 0
    _clean(invoke("export", str(tmp_path / "other.yaml"), str(tmp_path / "other" / "plan.json"), "--out",
                  str(folder)), 2)
    assert _files(folder) == before
    _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(folder)), 0)


@pytest.mark.parametrize(("name", "folder"), [("feeds", False), ("csv", False), ("plan.json", True),
                                              ("report.html", True)])
def test_a_file_or_folder_in_the_publication_s_way_is_named_before_solving(norwich_path: Path, tmp_path: Path,
                                                                           name: str, folder: bool) -> None:
    """A file named feeds was found only after the solve, which then wrote nothing."""
    (tmp_path / name).mkdir() if folder else (tmp_path / name).write_text("in the way\n", encoding="utf-8")
    out = _clean(invoke("solve", str(norwich_path), "--out", str(tmp_path), "--time-limit", "300"), 2)
    assert f"{tmp_path / name} is a {'folder' if folder else 'file'} where the publication writes" in out
    assert "status" not in out  # refused before solving (300 s)


def test_a_publication_that_cannot_be_written_whole_leaves_the_folder_as_it_was(norwich_path: Path, published: Path,
                                                                               tmp_path: Path) -> None:
    """Before, solve replaced plan.json and then failed at the trainers' feeds: a new plan
    beside old feeds, which no longer matched it; and the summary of a long solve was lost."""
    folder = tmp_path / "pub"
    shutil.copytree(published, folder)
    shutil.rmtree(folder / "feeds" / "practices")  # made again, before the trainers' feeds fail
    shutil.rmtree(folder / "feeds" / "trainers")
    (folder / "feeds" / "trainers").write_text("a file where the trainers' feeds' folder was\n", encoding="utf-8")
    before = _files(folder)
    out = _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--out", str(folder)), 2)
    assert "feeds/trainers" in out and ".tmp" not in out and f"the publication in {folder} was not made" in out
    assert _files(folder) == before  # plan.json as it was, no temporary file and no new folder left behind
    assert "status     FEASIBLE" in out  # the summary came before the publishing
    kept = Path(out.split("The plan is kept at ")[1].split(":")[0])
    try:
        assert json.loads(kept.read_text(encoding="utf-8"))["scenario_name"] == "Norwich PLT 2027/28"
    finally:
        kept.unlink()


def test_whatif_takes_its_own_plan_when_its_edits_rename_the_scenario(norwich_path: Path, published: Path,
                                                                      tmp_path: Path) -> None:
    out = _clean(invoke("whatif", str(norwich_path), "--baseline", str(published / "plan.json"), "--set",
                        "name=Norwich PLT 2027/28 v2", "--out", str(tmp_path / "wi"), "--time-limit", "2",
                        "--quiet"), 0)
    assert (tmp_path / "wi" / "plan.json").exists(), out


@pytest.mark.parametrize(("edit", "bare_exit", "words"), [
    ("programme.external_afternoons=4", 2, ["unknown_event", "the same edits"]),
    # The cover feed said the unedited provider's figures, with no word.
    ("cover_providers.ooh.cost_per_afternoon=3000", 0,
     ["made for a different version of this scenario", "exported with the same edits"]),
], ids=["plan-names-what-the-file-lacks", "plan-fits-the-file"])
def test_export_takes_the_edits_its_plan_was_made_with(norwich_path: Path, tmp_path: Path, edit: str,
                                                       bare_exit: int, words: list[str]) -> None:
    """Without them, a plan that names afternoons the file lacks is refused, and one that fits
    the file is published with a note."""
    assert invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(tmp_path / "s"),
                  "--set", edit).exit_code == 0
    bare = _clean(invoke("export", str(norwich_path), str(tmp_path / "s" / "plan.json"), "--out",
                         str(tmp_path / "x")), bare_exit)
    assert all(word in bare for word in words), bare
    edited = _clean(invoke("export", str(norwich_path), str(tmp_path / "s" / "plan.json"), "--out",
                           str(tmp_path / "y"), "--set", edit), 0)
    assert "different version" not in edited and (tmp_path / "y" / "feeds" / "master.ics").exists()


def test_export_writes_the_plan_beside_the_feeds_it_publishes(norwich_path: Path, published: Path,
                                                             tmp_path: Path) -> None:
    """Exporting a re-plan into the published folder left the old plan.json there, beside feeds
    that said otherwise, and the next what-if re-planned from a plan nobody was sent (found by a
    new user's review)."""
    import shutil

    from models.plan import Plan

    base = tmp_path / "base"
    shutil.copytree(published, base)
    edit = ("--set", "policy.weights.spread=3")
    _clean(invoke("whatif", str(norwich_path), "--baseline", str(base / "plan.json"), "--out", str(tmp_path / "w"),
                  "--strategy", "repair", "--quiet", *edit), 0)
    replan = Plan.model_validate_json((tmp_path / "w" / "plan.json").read_text())
    assert replan.revision == Plan.model_validate_json((base / "plan.json").read_text()).revision + 1
    _clean(invoke("export", str(norwich_path), str(tmp_path / "w" / "plan.json"), "--out", str(base), *edit), 0)
    assert Plan.model_validate_json((base / "plan.json").read_text()) == replan
    _clean(invoke("export", str(norwich_path), str(base / "plan.json"), "--out", str(base), *edit), 0)  # itself
    assert Plan.model_validate_json((base / "plan.json").read_text()) == replan
    _clean(invoke("export", str(norwich_path), str(tmp_path / "w" / "plan.json"), "--out", str(tmp_path / "new"),
                  *edit), 0)
    assert Plan.model_validate_json((tmp_path / "new" / "plan.json").read_text()) == replan


@pytest.mark.parametrize(("pins", "words", "one_wave"), [
    ([{"event": "plt-1", "date": "2027-04-13"}, {"event": "plt-2", "date": "2027-05-25"}],
     ["pins[1].date = '2027-05-25'", "plt-2 cannot start before 2027-05-26", "2 wave(s)"], 0),
    ([{"event": "plt-3", "date": "2027-04-20"}], ["pins[0].date", "2 afternoon(s) come before it"], 2),
    ([{"event": "plt-1", "date": "2028-01-25"}], ["pins[0].date = '2028-01-25'", "no room for plt-"], 2),
    ([{"event": "plt-6", "date": "2028-03-16"}], ["no room for plt-6's later waves"], 0),
], ids=["second-wave-too-close", "too-early", "no-room-after", "own-waves"])
def test_a_pin_that_leaves_the_waves_no_dates_is_refused(norwich_path: Path, pins: list[dict],
                                                        words: list[str], one_wave: int) -> None:
    """Half Norwich's cover makes two waves an afternoon: pins spaced for one wave passed validate,
    and solve found no plan while explain said a plan exists. `one_wave`: validate's exit code for
    the same pins with Norwich's own cover (six weeks apart is enough for one wave)."""
    half = ("--set", "cover_providers.ooh.capacity=130000", "--set", "programme.max_waves=null")
    out = _clean(invoke("validate", str(norwich_path), *half, "--set", f"pins={json.dumps(pins)}"), 2)
    for word in words:
        assert word in out, out
    _clean(invoke("validate", str(norwich_path), "--set", f"pins={json.dumps(pins)}"), one_wave)


def test_pins_that_leave_the_waves_room_are_planned(norwich_path: Path, tmp_path: Path) -> None:
    pins = json.dumps([{"event": "plt-1", "date": "2027-04-13"}, {"event": "plt-2", "date": "2027-05-26"}])
    edits = ("--set", "cover_providers.ooh.capacity=130000", "--set", "programme.max_waves=null",
             "--set", f"pins={pins}")
    _clean(invoke("validate", str(norwich_path), *edits), 0)
    _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(tmp_path / "o"), *edits), 0)
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    firsts = {a["event"]: a["waves"][0]["date"] for a in plan["afternoons"]}
    assert firsts["plt-1"] == "2027-04-13" and firsts["plt-2"] == "2027-05-26"


def _second_provider_and_ooh_away(norwich_path: Path) -> list[str]:
    """Norwich (249,204 patients) with a second provider of 100,000, and ooh (260,000) away on
    every candidate afternoon: 100,000 a wave, so three waves, not the one that 360,000 suggests."""
    from models.calendar import candidate_dates
    from models.loading import load_scenario

    scenario = load_scenario(norwich_path)
    days = [d.isoformat() for d in candidate_dates(scenario)]
    ooh = scenario.cover_providers[0].model_dump(mode="json") | {"unavailable": days}
    small = {"id": "small", "name": "Small provider", "capacity": 100_000, "cost_per_afternoon": 500,
             "cost_per_1000_patients": 40}
    return ["--set", f"cover_providers={json.dumps([ooh, small])}"]


def test_a_provider_away_on_every_candidate_afternoon_carries_no_wave(norwich_path: Path, tmp_path: Path) -> None:
    """`least_waves` counted every provider's capacity, also on dates they are away: validate and
    explain passed such a scenario, and solve found no plan."""
    edits = _second_provider_and_ooh_away(norwich_path)
    out = _clean(invoke("validate", str(norwich_path), *edits, "--set", "programme.max_waves=2"), 2)
    assert "programme.max_waves = 2" in out and "need 3 waves" in out and "ooh away on every candidate" in out, out
    free = (*edits, "--set", "programme.max_waves=null")
    _clean(invoke("validate", str(norwich_path), *free), 0)
    _clean(invoke("solve", str(norwich_path), *free, "--solver", "greedy", "--quiet", "--out", str(tmp_path / "o")), 0)
    plan = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert max(len(a["waves"]) for a in plan["afternoons"]) == 3
    _clean(invoke("check", str(norwich_path), str(tmp_path / "o" / "plan.json"), *free), 0)


def test_the_same_pin_twice_is_no_conflict(norwich_path: Path) -> None:
    _clean(invoke("validate", str(norwich_path), "--set",
                  "pins=[{event: plt-1, date: 2027-04-13}, {event: plt-1, date: 2027-04-13}]"), 0)


def test_serve_never_serves_a_file_outside_feeds(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "master.ics").write_text("BEGIN:VCALENDAR\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "feeds" / "tokens.json").write_text(json.dumps({"../secret.txt": "tok"}), encoding="utf-8")
    out = _clean(invoke("serve", str(tmp_path), "--list-urls"), 2)
    assert "inside feeds/" in out and "tok.ics" not in out


@pytest.mark.parametrize("damage", [{"sequence": "x"}, {"modified": "yesterday"}, {"event": {}},
                                    {"event": {"feeds": ["../../escaped.ics"]}}],
                         ids=["sequence", "modified", "event", "feed-outside"])
def test_damaged_values_in_the_published_state_stop_solve_before_it_writes(
        norwich_path: Path, published: Path, tmp_path: Path, damage: dict) -> None:
    state = json.loads((published / "feeds" / "state.json").read_text(encoding="utf-8"))
    uid = next(iter(state))
    if damage.get("event"):
        state[uid]["event"] |= damage["event"]
    else:
        state[uid] |= damage
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "state.json").write_text(json.dumps(state), encoding="utf-8")
    out = _clean(invoke("solve", str(norwich_path), "--solver", "greedy", "--quiet", "--out", str(tmp_path)), 2)
    assert "state.json" in out
    assert not (tmp_path / "plan.json").exists() and not list(tmp_path.parent.glob("escaped.ics"))


def test_a_sweep_grid_with_a_misspelt_key_is_refused(norwich_path: Path, tmp_path: Path) -> None:
    (tmp_path / "grid.yaml").write_text("variants:\n  - name: tight\n    sets: {calendar.min_weeks_between: 8}\n",
                                        encoding="utf-8")
    out = _clean(invoke("sweep", str(norwich_path), "--grid", str(tmp_path / "grid.yaml"), "--jobs", "1",
                        "--time-limit", "1", "--quiet"), 2)
    assert "variants[0]" in out and "sets" in out


def test_edits_can_repair_a_file_that_is_not_valid(norwich_path: Path, tmp_path: Path) -> None:
    """A pin validate refuses, in the file: --set pins=[] takes it out for this run (the file was
    validated before the edits, so no edit could help)."""
    import yaml

    doc = yaml.safe_load(norwich_path.read_text(encoding="utf-8"))
    doc["pins"] = [{"event": "plt-1", "date": "2027-05-09"}]  # a Sunday
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    _clean(invoke("validate", str(tmp_path / "s.yaml")), 2)
    out = _clean(invoke("validate", str(tmp_path / "s.yaml"), "--set", "pins=[]"), 0)
    assert "valid" in out
    for edit in ("name=x", "policy.weights.unmet=200"):  # the second path is a default the file leaves out
        out = _clean(invoke("validate", str(tmp_path / "s.yaml"), "--set", edit), 2)
        assert "pins[0].date = '2027-05-09'" in out  # edits that do not repair it still name the fault


def test_a_set_value_that_is_not_yaml_is_named_without_the_parser_s_marks(norwich_path: Path) -> None:
    """PyYAML's own text ('in "<unicode string>", line 1, column 1') was shown."""
    out = _clean(invoke("validate", str(norwich_path), "--set", "calendar.min_weeks_between=[1"), 2)
    assert "the value '[1' is not valid YAML (did not find expected ',' or ']')" in out
    assert "<unicode string>" not in out and "close what you open" in out
