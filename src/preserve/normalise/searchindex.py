"""The full-text search index of the normalised pages: ``normalised/search.sqlite3``.

An SQLite FTS5 index derived from ``normalised/articles.jsonl`` (docs/search.md), kept
in step by ``preserve normalise``: after each run, the articles of the WARC files that
normalise has done but the index has not are added, and those of WARC files normalise no
longer counts as done are taken out. It is working data (``Collection.is_working``): a
missing or damaged index is built again from ``articles.jsonl``.

Searchable columns: title, body, authors, dates, url. The text is folded before it is
indexed (``fold``: accents and other marks dropped, ß as ss, ł as l, final sigma as
sigma), one character for one token character, so the index's token positions match the
original text that the ``docs`` table keeps: snippets highlight the words as written.
Each update is one transaction: a process killed in the middle leaves the index as it
was, and the next run completes it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StorageError

__all__ = ["SearchIndex", "IndexUpdate", "SearchIndexDamaged", "update_search_index",
           "NewPages", "docs_row",
           "fold", "SCHEMA_VERSION", "COLUMNS", "COLUMN_WEIGHTS", "MARK_OPEN", "MARK_CLOSE"]

SCHEMA_VERSION = "1"
COLUMNS = ("title", "body", "authors", "dates", "url")
# bm25 weights, in COLUMNS order: a word of the title counts ten times one of the body.
COLUMN_WEIGHTS = (10.0, 1.0, 5.0, 2.0, 1.0)
# What snippets mark a match with; taken out of the text indexed, so never ambiguous.
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"
_TOKENIZER = "unicode61 remove_diacritics 2"

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE warcs (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    capture_time TEXT NOT NULL,
    page_type TEXT NOT NULL,
    language TEXT,
    published TEXT,
    modified TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    authors TEXT NOT NULL,
    dates TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    record_offset INTEGER,
    record_length INTEGER,
    record_id TEXT,
    payload_digest TEXT
);
CREATE INDEX docs_url ON docs (url, capture_time);
CREATE TABLE live (rowid INTEGER PRIMARY KEY);
CREATE INDEX docs_warc ON docs (warc_file);
CREATE VIRTUAL TABLE fts USING fts5 ({", ".join(COLUMNS)}, content='docs',
    content_rowid='rowid', tokenize='{_TOKENIZER}');
"""
# No prefix indexes: a prefix query (``harb*``) reads the terms that start with it from
# the main index, the same matches. Indexing every term's prefixes of 2 and 3 letters
# too took a third of the index's CPU and size when normalise builds it, to speed up
# only the queries of a 2- or 3-letter prefix. An index made with them (before
# 2026-12-07) stays usable as it is.

# Letters with no decomposition into a base letter and marks, folded as people type them.
_LETTERS = {"ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d",
            "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "æ": "ae", "Æ": "AE", "œ": "oe",
            "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ς": "σ",
            MARK_OPEN: " ", MARK_CLOSE: " "}


