"""The `plt-scheduler` command line: a thin click layer over models, solvers and scheduler.

Every command's help ends with an example. Bad input ends with exit code 2 and messages that
name the file, field, value and fix; a rule broken in a plan (`check`) ends with exit code 1.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from collections import Counter
from pathlib import Path

import click
import yaml

from models import Scenario, ScenarioError, dump_scenario, load_scenario, parse_scenario
from models.calendar import candidate_limits, usable, verdicts
from models.demand import compute_demand
from models.loading import read_document
from models.plan import Plan
from solvers.base import NOT_ASKED, STEPS_BESIDE_UP_TO, solver_names
from solvers.decompose import DECOMPOSE_ABOVE, PART_PRACTICES

from .io import staged, write_atomic

# Default cost of one changed decision in `whatif`: above what one run can gain (16 seats of a
# priority-10 course at 100 per seat), so a published plan changes only where it must.
MINIMAL_CHANGE = 20_000

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Seconds(click.FloatRange):
    """A time limit: a finite number of seconds (FloatRange lets nan and inf through)."""

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds; give e.g. 60", param, ctx)
        return seconds


class InputError(click.ClickException):
    """Bad input: exit code 2, like click's own usage errors."""

    exit_code = 2


def read_scenario(path: str, sets: tuple[str, ...] = (), drops: tuple[str, ...] = (),
                  patch: str | None = None) -> Scenario:
    """Load a scenario, applying command-line edits; any problem is an input error (exit 2)."""
    from .edits import EditError, apply_edits

    try:
        if not (sets or drops or patch):
            return load_scenario(path)
        source = str(Path(path) / "scenario.yaml") if Path(path).is_dir() else path
        raw = read_document(path)
        try:
            doc = dump_scenario(parse_scenario(raw, source))
        except ScenarioError as invalid:  # edits may repair the file (say --set pins=[]): apply them as it is
            try:
                return parse_scenario(apply_edits(raw, sets, drops, patch), f"{source} (edited)")
            except EditError:  # a path the file leaves to its defaults: the file's own fault first
                raise invalid from None
        return parse_scenario(apply_edits(doc, sets, drops, patch), f"{source} (edited)")
    except ScenarioError as exc:
        raise InputError(exc.render()) from None
    except (EditError, OSError) as exc:
        raise InputError(f"{path}: {exc}") from None


def note_untaught(s: Scenario) -> None:
    """Say on stderr which courses cannot run (a trainer dropped in a what-if, say), or not in
    every way the scenario offers them."""
    from models.consistency import untaught

    for note in untaught(s):
        click.echo(f"note: {note}", err=True)


def scenario_edits(command):
    """--set, --drop and --patch for commands that read a scenario."""
    command = click.option("--patch", type=click.Path(dir_okay=False, exists=True),
                           help="YAML file of edits: 'set' (PATH: VALUE) and 'drop' (list of paths).")(command)
    command = click.option("--drop", "drops", multiple=True, metavar="PATH",
                           help="Remove an entity, e.g. trainers.t-bls-1.")(command)
    return click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                        help="Change a value, e.g. cover_providers.ooh.cost_per_afternoon=3000.")(command)


class _Commands(click.Group):
    def invoke(self, ctx: click.Context):
        """A file that cannot be read or written (a file in a folder's way, no permission) is an
        input error naming it (exit 2, as solve's `--out` below a file), not a traceback."""
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.filename is None or isinstance(exc, BrokenPipeError):
                raise
            raise InputError(f"{exc.filename}: {exc.strerror or exc}; check the path (no file where a "
                             "folder should be) and the permission to read and write there") from None


@click.group(cls=_Commands, context_settings=CONTEXT)
@click.version_option(package_name="plt-scheduler")
def main() -> None:
    """Plan Protected Learning Time afternoons: dates, courses, trainers, rooms, seats and cover.

    Example: plt-scheduler validate examples/norwich/scenario.yaml
    """


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@scenario_edits
def validate(scenario: str, sets: tuple[str, ...], drops: tuple[str, ...], patch: str | None) -> None:
    """Check a scenario and print a short summary.

    Example: plt-scheduler validate examples/norwich/scenario.yaml --set cover_providers.ooh.cost_per_afternoon=3000
    """
    from models.consistency import listed, unplannable

    s = read_scenario(scenario, sets, drops, patch)
    if no_room := unplannable(s):  # a scenario still (solve says INFEASIBLE), but no plan can have it
        source = str(Path(scenario) / "scenario.yaml") if Path(scenario).is_dir() else scenario
        raise InputError(ScenarioError(source + " (edited)" * bool(sets or drops or patch),
                                       [str(p) for p in no_room]).render())
    demand = compute_demand(s)
    note_untaught(s)
    networks = len({p.network for p in s.practices})
    roles = Counter()
    for p in s.practices:
        roles.update(p.headcount)
    click.echo(f"{s.name}: valid")
    click.echo(f"  period               {s.period.start} to {s.period.end} ({s.period.timezone})")
    click.echo(f"  practices            {len(s.practices)} in {networks} network(s), "
               f"{sum(p.list_size for p in s.practices):,} registered patients")
    click.echo(f"  staff                {s.staff_count:,} ("
               + ", ".join(f"{r.id} {roles[r.id]}" for r in s.roles) + ")")
    click.echo(f"  courses              {len(s.courses)} ({sum(c.mandatory for c in s.courses)} mandatory)")
    click.echo(f"  trainers             {len(s.trainers)}")
    click.echo(f"  rooms                {len(s.all_rooms())} in {len(s.venues)} venue(s)")
    click.echo(f"  cover providers      {len(s.cover_providers)}, "
               f"{sum(c.capacity for c in s.cover_providers):,} patients per afternoon")
    click.echo(f"  afternoons           {s.programme.external_afternoons} external, "
               f"{s.programme.internal_afternoons} internal")
    limits = candidate_limits(s)
    click.echo(f"  candidate afternoons {len(limits)} {usable(limits)}")
    click.echo(f"  training demand      {sum(demand.values()):,} seats")
    needed = {c.needed_skill for c in s.courses}
    for t in s.trainers:  # valid (a trainer may also teach what this scenario does not hold), but often a typo
        unused = [skill for skill in t.skills if skill not in needed]
        if unused:
            click.echo(f"note: trainer {t.id}'s skill(s) {', '.join(map(repr, unused))} match no course's skill "
                       f"here; if a typo, use one of: {listed(needed)}", err=True)


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--excluded/--no-excluded", default=True, show_default=True,
              help="Also list each excluded weekday date with its reasons.")
