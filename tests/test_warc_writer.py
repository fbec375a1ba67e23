"""WARC records written by preserve are read back and checked by warcio, the field's reader."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from preserve.store.cdxj import CdxjEntry
from preserve.store.indexer import index_warc
from preserve.store.indexlines import read_lines
from preserve.store.records import Digester, format_digest
from preserve.store.warc import ClosedWarc, Original, WarcWriter
from preserve.web.exchange import Exchange, ResponseBlock

WHEN = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


class MemoryDigests:
    def __init__(self) -> None:
        self.seen: dict[str, Original] = {}

    def lookup(self, payload_digest: str) -> Original | None:
        return self.seen.get(payload_digest)

    def add(self, payload_digest: str, original: Original) -> None:
        self.seen.setdefault(payload_digest, original)


def exchange(url: str, raw: bytes, status: int = 200) -> Exchange:
    block = ResponseBlock()
    head, _, _ = raw.partition(b"\r\n\r\n")
    block.write(head + b"\r\n\r\n")
    block.mark_headers_end()
    block.write(raw[len(head) + 4:])
    request = f"GET {url} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
    return Exchange(url, "GET", WHEN, request, block, status, "OK",
                    [("Content-Type", "text/html")], ip="127.0.0.1")


def chunked(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type:text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")


def ids() -> object:
    n = iter(range(10**6))
    return lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(n):012d}>"


def write(tmp_path: Path, exchanges: list[Exchange], prepared: bool = False,
          **kw: object) -> list[ClosedWarc]:
    """Write the exchanges; ``prepared``: their blocks made ready first, as a crawl's
    worker threads do (WarcWriter.prepare)."""
    closed: list[ClosedWarc] = []
    writer = WarcWriter(tmp_path, "test", warcinfo=[("software", "preserve-test")],
                        clock=lambda: WHEN, record_id=ids(), on_close=closed.append,
                        **kw)  # type: ignore[arg-type]
    for ex in exchanges:
        ready = writer.prepare(ex) if prepared else None
        fields = [("via", ""), ("outlink", ex.url + "x E")]
        block = writer.prepare_fields(fields) if prepared else None
        writer.begin()
        response, _ = writer.write_exchange(ex, ready)
        writer.write_metadata(ex.url, response.record_id, WHEN, fields, block)
        ex.close()
    writer.close()
    return closed


@pytest.mark.parametrize("prepared", [False, True])
def test_records_pass_warcio_check_and_digests_verify(tmp_path: Path, prepared: bool) -> None:
    closed = write(tmp_path, [exchange("http://a.example/", chunked(b"<p>hello</p>")),
                              exchange("http://a.example/b", chunked(b"<p>other</p>"))],
                   prepared)
    assert len(closed) == 1
    path = closed[0].path
    assert path.name.endswith(".warc.gz") and not list(tmp_path.glob("*.open"))
    warcio = Path(sys.executable).with_name("warcio")
    result = subprocess.run([str(warcio), "check", "-v", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(path, "rb") as f:
        types = []
        for record in ArchiveIterator(f, check_digests="raise"):
            types.append(record.rec_type)
            assert record.rec_headers.get_header("WARC-Record-ID")
            record.content_stream().read()
    assert types == ["warcinfo", "response", "request", "metadata"] + ["response", "request",
                                                                       "metadata"]
    assert closed[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_response_block_is_byte_exact(tmp_path: Path) -> None:
    raw = chunked(b"<p>exact</p>")
    closed = write(tmp_path, [exchange("http://a.example/", raw)])
    with open(closed[0].path, "rb") as f:
        for record in ArchiveIterator(f, no_record_parse=True):
            if record.rec_type == "response":
                assert record.raw_stream.read() == raw
                assert record.rec_headers.get_header("WARC-Date") == "2026-11-28T12:00:00.123456Z"
                assert record.rec_headers.protocol == "WARC/1.1"


def test_same_payload_becomes_a_revisit(tmp_path: Path) -> None:
    raw = chunked(b"<p>same</p>")
    closed = write(tmp_path, [exchange("http://a.example/1", raw),
                              exchange("http://a.example/2", raw)], dedup=MemoryDigests())
    with open(closed[0].path, "rb") as f:
        records = [(r.rec_type, r.rec_headers, r.content_stream().read())
                   for r in ArchiveIterator(f, check_digests="raise")]
    revisit = [r for r in records if r[0] == "revisit"]
    assert len(revisit) == 1
    headers = revisit[0][1]
    first = next(r[1] for r in records if r[0] == "response")
    assert headers.get_header("WARC-Refers-To-Target-URI") == "http://a.example/1"
    assert headers.get_header("WARC-Refers-To-Date") == first.get_header("WARC-Date")
    assert headers.get_header("WARC-Refers-To") == first.get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Payload-Digest") == first.get_header("WARC-Payload-Digest")
    assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")


def test_prepared_records_are_the_streamed_ones(tmp_path: Path) -> None:
    """Blocks digested and compressed by a worker thread make the same records, each one
    gzip member, whatever the block's size; their index lines are what the file gives."""
    big = bytes(range(256)) * 700  # past the 64 KiB steps of the CRC combination
    raws = [chunked(b"<title>one</title>"), chunked(b""), chunked(big), chunked(b"<p>x</p>")]
    members = {}
    pages = {}
    for prepared in (False, True):
        exchanges = [exchange(f"http://a.example/{i}", raw) for i, raw in enumerate(raws)]
        exchanges.append(exchange("http://a.example/again", raws[0]))  # a revisit
        out = tmp_path / str(prepared)
        closed = write(out, exchanges, prepared, dedup=MemoryDigests(),
                       index_lines=lambda name, out=out: out / "lines" / name)
        path = closed[0].path
        members[prepared] = _members(path.read_bytes())
        found = read_lines(out / "lines" / path.name, closed[0].size, closed[0].sha256)
        assert found is not None
        assert [line for line, _ in found] == [
            e.to_line() for e in index_warc(path) if isinstance(e, CdxjEntry)]
        pages[prepared] = [page for _, page in found]
    assert members[True] == members[False] and len(members[True]) == 1 + 5 * 3
    assert pages[True] == pages[False] and pages[True][0] is not None
    assert pages[True][0][2] == "one"  # the page's title, read by the worker


