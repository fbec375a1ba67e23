"""The index lines of one WARC file, appended as its records are written.

Beside each WARC a crawl writes (``state/index/NAME.lines``, working data), one line per
record: its offset and end in the WARC and, for a record the index lists, its CDXJ line
and page facts (store.indexer's RecordFacts, computed from the bytes being written, so
they are what `preserve index` reads back). The last line, written once the WARC is
closed, records its size and SHA-256. At the end of a crawl the collection's index is
merged from these lines instead of re-reading every WARC (store.indexer.build_indexes
with ``reuse_lines``); lines whose WARC no longer matches their last line are ignored and
that WARC is read.

The lines follow the WARC: each is flushed right after its record, before the crawl
state commits it, and rolled back with it; after a kill, store.recovery cuts them back
to the WARC's committed end (``cut``), or removes them if a line is missing there.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # store.indexer reads these lines, so it cannot be imported here
    from .indexer import RecordFacts

__all__ = ["IndexLines", "read_lines", "cut", "close"]

_HEADER = ["preserve index lines", 1]
_CLOSED = "closed"


class IndexLines:
    """Appends the lines of one WARC being written; every method is best effort: a line
    that cannot be written removes the file (the WARC is then read at the end)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._marks: dict[int, int] = {}  # WARC offset of a record -> size of the lines
        self._end = 0  # the end of the last record with a line
        self._size = 0  # of the lines written (a text file's tell() flushes and seeks)
        self._held = False  # a held capture's lines are flushed by flush()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "w", encoding="utf-8", newline="\n")  # closed in close()
            self._write(_HEADER)
        except OSError:
            self._drop()

    @property
    def active(self) -> bool:
        """Whether lines are still being written (not dropped after an error)."""
        return self._file is not None

    def _write(self, item: list[Any]) -> None:
        assert self._file is not None
        line = json.dumps(item) + "\n"  # ASCII: json escapes the rest
        self._file.write(line)
        self._size += len(line) if line.isascii() else len(line.encode("utf-8"))
        if not self._held:
            self._file.flush()

    def _drop(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        self._file = None
        with contextlib.suppress(OSError):
            self.path.unlink()

    def begin(self, held: bool = False) -> None:
        """A capture begins: the records before it are never rolled back. ``held``: its
        lines are flushed together, by ``flush()``."""
        self._marks.clear()
        self._held = held

    def flush(self) -> None:
        """Write out a held capture's lines."""
        self._held = False
        if self._file is None:
            return
        try:
            self._file.flush()
        except OSError:
            self._drop()

    def add(self, offset: int, end: int, facts: RecordFacts | None) -> None:
        """The record at ``offset`` (up to ``end``) has been written."""
        if self._file is None:
            return
        if offset != self._end:  # records must follow each other (blank lines between)
            self._drop()
            return
        try:
            self._marks[offset] = self._size
            self._end = end
            if facts is None:
                self._write([offset, end])
                return
            page = facts.page
            self._write([offset, end, facts.entry.to_line(), None if page is None else
                         [page.url, page.ts, page.title, page.lookup, page.keep]])
        except OSError:
            self._drop()

    def rollback(self, offset: int) -> None:
        """The WARC was cut back to ``offset``: cut the lines of the records after it."""
        if self._file is None or offset >= self._end:
            return
        size = self._marks.get(offset)
        if size is None:
            self._drop()  # a cut these lines cannot follow: the WARC is read at the end
            return
        self._held = False
        try:
            self._file.seek(size)
            self._file.truncate(size)
            self._file.flush()
            self._size = size
        except OSError:
            self._drop()
        self._marks = {k: v for k, v in self._marks.items() if k < offset}
        self._end = offset

    def abandon(self, *, drop: bool = False) -> None:
        """Stop writing: recovery cuts the lines with the WARC (``drop``: remove them,
        and the WARC is read at the end)."""
        if drop:
            self._drop()
            return
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        self._file = None

    def close(self, size: int, sha256: str) -> None:
        """The WARC is closed at ``size`` bytes with this digest."""
        if self._file is None:
            return
        try:
            self._write([_CLOSED, size, sha256])
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        except OSError:
            self._drop()


def _entries(path: Path) -> Iterator[list[Any]]:
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f:
            if not line.endswith("\n"):
                return  # a line cut by a kill
            try:
                item = json.loads(line)
            except ValueError:
                return
            if not isinstance(item, list):
                return
            yield item


def read_lines(path: Path, size: int, sha256: str | None
               ) -> list[tuple[str, list[Any] | None]] | None:
    """The CDXJ lines and page facts (as PageFacts' fields) of a closed WARC of ``size``
    bytes and digest ``sha256``, in file order; None if the lines are missing, damaged,
    incomplete, or were written for another file (the WARC must then be read)."""
    out: list[tuple[str, list[Any] | None]] = []
    end = 0
    try:
        items = _entries(path)
        if next(items, None) != _HEADER:
            return None
        for item in items:
            if item[0] == _CLOSED:
                ok = item[1] == size == end and sha256 is not None and item[2] == sha256
                return out if ok else None
            if item[0] != end:
                return None
            end = item[1]
            if len(item) == 4:
                if not isinstance(item[2], str) or not (item[3] is None or _page(item[3])):
                    return None
                out.append((item[2], item[3]))
            elif len(item) != 2:
                return None
    except (OSError, TypeError, IndexError, ValueError):
        return None
    return None


def _page(fields: Any) -> bool:
    """Whether ``fields`` are a PageFacts' (url, ts, title, lookup, keep)."""
    return (isinstance(fields, list) and len(fields) == 5
            and all(isinstance(v, str) for v in fields[:2])
            and all(v is None or isinstance(v, str) for v in fields[2:]))


def cut(path: Path, committed: int) -> bool:
    """Cut the lines of an open WARC back to its committed end (after a kill), or remove
    them if they do not reach it (a line lost, or nothing committed). Whether any are left."""
    try:
        with open(path, "r+b") as f:
            keep = _committed_size(f, committed)
            if keep is not None:
                f.truncate(keep)
                os.fsync(f.fileno())
                return True
    except OSError:
        pass
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def _committed_size(f: IO[bytes], committed: int) -> int | None:
    """The size of the lines up to the record that ends at ``committed``, if there is one."""
    if not committed:
        return None
    size = 0
    end = 0
    for n, raw in enumerate(f):
        try:
            item = json.loads(raw) if raw.endswith(b"\n") else None
        except ValueError:
            return None
        if n == 0:
            if item != _HEADER:
                return None
        elif not (isinstance(item, list) and len(item) >= 2 and item[0] == end
                  and isinstance(item[1], int) and item[1] <= committed):
            return None
        else:
            end = item[1]
        size += len(raw)
        if end == committed:
            return size
    return None


def close(path: Path, size: int, sha256: str) -> None:
    """Write the last line of a WARC that recovery closed."""
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps([_CLOSED, size, sha256]) + "\n")
        f.flush()
        os.fsync(f.fileno())
