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

An index is input like any other (a package or a copy may come from someone else): its
``filename`` is trusted only as the name of a file directly inside the collection's
``warcs/`` (``confine_filename``), never as a path. ``CdxjEntry.from_line`` refuses any
other, so no reader of an index is led outside ``warcs/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..web.urls import surt_key

__all__ = [
    "read_entries",
    "entries",
    "Skipped",
    "confine_filename",
    "FilenameOutside",
    "CdxjEntry",
    "INDEXED_TYPES",
    "is_indexed",
    "cdxj_mime",
    "media_type",
    "http_status",
]

# Told of a line that is skipped: its number (from 1) and why (FilenameOutside for a
# filename that is not in warcs/).
Skipped = Callable[[int, ValueError], None]
INDEXED_TYPES = frozenset({"response", "revisit", "resource", "metadata"})
_WARC_FIELDS = "application/warc-fields"
_MIME_END = re.compile(r"[;\s]")


class FilenameOutside(ValueError):
    """A CDXJ ``filename`` that is not the name of a file in ``warcs/``; ``why`` says
    what it is instead."""

    def __init__(self, filename: object, why: str) -> None:
        self.filename = filename
        self.why = why
        super().__init__(f"its filename {filename!r} is {why}, not the name of a file in "
                         "warcs/")


def confine_filename(filename: object) -> str:
    """``filename`` if it names a file directly inside ``warcs/``: a non-empty string
    with no ``/``, ``\\`` or NUL, not ``.`` or ``..``. Raises FilenameOutside otherwise,
    so an absolute path, ``..`` or a sub-directory never reaches an ``open``. (Whether
    the file is a regular file and not a symbolic link is for its opener to check.)"""
    if not isinstance(filename, str):
        raise FilenameOutside(filename, "not a string")
    if not filename:
        raise FilenameOutside(filename, "empty")
    if "\0" in filename:
        raise FilenameOutside(filename, "a name with a NUL byte")
    if filename.startswith(("/", "\\")):
        raise FilenameOutside(filename, "an absolute path")
    if ".." in re.split(r"[/\\]", filename):
        raise FilenameOutside(filename, "a path with '..'")
    if "/" in filename or "\\" in filename:
        raise FilenameOutside(filename, "a path with a directory")
    if filename == ".":
        raise FilenameOutside(filename, "a directory")
    return filename


@dataclass(frozen=True)
class CdxjEntry:
    """One line of a CDXJ index: SURT key, 14-digit timestamp and the JSON fields."""

    key: str
    timestamp: str
    url: str | None
    mime: str | None
    status: str | None
    digest: str | None
    length: int
    offset: int
    filename: str

    @classmethod
    def of(cls, url: str | None, timestamp: str, *, mime: str | None, status: str | None,
           digest: str | None, length: int, offset: int, filename: str) -> CdxjEntry:
        """The entry of a record at ``url`` (its key is the URL's SURT, or ``-``)."""
        return cls(surt_key(url) if url else "-", timestamp, url, mime, status, digest,
                   length, offset, filename)

    @property
    def fields(self) -> dict[str, str]:
        """The JSON object, in cdxj-indexer's order, with only the values known."""
        fields: dict[str, str] = {}
        if self.url is not None:
            fields["url"] = self.url
        if self.mime is not None:
            fields["mime"] = self.mime
        if self.status is not None:
            fields["status"] = self.status
        if self.digest is not None:
            fields["digest"] = self.digest
        fields["length"] = str(self.length)
        fields["offset"] = str(self.offset)
        fields["filename"] = self.filename
        return fields

    def to_line(self) -> str:
        """The line without its newline, as pywb reads it."""
        return f"{self.key} {self.timestamp} {json.dumps(self.fields)}"

    @classmethod
    def from_line(cls, line: str) -> CdxjEntry:
        """Parse a line (with or without its newline); ValueError if it is not
        ``key timestamp {json}`` with a filename, offset and length, FilenameOutside (a
        ValueError) if its filename is not the name of a file in ``warcs/``. Fields
        other than ours are dropped."""
        key, timestamp, data = line.rstrip("\n").split(" ", 2)
        try:
            fields: Any = json.loads(data)
        except RecursionError as e:  # "[[[[..." nested past the interpreter's limit
            raise ValueError("the JSON of a CDXJ line is nested too deep") from e
        if not isinstance(fields, dict):
            raise ValueError("the JSON of a CDXJ line is not an object")

        def text(name: str) -> str | None:
            value = fields.get(name)
            return None if value is None else str(value)

        try:
            length, offset = int(fields["length"]), int(fields["offset"])
            filename = fields["filename"]
        except (KeyError, TypeError, OverflowError) as e:
            raise ValueError(f"a CDXJ line without a usable length, offset or filename ({e!r})"
                             ) from e
        filename = confine_filename(filename)
        return cls(key, timestamp, text("url"), text("mime"), text("status"), text("digest"),
                   length, offset, filename)


def read_entries(path: Path, *, skipped: Skipped | None = None) -> Iterator[CdxjEntry]:
    """Every line of the CDXJ index at ``path`` that parses, in order; a damaged line, and
    one whose filename is not in ``warcs/``, is skipped (`preserve verify` reports it),
    and told to ``skipped`` with its number. The file is opened at the call, so a missing
    index raises FileNotFoundError there, and each caller says what that means."""
    return _closing(open(path, encoding="utf-8", errors="replace"), skipped)


def entries(lines: Iterable[bytes | str], *, skipped: Skipped | None = None
            ) -> Iterator[CdxjEntry]:
    """``read_entries`` over lines a caller has opened itself (bytes are decoded as UTF-8,
    an invalid byte replaced): for an index opened through ``safeopen``, say."""
    for lineno, line in enumerate(lines, 1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        try:
            yield CdxjEntry.from_line(text)
        except ValueError as e:
            if skipped is not None:
                skipped(lineno, e)


def _closing(f: IO[str], skipped: Skipped | None) -> Iterator[CdxjEntry]:
    with f:
        yield from entries(f, skipped=skipped)


def is_indexed(rec_type: str | None, content_type: str | None) -> bool:
    """Whether cdxj-indexer's defaults give a record of this type and WARC Content-Type
    a line."""
    if rec_type not in INDEXED_TYPES:
        return False
    if rec_type in ("resource", "metadata"):
        return content_type != _WARC_FIELDS
    return True


def cdxj_mime(rec_type: str | None, content_type: str | None,
              http_content_type: str | None) -> str | None:
    """The ``mime`` field: a media type without parameters, or ``warc/revisit``; from the
    HTTP Content-Type for a response or request, from the WARC one for other records."""
    if rec_type == "revisit":
        return "warc/revisit"
    if rec_type in ("response", "request"):
        return media_type(http_content_type)
    return media_type(content_type)


def media_type(value: str | None) -> str | None:
    """A Content-Type up to its first ``;`` or space, as cdxj-indexer cuts it."""
    if value:
        value = _MIME_END.split(value, 1)[0].strip()
    return value


def http_status(rec_type: str | None, status: str | None) -> str | None:
    """The ``status`` field: the HTTP status of a response or revisit with an HTTP head."""
    return status if rec_type in ("response", "revisit") else None
