"""Index a collection's WARCs: one streaming read of each file yields its CDXJ lines and pages.

``index_warc`` reads one WARC and yields a CdxjEntry for every record cdxj-indexer would
index (see ``store.cdxj``) and a PageEntry for every captured HTML page (``store.pages``).
``build_indexes`` runs it over the collection's closed WARCs and replaces
``indexes/index.cdxj`` (lines sorted, as pywb requires) and ``pages/pages.jsonl`` (by
time, then URL) atomically; the sort spills to disk, so memory stays bounded.

A WARC that cannot be read raises WarcFormatError naming the offset of the bad record:
garbage, a corrupt or truncated gzip member, a record shorter than its Content-Length,
several records in one gzip member. A record not followed by its blank lines (a wrong
Content-Length that still parses) is reported as a WarcAnomaly and indexing goes on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import heapq
import json
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.timeutils import iso_date_to_timestamp
from warcio.utils import BUFF_SIZE

from ..atomic import atomic_write
from ..collection import Collection
from ..errors import WarcFormatError
from .cdxj import CdxjEntry, cdxj_entry, http_mime, is_indexed, record_mime, record_status
from .pages import PAGES_HEADER, PageEntry, is_page, page_id, read_title

__all__ = [
    "index_warc",
    "build_indexes",
    "IndexSummary",
    "WarcAnomaly",
    "CdxjEntry",
    "PageEntry",
    "SORT_BUFFER_BYTES",
]

ProgressCallback = Callable[[int], None]

SORT_BUFFER_BYTES = 32 * 1024 * 1024
# Titles of HTML payloads by digest, so a revisit gets its original's title; bounded
# (oldest forgotten first) so a huge crawl cannot grow it without limit.
_MAX_TITLES = 100_000
_PROGRESS_STEP = 1 << 20
_MESSAGE_MAX = 200
_TAIL_STEP = 1 << 16


@dataclass(frozen=True)
class WarcAnomaly:
    """Something wrong in a WARC that did not stop indexing."""

    path: Path
    offset: int
    message: str


@dataclass(frozen=True)
class IndexSummary:
    """What build_indexes wrote."""

    warcs: int
    records: int
    pages: int
    warc_bytes: int = 0
    anomalies: tuple[WarcAnomaly, ...] = ()


class _BadRecord(Exception):
    """A record that parsed but cannot be indexed; becomes a WarcFormatError."""


class _StrictReader(DecompressingBufferedReader):  # type: ignore[misc]
    """warcio's reader, raising on corrupt gzip data instead of printing to stderr and
    silently returning nothing (which would index a damaged file as if it were whole)."""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data and self.num_block_read > 0:
            try:
                out: bytes = self.decompressor.decompress(data)
            except zlib.error as e:
                raise _BadRecord(f"corrupt gzip data ({e})") from None
            return out
        # The first block of a member: warcio reads a non-gzip file as uncompressed.
        result: bytes = super()._decompress(data)
        return result


class _Loader(ArcWarcRecordLoader):  # type: ignore[misc]
    """Skips parsing the HTTP headers of request records, which are never indexed."""

    def load_http_headers(self, rec_type: str, uri: str, stream: Any, length: Any) -> Any:
        if rec_type == "request":
            return None
        return super().load_http_headers(rec_type, uri, stream, length)


class _RecordIterator(ArchiveIterator):  # type: ignore[misc]
    """ArchiveIterator configured as cdxj-indexer configures it, but for WARC only, and
    reporting instead of printing when a record is not followed by blank lines."""

    def __init__(self, fileobj: IO[bytes], on_anomaly: Callable[[int, str], None]) -> None:
        super().__init__(fileobj, no_record_parse=False, verify_http=False, arc2warc=True)
        self.reader: Any = _StrictReader(self.fh, block_size=BUFF_SIZE)
        self.loader = _Loader(verify_http=False, arc2warc=True)
        # WARC only: with ARC allowed too, any line of five words parses as an ARC header
        # and a garbage file would be indexed as a list of bogus records.
        self.known_format = "warc"
        self._on_anomaly = on_anomaly

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        # Same as warcio's, but the warning goes to on_anomaly, not sys.stderr.
        empty_size = 0
        first_line = True
        while True:
            line: bytes = self.reader.readline()
            if not line:
                return None, empty_size
            stripped = line.rstrip()
            if not stripped or first_line:
                empty_size += len(line)
                if stripped:
                    self.err_count += 1
                    self._on_anomaly(
                        self.offset,
                        "record is not followed by a blank line; its Content-Length "
                        "may be wrong",
                    )
                first_line = False
                continue
            return line, empty_size


class _PayloadDigester:
    """Passes a record's payload through while computing its SHA-1, as warcio would."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.sha1 = hashlib.sha1()

    def read(self, size: int | None = None) -> bytes:
        data: bytes = self.stream.read(size)
        self.sha1.update(data)
        return data

    def readline(self, size: int | None = None) -> bytes:
        data: bytes = self.stream.readline(size)
        self.sha1.update(data)
        return data

    def digest(self) -> str:
        return "sha1:" + base64.b32encode(self.sha1.digest()).decode("ascii")


