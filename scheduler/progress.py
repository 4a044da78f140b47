"""Progress while a plan is searched for: a rich bar on a terminal, plain lines in a log.

On a terminal the bar fills with the time limit and shows the best plan, the bound and the gap
as they improve. When stderr is a file or a pipe (CI logs, cron jobs) each better plan is one
line instead, so logs stay readable. `--quiet` shows neither.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from solvers.base import Progress


def _bound(p: Progress) -> str:
    """The bound, or "none yet": with one worker the steps search before the full model, which
    gives the first bound (Norwich, 10 s: the lines showed "bound -inf" for the first 7 s)."""
    return f"{p.bound:,.0f}" if math.isfinite(p.bound) else "none yet"


def _line(p: Progress) -> None:
    click.echo(f"  {p.seconds:7.1f}s  better plan {p.objective:,.0f}   bound {_bound(p)}", err=True)


def _gap(p: Progress) -> str:
    if not math.isfinite(p.bound):
        return "-"
    if abs(p.objective) < 1e-9:
        return "0.00 %"
    return f"{100 * abs(p.objective - p.bound) / abs(p.objective):.2f} %"


@contextmanager
def solve_progress(label: str, time_limit: float | None, quiet: bool,
                   terminal: bool | None = None) -> Iterator[Callable[[Progress], None] | None]:
    """Yields the callback to hand to SolveOptions.on_progress (None when quiet). `time_limit`
    None: a solver with no limit (greedy), shown without one."""
    if quiet:
        yield None
        return
    if not (sys.stderr.isatty() if terminal is None else terminal):
        click.echo(f"{label}{'' if time_limit is None else f' ({time_limit:g} s limit)'}...", err=True)
        yield _line
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = Bar(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
              TextColumn("{task.fields[best]}"), console=Console(stderr=True), transient=True,
              auto_refresh=False)  # our ticker refreshes: rich's own refresh thread is not joined on exit
    task = bar.add_task(label, total=time_limit, best="building the model")
    started = time.monotonic()
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.25):
            elapsed = time.monotonic() - started
            bar.update(task, completed=elapsed if time_limit is None else min(time_limit, elapsed), refresh=True)

    def report(p: Progress) -> None:
        bar.update(task, best=f"best {p.objective:,.0f}  bound {_bound(p)}  gap {_gap(p)}", refresh=True)

    ticker = threading.Thread(target=tick, daemon=True)
    with bar:
        ticker.start()
        try:
            yield report
        finally:
            done.set()
            ticker.join()
