"""A WARC record's header block: parsed, and checked against WARC 1.1 section 5.

``parse_head`` turns the bytes before the first CRLF CRLF into a RecordHead, with every
problem found as a (code, message, expected, found) tuple for the scanner to report.
"""

from __future__ import annotations

import re

__all__ = ["RecordHead", "Problem", "parse_head", "content_length"]

Problem = tuple[str, str, object, object]  # code, message, expected, found

_MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
_NEEDS_URI = frozenset({"response", "resource", "request", "revisit", "conversion",
                        "continuation"})
_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")
_RECORD_ID = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]+>")
_VERSION = re.compile(rb"WARC/\d+\.\d+")


class RecordHead:
    """A record's WARC headers as parsed, with the offsets and length of its record."""

    __slots__ = ("offset", "version", "headers", "_lower")

    def __init__(self, offset: int, version: str, headers: list[tuple[str, str]]) -> None:
        self.offset = offset
        self.version = version
        self.headers = headers
        self._lower: dict[str, str] = {}
        for name, value in headers:
            self._lower.setdefault(name.lower(), value)

    def get(self, name: str) -> str | None:
        return self._lower.get(name.lower())

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or ""

    @property
    def uri(self) -> str:
        uri = self.get("WARC-Target-URI") or ""
        return uri[1:-1] if uri.startswith("<") and uri.endswith(">") else uri



def parse_head(raw: bytes, offset: int) -> tuple[RecordHead | None, list[Problem]]:
    """The header block ``raw`` (without its closing CRLF CRLF); None if it has no WARC
    version line, so record boundaries are lost."""
    problems: list[Problem] = []
    lines = raw.split(b"\r\n")
    if not _VERSION.fullmatch(lines[0]):
        problems.append(("WARC_HEADER_MALFORMED", "no WARC version line where a record "
                         "starts", "WARC/1.1", repr(lines[0][:40])))
        return None, problems
    try:
        text = [line.decode("utf-8") for line in lines[1:]]
    except UnicodeDecodeError:
        problems.append(("WARC_HEADER_MALFORMED", "a WARC header is not UTF-8", None, None))
        text = [line.decode("utf-8", "replace") for line in lines[1:]]
    headers: list[tuple[str, str]] = []
    for line in text:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            problems.append(("WARC_HEADER_MALFORMED", "a header line has no name and colon",
                             "Name: value", repr(line[:60])))
            continue
        headers.append((name.strip(), value.strip()))
    head = RecordHead(offset, lines[0].decode("ascii"), headers)
    problems.extend(_validate(head))
    return head, problems


def content_length(head: RecordHead) -> int | None:
    text = head.get("Content-Length")
    return int(text) if text and text.isdigit() else None


def _validate(head: RecordHead) -> list[Problem]:
    out: list[Problem] = []
    for name in _MANDATORY:
        if head.get(name) is None:
            out.append(("WARC_HEADER_MISSING", f"no {name} header", name, None))
    length = head.get("Content-Length")
    if length is not None and not length.isdigit():
        out.append(("WARC_HEADER_INVALID", "Content-Length is not a number of bytes",
                    "digits", length))
    record_id = head.get("WARC-Record-ID")
    if record_id is not None and not _RECORD_ID.fullmatch(record_id):
        out.append(("WARC_HEADER_INVALID", "WARC-Record-ID is not a URI in angle brackets",
                    "<urn:uuid:...>", record_id))
    date = head.get("WARC-Date")
    if date is not None and not _DATE.fullmatch(date):
        out.append(("WARC_HEADER_INVALID", "WARC-Date is not a UTC date in W3C ISO 8601 form",
                    "YYYY-MM-DDThh:mm:ssZ", date))
    rec_type = head.type
    if rec_type in _NEEDS_URI and head.get("WARC-Target-URI") is None:
        out.append(("WARC_HEADER_MISSING", f"a {rec_type} record needs WARC-Target-URI",
                    "WARC-Target-URI", None))
    if rec_type == "revisit" and head.get("WARC-Profile") is None:
        out.append(("WARC_HEADER_MISSING", "a revisit record needs WARC-Profile",
                    "WARC-Profile", None))
    return out
