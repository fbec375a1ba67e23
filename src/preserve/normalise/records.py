"""The HTML captures of a WARC file: the response and revisit records that are pages
(web.media's ``is_page``: an HTML 200 response), each with where it lies in the file
(for provenance).

Reading is streaming (store.reader, one record at a time) and each payload is read up to
a limit, with chunked transfer coding and content coding undone. ``iter_captures`` reads
every record of the file; ``captures_at`` only the records at the offsets the CDXJ index
gives (normalise.spots), each gzip member found by seeking, so the members of images and
other payloads that are not pages are never inflated. A revisit has no payload of its
own: ``read_payload_at`` reads its original's.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import WarcFormatError
from ..store.reader import WarcReader, WarcRecord, read_records, record_at
from ..web.media import is_page

__all__ = ["Capture", "iter_captures", "captures_at", "read_payload_at", "IndexMismatch",
           "PAYLOAD_LIMIT"]

# One byte more than extraction reads, so that a longer payload is known to be longer.
PAYLOAD_LIMIT = 5_000_001


class IndexMismatch(Exception):
    """The record at an offset the index gives is not the one it names (or cannot be
    read there): the index is not of this file as it is now."""


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


def _status(record: WarcRecord) -> int:
    try:
        return int(record.http_status() or 0)
    except ValueError:
        return 0


def _read(record: WarcRecord, limit: int) -> bytes:
    stream = record.content_stream()
    out = bytearray()
    while len(out) < limit:
        chunk = stream.read(min(1 << 16, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _wanted(record: WarcRecord) -> bool:
    if record.rec_type not in ("response", "revisit"):
        return False
    return is_page(record.uri, _status(record), record.http_header("Content-Type"))


def _capture(record: WarcRecord, path: Path, limit: int) -> Capture:
    revisit = record.rec_type == "revisit"
    try:
        payload = b"" if revisit else _read(record, limit)
    except (zlib.error, ValueError) as e:  # warcio's decoders, on a damaged body
        raise WarcFormatError(path, record.offset, f"cannot read the WARC ({e})") from e
    return Capture(
        url=record.uri or "",
        warc_file=path.name,
        offset=record.offset,
        length=record.length,  # known once the record is read to its end
        record_id=record.header("WARC-Record-ID") or "",
        date=record.header("WARC-Date") or "",
        payload_digest=record.header("WARC-Payload-Digest"),
        status=_status(record),
        content_type=record.http_header("Content-Type") or "",
        is_revisit=revisit,
        refers_to=record.header("WARC-Refers-To"),
        refers_to_uri=record.header("WARC-Refers-To-Target-URI"),
        refers_to_date=record.header("WARC-Refers-To-Date"),
        payload=payload,
    )


def iter_captures(path: Path, limit: int = PAYLOAD_LIMIT) -> Iterator[Capture]:
    """The HTML captures of the WARC at ``path``, in file order.

    Raises WarcFormatError for a file that cannot be read as WARC."""
    with read_records(path) as reader:
        for record in reader:
            if _wanted(record):
                yield _capture(record, path, limit)


def captures_at(path: Path, spots: Iterable[tuple[int, int, str]],
                limit: int = PAYLOAD_LIMIT) -> Iterator[Capture]:
    """The HTML captures among the records at ``spots`` (offset, length and URL, as the
    index gives them, in file order) of the WARC at ``path``; each record is read alone,
    from its offset, and nothing between them is read.

    Raises IndexMismatch when a record is not where the index says: none at the offset,
    another URL or length, a record the index would not list, or one that cannot be
    read there (the whole file, read by ``iter_captures``, says what is wrong with it)."""
    try:
        fh = path.open("rb")
    except OSError as e:
        raise WarcFormatError(path, 0, f"cannot read the file ({e.strerror})") from e
    with fh:
        for offset, length, url in spots:
            try:
                record = next(iter(WarcReader(fh, path, start=offset)), None)
                if (record is None or record.uri != url
                        or record.rec_type not in ("response", "revisit")):
                    raise IndexMismatch(f"{path.name}: no record of {url} at {offset}")
                capture = _capture(record, path, limit) if _wanted(record) else None
                if record.length != length:
                    raise IndexMismatch(f"{path.name}: the record at {offset} is "
                                        f"{record.length} bytes long, not {length}")
            except WarcFormatError as e:
                raise IndexMismatch(str(e)) from e
            if capture is not None:
                yield capture


def read_payload_at(path: Path, offset: int, limit: int = PAYLOAD_LIMIT) -> tuple[bytes, str]:
    """The HTTP payload and Content-Type of the response record at ``offset`` in ``path``."""
    try:
        with record_at(path, offset) as record:
            if record is None:
                raise WarcFormatError(path, offset, "no record at this offset")
            return _read(record, limit), record.http_header("Content-Type") or ""
    except (zlib.error, ValueError, OSError) as e:
        raise WarcFormatError(path, offset, f"cannot read the original record ({e})") from e
