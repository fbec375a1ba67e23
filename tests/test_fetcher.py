"""The fetcher records the exact bytes on the wire, against a raw socket server on loopback."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator

import pytest

from helpers_socket import LoopbackServer, request_heads, request_path
from preserve.capture.addresses import AddressPolicy, is_public
from preserve.capture.fetcher import FetchLimits, HttpFetcher
from preserve.web.exchange import Exchange, FetchFailure

BODY = gzip.compress(b"<html><title>x</title>" + b"y" * 5000, mtime=0)

RESPONSES = {
    # odd spacing, header case and order, duplicate headers, chunked framing with extensions
    b"/chunked": b"HTTP/1.1 200 OK\r\nX-Odd:   spaced  \r\ncontent-TYPE: text/html\r\n"
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
    b"/gzip": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY,
    b"/redirect": b"HTTP/1.1 301 Moved Permanently\r\nLocation: /gzip\r\nContent-Length: 0\r\n\r\n",
    b"/http10": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    b"/big": b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Length: 3000000\r\n\r\n" + b"z" * 3_000_000,
    b"/truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this",
}


class RawServer(LoopbackServer):
    """Answers each request with canned bytes and records the request bytes it received."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            for head in request_heads(conn):
                self.received.append(head)
                path = request_path(head)
                try:
                    conn.sendall(RESPONSES[path])
                except OSError:
                    return
                if path in (b"/http10", b"/truncated"):
                    return


@pytest.fixture
def server() -> Iterator[RawServer]:
    s = RawServer()
    yield s
    s.close()


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    f = HttpFetcher("preserve-test/1", policy=AddressPolicy({"127.0.0.1"}),
                    limits=FetchLimits(timeout=5, max_response_size=1_000_000))
    yield f
    f.close()


def _fetch(fetcher: HttpFetcher, url: str) -> Exchange:
    result = fetcher.fetch(url)
    assert isinstance(result, Exchange), result
    return result


@pytest.mark.parametrize("path", ["/chunked", "/gzip", "/redirect", "/http10"])
def test_response_bytes_are_exactly_what_the_server_sent(
    server: RawServer, fetcher: HttpFetcher, path: str
) -> None:
    ex = _fetch(fetcher, server.url(path))
    try:
        assert b"".join(ex.response.chunks()) == RESPONSES[path.encode()]
        assert ex.request == server.received[-1]
        head = RESPONSES[path.encode()].split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        assert ex.response.header_length == len(head)
        assert ex.ip == "127.0.0.1"
    finally:
        ex.close()


def test_keep_alive_reuses_the_connection_and_records_each_exchange(
    server: RawServer, fetcher: HttpFetcher
) -> None:
    for path in ["/chunked", "/gzip", "/chunked"]:
        ex = _fetch(fetcher, server.url(path))
        assert b"".join(ex.response.chunks()) == RESPONSES[path.encode()]
        ex.close()
    assert len(server.received) == 3


def test_entity_is_dechunked_but_keeps_content_coding(
    server: RawServer, fetcher: HttpFetcher
) -> None:
    ex = _fetch(fetcher, server.url("/chunked"))
    assert ex.entity == b"hello world"
    ex.close()
    ex = _fetch(fetcher, server.url("/gzip"))
    assert ex.entity == BODY
    ex.close()


def test_request_record_has_user_agent_and_referer(server: RawServer,
                                                   fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/gzip"), referer="http://127.0.0.1/from")
    assert isinstance(result, Exchange)
    result.close()
    assert b"User-Agent: preserve-test/1\r\n" in result.request
    assert b"Referer: http://127.0.0.1/from\r\n" in result.request


def test_oversized_response_is_truncated_and_marked(server: RawServer,
                                                   fetcher: HttpFetcher) -> None:
    ex = _fetch(fetcher, server.url("/big"))
    try:
        assert ex.truncated == "length"
        assert 1_000_000 < ex.response.payload_length < 1_200_000
        assert ex.entity is None
    finally:
        ex.close()


def test_short_body_is_a_protocol_failure(server: RawServer, fetcher: HttpFetcher) -> None:
    result = fetcher.fetch(server.url("/truncated"))
    assert isinstance(result, FetchFailure)
    assert result.kind == "protocol"
    assert result.transient


def test_address_not_allowed_is_never_connected(server: RawServer) -> None:
    f = HttpFetcher("t", policy=AddressPolicy(set()))
    try:
        result = f.fetch(server.url("/gzip"))
    finally:
        f.close()
    assert isinstance(result, FetchFailure)
    assert result.kind == "blocked-address"
    assert server.received == []


def test_refused_connection_and_bad_host(fetcher: HttpFetcher) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    refused = fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert isinstance(refused, FetchFailure) and refused.kind == "connect"
    dns = fetcher.fetch("http://no-such-host.invalid/")
    assert isinstance(dns, FetchFailure) and dns.kind == "dns"


@pytest.mark.parametrize(
    ("address", "public"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("169.254.1.1", False),
     ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False), ("0.0.0.0", False),
     ("93.184.216.34", True), ("2606:4700::1111", True)],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public