def calendar(scenario: str, excluded: bool) -> None:
    """List candidate afternoons, with what limits each (no cover, a practice that cannot close
    where the area closes in one wave, no room free), and each excluded date with its reason.

    Only dates on an allowed weekday are listed as excluded (other weekdays are simply out).

    Example: plt-scheduler calendar examples/norwich/scenario.yaml
    """
    s = read_scenario(scenario)
    allowed_days = {w.number for w in s.calendar.weekdays}
    limits = {lim.day: lim for lim in candidate_limits(s)}
    for verdict in verdicts(s):
        if verdict.allowed:
            click.echo(f"{verdict.day.isoformat()} {verdict.day.strftime('%a')}  candidate"
                       + limits[verdict.day].note(s))
        elif excluded and verdict.day.weekday() in allowed_days:
            click.echo(f"{verdict.day.isoformat()} {verdict.day.strftime('%a')}  excluded: "
                       + "; ".join(verdict.reasons))
    click.echo(f"{len(limits)} candidate afternoons {usable(list(limits.values()))}")



@main.command(context_settings=CONTEXT)
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def schema(out: str | None) -> None:
    """Print the scenario's JSON Schema (for editors and validators).

    Example: plt-scheduler schema --out scenario.schema.json
    """
    text = json.dumps(Scenario.model_json_schema(), indent=2) + "\n"
    if out:
        write_atomic(out, text)
    else:
        click.echo(text, nl=False)


@main.command(context_settings=CONTEXT)
@click.option("--practices", type=click.IntRange(1, 10000), required=True, help="Number of practices.")
@click.option("--networks", type=click.IntRange(1, 2000), required=True, help="Number of networks (PCNs).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; same seed, same scenario.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write YAML (or JSON for .json) here; default stdout.")
def generate(practices: int, networks: int, seed: int, out: str | None) -> None:
    """Build a synthetic scenario of any size (deterministic for a seed).

    Example: plt-scheduler generate --practices 400 --networks 40 --seed 7 --out ics400.yaml
    """
    from models.generate import generate_scenario

    if networks > practices:
        raise InputError(f"--networks {networks} is more than --practices {practices}; "
                         "every network needs at least one practice")
    s = generate_scenario(practices=practices, networks=networks, seed=seed)
    data = dump_scenario(s)
    if out and out.endswith(".json"):
        text = json.dumps(data, indent=1) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, width=110)
    if out:
        write_atomic(out, text)
        click.echo(f"wrote {out}: {len(s.practices)} practices, {s.staff_count:,} staff", err=True)
    else:
        sys.stdout.write(text)