def _members(data: bytes) -> list[bytes]:
    """The inflated gzip members of a file, one by one (one per record)."""
    out = []
    while data:
        d = zlib.decompressobj(31)
        out.append(d.decompress(data))
        assert d.eof
        data = d.unused_data
    return out


def test_files_rotate_at_the_size_limit(tmp_path: Path) -> None:
    exchanges = [exchange(f"http://a.example/{i}", chunked(bytes(range(256)) * 40 * (i + 1)))
                 for i in range(6)]
    closed = write(tmp_path, exchanges, max_size=4096)
    assert len(closed) > 1
    names = [c.path.name for c in closed]
    assert names == sorted(names) and len(set(names)) == len(names)
    for c in closed:
        with open(c.path, "rb") as f:
            first = next(iter(ArchiveIterator(f)))
            assert first.rec_type == "warcinfo"
            assert first.rec_headers.get_header("WARC-Filename") == c.path.name


@pytest.mark.parametrize(("algorithm", "prefix"), [("sha1", "sha1:"), ("sha256", "sha256:")])
def test_digest_formats(algorithm: str, prefix: str) -> None:
    d = Digester(algorithm, 3)
    d.update(b"abc")
    d.update(b"def")
    assert d.block_digest == format_digest(algorithm, hashlib.new(algorithm, b"abcdef").digest())
    assert d.payload_digest == format_digest(algorithm, hashlib.new(algorithm, b"def").digest())
    assert d.block_digest.startswith(prefix)
    if algorithm == "sha1":
        assert d.block_digest[5:].isupper() and len(d.block_digest) == 5 + 32
    else:
        assert d.block_digest[7:] == hashlib.sha256(b"abcdef").hexdigest()
