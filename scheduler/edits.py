"""Scenario edits from the command line, shared by every command that reads a scenario:
`--set PATH=VALUE`, `--drop PATH` and `--patch FILE`.

Edits apply to the scenario with every default filled in, so a field the file leaves out
(policy.weights.equity_practice, say) can be set too. A path is dotted; list items are addressed by their id (`cover_providers.ooh.capacity`,
`trainers.t-bls-1.unavailable`), or by position (`calendar.blocks.0.start`). Values are read as
YAML, so `[2027-05-12]` is a list with one date and `120000` a number. A wrong path names the
nearest valid ones.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from models.loading import load_yaml, reading_fix, shown, yaml_problem


class EditError(ValueError):
    pass


def _children(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [str(k) for k in node]
    if isinstance(node, list):
        return [str(item["id"]) if isinstance(item, dict) and "id" in item else str(i) for i, item in enumerate(node)]
    return []


def _step(node: Any, key: str, walked: str) -> tuple[Any, Any]:
    """(container, key in container) for one step of a path."""
    if isinstance(node, dict):
        if key not in node:
            raise _unknown(key, walked, node)
        return node, key
    if isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict) and str(item.get("id")) == key:
                return node, i
        if key.isdigit() and int(key) < len(node):
            return node, int(key)
        raise _unknown(key, walked, node)
    raise EditError(f"{walked or '(document)'} is a single value; it has no field {key!r}")


def _unknown(key: str, walked: str, node: Any) -> EditError:
    options = _children(node)
    near = difflib.get_close_matches(key, options, n=3, cutoff=0.4) or options[:6]
    where = f"{walked}." if walked else ""
    return EditError(f"no {where}{key}; nearest valid: " + ", ".join(f"{where}{o}" for o in near))


def _locate(doc: Any, path: str) -> tuple[Any, Any]:
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise EditError("empty path; write it like cover_providers.ooh.capacity")
    node, walked = doc, ""
    for part in parts[:-1]:
        container, key = _step(node, part, walked)
        node, walked = container[key], f"{walked}.{part}" if walked else part
    last = parts[-1]
    if isinstance(node, dict) and last not in node and _counts(node):
        return node, last  # a new key in a mapping of counts, e.g. headcount of another role
    return _step(node, last, walked)


def _counts(node: dict) -> bool:
    """Mappings of numbers keyed by ids (headcount per role) may gain keys; schema sections may not."""
    return bool(node) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())


def set_value(doc: dict, assignment: str) -> None:
    path, sep, raw = assignment.partition("=")
    if not sep:
        raise EditError(f"--set {assignment!r} has no '='; write PATH=VALUE, e.g. cover_providers.ooh.cost_per_afternoon=3000")
    container, key = _locate(doc, path.strip())
    try:
        container[key] = load_yaml(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise EditError(f"--set {path}: the value {raw!r} is not valid YAML ({problem}); quote text with "
                        "brackets, braces or a colon, and close what you open") from None


def drop(doc: dict, path: str) -> None:
    container, key = _locate(doc, path.strip())
    del container[key]


def apply_edits(doc: dict, sets: tuple[str, ...] = (), drops: tuple[str, ...] = (), patch: str | None = None) -> dict:
    """Apply a patch file first (its `set` mapping and `drop` list), then --set, then --drop."""
    if patch:
        try:
            loaded = load_yaml(Path(patch).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise EditError(f"{patch}: cannot read the patch ({yaml_problem(exc)}); {reading_fix(exc)}") from None
        if not isinstance(loaded, dict) or set(loaded) - {"set", "drop"}:
            raise EditError(f"{patch}: a patch holds 'set' (PATH: VALUE) and 'drop' (list of paths)")
        if not isinstance(loaded.get("set") or {}, dict):
            raise EditError(f"{patch}: 'set' is {type(loaded['set']).__name__}; write it as a mapping, one PATH: VALUE a line")
        if not isinstance(loaded.get("drop") or [], list):
            raise EditError(f"{patch}: 'drop' is {shown(loaded['drop'])}; write it as a list of paths, e.g. [trainers.t-bls-1]")
        for path, value in (loaded.get("set") or {}).items():
            container, key = _locate(doc, str(path))
            container[key] = value
        for path in loaded.get("drop") or []:
            drop(doc, str(path))
    for assignment in sets:
        set_value(doc, assignment)
    for path in drops:
        drop(doc, path)
    return doc
