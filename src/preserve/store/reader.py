"""The one WARC record reader: yields each record of a WARC file with its place in the file.

Framing is ours (gzip members inflated one at a time, records delimited by their
Content-Length, the blank lines after each consumed), so that a damaged file raises
WarcFormatError naming the offset of the bad record instead of being read as if it were
whole; header blocks are parsed by warcio's rules (store.heads, which does not import
warcio) and payloads decoded by warcio's ``ArcWarcRecord.content_stream``.

Offsets and lengths are those cdxj-indexer (warcio's ArchiveIterator) gives: for a gzip
WARC, the record's gzip member; for an uncompressed one, the record without the blank
lines that follow it. Only WARC records are read (an ARC header is garbage here), and the
HTTP head of a request record is left unparsed (nothing reads it; skipping it is faster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from ..errors import WarcFormatError
from ..web import inflate
from .heads import Head, HeadError, HeadParser

__all__ = [
    "WarcRecord",
    "WarcReader",
    "Readable",
    "AnomalyCallback",
    "read_records",
    "record_at",
    "record_from_fields",
    "parse_http_head",
    "target_uri",
]

AnomalyCallback = Callable[[int, str], None]

_READ_SIZE = 1 << 16
_INFLATE_MAX = 1 << 16  # inflate at most this much at a time: a gzip bomb stays small
_LINE_MAX = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_WARC_VERSIONS = ["WARC/1.1", "WARC/1.0", "WARC/0.17", "WARC/0.18"]
_HTTP_VERSIONS = ["HTTP/1.0", "HTTP/1.1"]
# As warcio, these record types with an http(s) target carry an HTTP head; warcio also
# parses a request's, which no reader here needs.
_HTTP_RECORDS = ("response", "revisit")
_NO_HEADER = "Invalid WARC record: no WARC record header here"
_SHARED = ("several records share this gzip member; each record must be its own member "
           "(`warcio recompress` fixes the file)")
_TRUNCATED = "the file ends inside this record (truncated gzip member)"
_WARC_PARSER = HeadParser(_WARC_VERSIONS)
_HTTP_PARSER = HeadParser(_HTTP_VERSIONS, verify=False)


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...
    def readline(self, size: int = ..., /) -> bytes: ...


class _Corrupt(Exception):
    """Inflating failed; the reader turns it into a WarcFormatError at the member."""


class _Stream:
    """A buffered byte stream over a source of chunks, with warcio's read/readline/tell."""

    __slots__ = ("_pull", "_buf", "_pos", "_base")

    def __init__(self, pull: Callable[[], bytes], base: int = 0, data: bytes = b"") -> None:
        self._pull = pull
        self._buf = data
        self._pos = 0
        self._base = base  # position of _buf[0] in the stream

    def tell(self) -> int:
        return self._base + self._pos

    def rest(self) -> bytes:
        """What is buffered and not read yet."""
        return self._buf[self._pos:]

    def _fill(self) -> bool:
        data = self._pull()
        if not data:
            return False
        self._base += self._pos
        self._buf = self._buf[self._pos:] + data if self._pos < len(self._buf) else data
        self._pos = 0
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = [self._buf[self._pos:]]
            self._pos = len(self._buf)
            while self._fill():
                parts.append(self._buf)
                self._pos = len(self._buf)
            return b"".join(parts)
        end = self._pos + size
        if end <= len(self._buf):
            out = self._buf[self._pos:end]
            self._pos = end
            return out
        parts = [self._buf[self._pos:]]
        size -= len(parts[0])
        self._pos = len(self._buf)
        while size > 0 and self._fill():
            piece = self._buf[:size]
            parts.append(piece)
            self._pos = len(piece)
            size -= len(piece)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        limit = _LINE_MAX if size is None or size < 0 else size
        nl = self._buf.find(b"\n", self._pos, self._pos + limit)
        if nl >= 0:
            out = self._buf[self._pos:nl + 1]
            self._pos = nl + 1
            return out
        while len(self._buf) - self._pos < limit and self._fill():
            nl = self._buf.find(b"\n", self._pos, self._pos + limit)
            if nl >= 0:
                out = self._buf[self._pos:nl + 1]
                self._pos = nl + 1
                return out
        end = min(self._pos + limit, len(self._buf))
        out = self._buf[self._pos:end]
        self._pos = end
        return out

    def skip(self, size: int | None) -> int:
        """Pass over ``size`` bytes (None: to the end) without keeping them; how many."""
        done = 0
        while size is None or done < size:
            step = len(self._buf) - self._pos
            if size is not None:
                step = min(step, size - done)
            self._pos += step
            done += step
            if (size is None or done < size) and not self._fill():
                break
        return done


