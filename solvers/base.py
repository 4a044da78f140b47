"""The one solver interface: a scenario and options in, a plan out, with a normalised status.

Back ends register by name (`cpsat` first, then `greedy`); optional ones are imported lazily.
An unknown status from a back end raises: it is never mapped to a guess.
"""

from __future__ import annotations

import importlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from models.plan import Plan
from models.scenario import Scenario

STATUSES = ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN")


@dataclass(frozen=True)
class Progress:
    """One report while solving: a better plan was found (or the bound moved)."""

    seconds: float
    objective: float
    bound: float


# CP-SAT with two or more workers: the structured steps (solvers/cpsat/lns.py) run beside the
# full model's search only up to this many model variables; above it CP-SAT's portfolio runs
# alone. The history of the limit: the steps beside the portfolio took a third busy thread
# from its root LP, and memory with it: at 430 practices (361,246 variables; Norfolk
# and Waveney has 72,098), 300 s, two workers, the portfolio alone 9,469,226 and 9,487,816
# (2.96 %, 3.16 %) at 3.6 GiB, with the steps beside it 9,469,458, 9,511,901 and 9,522,006
# (2.97 %, 3.58 %, and 13.42 % when the root LP came late) at 4.1-4.2 GiB. With one worker the
# steps always run (far ahead of the full model alone there). Measured with greedy's first-fit
# waves at 430 practices; with the even waves it keeps now the model has the same 361,246 variables.
# Again with the pair steps and the steps on a group's own afternoons (one run each): the steps
# beside it 8,494,501 (3.51 %, 3.78 GiB), the portfolio alone 8,421,928 (2.50 %, 3.41 GiB).
# All measured with two portfolio workers beside the steps; below the limit the full model now
# has one worker beside them on two cores (see search_with_lns). That arrangement above the limit
# (with the visits steps and greedy's reserve; seed 0, one run): 8,568,916 at 300 s (4.32 %; the
# one full worker had not finished its root LP, so the bound came at the end, and the steps on
# the whole model are slow at this size), against the portfolio alone's 8,421,928.
# With the steps on small models of their own (solvers/cpsat/submodel.py), 300 s, one session:
# one full worker with the steps beside it 8,344,301 / 8,383,816 / 8,460,806 (seeds 0 to 2;
# gaps 1.74 %, 2.24 %, 3.15 %; 2.4 GiB for seed 2), two portfolio workers with the steps as a
# third thread 8,402,138 (seed 0, 2.31 %, 4.0 GiB), the portfolio alone 8,400,003 (seed 0,
# 2.24 %). No better on the whole, so the limit stayed. Those steps lasted 5 s each (a sixtieth
# of the time limit); with steps of at most 1 s (solvers/cpsat/lns.py, STEP_MAX), the same
# arrangement, 300 s, seeds 0 to 2 in one later session: 8,327,681 / 8,317,406 / 8,343,951
# (gaps 1.55 %, 1.46 %, 1.80 %; 2.3-2.4 GiB) and seeds 3, 4: 8,287,746 / 8,319,851 (1.10 %,
# 1.59 %), so the steps now run beside one full worker there too (the portfolio alone, seed 0,
# same session: 8,409,378, 2.35 %). The limit leaves room above 430 practices for the
# automatic strategy's full models (it decomposes above DECOMPOSE_ABOVE = 500 practices);
# larger full models (`--strategy full`) keep the portfolio alone, not measured with the steps
# beside it.
STEPS_BESIDE_UP_TO = 450_000


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    on_progress: Callable[[Progress], None] | None = None
    hint: Plan | None = None
    baseline: Plan | None = None  # re-planning: changes against it cost (stability)
    extra: dict[str, object] = field(default_factory=dict)
    # CP-SAT: the structured neighbourhood search (solvers/cpsat/lns.py) beside the full model, and
    # on small models the seats shared out again after it (solvers/cpsat/reseat.py).
    lns: bool = True
    # CP-SAT re-plans (with a baseline): False keeps the best start plan (the baseline as it is, or
    # mended: solvers/repair.py, else greedy's re-plan) with no model built, or none; `whatif` above
    # DECOMPOSE_ABOVE practices, where the whole model does not fit (6,300 practices: past 14 GB
    # and 600 s while still building it).
    search: bool = True


NOT_ASKED = "not asked for"  # why a re-plan with SolveOptions.search off ran none (the CLI reads it)


class Solver(Protocol):
    name: str

    def solve(self, scenario: Scenario, options: SolveOptions) -> Plan: ...


class UnknownStatus(RuntimeError):
    pass


