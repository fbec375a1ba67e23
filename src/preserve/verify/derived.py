"""The collection's derived files checked against the records they were derived from.

``indexes/index.cdxj``: every line must be the very line the indexer would write for the
record at its offset and length (so its offset, length, URL, time, status, type and
digest are right), every indexable record must have one, and the lines must be sorted.
``pages/pages.jsonl``: every line must be the one the indexer would write for a
captured page, every page must be listed, in time then URL order. The expected lines
come from the one scan of each WARC (verify.facts); both sides meet in SQLite, so memory
does not grow with the collection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..safeopen import open_nofollow
from ..store.pages import PAGES_HEADER, PageEntry, page_id, page_sort_key
from .facts import expected_lines
from .report import Capped, Finding, finding

__all__ = ["check_index", "check_pages", "MAX_TITLES"]

# Nothing here imports store.indexer: it brings warcio and the SURT rules, which verify
# needs only where it scans a collection's WARCs (verify.facts imports them there).

# As store.indexer: titles kept for revisits, oldest forgotten first.
MAX_TITLES = 100_000
_REPORT_MAX = 100


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    return db


def _lines(path: Path, digest: Any) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset, raw line) of each line of ``path``, every byte also going to
    ``digest``, so the file is read once."""
    start = 0
    with open_nofollow(path) as f:
        for lineno, raw in enumerate(f, 1):
            digest.update(raw)
            yield lineno, start, raw
            start += len(raw)


def check_index(index: Path, rel: str, facts: dict[str, Path], known: set[str],
                db_path: Path, digest: Any) -> list[Finding]:
    """``facts``: WARC file name -> its FactWriter cdxj file, for the WARCs scanned;
    ``known``: names of every closed WARC of the collection. Lines naming a known WARC
    that was not scanned (a --budget run) are checked for form and order only. The bytes
    read also go to ``digest`` (a hashlib object), so the file is read once."""
    out = Capped()
    if not index.exists():
        if facts:
            out.add(finding("INDEX_MISSING", rel, "no CDXJ index; rebuild it with "
                               "`preserve index`"))
        return out
    db = _db(db_path)
    db.execute("CREATE TABLE actual (line TEXT, lineno INTEGER, offset INTEGER, "
               "filename TEXT, start INTEGER)")
    db.execute("CREATE TABLE expected (line TEXT, filename TEXT, offset INTEGER, "
               "length INTEGER)")
    for name, path in facts.items():
        db.executemany("INSERT INTO expected VALUES (?,?,?,?)",
                       ((line, name, off, length) for off, length, line in
                        expected_lines(path)))
    previous = ""
    unsorted = False
    for lineno, line_start, raw in _lines(index, digest):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.add(finding("INDEX_MALFORMED", rel, f"line {lineno} is not UTF-8",
                               line_start))
            continue
        if not line.endswith("\n"):
            out.add(finding("INDEX_MALFORMED", rel, f"line {lineno} has no newline",
                               line_start))
        line = line.rstrip("\n")
        fields = _cdxj_fields(line)
        if fields is None:
            out.add(finding("INDEX_MALFORMED", rel, f"line {lineno} is not "
                               "`key timestamp {json}` with filename, offset, length",
                               line_start, found=line[:200]))
            continue
        if line < previous and not unsorted:
            unsorted = True
            out.add(finding("INDEX_UNSORTED", rel, f"line {lineno} sorts before "
                               "the line above it", line_start, previous[:200],
                               line[:200]))
        previous = line
        filename, offset = fields
        if filename not in known:
            # (here only: verify of a WARC never imports store.cdxj, test_startup_imports)
            from ..store.cdxj import FilenameOutside, confine_filename

            try:
                confine_filename(filename)
                what = f"names {filename!r}, which is no WARC file of the collection"
            except FilenameOutside as e:
                what = f"is refused: {e} (it is never opened)"
            out.add(finding("INDEX_BAD_OFFSET", rel, f"line {lineno} {what}", line_start,
                            found=filename))
            continue
        if filename in facts:
            db.execute("INSERT INTO actual VALUES (?,?,?,?,?)",
                       (line, lineno, offset, filename, line_start))
    db.execute("CREATE INDEX e_line ON expected (line)")
    db.execute("CREATE INDEX a_line ON actual (line)")
    db.execute("CREATE INDEX e_pos ON expected (filename, offset)")
    wrong = db.execute("SELECT line, lineno, offset, filename, start FROM actual WHERE line "
                       "NOT IN (SELECT line FROM expected) ORDER BY lineno")
    for line, lineno, offset, filename, line_start in wrong.fetchmany(_REPORT_MAX):
        there = db.execute("SELECT line FROM expected WHERE filename = ? AND offset = ?",
                           (filename, offset)).fetchone()
        if there is None:
            out.add(finding("INDEX_BAD_OFFSET", rel, f"line {lineno}: no indexed record "
                               f"starts at offset {offset} of {filename}", line_start,
                               found=line[:300]))
        else:
            out.add(finding("INDEX_ENTRY_MISMATCH", rel, f"line {lineno} differs from the "
                               f"record at offset {offset} of {filename}", line_start,
                               there[0][:300], line[:300]))
    missing = db.execute("SELECT line, filename, offset FROM expected WHERE line NOT IN "
                         "(SELECT line FROM actual) AND (filename, offset) NOT IN "
                         "(SELECT filename, offset FROM actual) ORDER BY filename, offset")
    for line, filename, offset in missing.fetchmany(_REPORT_MAX):
        out.add(finding("INDEX_ENTRY_MISSING", rel, f"the record at offset {offset} of "
                           f"{filename} has no line", expected=line[:300]))
    db.close()
    return out.done()


