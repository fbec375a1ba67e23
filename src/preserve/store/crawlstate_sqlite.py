"""``SqliteCrawlState``: the crawl-state seam over the collection's SQLite database, the default.

It puts together state.py's registry, robots cache and digest index and frontier.py's
queue, all on one connection, so one SQLite transaction is the seam's unit of work.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..collection import Collection
from .crawlstate import CrawlRecord, CrawlState, Frontier, RobotsCache
from .frontier import SqliteFrontier
from .state import CrawlRegistry, RobotsStore, SqliteDigestIndex, StateDB, origin
from .warc import DigestIndex

__all__ = ["SqliteCrawlState", "open_sqlite_state", "record_crawl"]


class SqliteCrawlState:
    """``CrawlState`` in ``state/state.sqlite3`` (schema and format of state.py)."""

    def __init__(self, path: Path, numbered: int = 0) -> None:
        self.db = StateDB(path)
        self.registry = CrawlRegistry(self.db)
        self.numbered = numbered  # crawls numbered before this state: new ones come after

    def transaction(self) -> AbstractContextManager[object]:
        return self.db.transaction()

    def close(self) -> None:
        self.db.close()

    def unfinished(self) -> CrawlRecord | None:
        return self.registry.unfinished()

    def start(self, started: str, config: dict[str, Any], kind: str = "crawl") -> CrawlRecord:
        return self.registry.start(started, config, after=self.numbered, kind=kind)

    def mark(self, crawl: str, *, final: bool, label: str | None) -> None:
        self.registry.mark(crawl, final=final, label=label)

    def finish(self, crawl: str, finished: str, status: str, summary: dict[str, Any]) -> None:
        self.registry.finish(crawl, finished, status, summary)

    def stop(self, crawl: str, status: str, summary: dict[str, Any]) -> None:
        with self.db.transaction():
            self.registry.set_status(crawl, status)
            self.registry.save_summary(crawl, summary)

    def add_scope_seed(self, crawl: str, url: str) -> None:
        self.registry.add_scope_seed(crawl, url)

    def scope_seeds(self, crawl: str) -> list[str]:
        return self.registry.scope_seeds(crawl)

    def checkpoint(self, crawl: str, name: str, committed: int) -> None:
        self.registry.checkpoint(crawl, name, committed)

    def committed(self, name: str) -> int | None:
        return self.registry.committed(name)

    def mark_closed(self, name: str) -> None:
        self.registry.mark_closed(name)

    def warc_names(self, crawl: str) -> list[str]:
        return self.registry.warc_names(crawl)

    def log_checkpoint(self, crawl: str, committed: int) -> None:
        self.registry.log_checkpoint(crawl, committed)

    def log_committed(self, crawl: str) -> int | None:
        return self.registry.log_committed(crawl)

    def open_frontier(self, crawl: str) -> Frontier:
        return SqliteFrontier(self.db, crawl)

    def robots(self, crawl: str) -> RobotsCache:
        return RobotsStore(self.db, crawl)

    def digests(self, crawl: str) -> DigestIndex:
        return SqliteDigestIndex(self.db, crawl)


def open_sqlite_state(coll: Collection) -> CrawlState:
    """The default ``CrawlStateFactory``.

    Crawl numbers are never used twice in a collection, even after a damaged state was
    moved aside: a new crawl comes after every crawl log in ``logs/``."""
    numbers = [int(n) for n in coll.crawl_logs()]
    return SqliteCrawlState(coll.state_db, numbered=max(numbers, default=0))


def record_crawl(coll: Collection, crawl: CrawlRecord, shared: CrawlState) -> str:
    """Keep in the collection's own registry a crawl whose state is ``shared`` (a Redis
    frontier): its row (id, kind, start, finish, status, this worker's summary and mark),
    the WARC files of it that are in this collection, how far its crawl log is committed
    and the hosts its seeds redirected to, so that ``preserve crawls``, ``status``,
    ``report``, ``patch`` and ``diff`` read them without the frontier. Never resumed
    from SQLite; returns the id here."""
    ours = {p.name for p in coll.closed_warcs()}
    unclosed = {p.name.removesuffix(".open") for p in coll.open_warcs()}
    names = {n: shared.committed(n) or 0 for n in shared.warc_names(crawl.id)
             if n in ours or n in unclosed}
    committed = shared.log_committed(crawl.id)
    scope = shared.scope_seeds(crawl.id)
    numbers = [int(n) for n in coll.crawl_logs() if n != crawl.id]
    db = StateDB(coll.state_db)
    try:
        registry = CrawlRegistry(db)
        with db.transaction():
            crawl_id = registry.record(crawl, origin(crawl), after=max(numbers, default=0))
            for name, upto in names.items():
                registry.add_warc(crawl_id, name, upto, name in ours)
            if committed is not None:
                registry.log_checkpoint(crawl_id, committed)
            for url in scope:
                registry.add_scope_seed(crawl_id, url)
    finally:
        db.close()
    return crawl_id
