"""Where a record's HTTP header block ends, found as the block streams past.

By warcio's rule (what ``warcio check`` and the indexer use), the head ends after the
first line that is empty once trailing whitespace is stripped, however long the lines
before it: a megabyte Cookie header is head, not payload. Only a bounded part of the
head is kept, for the index and page checks.
"""

from __future__ import annotations

import re

__all__ = ["HttpHead", "HTTP_HEAD_MAX", "HTTP_STEP"]

HTTP_HEAD_MAX = 256 * 1024  # at most this much of a head is kept
_NOT_SPACE = re.compile(rb"[^ \t\r\n\x0b\x0c]")  # what bytes.rstrip() keeps
HTTP_STEP = 1 << 16  # the head is looked for in steps of this many bytes
_BLANK_LINE = re.compile(rb"(?:^|(?<=\n))[ \t\r\x0b\x0c]*\n")  # a line of whitespace only


class HttpHead:
    """The HTTP header block at the start of a record's block, found as the block streams
    past, by warcio's rule: it ends after the first line that is empty once trailing
    whitespace is stripped, however long the lines before it (a megabyte Cookie header
    is still head, not payload). Whole lines are kept up to HTTP_HEAD_MAX bytes in all;
    a line that does not fit is left out, so a Content-Type after it is still seen."""

    __slots__ = ("kept", "line", "fits", "blank")

    def __init__(self) -> None:
        self.kept = bytearray()
        self.line = bytearray()  # the line being read, while it fits
        self.fits = True
        self.blank = True  # the line so far is whitespace only

    def feed(self, data: bytes) -> int | None:
        """Take the block's next bytes: how many of them belong to the head if it ends
        in them, else None."""
        if not self.kept and not self.line and self.fits:
            # The usual case, the whole head in the first bytes: its end is the first
            # line that is whitespace only, and all of it is kept.
            blank = _BLANK_LINE.search(data, 0, HTTP_HEAD_MAX)
            if blank is not None:
                # As the loop below leaves it: the blank line is kept, and is the line too.
                self.kept += data[:blank.end()]
                self.line = bytearray(data[blank.start():blank.end()])
                return blank.end()
        i, n = 0, len(data)
        while i < n:
            nl = data.find(b"\n", i)
            stop = n if nl < 0 else nl + 1
            if self.blank and _NOT_SPACE.search(data, i, stop):
                self.blank = False
            if self.fits:
                if len(self.kept) + len(self.line) + stop - i <= HTTP_HEAD_MAX:
                    self.line += data[i:stop]
                else:
                    self.fits = False
                    self.line = bytearray()
            i = stop
            if nl < 0:
                return None
            if self.fits:
                self.kept += self.line
            if self.blank:
                return i
            self.line = bytearray()
            self.fits = True
            self.blank = True
        return None

    def head(self) -> bytes:
        """What is kept of the head (all of it, unless lines were left out)."""
        return bytes(self.kept + self.line if self.fits else self.kept)
