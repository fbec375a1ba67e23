"""A real HTTP/1.1 server for the test site, on 127.0.0.1 and an OS-chosen port.

Responses are written as raw bytes so the framing is exactly what the site asks for
(gzip, chunked, Content-Length, truncation, resets), and every byte written is recorded
per request, together with the exact request bytes, for tests to compare against WARCs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .faults import FAULT_PATHS, FaultSettings, FaultState, serve_fault
from .model import Page
from .site import PRIVATE_PATH, Site

__all__ = ["TestSite", "RequestLog", "SiteGroup", "start_sites"]

log = logging.getLogger(__name__)

_CHUNK = 1024
_SERVER = "preserve-testsite/1.0"


@dataclass
class RequestLog:
    """One request as received and the response as written, byte for byte.

    ``raw_response`` grows while the response is written (bytes are recorded before
    they reach the socket, so a client that has read them always finds them here).
    For ``/fault/huge`` only the head is kept and ``body_recorded`` is False.
    """

    method: str
    path: str  # the request target: path and query
    headers: list[tuple[str, str]]
    time: float
    raw_request: bytes
    status: int = 0
    body_recorded: bool = True
    complete: bool = False
    _response: bytearray = field(default_factory=bytearray, repr=False)

    @property
    def raw_response(self) -> bytes:
        return bytes(self._response)


class _RecordingReader(io.BufferedIOBase):
    """Keeps the bytes of the current request as the request parser reads them."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        super().__init__()
        self._raw = raw
        self.captured = bytearray()

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1, /) -> bytes:
        data = self._raw.readline(size)
        self.captured += data
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        data = self._raw.read(size)
        self.captured += data
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            try:
                return not q or float(q) > 0
            except ValueError:
                return True
    return False


def _not_modified(handler: BaseHTTPRequestHandler, etag: str, modified: datetime | None) -> bool:
    match = handler.headers.get("If-None-Match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return etag in tags or "*" in tags
    since = handler.headers.get("If-Modified-Since")
    if since and modified:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60.0  # an idle keep-alive connection is dropped after this
    server: _Server
    rfile: _RecordingReader

    def setup(self) -> None:
        super().setup()
        self.rfile = _RecordingReader(self.rfile)
        self.server.owner._opened(self.connection)
        self._entry: RequestLog | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def handle_one_request(self) -> None:
        self.rfile.captured.clear()
        self._entry = None
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve(head_only=False)

    def do_HEAD(self) -> None:
        self._serve(head_only=True)

    def _refuse(self) -> None:
        self._begin()
        body = b"Method not allowed\n"
        self.close_connection = True  # the request body, if any, is not read
        self.send(self.head(405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))]) + body)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _begin(self) -> RequestLog:
        owner = self.server.owner
        entry = RequestLog(self.command, self.path, list(self.headers.items()), owner.clock(),
                           bytes(self.rfile.captured))
        owner._record(entry)
        self._entry = entry
        return entry

    def _serve(self, head_only: bool) -> None:
        entry = self._begin()
        owner = self.server.owner
        try:
            if owner.latency and self.pause(owner.latency):
                self.close_connection = True
                return
            parts = urlsplit(self.path)
            path = parts.path or "/"
            if not serve_fault(self, owner.faults, path, self.path, head_only):
                self._send_page(owner.site.resolve(path, parts.query), head_only)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nothing more to say
        finally:
            entry.complete = True

    def _send_page(self, page: Page, head_only: bool) -> None:
        body = page.body
        headers = [("Content-Type", page.content_type)]
        if page.last_modified:
            headers.append(("Last-Modified", format_datetime(page.last_modified, usegmt=True)))
        zipped = page.gzip and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        if page.gzip:
            headers.append(("Vary", "Accept-Encoding"))
        if page.status == 200:
            digest = hashlib.sha256(body).hexdigest()[:20]
            etag = f'"{digest}-gzip"' if zipped else f'"{digest}"'
            headers.append(("ETag", etag))
            if _not_modified(self, etag, page.last_modified):
                self.send(self.head(304, headers[1:]))
                return
        headers.extend(page.headers)
        if zipped:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        if page.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Content-Length", str(len(body))))
        head = self.head(page.status, headers)
        if head_only:
            self.send(head)
        elif page.chunked:
            self.send(head)
            for start in range(0, len(body), _CHUNK):
                piece = body[start: start + _CHUNK]
                self.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.send(b"0\r\n\r\n")
        else:
            self.send(head + body)

    # The Connection protocol used by the fault endpoints.

    def head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        if self._entry is not None:
            self._entry.status = status
        date = datetime.fromtimestamp(self.server.owner.clock(), UTC)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                 f"Date: {format_datetime(date, usegmt=True)}", f"Server: {_SERVER}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, data: bytes) -> None:
        entry = self._entry
        if entry is not None and entry.body_recorded:
            entry._response += data
        self.wfile.write(data)

    def stop_recording_body(self) -> None:
        if self._entry is not None:
            self._entry.body_recorded = False

    def pause(self, seconds: float) -> bool:
        return self.server.owner._stopping.wait(seconds)

    def reset(self) -> None:
        self.close_connection = True
        self.rfile.close()  # drop the file's reference, so close() below really closes
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: TestSite) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.owner = owner
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("test site: error while serving %s", client_address)


