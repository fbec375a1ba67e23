"""The exchange: what a fetcher hands the store, whatever the bytes came from.

A live HTTP fetcher and (later) an importer from existing web archives both produce an
``Exchange``: the exact request bytes, the exact response bytes as they came off the wire,
and a few parsed facts the crawler needs to decide what to do next.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

__all__ = ["ResponseBlock", "TlsInfo", "Exchange", "FetchFailure", "FetchResult"]

_SPOOL_IN_MEMORY = 4 * 1024 * 1024


class ResponseBlock:
    """The response bytes, spooled to a temporary file past a few megabytes."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
        self.length = 0
        self.header_length: int | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)
        self.length += len(data)

    def mark_headers_end(self) -> None:
        self.header_length = self.length

    @property
    def payload_length(self) -> int:
        return self.length - (self.header_length or 0)

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        """Yield the whole block from the start; may be called several times."""
        self._file.seek(0)
        while chunk := self._file.read(size):
            yield chunk

    def head(self) -> bytes:
        """The status line and headers (the block of a revisit record)."""
        self._file.seek(0)
        return self._file.read(self.header_length or 0)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResponseBlock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass(frozen=True)
class TlsInfo:
    """The TLS session an exchange travelled over.

    ``verified`` is False only when the crawl records sites whose certificate failed
    verification (``tls-verify = "record"``); then ``error`` says why and ``chain`` holds
    the certificates the server presented, leaf first, each as PEM.
    """

    protocol: str  # as WARC-Protocol writes it: tls/1.3
    cipher: str  # the IANA/OpenSSL name of the cipher suite
    verified: bool = True
    error: str = ""
    chain: tuple[str, ...] = ()


@dataclass
class Exchange:
    """One HTTP request and its response, byte-exact."""

    url: str
    method: str
    date: datetime
    request: bytes
    response: ResponseBlock
    status: int
    reason: str
    headers: list[tuple[str, str]]
    ip: str | None = None
    duration: float = 0.0
    truncated: str | None = None
    # The message body with transfer coding removed (content coding kept), when it is
    # small enough to parse for links; None for bodies the crawler does not parse.
    entity: bytes | None = None
    extra: dict[str, str] = field(default_factory=dict)
    http_version: str | None = None  # as WARC-Protocol writes it: http/1.1
    tls: TlsInfo | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def mime(self) -> str:
        ctype = self.header("content-type") or ""
        return ctype.split(";", 1)[0].strip().lower()

    def close(self) -> None:
        self.response.close()


@dataclass(frozen=True)
class FetchFailure:
    """A fetch that produced no response worth storing."""

    url: str
    # timeout, reset, connect, dns, blocked-address, protocol, invalid-url, deadline, tls
    kind: str
    message: str
    date: datetime
    duration: float = 0.0

    @property
    def transient(self) -> bool:
        return self.kind in {"timeout", "reset", "connect", "protocol"}


FetchResult = Exchange | FetchFailure
