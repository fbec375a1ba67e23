"""WARC and HTTP heads parsed by warcio's rules, without importing warcio.

Importing any part of warcio imports the whole package, and with it fsspec, which imports
asyncio and reads the entry points of every installed distribution: about a tenth of a
second of CPU in every crawl, which needs only this parse (the index facts of each record
it writes). ``HeadParser.parse`` follows warcio 1.8's ``StatusAndHeadersParser.parse``
rule for rule, and ``timestamp14`` its ``iso_date_to_timestamp``, so the reader, the
index and the index lines written while crawling agree with cdxj-indexer as before.
``Head`` answers what warcio's ``StatusAndHeaders`` answers to the reader and to
``ArcWarcRecord.content_stream``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

__all__ = ["Head", "HeadParser", "HeadError", "timestamp14"]

_DATE_SPLIT = re.compile(r"[^\d]")


class _Lines(Protocol):
    def readline(self, size: int = ..., /) -> bytes: ...


class HeadError(Exception):
    """The first line is not a status line of the expected protocols."""


class Head:
    """A status line and its header fields, in order (names as written)."""

    __slots__ = ("statusline", "headers", "protocol", "total_len")

    def __init__(self, statusline: str, headers: Iterable[tuple[str, str]],
                 protocol: str = "", total_len: int = 0) -> None:
        self.statusline = statusline
        self.headers = list(headers)
        self.protocol = protocol
        self.total_len = total_len

    def get_header(self, name: str, default_value: str | None = None) -> str | None:
        """The first field's value of that name (case-insensitive)."""
        name_lower = name.lower()
        for key, value in self.headers:
            if key.lower() == name_lower:
                return value
        return default_value

    def replace_header(self, name: str, value: str) -> str | None:
        """Replace the last field of that name (or add one); the old value, if any."""
        name_lower = name.lower()
        for index in range(len(self.headers) - 1, -1, -1):
            key, old = self.headers[index]
            if key.lower() == name_lower:
                self.headers[index] = (key, value)
                return old
        self.headers.append((name, value))
        return None

    def get_statuscode(self) -> str:
        """The status code: the status line's first word."""
        return self.statusline.split(" ", 1)[0]

    def __bool__(self) -> bool:
        return bool(self.statusline or self.headers)

    def __str__(self) -> str:
        """The head as text, as warcio's ``to_str`` gives it (no blank line after)."""
        first = " ".join(part for part in (self.protocol, self.statusline) if part)
        lines = [first] if first else []
        lines += [": ".join(field) for field in self.headers]
        return "".join(line + "\r\n" for line in lines)

    def __repr__(self) -> str:
        return (f"Head(protocol={self.protocol!r}, statusline={self.statusline!r}, "
                f"headers={self.headers!r})")


def _decode(line: bytes | str) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("iso-8859-1")


class HeadParser:
    """Reads a head from a stream's lines: the status line (one of ``protocols`` when
    ``verify``), then fields up to the first line that is empty once trailing
    whitespace is stripped; a line starting with a space or tab continues the field
    before it; a line with no colon is dropped."""

    def __init__(self, protocols: Sequence[str], verify: bool = True) -> None:
        self.protocols = tuple(protocols)
        self.verify = verify

    def parse(self, stream: _Lines, full_statusline: bytes | str | None = None) -> Head:
        """The head read from ``stream`` (after ``full_statusline`` if given). Raises
        EOFError at the end of the stream, HeadError for an unexpected status line."""
        if full_statusline is None:
            full_statusline = stream.readline()
        first = _decode(full_statusline)
        statusline = first.rstrip()
        total = len(first)
        headers: list[tuple[str, str]] = []
        if total == 0:
            raise EOFError()
        if not statusline:
            return Head(statusline, headers, "", total)
        if self.verify:
            split = self._split_prefix(statusline)
            if split is None:
                raise HeadError(f"Expected Status Line starting with {list(self.protocols)} "
                                f"- Found: {statusline}")
            protocol_status: Sequence[str] = split
        else:
            protocol_status = statusline.split(" ", 1)
        raw = _decode(stream.readline())
        line, total = raw.rstrip(), total + len(raw)
        while line:
            name, colon, rest = line.partition(":")
            value: str | None = None
            if colon:
                name, value = name.rstrip(" \t"), rest.lstrip()
            raw = _decode(stream.readline())
            next_line, total = raw.rstrip(), total + len(raw)
            while next_line and next_line.startswith((" ", "\t")):
                if value is not None:
                    value += next_line
                raw = _decode(stream.readline())
                next_line, total = raw.rstrip(), total + len(raw)
            if value is not None:
                headers.append((name, value))
            line = next_line
        status = protocol_status[1].strip() if len(protocol_status) > 1 else ""
        return Head(status, headers, protocol_status[0], total)

    def _split_prefix(self, statusline: str) -> tuple[str, str] | None:
        upper = statusline.upper()
        for prefix in self.protocols:
            if upper.startswith(prefix):
                return upper[: len(prefix)], statusline[len(prefix):]
        return None


def timestamp14(iso_date: str | None) -> str:
    """A WARC-Date as a 14-digit timestamp, by warcio's ``iso_date_to_timestamp`` rule:
    the digit runs are the date's fields (a fraction cut to microseconds). Raises
    TypeError (no date, or too few or too many fields) or ValueError (a field out of
    range, or too large for any date) for a date that does not have them."""
    if iso_date is None:
        raise TypeError("no date")
    nums = _DATE_SPLIT.split(iso_date)
    if nums[-1] == "":
        nums = nums[:-1]
    if len(nums) == 7:
        nums[6] = nums[6][:6]
        nums[6] += "000000"[len(nums[6]):]
    # As warcio: as many fields as there are runs (an eighth goes to tzinfo and fails).
    make: Callable[..., datetime] = datetime
    try:
        return make(*(int(num) for num in nums)).strftime("%Y%m%d%H%M%S")
    except OverflowError:  # a run of digits too long for a C int ("20261207083015")
        raise ValueError(f"a date field out of range in {iso_date!r}") from None
