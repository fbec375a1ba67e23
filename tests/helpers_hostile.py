"""A hostile HTTP server for the crawl tests: raw sockets, exact bytes, one path per case.

``HostileServer`` listens on 127.0.0.1, port 0, and answers each request with the bytes a
route returns, written to the socket as they are: no HTTP library sits between a case
and the wire, so a case can send what no well-behaved server would (a robots.txt
``Crawl-delay`` of a day, a sitemap index that lists itself, a session id in every link).
Every request is logged with its raw target, so a test can count what the crawler asked.

A route is keyed by the path of the request target, without its query and without
``;``-parameters (``/page;jsessionid=X?a=1`` is routed to ``/page``); it is either fixed
bytes, ``Reset`` bytes (sent, then the connection reset: a TCP RST, not a FIN), or a
function of the request returning either. Unrouted paths answer 404. Connections are
closed after each response.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

__all__ = ["HostileRequest", "HostileServer", "Reset", "Route", "response", "html"]


@dataclass(frozen=True)
class HostileRequest:
    method: str
    target: str  # as sent: path, ;params and ?query
    head: bytes  # the request line and headers, exactly as received
    time: float  # monotonic, on arrival

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0].split(";", 1)[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


class Reset(bytes):
    """Bytes to send before resetting the connection (SO_LINGER 0, then close)."""


Route = bytes | Callable[[HostileRequest], bytes]


def response(status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
             headers: tuple[tuple[str, str], ...] = (), reason: str = "X") -> bytes:
    """A whole HTTP/1.1 response with Content-Length and ``Connection: close``."""
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def html(title: str, *links: str) -> bytes:
    """A small HTML 200 response linking to ``links``."""
    anchors = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    body = (f"<!doctype html><html><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><ul>{anchors}</ul></body></html>").encode()
    return response(200, body)


_NOT_FOUND = response(404, b"<!doctype html><title>Not found</title>")
_MAX_HEAD = 65536


class HostileServer:
    """``with HostileServer(routes) as server:`` serves ``server.url`` until the block ends."""

    def __init__(self, routes: Mapping[str, Route], latency: float = 0.0) -> None:
        self.routes = dict(routes)
        self.latency = latency  # seconds between a request's arrival and its answer
        self.requests: list[HostileRequest] = []
        self._in_flight: list[str] = []  # targets received and not yet answered
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def in_flight(self) -> list[str]:
        """The targets of the requests received and not yet answered."""
        with self._lock:
            return list(self._in_flight)

    def count(self, path: str) -> int:
        """How many requests were routed to ``path``."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def __enter__(self) -> HostileServer:
        accept = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
            except OSError:
                return
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, _, rest = line.partition(" ")
            target = rest.rpartition(" ")[0] or rest
            request = HostileRequest(method, target, head.partition(b"\r\n\r\n")[0],
                                     time.monotonic())
            with self._lock:
                self.requests.append(request)
                self._in_flight.append(target)
            try:
                if self.latency:
                    time.sleep(self.latency)
                route = self.routes.get(request.path, _NOT_FOUND)
                data = route(request) if callable(route) else route
                conn.sendall(data)
                if isinstance(data, Reset):
                    time.sleep(0.05)  # let the bytes go out before the RST overtakes them
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                    return  # closing now sends the RST
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                return
            finally:
                with self._lock:
                    self._in_flight.remove(target)
