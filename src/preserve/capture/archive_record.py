"""A memento turned back into the response the site sent, as faithfully as it can be.

An archive answers a raw (``id_``) request with the original status and body, the
original headers renamed ``X-Archive-Orig-NAME`` (the Internet Archive, pywb), a few
passed through as they were (Content-Type, Content-Encoding, Content-Length, a Location
it may have rewritten to point into itself) and its own headers (Date, Server,
Memento-Datetime, Link, ...). ``rebuild`` takes the renamed ones back, keeps the passed-
through ones, un-rewrites Location, and drops the archive's own and any transfer coding
(the body is de-chunked). What cannot be recovered is listed in docs/import.md.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ..web.exchange import Exchange, ResponseBlock
from .archive_cdx import ArchiveResponse, Capture

__all__ = ["Rebuilt", "rebuild", "memento_datetime", "payload_digest_matches", "to_exchange"]

ORIG_PREFIX = "x-archive-orig-"
# Headers an archive passes through unrenamed in raw mode: they describe the body it sends.
_PASSED = frozenset({"content-type", "content-encoding", "content-length", "location",
                     "content-disposition", "content-language", "content-range"})
# Never part of a rebuilt response: framing that no longer describes the stored body.
_FRAMING = frozenset({"transfer-encoding", "connection", "keep-alive"})
# The archive's own, when it passes the original headers through without renaming them.
_ARCHIVE_OWN = frozenset({"date", "server", "cache-control", "memento-datetime", "link",
                          "content-location", "vary", *_FRAMING})
_REWRITTEN = re.compile(r"/\d{4,14}(?:[a-z]{2}_)?/(https?://.*)$")


@dataclass(frozen=True)
class Rebuilt:
    """The original status line and headers, and what was changed on the way."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    dropped: list[tuple[str, str]]  # the archive's own headers, not in the record
    location_from: str | None = None  # the Location as the archive sent it, if changed


def memento_datetime(response: ArchiveResponse) -> datetime | None:
    """The capture time the archive states, or None: then the answer is not a capture."""
    value = response.header("Memento-Datetime")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def unrewrite_location(value: str, playback: str) -> str:
    """``/web/20190101000000id_/http://x/y`` (or the same under the archive's own address)
    back to ``http://x/y``; a Location that does not point into the archive is kept."""
    parts = urlsplit(playback)
    local = value.startswith("/") or value.startswith(f"{parts.scheme}://{parts.netloc}/")
    found = _REWRITTEN.search(value) if local else None
    return found[1] if found else value


def rebuild(response: ArchiveResponse, playback: str) -> Rebuilt:
    """The response the site sent, from the archive's raw answer (see the module doc)."""
    originals = {k.lower()[len(ORIG_PREFIX):] for k, _ in response.headers
                 if k.lower().startswith(ORIG_PREFIX)}
    # An archive that renames (the Internet Archive, pywb) is known by its X-Archive-
    # headers even on a capture whose original headers were all passed through.
    renamed = any(k.lower().startswith("x-archive-") for k, _ in response.headers)
    headers: list[tuple[str, str]] = []
    dropped: list[tuple[str, str]] = []
    location_from = None
    for name, value in response.headers:
        lname = name.lower()
        if lname.startswith(ORIG_PREFIX):
            original = name[len(ORIG_PREFIX):]
            if original.lower() in _FRAMING:
                dropped.append((name, value))
                continue
            headers.append((original, value))
        elif lname in _FRAMING or lname in originals or (renamed and lname not in _PASSED) \
                or (not renamed and lname in _ARCHIVE_OWN):
            dropped.append((name, value))
        else:
            if lname == "location":
                fixed = unrewrite_location(value, playback)
                if fixed != value:
                    location_from = value
                value = fixed
            headers.append((name, value))
    headers = _fix_length(headers, len(response.body), dropped)
    return Rebuilt(response.status, response.reason, headers, dropped, location_from)


def _fix_length(headers: list[tuple[str, str]], length: int,
                dropped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep one Content-Length, and only if it is the length of the stored body: the body
    was de-chunked, and a record must not claim a length its block does not have."""
    kept, seen = [], False
    for name, value in headers:
        if name.lower() == "content-length":
            if seen or value.strip() != str(length):
                dropped.append((name, value))
                continue
            seen = True
        kept.append((name, value))
    return kept


def head_bytes(rebuilt: Rebuilt) -> bytes:
    lines = [f"HTTP/1.1 {rebuilt.status} {rebuilt.reason}".rstrip()]
    lines += [f"{k}: {v}" for k, v in rebuilt.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def payload_digest_matches(body: bytes, digest: str) -> bool | None:
    """Whether ``body`` has the CDX ``digest`` (base32 SHA-1, with or without ``sha1:``);
    None when the listing gave none or one of another kind."""
    value = digest.strip()
    if value.lower().startswith("sha1:"):
        value = value[5:]
    if not re.fullmatch(r"[A-Z2-7]{32}", value.upper()):
        return None
    return base64.b32encode(hashlib.sha1(body).digest()).decode() == value.upper()


def to_exchange(capture: Capture, response: ArchiveResponse, rebuilt: Rebuilt,
                when: datetime) -> Exchange:
    """The capture as an Exchange for the WARC writer: no request (none was recorded)."""
    block = ResponseBlock()
    block.write(head_bytes(rebuilt))
    block.mark_headers_end()
    block.write(response.body)
    return Exchange(url=capture.original, method="GET", date=when, request=b"",
                    response=block, status=rebuilt.status, reason=rebuilt.reason,
                    headers=rebuilt.headers, http_version=None)
