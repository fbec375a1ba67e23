"""The index written while crawling (store.indexlines): the same bytes as `preserve index`.

The writer appends, for every record, what the index takes from it, computed from the
bytes it writes; each test compares that with what store.indexer reads back from the
file, record by record, and the merged index with a rebuild from the WARCs, byte for
byte: for awkward responses, rolled-back captures, recovery after a kill, and real
crawls (a recrawl with revisits included). tests/test_resume.py kills crawls with
SIGKILL at random moments and checks the same.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import crawl, create
from preserve.capture.crawler import Crawler
from preserve.collection import Collection
from preserve.errors import WarcFormatError
from preserve.store.crawlstate_sqlite import open_sqlite_state
from preserve.store.events import EventLog
from preserve.store.fixity import FixityManifest
from preserve.store.indexer import build_indexes, record_facts
from preserve.store.indexlines import read_lines
from preserve.store.reader import read_records
from preserve.store.recovery import recover
from preserve.store.warc import ClosedWarc, Original, WarcWriter, sha256_file
from preserve.web.exchange import Exchange, ResponseBlock, TlsInfo
from testsite import TestSite

WHEN = datetime(2026, 12, 7, 1, 0, 0, 123456, tzinfo=UTC)
HTML = b"<!doctype html><html><head><title>A page</title></head><body><p>text</p></body></html>"


class MemoryDigests:
    def __init__(self) -> None:
        self.seen: dict[str, Original] = {}

    def lookup(self, payload_digest: str) -> Original | None:
        return self.seen.get(payload_digest)

    def add(self, payload_digest: str, original: Original) -> None:
        self.seen.setdefault(payload_digest, original)


def exchange(url: str, head: bytes, body: bytes, status: int = 200,
             tls: TlsInfo | None = None) -> Exchange:
    block = ResponseBlock()
    block.write(head + b"\r\n\r\n")
    block.mark_headers_end()
    block.write(body)
    request = f"GET {url} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
    return Exchange(url, "GET", WHEN, request, block, status, "OK",
                    [("Content-Type", "text/html")], ip="127.0.0.1", tls=tls)


def awkward() -> list[Exchange]:
    """Responses whose index entries take some reading: codings, revisits, no title, no
    Content-Type, odd URLs, an unverified certificate (a metadata record)."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8"
    chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (len(HTML), HTML)
    zipped = gzip.compress(HTML.replace(b"A page", b"Zipped"), mtime=0)
    latin = "<title>Caf\u00e9 \u00e0 la carte</title>".encode("latin-1")
    return [
        exchange("http://example.test/", ok, HTML),
        exchange("http://example.test/again", ok, HTML),  # a revisit of the first
        exchange("http://example.test/chunked", ok + b"\r\nTransfer-Encoding: chunked",
                 chunk),
        exchange("http://example.test/gz", ok + b"\r\nContent-Encoding: gzip", zipped),
        exchange("http://example.test/latin", b"HTTP/1.1 200 OK\r\nContent-Type: text/html;"
                 b" charset=iso-8859-1", latin),
        exchange("http://example.test/untitled", ok, b"<p>no title</p>"),
        exchange("http://example.test/none", b"HTTP/1.1 200 OK", b"<title>?</title>"),
        exchange("http://example.test/img.png", b"HTTP/1.1 200 OK\r\nContent-Type: image/png",
                 b"\x89PNG\r\n\x1a\n" + bytes(300)),
        exchange("http://example.test/missing", b"HTTP/1.1 404 Not Found\r\nContent-Type: "
                 b"text/html", b"<title>Not here</title>", status=404),
        exchange("http://example.test/a b?q=\u00e9", ok, HTML.replace(b"A page", b"Spaced")),
        exchange("https://example.test/tls", ok, HTML.replace(b"A page", b"Unverified"),
                 tls=TlsInfo("tls/1.3", "TLS_AES_128_GCM_SHA256", False, "self-signed")),
        exchange("http://example.test/empty", ok, b""),
    ]