class _Folding(dict[int, str]):
    """str.translate's table, filled one character at a time as they are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = _LETTERS.get(ch)
        if out is None:
            parts = unicodedata.normalize("NFD", ch)
            if (len(parts) > 1 and unicodedata.category(parts[0])[0] == "L"
                    and all(unicodedata.category(c) == "Mn" for c in parts[1:])):
                out = parts[0]  # é, ά, ё, ő: the base letter
            elif unicodedata.category(ch) == "Mn":
                out = ""  # a mark on its own (stress in Москва́): unicode61 drops it too
            else:
                out = ch
        self[code] = out
        return out


_FOLD = _Folding()


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


def fold(text: str) -> str:
    """``text`` as the index holds it: accents and marks dropped ("Düsseldorf" ->
    "Dusseldorf", "Αθήνα" -> "Αθηνα", "Ёлка" -> "Елка"). A token character stays one or
    more token characters, and nothing else changes, so token positions are kept."""
    text = text.replace(MARK_OPEN, " ").replace(MARK_CLOSE, " ")
    if text.isascii():
        return text
    # Only the runs of other characters are looked up (ASCII folds to itself): most
    # text that is not ASCII is mostly ASCII, with a few quotes, dashes and accents.
    return _NON_ASCII.sub(_fold_run, text)


def _clean(text: str) -> str:
    """Text as the docs table keeps it: without the characters snippets mark with."""
    return text.replace(MARK_OPEN, " ").replace(MARK_CLOSE, " ")


class SearchIndexDamaged(Exception):
    """The file is not a search index this version can use; it is built again."""


@dataclass(frozen=True)
class IndexUpdate:
    added: int  # pages (captures) added to the index
    removed: int
    rebuilt: bool  # the index was missing, empty or damaged, and built from articles.jsonl
    pages: int  # pages in the index after the update


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class NewPages:
    """The pages that normalise has just written to articles.jsonl, those of the WARC
    files ``warcs``, as ``rows`` gives them again (``docs_row`` of each line's object, in
    the file's order, None left out): the index takes them from there rather than parse
    their lines of articles.jsonl again."""

    warcs: frozenset[str]
    rows: Callable[[], Iterable[dict[str, Any]]]


def docs_row(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The docs row of one articles.jsonl object; None for a line that is not one."""
    prov = obj.get("provenance")
    prov = prov if isinstance(prov, dict) else {}
    ident, url = obj.get("id"), obj.get("url")
    if not isinstance(ident, str) or not isinstance(url, str):
        return None
    authors = obj.get("authors")
    authors = [a for a in authors if isinstance(a, str)] if isinstance(authors, list) else []
    published, modified = _text(obj.get("published")), _text(obj.get("modified"))

    def integer(v: Any) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    return {
        "id": ident, "url": url, "capture_time": _text(prov.get("capture_time")),
        "page_type": _text(obj.get("page_type")) or "other",
        "language": obj.get("language") if isinstance(obj.get("language"), str) else None,
        "published": published or None, "modified": modified or None,
        "title": _clean(_text(obj.get("title"))), "body": _clean(_text(obj.get("body_text"))),
        "authors": _clean("\n".join(authors)),
        "dates": " ".join(d for d in (published, modified) if d),
        "warc_file": _text(prov.get("warc_file")),
        "record_offset": integer(prov.get("offset")),
        "record_length": integer(prov.get("length")),
        "record_id": prov.get("record_id") if isinstance(prov.get("record_id"), str) else None,
        "payload_digest": (prov.get("payload_digest")
                           if isinstance(prov.get("payload_digest"), str) else None),
    }


_DOC_FIELDS = ("id", "url", "capture_time", "page_type", "language", "published", "modified",
               "title", "body", "authors", "dates", "warc_file", "record_offset",
               "record_length", "record_id", "payload_digest")
_INSERT_DOC = (f"INSERT INTO docs ({', '.join(_DOC_FIELDS)}) "
               f"VALUES ({', '.join('?' * len(_DOC_FIELDS))})")
_INSERT_FTS = (f"INSERT INTO fts (rowid, {', '.join(COLUMNS)}) "
               f"VALUES (?, {', '.join('?' * len(COLUMNS))})")
_DELETE_FTS = (f"INSERT INTO fts (fts, rowid, {', '.join(COLUMNS)}) "
               f"VALUES ('delete', ?, {', '.join('?' * len(COLUMNS))})")


class SearchIndex:
    """The index database, opened for writing; ``SearchIndexDamaged`` if it is not one."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.created = False  # the file held no index: it was made now
        try:
            self.db.execute("PRAGMA busy_timeout = 10000")
            self._check_or_create()
        except sqlite3.DatabaseError as e:
            self.db.close()
            if _damage(e):
                raise SearchIndexDamaged(str(e)) from e
            raise
        except SearchIndexDamaged:
            self.db.close()
            raise

    def _check_or_create(self) -> None:
        tables = {name for (name,) in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        self.created = not tables
        if not tables:
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            return
        if not {"meta", "warcs", "docs", "live", "fts"} <= tables:
            raise SearchIndexDamaged("tables missing")
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            raise SearchIndexDamaged("another schema version")
        check = self.db.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise SearchIndexDamaged(f"quick_check: {check[0] if check else '?'}")

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def warcs(self) -> set[str]:
        """The WARC files whose pages are in the index."""
        return {name for (name,) in self.db.execute("SELECT name FROM warcs")}

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def _touch(self, url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO temp.touched VALUES (?)", (url,))

    def _delete(self, rowid: int) -> None:
        row = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM docs WHERE rowid = ?",
                              (rowid,)).fetchone()
        self.db.execute(_DELETE_FTS, (rowid, *(fold(v) for v in row)))
        self.db.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
        self.db.execute("DELETE FROM live WHERE rowid = ?", (rowid,))

    def add(self, obj: dict[str, Any]) -> bool:
        """Index one object of articles.jsonl (replacing a page of the same id); False if
        it is not an article."""
        row = docs_row(obj)
        return row is not None and self.add_row(row)

    def add_row(self, row: dict[str, Any]) -> bool:
        """Index one ``docs_row`` (replacing a page of the same id)."""
        old = self.db.execute("SELECT rowid FROM docs WHERE id = ?", (row["id"],)).fetchone()
        if old is not None:
            self._delete(int(old[0]))
        cur = self.db.execute(_INSERT_DOC, tuple(row[k] for k in _DOC_FIELDS))
        self.db.execute(_INSERT_FTS, (cur.lastrowid, *(fold(row[c]) for c in COLUMNS)))
        self._touch(row["url"])
        return True

    def remove_warc(self, name: str) -> int:
        """Take out the pages read from WARC file ``name``; how many there were."""
        rows = self.db.execute("SELECT rowid, url FROM docs WHERE warc_file = ?",
                               (name,)).fetchall()
        for rowid, url in rows:
            self._delete(int(rowid))
            self._touch(str(url))
        self.db.execute("DELETE FROM warcs WHERE name = ?", (name,))
        return len(rows)

    def mark_warc(self, name: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO warcs VALUES (?)", (name,))

    @contextmanager
    def update(self) -> Iterator[None]:
        """One transaction of adds and removals; at its end, the latest capture of each
        URL touched is the one in ``live`` (what search shows unless asked for every
        capture). ``live`` is a table of row ids alone, so a search joins it at the cost
        of a small b-tree, not of the docs table's long rows."""
        with self.transaction():
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (url TEXT PRIMARY KEY)")
            self.db.execute("DELETE FROM temp.touched")
            yield
            self.db.execute("DELETE FROM live WHERE rowid IN (SELECT rowid FROM docs "
                            "WHERE url IN (SELECT url FROM temp.touched))")
            self.db.execute(
                "INSERT OR IGNORE INTO live SELECT d.rowid FROM docs AS d "
                "WHERE d.url IN (SELECT url FROM temp.touched) AND d.capture_time = "
                "(SELECT max(e.capture_time) FROM docs AS e WHERE e.url = d.url)")
            self.db.execute("DELETE FROM temp.touched")


def _damage(e: sqlite3.DatabaseError) -> bool:
    """An error that says the file is not a sound database (not a locked or full disk)."""
    name = getattr(e, "sqlite_errorname", "")
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        not name and not isinstance(e, sqlite3.OperationalError))