def normalise_status(name: str) -> str:
    if name in STATUSES:
        return name
    if name == "MODEL_INVALID":
        raise UnknownStatus("the solver rejected its own model as invalid; this is a bug, please report it")
    raise UnknownStatus(f"unknown solver status {name!r}")


# name -> "module:attribute"; imported only when asked for.
_REGISTRY = {
    "cpsat": "solvers.cpsat:CpSatSolver",
    "greedy": "solvers.greedy:GreedySolver",
    "highs": "solvers.highs:HighsSolver",
}


def solver_names() -> list[str]:
    return list(_REGISTRY)


def get_solver(name: str) -> Solver:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown solver {name!r}; choose one of: {', '.join(_REGISTRY)}") from None
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"solver {name!r} needs a package that is not installed ({exc.name}); "
                          f"install it with: pip install {exc.name}") from exc
    return getattr(module, attribute)()


def run_interruptibly(work: Callable[[], None], stop: Callable[[], None],
                      on_start: Callable[[], None] | None = None) -> bool:
    """Run a search in a worker thread so that Ctrl-C in the main thread can call `stop` (the
    search ends and keeps its best plan). Returns whether Ctrl-C came; re-raises what `work` raised.
    `on_start` runs in the worker thread first, once Ctrl-C is caught: a plan reported there (the
    start plan) is one a Ctrl-C keeps."""
    interrupted = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            if on_start is not None:
                on_start()
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    def on_sigint(signum: int, frame: object) -> None:
        interrupted.set()
        stop()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    try:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    if errors:
        raise errors[0]
    return interrupted.is_set()


# A one-worker solve stops on deterministic time (CP-SAT's, or HiGHS's node count), so that the
# same seed gives the same plan whatever the machine's load. Its safety net, for a solve whose
# deterministic time stalls, is NET_FACTOR x its seconds + NET_SLACK seconds of this process's CPU
# time, not of the clock: a process that waits for a core uses none. On the clock, a Ray worker
# (which Ray starts at niceness 15) beside six busy loops took 44-53 s a part for 1.5
# deterministic seconds (2.1-2.7 s on a quiet machine), its searches met the clock's net, and the
# join differed (1,561,108 against 1,558,648).
# The CPU time is the process's, all its threads': a solve alone in its process (as one worker
# solves) is measured, and a helper thread that spins only brings the stop nearer.
NET_FACTOR, NET_SLACK = 4.0, 10.0
NET_POLL = 0.1  # seconds between the net's looks at the CPU time
# HiGHS hears the net only at its MIP's interrupt checks, not in presolve or an LP: for those, a
# last stop on the clock far beyond any load seen (starved parts ran 20-100 times slower: 44-284 s
# against 2.1-2.7 s).
BACKSTOP_FACTOR, BACKSTOP_SLACK = 50.0, 600.0


def net_seconds(seconds: float) -> float:
    """CPU seconds after which a one-worker solve of `seconds` deterministic seconds is stopped."""
    return NET_FACTOR * max(0.0, seconds) + NET_SLACK


@contextmanager
def cpu_net(seconds: float | None, stop: Callable[[], None]) -> Iterator[None]:
    """Call `stop` once the process has used `seconds` of CPU time within the block, and again at
    each look after that (a solver's stop can be lost before its search starts); None: no net."""
    if seconds is None:
        yield
        return
    done = threading.Event()
    start = time.process_time()

    def watch() -> None:
        while not done.wait(NET_POLL):
            if time.process_time() - start > seconds:
                stop()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def highs_limit(seconds: float, deterministic: bool) -> tuple[float, float | None]:
    """HiGHS's time limit and the CPU net for a solve of `seconds`: `deterministic` (one worker,
    stopped by a node limit) the backstop on the clock and the net; else `seconds` on the clock."""
    if deterministic:
        return BACKSTOP_FACTOR * max(0.0, seconds) + BACKSTOP_SLACK, net_seconds(seconds)
    return max(0.01, seconds), None


def cpsat_solve(solver, model, net: float | None, callback=None) -> int:
    """`solver.solve(model, callback)` within the CPU net `net` (None: none)."""
    with cpu_net(net, solver.stop_search):
        return solver.solve(model, callback)


def cpsat_limit(params, seconds: float, deterministic: bool) -> float | None:
    """Set a CP-SAT solve's limit of `seconds` on its `params`: `deterministic` (one worker)
    deterministic seconds, returning the CPU net for `cpu_net`; else seconds on the clock (None)."""
    if deterministic:
        params.max_deterministic_time = seconds
        return net_seconds(seconds)
    params.max_time_in_seconds = seconds
    return None