def written_and_read(path: Path, lines: Path, sha256: str) -> tuple[list[Any], list[Any]]:
    """What the lines say of each indexed record, and what reading the file gives."""
    appended = read_lines(lines, path.stat().st_size, sha256)
    assert appended is not None, f"no usable lines for {path.name}"
    read = []
    with read_records(path) as reader:
        for record in reader:
            facts = record_facts(path, record, path.name)
            if facts is not None:
                page = facts.page
                read.append((facts.entry.to_line(), None if page is None else
                             [page.url, page.ts, page.title, page.lookup, page.keep]))
    return appended, read


def writer(directory: Path, closed: list[ClosedWarc], **kw: Any) -> WarcWriter:
    n = iter(range(10**6))
    return WarcWriter(directory, "t", warcinfo=[("software", "preserve-test")],
                      clock=lambda: WHEN, dedup=MemoryDigests(), on_close=closed.append,
                      record_id=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(n):012d}>",
                      index_lines=lambda name: directory / "lines" / f"{name}.lines", **kw)


def test_appended_lines_are_what_the_file_reads_back(tmp_path: Path) -> None:
    closed: list[ClosedWarc] = []
    w = writer(tmp_path, closed, max_size=1500)  # several files
    for ex in awkward():
        w.begin()
        response, _ = w.write_exchange(ex)
        w.write_metadata(ex.url, response.record_id, WHEN, [("via", "")])
        ex.close()
    w.close()
    assert len(closed) > 3
    pages = titles = revisits = 0
    for c in closed:
        appended, read = written_and_read(c.path, tmp_path / "lines" / f"{c.path.name}.lines",
                                          c.sha256)
        assert appended == read, c.path.name
        pages += sum(p is not None for _, p in read)
        titles += sum(p is not None and p[2] is not None for _, p in read)
        revisits += sum('"warc/revisit"' in line for line, _ in read)
    assert pages >= 7 and titles >= 5 and revisits == 1


def test_a_rolled_back_capture_leaves_no_line(tmp_path: Path) -> None:
    closed: list[ClosedWarc] = []
    w = writer(tmp_path, closed)
    exchanges = awkward()
    for n, ex in enumerate(exchanges):
        mark = w.begin()
        w.write_exchange(ex)
        ex.close()
        if n % 3 == 1:
            w.rollback(mark)
    w.close()
    (c,) = closed
    appended, read = written_and_read(c.path, tmp_path / "lines" / f"{c.path.name}.lines",
                                      c.sha256)
    assert appended == read
    assert len(read) == len(exchanges) - len(exchanges) // 3 - (len(exchanges) % 3 > 1)


def test_lines_that_do_not_match_their_warc_are_not_used(tmp_path: Path) -> None:
    closed: list[ClosedWarc] = []
    w = writer(tmp_path, closed)
    exchanges = awkward()
    for ex in exchanges[3:]:
        ex.close()
    for ex in exchanges[:3]:
        w.begin()
        w.write_exchange(ex)
        ex.close()
    w.close()
    (c,) = closed
    lines = tmp_path / "lines" / f"{c.path.name}.lines"
    size = c.path.stat().st_size
    assert read_lines(lines, size, c.sha256) is not None
    assert read_lines(lines, size, "0" * 64) is None  # another file of the same size
    assert read_lines(lines, size + 1, c.sha256) is None
    text = lines.read_text()
    assert '"A page", null, "sha1:' in text
    lines.write_text(text.replace('"A page", null, "sha1:', '7, null, "sha1:'))  # garbled
    assert read_lines(lines, size, c.sha256) is None
    lines.write_text(text[: text.rindex("\n", 0, -1) + 1])  # the last line lost
    assert read_lines(lines, size, c.sha256) is None
    assert read_lines(tmp_path / "nothing.lines", size, c.sha256) is None


def _indexes(coll: Collection) -> tuple[bytes, bytes]:
    return coll.index_path.read_bytes(), coll.pages_path.read_bytes()


def _rebuilt(coll: Collection) -> tuple[bytes, bytes]:
    build_indexes(coll)
    return _indexes(coll)


def _all_lines_used(coll: Collection) -> None:
    digests = FixityManifest(coll.manifest_path).entries()
    for warc in coll.closed_warcs():
        assert read_lines(coll.index_lines_path(warc.name), warc.stat().st_size,
                          digests[Collection.warc_rel(warc.name)]) is not None, warc.name


