"""The HTML captures of a WARC file: response records with a 2xx HTML payload, and
revisit records, each with where it lies in the file (for provenance).

Reading is streaming (warcio's ArchiveIterator, one record at a time) and each payload
is read up to a limit, with chunked transfer coding and content coding undone by warcio.
A revisit has no payload of its own: ``read_payload_at`` reads its original's.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..errors import WarcFormatError

__all__ = ["Capture", "iter_captures", "read_payload_at", "HTML_TYPES", "PAYLOAD_LIMIT"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# One byte more than extraction reads, so that a longer payload is known to be longer.
PAYLOAD_LIMIT = 5_000_001


@dataclass(frozen=True)
class Capture:
    url: str
    warc_file: str
    offset: int
    length: int
    record_id: str
    date: str  # WARC-Date
    payload_digest: str | None
    status: int
    content_type: str
    is_revisit: bool
    refers_to: str | None  # WARC-Refers-To of a revisit
    refers_to_uri: str | None
    refers_to_date: str | None
    payload: bytes  # empty for a revisit


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _status(record: Any) -> int:
    headers = record.http_headers
    if headers is None:
        return 0
    try:
        return int(headers.get_statuscode() or 0)
    except ValueError:
        return 0


def _read(record: Any, limit: int) -> bytes:
    stream = record.content_stream()
    out = bytearray()
    while len(out) < limit:
        chunk = stream.read(min(1 << 16, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _wanted(record: Any) -> bool:
    if record.rec_type not in ("response", "revisit"):
        return False
    if not (record.rec_headers.get_header("WARC-Target-URI") or "").startswith("http"):
        return False
    status = _status(record)
    if not 200 <= status < 300:
        return False
    ctype = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return _media_type(ctype) in HTML_TYPES


def iter_captures(path: Path, limit: int = PAYLOAD_LIMIT) -> Iterator[Capture]:
    """The HTML captures of the WARC at ``path``, in file order.

    Raises WarcFormatError for a file that cannot be read as WARC."""
    name = path.name
    offset = end = 0
    try:
        with path.open("rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                if record.format != "warc":
                    # warcio reads any line of words as an ARC header; a collection
                    # holds WARC only, so this is garbage or a damaged file.
                    raise WarcFormatError(path, end, "not a WARC record here (corrupt or "
                                          "truncated file)")
                if not _wanted(record):
                    offset = it.get_record_offset()  # reads the record to its end
                    end = offset + it.get_record_length()
                    continue
                h = record.rec_headers
                revisit = record.rec_type == "revisit"
                payload = b"" if revisit else _read(record, limit)
                # Only now: warcio learns a record's place by reading it to its end.
                offset = it.get_record_offset()
                end = offset + it.get_record_length()
                yield Capture(
                    url=h.get_header("WARC-Target-URI"),
                    warc_file=name,
                    offset=offset,
                    length=it.get_record_length(),
                    record_id=h.get_header("WARC-Record-ID") or "",
                    date=h.get_header("WARC-Date") or "",
                    payload_digest=h.get_header("WARC-Payload-Digest"),
                    status=_status(record),
                    content_type=record.http_headers.get_header("Content-Type") or "",
                    is_revisit=revisit,
                    refers_to=h.get_header("WARC-Refers-To"),
                    refers_to_uri=h.get_header("WARC-Refers-To-Target-URI"),
                    refers_to_date=h.get_header("WARC-Refers-To-Date"),
                    payload=payload,
                )
            size = os.fstat(fh.fileno()).st_size
    except (ArchiveLoadFailed, zlib.error, EOFError, ValueError) as e:
        raise WarcFormatError(path, offset, f"cannot read the WARC ({e})".strip()) from e
    except OSError as e:
        raise WarcFormatError(path, offset, f"cannot read the file ({e.strerror})") from e
    if end < size:
        # warcio stops quietly at data it cannot decompress or parse.
        raise WarcFormatError(path, end, "not a readable WARC record here (corrupt or "
                              "truncated file)")


def read_payload_at(path: Path, offset: int, limit: int = PAYLOAD_LIMIT) -> tuple[bytes, str]:
    """The HTTP payload and Content-Type of the response record at ``offset`` in ``path``."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                ctype = record.http_headers.get_header("Content-Type") if (
                    record.http_headers) else ""
                return _read(record, limit), ctype or ""
    except (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError) as e:
        raise WarcFormatError(path, offset, f"cannot read the original record ({e})") from e
    raise WarcFormatError(path, offset, "no record at this offset")
