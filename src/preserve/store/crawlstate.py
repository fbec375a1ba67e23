"""The crawl-state seam: everything a crawl keeps that must outlive its process, as one Protocol.

The crawl loop (capture/engine.py) and the crawler (capture/crawler.py) talk to a
``CrawlState`` and to nothing below it. ``SqliteCrawlState`` (store/crawlstate_sqlite.py)
is the embedded default; another backend (Redis, for crawls larger than one machine)
implements the same Protocol and passes the same contract suite
(tests/test_crawl_state_contract.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ..collection import Collection
from .warc import DigestIndex

__all__ = [
    "CrawlRecord",
    "CrawlState",
    "CrawlStateFactory",
    "Frontier",
    "FrontierCounts",
    "FrontierItem",
    "RobotsCache",
]


@dataclass(frozen=True)
class CrawlRecord:
    id: str
    seq: int
    started: str
    finished: str | None
    status: str
    config: dict[str, Any]
    summary: dict[str, Any] | None
    final: bool = False  # marked as the final capture of the site (--final)
    label: str | None = None
    kind: str = "crawl"  # or "patch": a crawl of what earlier ones missed (preserve patch)


@dataclass(frozen=True)
class FrontierItem:
    url: str  # canonical
    host: str  # host:port, the politeness key
    hops: str = ""  # hop path from the seed: L link, E embed, R redirect, P prerequisite...
    via: str | None = None
    priority: int = 1  # lower first: robots.txt -1, requisites and redirects 0, links 1
    attempts: int = 0
    id: int = 0  # the backend's handle for the item (SQLite: the row id)

    @property
    def is_seed(self) -> bool:
        return self.hops.strip("R") == ""


@dataclass(frozen=True)
class FrontierCounts:
    queued: int
    in_flight: int
    done: int
    failed: int
    blocked: int


class Frontier(Protocol):
    """The queue and the seen set of one crawl.

    Every URL is in one of five states: queued, in flight (claimed), done, failed or
    blocked. Changes made inside ``CrawlState.transaction()`` commit or roll back with it.
    """

    def add(self, items: Iterable[FrontierItem]) -> list[FrontierItem]:
        """Queue URLs not seen before in this crawl; return the ones that were new."""

    def claim(self, ready: Callable[[str], bool], limit: int, now: float) -> list[FrontierItem]:
        """Take up to ``limit`` queued items whose not_before is at most ``now`` (wall
        clock, seconds): at most one per host, only from hosts ``ready`` accepts, and for
        each host its lowest priority value first, then the order they were added."""

    def complete(self, item: FrontierItem, outcome: str) -> None:
        """outcome: done, failed or blocked; the item is never claimed again."""

    def release(self, item: FrontierItem, not_before: float) -> None:
        """Put an in-flight item back (a retry), with one more attempt, not to be claimed
        before ``not_before``."""

    def earliest(self) -> float | None:
        """The earliest not_before of queued items, or None if nothing is queued.
        Called on every turn of the loop: it must be cheap."""

    def queued_hosts(self) -> Sequence[str]:
        """The hosts with queued items (cheap: called on every turn of the loop)."""

    def pending(self) -> int:
        """Queued items (cheap: for progress displays)."""

    def sample(self, host: str) -> str | None:
        """Any URL of ``host`` in this crawl, or None."""

    def counts(self) -> FrontierCounts: ...

    def note_excluded(self, url: str, reason: str) -> bool:
        """Remember an out-of-scope URL; True the first time it is noted in this crawl."""

    def excluded(self, urls: Sequence[str]) -> set[str]:
        """Those of ``urls`` noted excluded in this crawl."""

    def seen(self, urls: Sequence[str]) -> set[str]:
        """Those of ``urls`` already queued, in flight or completed in this crawl."""

    def known(self, url: str) -> bool:
        """True if ``url`` is certainly in this crawl already; may answer from memory, so
        False only means "not known here" (ask ``seen`` for the truth)."""


class RobotsCache(Protocol):
    """robots.txt answers (status, body) per host for one crawl, so a resumed crawl does
    not fetch them again."""

    def get(self, host: str) -> tuple[int, bytes] | None: ...

    def put(self, host: str, status: int, body: bytes) -> None: ...


class CrawlState(Protocol):
    """What a crawl keeps that must survive its process, for every crawl of a collection.

    One URL's result is one unit of work: its WARC records are written inside
    ``transaction()``, which also marks the URL done, queues what it discovered, adds its
    payload digest and moves the WARC checkpoint past its records. What a transaction
    does commits whole or not at all, and nothing of one that raised is visible after it,
    through this object or a fresh one. Transactions nest; only the outermost commits.

    Crawls are numbered; crawl-scoped methods take the crawl id. ``open_frontier``,
    ``robots`` and ``digests`` return the parts of one crawl. Per-host politeness (the
    next time a host may be asked, back-off, Crawl-delay) lives in the crawl loop's memory
    (capture/politeness.py): one process owns a crawl. A backend shared by many workers
    would add it here, next to the frontier whose claims it gates.

    The state is used from one thread at a time (the crawl loop's main thread).
    """

    def transaction(self) -> AbstractContextManager[object]: ...

    def close(self) -> None: ...

    # -- crawls ---------------------------------------------------------------

    def unfinished(self) -> CrawlRecord | None:
        """The latest crawl not finished (interrupted, killed), to resume; or None."""

    def start(self, started: str, config: dict[str, Any], kind: str = "crawl") -> CrawlRecord:
        """Number and record a new crawl of ``kind`` ("crawl" or "patch"), status running."""

    def mark(self, crawl: str, *, final: bool, label: str | None) -> None:
        """Mark a crawl as the final capture, and/or give it a label."""

    def finish(self, crawl: str, finished: str, status: str, summary: dict[str, Any]) -> None:
        """The crawl is over: ``unfinished`` no longer returns it."""

    def stop(self, crawl: str, status: str, summary: dict[str, Any]) -> None:
        """A run ended before the crawl did: keep its status and summary for the next run."""

    def add_scope_seed(self, crawl: str, url: str) -> None:
        """A URL a seed redirected to: its host stays in scope when the crawl resumes."""

    def scope_seeds(self, crawl: str) -> list[str]: ...

    # -- checkpoints: how much of each file records committed work ----------------

    def checkpoint(self, crawl: str, name: str, committed: int) -> None:
        """Everything in WARC ``name`` up to ``committed`` belongs to committed URLs."""

    def committed(self, name: str) -> int | None: ...

    def mark_closed(self, name: str) -> None: ...

    def warc_names(self, crawl: str) -> list[str]:
        """The WARC files written by ``crawl`` (over all its runs), closed or not."""

    def log_checkpoint(self, crawl: str, committed: int) -> None:
        """The crawl log of ``crawl`` up to ``committed`` bytes records committed work."""

    def log_committed(self, crawl: str) -> int | None: ...

    # -- the parts of one crawl -------------------------------------------------

    def open_frontier(self, crawl: str) -> Frontier:
        """The frontier of ``crawl`` for this run, opened once per run: URLs an earlier
        run left in flight (it was killed or stopped) are queued again."""

    def robots(self, crawl: str) -> RobotsCache: ...

    def digests(self, crawl: str) -> DigestIndex:
        """Payload digest -> first capture, across every crawl of the collection; what
        ``add`` records belongs to ``crawl``."""


CrawlStateFactory = Callable[[Collection], CrawlState]
"""Opens the crawl state of a collection (the caller holds the collection's lock)."""
