"""Run independent tasks in order-preserving parallel: in this process, in local processes, or
as Ray tasks (an optional extra) for areas and sweeps that outgrow one machine.

`fn` must be a module-level function and tasks plain picklable values, so that processes and
Ray can ship them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "ray")


class EngineUnavailable(RuntimeError):
    """The engine asked for is not installed."""


def run_tasks(fn: Callable[[T], R], tasks: list[T], jobs: int = 1, engine: str = "local",
              progress: Callable[[Iterable[R], int], Iterable[R]] | None = None) -> list[R]:
    """fn over tasks, results in task order. `progress` wraps the stream of results (a bar)."""
    wrap = progress or (lambda rows, total: rows)
    if engine == "ray":
        return _on_ray(fn, tasks, jobs)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if jobs <= 1 or len(tasks) <= 1:
        return list(wrap(map(fn, tasks), len(tasks)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(wrap(pool.map(fn, tasks), len(tasks)))


def _on_ray(fn: Callable[[T], R], tasks: list[T], jobs: int) -> list[R]:
    try:
        import ray
    except ImportError:
        raise EngineUnavailable("--engine ray needs Ray: pip install 'plt-scheduler[ray]'") from None
    started = not ray.is_initialized()
    if started:  # a local Ray instance; connect to a cluster with RAY_ADDRESS
        ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(fn)
        return ray.get([remote.remote(t) for t in tasks])
    finally:
        if started:
            ray.shutdown()
