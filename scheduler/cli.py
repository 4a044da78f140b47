"""The `plt-scheduler` command line: a thin click layer over models, solvers and scheduler.

Every command's help ends with an example. Bad input ends with exit code 2 and messages that
name the file, field, value and fix; a rule broken in a plan (`check`) ends with exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
import yaml

from models import Scenario, ScenarioError, dump_scenario, load_scenario
from models.calendar import candidate_dates, verdicts
from models.demand import compute_demand

from .io import write_atomic

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class InputError(click.ClickException):
    """Bad input: exit code 2, like click's own usage errors."""

    exit_code = 2


def read_scenario(path: str) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise InputError(exc.render()) from None


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="plt-scheduler")
def main() -> None:
    """Plan Protected Learning Time afternoons: dates, courses, trainers, rooms, seats and cover.

    Example: plt-scheduler validate examples/norwich/scenario.yaml
    """


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
def validate(scenario: str) -> None:
    """Check a scenario and print a short summary.

    Example: plt-scheduler validate examples/norwich/scenario.yaml
    """
    s = read_scenario(scenario)
    demand = compute_demand(s)
    networks = len({p.network for p in s.practices})
    roles = Counter()
    for p in s.practices:
        roles.update(p.headcount)
    click.echo(f"{s.name}: valid")
    click.echo(f"  period              {s.period.start} to {s.period.end} ({s.period.timezone})")
    click.echo(f"  practices           {len(s.practices)} in {networks} network(s), "
               f"{sum(p.list_size for p in s.practices):,} registered patients")
    click.echo(f"  staff               {s.staff_count:,} ("
               + ", ".join(f"{r.id} {roles[r.id]}" for r in s.roles) + ")")
    click.echo(f"  courses             {len(s.courses)} ({sum(c.mandatory for c in s.courses)} mandatory)")
    click.echo(f"  trainers            {len(s.trainers)}")
    click.echo(f"  rooms               {len(s.all_rooms())} in {len(s.venues)} venue(s)")
    click.echo(f"  cover providers     {len(s.cover_providers)}, "
               f"{sum(c.capacity for c in s.cover_providers):,} patients per afternoon")
    click.echo(f"  afternoons          {s.programme.external_afternoons} external, "
               f"{s.programme.internal_afternoons} internal")
    click.echo(f"  candidate afternoons {len(candidate_dates(s))}")
    click.echo(f"  training demand     {sum(demand.values()):,} seats")


@main.command(context_settings=CONTEXT)
@click.argument("scenario", type=click.Path(dir_okay=True))
@click.option("--excluded/--no-excluded", default=True, show_default=True,
              help="Also list each excluded weekday date with its reasons.")
def calendar(scenario: str, excluded: bool) -> None:
    """List candidate afternoons, and each excluded date with its reason.

    Only dates on an allowed weekday are listed as excluded (other weekdays are simply out).

    Example: plt-scheduler calendar examples/norwich/scenario.yaml
    """
    s = read_scenario(scenario)
    allowed_days = {w.number for w in s.calendar.weekdays}
    allowed = 0
    for verdict in verdicts(s):
        if verdict.allowed:
            allowed += 1
            click.echo(f"{verdict.day.isoformat()} {verdict.day.strftime('%a')}  candidate")
        elif excluded and verdict.day.weekday() in allowed_days:
            click.echo(f"{verdict.day.isoformat()} {verdict.day.strftime('%a')}  excluded: "
                       + "; ".join(verdict.reasons))
    click.echo(f"{allowed} candidate afternoons")


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


if __name__ == "__main__":
    main()
