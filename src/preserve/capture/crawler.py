"""The crawl engine: frontier -> politeness -> fetch (worker threads) -> WARC -> frontier.

The main thread owns all state: it claims URLs from the frontier for hosts that
politeness allows, hands them to worker threads that fetch and extract links, and
writes each result (WARC records, URL state, discovered URLs, WARC checkpoint) in one
state transaction, so a crash at any moment loses nothing and captures nothing twice.
See docs/architecture.md for the numbered data flow.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import __version__
from ..collection import Collection
from ..config import CollectionConfig
from ..errors import StorageError
from ..store.crawllog import CrawlLog
from ..store.events import EventLog
from ..store.fixity import FixityManifest
from ..store.indexer import build_indexes
from ..store.recovery import recover
from ..store.state import CrawlRegistry, RobotsStore, SqliteDigestIndex, StateDB
from ..store.warc import ClosedWarc, WarcWriter
from .addresses import AddressPolicy
from .discover import Discovered, discover
from .exchange import Exchange, FetchFailure, FetchResult
from .fetcher import Fetcher, FetchLimits, HttpFetcher
from .frontier import FrontierItem, SqliteFrontier
from .politeness import Politeness
from .robots import RobotsRules, parse_robots
from .scope import Scope
from .session import config_to_dict
from .urls import canonicalize, host_key

__all__ = ["Crawler", "CrawlSummary", "Progress"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
_BACKOFF_BASE = 1.0
_HOP_PRIORITY = {"P": -1, "E": 0, "R": 0}


@dataclass
class Progress:
    crawl: str
    captured: int = 0
    queued: int = 0
    in_flight: int = 0
    bytes: int = 0
    failures: int = 0
    elapsed: float = 0.0
    last_url: str = ""


@dataclass
class CrawlSummary:
    crawl: str
    status: str = "running"  # finished, limit-reached, interrupted, storage-error
    stop_reason: str = ""
    resumed: bool = False
    captured: int = 0
    revisits: int = 0
    pages: int = 0
    bytes: int = 0
    warc_bytes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    failed_urls: list[str] = field(default_factory=list)
    out_of_scope: int = 0
    robots_blocked: int = 0
    blocked_addresses: int = 0
    traps: int = 0
    duration: float = 0.0
    warcs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "limit-reached")


@dataclass
class _Work:
    item: FrontierItem
    result: FetchResult
    found: Discovered | None = None


class Crawler:
    def __init__(
        self,
        collection: Collection,
        config: CollectionConfig,
        *,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.coll = collection
        self.config = config
        self.crawl_config = config.crawl
        self.clock = clock
        self.monotonic = monotonic
        self.on_progress = on_progress
        self._fetcher = fetcher
        self._stop = threading.Event()
        self._stop_reason = ""

    def stop(self, reason: str = "interrupted") -> None:
        """Ask the crawl to stop gracefully; safe to call from a signal handler."""
        self._stop_reason = self._stop_reason or reason
        self._stop.set()

    # -- set-up ---------------------------------------------------------------

    def _warcinfo(self, crawl_id: str) -> list[tuple[str, str]]:
        cfg = self.crawl_config
        desc = self.config.description
        fields = [
            ("software", f"preserve/{__version__}"),
            ("format", "WARC File Format 1.1"),
            ("conformsTo",
             "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
            ("operator", cfg.operator),
            ("hostname", socket.gethostname()),
            ("robots", "ignore" if cfg.ignore_robots else "obey"),
            ("http-header-user-agent", cfg.user_agent),
            ("isPartOf", desc.title or self.coll.name),
            ("crawl", crawl_id),
        ]
        fields.extend((f"dc:{k}", v) for k, v in desc.items() if k != "title")
        return fields

    def run(self) -> CrawlSummary:
        with self.coll.lock():
            db = StateDB(self.coll.state_db)
            try:
                return self._run(db)
            finally:
                db.close()

    def _run(self, db: StateDB) -> CrawlSummary:
        cfg = self.crawl_config
        coll = self.coll
        events = EventLog(coll.events_path, self.clock)
        manifest = FixityManifest(coll.manifest_path)
        registry = CrawlRegistry(db)
        current = registry.unfinished()
        resumed = current is not None

        def file_closed(path: Any, sha256: str, records: int | None = None) -> None:
            rel = f"warcs/{path.name}"
            manifest.add(rel, sha256)
            registry.mark_closed(path.name)
            events.append(
                "file closed", obj=rel, crawl=current.id if current else None,
                detail="WARC file closed and its digest recorded",
                data={"sha256": sha256, "size": path.stat().st_size, "records": records},
            )

        repaired = recover(coll, registry, manifest, events, current.id if current else None,
                           on_closed=lambda p, d: file_closed(p, d))
        started = self.clock()
        if current is None:
            current = registry.start(started.isoformat(), config_to_dict(cfg))
            events.append("crawl started", crawl=current.id, obj=coll.name,
                          detail=f"seeds: {' '.join(cfg.seeds)}",
                          data={"seeds": list(cfg.seeds), "scope": cfg.scope,
                                "robots": "ignore" if cfg.ignore_robots else "obey"})
            if cfg.ignore_robots:
                events.append("robots policy", crawl=current.id, outcome="warning",
                              detail="robots.txt ignored at the operator's request (--ignore-robots)")
        else:
            events.append("crawl resumed", crawl=current.id, obj=coll.name,
                          detail=f"repaired {len(repaired.cut)} WARC file(s)")
        crawl_id = current.id
        summary = CrawlSummary(crawl_id, resumed=resumed)
        if current.summary:
            _restore_counts(summary, current.summary)
        run = _Run(self, db, registry, events, summary, crawl_id)
        writer = WarcWriter(
            coll.warcs, f"{coll.name}-{crawl_id}",
            warcinfo=self._warcinfo(crawl_id), max_size=cfg.warc_size, digest=cfg.digest,
            dedup=SqliteDigestIndex(db, crawl_id), clock=self.clock,
            on_close=lambda c: file_closed(c.path, c.sha256, c.records),
        )
        run.writer = writer
        fetcher = self._fetcher or HttpFetcher(
            cfg.user_agent,
            limits=FetchLimits(timeout=cfg.timeout, max_response_size=cfg.max_response_size),
            policy=AddressPolicy.for_seeds(cfg.seeds),
            clock=self.clock,
        )
        t0 = self.monotonic()
        try:
            if not resumed:
                run.seed()
            run.loop(fetcher, t0)
        except StorageError as e:
            summary.status = "storage-error"
            summary.stop_reason = str(e)
            events.append("error", outcome="failure", crawl=crawl_id, detail=str(e),
                          obj=str(e.path) if e.path else None)
        finally:
            if self._fetcher is None:
                fetcher.close()
            try:
                closed = writer.close()
            except OSError as e:
                closed = None
                summary.status = "storage-error"
                summary.stop_reason = f"cannot close WARC file ({e.strerror})"
            run.log.close()
        if closed is not None:
            summary.warcs.append(closed.path.name)
        summary.duration += self.monotonic() - t0
        index = build_indexes(coll.root)
        summary.pages = index.pages
        summary.warc_bytes = sum(p.stat().st_size for p in coll.closed_warcs())
        finished = self.clock().isoformat()
        data = summary.to_dict()
        if summary.finished:
            registry.finish(crawl_id, finished, summary.status, data)
            events.append("crawl finished", crawl=crawl_id, obj=coll.name,
                          outcome="success" if not summary.failures else "warning",
                          detail=_one_line(summary), data=data)
        else:
            registry.set_status(crawl_id, summary.status)
            registry.save_summary(crawl_id, data)
            events.append("crawl stopped", crawl=crawl_id, obj=coll.name,
                          outcome="failure" if summary.status == "storage-error" else "warning",
                          detail=f"{summary.stop_reason}; run `preserve crawl` again to resume",
                          data=data)
        return summary


def _restore_counts(summary: CrawlSummary, saved: dict[str, Any]) -> None:
    for key in ("captured", "revisits", "bytes", "failures", "out_of_scope", "robots_blocked",
                "blocked_addresses", "traps", "duration"):
        setattr(summary, key, saved.get(key, 0))
    summary.statuses = dict(saved.get("statuses", {}))
    summary.failed_urls = list(saved.get("failed_urls", []))


def _one_line(s: CrawlSummary) -> str:
    return (f"{s.captured} captured ({s.revisits} revisits), {s.pages} pages, "
            f"{s.bytes} bytes, {s.failures} failed, {s.out_of_scope} out of scope, "
            f"{s.robots_blocked} blocked by robots.txt, in {s.duration:.1f}s")


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _Run:
    """The state of one crawl run; split from Crawler so set-up and loop read separately."""

    writer: WarcWriter

    def __init__(
        self, crawler: Crawler, db: StateDB, registry: CrawlRegistry, events: EventLog,
        summary: CrawlSummary, crawl_id: str,
    ) -> None:
        self.crawler = crawler
        self.cfg = crawler.crawl_config
        self.db = db
        self.registry = registry
        self.events = events
        self.summary = summary
        self.crawl_id = crawl_id
        self.frontier = SqliteFrontier(db, crawl_id)
        self.robots_store = RobotsStore(db, crawl_id)
        self.robots: dict[str, RobotsRules] = {}
        self.scope = Scope(self.cfg)
        for seed in self.cfg.seeds:
            self.scope.add_seed(canonicalize(seed))
        self.politeness = Politeness(self.cfg.delay)
        self.log = CrawlLog(crawler.coll.logs / f"crawl-{crawl_id}.jsonl")
        self.statuses: Counter[str] = Counter(summary.statuses)
        self.seeds = {canonicalize(s) for s in self.cfg.seeds}

    # -- discovery ------------------------------------------------------------

    def seed(self) -> None:
        items = []
        for seed in self.cfg.seeds:
            url = canonicalize(seed)
            items.append(FrontierItem(url, host_key(url), "", None, 0))
        if self.cfg.sitemaps:
            for host_root in sorted({_root(i.url) for i in items}):
                url = host_root + "sitemap.xml"
                items.append(FrontierItem(url, host_key(url), "X", None, 1))
        self.enqueue(items)

    def enqueue(self, items: list[FrontierItem]) -> None:
        """Add items, preceded by the robots.txt of any host not seen before."""
        batch: list[FrontierItem] = []
        for item in items:
            if not self.cfg.ignore_robots and item.host not in self.robots:
                robots_url = _root(item.url) + "robots.txt"
                stored = self.robots_store.get(item.host)
                if stored is not None:
                    self._set_robots(item.host, parse_robots(*stored))
                else:
                    batch.append(FrontierItem(robots_url, item.host, item.hops + "P",
                                              item.url, -1))
                    self.robots.setdefault(item.host, _PENDING)
            batch.append(item)
        self.frontier.add(batch)

    def _set_robots(self, host: str, rules: RobotsRules) -> None:
        self.robots[host] = rules
        self.politeness.set_crawl_delay(host, rules.crawl_delay(self.cfg.user_agent))

    def found(self, parent: FrontierItem, links: list[tuple[str, str]], follow: bool) -> None:
        items = []
        for raw, hop in links:
            if not follow and hop not in "ER":
                continue
            try:
                url = canonicalize(raw)
            except ValueError:
                continue
            hops = parent.hops + hop
            if hop == "R" and parent.is_seed:
                self.scope.add_seed(url)  # http -> https, example.org -> www.example.org
            if hop == "R" and len(hops) - len(hops.rstrip("R")) > self.cfg.max_redirects:
                self._exclude(url, "too-many-redirects", parent)
                continue
            decision = self.scope.decide(url, hops)
            if not decision.fetch:
                self._exclude(url, decision.reason, parent)
                continue
            items.append(FrontierItem(url, host_key(url), hops, parent.url,
                                      _HOP_PRIORITY.get(hop, 1)))
        if items:
            self.enqueue(items)

    def _exclude(self, url: str, reason: str, parent: FrontierItem) -> None:
        if self.frontier.note_excluded(url, reason):
            if reason.startswith("trap"):
                self.summary.traps += 1
            else:
                self.summary.out_of_scope += 1
            self.log.write(time=_now(self.crawler.clock), url=url, via=parent.url,
                           hops=parent.hops, outcome="out-of-scope", error=reason)

    # -- the loop -------------------------------------------------------------

    def _limit_reached(self, t0: float) -> str:
        cfg = self.cfg
        s = self.summary
        if cfg.max_pages is not None and s.captured >= cfg.max_pages:
            return "max-pages"
        if cfg.max_bytes is not None and s.bytes >= cfg.max_bytes:
            return "max-bytes"
        if cfg.max_time is not None and s.duration + self.crawler.monotonic() - t0 >= cfg.max_time:
            return "max-time"
        return ""

    def loop(self, fetcher: Fetcher, t0: float) -> None:
        crawler = self.crawler
        mono = crawler.monotonic
        inflight: dict[Future[_Work], FrontierItem] = {}
        with ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="preserve-fetch") as pool:
            try:
                while True:
                    limit = self._limit_reached(t0)
                    if limit and not crawler._stop.is_set():
                        crawler.stop(limit)
                    stopping = crawler._stop.is_set()
                    if not stopping:
                        now = mono()
                        slots = self.cfg.concurrency - len(inflight)
                        for item in self.frontier.claim(
                            lambda h: self.politeness.ready(h, now), slots, now
                        ):
                            if not self._allowed(item):
                                continue
                            self.politeness.started(item.host)
                            inflight[pool.submit(_work, fetcher, item, self.cfg)] = item
                    if not inflight:
                        if stopping:
                            break
                        wake = self._next_wake()
                        if wake is None:
                            crawler._stop_reason = crawler._stop_reason or "finished"
                            break
                        crawler._stop.wait(max(0.0, min(wake - mono(), 1.0)))
                        continue
                    wake = self._next_wake()
                    timeout = 0.5 if wake is None else max(0.005, min(wake - mono(), 0.5))
                    done, _ = wait(list(inflight), timeout=timeout, return_when=FIRST_COMPLETED)
                    for fut in done:
                        item = inflight.pop(fut)
                        self.handle(fut.result())
                        self._progress(t0, len(inflight), item.url)
            except BaseException:
                # Finish what is in flight so its bytes are not lost, then re-raise.
                for fut in list(inflight):
                    try:
                        work = fut.result()
                    except Exception:
                        continue
                    if isinstance(work.result, Exchange):
                        work.result.close()
                raise
        reason = crawler._stop_reason or "finished"
        self.summary.stop_reason = reason
        if reason == "finished":
            self.summary.status = "finished"
        elif reason.startswith("max-"):
            self.summary.status = "limit-reached"
        else:
            self.summary.status = "interrupted"

    def _next_wake(self) -> float | None:
        hosts = self.frontier.queued_hosts()
        if not hosts:
            return None
        host_time = min(self.politeness.next_time(h) for h in hosts)
        earliest = self.frontier.earliest()
        return max(host_time, earliest or 0.0)

    def _allowed(self, item: FrontierItem) -> bool:
        if self.cfg.ignore_robots or item.hops.endswith("P"):
            return True
        rules = self.robots.get(item.host)
        if rules is None or rules is _PENDING:
            stored = self.robots_store.get(item.host)
            if stored is None:
                return True  # robots.txt was not reachable through the frontier; be lenient
            rules = parse_robots(*stored)
            self._set_robots(item.host, rules)
        if rules.allowed(item.url, self.cfg.user_agent):
            return True
        self.frontier.complete(item, "blocked")
        self.summary.robots_blocked += 1
        self.log.write(time=_now(self.crawler.clock), url=item.url, via=item.via, hops=item.hops,
                       outcome="robots-blocked", error=f"disallowed by robots.txt ({rules.policy})")
        return False

    def _progress(self, t0: float, in_flight: int, url: str) -> None:
        cb = self.crawler.on_progress
        if cb is None:
            return
        s = self.summary
        cb(Progress(self.crawl_id, s.captured, sum(n for n in self.frontier._hosts.values()),
                    in_flight, s.bytes, s.failures,
                    s.duration + self.crawler.monotonic() - t0, url))

    # -- results --------------------------------------------------------------

    def handle(self, work: _Work) -> None:
        item, result = work.item, work.result
        now = self.crawler.monotonic()
        self.politeness.finished(item.host, now)
        is_robots = item.hops.endswith("P")
        if isinstance(result, FetchFailure):
            self._failed(item, result, is_robots, now)
            return
        try:
            retry_in = self._retry_delay(item, result)
            if retry_in is not None:
                self.politeness.back_off(item.host, now + retry_in)
                with self.db.transaction():
                    self.frontier.release(item, now + retry_in)
                self.log.write(time=_now(self.crawler.clock), url=item.url, status=result.status,
                               via=item.via, hops=item.hops, outcome="retry",
                               duration=round(result.duration, 4),
                               error=f"HTTP {result.status}; retry in {retry_in:.1f}s")
                return
            self._store(item, result, work.found, is_robots)
        finally:
            result.close()

    def _retry_delay(self, item: FrontierItem, ex: Exchange) -> float | None:
        if ex.status not in _RETRY_STATUSES or item.attempts >= self.cfg.retries:
            return None
        delay = _BACKOFF_BASE * (2 ** item.attempts)
        if ex.status in (429, 503):
            after = _retry_after(ex.header("retry-after"), self.crawler.clock())
            if after is not None:
                delay = max(delay, after)
        return min(delay, self.cfg.max_retry_after)

    def _failed(self, item: FrontierItem, f: FetchFailure, is_robots: bool, now: float) -> None:
        clock = self.crawler.clock
        if f.transient and item.attempts < self.cfg.retries:
            delay = _BACKOFF_BASE * (2 ** item.attempts)
            with self.db.transaction():
                self.frontier.release(item, now + delay)
            self.log.write(time=_now(clock), url=item.url, via=item.via, hops=item.hops,
                           outcome="retry", duration=round(f.duration, 4), error=f.message)
            return
        with self.db.transaction():
            if f.kind == "blocked-address":
                self.frontier.complete(item, "blocked")
                self.summary.blocked_addresses += 1
            else:
                self.frontier.complete(item, "failed")
                self.summary.failures += 1
                self.summary.failed_urls.append(item.url)
            if is_robots:
                self.robots_store.put(item.host, 0, b"")
                self._set_robots(item.host, parse_robots(0, b""))
        outcome = "blocked-address" if f.kind == "blocked-address" else "failed"
        self.log.write(time=_now(clock), url=item.url, via=item.via, hops=item.hops,
                       outcome=outcome, duration=round(f.duration, 4), error=f"{f.kind}: {f.message}")
        if is_robots:
            self.events.append("robots policy", outcome="warning", obj=item.url,
                               crawl=self.crawl_id,
                               detail="robots.txt unreachable: host disallowed (RFC 9309)")

    def _store(self, item: FrontierItem, ex: Exchange, found: Discovered | None,
               is_robots: bool) -> None:
        writer = self.writer
        with self.db.transaction():
            response, _request = writer.write_exchange(ex)
            if found is not None and found.is_page and 200 <= ex.status < 300:
                outlinks = [("via", item.via or ""), ("hopsFromSeed", item.hops)]
                outlinks += [("outlink", f"{u} {h}") for u, h in found.links]
                writer.write_metadata(item.url, response.record_id, ex.date,
                                      [(k, v) for k, v in outlinks if v])
            self.frontier.complete(item, "done")
            if is_robots:
                body = _decoded_robots(ex, found)
                self.robots_store.put(item.host, ex.status, body)
                rules = parse_robots(ex.status, body)
                self._set_robots(item.host, rules)
            if found is not None:
                decision = self.scope.decide(item.url, item.hops)
                follow = decision.follow or item.is_seed or is_robots or item.hops.endswith("X")
                self.found(item, list(found.links), follow)
            path = writer.current_path
            if path is not None:
                self.registry.checkpoint(self.crawl_id, path.name.removesuffix(".open"),
                                         writer.current_offset)
        if is_robots:
            self.events.append("robots policy", obj=item.url, crawl=self.crawl_id,
                               detail=f"HTTP {ex.status}: {self.robots[item.host].policy}")
        s = self.summary
        s.captured += 1
        s.bytes += ex.response.length
        if response.record_type == "revisit":
            s.revisits += 1
        self.statuses[str(ex.status)] += 1
        s.statuses = dict(sorted(self.statuses.items()))
        self.log.write(
            time=_now(self.crawler.clock), url=item.url, status=ex.status,
            bytes=ex.response.length, mime=ex.mime, via=item.via, hops=item.hops,
            duration=round(ex.duration, 4),
            outcome="revisit" if response.record_type == "revisit" else "captured",
            truncated=ex.truncated, warc=response.filename, offset=response.offset,
        )


class _PendingRules(RobotsRules):
    pass


_PENDING = _PendingRules(0, allow_all=True)


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _now(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).isoformat().replace("+00:00", "Z")


def _decoded_robots(ex: Exchange, found: Discovered | None) -> bytes:
    if found is not None and found.body is not None:
        return found.body
    return ex.entity or b""


def _work(fetcher: Fetcher, item: FrontierItem, cfg: Any) -> _Work:
    """Runs in a worker thread: fetch, then find links (CPU work off the main thread)."""
    result = fetcher.fetch(item.url, referer=item.via)
    if isinstance(result, FetchFailure):
        return _Work(item, result)
    location = result.header("location") if 300 <= result.status < 400 else None
    found = discover(result, item.hops, location=urljoin(item.url, location) if location else None)
    return _Work(item, result, found)
