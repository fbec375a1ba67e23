"""The frontier of a crawl in SQLite: the ``urls`` and ``excluded`` tables of the state database.

``SqliteFrontier`` implements store/crawlstate.py's ``Frontier``; ``SqliteCrawlState``
opens it. The queue and the seen set are committed with the records they describe, so a
killed crawl resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import replace

from .crawlstate import FrontierCounts, FrontierItem
from .state import StateDB

__all__ = ["SqliteFrontier"]

QUEUED, IN_FLIGHT, DONE, FAILED, BLOCKED = 0, 1, 2, 3, 4
_STATES = {"done": DONE, "failed": FAILED, "blocked": BLOCKED}
_IN_BATCH = 500  # URLs per IN (...) query, well under SQLite's variable limit
_KNOWN_MAX = 100_000  # URLs the in-memory cache holds before it starts afresh


def _remember(cache: set[str], url: str) -> None:
    if len(cache) >= _KNOWN_MAX:
        cache.clear()  # bounded memory; the database still answers for what is forgotten
    cache.add(url)


class SqliteFrontier:
    """The frontier in the collection's state database.

    In memory, to spare queries on every turn of the loop: the queued count per host, the
    not_before times of URLs put back for a retry, and a bounded cache of URLs known to be
    in the crawl (or excluded from it), since most links of a page are its site's
    navigation, met before. A transaction that rolls back reloads them from the database.
    """

    def __init__(self, db: StateDB, crawl: str) -> None:
        self.db = db
        self.crawl = crawl
        # Items claimed before a crash were never completed: back to the queue.
        with db.transaction() as conn:
            conn.execute(
                "UPDATE urls SET state=? WHERE crawl=? AND state=?", (QUEUED, crawl, IN_FLIGHT)
            )
        self._known: set[str] = set()
        self._known_excluded: set[str] = set()
        self._delayed: dict[int, float] = {}
        self._hosts: dict[str, int] = {}
        self._load()
        db.on_rollback(self._load)

    def _load(self) -> None:
        """(Re)build the memory from what the database holds."""
        self._known.clear()
        self._known_excluded.clear()
        # Queued items put back for a retry, with their not_before; all others have 0.
        self._delayed = dict(
            self.db.conn.execute(
                "SELECT id, not_before FROM urls WHERE crawl=? AND state=? AND not_before>0",
                (self.crawl, QUEUED),
            ).fetchall()
        )
        self._hosts = {
            host: n
            for host, n in self.db.conn.execute(
                "SELECT host, COUNT(*) FROM urls WHERE crawl=? AND state=? GROUP BY host",
                (self.crawl, QUEUED),
            )
        }

    def add(self, items: Iterable[FrontierItem]) -> list[FrontierItem]:
        added = []
        known = self._known
        with self.db.transaction() as conn:
            for item in items:
                if item.url in known:
                    continue
                _remember(known, item.url)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO urls (crawl, url, host, hops, via, priority) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (self.crawl, item.url, item.host, item.hops, item.via, item.priority),
                )
                if cur.rowcount:
                    added.append(replace(item, id=cur.lastrowid or 0))
                    self._hosts[item.host] = self._hosts.get(item.host, 0) + 1
        return added

    def claim(self, ready: Callable[[str], bool], limit: int, now: float) -> list[FrontierItem]:
        claimed: list[FrontierItem] = []
        if limit <= 0:
            return claimed
        with self.db.transaction() as conn:
            for host, queued in list(self._hosts.items()):
                if len(claimed) >= limit:
                    break
                if queued <= 0 or not ready(host):
                    continue
                row = conn.execute(
                    "SELECT id, url, hops, via, priority, attempts FROM urls "
                    "INDEXED BY urls_queue WHERE crawl=? AND state=? AND host=? AND not_before<=? "
                    "ORDER BY priority, id LIMIT 1",
                    (self.crawl, QUEUED, host, now),
                ).fetchone()
                if row is None:
                    continue
                conn.execute("UPDATE urls SET state=? WHERE id=?", (IN_FLIGHT, row[0]))
                self._delayed.pop(row[0], None)
                # To the back of the line: with fewer workers than hosts, every host gets
                # its turn rather than the first ones whenever they are ready.
                del self._hosts[host]
                self._hosts[host] = queued - 1
                claimed.append(FrontierItem(row[1], host, row[2], row[3], row[4], row[5], row[0]))
        return claimed

    def complete(self, item: FrontierItem, outcome: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE urls SET state=?, attempts=? WHERE id=?",
                (_STATES[outcome], item.attempts + 1, item.id),
            )

    def release(self, item: FrontierItem, not_before: float) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE urls SET state=?, attempts=?, not_before=? WHERE id=?",
                (QUEUED, item.attempts + 1, not_before, item.id),
            )
        self._hosts[item.host] = self._hosts.get(item.host, 0) + 1
        if not_before > 0:
            self._delayed[item.id] = not_before

    def earliest(self) -> float | None:
        # Called on every turn of the crawl loop: answered from memory, not a query.
        if self.pending() > len(self._delayed):
            return 0.0  # something is queued with no not_before
        return min(self._delayed.values()) if self._delayed else None

    def queued_hosts(self) -> Sequence[str]:
        return [h for h, n in self._hosts.items() if n > 0]

    def pending(self) -> int:
        return sum(n for n in self._hosts.values() if n > 0)

    def sample(self, host: str) -> str | None:
        row = self.db.conn.execute(
            "SELECT url FROM urls WHERE crawl=? AND host=? LIMIT 1", (self.crawl, host)
        ).fetchone()
        return None if row is None else str(row[0])

    def counts(self) -> FrontierCounts:
        by_state = dict(
            self.db.conn.execute(
                "SELECT state, COUNT(*) FROM urls WHERE crawl=? GROUP BY state", (self.crawl,)
            ).fetchall()
        )
        return FrontierCounts(
            by_state.get(QUEUED, 0), by_state.get(IN_FLIGHT, 0), by_state.get(DONE, 0),
            by_state.get(FAILED, 0), by_state.get(BLOCKED, 0),
        )

    def note_excluded(self, url: str, reason: str) -> bool:
        if url in self._known_excluded:
            return False
        _remember(self._known_excluded, url)
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO excluded VALUES (?, ?, ?)", (self.crawl, url, reason)
            )
            return bool(cur.rowcount)

    def known(self, url: str) -> bool:
        return url in self._known

    def seen(self, urls: Sequence[str]) -> set[str]:
        return self._present("urls", urls, self._known)

    def excluded(self, urls: Sequence[str]) -> set[str]:
        return self._present("excluded", urls, self._known_excluded)

    def _present(self, table: str, urls: Sequence[str], cache: Container[str]) -> set[str]:
        """Those of ``urls`` that are in ``table`` for this crawl (the cache first)."""
        found = {u for u in urls if u in cache}
        urls = [u for u in urls if u not in found]
        for i in range(0, len(urls), _IN_BATCH):
            batch = urls[i : i + _IN_BATCH]
            marks = ",".join("?" * len(batch))
            found.update(
                row[0] for row in self.db.conn.execute(
                    f"SELECT url FROM {table} WHERE crawl=? AND url IN ({marks})",
                    (self.crawl, *batch),
                )
            )
        return found

    def excluded_counts(self) -> dict[str, int]:
        return dict(
            self.db.conn.execute(
                "SELECT reason, COUNT(*) FROM excluded WHERE crawl=? GROUP BY reason",
                (self.crawl,),
            ).fetchall()
        )