def index_warc(
    path: Path,
    filename: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    on_anomaly: Callable[[WarcAnomaly], None] | None = None,
    titles: dict[str, str] | None = None,
) -> Iterator[CdxjEntry | PageEntry]:
    """Yield the CDXJ entries and pages of the WARC at ``path``, in file order, in one read.

    ``filename`` is what the CDXJ ``filename`` field names (default: the file's name).
    ``on_progress`` receives the number of bytes of the file read so far (about every
    MiB, and at the end). ``titles`` maps payload digests to page titles; pass the same
    dict for several WARCs so a revisit finds its original's title in an earlier file.
    Raises WarcFormatError for a file that cannot be read as WARC.
    """
    name = filename or path.name
    known = titles if titles is not None else {}

    def anomaly(offset: int, message: str) -> None:
        if on_anomaly is not None:
            on_anomaly(WarcAnomaly(path, offset, message))

    with path.open("rb") as fh:
        it = _RecordIterator(fh, anomaly)
        records = iter(it)
        reported = 0
        previous = 0
        while True:
            start = it.offset  # where the next record begins
            try:
                record = next(records, None)
                if record is None:
                    break
                items = _index_record(it, record, name, known)
            except (WarcFormatError, OSError):
                raise
            except Exception as e:  # warcio raises many kinds; all mean a damaged file
                if _shares_member(e):
                    # Offsets inside a shared member mean nothing; name the member.
                    start = previous
                message = _describe(e, truncated=_at_truncated_end(it, fh))
                raise WarcFormatError(path, max(start, 0), message) from e
            previous = start
            yield from items
            if on_progress is not None and it.offset - reported >= _PROGRESS_STEP:
                reported = it.offset
                on_progress(reported)
        if not _tail_is_blank(fh, it.offset):
            raise WarcFormatError(path, it.offset, "the file ends inside a record "
                                  "(truncated gzip member or record header)")
        if on_progress is not None:
            on_progress(it.offset)