class _Limited:
    """At most ``remaining`` bytes of a stream: a record's block."""

    __slots__ = ("_stream", "remaining")

    def __init__(self, stream: _Stream, limit: int) -> None:
        self._stream = stream
        self.remaining = limit

    def read(self, size: int | None = -1) -> bytes:
        n = self.remaining if size is None or size < 0 else min(size, self.remaining)
        if n <= 0:
            return b""
        data = self._stream.read(n)
        self.remaining -= len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        n = self.remaining if size is None or size < 0 else min(size, self.remaining)
        if n <= 0:
            return b""
        data = self._stream.readline(n)
        self.remaining -= len(data)
        return data

    def skip_rest(self) -> int:
        """Pass over what is left; how many bytes the stream ended short of it."""
        missing = self.remaining - self._stream.skip(self.remaining)
        self.remaining = 0
        return missing


class _Member:
    """The inflated bytes of one gzip member, pulled in bounded pieces."""

    __slots__ = ("_fh", "_pending", "_inflate", "fed", "cut")

    def __init__(self, fh: IO[bytes], data: bytes) -> None:
        self._fh = fh
        self._pending = data
        self._inflate = inflate.decompressobj(31)
        self.fed = 0  # compressed bytes given to the inflater
        self.cut = False  # the file ended inside the member

    def pull(self) -> bytes:
        inflater = self._inflate
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = self._pending or self._fh.read(_READ_SIZE)
                self._pending = b""
                if not data:
                    self.cut = True
                    return b""
                self.fed += len(data)
            try:
                out = inflater.decompress(data, _INFLATE_MAX)
            except inflate.ERRORS as e:
                raise _Corrupt(f"corrupt gzip data ({e})") from None
            if out:
                return out
        return b""

    @property
    def ended(self) -> bool:
        return bool(self._inflate.eof)

    def unused(self) -> bytes:
        """The file's bytes read past the member's end."""
        return bytes(self._inflate.unused_data)

    def length(self) -> int:
        return self.fed - len(self._inflate.unused_data)


class WarcRecord:
    """One record: its WARC and HTTP heads, a stream of its payload, its place in the file.

    ``payload`` is the record block after the HTTP head (the raw bytes the payload digest
    covers); ``content_stream()`` undoes chunked transfer coding and content coding.
    ``length`` reads the record to its end first (its size is known only then)."""

    __slots__ = ("offset", "rec_type", "rec_headers", "http_headers", "payload",
                 "content_length", "_block", "_finish", "_length")

    def __init__(self, offset: int, rec_headers: Head,
                 http_headers: Head | None, payload: _Limited | _Stream,
                 content_length: int | None, finish: Callable[[WarcRecord], int]) -> None:
        self.offset = offset
        self.rec_type: str | None = rec_headers.get_header("WARC-Type")
        self.rec_headers = rec_headers
        # An empty HTTP head counts as none, as warcio's falsy StatusAndHeaders does.
        self.http_headers = http_headers if http_headers else None
        self.payload: Readable = payload
        self._block = payload
        self.content_length = content_length
        self._finish = finish
        self._length: int | None = None

    def header(self, name: str) -> str | None:
        """A WARC header's value (the first, if repeated)."""
        value: str | None = self.rec_headers.get_header(name)
        return value

    @property
    def uri(self) -> str | None:
        return self.header("WARC-Target-URI")

    def http_status(self) -> str | None:
        """The HTTP status code as text, if the record has an HTTP response head."""
        if self.http_headers is None:
            return None
        code: str = self.http_headers.get_statuscode()
        return code

    def http_header(self, name: str) -> str | None:
        """An HTTP header's value, if the record has an HTTP head."""
        if self.http_headers is None:
            return None
        value: str | None = self.http_headers.get_header(name)
        return value

    def content_stream(self) -> Readable:
        """The payload with transfer and content coding undone (as warcio does)."""
        from warcio.recordloader import ArcWarcRecord  # only here: see store.heads

        record = ArcWarcRecord("warc", self.rec_type, self.rec_headers, self.payload,
                               self.http_headers, self.header("Content-Type"),
                               self.content_length)
        stream: Readable = record.content_stream()
        return stream

    @property
    def length(self) -> int:
        if self._length is None:
            self._length = self._finish(self)
        return self._length