class TestSite:
    """The fictional MEP's archived website, served in a background thread.

    ``latency`` and ``crawl_delay`` are in seconds (the CLI's ``--latency`` takes ms);
    ``weight`` is "light" or "median" (see ``assets.WEIGHTS``); ``broken`` serves a page
    with a 404 image and a link to an endpoint that answers 500 (site.BROKEN_PAGE) until
    ``site.repair()``. Use as a context manager, or call start() and stop().
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        *,
        articles: int = 36,
        latency: float = 0.0,
        crawl_delay: float | None = None,
        faults_linked: bool = False,
        huge_size: int = 200_000_000,
        host: str = "127.0.0.1",
        port: int = 0,
        identity: int = 0,
        slow_delay: float = 5.0,
        fault_failures: int = 2,
        clock: Callable[[], float] = time.time,
        weight: str = "light",
        cms: str | None = None,
        broken: bool = False,
    ) -> None:
        self.site = Site(articles=articles, identity=identity, crawl_delay=crawl_delay,
                         weight=weight, cms=cms, broken=broken)
        self.latency = latency
        self.host = host
        self.port = port
        self.clock = clock
        self.faults_linked = faults_linked
        self.faults = FaultState(FaultSettings(slow_delay, huge_size, fault_failures))
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log: list[RequestLog] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> TestSite:
        if self._server is not None:
            raise RuntimeError("test site already started")
        self._stopping.clear()
        server = _Server((self.host, self.port), self)
        self._server = server
        self.port = int(server.server_address[1])
        self.site.base = self.url
        self.site.fault_paths = FAULT_PATHS if self.faults_linked else ()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"testsite:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping fault handlers and drop open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            for conn in self._connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by its handler
            self._idle.wait_for(lambda: not self._connections, timeout=5.0)
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> TestSite:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            if self._stopping.is_set():  # accepted just before stop(): end it too
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # the client has gone already

    def _closed(self, conn: socket.socket) -> None:
        with self._idle:
            self._connections.discard(conn)
            self._idle.notify_all()

    def _record(self, entry: RequestLog) -> None:
        with self._lock:
            self._log.append(entry)

    @property
    def requests(self) -> list[RequestLog]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def requested_paths(self) -> list[str]:
        return [entry.path for entry in self.requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def peers(self) -> tuple[str, ...]:
        return self.site.peers

    @peers.setter
    def peers(self, urls: Iterable[str]) -> None:
        self.site.peers = tuple(urls)

    def absolute(self, path: str) -> str:
        return self.url.rstrip("/") + path

    def expected_urls(self) -> set[str]:
        """Every URL a complete polite crawl seeded at ``url`` must capture.

        Pages, requisites, robots.txt, sitemaps, the feed and what only they list,
        redirects and their targets, the 404, the calendar's entry page. Not included:
        robots-disallowed URLs, out-of-scope hosts, fault endpoints, further trap pages.
        """
        return {self.absolute(path) for path in self.site.expected_paths()}

    def disallowed_urls(self) -> set[str]:
        return {self.absolute(PRIVATE_PATH)}

    def fault_urls(self) -> set[str]:
        return {self.absolute(path) for path in FAULT_PATHS}

    def is_trap(self, url: str) -> bool:
        """True for this site's endless calendar/events URLs."""
        return url.startswith(self.url) and Site.is_trap("/" + url[len(self.url):])

    def edit_article(self, number: int, new_text: str) -> str:
        """Rewrite article ``number`` (0 is the oldest); returns its URL."""
        return self.absolute(self.site.edit_article(number, new_text).path)

    def remove_article(self, number: int) -> str:
        """Remove article ``number``; its URL (returned) then answers 404."""
        return self.absolute(self.site.remove_article(number).path)

    def add_article(self) -> str:
        """Publish a new newest article; returns its URL."""
        return self.absolute(self.site.add_article().path)

    def article_urls(self) -> list[str]:
        """Current article URLs, oldest first."""
        return [self.absolute(a.path) for a in self.site.articles]


class SiteGroup:
    """Several test sites whose home pages link to each other (multi-host benchmark)."""

    def __init__(self, sites: Sequence[TestSite]) -> None:
        self.sites = list(sites)

    @property
    def urls(self) -> list[str]:
        return [site.url for site in self.sites]

    def expected_urls(self) -> set[str]:
        return set().union(*(site.expected_urls() for site in self.sites))

    def disallowed_urls(self) -> set[str]:
        return set().union(*(site.disallowed_urls() for site in self.sites))

    @property
    def requests(self) -> list[RequestLog]:
        return [entry for site in self.sites for entry in site.requests]

    def stop(self) -> None:
        for site in self.sites:
            site.stop()

    def __enter__(self) -> SiteGroup:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_sites(
    n_hosts: int,
    articles_per_host: int = 36,
    latency: float = 0.0,
    *,
    hosts: Sequence[str] | None = None,
    base_port: int = 0,
    **options: Any,
) -> SiteGroup:
    """Start n sites, each with its own content (identity i) and port.

    ``hosts`` gives each site its own bind address (e.g. 127.0.1.1, 127.0.1.2, ... on
    Linux) for crawlers whose scope ignores ports; by default all share 127.0.0.1.
    ``base_port`` puts site i on base_port + i; 0 lets the OS choose each port.
    Other keyword options go to every TestSite.
    """
    if hosts is not None and len(hosts) < n_hosts:
        raise ValueError("need one host per site")
    group = SiteGroup([])
    try:
        for i in range(n_hosts):
            host = hosts[i] if hosts is not None else "127.0.0.1"
            port = base_port + i if base_port else 0
            site = TestSite(articles=articles_per_host, latency=latency, identity=i, host=host,
                            port=port, **options)
            group.sites.append(site.start())
    except BaseException:
        group.stop()
        raise
    for site in group.sites:
        site.peers = [url for url in group.urls if url != site.url]
    return group
