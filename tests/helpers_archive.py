"""A web archive on 127.0.0.1 that answers as the Internet Archive's Wayback Machine does.

Its CDX server (``/cdx/search/cdx``) answers JSON with a header row and pages by resume
key (``page_size`` rows a page, then ``[]`` and ``[resumeKey]``); its raw mementos
(``/web/{ts}id_/{url}``) carry the original headers as ``X-Archive-Orig-*`` with the
archive's own Date, Server and Cache-Control, a Location rewritten into the archive, and
Memento-Datetime; a timestamp it holds no capture at is a 302 to the nearest capture
without Memento-Datetime; a URL listed in ``throttle`` gets one 429 without Retry-After;
``/web/timemap/link/{url}`` is a Memento TimeMap. With ``cdx=False`` the CDX server
answers 404, as an archive that speaks only Memento.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Memento:
    original: str
    timestamp: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    listed_at: str | None = None  # the timestamp the CDX lists (if not its own)
    served: bool = True  # False: listed, but the archive answers 404

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass
class FakeArchive:
    mementos: list[Memento]
    page_size: int = 2
    malformed: bool = True  # one row of the wrong length on the first page
    cdx: bool = True
    fail_after: int | None = None  # the page of CDX rows from this row on answers 503
    throttle: set[str] = field(default_factory=set)  # originals answered 429 once
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeArchive:
        archive = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                archive.requests.append(self.path)
                archive.answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    # -- answers ------------------------------------------------------------------

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path.startswith("/cdx/search/cdx") and self.cdx:
            self._cdx(h, parse_qs(urlsplit(path).query))
        elif path.startswith("/web/timemap/link/"):
            self._timemap(h, path.removeprefix("/web/timemap/link/"))
        elif path.startswith("/web/") and "id_/" in path:
            stamp, _, original = path.removeprefix("/web/").partition("id_/")
            self._memento(h, stamp, original)
        else:
            self._send(h, 404, [("Content-Type", "text/plain")], b"not found")

    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]],
              body: bytes) -> None:
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _cdx(self, h: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        prefix = query["url"][0]
        rows: list[list[str]] = []
        for m in self.mementos:
            if m.original.startswith(prefix):
                mime = next((v for k, v in m.headers if k.lower() == "content-type"), "")
                rows.append([m.original.split("//", 1)[1], m.listed_at or m.timestamp,
                             m.original, mime.split(";")[0], str(m.status), m.digest,
                             str(len(m.body))])
        if self.malformed:
            rows.insert(1, ["broken-row", "2019"])
        start = int(query.get("resumeKey", ["0"])[0])
        if self.fail_after is not None and start >= self.fail_after:
            self._send(h, 503, [("Content-Type", "text/plain")], b"Service Unavailable")
            return
        page = rows[start:start + self.page_size]
        out: list[list[str]] = [["urlkey", "timestamp", "original", "mimetype", "statuscode",
                                 "digest", "length"], *page]
        if start + self.page_size < len(rows):
            out += [[], [str(start + self.page_size)]]
        self._send(h, 200, [("Content-Type", "application/json")], json.dumps(out).encode())

    def _timemap(self, h: BaseHTTPRequestHandler, original: str) -> None:
        lines = [f'<{original}>; rel="original"']
        for m in self.mementos:
            if m.original == original:
                lines.append(f'<{self.base}/web/{m.timestamp}/{m.original}>; rel="memento"; '
                             f'datetime="{format_datetime(m.when, usegmt=True)}"')
        self._send(h, 200, [("Content-Type", "application/link-format")],
                   ",\n".join(lines).encode())

    def _memento(self, h: BaseHTTPRequestHandler, stamp: str, original: str) -> None:
        own = [("Server", "nginx"), ("Date", "Mon, 07 Dec 2026 00:00:00 GMT"),
               ("Cache-Control", "max-age=1800")]
        if original in self.throttle:
            self.throttle.discard(original)
            self._send(h, 429, [*own, ("Content-Type", "text/html")], b"Too Many Requests")
            return
        same = [m for m in self.mementos if m.original == original]
        exact = next((m for m in same if m.timestamp == stamp), None)
        if exact is None or not exact.served:
            if same and exact is None:
                nearest = same[0]
                self._send(h, 302, [*own, ("Location", f"{self.base}/web/{nearest.timestamp}"
                                               f"id_/{original}")], b"")
            else:
                self._send(h, 404, [*own, ("Content-Type", "text/html")], b"Not in archive")
            return
        headers = list(own)
        for k, v in exact.headers:
            if k.lower() in ("content-type", "content-encoding"):
                headers.append((k, v))
            elif k.lower() == "location":
                headers.append((k, f"{self.base}/web/{exact.timestamp}id_/{v}"))
            else:
                headers.append((f"X-Archive-Orig-{k}", v))
        headers.append(("Memento-Datetime", format_datetime(exact.when, usegmt=True)))
        headers.append(("Link", f'<{original}>; rel="original"'))
        self._send(h, exact.status, headers, exact.body)
