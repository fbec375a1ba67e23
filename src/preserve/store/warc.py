"""WARC files of a collection: exchanges in, gzip-per-record WARC 1.1 files out.

A file being written is ``NAME.warc.gz.open``; when it reaches the rotation size (or the
crawl ends) it is fsynced and renamed to ``NAME.warc.gz`` and reported to ``on_close``
with its SHA-256, computed while the bytes were written. Each file starts with a
warcinfo record. A record that fails to write (a full disk) is cut off again, so the
file always ends on a complete record. With ``index_lines``, what the index takes from
each record is appended beside the file as the record is written (store.indexlines),
so that the end of a crawl need not read the file again.

A crawl's worker threads call ``prepare`` (thread-safe: it reads only the writer's
settings) to digest and compress an exchange's blocks and find the index facts of its
response, so the main thread that writes only appends ready bytes (store.prepared).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from ..atomic import fsync_dir
from ..errors import StorageError
from ..web.exchange import Exchange, TlsInfo
from .cdxj import is_indexed
from .indexer import RecordFacts, record_facts
from .indexlines import IndexLines
from .prepared import PREPARE_MAX, PreparedBlock, gzip_member, prepare_block
from .reader import record_from_fields
from .records import (
    Digester,
    RecordIdFactory,
    new_record_id,
    read_back,
    serialise_record,
    warc_date,
    warc_fields,
)
from .responses import REVISIT_PROFILE, response_fields, revisit_fields

__all__ = [
    "WarcWriter",
    "WrittenRecord",
    "PreparedRecord",
    "PreparedExchange",
    "ClosedWarc",
    "Original",
    "DigestIndex",
    "REVISIT_PROFILE",
    "OPEN_SUFFIX",
    "worker_id",
]

OPEN_SUFFIX = ".open"
_HASH_CHUNK = 1 << 20
# In the records a worker prepares: the fields only the main thread knows (record IDs);
# the index facts never read them.
_PLACEHOLDER_ID = "<urn:uuid:00000000-0000-0000-0000-000000000000>"
_PLACEHOLDER = Path("")


def worker_id() -> str:
    """Identifies the writing process in file names, so many workers never collide."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}"


@dataclass(frozen=True)
class Original:
    """The first capture of a payload, which a revisit record refers to."""

    uri: str
    date: str
    record_id: str


class DigestIndex(Protocol):
    def lookup(self, payload_digest: str) -> Original | None: ...

    def add(self, payload_digest: str, original: Original) -> None: ...


@dataclass(frozen=True)
class WrittenRecord:
    record_id: str
    record_type: str
    filename: str
    offset: int
    length: int
    payload_digest: str | None = None
    revisit_of: Original | None = None


@dataclass(frozen=True)
class PreparedRecord:
    """A record's block made ready by a worker thread, and what the index takes from the
    record (its facts at offset 0 of no file; None for a record the index leaves out).
    ``unreadable``: the facts could not be found (the lines are dropped, as when written).
    ``later``: the facts are found if the record is written (a revisit, which most
    captures never become), as for a record the main thread streams."""

    block: PreparedBlock
    facts: RecordFacts | None = None
    unreadable: bool = False
    later: bool = False


@dataclass(frozen=True)
class PreparedExchange:
    """An exchange's records made ready by WarcWriter.prepare in a worker thread: the
    response, its request and, where deduplication may make a revisit of it, the revisit."""

    response: PreparedRecord
    request: PreparedBlock
    revisit: PreparedRecord | None = None


@dataclass(frozen=True)
class ClosedWarc:
    path: Path
    sha256: str
    size: int
    records: int


