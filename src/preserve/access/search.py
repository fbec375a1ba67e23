"""Full-text search of the normalised pages, and the listing of every captured page.

``search`` asks the index that ``preserve normalise`` keeps (normalise/searchindex.py).
Pages whose title alone matches the query come first, then the others; within each,
by bm25 (a word of the title weighing ten times one of the body). Without the first
rule a short page saying a word three times outranks the page named after it: bm25's
term frequency saturates, so no weight lifts a title above that. Each hit has a snippet
of its body with the matches marked, and a replay link at its capture time
(access/links.py). By default only the latest capture of each URL is searched (what
the site said when last crawled); ``all_captures`` searches every capture.

``list_pages`` streams the pages of ``pages/pages.jsonl`` with every capture of each
URL from the CDXJ index (revisits marked), in the index's (SURT) order. Its memory is
that of one URL's captures: the pages list is loaded into a temporary SQLite table,
not a dict.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..collection import Collection
from ..errors import CollectionError
from ..normalise.searchindex import COLUMN_WEIGHTS, COLUMNS, MARK_CLOSE, MARK_OPEN
from ..store.cdxj import CdxjEntry, read_entries
from .links import default_replay_base, replay_url
from .query import to_fts

__all__ = ["Hit", "SearchResult", "search", "PageCaptures", "PageCapture", "list_pages",
           "marked", "timestamp14", "DEFAULT_LIMIT"]

DEFAULT_LIMIT = 20
SNIPPET_TOKENS = 32
_ELLIPSIS = "…"


def timestamp14(capture_time: str) -> str:
    """The 14-digit timestamp (as CDXJ and replay URLs have it) of a WARC-Date."""
    return "".join(c for c in capture_time if c.isdigit())[:14]


def marked(snippet: str, open_mark: str = "[", close_mark: str = "]") -> str:
    """A snippet with its matches between ``open_mark`` and ``close_mark``."""
    return snippet.replace(MARK_OPEN, open_mark).replace(MARK_CLOSE, close_mark)


@dataclass(frozen=True)
class Hit:
    url: str
    title: str
    snippet: str  # matches between MARK_OPEN and MARK_CLOSE; see marked()
    score: float  # bm25: lower is better
    capture_time: str
    replay_url: str
    id: str
    page_type: str
    authors: tuple[str, ...]
    published: str | None
    modified: str | None
    language: str | None
    provenance: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "snippet": marked(self.snippet),
                "score": round(self.score, 6), "capture_time": self.capture_time,
                "timestamp": timestamp14(self.capture_time), "replay_url": self.replay_url,
                "id": self.id, "page_type": self.page_type, "authors": list(self.authors),
                "published": self.published, "modified": self.modified,
                "language": self.language, "provenance": self.provenance}


@dataclass(frozen=True)
class SearchResult:
    query: str
    fts_query: str  # the FTS5 expression the query became
    total: int  # pages that match (the hits are the first ``limit`` of them)
    hits: list[Hit]
    all_captures: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "fts_query": self.fts_query, "total": self.total,
                "all_captures": self.all_captures, "hits": [h.to_dict() for h in self.hits]}


def _open_index(coll: Collection) -> sqlite3.Connection:
    path = coll.search_index_path
    if not path.is_file():
        raise CollectionError(f"no search index ({Collection.SEARCH_INDEX_REL}); run "
                              "`preserve normalise` first", coll.root)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("PRAGMA busy_timeout = 10000")
        # Read through a memory map: a word in most pages reads much of the index.
        db.execute("PRAGMA mmap_size = 1073741824")
        db.execute("SELECT 1 FROM docs JOIN live ON live.rowid = docs.rowid "
                   "JOIN fts ON fts.rowid = docs.rowid LIMIT 1")
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
            raise CollectionError("the search index was left in the middle of an update "
                                  "(its -journal is there); run `preserve normalise` to "
                                  "complete it", coll.root) from e
        raise CollectionError(f"the search index cannot be read ({e}); run `preserve "
                              "normalise` to build it again", coll.root) from e
    return db


# Two steps: rank in the FTS table alone (joined to the row ids of ``live`` unless every
# capture is searched), then read snippets and fields for the best few only. Ranking
# with the docs table joined in, or snippets in the ranking query, costs a read of every
# match's long row: four times as long for a word in most pages (bench/search.py).
_RANK_SQL = f"""
SELECT fts.rowid, bm25(fts, {", ".join(map(str, COLUMN_WEIGHTS))}) AS score
FROM fts {{live}} WHERE fts MATCH ?
ORDER BY fts.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?) DESC, score,
         fts.rowid DESC
