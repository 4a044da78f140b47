"""The HTML report and the CSV tables read back to the plan they were made from.

A greedy plan of Norwich (fast, complete) is rendered once; a small HTML parser collects every
element's data-* attributes and checks that tags balance, and the tests compare what the page
draws (grid cells, equity bars, cover bars, header figures) and what the CSVs hold with the
plan and its score. A generated area with several waves and providers checks the same on a
plan whose afternoons are split.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from models import Scenario
from models.generate import generate_scenario
from models.plan import Plan
from models.score import score_plan
from scheduler.report import render_report, write_report
from scheduler.tables import write_csv
from solvers.base import SolveOptions, get_solver

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(HTMLParser):
    """Every start tag with its attributes, in order; end tags must close what they opened."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def having(self, attribute: str) -> list[dict[str, str]]:
        return [attrs for _, attrs in self.elements if attribute in attrs]

    def by_id(self, ident: str) -> dict[str, str]:
        return next(attrs for _, attrs in self.elements if attrs.get("id") == ident)


Tables = dict[str, list[dict[str, str]]]


def _runs_in_cells(page: Page) -> Counter[str]:
    return Counter(attrs["data-run"] for attrs in page.having("data-run"))


def _cover_loads(page: Page) -> dict[tuple[str, int], int]:
    """Patients covered per event and wave, summed over the cover bars (one per provider)."""
    loads: Counter[tuple[str, int]] = Counter()
    for bar in page.having("data-cover-load"):
        loads[bar["data-cover-event"], int(bar["data-cover-wave"])] += int(bar["data-cover-load"])
    return dict(loads)


def _list_sizes_per_wave(scenario: Scenario, plan: Plan) -> dict[tuple[str, int], int]:
    sizes = {p.id: p.list_size for p in scenario.practices}
    return {(a.event, w.number): sum(sizes[p] for p in w.practices)
            for a in plan.afternoons for w in a.waves}


def _greedy(scenario: Scenario) -> Plan:
    plan = get_solver("greedy").solve(scenario, SolveOptions(time_limit=10, workers=1, seed=0))
    plan.score = score_plan(scenario, plan)
    return plan


@pytest.fixture(scope="module")
def plan(norwich: Scenario) -> Plan:
    return _greedy(norwich)


@pytest.fixture(scope="module")
def html(norwich: Scenario, plan: Plan) -> str:
    return render_report(norwich, plan)


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


