"""The pages list (WACZ ``json-pages-1.0``): which captures are pages, and their titles.

A page is a capture of an HTML document: a response or revisit record with HTTP status
200 and media type text/html or application/xhtml+xml. Its title is read from at most the
first 256 KiB of the decoded body (chunked transfer coding and gzip, deflate or br
content coding undone, each step bounded), so neither a huge page nor a compression bomb
costs more than that.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..web.decoding import decode_body
from ..web.media import HTML_TYPES, is_page

__all__ = [
    "PageEntry",
    "PAGES_HEADER",
    "HTML_TYPES",
    "TITLE_READ_LIMIT",
    "is_page",
    "page_id",
    "page_sort_key",
    "read_title",
]

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
TITLE_READ_LIMIT = 256 * 1024

# Most titles sit in the first few kilobytes: read that much first, the rest only if needed.
_FIRST_READ = 32 * 1024
_READ_STEP = 16 * 1024
# The first <title> element only, found in two linear scans (a single lazy regex would
# rescan the rest of the prefix at every unclosed "<title" and go quadratic).
_TITLE_OPEN = re.compile(r"<title\b[^>]{0,256}>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_TITLE_END = re.compile(rb"</title", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...
    def readline(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class PageEntry:
    """One line of pages.jsonl: a captured HTML page."""

    url: str
    ts: str  # RFC 3339 UTC, second precision, e.g. "2026-11-28T13:45:00Z"
    title: str | None
    id: str

    def to_json(self) -> str:
        """The JSON line; ``title`` is left out when the page has none (it is optional)."""
        obj: dict[str, str] = {"id": self.id, "url": self.url, "ts": self.ts}
        if self.title is not None:
            obj["title"] = self.title
        return json.dumps(obj, ensure_ascii=False)


def page_id(url: str, ts: str) -> str:
    """A stable page id: the first 16 hex digits of SHA-256 over ``url``, a space and ``ts``."""
    return hashlib.sha256(f"{url} {ts}".encode()).hexdigest()[:16]


def page_sort_key(ts: str, url: str) -> str:
    """What pages.jsonl is sorted by: the capture time, then the URL (its NUL, CR and LF
    made spaces, so the key holds none and ends where the JSON begins)."""
    return f"{ts}\x00{url.translate({0: ' ', 10: ' ', 13: ' '})}"


def read_title(stream: _Readable, http_headers: Any) -> str | None:
    """The ``<title>`` of the HTML body in ``stream`` (positioned after the HTTP headers).

    Reads at most TITLE_READ_LIMIT raw bytes and decodes at most as many; the charset
    comes from Content-Type, then a byte-order mark or ``<meta charset>``, else UTF-8,
    with undecodable bytes replaced.
    """
    chunked = "chunked" in (http_headers.get_header("transfer-encoding") or "").lower()
    coding = http_headers.get_header("content-encoding")
    chunks = _dechunk(stream) if chunked else _plain(stream)
    raw = bytearray()
    target = _FIRST_READ
    body = b""
    exhausted = False
    while True:
        while len(raw) < target:
            piece = next(chunks, b"")
            if not piece:
                exhausted = True
                break
            raw += piece
        del raw[TITLE_READ_LIMIT:]
        body = decode_body(bytes(raw), coding, TITLE_READ_LIMIT) if coding else bytes(raw)
        if (exhausted or target >= TITLE_READ_LIMIT or len(body) >= TITLE_READ_LIMIT
                or _TITLE_END.search(body)):
            break
        target = TITLE_READ_LIMIT
    return _find_title(body[:TITLE_READ_LIMIT], http_headers.get_header("content-type") or "")


def _plain(stream: _Readable) -> Iterator[bytes]:
    while True:
        data = stream.read(_READ_STEP)
        if not data:
            return
        yield data


def _dechunk(stream: _Readable) -> Iterator[bytes]:
    """Undo chunked transfer coding in bounded reads; a body that is not really chunked
    (a common server bug) is passed on as it is, as warcio does."""
    first = True
    while True:
        line = stream.readline(64)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            if first:
                yield line
                yield from _plain(stream)
            return
        first = False
        if size <= 0:
            return
        while size > 0:
            data = stream.read(min(size, _READ_STEP))
            if not data:
                return
            size -= len(data)
            yield data
        stream.readline(64)


def _find_title(body: bytes, content_type: str) -> str | None:
    try:
        text = body.decode(_charset(body, content_type), errors="replace")
    except (LookupError, ValueError):  # a label naming a non-text codec ("hex", "rot13")
        text = body.decode("utf-8", errors="replace")
    start = _TITLE_OPEN.search(text)
    if start is None:
        return None
    end = _TITLE_CLOSE.search(text, start.end())
    if end is None:
        return None
    title = _SPACE.sub(" ", html.unescape(text[start.end() : end.start()])).strip()
    return title or None


def _charset(body: bytes, content_type: str) -> str:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match = _HEADER_CHARSET.search(content_type)
    meta = None if match else _META_CHARSET.search(body, 0, 4096)
    label = match.group(1) if match else meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return "utf-8"
    # The WHATWG encoding standard: a <meta> that claims UTF-16 in an ASCII-compatible
    # prefix means UTF-8, and latin-1 or ASCII labels mean windows-1252.
    if meta is not None and name.startswith("utf-16"):
        return "utf-8"
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name
