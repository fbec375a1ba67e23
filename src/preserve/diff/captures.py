"""The captures a diff compares: index lines by crawl, and what is read back from a record.

``read_index`` streams the collection's CDXJ index; ``RecordReader`` reads one record
again, only when needed: the content fingerprint of a page whose payload differs between
the crawls (normalise/content.py's text, hashed), and the target of a redirect.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree

from ..collection import Collection
from ..errors import ConfigError, WarcFormatError
from ..store.cdxj import read_entries
from ..store.reader import record_at
from ..web.html import decode_html, http_charset, parse_html

__all__ = ["Capture", "RecordReader", "read_index", "text_fingerprint"]

_MAX_READ = 20_000_000


@dataclass(frozen=True)
class Capture:
    timestamp: str  # 14 digits, as the index has it
    status: int
    digest: str
    mime: str
    filename: str = ""
    offset: int = -1
    length: int = 0


def read_index(coll: Collection,
               files: dict[str, str]) -> Iterator[tuple[str | None, str, Capture]]:
    """(crawl or None, url, capture) for each line of the index; ``files`` maps a WARC
    name to the crawl that wrote it."""
    try:
        entries = read_entries(coll.index_path)
    except FileNotFoundError:
        raise ConfigError(f"{coll.index_path} is missing; run `preserve index` to rebuild it"
                          ) from None
    for entry in entries:
        try:
            status = int(entry.status or "0")
        except ValueError:
            continue  # a damaged line; `preserve verify` reports it
        if entry.url is None:
            continue
        yield files.get(entry.filename), entry.url, Capture(
            entry.timestamp, status, entry.digest or "", entry.mime or "",
            entry.filename, entry.offset, entry.length)


class RecordReader:
    """Reads what the index does not hold from a capture's record; None when the record
    cannot be read (`preserve verify` says why)."""

    def __init__(self, warcs: Path) -> None:
        self.warcs = warcs

    def fingerprint(self, cap: Capture) -> str | None:
        """The template-free text fingerprint of a capture's HTML."""
        if not cap.filename or cap.offset < 0:
            return None
        try:
            with record_at(self.warcs / cap.filename, cap.offset) as record:
                if record is None:
                    return None
                payload = record.content_stream().read(_MAX_READ)
                content_type = record.http_header("Content-Type")
        except (OSError, WarcFormatError, ValueError, zlib.error):
            return None
        return text_fingerprint(payload, content_type)

    def location(self, url: str, cap: Capture) -> str | None:
        """Where a redirect points, made absolute against ``url``."""
        if not cap.filename or cap.offset < 0:
            return None
        try:
            with record_at(self.warcs / cap.filename, cap.offset) as record:
                target = None if record is None else record.http_header("Location")
        except (OSError, WarcFormatError, ValueError, zlib.error):
            return None
        if not target:
            return None
        try:
            return urljoin(url, target.strip())
        except ValueError:
            return target


def text_fingerprint(payload: bytes, content_type: str | None) -> str | None:
    """SHA-1 of the page's own text, decoded and parsed as normalise reads pages."""
    try:
        doc, _ = parse_html(decode_html(payload, http_charset(content_type)).text)
    except (etree.ParserError, ValueError):
        return None
    # Imported here: normalise is a tenth of a second of imports, and a first crawl's end
    # (cli/crawl_cmds._recrawl_changes) imports this package only to learn there is no
    # crawl before it to compare with.
    from ..normalise.content import content_text

    return hashlib.sha1(content_text(doc).encode("utf-8")).hexdigest()
