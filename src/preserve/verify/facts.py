"""What the scan of one WARC records for later checks, written to files as it goes.

Per record: its id and revisit reference (for duplicate ids and revisit checks across
files); for a collection also the CDXJ line the indexer would write for it and, for an
HTML page, its pages.jsonl facts. The CDXJ rules are store.cdxj's and the page rules
store.pages', applied to the reader's parse of the HTTP head (warcio's rules,
store/heads.py), so that an index written by preserve and the one expected here agree
byte for byte.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ..store.cdxj import CdxjEntry
    from ..store.heads import Head
    from .warcscan import RecordHead

# store.cdxj, store.heads, store.reader and store.pages are imported only for a
# collection's WARCs, so a worker checking loose WARC files starts at once.

__all__ = ["FactWriter", "IdFact", "read_ids", "expected_lines", "ID_FIELDS"]

ID_FIELDS = ("id", "type", "offset", "payload_digest", "refers_to", "refers_uri",
             "refers_date", "uri", "date")
IdFact = tuple[str, str, int, str, str, str, str, str, str]


class _Http:
    """What the index rules read of a record's HTTP head: status and media type."""

    __slots__ = ("headers", "status", "media_type")

    def __init__(self, head: RecordHead, http_head: bytes | None) -> None:
        from ..store.cdxj import http_status, media_type
        from ..store.reader import parse_http_head

        self.headers: Head | None = (
            parse_http_head(http_head) if http_head else None)
        status = None
        content_type = None
        if self.headers is not None:
            status = self.headers.get_statuscode()
            content_type = self.headers.get_header("content-type")
        self.status: str | None = http_status(head.type, status)
        self.media_type: str | None = media_type(content_type)


def _clean(value: str | None) -> str:
    return (value or "").replace("\t", " ").replace("\n", " ").replace("\r", " ")


class FactWriter:
    """A FactSink writing ``ids`` (always) and ``cdxj``/``pages`` (for a collection)."""

    def __init__(self, directory: Path, stem: str, filename: str, *,
                 index: bool) -> None:
        self.filename = filename
        self.index = index
        self.ids_path = directory / f"{stem}.ids"
        self.cdxj_path = directory / f"{stem}.cdxj"
        self.pages_path = directory / f"{stem}.pages"
        self._ids: IO[str] = open(self.ids_path, "w", encoding="utf-8")
        self._cdxj: IO[str] | None = None
        self._pages: IO[str] | None = None
        if index:
            self._cdxj = open(self.cdxj_path, "w", encoding="utf-8")
            self._pages = open(self.pages_path, "w", encoding="utf-8")
        # CDXJ entries of the current gzip member, written once its length is known.
        self._pending: list[CdxjEntry] = []

    def close(self) -> None:
        for f in (self._ids, self._cdxj, self._pages):
            if f is not None:
                f.close()

    def wants_payload(self, head: RecordHead, http_head: bytes | None) -> int:
        if not self.index or head.type != "response" or not http_head:
            return 0
        from ..store.pages import TITLE_READ_LIMIT, is_page

        http = _Http(head, http_head)
        if is_page(head.uri or None, http.status, http.media_type):
            return TITLE_READ_LIMIT
        return 0

    def record(self, head: RecordHead, length: int, payload_digest: str | None,
               http_head: bytes | None, payload_start: bytes, payload_sha1: str | None,
               ) -> None:
        get = head.fields.get
        # One f-string (no tuple, no join): this runs for every record.
        line = (f"{get('warc-record-id') or ''}\t{head.type}\t{head.offset}\t"
                f"{payload_digest or ''}\t{get('warc-refers-to') or ''}\t"
                f"{get('warc-refers-to-target-uri') or ''}\t"
                f"{get('warc-refers-to-date') or ''}\t{head.uri}\t{get('warc-date') or ''}")
        if line.count("\t") != len(ID_FIELDS) - 1 or "\n" in line or "\r" in line:
            fields = (get("warc-record-id"), head.type, str(head.offset), payload_digest,
                      get("warc-refers-to"), get("warc-refers-to-target-uri"),
                      get("warc-refers-to-date"), head.uri, get("warc-date"))
            line = "\t".join(_clean(v) for v in fields)  # rare: a tab or line break
        self._ids.write(line + "\n")
        if self.index:
            self._index(head, http_head, payload_start, payload_digest or payload_sha1)

    def member_length(self, offset: int, length: int) -> None:
        """The compressed length of the member at ``offset``, once known."""
        if self._cdxj is None:
            return
        for entry in self._pending:
            if entry.offset == offset:
                line = dataclasses.replace(entry, length=length).to_line()
                self._cdxj.write(f"{offset}\t{length}\t{line}\n")
        self._pending.clear()

    def _index(self, head: RecordHead, http_head: bytes | None, payload_start: bytes,
               digest: str | None) -> None:
        from ..store.cdxj import CdxjEntry, cdxj_mime, is_indexed
        from ..store.heads import timestamp14
        from ..store.pages import is_page, read_title
        from ..store.reader import target_uri

        assert self._cdxj is not None and self._pages is not None
        if not is_indexed(head.type, head.get("Content-Type")):
            return
        try:
            timestamp = timestamp14(head.get("WARC-Date"))
        except (TypeError, ValueError, IndexError):
            return  # reported as WARC_HEADER_INVALID; the indexer could not index it
        http = _Http(head, http_head)
        if head.type == "revisit":
            digest = head.get("WARC-Payload-Digest")
        raw_uri = head.get("WARC-Target-URI")
        # The member's length is known only when it ends (member_length); a record whose
        # member never ends (a truncated file) gets no line.
        self._pending.append(CdxjEntry.of(
            None if raw_uri is None else target_uri(raw_uri), timestamp,
            mime=cdxj_mime(head.type, head.get("Content-Type"), http.media_type),
            status=http.status, digest=digest, length=0, offset=head.offset,
            filename=self.filename))
        url = head.uri or None
        if head.type in ("response", "revisit") and is_page(url, http.status,
                                                           http.media_type):
            title = None
            if head.type == "response" and http.headers is not None:
                title = read_title(io.BytesIO(payload_start), http.headers)
            import json  # only for a collection's WARCs, as the imports above

            self._pages.write(json.dumps({"url": url, "timestamp": timestamp,
                                          "type": head.type, "title": title,
                                          "digest": digest}) + "\n")


def expected_lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(offset, length, line) of each CDXJ line in a file written by FactWriter."""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            offset, length, line = raw.rstrip("\n").split("\t", 2)
            yield int(offset), int(length), line


def read_ids(path: Path) -> Iterator[IdFact]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            yield (p[0], p[1], int(p[2]), p[3], p[4], p[5], p[6], p[7], p[8])