def _articles(path: Path, wanted: set[str]) -> Iterator[dict[str, Any]]:
    """The objects of articles.jsonl read from the WARC files ``wanted``."""
    if not wanted or not path.is_file():
        return
    # With few files wanted, a line is parsed only if it names one of them.
    needles = ([f'"warc_file": {json.dumps(n, ensure_ascii=False)}' for n in wanted]
               if len(wanted) <= 16 else None)
    with path.open("rb") as f:
        for raw in f:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if needles is not None and not any(n in line for n in needles):
                continue
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                continue  # damaged: `preserve verify` reports it
            if not isinstance(obj, dict):
                continue
            prov = obj.get("provenance")
            if isinstance(prov, dict) and prov.get("warc_file") in wanted:
                yield obj


def _sync(path: Path, articles: Path, done: Iterable[str],
          new: NewPages | None) -> tuple[int, int, int, bool]:
    index = SearchIndex(path)
    try:
        done = set(done)
        added = removed = 0
        have = index.warcs()
        missing = done - have
        if missing or have - done:
            with index.update():
                for name in sorted(have - done):
                    removed += index.remove_warc(name)
                # In the file's order: the new pages are its last lines.
                fresh = new.warcs & missing if new else frozenset()
                for obj in _articles(articles, missing - fresh):
                    added += index.add(obj)
                if new and fresh:
                    for row in new.rows():
                        if row["warc_file"] in fresh:
                            added += index.add_row(row)
                for name in missing:
                    index.mark_warc(name)
        return added, removed, index.count(), index.created
    finally:
        index.close()


def _remove_files(path: Path) -> None:
    for p in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        p.unlink(missing_ok=True)


def update_search_index(path: Path, articles: Path, done: Iterable[str],
                        new: NewPages | None = None) -> IndexUpdate:
    """Bring the index at ``path`` in step with ``articles`` (articles.jsonl), whose pages
    come from the WARC files ``done``; build it again if it is missing or damaged. The
    pages of ``new``, when given, are taken from it, not from ``articles``.

    Raises StorageError when the index cannot be written (a full disk, permissions)."""
    done = set(done)
    try:
        try:
            added, removed, pages, rebuilt = _sync(path, articles, done, new)
        except (SearchIndexDamaged, sqlite3.DatabaseError) as e:
            if isinstance(e, sqlite3.DatabaseError) and not _damage(e):
                raise  # locked, full, unwritable: a rebuild would fail the same way
            _remove_files(path)
            added, removed, pages, rebuilt = _sync(path, articles, done, new)
    except (sqlite3.DatabaseError, SearchIndexDamaged) as e:
        raise StorageError(f"cannot write the search index ({e}); the articles are "
                           "normalised, and the next `preserve normalise` updates it",
                           path) from e
    except OSError as e:
        raise StorageError(f"cannot write the search index ({e.strerror})", path) from e
    return IndexUpdate(added, removed, rebuilt, pages)
