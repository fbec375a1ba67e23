"""The private parts of other libraries our code still leans on, each checked for the shape
we rely on, so that an upgrade that moves one fails here first, naming who depends on it.

capture/fetcher.py records exact wire bytes through urllib3's connection hooks (no public
API gives them); verify/runner.py stops abandoned workers through ProcessPoolExecutor's
process table. WARC reading (store/reader.py) uses only warcio's public classes, so
warcio has no entry here.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import inspect
import multiprocessing
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from typing import Any

import pytest
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

FETCHER = "preserve/capture/fetcher.py"
RUNNER = "preserve/verify/runner.py"


def _moved(what: str, user: str, why: str) -> str:
    return (f"{what} moved or changed shape (urllib3 {version('urllib3')}); {user} relies "
            f"on it {why}: adapt {user} before upgrading")


def test_urllib3_new_conn_is_the_hook_both_connects_call() -> None:
    for cls in (HTTPConnection, HTTPSConnection):
        hook = getattr(cls, "_new_conn", None)
        assert callable(hook), _moved(f"{cls.__name__}._new_conn", FETCHER,
                                      "to check the peer address of each new socket")
        assert list(inspect.signature(hook).parameters) == ["self"], _moved(
            f"{cls.__name__}._new_conn(self)", FETCHER, "to check the peer address")
        assert "self._new_conn()" in inspect.getsource(cls.connect), _moved(
            f"{cls.__name__}.connect calling self._new_conn()", FETCHER,
            "so that no connection skips the address check")


def test_urllib3_dns_host_is_the_name_connected_to() -> None:
    conn = HTTPConnection("example.org.", 8080)
    assert getattr(conn, "_dns_host", None) == "example.org.", _moved(
        "HTTPConnection._dns_host", FETCHER,
        "to resolve and check the host before any packet is sent")
    assert "self._dns_host" in inspect.getsource(HTTPConnection._new_conn), _moved(
        "HTTPConnection._new_conn connecting to self._dns_host", FETCHER,
        "to check the very name the connection resolves")


class _Pool(HTTPConnectionPool):
    pass


class _TlsPool(HTTPSConnectionPool):
    pass


def test_urllib3_pool_classes_by_scheme_picks_the_pool_class() -> None:
    manager = PoolManager()
    classes = getattr(manager, "pool_classes_by_scheme", None)
    assert isinstance(classes, dict) and set(classes) >= {"http", "https"}, _moved(
        "PoolManager.pool_classes_by_scheme", FETCHER,
        "to make every pool of a session use the recording connection class")
    manager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}
    pool = manager.connection_from_host("example.org", 80, "http")
    assert isinstance(pool, _Pool), _moved(
        "PoolManager creating pools from pool_classes_by_scheme", FETCHER,
        "to make every pool of a session use the recording connection class")
    assert HTTPConnectionPool.ConnectionCls is HTTPConnection, _moved(
        "HTTPConnectionPool.ConnectionCls", FETCHER, "to set the connection class of a pool")
    manager.clear()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


class _Response(http.client.HTTPResponse):
    """As the fetcher's: swaps ``fp`` for a tee and hears ``begin``."""

    def __init__(self, sock: socket.socket, *args: Any, seen: dict[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = _Tee(self.fp, seen)  # type: ignore[assignment]
        self.seen = seen
        seen["response_class"] = True

    def begin(self) -> None:
        super().begin()
        self.seen["begin"] = True


class _Tee:
    def __init__(self, fp: Any, seen: dict[str, Any]) -> None:
        self.fp = fp
        self.seen = seen
        seen["received"] = bytearray()

    def readline(self, limit: int = -1) -> bytes:
        data: bytes = self.fp.readline(limit)
        self.seen["received"] += data
        return data

    def read(self, n: int | None = -1) -> bytes:
        data: bytes = self.fp.read(n)
        self.seen["received"] += data
        return data

    def read1(self, n: int = -1) -> bytes:
        data: bytes = self.fp.read1(n)
        self.seen["received"] += data
        return data

    def readinto(self, buf: Any) -> int:
        n: int = self.fp.readinto(buf)
        self.seen["received"] += bytes(memoryview(buf)[:n])
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fp, name)


def test_urllib3_connection_hooks_see_every_wire_byte(server: http.server.HTTPServer) -> None:
    """The fetcher's recording, in miniature: the request bytes pass through send(), the
    response is built by response_class and read through its ``fp``."""
    seen: dict[str, Any] = {"sent": bytearray()}

    class Conn(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            seen["dns_host"] = self._dns_host
            sock: socket.socket = super()._new_conn()
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            self.response_class = functools.partial(  # type: ignore[assignment]
                _Response, seen=seen)
            super().request(*args, **kwargs)

        def send(self, data: Any) -> None:
            seen["sent"] += data
            super().send(data)

    pool = HTTPConnectionPool("127.0.0.1", server.server_address[1])
    pool.ConnectionCls = Conn
    response = pool.urlopen("GET", "/x", headers={"X-Test": "1"}, preload_content=False,
                            retries=False)
    body = response.read(decode_content=False)
    response.release_conn()
    pool.close()
    assert body == b"hello"
    assert seen.get("dns_host") == "127.0.0.1", _moved(
        "HTTPConnection._new_conn / _dns_host", FETCHER, "to check the peer address")
    assert bytes(seen["sent"]).startswith(b"GET /x HTTP/1.1\r\n") and bytes(
        seen["sent"]).endswith(b"\r\n\r\n") and b"X-Test: 1\r\n" in seen["sent"], _moved(
        "HTTPConnection.send receiving the request head", FETCHER,
        "to record the request bytes exactly as sent")
    assert seen.get("response_class") and seen.get("begin"), _moved(
        "http.client's response_class / HTTPResponse.begin", FETCHER,
        "to tee the response bytes off the socket")
    received = bytes(seen["received"])
    assert received.startswith(b"HTTP/1.0 200 OK\r\n") and received.endswith(
        b"\r\n\r\nhello"), _moved(
        "HTTPResponse reading status, headers and body through self.fp", FETCHER,
        "to record the response bytes exactly as they came")


def test_process_pool_keeps_its_processes_by_pid() -> None:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pid = pool.submit(os.getpid).result()
        processes = getattr(pool, "_processes", None)
        message = (f"ProcessPoolExecutor._processes moved or changed shape; {RUNNER} relies "
                   "on it to stop the workers still reading when a --budget deadline "
                   "abandons them: adapt it before upgrading Python")
        assert isinstance(processes, dict), message
        assert pid in processes and callable(getattr(processes[pid], "terminate", None)), (
            message)
