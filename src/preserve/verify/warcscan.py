"""One streaming pass over one WARC file: whole-file digests and every record check.

Each chunk read is hashed for the file's fixity (every algorithm at once), then fed to a
push parser: gzip members are inflated one at a time (or the file is read as plain
WARC), each record's header block is parsed, its block and payload are hashed as they
pass, and framing is checked (Content-Length, the CRLF CRLF after the block, a member
or a file cut short). What later checks need from the records (ids, revisit references,
CDXJ lines, pages) goes to a ``FactSink``; nothing of the file is kept in memory beyond
one header block, one HTTP head and the first 256 KiB of an HTML page. Header blocks
are parsed and checked by verify.warcheaders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from ..safeopen import Refused, open_in, open_regular
from ..web import inflate
from .digests import Digest, DigestFormatError, format_like, parse_digest
from .httphead import HTTP_STEP, HttpHead
from .report import FINDINGS_PER_CODE, Capped, FileResult, finding, refused_finding
from .sha1pair import COMPILED, update2
from .sha1pair import new as new_sha1
from .warcheaders import RecordHead, content_length, parse_head

__all__ = ["scan_warc", "Scanner", "FactSink", "RecordHead", "READ_SIZE",
           "FINDINGS_PER_CODE"]

READ_SIZE = 1 << 17
_HEAD_MAX = 1 << 20  # a WARC header block longer than this is not a header block
_OUT_MAX = 1 << 20  # inflate at most this much at a time: memory stays flat
_FIRST_IN = 1 << 12  # the input of a gzip member's first inflate call (_feed_gzip)
_HTTP_RECORDS = ("response", "request", "revisit")  # as warcio: these may carry HTTP headers
_PAD = b"\r\n\t \x00"  # blank padding tolerated after the last gzip member


# The compiled fast path (verify/_sha1x2.c): the usual record, all of it in the bytes at
# hand, parsed and checked whole in C; None for any other, which the scanner then reads
# here with every check. Only where the two-stream SHA-1 is (it hashes in C).
_Whole = tuple[int, str, list[tuple[str, str]], list[str], dict[str, str], str, str, int,
               bytes | None, int, bytes | None]
_compiled_record: Callable[[bytes, int], _Whole | None] | None = None
if COMPILED:
    from . import _sha1x2

    # (an extension built before record() was added lacks it: Python then reads all)
    _compiled_record = getattr(_sha1x2, "record", None)


class FactSink(Protocol):
    """Receives, per record, what cross-file and collection checks need."""

    def record(self, head: RecordHead, length: int, payload_digest: str | None,
               http_head: bytes | None, payload_start: bytes, payload_sha1: str | None
               ) -> None: ...

    def wants_payload(self, head: RecordHead, http_head: bytes | None) -> int:
        """How many leading payload bytes record() should get (0 for none)."""
        ...

    def member_length(self, offset: int, length: int) -> None:
        """The stored length of the record (its gzip member) at ``offset``."""
        ...


class _Record:
    """The record being read: its digests, and what the sink wants of its payload."""

    __slots__ = ("head", "length", "remaining", "block", "block_expected", "payload",
                 "payload_expected", "http", "http_reader", "http_head", "payload_seen",
                 "payload_want", "payload_buf", "sha1", "is_revisit", "block_sha1", "pair")

    def __init__(self, head: RecordHead, length: int) -> None:
        self.head = head
        self.length = length
        self.remaining = length
        self.block: Any = None
        self.block_expected: Digest | None = None
        self.payload: Any = None
        self.payload_expected: Digest | None = None
        self.http = head.type in _HTTP_RECORDS and length > 0 and head.uri[:6].lower(
            ).startswith(("http:", "https:"))
        self.http_reader: HttpHead | None = HttpHead() if self.http else None
        self.http_head: bytes | None = None
        self.payload_seen = 0
        self.payload_want = 0
        self.payload_buf = bytearray()
        self.sha1: Any = None
        self.is_revisit = head.type == "revisit"
        self.block_sha1 = False  # the block digest is SHA-1 (from sha1pair.new)
        # The block's hasher and the payload's (payload or sha1) are both from
        # sha1pair.new: the payload is hashed for both at once (update2).
        self.pair = False


class Scanner:
    """The push parser: ``feed`` it the file's bytes in order, then call ``end``.

    ``start`` > 0 begins at that offset of a gzip WARC, at a member boundary; with a
    ``limit``, the scanner stops (``reached``) at the first member boundary at or after
    it, so that a piece of a file can be checked on its own (verify.pieces)."""

    def __init__(self, name: str, sink: FactSink | None, *, start: int = 0,
                 limit: int | None = None) -> None:
        self.name = name
        self.sink = sink
        self.findings = Capped()
        self.records = 0
        self.gzip: bool | None = True if start else None
        self.stopped = False  # structure lost: the rest is hashed, not parsed
        self.limit = limit
        self.reached: int | None = None  # the member boundary where a limit stopped it
        # gzip state
        self.member_start = 0
        self.member_records = 0
        self.inflate: Any = None
        self.shared_reported = False
        # record state, on the inflated (or plain) stream
        self.state = "head"
        self.head_buf = bytearray()
        self.head_start = 0
        self.rec: _Record | None = None
        self.tail = bytearray()
        self.file_offset = start  # compressed bytes consumed

    def add(self, code: str, message: str, offset: int | None = None,
            expected: object = None, found: object = None) -> None:
        self.findings.add(finding(code, self.name, message, offset, expected, found))

    # -- input -----------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self.reached is not None:
            return
        if self.stopped or not data:
            self.file_offset += len(data)
            return
        if self.gzip is None:
            if data[:2] == b"\x1f\x8b"[: len(data[:2])]:  # (a file cut after 1 byte too)
                self.gzip = True
            elif data[:5].upper() == b"WARC/":
                self.gzip = False
            else:
                self._not_warc(data[:16])
                self.file_offset += len(data)
                return
        if self.gzip:
            self._feed_gzip(data)
        else:
            start = self.file_offset
            self.file_offset += len(data)
            self._parse(data, start)

    def _not_warc(self, start: bytes) -> None:
        if start.startswith(b"filedesc:"):
            message = "an ARC file (its first line is filedesc://), not a WARC"
        else:
            message = "neither a gzip member nor a WARC/ version line at the start of " \
                "the file"
        self.add("WARC_NOT_WARC", message, 0, "WARC/1.x or gzip", repr(start))
        self.stopped = True

    def _feed_gzip(self, data: bytes) -> None:
        whole = memoryview(data)
        size = len(data)
        base = self.file_offset
        consumed = 0
        while consumed < size and not self.stopped:
            d = self.inflate
            if d is None:
                first = whole[consumed]
                if first in _PAD and not bytes(whole[consumed:]).strip(_PAD):
                    consumed = size  # blank padding after the last member
                    break
                if first != 0x1F or (size - consumed > 1 and whole[consumed + 1] != 0x8B):
                    self.add("WARC_TRAILING_DATA", "bytes that are not a gzip member "
                             "follow the last record", base + consumed, "gzip member",
                             repr(bytes(whole[consumed:consumed + 16])))
                    self.stopped = True
                    consumed = len(data)
                    break
                d = self.inflate = inflate.decompressobj(31)
                self.member_start = base + consumed
                self.member_records = 0
                self._begin_record_stream()
                # A member's first call gets at most _FIRST_IN bytes: at the member's
                # end zlib copies the input left over (unused_data), and a small record's
                # member would otherwise copy the rest of the whole read, for every record.
                view = whole[consumed:consumed + _FIRST_IN]
            else:
                view = whole[consumed:]
            try:
                out = d.decompress(view, _OUT_MAX)
            except inflate.ERRORS as e:
                self.add("WARC_GZIP_CORRUPT", f"gzip member cannot be inflated ({e}); the "
                         "records after it were not checked", self.member_start)
                self.stopped = True
                consumed = len(data)
                break
            # At the member's end the bytes after it are unused_data; unconsumed_tail
            # may then still hold the same bytes (CPython does not clear it when an
            # output limit had left a tail before), so it is read only before the end.
            if not d.eof:
                consumed += len(view) - len(d.unconsumed_tail)
                if out:
                    self._parse(out, self.member_start)
                continue
            consumed += len(view) - len(d.unused_data)
            if out:
                if (_compiled_record is not None and self.member_records == 0
                        and self.state == "head" and not self.head_buf):
                    # The whole member inflated at once (a small record): when it is
                    # one usual record, what _parse would do, without its steps.
                    got = _compiled_record(out, 0)
                    if got is not None and got[0] == len(out):
                        self.head_start = self.member_start
                        self._whole_record(got, out, 0)
                    else:
                        self._parse(out, self.member_start)
                else:
                    self._parse(out, self.member_start)
            self._member_end(base + consumed)
            self.inflate = None
            if self.limit is not None and base + consumed >= self.limit:
                self.reached = base + consumed
                break
        self.file_offset = base + len(data)

    def end(self) -> None:
        """The file has ended."""
        if self.stopped:
            return
        if self.gzip is None:
            self.add("WARC_NOT_WARC", "the file is empty", 0)
            return
        if self.gzip:
            if self.inflate is not None:
                start = self.rec.head.offset if self.rec else self.member_start
                self.add("WARC_TRUNCATED", "the file ends inside a gzip member (the file was "
                         "cut short)", start, found=f"file ends at {self.file_offset}")
            return
        if self.state == "head" and not self.head_buf.strip():
            return
        self._cut_short(self.head_start if self.state == "head" else None, "the file ends")

    # -- records ---------------------------------------------------------------------

    def _begin_record_stream(self) -> None:
        self.state = "head"
        self.rec = None
        if self.head_buf:  # made anew only when they hold bytes (once per gzip member)
            self.head_buf = bytearray()
        if self.tail:
            self.tail = bytearray()

    def _member_end(self, end: int) -> None:
        if self.sink is not None and self.member_records:
            self.sink.member_length(self.member_start, end - self.member_start)
        if self.state == "head" and not self.head_buf:
            if self.member_records == 0:
                self.add("WARC_HEADER_MALFORMED", "an empty gzip member (no record)",
                         self.member_start)
            return
        if self.state == "skip":
            return
        self._cut_short(self.member_start if self.state == "head" else None,
                        "the gzip member ends")

    def _cut_short(self, head_offset: int | None, what: str) -> None:
        if head_offset is not None:
            held = bytes(self.head_buf[:5]).upper()
            if head_offset == 0 and self.records == 0 and held != b"WARC/"[:len(held)]:
                self._not_warc(bytes(self.head_buf[:16]))
                return
            if held == b"WARC/" and b"\n\n" in self.head_buf:  # lines end in LF alone
                self.add("WARC_HEADER_MALFORMED", "the record header block's lines end "
                         "in LF alone, not CRLF, so it has no end (WARC 1.1 section 4)",
                         head_offset, "CRLF", "LF")
                return
            self.add("WARC_TRUNCATED" if what == "the file ends" else "WARC_CONTENT_LENGTH",
                     f"{what} inside a record header block", head_offset)
            return
        rec = self.rec
        assert rec is not None
        present = rec.length - rec.remaining
        code = "WARC_TRUNCATED" if what == "the file ends" else "WARC_CONTENT_LENGTH"
        if self.state == "block":
            self.add(code, f"{what} {rec.remaining} bytes before the record's block does "
                     f"(Content-Length {rec.length})", rec.head.offset, rec.length, present)
        else:
            self.add(code, f"{what} before the CRLF CRLF that closes the record",
                     rec.head.offset, "\\r\\n\\r\\n", repr(bytes(self.tail)))
        if self.state == "block":
            self._close_record(digests=False)

    def _parse(self, data: bytes, member_start: int) -> None:
        """Feed inflated (or plain) bytes; ``member_start`` is the record offset in gzip
        mode. In plain mode, offsets are positions in the data itself."""
        view = memoryview(data)
        i = 0
        n = len(view)
        plain_base = self.file_offset - n if not self.gzip else 0
        while i < n:
            if self.state == "skip":
                return
            if self.state == "head":
                if not self.head_buf:
                    # Between records of a plain file, blank lines are tolerated.
                    while i < n and view[i] in b"\r\n":
                        i += 1
                    if i == n:
                        return
                    self.head_start = member_start if self.gzip else plain_base + i
                    if self.gzip and self.member_records > 0 and not self.shared_reported:
                        self.shared_reported = True
                        self.add("WARC_SHARED_MEMBER", "more than one record in this gzip "
                                 "member: offsets cannot address each record", member_start)
                    if _compiled_record is not None:
                        got = _compiled_record(data, i)
                        if got is not None:
                            i = self._whole_record(got, data, plain_base)
                            continue
                head_bytes, i = self._head_end(data, i)
                if head_bytes is None:
                    if len(self.head_buf) > _HEAD_MAX:
                        self.add("WARC_HEADER_MALFORMED", "no end to the record header "
                                 f"block in its first {_HEAD_MAX} bytes", self.head_start)
                        self._lose_structure()
                    return
                if not self._start_record(head_bytes):
                    return
                continue
            rec = self.rec
            assert rec is not None
            if self.state == "block":
                take = min(rec.remaining, n - i)
                if take:
                    self._block_bytes(rec, view[i:i + take])
                    rec.remaining -= take
                    i += take
                if rec.remaining == 0:
                    self._close_record(digests=True)
                    self.state = "tail"
                continue
            if self.state == "tail":
                if not self.tail and data[i:i + 4] == b"\r\n\r\n":
                    i += 4  # the usual case: all four in these bytes
                else:
                    need = 4 - len(self.tail)
                    self.tail += view[i:i + need]
                    i += min(need, n - i)
                    if len(self.tail) < 4:
                        return
                    if bytes(self.tail) != b"\r\n\r\n":
                        self.add("WARC_CONTENT_LENGTH", "the record's block is not followed "
                                 "by CRLF CRLF: its Content-Length is wrong",
                                 rec.head.offset, "\\r\\n\\r\\n", repr(bytes(self.tail)))
                        self._lose_structure()
                        return
                self.records += 1
                self.member_records += 1
                if not self.gzip and self.sink is not None:
                    # As warcio and cdxj-indexer: in a plain file the blank lines after
                    # a record separate records and are not part of its length.
                    end = plain_base + i - len(b"\r\n\r\n")
                    self.sink.member_length(rec.head.offset, end - rec.head.offset)
                # _begin_record_stream, making only the buffers that are not empty anew
                self.state = "head"
                self.rec = None
                if self.head_buf:
                    self.head_buf = bytearray()
                if self.tail:
                    self.tail = bytearray()

    def _whole_record(self, got: _Whole, data: bytes, plain_base: int) -> int:
        """A record the compiled fast path found whole and without a problem: what the
        steps from _start_record to the closing CRLF CRLF give it. Where it ends."""
        end, version, headers, keys, fields, type_, uri, length, http_head, start, sha1 = got
        head = RecordHead.made(self.head_start, version, headers, keys, fields, type_, uri)
        sink = self.sink
        if sink is not None:
            want = sink.wants_payload(head, http_head)
            payload = data[start:min(start + want, end - 4)] if want > 0 else b""
            digest = None
            if sha1 is not None:
                from ..store.records import format_digest  # as in _close_record

                digest = format_digest("sha1", sha1)
            sink.record(head, length, fields.get("warc-payload-digest"), http_head,
                        payload, digest)
        self.records += 1
        self.member_records += 1
        if not self.gzip and sink is not None:
            sink.member_length(head.offset, plain_base + end - 4 - head.offset)
        return end

    def _head_end(self, data: bytes, i: int) -> tuple[bytes | None, int]:
        """The header block that ends in ``data`` at or after ``i`` (with the part held
        from earlier feeds) and where its CRLF CRLF ends; else (None, len(data)), with
        the rest of ``data`` held. Only the header block is copied, never the block."""
        held = len(self.head_buf)
        if held:  # the CRLF CRLF may begin in the bytes held
            joined = bytes(self.head_buf[-3:]) + data[i:i + 3]
            k = joined.find(b"\r\n\r\n")
            if 0 <= k < min(3, held):
                cut = held - min(3, held) + k  # the head's length
                head = bytes(self.head_buf[:cut])
                self.head_buf = bytearray()
                return head, i + cut + 4 - held
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            self.head_buf += data[i:]
            return None, len(data)
        head = bytes(self.head_buf) + data[i:end] if held else data[i:end]
        self.head_buf = bytearray()
        return head, end + 4

    def _lose_structure(self) -> None:
        """Record boundaries are lost: in gzip the next member starts afresh; a plain file
        cannot be followed further."""
        if self.gzip:
            self.state = "skip"
        else:
            self.stopped = True

    def _start_record(self, raw: bytes) -> bool:
        offset = self.head_start
        head, problems = parse_head(raw, offset)
        for code, message, expected, found in problems:
            if code == "WARC_HEADER_MALFORMED" and head is None and self.records == 0 \
                    and offset == 0:  # the very first record: this is no WARC at all
                self._not_warc(raw[:16])
                return False
            self.add(code, message, offset, expected, found)
        length = None if head is None else content_length(head)
        if head is None or length is None:
            self._lose_structure()
            return False
        rec = _Record(head, length)
        self._digesters(rec)
        self.rec = rec
        self.state = "block"
        if length == 0:
            self._close_record(digests=True)
            self.state = "tail"
        return True

    def _parse_digest(self, rec: _Record, name: str, key: str) -> Digest | None:
        value = rec.head.fields.get(key)
        if value is None:
            return None
        try:
            return parse_digest(value)
        except DigestFormatError as e:
            code = "WARC_DIGEST_UNSUPPORTED" if "unsupported" in e.reason \
                else "WARC_DIGEST_MALFORMED"
            self.add(code, f"{name}: {e.reason}", rec.head.offset, found=value)
            return None

    def _digesters(self, rec: _Record) -> None:
        block = self._parse_digest(rec, "WARC-Block-Digest", "warc-block-digest")
        if block is not None:
            rec.block_expected = block
            rec.block_sha1 = block.algorithm == "sha1"
            rec.block = new_sha1() if rec.block_sha1 else hashlib.new(block.algorithm)
        payload = self._parse_digest(rec, "WARC-Payload-Digest", "warc-payload-digest")
        segmented = "warc-segment-number" in rec.head.fields
        if payload is not None and not rec.is_revisit and not segmented:
            rec.payload_expected = payload
            if payload.algorithm == "sha1":
                rec.payload = new_sha1()
                rec.pair = rec.block_sha1
            else:
                rec.payload = hashlib.new(payload.algorithm)
        if not rec.http:
            self._payload_begins(rec)

    def _payload_begins(self, rec: _Record) -> None:
        if self.sink is not None:
            rec.payload_want = self.sink.wants_payload(rec.head, rec.http_head)
            if rec.head.fields.get("warc-payload-digest") is None and not rec.is_revisit:
                rec.sha1 = new_sha1()
                rec.pair = rec.block_sha1

    def _block_bytes(self, rec: _Record, data: memoryview) -> None:
        reader = rec.http_reader
        if reader is not None:  # still inside the HTTP header block
            pos = 0
            while pos < len(data):
                step = bytes(data[pos:pos + HTTP_STEP])
                end = reader.feed(step)
                if end is not None:
                    self._payload_begins_http(rec, reader.head())
                    if rec.block is not None:
                        rec.block.update(data[:pos + end])
                    data = data[pos + end:]
                    break
                pos += len(step)
            else:
                if rec.block is not None:
                    rec.block.update(data)
                return
            if not data:
                return
        # The payload's hasher: its digest's, or the SHA-1 the sink wants (never both).
        payload = rec.payload if rec.payload is not None else rec.sha1
        if rec.pair:
            update2(rec.block, payload, data)
        else:
            if rec.block is not None:
                rec.block.update(data)
            if payload is not None:
                payload.update(data)
        if rec.payload_want > len(rec.payload_buf):
            rec.payload_buf += data[: rec.payload_want - len(rec.payload_buf)]
        rec.payload_seen += len(data)

    def _payload_begins_http(self, rec: _Record, http_head: bytes) -> None:
        rec.http_reader = None
        rec.http_head = http_head
        self._payload_begins(rec)

    def _close_record(self, digests: bool) -> None:
        rec = self.rec
        assert rec is not None
        if rec.http_reader is not None:  # the block ended inside the HTTP head
            self._payload_begins_http(rec, rec.http_reader.head())
        http_head = rec.http_head
        offset = rec.head.offset
        if digests and rec.block is not None and rec.block_expected is not None:
            found = rec.block.digest()
            if found != rec.block_expected.raw:
                self.add("WARC_BLOCK_DIGEST", "WARC-Block-Digest does not match the block",
                         offset, rec.block_expected.text, format_like(rec.block_expected,
                                                                      found))
        if digests and rec.payload is not None and rec.payload_expected is not None:
            found = rec.payload.digest()
            if found != rec.payload_expected.raw:
                self.add("WARC_PAYLOAD_DIGEST", "WARC-Payload-Digest does not match the "
                         "payload", offset, rec.payload_expected.text,
                         format_like(rec.payload_expected, found))
        if self.sink is not None and digests:
            sha1 = None
            if rec.sha1 is not None:
                # Here, not at the top: a worker checking loose files never needs it,
                # and store.records imports uuid, platform and datetime.
                from ..store.records import format_digest

                sha1 = format_digest("sha1", rec.sha1.digest())
            self.sink.record(rec.head, rec.length, rec.head.fields.get("warc-payload-digest"),
                             http_head, bytes(rec.payload_buf), sha1)
        rec.payload_buf = bytearray()


def scan_warc(
    path: Path,
    name: str,
    *,
    algorithms: Iterable[str] = ("sha256",),
    sink: FactSink | None = None,
    on_bytes: Callable[[int], None] | None = None,
    parse: bool = True,
    root: Path | None = None,
) -> FileResult:
    """Read ``path`` once: its digests (``algorithms``) and, with ``parse``, every check of
    its records. ``name`` is how findings name the file; ``on_bytes`` gets the number of
    bytes read since the last call. An unreadable file gives FILE_UNREADABLE; a FIFO, a
    device or (with ``root``, the collection ``name`` is relative to) a symbolic link is
    never opened: FILE_NOT_REGULAR or FILE_SYMLINK."""
    hashers = {a: hashlib.new(a) for a in algorithms}
    scanner = Scanner(name, sink)
    result = FileResult(name)
    try:
        with (open_in(root, name) if root is not None else open_regular(path)) as f:
            while True:
                chunk = f.read(READ_SIZE)
                if not chunk:
                    break
                for h in hashers.values():
                    h.update(chunk)
                if parse:
                    scanner.feed(chunk)
                result.size += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
    except Refused as e:
        result.checked = False
        result.findings.append(refused_finding(e))
        return result
    except OSError as e:
        result.checked = False
        result.findings.append(finding("FILE_UNREADABLE", name,
                                       f"cannot read the file ({e.strerror or e})"))
        return result
    if parse:
        scanner.end()
        result.records = scanner.records
        result.findings.extend(scanner.findings.done())
    result.digests = {a: h.hexdigest() for a, h in hashers.items()}
    return result