def read_plan(path: str) -> Plan:
    from pydantic import ValidationError

    from models.plan import Plan

    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: the plan file does not exist; give the plan.json that solve wrote")
    try:
        return Plan.model_validate_json(file.read_text(encoding="utf-8"))
    except ValidationError as exc:
        lines = [f"  - {'.'.join(str(x) for x in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                 for e in exc.errors()[:20]]
        raise InputError(f"{path}: not a valid plan ({exc.error_count()} problem(s)); "
                         "give a plan.json written by plt-scheduler solve\n" + "\n".join(lines)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the plan ({exc})") from None


def model_note(report) -> str | None:
    """The model's objective against the plan's score, in words, when they differ (solvers/cpsat/__init__.py
    `_complete`: the plan's score is the objective reported)."""
    above = report.stats.get("above_model")
    if not above or report.objective is None:
        return None
    modelled = report.objective - above
    why = ("the model counts rooms and changes per room class, the plan per room: runs kept in their "
           "baseline rooms can book more rooms, or runs moved between rooms of a class are changes"
           if report.objective > modelled else "the model's penalties were above their least for the plan's decisions")
    return f"{modelled:,}; the plan scores {report.objective - modelled:+,} ({why})"


def print_summary(plan) -> None:
    rep = plan.solver
    search = str(rep.stats.get("search", ""))
    click.echo(f"status     {rep.status}")
    if rep.objective is not None:
        given = f" (given {rep.stats['bound_given']})" if "bound_given" in rep.stats else ""
        if rep.bound is not None:
            proof = f"bound {rep.bound:,.0f}   gap {100 * (rep.gap or 0):.2f} %{given}"
        elif search.startswith("none: "):  # the limit, or a Ctrl-C, came while the model was built
            advice = ("" if rep.stats.get("interrupted") else "; --strategy full searches the whole model"
                      if NOT_ASKED in search else "; raise --time-limit")
            proof = f"no bound: no search ran ({search.removeprefix('none: ')}){advice}"
        elif rep.name == "cpsat-decomposed":
            proof = "no bound (a decomposed solve proves none: each part is solved for its share of the area)"
        else:
            proof = f"no bound ({rep.name} proves none)"
        click.echo(f"objective  {rep.objective:,}   {proof}")
    if NOT_ASKED in search:  # whatif --strategy repair: no solver ran, so neither workers nor seed counted
        click.echo(f"time       {rep.seconds:.1f} s (no search ran, so no workers or seed)")
    else:
        workers = "" if rep.name == "greedy" else f", {rep.workers} worker{'s' if rep.workers != 1 else ''}"
        click.echo(f"time       {rep.seconds:.1f} s ({rep.name}{workers}, seed {rep.seed})")
    if rep.stats.get("interrupted"):
        click.echo("stopped    by Ctrl-C: the best plan so far is kept")
    pooled = rep.stats.get("proof") or (search.removeprefix("none: ") if search.startswith("none: pooled") else None)
    if "kept_start" in rep.stats:  # what the plan is when no search, or a worse one, came after it
        click.echo(f"kept       {rep.stats['kept_start']}")
    elif search.startswith("none: ") and not pooled and "start" in rep.stats:
        click.echo(f"kept       the start plan, {rep.stats['start']}")
    if pooled:  # solvers/cpsat/pooled.py
        click.echo(f"proof      {pooled}")
    if (note := model_note(rep)) is not None:  # the model's objective is not the plan's score
        click.echo(f"model      objective {note}")
    if rep.stats.get("kept") == "master" and "join_objective" in rep.stats:
        click.echo(f"decomposed {rep.stats['parts']} parts joined scored {rep.stats['join_objective']:,}; "
                   "the master's own greedy plan scores better and is kept")
    elif rep.stats.get("kept") == "master":
        click.echo(f"decomposed {rep.stats['reason']}; the master's own greedy plan is kept")
    if "sessions_again" in rep.stats and rep.name == "cpsat-decomposed":
        click.echo(f"sessions   laid out again for the whole area: {rep.stats['sessions_again']}")
    if "trainers_again" in rep.stats and rep.name == "cpsat-decomposed":
        click.echo(f"trainers   chosen again for the whole area: {rep.stats['trainers_again']}")
    for afternoon in plan.afternoons:
        waves = ", ".join(f"{w.date:%a %d %b %Y} ({len(w.practices)} practices)" for w in afternoon.waves)
        click.echo(f"  {afternoon.event:<7} {afternoon.kind.value:<9} {waves}")
    if plan.score:
        click.echo("score      " + f"{plan.score.total:,}")
        for name, term in plan.score.terms.items():
            click.echo(f"  {name:<16} {term.raw:>9,} x {term.weight:<4} = {term.weighted:>10,}")
        met = sum(a.met for a in plan.score.by_course.values())
        demand = sum(a.demand for a in plan.score.by_course.values())
        unmet = plan.score.terms.get("unmet")
        weighted = f"; the unmet term, {unmet.raw:,}, weighs each by its course's priority" if unmet else ""
        click.echo(f"demand met {met:,} of {demand:,} seats ({100 * met / max(1, demand):.1f} %): "
                   f"{demand - met:,} unmet{weighted}")
        _print_unmet_floor(plan)


def _print_unmet_floor(plan) -> None:
    """What the probed bound on unmet demand says of this plan (solvers/cpsat/probe.py)."""
    floor = plan.solver.stats.get("unmet_floor")
    unmet = plan.score.terms.get("unmet")
    if floor is None or unmet is None:
        return
    if unmet.raw <= floor:
        gap = "" if plan.solver.status == "OPTIMAL" else "; the gap is in equity, cost and spread"
        click.echo(f"unmet      {unmet.raw:,} (seats by priority) is the least any plan can reach (proved by "
                   f"probing {plan.solver.stats['unmet_floor_probe']}){gap}")
    else:
        click.echo(f"unmet      {unmet.raw:,} (seats by priority); no plan goes below {floor:,}")


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder for plan.json.")
@click.option("--solver", "solver_name", type=click.Choice(solver_names()), default="cpsat", show_default=True,
              help="Back end: cpsat (the optimiser), greedy (the coordinator's baseline) or another registered one.")
@click.option("--time-limit", type=_Seconds(min=0.1), default=60.0, show_default=True, help="Seconds.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Search workers; with 1 the same seed gives the same plan.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option("--strategy", type=click.Choice(["auto", "full", "decomposed"]), default="auto", show_default=True,
              help=f"decomposed: a master for dates, waves and cover, then one CP-SAT subproblem per group of "
                   f"networks, in parallel; auto decomposes above {DECOMPOSE_ABOVE} practices (cpsat only).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where decomposed subproblems run: local processes (--workers at a time) or a Ray cluster.")
@click.option("--part-practices", type=click.IntRange(min=1), default=PART_PRACTICES, show_default=True,
              help="Decomposed: whole networks are grouped into parts of about this many practices "
                   "(1: one subproblem per network).")
@click.option("--lns/--no-lns", default=True, show_default=True,
              help="cpsat: run the neighbourhood search (afternoons, course clusters) beside the full model "
                   f"(on two or more workers only up to {STEPS_BESIDE_UP_TO:,} model variables); where it "
                   "does not run, a tenth of the time is kept to choose the trainers again; on small models "
                   "the seats are shared out again by HiGHS after the search (their LP rounded; with "
                   "40 s or more, every seat as a MIP too).")
@scenario_edits
def solve(scenario: str, out_dir: str, solver_name: str, time_limit: float, workers: int, seed: int,
          quiet: bool, strategy: str, engine: str, part_practices: int, lns: bool, sets: tuple[str, ...],
          drops: tuple[str, ...], patch: str | None) -> None:
    """Plan the PLT year and write OUT/plan.json (Ctrl-C keeps the best plan so far).

    Example: plt-scheduler solve examples/norwich/scenario.yaml --out out --time-limit 30
    """
    from solvers.base import SolveOptions, UnknownStatus
    from solvers.decompose import chooses_decomposition
    from solvers.parallel import EngineUnavailable

    from .orchestrate import solve_and_check
    from .progress import solve_progress

    s = read_scenario(scenario, sets, drops, patch)
    note_untaught(s)
    _out_folder(out_dir, s.name)
    decomposed = solver_name == "cpsat" and chooses_decomposition(s, strategy)
    if strategy == "decomposed" and solver_name != "cpsat":
        raise InputError(f"--strategy decomposed solves its parts with cpsat; drop --solver {solver_name}")
    label = f"solving {s.name} with {solver_name}" + (" (decomposed)" if decomposed else "")
    with solve_progress(label, None if solver_name == "greedy" else time_limit, quiet) as on_progress:
        options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed, on_progress=on_progress, lns=lns)
        try:
            outcome = solve_and_check(s, solver_name, options, decomposed=decomposed, engine=engine,
                                      part_practices=part_practices)
        except EngineUnavailable as exc:
            raise InputError(str(exc)) from None
        except UnknownStatus as exc:
            raise click.ClickException(f"{exc}; with extreme weights or sizes in the scenario, lower them") from None
    plan = outcome.plan
    if not outcome.solved:
        print_summary(plan)
        if plan.solver.status == "INFEASIBLE":
            raise click.ClickException("the scenario is infeasible: no plan meets every hard rule. "
                                       f"Run `{_explain_command(scenario, sets, drops, patch)}` to see which "
                                       "rules conflict.")
        raise click.ClickException("no plan found within the time limit; raise --time-limit")
    print_summary(plan)
    _publish(s, plan, Path(out_dir), with_plan=True)
    if outcome.violations:
        for v in outcome.violations:
            click.echo(f"  {v.rule} {v.code}: {v.message}", err=True)
        raise click.ClickException(f"the plan breaks {len(outcome.violations)} hard rule(s); this is a solver bug")


def _explain_command(scenario: str, sets: tuple[str, ...], drops: tuple[str, ...], patch: str | None) -> str:
    """The explain command for the scenario as this command read it: the file and its edits."""
    import shlex

    edits = [*(a for v in sets for a in ("--set", v)), *(a for v in drops for a in ("--drop", v)),
             *(("--patch", patch) if patch else ())]
    return shlex.join(["plt-scheduler", "explain", scenario, *edits])


def _name_in_file(scenario: str) -> object:
    """The scenario's name as its file has it, before any edits (None when unreadable)."""
    try:
        doc = read_document(scenario)
    except ScenarioError:
        return None
    return doc.get("name") if isinstance(doc, dict) else None


def _require_plan_of(s: Scenario, plan: Plan, plan_file: str, scenario: str, role: str = "file") -> None:
    """An input error when the plan is one of another scenario, by name (the file's own name
    counts too, as this command's edits may rename it: read only then)."""
    if plan.scenario_name != s.name and plan.scenario_name != _name_in_file(scenario):
        raise InputError(f"{plan_file}: the {role} is a plan of {plan.scenario_name!r}, not of {s.name!r}; give the "
                         "plan made for this scenario (if the file was renamed since, set its name back here "
                         "with --set name=...)")


def _note_other_version(s: Scenario, plan: Plan, doing: str) -> None:
    """A note on stderr when the plan was made for another version of the scenario (its digest)."""
    from models.plan import made_for

    if not made_for(plan, s):
        click.echo(f"note: the plan was made for a different version of this scenario (a plan solved or "
                   f"re-planned with --set, --drop or --patch is {doing} with the same edits: give them here "
                   "too)", err=True)


def _require_checked(s: Scenario, plan: Plan, plan_file: str, scenario: str, doing: str) -> None:
    """An input error unless the plan keeps every hard rule of the scenario (so every id it
    names is the scenario's): a plan of another scenario, or edited by hand, stops here."""
    from models.checker import check_plan

    violations = check_plan(s, plan)
    if violations:
        listed = "".join(f"\n  {v.rule} {v.code}: {v.message}" for v in violations[:5])
        raise InputError(f"{plan_file}: not {doing}: the plan breaks {len(violations)} hard rule(s) of "
                         f"{scenario}{listed}\nrun plt-scheduler check for every one; a plan made with --set, "
                         "--drop or --patch needs the same edits here too")


def _out_folder(out_dir: str, publishing: str, *states: Path) -> Path:
    """The output folder checked now (nothing made yet), with its published feeds' state (and any
    other given, as a baseline's) read: a path below a file, an unwritable folder, a damaged
    state.json, or the feeds of another scenario than `publishing` (whose every event would be
    cancelled for its subscribers) stop the command before any solving or writing."""
    from .ical import StateError, check_state, published_name

    folder = Path(out_dir)
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())  # the root exists
    if not existing.is_dir():
        raise InputError(f"--out {out_dir}: {existing} is a file, so this cannot be a folder; "
                         "give a folder path with no file along it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"--out {out_dir}: {existing} is not writable; give a folder you may write to")
    for name, folder_wanted in (("feeds", True), ("csv", True), ("plan.json", False), ("report.html", False)):
        if (folder / name).exists() and (folder / name).is_dir() != folder_wanted:
            kind, wanted = ("file", "folder") if folder_wanted else ("folder", "file")
            raise InputError(f"--out {out_dir}: {folder / name} is a {kind} where the publication writes its "
                             f"{wanted}; move it away or give another folder")
    try:
        for place in (folder, *states):
            check_state(place)
    except StateError as exc:
        raise InputError(str(exc)) from None
    other = published_name(folder)
    if other is not None and other != publishing:
        raise InputError(f"--out {out_dir}: its feeds are the published calendars of {other!r}; publishing "
                         f"{publishing!r} there would cancel every one of their events for its subscribers. "
                         f"Give another folder (or, to end that publication, delete {folder / 'feeds'} first; "
                         "a scenario given a new name publishes its events under new UIDs, so it too needs "
                         "a folder of its own)")
    return folder


def _publish(scenario: Scenario, plan: Plan, out_dir: Path, with_plan: bool = False,
             state_from: Path | None = None, rescue: bool = True) -> None:
    """The feeds, tables and report (and, `with_plan`, plan.json) written together (io.staged):
    all of them, or, when one cannot be written, none, and the folder keeps what it had.
    `state_from`: the published feeds' state.json to continue, when not the folder's own.
    `rescue`: a plan.json that cannot be written is kept elsewhere (not for a plan read from a file)."""
    from .ical import StateError
    from .publish import publish

    try:
        with staged():
            written = publish(scenario, plan, out_dir, state_from)
            if with_plan:
                write_atomic(out_dir / "plan.json", plan.model_dump_json(indent=2) + "\n")
    except StateError as exc:
        raise InputError(str(exc)) from None
    except BaseException as exc:
        if not (with_plan and rescue):  # export's plan is a file already
            raise
        kept = _rescued(plan)  # a long solve is not lost, whatever stopped the publishing
        if isinstance(exc, OSError) and exc.filename is not None:
            raise InputError(f"{exc.filename}: {exc.strerror or exc}; the publication in {out_dir} was not "
                             f"made. {kept}") from None
        click.echo(f"The publication in {out_dir} was not made. {kept}", err=True)
        raise
    if with_plan:
        click.echo(f"wrote {out_dir / 'plan.json'}")
    click.echo(f"wrote {len(written)} files under {out_dir} (feeds/, csv/, report.html)")


def _rescued(plan: Plan) -> str:
    """Where a solved plan that could not be published is kept, in words (a file in the system's
    temporary folder), so that a long solve is not lost."""
    import tempfile

    name = Path(tempfile.gettempdir()) / f"plt-plan-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.json"
    try:
        write_atomic(name, plan.model_dump_json(indent=2) + "\n")
    except OSError:
        return "The plan could not be kept either."
    return (f"The plan is kept at {name}: publish it with plt-scheduler export (the same scenario and "
            "edits), into the folder whose feeds it continues, once that can be written")


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder to publish into.")
@scenario_edits
def export(scenario: str, plan_file: str, out_dir: str, sets: tuple[str, ...], drops: tuple[str, ...],
           patch: str | None) -> None:
    """Publish a plan: plan.json, iCal feeds for every subscriber, CSV tables and the HTML report.

    Feeds keep a state.json beside them: exporting a re-planned year into the same folder raises
    SEQUENCE only for events that changed and keeps removed events as cancelled.

    Example: plt-scheduler export examples/norwich/scenario.yaml out/plan.json --out out
    """
    s = read_scenario(scenario, sets, drops, patch)
    plan = read_plan(plan_file)
    _require_plan_of(s, plan, plan_file, scenario)
    _require_checked(s, plan, plan_file, scenario, "exported")  # unknown ids would break feeds, or their paths
    _note_other_version(s, plan, "exported")  # its feeds would say what this version says (cover, names)
    _out_folder(out_dir, s.name)
    if plan.score is None:
        from models.score import score_plan

        plan.score = score_plan(s, plan)
    # the plan beside its feeds, so that the folder's plan.json is what its subscribers were sent
    # (a stale one was the baseline of the next what-if)
    target = Path(out_dir) / "plan.json"
    _publish(s, plan, Path(out_dir), with_plan=not (target.exists() and target.samefile(plan_file)), rescue=False)


@main.command(context_settings=CONTEXT)
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--list-urls", is_flag=True, help="Print each feed's subscription URL and exit.")
def serve(out_dir: str, host: str, port: int, list_urls: bool) -> None:
    """Serve the published feeds, each at its own unguessable URL.

    Example: plt-scheduler serve out --port 8080 --list-urls
    """
    from .serve import TokensError, feed_tokens, make_server

    if not (Path(out_dir) / "feeds").is_dir():
        raise InputError(f"{out_dir}: no feeds/ folder; run plt-scheduler export (or solve) into it first")
    try:
        tokens = feed_tokens(out_dir)
    except TokensError as exc:
        raise InputError(str(exc)) from None
    if list_urls:
        for feed, token in sorted(tokens.items()):
            click.echo(f"{feed:<40} http://{host}:{port}/{token}.ics")
        return
    try:
        server = make_server(out_dir, host, port)
    except OSError as exc:
        raise InputError(f"--host {host} --port {port}: cannot serve there ({exc.strerror or exc}); give an "
                         "address of this machine (127.0.0.1 for this machine only) and a free port") from None
    click.echo(f"serving {len(tokens)} feeds on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), required=True,
              help="The published plan.json to re-plan from.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder for the new plan.")
@click.option("--time-limit", type=_Seconds(min=0.1), default=60.0, show_default=True, help="Seconds.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option("--stability-weight", type=click.IntRange(min=0), default=None,
              help=f"Cost of one changed decision; default the larger of the policy's and {MINIMAL_CHANGE}.")
@click.option("--strategy", type=click.Choice(["auto", "full", "repair"]), default="auto", show_default=True,
              help=f"full: CP-SAT searches the whole model from the published plan; repair: the published plan, "
                   f"mended where the edits break it (else greedy's re-plan), with no search; auto: repair above "
                   f"{DECOMPOSE_ABOVE} practices "
                   f"(where the whole model takes minutes and gigabytes to build), else full.")
@scenario_edits
def whatif(scenario: str, baseline_file: str, out_dir: str, time_limit: float, workers: int, seed: int, quiet: bool,
           stability_weight: int | None, strategy: str, sets: tuple[str, ...], drops: tuple[str, ...],
           patch: str | None) -> None:
    """Re-plan from a published plan with as few changes as possible, and show what changed.

    Every changed decision costs (policy.weights.stability; a moved published date three times),
    and the baseline is CP-SAT's starting point. Feeds raise SEQUENCE only where events changed.
    Above the size where `solve` decomposes, the published plan is mended with no search
    (--strategy).

    Example: plt-scheduler whatif examples/norwich/scenario.yaml --baseline out/plan.json --drop trainers.t-bls-1 --out whatif
    """

    from models.plan import REPLAN_STABILITY
    from solvers.base import SolveOptions, UnknownStatus

    from .diff import plan_diff, render
    from .orchestrate import solve_and_check
    from .progress import solve_progress

    s = read_scenario(scenario, sets, drops, patch)
    note_untaught(s)
    weights = s.policy.weights
    policy = weights.stability
    weights.stability = stability_weight if stability_weight is not None else max(policy, MINIMAL_CHANGE)
    baseline = read_plan(baseline_file)
    _require_plan_of(s, baseline, baseline_file, scenario, "baseline")  # its feeds would be continued into ours
    _out_folder(out_dir, s.name, Path(baseline_file).parent)
    with solve_progress(f"re-planning {s.name}", time_limit, quiet) as on_progress:
        search = strategy == "full" or (strategy == "auto" and len(s.practices) <= DECOMPOSE_ABOVE)
        options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed, on_progress=on_progress,
                               baseline=baseline, search=search)
        try:
            outcome = solve_and_check(s, "cpsat", options, baseline)
        except UnknownStatus as exc:
            raise click.ClickException(f"{exc}; with extreme weights or sizes in the scenario, lower them") from None
    plan = outcome.plan
    if not outcome.solved and NOT_ASKED in str(plan.solver.stats.get("search", "")):
        print_summary(plan)
        raise click.ClickException(f"no plan for the changed scenario without a search ({plan.solver.stats['search']}); "
                                   "--strategy full searches the whole model")
    if not outcome.solved:
        print_summary(plan)
        raise click.ClickException(f"no plan for the changed scenario ({plan.solver.status}); "
                                   f"run `{_explain_command(scenario, sets, drops, patch)}` to see which "
                                   "rules conflict")
    plan.revision = baseline.revision + 1
    plan.solver.stats[REPLAN_STABILITY] = weights.stability  # `check` and reports then know the scenario (made_for)
    state = Path(baseline_file).parent / "feeds" / "state.json"
    target = Path(out_dir) / "feeds" / "state.json"
    # feeds continue the published ones: SEQUENCE rises where events changed
    continued = state if state.exists() and not target.exists() else None
    print_summary(plan)
    why = ("--stability-weight" if stability_weight is not None else "the policy's" if policy >= MINIMAL_CHANGE
           else f"a what-if's least; the policy's is {policy:,}, --stability-weight sets another")
    click.echo(f"changes    cost {weights.stability:,} each ({why}), a moved published date three times")
    _publish(s, plan, Path(out_dir), with_plan=True, state_from=continued)
    tokens, mine = state.with_name("tokens.json"), target.with_name("tokens.json")
    if continued is not None and tokens.exists() and not mine.exists():  # the subscribers' URLs go on too
        write_atomic(mine, tokens.read_text(encoding="utf-8"))
    click.echo("\nchanges against the baseline:")
    click.echo(render(plan_diff(baseline, plan)))
    if outcome.violations:
        raise click.ClickException(f"the plan breaks {len(outcome.violations)} hard rule(s); this is a solver bug")


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--time-limit", type=_Seconds(min=1), default=30.0, show_default=True,
              help="Seconds for each search behind the explanation.")