def parse_http_head(head: bytes) -> Head | None:
    """An HTTP response head, parsed leniently as the reader parses it; None if empty."""
    try:
        parsed = _HTTP_PARSER.parse(_Stream(lambda: b"", data=head))
    except (EOFError, ValueError):
        return None
    return parsed if parsed else None


def target_uri(value: str) -> str:
    """A WARC-Target-URI made usable as cdxj-indexer does: wget's <brackets> dropped,
    spaces percent-encoded."""
    uri = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    return uri.replace(" ", "%20")


def _target_uri(headers: Head) -> str | None:
    """The record's target_uri (the header is rewritten in place, as warcio does)."""
    uri: str | None = headers.get_header("WARC-Target-URI")
    if uri is None:
        return None
    fixed = target_uri(uri)
    if fixed != uri:
        headers.replace_header("WARC-Target-URI", fixed)
    return fixed


class WarcReader:
    """Iterates over the records of an open WARC file (gzip or not) from ``start``.

    ``on_anomaly(offset, message)`` hears of a record not followed by its blank lines (a
    wrong Content-Length that still parses); reading goes on. Anything that stops the
    read raises WarcFormatError naming ``path`` and the offset of the record (for a gzip
    WARC, of its member). ``position`` is the offset just after the last record read to
    its end (for progress)."""

    def __init__(self, fh: IO[bytes], path: Path, *, start: int = 0,
                 on_anomaly: AnomalyCallback | None = None) -> None:
        self._fh = fh
        self.path = path
        self.position = start
        self._on_anomaly = on_anomaly
        self._next_line = b""  # the status line of the next record, already read

    def __iter__(self) -> Iterator[WarcRecord]:
        self._fh.seek(self.position)
        data = self._fh.read(_READ_SIZE)
        while data:
            if len(data) < len(_GZIP_MAGIC):
                data += self._fh.read(_READ_SIZE)
            if data.startswith(_GZIP_MAGIC):
                member = _Member(self._fh, data)
                yield from self._member(member)
                data = member.unused() or self._fh.read(_READ_SIZE)
            elif not data.strip():
                self.position += len(data)  # blank padding after a member
                data = self._fh.read(_READ_SIZE)
            else:
                yield from self._plain(data)
                return

    def _fail(self, offset: int, message: str) -> WarcFormatError:
        return WarcFormatError(self.path, offset, message)

    def _member(self, member: _Member) -> Iterator[WarcRecord]:
        offset = self.position

        def pull() -> bytes:
            try:
                return member.pull()
            except _Corrupt as e:
                raise self._fail(offset, str(e)) from None

        stream = _Stream(pull, offset)
        line = _first_line(stream)
        if not line:
            if member.cut:
                raise self._fail(offset, _TRUNCATED)
            self.position = offset + member.length()  # an empty or blank member
            return

        def finish(record: WarcRecord) -> int:
            missing = self._drain(record, stream)
            if missing > 0:
                raise self._fail(offset, _TRUNCATED if member.cut else _short(record, missing))
            after = self._blank_lines(stream, offset)
            if after:
                raise self._fail(offset, _SHARED if after.startswith(b"WARC/")
                                 else _NO_HEADER)
            if member.cut or not member.ended:
                raise self._fail(offset, _TRUNCATED)
            self.position = offset + member.length()
            return member.length()

        try:
            record = self._parse(stream, line, offset, finish)
        except WarcFormatError:
            if _cut_short(member, stream):
                raise self._fail(offset, _TRUNCATED) from None
            raise
        yield record
        record.length  # noqa: B018  (reads the record to its end)

    def _plain(self, data: bytes) -> Iterator[WarcRecord]:
        fh = self._fh
        stream = _Stream(lambda: fh.read(_READ_SIZE), self.position, data)

        def finish(record: WarcRecord) -> int:
            missing = self._drain(record, stream)
            if missing > 0:
                raise self._fail(record.offset, _short(record, missing))
            end = stream.tell()
            self._next_line = self._blank_lines(stream, record.offset)
            self.position = stream.tell() - len(self._next_line)
            return end - record.offset

        self._next_line = _first_line(stream)
        while self._next_line:
            offset = stream.tell() - len(self._next_line)
            record = self._parse(stream, self._next_line, offset, finish)
            yield record
            record.length  # noqa: B018  (reads the record to its end)

    def _blank_lines(self, stream: _Stream, offset: int) -> bytes:
        """Consume the blank lines after a record, as warcio does: the first line is
        taken whatever it holds (an anomaly if not blank). The next line, if any."""
        line = stream.readline()
        if line.strip() and self._on_anomaly is not None:
            self._on_anomaly(offset, "record is not followed by a blank line; its "
                             "Content-Length may be wrong")
        return _first_line(stream) if line else b""

    @staticmethod
    def _drain(record: WarcRecord, stream: _Stream) -> int:
        """Read the record's block to its end; how many of its bytes are missing."""
        block = record._block
        if isinstance(block, _Limited):
            return block.skip_rest()
        stream.skip(None)  # no Content-Length: the block runs to the end (as warcio)
        return 0

    def _parse(self, stream: _Stream, line: bytes, offset: int,
               finish: Callable[[WarcRecord], int]) -> WarcRecord:
        return _parse(stream, line, offset, finish, self.path)


