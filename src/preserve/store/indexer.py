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
import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from ..collection import Collection
from ..errors import WarcFormatError
from .cdxj import CdxjEntry, cdxj_mime, http_status, is_indexed, media_type
from .fixity import FixityManifest
from .heads import timestamp14
from .indexlines import IndexLines, read_lines
from .pages import PAGES_HEADER, PageEntry, is_page, page_id, page_sort_key, read_title
from .reader import Readable, WarcRecord, read_records

__all__ = [
    "index_warc",
    "record_facts",
    "resolve_page",
    "RecordFacts",
    "PageFacts",
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
_DIGEST_STEP = 1 << 16


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


class _PayloadDigester:
    """Passes a record's payload through while computing its SHA-1, as warcio would."""

    def __init__(self, stream: Readable) -> None:
        self.stream = stream
        self.sha1 = hashlib.sha1()

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size)
        self.sha1.update(data)
        return data

    def readline(self, size: int = -1, /) -> bytes:
        data = self.stream.readline(size)
        self.sha1.update(data)
        return data

    def digest(self) -> str:
        """The digest of the whole payload (what was not read yet is read now)."""
        while self.read(_DIGEST_STEP):
            pass
        return "sha1:" + base64.b32encode(self.sha1.digest()).decode("ascii")


def index_warc(
    path: Path,
    filename: str | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    on_anomaly: Callable[[WarcAnomaly], None] | None = None,
    titles: dict[str, str] | None = None,
    on_record: Callable[[int, int, RecordFacts | None], None] | None = None,
) -> Iterator[CdxjEntry | PageEntry]:
    """Yield the CDXJ entries and pages of the WARC at ``path``, in file order, in one read.

    ``filename`` is what the CDXJ ``filename`` field names (default: the file's name).
    ``on_progress`` receives the number of bytes of the file read so far (about every
    MiB, and at the end). ``titles`` maps payload digests to page titles; pass the same
    dict for several WARCs so a revisit finds its original's title in an earlier file.
    ``on_record(offset, end, facts)`` hears of every record read to its end (store.indexlines
    keeps them). Raises WarcFormatError for a file that cannot be read as WARC.
    """
    name = filename or path.name
    known = titles if titles is not None else {}

    def anomaly(offset: int, message: str) -> None:
        if on_anomaly is not None:
            on_anomaly(WarcAnomaly(path, offset, message))

    with read_records(path, on_anomaly=anomaly) as reader:
        reported = 0
        for record in reader:
            facts = record_facts(path, record, name)
            if on_record is not None:
                on_record(record.offset, record.offset + record.length, facts)
            yield from _entries(facts, known)
            if on_progress is not None and reader.position - reported >= _PROGRESS_STEP:
                reported = reader.position
                on_progress(reported)
        if on_progress is not None:
            on_progress(reader.position)


@dataclass(frozen=True)
class PageFacts:
    """What a page record gives the pages list before titles are resolved: its own
    title, or the payload digest under which an earlier capture's title is looked up (a
    revisit's), and the digest under which its title is remembered (a response's)."""

    url: str
    ts: str
    title: str | None
    lookup: str | None
    keep: str | None


@dataclass(frozen=True)
class RecordFacts:
    """What one record gives the indexes: its CDXJ entry and, for a page, its PageFacts."""

    entry: CdxjEntry
    page: PageFacts | None


def record_facts(path: Path, record: WarcRecord, filename: str) -> RecordFacts | None:
    """The facts of one record (None for a record cdxj-indexer leaves out); reads the
    record to its end. Raises WarcFormatError for a damaged record."""
    rec_type = record.rec_type
    if not is_indexed(rec_type, record.header("Content-Type")):
        return None
    http_type = media_type(record.http_header("Content-Type"))
    mime = cdxj_mime(rec_type, record.header("Content-Type"), http_type)
    status = http_status(rec_type, record.http_status())
    digest = record.header("WARC-Payload-Digest")
    payload = record.payload
    digester = None
    if not digest and rec_type != "revisit":
        # cdxj-indexer computes a missing payload digest; never for revisits.
        payload = digester = _PayloadDigester(record.payload)
    url = record.uri
    # A revisit's CDXJ mime is warc/revisit; whether it is a page depends on its HTTP type.
    page = rec_type in ("response", "revisit") and is_page(url, status, http_type)
    title = None
    lookup = None
    if page and rec_type == "response" and record.http_headers is not None:
        title = read_title(payload, record.http_headers)
    elif page and digest:
        lookup = digest
    if digester is not None:
        digest = digester.digest()
    length = record.length  # reads the record to its end: a damaged one fails here
    date = record.header("WARC-Date")
    try:
        timestamp = timestamp14(date)
    except (TypeError, ValueError, IndexError):
        raise WarcFormatError(path, record.offset,
                              f"record has no valid WARC-Date ({date!r})") from None
    entry = CdxjEntry.of(url, timestamp, mime=mime, status=status, digest=digest,
                         length=length, offset=record.offset, filename=filename)
    if not page or url is None:
        return RecordFacts(entry, None)
    keep = digest if rec_type == "response" else None
    return RecordFacts(entry, PageFacts(url, _iso_from_timestamp(timestamp), title, lookup,
                                        keep))