@scenario_edits
def explain(scenario: str, time_limit: float, sets: tuple[str, ...], drops: tuple[str, ...], patch: str | None) -> None:
    """Say why a scenario has no plan: a short list of the rules that conflict, in plain words.

    Exit 0 when a plan exists; 1 when the scenario cannot be planned as written (the reasons
    listed) or no plan was found in the time; 2 when the file cannot be read.

    Example: plt-scheduler explain examples/norwich/scenario.yaml --set policy.mandatory=hard
    """
    from .explain import explain as find_conflicts

    try:
        read_document(scenario)  # a file that is missing or no YAML is an input error (exit 2)
    except ScenarioError as exc:
        raise InputError(exc.render()) from None
    try:
        s = read_scenario(scenario, sets, drops, patch)
    except InputError as exc:
        if "the scenario is not valid" not in exc.message:
            raise
        click.echo("The scenario cannot be planned as written:")  # explained: the rules it breaks
        click.echo(exc.message)
        sys.exit(1)
    note_untaught(s)
    conflicts = find_conflicts(s, time_limit)
    if conflicts is None:
        click.echo(f"No plan was found and no conflict proven within {time_limit:g} s; raise --time-limit.")
        sys.exit(1)
    if not conflicts:
        click.echo("A plan exists: no hard rules conflict. Run plt-scheduler solve.")
        return
    click.echo(f"No plan can keep every hard rule; {len(conflicts)} conflict(s):")
    for line in conflicts:
        click.echo(f"  - {line}")
    sys.exit(1)


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@click.option("--add", "addition", required=True, metavar="KIND=WHAT",
              help="What to place: run=COURSE (one more run of a course, e.g. run=conflict-resolution) "
                   "or afternoon=external|internal (one more PLT afternoon).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--time-limit", type=_Seconds(min=1), default=20.0, show_default=True,
              help="Seconds for each place's solve.")
