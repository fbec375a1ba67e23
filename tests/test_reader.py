"""store.reader, the one WARC record reader, checked against warcio's ArchiveIterator (what
cdxj-indexer and pywb read with) over the WARC corpus in fixtures/warc/: the same records,
offsets, lengths, heads and payloads for every file warcio reads cleanly, and one
WarcFormatError naming the bad record for every damaged one.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from preserve.errors import WarcFormatError
from preserve.store.cdxj import CdxjEntry
from preserve.store.indexer import index_warc
from preserve.store.reader import WarcRecord, read_records, record_at
from preserve.verify.facts import FactWriter, expected_lines
from preserve.verify.warcscan import scan_warc

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "warc"
# What warcio reads without complaint but cannot be replayed as written.
DAMAGED = {
    "content-length-too-long.warc.gz": (267, "record is truncated"),
    "corrupt-gzip.warc.gz": (None, "corrupt gzip data"),
    "not-a-warc.warc.gz": (0, "no WARC record header"),
    "shared-member.warc.gz": (None, "share this gzip member"),
    "trailing-garbage.warc.gz": (None, "no WARC record header"),
    "truncated-gzip-member.warc.gz": (None, "truncated gzip member"),
    "truncated-record.warc": (347, "record is truncated: 56 of its 146 bytes are missing"),
}
WARCS = sorted(p.name for p in CORPUS.iterdir() if not p.name.endswith(".json"))


def _ours(path: Path) -> list[tuple[Any, ...]]:
    out = []
    with read_records(path) as reader:
        for record in reader:
            # A request's HTTP head is left in its payload (nothing reads it): not compared.
            request = record.rec_type == "request"
            payload = None if request else record.payload.read()
            http = None if record.http_headers is None else str(record.http_headers)
            out.append((record.offset, record.length, record.rec_type,
                        record.rec_headers.headers, http, payload))
    return out


def _warcio(path: Path) -> list[tuple[Any, ...]]:
    out = []
    with path.open("rb") as f:
        it = ArchiveIterator(f)
        for record in it:
            request = record.rec_type == "request"
            payload = None if request else record.raw_stream.read()
            http = str(record.http_headers) if record.http_headers and not request else None
            out.append((it.get_record_offset(), it.get_record_length(), record.rec_type,
                        record.rec_headers.headers, http, payload))
    return out


def test_corpus_holds_plain_and_gzip_warcs() -> None:
    assert any(n.endswith(".warc") for n in WARCS) and any(n.endswith(".gz") for n in WARCS)
    assert set(DAMAGED) <= set(WARCS)


@pytest.mark.parametrize("name", [n for n in WARCS if n not in DAMAGED])
def test_records_are_warcios(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / name
    ours = _ours(path)
    assert ours and ours == _warcio(path)
    capsys.readouterr()


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_file_raises_one_line_at_its_record(name: str) -> None:
    offset, message = DAMAGED[name]
    path = CORPUS / name
    with pytest.raises(WarcFormatError) as caught:
        _ours(path)
    assert caught.value.path == path
    assert message in str(caught.value) and "\n" not in str(caught.value)
    if offset is not None:
        assert caught.value.offset == offset


def test_content_stream_undoes_chunking_and_content_coding(tmp_path: Path) -> None:
    body = b"<html><title>t</title>" + b"x" * 5000 + b"</html>"
    coded = gzip.compress(body)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(coded[i:i + 700]), coded[i:i + 700])
                       for i in range(0, len(coded), 700)) + b"0\r\n\r\n"
    block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    path = tmp_path / "chunked.warc.gz"
    path.write_bytes(_record("http://example.com/", block))
    with read_records(path) as reader:
        records = list(_read_content(reader))
    assert records == [body]


def _read_content(records: Any) -> Any:
    for record in records:
        yield record.content_stream().read()


def _record(uri: str, block: bytes, content_length: int | None = None,
            compress: bool = True) -> bytes:
    length = len(block) if content_length is None else content_length
    head = (f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{abs(hash(uri))}>"
            f"\r\nWARC-Date: 2026-11-28T13:45:00Z\r\nWARC-Target-URI: {uri}\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    data = head + block + b"\r\n\r\n"
    return gzip.compress(data) if compress else data


def test_a_wrong_content_length_is_reported_not_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>"
    data = (_record("http://example.com/a", block + b"more", content_length=len(block),
                    compress=False)
            + _record("http://example.com/b", block, compress=False))
    path = tmp_path / "plain.warc"
    path.write_bytes(data)
    seen: list[tuple[int, str]] = []
    with path.open("rb") as f, read_records(path, on_anomaly=lambda *a: seen.append(a)) as r:
        ours = [(rec.offset, rec.length, rec.uri) for rec in r]
        it = ArchiveIterator(f)
        theirs = [(it.get_record_offset(), it.get_record_length(),
                   rec.rec_headers.get_header("WARC-Target-URI")) for rec in it]
    assert ours == theirs
    assert [offset for offset, _ in seen] == [0] and "Content-Length" in seen[0][1]
    assert "Content-Length" in capsys.readouterr().err  # warcio prints; we do not
    with read_records(path, on_anomaly=lambda *a: None) as r:
        list(r)
    assert capsys.readouterr().err == ""


def test_record_at_reads_the_record_there() -> None:
    path = CORPUS / "wget.warc.gz"
    with read_records(path) as reader:
        listed = [(r.offset, r.rec_type, r.header("WARC-Record-ID")) for r in reader]
    for offset, rec_type, record_id in listed:
        with record_at(path, offset) as record:
            assert isinstance(record, WarcRecord)
            assert (record.offset, record.rec_type, record.header("WARC-Record-ID")) == (
                offset, rec_type, record_id)
    size = path.stat().st_size
    with record_at(path, size) as record:
        assert record is None


def test_gzip_bomb_payload_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"
    big = block + b"\0" * 50_000_000
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(_record("http://example.com/z", big))
    with read_records(path) as reader:
        record = next(iter(reader))
        assert len(record.payload.read(1000)) == 1000
        assert record.length == path.stat().st_size


@pytest.mark.parametrize("uri", ["<http://example.com/a>", "http://example.com/a b"])
def test_verify_expects_the_line_the_indexer_writes(uri: str, tmp_path: Path) -> None:
    """verify.facts builds its expected CDXJ line from its own scanner's parse; the
    target URI is cleaned the same way (wget's brackets, spaces), so they agree."""
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>x</title>"
    path = tmp_path / "odd-uri.warc.gz"
    path.write_bytes(_record(uri, block))
    written = [i.to_line() for i in index_warc(path) if isinstance(i, CdxjEntry)]
    writer = FactWriter(tmp_path, "facts", path.name, index=True)
    scan_warc(path, path.name, sink=writer)
    writer.close()
    assert [line for _, _, line in expected_lines(writer.cdxj_path)] == written
    assert "%20" in written[0] or "<" not in written[0]


def test_cdxj_line_round_trips() -> None:
    entry = CdxjEntry.of("http://example.com/a", "20261128134500", mime="text/html",
                         status="200", digest="sha1:X", length=10, offset=20, filename="f")
    line = entry.to_line()
    assert CdxjEntry.from_line(line + "\n") == entry
    assert line == ('com,example)/a 20261128134500 {"url": "http://example.com/a", "mime": '
                    '"text/html", "status": "200", "digest": "sha1:X", "length": "10", '
                    '"offset": "20", "filename": "f"}')
    with pytest.raises(ValueError):
        CdxjEntry.from_line("com,example)/a 20261128134500 [1]")