def resolve_page(page: PageFacts, titles: dict[str, str]) -> PageEntry:
    """The page entry, its title looked up in (or remembered in) ``titles``: the titles
    of the pages read so far by payload digest, oldest forgotten first past _MAX_TITLES."""
    title = titles.get(page.lookup) if page.lookup else page.title
    if page.keep and title is not None:
        if len(titles) >= _MAX_TITLES:
            del titles[next(iter(titles))]
        titles[page.keep] = title
    return PageEntry(url=page.url, ts=page.ts, title=title, id=page_id(page.url, page.ts))


def _entries(facts: RecordFacts | None, titles: dict[str, str]) -> list[CdxjEntry | PageEntry]:
    if facts is None:
        return []
    if facts.page is None:
        return [facts.entry]
    return [facts.entry, resolve_page(facts.page, titles)]


def _iso_from_timestamp(t: str) -> str:
    """``20261128134500`` -> ``2026-11-28T13:45:00Z``."""
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


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


def _page_sort_line(page: PageEntry, order: int) -> str:
    # Sorts by page_sort_key, then ``order`` (the page's place in the WARCs read in name
    # order: crawl order), then the JSON after the last NUL, which is what is written
    # (JSON escapes every control character, so it holds no NUL or newline).
    return f"{page_sort_key(page.ts, page.url)}\x00{order:012d}\x00{page.to_json()}"


def build_indexes(
    coll: Collection,
    *,
    on_progress: ProgressCallback | None = None,
    sort_buffer_bytes: int = SORT_BUFFER_BYTES,
    reuse_lines: bool = False,
) -> IndexSummary:
    """Rebuild ``indexes/index.cdxj`` and ``pages/pages.jsonl`` from the closed WARCs.

    WARCs are read in name order (files still being written, ``*.open``, are left out).
    With ``reuse_lines`` (the end of a crawl), a WARC whose index lines were appended as
    it was written (store.indexlines) and still match it (size, and SHA-256 in the
    fixity manifest) is not read: its lines are merged, giving the same bytes.
    ``on_progress`` receives the bytes read so far over all files; their total is the sum
    of the files' sizes. Raises WarcFormatError, leaving the old indexes in place, if a
    WARC cannot be read.
    """
    warcs = coll.closed_warcs()
    coll.index_path.parent.mkdir(parents=True, exist_ok=True)
    coll.pages_path.parent.mkdir(parents=True, exist_ok=True)
    anomalies: list[WarcAnomaly] = []
    titles: dict[str, str] = {}
    digests = FixityManifest(coll.manifest_path).entries() if reuse_lines else {}
    done = 0
    order = itertools.count()
    with tempfile.TemporaryDirectory(prefix=".sort-", dir=coll.index_path.parent) as tmp:
        cdxj = _RunSorter(Path(tmp), "cdxj", sort_buffer_bytes)
        pages = _RunSorter(Path(tmp), "pages", sort_buffer_bytes)
        for warc in warcs:
            base = done
            size = warc.stat().st_size
            lines = None if not reuse_lines else read_lines(
                coll.index_lines_path(warc.name), size,
                digests.get(Collection.warc_rel(warc.name)))
            if lines is not None:
                for line, page in lines:
                    cdxj.add(line)
                    if page is not None:
                        pages.add(_page_sort_line(resolve_page(PageFacts(*page), titles),
                                                  next(order)))
                if on_progress is not None:
                    on_progress(base + size)
            else:
                progress = None if on_progress is None else _offset_progress(on_progress,
                                                                             base)
                sha256 = digests.get(Collection.warc_rel(warc.name))
                # Read once: its lines are kept for the next crawl's end (a WARC from
                # before the lines existed, or whose lines were lost).
                kept = IndexLines(coll.index_lines_path(warc.name)) if sha256 else None
                seen = len(anomalies)
                try:
                    for item in index_warc(warc, warc.name, on_progress=progress,
                                           on_anomaly=anomalies.append, titles=titles,
                                           on_record=None if kept is None else kept.add):
                        if isinstance(item, CdxjEntry):
                            cdxj.add(item.to_line())
                        else:
                            pages.add(_page_sort_line(item, next(order)))
                except BaseException:
                    if kept is not None:
                        kept.abandon(drop=True)
                    raise
                if kept is not None and sha256:
                    if len(anomalies) > seen:  # read each time, so that they are reported
                        kept.abandon(drop=True)
                    else:
                        kept.close(size, sha256)
            done = base + size
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
    """One line per page key; of the captures of one URL in one second (the same page
    id), the one read last: a recrawl that started within the second of the crawl before
    it lists its own title, not whichever JSON sorts first."""
    count = 0
    with atomic_write(path, "w", encoding="utf-8") as out, sorter.sorted() as lines:
        out.write(json.dumps(PAGES_HEADER) + "\n")
        held: tuple[str, str] | None = None  # the key and JSON of the last line seen
        for line in lines:
            head, _, obj = line.rpartition("\x00")
            key = head.rpartition("\x00")[0]
            if held is not None and key != held[0]:
                out.write(held[1] + "\n")
                count += 1
            held = key, obj
        if held is not None:
            out.write(held[1] + "\n")
            count += 1
    return count
