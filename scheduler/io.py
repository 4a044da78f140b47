"""File output: every file is written to a temporary name beside it and renamed into place,
so a reader never sees half a file and a failed run leaves the old output untouched."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def inside(folder: Path, name: str) -> bool:
    """Whether FOLDER/NAME stays inside FOLDER (names read from plans, state.json and
    tokens.json are never trusted to: '../x' would reach outside it)."""
    return isinstance(name, str) and (folder / name).resolve().is_relative_to(folder.resolve())


# The feeds' state is renamed first: should the renames stop part-way, the next publication counts
# on from it, and a SEQUENCE number is skipped rather than used again for other content. The plan
# is renamed last: it marks the publication as the one in place.
FIRST, LAST = "state.json", "plan.json"


@dataclass
class _Stage:
    files: list[tuple[Path, Path]] = field(default_factory=list)  # (temporary, target)
    folders: list[Path] = field(default_factory=list)  # made for this stage, outermost first


_STAGE: ContextVar[_Stage | None] = ContextVar("stage", default=None)


@contextmanager
def staged() -> Iterator[None]:
    """Every `write_atomic` in the block writes its temporary file and waits: when the block ends
    they are all renamed into place together (the feeds' state.json first, plan.json last), and when
    it raises (a folder it cannot write, a state.json it cannot read, Ctrl-C) none is: the
    temporary files and the folders made for them go, so a publication is whole or the old one
    stays (not a new plan.json beside old feeds)."""
    stage = _Stage()
    token = _STAGE.set(stage)
    try:
        yield
    except BaseException:
        _undo(stage.files, stage.folders)
        raise
    finally:
        _STAGE.reset(token)
    files = sorted(stage.files, key=lambda pair: {FIRST: -1, LAST: 1}.get(pair[1].name, 0))
    for i, (tmp, path) in enumerate(files):
        try:
            os.replace(tmp, path)
        except BaseException:
            _undo(files[i:], [])
            raise


def _undo(files: list[tuple[Path, Path]], folders: list[Path]) -> None:
    for tmp, _ in files:
        tmp.unlink(missing_ok=True)
    for folder in reversed(folders):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    path = Path(path)
    stage = _STAGE.get()
    if stage is not None:
        stage.folders += reversed([d for d in (path.parent, *path.parent.parents) if not d.exists()])
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # named as the file to write, not as its hidden temporary file
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # published files are for others to read; mkstemp makes them 0600
        if stage is None:
            os.replace(tmp, path)
        else:
            stage.files.append((tmp, path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, payload: Any) -> Path:
    return write_atomic(path, json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