class WarcWriter:
    """Writes records of one crawl into rotating WARC files in ``directory``."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        warcinfo: list[tuple[str, str]],
        max_size: int = 1_000_000_000,
        digest: str = "sha1",
        dedup: DigestIndex | None = None,
        on_close: Callable[[ClosedWarc], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        record_id: RecordIdFactory = new_record_id,
        serial: int = 0,
        index_lines: Callable[[str], Path] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.warcinfo = warcinfo
        self.max_size = max_size
        self.digest = digest
        self.dedup = dedup
        self.on_close = on_close
        self.clock = clock
        self.record_id = record_id
        self.serial = serial
        self.worker = worker_id()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        # Where the file ends, counted as records are written: a buffered file's tell()
        # is a system call (that lets go of the interpreter lock). None: ask the file.
        self._pos: int | None = None
        self._held = False  # a capture's records are flushed together (begin(held=True))
        self._sha256 = hashlib.sha256()
        self._hash_valid = True
        self._records = 0
        self._warcinfo_id = ""
        self.index_lines = index_lines  # WARC name -> where its index lines go
        self._lines: IndexLines | None = None

    @property
    def current_path(self) -> Path | None:
        return self._path

    @property
    def current_offset(self) -> int:
        return self._position() if self._file else 0

    def _position(self) -> int:
        assert self._file is not None
        if self._pos is None:
            self._pos = self._file.tell()
        return self._pos

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            stamp = self.clock().astimezone(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
            name = f"{self.prefix}-{stamp}-{self.serial:05d}-{self.worker}.warc.gz"
            self.serial += 1
            path = self.directory / (name + OPEN_SUFFIX)
            if not path.exists() and not (self.directory / name).exists():
                break
        try:
            self._file = open(path, "xb")  # closed in close()
        except OSError as e:
            raise StorageError(f"cannot create WARC file ({e.strerror})", path) from e
        self._path = path
        self._pos = 0
        self._held = False
        if self.index_lines is not None:
            self._lines = IndexLines(self.index_lines(name))
        self._sha256 = hashlib.sha256()
        self._hash_valid = True
        self._records = 0
        self._warcinfo_id = self.record_id()
        body = warc_fields([(k, v) for k, v in self.warcinfo if v])
        digester = Digester(self.digest, None)
        digester.update(body)
        self._write(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self._warcinfo_id),
                ("WARC-Date", warc_date(self.clock())),
                ("WARC-Filename", name),
                ("WARC-Block-Digest", digester.block_digest),
                ("Content-Type", "application/warc-fields"),
            ],
            lambda: [body],
            len(body),
        )

    def begin(self, held: bool = False) -> tuple[Path, int]:
        """Open or rotate the file now; the position returned is where the next record goes.

        Call before the records of one capture, so they all land in one file and can be
        rolled back together. ``held``: its records (and their index lines) are flushed
        together by ``flush()``, not one by one; call it before the capture is committed.
        """
        if self._file is None:
            self._open()
        elif self._position() >= self.max_size:
            self.close()
            self._open()
        assert self._file is not None and self._path is not None
        self._held = held
        if self._lines is not None:
            self._lines.begin(held)
        return self._path, self._position()

    def flush(self) -> None:
        """Write out the records of a held capture and their index lines; a StorageError
        if that fails (``rollback`` then cuts the capture back)."""
        self._held = False
        f = self._file
        if f is None:
            return
        try:
            f.flush()
        except OSError as e:
            raise StorageError(f"cannot write WARC record ({e.strerror})", self._path) from e
        if self._lines is not None:
            self._lines.flush()

    def rollback(self, mark: tuple[Path, int]) -> None:
        """Cut the current file back to ``mark`` (from begin()) if it is still open."""
        self._held = False
        if self._file is not None and self._path == mark[0]:
            self._cut(mark[1])

    def _ensure_open(self) -> None:
        if self._file is None:
            self._open()

    def _write(self, headers: list[tuple[str, str]], block: Callable[[], Iterable[bytes]],
               length: int) -> int:
        """Append one record (``block()`` gives its block, as often as asked); on any
        error cut the file back to where the record began."""
        start = self._append(lambda: serialise_record(headers, block(), length))
        if self._lines is not None and self._lines.active:
            end = self._position()
            self._lines.add(start, end, self._facts(headers, block, length, start, end))
        return start

    def _append(self, members: Callable[[], Iterable[bytes]]) -> int:
        """Write one record's gzip members and flush (unless the capture is held); on any
        error cut the file back to where the record began. Returns that offset."""
        f = self._file
        assert f is not None and self._path is not None
        start = self._position()
        written = 0
        try:
            for member in members():
                f.write(member)
                written += len(member)
                if self._hash_valid:
                    self._sha256.update(member)
            if not self._held:
                f.flush()
        except OSError as e:
            self._cut(start)
            raise StorageError(f"cannot write WARC record ({e.strerror})", self._path) from e
        except BaseException:
            self._cut(start)
            raise
        self._pos = start + written
        self._records += 1
        return start

    def _write_prepared(self, headers: list[tuple[str, str]],
                        record: PreparedRecord | PreparedBlock,
                        chunks: Callable[[], Iterable[bytes]] | None = None) -> int:
        """Append one record whose block a worker prepared; as _write, with the index
        facts already known but for where the record is (or, ``later``, found from the
        block's ``chunks``)."""
        block = record if isinstance(record, PreparedBlock) else record.block
        member = gzip_member(headers, block)
        start = self._append(lambda: (member,))
        assert self._path is not None
        if self._lines is not None and self._lines.active:
            facts = None
            end = start + len(member)
            if isinstance(record, PreparedRecord) and record.later:
                assert chunks is not None
                self._lines.add(start, end, self._facts(headers, chunks, block.length,
                                                        start, end))
                return start
            if isinstance(record, PreparedRecord):
                if record.unreadable:
                    self._lines.abandon(drop=True)
                    return start
                if record.facts is not None:
                    name = self._path.name.removesuffix(OPEN_SUFFIX)
                    entry = replace(record.facts.entry, length=len(member), offset=start,
                                    filename=name)
                    facts = RecordFacts(entry, record.facts.page)
            self._lines.add(start, end, facts)
        return start

    def _facts(self, headers: list[tuple[str, str]], block: Callable[[], Iterable[bytes]],
               length: int, start: int, end: int) -> RecordFacts | None:
        """What the index takes from the record just written: read by the reader's own
        code (store.reader) from its fields and block in memory, as `preserve index`
        reads them from the file."""
        fields = dict(headers)
        if not is_indexed(fields.get("WARC-Type"), fields.get("Content-Type")):
            return None
        assert self._path is not None and self._lines is not None
        name = self._path.name.removesuffix(OPEN_SUFFIX)
        path = self._path.with_name(name)
        try:
            record = record_from_fields(start, end - start, read_back(headers, length),
                                        block())
            return record_facts(path, record, name)
        except Exception:  # the lines only save a read: the WARC is read instead, at the end
            self._lines.abandon(drop=True)
            return None

    def _cut(self, offset: int) -> None:
        assert self._file is not None
        if self._lines is not None:
            self._lines.rollback(offset)
        try:
            self._file.seek(offset)
            self._file.truncate(offset)
            self._file.flush()
            self._pos = offset
        except OSError:
            # The caller reports the original error; recovery cuts on resume. Where the
            # file ends is the file's to say now.
            self._pos = None
        self._hash_valid = False

    def write_exchange(self, ex: Exchange, prepared: PreparedExchange | None = None
                       ) -> tuple[WrittenRecord, WrittenRecord]:
        """Write the response (or a revisit) and its request; return (response, request).
        ``prepared``: what ``prepare`` made of ``ex`` in a worker thread."""
        response = self.write_response(ex, prepared=prepared)
        request = self._write_request(ex, response.record_id, warc_date(ex.date),
                                      response.filename,
                                      None if prepared is None else prepared.request)
        if ex.tls is not None and not ex.tls.verified:
            self.write_metadata(ex.url, response.record_id, ex.date, _tls_fields(ex.tls))
        return response, request

    def prepare(self, ex: Exchange) -> PreparedExchange | None:
        """Digest and compress the blocks of ``ex``'s records and find its response's
        index facts, for write_exchange; thread-safe (it reads only the writer's settings), so a
        crawl's worker threads call it. None for a block too large to hold compressed
        in memory: write_exchange then streams it."""
        block = ex.response
        if block.length > PREPARE_MAX:
            return None
        response = prepare_block(block.chunks(), block.length, self.digest,
                                 block.header_length)
        payload_digest = response.payload_digest
        date = warc_date(ex.date)
        headers = response_fields(ex, date, _PLACEHOLDER_ID, _PLACEHOLDER_ID, [],
                                  response.block_digest, payload_digest)
        revisit = None
        if self._may_revisit(ex, payload_digest):
            head = block.head()
            revisit = PreparedRecord(prepare_block([head], len(head), self.digest, None),
                                     later=True)
        request = prepare_block([ex.request], len(ex.request), self.digest,
                                ex.request.find(b"\r\n\r\n") + 4)
        return PreparedExchange(self._prepared_record(headers, response, block.chunks),
                                request, revisit)

    def prepare_fields(self, items: list[tuple[str, str]]) -> PreparedBlock:
        """An application/warc-fields block for write_metadata, prepared (thread-safe)."""
        body = warc_fields(items)
        return prepare_block([body], len(body), self.digest, None)

    def _prepared_record(self, headers: list[tuple[str, str]], block: PreparedBlock,
                         chunks: Callable[[], Iterable[bytes]]) -> PreparedRecord:
        """The record with its index facts, read from its fields and block in memory as
        `preserve index` reads them from the file, at offset 0 of no file (the writer
        puts in where it lands)."""
        if self.index_lines is None:
            return PreparedRecord(block)
        fields = dict(headers)
        if not is_indexed(fields.get("WARC-Type"), fields.get("Content-Type")):
            return PreparedRecord(block)
        try:
            record = record_from_fields(0, 0, read_back(headers, block.length),
                                        chunks())
            return PreparedRecord(block, record_facts(_PLACEHOLDER, record, ""))
        except Exception:  # the lines only save a read: the WARC is read instead, at the end
            return PreparedRecord(block, unreadable=True)

    def _may_revisit(self, ex: Exchange, payload_digest: str | None) -> bool:
        """Whether the response may be written as a revisit (its payload seen before)."""
        return bool(self.dedup is not None and payload_digest and ex.status == 200
                    and ex.response.payload_length > 0 and not ex.truncated)

    def write_response(self, ex: Exchange, extra: Iterable[tuple[str, str]] = (),
                       prepared: PreparedExchange | None = None) -> WrittenRecord:
        """Write the response (or a revisit) alone, with ``extra`` WARC fields (an import
        from another archive: WARC-Source-URI, WARC-Creation-Date); no request record.
        ``prepared`` (from ``prepare``, with no ``extra``): its blocks are written as they are."""
        extra = list(extra)
        if extra:
            prepared = None  # prepare() made the records without them
        self._ensure_open()
        assert self._path is not None
        filename = self._path.name.removesuffix(OPEN_SUFFIX)
        date = warc_date(ex.date)
        block = ex.response
        if prepared is None:
            digester = Digester(self.digest, block.header_length)
            for chunk in block.chunks():
                digester.update(chunk)
            block_digest, payload_digest = digester.block_digest, digester.payload_digest
        else:
            block_digest = prepared.response.block.block_digest
            payload_digest = prepared.response.block.payload_digest
        original = None
        if self.dedup is not None and payload_digest and self._may_revisit(ex, payload_digest):
            original = self.dedup.lookup(payload_digest)
        response_id = self.record_id()
        if original is not None:
            revisit = None if prepared is None else prepared.revisit
            if revisit is not None:
                headers = revisit_fields(ex, date, response_id, self._warcinfo_id, extra,
                                         _refers_to(original), revisit.block.block_digest,
                                         payload_digest)
                offset = self._write_prepared(headers, revisit, lambda: [block.head()])
            else:
                head = block.head()
                head_digest = Digester(self.digest, None)
                head_digest.update(head)
                headers = revisit_fields(ex, date, response_id, self._warcinfo_id, extra,
                                         _refers_to(original), head_digest.block_digest,
                                         payload_digest)
                offset = self._write(headers, lambda: [head], len(head))
            kind = "revisit"
        else:
            headers = response_fields(ex, date, response_id, self._warcinfo_id, extra,
                                      block_digest, payload_digest)
            if prepared is not None:
                offset = self._write_prepared(headers, prepared.response)
            else:
                offset = self._write(headers, block.chunks, block.length)
            kind = "response"
        assert self._file is not None
        response = WrittenRecord(
            response_id, kind, filename, offset, self._position() - offset, payload_digest,
            original,
        )
        if kind == "response" and self.dedup is not None and payload_digest and ex.status == 200:
            self.dedup.add(payload_digest, Original(ex.url, date, response_id))
        return response

    def _write_request(
        self, ex: Exchange, response_id: str, date: str, filename: str,
        prepared: PreparedBlock | None = None,
    ) -> WrittenRecord:
        if prepared is None:
            digester = Digester(self.digest, ex.request.find(b"\r\n\r\n") + 4)
            digester.update(ex.request)
            block_digest, payload_digest = digester.block_digest, digester.payload_digest
        else:
            block_digest, payload_digest = prepared.block_digest, prepared.payload_digest
        record_id = self.record_id()
        headers = [
            ("WARC-Type", "request"),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", ex.url),
            ("WARC-Concurrent-To", response_id),
            ("WARC-Warcinfo-ID", self._warcinfo_id),
            ("WARC-Block-Digest", block_digest),
        ]
        if payload_digest:
            headers.append(("WARC-Payload-Digest", payload_digest))
        headers.append(("Content-Type", "application/http;msgtype=request"))
        if prepared is None:
            offset = self._write(headers, lambda: [ex.request], len(ex.request))
        else:
            offset = self._write_prepared(headers, prepared)
        assert self._file is not None
        return WrittenRecord(record_id, "request", filename, offset, self._position() - offset)

    def write_metadata(
        self, target_uri: str, refers_to: str, date: datetime, items: list[tuple[str, str]],
        prepared: PreparedBlock | None = None,
    ) -> WrittenRecord:
        """A Heritrix-style metadata record (via, hopsFromSeed, outlinks) about a capture;
        ``prepared``: its block from ``prepare_fields(items)``."""
        self._ensure_open()
        assert self._path is not None
        body = b""
        if prepared is None:
            body = warc_fields(items)
            digester = Digester(self.digest, None)
            digester.update(body)
            block_digest = digester.block_digest
        else:
            block_digest = prepared.block_digest
        record_id = self.record_id()
        headers = [
            ("WARC-Type", "metadata"),
            ("WARC-Record-ID", record_id),
            ("WARC-Date", warc_date(date)),
            ("WARC-Target-URI", target_uri),
            ("WARC-Concurrent-To", refers_to),
            ("WARC-Warcinfo-ID", self._warcinfo_id),
            ("WARC-Block-Digest", block_digest),
            ("Content-Type", "application/warc-fields"),
        ]
        if prepared is None:
            offset = self._write(headers, lambda: [body], len(body))
        else:
            offset = self._write_prepared(headers, prepared)
        assert self._file is not None
        filename = self._path.name.removesuffix(OPEN_SUFFIX)
        return WrittenRecord(record_id, "metadata", filename, offset, self._position() - offset)

    def abandon(self) -> Path | None:
        """Stop writing the current file and leave it ``.open``, for recovery to cut back.

        For when the crawl state failed to commit records already written: only the
        state knows where the committed records end, so the file is not closed here.
        """
        f, path = self._file, self._path
        self._file = None
        self._path = None
        if f is not None:
            with contextlib.suppress(OSError):  # every record was flushed when written
                f.close()
        if self._lines is not None:
            self._lines.abandon()  # recovery cuts them with the file
            self._lines = None
        return path

    def close(self) -> ClosedWarc | None:
        """Close the current file: fsync, rename to its final name, report it."""
        f, path = self._file, self._path
        if f is None or path is None:
            return None
        self._file = None
        self._path = None
        try:
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        finally:
            f.close()
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        sha256 = self._sha256.hexdigest() if self._hash_valid else sha256_file(path)
        if self._lines is not None:  # before the rename: a kill leaves an .open file
            self._lines.close(size, sha256)
            self._lines = None
        os.replace(path, final)
        fsync_dir(final.parent)
        closed = ClosedWarc(final, sha256, size, self._records)
        if self.on_close is not None:
            self.on_close(closed)
        return closed


def _refers_to(original: Original) -> tuple[str, str, str]:
    return original.uri, original.date, original.record_id


def _tls_fields(tls: TlsInfo) -> list[tuple[str, str]]:
    """The block of the metadata record about a capture whose certificate failed
    verification: the error, the session, and each certificate the server presented
    (leaf first) as the base64 body of its PEM on one line."""
    fields = [("tls-verify", "record"), ("tls-verify-error", tls.error),
              ("tls-protocol", tls.protocol), ("tls-cipher-suite", tls.cipher)]
    for pem in tls.chain:
        body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
        fields.append(("peer-certificate", body))
    return [(k, v) for k, v in fields if v]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()