LIMIT ?
"""
_COUNT_SQL = "SELECT count(*) FROM fts {live} WHERE fts MATCH ?"
_LIVE = "JOIN live ON live.rowid = fts.rowid"
_SNIPPET_SQL = (f"SELECT rowid, snippet(fts, 1, ?, ?, ?, {SNIPPET_TOKENS}) FROM fts "
                "WHERE fts MATCH ? AND rowid IN ({marks})")
_DOC_SQL = """SELECT rowid, url, title, capture_time, id, page_type, authors, published,
       modified, language, warc_file, record_offset, record_length, record_id,
       payload_digest FROM docs WHERE rowid IN ({marks})"""
assert len(COLUMN_WEIGHTS) == len(COLUMNS)


def search(coll: Collection, query: str, *, limit: int = DEFAULT_LIMIT,
           all_captures: bool = False, replay_base: str | None = None) -> SearchResult:
    """The best ``limit`` pages for ``query`` (access/query.py's language).

    Raises QueryError for a query that is not one, and CollectionError when there is no
    index yet or it cannot be read."""
    fts = to_fts(query)
    base = replay_base or default_replay_base()
    live = "" if all_captures else _LIVE
    db = _open_index(coll)
    try:
        total = int(db.execute(_COUNT_SQL.format(live=live), (fts,)).fetchone()[0])
        ranked = db.execute(_RANK_SQL.format(live=live),
                            (fts, f"title : ({fts})", max(limit, 0))).fetchall()
        marks = ", ".join("?" * len(ranked))
        ids = [rowid for rowid, _ in ranked]
        snippets = dict(db.execute(_SNIPPET_SQL.format(marks=marks),
                                   (MARK_OPEN, MARK_CLOSE, _ELLIPSIS, fts, *ids)).fetchall())
        docs = {row[0]: row[1:] for row in db.execute(_DOC_SQL.format(marks=marks), ids)}
    except sqlite3.DatabaseError as e:
        raise CollectionError(f"the search index cannot be read ({e}); run `preserve "
                              "normalise` to build it again", coll.root) from e
    finally:
        db.close()
    hits = []
    for rowid, score in ranked:
        (url, title, captured, ident, page_type, authors, published, modified, language,
         warc, offset, length, record_id, digest) = docs[rowid]
        hits.append(Hit(
            url=url, title=title, snippet=" ".join((snippets.get(rowid) or "").split()),
            score=float(score), capture_time=captured,
            replay_url=replay_url(base, timestamp14(captured), url), id=ident,
            page_type=page_type, authors=tuple(a for a in authors.split("\n") if a),
            published=published, modified=modified, language=language,
            provenance={"warc_file": warc, "offset": offset, "length": length,
                        "record_id": record_id, "payload_digest": digest}))
    return SearchResult(query, fts, total, hits, all_captures)


@dataclass(frozen=True)
class PageCapture:
    timestamp: str  # 14 digits
    status: int | None
    mime: str | None
    revisit: bool
    page: bool  # listed in pages.jsonl (an HTML 200 capture, or a revisit of one)
    replay_url: str
    filename: str
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "status": self.status, "mime": self.mime,
                "revisit": self.revisit, "page": self.page, "replay_url": self.replay_url,
                "warc_file": self.filename, "offset": self.offset}


@dataclass(frozen=True)
class PageCaptures:
    """One captured page (a URL of pages.jsonl) and every capture of it in the index."""

    url: str
    title: str | None
    captures: list[PageCapture] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title,
                "captures": [c.to_dict() for c in self.captures]}


def _load_pages(coll: Collection, db: sqlite3.Connection) -> None:
    """pages.jsonl into the table pages (url, ts14, title)."""
    db.execute("CREATE TABLE pages (url TEXT NOT NULL, ts TEXT NOT NULL, title TEXT, "
               "PRIMARY KEY (url, ts)) WITHOUT ROWID")
    try:
        f = coll.pages_path.open("rb")
    except FileNotFoundError:
        raise CollectionError(f"no pages list ({Collection.PAGES_REL}); run `preserve "
                              "index` to rebuild it", coll.root) from None
    with f:
        rows = []
        for raw in f:
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):
                continue  # a damaged line: `preserve verify` reports it
            if not isinstance(obj, dict) or not isinstance(obj.get("url"), str):
                continue  # the header line, or not a page
            ts = timestamp14(str(obj.get("ts", "")))
            title = obj.get("title") if isinstance(obj.get("title"), str) else None
            rows.append((obj["url"], ts, title))
            if len(rows) >= 10_000:
                db.executemany("INSERT OR IGNORE INTO pages VALUES (?, ?, ?)", rows)
                rows.clear()
        db.executemany("INSERT OR IGNORE INTO pages VALUES (?, ?, ?)", rows)


def _status(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _index_groups(coll: Collection) -> Iterator[list[CdxjEntry]]:
    """The index's lines, one list per URL. The index sorts by SURT key, then time, so
    the captures of one URL are together, with those of any URL of the same key (http
    and https) between them: a run of one key is split by URL."""
    try:
        entries = read_entries(coll.index_path)
    except FileNotFoundError:
        raise CollectionError(f"no index ({Collection.INDEX_REL}); run `preserve index` "
                              "to rebuild it", coll.root) from None
    group: list[CdxjEntry] = []
    for entry in entries:
        if entry.url is None:
            continue
        if group and entry.key != group[0].key:
            yield from _by_url(group)
            group = []
        group.append(entry)
    yield from _by_url(group)


def _by_url(entries: list[CdxjEntry]) -> Iterator[list[CdxjEntry]]:
    urls: dict[str, list[CdxjEntry]] = {}
    for e in entries:
        urls.setdefault(e.url or "", []).append(e)
    yield from urls.values()


def list_pages(coll: Collection, *, replay_base: str | None = None
               ) -> Iterator[PageCaptures]:
    """Every URL of pages.jsonl, with all its captures in the index, one at a time.

    Raises CollectionError when the index or the pages list is missing."""
    base = replay_base or default_replay_base()
    with tempfile.TemporaryDirectory(prefix="preserve-pages-") as tmp:
        db = sqlite3.connect(Path(tmp) / "pages.sqlite3", isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("BEGIN")
            _load_pages(coll, db)
            for group in _index_groups(coll):
                url = group[0].url or ""
                listed = dict(db.execute("SELECT ts, title FROM pages WHERE url = ?",
                                         (url,)).fetchall())
                if not listed:
                    continue
                titles = [listed[e.timestamp] for e in group
                          if listed.get(e.timestamp)]
                captures = [PageCapture(
                    e.timestamp, _status(e.status), e.mime, e.mime == "warc/revisit",
                    e.timestamp in listed,
                    replay_url(base, e.timestamp, url), e.filename, e.offset)
                    for e in group]
                yield PageCaptures(url, titles[-1] if titles else None, captures)
        finally:
            db.close()
