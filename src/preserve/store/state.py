"""The SQLite database of crawl state (COLL/state/state.sqlite3) and its tables.

One connection, WAL journal, ``synchronous=NORMAL``: a commit is durable against the
process being killed (the case resume is built for) without an fsync per URL. The
registry of crawls and WARC checkpoints, the robots cache and the payload digest index
are small classes over it; store/frontier.py holds the queue, and
store/crawlstate_sqlite.py puts them together behind the ``CrawlState`` seam.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import CollectionError, PreserveError, StorageError
from .crawlstate import CrawlRecord
from .warc import Original

__all__ = ["StateDB", "CrawlRecord", "CrawlRegistry", "RobotsStore", "SqliteDigestIndex",
           "damaged_state", "origin", "is_record", "reading"]

SCHEMA_VERSION = 1
# The kind of a crawl other than an ordinary one ("patch"), kept in its saved settings
# (``crawls.config``) under this key, which no crawl setting has.
_KIND = "kind"
# A crawl kept here as a record of one run elsewhere (a worker's share of a distributed
# crawl, a crawl merged in by ``preserve merge``) has its identity in its saved settings
# under this key: "<id> <started>" where it was first numbered. Such a crawl is never
# resumed from this database (its frontier is in Redis, or in another collection).
_ORIGIN = "origin"


def origin(crawl: CrawlRecord) -> str:
    """The identity of ``crawl`` across collections: its id and start where it was first
    numbered (the workers of one distributed crawl all record the same)."""
    value = crawl.config.get(_ORIGIN)
    return value if isinstance(value, str) else f"{crawl.id} {crawl.started}"


def is_record(crawl: CrawlRecord) -> bool:
    """Whether ``crawl`` was run elsewhere and kept here as a record (a distributed
    crawl's share, a merged crawl: ``CrawlRegistry.record``), never resumed from here."""
    return _ORIGIN in crawl.config

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crawls (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    crawl TEXT NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    hops TEXT NOT NULL,
    via TEXT,
    priority INTEGER NOT NULL DEFAULT 1,
    state INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    UNIQUE (crawl, url)
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls (crawl, state, host, priority, id);
CREATE TABLE IF NOT EXISTS excluded (
    crawl TEXT NOT NULL, url TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (crawl, url)
);
CREATE TABLE IF NOT EXISTS robots (
    crawl TEXT NOT NULL, host TEXT NOT NULL, status INTEGER NOT NULL, body BLOB,
    PRIMARY KEY (crawl, host)
);
CREATE TABLE IF NOT EXISTS digests (
    crawl TEXT NOT NULL, digest TEXT NOT NULL, uri TEXT NOT NULL, date TEXT NOT NULL,
    record_id TEXT NOT NULL, PRIMARY KEY (crawl, digest)
);
CREATE INDEX IF NOT EXISTS digests_by_digest ON digests (digest);
CREATE TABLE IF NOT EXISTS scope_seeds (
    crawl TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (crawl, url)
);
CREATE TABLE IF NOT EXISTS warc_files (
    name TEXT PRIMARY KEY, crawl TEXT NOT NULL, committed INTEGER NOT NULL, closed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_marks (
    crawl TEXT PRIMARY KEY, final INTEGER NOT NULL DEFAULT 0, label TEXT
);
CREATE TABLE IF NOT EXISTS crawl_logs (crawl TEXT PRIMARY KEY, committed INTEGER NOT NULL);
"""


def _write_failed(e: sqlite3.DatabaseError) -> bool:
    """A disk that is full or failing (EFBIG, ENOSPC, EIO), not a damaged database."""
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL)


def _damaged(e: sqlite3.DatabaseError) -> bool:
    """The file is not a database, or its pages are damaged (not a full or failing disk)."""
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def damaged_state(path: Path, detail: str) -> CollectionError:
    """The one error for a damaged state database, with the way out.

    Nothing the state holds is lost for good: the WARCs, the fixity manifest, the event
    log and the crawl logs are outside it, ``preserve index`` rebuilds the index and the
    pages list from the WARCs, and a new crawl numbers itself after the crawl logs."""
    state = path.parent
    aside = state.parent.with_name(f"{state.parent.name}.state-damaged")
    return CollectionError(
        f"crawl state is damaged ({detail}); the WARCs are not. Move it out of the "
        f"collection (mv {state} {aside}), run `preserve index` to rebuild the index and "
        "pages from the WARCs, and `preserve crawl` to start a new crawl (an unfinished one "
        "cannot be resumed)", path)


def _open_error(e: sqlite3.DatabaseError, path: Path) -> PreserveError:
    if not os.access(path.parent, os.W_OK):  # a read-only mount: SQLite's WAL must write
        return CollectionError(f"cannot open the crawl state: {path.parent.name}/ cannot be "
                               "written (a read-only collection); make the collection "
                               "writable, or work on a writable copy", path)
    if _write_failed(e):
        return StorageError(f"cannot write the crawl state ({e}); check the disk has space", path)
    return damaged_state(path, str(e))


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Reads of the state outside a transaction: damage found by one is a CollectionError
    with the way out, not a traceback."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        if _damaged(e):
            raise damaged_state(path, str(e)) from e
        raise


class StateDB:
    """The SQLite connection shared by the state classes; used from one thread at a time."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only:  # a collection that cannot be written (held by export_lock)
            self._open_read_only(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.DatabaseError as e:
            raise _open_error(e, path) from e
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.conn.execute(
                    "INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise CollectionError(
                    "crawl state was written by a newer preserve; upgrade preserve", path
                )
            # Damaged pages are otherwise found only by the query that reads them, in the
            # middle of a crawl; a quick check (no index cross-checks) reads each page once.
            problems = [r[0] for r in self.conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise damaged_state(path, "; ".join(problems)[:200])
        except BaseException as e:
            self.conn.close()
            if isinstance(e, sqlite3.DatabaseError):
                raise _open_error(e, path) from e
            raise
        self._lock = threading.RLock()
        self._depth = 0
        self._on_rollback: list[Callable[[], None]] = []

    def _open_read_only(self, path: Path) -> None:
        """Reads only, of a database nothing writes while it is open (the collection is
        locked against crawls): immutable, so SQLite needs no -shm file beside it."""
        try:
            self.conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1",
                                        uri=True, isolation_level=None,
                                        check_same_thread=False)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as e:
            with contextlib.suppress(AttributeError):
                self.conn.close()
            raise damaged_state(path, str(e)) from e
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            self.conn.close()
            raise CollectionError("crawl state was written by a newer preserve; upgrade "
                                  "preserve", path)
        self._lock = threading.RLock()
        self._depth = 0
        self._on_rollback = []

    def on_rollback(self, reload: Callable[[], None]) -> None:
        """Call ``reload`` when an outermost transaction rolls back, so that what a class
        keeps in memory never shows what the database no longer holds."""
        self._on_rollback.append(reload)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Nestable; a disk that is full or failing raises StorageError, rolled back."""
        with self._lock:
            outer = self._depth == 0
            try:
                if outer:
                    self.conn.execute("BEGIN IMMEDIATE")
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                if outer:
                    self.conn.execute("COMMIT")
            except BaseException as e:
                # A failed COMMIT can leave the transaction open; end it, so the state
                # can still be read (and the WARC cut back to what it says is committed).
                if outer:
                    if self.conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            self.conn.execute("ROLLBACK")
                    for reload in self._on_rollback:
                        with contextlib.suppress(sqlite3.Error):  # the first error is the news
                            reload()
                if isinstance(e, sqlite3.DatabaseError) and _write_failed(e):
                    raise StorageError(f"cannot update the crawl state ({e})", self.path) from e
                if isinstance(e, sqlite3.DatabaseError) and _damaged(e):
                    raise damaged_state(self.path, str(e)) from e
                raise

    def close(self) -> None:
        self.conn.close()


class CrawlRegistry:
    """Numbered crawls of the collection and the WARC checkpoints that make resume exact."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def _row(self, row: tuple[Any, ...] | None) -> CrawlRecord | None:
        if row is None:
            return None
        config = json.loads(row[5])
        kind = config.pop(_KIND, "crawl") if isinstance(config, dict) else "crawl"
        return CrawlRecord(
            row[0], row[1], row[2], row[3], row[4], config,
            json.loads(row[6]) if row[6] else None, bool(row[7]), row[8], str(kind),
        )

    _SELECT = ("SELECT id, seq, started, finished, status, config, summary, final, label "
               "FROM crawls LEFT JOIN crawl_marks ON crawl_marks.crawl = crawls.id")

    def mark(self, crawl_id: str, *, final: bool, label: str | None) -> None:
        """Mark a crawl as the final capture, and/or give it a label."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO crawl_marks VALUES (?, ?, ?) ON CONFLICT(crawl) DO UPDATE SET "
                "final=MAX(final, excluded.final), label=COALESCE(excluded.label, label)",
                (crawl_id, int(final), label),
            )

    def unfinished(self) -> CrawlRecord | None:
        """The latest unfinished crawl run from this database (not a recorded one)."""
        rows = self.db.conn.execute(f"{self._SELECT} WHERE finished IS NULL ORDER BY seq DESC")
        for row in rows:
            crawl = self._row(row)
            if crawl is not None and not is_record(crawl):
                return crawl
        return None

    def all(self) -> list[CrawlRecord]:
        rows = self.db.conn.execute(f"{self._SELECT} ORDER BY seq").fetchall()
        return [r for r in map(self._row, rows) if r is not None]

    def start(self, started: str, config: dict[str, Any], after: int = 0,
              kind: str = "crawl") -> CrawlRecord:
        """A new crawl, numbered after every crawl in the table and after ``after`` (the
        highest number the collection used before, should the state have been lost);
        ``kind`` is "crawl" or "patch" (access/patch.py)."""
        with self.db.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM crawls").fetchone()[0]
            seq = max(seq, after + 1)
            crawl_id = f"{seq:04d}"
            saved = config if kind == "crawl" else {**config, _KIND: kind}
            conn.execute(
                "INSERT INTO crawls VALUES (?, ?, ?, NULL, 'running', ?, NULL)",
                (crawl_id, seq, started, json.dumps(saved)),
            )
        return CrawlRecord(crawl_id, seq, started, None, "running", config, None, kind=kind)

    def record(self, crawl: CrawlRecord, origin_key: str, *, after: int = 0) -> str:
        """Keep ``crawl``, run elsewhere, as a record (``origin_key``: see ``origin``):
        the row of that origin is updated (finished the latest, the mark kept), or a new
        one is numbered after every crawl here and after ``after``, or given ``crawl.id``
        when ``crawl.seq`` is free of that (a worker's share keeps the crawl's number).
        Returns the id here. Never resumed from this database (``unfinished``)."""
        with self.db.transaction():
            known = {origin(c): c for c in self.all()}
            here = known.get(origin_key)
            config = {**crawl.config, _ORIGIN: origin_key}
            if crawl.kind != "crawl":
                config[_KIND] = crawl.kind
            if here is None:
                top = self.db.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM crawls").fetchone()
                seq = crawl.seq if crawl.seq > max(int(top[0]), after) else \
                    max(int(top[0]), after) + 1
                crawl_id = f"{seq:04d}"
                self.db.conn.execute(
                    "INSERT INTO crawls VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (crawl_id, seq, crawl.started, crawl.finished, crawl.status,
                     json.dumps(config),
                     None if crawl.summary is None else json.dumps(crawl.summary)))
            else:
                crawl_id = here.id
                newer = crawl.finished is None and here.finished is None or (
                    crawl.finished is not None and (here.finished or "") <= crawl.finished)
                if newer:
                    self.db.conn.execute(
                        "UPDATE crawls SET finished=?, status=? WHERE id=?",
                        (crawl.finished, crawl.status, crawl_id))
                if crawl.summary is not None:
                    self.save_summary(crawl_id, crawl.summary)
            if crawl.final or crawl.label is not None:
                self.mark(crawl_id, final=crawl.final, label=crawl.label)
        return crawl_id

    def add_warc(self, crawl_id: str, name: str, committed: int, closed: bool) -> None:
        """WARC ``name`` of the crawl kept as a record (``record``); a name already
        listed keeps its crawl."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO warc_files VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "committed=MAX(committed, excluded.committed), "
                "closed=MAX(closed, excluded.closed) WHERE crawl=excluded.crawl",
                (name, crawl_id, committed, int(closed)))

    def set_status(self, crawl_id: str, status: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE crawls SET status=? WHERE id=?", (status, crawl_id))

    def finish(self, crawl_id: str, finished: str, status: str, summary: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE crawls SET finished=?, status=?, summary=? WHERE id=?",
                (finished, status, json.dumps(summary), crawl_id),
            )

    def save_summary(self, crawl_id: str, summary: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE crawls SET summary=? WHERE id=?", (json.dumps(summary), crawl_id)
            )

    def add_scope_seed(self, crawl_id: str, url: str) -> None:
        """A URL a seed redirected to: its host stays in scope when the crawl resumes."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO scope_seeds VALUES (?, ?)", (crawl_id, url))

    def scope_seeds(self, crawl_id: str) -> list[str]:
        rows = self.db.conn.execute(
            "SELECT url FROM scope_seeds WHERE crawl=?", (crawl_id,)
        ).fetchall()
        return [r[0] for r in rows]

    def url_counts(self, crawl_id: str) -> dict[int, int]:
        """URL state -> count (0 queued, 1 in flight, 2 done, 3 failed, 4 blocked)."""
        return dict(
            self.db.conn.execute(
                "SELECT state, COUNT(*) FROM urls WHERE crawl=? GROUP BY state", (crawl_id,)
            ).fetchall()
        )

    def unfetched(self, crawl_id: str) -> Iterator[tuple[str, str | None, str]]:
        """(url, via, hops) of the URLs of ``crawl_id`` still queued or in flight: those a
        crawl that ended at a limit never fetched."""
        yield from self.db.conn.execute(
            "SELECT url, via, hops FROM urls WHERE crawl=? AND state IN (0, 1) ORDER BY id",
            (crawl_id,))

    def checkpoint(self, crawl_id: str, name: str, committed: int) -> None:
        """Everything in WARC ``name`` up to ``committed`` belongs to committed URLs."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO warc_files VALUES (?, ?, ?, 0) "
                "ON CONFLICT(name) DO UPDATE SET committed=excluded.committed",
                (name, crawl_id, committed),
            )

    def committed(self, name: str) -> int | None:
        row = self.db.conn.execute(
            "SELECT committed FROM warc_files WHERE name=?", (name,)
        ).fetchone()
        return None if row is None else int(row[0])

    def log_checkpoint(self, crawl_id: str, committed: int) -> None:
        """The crawl log of ``crawl_id`` up to ``committed`` bytes records committed work."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO crawl_logs VALUES (?, ?) "
                "ON CONFLICT(crawl) DO UPDATE SET committed=excluded.committed",
                (crawl_id, committed),
            )

    def log_committed(self, crawl_id: str) -> int | None:
        row = self.db.conn.execute(
            "SELECT committed FROM crawl_logs WHERE crawl=?", (crawl_id,)
        ).fetchone()
        return None if row is None else int(row[0])

    def warc_names(self, crawl_id: str) -> list[str]:
        """The WARC files written by ``crawl_id`` (over all its runs), closed or not."""
        rows = self.db.conn.execute(
            "SELECT name FROM warc_files WHERE crawl=? ORDER BY name", (crawl_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def mark_closed(self, name: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE warc_files SET closed=1 WHERE name=?", (name,))


class RobotsStore:
    """robots.txt bodies per host for one crawl, so a resumed crawl does not refetch them."""

    def __init__(self, db: StateDB, crawl: str) -> None:
        self.db = db
        self.crawl = crawl

    def get(self, host: str) -> tuple[int, bytes] | None:
        row = self.db.conn.execute(
            "SELECT status, body FROM robots WHERE crawl=? AND host=?", (self.crawl, host)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1] or b""))

    def put(self, host: str, status: int, body: bytes) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO robots VALUES (?, ?, ?, ?)",
                (self.crawl, host, status, body),
            )


class SqliteDigestIndex:
    """Payload digest -> first capture, for revisit records, across every crawl of the
    collection: a recrawl stores a payload it already holds as a revisit of the record
    an earlier crawl wrote (only committed records are in the table, and recovery never
    cuts a committed record, so the original is always in the WARCs)."""

    def __init__(self, db: StateDB, crawl: str) -> None:
        self.db = db
        self.crawl = crawl

    def lookup(self, payload_digest: str) -> Original | None:
        row = self.db.conn.execute(
            "SELECT uri, date, record_id FROM digests WHERE digest=? ORDER BY date LIMIT 1",
            (payload_digest,),
        ).fetchone()
        return None if row is None else Original(row[0], row[1], row[2])

    def add(self, payload_digest: str, original: Original) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO digests VALUES (?, ?, ?, ?, ?)",
                (self.crawl, payload_digest, original.uri, original.date, original.record_id),
            )
