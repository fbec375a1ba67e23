"""What normalisation remembers between runs, in ``normalised/state.sqlite3``.

Which WARC files are done; per host, how many pages were seen and on how many pages
each block occurred (site boilerplate); the first capture of each payload digest (to
resolve revisits); the first article of each body hash (duplicates); site notes. All
of it lives on disk, so memory stays flat however large the collection: the block counts
of the pages being learnt are summed in memory first (a site repeats its template on
every page) and added to the database in one statement each ``SPILL`` distinct blocks,
and before anything reads them. One run is one transaction: a run that dies leaves the
state as it was before it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

__all__ = ["NormaliseState", "SCHEMA", "SPILL"]

# Distinct (host, block) counts held in memory before they are added to the database.
SPILL = 20_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS warcs (name TEXT PRIMARY KEY, size INTEGER NOT NULL,
    articles INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, pages INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (host TEXT NOT NULL, key TEXT NOT NULL,
    pages INTEGER NOT NULL, PRIMARY KEY (host, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payloads (digest TEXT PRIMARY KEY, warc TEXT NOT NULL,
    offset INTEGER NOT NULL, record_id TEXT NOT NULL, url TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies (hash TEXT PRIMARY KEY, id TEXT NOT NULL,
    url TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (host TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL,
    url TEXT NOT NULL, PRIMARY KEY (host, key)) WITHOUT ROWID;
"""


class NormaliseState:
    def __init__(self, path: Path, spill: int = SPILL) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', '1')")
        self.db.execute("BEGIN")
        # Counts not yet in the database: pages per host, pages per (host, block key).
        self._hosts: dict[str, int] = {}
        self._blocks: dict[str, Counter[str]] = {}  # by host
        self._held = 0  # distinct (host, block) counts in _blocks, at most
        self._spill_at = spill

    def _spill(self) -> None:
        """Add the counts held in memory to the database."""
        if self._hosts:
            self.db.executemany("INSERT INTO hosts VALUES (?, ?) ON CONFLICT (host) DO UPDATE "
                                "SET pages = pages + excluded.pages", self._hosts.items())
            self._hosts.clear()
        if self._blocks:
            self.db.executemany(
                "INSERT INTO blocks VALUES (?, ?, ?) ON CONFLICT (host, key) "
                "DO UPDATE SET pages = pages + excluded.pages",
                ((host, key, n) for host, counts in self._blocks.items()
                 for key, n in counts.items()))
            self._blocks.clear()
            self._held = 0

    def commit(self) -> None:
        self._spill()
        self.db.execute("COMMIT")

    def savepoint(self) -> None:
        """Mark where to come back to (``rollback_to``) or keep what follows (``release``)."""
        self._spill()
        self.db.execute("SAVEPOINT warc")

    def rollback_to(self) -> None:
        """Undo what was done since ``savepoint`` (a WARC learnt from a stale index)."""
        self._hosts.clear()
        self._blocks.clear()
        self._held = 0
        self.db.execute("ROLLBACK TO warc")
        self.db.execute("RELEASE warc")

    def release(self) -> None:
        self.db.execute("RELEASE warc")

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.close()

    def done_warcs(self) -> set[str]:
        return {name for (name,) in self.db.execute("SELECT name FROM warcs")}

    def mark_done(self, name: str, size: int, articles: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO warcs VALUES (?, ?, ?)", (name, size, articles))

    def count_page(self, host: str, keys: Iterable[str]) -> None:
        """One page of ``host`` holds the blocks ``keys`` (each once)."""
        hosts = self._hosts
        hosts[host] = hosts.get(host, 0) + 1
        counts = self._blocks.get(host)
        if counts is None:
            counts = self._blocks[host] = Counter()
        before = len(counts)
        counts.update(iter(keys))  # keys, even of a mapping
        self._held += len(counts) - before
        if self._held >= self._spill_at:
            self._spill()

    def host_pages(self, host: str) -> int:
        self._spill()
        row = self.db.execute("SELECT pages FROM hosts WHERE host = ?", (host,)).fetchone()
        return int(row[0]) if row else 0

    def block_pages(self, host: str, key: str) -> int:
        self._spill()
        row = self.db.execute("SELECT pages FROM blocks WHERE host = ? AND key = ?",
                              (host, key)).fetchone()
        return int(row[0]) if row else 0

    def template_keys(self, host: str, pages: int) -> set[str]:
        """The keys of the blocks of ``host`` found on at least ``pages`` pages."""
        self._spill()
        return {str(key) for (key,) in self.db.execute(
            "SELECT key FROM blocks WHERE host = ? AND pages >= ?", (host, pages))}

    def add_payload(self, digest: str, warc: str, offset: int, record_id: str,
                    url: str) -> bool:
        """Remember the first capture of ``digest``; False if it was known already."""
        cur = self.db.execute("INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?)",
                              (digest, warc, offset, record_id, url))
        return cur.rowcount == 1

    def payload(self, digest: str) -> tuple[str, int, str, str] | None:
        row = self.db.execute("SELECT warc, offset, record_id, url FROM payloads "
                              "WHERE digest = ?", (digest,)).fetchone()
        return (str(row[0]), int(row[1]), str(row[2]), str(row[3])) if row else None

    def first_body(self, body_hash: str, article_id: str, url: str) -> str | None:
        """The id of the first article with ``body_hash``, or None if this is the first."""
        row = self.db.execute("SELECT id FROM bodies WHERE hash = ?", (body_hash,)).fetchone()
        if row:
            return str(row[0])
        self.db.execute("INSERT INTO bodies VALUES (?, ?, ?)", (body_hash, article_id, url))
        return None

    def add_note(self, host: str, key: str, text: str, url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO notes VALUES (?, ?, ?, ?)", (host, key, text, url))

    def hosts(self) -> list[tuple[str, int]]:
        """Every host seen, with its page count, by host name."""
        self._spill()
        return [(str(host), int(pages)) for host, pages in self.db.execute(
            "SELECT host, pages FROM hosts ORDER BY host")]

    def notes(self, host: str) -> list[tuple[str, str]]:
        """The (block key, text) of the host's note candidates, by the URL they came from."""
        return [(str(key), str(text)) for key, text in self.db.execute(
            "SELECT key, text FROM notes WHERE host = ? ORDER BY url, key", (host,))]
