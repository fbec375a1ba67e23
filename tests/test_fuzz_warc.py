"""Fuzzing the WARC reader and the verifier with real WARCs from fixtures/warc/, mutated.

Property: the reader (store.reader: read_records, record_at) yields records or raises
WarcFormatError, nothing else, whatever the bytes; the verifier (verify_files) returns a
report of findings and never raises on a file it can open. Mutations are made to the file
as stored (gzip damage) and to its decompressed WARC text, written plain and re-gzipped
one member per record (damage gzip checks cannot see).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpers_fuzz import FIXTURES, FUZZ, corpus, mutated
from preserve.errors import WarcFormatError
from preserve.store.reader import WarcRecord, read_records, record_at
from preserve.verify import CODES, Report, verify_files

STORED = corpus("warc", (".warc", ".warc.gz"))


def _plain(data: bytes) -> bytes | None:
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


PLAIN = [p for p in map(_plain, STORED) if p]
_RECORD_START = re.compile(rb"(?=WARC/1\.[01]\r\n)")


def _members(text: bytes) -> bytes:
    """``text`` gzipped as a WARC writer does: one member per record."""
    return b"".join(gzip.compress(part, mtime=0) for part in _RECORD_START.split(text) if part)


warc_bytes = st.one_of(
    mutated(STORED),
    mutated(PLAIN),
    mutated(PLAIN).map(_members),
    st.binary(max_size=2048),
    st.binary(max_size=512).map(lambda b: gzip.compress(b, mtime=0)),
)


def _use(record: WarcRecord) -> None:
    """Everything a caller does with a record: heads, URI, status, payload, length."""
    record.header("WARC-Record-ID")
    _ = record.uri
    record.http_status()
    record.http_header("Content-Type")
    stream = record.content_stream() if record.rec_type == "response" else record.payload
    while stream.read(65536):
        pass
    _ = record.length


def _write(tmp_path: Path, data: bytes) -> Path:
    name = "fuzz.warc.gz" if data.startswith(b"\x1f\x8b") else "fuzz.warc"
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.slow
@FUZZ
@given(data=warc_bytes)
@example(data=b"")
@example(data=(FIXTURES / "warc" / "valid-minimal.warc.gz").read_bytes()[:-7])
def test_reader_raises_only_warc_format_error(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, data)
    offsets = []
    try:
        with read_records(path) as reader:
            for record in reader:
                offsets.append(record.offset)
                _use(record)
    except WarcFormatError as e:
        assert str(e)
    for offset in offsets[:3]:
        try:
            with record_at(path, offset) as record:
                if record is not None:
                    _use(record)
        except WarcFormatError:
            pass


@pytest.mark.slow
@FUZZ
@given(data=warc_bytes, offset=st.integers(0, 4096))
def test_record_at_any_offset_raises_only_warc_format_error(tmp_path: Path, data: bytes,
                                                            offset: int) -> None:
    path = _write(tmp_path, data)
    try:
        with record_at(path, offset) as record:
            if record is not None:
                _use(record)
    except WarcFormatError as e:
        assert str(e)


@pytest.mark.slow
@FUZZ
@given(data=warc_bytes, piece_size=st.sampled_from([None, 200, 1024, 4096]))
@example(data=b"", piece_size=None)
def test_verify_files_reports_findings_and_never_raises(tmp_path: Path, data: bytes,
                                                        piece_size: int | None) -> None:
    """In one piece, or in pieces as with several jobs (verify.pieces)."""
    path = _write(tmp_path, data)
    report = verify_files([path], piece_size=piece_size)
    assert isinstance(report, Report)
    assert [f.file for f in report.files] == [str(path)]
    assert all(f.code in CODES and f.message for f in report.findings)