def test_a_crawl_and_a_recrawl_index_as_preserve_index_does(tmp_path: Path) -> None:
    with TestSite(articles=30) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,), warc_size=40_000)
        assert len(coll.closed_warcs()) > 3
        _all_lines_used(coll)
        first = _indexes(coll)
        assert first == _rebuilt(coll)
        second = Crawler(coll, coll.load_config()).run()  # revisits of the first's pages
    assert second.revisits > 10
    _all_lines_used(coll)
    merged = _indexes(coll)
    assert merged == _rebuilt(coll)
    assert merged[1].count(b"\"title\"") == merged[1].count(b"\n")  # revisits too, and the header


def test_the_merge_does_not_read_the_warcs(tmp_path: Path) -> None:
    """With lines that match, a WARC is not read: one garbled behind the lines' back (and
    its digest updated to match) still merges, while a rebuild fails on it."""
    with TestSite(articles=10) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), warc_size=40_000)
    merged = _indexes(coll)
    warc = coll.closed_warcs()[-1]
    lines = coll.index_lines_path(warc.name)
    size = warc.stat().st_size
    old = FixityManifest(coll.manifest_path).entries()[Collection.warc_rel(warc.name)]
    warc.write_bytes(b"\x1f\x8b" + bytes(size - 2))
    new = sha256_file(warc)
    manifest = coll.manifest_path
    manifest.write_text(manifest.read_text().replace(old, new))
    lines.write_text(lines.read_text().replace(old, new))
    build_indexes(coll, reuse_lines=True)
    assert _indexes(coll) == merged
    with pytest.raises(WarcFormatError):
        build_indexes(coll)


@pytest.mark.parametrize("lose_a_line", [False, True])
def test_recovery_cuts_the_lines_with_the_warc(tmp_path: Path, lose_a_line: bool) -> None:
    coll = create(tmp_path / "c", ("http://example.test/",))
    state = open_sqlite_state(coll)
    try:
        crawl_id = state.start(WHEN.isoformat(), {}).id
        w = WarcWriter(coll.warcs, "t", warcinfo=[("software", "preserve-test")],
                       clock=lambda: WHEN, index_lines=coll.index_lines_path)
        exchanges = awkward()
        for ex in exchanges[9:]:
            ex.close()
        for ex in exchanges[:6]:
            w.begin()
            w.write_exchange(ex)
            ex.close()
        path = w.current_path
        assert path is not None
        with state.transaction():
            state.checkpoint(crawl_id, path.name.removesuffix(".open"), w.current_offset)
        for ex in exchanges[6:9]:  # written, never committed: a kill now
            w.begin()
            w.write_exchange(ex)
            ex.close()
        w.abandon()
        lines = coll.index_lines_path(path.name)
        if lose_a_line:  # as if the machine lost what was not yet on disk
            text = lines.read_text().splitlines(keepends=True)
            lines.write_text("".join(text[:4]))
        result = recover(coll, state, FixityManifest(coll.manifest_path),
                         EventLog(coll.events_path), crawl_id)
    finally:
        state.close()
    assert len(result.cut) == 1 and len(result.closed) == 1
    assert lines.exists() == (not lose_a_line)
    if not lose_a_line:
        _all_lines_used(coll)
    build_indexes(coll, reuse_lines=True)
    merged = _indexes(coll)
    assert merged == _rebuilt(coll)
    assert merged[0].count(b"\n") >= 5


def test_preserve_index_rebuilds_without_the_lines(tmp_path: Path) -> None:
    with TestSite(articles=10) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,))
    merged = _indexes(coll)
    shutil.rmtree(coll.index_lines_path("x").parent)
    assert _rebuilt(coll) == merged
    assert not coll.index_lines_path("x").parent.exists()  # preserve index writes none
    build_indexes(coll, reuse_lines=True)  # no lines: every WARC is read, once
    assert _indexes(coll) == merged
    _all_lines_used(coll)  # kept for the next crawl's end
    build_indexes(coll, reuse_lines=True)
    assert _indexes(coll) == merged
