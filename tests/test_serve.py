"""The feed server over loopback: token URLs, 404 for everything else, ETag and 304, and many
concurrent subscribers."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from models import Scenario
from scheduler.cli import main
from scheduler.ical import export_feeds
from scheduler.serve import feed_tokens, make_server
from solvers.base import SolveOptions, get_solver


@pytest.fixture(scope="module")
def published(norwich: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published")
    export_feeds(norwich, get_solver("greedy").solve(norwich, SolveOptions()), out)
    return out


@pytest.fixture(scope="module")
def base_url(published: Path) -> Iterator[str]:
    server = make_server(published, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, b"", dict(err.headers)


def test_the_right_token_gets_the_feed(published: Path, base_url: str) -> None:
    token = feed_tokens(published)["cover/ooh.ics"]
    status, body, headers = _get(f"{base_url}/{token}.ics")
    assert status == 200
    assert body == (published / "feeds" / "cover" / "ooh.ics").read_bytes()
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["ETag"] and headers["Last-Modified"]


def test_tokens_are_kept_between_runs(published: Path) -> None:
    assert feed_tokens(published) == feed_tokens(published)


@pytest.mark.parametrize("path", ["/", "/wrongtoken.ics", "/../feeds/master.ics", "/feeds/master.ics",
                                  "/%2e%2e/%2e%2e/etc/passwd", "/tokens.json", "/cover/ooh.ics"])
def test_anything_else_is_404(base_url: str, path: str) -> None:
    assert _get(base_url + path)[0] == 404


def test_matching_etag_gets_304_and_a_stale_one_200(published: Path, base_url: str) -> None:
    url = f"{base_url}/{feed_tokens(published)['master.ics']}.ics"
    etag = _get(url)[2]["ETag"]
    assert _get(url, {"If-None-Match": etag})[0] == 304
    assert _get(url, {"If-None-Match": '"stale"'})[0] == 200


def test_200_concurrent_requests_all_succeed(published: Path, base_url: str) -> None:
    urls = [f"{base_url}/{token}.ics" for token in feed_tokens(published).values()]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda i: _get(urls[i % len(urls)])[0], range(200)))
    assert statuses == [200] * 200


def test_list_urls_names_every_feed(published: Path) -> None:
    result = CliRunner().invoke(main, ["serve", str(published), "--list-urls", "--port", "9000"])
    assert result.exit_code == 0
    tokens = feed_tokens(published)
    for feed, token in tokens.items():
        assert f"http://127.0.0.1:9000/{token}.ics" in result.output and feed in result.output


def test_a_trainer_with_nothing_yet_gets_a_url_that_a_later_plan_keeps(
        norwich: Scenario, tmp_path: Path) -> None:
    """A trainer the plan gave nothing had no feed, so no URL to subscribe to ahead of time; now
    the URL is listed, and the publication that gives them a run serves it at the same URL."""
    extended = norwich.model_copy(deep=True)
    extended.trainers.append(norwich.trainers[0].model_copy(update={"id": "t-new", "name": "New BLS instructor"}))
    plan = get_solver("greedy").solve(norwich, SolveOptions())
    export_feeds(extended, plan, tmp_path)
    listed = CliRunner().invoke(main, ["serve", str(tmp_path), "--list-urls"])
    assert listed.exit_code == 0
    token = feed_tokens(tmp_path)["trainers/t-new.ics"]
    assert "trainers/t-new.ics" in listed.output and f"/{token}.ics" in listed.output
    given = plan.model_copy(deep=True)
    next(r for r in given.runs if r.course == "bls").trainer = "t-new"
    export_feeds(extended, given, tmp_path)
    assert feed_tokens(tmp_path)["trainers/t-new.ics"] == token
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, body, _ = _get(f"http://127.0.0.1:{server.server_address[1]}/{token}.ics")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200 and body.count(b"BEGIN:VEVENT") == 1 and b"STATUS:CONFIRMED" in body
