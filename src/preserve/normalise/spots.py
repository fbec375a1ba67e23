"""Where a collection's pages lie, from its CDXJ index (``indexes/index.cdxj``), so that
normalise seeks to them instead of reading every record of every WARC.

A line of the index gives a record's file, offset, length, URL, media type and HTTP
status. The records normalise may want are the revisits (their media type is
``warc/revisit``: whether they are pages shows only in the record) and the 200 responses
of an HTML type (or of none the index could read: the record decides). They are kept in
an anonymous SQLite database on disk, so memory stays flat whatever the index's size.

The index is *stale* for a WARC, which is then read whole (``records.iter_captures``),
when it is not known to describe the file as it is now:

* the index is missing, unreadable or has a line that is not CDXJ (for every WARC);
* the WARC was modified after the index was (file times), or the index has no line for
  it, or a line that runs past the end of the file;
* reading, when a record at an offset the index gives is not the record it names (URL,
  record type, length): ``records.IndexMismatch``; normalise then undoes what it learnt
  from that WARC and reads it whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ..store.cdxj import CdxjEntry
from ..web.media import is_html

__all__ = ["PageSpots", "may_be_page"]


def may_be_page(mime: str | None, status: str | None) -> bool:
    """Whether the record of an index line may be a page (``web.media.is_page``), so must
    be read; never False for a record that is one."""
    if mime == "warc/revisit":
        return True
    try:
        ok = status is not None and int(status) == 200
    except ValueError:
        return False
    return ok and (not mime or is_html(mime))


class PageSpots:
    """The spots (offset, length, URL) of the records to read in each WARC to be done;
    ``for_warc`` is None when the index is stale for that WARC."""

    def __init__(self, index: Path, warcs: Iterable[Path]) -> None:
        self._warcs = {p.name: p for p in warcs}
        self._db = sqlite3.connect("")  # a private temporary database, on disk
        self._db.execute("CREATE TABLE spots (warc TEXT NOT NULL, offset INTEGER NOT NULL, "
                         "length INTEGER NOT NULL, url TEXT NOT NULL)")
        self._db.execute("CREATE TABLE listed (warc TEXT PRIMARY KEY, end INTEGER NOT NULL)")
        self._usable = self._load(index)

    def close(self) -> None:
        self._db.close()

    def _load(self, index: Path) -> bool:
        try:
            index_time = index.stat().st_mtime_ns
            with index.open(encoding="utf-8") as f, self._db:
                for line in f:
                    entry = CdxjEntry.from_line(line)
                    if entry.filename not in self._warcs:
                        continue
                    end = entry.offset + entry.length
                    self._db.execute("INSERT INTO listed VALUES (?, ?) ON CONFLICT (warc) DO "
                                     "UPDATE SET end = max(end, excluded.end)",
                                     (entry.filename, end))
                    if entry.url is not None and may_be_page(entry.mime, entry.status):
                        self._db.execute("INSERT INTO spots VALUES (?, ?, ?, ?)",
                                         (entry.filename, entry.offset, entry.length,
                                          entry.url))
                self._db.execute("CREATE INDEX spots_warc ON spots (warc, offset)")
        except (OSError, ValueError):  # missing, unreadable, not UTF-8, not CDXJ
            return False
        self._index_time = index_time
        return True

    def for_warc(self, path: Path) -> list[tuple[int, int, str]] | None:
        """The spots of the WARC at ``path`` in file order; None when the index is stale
        for it (the module's docstring says when)."""
        if not self._usable:
            return None
        row = self._db.execute("SELECT end FROM listed WHERE warc = ?", (path.name,)
                               ).fetchone()
        try:
            st = path.stat()
        except OSError:
            return None
        if row is None or int(row[0]) > st.st_size or st.st_mtime_ns > self._index_time:
            return None
        return [(int(o), int(n), str(u)) for o, n, u in self._db.execute(
            "SELECT DISTINCT offset, length, url FROM spots WHERE warc = ? ORDER BY offset",
            (path.name,))]