def _cdxj_fields(line: str) -> tuple[str, int] | None:
    parts = line.split(" ", 2)
    if len(parts) != 3 or len(parts[1]) != 14 or not parts[1].isdigit():
        return None
    try:
        obj = json.loads(parts[2])
        filename = obj["filename"]
        offset = int(obj["offset"])
        int(obj["length"])
    except (ValueError, KeyError, TypeError, RecursionError):  # Recursion: "[[[[..."
        return None
    if not isinstance(filename, str) or not all(isinstance(v, str) for v in obj.values()):
        return None
    return filename, offset


def _iso(t: str) -> str:
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def _page_key(ts: str, url: str) -> bytes:
    """The order store.indexer writes pages in (then the JSON), as bytes."""
    return page_sort_key(ts, url).encode()


def _expected_pages(facts: Iterable[Path]) -> Iterable[tuple[bytes, int, str]]:
    """(key, order, JSON) of every page, replaying store.indexer's title rules over the
    WARCs in name order (a revisit takes the title of an earlier capture of its payload);
    ``order`` counts the pages read, so the last of a key is the one the indexer lists."""
    titles: dict[str, str] = {}
    order = 0
    for path in facts:
        with open(path, encoding="utf-8") as f:
            for raw in f:
                fact = json.loads(raw)
                url, digest = fact["url"], fact["digest"]
                title = fact["title"] if fact["type"] == "response" else (
                    titles.get(digest) if digest else None)
                if fact["type"] == "response" and title is not None and digest:
                    if len(titles) >= MAX_TITLES:
                        del titles[next(iter(titles))]
                    titles[digest] = title
                ts = _iso(fact["timestamp"])
                entry = PageEntry(url=url, ts=ts, title=title, id=page_id(url, ts))
                order += 1
                yield _page_key(ts, url), order, entry.to_json()


def _another_capture(db: sqlite3.Connection, key: bytes, line: str) -> bool:
    """Whether ``line`` is one of the captures of its URL in one second other than the
    last: a pages list written before the indexer kept the last of such a tie (it kept
    the capture whose JSON sorted first) is not damaged."""
    return db.execute("SELECT 1 FROM exp WHERE key = ? AND json = ?", (key, line)
                      ).fetchone() is not None


def check_pages(pages: Path, rel: str, facts: list[Path], db_path: Path,
                digest: Any) -> list[Finding]:
    """``facts``: the FactWriter pages files of every closed WARC, in name order; the bytes
    read also go to ``digest``."""
    out = Capped()
    if not pages.exists():
        if facts:  # as for the index: a collection not crawled yet has neither
            out.add(finding("PAGES_MISSING", rel, "no pages list; rebuild it with "
                               "`preserve index`"))
        return out
    db = _db(db_path)
    db.execute("CREATE TABLE exp (key BLOB, ord INTEGER, json TEXT)")
    db.executemany("INSERT INTO exp VALUES (?,?,?)", _expected_pages(facts))
    db.execute("CREATE TABLE best (key BLOB PRIMARY KEY, json TEXT, n INTEGER, "
               "seen INTEGER DEFAULT 0)")
    # One page per key (URL and second), the last read: SQLite takes the bare column
    # json from the row of MAX(ord). ``n``: how many captures share the key.
    db.execute("INSERT INTO best (key, json, n) SELECT key, json, n FROM "
               "(SELECT key, json, MAX(ord), COUNT(*) AS n FROM exp GROUP BY key)")
    header = json.dumps(PAGES_HEADER)
    previous = b""
    ordered = True
    for lineno, line_start, raw in _lines(pages, digest):
        line = raw.decode("utf-8", "replace")
        if not line.endswith("\n"):
            out.add(finding("PAGES_MALFORMED", rel, f"line {lineno} has no newline",
                               line_start))
        line = line.rstrip("\n")
        if lineno == 1:
            if line != header:
                out.add(finding("PAGES_MALFORMED", rel, "the first line is not the "
                                   "json-pages-1.0 header", line_start, header, line))
            continue
        try:
            obj = json.loads(line)
            url, ts = obj["url"], obj["ts"]
            if not isinstance(url, str) or not isinstance(ts, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, RecursionError):  # Recursion: "[[[[..."
            out.add(finding("PAGES_MALFORMED", rel, f"line {lineno} is not a page "
                               "object with url and ts", line_start, found=line[:200]))
            continue
        key = _page_key(ts, url)
        if key < previous and ordered:
            ordered = False
            out.add(finding("PAGES_ORDER", rel, f"line {lineno} sorts before the "
                               "line above it", line_start))
        previous = key
        row = db.execute("SELECT json, n FROM best WHERE key = ?", (key,)).fetchone()
        if row is None:
            out.add(finding("PAGES_NOT_CAPTURED", rel, f"line {lineno}: no page "
                               f"captured at {url} {ts}", line_start, found=line[:300]))
            continue
        db.execute("UPDATE best SET seen = 1 WHERE key = ?", (key,))
        if row[0] != line and not (row[1] > 1 and _another_capture(db, key, line)):
            out.add(finding("PAGES_ENTRY_MISMATCH", rel, f"line {lineno} differs "
                               f"from the capture of {url} at {ts}", line_start,
                               row[0][:300], line[:300]))
    for (text,) in db.execute("SELECT json FROM best WHERE seen = 0 ORDER BY key"
                              ).fetchmany(_REPORT_MAX):
        out.add(finding("PAGES_ENTRY_MISSING", rel, "a captured page is not listed",
                           expected=text[:300]))
    db.close()
    return out.done()