def _index_record(
    it: _RecordIterator, record: Any, filename: str, titles: dict[str, str]
) -> list[CdxjEntry | PageEntry]:
    limited = record.raw_stream
    if not is_indexed(record):
        _check_complete(it, record, limited)
        return []
    headers = record.rec_headers
    date = headers.get_header("WARC-Date")
    try:
        timestamp: str = iso_date_to_timestamp(date)
    except (TypeError, ValueError, IndexError):
        raise _BadRecord(f"record has no valid WARC-Date ({date!r})") from None
    rec_type = record.rec_type
    mime = record_mime(record)
    status = record_status(record)
    digest: str | None = headers.get_header("WARC-Payload-Digest")
    digester = None
    if not digest and rec_type != "revisit":
        # cdxj-indexer computes a missing payload digest; never for revisits.
        digester = _PayloadDigester(record.raw_stream)
        record.raw_stream = digester
    url: str | None = headers.get_header("WARC-Target-URI")
    # A revisit's CDXJ mime is warc/revisit; whether it is a page depends on its HTTP type.
    page = rec_type in ("response", "revisit") and is_page(url, status, http_mime(record))
    title = None
    if page and rec_type == "response":
        title = read_title(record.raw_stream, record.http_headers)
    elif page and digest:
        title = titles.get(digest)
    _check_complete(it, record, limited)
    if digester is not None:
        digest = digester.digest()
    entry = cdxj_entry(
        record,
        timestamp,
        mime=mime,
        status=status,
        digest=digest,
        offset=it.get_record_offset(),
        length=it.get_record_length(),
        filename=filename,
    )
    if not page or url is None:
        return [entry]
    if rec_type == "response" and title is not None and digest:
        if len(titles) >= _MAX_TITLES:
            del titles[next(iter(titles))]
        titles[digest] = title
    ts = _iso_from_timestamp(timestamp)
    return [entry, PageEntry(url=url, ts=ts, title=title, id=page_id(url, ts))]


def _iso_from_timestamp(t: str) -> str:
    """``20261128134500`` -> ``2026-11-28T13:45:00Z``."""
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def _check_complete(it: _RecordIterator, record: Any, limited: Any) -> None:
    """Read to the end of the record; fail if the file ended before it did."""
    it.get_record_length()
    if isinstance(limited, LimitReader) and limited.limit > 0:
        raise _BadRecord(
            f"record is truncated: {limited.limit} of its {record.length} bytes are missing"
        )
    decompressor = it.reader.decompressor
    if decompressor is not None and not decompressor.eof:
        raise _BadRecord("the file ends inside this record (truncated gzip member)")


def _at_truncated_end(it: _RecordIterator, fh: IO[bytes]) -> bool:
    """Whether the file ended inside a gzip member (a file cut short)."""
    decompressor = getattr(it.reader, "decompressor", None)
    return decompressor is not None and not decompressor.eof and not fh.read(1)


def _tail_is_blank(fh: IO[bytes], offset: int) -> bool:
    """Whether the bytes after the last record warcio returned are only blank lines, as
    such or in complete gzip members (warcio stops quietly before a member cut short)."""
    fh.seek(max(offset, 0))
    decompressor = None
    pending = b""
    while True:
        data = pending or fh.read(_TAIL_STEP)
        pending = b""
        if not data:
            return decompressor is None or decompressor.eof
        if decompressor is None or decompressor.eof:
            if decompressor is None and not data.startswith(b"\x1f\x8b"):
                return not data.strip()
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = decompressor.decompress(data, _TAIL_STEP)
        except zlib.error:
            return False
        if out.strip():
            return False
        pending = decompressor.unconsumed_tail or decompressor.unused_data


def _shares_member(error: Exception) -> bool:
    return isinstance(error, ArchiveLoadFailed) and "non-chunked gzip" in str(error)


def _describe(error: Exception, truncated: bool = False) -> str:
    if isinstance(error, _BadRecord):
        text = str(error)
    elif truncated:
        text = "the file ends inside this record (truncated gzip member)"
    elif _shares_member(error):
        text = ("several records share this gzip member; each record must be its own "
                "member (`warcio recompress` fixes the file)")
    elif isinstance(error, ArchiveLoadFailed):
        text = str(error).strip()
        if ", first line:" in text:
            text = text.split(", first line:", 1)[0] + ": no WARC record header here"
    else:
        text = f"cannot parse record ({type(error).__name__}: {error})"
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_MAX else line[: _MESSAGE_MAX - 3] + "..."


