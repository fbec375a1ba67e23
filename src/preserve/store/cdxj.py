"""CDXJ lines for WARC records, field for field as cdxj-indexer (and so pywb) writes them.

The rules below mirror ``cdxj_indexer.main.CDXJIndexer`` 1.5 with its default options,
so that an index we write and one written by the reference tool are identical:

* indexed: ``response``, ``revisit``, ``resource`` and ``metadata`` records, except a
  resource or metadata record whose Content-Type is exactly ``application/warc-fields``
  (crawler metadata, not content). ``warcinfo``, ``request``, ``conversion`` and
  ``continuation`` records are not indexed.
* key: ``surt.surt(url)`` with the package defaults; timestamp: the 14 digits of WARC-Date.
* JSON, in this order and only when known: ``url``; ``mime`` (``warc/revisit`` for a
  revisit, the HTTP Content-Type up to the first ``;`` or space for a response, the WARC
  Content-Type for other records); ``status`` (responses and revisits with HTTP headers);
  ``digest`` (WARC-Payload-Digest, or the SHA-1 of the payload when the header is absent,
  never computed for revisits); ``length`` and ``offset`` of the record in the file, and
  ``filename``. Every value is a string, as cdxj-indexer writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..web.urls import surt_key

__all__ = [
    "CdxjEntry",
    "INDEXED_TYPES",
    "is_indexed",
    "record_mime",
    "http_mime",
    "record_status",
    "cdxj_entry",
]

INDEXED_TYPES = frozenset({"response", "revisit", "resource", "metadata"})
_WARC_FIELDS = "application/warc-fields"
_MIME_END = re.compile(r"[;\s]")


@dataclass(frozen=True)
class CdxjEntry:
    """One line of a CDXJ index: SURT key, 14-digit timestamp and a JSON object."""

    key: str
    timestamp: str
    fields: dict[str, str] = field(hash=False)

    def to_line(self) -> str:
        """The line without its newline, as pywb reads it."""
        return f"{self.key} {self.timestamp} {json.dumps(self.fields)}"


def is_indexed(record: Any) -> bool:
    """Whether cdxj-indexer's defaults give ``record`` (a warcio record) a line."""
    rec_type = record.rec_type
    if rec_type not in INDEXED_TYPES:
        return False
    if rec_type in ("resource", "metadata"):
        return bool(record.rec_headers.get_header("Content-Type") != _WARC_FIELDS)
    return True


def record_mime(record: Any) -> str | None:
    """The ``mime`` field: a media type without parameters, or ``warc/revisit``."""
    if record.rec_type == "revisit":
        return "warc/revisit"
    if record.rec_type in ("response", "request"):
        return http_mime(record)
    return _media_type(record.rec_headers.get_header("content-type"))


def http_mime(record: Any) -> str | None:
    """The media type of the HTTP Content-Type of ``record``, if it has HTTP headers."""
    if not record.http_headers:
        return None
    return _media_type(record.http_headers.get_header("content-type"))


def _media_type(value: str | None) -> str | None:
    if value:
        value = _MIME_END.split(value, 1)[0].strip()
    return value


def record_status(record: Any) -> str | None:
    """The HTTP status code of a response or revisit with HTTP headers, as text."""
    if record.rec_type in ("response", "revisit") and record.http_headers:
        status: str = record.http_headers.get_statuscode()
        return status
    return None


def cdxj_entry(
    record: Any,
    timestamp: str,
    *,
    mime: str | None,
    status: str | None,
    digest: str | None,
    offset: int,
    length: int,
    filename: str,
) -> CdxjEntry:
    """The index line of ``record``, from the values the indexer gathered while reading it."""
    url: str | None = record.rec_headers.get_header("WARC-Target-URI")
    fields: dict[str, str] = {}
    if url is not None:
        fields["url"] = url
    if mime is not None:
        fields["mime"] = mime
    if status is not None:
        fields["status"] = status
    if digest is not None:
        fields["digest"] = digest
    fields["length"] = str(length)
    fields["offset"] = str(offset)
    fields["filename"] = filename
    return CdxjEntry(surt_key(url) if url else "-", timestamp, fields)
