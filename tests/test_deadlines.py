"""A fetch ends by its deadline however slowly a server trickles (issue #13).

A raw socket server on 127.0.0.1 writes exact bytes, slowly: each byte comes well within
the per-read timeout, so only the wall-clock deadline of the whole fetch can stop it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl, jsonl, read_warc, tool
from helpers_socket import LoopbackServer, request_heads, request_path
from preserve.capture.addresses import AddressPolicy
from preserve.capture.fetcher import FetchLimits, HttpFetcher
from preserve.web.exchange import Exchange, FetchFailure

pytestmark = pytest.mark.slow  # each case waits out a real deadline

CAP = 2.0  # the fetch deadline in these tests, in seconds
SLACK = 5.0  # scheduling, set-up and teardown on a busy machine; still under the 10 s timeout

Send = Callable[[bytes], None]
Pause = Callable[[float], None]


def _trickle_body(send: Send, pause: Pause) -> None:
    send(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Length: 2000000000\r\n\r\n")
    while True:
        send(b"x")
        pause(0.1)


def _trickle_chunks(send: Send, pause: Pause) -> None:
    send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
    while True:
        send(b"1\r\n<\r\n")
        pause(0.1)


def _trickle_header(send: Send, pause: Pause) -> None:
    send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ")
    while True:
        send(b"a")
        pause(0.3)


def _trickle_status(send: Send, pause: Pause) -> None:
    for byte in b"HTTP/1.1 200 OK\r\n" * 100:
        send(bytes([byte]))
        pause(0.3)


def _endless_continue(send: Send, pause: Pause) -> None:
    while True:
        send(b"HTTP/1.1 100 Continue\r\n\r\n")
        pause(0.2)


def _silent(send: Send, pause: Pause) -> None:
    pause(30)


def _page(send: Send, pause: Pause) -> None:
    links = "".join(f'<a href="{p}">{p}</a>' for p in CASES if p != "/")
    body = f"<html><head><title>seed</title></head><body>{links}</body></html>".encode()
    send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def _not_found(send: Send, pause: Pause) -> None:
    send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


CASES: dict[str, Callable[[Send, Pause], None]] = {
    "/": _page,
    "/robots.txt": _not_found,
    "/trickle-body": _trickle_body,
    "/trickle-chunks": _trickle_chunks,
    "/trickle-header": _trickle_header,
    "/trickle-status": _trickle_status,
    "/continue": _endless_continue,
    "/silent": _silent,
}


class TrickleServer(LoopbackServer):
    """One thread per connection; each answer ends when the client hangs up."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            head = next(request_heads(conn), None)
            if head is None:
                return
            path = request_path(head).decode()

            def pause(seconds: float) -> None:
                if self.stop.wait(seconds):
                    raise OSError("server stopped")

            try:
                CASES.get(path, _not_found)(conn.sendall, pause)
            except OSError:
                return  # the client hung up: the deadline did its job

    def close(self) -> None:
        self.stop.set()
        super().close()


@pytest.fixture
def server() -> Iterator[TrickleServer]:
    s = TrickleServer()
    yield s
    s.close()


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    f = HttpFetcher("preserve-test/1", policy=AddressPolicy({"127.0.0.1"}),
                    limits=FetchLimits(timeout=10, max_time=CAP))
    yield f
    f.close()


@pytest.mark.parametrize("path", ["/trickle-body", "/trickle-chunks"])
def test_a_trickled_body_is_cut_at_the_deadline_and_kept(
    server: TrickleServer, fetcher: HttpFetcher, path: str
) -> None:
    started = time.monotonic()
    result = fetcher.fetch(server.url(path))
    elapsed = time.monotonic() - started
    assert isinstance(result, Exchange), result
    try:
        assert CAP - 0.2 <= elapsed < CAP + SLACK
        assert result.truncated == "time"
        assert result.status == 200
        assert result.entity is None  # a cut body is not parsed for links
        received = b"".join(result.response.chunks())
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")
        assert result.response.payload_length >= 5  # what arrived is kept, byte for byte
    finally:
        result.close()


@pytest.mark.parametrize("path", ["/trickle-header", "/trickle-status", "/continue",
                                  "/silent"])
def test_a_response_header_never_finished_fails_at_the_deadline_without_retry(
    server: TrickleServer, fetcher: HttpFetcher, path: str
) -> None:
    started = time.monotonic()
    result = fetcher.fetch(server.url(path))
    elapsed = time.monotonic() - started
    assert isinstance(result, FetchFailure), result
    assert CAP - 0.2 <= elapsed < CAP + SLACK
    assert result.kind == "deadline"
    assert "no complete response header within the 2s fetch deadline" in result.message
    assert not result.transient  # the same server would hold the next attempt as long


def test_a_tls_handshake_never_answered_ends_by_the_deadline(
    server: TrickleServer, fetcher: HttpFetcher
) -> None:
    started = time.monotonic()
    result = fetcher.fetch(f"https://127.0.0.1:{server.port}/")  # it never says hello
    elapsed = time.monotonic() - started
    assert isinstance(result, FetchFailure), result
    assert elapsed < CAP + SLACK  # the connect timeout is cut to the time left
    assert result.kind == "timeout"


def test_the_fetcher_works_on_after_a_deadline(server: TrickleServer,
                                               fetcher: HttpFetcher) -> None:
    for path in ["/trickle-body", "/", "/continue", "/"]:
        result = fetcher.fetch(server.url(path))
        if path == "/":
            assert isinstance(result, Exchange) and result.truncated is None
            assert result.entity is not None and b"<title>seed</title>" in result.entity
        if isinstance(result, Exchange):
            result.close()


def test_a_crawl_of_trickling_servers_ends_in_time_and_verifies(
    server: TrickleServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    coll, summary = crawl(tmp_path / "c", (server.url("/"),), max_fetch_time=CAP,
                          concurrency=4, retries=3)
    elapsed = time.monotonic() - started
    # Six slow URLs, four at a time (one host, so one at a time: politeness), no retries.
    assert elapsed < 6 * (CAP + SLACK), elapsed
    log = {e["url"].removeprefix(server.url("")): e for e in
           jsonl(coll.crawl_log_path(summary.crawl))}
    assert not [e for e in log.values() if e["outcome"] == "retry"]
    for path in ("/trickle-body", "/trickle-chunks"):
        assert log[path]["outcome"] == "captured"
        assert log[path]["truncated"] == "time"
    for path in ("/trickle-header", "/trickle-status", "/continue", "/silent"):
        assert log[path]["outcome"] == "failed"
        assert log[path]["error"].startswith("deadline: no complete response header")
    records = [r for w in coll.closed_warcs() for r in read_warc(w)]
    cut = [r for r in records if r.type == "response" and r.get("WARC-Truncated") == "time"]
    assert sorted(r.uri for r in cut) == [server.url("/trickle-body"),
                                          server.url("/trickle-chunks")]
    verify = cli("verify", coll.root)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for warc in coll.closed_warcs():
        check = tool("warcio", "check", warc)
        assert check.returncode == 0, check.stdout + check.stderr