class _RunSorter:
    """Sorts text lines in bounded memory: sorted runs spill to files, then merge."""

    def __init__(self, tmp: Path, name: str, buffer_bytes: int) -> None:
        self._tmp = tmp
        self._name = name
        self._buffer_bytes = buffer_bytes
        self._lines: list[str] = []
        self._size = 0
        self._runs: list[Path] = []

    def add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line) + 64  # rough per-string overhead of CPython
        if self._size >= self._buffer_bytes:
            self._spill()

    def _spill(self) -> None:
        self._lines.sort()
        run = self._tmp / f"{self._name}-{len(self._runs)}"
        with run.open("w", encoding="utf-8", newline="\n") as f:
            for line in self._lines:
                f.write(line + "\n")
        self._runs.append(run)
        self._lines = []
        self._size = 0

    @contextlib.contextmanager
    def sorted(self) -> Iterator[Iterator[str]]:
        if not self._runs:
            self._lines.sort()
            yield iter(self._lines)
            return
        if self._lines:
            self._spill()
        with contextlib.ExitStack() as stack:
            files = [stack.enter_context(r.open(encoding="utf-8", newline="\n"))
                     for r in self._runs]
            yield heapq.merge(*((line[:-1] for line in f) for f in files))


def _page_sort_line(page: PageEntry) -> str:
    # Sorts by ts, then URL; the JSON after the last NUL is what is written (JSON escapes
    # every control character, so it holds no NUL or newline).
    url = page.url.translate({0: " ", 10: " ", 13: " "})
    return f"{page.ts}\x00{url}\x00{page.to_json()}"


def build_indexes(
    coll_dir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    sort_buffer_bytes: int = SORT_BUFFER_BYTES,
) -> IndexSummary:
    """Rebuild ``indexes/index.cdxj`` and ``pages/pages.jsonl`` from the closed WARCs.

    WARCs are read in name order (files still being written, ``*.open``, are left out).
    ``on_progress`` receives the bytes read so far over all files; their total is the sum
    of the files' sizes. Raises WarcFormatError, leaving the old indexes in place, if a
    WARC cannot be read.
    """
    coll = Collection(coll_dir)
    warcs = coll.closed_warcs()
    coll.index_path.parent.mkdir(parents=True, exist_ok=True)
    coll.pages_path.parent.mkdir(parents=True, exist_ok=True)
    anomalies: list[WarcAnomaly] = []
    titles: dict[str, str] = {}
    done = 0
    with tempfile.TemporaryDirectory(prefix=".sort-", dir=coll.index_path.parent) as tmp:
        cdxj = _RunSorter(Path(tmp), "cdxj", sort_buffer_bytes)
        pages = _RunSorter(Path(tmp), "pages", sort_buffer_bytes)
        for warc in warcs:
            base = done
            progress = None if on_progress is None else _offset_progress(on_progress, base)
            for item in index_warc(warc, warc.name, on_progress=progress,
                                   on_anomaly=anomalies.append, titles=titles):
                if isinstance(item, CdxjEntry):
                    cdxj.add(item.to_line())
                else:
                    pages.add(_page_sort_line(item))
            done = base + warc.stat().st_size
        records = _write_cdxj(coll.index_path, cdxj)
        page_count = _write_pages(coll.pages_path, pages)
    return IndexSummary(warcs=len(warcs), records=records, pages=page_count, warc_bytes=done,
                        anomalies=tuple(anomalies))


def _offset_progress(on_progress: ProgressCallback, base: int) -> ProgressCallback:
    return lambda n: on_progress(base + n)


def _write_cdxj(path: Path, sorter: _RunSorter) -> int:
    count = 0
    previous = None
    with atomic_write(path, "w", encoding="utf-8") as out, sorter.sorted() as lines:
        for line in lines:
            if line != previous:  # cdxj-indexer drops repeated lines too
                out.write(line + "\n")
                count += 1
            previous = line
    return count


def _write_pages(path: Path, sorter: _RunSorter) -> int:
    count = 0
    previous = None
    with atomic_write(path, "w", encoding="utf-8") as out, sorter.sorted() as lines:
        out.write(json.dumps(PAGES_HEADER) + "\n")
        for line in lines:
            key, _, obj = line.rpartition("\x00")
            if key != previous:  # same URL and second: the same page id, listed once
                out.write(obj + "\n")
                count += 1
            previous = key
    return count