@scenario_edits
def suggest(scenario: str, plan_file: str, addition: str, top: int, time_limit: float, sets: tuple[str, ...],
            drops: tuple[str, ...], patch: str | None) -> None:
    """Rank the best places for one more item, moving nothing else (recommended fit).

    Each place is solved to optimality with every decision of the plan fixed; the score change
    is the objective's (negative is better).

    Example: plt-scheduler suggest examples/norwich/scenario.yaml out/plan.json --add afternoon=internal
    """
    from models.consistency import reach
    from models.scenario import EventKind
    from solvers.cpsat.suggest import suggest_afternoons, suggest_runs

    kind, _, what = addition.partition("=")
    s = read_scenario(scenario, sets, drops, patch)
    kinds = [k.value for k in EventKind]
    if not ((kind == "run" and what in {c.id for c in s.courses}) or (kind == "afternoon" and what in kinds)):
        raise InputError(f"--add {addition!r}: write run=COURSE with a course id of the scenario "
                         f"(e.g. run={s.courses[0].id}) or afternoon={'|'.join(kinds)}")
    plan = read_plan(plan_file)
    _require_plan_of(s, plan, plan_file, scenario)
    _require_checked(s, plan, plan_file, scenario, "used")
    if kind == "run":
        where = reach(s, next(i for i, c in enumerate(s.courses) if c.id == what))
        if not s.course(what).external:
            raise InputError(f"--add {addition!r}: {what} is delivered on site at practices' internal afternoons, "
                             "not in runs; name a face-to-face or virtual course")
        if not where.external:
            click.echo(f"No place fits one more run of {what}: {where.why.reason} ({where.why.path}); "
                       f"{where.why.fix}.")
            return
        from models.score import score_plan

        wanted = score_plan(s, plan).by_course.get(what)
        if wanted is None or wanted.met >= wanted.demand:  # nobody to seat: no run can add anything
            click.echo(f"One more run of {what} would have nobody to seat: all its demand "
                       f"({wanted.demand if wanted else 0:,} seats) is met already.")
            return
    try:
        if kind == "run":
            options = suggest_runs(s, plan, what, time_limit)
        else:
            options = suggest_afternoons(s, plan, EventKind(what), time_limit)
    except ValueError as exc:
        raise InputError(f"{plan_file}: {exc}") from None
    if not options:
        click.echo(f"No place fits one more run of {what}: every suitable room, trainer or group is taken."
                   if kind == "run" else
                   f"No place fits one more {what} afternoon without moving the others "
                   "(spacing, blackouts or cover leave no date).")
        return
    if kind == "run":
        click.echo(f"{'rank':<5}{'afternoon':<10}{'wave':<6}{'block':<7}{'rooms':<28}{'score change':>14}")
        for rank, o in enumerate(options[:top], start=1):
            rooms = ", ".join(o.room_class) or "virtual"
            click.echo(f"{rank:<5}{o.event:<10}{o.wave:<6}{o.block:<7}{rooms:<28}{o.change:>+14,}")
        return
    click.echo(f"{'rank':<5}{'new id':<8}{'after':<8}{'date(s)':<34}{'score change':>14}")
    for rank, o in enumerate(options[:top], start=1):
        dates = ", ".join(f"{d:%a %d %b %Y}" for d in o.dates)
        click.echo(f"{rank:<5}{o.event:<8}{o.after or 'start':<8}{dates:<34}{o.change:>+14,}")
    click.echo("Afternoons after the new one are renumbered (plt-N becomes plt-N+1).")


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True, exists=True))
@click.option("--grid", "grid_file", type=click.Path(dir_okay=False, exists=True), required=True,
              help="YAML with 'variants' (name, set, drop) and/or 'axes' (path: [values]).")