@pytest.fixture(scope="module")
def tables(norwich: Scenario, plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Tables:
    paths = write_csv(norwich, plan, tmp_path_factory.mktemp("out"))
    return {p.stem: list(csv.DictReader(p.open(encoding="utf-8", newline=""))) for p in paths}


def test_the_page_parses_with_balanced_tags(page: Page) -> None:
    assert page.open == []
    assert [tag for tag, _ in page.elements][:2] == ["html", "head"]


def test_header_shows_the_solver_figures(page: Page, plan: Plan) -> None:
    assert page.by_id("objective")["data-value"] == str(plan.solver.objective)
    assert page.by_id("status")["data-value"] == plan.solver.status
    assert page.by_id("bound")["data-value"] == ""  # greedy proves no bound
    assert int(page.by_id("score-total")["data-value"]) == plan.score.total


def test_every_run_sits_in_exactly_one_grid_cell(page: Page, plan: Plan) -> None:
    assert _runs_in_cells(page) == Counter(run.id for run in plan.runs)


def test_grid_cells_span_their_blocks(page: Page, plan: Plan) -> None:
    spans = {attrs["data-run"]: int(attrs["colspan"]) for attrs in page.having("data-run")}
    assert spans == {run.id: len(run.blocks) for run in plan.runs}


@pytest.mark.parametrize("scope", ["practice", "role"])
def test_equity_bars_read_back_the_score(page: Page, plan: Plan, scope: str) -> None:
    attainment = plan.score.by_practice if scope == "practice" else plan.score.by_role
    bars = {a[f"data-{scope}"]: (int(a["data-met"]), int(a["data-demand"]))
            for a in page.having(f"data-{scope}") if "data-met" in a}
    assert bars == {i: (a.met, a.demand) for i, a in attainment.items()}


def test_cover_bars_are_the_list_sizes_of_each_wave(norwich: Scenario, page: Page,
                                                    plan: Plan) -> None:
    assert _cover_loads(page) == _list_sizes_per_wave(norwich, plan)
    capacities = {int(bar["data-cover-capacity"]) for bar in page.having("data-cover-load")}
    assert capacities == {norwich.cover_providers[0].capacity}


def test_calendar_marks_every_wave_and_shades_bank_holidays(page: Page, plan: Plan) -> None:
    marked = {(a["data-date"], a["data-event"]) for a in page.having("data-date")
              if "data-event" in a}
    assert marked == {(w.date.isoformat(), a.event) for a in plan.afternoons for w in a.waves}
    shaded = {a["data-date"] for a in page.having("data-shade") if a["data-shade"] == "bank"}
    assert {"2027-05-03", "2027-12-27", "2028-01-03"} <= shaded  # May Day, Christmas, New Year


def test_score_rows_sum_to_the_total(page: Page, plan: Plan) -> None:
    rows = {a["data-term"]: int(a["data-weighted"]) for a in page.having("data-term")}
    assert rows == {name: term.weighted for name, term in plan.score.terms.items()}
    assert sum(rows.values()) == plan.score.total


def test_seats_table_and_catalogue_cover_everything(norwich: Scenario, page: Page,
                                                    plan: Plan) -> None:
    assert int(page.by_id("seats-total")["data-value"]) == sum(run.size for run in plan.runs)
    cells = sum(int(a["data-seats"]) for a in page.having("data-seats"))
    assert cells == sum(run.size for run in plan.runs)
    assert {a["data-course"] for a in page.having("data-course") if "data-practice" not in a} == {
        c.id for c in norwich.courses}


def test_nothing_is_fetched_from_the_network(html: str, page: Page) -> None:
    assert "http://" not in html and "https://" not in html and "url(" not in html
    assert not [tag for tag, _ in page.elements if tag in ("script", "link", "img", "iframe")]
    assert not [a for _, a in page.elements if "src" in a or a.get("href", "#").split("#")[0]]


def test_svg_figures_are_labelled(page: Page) -> None:
    figures = [a for tag, a in page.elements if tag == "svg"]
    assert len(figures) == 4  # the year, equity per practice and per role, cover
    assert all(a.get("role") == "img" and a.get("aria-labelledby") for a in figures)


def test_text_is_escaped(norwich: Scenario, plan: Plan) -> None:
    odd = norwich.model_copy(update={"name": "<script>alert('x')</script> & Co"})
    html = render_report(odd, plan)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html


def test_writing_twice_gives_the_same_bytes(norwich: Scenario, plan: Plan, tmp_path: Path) -> None:
    first = write_report(norwich, plan, tmp_path / "a")
    second = write_report(norwich, plan, tmp_path / "b")
    assert first.name == "report.html" and first.read_bytes() == second.read_bytes()
    one = write_csv(norwich, plan, tmp_path / "a")
    two = write_csv(norwich, plan, tmp_path / "b")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]
    assert [p.name for p in one] == ["afternoons.csv", "runs.csv", "seats.csv", "on_site.csv",
                                     "cover.csv", "attainment.csv", "costs.csv"]


def test_csv_costs_say_who_is_paid_what_and_sum_to_the_score_s_cost_terms(
        tables: Tables, norwich: Scenario, plan: Plan) -> None:
    """The score priced trainers, rooms and cover, but no table said who is paid what (found by a
    new user's review): costs.csv has a row per payee and afternoon's wave, in money, that add up
    to the cost terms, and each trainer's to their rate times their runs and visits."""
    score = score_plan(norwich, plan)
    for kind, term in (("cover", "cost_cover"), ("trainer", "cost_trainers"), ("room", "cost_rooms")):
        rows = [r for r in tables["costs"] if r["payee"] == kind]
        assert rows and sum(int(r["amount"]) for r in rows) == score.terms[term].raw, kind
    rates = {t.id: t.cost_per_run for t in norwich.trainers}
    items = Counter([r.trainer for r in plan.runs] + [o.trainer for o in plan.on_site])
    paid = Counter()
    for r in tables["costs"]:
        if r["payee"] == "trainer":
            paid[r["id"]] += int(r["amount"])
            assert r["name"] == next(t.name for t in norwich.trainers if t.id == r["id"])
    assert paid == Counter({tid: rates[tid] * n for tid, n in items.items()})
    rooms = {(r.event, r.wave, r.room) for r in plan.runs if r.room}
    assert {(r["event"], int(r["wave"]), r["id"]) for r in tables["costs"] if r["payee"] == "room"} == rooms


