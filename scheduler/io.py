"""File output: every file is written to a temporary name beside it and renamed into place,
so a reader never sees half a file and a failed run leaves the old output untouched."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def inside(folder: Path, name: str) -> bool:
    """Whether FOLDER/NAME stays inside FOLDER (names read from plans, state.json and
    tokens.json are never trusted to: '../x' would reach outside it)."""
    return isinstance(name, str) and (folder / name).resolve().is_relative_to(folder.resolve())


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # published files are for others to read; mkstemp makes them 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, payload: Any) -> Path:
    return write_atomic(path, json.dumps(payload, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
