"""Serialising one WARC 1.1 record as one gzip member, with its digests.

warcio is the reader and the checker here; the writer is ours because warcio's writer
re-serialises HTTP headers from their parsed form, and the response record must hold the
bytes exactly as they came off the wire. The format is small: a version line, named
fields, a blank line, the block, and two CRLFs (WARC 1.1, section 4).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

__all__ = [
    "Digester",
    "format_digest",
    "warc_date",
    "new_record_id",
    "RecordIdFactory",
    "serialise_record",
    "record_head",
    "read_back",
    "warc_fields",
]

RecordIdFactory = Callable[[], str]


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(when: datetime) -> str:
    """W3C ISO 8601 in UTC with microseconds, as WARC 1.1 allows (section 5.4)."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_digest(algorithm: str, raw: bytes) -> str:
    """``sha1:`` in upper-case base32 (as Heritrix and wget write), ``sha256:`` in hex."""
    if algorithm == "sha1":
        return "sha1:" + base64.b32encode(raw).decode("ascii")
    return f"{algorithm}:{raw.hex()}"


class Digester:
    """Block and payload digests of an application/http block in one pass."""

    def __init__(self, algorithm: str, payload_offset: int | None) -> None:
        self.algorithm = algorithm
        self._block = hashlib.new(algorithm)
        self._payload = hashlib.new(algorithm) if payload_offset is not None else None
        self._payload_offset = payload_offset or 0
        self._seen = 0

    def update(self, data: bytes) -> None:
        self._block.update(data)
        if self._payload is not None:
            end = self._seen + len(data)
            if end > self._payload_offset:
                start = max(0, self._payload_offset - self._seen)
                self._payload.update(memoryview(data)[start:])
        self._seen += len(data)

    @property
    def block_digest(self) -> str:
        return format_digest(self.algorithm, self._block.digest())

    @property
    def payload_digest(self) -> str | None:
        if self._payload is None:
            return None
        return format_digest(self.algorithm, self._payload.digest())


def _clean(value: str) -> str:
    # A field value must not break the header block; URLs are already percent-encoded.
    return value.replace("\r", " ").replace("\n", " ")


def serialise_record(
    headers: list[tuple[str, str]],
    block: Iterable[bytes],
    block_length: int,
    level: int = 6,
) -> Iterable[bytes]:
    """Yield the gzip member of one record; ``headers`` exclude Content-Length."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    out = comp.compress(record_head(headers, block_length))
    if out:
        yield out
    written = 0
    for chunk in block:
        written += len(chunk)
        out = comp.compress(chunk)
        if out:
            yield out
    if written != block_length:
        raise ValueError(f"block was {written} bytes, Content-Length said {block_length}")
    yield comp.compress(b"\r\n\r\n") + comp.flush()


def record_head(headers: list[tuple[str, str]], block_length: int) -> bytes:
    """The header block of a record as serialise_record writes it (with its blank line)."""
    head = ["WARC/1.1"]
    head.extend(f"{name}: {_clean(value)}" for name, value in headers)
    head.append(f"Content-Length: {block_length}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8")


def read_back(headers: list[tuple[str, str]], block_length: int) -> list[tuple[str, str]]:
    """The fields of ``record_head(headers, block_length)`` as a reader parses them back
    (warcio's parser strips the whitespace around a value), without making the bytes."""
    fields = [(name, _clean(value).strip()) for name, value in headers]
    fields.append(("Content-Length", str(block_length)))
    return fields


def warc_fields(items: Iterable[tuple[str, str]]) -> bytes:
    """An application/warc-fields block."""
    return "".join(f"{k}: {_clean(v)}\r\n" for k, v in items).encode("utf-8")
