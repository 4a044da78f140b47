"""Reading scenarios from YAML or JSON, and error messages a coordinator can act on.

Every failure becomes a `ScenarioError` that names the file and lists one line per problem:
the field path (list items shown with their id), the offending value, what is wrong and how
to fix it. The CLI prints these and exits with code 2; nothing here prints or exits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .consistency import ScenarioInconsistent, shown
from .scenario import Scenario


# libyaml's loader when PyYAML was built with it: 15 s -> about 1 s for a 6,300-practice area.
# Same resolvers as yaml.SafeLoader (an unquoted 13:00 is still read as 780 and taken back).
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """An unquoted date that is no date (2027-02-30) stays text, so that validation names the
    field and the value; PyYAML's own reader raised a bare ValueError."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_YAML_LOADER = _Loader


def load_yaml(text: str) -> Any:
    """YAML as scenarios, edits, patches and grids read it (safe; impossible dates kept as text)."""
    return yaml.load(text, Loader=_YAML_LOADER)


def yaml_problem(exc: Exception, what_it_is: str = "") -> str:
    """Where and what a YAML error is: 'line 2, column 1: WHAT_IT_IS (did not find ...)', with
    where the item PyYAML was reading began when that is an earlier line: a key without its colon
    is found wanting only on the next line."""
    mark, began = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if mark and began and began.line < mark.line:
        where += f" (in the item from line {began.line + 1}, column {began.column + 1})"
    where += ": " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}{what_it_is} ({problem})" if what_it_is else where + problem


def reading_fix(exc: Exception) -> str:
    """The fix for a YAML file that could not be read, by what went wrong."""
    if isinstance(exc, UnicodeDecodeError):
        return "save it as UTF-8"
    if isinstance(exc, OSError):
        return "check the path and the permission to read it"
    return "check indentation and quotes"


_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or correct its spelling",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "float_parsing": "give a number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_from_datetime_inexact": "write the date as YYYY-MM-DD, without a time",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "time_parsing": "write the time as 'HH:MM' in quotes",
    "time_type": "write the time as 'HH:MM' in quotes",
    "string_type": "write it as text",
    "list_type": "give a list",
    "dict_type": "give a mapping of names to values",
    "model_type": "give a mapping of fields",
    "string_pattern_mismatch": "use letters, digits, '-', '_' or '.' (ODS codes: capitals and digits)",
    "too_short": "give at least one item",
    "greater_than_equal": "raise the value",
    "greater_than": "raise the value",
    "less_than_equal": "lower the value",
    "enum": "use one of the listed values",
    "literal_error": "use one of the listed values",
}


def _fix(kind: str, value: Any) -> str | None:
    """The fix for one kind of error; a single value where a list belongs is shown in brackets."""
    if kind == "list_type" and value is None:
        return "give a list: write [] for none"
    if kind == "list_type" and isinstance(value, str) and "," in value:  # items written without the brackets
        return f"give a list: write [{', '.join(item.strip() for item in value.split(','))}]"
    if kind == "list_type" and isinstance(value, str | int | float | dt.date | dt.time) and not isinstance(value, bool):
        return f"give a list: write [{shown(value)}]"
    return _FIXES.get(kind)


class ScenarioError(Exception):
    """A scenario file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.source}: the scenario is not valid ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def _path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted field path; list items carry their id when they have one: practices[3](D82008)."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and 0 <= key < len(node):
                node = node[key]
                if isinstance(node, dict) and "id" in node:
                    label += f"({node['id']})"
            else:
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(document)"


_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def _labelled(path: str, data: Any) -> str:
    """A cross-check path such as courses[3].skill, with ids added as in field paths."""
    loc = tuple(int(index) if index else key for index, key in _STEP.findall(path))
    return _path(loc, data)


def _describe(err: dict[str, Any], data: Any) -> list[str]:
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, ScenarioInconsistent):
        return [f"{_labelled(p.path, data)} = {shown(p.value)}: {p.message}" for p in cause.problems]
    message = err["msg"].removeprefix("Value error, ")
    fix = _fix(err["type"], err.get("input"))
    text = f"{_path(loc, data)}: {message}"
    if err["type"] != "missing" and not isinstance(err["input"], dict):
        text = f"{_path(loc, data)} = {shown(err['input'])}: {message}"
    return [f"{text}; {fix}" if fix else text]


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    if data is None:
        raise ScenarioError(source, ["the file is empty; start with 'name:' and 'period:' (see examples/norwich)"])
    if not isinstance(data, dict):
        what = {"str": "plain text", "list": "a list", "int": "a number", "float": "a number",
                "bool": "true or false"}.get(type(data).__name__, f"a {type(data).__name__}")
        problem = (f"the document is {what}, not a mapping of fields (a table of practices is not a scenario); "
                   "give the scenario YAML, which starts with 'name:' and 'period:' (see examples/norwich)")
        raise ScenarioError(source, [problem])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [line for err in exc.errors() for line in _describe(err, data)]
        raise ScenarioError(source, problems) from None


def read_document(path: str | Path) -> Any:
    """YAML or JSON (by extension; YAML otherwise, which also reads JSON)."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(str(path), ["the file does not exist; check the path"])
    if path.is_dir():
        candidate = path / "scenario.yaml"
        if candidate.exists():
            return read_document(candidate)
        raise ScenarioError(str(path), ["this is a folder without scenario.yaml; give the scenario file"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read the file ({exc}); save it as UTF-8 text"]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return load_yaml(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(str(path), [f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [f"{yaml_problem(exc, 'not valid YAML')}; check indentation and quotes"]) from None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    source = str(path / "scenario.yaml") if path.is_dir() else str(path)
    return parse_scenario(read_document(path), source)


def dump_scenario(scenario: Scenario) -> dict[str, Any]:
    """JSON-ready mapping that `parse_scenario` reads back to an equal scenario."""
    return scenario.model_dump(mode="json", exclude_defaults=False)
