"""Real calendar clients read the feeds: ical.js (Thunderbird's parser, run with node) and a
Radicale CalDAV server started on 127.0.0.1 by the test, fed through the caldav client.

`.ci/run` installs node's ical.js (tests/js) and the Python packages; outside CI a missing node
or ical.js skips the ical.js test instead of failing it.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

from models import Scenario
from scheduler.ical import export_feeds
from solvers.base import SolveOptions, get_solver

JS = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def feeds(norwich: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clients")
    plan = get_solver("greedy").solve(norwich, SolveOptions())
    plan.solver.finished = dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)
    export_feeds(norwich, plan, out)
    return out / "feeds"


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must install it: see .ci/run)")
        pytest.skip(reason)


def test_ical_js_reads_every_feed_with_the_right_times(feeds: Path) -> None:
    node = shutil.which("node")
    _need(node is not None and (JS / "node_modules" / "ical.js").is_dir(), "node with ical.js is not installed")
    files = sorted(str(p) for p in feeds.rglob("*.ics"))
    done = subprocess.run([node, str(JS / "parse_feeds.cjs"), *files], capture_output=True, text=True,
                          timeout=120, check=True)
    parsed = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(parsed) == len(files)
    for result in parsed:
        expected = list(icalendar.Calendar.from_ical(Path(result["file"]).read_bytes()).walk("VEVENT"))
        assert result["count"] == len(expected)
        by_uid = {str(e["UID"]): e for e in expected}
        for event in result["events"]:
            start = by_uid[event["uid"]].decoded("DTSTART")
            assert event["tzid"] == "Europe/London"
            assert dt.datetime.fromisoformat(event["utc"]) == start.astimezone(dt.UTC)
            assert event["local"].startswith(start.strftime("%Y-%m-%dT%H:%M"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need(importlib.util.find_spec("radicale") is not None, "radicale is not installed")
    root = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    config = root / "config"
    config.write_text(f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n"
                      f"[storage]\nfilesystem_folder = {root / 'collections'}\n")
    log = (root / "radicale.log").open("w")  # a file, not a pipe: an unread pipe fills and stalls it
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                            stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_radicale_accepts_every_event(feeds: Path, radicale: str) -> None:
    _need(importlib.util.find_spec("caldav") is not None, "caldav is not installed")
    import caldav

    client = caldav.DAVClient(url=radicale, username="plt", password="plt")
    principal = client.principal()
    calendar = principal.make_calendar(name="plt-master")
    master = icalendar.Calendar.from_ical((feeds / "master.ics").read_bytes())
    timezones = list(master.walk("VTIMEZONE"))
    events: dict[str, icalendar.Event] = {}  # every event of every feed, once
    for path in sorted(feeds.rglob("*.ics")):
        for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
            events[str(event["UID"])] = event
    for event in events.values():
        single = icalendar.Calendar()
        single.add("prodid", "-//PLT Scheduler//tests//EN")
        single.add("version", "2.0")
        for tz in timezones:
            single.add_component(tz)
        single.add_component(event)
        calendar.save_event(single.to_ical().decode())
    stored = calendar.events()
    assert len(stored) == len(events)
    uids = {str(icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["UID"]) for e in stored}
    assert uids == set(events)
