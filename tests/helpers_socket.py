"""A TCP server on 127.0.0.1 (port 0) for tests that need exact bytes on the socket.

``LoopbackServer`` accepts in a thread and hands each connection, in a thread of its
own, to ``handle``; ``request_heads`` reads a connection's request heads one after the
other (keep-alive) until the client hangs up. The fetcher, deadline, cookie and TLS tests
subclass it with the answers their cases need. ``serve_http`` runs a standard-library
request handler on 127.0.0.1 for the tests that need an ordinary HTTP server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackServer:
    scheme = "http"

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()


def request_heads(conn: socket.socket, bufsize: int = 65536) -> Iterator[bytes]:
    """Each request head read from ``conn``, blank line included, in order; ends when the
    client hangs up or the connection fails."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            try:
                data = conn.recv(bufsize)
            except OSError:
                return
            if not data:
                return
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        yield head + b"\r\n\r\n"


def request_path(head: bytes) -> bytes:
    return head.split(b" ")[1]


@contextlib.contextmanager
def serve_http(handler: Callable[..., Any]) -> Iterator[str]:
    """Serve ``handler`` (a BaseHTTPRequestHandler class or partial) on 127.0.0.1, on a
    free port, in a thread; yields the base URL and shuts the server down after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