def _parse(stream: _Stream, line: bytes, offset: int, finish: Callable[[WarcRecord], int],
           path: Path) -> WarcRecord:
    try:
        rec_headers = _WARC_PARSER.parse(stream, line)
    except HeadError:
        raise WarcFormatError(path, offset, _NO_HEADER) from None
    return _record(rec_headers, stream, offset, finish)


def _record(rec_headers: Head, stream: _Stream, offset: int,
            finish: Callable[[WarcRecord], int]) -> WarcRecord:
    """The record whose WARC head is parsed and whose block follows in ``stream``."""
    uri = _target_uri(rec_headers)
    value = rec_headers.get_header("Content-Length")
    length: int | None = None
    if value is not None:
        try:
            length = max(int(value), 0)
        except ValueError:
            length = 0
    block: _Limited | _Stream = stream if length is None else _Limited(stream, length)
    http: Head | None = None
    rec_type = rec_headers.get_header("WARC-Type")
    if (rec_type in _HTTP_RECORDS and length != 0 and uri is not None
            and uri.startswith(("http:", "https:"))):
        try:
            http = _HTTP_PARSER.parse(block)
        except EOFError:
            # An empty revisit block (no HTTP head, which is fine), or a block cut
            # short, which reading the record to its end reports.
            http = None
    return WarcRecord(offset, rec_headers, http, block, length, finish)


def _short(record: WarcRecord, missing: int) -> str:
    return f"record is truncated: {missing} of its {record.content_length} bytes are missing"


def _first_line(stream: _Stream) -> bytes:
    """The first line that is not blank (b"" at the end)."""
    while True:
        line = stream.readline()
        if not line or line.strip():
            return line


def _cut_short(member: _Member, stream: _Stream) -> bool:
    """Whether the member in hand ends with the file (what is left of it is read)."""
    try:
        stream.skip(None)
    except WarcFormatError:
        return False
    return member.cut


def record_from_fields(offset: int, length: int, fields: list[tuple[str, str]],
                       block: Iterable[bytes]) -> WarcRecord:
    """The record at ``offset`` of a WARC (``length`` bytes stored) as WarcReader
    yields it, made from the record being written instead of read back: its fields as a
    reader parses them (store.records.read_back), so its header block is neither made
    nor parsed, and its block, whose HTTP head is parsed as WarcReader parses it.
    store.warc indexes what it writes so."""
    chunks = iter(block)
    stream = _Stream(lambda: next(chunks, b""), offset)
    return _record(Head("", fields, "WARC/1.1"), stream, offset,
                   lambda record: length)


@contextmanager
def read_records(path: Path, *, on_anomaly: AnomalyCallback | None = None
                 ) -> Iterator[WarcReader]:
    """A WarcReader over the WARC at ``path``; OSError becomes WarcFormatError."""
    try:
        fh = path.open("rb")
    except OSError as e:
        raise WarcFormatError(path, 0, f"cannot read the file ({e.strerror})") from e
    with fh:
        yield WarcReader(fh, path, on_anomaly=on_anomaly)


@contextmanager
def record_at(path: Path, offset: int) -> Iterator[WarcRecord | None]:
    """The record at ``offset`` of the WARC at ``path`` (None if there is none)."""
    with path.open("rb") as fh:
        reader = WarcReader(fh, path, start=offset)
        yield next(iter(reader), None)