@click.option("--jobs", type=click.IntRange(1, 256), default=2, show_default=True)
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--time-limit", type=_Seconds(min=0.1), default=20.0, show_default=True,
              help="Deterministic seconds per variant.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sweep(scenario: str, grid_file: str, jobs: int, engine: str, time_limit: float, seed: int, as_json: bool,
          quiet: bool) -> None:
    """Solve every variant in a grid file in parallel and print one table.

    Example: plt-scheduler sweep examples/norwich/scenario.yaml --grid examples/norwich/sweep.yaml --jobs 2
    """
    from .edits import EditError
    from .sweep import check_edits, read_grid, render
    from .sweep import sweep as run_sweep

    read_scenario(scenario)
    try:
        variants = read_grid(grid_file)
        check_edits(scenario, variants, grid_file)  # a typo in a path: before any solve
        rows = run_sweep(scenario, variants, time_limit, seed, jobs, engine, quiet)
    except EditError as exc:
        raise InputError(str(exc)) from None
    click.echo(json.dumps(rows, indent=1) if as_json else render(rows))


@main.command(context_settings=CONTEXT)
@click.argument("plan_a", metavar="PLAN_A", type=click.Path(dir_okay=False))
@click.argument("plan_b", metavar="PLAN_B", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
def diff(plan_a: str, plan_b: str, as_json: bool) -> None:
    """Compare two plans: afternoons moved, waves, runs, seats, cover, on-site visits and score
    terms side by side.

    Example: plt-scheduler diff out/plan.json whatif/plan.json
    """
    from .diff import plan_diff, render

    a, b = read_plan(plan_a), read_plan(plan_b)
    if a.scenario_name != b.scenario_name:
        click.echo(f"note: {plan_a} is a plan of {a.scenario_name!r} and {plan_b} of {b.scenario_name!r}; "
                   "the difference below compares two scenarios", err=True)
    difference = plan_diff(a, b)
    click.echo(json.dumps(difference, indent=1) if as_json else render(difference))


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@scenario_edits
def check(scenario: str, plan_file: str, sets: tuple[str, ...], drops: tuple[str, ...], patch: str | None) -> None:
    """Test every hard rule (H1 to H6) of a plan against its scenario, without the solver.

    A plan solved or re-planned with --set, --drop or --patch is checked with the same edits.
    Exit 0 when every rule holds, 1 with the violations listed, 2 for a plan of another scenario.

    Example: plt-scheduler check examples/norwich/scenario.yaml out/plan.json
    """
    from models.checker import check_plan

    s = read_scenario(scenario, sets, drops, patch)
    plan = read_plan(plan_file)
    _require_plan_of(s, plan, plan_file, scenario)  # not a thousand violations of another area's ids
    _note_other_version(s, plan, "checked")
    violations = check_plan(s, plan)
    if not violations:
        click.echo(f"ok: {plan_file} keeps every hard rule (H1-H6) of {s.name}")
        return
    click.echo(f"{len(violations)} violation(s):")
    for v in violations:
        click.echo(f"  {v.rule} {v.code}: {v.message}")
    sys.exit(1)


if __name__ == "__main__":
    main()