def test_csv_runs_seats_cover_and_afternoons(tables: Tables, plan: Plan) -> None:
    run_dates = [r["date"] for r in tables["runs"]]
    assert run_dates == sorted(run_dates)
    assert {r["run_id"] for r in tables["runs"]} == {run.id for run in plan.runs}
    assert len(tables["runs"]) == len(plan.runs)
    assert sum(int(r["seats"]) for r in tables["runs"]) == sum(run.size for run in plan.runs)
    assert sum(int(r["count"]) for r in tables["seats"]) == sum(run.size for run in plan.runs)
    assert len(tables["on_site"]) == len(plan.on_site)
    assert len(tables["cover"]) == len(plan.cover)
    assert len(tables["afternoons"]) == sum(len(a.waves) for a in plan.afternoons)
    dates = [r["date"] for r in tables["afternoons"]]
    assert dates == sorted(dates)


def test_csv_attainment_equals_the_score(tables: Tables, plan: Plan) -> None:
    totals: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for row in tables["attainment"]:
        totals[row["scope"]][row["id"]] = (int(row["demand"]), int(row["met"]), int(row["unmet"]))
    score = plan.score
    for scope, attainment in [("practice", score.by_practice), ("role", score.by_role),
                              ("course", score.by_course)]:
        assert totals[scope] == {i: (a.demand, a.met, a.unmet) for i, a in attainment.items()}


def test_a_plan_in_waves_without_a_score(tmp_path: Path) -> None:
    """Several waves and providers per afternoon; the report scores the plan itself."""
    area = generate_scenario(60, 6, 3)
    plan = get_solver("greedy").solve(area, SolveOptions(time_limit=10, workers=1, seed=0))
    plan.score = None
    page = Page(render_report(area, plan))
    assert max(len(a.waves) for a in plan.afternoons) > 1
    assert _runs_in_cells(page) == Counter(r.id for r in plan.runs)
    assert _cover_loads(page) == _list_sizes_per_wave(area, plan)
    score = score_plan(area, plan)
    assert int(page.by_id("score-total")["data-value"]) == score.total
    paths = write_csv(area, plan, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


def test_a_bound_given_the_waves_says_so_in_the_header(norwich: Scenario, plan: Plan) -> None:
    given = plan.model_copy(deep=True)
    given.solver.bound = 600_000.0
    given.solver.stats["bound_given"] = "the waves of the greedy plan and their cover"
    page = Page(render_report(norwich, given))
    assert page.by_id("bound")["data-given"] == "the waves of the greedy plan and their cover"
    assert "for plans with the waves of the greedy plan and their cover" in render_report(norwich, given)
    assert Page(render_report(norwich, plan)).by_id("bound")["data-given"] == ""


def test_the_catalogue_says_which_course_cannot_run_and_why(norwich: Scenario) -> None:
    """A course whose only trainer left is in the catalogue with its demand unmet and the reason."""
    import re

    edited = norwich.model_copy(deep=True)
    edited.trainers = [t for t in edited.trainers if t.id not in ("t-conflict", "t-fire-1", "t-fire-2")]
    plan = _greedy(edited)
    html = render_report(edited, plan)
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr data-course="([^"]+)".*?</tr>', html)}
    assert "cannot run: no trainer has skill &#x27;conflict-resolution&#x27;" in rows["conflict-resolution"]
    assert "cannot run: no trainer who delivers on site has skill &#x27;fire-safety&#x27;" in rows["fire-safety"]
    assert "0 of 374" in rows["conflict-resolution"]
    assert "class=warn" not in rows["bls"] and sum("class=warn" in row for row in rows.values()) == 2
