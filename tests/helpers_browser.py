"""Helpers for the tests that replay in a real browser: ReplayWeb.page in Debian's Chromium.

``scripts/browser/setup.sh`` installs what is missing (Debian's ``chromium`` package and
ReplayWeb.page's static viewer, the pinned ``replaywebpage`` npm package, unpacked under
``build/browser/``); a test skips, saying why, only where that cannot be done. The viewer
and the WACZ are served from 127.0.0.1 by ``RangeServer``, which answers HTTP range
requests: ReplayWeb.page reads a WACZ's central directory, index blocks and records by
range, never the whole file.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SETUP = REPO / "scripts" / "browser" / "setup.sh"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections (component updates,
# sync, QUIC probes) compete with the test's and are refused many at a time.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync")

_TYPES = {".html": "text/html; charset=utf-8", ".js": "application/javascript",
          ".wacz": "application/wacz+zip"}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def viewer_dir() -> Path:
    """Where ReplayWeb.page's ``ui.js`` and ``sw.js`` are, installing what is missing;
    skips the test with the reason when Chromium or the viewer cannot be had."""
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        pytest.skip(f"scripts/browser/setup.sh could not install Chromium or the viewer: {reason}")
    return Path(done.stdout.strip().splitlines()[-1])


def viewer_page(source: str, url: str) -> bytes:
    """ReplayWeb.page's embed, as its embedding guide gives it, opening ``url`` in ``source``."""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>replay</title><script src="/ui.js"></script></head>
<body style="margin:0;height:100vh">
<replay-web-page source="{source}" url="{url}" replayBase="/replay/"
  style="display:block;height:100vh"></replay-web-page>
</body></html>
""".encode()


class RangeServer:
    """Serves fixed paths (``/ui.js``, ``/replay/sw.js``, ``/coll.wacz``...) from files or
    bytes on 127.0.0.1, answering single ``Range: bytes=a-b`` requests with 206.

    ``ranges`` records each ranged request as (path, first byte, length), so a test can
    tell that the WACZ was read by ranges."""

    def __init__(self, routes: dict[str, Path | bytes]) -> None:
        self.routes = routes
        self.ranges: list[tuple[str, int, int]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RangeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                path = self.path.split("?", 1)[0]
                found = server.routes.get(path)
                if found is None:
                    self.send_error(404)
                    return
                size = len(found) if isinstance(found, bytes) else found.stat().st_size
                start, end = 0, size
                m = _RANGE.match(self.headers.get("Range", ""))
                if m and (m[1] or m[2]):
                    if m[1]:
                        start = int(m[1])
                        end = min(int(m[2]) + 1, size) if m[2] else size
                    else:  # the last N bytes
                        start = max(size - int(m[2]), 0)
                    if start >= size:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{size}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    server.ranges.append((path, start, end - start))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
                else:
                    self.send_response(200)
                suffix = Path(path).suffix or ".html"
                self.send_header("Content-Type", _TYPES.get(suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(end - start))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if body:
                    self.wfile.write(_read(found, start, end))

        return Handler


def _read(found: Path | bytes, start: int, end: int) -> bytes:
    if isinstance(found, bytes):
        return found[start:end]
    with open(found, "rb") as f:
        f.seek(start)
        return f.read(end - start)


@contextmanager
def replay_server(viewer: Path, wacz: Path, url: str) -> Iterator[RangeServer]:
    """The viewer page opening ``url``, ReplayWeb.page's scripts and the WACZ, served."""
    ui, sw = viewer / "ui.js", viewer / "sw.js"
    routes: dict[str, Path | bytes] = {
        "/": viewer_page("/coll.wacz", url), "/index.html": viewer_page("/coll.wacz", url),
        "/ui.js": ui, "/replay/ui.js": ui, "/replay/sw.js": sw, "/coll.wacz": wacz}
    with RangeServer(routes) as server:
        yield server
