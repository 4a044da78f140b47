"""A small HTTP server for the feeds: each subscriber's feed at an unguessable token URL.

Tokens are made once per feed (secrets.token_urlsafe) and kept in DIR/feeds/tokens.json, so
URLs survive re-publishing. Only `/<token>.ics` answers; anything else is 404 (no listings, no
paths from the request ever reach the file system). Responses carry ETag and Last-Modified,
and a matching If-None-Match gets 304. Built on the standard library's ThreadingHTTPServer.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .io import inside, write_atomic


def feed_tokens(out_dir: str | Path) -> dict[str, str]:
    """feed path (relative to DIR/feeds) -> token; new feeds get a token, old ones keep theirs."""
    feeds = Path(out_dir) / "feeds"
    store = feeds / "tokens.json"
    tokens: dict[str, str] = _read_tokens(store) if store.exists() else {}
    changed = False
    for path in sorted(feeds.rglob("*.ics")):
        key = path.relative_to(feeds).as_posix()
        if key not in tokens:
            tokens[key] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        write_atomic(store, json.dumps(tokens, indent=1, sort_keys=True) + "\n")
    return tokens


class TokensError(ValueError):
    """feeds/tokens.json is not the token store serve wrote."""


def _read_tokens(store: Path) -> dict[str, str]:
    try:
        tokens = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        tokens = exc
    if not isinstance(tokens, dict) or not all(inside(store.parent, k) and isinstance(v, str) for k, v in tokens.items()):
        raise TokensError(f"{store}: not serve's feed tokens (a JSON object of feed path inside feeds/ -> token); "
                          "restore it, "
                          "or delete it to give every feed a new URL (subscribers must then subscribe again)")
    return tokens


def make_server(out_dir: str | Path, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    feeds = Path(out_dir).resolve() / "feeds"
    by_token = {token: feeds / key for key, token in feed_tokens(out_dir).items()}

    class FeedHandler(BaseHTTPRequestHandler):
        server_version = "plt-scheduler"

        def do_GET(self) -> None:
            self.answer(body=True)

        def do_HEAD(self) -> None:
            self.answer(body=False)

        def answer(self, body: bool) -> None:
            path = self.path.split("?", 1)[0]
            token = path[1:-4] if path.startswith("/") and path.endswith(".ics") else ""
            file = by_token.get(token)
            if file is None or not file.is_file():
                self.send_error(HTTPStatus.NOT_FOUND, "Not found")
                return
            data = file.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            modified = email.utils.formatdate(file.stat().st_mtime, usegmt=True)
            if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Cache-Control", "max-age=300")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet: tokens are secrets
            return

    server = ThreadingHTTPServer((host, port), FeedHandler)
    server.daemon_threads = True
    return server
