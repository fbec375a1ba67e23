"""No false alarm on intact collections that hold hostile content (issue #13).

A real crawl of a small server on 127.0.0.1 whose pages include a highly compressible
body (the kind a gzip bomb or a huge page makes), and WARCs written by preserve's own
WarcWriter with a request whose Cookie header is megabytes long: warcio check and the
indexer accept them, and so must `preserve verify`. An uncompressed WARC's expected
index lengths are cdxj-indexer's.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from helpers_crawl import crawl, create, read_warc, tool
from helpers_socket import serve_http
from preserve.collection import Collection
from preserve.store.events import EventLog
from preserve.store.fixity import FixityManifest
from preserve.store.indexer import build_indexes, index_warc
from preserve.store.warc import ClosedWarc, WarcWriter
from preserve.verify import verify_collection, verify_files
from preserve.verify.facts import FactWriter, expected_lines
from preserve.verify.warcscan import READ_SIZE, Scanner, scan_warc
from preserve.web.exchange import Exchange, ResponseBlock

ZEROS = 20_000_000  # inflates to many times the scanner's 1 MiB output step


class _Site(BaseHTTPRequestHandler):
    pages = {
        "/": b'<html><head><title>Home</title></head><body><a href="/zeros">zeros</a> '
             b'<a href="/after.html">after</a> <a href="/last.html">last</a></body></html>',
        "/after.html": b"<html><head><title>After</title></head><body>after</body></html>",
        "/last.html": b"<html><head><title>Last</title></head><body>last</body></html>",
    }

    def do_GET(self) -> None:
        if self.path == "/zeros":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(ZEROS))
            self.end_headers()
            block = bytes(1 << 20)
            for _ in range(ZEROS >> 20):
                self.wfile.write(block)
            self.wfile.write(bytes(ZEROS % (1 << 20)))
            return
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_http(_Site) as url:
        yield url


def _details(report: object) -> list[dict[str, object]]:
    return [f.to_dict() for f in report.findings]  # type: ignore[attr-defined]


def test_a_compressible_body_is_no_false_alarm(server: str, tmp_path: Path) -> None:
    coll, summary = crawl(tmp_path / "coll", (server,))
    assert summary.captured >= 4
    members = [r for p in coll.closed_warcs() for r in read_warc(p)]
    big = [r for r in members if r.uri.endswith("/zeros") and r.type == "response"]
    assert big and len(big[0].payload) == ZEROS  # the body was captured whole
    assert big[0].offset + big[0].length < max(r.offset for r in members)  # records follow
    for p in coll.closed_warcs():
        assert tool("warcio", "check", p).returncode == 0
    report = verify_collection(Collection.open(coll.root))
    assert report.findings == [], _details(report)


def _member_lengths(data: bytes) -> list[tuple[int, int]]:
    class Lengths:
        def __init__(self) -> None:
            self.seen: list[tuple[int, int]] = []

        def record(self, *args: object) -> None:
            pass

        def wants_payload(self, *args: object) -> int:
            return 0

        def member_length(self, offset: int, length: int) -> None:
            self.seen.append((offset, length))

    sink = Lengths()
    scanner = Scanner("x", sink)
    for i in range(0, len(data), READ_SIZE):
        scanner.feed(data[i:i + READ_SIZE])
    scanner.end()
    assert list(scanner.findings.done()) == []
    return sink.seen


@pytest.mark.parametrize("size", [2_000_000, 50_000_000])
def test_member_lengths_of_compressible_records(size: int) -> None:
    """The bookkeeping itself: each member's length, as its own gzip stream says."""
    def member(body: bytes) -> bytes:
        head = (b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: http://x/\r\n"
                b"WARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: 2020-01-01T00:00:00Z\r\n"
                b"Content-Type: application/octet-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        return gzip.compress(head + body + b"\r\n\r\n")

    first, second, third = member(bytes(size)), member(b"hello"), member(bytes(size))
    assert _member_lengths(first + second + third) == [
        (0, len(first)), (len(first), len(second)),
        (len(first) + len(second), len(third))]


def _exchange(url: str, request: bytes, head: bytes, body: bytes) -> Exchange:
    block = ResponseBlock()
    block.write(head)
    block.mark_headers_end()
    block.write(body)
    return Exchange(url, "GET", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), request, block,
                    200, "OK", [("Content-Type", "text/html; charset=utf-8")])


COOKIE = 4_600_000


def _huge_head_collection(root: Path) -> Collection:
    """A collection whose WARC (preserve's own WarcWriter) holds a request with a 4.6 MB
    Cookie header and a response whose 600 KB Set-Cookie header comes before its
    Content-Type; then an ordinary exchange."""
    coll = create(root, ("http://127.0.0.1/",))
    manifest, events = FixityManifest(coll.manifest_path), EventLog(coll.events_path)

    def closed(c: ClosedWarc) -> None:
        rel = Collection.warc_rel(c.path.name)
        manifest.add(rel, c.sha256)
        events.append("file closed", obj=rel, data={"sha256": c.sha256, "size": c.size})

    writer = WarcWriter(coll.warcs, "huge", warcinfo=[("software", "test")], on_close=closed)
    page = b"<html><head><title>Crumbs</title></head><body>crumbs</body></html>"
    cookie = b"Cookie: " + b"; ".join(b"c%d=%s" % (i, b"x" * 4000)
                                      for i in range(COOKIE // 4006)) + b"\r\n"
    request = b"GET /crumbs HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + b"Accept: */*\r\n\r\n"
    head = (b"HTTP/1.1 200 OK\r\nSet-Cookie: big=" + b"y" * 600_000 + b"\r\n"
            b"Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(page))
    small = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
    for ex in (_exchange("http://127.0.0.1/crumbs", request, head, page),
               _exchange("http://127.0.0.1/next", b"GET /next HTTP/1.1\r\nHost: 127.0.0.1"
                         b"\r\n\r\n", small % len(page), page)):
        with ex.response:
            writer.write_exchange(ex)
    writer.close()
    build_indexes(coll)
    return coll


def test_a_huge_cookie_header_is_no_false_alarm(tmp_path: Path) -> None:
    coll = _huge_head_collection(tmp_path / "coll")
    [warc] = coll.closed_warcs()
    assert len(read_warc(warc)[2].block) > COOKIE  # the request record holds it all
    assert tool("warcio", "check", warc).returncode == 0
    pages = [p for p in index_warc(warc, warc.name) if hasattr(p, "title")]
    assert [p.title for p in pages] == ["Crumbs", "Crumbs"]  # type: ignore[attr-defined]
    report = verify_files([warc])
    assert report.findings == [], _details(report)
    report = verify_collection(Collection.open(coll.root))
    assert report.findings == [], _details(report)


def test_uncompressed_lengths_are_cdxj_indexers(tmp_path: Path) -> None:
    """In a plain WARC a record's length leaves out the blank lines after it, as
    cdxj-indexer (the reference) and preserve's indexer count it."""
    coll = _huge_head_collection(tmp_path / "coll")
    [warc] = coll.closed_warcs()
    plain = tmp_path / "plain.warc"
    plain.write_bytes(gzip.decompress(warc.read_bytes()))
    result = tool("cdxj-indexer", plain)
    assert result.returncode == 0, result.stderr
    reference = sorted((int(f["offset"]), int(f["length"])) for f in (
        json.loads(line.split(" ", 2)[2]) for line in result.stdout.splitlines()))
    assert len(reference) == 2  # the responses
    ours = sorted((e.offset, e.length) for e in index_warc(plain, plain.name)
                  if not hasattr(e, "title"))
    assert ours == reference
    facts = FactWriter(tmp_path, "facts", plain.name, index=True)
    report = scan_warc(plain, "plain.warc", sink=facts)
    facts.close()
    assert report.findings == []
    assert sorted((o, n) for o, n, _ in expected_lines(facts.cdxj_path)) == reference
